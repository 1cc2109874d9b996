package rotation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// Rotate rotates one secret now (CLI `credentials rotate`, HTTP POST
// /api/credentials/rotate). It fails as a whole for invalid input and for a
// rotation that could not complete; another rotation holding the lease is a
// StatusBusy result (a problem, not an error).
func Rotate(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if err := deps.check(); err != nil {
		return Result{}, err
	}
	kv, err := deps.vaultFor(req.Vault)
	if err != nil {
		return Result{}, err
	}
	return rotateOne(ctx, &deps, kv, req.Secret, req.DryRun, true)
}

// rotateOne rotates (rotate) or only cleans up after (!rotate) one secret.
func rotateOne(ctx context.Context, deps *Deps, kv Vault, name string, dry, rotate bool) (res Result, err error) {
	r := newRun(deps, kv, name, dry)
	latest, err := kv.GetSecret(ctx, name, "")
	if vault.IsNotFound(err) {
		return Result{}, op.Invalid("secretNotFound", "secret", "there is no secret %s in %s", name, kv.URL())
	}
	if err != nil {
		return *r.res, r.fail(ctx, fmt.Errorf("reading the secret: %w", err))
	}
	r.res.Kind = latest.Tags[TagKind]
	if !dry {
		r.res.RotationID = newRotationID(r.scope, r.now())
	}
	defer func() {
		// A crash releases nothing; anything else gives the lease back.
		if !IsAbort(err) {
			r.release(ctx)
		}
	}()
	switch r.res.Kind {
	case KindAppSecret:
		err = r.rotateApp(ctx, latest, rotate)
	case KindUserPassword:
		err = r.rotatePassword(ctx, latest, rotate)
	case "":
		return Result{}, op.Invalid("notManaged", "secret", "secret %s has no %s tag: tenantops does not manage it", name, TagKind)
	case KindAppCertificate:
		return Result{}, op.Invalid("unsupportedKind", "secret", "secret %s is an app certificate: tenantops reports its expiry but does not rotate certificates", name)
	default:
		return Result{}, op.Invalid("unsupportedKind", "secret", "secret %s has unknown kind %q", name, r.res.Kind)
	}
	if _, ok := op.AsInvalid(err); ok {
		return Result{}, err
	}
	if errors.Is(err, ErrBusy) {
		r.res.Status, r.res.Reason = StatusBusy, ErrBusy.Error()+"; try again later"
		r.audit(ctx, "rotate", r.target(), "busy", "")
		return *r.res, nil
	}
	if err != nil {
		return *r.res, r.fail(ctx, err)
	}
	return *r.res, nil
}

