package rotation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/vault"
)

var (
	faultSchedules = flag.Int("fault-schedules", 500, "randomized fault schedules in TestFaultInjection")
	faultSeed      = flag.Uint64("fault-seed", 20261122, "seed of TestFaultInjection")
)

// Faults the transport injects into one request.
type faultKind int

// faultyRuns per schedule, each with its own random faults, before the clean run.
const faultyRuns = 3

const (
	faultRefused faultKind = iota // never sent (connection refused / reset before writing)
	faultLost                     // sent and applied, answer lost
	faultStatus                   // a 5xx/429 answer without reaching the service
	faultTimeout                  // never sent; the client sees a timeout
	faultCrash                    // the process dies here: the run's context is cancelled
	numFaultKinds
)

func (k faultKind) String() string {
	return [...]string{"refused", "lost", "status", "timeout", "crash"}[k]
}

type plannedFault struct {
	at     int
	kind   faultKind
	status int
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "injected: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errInjected = errors.New("injected: connection reset by peer")

// faultTransport injects a schedule of faults into the n-th requests of a
// run, records every secret value that crosses the wire (so the test can
// scan logs, results and errors for them), and checks the removal invariant
// at the moment a removePassword is sent.
type faultTransport struct {
	base   http.RoundTripper
	cancel context.CancelFunc
	inv    *invariants

	mu     sync.Mutex
	n      int
	faults []plannedFault
	fired  []string
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	f.inv.captureRequest(req, body)
	f.mu.Lock()
	i := f.n
	f.n++
	var pf *plannedFault
	for j := range f.faults {
		if f.faults[j].at == i {
			pf = &f.faults[j]
		}
	}
	if pf != nil {
		f.fired = append(f.fired, fmt.Sprintf("%s@%d %s %s", pf.kind, i, req.Method, req.URL.Path))
	}
	f.mu.Unlock()
	if pf != nil {
		switch pf.kind {
		case faultRefused:
			return nil, errInjected
		case faultTimeout:
			return nil, timeoutError{}
		case faultCrash:
			f.cancel()
			return nil, context.Canceled
		case faultStatus:
			return synthetic(req, pf.status), nil
		}
	}
	f.inv.beforeSend(req, body)
	resp, err := f.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	f.inv.captureResponse(req, rb)
	f.inv.afterSend(req)
	if pf != nil && pf.kind == faultLost {
		return nil, errInjected
	}
	return resp, nil
}

// synthetic answers like the service would under load: Graph's error body,
// Key Vault's, or Entra's; Retry-After 0 keeps retries instant.
func synthetic(req *http.Request, status int) *http.Response {
	var body string
	switch {
	case strings.HasPrefix(req.URL.Host, "login."):
		body = `{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred. Please try again.","error_codes":[90033]}`
	case strings.HasPrefix(req.URL.Host, "graph."):
		body = fmt.Sprintf(`{"error":{"code":"%s","message":"injected","innerError":{"request-id":"00000000-0000-0000-0000-000000000000"}}}`, http.StatusText(status))
	default:
		body = `{"error":{"code":"ServiceUnavailable","message":"injected"}}`
	}
	h := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}}
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// invariants watches one dev tenant.
type invariants struct {
	e     *testEnv
	grace time.Duration

	mu         sync.Mutex
	secrets    map[string]bool // every secret value seen on the wire
	violations []string
	// the schedule under test
	name, scope, upn string
	removals         int
}

func (v *invariants) violate(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.violations) < 50 {
		v.violations = append(v.violations, fmt.Sprintf(format, args...))
	}
}

func (v *invariants) keep(s string) {
	if s == "" {
		return
	}
	v.mu.Lock()
	v.secrets[s] = true
	v.mu.Unlock()
}

func isLeasePath(p string) bool { return strings.Contains(p, LeaseSuffix) }

func (v *invariants) captureRequest(req *http.Request, body []byte) {
	switch {
	case req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/secrets/") && !isLeasePath(req.URL.Path):
		var b struct{ Value string }
		_ = json.Unmarshal(body, &b)
		v.keep(b.Value)
	case req.Method == http.MethodPatch && strings.Contains(req.URL.Path, "/users/"):
		var b struct {
			PasswordProfile struct{ Password string } `json:"passwordProfile"`
		}
		_ = json.Unmarshal(body, &b)
		v.keep(b.PasswordProfile.Password)
	}
}

