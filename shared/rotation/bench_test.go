package rotation

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRotate measures one full rotation against the in-process dev
// tenant (fresh clients each time, as a timer invocation would have).
func BenchmarkRotate(b *testing.B) {
	for _, name := range []string{appSecretName, passwordName} {
		b.Run(name, func(b *testing.B) {
			e := newTestEnv(b, nil)
			ctx := context.Background()
			for b.Loop() {
				res, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: name})
				if err != nil || res.Status != StatusRotated {
					b.Fatalf("%v %+v", err, res)
				}
				e.clk.Advance(time.Hour)
			}
		})
	}
}

// BenchmarkPlanCleanup measures the cleanup decision for an app with many
// credentials and a long version history.
func BenchmarkPlanCleanup(b *testing.B) {
	e := newTestEnv(b, nil)
	ctx := context.Background()
	for range 20 {
		if _, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: appSecretName}); err != nil {
			b.Fatal(err)
		}
		e.clk.Advance(time.Hour)
	}
	d := e.deps(nil, Hooks{})
	latest, _ := d.Vault.GetSecret(ctx, appSecretName, "")
	versions, _ := d.Vault.Versions(ctx, appSecretName)
	app, _ := d.Apps.GetApplicationByAppID(ctx, latest.Tags[TagAppID], nil)
	scope := scopeOf(d.Vault.URL(), appSecretName)
	now := e.clk.Now().Add(72 * time.Hour)
	for b.Loop() {
		planCleanup(now, scope, latest, versions, app, DefaultGrace, DefaultOrphanGrace)
	}
}
