package sessions_test

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/sessions"
)

var breakglass = []string{"breakglass01@contoso.com", "breakglass02@contoso.com"}

// env is a dev tenant and the real SDK clients pointed at it.
type env struct {
	dt   *devtenant.Tenant
	fx   *devtenant.Fixture
	a    *app.App
	logs *bytes.Buffer
}

func start(t *testing.T, fx *devtenant.Fixture) *env {
	t.Helper()
	if fx == nil {
		fx = devtenant.Contoso()
	}
	dt, err := devtenant.Start(devtenant.Options{Fixture: fx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	a, err := app.New(s, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{dt: dt, fx: fx, a: a, logs: logs}
}

func (e *env) deps() sessions.Deps {
	return sessions.Deps{Graph: e.a.Graph, Audit: e.a.Audit, Breakglass: breakglass, RetryBase: 5 * time.Millisecond}
}

// revokeCounts is what the dev tenant saw, by UPN (non-zero only).
func (e *env) revokeCounts() map[string]int {
	out := map[string]int{}
	for _, u := range e.fx.Users {
		if st, ok := e.dt.User(u.UserPrincipalName); ok && st.RevokeCount > 0 {
			out[strings.ToLower(u.UserPrincipalName)] = st.RevokeCount
		}
	}
	return out
}

func byStatus(res sessions.Result) map[sessions.Status][]string {
	out := map[sessions.Status][]string{}
	for _, r := range res.Rows {
		out[r.Status] = append(out[r.Status], strings.ToLower(r.User))
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func set(upns ...string) []string {
	out := make([]string, len(upns))
	for i, u := range upns {
		out[i] = strings.ToLower(u)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// transitiveUsers walks the fixture's groups independently of Graph.
func transitiveUsers(fx *devtenant.Fixture, groupName string) []string {
	users := map[string]string{}
	for _, u := range fx.Users {
		users[userID(fx, u.UserPrincipalName)] = u.UserPrincipalName
	}
	groups := map[string]devtenant.Group{}
	var root string
	for _, g := range fx.Groups {
		if g.ID == "" {
			g.ID = devtenant.StableID("group", g.DisplayName)
		}
		groups[g.ID] = g
		if g.DisplayName == groupName {
			root = g.ID
		}
	}
	var out []string
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		if upn, ok := users[id]; ok {
			out = append(out, upn)
			return
		}
		for _, m := range groups[id].Members {
			walk(m)
		}
	}
	walk(root)
	return set(out...)
}

func without(all []string, drop ...string) []string {
	d := set(drop...)
	return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return slices.Contains(d, s) })
}

func TestTargetSets(t *testing.T) {
	guest := "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	tests := []struct {
		name string
		// setup adjusts the fixture; req builds the request from it.
		setup   func(fx *devtenant.Fixture)
		req     func(fx *devtenant.Fixture) sessions.Request
		revoked func(fx *devtenant.Fixture) []string
		skipped func(fx *devtenant.Fixture) []string
		failed  []string
	}{
		{
			name: "nested group with a guest and a break-glass account",
			setup: func(fx *devtenant.Fixture) {
				for i, g := range fx.Groups {
					if g.DisplayName == "Ops Engineers" {
						fx.Groups[i].Members = append(fx.Groups[i].Members, userID(fx, guest), userID(fx, "breakglass01@contoso.com"))
					}
				}
			},
			req: func(*devtenant.Fixture) sessions.Request {
				return sessions.Request{Group: "Operations", Reason: "test"}
			},
			revoked: func(fx *devtenant.Fixture) []string {
				return without(transitiveUsers(fx, "Operations"), guest, "breakglass01@contoso.com")
			},
			skipped: func(*devtenant.Fixture) []string { return set(guest, "breakglass01@contoso.com") },
		},
		{
			name: "users file: CSV with duplicates, an object id and an unknown user",
			req: func(fx *devtenant.Fixture) sessions.Request {
				csv := "DisplayName,UserPrincipalName\nAdele,adele.vance@contoso.com\nAdele again,ADELE.VANCE@contoso.com\nById," + userID(fx, "adele.vance@contoso.com") +
					"\nAlex,alex.wilber@contoso.com\nGhost,ghost@contoso.com\nGuest," + guest + "\n"
				users, err := sessions.ParseUserList(strings.NewReader(csv))
				if err != nil {
					panic(err)
				}
				return sessions.Request{Users: users}
			},
			revoked: func(*devtenant.Fixture) []string { return set("adele.vance@contoso.com", "alex.wilber@contoso.com") },
			skipped: func(*devtenant.Fixture) []string { return set(guest) },
			failed:  set("ghost@contoso.com"),
		},
		{
			name: "per-user MFA enabled but not registered",
			req: func(*devtenant.Fixture) sessions.Request {
				return sessions.Request{MFAState: sessions.MFAStateEnabledUnregistered}
			},
			revoked: func(fx *devtenant.Fixture) []string {
				var out []string
				for _, u := range fx.Users {
					if u.PerUserMFAState == devtenant.MFAEnabled && !u.MFARegistered() && u.AccountEnabled && u.UserType == "Member" &&
						!slices.Contains(breakglass, strings.ToLower(u.UserPrincipalName)) {
						out = append(out, u.UserPrincipalName)
					}
				}
				return set(out...)
			},
		},
		{
			name: "all enabled members, break-glass skipped",
			req: func(*devtenant.Fixture) sessions.Request {
				return sessions.Request{All: true, ConfirmAll: true, Reason: "tenant-wide incident"}
			},
			revoked: func(fx *devtenant.Fixture) []string {
				var out []string
				for _, u := range fx.Users {
					if u.AccountEnabled && u.UserType == "Member" {
						out = append(out, u.UserPrincipalName)
					}
				}
				return without(set(out...), breakglass...)
			},
			skipped: func(*devtenant.Fixture) []string { return set(breakglass...) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := devtenant.Contoso()
			if tt.setup != nil {
				tt.setup(fx)
			}
			e := start(t, fx)
			wantRevoked := tt.revoked(fx)
			if len(wantRevoked) == 0 {
				t.Fatal("test fixture selects nobody")
			}
			var wantSkipped []string
			if tt.skipped != nil {
				wantSkipped = tt.skipped(fx)
			}

			// Dry run first: the same set, nothing changed.
			dry := tt.req(fx)
			dry.DryRun = true
			res, err := sessions.Run(context.Background(), e.deps(), dry)
			if err != nil {
				t.Fatal(err)
			}
			if got := byStatus(res)[sessions.StatusWouldRevoke]; !slices.Equal(got, wantRevoked) {
				t.Fatalf("dry run would revoke\n %v\nwant\n %v", got, wantRevoked)
			}
			if n := len(e.revokeCounts()); n != 0 {
				t.Fatalf("dry run revoked %d users", n)
			}

			res, err = sessions.Run(context.Background(), e.deps(), tt.req(fx))
			if err != nil {
				t.Fatal(err)
			}
			st := byStatus(res)
			if !slices.Equal(st[sessions.StatusRevoked], wantRevoked) {
				t.Fatalf("revoked\n %v\nwant\n %v", st[sessions.StatusRevoked], wantRevoked)
			}
			if !slices.Equal(st[sessions.StatusSkipped], wantSkipped) {
				t.Fatalf("skipped %v, want %v", st[sessions.StatusSkipped], wantSkipped)
			}
			if !slices.Equal(st[sessions.StatusFailed], tt.failed) {
				t.Fatalf("failed %v, want %v", st[sessions.StatusFailed], tt.failed)
			}
			seen := e.revokeCounts()
			if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, wantRevoked) {
				t.Fatalf("dev tenant saw revocations of\n %v\nwant\n %v", got, wantRevoked)
			}
			for upn, n := range seen {
				if n != 1 {
					t.Fatalf("%s revoked %d times", upn, n)
				}
			}
			if n := strings.Count(e.logs.String(), `"action":"sessions.revoke"`); n < len(wantRevoked) {
				t.Fatalf("%d audit lines for %d revocations", n, len(wantRevoked))
			}
		})
	}
}

// userID is the object id the dev tenant gives a fixture user.
func userID(fx *devtenant.Fixture, upn string) string {
	for _, u := range fx.Users {
		if strings.EqualFold(u.UserPrincipalName, upn) {
			if u.ID != "" {
				return u.ID
			}
			return devtenant.StableID("user", strings.ToLower(upn))
		}
	}
	panic("no user " + upn)
}

// fastBudgets scales the documented write budget 50x faster (same shape:
// a full bucket of 3,000, then a steady refill) so tests run in seconds.
func fastBudgets(e *env) []sessions.Budget {
	l := devtenant.DefaultThrottleLimits(len(e.fx.Users))
	l.AppTenantWritesWindow /= 50
	l.TenantWritesWindow /= 50
	l.DirectoryRUWindow /= 50
	l.ReportsWindow /= 50
	e.dt.SetThrottleLimits(l)
	return []sessions.Budget{{Count: l.AppTenantWrites, Window: l.AppTenantWritesWindow}, {Count: l.TenantWrites, Window: l.TenantWritesWindow}}
}

func enabledMembers(fx *devtenant.Fixture) []string {
	var out []string
	for _, u := range fx.Users {
		if u.AccountEnabled && u.UserType == "Member" && !slices.Contains(breakglass, strings.ToLower(u.UserPrincipalName)) {
			out = append(out, u.UserPrincipalName)
		}
	}
	return set(out...)
}

// TestFaultsRevokeEveryTargetExactlyOnce: 30 % of revocations answered 429
// with Retry-After, 5 % 5xx, and a dropped connection — every target is
// revoked exactly once as the dev tenant sees it, and every one is reported.
func TestFaultsRevokeEveryTargetExactlyOnce(t *testing.T) {
	e := start(t, devtenant.GenerateLarge(5000))
	deps := e.deps()
	deps.WriteBudgets = fastBudgets(e)
	want := enabledMembers(e.fx)
	if len(want) < 4000 {
		t.Fatalf("fixture has only %d enabled members", len(want))
	}
	e.dt.AddFaultRule(devtenant.FaultRule{Match: "POST /**/revokeSignInSessions", Rate: 0.30, Seed: 1, Fault: devtenant.Fault{Status: 429, RetryAfter: "0.05"}})
	e.dt.AddFaultRule(devtenant.FaultRule{Match: "POST /**/revokeSignInSessions", Rate: 0.05, Seed: 2, Fault: devtenant.Fault{Status: 503}})
	e.dt.AddFaultRule(devtenant.FaultRule{Match: "POST /v1.0/$batch", Script: []devtenant.Fault{{}, {}, {}, {Drop: true}}})

	res, err := sessions.Run(context.Background(), deps, sessions.Request{All: true, ConfirmAll: true, Reason: "fault drill"})
	if err != nil {
		t.Fatal(err)
	}
	st := byStatus(res)
	if len(st[sessions.StatusFailed]) != 0 || res.Continuation != "" {
		t.Fatalf("%d failed, continuation %q: %v", len(st[sessions.StatusFailed]), res.Continuation, st[sessions.StatusFailed][:min(5, len(st[sessions.StatusFailed]))])
	}
	if !slices.Equal(st[sessions.StatusRevoked], want) {
		t.Fatalf("reported %d revoked, want %d", len(st[sessions.StatusRevoked]), len(want))
	}
	seen := e.revokeCounts()
	if len(seen) != len(want) {
		t.Fatalf("dev tenant saw %d users revoked, want %d", len(seen), len(want))
	}
	retried := 0
	for _, r := range res.Rows {
		if n := seen[strings.ToLower(r.User)]; r.Status == sessions.StatusRevoked && n != 1 {
			t.Fatalf("%s revoked %d times", r.User, n)
		}
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried < len(want)/5 {
		t.Fatalf("only %d rows needed a retry: were the faults injected?", retried)
	}
	t.Logf("%d users revoked once each; %d needed more than one attempt", len(want), retried)
}

// TestContinuation cuts runs short (by target count, then by deadline with
// requests in flight) and resumes with the token until done.
func TestContinuation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(*sessions.Request) (context.Context, context.CancelFunc)
	}{
		{"max targets", func(r *sessions.Request) (context.Context, context.CancelFunc) {
			r.MaxTargets = 70
			return context.WithCancel(context.Background())
		}},
		{"deadline", func(r *sessions.Request) (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 400*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, devtenant.GenerateLarge(400))
			deps := e.deps()
			deps.WriteBudgets = fastBudgets(e)
			deps.Concurrency = 2
			// Slow revocations so the deadline falls with batches in flight.
			e.dt.SetLatency("POST /v1.0/$batch", 60*time.Millisecond)
			e.dt.AddFaultRule(devtenant.FaultRule{Match: "POST /**/revokeSignInSessions", Rate: 0.2, Seed: 3, Fault: devtenant.Fault{Status: 429, RetryAfter: "0.03"}})
			want := enabledMembers(e.fx)

			var revoked []string
			req := sessions.Request{All: true, ConfirmAll: true, Reason: "continuation"}
			calls := 0
			for {
				calls++
				if calls > 50 {
					t.Fatal("no progress after 50 calls")
				}
				ctx, cancel := tc.cut(&req)
				res, err := sessions.Run(ctx, deps, req)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if res.Summary.Failed != 0 {
					t.Fatalf("call %d: %d failed", calls, res.Summary.Failed)
				}
				revoked = append(revoked, byStatus(res)[sessions.StatusRevoked]...)
				if res.Continuation == "" {
					break
				}
				if res.Stopped == "" || res.Summary.Remaining == 0 {
					t.Fatalf("continuation without a reason or remaining count: %+v", res.Summary)
				}
				req.Continuation = res.Continuation
			}
			if calls < 3 {
				t.Fatalf("finished in %d calls: the cut never happened", calls)
			}
			slices.Sort(revoked)
			if !slices.Equal(revoked, want) {
				t.Fatalf("reported %d revoked over %d calls (dupes or gaps), want %d", len(revoked), calls, len(want))
			}
			for upn, n := range e.revokeCounts() {
				if n != 1 {
					t.Fatalf("%s revoked %d times", upn, n)
				}
			}
			t.Logf("%d users in %d calls, each revoked once", len(want), calls)
		})
	}
}
