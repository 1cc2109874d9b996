package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
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
	a, err := c.sdk.ApplicationsWithAppId(&appID).Get(ctx, &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
		QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: appSelect},
	})
	if err != nil {
		return Application{}, wrap(op, ctxErr(ctx, err))
	}
	return toApplication(a), nil
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
	pc := models.NewPasswordCredential()
	if opts.DisplayName != "" {
		pc.SetDisplayName(&opts.DisplayName)
	}
	if !opts.Start.IsZero() {
		s := opts.Start.UTC()
		pc.SetStartDateTime(&s)
	}
	if !opts.End.IsZero() {
		e := opts.End.UTC()
		pc.SetEndDateTime(&e)
	}
	body := applications.NewItemAddPasswordPostRequestBody()
	body.SetPasswordCredential(pc)
	res, err := c.sdk.Applications().ByApplicationId(objectID).AddPassword().Post(ctx, body, nil)
	if err != nil {
		return NewPassword{}, wrap(op, ctxErr(ctx, err))
	}
	if res == nil || res.GetKeyId() == nil || deref(res.GetSecretText()) == "" {
		return NewPassword{}, &Error{Op: op, StatusCode: 200, Message: "Graph answered without keyId or secretText"}
	}
	return NewPassword{PasswordCredential: toPassword(res), SecretText: deref(res.GetSecretText())}, nil
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
	body := applications.NewItemRemovePasswordPostRequestBody()
	body.SetKeyId(&id)
	if err := c.sdk.Applications().ByApplicationId(objectID).RemovePassword().Post(ctx, body, nil); err != nil {
		return wrap(op, ctxErr(ctx, err))
	}
	return nil
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

func pageTop(n int) *int32 {
	t := int32(100)
	if n > 0 && n <= 999 {
		t = int32(n)
	}
	return &t
}

// ListApplications lists every application in the tenant with its
// credentials, following @odata.nextLink to the end.
func (c *Client) ListApplications(ctx context.Context, opts *ListApplicationsOptions) ([]Application, error) {
	const op = "listing applications"
	size := 0
	if opts != nil {
		size = opts.PageSize
	}
	b := c.sdk.Applications()
	page, err := b.Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Select: appSelect, Top: pageTop(size)},
	})
	var out []Application
	for {
		if err != nil {
			return nil, wrap(op, ctxErr(ctx, err))
		}
		for _, a := range page.GetValue() {
			out = append(out, toApplication(a))
		}
		next := deref(page.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		page, err = b.WithUrl(next).Get(ctx, nil)
	}
}

// ListServicePrincipals lists every service principal in the tenant with its
// own credentials, following @odata.nextLink to the end.
func (c *Client) ListServicePrincipals(ctx context.Context, opts *ListServicePrincipalsOptions) ([]ServicePrincipal, error) {
	const op = "listing service principals"
	size := 0
	if opts != nil {
		size = opts.PageSize
	}
	b := c.sdk.ServicePrincipals()
	page, err := b.Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
			Select: []string{"id", "appId", "displayName", "passwordCredentials", "keyCredentials"}, Top: pageTop(size),
		},
	})
	var out []ServicePrincipal
	for {
		if err != nil {
			return nil, wrap(op, ctxErr(ctx, err))
		}
		for _, sp := range page.GetValue() {
			out = append(out, ServicePrincipal{
				ID:          deref(sp.GetId()),
				AppID:       deref(sp.GetAppId()),
				DisplayName: deref(sp.GetDisplayName()),
				Passwords:   toPasswords(sp.GetPasswordCredentials()),
				Keys:        toKeys(sp.GetKeyCredentials()),
			})
		}
		next := deref(page.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		page, err = b.WithUrl(next).Get(ctx, nil)
	}
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
	p, err := c.sdk.Policies().DefaultAppManagementPolicy().Get(ctx, &policies.DefaultAppManagementPolicyRequestBuilderGetRequestConfiguration{})
	if err != nil {
		return AppManagementPolicy{}, wrap(op, ctxErr(ctx, err))
	}
	out := AppManagementPolicy{Enabled: deref(p.GetIsEnabled())}
	ar := p.GetApplicationRestrictions()
	if ar == nil {
		return out, nil
	}
	for _, r := range ar.GetPasswordCredentials() {
		if st := r.GetState(); st != nil && st.String() == "disabled" {
			continue
		}
		rt := r.GetRestrictionType()
		if rt == nil {
			continue
		}
		after := time.Time{}
		if t := r.GetRestrictForAppsCreatedAfterDateTime(); t != nil {
			after = *t
		}
		switch rt.String() {
		case "passwordLifetime":
			if ml := r.GetMaxLifetime(); ml != nil {
				d, err := ml.ToDuration()
				if err != nil {
					return out, &Error{Op: op, Err: fmt.Errorf("maxLifetime %q: %w", ml.String(), err)}
				}
				if out.MaxPasswordLifetime == 0 || d < out.MaxPasswordLifetime {
					out.MaxPasswordLifetime, out.LifetimeAppliesAfter = d, after
				}
			}
		case "passwordAddition":
			out.PasswordAdditionBlocked, out.AdditionBlockedAfter = true, after
		}
	}
	return out, nil
}

func toApplication(a models.Applicationable) Application {
	out := Application{
		ID:          deref(a.GetId()),
		AppID:       deref(a.GetAppId()),
		DisplayName: deref(a.GetDisplayName()),
		Passwords:   toPasswords(a.GetPasswordCredentials()),
		Keys:        toKeys(a.GetKeyCredentials()),
	}
	if t := a.GetCreatedDateTime(); t != nil {
		out.Created = *t
	}
	return out
}

func toPasswords(ps []models.PasswordCredentialable) []PasswordCredential {
	out := make([]PasswordCredential, 0, len(ps))
	for _, p := range ps {
		out = append(out, toPassword(p))
	}
	return out
}

func toPassword(p models.PasswordCredentialable) PasswordCredential {
	out := PasswordCredential{DisplayName: deref(p.GetDisplayName()), Hint: deref(p.GetHint())}
	if id := p.GetKeyId(); id != nil {
		out.KeyID = strings.ToLower(id.String())
	}
	if t := p.GetStartDateTime(); t != nil {
		out.Start = *t
	}
	if t := p.GetEndDateTime(); t != nil {
		out.End = *t
	}
	return out
}

func toKeys(ks []models.KeyCredentialable) []KeyCredential {
	out := make([]KeyCredential, 0, len(ks))
	for _, k := range ks {
		kc := KeyCredential{DisplayName: deref(k.GetDisplayName()), Type: deref(k.GetTypeEscaped()), Usage: deref(k.GetUsage())}
		if id := k.GetKeyId(); id != nil {
			kc.KeyID = strings.ToLower(id.String())
		}
		if t := k.GetStartDateTime(); t != nil {
			kc.Start = *t
		}
		if t := k.GetEndDateTime(); t != nil {
			kc.End = *t
		}
		out = append(out, kc)
	}
	return out
}
