package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a failed Graph call. It keeps what an admin or a support ticket
// needs: the HTTP status, Graph's error code and message, and the request id.
type Error struct {
	Op         string        // what tenantops was doing, e.g. "revoking sessions of u1"
	StatusCode int           // HTTP status (0 when the request never got an answer)
	Code       string        // Graph error code, e.g. Request_ResourceNotFound
	Message    string        // Graph's message
	RequestID  string        // request-id header / innerError.request-id
	RetryAfter time.Duration // from Retry-After, when present
	Err        error         // the underlying SDK or transport error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "graph answered %d", e.StatusCode)
		if e.Code != "" {
			fmt.Fprintf(&b, " %s", e.Code)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		if e.RequestID != "" {
			fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Status returns the HTTP status of a Graph error, or 0.
func Status(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.StatusCode
	}
	return 0
}

// IsNotFound reports a 404 from Graph.
func IsNotFound(err error) bool { return Status(err) == http.StatusNotFound }

// IsForbidden reports a 403 from Graph (missing permission or licence).
func IsForbidden(err error) bool { return Status(err) == http.StatusForbidden }

// Retryable reports errors worth another attempt: throttling, transient
// server errors and answers that never came.
func Retryable(err error) bool {
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.StatusCode {
	case 0, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// wrap converts an SDK error into *Error, keeping the original.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	ge := &Error{Op: op, Err: err}
	var oe *odataerrors.ODataError
	var ae *abstractions.ApiError
	switch {
	case errors.As(err, &oe):
		ge.StatusCode = oe.ResponseStatusCode
		if me := oe.GetErrorEscaped(); me != nil {
			ge.Code = deref(me.GetCode())
			ge.Message = deref(me.GetMessage())
			if ie := me.GetInnerError(); ie != nil {
				ge.RequestID = deref(ie.GetRequestId())
			}
		}
		fromHeaders(ge, oe.GetResponseHeaders())
	case errors.As(err, &ae):
		ge.StatusCode = ae.ResponseStatusCode
		ge.Message = ae.Message
		fromHeaders(ge, ae.ResponseHeaders)
	}
	return ge
}

func fromHeaders(ge *Error, h *abstractions.ResponseHeaders) {
	if h == nil {
		return
	}
	if v := h.Get("request-id"); len(v) > 0 && ge.RequestID == "" {
		ge.RequestID = v[0]
	}
	if v := h.Get("retry-after"); len(v) > 0 {
		ge.RetryAfter, _ = ParseRetryAfter(v[0], time.Now())
	}
}

// ParseRetryAfter reads a Retry-After value: seconds, possibly fractional
// (Graph sends "2.128"), or an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
