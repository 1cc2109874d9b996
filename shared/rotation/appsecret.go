package rotation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// rotateApp runs the app-secret protocol: cleanup, addPassword, test,
// publish. latest is the secret's current latest version.
func (r *run) rotateApp(ctx context.Context, latest vault.Secret, rotate bool) error {
	appID := latest.Tags[TagAppID]
	r.res.AppID, r.res.KeyID = appID, strings.ToLower(latest.Tags[TagKeyID])
	if !op.IsGUID(appID) {
		return op.Invalid("invalidTags", "secret", "secret %s has kind app-secret but no valid %s tag", r.name, TagAppID)
	}
	app, err := r.deps.Apps.GetApplicationByAppID(ctx, appID, nil)
	if err != nil {
		return fmt.Errorf("reading the application: %w", err)
	}
	var policy graph.AppManagementPolicy
	if rotate {
		policy, err = r.deps.Apps.GetDefaultAppManagementPolicy(ctx, nil)
		switch {
		case graph.IsForbidden(err):
			// Least-privilege deployments may not grant Policy.Read.All: go on
			// with our lifetime; addPassword refuses one beyond the policy.
			r.debug(ctx, "cannot read the app management policy; using the configured secret lifetime")
		case err != nil:
			return fmt.Errorf("reading the app management policy: %w", err)
		}
		if policy.AdditionBlockedFor(app.Created) {
			return fmt.Errorf("the tenant's app management policy forbids new client secrets for %s; move it to a certificate or federated credential", appID)
		}
	}
	if r.dry {
		if err := r.cleanup(ctx, latest, app); err != nil {
			return err
		}
		r.plannedLifetime(policy, app)
		if rotate {
			r.res.Status = StatusWouldRotate
			r.audit(ctx, "rotate", r.target(), "would-rotate", "would add a client secret to "+appID+", test it, then publish it")
		} else {
			r.res.Status = r.cleanOutcome()
		}
		return nil
	}
	if !rotate {
		// Cleanup only: take the lease only when there is something to remove.
		versions, err := r.kv.Versions(ctx, r.name)
		if err != nil {
			return fmt.Errorf("listing versions: %w", err)
		}
		if len(planCleanup(r.now(), r.scope, latest, versions, app, r.deps.Config.Grace, r.deps.Config.OrphanGrace)) == 0 {
			r.res.Status = StatusUpToDate
			return nil
		}
	}
	if err := r.acquire(ctx); err != nil {
		return err
	}
	// Someone may have rotated while we waited for the lease.
	if latest, err = r.kv.GetSecret(ctx, r.name, ""); err != nil {
		return fmt.Errorf("re-reading the secret under the lease: %w", err)
	}
	r.res.KeyID = strings.ToLower(latest.Tags[TagKeyID])
	if app, err = r.deps.Apps.GetApplicationByAppID(ctx, appID, nil); err != nil {
		return fmt.Errorf("reading the application: %w", err)
	}
	if err := r.step(ctx, StepCleanup); err != nil {
		return err
	}
	if err := r.cleanup(ctx, latest, app); err != nil {
		return err
	}
	if !rotate {
		r.res.Status = r.cleanOutcome()
		return nil
	}
	return r.addTestPublish(ctx, latest, app, policy)
}

func (r *run) cleanOutcome() Status {
	for _, rm := range r.res.Removed {
		if rm.Removed || r.dry {
			return StatusCleaned
		}
	}
	return StatusUpToDate
}

// plannedLifetime is the lifetime of the new secret: ours, capped by the
// tenant policy (less an hour, so clock skew never pushes it over).
func (r *run) plannedLifetime(policy graph.AppManagementPolicy, app graph.Application) time.Duration {
	life := r.deps.Config.SecretLifetime
	if max := policy.MaxLifetimeFor(app.Created); max > 0 && life > max-time.Hour {
		life = max - time.Hour
		r.res.LifetimeCap = max.String()
	}
	return life
}

