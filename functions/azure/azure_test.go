package azure

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerRoutes(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(r.URL.Path))
	})
	var got InvokeRequest
	fns := map[string]Function{
		"RotateCredentials": func(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
			got = req
			return InvokeResponse{Logs: []string{"rotated 0"}}, nil
		},
		"Broken": func(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
			return InvokeResponse{}, errors.New("boom")
		},
	}
	h := NewHandler(api, fns, nil)
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"readiness", "GET", "/", "", 200, `"ready"`},
		{"forwarded api", "POST", "/api/sessions/revoke", "{}", 418, "/api/sessions/revoke"},
		{"timer envelope", "POST", "/RotateCredentials", `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"RotateCredentials"}}}`, 200, `"Outputs":{}`},
		{"function names are case-insensitive", "POST", "/rotatecredentials", `{"Data":{"timer":{"ScheduleStatus":null}}}`, 200, `"rotated 0"`},
		{"unknown function", "POST", "/Nope", `{}`, 404, "unknownFunction"},
		{"bad envelope", "POST", "/RotateCredentials", `{`, 400, "invalidEnvelope"},
		{"failed function reports non-2xx", "POST", "/Broken", `{}`, 500, `"Outputs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("X-Azure-Functions-InvocationId", "8f0f8a36-8d5a-4c4e-9b46-1d6a2b0c1e11")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("%s %s = %d %s", tt.method, tt.path, rec.Code, rec.Body)
			}
		})
	}
	if _, ok := got.Data["timer"]; !ok {
		t.Fatalf("timer data not passed: %+v", got)
	}
	var raw map[string]any
	if err := json.Unmarshal(got.Data["timer"], &raw); err != nil || raw["ScheduleStatus"] != nil {
		t.Fatalf("timer payload = %s", got.Data["timer"])
	}
}
