// Package aws adapts tenantops to AWS Lambda: Function URL / HTTP API v2
// events are served by the same HTTP API as Azure; other events go to
// registered event handlers (EventBridge schedules, …).
package aws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// EventHandler handles a non-HTTP event (the raw payload).
type EventHandler func(ctx context.Context, payload json.RawMessage) (any, error)

// Handler implements lambda.Handler.
type Handler struct {
	API http.Handler
	// Scheduled handles EventBridge events (source aws.events / aws.scheduler) and
	// EventBridge Scheduler payloads; nil = not configured.
	Scheduled EventHandler
}

type probe struct {
	RawPath        string `json:"rawPath"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// Invoke dispatches one Lambda payload.
func (h Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("unrecognised event: not JSON: %w", err)
	}
	switch {
	case p.RequestContext.HTTP.Method != "":
		var ev events.LambdaFunctionURLRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decoding HTTP event: %w", err)
		}
		return json.Marshal(h.serveHTTP(ctx, ev))
	case p.DetailType != "" || p.Source != "":
		if h.Scheduled == nil {
			return nil, fmt.Errorf("no handler for %q events from %q", p.DetailType, p.Source)
		}
		out, err := h.Scheduled(ctx, payload)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	default:
		return nil, fmt.Errorf("unrecognised event shape (want a Function URL/HTTP API v2 or EventBridge event)")
	}
}

// serveHTTP runs the API for one Function URL request. Bad events become a
// 400 answer, not an invocation error: the caller sent them.
func (h Handler) serveHTTP(ctx context.Context, ev events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "invalidBody", "body is marked base64 but does not decode")
		}
		body = b
	}
	target := ev.RawPath
	if target == "" {
		target = "/"
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return errorResponse(http.StatusBadRequest, "invalidRequest", "cannot build request: "+err.Error())
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	rec := httptest.NewRecorder()
	h.API.ServeHTTP(rec, req)
	resp := events.LambdaFunctionURLResponse{StatusCode: rec.Code, Headers: map[string]string{}, Body: rec.Body.String()}
	for k, v := range rec.Header() {
		resp.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	return resp
}

func errorResponse(status int, code, msg string) events.LambdaFunctionURLResponse {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json; charset=utf-8"},
		Body:       string(b) + "\n",
	}
}
