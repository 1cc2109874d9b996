// Package devtenant is an in-memory, stateful emulator of the Microsoft
// endpoints tenantops calls (Entra ID token endpoint, Microsoft Graph v1.0/beta
// subset, Key Vault secrets, SharePoint REST, egress-IP echo services), served
// over TLS with a generated CA and seeded from a Fixture.
//
// One listener serves every host; requests are dispatched on the Host header,
// so clients keep production URLs and reach the dev tenant through
// identity.DevTransport. Requests to 127.0.0.1/localhost under /_devtenant/ are
// the admin API.
//
// Everything here is for development and tests only: the keys and the
// well-known credentials below are public.
package devtenant

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Well-known identifiers of the default ("contoso") fixture.
const (
	TenantID      = "4b6c2f0e-9d3a-4e71-b8a5-2c1f7e9d0a36"
	TenantDomain  = "contoso.com"
	InitialDomain = "contoso.onmicrosoft.com"
	// AdminClientID is the "tenantops admin (dev)" application: it holds every
	// app role tenantops needs.
	AdminClientID = "8a1d4c7e-3f2b-4a69-9e0c-5b7d2e4f6a18"
	// AdminClientSecret is the admin app's client secret. Dev only: it is public.
	AdminClientSecret = "dev-only.tenantops-admin.NOT-A-SECRET~4b6c2f0e"
	VaultURL          = "https://contoso-ops.vault.azure.net"
	DefaultEgressIP   = "203.0.113.10"
	// UntrustedEgressIP is outside every trusted named location of the default fixture.
	UntrustedEgressIP = "198.51.100.7"
	SharePointHost    = "contoso.sharepoint.com"
	OperationsSiteURL = "https://contoso.sharepoint.com/sites/operations"
)

// Options configure Start.
type Options struct {
	Addr     string           // listen address; "" = "127.0.0.1:0"
	Fixture  *Fixture         // nil = ContosoAt(Now())
	EgressIP string           // overrides the fixture's egress IP when non-empty
	Now      func() time.Time // clock; nil = time.Now (tests inject a fake clock)
	Logger   *slog.Logger     // nil = discard
}

// Tenant is a running dev tenant. All methods are safe for concurrent use.
type Tenant struct {
	log    *slog.Logger
	srv    *http.Server
	ln     net.Listener
	url    string
	caPEM  []byte
	signer *rsa.PrivateKey
	kid    string
	closed chan struct{}
	done   chan struct{}

	clockMu sync.Mutex
	nowFn   func() time.Time
	offset  time.Duration

	mu sync.RWMutex // guards st
	st *state

	reqMu    sync.Mutex
	requests []Request
	reqSeq   int64

	faults   *faultTable
	throttle *throttler
}

// Start builds the tenant from the fixture and starts serving TLS before returning.
func Start(opts Options) (*Tenant, error) {
	t := &Tenant{
		log:    opts.Logger,
		nowFn:  opts.Now,
		closed: make(chan struct{}),
		done:   make(chan struct{}),
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.nowFn == nil {
		t.nowFn = time.Now
	}
	fx := opts.Fixture
	if fx == nil {
		fx = ContosoAt(t.Now())
	}
	st, err := newState(fx, t.Now())
	if err != nil {
		return nil, fmt.Errorf("devtenant: loading fixture: %w", err)
	}
	if opts.EgressIP != "" {
		if net.ParseIP(opts.EgressIP) == nil {
			return nil, fmt.Errorf("devtenant: egress IP %q is not an IP address", opts.EgressIP)
		}
		st.egressIP = opts.EgressIP
	}
	st.routes = graphRouteTable()
	t.st = st
	t.faults = newFaultTable()
	t.throttle = newThrottler()

	t.signer, err = parseRSAKey(devKeySigning)
	if err != nil {
		return nil, fmt.Errorf("devtenant: signing key: %w", err)
	}
	t.kid = thumbprintKID(&t.signer.PublicKey)

	caPEM, leaf, err := newTLS(time.Now())
	if err != nil {
		return nil, fmt.Errorf("devtenant: %w", err)
	}
	t.caPEM = caPEM

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devtenant: listen %s: %w", addr, err)
	}
	t.ln = ln
	t.url = "https://" + ln.Addr().String()
	t.srv = &http.Server{
		Handler:           t,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(t.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	go func() {
		defer close(t.done)
		if err := t.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.log.Error("devtenant: serve", "err", err)
		}
	}()
	t.log.Info("devtenant: listening", "url", t.url, "tenant", st.tenantID, "users", len(st.users))
	return t, nil
}

// URL returns the listener URL, e.g. https://127.0.0.1:PORT.
func (t *Tenant) URL() string { return t.url }

// CACertPEM returns the PEM of the CA that signed the tenant's TLS certificate.
func (t *Tenant) CACertPEM() []byte { return append([]byte(nil), t.caPEM...) }

// CertPool returns a pool holding the tenant's CA.
func (t *Tenant) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(t.caPEM)
	return p
}

