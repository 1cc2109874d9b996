package devtenant

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Per-user MFA (beta requirements), authentication methods, registration
// details report, security defaults.

func authRoutes() []*graphRoute {
	return []*graphRoute{
		betaOnly(route("GET", "users/{}/authentication/requirements", permPolicyRead, "directory", 1, (*Tenant).getMFARequirements)),
		betaOnly(route("PATCH", "users/{}/authentication/requirements", permMFAWrite, "directory", 1, (*Tenant).patchMFARequirements)),
		route("GET", "users/{}/authentication/methods", permMethodsRead, "reports", 1, (*Tenant).listMethods),
		route("GET", "reports/authenticationMethods/userRegistrationDetails", permRegDetails, "reports", 1, (*Tenant).listRegistrationDetails),
		route("GET", "reports/authenticationMethods/userRegistrationDetails/{}", permRegDetails, "reports", 1, (*Tenant).getRegistrationDetails),
		route("GET", "policies/identitySecurityDefaultsEnforcementPolicy", permPolicyRead, "directory", 1, (*Tenant).getSecurityDefaults),
		route("PATCH", "policies/identitySecurityDefaultsEnforcementPolicy", permSecDefWrite, "directory", 1, (*Tenant).patchSecurityDefaults),
	}
}

func (t *Tenant) getMFARequirements(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		g.notFound(g.params[0])
		return
	}
	g.json(http.StatusOK, jobj{{"@odata.context", g.base() + "/$metadata#users('" + u.ID + "')/authentication/requirements"},
		{"perUserMfaState", u.PerUserMFAState}})
}

func (t *Tenant) patchMFARequirements(g *graphReq) {
	var body struct {
		State string `json:"perUserMfaState"`
	}
	if !g.decode(&body) {
		return
	}
	switch body.State {
	case MFADisabled, MFAEnabled, MFAEnforced:
	default:
		g.badRequest("Invalid value '" + body.State + "' for property 'perUserMfaState'. Possible values are: disabled, enforced, enabled.")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		g.notFound(g.params[0])
		return
	}
	// "Enabled" users who already registered switch to "enforced" automatically.
	if body.State == MFAEnabled && u.MFARegistered() {
		body.State = MFAEnforced
	}
	u.PerUserMFAState = body.State
	g.noContent()
}

const passwordMethodID = "28c10230-6103-485e-b985-444c60001490"

func methodJSON(m AuthMethod) jobj {
	switch m.Type {
	case "microsoftAuthenticator":
		return jobj{{"@odata.type", "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"}, {"id", m.ID},
			{"displayName", m.DisplayName}, {"deviceTag", "SoftwareTokenActivated"}, {"phoneAppVersion", "6.8.7"}, {"createdDateTime", gtime(m.Created)}}
	case "phone":
		pt := m.PhoneType
		if pt == "" {
			pt = "mobile"
		}
		return jobj{{"@odata.type", "#microsoft.graph.phoneAuthenticationMethod"}, {"id", m.ID}, {"phoneNumber", m.PhoneNumber},
			{"phoneType", pt}, {"smsSignInState", "notAllowedByPolicy"}}
	case "fido2":
		return jobj{{"@odata.type", "#microsoft.graph.fido2AuthenticationMethod"}, {"id", m.ID}, {"displayName", m.DisplayName},
			{"createdDateTime", gtime(m.Created)}, {"aaGuid", "cb69481e-8ff7-4039-93ec-0a2729a154a8"}, {"model", m.DisplayName},
			{"attestationCertificates", []string{}}, {"attestationLevel", "attested"}}
	case "softwareOath":
		return jobj{{"@odata.type", "#microsoft.graph.softwareOathAuthenticationMethod"}, {"id", m.ID}, {"secretKey", nil}}
	case "email":
		return jobj{{"@odata.type", "#microsoft.graph.emailAuthenticationMethod"}, {"id", m.ID}, {"emailAddress", m.Email}}
	case "windowsHelloForBusiness":
		return jobj{{"@odata.type", "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"}, {"id", m.ID},
			{"displayName", m.DisplayName}, {"createdDateTime", gtime(m.Created)}, {"keyStrength", "normal"}}
	}
	return jobj{{"@odata.type", "#microsoft.graph.authenticationMethod"}, {"id", m.ID}}
}

