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

// AdoptRequest brings a hand-made secret (tenantops-kind but no
// tenantops-key-id) under management.
type AdoptRequest struct {
	Secret string `json:"secret"`
	Vault  string `json:"vault,omitempty"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// Validate checks the request without any I/O.
func (r *AdoptRequest) Validate() error {
	return errors.Join(checkSecretName(r.Secret), checkVaultURL(r.Vault))
}

// AdoptResult says which credential the secret turned out to hold.
type AdoptResult struct {
	Secret      string     `json:"secret"`
	Vault       string     `json:"vault"`
	Kind        string     `json:"kind"`
	AppID       string     `json:"appId,omitempty"`
	Version     string     `json:"version,omitempty"`
	DryRun      bool       `json:"dryRun"`
	Status      Status     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	KeyID       string     `json:"keyId,omitempty"`
	DisplayName string     `json:"displayName,omitempty"` // of the credential found
	Expires     *time.Time `json:"expires,omitempty"`
	Candidates  int        `json:"candidates"` // credentials whose hint matched
}

// Problem reports a secret that could not be matched or does not work.
func (r AdoptResult) Problem() bool { return r.Status == StatusFailed || r.Status == StatusBusy }

// Adopt finds the app credential a hand-made secret holds: Graph shows the
// first three characters of every client secret (hint), which narrows the
// candidates; the secret must then acquire a token before its keyId is
// recorded in the tenantops-key-id tag of the latest version.
func Adopt(ctx context.Context, deps Deps, req AdoptRequest) (AdoptResult, error) {
	if err := req.Validate(); err != nil {
		return AdoptResult{}, err
	}
	if err := deps.check(); err != nil {
		return AdoptResult{}, err
	}
	kv, err := deps.vaultFor(req.Vault)
	if err != nil {
		return AdoptResult{}, err
	}
	r := newRun(&deps, kv, req.Secret, req.DryRun)
	res := AdoptResult{Secret: req.Secret, Vault: kv.URL(), DryRun: req.DryRun}
	latest, err := kv.GetSecret(ctx, req.Secret, "")
	if vault.IsNotFound(err) {
		return AdoptResult{}, op.Invalid("secretNotFound", "secret", "there is no secret %s in %s", req.Secret, kv.URL())
	}
	if err != nil {
		return res, fmt.Errorf("reading %s: %w", req.Secret, err)
	}
	res.Kind, res.AppID, res.Version = latest.Tags[TagKind], latest.Tags[TagAppID], latest.Version
	switch res.Kind {
	case KindAppSecret:
	case KindUserPassword:
		res.Status, res.Reason = StatusSkipped, "user-password secrets carry no keyId: rotation manages them as they are"
		return res, nil
	case "":
		return AdoptResult{}, op.Invalid("notManaged", "secret", "secret %s has no %s tag; tag it (app-secret with %s) first", req.Secret, TagKind, TagAppID)
	default:
		return AdoptResult{}, op.Invalid("unsupportedKind", "secret", "adopt handles app-secret secrets; %s is %s", req.Secret, res.Kind)
	}
	if k := latest.Tags[TagKeyID]; k != "" {
		res.Status, res.KeyID, res.Reason = StatusSkipped, k, "already managed: it records keyId "+k
		return res, nil
	}
	if !op.IsGUID(res.AppID) {
		return AdoptResult{}, op.Invalid("invalidTags", "secret", "secret %s has no valid %s tag", req.Secret, TagAppID)
	}
	app, err := deps.Apps.GetApplicationByAppID(ctx, res.AppID, nil)
	if err != nil {
		return res, fmt.Errorf("reading application %s: %w", res.AppID, err)
	}
	value := sensitive{latest.Value}
	cands := matchHint(app.Passwords, value, latest.Expires)
	res.Candidates = len(cands)
	switch len(cands) {
	case 0:
		res.Status, res.Reason = StatusFailed, "no client secret of the application matches this value (hint); it may have been removed"
		r.audit(ctx, "adopt", r.target(), "failed", res.Reason)
		return res, nil
	case 1:
	default:
		res.Status, res.Reason = StatusFailed, fmt.Sprintf("%d client secrets share this value's hint and its expiry does not single one out", len(cands))
		r.audit(ctx, "adopt", r.target(), "failed", res.Reason)
		return res, nil
	}
	c := cands[0]
	res.KeyID, res.DisplayName, res.Expires = c.KeyID, c.DisplayName, timePtr(c.End)
	if _, err := r.testSecret(ctx, res.AppID, value); err != nil {
		if ctx.Err() != nil {
			return res, err
		}
		res.Status, res.Reason = StatusFailed, "the secret does not authenticate: "+describe(err)
		r.audit(ctx, "adopt", r.target(), "failed", res.Reason)
		return res, nil
	}
	if req.DryRun {
		res.Status = StatusWouldAdopt
		r.audit(ctx, "adopt", r.target(), "would-adopt", "keyId "+c.KeyID)
		return res, nil
	}
	r.res.RotationID = newRotationID(r.scope, r.now())
	err = r.adoptTag(ctx, latest, c.KeyID)
	if !IsAbort(err) {
		r.release(ctx)
	}
	switch {
	case errors.Is(err, ErrBusy):
		res.Status, res.Reason = StatusBusy, ErrBusy.Error()
		return res, nil
	case err != nil:
		return res, fmt.Errorf("adopting %s: %w", req.Secret, err)
	}
	res.Status = StatusAdopted
	return res, nil
}

func (r *run) adoptTag(ctx context.Context, latest vault.Secret, keyID string) error {
	if err := r.acquire(ctx); err != nil {
		return err
	}
	cur, err := r.kv.GetSecret(ctx, r.name, "")
	if err != nil {
		return fmt.Errorf("re-reading the secret under the lease: %w", err)
	}
	if cur.Version != latest.Version {
		return fmt.Errorf("the secret changed (new version %s) while it was being adopted; run adopt again", cur.Version)
	}
	if err := r.step(ctx, StepTagAdopted); err != nil {
		return err
	}
	tags := copyTags(cur.Tags)
	tags[TagKeyID] = keyID
	if err := r.kv.UpdateTags(ctx, r.name, cur.Version, tags); err != nil {
		r.audit(ctx, "adopt", r.target(), "failed", describe(err))
		return fmt.Errorf("tagging the secret: %w", err)
	}
	r.audit(ctx, "adopt", r.target()+"/"+cur.Version, "adopted", "keyId "+keyID)
	return nil
}

// matchHint returns the credentials whose hint is the value's first three
// characters; when several match, the one ending when the version expires wins.
func matchHint(ps []graph.PasswordCredential, value sensitive, expires *time.Time) []graph.PasswordCredential {
	v := value.reveal()
	if len(v) < 3 {
		return nil
	}
	var out []graph.PasswordCredential
	for _, p := range ps {
		if p.Hint != "" && strings.HasPrefix(v, p.Hint) {
			out = append(out, p)
		}
	}
	if len(out) > 1 && expires != nil {
		var near []graph.PasswordCredential
		for _, p := range out {
			if d := p.End.Sub(*expires); d > -time.Hour && d < time.Hour {
				near = append(near, p)
			}
		}
		if len(near) > 0 {
			out = near
		}
	}
	return out
}
