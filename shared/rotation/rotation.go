// Package rotation rotates Key Vault-stored service credentials without ever
// locking anyone out (ARCHITECTURE.md, "Rotation protocols").
//
// App client secrets are tested before they are published: addPassword, keep
// the secret in memory, acquire a token with it until Entra has replicated
// it, and only then write it to Key Vault as the new latest version. Old
// credentials are removed by later runs, and only when tenantops created them,
// the latest version no longer references them and they were superseded longer
// than the grace period ago (Vault's deferred cleanup). Service-account
// passwords go through a companion "<name>-pending" secret so that a crash at
// any point leaves the account with a password Key Vault holds.
//
// Every mutation is under a Key Vault lease (a "<name>-lease" secret), writes
// an audit line and honours dry-run; secret values live in memory only,
// behind a type that never prints them.
package rotation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// Key Vault tags (ARCHITECTURE.md "Key Vault tags", stable) and the ones this
// package adds for its own bookkeeping.
const (
	TagKind       = "tenantops-kind"
	TagAppID      = "tenantops-app-id"
	TagUser       = "tenantops-user"
	TagKeyID      = "tenantops-key-id"
	TagRotationID = "tenantops-rotation-id"
	// TagRotationPeriod overrides the default rotation period ("90d", "720h").
	TagRotationPeriod = "tenantops-rotation-period"

	// TagPendingFor marks a companion "<name>-pending" secret.
	TagPendingFor = "tenantops-pending-for"
	// TagCompleted marks a companion whose rotation finished (set before it is
	// deleted, so a recovered copy is never replayed).
	TagCompleted = "tenantops-completed"
	// Lease tags on "<name>-lease" versions.
	TagLeaseFor      = "tenantops-lease-for"
	TagLeaseExpires  = "tenantops-lease-expires"
	TagLeaseReleased = "tenantops-lease-released"
)

// Kinds of managed credentials (tenantops-kind).
const (
	KindAppSecret      = "app-secret"
	KindAppCertificate = "app-certificate"
	KindUserPassword   = "user-password"
)

// DisplayNamePrefix starts the displayName of every client secret tenantops
// creates ("tenantops <rotation-id>"); cleanup never touches any other.
const DisplayNamePrefix = "tenantops "

// Companion secret suffixes.
const (
	PendingSuffix = "-pending"
	LeaseSuffix   = "-lease"
)

// Defaults of Config.
const (
	DefaultGrace              = 48 * time.Hour
	DefaultOrphanGrace        = time.Hour
	DefaultDueWithin          = 30 * 24 * time.Hour
	DefaultRotationPeriod     = 90 * 24 * time.Hour
	DefaultSecretLifetime     = 180 * 24 * time.Hour
	DefaultPropagationTimeout = 5 * time.Minute
	DefaultLeaseTTL           = 15 * time.Minute
)

// Config tunes rotation. Zero fields take the defaults above.
type Config struct {
	// Grace: how long a superseded credential stays valid (TENANTOPS_ROTATION_GRACE).
	Grace time.Duration
	// OrphanGrace: how long a credential that never reached Key Vault is left alone.
	OrphanGrace time.Duration
	// DueWithin: rotate when the credential expires within this long.
	DueWithin time.Duration
	// RotationPeriod: rotate when the latest version is older (tenantops-rotation-period overrides).
	RotationPeriod time.Duration
	// SecretLifetime: requested lifetime of new client secrets (capped by the tenant's policy).
	SecretLifetime time.Duration
	// PropagationTimeout bounds the wait for Entra to accept a new secret.
	PropagationTimeout time.Duration
	// TestDelay and TestMaxDelay shape the backoff between token attempts (1 s, 15 s).
	TestDelay, TestMaxDelay time.Duration
	// LeaseTTL bounds how long a crashed run blocks the next one.
	LeaseTTL time.Duration
	// TenantID is the tenant new client secrets are tested against (empty =
	// Deps.ResolveTenant).
	TenantID string
	// VaultSuffix is the cloud's Key Vault DNS suffix (vault.azure.net), for
	// vault names in Event Grid events.
	VaultSuffix string
	// Breakglass accounts are never changed (TENANTOPS_BREAKGLASS).
	Breakglass []string
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Grace, DefaultGrace)
	def(&c.OrphanGrace, DefaultOrphanGrace)
	def(&c.DueWithin, DefaultDueWithin)
	def(&c.RotationPeriod, DefaultRotationPeriod)
	def(&c.SecretLifetime, DefaultSecretLifetime)
	def(&c.PropagationTimeout, DefaultPropagationTimeout)
	def(&c.TestDelay, time.Second)
	def(&c.TestMaxDelay, 15*time.Second)
	def(&c.LeaseTTL, DefaultLeaseTTL)
	// A lease must outlive the longest wait inside it.
	if min := c.PropagationTimeout + 5*time.Minute; c.LeaseTTL < min {
		c.LeaseTTL = min
	}
	return c
}

