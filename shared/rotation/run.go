package rotation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
)

// run is one rotation of one secret.
type run struct {
	deps  *Deps
	kv    Vault
	name  string
	scope string
	dry   bool
	res   *Result
	lease *lease
}

func newRun(deps *Deps, kv Vault, name string, dry bool) *run {
	return &run{
		deps:  deps,
		kv:    kv,
		name:  name,
		scope: scopeOf(kv.URL(), name),
		dry:   dry,
		res:   &Result{Secret: name, Vault: kv.URL(), DryRun: dry, Removed: []Removal{}, Steps: []string{}},
	}
}

func (r *run) now() time.Time { return r.deps.Clock.Now() }

// step runs the crash hook before step s and records it.
func (r *run) step(ctx context.Context, s Step) error {
	if h := r.deps.Hooks.BeforeStep; h != nil {
		if err := h(ctx, s); err != nil {
			return &abortError{step: s, err: err}
		}
	}
	r.res.Steps = append(r.res.Steps, string(s))
	return nil
}

// audit writes one audit line. target names what changed (secret, app/keyId,
// user); detail never holds a value.
func (r *run) audit(ctx context.Context, action, target, outcome, detail string) {
	r.deps.Audit.Record(ctx, audit.Entry{
		Action:  "credentials." + action,
		Target:  target,
		Outcome: outcome,
		DryRun:  r.dry,
		Detail:  detail,
	})
}

func (r *run) target() string { return r.kv.URL() + "/secrets/" + r.name }

func (r *run) debug(ctx context.Context, msg string, attrs ...slog.Attr) {
	attrs = append([]slog.Attr{slog.String("secret", r.name), slog.String("rotationId", r.res.RotationID)}, attrs...)
	r.deps.Log.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// fail records a failed result and returns err wrapped with the secret name.
func (r *run) fail(ctx context.Context, err error) error {
	r.res.Status, r.res.Reason = StatusFailed, describe(err)
	if !IsAbort(err) && ctx.Err() == nil {
		r.audit(ctx, "rotate", r.target(), "failed", r.res.Reason)
	}
	return fmt.Errorf("rotating %s: %w", r.name, err)
}