func (v *invariants) captureResponse(req *http.Request, body []byte) {
	switch {
	case strings.HasSuffix(req.URL.Path, "/addPassword"):
		var b struct{ SecretText string }
		_ = json.Unmarshal(body, &b)
		v.keep(b.SecretText)
	case req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/secrets/") && !isLeasePath(req.URL.Path):
		var b struct{ Value string }
		_ = json.Unmarshal(body, &b)
		v.keep(b.Value)
	}
}

// beforeSend checks, as a removePassword leaves, that the credential is
// ours, for this secret, and that no Key Vault version younger than the
// grace period references it.
func (v *invariants) beforeSend(req *http.Request, body []byte) {
	if !strings.HasSuffix(req.URL.Path, "/removePassword") {
		return
	}
	var b struct{ KeyID string }
	_ = json.Unmarshal(body, &b)
	v.mu.Lock()
	name, scope := v.name, v.scope
	v.removals++
	v.mu.Unlock()
	now := v.e.dt.Now()
	for _, c := range v.e.dt.ClientSecrets(devtenant.WorkflowEngineAppID) {
		if c.KeyID == b.KeyID {
			if _, ours := ownedBy(c.DisplayName, scope); !ours {
				v.violate("%s: removing credential %s (%q), which is not this secret's", name, c.KeyID, c.DisplayName)
			}
		}
	}
	s, ok := v.e.dt.VaultSecret("contoso-ops", name)
	if !ok {
		return
	}
	for i, ver := range s.Versions {
		if !strings.EqualFold(ver.Tags[TagKeyID], b.KeyID) {
			continue
		}
		if i == len(s.Versions)-1 {
			v.violate("%s: removing credential %s held by the latest version", name, b.KeyID)
		} else if now.Sub(ver.Created) < v.grace {
			v.violate("%s: removing credential %s held by version %s created %s ago (grace %s)", name, b.KeyID, ver.Version, now.Sub(ver.Created), v.grace)
		}
	}
}

// afterSend checks the password invariant after every write: the account's
// password is always one Key Vault holds.
func (v *invariants) afterSend(req *http.Request) {
	if req.Method == http.MethodGet {
		return
	}
	v.mu.Lock()
	name, upn := v.name, v.upn
	v.mu.Unlock()
	if upn != "" {
		v.checkPassword(name, upn, req.Method+" "+req.URL.Path)
	}
}

func (v *invariants) kvValues(name string) []string {
	var out []string
	for _, n := range []string{name, name + PendingSuffix} {
		s, ok := v.e.dt.VaultSecret("contoso-ops", n)
		if !ok || s.Deleted {
			continue
		}
		for _, ver := range s.Versions {
			out = append(out, ver.Value)
		}
	}
	return out
}

func (v *invariants) checkPassword(name, upn, when string) {
	for _, val := range v.kvValues(name) {
		if v.e.dt.CheckUserPassword(upn, val) {
			return
		}
	}
	v.violate("%s: after %s the password of %s is in no Key Vault secret", name, when, upn)
}

func (v *invariants) checkLatestWorks(name, when string) {
	s, ok := v.e.dt.VaultSecret("contoso-ops", name)
	if !ok || s.Deleted || len(s.Versions) == 0 {
		v.violate("%s: %s: the secret is gone", name, when)
		return
	}
	if _, ok := v.e.dt.ClientSecretValid(devtenant.WorkflowEngineAppID, s.Versions[len(s.Versions)-1].Value); !ok {
		v.violate("%s: %s: the latest version does not authenticate", name, when)
	}
}

