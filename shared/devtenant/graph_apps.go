package devtenant

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Applications, service principals, client secrets (addPassword/removePassword).

func appRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "applications", permAppRead, "directory", 2, (*Tenant).listApps),
		route("GET", "applications/{}", permAppRead, "directory", 1, (*Tenant).getApp),
		route("POST", "applications/{}/addPassword", permAppWrite, "directory", 1, addPasswordHandler(false)),
		route("POST", "applications/{}/removePassword", permAppWrite, "directory", 1, removePasswordHandler(false)),
		route("GET", "servicePrincipals", permAppRead, "directory", 1, (*Tenant).listSPs),
		route("GET", "servicePrincipals/{}", permAppRead, "directory", 1, (*Tenant).getSP),
		route("GET", "servicePrincipals/{}/appRoleAssignments", permAppRead, "directory", 2, (*Tenant).spAppRoleAssignments),
		route("POST", "servicePrincipals/{}/addPassword", permAppWrite, "directory", 1, addPasswordHandler(true)),
		route("POST", "servicePrincipals/{}/removePassword", permAppWrite, "directory", 1, removePasswordHandler(true)),
		route("GET", "policies/defaultAppManagementPolicy", permAppPolicy, "directory", 1, (*Tenant).getAppPolicy),
		route("PATCH", "policies/defaultAppManagementPolicy", permAppPolWrite, "directory", 1, (*Tenant).patchAppPolicy),
	}
}

// Well-known Microsoft Graph application permission ids (others get deterministic ids).
var knownRoleIDs = map[string]string{
	"User.Read.All":                      "df021288-bdef-4463-88db-98f22de89214",
	"User.ReadWrite.All":                 "741f803b-c850-494e-b5df-cde7c675a1ca",
	"Directory.Read.All":                 "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
	"Directory.ReadWrite.All":            "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
	"Application.Read.All":               "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
	"Application.ReadWrite.All":          "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
	"Application.ReadWrite.OwnedBy":      "18a4783c-866b-4cc7-a460-3d5e5662c884",
	"AuditLog.Read.All":                  "b0afded3-3588-46d8-8b3d-9842eff778da",
	"Policy.Read.All":                    "246dd0d5-5bd0-4def-940b-0421030a5b68",
	"Policy.ReadWrite.ConditionalAccess": "01c0a623-fc9b-48e9-b794-0756f8e8f067",
	"Policy.ReadWrite.SecurityDefaults":  "1c6e93a6-28e2-4cbb-9f64-1a46a821124d",
	"Sites.Read.All":                     "332a536c-c7ef-4017-ab91-336970924f0d",
	"GroupMember.Read.All":               "98830695-27a2-44f7-8c18-0c3ebc9698f6",
}

func appRoleID(resource, role string) string {
	if resource == ResourceGraph {
		if id, ok := knownRoleIDs[role]; ok {
			return id
		}
	}
	return StableID("appRole", resource+"/"+role)
}

// lookupApp resolves an application object id or "appId=<appId>".
func (st *state) lookupApp(key string, bySP bool) *appRec {
	if id, ok := strings.CutPrefix(key, "appId="); ok {
		return st.appsByApp[strings.ToLower(id)]
	}
	if bySP {
		return st.appsBySP[strings.ToLower(key)]
	}
	return st.appsByObj[strings.ToLower(key)]
}

var appDefaultProps = []string{"id", "appId", "displayName", "createdDateTime", "isFallbackPublicClient", "signInAudience", "publisherDomain", "identifierUris", "passwordCredentials", "keyCredentials", "requiredResourceAccess"}

var appProps = propSet(appDefaultProps...)

var appFilterProps = propSet("id", "appId", "displayName")

func (st *state) passwordJSON(p *passwordRec) jobj {
	return jobj{{"customKeyIdentifier", nil}, {"displayName", nz(p.DisplayName)}, {"endDateTime", gtime(p.End)}, {"hint", p.hint},
		{"keyId", p.KeyID}, {"secretText", nil}, {"startDateTime", gtime(p.Start)}}
}

