// Package azure adapts tenantops to the Azure Functions custom handler
// protocol: readiness on GET /, forwarded HTTP requests at /api/..., and host
// envelopes (timer, Event Grid) at POST /{FunctionName}.
package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tenantops/tenantops/shared/httpapi"
)

// InvokeRequest is the host's envelope for non-forwarded invocations.
type InvokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// InvokeResponse is what the host expects back (always with HTTP 200:
// any other status fails the invocation and triggers host retries).
type InvokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// Function handles one envelope function (timer, Event Grid).
type Function func(ctx context.Context, req InvokeRequest) (InvokeResponse, error)

// NewHandler serves api at /api/ and the envelope functions at /{name}.
func NewHandler(api http.Handler, functions map[string]Function, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", withInvocation(log, api))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("POST /{function}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("function")
		fn, ok := lookup(functions, name)
		if !ok {
			httpapi.WriteError(w, http.StatusNotFound, "unknownFunction", fmt.Sprintf("no function %q in this handler", name))
			return
		}
		var req InvokeRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, httpapi.MaxBody))
		if err := dec.Decode(&req); err != nil {
			// The host itself sent this; a 400 surfaces as a failed invocation.
			httpapi.WriteError(w, http.StatusBadRequest, "invalidEnvelope", "invalid invocation envelope: "+err.Error())
			return
		}
		ctx := r.Context()
		id := r.Header.Get("X-Azure-Functions-InvocationId")
		resp, err := fn(ctx, req)
		if resp.Outputs == nil {
			resp.Outputs = map[string]any{}
		}
		if resp.Logs == nil {
			resp.Logs = []string{}
		}
		if err != nil {
			log.ErrorContext(ctx, "function failed", slog.String("function", name), slog.String("invocationId", id), slog.String("error", err.Error()))
			// A non-2xx answer makes the host record a failure (and apply its retry policy).
			httpapi.WriteJSON(w, http.StatusInternalServerError, resp)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, resp)
	})
	return mux
}

func lookup(functions map[string]Function, name string) (Function, bool) {
	for k, fn := range functions {
		if strings.EqualFold(k, name) {
			return fn, true
		}
	}
	return nil, false
}

// withInvocation logs the host's invocation id beside each forwarded request.
func withInvocation(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Azure-Functions-InvocationId"); id != "" {
			log.InfoContext(r.Context(), "invocation", slog.String("invocationId", id), slog.String("method", r.Method), slog.String("path", r.URL.Path))
		}
		next.ServeHTTP(w, r)
	})
}