// Vault is the part of Key Vault rotation needs (*vault.Client).
type Vault interface {
	URL() string
	GetSecret(ctx context.Context, name, version string) (vault.Secret, error)
	SetSecret(ctx context.Context, name string, p vault.SetParams) (vault.Secret, error)
	Versions(ctx context.Context, name string) ([]vault.Secret, error)
	List(ctx context.Context) ([]vault.Secret, error)
	UpdateTags(ctx context.Context, name, version string, tags map[string]string) error
	DeleteSecret(ctx context.Context, name string) error
	PurgeDeletedSecret(ctx context.Context, name string) error
	RecoverDeletedSecret(ctx context.Context, name string) error
}

// Applications is the part of Graph that app-secret rotation needs.
type Applications interface {
	GetApplicationByAppID(ctx context.Context, appID string, opts *graph.GetApplicationOptions) (graph.Application, error)
	AddApplicationPassword(ctx context.Context, objectID string, opts graph.AddPasswordOptions) (graph.NewPassword, error)
	RemoveApplicationPassword(ctx context.Context, objectID, keyID string, opts *graph.RemovePasswordOptions) error
	GetDefaultAppManagementPolicy(ctx context.Context, opts *graph.GetPolicyOptions) (graph.AppManagementPolicy, error)
}

// Users is the part of Graph that password rotation needs.
type Users interface {
	GetUser(ctx context.Context, idOrUPN string) (graph.User, error)
	SetUserPassword(ctx context.Context, userID, password string, opts *graph.SetPasswordOptions) error
}

// Directory lists every credential in the tenant (credentials expiring).
type Directory interface {
	ListApplications(ctx context.Context, opts *graph.ListApplicationsOptions) ([]graph.Application, error)
	ListServicePrincipals(ctx context.Context, opts *graph.ListServicePrincipalsOptions) ([]graph.ServicePrincipal, error)
}

// Tester proves a client secret works by acquiring a token with it. It
// returns an error for which NotReplicated is true while Entra still answers
// AADSTS7000215 for a secret it has just issued.
type Tester interface {
	TestAppSecret(ctx context.Context, tenantID, appID, secret string) error
}

// Step names a point between two steps of a rotation.
type Step string

// Steps, in protocol order. The hook runs before each one.
const (
	StepLease          Step = "lease"
	StepCleanup        Step = "cleanup"
	StepAddPassword    Step = "add-password"
	StepTest           Step = "test"
	StepPublish        Step = "publish"
	StepVerify         Step = "verify"
	StepWritePending   Step = "write-pending"
	StepSetPassword    Step = "set-password"
	StepWriteMain      Step = "write-main"
	StepDeletePending  Step = "delete-pending"
	StepTagAdopted     Step = "tag-adopted"
	StepReleaseLease   Step = "release-lease"
	StepRemovePassword Step = "remove-password"
)

// Hooks let tests stop a run between two steps as a crash would.
type Hooks struct {
	// BeforeStep runs before each step; an error aborts the run at once:
	// nothing else is called, the lease is not released.
	BeforeStep func(ctx context.Context, s Step) error
}

// Deps are rotation's collaborators.
type Deps struct {
	Vault Vault // the configured vault (TENANTOPS_VAULT_URL); may be nil if every request names one
	// OpenVault returns a client for another vault URL (request "vault" field,
	// Event Grid events); nil = only Vault. It returns op.Invalid for a URL
	// outside the cloud's Key Vault domain.
	OpenVault func(url string) (Vault, error)
	Apps      Applications
	Users     Users
	Directory Directory
	Tester    Tester
	Audit     *audit.Logger
	Log       *slog.Logger
	Clock     Clock
	Config    Config
	Hooks     Hooks
	// ResolveTenant finds the tenant id when Config.TenantID is empty
	// (managed identity has no AZURE_TENANT_ID).
	ResolveTenant func(ctx context.Context) (string, error)
}

