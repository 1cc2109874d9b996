package devtenant

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

func userRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "users", permUserRead, "directory", 2, (*Tenant).listUsers),
		route("GET", "users/{}", permUserRead, "directory", 1, (*Tenant).getUser),
		route("PATCH", "users/{}", permUserWrite, "directory", 1, (*Tenant).patchUser),
		route("POST", "users/{}/revokeSignInSessions", permUserRevoke, "directory", 1, (*Tenant).revokeSessions),
	}
}

// userDefaultProps are returned when no $select is given.
var userDefaultProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// userProps maps lower-case names to canonical user property names.
var userProps = func() map[string]string {
	m := map[string]string{}
	for _, p := range []string{"id", "accountEnabled", "businessPhones", "createdDateTime", "creationType", "department", "displayName",
		"externalUserState", "givenName", "identities", "jobTitle", "lastPasswordChangeDateTime", "mail", "mailNickname", "mobilePhone",
		"officeLocation", "onPremisesSyncEnabled", "otherMails", "passwordPolicies", "passwordProfile", "preferredLanguage",
		"signInActivity", "signInSessionsValidFromDateTime", "surname", "usageLocation", "userPrincipalName", "userType", "deletedDateTime",
		"companyName", "employeeId", "city", "country"} {
		m[strings.ToLower(p)] = p
	}
	return m
}()