// TenantID returns the tenant id of the loaded fixture.
func (t *Tenant) TenantID() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.tenantID
}

// Close stops the listener and closes every connection at once, aborting
// in-flight requests (including hung faults). It is safe to call twice.
func (t *Tenant) Close() error {
	select {
	case <-t.closed:
		return nil
	default:
	}
	close(t.closed)
	err := t.srv.Close()
	<-t.done
	if err != nil {
		return fmt.Errorf("devtenant: close: %w", err)
	}
	return nil
}

// Now returns the tenant's clock (Options.Now plus any Advance).
func (t *Tenant) Now() time.Time {
	t.clockMu.Lock()
	defer t.clockMu.Unlock()
	return t.nowFn().Add(t.offset)
}

// Advance moves the tenant clock forward by d (token expiry, throttling
// windows, propagation delays, secret expiry all follow it).
func (t *Tenant) Advance(d time.Duration) {
	t.clockMu.Lock()
	defer t.clockMu.Unlock()
	t.offset += d
}

// ServeHTTP dispatches on the request host.
func (t *Tenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recWriter{ResponseWriter: w, status: 0}
	info := &reqInfo{}
	ctx := context.WithValue(r.Context(), reqInfoKey{}, info)
	r = r.WithContext(ctx)
	host := hostOnly(r.Host)
	svc := serviceFor(host, r.URL.Path)
	info.service = svc
	defer func() {
		rec := recover()
		if rec != nil && rec != http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
			t.log.Error("devtenant: handler panic", "panic", rec, "method", r.Method, "path", r.URL.Path)
			if rw.status == 0 {
				writeJSON(rw, http.StatusInternalServerError, map[string]any{"error": map[string]string{"code": "InternalServerError", "message": fmt.Sprint(rec)}})
			}
		}
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
			status = 0
		}
		t.record(Request{
			Time:     t.Now(),
			Method:   r.Method,
			Host:     host,
			Path:     r.URL.Path,
			Query:    redactQuery(r.URL.RawQuery),
			Service:  svc,
			Status:   status,
			AppID:    info.appID,
			User:     info.user,
			Fault:    info.fault,
			Duration: time.Since(start),
		})
		if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
			panic(rec)
		}
	}()
	// Read the whole request body before answering anything (like the real
	// front doors): an early answer races the client's upload and kiota's
	// retry of the same body reader.
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			writeJSON(rw, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "BadRequest", "message": "reading the request body: " + err.Error()}})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	if svc == "" {
		writeJSON(rw, http.StatusMisdirectedRequest, map[string]any{"error": map[string]string{
			"code": "MisdirectedRequest", "message": fmt.Sprintf("devtenant does not serve host %q", host)}})
		return
	}
	if svc != svcAdmin && t.applyFaults(rw, r, svc) {
		return
	}
	switch svc {
	case svcAdmin:
		t.serveAdmin(rw, r)
	case svcEntra:
		t.serveEntra(rw, r)
	case svcGraph:
		t.serveGraph(rw, r)
	case svcVault:
		t.serveVault(rw, r, strings.SplitN(host, ".", 2)[0])
	case svcSharePoint:
		t.serveSharePoint(rw, r, host)
	case svcEcho:
		t.serveEcho(rw, r)
	}
}

// Services, as recorded in Request.Service.
const (
	svcAdmin      = "admin"
	svcEntra      = "entra"
	svcGraph      = "graph"
	svcVault      = "vault"
	svcSharePoint = "sharepoint"
	svcEcho       = "echo"
)

func serviceFor(host, path string) string {
	switch {
	case host == "login.microsoftonline.com":
		return svcEntra
	case host == "graph.microsoft.com":
		return svcGraph
	case strings.HasSuffix(host, ".vault.azure.net"):
		return svcVault
	case strings.HasSuffix(host, ".sharepoint.com"):
		return svcSharePoint
	case host == "api.ipify.org", host == "api64.ipify.org", host == "checkip.amazonaws.com", host == "ifconfig.me":
		return svcEcho
	case host == "127.0.0.1", host == "localhost", host == "::1":
		// Direct style: loopback requests are routed by path.
		switch {
		case strings.HasPrefix(path, "/_devtenant/"):
			return svcAdmin
		case strings.HasPrefix(path, "/v1.0/"), strings.HasPrefix(path, "/beta/"), path == "/v1.0", path == "/beta":
			return svcGraph
		default:
			return svcEntra
		}
	}
	return ""
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

type reqInfoKey struct{}

// reqInfo collects per-request facts for the request log.
type reqInfo struct {
	service string
	appID   string
	user    string
	fault   string
}

func infoOf(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// recWriter records the status code.
type recWriter struct {
	http.ResponseWriter
	status int
}

func (w *recWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *recWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func parseRSAKey(pemText string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing PKCS#8 key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want RSA", k)
	}
	return rk, nil
}

// newGUID returns a random GUID (request ids, correlation ids).
func newGUID() string {
	var b [16]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