func (r *run) addTestPublish(ctx context.Context, latest vault.Secret, app graph.Application, policy graph.AppManagementPolicy) error {
	rid := r.res.RotationID
	life := r.plannedLifetime(policy, app)
	if err := r.step(ctx, StepAddPassword); err != nil {
		return err
	}
	np, err := r.deps.Apps.AddApplicationPassword(ctx, app.ID, graph.AddPasswordOptions{
		DisplayName: DisplayNamePrefix + rid,
		End:         r.now().Add(life),
	})
	if lifetimeRefused(err) && life > fallbackLifetime {
		// A policy we could not read caps the lifetime: retry with a short one.
		r.res.LifetimeCap = "unknown (policy refused " + life.String() + ")"
		np, err = r.deps.Apps.AddApplicationPassword(ctx, app.ID, graph.AddPasswordOptions{
			DisplayName: DisplayNamePrefix + rid,
			End:         r.now().Add(fallbackLifetime),
		})
	}
	if err != nil {
		// It may exist anyway (answer lost); then it is an orphan the next run removes.
		r.audit(ctx, "add-password", app.AppID, "failed", describe(err))
		return fmt.Errorf("adding a client secret: %w", err)
	}
	secret := sensitive{np.SecretText}
	np.SecretText = ""
	r.audit(ctx, "add-password", app.AppID+"/"+np.KeyID, "added", "expires "+np.End.UTC().Format(time.RFC3339))

	if err := r.step(ctx, StepTest); err != nil {
		return err
	}
	attempts, err := r.testSecret(ctx, app.AppID, secret)
	r.res.TestAttempts = attempts
	if err != nil {
		r.audit(ctx, "test", app.AppID+"/"+np.KeyID, "failed", describe(err))
		r.rollback(ctx, app, np.KeyID)
		return fmt.Errorf("testing the new client secret: %w", err)
	}
	r.audit(ctx, "test", app.AppID+"/"+np.KeyID, "ok", fmt.Sprintf("token acquired after %d attempt(s)", attempts))

	if err := r.step(ctx, StepPublish); err != nil {
		return err
	}
	if err := r.leaseOK(); err != nil {
		return err
	}
	tags := copyTags(latest.Tags)
	tags[TagKeyID], tags[TagRotationID] = np.KeyID, rid
	ct := latest.ContentType
	if ct == "" {
		ct = "text/plain"
	}
	var exp *time.Time
	if !np.End.IsZero() {
		exp = timePtr(np.End)
	}
	pub, err := r.kv.SetSecret(ctx, r.name, vault.SetParams{Value: secret.reveal(), ContentType: ct, Tags: tags, Expires: exp})
	if err != nil {
		// The write may have landed although the answer was lost: look.
		if cur, gerr := r.kv.GetSecret(ctx, r.name, ""); gerr == nil && strings.EqualFold(cur.Tags[TagKeyID], np.KeyID) {
			pub, err = cur, nil
		}
	}
	if err != nil {
		// Never remove the credential here: Key Vault may hold it. Unpublished,
		// it is an orphan the next run removes after the orphan grace.
		r.audit(ctx, "publish", r.target(), "failed", describe(err))
		return fmt.Errorf("publishing the new client secret: %w", err)
	}
	r.res.Version, r.res.PreviousKeyID, r.res.KeyID = pub.Version, r.res.KeyID, np.KeyID
	r.res.Expires = exp
	r.audit(ctx, "publish", r.target()+"/"+pub.Version, "published", "keyId "+np.KeyID)

	if err := r.step(ctx, StepVerify); err != nil {
		return err
	}
	// Read back: a write that reports success must be visible as the latest.
	cur, err := r.kv.GetSecret(ctx, r.name, "")
	if err != nil {
		return fmt.Errorf("reading back the published secret: %w", err)
	}
	if !strings.EqualFold(cur.Tags[TagKeyID], np.KeyID) {
		return fmt.Errorf("reading back the published secret: the latest version holds keyId %q, not %s", cur.Tags[TagKeyID], np.KeyID)
	}
	r.res.Status = StatusRotated
	r.res.Reason = handMadeNote(app, r.res.PreviousKeyID, r.scope)
	r.audit(ctx, "rotate", r.target(), "rotated", "rotation "+rid)
	return nil
}

