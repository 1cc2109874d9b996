package devtenant

import (
	"crypto/sha1"
	"fmt"
	"time"
)

// Well-known resource applications (their appIds are the same in every tenant).
const (
	ResourceGraph      = "00000003-0000-0000-c000-000000000000" // Microsoft Graph
	ResourceSharePoint = "00000003-0000-0ff1-ce00-000000000000" // Office 365 SharePoint Online
	ResourceKeyVault   = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093" // Azure Key Vault
)

// Per-user MFA states (the legacy "multi-factor authentication" page).
const (
	MFADisabled = "disabled"
	MFAEnabled  = "enabled"
	MFAEnforced = "enforced"
)

// A Fixture is the complete initial state of a dev tenant. Fixtures are plain
// values: constructors return fresh copies and Start copies what it needs, so a
// fixture may be modified before (not after) it is passed to Start.
//
// Plain-text credentials (User.Password, PasswordCredential.Secret) exist only in
// fixtures; the running tenant stores salted hashes and shows hints.
type Fixture struct {
	TenantID      string
	DisplayName   string // organization name, e.g. "Contoso"
	DefaultDomain string // e.g. contoso.com
	InitialDomain string // e.g. contoso.onmicrosoft.com
	// SharePointHost is the tenant's SharePoint host, e.g. contoso.sharepoint.com.
	SharePointHost string
	// EgressIP is the IP address the dev machine appears to come from (ipaddr claim,
	// IP echo services, Conditional Access location evaluation).
	EgressIP string

	SecurityDefaultsEnabled bool
	AppManagementPolicy     AppManagementPolicy

	// SecretPropagationDelay: a client secret added with addPassword is rejected
	// (AADSTS7000215) until this long after it was added (Entra replication).
	SecretPropagationDelay time.Duration
	// RevocationDelay: revokeSignInSessions takes effect on existing user tokens
	// and refresh tokens only after this long ("a small delay of a few minutes").
	RevocationDelay time.Duration
	// LockoutThreshold is the number of consecutive bad passwords after which a
	// user is locked (AADSTS50053). 0 = 10 (Entra smart lockout default).
	LockoutThreshold int

	Users          []User
	Groups         []Group
	Apps           []App
	NamedLocations []NamedLocation
	CAPolicies     []CAPolicy
	Vaults         []Vault
	Sites          []Site
}

// AppManagementPolicy is the tenant default app management policy
// (policies/defaultAppManagementPolicy).
type AppManagementPolicy struct {
	Enabled bool
	// MaxPasswordLifetime restricts new client secrets (passwordLifetime restriction); 0 = none.
	MaxPasswordLifetime time.Duration
}

// User is a directory user.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	GivenName         string
	Surname           string
	Mail              string
	JobTitle          string
	Department        string
	OfficeLocation    string
	MobilePhone       string
	UserType          string // "Member" or "Guest"
	AccountEnabled    bool
	CreatedDateTime   time.Time

	Password                      string // fixture only
	PasswordExpired               bool
	Locked                        bool
	ForceChangePasswordNextSignIn bool
	PasswordPolicies              string // e.g. "DisablePasswordExpiration"
	LastPasswordChangeDateTime    time.Time

	PerUserMFAState string       // MFADisabled, MFAEnabled or MFAEnforced
	Methods         []AuthMethod // registered authentication methods besides the password
	IsAdmin         bool         // holds an admin role (reports: isAdmin)

	SignInSessionsValidFrom time.Time
}

// MFARegistered reports whether the user has registered a method usable for MFA.
func (u *User) MFARegistered() bool {
	for _, m := range u.Methods {
		switch m.Type {
		case "microsoftAuthenticator", "phone", "fido2", "softwareOath", "windowsHelloForBusiness":
			return true
		}
	}
	return false
}

// AuthMethod is a registered authentication method.
type AuthMethod struct {
	ID          string
	Type        string // microsoftAuthenticator, phone, fido2, softwareOath, email, windowsHelloForBusiness
	DisplayName string // device name (authenticator) or model (fido2)
	PhoneNumber string // phone
	PhoneType   string // mobile, alternateMobile, office
	Email       string // email
	Created     time.Time
}

// Group is a security group; Members holds user or group object ids.
type Group struct {
	ID              string
	DisplayName     string
	Description     string
	MailNickname    string
	SecurityEnabled bool
	MailEnabled     bool
	Members         []string
}