// Request asks to rotate one secret now (HTTP POST /api/credentials/rotate).
type Request struct {
	Secret string `json:"secret"`
	DryRun bool   `json:"dryRun,omitempty"`
	// Vault is the vault URL; empty = TENANTOPS_VAULT_URL.
	Vault string `json:"vault,omitempty"`
}

var secretNameRE = regexp.MustCompile(`^[0-9A-Za-z-]{1,119}$`)

// Validate checks the request without any I/O.
func (r *Request) Validate() error {
	return errors.Join(checkSecretName(r.Secret), checkVaultURL(r.Vault))
}

func checkSecretName(name string) error {
	switch {
	case name == "":
		return op.Invalid("noSecret", "secret", "name the Key Vault secret to rotate")
	case !secretNameRE.MatchString(name):
		return op.Invalid("invalidSecret", "secret", "%q is not a Key Vault secret name (letters, digits and dashes, at most 119 characters)", name)
	case strings.HasSuffix(name, PendingSuffix), strings.HasSuffix(name, LeaseSuffix):
		return op.Invalid("invalidSecret", "secret", "%q is one of tenantops' companion secrets; name the credential itself", name)
	}
	return nil
}

func checkVaultURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return op.Invalid("invalidVault", "vault", "%q is not a Key Vault URL (want https://NAME.vault.azure.net)", v)
	}
	return nil
}

// Status of one rotation.
type Status string

// Result statuses.
const (
	StatusRotated     Status = "rotated"      // a new credential is published
	StatusCompleted   Status = "completed"    // a crashed password rotation was finished
	StatusWouldRotate Status = "would-rotate" // dry-run
	StatusCleaned     Status = "cleaned"      // only old credentials were removed
	StatusUpToDate    Status = "up-to-date"   // not due, nothing to clean
	StatusAdopted     Status = "adopted"
	StatusWouldAdopt  Status = "would-adopt"
	StatusSkipped     Status = "skipped" // stale event, not managed, …
	StatusBusy        Status = "busy"    // another rotation holds the lease
	StatusFailed      Status = "failed"
)

// Removal is a credential cleanup removed (or, in a dry-run, would remove).
type Removal struct {
	KeyID        string     `json:"keyId"`
	DisplayName  string     `json:"displayName"`
	Reason       string     `json:"reason"` // superseded, orphan
	SupersededAt *time.Time `json:"supersededAt,omitempty"`
	Removed      bool       `json:"removed"`
	Error        string     `json:"error,omitempty"`
}

// Result is the outcome for one secret. It never holds a secret value.
type Result struct {
	Secret        string     `json:"secret"`
	Vault         string     `json:"vault"`
	Kind          string     `json:"kind,omitempty"`
	AppID         string     `json:"appId,omitempty"`
	User          string     `json:"user,omitempty"`
	DryRun        bool       `json:"dryRun"`
	Status        Status     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	RotationID    string     `json:"rotationId,omitempty"`
	KeyID         string     `json:"keyId,omitempty"`         // the credential the latest version holds now
	PreviousKeyID string     `json:"previousKeyId,omitempty"` // the one it held before
	Version       string     `json:"version,omitempty"`       // the new Key Vault version
	Expires       *time.Time `json:"expires,omitempty"`
	// LifetimeCap is the tenant policy's maximum secret lifetime, when it shortened ours.
	LifetimeCap  string    `json:"lifetimeCap,omitempty"`
	TestAttempts int       `json:"testAttempts,omitempty"`
	Removed      []Removal `json:"removed"`
	Steps        []string  `json:"steps"`
}

// Problem reports a rotation that did not complete (CLI exit 3).
func (r Result) Problem() bool { return r.Status == StatusFailed || r.Status == StatusBusy }

// ErrBusy reports that another rotation of the same secret holds the lease.
var ErrBusy = errors.New("another rotation of this secret is in progress")

// abortError is a crash injected by Hooks.BeforeStep.
type abortError struct {
	step Step
	err  error
}

