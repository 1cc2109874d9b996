package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got (as indented JSON) with testdata/name.golden.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("%s differs:\n got: %s\nwant: %s", path, b, want)
	}
}

func readEnvelope(t *testing.T, name string) (InvokeRequest, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var req InvokeRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req, b
}

// TestTimerEnvelopes decodes captured timer payloads, including a null
// ScheduleStatus and .NET's DateTime.MinValue without offset, which
// encoding/json's time.Time rejects.
func TestTimerEnvelopes(t *testing.T) {
	for _, name := range []string{"timer-schedule-status-null", "timer-first-run", "timer-past-due"} {
		t.Run(name, func(t *testing.T) {
			req, _ := readEnvelope(t, name)
			ti, err := DecodeTimer(req, "timer")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, ti)
		})
	}
	// The pitfall itself: a plain time.Time rejects the host's MinValue.
	var plain struct{ Last time.Time }
	if err := json.Unmarshal([]byte(`{"Last":"0001-01-01T00:00:00"}`), &plain); err == nil {
		t.Fatal("encoding/json accepted an offset-less time; the lenient decoder may be unnecessary")
	}
}

func TestParseHostTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"0001-01-01T00:00:00", time.Time{}, true},
		{"0001-01-01T00:00:00+00:00", time.Time{}, true},
		{"", time.Time{}, true},
		{"2026-11-22T03:00:00+00:00", time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), true},
		{"2026-11-22T03:00:00.0000512", time.Date(2026, 11, 22, 3, 0, 0, 51200, time.UTC), true},
		{"2026-11-22T04:00:00.5+01:00", time.Date(2026, 11, 22, 3, 0, 0, 5e8, time.UTC), true},
		{"2026-11-22T03:00:00.1234567Z", time.Date(2026, 11, 22, 3, 0, 0, 123456700, time.UTC), true},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseHostTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseHostTime(%q) = %v, %v", tt.in, got, err)
		}
	}
}

// TestEventGridEnvelopes decodes the event as an object, as a JSON string,
// as a string encoded twice, with PascalCase properties and as a CloudEvent.
func TestEventGridEnvelopes(t *testing.T) {
	var first []Event
	for _, name := range []string{"eventgrid-object", "eventgrid-string", "eventgrid-double-encoded", "eventgrid-pascalcase", "eventgrid-cloudevent"} {
		t.Run(name, func(t *testing.T) {
			req, _ := readEnvelope(t, name)
			evs, err := DecodeEvents(req, "event")
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].EventType != "Microsoft.KeyVault.SecretNearExpiry" || evs[0].EventTime.IsZero() {
				t.Fatalf("events %+v", evs)
			}
			var data struct{ ObjectName, Version, VaultName string }
			if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.ObjectName == "" || data.Version == "" || data.VaultName != "contoso-ops" {
				t.Fatalf("data %s: %v", evs[0].Data, err)
			}
			if name == "eventgrid-cloudevent" {
				golden(t, name, evs)
				return
			}
			// Every encoding of the same event decodes to the same value.
			if first == nil {
				first = evs
				golden(t, "eventgrid", evs)
				return
			}
			a, _ := json.Marshal(first)
			b, _ := json.Marshal(evs)
			if !jsonEqual(a, b) {
				t.Fatalf("decoded differently:\n%s\n%s", a, b)
			}
		})
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestEnvelopeErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		data string
	}{
		{"no binding", `{"Data":{"a":{},"b":{}}}`},
		{"not an event", `{"Data":{"event":42}}`},
		{"bad event time", `{"Data":{"event":{"eventType":"x","eventTime":"soon"}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var req InvokeRequest
			if err := json.Unmarshal([]byte(tt.data), &req); err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeEvents(req, "event"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	var req InvokeRequest
	_ = json.Unmarshal([]byte(`{"Data":{"timer":{"ScheduleStatus":{"Last":"not a time"}}}}`), &req)
	if _, err := DecodeTimer(req, "timer"); err == nil {
		t.Fatal("bad timer accepted")
	}
	// A renamed binding still works when it is the only one.
	var renamed InvokeRequest
	_ = json.Unmarshal([]byte(`{"Data":{"myTimer":{"ScheduleStatus":null,"IsPastDue":true}}}`), &renamed)
	if ti, err := DecodeTimer(renamed, "timer"); err != nil || !ti.IsPastDue {
		t.Fatalf("renamed binding: %+v %v", ti, err)
	}
}

// TestFunctionsThroughHandler posts the captured envelopes to the handler
// as the host would and checks the functions' answers.
func TestFunctionsThroughHandler(t *testing.T) {
	var gotTimer TimerInfo
	var gotEvents []Event
	fns := map[string]Function{
		"RotateCredentials": TimerFunction("timer", func(ctx context.Context, ti TimerInfo) (any, error) {
			gotTimer = ti
			return map[string]int{"rotated": 1}, nil
		}),
		"SecretNearExpiry": EventGridFunction("event", func(ctx context.Context, ev Event) (any, error) {
			gotEvents = append(gotEvents, ev)
			if ev.Subject == "fail" {
				return nil, errors.New("rotation failed")
			}
			return map[string]string{"status": "skipped"}, nil
		}),
	}
	h := NewHandler(http.NotFoundHandler(), fns, nil)
	post := func(path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("X-Azure-Functions-InvocationId", "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	_, body := readEnvelope(t, "timer-first-run")
	rec := post("/RotateCredentials", body)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `{\"rotated\":1}`) || !gotTimer.ScheduleStatus.Last.IsZero() {
		t.Fatalf("timer: %d %s %+v", rec.Code, rec.Body, gotTimer)
	}
	var resp InvokeResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Outputs == nil || len(resp.Logs) != 1 {
		t.Fatalf("timer response %s", rec.Body)
	}
	_, body = readEnvelope(t, "eventgrid-double-encoded")
	if rec := post("/SecretNearExpiry", body); rec.Code != 200 || len(gotEvents) != 1 {
		t.Fatalf("event grid: %d %s", rec.Code, rec.Body)
	}
	// A failed rotation answers non-2xx, so the host records the failure and retries.
	fail := []byte(`{"Data":{"event":{"id":"1","subject":"fail","eventType":"Microsoft.KeyVault.SecretNearExpiry","eventTime":"2026-11-22T00:00:00Z","data":{}}}}`)
	if rec := post("/SecretNearExpiry", fail); rec.Code != 500 || !strings.Contains(rec.Body.String(), "rotation failed") {
		t.Fatalf("failure: %d %s", rec.Code, rec.Body)
	}
}