// checkNoOrphan: after a clean run every credential of this secret's scope
// is held by some version.
func (v *invariants) checkNoOrphan(name, scope string) {
	s, _ := v.e.dt.VaultSecret("contoso-ops", name)
	held := map[string]bool{}
	for _, ver := range s.Versions {
		held[strings.ToLower(ver.Tags[TagKeyID])] = true
	}
	for _, c := range v.e.dt.ClientSecrets(devtenant.WorkflowEngineAppID) {
		if _, ours := ownedBy(c.DisplayName, scope); ours && !held[strings.ToLower(c.KeyID)] {
			v.violate("%s: orphan %s (%q) survived the clean run", name, c.KeyID, c.DisplayName)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection: long")
	}
	// Schedules span years of fake time: keep the admin app's own secret valid.
	e := newTestEnv(t, func(fx *devtenant.Fixture) {
		for i := range fx.Apps {
			if fx.Apps[i].AppID == devtenant.AdminClientID {
				fx.Apps[i].Passwords[0].End = fx.Apps[i].Passwords[0].End.AddDate(50, 0, 0)
			}
		}
	})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(*faultSeed, 1))
	inv := &invariants{e: e, grace: DefaultGrace, secrets: map[string]bool{}}
	password := devtenant.SvcSharePointPassword
	inv.keep(password)
	inv.keep(devtenant.WorkflowEngineSecret)

	var captured []string // every error and result of every run
	stats := map[string]int{}
	steps := []Step{StepLease, StepCleanup, StepRemovePassword, StepAddPassword, StepTest, StepPublish, StepVerify,
		StepWritePending, StepSetPassword, StepWriteMain, StepDeletePending, StepReleaseLease}
	start := time.Now()
	for i := 0; i < *faultSchedules; i++ {
		isApp := i%2 == 0
		name := fmt.Sprintf("fi-pw-%d", i)
		if isApp {
			name = fmt.Sprintf("fi-app-%d", i)
		}
		scope := scopeOf(devtenant.VaultURL, name)
		// Fresh admin clients: their tokens expire by the fake clock.
		clean := e.deps(nil, Hooks{})
		kv := clean.Vault
		// A fresh hand-made secret per schedule keeps listings short.
		tags := map[string]string{TagKind: KindUserPassword, TagUser: devtenant.SvcSharePointUPN, TagAppID: devtenant.SharePointSyncAppID}
		value := password
		if isApp {
			keyID, secret, err := e.dt.AddClientSecret(devtenant.WorkflowEngineAppID, "hand-made "+name, 100*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			inv.keep(secret)
			value = secret
			tags = map[string]string{TagKind: KindAppSecret, TagAppID: devtenant.WorkflowEngineAppID}
			if rng.IntN(2) == 0 {
				tags[TagKeyID] = keyID // adopted
			}
		}
		if _, err := kv.SetSecret(ctx, name, vault.SetParams{Value: value, ContentType: "text/plain", Tags: tags}); err != nil {
			t.Fatal(err)
		}
		inv.mu.Lock()
		inv.name, inv.scope, inv.upn = name, scope, ""
		if !isApp {
			inv.upn = devtenant.SvcSharePointUPN
		}
		inv.mu.Unlock()

		// Faulty runs, time passing in between (often past the grace).
		for run := 0; run < faultyRuns; run++ {
			runCtx, cancel := context.WithCancel(ctx)
			ft := &faultTransport{base: e.base, cancel: cancel, inv: inv}
			for n := 1 + rng.IntN(3); n > 0; n-- {
				k := faultKind(rng.IntN(int(numFaultKinds)))
				ft.faults = append(ft.faults, plannedFault{at: rng.IntN(32), kind: k, status: []int{500, 502, 503, 504, 429}[rng.IntN(5)]})
			}
			hooks := Hooks{}
			if rng.IntN(3) == 0 { // crash between two steps
				crashAt, seen := steps[rng.IntN(len(steps))], 0
				nth := rng.IntN(2)
				hooks.BeforeStep = func(_ context.Context, s Step) error {
					if s == crashAt {
						if seen == nth {
							return errors.New("injected crash")
						}
						seen++
					}
					return nil
				}
			}
			d := e.deps(ft, hooks)
			var res Result
			var err error
			if run > 0 && rng.IntN(3) == 0 {
				_ = d.check()
				res, err = rotateOne(runCtx, &d, d.Vault, name, false, false) // a timer pass that only cleans up
			} else {
				res, err = Rotate(runCtx, d, Request{Secret: name})
			}
			cancel()
			b, _ := json.Marshal(res)
			captured = append(captured, string(b))
			if err != nil {
				captured = append(captured, err.Error())
				stats["faulty run failed"]++
			} else {
				stats["faulty run "+string(res.Status)]++
			}
			for _, f := range ft.fired {
				stats["fault "+strings.SplitN(f, "@", 2)[0]]++
				stats["fault on "+faultTarget(f)]++
			}
			stats[fmt.Sprintf("requests per run ~%d", ft.n/10*10)]++
			if isApp {
				inv.checkLatestWorks(name, "after a faulty run")
			} else {
				inv.checkPassword(name, devtenant.SvcSharePointUPN, "a faulty run")
			}
			switch rng.IntN(5) {
			case 0, 1:
				e.clk.Advance(DefaultGrace + time.Duration(rng.IntN(120))*time.Minute)
			default:
				e.clk.Advance(time.Duration(rng.IntN(180)) * time.Minute)
			}
		}
		// Past any crashed lease and the orphan grace, then one clean run.
		e.clk.Advance(DefaultLeaseTTL + DefaultOrphanGrace)
		res, err := Rotate(ctx, e.deps(&faultTransport{base: e.base, cancel: func() {}, inv: inv}, Hooks{}), Request{Secret: name})
		b, _ := json.Marshal(res)
		captured = append(captured, string(b))
		if err != nil || (res.Status != StatusRotated && res.Status != StatusCompleted) {
			t.Fatalf("schedule %d: clean run: %v %+v\n%s", i, err, res, tail(e.logs.String(), 4000))
		}
		if isApp {
			inv.checkLatestWorks(name, "after the clean run")
			inv.checkNoOrphan(name, scope)
		} else {
			inv.checkPassword(name, devtenant.SvcSharePointUPN, "the clean run")
			if p, ok := e.dt.VaultSecret("contoso-ops", name+PendingSuffix); ok && !p.Deleted {
				inv.violate("%s: companion left after the clean run", name)
			}
			if !e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, e.latest(name).Value) {
				inv.violate("%s: after the clean run the password is not the latest version", name)
			}
			password = e.latest(name).Value
		}
		if len(inv.violations) > 0 {
			t.Fatalf("schedule %d (seed %d): invariants violated:\n%s", i, *faultSeed, strings.Join(inv.violations, "\n"))
		}
		// Housekeeping: drop this schedule's credentials so the app stays small.
		if isApp {
			g := e.deps(nil, Hooks{}).Apps.(*graph.Client)
			for _, c := range e.dt.ClientSecrets(devtenant.WorkflowEngineAppID) {
				if _, ours := ownedBy(c.DisplayName, scope); ours || c.DisplayName == "hand-made "+name {
					if err := g.RemoveApplicationPassword(ctx, devtenant.StableID("application", devtenant.WorkflowEngineAppID), c.KeyID, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	elapsed := time.Since(start)

	// Nothing the rotations logged, returned or failed with holds a secret.
	haystack := e.logs.String() + strings.Join(captured, "\n")
	inv.mu.Lock()
	values := make([]string, 0, len(inv.secrets))
	for s := range inv.secrets {
		values = append(values, s)
	}
	inv.mu.Unlock()
	for _, s := range values {
		if strings.Contains(haystack, s) {
			t.Fatalf("a secret value leaked into logs, results or errors (hint %q)", s[:3])
		}
	}
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %s: %d\n", k, stats[k])
	}
	t.Logf("%d fault schedules (%d faulty runs + %d clean runs, %d removals checked, %d secret values scanned) in %s\n%s",
		*faultSchedules, faultyRuns**faultSchedules, *faultSchedules, inv.removals, len(values), elapsed.Round(time.Millisecond), sb.String())
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// faultTarget names the call a fault hit, e.g. "POST graph addPassword".
func faultTarget(fired string) string {
	f := strings.Fields(fired)
	if len(f) < 3 {
		return fired
	}
	p := f[2]
	switch {
	case strings.Contains(p, "/oauth2/"), strings.Contains(p, "discovery"), strings.Contains(p, "openid"):
		return "entra"
	case strings.Contains(p, LeaseSuffix):
		return f[1] + " vault lease"
	case strings.Contains(p, PendingSuffix):
		return f[1] + " vault pending"
	case strings.Contains(p, "/secrets"):
		return f[1] + " vault secret"
	case strings.Contains(p, "/v1.0/"):
		parts := strings.Split(p, "/")
		return f[1] + " graph " + parts[len(parts)-1]
	}
	return f[1] + " " + p
}
