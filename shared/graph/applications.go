package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/microsoft/kiota-abstractions-go/serialization"
)

// PasswordCredential is a client secret as Graph lists it: never the value,
// only its first three characters (Hint).
type PasswordCredential struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName,omitempty"`
	Hint        string    `json:"hint,omitempty"`
	Start       time.Time `json:"startDateTime,omitzero"`
	End         time.Time `json:"endDateTime,omitzero"`
}

// KeyCredential is a certificate (or other key) credential, public part only.
type KeyCredential struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName,omitempty"`
	Type        string    `json:"type,omitempty"`  // AsymmetricX509Cert, …
	Usage       string    `json:"usage,omitempty"` // Verify, Sign
	Start       time.Time `json:"startDateTime,omitzero"`
	End         time.Time `json:"endDateTime,omitzero"`
}

// Application is an app registration with its credentials.
type Application struct {
	ID          string               `json:"id"` // object id
	AppID       string               `json:"appId"`
	DisplayName string               `json:"displayName,omitempty"`
	Created     time.Time            `json:"createdDateTime,omitzero"`
	Passwords   []PasswordCredential `json:"passwordCredentials"`
	Keys        []KeyCredential      `json:"keyCredentials"`
}

// ServicePrincipal is an app's identity in this tenant with its own credentials
// (rare, but secrets can be added to a service principal too).
type ServicePrincipal struct {
	ID          string               `json:"id"`
	AppID       string               `json:"appId"`
	DisplayName string               `json:"displayName,omitempty"`
	Passwords   []PasswordCredential `json:"passwordCredentials"`
	Keys        []KeyCredential      `json:"keyCredentials"`
}

// NewPassword is what addPassword returns: the only time Graph ever shows the
// secret. SecretText never serialises and never prints.
type NewPassword struct {
	PasswordCredential
	SecretText string `json:"-"`
}

// String never prints the secret.
func (p NewPassword) String() string { return fmt.Sprintf("password credential %s", p.KeyID) }

// GoString never prints the secret either (%#v).
func (p NewPassword) GoString() string { return p.String() }

var appSelect = []string{"id", "appId", "displayName", "createdDateTime", "passwordCredentials", "keyCredentials"}

// GetApplicationOptions are the options of GetApplicationByAppID (none yet).
type GetApplicationOptions struct{}

// GetApplicationByAppID reads an application by its client id (the
// applications(appId='…') alternate key) with its credentials.
func (c *Client) GetApplicationByAppID(ctx context.Context, appID string, _ *GetApplicationOptions) (Application, error) {
	op := fmt.Sprintf("getting application %s", appID)
	if _, err := uuid.Parse(appID); err != nil {
		return Application{}, &Error{Op: op, Err: fmt.Errorf("%q is not an application (client) id", appID)}
	}
	var a Application
	if err := c.Raw(ctx, op, http.MethodGet, "v1.0/applications(appId='"+appID+"')?$select="+strings.Join(appSelect, ","), nil, &a); err != nil {
		return Application{}, err
	}
	return a.normalized(), nil
}

// AddPasswordOptions describe a new client secret.
type AddPasswordOptions struct {
	DisplayName string
	Start       time.Time // zero = now (Graph's default)
	End         time.Time // zero = Start + 2 years (Graph's default)
}

// AddApplicationPassword adds a client secret to the application with object
// id objectID. The secret is returned once, in NewPassword.SecretText.
func (c *Client) AddApplicationPassword(ctx context.Context, objectID string, opts AddPasswordOptions) (NewPassword, error) {
	op := fmt.Sprintf("adding a password to application %s", objectID)
	pc := map[string]any{}
	if opts.DisplayName != "" {
		pc["displayName"] = opts.DisplayName
	}
	if !opts.Start.IsZero() {
		pc["startDateTime"] = opts.Start.UTC()
	}
	if !opts.End.IsZero() {
		pc["endDateTime"] = opts.End.UTC()
	}
	var res struct {
		PasswordCredential
		SecretText string `json:"secretText"`
	}
	if err := c.Raw(ctx, op, http.MethodPost, "v1.0/applications/"+url.PathEscape(objectID)+"/addPassword", map[string]any{"passwordCredential": pc}, &res); err != nil {
		return NewPassword{}, err
	}
	if res.KeyID == "" || res.SecretText == "" {
		return NewPassword{}, &Error{Op: op, StatusCode: 200, Message: "Graph answered without keyId or secretText"}
	}
	res.KeyID = strings.ToLower(res.KeyID)
	return NewPassword{PasswordCredential: res.PasswordCredential, SecretText: res.SecretText}, nil
}

