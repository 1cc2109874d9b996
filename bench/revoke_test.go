package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/sessions"
)

// benchScale compresses the budget windows (BENCH_SCALE=10 runs ten times
// faster with the same shape); 1 = the documented budget.
func benchScale() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("BENCH_SCALE")); err == nil && n > 1 {
		return time.Duration(n)
	}
	return 1
}

func revokeEnv(b *testing.B, users int, latency time.Duration) (*devtenant.Tenant, *app.App, sessions.Deps) {
	b.Helper()
	dt, err := devtenant.Start(devtenant.Options{Fixture: devtenant.GenerateLarge(users)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dt.Close() })
	l := devtenant.DefaultThrottleLimits(dt.UserCount())
	scale := benchScale()
	l.AppTenantWritesWindow /= scale
	l.TenantWritesWindow /= scale
	l.DirectoryRUWindow /= scale
	dt.SetThrottleLimits(l)
	dt.SetLatency("* /**", latency)
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	deps := sessions.Deps{Graph: a.Graph, Audit: a.Audit, Breakglass: s.Breakglass,
		WriteBudgets: []sessions.Budget{{Count: l.AppTenantWrites, Window: l.AppTenantWritesWindow}, {Count: l.TenantWrites, Window: l.TenantWritesWindow}},
		ReadBudget:   &sessions.Budget{Count: l.DirectoryRU, Window: l.DirectoryRUWindow}}
	return dt, a, deps
}

// BenchmarkRevoke10k revokes ~10,000 users on a dev tenant with 50 ms per
// request and the documented write budget (a full bucket of 3,000, then 20
// per second), and reports throughput against the budget's ceiling, the
// share of requests answered 429, and the ratio to a sequential
// one-call-per-user loop (Get-MgUser | Revoke-MgUserSignInSession) measured
// on a sample in the same run.
func BenchmarkRevoke10k(b *testing.B) {
	const latency = 50 * time.Millisecond
	for b.Loop() {
		dt, _, deps := revokeEnv(b, 10600, latency)
		ctx := context.Background()
		start := time.Now()
		res, err := sessions.Run(ctx, deps, sessions.Request{All: true, ConfirmAll: true, Reason: "benchmark"})
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		n := res.Summary.Revoked
		if res.Summary.Failed != 0 || n < 9000 {
			b.Fatalf("revoked %d, failed %d", n, res.Summary.Failed)
		}
		sent := 0
		for _, r := range res.Rows {
			sent += r.Attempts
		}
		l := dt.ThrottleLimits()
		rate := float64(l.AppTenantWrites) / l.AppTenantWritesWindow.Seconds()
		ceilingSeconds := max(0, float64(n-l.AppTenantWrites)) / rate
		achieved := float64(n) / elapsed.Seconds()
		ceiling := float64(n) / ceilingSeconds

		// The PowerShell way, on a fresh tenant: one GET and one POST per user.
		sdt, sa, _ := revokeEnv(b, 10600, latency)
		_ = sdt
		const sample = 200
		sstart := time.Now()
		done := 0
		for _, r := range res.Rows[:min(sample, len(res.Rows))] {
			u, err := sa.Graph.GetUser(ctx, r.User)
			if err != nil {
				b.Fatal(err)
			}
			if err := sa.Graph.RevokeSignInSessions(ctx, u.ID); err != nil {
				b.Fatal(err)
			}
			done++
		}
		seq := float64(done) / time.Since(sstart).Seconds()

		b.ReportMetric(float64(n), "users")
		b.ReportMetric(elapsed.Seconds(), "run-s")
		b.ReportMetric(achieved, "users/s")
		b.ReportMetric(ceiling, "ceiling-users/s")
		b.ReportMetric(100*achieved/ceiling, "%-of-ceiling")
		b.ReportMetric(100*float64(sent-n)/float64(sent), "%-429")
		b.ReportMetric(seq, "sequential-users/s")
		b.ReportMetric(achieved/seq, "x-vs-sequential")
	}
}
