// Package httpapi is tenantops' HTTP API (/api/...). The Azure custom handler
// serves it behind request forwarding and the Lambda door serves it for
// Function URL events, so both answer byte-for-byte the same JSON.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/op"
)

// MaxBody bounds request bodies (a 10k-user list fits comfortably).
const MaxBody = 2 << 20

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error's code and message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// New returns the API handler for a.
func New(a *app.App) http.Handler {
	mux := http.NewServeMux()
	h := &api{app: a}
	// Each operation registers its routes from its own file.
	for _, register := range []func(*api, *http.ServeMux){
		(*api).routesSessions,
		(*api).routesSharePointCheck,
		(*api).routesCredentials,
	} {
		register(h, mux)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "notFound", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return recoverer(a.Log, withDeadline(mux))
}

// RequestTimeLimit bounds one API call. Azure's front end drops HTTP-triggered
// responses after 230 s whatever functionTimeout says, so long jobs stop
// dispatching before this and answer with a continuation token instead.
const RequestTimeLimit = 200 * time.Second

// withDeadline gives every operation a context deadline (a shorter one from
// the caller, such as Lambda's, wins).
func withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeLimit)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type api struct{ app *app.App }

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so a typo in a field name can't silently widen or narrow a job.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		WriteError(w, http.StatusUnsupportedMediaType, "unsupportedMediaType", "send the request as application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			WriteError(w, http.StatusRequestEntityTooLarge, "bodyTooLarge", fmt.Sprintf("request body exceeds %d bytes", MaxBody))
		case errors.Is(err, io.EOF):
			WriteError(w, http.StatusBadRequest, "emptyBody", "the request body is empty; send a JSON object")
		default:
			WriteError(w, http.StatusBadRequest, "invalidJSON", "the request body is not valid JSON for this operation: "+err.Error())
		}
		return false
	}
	if dec.More() {
		WriteError(w, http.StatusBadRequest, "invalidJSON", "unexpected data after the JSON object")
		return false
	}
	return true
}

// respond writes an operation's result: 200 with the result (a result that
// reports a problem is still a 200: the operation ran), 400 for invalid
// input, 504 for a deadline, 502 when a dependency failed.
func respond(w http.ResponseWriter, log *slog.Logger, res any, err error) {
	if err == nil {
		WriteJSON(w, http.StatusOK, res)
		return
	}
	if ie, ok := op.AsInvalid(err); ok {
		msg := err.Error()
		WriteError(w, http.StatusBadRequest, ie.Code, msg)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		WriteError(w, http.StatusGatewayTimeout, "deadlineExceeded", err.Error())
		return
	}
	log.Error("operation failed", slog.String("error", err.Error()))
	WriteError(w, http.StatusBadGateway, "upstreamFailed", err.Error())
}

// WriteJSON writes v as the JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"encodingFailed","message":"could not encode the result"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// WriteError writes {"error":{"code","message"}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// recoverer turns a panic into a JSON error instead of a dropped connection;
// it is a last line of defence, not control flow.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", slog.String("path", r.URL.Path), slog.Any("panic", v))
				WriteError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