func (t *Tenant) listMethods(g *graphReq) {
	t.mu.RLock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		t.mu.RUnlock()
		g.notFound(g.params[0])
		return
	}
	var out []jobj
	if u.hasPassword {
		out = append(out, jobj{{"@odata.type", "#microsoft.graph.passwordAuthenticationMethod"}, {"id", passwordMethodID},
			{"password", nil}, {"createdDateTime", gtime(u.LastPasswordChangeDateTime)}})
	}
	for _, m := range u.Methods {
		out = append(out, methodJSON(m))
	}
	id := u.ID
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#users('"+id+"')/authentication/methods", "", len(out), func(i int) any { return out[i] })
}

// registration report names of methods.
var reportMethodNames = map[string][]string{
	"microsoftAuthenticator":  {"microsoftAuthenticatorPush"},
	"phone":                   {"mobilePhone"},
	"fido2":                   {"fido2"},
	"softwareOath":            {"softwareOneTimePasscode"},
	"email":                   {"email"},
	"windowsHelloForBusiness": {"windowsHelloForBusiness"},
}

var regFilterProps = propSet("id", "userPrincipalName", "userDisplayName", "isAdmin", "isMfaRegistered", "isMfaCapable",
	"isSsprRegistered", "isSsprEnabled", "isSsprCapable", "isPasswordlessCapable", "userType")

var methodsAnyFilter = regexp.MustCompile(`(?i)^methodsRegistered/any\(\s*\w+\s*:\s*\w+\s+eq\s+'(\w+)'\s*\)$`)

func (st *state) regProp(u *userRec, p string) any {
	switch p {
	case "id":
		return u.ID
	case "userPrincipalName":
		return u.UserPrincipalName
	case "userDisplayName":
		return u.DisplayName
	case "isAdmin":
		return u.IsAdmin
	case "isMfaRegistered", "isMfaCapable", "isSsprRegistered", "isSsprCapable":
		return u.MFARegistered()
	case "isSsprEnabled":
		return u.UserType == "Member"
	case "isPasswordlessCapable":
		for _, m := range u.Methods {
			if m.Type == "fido2" || m.Type == "windowsHelloForBusiness" {
				return true
			}
		}
		return false
	case "userType":
		return strings.ToLower(u.UserType)
	}
	return nil
}

func (st *state) regJSON(u *userRec, beta bool) jobj {
	methods := []string{}
	for _, m := range u.Methods {
		methods = append(methods, reportMethodNames[m.Type]...)
	}
	var pref any // null when nothing is registered ("" in one docs sample, but the schema says enum or null)
	sys := []string{}
	switch {
	case containsFold(methods, "microsoftAuthenticatorPush"):
		pref, sys = "push", []string{"push"}
	case containsFold(methods, "mobilePhone"):
		pref, sys = "sms", []string{"sms"}
	case containsFold(methods, "softwareOneTimePasscode"):
		pref, sys = "oath", []string{"oath"}
	}
	o := jobj{{"id", u.ID}, {"userPrincipalName", u.UserPrincipalName}, {"userDisplayName", u.DisplayName}}
	for _, p := range []string{"isAdmin", "isSsprRegistered", "isSsprEnabled", "isSsprCapable", "isMfaRegistered", "isMfaCapable", "isPasswordlessCapable"} {
		o = append(o, kv{p, st.regProp(u, p)})
	}
	o = append(o, kv{"lastUpdatedDateTime", gtime(maxTime(u.CreatedDateTime, u.LastPasswordChangeDateTime))}, kv{"methodsRegistered", methods})
	if beta {
		def := "none" // defaultMfaMethodType: only phone, authenticator push and OTP qualify
		for _, m := range methods {
			if m == "microsoftAuthenticatorPush" || m == "mobilePhone" || m == "softwareOneTimePasscode" {
				def = m
				break
			}
		}
		o = append(o, kv{"defaultMfaMethod", def})
	}
	return append(o, kv{"isSystemPreferredAuthenticationMethodEnabled", true}, kv{"systemPreferredAuthenticationMethods", sys},
		kv{"userPreferredMethodForSecondaryAuthentication", pref}, kv{"userType", strings.ToLower(u.UserType)})
}