// App is an application registration together with its service principal in the tenant.
type App struct {
	AppID              string
	ObjectID           string // application object id
	ServicePrincipalID string // service principal object id
	DisplayName        string
	SignInAudience     string // default AzureADMyOrg
	PublicClient       bool   // isFallbackPublicClient: may use ROPC without a secret
	Disabled           bool   // accountEnabled=false on the service principal
	// AppRoles: application permissions granted (admin-consented) to the service
	// principal, keyed by resource appId (ResourceGraph, ResourceSharePoint, ...).
	AppRoles map[string][]string
	// DelegatedScopes: admin-consented delegated permissions, keyed by resource appId.
	DelegatedScopes map[string][]string
	// DirectoryRoles held by the service principal, e.g. "User Administrator".
	DirectoryRoles       []string
	Passwords            []PasswordCredential
	Certificates         []KeyCredential
	FederatedCredentials []FederatedCredential
	// Owners are object ids (users or service principals) owning the application.
	Owners []string
}

// PasswordCredential is a client secret. Secret is the plain value (fixture only).
type PasswordCredential struct {
	KeyID       string
	DisplayName string
	Secret      string
	Start       time.Time
	End         time.Time
}

// KeyCredential is a certificate credential (public part only).
type KeyCredential struct {
	KeyID       string
	DisplayName string
	CertDER     []byte
	Start       time.Time
	End         time.Time
}

// FederatedCredential is a federatedIdentityCredential on an application.
type FederatedCredential struct {
	ID        string
	Name      string
	Issuer    string
	Subject   string
	Audiences []string // default ["api://AzureADTokenExchange"]
}

// NamedLocation is an IP named location.
type NamedLocation struct {
	ID          string
	DisplayName string
	Trusted     bool
	CIDRs       []string
	Created     time.Time
	Modified    time.Time
}

// CAPolicy is a Conditional Access policy (the subset tenantops evaluates).
type CAPolicy struct {
	ID          string
	DisplayName string
	State       string // enabled, disabled, enabledForReportingButNotEnforced
	// Users: "All", "GuestsOrExternalUsers" or object ids; groups by object id.
	IncludeUsers, ExcludeUsers   []string
	IncludeGroups, ExcludeGroups []string
	// Applications: "All", "Office365" or resource appIds.
	IncludeApplications, ExcludeApplications []string
	// Locations: "All", "AllTrusted" or named location ids.
	IncludeLocations, ExcludeLocations []string
	// ClientAppTypes: "all" (default), "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other".
	ClientAppTypes []string
	// GrantControls: "mfa" or "block" (OR operator).
	GrantControls []string
	Created       time.Time
	Modified      time.Time
}

// Vault is a Key Vault with its secrets (each Secret is one version; later
// entries with the same name are newer versions).
type Vault struct {
	Name string
	// Access lists, per client appId, the secret permissions granted
	// (get, list, set, delete, recover, purge). "*" as appId = everyone in the tenant.
	Access  map[string][]string
	Secrets []Secret
}

// Secret is one version of a Key Vault secret.
type Secret struct {
	Name        string
	Version     string // 32 hex chars; generated when empty
	Value       string
	ContentType string
	Tags        map[string]string
	Enabled     bool
	NotBefore   time.Time // zero = unset
	Expires     time.Time // zero = unset
	Created     time.Time
}

// Site is a SharePoint site.
type Site struct {
	ID          string // Graph site id: "host,siteCollectionId,webId"
	Hostname    string // contoso.sharepoint.com
	Path        string // server-relative path, "" or "/" = root site, "/sites/operations"
	Title       string
	Description string
	WebID       string
	Created     time.Time
}

// StableID returns a deterministic GUID for (kind, name), so fixtures and
// generated tenants have the same ids on every run.
func StableID(kind, name string) string {
	h := sha1.Sum([]byte("devtenant/" + kind + "/" + name))
	h[6] = (h[6] & 0x0f) | 0x50 // version 5
	h[8] = (h[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// stableVersion returns a deterministic Key Vault version id (32 hex chars).
func stableVersion(vault, name string, n int) string {
	h := sha1.Sum(fmt.Appendf(nil, "devtenant/kv/%s/%s/%d", vault, name, n))
	return fmt.Sprintf("%x", h[:16])
}
