package rotation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// ListRequest asks for the managed secrets of a vault.
type ListRequest struct {
	Vault string `json:"vault,omitempty"`
}

// ManagedSecret is one secret tenantops manages, without its value.
type ManagedSecret struct {
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Owner        string     `json:"owner"` // appId for app credentials, UPN for passwords
	AppID        string     `json:"appId,omitempty"`
	User         string     `json:"user,omitempty"`
	KeyID        string     `json:"keyId,omitempty"`
	Adopted      bool       `json:"adopted"` // false: made by hand, keyId unknown (credentials adopt)
	Version      string     `json:"version"`
	Expires      *time.Time `json:"expires,omitempty"`
	LastRotation time.Time  `json:"lastRotation"`
	RotationID   string     `json:"rotationId,omitempty"`
	NextDue      time.Time  `json:"nextDue"`
	Due          bool       `json:"due"`
	DueReason    string     `json:"dueReason,omitempty"`
	Pending      bool       `json:"pending,omitempty"` // a crashed password rotation awaits the next run
}

// ListResult lists managed secrets by name.
type ListResult struct {
	Vault   string          `json:"vault"`
	Secrets []ManagedSecret `json:"secrets"`
}

// List reads the vault's secret listing (tags and attributes only, never values).
func List(ctx context.Context, deps Deps, req ListRequest) (ListResult, error) {
	if err := checkVaultURL(req.Vault); err != nil {
		return ListResult{}, err
	}
	if err := deps.check(); err != nil {
		return ListResult{}, err
	}
	kv, err := deps.vaultFor(req.Vault)
	if err != nil {
		return ListResult{}, err
	}
	all, err := kv.List(ctx)
	if err != nil {
		return ListResult{}, fmt.Errorf("listing secrets in %s: %w", kv.URL(), err)
	}
	pending := map[string]bool{}
	for _, s := range all {
		if n, ok := strings.CutSuffix(s.Name, PendingSuffix); ok && s.Tags[TagPendingFor] == n && s.Tags[TagCompleted] != "true" {
			pending[n] = true
		}
	}
	now := deps.Clock.Now()
	out := ListResult{Vault: kv.URL(), Secrets: []ManagedSecret{}}
	for _, s := range all {
		kind := s.Tags[TagKind]
		if kind == "" {
			continue
		}
		m := ManagedSecret{
			Name: s.Name, Kind: kind, AppID: s.Tags[TagAppID], User: s.Tags[TagUser], KeyID: s.Tags[TagKeyID],
			Version: s.Version, Expires: timePtr(derefTime(s.Expires)), LastRotation: s.Created.UTC(),
			RotationID: s.Tags[TagRotationID], Pending: pending[s.Name],
		}
		m.Owner = m.AppID
		if kind == KindUserPassword {
			m.Owner = m.User
		}
		m.Adopted = kind == KindUserPassword || m.KeyID != ""
		d := EvalDue(now, s, deps.Config)
		if kind == KindAppCertificate {
			// Certificates are renewed by hand: only their expiry matters.
			d = Due{}
			if s.Expires != nil {
				d.NextDue = s.Expires.Add(-deps.Config.DueWithin).UTC()
				if !now.Before(d.NextDue) {
					d.Due, d.Reason = true, "certificate expires "+s.Expires.UTC().Format(time.DateOnly)+"; renew it"
				}
			}
		}
		m.NextDue, m.Due, m.DueReason = d.NextDue, d.Due || m.Pending, d.Reason
		out.Secrets = append(out.Secrets, m)
	}
	slices.SortFunc(out.Secrets, func(a, b ManagedSecret) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// ExpiringRequest asks for every app and service principal credential in
// the tenant that expires within Days days (expired ones included).
type ExpiringRequest struct {
	Days int `json:"days"`
}

// Validate checks the request without any I/O.
func (r *ExpiringRequest) Validate() error {
	if r.Days < 0 || r.Days > 3650 {
		return op.Invalid("invalidDays", "days", "days must be between 0 and 3650, not %d", r.Days)
	}
	return nil
}

// ExpiringCredential is one credential near or past its end.
type ExpiringCredential struct {
	Object      string    `json:"object"` // application or servicePrincipal
	ObjectID    string    `json:"objectId"`
	AppID       string    `json:"appId"`
	AppName     string    `json:"appName"`
	Type        string    `json:"type"` // password or certificate
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName,omitempty"`
	End         time.Time `json:"endDateTime"`
	DaysLeft    int       `json:"daysLeft"` // negative: expired that many days ago
	Status      string    `json:"status"`   // expired or expiring
	Tenantops   bool      `json:"tenantops"`
}

// ExpiringSummary counts credentials.
type ExpiringSummary struct {
	Scanned  int `json:"scanned"`
	Expiring int `json:"expiring"`
	Expired  int `json:"expired"`
}

// ExpiringResult lists expiring credentials, soonest first.
type ExpiringResult struct {
	Days        int                  `json:"days"`
	Summary     ExpiringSummary      `json:"summary"`
	Credentials []ExpiringCredential `json:"credentials"`
}

// Problem reports expired credentials (CLI exit 3).
func (r ExpiringResult) Problem() bool { return r.Summary.Expired > 0 }

// Expiring scans every application and service principal (all pages).
func Expiring(ctx context.Context, deps Deps, req ExpiringRequest) (ExpiringResult, error) {
	if err := req.Validate(); err != nil {
		return ExpiringResult{}, err
	}
	if err := deps.check(); err != nil {
		return ExpiringResult{}, err
	}
	apps, err := deps.Directory.ListApplications(ctx, nil)
	if err != nil {
		return ExpiringResult{}, err
	}
	sps, err := deps.Directory.ListServicePrincipals(ctx, nil)
	if err != nil {
		return ExpiringResult{}, err
	}
	now := deps.Clock.Now()
	horizon := now.Add(time.Duration(req.Days) * 24 * time.Hour)
	res := ExpiringResult{Days: req.Days, Credentials: []ExpiringCredential{}}
	add := func(object, objectID, appID, name string, ps []graph.PasswordCredential, ks []graph.KeyCredential) {
		check := func(typ, keyID, dn string, end time.Time) {
			res.Summary.Scanned++
			if end.IsZero() || end.After(horizon) {
				return
			}
			c := ExpiringCredential{Object: object, ObjectID: objectID, AppID: appID, AppName: name, Type: typ, KeyID: keyID,
				DisplayName: dn, End: end.UTC(), DaysLeft: daysLeft(now, end), Status: "expiring",
				Tenantops: strings.HasPrefix(dn, DisplayNamePrefix)}
			if !now.Before(end) {
				c.Status = "expired"
				res.Summary.Expired++
			} else {
				res.Summary.Expiring++
			}
			res.Credentials = append(res.Credentials, c)
		}
		for _, p := range ps {
			check("password", p.KeyID, p.DisplayName, p.End)
		}
		for _, k := range ks {
			check("certificate", k.KeyID, k.DisplayName, k.End)
		}
	}
	for _, a := range apps {
		add("application", a.ID, a.AppID, a.DisplayName, a.Passwords, a.Keys)
	}
	for _, sp := range sps {
		add("servicePrincipal", sp.ID, sp.AppID, sp.DisplayName, sp.Passwords, sp.Keys)
	}
	slices.SortStableFunc(res.Credentials, func(a, b ExpiringCredential) int {
		if c := a.End.Compare(b.End); c != 0 {
			return c
		}
		return strings.Compare(a.KeyID, b.KeyID)
	})
	return res, nil
}

// daysLeft rounds towards the past: a credential ending in 12 hours has 0 days left.
func daysLeft(now, end time.Time) int {
	d := end.Sub(now)
	n := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		n--
	}
	return n
}