// handMadeNote explains why the previous credential will not be cleaned up:
// tenantops never removes a client secret it did not create.
func handMadeNote(app graph.Application, prev, scope string) string {
	if prev == "" {
		return "the previous version was made by hand (no keyId): its client secret is not tenantops' and stays until it expires or is removed by hand"
	}
	for _, c := range app.Passwords {
		if strings.EqualFold(c.KeyID, prev) {
			if _, ours := ownedBy(c.DisplayName, scope); !ours {
				return fmt.Sprintf("the previous client secret %s (%q) was not created by tenantops: it stays until it expires (%s) or is removed by hand",
					c.KeyID, c.DisplayName, c.End.UTC().Format(time.DateOnly))
			}
		}
	}
	return ""
}

// fallbackLifetime is tried when addPassword refuses the planned lifetime.
const fallbackLifetime = 30 * 24 * time.Hour

// lifetimeRefused reports addPassword's answer to a lifetime beyond the app
// management policy (CredentialInvalidLifetimeAsPerAppPolicy).
func lifetimeRefused(err error) bool {
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.StatusCode != 400 {
		return false
	}
	return ge.Code == "CredentialInvalidLifetimeAsPerAppPolicy" || strings.Contains(ge.Message, "as per assigned policy")
}

// testSecret acquires tokens with the new secret until Entra accepts it,
// backing off while it answers AADSTS7000215 (not replicated yet).
func (r *run) testSecret(ctx context.Context, appID string, secret sensitive) (int, error) {
	tenant, err := r.deps.tenant(ctx)
	if err != nil {
		return 0, err
	}
	cfg := r.deps.Config
	deadline := r.now().Add(cfg.PropagationTimeout)
	delay := cfg.TestDelay
	for attempt := 1; ; attempt++ {
		err := r.deps.Tester.TestAppSecret(ctx, tenant, appID, secret.reveal())
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, ctx.Err()
		}
		if !NotReplicated(err) && !TransientTestError(err) {
			return attempt, err
		}
		if r.now().Add(delay).After(deadline) {
			return attempt, fmt.Errorf("the new secret is still rejected after %s: %w", cfg.PropagationTimeout, err)
		}
		r.debug(ctx, "new secret not accepted yet; waiting")
		if err := r.deps.Clock.Sleep(ctx, delay); err != nil {
			return attempt, err
		}
		delay = min(delay*2, cfg.TestMaxDelay)
	}
}

// rollback removes a credential that failed its test: it never reached Key
// Vault, so nothing can depend on it. Failing that, it is an orphan.
func (r *run) rollback(ctx context.Context, app graph.Application, keyID string) {
	if ctx.Err() != nil {
		return
	}
	if err := r.step(ctx, StepRemovePassword); err != nil {
		return
	}
	err := r.deps.Apps.RemoveApplicationPassword(ctx, app.ID, keyID, nil)
	outcome := "removed"
	if err != nil {
		outcome = "failed"
	}
	r.audit(ctx, "remove-password", app.AppID+"/"+keyID, outcome, "rollback: the new secret failed its test")
}

// errNotReplicated marks AADSTS7000215 from a freshly added secret.
var errNotReplicated = errors.New("AADSTS7000215: Entra has not replicated the new secret yet")

// NotReplicated reports an error meaning "Entra does not accept this secret
// (yet)": AADSTS7000215, which a new secret gets until replication finishes.
func NotReplicated(err error) bool { return errors.Is(err, errNotReplicated) }

// errTransient marks a token request that failed without an answer from Entra.
var errTransient = errors.New("token request failed transiently")

// TransientTestError reports a token attempt that never got an answer (5xx,
// network): worth another try within the propagation timeout.
func TransientTestError(err error) bool { return errors.Is(err, errTransient) }