// RemovePasswordOptions are the options of RemoveApplicationPassword (none yet).
type RemovePasswordOptions struct{}

// RemoveApplicationPassword removes the client secret keyID from the
// application with object id objectID.
func (c *Client) RemoveApplicationPassword(ctx context.Context, objectID, keyID string, _ *RemovePasswordOptions) error {
	op := fmt.Sprintf("removing password %s from application %s", keyID, objectID)
	id, err := uuid.Parse(keyID)
	if err != nil {
		return &Error{Op: op, Err: fmt.Errorf("%q is not a keyId", keyID)}
	}
	return c.Raw(ctx, op, http.MethodPost, "v1.0/applications/"+url.PathEscape(objectID)+"/removePassword", map[string]string{"keyId": id.String()}, nil)
}

// ListApplicationsOptions are the options of ListApplications.
type ListApplicationsOptions struct {
	// PageSize is $top (1..999; 0 = 100).
	PageSize int
}

// ListServicePrincipalsOptions are the options of ListServicePrincipals.
type ListServicePrincipalsOptions struct {
	// PageSize is $top (1..999; 0 = 100).
	PageSize int
}

func pageTop(n int) string {
	if n > 0 && n <= 999 {
		return strconv.Itoa(n)
	}
	return "100"
}

// ListApplications lists every application in the tenant with its
// credentials, following @odata.nextLink to the end.
func (c *Client) ListApplications(ctx context.Context, opts *ListApplicationsOptions) ([]Application, error) {
	size := 0
	if opts != nil {
		size = opts.PageSize
	}
	var out []Application
	err := c.eachPage(ctx, "listing applications", "v1.0/applications?$select="+strings.Join(appSelect, ",")+"&$top="+pageTop(size), func(raw json.RawMessage) error {
		var a Application
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		out = append(out, a.normalized())
		return nil
	})
	return out, err
}

// ListServicePrincipals lists every service principal in the tenant with its
// own credentials, following @odata.nextLink to the end.
func (c *Client) ListServicePrincipals(ctx context.Context, opts *ListServicePrincipalsOptions) ([]ServicePrincipal, error) {
	size := 0
	if opts != nil {
		size = opts.PageSize
	}
	var out []ServicePrincipal
	err := c.eachPage(ctx, "listing service principals", "v1.0/servicePrincipals?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top="+pageTop(size), func(raw json.RawMessage) error {
		var sp ServicePrincipal
		if err := json.Unmarshal(raw, &sp); err != nil {
			return err
		}
		sp.Passwords, sp.Keys = normalPasswords(sp.Passwords), normalKeys(sp.Keys)
		out = append(out, sp)
		return nil
	})
	return out, err
}

// AppManagementPolicy is the part of the tenant's default app management
// policy that governs new client secrets.
type AppManagementPolicy struct {
	Enabled bool `json:"isEnabled"`
	// MaxPasswordLifetime caps new client secrets (passwordLifetime restriction); 0 = no cap.
	MaxPasswordLifetime time.Duration `json:"maxPasswordLifetime,omitempty"`
	// LifetimeAppliesAfter: the cap applies to apps created after this time (zero = all apps).
	LifetimeAppliesAfter time.Time `json:"lifetimeAppliesAfter,omitzero"`
	// PasswordAdditionBlocked: new client secrets are refused (passwordAddition restriction).
	PasswordAdditionBlocked bool `json:"passwordAdditionBlocked,omitempty"`
	// AdditionBlockedAfter: the block applies to apps created after this time (zero = all apps).
	AdditionBlockedAfter time.Time `json:"additionBlockedAfter,omitzero"`
}