func (st *state) userProp(u *userRec, p string) any {
	switch p {
	case "id":
		return u.ID
	case "accountEnabled":
		return u.AccountEnabled
	case "businessPhones", "otherMails":
		return []string{}
	case "createdDateTime":
		return gtime(u.CreatedDateTime)
	case "creationType":
		if u.UserType == "Guest" {
			return "Invitation"
		}
		return nil
	case "department":
		return nz(u.Department)
	case "displayName":
		return nz(u.DisplayName)
	case "externalUserState":
		if u.UserType == "Guest" {
			return "Accepted"
		}
		return nil
	case "givenName":
		return nz(u.GivenName)
	case "identities":
		issuer := st.initialDomain
		if len(st.domains) > 0 {
			issuer = st.domains[0]
		}
		if u.UserType == "Guest" {
			issuer = "ExternalAzureAD"
			return []jobj{{{"signInType", "federated"}, {"issuer", issuer}, {"issuerAssignedId", nil}}}
		}
		return []jobj{{{"signInType", "userPrincipalName"}, {"issuer", issuer}, {"issuerAssignedId", u.UserPrincipalName}}}
	case "jobTitle":
		return nz(u.JobTitle)
	case "lastPasswordChangeDateTime":
		return gtime(u.LastPasswordChangeDateTime)
	case "mail":
		return nz(u.Mail)
	case "mailNickname":
		nick, _, _ := strings.Cut(u.UserPrincipalName, "@")
		return nick
	case "mobilePhone":
		return nz(u.MobilePhone)
	case "officeLocation":
		return nz(u.OfficeLocation)
	case "onPremisesSyncEnabled", "deletedDateTime", "companyName", "employeeId", "city", "country":
		return nil
	case "passwordPolicies":
		return nz(u.PasswordPolicies)
	case "passwordProfile":
		return jobj{{"password", nil}, {"forceChangePasswordNextSignIn", u.ForceChangePasswordNextSignIn}, {"forceChangePasswordNextSignInWithMfa", false}}
	case "preferredLanguage":
		return "en-US"
	case "signInActivity":
		return jobj{
			{"lastSignInDateTime", gtime(u.lastSignIn)}, {"lastSignInRequestId", nil},
			{"lastNonInteractiveSignInDateTime", gtime(u.lastNonInteractive)}, {"lastNonInteractiveSignInRequestId", nil},
			{"lastSuccessfulSignInDateTime", gtime(maxTime(u.lastSignIn, u.lastNonInteractive))}, {"lastSuccessfulSignInRequestId", nil},
		}
	case "signInSessionsValidFromDateTime":
		return gtime(u.SignInSessionsValidFrom)
	case "surname":
		return nz(u.Surname)
	case "usageLocation":
		if u.UserType == "Guest" {
			return nil
		}
		return "US"
	case "userPrincipalName":
		return u.UserPrincipalName
	case "userType":
		return u.UserType
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// parseSelect validates $select against props; nil = defaults.
func parseSelect(g *graphReq, props map[string]string, typ string) ([]string, bool) {
	raw := g.q.Get("$select")
	if raw == "" {
		return nil, true
	}
	var out []string
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		c, ok := props[strings.ToLower(s)]
		if !ok {
			g.badRequest(fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", s, typ))
			return nil, false
		}
		out = append(out, c)
	}
	return out, true
}

func (st *state) userJSON(u *userRec, sel []string) jobj {
	props := sel
	if props == nil {
		props = userDefaultProps
	}
	o := make(jobj, 0, len(props)+1)
	hasID := false
	for _, p := range props {
		if p == "id" {
			hasID = true
		}
		o = append(o, kv{p, st.userProp(u, p)})
	}
	if !hasID {
		o = append(o, kv{"id", u.ID}) // directory objects always return id
	}
	return o
}

func selectContext(base, set string, sel []string, entity bool) string {
	s := base + "/$metadata#" + set
	if sel != nil {
		s += "(" + strings.Join(sel, ",") + ")"
	}
	if entity {
		s += "/$entity"
	}
	return s
}

// wantCount handles $count=true, an advanced query that needs ConsistencyLevel: eventual.
func (g *graphReq) wantCount() (bool, bool) {
	if !strings.EqualFold(g.q.Get("$count"), "true") {
		return false, true
	}
	if !strings.EqualFold(g.r.Header.Get("ConsistencyLevel"), "eventual") {
		g.error(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query: $count requires the ConsistencyLevel header set to eventual.")
		return false, false
	}
	return g.q.Get("$skiptoken") == "", true // only the first page carries @odata.count
}

func (t *Tenant) getUser(g *graphReq) {
	if g.params[0] == "$count" {
		t.countUsers(g)
		return
	}
	sel, ok := parseSelect(g, userProps, "user")
	if !ok {
		return
	}
	if hasSignInActivity(sel) && !hasAny(g.claims, []string{"AuditLog.Read.All"}) {
		g.error(http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
		return
	}
	t.mu.RLock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		t.mu.RUnlock()
		g.notFound(g.params[0])
		return
	}
	body := append(jobj{{"@odata.context", selectContext(g.base(), "users", sel, true)}}, t.st.userJSON(u, sel)...)
	t.mu.RUnlock()
	g.json(http.StatusOK, body)
}

func hasSignInActivity(sel []string) bool {
	for _, s := range sel {
		if s == "signInActivity" {
			return true
		}
	}
	return false
}

// pageSize reads $top (default def, max maxTop).
func pageSize(g *graphReq, def, maxTop int) (int, bool) {
	raw := g.q.Get("$top")
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxTop {
		g.badRequest(fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, maxTop))
		return 0, false
	}
	return n, true
}

// skipToken encodes a resume position; it is opaque to clients.
func skipToken(kind string, pos int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "devtenant:%s:%d", kind, pos))
}

func parseSkipToken(g *graphReq, kind string) (int, bool) {
	raw := g.q.Get("$skiptoken")
	if raw == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	pfx := "devtenant:" + kind + ":"
	if err == nil && strings.HasPrefix(string(b), pfx) {
		if n, err := strconv.Atoi(strings.TrimPrefix(string(b), pfx)); err == nil && n >= 0 {
			return n, true
		}
	}
	g.error(http.StatusBadRequest, "Directory_InvalidSkipToken", "Invalid skip token.")
	return 0, false
}

// nextLink rebuilds the request URL with a new $skiptoken, keeping every other
// query option, with the request's host.
func (g *graphReq) nextLink(token string) string {
	var keep []string
	for _, p := range strings.Split(g.r.URL.RawQuery, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		lk := strings.ToLower(k)
		if lk == "$skiptoken" || lk == "%24skiptoken" || lk == "skiptoken" {
			continue
		}
		keep = append(keep, p)
	}
	keep = append(keep, "$skiptoken="+token)
	return "https://" + g.host + g.r.URL.EscapedPath() + "?" + strings.Join(keep, "&")
}

