package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxBatch is Graph's JSON batching limit (requests per $batch).
const MaxBatch = 20

// RawBatchItem is one request of a JSON batch. URL is relative to the
// version root ("/users/x/authentication/requirements").
type RawBatchItem struct {
	Method string
	URL    string
	Body   any // sent as JSON when not nil
}

// RawBatchResult is the answer to one batch item.
type RawBatchResult struct {
	Status int
	Body   json.RawMessage
	// Err is set for a non-2xx item: a *Error with Graph's code, message,
	// request id and the item's Retry-After (THROTTLING.md §7: batch items are
	// throttled one by one and the SDK does not retry them).
	Err error
}

// RawBatch sends up to MaxBatch requests in one POST /{version}/$batch and
// returns their answers in request order. version is "v1.0" or "beta" (one
// batch cannot mix them). The batch as a whole fails only when Graph rejects
// it (bad payload, auth, transport); per-item failures are in the results.
func (c *Client) RawBatch(ctx context.Context, op, version string, items []RawBatchItem) ([]RawBatchResult, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if len(items) > MaxBatch {
		return nil, &Error{Op: op, Err: fmt.Errorf("%d requests in one batch; Graph accepts at most %d", len(items), MaxBatch)}
	}
	type reqJSON struct {
		ID      string            `json:"id"`
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers,omitempty"`
		Body    any               `json:"body,omitempty"`
	}
	body := struct {
		Requests []reqJSON `json:"requests"`
	}{Requests: make([]reqJSON, len(items))}
	for i, it := range items {
		r := reqJSON{ID: strconv.Itoa(i + 1), Method: strings.ToUpper(it.Method), URL: it.URL}
		if it.Body != nil {
			r.Body = it.Body
			r.Headers = map[string]string{"Content-Type": "application/json"}
		}
		body.Requests[i] = r
	}
	var resp struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := c.Raw(ctx, op, http.MethodPost, version+"/$batch", body, &resp); err != nil {
		return nil, err
	}
	out := make([]RawBatchResult, len(items))
	seen := make([]bool, len(items))
	for _, r := range resp.Responses {
		n, err := strconv.Atoi(r.ID)
		if err != nil || n < 1 || n > len(items) || seen[n-1] {
			continue
		}
		seen[n-1] = true
		res := RawBatchResult{Status: r.Status, Body: r.Body}
		if r.Status < 200 || r.Status > 299 {
			res.Err = itemError(op, r.Status, r.Headers, r.Body)
		}
		out[n-1] = res
	}
	for i := range out {
		if !seen[i] {
			out[i] = RawBatchResult{Err: &Error{Op: op, Err: errors.New("the batch answer has no response for this request")}}
		}
	}
	return out, nil
}

// itemError builds *Error from a failed batch item.
func itemError(op string, status int, headers map[string]string, body json.RawMessage) error {
	ge := &Error{Op: op, StatusCode: status}
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if len(body) > 0 && json.Unmarshal(body, &env) == nil {
		ge.Code, ge.Message, ge.RequestID = env.Error.Code, env.Error.Message, env.Error.InnerError.RequestID
	}
	for k, v := range headers {
		switch strings.ToLower(k) {
		case "retry-after":
			ge.RetryAfter, _ = ParseRetryAfter(v, time.Now())
		case "request-id":
			if ge.RequestID == "" {
				ge.RequestID = v
			}
		}
	}
	ge.Err = fmt.Errorf("batch item answered %d", status)
	return ge
}

// RetryAfterOf returns the Retry-After carried by a Graph error, if any.
func RetryAfterOf(err error) (time.Duration, bool) {
	var ge *Error
	if errors.As(err, &ge) && ge.RetryAfter > 0 {
		return ge.RetryAfter, true
	}
	return 0, false
}
