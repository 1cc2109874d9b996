package devtenant

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBatch is Graph's JSON batching limit.
const maxBatch = 20

type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// itemRecorder captures a batch item's response.
type itemRecorder struct {
	hdr    http.Header
	status int
	buf    bytes.Buffer
}

func (r *itemRecorder) Header() http.Header { return r.hdr }
func (r *itemRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *itemRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.buf.Write(b)
	if err != nil {
		return n, fmt.Errorf("buffering batch item: %w", err)
	}
	return n, nil
}

// itemHeaders are the response headers copied into batch items.
var itemHeaders = []string{"Content-Type", "Retry-After", "Location", "Cache-Control", "OData-Version",
	"x-ms-resource-unit", "x-ms-throttle-scope", "x-ms-throttle-information", "x-ms-throttle-limit-percentage"}

// serveBatch handles POST /{version}/$batch: outer 200 whenever the payload
// parses; items run in order, dependsOn failures give 424, throttling and
// faults apply per item.
func (t *Tenant) serveBatch(w http.ResponseWriter, r *http.Request, version string, claims *accessClaims, body []byte, reqID, crid string) {
	now := t.Now()
	var req struct {
		Requests []batchItem `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	if len(req.Requests) == 0 {
		graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	if len(req.Requests) > maxBatch {
		graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("The number of batch requests exceeds the allowed maximum of %d. Number of requests: %d.", maxBatch, len(req.Requests)))
		return
	}
	seen := map[string]bool{}
	for _, it := range req.Requests {
		id := strings.ToLower(it.ID)
		switch {
		case it.ID == "" || it.Method == "" || it.URL == "":
			graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: every request needs id, method and url.")
			return
		case seen[id]:
			graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Batch request id '%s' is duplicated.", it.ID))
			return
		}
		seen[id] = true
	}
	for _, it := range req.Requests {
		for _, d := range it.DependsOn {
			if !seen[strings.ToLower(d)] {
				graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Request '%s' depends on unknown request '%s'.", it.ID, d))
				return
			}
		}
	}
	status := map[string]int{}
	responses := make([]jobj, 0, len(req.Requests))
	for _, it := range req.Requests {
		failedDep := false
		for _, d := range it.DependsOn {
			if s := status[strings.ToLower(d)]; s == 0 || s >= 400 {
				failedDep = true
			}
		}
		var item jobj
		if failedDep {
			item = jobj{{"id", it.ID}, {"status", http.StatusFailedDependency}, {"headers", map[string]string{"Content-Type": "application/json"}},
				{"body", map[string]any{"error": jobj{{"code", "FailedDependency"}, {"message", "Failed Dependency"}}}}}
			status[strings.ToLower(it.ID)] = http.StatusFailedDependency
		} else {
			var st int
			item, st = t.runBatchItem(r, version, claims, it, crid)
			status[strings.ToLower(it.ID)] = st
		}
		responses = append(responses, item)
	}
	h := w.Header()
	h.Set("Content-Type", odataJSON)
	h.Set("OData-Version", "4.0")
	b, _ := json.Marshal(map[string]any{"responses": responses})
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (t *Tenant) runBatchItem(outer *http.Request, version string, claims *accessClaims, it batchItem, crid string) (item jobj, status int) {
	rec := &itemRecorder{hdr: http.Header{}}
	start := time.Now()
	logPath := "/" + version + "/" + strings.TrimPrefix(strings.SplitN(it.URL, "?", 2)[0], "/")
	fault := ""
	defer func() {
		t.record(Request{Time: t.Now(), Method: strings.ToUpper(it.Method), Host: hostOnly(outer.Host), Path: logPath,
			Service: svcGraph, Status: status, AppID: claims.AppID, User: claims.UPN, Fault: fault, Duration: time.Since(start), InBatch: true})
	}()
	reqID := newGUID()
	rec.hdr.Set("request-id", reqID)
	rec.hdr.Set("client-request-id", crid)
	rec.hdr.Set("Cache-Control", "no-cache")
	rel := it.URL
	if strings.HasPrefix(strings.ToLower(rel), "http://") || strings.HasPrefix(strings.ToLower(rel), "https://") {
		graphErrorRaw(rec, reqID, crid, t.Now(), http.StatusBadRequest, "BadRequest", "Invalid request URL: batch request URLs must be relative to the service root.")
		return t.itemJSON(it.ID, rec), rec.status
	}
	rel = strings.TrimPrefix(rel, "/")
	u, err := url.Parse("https://" + outer.Host + "/" + version + "/" + rel)
	if err != nil {
		graphErrorRaw(rec, reqID, crid, t.Now(), http.StatusBadRequest, "BadRequest", "Invalid request URL.")
		return t.itemJSON(it.ID, rec), rec.status
	}
	var body []byte
	if len(it.Body) > 0 && string(it.Body) != "null" {
		body = it.Body
		var s string
		if json.Unmarshal(it.Body, &s) == nil && !strings.Contains(strings.ToLower(headerCI(it.Headers, "Content-Type")), "json") {
			if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				body = dec
			}
		}
	}
	ctx := context.WithValue(outer.Context(), reqInfoKey{}, &reqInfo{service: svcGraph, appID: claims.AppID, user: claims.UPN})
	ir, err := http.NewRequestWithContext(ctx, strings.ToUpper(it.Method), u.String(), bytes.NewReader(body))
	if err != nil {
		graphErrorRaw(rec, reqID, crid, t.Now(), http.StatusBadRequest, "BadRequest", "Invalid request method.")
		return t.itemJSON(it.ID, rec), rec.status
	}
	ir.Host = outer.Host
	for k, v := range it.Headers {
		ir.Header.Set(k, v)
	}
	ir.Header.Set("client-request-id", crid)
	// Faults apply to batch items too; a dropped or hung item becomes a 504.
	if fs := t.faults.next(ir.Method, hostOnly(outer.Host), u.Path); len(fs) > 0 {
		for _, f := range fs {
			fault = f.String()
			if f.Drop || f.Hang {
				graphErrorRaw(rec, reqID, crid, t.Now(), http.StatusGatewayTimeout, "GatewayTimeout", "The request timed out.")
				return t.itemJSON(it.ID, rec), rec.status
			}
			if f.Status != 0 {
				if f.RetryAfter != "" {
					rec.hdr.Set("Retry-After", f.RetryAfter)
				}
				if f.Status == http.StatusTooManyRequests {
					writeGraph429(rec, reqID, crid, t.Now(), "Please retry again later.")
				} else {
					graphErrorRaw(rec, reqID, crid, t.Now(), f.Status, defaultFaultCode(svcGraph, f.Status), "Injected fault: "+http.StatusText(f.Status))
				}
				return t.itemJSON(it.ID, rec), rec.status
			}
		}
	}
	esc := strings.TrimPrefix(u.EscapedPath(), "/"+version)
	t.dispatchGraph(rec, ir, version, esc, claims, body, reqID, crid, true)
	if rec.status == http.StatusTooManyRequests {
		fault = "throttled " + rec.hdr.Get("x-ms-throttle-information")
	}
	return t.itemJSON(it.ID, rec), rec.status
}

func headerCI(h map[string]string, k string) string {
	for hk, v := range h {
		if strings.EqualFold(hk, k) {
			return v
		}
	}
	return ""
}

func (t *Tenant) itemJSON(id string, rec *itemRecorder) jobj {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	hdrs := map[string]string{}
	for _, k := range itemHeaders {
		if v := rec.hdr.Get(k); v != "" {
			hdrs[k] = v
		}
	}
	item := jobj{{"id", id}, {"status", rec.status}, {"headers", hdrs}}
	if rec.buf.Len() > 0 {
		if json.Valid(rec.buf.Bytes()) {
			item = append(item, kv{"body", json.RawMessage(append([]byte(nil), rec.buf.Bytes()...))})
		} else {
			item = append(item, kv{"body", base64.StdEncoding.EncodeToString(rec.buf.Bytes())})
		}
	}
	return item
}
