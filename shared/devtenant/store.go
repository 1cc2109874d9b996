package devtenant

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// state is the mutable tenant data, guarded by Tenant.mu.
type state struct {
	routes         []*graphRoute // Graph routing table, read-only
	tenantID       string
	displayName    string
	domains        []string // lower-case; [0] = default
	initialDomain  string
	sharePointHost string
	egressIP       string

	securityDefaults bool
	appPolicy        AppManagementPolicy
	secretDelay      time.Duration
	revocationDelay  time.Duration
	lockout          int

	users      []*userRec // creation order; listing pages index into it
	usersByID  map[string]*userRec
	usersByUPN map[string]*userRec // lower-case UPN

	groups     []*Group
	groupsByID map[string]*Group

	apps      []*appRec
	appsByApp map[string]*appRec // appId
	appsByObj map[string]*appRec // application object id
	appsBySP  map[string]*appRec // service principal id

	namedLocations []*NamedLocation
	caPolicies     []*CAPolicy
	vaults         map[string]*vaultRec
	sites          []*Site

	signIns      []*signInRec
	refreshToken map[string]refreshRec // hash of refresh token -> grant
	tokens       map[string]TokenInfo  // jti -> issued token
	echoIP       map[string]string     // echo host -> IP override
}

// userRec is a user plus the server-side state that a fixture cannot express.
type userRec struct {
	User               // Password is always empty here
	idx                int
	pwSalt             [16]byte
	pwHash             [32]byte
	hasPassword        bool
	failedPasswords    int
	revokeCount        int
	revokedAt          time.Time // when the last revocation was requested (tenant clock)
	passwordChanges    int
	lastSignIn         time.Time
	lastNonInteractive time.Time
}

type appRec struct {
	App       // Passwords[i].Secret is always empty here
	passwords []*passwordRec
}

type passwordRec struct {
	PasswordCredential // Secret empty
	hint               string
	salt               [16]byte
	hash               [32]byte
	addedAt            time.Time // tenant clock; for propagation delay
}

type refreshRec struct {
	userID   string
	appID    string
	resource string
	scopes   []string
	issued   time.Time
}

// TokenInfo describes an access token the tenant issued.
type TokenInfo struct {
	ID        string // jti / uti
	AppID     string
	UserID    string // empty for app-only tokens
	Audience  string
	Roles     []string
	Scopes    []string
	AuthType  string // "secret", "certificate", "federated", "password", "refresh_token"
	IssuedAt  time.Time
	ExpiresAt time.Time
}

