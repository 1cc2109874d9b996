package aws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echoAPI records what the adapter hands to the HTTP API.
type echoAPI struct {
	got  *http.Request
	body string
}

func (e *echoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	e.got, e.body = r, string(b)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func TestFunctionURLEvent(t *testing.T) {
	payload, err := os.ReadFile("testdata/function-url-post.json")
	if err != nil {
		t.Fatal(err)
	}
	api := &echoAPI{}
	out, err := Handler{API: api}.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if api.got.Method != "POST" || api.got.URL.Path != "/api/sessions/revoke" || api.got.URL.RawQuery != "trace=1" {
		t.Fatalf("request = %s %s", api.got.Method, api.got.URL)
	}
	if api.body != `{"users":["adele.vance@contoso.com"]}` {
		t.Fatalf("body not base64-decoded: %q", api.body)
	}
	if api.got.Header.Get("Cookie") != "s=abc" || api.got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers = %v", api.got.Header)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || resp.Body != `{"ok":true}` || resp.Headers["content-type"] != "application/json" {
		t.Fatalf("response = %+v", resp)
	}
}

func TestBadEvents(t *testing.T) {
	tests := []struct {
		name, payload string
		wantErr       bool
		wantStatus    int
	}{
		{"not json", `{`, true, 0},
		{"unknown shape", `{"hello":"world"}`, true, 0},
		{"bad base64 body is a 400, not a failed invocation", `{"rawPath":"/api/x","requestContext":{"http":{"method":"POST"}},"body":"%%%","isBase64Encoded":true}`, false, 400},
		{"scheduled event without handler", `{"source":"aws.events","detail-type":"Scheduled Event"}`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Handler{API: &echoAPI{}}.Invoke(context.Background(), []byte(tt.payload))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantStatus != 0 {
				var resp events.LambdaFunctionURLResponse
				_ = json.Unmarshal(out, &resp)
				if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, `"error"`) {
					t.Fatalf("response = %+v", resp)
				}
			}
		})
	}
}

func TestScheduledEventDispatch(t *testing.T) {
	payload, err := os.ReadFile("testdata/eventbridge-scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	var got events.EventBridgeEvent
	h := Handler{Scheduled: func(ctx context.Context, p json.RawMessage) (any, error) {
		return map[string]string{"done": "yes"}, json.Unmarshal(p, &got)
	}}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if got.DetailType != "Scheduled Event" || got.Source != "aws.events" || string(out) != `{"done":"yes"}` {
		t.Fatalf("got %+v, out %s", got, out)
	}
}