// MaxLifetimeFor returns the lifetime cap that applies to an app created at
// created (0 = none). An unknown creation time gets the cap.
func (p AppManagementPolicy) MaxLifetimeFor(created time.Time) time.Duration {
	if !p.Enabled || p.MaxPasswordLifetime <= 0 {
		return 0
	}
	if !created.IsZero() && !p.LifetimeAppliesAfter.IsZero() && !created.After(p.LifetimeAppliesAfter) {
		return 0
	}
	return p.MaxPasswordLifetime
}

// AdditionBlockedFor reports whether new secrets are refused for an app created at created.
func (p AppManagementPolicy) AdditionBlockedFor(created time.Time) bool {
	if !p.Enabled || !p.PasswordAdditionBlocked {
		return false
	}
	return created.IsZero() || p.AdditionBlockedAfter.IsZero() || created.After(p.AdditionBlockedAfter)
}

// GetPolicyOptions are the options of GetDefaultAppManagementPolicy (none yet).
type GetPolicyOptions struct{}

// GetDefaultAppManagementPolicy reads policies/defaultAppManagementPolicy.
func (c *Client) GetDefaultAppManagementPolicy(ctx context.Context, _ *GetPolicyOptions) (AppManagementPolicy, error) {
	const op = "reading the tenant's default app management policy"
	var p struct {
		IsEnabled               bool `json:"isEnabled"`
		ApplicationRestrictions *struct {
			PasswordCredentials []struct {
				RestrictionType string     `json:"restrictionType"`
				State           string     `json:"state"`
				MaxLifetime     string     `json:"maxLifetime"` // ISO 8601 duration, e.g. P90D
				CreatedAfter    *time.Time `json:"restrictForAppsCreatedAfterDateTime"`
			} `json:"passwordCredentials"`
		} `json:"applicationRestrictions"`
	}
	if err := c.Raw(ctx, op, http.MethodGet, "v1.0/policies/defaultAppManagementPolicy", nil, &p); err != nil {
		return AppManagementPolicy{}, err
	}
	out := AppManagementPolicy{Enabled: p.IsEnabled}
	if p.ApplicationRestrictions == nil {
		return out, nil
	}
	for _, r := range p.ApplicationRestrictions.PasswordCredentials {
		if r.State == "disabled" {
			continue
		}
		after := time.Time{}
		if r.CreatedAfter != nil {
			after = *r.CreatedAfter
		}
		switch r.RestrictionType {
		case "passwordLifetime":
			if r.MaxLifetime == "" {
				continue
			}
			iso, err := serialization.ParseISODuration(r.MaxLifetime)
			if err != nil {
				return out, &Error{Op: op, Err: fmt.Errorf("maxLifetime %q: %w", r.MaxLifetime, err)}
			}
			d, err := iso.ToDuration()
			if err != nil {
				return out, &Error{Op: op, Err: fmt.Errorf("maxLifetime %q: %w", r.MaxLifetime, err)}
			}
			if out.MaxPasswordLifetime == 0 || d < out.MaxPasswordLifetime {
				out.MaxPasswordLifetime, out.LifetimeAppliesAfter = d, after
			}
		case "passwordAddition":
			out.PasswordAdditionBlocked, out.AdditionBlockedAfter = true, after
		}
	}
	return out, nil
}

// normalized lower-cases key ids and turns absent credential lists into
// empty ones, as results print them.
func (a Application) normalized() Application {
	a.Passwords, a.Keys = normalPasswords(a.Passwords), normalKeys(a.Keys)
	return a
}

func normalPasswords(ps []PasswordCredential) []PasswordCredential {
	out := make([]PasswordCredential, 0, len(ps))
	for _, p := range ps {
		p.KeyID = strings.ToLower(p.KeyID)
		out = append(out, p)
	}
	return out
}

func normalKeys(ks []KeyCredential) []KeyCredential {
	out := make([]KeyCredential, 0, len(ks))
	for _, k := range ks {
		k.KeyID = strings.ToLower(k.KeyID)
		out = append(out, k)
	}
	return out
}
