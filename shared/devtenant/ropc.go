package devtenant

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Sign-in failure descriptions (the AADSTS text after "AADSTSnnnn: ").
var aadText = map[int]string{
	50034: "The user account {EUII Hidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.",
	50053: "Your account is locked. You've tried to sign in too many times with an incorrect user ID or password.",
	50055: "The password is expired.",
	50057: "The user account is disabled.",
	50076: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.",
	50079: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '%s'.",
	50126: "Error validating credentials due to invalid username or password.",
	53003: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
	65001: "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.",
	50173: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.",
}

// failureReasons are the sign-in log status.failureReason texts.
var failureReasons = map[int]string{
	50034: "The user account does not exist in the tenant.",
	50053: "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
	50055: "The password is expired.",
	50057: "User account is disabled. The account has been disabled by an administrator.",
	50076: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
	50079: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.",
	50126: "Error validating credentials due to invalid username or password.",
	53003: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
	65001: "The user or administrator has not consented to use the application.",
	50173: "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
}

// signInDecision is the outcome of evaluating a user sign-in.
type signInDecision struct {
	code     int // 0 = success
	desc     string
	extra    map[string]any
	policies []policyResult
	caStatus string
	authReq  string
	scopes   []string // granted delegated scopes on success
	aud      string
	resApp   string
}