func (e *abortError) Error() string { return fmt.Sprintf("aborted before %s: %v", e.step, e.err) }
func (e *abortError) Unwrap() error { return e.err }

// IsAbort reports a run stopped by Hooks.BeforeStep.
func IsAbort(err error) bool {
	var ae *abortError
	return errors.As(err, &ae)
}

func (d *Deps) check() error {
	if d.Clock == nil {
		d.Clock = SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Config = d.Config.withDefaults()
	if d.Config.VaultSuffix == "" {
		d.Config.VaultSuffix = "vault.azure.net"
	}
	return nil
}

// tenant returns the tenant id new secrets are tested against.
func (d *Deps) tenant(ctx context.Context) (string, error) {
	if d.Config.TenantID != "" {
		return d.Config.TenantID, nil
	}
	if d.ResolveTenant == nil {
		return "", errors.New("no tenant id configured (AZURE_TENANT_ID)")
	}
	t, err := d.ResolveTenant(ctx)
	if err != nil {
		return "", fmt.Errorf("finding the tenant id: %w", err)
	}
	d.Config.TenantID = t
	return t, nil
}

// vaultFor returns the vault a request names (or the configured one).
func (d *Deps) vaultFor(u string) (Vault, error) {
	u = strings.TrimSuffix(strings.TrimSpace(u), "/")
	if u == "" || (d.Vault != nil && strings.EqualFold(u, strings.TrimSuffix(d.Vault.URL(), "/"))) {
		if d.Vault == nil {
			return nil, op.Invalid("noVault", "vault", "no Key Vault configured: set TENANTOPS_VAULT_URL or name the vault")
		}
		return d.Vault, nil
	}
	if d.OpenVault == nil {
		return nil, op.Invalid("invalidVault", "vault", "only the configured vault %s can be used here", d.Vault.URL())
	}
	return d.OpenVault(u)
}

// scopeOf ties a rotation id to one secret in one vault, so cleanup never
// mistakes another secret's credential on the same app for an orphan.
func scopeOf(vaultURL, name string) string {
	u := strings.ToLower(strings.TrimSuffix(vaultURL, "/"))
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		u = p.Host
	}
	sum := sha256.Sum256([]byte(u + "/" + strings.ToLower(name)))
	return hex.EncodeToString(sum[:4])
}

// newRotationID returns "<scope>-<UTC time>-<random>", e.g.
// "3f9a1c2e-20261122T030000Z-7b2e".
func newRotationID(scope string, now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return scope + "-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// ownedBy reports whether displayName is "tenantops <rotation-id>" for a
// rotation of the secret with the given scope.
func ownedBy(displayName, scope string) (string, bool) {
	rid, ok := strings.CutPrefix(displayName, DisplayNamePrefix)
	if !ok {
		return "", false
	}
	return rid, strings.HasPrefix(rid, scope+"-")
}

// ParsePeriod reads a rotation period tag: a Go duration ("720h") or days ("90d").
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != d {
			return 0, fmt.Errorf("rotation period %q: want days such as 90d or a duration such as 720h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("rotation period %q: want days such as 90d or a duration such as 720h", s)
	}
	return d, nil
}

func copyTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// describe turns an error into a short, secret-free reason.
func describe(err error) string {
	var ge *graph.Error
	var ve *vault.Error
	switch {
	case errors.Is(err, ErrBusy):
		return ErrBusy.Error()
	case errors.As(err, &ge) && ge.StatusCode == 403:
		return ge.Op + ": permission denied (the app needs Application.ReadWrite.OwnedBy as an owner, or Application.ReadWrite.All; passwords need User-PasswordProfile.ReadWrite.All and the User Administrator role)"
	case errors.As(err, &ve) && ve.StatusCode == 403:
		return ve.Op + ": Key Vault denied access (the identity needs get, list, set, delete and purge on secrets)"
	}
	return oneLine(err.Error())
}

var aadstsRE = regexp.MustCompile(`AADSTS\d+: [^\\\r\n]*`)

// oneLine shortens azidentity's multi-line errors (request, response dump,
// troubleshooting link) to their first line and the AADSTS message.
func oneLine(s string) string {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return s
	}
	first = strings.TrimSpace(first)
	if m := aadstsRE.FindString(rest); m != "" {
		first += " " + strings.TrimSpace(m)
	}
	return first
}