func hashSecret(salt [16]byte, secret string) [32]byte {
	h := sha256.New()
	h.Write(salt[:])
	h.Write([]byte(secret))
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func newSalt() [16]byte {
	var s [16]byte
	_, _ = rand.Read(s[:])
	return s
}

func secretEqual(salt [16]byte, hash [32]byte, secret string) bool {
	h := hashSecret(salt, secret)
	return subtle.ConstantTimeCompare(h[:], hash[:]) == 1
}

func secretHint(s string) string {
	if len(s) < 3 {
		return s
	}
	return s[:3]
}

func newState(fx *Fixture, now time.Time) (*state, error) {
	if fx.TenantID == "" {
		return nil, errors.New("fixture has no tenant id")
	}
	st := &state{
		tenantID:         strings.ToLower(fx.TenantID),
		displayName:      fx.DisplayName,
		initialDomain:    strings.ToLower(fx.InitialDomain),
		sharePointHost:   strings.ToLower(fx.SharePointHost),
		egressIP:         fx.EgressIP,
		securityDefaults: fx.SecurityDefaultsEnabled,
		appPolicy:        fx.AppManagementPolicy,
		secretDelay:      fx.SecretPropagationDelay,
		revocationDelay:  fx.RevocationDelay,
		lockout:          fx.LockoutThreshold,
		usersByID:        make(map[string]*userRec, len(fx.Users)),
		usersByUPN:       make(map[string]*userRec, len(fx.Users)),
		groupsByID:       map[string]*Group{},
		appsByApp:        map[string]*appRec{},
		appsByObj:        map[string]*appRec{},
		appsBySP:         map[string]*appRec{},
		vaults:           map[string]*vaultRec{},
		refreshToken:     map[string]refreshRec{},
		tokens:           map[string]TokenInfo{},
		echoIP:           map[string]string{},
	}
	if st.lockout <= 0 {
		st.lockout = 10
	}
	if st.egressIP == "" {
		st.egressIP = DefaultEgressIP
	}
	if fx.DefaultDomain != "" {
		st.domains = append(st.domains, strings.ToLower(fx.DefaultDomain))
	}
	if st.initialDomain != "" {
		st.domains = append(st.domains, st.initialDomain)
	}
	st.users = make([]*userRec, 0, len(fx.Users))
	for i := range fx.Users {
		if err := st.addUser(fx.Users[i], now); err != nil {
			return nil, err
		}
	}
	for i := range fx.Groups {
		g := fx.Groups[i]
		g.Members = append([]string(nil), g.Members...)
		if g.ID == "" {
			g.ID = StableID("group", g.DisplayName)
		}
		st.groups = append(st.groups, &g)
		st.groupsByID[strings.ToLower(g.ID)] = &g
	}
	for i := range fx.Apps {
		if err := st.addApp(fx.Apps[i], now); err != nil {
			return nil, err
		}
	}
	for i := range fx.NamedLocations {
		nl := fx.NamedLocations[i]
		nl.CIDRs = append([]string(nil), nl.CIDRs...)
		if nl.ID == "" {
			nl.ID = StableID("namedLocation", nl.DisplayName)
		}
		for _, c := range nl.CIDRs {
			if _, err := netip.ParsePrefix(c); err != nil {
				return nil, fmt.Errorf("named location %q: %w", nl.DisplayName, err)
			}
		}
		st.namedLocations = append(st.namedLocations, &nl)
	}
	for i := range fx.CAPolicies {
		p := fx.CAPolicies[i]
		if p.ID == "" {
			p.ID = StableID("caPolicy", p.DisplayName)
		}
		if p.State == "" {
			p.State = "enabled"
		}
		st.caPolicies = append(st.caPolicies, &p)
	}
	for i := range fx.Vaults {
		st.vaults[strings.ToLower(fx.Vaults[i].Name)] = newVaultRec(fx.Vaults[i], now)
	}
	for i := range fx.Sites {
		s := fx.Sites[i]
		if s.Hostname == "" {
			s.Hostname = st.sharePointHost
		}
		if s.Path == "" {
			s.Path = "/"
		}
		if s.WebID == "" {
			s.WebID = StableID("web", s.Hostname+s.Path)
		}
		if s.ID == "" {
			s.ID = s.Hostname + "," + StableID("siteCollection", s.Hostname+s.Path) + "," + s.WebID
		}
		st.sites = append(st.sites, &s)
	}
	return st, nil
}

func (st *state) addUser(u User, now time.Time) error {
	if u.UserPrincipalName == "" {
		return errors.New("user without userPrincipalName")
	}
	if u.ID == "" {
		u.ID = StableID("user", strings.ToLower(u.UserPrincipalName))
	}
	if u.UserType == "" {
		u.UserType = "Member"
	}
	if u.PerUserMFAState == "" {
		u.PerUserMFAState = MFADisabled
	}
	if u.CreatedDateTime.IsZero() {
		u.CreatedDateTime = now
	}
	lu := strings.ToLower(u.UserPrincipalName)
	if _, dup := st.usersByUPN[lu]; dup {
		return fmt.Errorf("duplicate user %s", u.UserPrincipalName)
	}
	if _, dup := st.usersByID[strings.ToLower(u.ID)]; dup {
		return fmt.Errorf("duplicate user id %s", u.ID)
	}
	rec := &userRec{User: u, idx: len(st.users)}
	rec.Methods = append([]AuthMethod(nil), u.Methods...)
	if u.Password != "" {
		rec.pwSalt = newSalt()
		rec.pwHash = hashSecret(rec.pwSalt, u.Password)
		rec.hasPassword = true
	}
	rec.Password = ""
	st.users = append(st.users, rec)
	st.usersByID[strings.ToLower(u.ID)] = rec
	st.usersByUPN[lu] = rec
	return nil
}

func (st *state) addApp(a App, now time.Time) error {
	if a.AppID == "" {
		return fmt.Errorf("app %q without appId", a.DisplayName)
	}
	if a.ObjectID == "" {
		a.ObjectID = StableID("application", a.AppID)
	}
	if a.ServicePrincipalID == "" {
		a.ServicePrincipalID = StableID("servicePrincipal", a.AppID)
	}
	if a.SignInAudience == "" {
		a.SignInAudience = "AzureADMyOrg"
	}
	rec := &appRec{App: a}
	rec.AppRoles = cloneRoleMap(a.AppRoles)
	rec.DelegatedScopes = cloneRoleMap(a.DelegatedScopes)
	rec.DirectoryRoles = append([]string(nil), a.DirectoryRoles...)
	rec.Certificates = append([]KeyCredential(nil), a.Certificates...)
	rec.FederatedCredentials = append([]FederatedCredential(nil), a.FederatedCredentials...)
	rec.Owners = append([]string(nil), a.Owners...)
	rec.Passwords = nil
	for _, p := range a.Passwords {
		pr := &passwordRec{PasswordCredential: p, hint: secretHint(p.Secret), salt: newSalt()}
		pr.hash = hashSecret(pr.salt, p.Secret)
		pr.Secret = ""
		if pr.KeyID == "" {
			pr.KeyID = StableID("password", a.AppID+"/"+p.DisplayName)
		}
		pr.addedAt = now.Add(-24 * time.Hour) // fixture secrets are long replicated
		rec.passwords = append(rec.passwords, pr)
	}
	key := strings.ToLower(a.AppID)
	if _, dup := st.appsByApp[key]; dup {
		return fmt.Errorf("duplicate app %s", a.AppID)
	}
	st.apps = append(st.apps, rec)
	st.appsByApp[key] = rec
	st.appsByObj[strings.ToLower(a.ObjectID)] = rec
	st.appsBySP[strings.ToLower(a.ServicePrincipalID)] = rec
	return nil
}

func cloneRoleMap(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = append([]string(nil), v...)
	}
	return out
}

