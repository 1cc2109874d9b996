package rotation

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// The service-account protocol: write the new password to "<name>-pending",
// PATCH the user's passwordProfile, write the main secret, mark the companion
// completed and delete (and purge) it. At every point the account's password
// is one Key Vault holds: the main secret's latest version or the companion.
// A run that finds a live companion finishes it first (re-PATCH with its
// value), so no crash leaves the account on a password nobody can read.

// pending reads the live companion, if any (not completed).
func (r *run) pending(ctx context.Context) (vault.Secret, bool, error) {
	s, err := r.kv.GetSecret(ctx, r.name+PendingSuffix, "")
	switch {
	case vault.IsNotFound(err):
		return vault.Secret{}, false, nil
	case err != nil:
		return vault.Secret{}, false, fmt.Errorf("reading the pending companion: %w", err)
	case s.Tags[TagPendingFor] != r.name || s.Tags[TagCompleted] == "true":
		return vault.Secret{}, false, nil
	}
	return s, true, nil
}

func (r *run) rotatePassword(ctx context.Context, latest vault.Secret, rotate bool) error {
	upn := latest.Tags[TagUser]
	r.res.User, r.res.AppID = upn, latest.Tags[TagAppID]
	if err := op.CheckUserRef(upn); err != nil {
		return op.Invalid("invalidTags", "secret", "secret %s has kind user-password but no valid %s tag: %v", r.name, TagUser, err)
	}
	for _, b := range r.deps.Config.Breakglass {
		if strings.EqualFold(strings.TrimSpace(b), upn) {
			return op.Invalid("breakglass", "secret", "%s belongs to break-glass account %s, which tenantops never changes", r.name, upn)
		}
	}
	pend, leftover, err := r.pending(ctx)
	if err != nil {
		return err
	}
	if !rotate && !leftover {
		r.res.Status = StatusUpToDate
		return nil
	}
	user, err := r.deps.Users.GetUser(ctx, upn)
	if err != nil {
		return fmt.Errorf("looking up %s: %w", upn, err)
	}
	for _, b := range r.deps.Config.Breakglass {
		if strings.EqualFold(strings.TrimSpace(b), user.ID) {
			return op.Invalid("breakglass", "secret", "%s belongs to a break-glass account, which tenantops never changes", r.name)
		}
	}
	if r.dry {
		r.res.Status = StatusWouldRotate
		detail := "would set a new password for " + upn + " through " + r.name + PendingSuffix
		if leftover {
			r.res.Reason = "a crashed rotation left " + r.name + PendingSuffix + "; it would be finished"
			detail = "would finish rotation " + pend.Tags[TagRotationID]
		}
		r.audit(ctx, "rotate", r.target(), "would-rotate", detail)
		return nil
	}
	if err := r.acquire(ctx); err != nil {
		return err
	}
	// Re-read under the lease: a concurrent run may have finished meanwhile.
	if latest, err = r.kv.GetSecret(ctx, r.name, ""); err != nil {
		return fmt.Errorf("re-reading the secret under the lease: %w", err)
	}
	if pend, leftover, err = r.pending(ctx); err != nil {
		return err
	}
	if leftover {
		r.res.RotationID = pend.Tags[TagRotationID]
		if err := r.finishPassword(ctx, latest, pend, user, false); err != nil {
			return err
		}
		r.res.Status, r.res.Reason = StatusCompleted, "finished a rotation a crashed run had left in "+r.name+PendingSuffix
		return nil
	}
	if !rotate {
		r.res.Status = StatusUpToDate
		return nil
	}
	pw, err := newPassword()
	if err != nil {
		return err
	}
	if err := r.step(ctx, StepWritePending); err != nil {
		return err
	}
	pend, err = r.writePending(ctx, pw, upn)
	if err != nil {
		r.audit(ctx, "write-pending", r.target()+PendingSuffix, "failed", describe(err))
		return fmt.Errorf("writing the pending password: %w", err)
	}
	r.audit(ctx, "write-pending", r.target()+PendingSuffix, "written", "rotation "+r.res.RotationID)
	if err := r.finishPassword(ctx, latest, pend, user, true); err != nil {
		return err
	}
	r.res.Status = StatusRotated
	return nil
}

// finishPassword sets the account to pend's value, writes the main secret
// and retires the companion. Every step is safe to repeat. fresh says this
// run wrote the companion (so no earlier PATCH can have applied its value).
func (r *run) finishPassword(ctx context.Context, latest, pend vault.Secret, user graph.User, fresh bool) error {
	pw := sensitive{pend.Value}
	rid := pend.Tags[TagRotationID]
	if latest.Value != pw.reveal() {
		if err := r.step(ctx, StepSetPassword); err != nil {
			return err
		}
		if err := r.leaseOK(); err != nil {
			return err
		}
		if err := r.deps.Users.SetUserPassword(ctx, user.ID, pw.reveal(), &graph.SetPasswordOptions{ForceChange: false}); err != nil {
			r.audit(ctx, "set-password", user.UserPrincipalName, "failed", describe(err))
			if fresh && definite(err) {
				// Entra refused a value it never saw before: the account still
				// has the old password, so the companion is dead weight.
				r.retirePending(ctx, pend)
			}
			return fmt.Errorf("setting the password of %s: %w", user.UserPrincipalName, err)
		}
		r.audit(ctx, "set-password", user.UserPrincipalName, "set", "rotation "+rid)
		if err := r.step(ctx, StepWriteMain); err != nil {
			return err
		}
		tags := copyTags(latest.Tags)
		tags[TagRotationID] = rid
		delete(tags, TagKeyID)
		ct := latest.ContentType
		if ct == "" {
			ct = "text/plain"
		}
		pub, err := r.kv.SetSecret(ctx, r.name, vault.SetParams{Value: pw.reveal(), ContentType: ct, Tags: tags})
		if err != nil {
			r.audit(ctx, "publish", r.target(), "failed", describe(err))
			return fmt.Errorf("writing the new password to %s (it is safe in %s%s): %w", r.name, r.name, PendingSuffix, err)
		}
		r.res.Version = pub.Version
		r.audit(ctx, "publish", r.target()+"/"+pub.Version, "published", "rotation "+rid)
	}
	if err := r.step(ctx, StepDeletePending); err != nil {
		return err
	}
	r.retirePending(ctx, pend)
	r.audit(ctx, "rotate", r.target(), "rotated", "rotation "+rid)
	return nil
}