func keyJSON(k KeyCredential) jobj {
	thumb, _ := hex.DecodeString(certThumbprint(k.CertDER))
	return jobj{{"customKeyIdentifier", base64.StdEncoding.EncodeToString(thumb)}, {"displayName", nz(k.DisplayName)},
		{"endDateTime", gtime(k.End)}, {"key", nil}, {"keyId", k.KeyID}, {"startDateTime", gtime(k.Start)},
		{"type", "AsymmetricX509Cert"}, {"usage", "Verify"}}
}

func (st *state) appProp(a *appRec, p string) any {
	switch p {
	case "id":
		return a.ObjectID
	case "appId":
		return a.AppID
	case "displayName":
		return a.DisplayName
	case "createdDateTime":
		return nil
	case "isFallbackPublicClient":
		return a.PublicClient
	case "signInAudience":
		return a.SignInAudience
	case "publisherDomain":
		if len(st.domains) > 0 {
			return st.domains[0]
		}
		return nil
	case "identifierUris":
		return []string{}
	case "passwordCredentials":
		out := []jobj{}
		for _, pw := range a.passwords {
			out = append(out, st.passwordJSON(pw))
		}
		return out
	case "keyCredentials":
		out := []jobj{}
		for _, k := range a.Certificates {
			out = append(out, keyJSON(k))
		}
		return out
	case "requiredResourceAccess":
		var out []jobj
		res := make([]string, 0, len(a.AppRoles)+len(a.DelegatedScopes))
		for r := range a.AppRoles {
			res = append(res, r)
		}
		for r := range a.DelegatedScopes {
			if !slices.Contains(res, r) {
				res = append(res, r)
			}
		}
		slices.Sort(res)
		for _, r := range res {
			var acc []jobj
			for _, role := range a.AppRoles[r] {
				acc = append(acc, jobj{{"id", appRoleID(r, role)}, {"type", "Role"}})
			}
			for _, s := range a.DelegatedScopes[r] {
				acc = append(acc, jobj{{"id", StableID("scope", r+"/"+s)}, {"type", "Scope"}})
			}
			out = append(out, jobj{{"resourceAppId", r}, {"resourceAccess", acc}})
		}
		if out == nil {
			out = []jobj{}
		}
		return out
	}
	return nil
}

func (st *state) appJSON(a *appRec, sel []string) jobj {
	props := sel
	if props == nil {
		props = appDefaultProps
	}
	o := jobj{}
	for _, p := range props {
		o = append(o, kv{p, st.appProp(a, p)})
	}
	return o
}

func (t *Tenant) listApps(g *graphReq) {
	sel, ok := parseSelect(g, appProps, "application")
	if !ok {
		return
	}
	top, ok := pageSize(g, 100, 999)
	if !ok {
		return
	}
	flt, err := parseFilter(g.q.Get("$filter"), appFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	start, ok := parseSkipToken(g, "applications")
	if !ok {
		return
	}
	t.mu.RLock()
	var page []jobj
	next := -1
	for i := start; i < len(t.st.apps); i++ {
		a := t.st.apps[i]
		if flt != nil && !flt.match(func(p string) any { return t.st.appProp(a, p) }) {
			continue
		}
		if len(page) == top {
			next = i
			break
		}
		page = append(page, t.st.appJSON(a, sel))
	}
	t.mu.RUnlock()
	nl := ""
	if next >= 0 {
		nl = g.nextLink(skipToken("applications", next))
	}
	g.writeCollection(selectContext(g.base(), "applications", sel, false), nl, len(page), func(i int) any { return page[i] })
}

func (t *Tenant) getApp(g *graphReq) {
	sel, ok := parseSelect(g, appProps, "application")
	if !ok {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.st.lookupApp(g.params[0], false)
	if a == nil {
		g.notFound(strings.TrimPrefix(g.params[0], "appId="))
		return
	}
	g.json(http.StatusOK, append(jobj{{"@odata.context", selectContext(g.base(), "applications", sel, true)}}, t.st.appJSON(a, sel)...))
}

// canWriteApp enforces Application.ReadWrite.OwnedBy: without
// Application.ReadWrite.All the caller's service principal must own the app.
func canWriteApp(c *accessClaims, a *appRec) bool {
	if hasAny(c, []string{"Application.ReadWrite.All"}) {
		return true
	}
	return containsFold(a.Owners, c.Oid)
}

const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~"

// newClientSecret returns a 40-character secret shaped like Entra's ("xxx8Q~...").
func newClientSecret() string {
	b := make([]byte, 40)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(secretAlphabet))))
		b[i] = secretAlphabet[n.Int64()]
	}
	copy(b[3:6], "8Q~")
	return string(b)
}