// DueRequest asks for the timer's pass over every managed secret.
type DueRequest struct {
	Vault  string `json:"vault,omitempty"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// DueSummary counts rows by status.
type DueSummary struct {
	Secrets     int `json:"secrets"`
	Rotated     int `json:"rotated"`
	WouldRotate int `json:"wouldRotate"`
	Cleaned     int `json:"cleaned"`
	UpToDate    int `json:"upToDate"`
	Skipped     int `json:"skipped"`
	Busy        int `json:"busy"`
	Failed      int `json:"failed"`
}

// DueResult is the outcome of a RotateDue pass.
type DueResult struct {
	Vault   string     `json:"vault"`
	DryRun  bool       `json:"dryRun"`
	Summary DueSummary `json:"summary"`
	Rows    []Result   `json:"rows"`
}

// Problem reports a secret that failed to rotate.
func (r DueResult) Problem() bool { return r.Summary.Failed > 0 }

func (r *DueResult) add(row Result) {
	r.Rows = append(r.Rows, row)
	r.Summary.Secrets++
	switch row.Status {
	case StatusRotated, StatusCompleted:
		r.Summary.Rotated++
	case StatusWouldRotate:
		r.Summary.WouldRotate++
	case StatusCleaned:
		r.Summary.Cleaned++
	case StatusUpToDate:
		r.Summary.UpToDate++
	case StatusBusy:
		r.Summary.Busy++
	case StatusFailed:
		r.Summary.Failed++
	default:
		r.Summary.Skipped++
	}
}

// RotateDue is the timer's pass (RotateCredentials, EventBridge schedule):
// every managed secret is rotated when due (expiring within
// Config.DueWithin or older than its rotation period), cleaned up after
// otherwise, and a password rotation a crash left behind is finished. One
// secret failing does not stop the others.
func RotateDue(ctx context.Context, deps Deps, req DueRequest) (DueResult, error) {
	if err := checkVaultURL(req.Vault); err != nil {
		return DueResult{}, err
	}
	if err := deps.check(); err != nil {
		return DueResult{}, err
	}
	kv, err := deps.vaultFor(req.Vault)
	if err != nil {
		return DueResult{}, err
	}
	secrets, err := kv.List(ctx)
	if err != nil {
		return DueResult{}, fmt.Errorf("listing secrets in %s: %w", kv.URL(), err)
	}
	res := DueResult{Vault: kv.URL(), DryRun: req.DryRun, Rows: []Result{}}
	pending := map[string]bool{}
	for _, s := range secrets {
		if n, ok := strings.CutSuffix(s.Name, PendingSuffix); ok && s.Tags[TagPendingFor] == n {
			pending[n] = true
		}
	}
	for _, s := range secrets {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("rotating due secrets: %w", err)
		}
		kind := s.Tags[TagKind]
		switch kind {
		case KindAppSecret, KindUserPassword:
		case "":
			continue // not ours
		default:
			res.add(Result{Secret: s.Name, Vault: kv.URL(), Kind: kind, DryRun: req.DryRun, Status: StatusSkipped,
				Reason: "kind " + kind + " is reported, not rotated", Removed: []Removal{}, Steps: []string{}})
			continue
		}
		due := EvalDue(deps.Clock.Now(), s, deps.Config)
		row, err := rotateOne(ctx, &deps, kv, s.Name, req.DryRun, due.Due || pending[s.Name])
		if err != nil {
			if row.Secret == "" {
				row = Result{Secret: s.Name, Vault: kv.URL(), Kind: kind, DryRun: req.DryRun, Removed: []Removal{}, Steps: []string{}}
			}
			row.Status, row.Reason = StatusFailed, describe(err)
			if IsAbort(err) {
				return res, err
			}
		} else if due.Due {
			row.Reason = strings.TrimSuffix(due.Reason+"; "+row.Reason, "; ")
		}
		res.add(row)
	}
	return res, nil
}

// Due says whether a secret needs rotating, and when it will.
type Due struct {
	Due     bool      `json:"due"`
	Reason  string    `json:"reason,omitempty"`
	NextDue time.Time `json:"nextDue"`
}

// EvalDue decides from a secret's latest version: due when it expires within
// cfg.DueWithin or is older than its rotation period (tag or default).
func EvalDue(now time.Time, s vault.Secret, cfg Config) Due {
	cfg = cfg.withDefaults()
	period := cfg.RotationPeriod
	if p, err := ParsePeriod(s.Tags[TagRotationPeriod]); err == nil {
		period = p
	}
	next := s.Created.Add(period)
	reason := fmt.Sprintf("last rotated %s ago (rotation period %s)", days(now.Sub(s.Created)), days(period))
	if s.Expires != nil {
		if e := s.Expires.Add(-cfg.DueWithin); e.Before(next) {
			next = e
			reason = fmt.Sprintf("expires %s (within %s)", s.Expires.UTC().Format(time.DateOnly), days(cfg.DueWithin))
			if !now.Before(*s.Expires) {
				reason = fmt.Sprintf("expired %s", s.Expires.UTC().Format(time.DateOnly))
			}
		}
	}
	d := Due{NextDue: next.UTC()}
	if !now.Before(next) {
		d.Due, d.Reason = true, reason
	}
	return d
}

func days(d time.Duration) string {
	n := int(d.Round(time.Hour) / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// Key Vault event types rotation acts on.
const (
	EventSecretNearExpiry = "Microsoft.KeyVault.SecretNearExpiry"
	EventSecretExpired    = "Microsoft.KeyVault.SecretExpired"
)

// NearExpiryRequest is a Key Vault Event Grid event (data.VaultName,
// data.ObjectName, data.Version).
type NearExpiryRequest struct {
	EventType  string `json:"eventType"`
	VaultName  string `json:"vaultName"`
	ObjectType string `json:"objectType,omitempty"`
	Secret     string `json:"objectName"`
	Version    string `json:"version"`
	DryRun     bool   `json:"dryRun,omitempty"`
}

// RotateNearExpiry handles SecretNearExpiry (and SecretExpired) events. Event
// Grid delivers at least once and late, so an event whose version is no
// longer the latest is stale and ignored.
func RotateNearExpiry(ctx context.Context, deps Deps, req NearExpiryRequest) (Result, error) {
	skip := func(reason string) (Result, error) {
		return Result{Secret: req.Secret, Vault: req.VaultName, DryRun: req.DryRun, Status: StatusSkipped, Reason: reason, Removed: []Removal{}, Steps: []string{}}, nil
	}
	if req.EventType != EventSecretNearExpiry && req.EventType != EventSecretExpired {
		return skip("event type " + req.EventType + " is not handled")
	}
	if req.ObjectType != "" && !strings.EqualFold(req.ObjectType, "Secret") {
		return skip("object type " + req.ObjectType + " is not a secret")
	}
	if err := checkSecretName(req.Secret); err != nil {
		if strings.HasSuffix(req.Secret, PendingSuffix) || strings.HasSuffix(req.Secret, LeaseSuffix) {
			return skip("companion secrets are not rotated")
		}
		return Result{}, err
	}
	if !vaultNameRE.MatchString(req.VaultName) {
		return Result{}, op.Invalid("invalidVault", "vaultName", "%q is not a Key Vault name", req.VaultName)
	}
	if err := deps.check(); err != nil {
		return Result{}, err
	}
	kv, err := deps.vaultFor("https://" + strings.ToLower(req.VaultName) + "." + deps.Config.VaultSuffix)
	if err != nil {
		return Result{}, err
	}
	latest, err := kv.GetSecret(ctx, req.Secret, "")
	if vault.IsNotFound(err) {
		return skip("the secret no longer exists")
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading %s: %w", req.Secret, err)
	}
	if req.Version != "" && !strings.EqualFold(latest.Version, req.Version) {
		res, _ := skip(fmt.Sprintf("stale event: version %s is no longer the latest (%s); already rotated", req.Version, latest.Version))
		res.Vault = kv.URL()
		return res, nil
	}
	if k := latest.Tags[TagKind]; k != KindAppSecret && k != KindUserPassword {
		res, _ := skip("not a credential tenantops rotates")
		res.Vault, res.Kind = kv.URL(), k
		return res, nil
	}
	return rotateOne(ctx, &deps, kv, req.Secret, req.DryRun, true)
}

var vaultNameRE = regexp.MustCompile(`^[A-Za-z][0-9A-Za-z-]{1,22}[0-9A-Za-z]$`)