// retirePending marks the companion completed, deletes and purges it. Each
// part is best effort: a completed companion is ignored, a deleted one only
// blocks its name until the next writePending recovers or purges it.
func (r *run) retirePending(ctx context.Context, pend vault.Secret) {
	name := r.name + PendingSuffix
	tags := copyTags(pend.Tags)
	tags[TagCompleted] = "true"
	if err := r.kv.UpdateTags(ctx, name, pend.Version, tags); err != nil {
		r.audit(ctx, "delete-pending", r.target()+PendingSuffix, "failed", describe(err))
		return
	}
	if err := r.kv.DeleteSecret(ctx, name); err != nil && !vault.IsNotFound(err) {
		r.audit(ctx, "delete-pending", r.target()+PendingSuffix, "failed", describe(err))
		return
	}
	outcome := "deleted"
	if err := r.kv.PurgeDeletedSecret(ctx, name); err != nil && !vault.IsNotFound(err) {
		outcome = "deleted (purge failed; the name is recovered on the next rotation)"
	}
	r.audit(ctx, "delete-pending", r.target()+PendingSuffix, outcome, "")
}

// writePending stores the new password in the companion. A companion name
// still held by a soft-deleted secret is purged, or recovered and overwritten.
func (r *run) writePending(ctx context.Context, pw sensitive, upn string) (vault.Secret, error) {
	name := r.name + PendingSuffix
	p := vault.SetParams{Value: pw.reveal(), ContentType: "text/plain", Tags: map[string]string{
		TagPendingFor: r.name, TagRotationID: r.res.RotationID, TagUser: upn,
	}}
	s, err := r.kv.SetSecret(ctx, name, p)
	if vault.IsConflict(err) {
		if perr := r.kv.PurgeDeletedSecret(ctx, name); perr != nil {
			if rerr := r.kv.RecoverDeletedSecret(ctx, name); rerr != nil && !vault.IsConflict(rerr) {
				return vault.Secret{}, fmt.Errorf("freeing the companion name: %w", rerr)
			}
			if werr := r.waitReadable(ctx, name); werr != nil {
				return vault.Secret{}, werr
			}
		}
		s, err = r.kv.SetSecret(ctx, name, p)
	}
	if err != nil {
		// It may have landed; read it back before giving up.
		if cur, gerr := r.kv.GetSecret(ctx, name, ""); gerr == nil && cur.Tags[TagRotationID] == r.res.RotationID && cur.Value == pw.reveal() {
			return cur, nil
		}
		return vault.Secret{}, err
	}
	s.Value = pw.reveal()
	return s, nil
}

// waitReadable polls a recovering secret (recovery is asynchronous in Azure).
func (r *run) waitReadable(ctx context.Context, name string) error {
	var err error
	for i := 1; i <= 10; i++ {
		if _, err = r.kv.GetSecret(ctx, name, ""); err == nil || !vault.IsNotFound(err) {
			return err
		}
		if err := r.deps.Clock.Sleep(ctx, time.Duration(i)*time.Second); err != nil {
			return err
		}
	}
	return fmt.Errorf("companion %s is still recovering: %w", name, err)
}

// definite reports an error that proves the request was not applied.
func definite(err error) bool {
	switch graph.Status(err) {
	case 400, 401, 403, 404:
		return true
	}
	return false
}

// Password alphabet: unambiguous letters and digits plus symbols that need no
// quoting in URLs, shells or connection strings.
const (
	pwLower   = "abcdefghijkmnopqrstuvwxyz"
	pwUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwDigits  = "23456789"
	pwSymbols = "-_.~!@#%^*+="
	pwLength  = 32
)

// newPassword returns a crypto/rand password of pwLength characters with at
// least one lower, upper, digit and symbol (Entra wants three of four).
func newPassword() (sensitive, error) {
	classes := []string{pwLower, pwUpper, pwDigits, pwSymbols}
	all := strings.Join(classes, "")
	b := make([]byte, pwLength)
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, fmt.Errorf("generating a password: %w", err)
		}
		return set[n.Int64()], nil
	}
	for i := range b {
		set := all
		if i < len(classes) {
			set = classes[i]
		}
		c, err := pick(set)
		if err != nil {
			return sensitive{}, err
		}
		b[i] = c
	}
	// Shuffle so the guaranteed classes are not always first (Fisher–Yates).
	for i := len(b) - 1; i > 0; i-- {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return sensitive{}, fmt.Errorf("generating a password: %w", err)
		}
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return sensitive{string(b)}, nil
}
