// Package lambdatest is a fake AWS Lambda Runtime API (2018-06-01) for tests
// and benchmarks: point a bootstrap binary's AWS_LAMBDA_RUNTIME_API at it
// and Invoke events as the Lambda service would.
package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is what the function answered to one invocation.
type Result struct {
	Payload []byte // body of /response, or of /error
	IsError bool   // answered through /invocation/{id}/error
	Type    string // Lambda-Runtime-Function-Error-Type header for errors
}

// Runtime is a fake Runtime API server.
type Runtime struct {
	srv     *httptest.Server
	queue   chan invocation
	mu      sync.Mutex
	pending map[string]chan Result
	polled  chan struct{} // closed at the first GET next
	once    sync.Once
	seq     int
	// Timeout is the deadline given to each invocation (default 30 s).
	Timeout time.Duration
}

type invocation struct {
	id      string
	payload []byte
}

// NewRuntime starts a fake Runtime API on loopback.
func NewRuntime() *Runtime {
	rt := &Runtime{queue: make(chan invocation), pending: map[string]chan Result{}, polled: make(chan struct{}), Timeout: 30 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", rt.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", rt.answer(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", rt.answer(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	rt.srv = httptest.NewServer(mux)
	return rt
}

// Addr is the AWS_LAMBDA_RUNTIME_API value (host:port, no scheme).
func (rt *Runtime) Addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// Ready is closed when the function first asks for an invocation.
func (rt *Runtime) Ready() <-chan struct{} { return rt.polled }

// Close stops the server (a blocked next call gets an error).
func (rt *Runtime) Close() { rt.srv.CloseClientConnections(); rt.srv.Close() }

// Invoke delivers payload to the function and waits for its answer.
func (rt *Runtime) Invoke(ctx context.Context, payload []byte) (Result, error) {
	rt.mu.Lock()
	rt.seq++
	id := fmt.Sprintf("req-%04d", rt.seq)
	ch := make(chan Result, 1)
	rt.pending[id] = ch
	rt.mu.Unlock()
	select {
	case rt.queue <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("function never asked for invocation %s: %w", id, ctx.Err())
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("no answer to invocation %s: %w", id, ctx.Err())
	}
}

func (rt *Runtime) next(w http.ResponseWriter, r *http.Request) {
	rt.once.Do(func() { close(rt.polled) })
	select {
	case inv := <-rt.queue:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(rt.Timeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:tenantops")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f1c3;Parent=1;Sampled=0")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (rt *Runtime) answer(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rt.mu.Lock()
		ch, ok := rt.pending[id]
		delete(rt.pending, id)
		rt.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`))
			return
		}
		ch <- Result{Payload: body, IsError: isErr, Type: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
		w.WriteHeader(http.StatusAccepted)
	}
}

// ErrNotReady is returned by WaitReady when the function never polled.
var ErrNotReady = errors.New("lambdatest: function did not poll the Runtime API")

// WaitReady waits until the function polls for its first invocation.
func (rt *Runtime) WaitReady(ctx context.Context) error {
	select {
	case <-rt.polled:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrNotReady, ctx.Err())
	}
}