func (t *Tenant) listRegistrationDetails(g *graphReq) {
	top, ok := pageSize(g, 1000, 1000)
	if !ok {
		return
	}
	raw := g.q.Get("$filter")
	method := ""
	var keep []string
	for _, part := range splitKeyword(raw, "and") {
		if m := methodsAnyFilter.FindStringSubmatch(strings.TrimSpace(part)); m != nil {
			method = m[1]
			continue
		}
		if strings.TrimSpace(part) != "" {
			keep = append(keep, part)
		}
	}
	flt, err := parseFilter(strings.Join(keep, " and "), regFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	start, ok := parseSkipToken(g, "registration")
	if !ok {
		return
	}
	beta := g.version == "beta"
	t.mu.RLock()
	st := t.st
	var page []jobj
	next := -1
	for i := start; i < len(st.users); i++ {
		u := st.users[i]
		if flt != nil && !flt.match(func(p string) any { return st.regProp(u, p) }) {
			continue
		}
		if method != "" {
			found := false
			for _, m := range u.Methods {
				found = found || containsFold(reportMethodNames[m.Type], method)
			}
			if !found {
				continue
			}
		}
		if len(page) == top {
			next = i
			break
		}
		page = append(page, st.regJSON(u, beta))
	}
	t.mu.RUnlock()
	nl := ""
	if next >= 0 {
		nl = g.nextLink(skipToken("registration", next))
	}
	g.writeCollection(g.base()+"/$metadata#reports/authenticationMethods/userRegistrationDetails", nl, len(page), func(i int) any { return page[i] })
}

func (t *Tenant) getRegistrationDetails(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.lookupUser(g.params[0])
	if u == nil {
		g.notFound(g.params[0])
		return
	}
	g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity"}},
		t.st.regJSON(u, g.version == "beta")...))
}

const securityDefaultsID = "00000000-0000-0000-0000-000000000005"

func (t *Tenant) getSecurityDefaults(g *graphReq) {
	t.mu.RLock()
	on := t.st.securityDefaults
	t.mu.RUnlock()
	g.json(http.StatusOK, jobj{
		{"@odata.context", g.base() + "/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity"},
		{"description", "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks."},
		{"displayName", "Security Defaults"}, {"id", securityDefaultsID}, {"isEnabled", on},
	})
}

func (t *Tenant) patchSecurityDefaults(g *graphReq) {
	var body map[string]json.RawMessage
	if !g.decode(&body) {
		return
	}
	raw, ok := body["isEnabled"]
	var on bool
	if !ok || json.Unmarshal(raw, &on) != nil {
		g.badRequest("Invalid value specified for property 'isEnabled' of resource 'identitySecurityDefaultsEnforcementPolicy'.")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if on {
		for _, p := range t.st.caPolicies {
			if p.State == "enabled" {
				g.badRequest("Security defaults cannot be enabled while Conditional Access policies are enabled.")
				return
			}
		}
	}
	t.st.securityDefaults = on
	g.noContent()
}

// SecurityDefaultsEnabled reports the security defaults setting.
func (t *Tenant) SecurityDefaultsEnabled() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.securityDefaults
}
