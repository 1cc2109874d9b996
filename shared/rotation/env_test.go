package rotation

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/vault"
)

// fakeClock is shared by the dev tenant (Options.Now) and the rotation
// (Deps.Clock): sleeping advances it, so a 30 s propagation wait is instant.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep advances the clock. It also yields a sliver of real time (1/200 of
// d, at most 20 ms): two goroutines that pause for different spans then wake
// in that order, as they would on a real clock, instead of in lockstep.
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	time.Sleep(min(d/200, 20*time.Millisecond))
	return nil
}

// fastRetry keeps azcore's retries (Key Vault, token requests) in
// milliseconds, so fault schedules cost no real time.
var fastRetry = policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Millisecond}

// syncBuffer collects log output from concurrent runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	t    testing.TB
	dt   *devtenant.Tenant
	clk  *fakeClock
	base http.RoundTripper
	logs *syncBuffer
}

func newTestEnv(t testing.TB, fx func(*devtenant.Fixture)) *testEnv {
	t.Helper()
	clk := newFakeClock()
	f := devtenant.ContosoAt(clk.Now())
	if fx != nil {
		fx(f)
	}
	dt, err := devtenant.Start(devtenant.Options{Now: clk.Now, Fixture: f})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	// Budgets refill with the fake clock anyway; keep real-time Retry-After sleeps out.
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, dt: dt, clk: clk, base: tr, logs: &syncBuffer{}}
}

// deps builds fresh clients over tr (nil = the plain dev transport). Fresh
// credentials matter: MSAL caches tokens by real time, the tenant expires
// them by the fake clock.
func (e *testEnv) deps(tr http.RoundTripper, hooks Hooks) Deps {
	e.t.Helper()
	if tr == nil {
		tr = e.base
	}
	co := identity.ClientOptions(identity.Dev, tr)
	co.Retry = fastRetry
	cred, err := azidentity.NewClientSecretCredential(devtenant.TenantID, devtenant.AdminClientID, devtenant.AdminClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co})
	if err != nil {
		e.t.Fatal(err)
	}
	g, err := graph.New(cred, graph.Options{Cloud: identity.Dev, Transport: tr, Timeout: 20 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	r := fastRetry
	kv, err := vault.New(devtenant.VaultURL, cred, vault.Options{Cloud: identity.Dev, Transport: tr, Retry: &r})
	if err != nil {
		e.t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return Deps{
		Vault:     kv,
		Apps:      g,
		Users:     g,
		Directory: g,
		Tester:    TokenTester{Cloud: identity.Dev, Transport: tr, Retry: &r},
		Audit:     audit.New(log, devtenant.AdminClientID),
		Log:       log,
		Clock:     e.clk,
		Config: Config{
			TenantID:   devtenant.TenantID,
			Breakglass: []string{"breakglass01@contoso.com", "breakglass02@contoso.com"},
		},
		Hooks: hooks,
	}
}

// latest returns the latest version of a secret in the dev vault.
func (e *testEnv) latest(name string) devtenant.SecretVersionState {
	e.t.Helper()
	s, ok := e.dt.VaultSecret("contoso-ops", name)
	if !ok || len(s.Versions) == 0 {
		e.t.Fatalf("no secret %s", name)
	}
	return s.Versions[len(s.Versions)-1]
}

// secretWorks reports whether Entra accepts secret for appID right now.
func (e *testEnv) secretWorks(appID, secret string) bool {
	r := fastRetry
	err := TokenTester{Cloud: identity.Dev, Transport: e.base, Retry: &r}.TestAppSecret(context.Background(), devtenant.TenantID, appID, secret)
	return err == nil
}

func (e *testEnv) ourSecrets(appID string) []devtenant.CredentialSummary {
	var out []devtenant.CredentialSummary
	for _, c := range e.dt.ClientSecrets(appID) {
		if strings.HasPrefix(c.DisplayName, DisplayNamePrefix) {
			out = append(out, c)
		}
	}
	return out
}