// errLifetime reports a secret lifetime beyond the app management policy.
var errLifetime = errors.New("credential lifetime exceeds the app management policy")

// addPassword adds a client secret to an app. Caller holds t.mu.
func (st *state) addPassword(a *appRec, displayName string, start, end, now time.Time) (*passwordRec, string, error) {
	if start.IsZero() {
		start = now
	}
	if end.IsZero() {
		end = start.AddDate(2, 0, 0)
	}
	if !end.After(start) {
		return nil, "", errors.New("endDateTime must be after startDateTime")
	}
	if st.appPolicy.Enabled && st.appPolicy.MaxPasswordLifetime > 0 && end.Sub(start) > st.appPolicy.MaxPasswordLifetime {
		return nil, "", errLifetime
	}
	secret := newClientSecret()
	p := &passwordRec{
		PasswordCredential: PasswordCredential{KeyID: newGUID(), DisplayName: displayName, Start: start.UTC(), End: end.UTC()},
		hint:               secretHint(secret), salt: newSalt(), addedAt: now,
	}
	p.hash = hashSecret(p.salt, secret)
	a.passwords = append(a.passwords, p)
	return p, secret, nil
}

func addPasswordHandler(bySP bool) func(*Tenant, *graphReq) {
	return func(t *Tenant, g *graphReq) {
		var body struct {
			PasswordCredential *struct {
				DisplayName   string     `json:"displayName"`
				StartDateTime *time.Time `json:"startDateTime"`
				EndDateTime   *time.Time `json:"endDateTime"`
			} `json:"passwordCredential"`
		}
		if len(strings.TrimSpace(string(g.body))) > 0 && !g.decode(&body) {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		a := t.st.lookupApp(g.params[0], bySP)
		if a == nil {
			g.notFound(strings.TrimPrefix(g.params[0], "appId="))
			return
		}
		if !canWriteApp(g.claims, a) {
			g.error(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		var name string
		var start, end time.Time
		if pc := body.PasswordCredential; pc != nil {
			name = pc.DisplayName
			if pc.StartDateTime != nil {
				start = *pc.StartDateTime
			}
			if pc.EndDateTime != nil {
				end = *pc.EndDateTime
			}
		}
		p, secret, err := t.st.addPassword(a, name, start, end, g.now)
		switch {
		case errors.Is(err, errLifetime):
			g.badRequest(fmt.Sprintf("Credential lifetime exceeds the max value allowed as per assigned policy '%s'.", appPolicyID))
			return
		case err != nil:
			g.badRequest(err.Error())
			return
		}
		o := t.st.passwordJSON(p)
		for i := range o {
			if o[i].k == "secretText" {
				o[i].v = secret
			}
		}
		g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#microsoft.graph.passwordCredential"}}, o...))
	}
}

func removePasswordHandler(bySP bool) func(*Tenant, *graphReq) {
	return func(t *Tenant, g *graphReq) {
		var body struct {
			KeyID string `json:"keyId"`
		}
		if !g.decode(&body) {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		a := t.st.lookupApp(g.params[0], bySP)
		if a == nil {
			g.notFound(strings.TrimPrefix(g.params[0], "appId="))
			return
		}
		if !canWriteApp(g.claims, a) {
			g.error(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		i := slices.IndexFunc(a.passwords, func(p *passwordRec) bool { return strings.EqualFold(p.KeyID, body.KeyID) })
		if i < 0 {
			g.error(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("No password credential found with keyId '%s'.", body.KeyID))
			return
		}
		a.passwords = append(a.passwords[:i], a.passwords[i+1:]...)
		g.noContent()
	}
}

func (st *state) spJSON(a *appRec) jobj {
	return jobj{{"id", a.ServicePrincipalID}, {"accountEnabled", !a.Disabled}, {"appDisplayName", a.DisplayName}, {"appId", a.AppID},
		{"appOwnerOrganizationId", st.tenantID}, {"appRoleAssignmentRequired", false}, {"displayName", a.DisplayName},
		{"servicePrincipalType", "Application"}, {"signInAudience", a.SignInAudience},
		{"passwordCredentials", []jobj{}}, {"keyCredentials", []jobj{}}, {"servicePrincipalNames", []string{a.AppID}}}
}

func (t *Tenant) listSPs(g *graphReq) {
	flt, err := parseFilter(g.q.Get("$filter"), appFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	t.mu.RLock()
	var page []jobj
	for _, a := range t.st.apps {
		if flt != nil && !flt.match(func(p string) any {
			if p == "id" {
				return a.ServicePrincipalID
			}
			return t.st.appProp(a, p)
		}) {
			continue
		}
		page = append(page, t.st.spJSON(a))
	}
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#servicePrincipals", "", len(page), func(i int) any { return page[i] })
}

func (t *Tenant) getSP(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.st.lookupApp(g.params[0], true)
	if a == nil {
		g.notFound(strings.TrimPrefix(g.params[0], "appId="))
		return
	}
	g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#servicePrincipals/$entity"}}, t.st.spJSON(a)...))
}

func (t *Tenant) spAppRoleAssignments(g *graphReq) {
	t.mu.RLock()
	a := t.st.lookupApp(g.params[0], true)
	if a == nil {
		t.mu.RUnlock()
		g.notFound(strings.TrimPrefix(g.params[0], "appId="))
		return
	}
	var out []jobj
	res := make([]string, 0, len(a.AppRoles))
	for r := range a.AppRoles {
		res = append(res, r)
	}
	slices.Sort(res)
	for _, r := range res {
		for _, role := range a.AppRoles[r] {
			out = append(out, jobj{{"id", StableID("appRoleAssignment", a.AppID+"/"+r+"/"+role)}, {"deletedDateTime", nil},
				{"appRoleId", appRoleID(r, role)}, {"createdDateTime", nil}, {"principalDisplayName", a.DisplayName},
				{"principalId", a.ServicePrincipalID}, {"principalType", "ServicePrincipal"},
				{"resourceDisplayName", resourceNames[r]}, {"resourceId", StableID("servicePrincipal", r)}})
		}
	}
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#servicePrincipals('"+a.ServicePrincipalID+"')/appRoleAssignments", "", len(out), func(i int) any { return out[i] })
}

const appPolicyID = "00000000-0000-0000-0000-000000000000"

func (t *Tenant) appPolicyJSON(g *graphReq) jobj {
	var restr []jobj
	if l := t.st.appPolicy.MaxPasswordLifetime; l > 0 {
		restr = append(restr, jobj{{"restrictionType", "passwordLifetime"}, {"state", "enabled"},
			{"maxLifetime", isoDuration(l)}, {"restrictForAppsCreatedAfterDateTime", "0001-01-01T00:00:00Z"}})
	}
	if restr == nil {
		restr = []jobj{}
	}
	return jobj{{"@odata.context", g.base() + "/$metadata#policies/defaultAppManagementPolicy/$entity"},
		{"id", appPolicyID}, {"displayName", "Default app management tenant policy"},
		{"description", "Default tenant policy that enforces app management restrictions on applications and service principals."},
		{"isEnabled", t.st.appPolicy.Enabled},
		{"applicationRestrictions", jobj{{"passwordCredentials", restr}, {"keyCredentials", []jobj{}}}},
		{"servicePrincipalRestrictions", jobj{{"passwordCredentials", restr}, {"keyCredentials", []jobj{}}}}}
}

// isoDuration formats d as an ISO 8601 duration in days/hours (P180D, PT12H).
func isoDuration(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	rest := d - time.Duration(days)*24*time.Hour
	s := "P"
	if days > 0 {
		s += fmt.Sprintf("%dD", days)
	}
	if rest > 0 {
		s += fmt.Sprintf("T%dS", int(rest.Seconds()))
	}
	if s == "P" {
		s = "PT0S"
	}
	return s
}

func parseISODuration(s string) (time.Duration, error) {
	var d time.Duration
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	datePart, timePart, _ := strings.Cut(rest, "T")
	parse := func(part string, units map[byte]time.Duration) error {
		num := ""
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c >= '0' && c <= '9' || c == '.' {
				num += string(c)
				continue
			}
			u, ok := units[c]
			if !ok || num == "" {
				return fmt.Errorf("invalid duration %q", s)
			}
			var n float64
			if _, err := fmt.Sscan(num, &n); err != nil {
				return fmt.Errorf("invalid duration %q", s)
			}
			d += time.Duration(n * float64(u))
			num = ""
		}
		if num != "" {
			return fmt.Errorf("invalid duration %q", s)
		}
		return nil
	}
	if err := parse(datePart, map[byte]time.Duration{'Y': 365 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}); err != nil {
		return 0, err
	}
	if err := parse(timePart, map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}); err != nil {
		return 0, err
	}
	return d, nil
}

func (t *Tenant) getAppPolicy(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g.json(http.StatusOK, t.appPolicyJSON(g))
}

func (t *Tenant) patchAppPolicy(g *graphReq) {
	var body struct {
		IsEnabled               *bool `json:"isEnabled"`
		ApplicationRestrictions *struct {
			PasswordCredentials []struct {
				RestrictionType string `json:"restrictionType"`
				MaxLifetime     string `json:"maxLifetime"`
			} `json:"passwordCredentials"`
		} `json:"applicationRestrictions"`
	}
	if !g.decode(&body) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if body.IsEnabled != nil {
		t.st.appPolicy.Enabled = *body.IsEnabled
	}
	if ar := body.ApplicationRestrictions; ar != nil {
		t.st.appPolicy.MaxPasswordLifetime = 0
		for _, r := range ar.PasswordCredentials {
			if r.RestrictionType != "passwordLifetime" {
				continue
			}
			d, err := parseISODuration(r.MaxLifetime)
			if err != nil {
				g.badRequest(err.Error())
				return
			}
			t.st.appPolicy.MaxPasswordLifetime = d
		}
	}
	g.noContent()
}

// AddClientSecret adds a client secret to an application as addPassword does
// (subject to the app management policy and the propagation delay) and
// returns its keyId and value. For tests.
func (t *Tenant) AddClientSecret(appID, displayName string, lifetime time.Duration) (keyID, secret string, err error) {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.st.appsByApp[strings.ToLower(appID)]
	if a == nil {
		return "", "", fmt.Errorf("devtenant: no application %s", appID)
	}
	var end time.Time
	if lifetime > 0 {
		end = now.Add(lifetime)
	}
	p, s, err := t.st.addPassword(a, displayName, now, end, now)
	if err != nil {
		return "", "", fmt.Errorf("devtenant: addPassword: %w", err)
	}
	return p.KeyID, s, nil
}

// ClientSecrets lists an application's client secrets as summaries (no values).
func (t *Tenant) ClientSecrets(appID string) []CredentialSummary {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.st.appsByApp[strings.ToLower(appID)]
	if a == nil {
		return nil
	}
	var out []CredentialSummary
	for _, p := range a.passwords {
		out = append(out, CredentialSummary{KeyID: p.KeyID, DisplayName: p.DisplayName, Hint: p.hint, Start: p.Start, End: p.End,
			ActiveAfter: p.addedAt.Add(t.st.secretDelay)})
	}
	return out
}