// lookupUser finds a user by object id or userPrincipalName (case-insensitive).
func (st *state) lookupUser(idOrUPN string) *userRec {
	k := strings.ToLower(idOrUPN)
	if u, ok := st.usersByID[k]; ok {
		return u
	}
	return st.usersByUPN[k]
}

// knownTenant reports whether s names this tenant (id or verified domain).
func (st *state) knownTenant(s string) bool {
	s = strings.ToLower(s)
	if s == st.tenantID {
		return true
	}
	for _, d := range st.domains {
		if s == d {
			return true
		}
	}
	return false
}

// UserState is a snapshot of a user for tests.
type UserState struct {
	ID                      string
	UserPrincipalName       string
	DisplayName             string
	UserType                string
	AccountEnabled          bool
	SignInSessionsValidFrom time.Time
	RevokeCount             int
	PerUserMFAState         string
	MFARegistered           bool
	Methods                 []AuthMethod
	IsAdmin                 bool
	Locked                  bool
	PasswordExpired         bool
	FailedPasswordAttempts  int
	PasswordChangeCount     int
	LastPasswordChange      time.Time
	ForceChangePassword     bool
	PasswordPolicies        string
}

func (u *userRec) snapshot() UserState {
	return UserState{
		ID:                      u.ID,
		UserPrincipalName:       u.UserPrincipalName,
		DisplayName:             u.DisplayName,
		UserType:                u.UserType,
		AccountEnabled:          u.AccountEnabled,
		SignInSessionsValidFrom: u.SignInSessionsValidFrom,
		RevokeCount:             u.revokeCount,
		PerUserMFAState:         u.PerUserMFAState,
		MFARegistered:           u.MFARegistered(),
		Methods:                 append([]AuthMethod(nil), u.Methods...),
		IsAdmin:                 u.IsAdmin,
		Locked:                  u.Locked,
		PasswordExpired:         u.PasswordExpired,
		FailedPasswordAttempts:  u.failedPasswords,
		PasswordChangeCount:     u.passwordChanges,
		LastPasswordChange:      u.LastPasswordChangeDateTime,
		ForceChangePassword:     u.ForceChangePasswordNextSignIn,
		PasswordPolicies:        u.PasswordPolicies,
	}
}

// User returns a snapshot of the user with the given object id or UPN.
func (t *Tenant) User(idOrUPN string) (UserState, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.lookupUser(idOrUPN)
	if u == nil {
		return UserState{}, false
	}
	return u.snapshot(), true
}

// UserCount returns the number of users.
func (t *Tenant) UserCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.st.users)
}

// EgressIP returns the IP address the tenant sees the dev machine coming from.
func (t *Tenant) EgressIP() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.egressIP
}

// SetEgressIP changes the caller's apparent IP (echo services, ipaddr claim,
// Conditional Access location evaluation).
func (t *Tenant) SetEgressIP(ip string) error {
	if _, err := netip.ParseAddr(ip); err != nil {
		return fmt.Errorf("devtenant: egress IP: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.egressIP = ip
	return nil
}

// SetSecretPropagationDelay sets how long a newly added client secret is
// rejected with AADSTS7000215 (Entra replication).
func (t *Tenant) SetSecretPropagationDelay(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.secretDelay = d
}

// SetRevocationDelay sets how long after revokeSignInSessions existing user
// tokens and refresh tokens keep working.
func (t *Tenant) SetRevocationDelay(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.revocationDelay = d
}

// Tokens returns the access tokens issued so far (without the token strings).
func (t *Tenant) Tokens() []TokenInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]TokenInfo, 0, len(t.st.tokens))
	for _, ti := range t.st.tokens {
		out = append(out, ti)
	}
	return out
}