func (t *Tenant) listUsers(g *graphReq) {
	sel, ok := parseSelect(g, userProps, "user")
	if !ok {
		return
	}
	if hasSignInActivity(sel) && !hasAny(g.claims, []string{"AuditLog.Read.All"}) {
		g.error(http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
		return
	}
	top, ok := pageSize(g, 100, 999)
	if !ok {
		return
	}
	if hasSignInActivity(sel) && top > 500 {
		top = 500
	}
	flt, err := parseFilter(g.q.Get("$filter"), userFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	start, ok := parseSkipToken(g, "users")
	if !ok {
		return
	}
	count, ok := g.wantCount()
	if !ok {
		return
	}
	// Collect at most one page under the read lock, encode outside it.
	t.mu.RLock()
	st := t.st
	if count {
		g.count = 0
		for _, u := range st.users {
			if flt == nil || flt.match(func(p string) any { return st.userProp(u, p) }) {
				g.count++
			}
		}
	}
	page := make([]jobj, 0, min(top, len(st.users)))
	next := -1
	for i := start; i < len(st.users); i++ {
		u := st.users[i]
		if flt != nil && !flt.match(func(p string) any { return st.userProp(u, p) }) {
			continue
		}
		if len(page) == top {
			next = i
			break
		}
		page = append(page, st.userJSON(u, sel))
	}
	t.mu.RUnlock()
	ctx := selectContext(g.base(), "users", sel, false)
	nl := ""
	if next >= 0 {
		nl = g.nextLink(skipToken("users", next))
	}
	g.writeCollection(ctx, nl, len(page), func(i int) any { return page[i] })
}

// writeCollection streams a collection response item by item.
func (g *graphReq) writeCollection(ctx, next string, n int, item func(i int) any) {
	h := g.w.Header()
	h.Set("Content-Type", odataJSON)
	h.Set("OData-Version", "4.0")
	g.w.WriteHeader(http.StatusOK)
	bw := newChunkWriter(g.w)
	cb, _ := json.Marshal(ctx)
	bw.WriteString(`{"@odata.context":`)
	bw.Write(cb)
	if g.count >= 0 {
		bw.WriteString(`,"@odata.count":` + strconv.Itoa(g.count))
	}
	if next != "" {
		nb, _ := json.Marshal(next)
		bw.WriteString(`,"@odata.nextLink":`)
		bw.Write(nb)
	}
	bw.WriteString(`,"value":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(item(i))
		if err != nil {
			b = []byte("null")
		}
		bw.Write(b)
	}
	bw.WriteString("]}")
	bw.Flush()
}

// countUsers is GET /users/$count (text/plain; needs ConsistencyLevel: eventual).
func (t *Tenant) countUsers(g *graphReq) {
	if !strings.EqualFold(g.r.Header.Get("ConsistencyLevel"), "eventual") {
		g.error(http.StatusBadRequest, "Request_BadRequest", "Count is not supported for this request without the ConsistencyLevel header set to eventual.")
		return
	}
	flt, err := parseFilter(g.q.Get("$filter"), userFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	t.mu.RLock()
	n := 0
	for _, u := range t.st.users {
		if flt == nil || flt.match(func(p string) any { return t.st.userProp(u, p) }) {
			n++
		}
	}
	t.mu.RUnlock()
	g.w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	g.w.WriteHeader(http.StatusOK)
	_, _ = g.w.Write([]byte(strconv.Itoa(n)))
}

func (t *Tenant) revokeSessions(g *graphReq) {
	t.mu.Lock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		t.mu.Unlock()
		g.notFound(g.params[0])
		return
	}
	u.SignInSessionsValidFrom = g.now.UTC().Truncate(time.Second)
	u.revokedAt = g.now
	u.revokeCount++
	t.mu.Unlock()
	g.json(http.StatusOK, jobj{{"@odata.context", g.base() + "/$metadata#Edm.Boolean"}, {"value", true}})
}

// patchUser updates selected properties, including passwordProfile.
func (t *Tenant) patchUser(g *graphReq) {
	var body map[string]json.RawMessage
	if !g.decode(&body) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		g.notFound(g.params[0])
		return
	}
	general := hasAny(g.claims, []string{"User.ReadWrite.All", "Directory.ReadWrite.All"})
	var newPassword *string
	var force *bool
	for k, raw := range body {
		switch k {
		case "passwordProfile":
			if !hasAny(g.claims, []string{"User-PasswordProfile.ReadWrite.All", "Directory.ReadWrite.All", "User.ReadWrite.All"}) || !t.canResetPassword(g, u) {
				g.error(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
				return
			}
			var pp struct {
				Password                      *string `json:"password"`
				ForceChangePasswordNextSignIn *bool   `json:"forceChangePasswordNextSignIn"`
			}
			if err := json.Unmarshal(raw, &pp); err != nil {
				g.badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.")
				return
			}
			if pp.Password != nil && !passwordComplex(*pp.Password) {
				g.badRequest("The specified password does not comply with password complexity requirements. Please provide a different password.")
				return
			}
			newPassword, force = pp.Password, pp.ForceChangePasswordNextSignIn
		case "accountEnabled":
			if !general && !hasAny(g.claims, []string{"User.EnableDisableAccount.All"}) {
				g.error(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
				return
			}
		case "displayName", "jobTitle", "department", "passwordPolicies", "usageLocation", "givenName", "surname", "officeLocation", "mobilePhone":
			if !general {
				g.error(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
				return
			}
		default:
			if strings.HasPrefix(k, "@") {
				continue // @odata.type and other annotations
			}
			g.badRequest(fmt.Sprintf("Property '%s' is read-only or not supported by the devtenant.", k))
			return
		}
	}
	// All checks passed: apply.
	for k, raw := range body {
		var s string
		_ = json.Unmarshal(raw, &s)
		switch k {
		case "accountEnabled":
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				g.badRequest("Invalid value specified for property 'accountEnabled' of resource 'User'.")
				return
			}
			u.AccountEnabled = b
		case "displayName":
			u.DisplayName = s
		case "jobTitle":
			u.JobTitle = s
		case "department":
			u.Department = s
		case "passwordPolicies":
			u.PasswordPolicies = s
		case "givenName":
			u.GivenName = s
		case "surname":
			u.Surname = s
		case "officeLocation":
			u.OfficeLocation = s
		case "mobilePhone":
			u.MobilePhone = s
		}
	}
	if newPassword != nil {
		u.pwSalt = newSalt()
		u.pwHash = hashSecret(u.pwSalt, *newPassword)
		u.hasPassword = true
		u.LastPasswordChangeDateTime = g.now.UTC().Truncate(time.Second)
		u.PasswordExpired = false
		u.failedPasswords = 0
		u.passwordChanges++
	}
	if force != nil {
		u.ForceChangePasswordNextSignIn = *force
	}
	g.noContent()
}

// canResetPassword: app-only password resets also need a directory role on the
// service principal (User Administrator for non-admins, Privileged
// Authentication Administrator for admins).
func (t *Tenant) canResetPassword(g *graphReq, target *userRec) bool {
	if g.claims.IdTyp == "user" {
		return true
	}
	roles := map[string]bool{}
	for _, w := range g.claims.Wids {
		roles[w] = true
	}
	priv := roles[roleTemplates["Privileged Authentication Administrator"]] || roles[roleTemplates["Global Administrator"]]
	if target.IsAdmin {
		return priv
	}
	return priv || roles[roleTemplates["User Administrator"]] || roles[roleTemplates["Helpdesk Administrator"]] || roles[roleTemplates["Authentication Administrator"]]
}

// passwordComplex applies Entra's cloud password rules: 8-256 characters and
// three of lower, upper, digit, symbol.
func passwordComplex(p string) bool {
	if len(p) < 8 || len(p) > 256 || strings.TrimSpace(p) != p {
		return false
	}
	var lo, up, di, sy int
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lo = 1
		case unicode.IsUpper(r):
			up = 1
		case unicode.IsDigit(r):
			di = 1
		default:
			sy = 1
		}
	}
	return lo+up+di+sy >= 3
}
