package graph

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2.128", 2128 * time.Millisecond, true}, // Graph's documented 429 sample
		{"0.5", 500 * time.Millisecond, true},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	nf := &Error{Op: "getting user x", StatusCode: 404, Code: "Request_ResourceNotFound", Message: "gone", RequestID: "r1"}
	wrapped := errors.Join(errors.New("context"), nf)
	if !IsNotFound(wrapped) || IsForbidden(wrapped) || Retryable(wrapped) {
		t.Fatalf("classification of 404 wrong")
	}
	if got, want := nf.Error(), "getting user x: graph answered 404 Request_ResourceNotFound: gone (request-id r1)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	for _, s := range []int{0, 429, 500, 502, 503, 504} {
		if !Retryable(&Error{StatusCode: s}) {
			t.Errorf("status %d not retryable", s)
		}
	}
	if Retryable(&Error{StatusCode: 400}) || Retryable(errors.New("x")) {
		t.Error("400 / foreign errors must not be retryable")
	}
}