// passwordGrant is ROPC (grant_type=password), evaluated like Entra would.
func (t *Tenant) passwordGrant(w http.ResponseWriter, r *http.Request, clientID string) {
	seg := strings.ToLower(strings.Split(strings.Trim(r.URL.Path, "/"), "/")[0])
	if seg == "common" || seg == "consumers" {
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.", nil)
		return
	}
	ca := t.authenticateClient(w, r, clientID, true)
	if ca == nil {
		return
	}
	f := r.PostForm
	upn, password := f.Get("username"), f.Get("password")
	infoOf(r).user = upn
	now := t.Now()
	t.mu.Lock()
	st := t.st
	d := st.evaluatePassword(ca.app, upn, password, f.Get("scope"), now)
	u := st.lookupUser(upn)
	rec := &signInRec{
		ID: newGUID(), Created: now.UTC(), UserPrincipalName: upn, AppID: ca.app.AppID, AppDisplayName: ca.app.DisplayName,
		IPAddress: st.egressIP, ClientAppUsed: "Mobile Apps and Desktop clients", CorrelationID: correlationOf(r),
		CAStatus: d.caStatus, EventType: "interactiveUser", ResourceName: resourceNames[d.resApp], ResourceID: d.resApp,
		ErrorCode: d.code, FailureReason: failureReasons[d.code], AuthRequirement: d.authReq, Policies: d.policies,
		TrustedLocation: st.inTrustedLocation(st.egressIP), UserType: "Member",
	}
	if u != nil {
		rec.UserID, rec.UserDisplayName, rec.UserPrincipalName, rec.UserType = u.ID, u.DisplayName, u.UserPrincipalName, u.UserType
		if d.code == 0 {
			u.lastSignIn = now
		}
	}
	st.addSignIn(rec)
	if d.code != 0 {
		t.mu.Unlock()
		name := "invalid_grant"
		switch d.code {
		case 70011:
			name = "invalid_scope"
		case 500011:
			name = "invalid_resource"
		}
		t.aadError(w, r, http.StatusBadRequest, name, d.code, d.desc, d.extra)
		return
	}
	resp, err := t.issueUserTokens(u, ca, d, now, wantsCAE(f), "password", f.Get("scope"))
	t.mu.Unlock()
	if err != nil {
		t.aadError(w, r, http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred. Please try again.", nil)
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func correlationOf(r *http.Request) string {
	if c := r.Header.Get("client-request-id"); c != "" {
		return c
	}
	return newGUID()
}

// evaluatePassword runs Entra's checks for a password sign-in in order:
// account, lockout, password, disabled, expiry, consent, Conditional Access,
// security defaults, per-user MFA. Caller holds t.mu.
func (st *state) evaluatePassword(app *appRec, upn, password, scope string, now time.Time) signInDecision {
	fail := func(code int, args ...any) signInDecision {
		txt := aadText[code]
		if len(args) > 0 {
			txt = fmt.Sprintf(txt, args...)
		}
		return signInDecision{code: code, desc: txt, caStatus: "notApplied", authReq: "singleFactorAuthentication"}
	}
	res, perms, err := splitScope(scope)
	if err != nil {
		return signInDecision{code: 70011, desc: "The provided value for the input parameter 'scope' isn't valid. " + err.Error(), caStatus: "notApplied"}
	}
	resApp, aud, ok := st.resourceFor(res)
	if !ok {
		return signInDecision{code: 500011, desc: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s.", res, st.displayName), caStatus: "notApplied"}
	}
	u := st.lookupUser(upn)
	if u == nil || !u.hasPassword {
		d := fail(50034, st.displayName)
		d.resApp = resApp
		return d
	}
	withRes := func(d signInDecision) signInDecision { d.resApp, d.aud = resApp, aud; return d }
	if u.Locked {
		return withRes(fail(50053))
	}
	if !secretEqual(u.pwSalt, u.pwHash, password) {
		u.failedPasswords++
		if u.failedPasswords >= st.lockout {
			u.Locked = true
		}
		return withRes(fail(50126))
	}
	u.failedPasswords = 0
	if !u.AccountEnabled {
		return withRes(fail(50057))
	}
	if u.PasswordExpired || u.ForceChangePasswordNextSignIn {
		return withRes(fail(50055))
	}
	granted := app.DelegatedScopes[strings.ToLower(resApp)]
	var scp []string
	if len(perms) == 1 && perms[0] == ".default" {
		scp = granted
	} else {
		for _, p := range perms {
			if !containsFold(granted, p) {
				scp = nil
				break
			}
			scp = append(scp, p)
		}
	}
	if len(scp) == 0 {
		return withRes(fail(65001, app.AppID, app.DisplayName))
	}
	// Conditional Access.
	d := signInDecision{resApp: resApp, aud: aud, scopes: scp, authReq: "singleFactorAuthentication", caStatus: "notApplied"}
	d.policies = st.evaluateCA(signInContext{user: u, resourceAppID: resApp, ip: st.egressIP, clientApp: "mobileAppsAndDesktopClients"})
	if slices.ContainsFunc(d.policies, func(p policyResult) bool { return p.result == "failure" }) {
		d.caStatus = "failure"
	} else if slices.ContainsFunc(d.policies, func(p policyResult) bool { return p.result == "success" }) {
		d.caStatus = "success"
	}
	if enforced(d.policies, "block") != nil {
		d.code, d.desc = 53003, aadText[53003]
		return d
	}
	mfaFrom := ""
	var capolids []string
	if mp := enforced(d.policies, "mfa"); mp != nil {
		mfaFrom = "ca"
		for _, p := range mp {
			capolids = append(capolids, p.policy.ID)
		}
	}
	if mfaFrom == "" && st.securityDefaults {
		mfaFrom = "securityDefaults"
	}
	if mfaFrom == "" && (u.PerUserMFAState == MFAEnforced || u.PerUserMFAState == MFAEnabled) {
		mfaFrom = "perUser"
	}
	if mfaFrom == "" {
		return d
	}
	d.authReq = "multiFactorAuthentication"
	// CA challenges with 50076 whatever the registration state (ROPC cannot do MFA);
	// security defaults and per-user MFA ask unregistered users to enroll (50079).
	code := 50076
	if mfaFrom != "ca" && !u.MFARegistered() {
		code = 50079
	}
	d.code, d.desc = code, fmt.Sprintf(aadText[code], resApp)
	claims := `{"access_token":{"capolids":{"essential":true,"values":[` + quoteJoin(capolids) + `]}}}`
	if mfaFrom != "ca" {
		claims = `{"access_token":{"polids":{"essential":true,"values":["` + st.tenantID + `"]}}}`
	}
	d.extra = map[string]any{"suberror": "basic_action", "claims": claims}
	return d
}

func quoteJoin(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ",")
}

// issueUserTokens mints access, id and refresh tokens for a user. Caller holds t.mu.
func (t *Tenant) issueUserTokens(u *userRec, ca *clientAuth, d signInDecision, now time.Time, cae bool, authType, requested string) (map[string]any, error) {
	st := t.st
	c := accessClaims{
		Aud: d.aud, Iss: "https://sts.windows.net/" + st.tenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
		AppID: ca.app.AppID, AppIDAcr: ca.acr, IdTyp: "user", IPAddr: st.egressIP,
		Oid: u.ID, Sub: u.ID, Tid: st.tenantID, Scp: strings.Join(d.scopes, " "), UPN: u.UserPrincipalName, Name: u.DisplayName,
		Amr: []string{"pwd"}, Uti: newGUID(), Ver: "1.0", AppName: ca.app.DisplayName,
	}
	if cae {
		c.XmsCC = []string{"CP1"}
	}
	at, err := t.sign(c)
	if err != nil {
		return nil, err
	}
	idt, err := t.sign(map[string]any{
		"aud": ca.app.AppID, "iss": "https://login.microsoftonline.com/" + st.tenantID + "/v2.0", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(tokenLifetime).Unix(), "name": u.DisplayName, "oid": u.ID, "preferred_username": u.UserPrincipalName,
		"sub": u.ID, "tid": st.tenantID, "ver": "2.0",
	})
	if err != nil {
		return nil, err
	}
	st.tokens[c.Uti] = TokenInfo{ID: c.Uti, AppID: ca.app.AppID, UserID: u.ID, Audience: d.aud, Scopes: d.scopes, AuthType: authType, IssuedAt: now, ExpiresAt: now.Add(tokenLifetime)}
	var rb [32]byte
	_, _ = rand.Read(rb[:])
	rt := "0.devtenant." + base64.RawURLEncoding.EncodeToString(rb[:])
	st.refreshToken[refreshKey(rt)] = refreshRec{userID: u.ID, appID: ca.app.AppID, resource: d.resApp, scopes: d.scopes, issued: now}
	res := d.aud
	if d.resApp == ResourceGraph {
		res = "https://graph.microsoft.com"
	}
	// Like Entra: the granted scopes plus what was asked for (.default included),
	// so that MSAL finds no declined scopes.
	var scopes []string
	for _, s := range d.scopes {
		scopes = append(scopes, strings.TrimSuffix(res, "/")+"/"+s)
	}
	for _, s := range strings.Fields(requested) {
		switch s {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		if !containsFold(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	info := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"uid":"%s","utid":"%s"}`, u.ID, st.tenantID))
	return map[string]any{
		"token_type": "Bearer", "scope": strings.Join(append(scopes, "openid", "profile", "offline_access"), " "),
		"expires_in": int(tokenLifetime / time.Second), "ext_expires_in": int(tokenLifetime / time.Second),
		"access_token": at, "refresh_token": rt, "id_token": idt, "client_info": info,
	}, nil
}

func refreshKey(rt string) string {
	h := sha256.Sum256([]byte(rt))
	return hex.EncodeToString(h[:])
}

// refreshGrant redeems a refresh token; revocation (after the configured
// delay) and password changes invalidate it with AADSTS50173.
func (t *Tenant) refreshGrant(w http.ResponseWriter, r *http.Request, clientID string) {
	ca := t.authenticateClient(w, r, clientID, true)
	if ca == nil {
		return
	}
	f := r.PostForm
	now := t.Now()
	t.mu.Lock()
	st := t.st
	rr, ok := st.refreshToken[refreshKey(f.Get("refresh_token"))]
	if !ok || !strings.EqualFold(rr.appID, ca.app.AppID) {
		t.mu.Unlock()
		t.aadError(w, r, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.", nil)
		return
	}
	u := st.usersByID[strings.ToLower(rr.userID)]
	var code int
	var desc string
	switch {
	case u == nil || !u.AccountEnabled:
		code, desc = 50057, aadText[50057]
	case st.revokedFor(u, rr.issued, now) || u.LastPasswordChangeDateTime.After(rr.issued):
		code = 50173
		desc = fmt.Sprintf(aadText[50173], rr.issued.UTC().Format(time.RFC3339), maxTime(u.SignInSessionsValidFrom, u.LastPasswordChangeDateTime).UTC().Format(time.RFC3339))
	}
	rec := &signInRec{
		ID: newGUID(), Created: now.UTC(), AppID: ca.app.AppID, AppDisplayName: ca.app.DisplayName, IPAddress: st.egressIP,
		ClientAppUsed: "Mobile Apps and Desktop clients", CorrelationID: correlationOf(r), CAStatus: "notApplied",
		EventType: "nonInteractiveUser", ResourceName: resourceNames[rr.resource], ResourceID: rr.resource,
		ErrorCode: code, FailureReason: failureReasons[code], AuthRequirement: "singleFactorAuthentication",
		TrustedLocation: st.inTrustedLocation(st.egressIP),
	}
	if u != nil {
		rec.UserID, rec.UserDisplayName, rec.UserPrincipalName, rec.UserType = u.ID, u.DisplayName, u.UserPrincipalName, u.UserType
	}
	st.addSignIn(rec)
	if code != 0 {
		if code == 50173 {
			delete(st.refreshToken, refreshKey(f.Get("refresh_token")))
		}
		t.mu.Unlock()
		t.aadError(w, r, http.StatusBadRequest, "invalid_grant", code, desc, nil)
		return
	}
	u.lastNonInteractive = now
	_, aud, _ := st.resourceFor(rr.resource)
	if rr.resource == ResourceSharePoint {
		aud = "https://" + st.sharePointHost
	}
	resp, err := t.issueUserTokens(u, ca, signInDecision{scopes: rr.scopes, aud: aud, resApp: rr.resource}, now, wantsCAE(f), "refresh_token", f.Get("scope"))
	t.mu.Unlock()
	if err != nil {
		t.aadError(w, r, http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred. Please try again.", nil)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
