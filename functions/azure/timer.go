package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/rotation"
)

// TimerInfo is a timerTrigger binding value as the host sends it (TimerInfo,
// PascalCase). ScheduleStatus is null when the schedule monitor is off.
type TimerInfo struct {
	Schedule struct {
		AdjustForDST bool `json:"AdjustForDST"`
	} `json:"Schedule"`
	ScheduleStatus *ScheduleStatus `json:"ScheduleStatus"`
	IsPastDue      bool            `json:"IsPastDue"`
}

// ScheduleStatus is the schedule monitor's record. Never-set times arrive as
// "0001-01-01T00:00:00" (no offset), which encoding/json's time.Time rejects:
// they decode as the zero time.
type ScheduleStatus struct {
	Last        time.Time
	Next        time.Time
	LastUpdated time.Time
}

// UnmarshalJSON parses the timestamps leniently.
func (s *ScheduleStatus) UnmarshalJSON(b []byte) error {
	var raw struct {
		Last, Next, LastUpdated *string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("ScheduleStatus: %w", err)
	}
	for _, f := range []struct {
		in  *string
		out *time.Time
	}{{raw.Last, &s.Last}, {raw.Next, &s.Next}, {raw.LastUpdated, &s.LastUpdated}} {
		if f.in == nil {
			continue
		}
		t, err := ParseHostTime(*f.in)
		if err != nil {
			return fmt.Errorf("ScheduleStatus: %w", err)
		}
		*f.out = t
	}
	return nil
}

// hostTimeLayouts are the shapes .NET's serializer gives DateTime and
// DateTimeOffset values: with or without offset, 0–7 fractional digits.
var hostTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05.9999999Z07:00"}

// ParseHostTime parses a timestamp from the Functions host. A time without
// offset is taken as UTC; .NET's DateTime.MinValue is the zero time.
func ParseHostTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0001-01-01T00:00:00") {
		return time.Time{}, nil
	}
	for _, l := range hostTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}

// binding returns Data[name], or the only binding when name is absent (a
// renamed binding in function.json should not break the function).
func (r InvokeRequest) binding(name string) (json.RawMessage, error) {
	for k, v := range r.Data {
		if strings.EqualFold(k, name) {
			return v, nil
		}
	}
	if len(r.Data) == 1 {
		for _, v := range r.Data {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no %q binding in the invocation data", name)
}

// DecodeTimer reads the timerTrigger binding named name.
func DecodeTimer(req InvokeRequest, name string) (TimerInfo, error) {
	raw, err := req.binding(name)
	if err != nil {
		return TimerInfo{}, err
	}
	raw = unwrapString(raw)
	var ti TimerInfo
	if len(raw) == 0 || string(raw) == "null" {
		return ti, nil
	}
	if err := json.Unmarshal(raw, &ti); err != nil {
		return TimerInfo{}, fmt.Errorf("decoding the timer binding: %w", err)
	}
	return ti, nil
}

// TimerFunction adapts run to a timerTrigger function with binding name.
// The result goes to the invocation log as one JSON line (no secrets: the
// operations' results never hold any).
func TimerFunction(name string, run func(ctx context.Context, t TimerInfo) (any, error)) Function {
	return func(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
		ti, err := DecodeTimer(req, name)
		if err != nil {
			return InvokeResponse{Logs: []string{err.Error()}}, err
		}
		res, err := run(ctx, ti)
		return logResult(res, err)
	}
}

// RotateCredentials is the timer function of that name: the due-rotation
// pass over every managed secret (function.json binding "timer").
func RotateCredentials(deps func() rotation.Deps) Function {
	return TimerFunction("timer", func(ctx context.Context, t TimerInfo) (any, error) {
		return rotation.RotateDue(ctx, deps(), rotation.DueRequest{})
	})
}

func logResult(res any, err error) (InvokeResponse, error) {
	var logs []string
	if res != nil {
		if b, merr := json.Marshal(res); merr == nil {
			logs = append(logs, string(b))
		}
	}
	if err != nil {
		logs = append(logs, err.Error())
	}
	return InvokeResponse{Logs: logs}, err
}

// unwrapString undoes the host's string encoding: a binding whose value is a
// C# string arrives JSON-encoded again ("\"{...}\""), sometimes twice.
func unwrapString(raw json.RawMessage) json.RawMessage {
	for range 3 {
		t := strings.TrimSpace(string(raw))
		if !strings.HasPrefix(t, `"`) {
			return json.RawMessage(t)
		}
		var s string
		if err := json.Unmarshal([]byte(t), &s); err != nil {
			return raw
		}
		raw = json.RawMessage(s)
	}
	return raw
}
