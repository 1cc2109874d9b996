package devtenant

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// serveEntra handles login.microsoftonline.com.
func (t *Tenant) serveEntra(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 2 {
		t.aadError(w, r, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a GET request.", nil)
		return
	}
	tenant := segs[0]
	rest := strings.ToLower(strings.Join(segs[1:], "/"))
	switch {
	case r.Method == http.MethodGet && strings.EqualFold(tenant, "common") && rest == "discovery/instance":
		t.instanceDiscovery(w, r)
		return
	case r.Method == http.MethodGet && strings.EqualFold(tenant, "common") && len(segs) == 3 && strings.EqualFold(segs[1], "userrealm"):
		t.userRealm(w, r, segs[2])
		return
	}
	tid, ok := t.resolveTenant(tenant)
	if !ok {
		t.aadError(w, r, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant), nil)
		return
	}
	switch {
	case r.Method == http.MethodGet && (rest == "v2.0/.well-known/openid-configuration" || rest == ".well-known/openid-configuration"):
		t.openIDConfig(w, r, tenant, tid, strings.HasPrefix(rest, "v2.0"))
	case r.Method == http.MethodGet && (rest == "discovery/v2.0/keys" || rest == "discovery/keys"):
		writeJSON(w, http.StatusOK, t.jwks())
	case rest == "oauth2/v2.0/token" || rest == "oauth2/token":
		if r.Method != http.MethodPost {
			t.aadError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a "+r.Method+" request.", nil)
			return
		}
		t.token(w, r, tenant)
	default:
		t.aadError(w, r, http.StatusNotFound, "invalid_request", 900561, "The devtenant does not implement "+r.Method+" "+r.URL.Path+".", nil)
	}
}

// resolveTenant accepts the tenant id, a verified domain, "organizations" and "common".
func (t *Tenant) resolveTenant(s string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch strings.ToLower(s) {
	case "organizations", "common":
		return t.st.tenantID, true
	}
	return t.st.tenantID, t.st.knownTenant(s)
}

func (t *Tenant) openIDConfig(w http.ResponseWriter, r *http.Request, tenant, tid string, v2 bool) {
	base := "https://" + r.Host
	seg := tid
	if strings.EqualFold(tenant, "common") || strings.EqualFold(tenant, "organizations") {
		seg = "{tenantid}"
	}
	if !v2 {
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":         base + "/" + tid + "/oauth2/token",
			"authorization_endpoint": base + "/" + tid + "/oauth2/authorize",
			"issuer":                 "https://sts.windows.net/" + seg + "/",
			"jwks_uri":               base + "/common/discovery/keys",
			"tenant_region_scope":    "NA",
			"cloud_instance_name":    "microsoftonline.com",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/" + tid + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + tid + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + seg + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                base + "/" + tid + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + tid + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + tid + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":                     base + "/" + tid + "/kerberos",
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

func (t *Tenant) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	t.mu.RLock()
	tid := t.st.tenantID
	t.mu.RUnlock()
	tenant := tid
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if u, err := url.Parse(ae); err == nil {
			if s := strings.Split(strings.Trim(u.Path, "/"), "/"); len(s) > 0 && s[0] != "" {
				tenant = s[0]
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

func (t *Tenant) userRealm(w http.ResponseWriter, r *http.Request, upn string) {
	upn, _ = url.PathUnescape(upn)
	_, domain, _ := strings.Cut(upn, "@")
	t.mu.RLock()
	known := domain != "" && t.st.knownTenant(domain)
	t.mu.RUnlock()
	accountType := "Unknown"
	if known {
		accountType = "Managed"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ver":                 "1.0",
		"account_type":        accountType,
		"domain_name":         strings.ToLower(domain),
		"cloud_instance_name": "microsoftonline.com",
		"cloud_audience_urn":  "urn:federation:MicrosoftOnline",
	})
}

// aadError writes an Entra token-endpoint error body.
func (t *Tenant) aadError(w http.ResponseWriter, r *http.Request, status int, errName string, code int, desc string, extra map[string]any) {
	now := t.Now().UTC()
	trace := newGUID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newGUID()
	}
	ts := now.Format("2006-01-02 15:04:05Z")
	body := map[string]any{
		"error":             errName,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", code, desc, trace, corr, ts),
		"error_codes":       []int{code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         "https://" + r.Host + "/error?code=" + fmt.Sprint(code),
	}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("x-ms-request-id", trace)
	writeJSON(w, status, body)
}

// resourceFor maps a scope/resource string to (resource appId, token audience).
func (st *state) resourceFor(res string) (appID, aud string, ok bool) {
	res = strings.TrimSuffix(res, "/")
	l := strings.ToLower(res)
	switch l {
	case "https://graph.microsoft.com", ResourceGraph:
		return ResourceGraph, "https://graph.microsoft.com", true
	case "https://vault.azure.net", ResourceKeyVault:
		return ResourceKeyVault, "https://vault.azure.net", true
	case ResourceSharePoint:
		return ResourceSharePoint, ResourceSharePoint, true
	}
	if u, err := url.Parse(l); err == nil && u.Scheme == "https" && strings.HasSuffix(u.Host, ".sharepoint.com") {
		base := strings.TrimSuffix(st.sharePointHost, ".sharepoint.com")
		h := strings.TrimSuffix(u.Host, ".sharepoint.com")
		if h == base || h == base+"-admin" || h == base+"-my" {
			return ResourceSharePoint, "https://" + u.Host, true
		}
	}
	return "", "", false
}

// splitScope separates "resource/permission" scopes from the OIDC scopes MSAL adds.
func splitScope(scope string) (resource string, perms []string, err error) {
	for _, s := range strings.Fields(scope) {
		switch s {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		i := strings.LastIndex(s, "/")
		if i <= 0 {
			return "", nil, fmt.Errorf("the scope '%s' isn't valid", s)
		}
		res, perm := s[:i], s[i+1:]
		if resource != "" && !strings.EqualFold(res, resource) {
			return "", nil, fmt.Errorf("the scope '%s' mixes resources", scope)
		}
		resource = res
		perms = append(perms, perm)
	}
	if resource == "" {
		return "", nil, fmt.Errorf("the provided value for the input parameter 'scope' isn't valid: '%s'", scope)
	}
	return resource, perms, nil
}

// token is POST /{tenant}/oauth2/v2.0/token.
func (t *Tenant) token(w http.ResponseWriter, r *http.Request, tenantSeg string) {
	if err := r.ParseForm(); err != nil {
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", nil)
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	if clientID == "" {
		clientID, _, _ = r.BasicAuth()
	}
	infoOf(r).appID = clientID
	switch gt := f.Get("grant_type"); gt {
	case "client_credentials":
		if strings.EqualFold(tenantSeg, "common") || strings.EqualFold(tenantSeg, "organizations") {
			t.aadError(w, r, http.StatusBadRequest, "invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.", nil)
			return
		}
		t.clientCredentials(w, r, clientID)
	case "password":
		t.passwordGrant(w, r, clientID)
	case "refresh_token":
		t.refreshGrant(w, r, clientID)
	case "":
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", nil)
	default:
		t.aadError(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.", nil)
	}
}

// clientAuth is the result of authenticating a confidential client.
type clientAuth struct {
	app    *appRec
	method string // secret, certificate, federated, none
	acr    string // appidacr
}

// authenticateClient checks client_secret or client_assertion. It writes the
// error response and returns nil on failure. Caller holds no lock.
func (t *Tenant) authenticateClient(w http.ResponseWriter, r *http.Request, clientID string, allowPublic bool) *clientAuth {
	f := r.PostForm
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.st
	app := st.appsByApp[strings.ToLower(clientID)]
	if app == nil {
		t.aadError(w, r, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, st.displayName), nil)
		return nil
	}
	if app.Disabled {
		t.aadError(w, r, http.StatusBadRequest, "unauthorized_client", 7000112, fmt.Sprintf("Application '%s'(%s) is disabled.", app.AppID, app.DisplayName), nil)
		return nil
	}
	secret := f.Get("client_secret")
	if secret == "" {
		if _, p, ok := r.BasicAuth(); ok {
			secret = p
		}
	}
	assertion := f.Get("client_assertion")
	switch {
	case secret != "":
		return t.checkSecret(w, r, app, secret, now)
	case assertion != "":
		if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			t.aadError(w, r, http.StatusBadRequest, "invalid_request", 50027, "Invalid client_assertion_type.", nil)
			return nil
		}
		return t.checkAssertion(w, r, app, assertion, now)
	case allowPublic && app.PublicClient:
		return &clientAuth{app: app, method: "none", acr: "0"}
	default:
		t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", nil)
		return nil
	}
}

func (t *Tenant) checkSecret(w http.ResponseWriter, r *http.Request, app *appRec, secret string, now time.Time) *clientAuth {
	for _, p := range app.passwords {
		if !secretEqual(p.salt, p.hash, secret) {
			continue
		}
		if !p.End.IsZero() && !now.Before(p.End) {
			t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 7000222,
				fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", app.AppID), nil)
			return nil
		}
		if now.Before(p.addedAt.Add(t.st.secretDelay)) || (!p.Start.IsZero() && now.Before(p.Start.Add(-5*time.Minute))) {
			break // not replicated / not yet valid: indistinguishable from a wrong secret
		}
		return &clientAuth{app: app, method: "secret", acr: "1"}
	}
	t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 7000215,
		fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.AppID), nil)
	return nil
}

type assertionClaims struct {
	Aud audience `json:"aud"`
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Exp int64    `json:"exp"`
	Nbf int64    `json:"nbf"`
	Jti string   `json:"jti"`
}

// audience accepts a JSON string or array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = []string{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return fmt.Errorf("aud: %w", err)
	}
	*a = ss
	return nil
}

func (t *Tenant) checkAssertion(w http.ResponseWriter, r *http.Request, app *appRec, assertion string, now time.Time) *clientAuth {
	var c assertionClaims
	hdr, signing, sig, err := parseJWT(assertion, &c)
	if err != nil {
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed.", nil)
		return nil
	}
	if !strings.EqualFold(c.Iss, app.AppID) {
		return t.checkFederated(w, r, app, c, now)
	}
	if !strings.EqualFold(c.Sub, app.AppID) {
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.", nil)
		return nil
	}
	if c.Exp == 0 || now.Unix() >= c.Exp || (c.Nbf != 0 && now.Unix() < c.Nbf-300) {
		t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 700024, "Client assertion is not within its valid time range.", nil)
		return nil
	}
	endpoint := "https://" + r.Host + r.URL.Path
	if !slices.ContainsFunc(c.Aud, func(a string) bool { return assertionAudOK(a, endpoint, r.Host, t.st.tenantID) }) {
		t.aadError(w, r, http.StatusBadRequest, "invalid_request", 50027, "Invalid JWT token. AUD claim is not valid for this token endpoint.", nil)
		return nil
	}
	cert := findCert(app, hdr)
	if cert == nil {
		t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 700027,
			fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", thumbHeader(hdr), app.AppID), nil)
		return nil
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	sum := sha256.Sum256([]byte(signing))
	alg, _ := hdr["alg"].(string)
	var verr error
	switch {
	case !ok:
		verr = fmt.Errorf("certificate key is %T", cert.PublicKey)
	case alg == "PS256":
		verr = rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case alg == "RS256":
		verr = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		verr = fmt.Errorf("unsupported alg %q", alg)
	}
	if verr != nil {
		t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]", nil)
		return nil
	}
	if now.After(cert.NotAfter) {
		t.aadError(w, r, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The key used is expired.]", nil)
		return nil
	}
	return &clientAuth{app: app, method: "certificate", acr: "2"}
}

func assertionAudOK(aud, endpoint, host, tid string) bool {
	a := strings.ToLower(strings.TrimSuffix(aud, "/"))
	switch {
	case a == strings.ToLower(endpoint):
		return true
	case strings.HasPrefix(a, "https://"+strings.ToLower(host)+"/") && (strings.HasSuffix(a, "/oauth2/v2.0/token") || strings.HasSuffix(a, "/oauth2/token") || strings.HasSuffix(a, "/v2.0")):
		return true
	}
	return a == "https://login.microsoftonline.com/"+tid+"/v2.0"
}

func thumbHeader(hdr map[string]any) string {
	if s, _ := hdr["x5t#S256"].(string); s != "" {
		return s
	}
	s, _ := hdr["x5t"].(string)
	return s
}

// findCert finds the registered certificate named by the assertion header
// (x5t#S256 or x5t, base64url or base64std).
func findCert(app *appRec, hdr map[string]any) *x509.Certificate {
	s256, _ := hdr["x5t#S256"].(string)
	s1, _ := hdr["x5t"].(string)
	for _, kc := range app.Certificates {
		c, err := x509.ParseCertificate(kc.CertDER)
		if err != nil {
			continue
		}
		h256 := sha256.Sum256(kc.CertDER)
		h1 := sha1.Sum(kc.CertDER)
		if (s256 != "" && b64Match(s256, h256[:])) || (s1 != "" && b64Match(s1, h1[:])) {
			return c
		}
	}
	return nil
}

func b64Match(s string, sum []byte) bool {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && string(b) == string(sum) {
			return true
		}
	}
	return strings.EqualFold(s, fmt.Sprintf("%x", sum))
}

// checkFederated accepts an assertion from an external issuer that matches a
// federated identity credential (iss, sub, aud). The external issuer's
// signature cannot be checked offline and is not verified.
func (t *Tenant) checkFederated(w http.ResponseWriter, r *http.Request, app *appRec, c assertionClaims, now time.Time) *clientAuth {
	for _, fic := range app.FederatedCredentials {
		auds := fic.Audiences
		if len(auds) == 0 {
			auds = []string{"api://AzureADTokenExchange"}
		}
		if fic.Issuer != c.Iss || fic.Subject != c.Sub {
			continue
		}
		if !slices.ContainsFunc(c.Aud, func(a string) bool { return slices.Contains(auds, a) }) {
			continue
		}
		if c.Exp == 0 || now.Unix() >= c.Exp {
			t.aadError(w, r, http.StatusBadRequest, "invalid_client", 700024, "Client assertion is not within its valid time range.", nil)
			return nil
		}
		return &clientAuth{app: app, method: "federated", acr: "2"}
	}
	t.aadError(w, r, http.StatusBadRequest, "invalid_request", 70021,
		fmt.Sprintf("No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.", c.Iss, c.Sub, strings.Join(c.Aud, ",")), nil)
	return nil
}

func wantsCAE(f url.Values) bool {
	return strings.Contains(f.Get("claims"), "CP1")
}

func (t *Tenant) clientCredentials(w http.ResponseWriter, r *http.Request, clientID string) {
	ca := t.authenticateClient(w, r, clientID, false)
	if ca == nil {
		return
	}
	now := t.Now()
	t.mu.Lock()
	st := t.st
	res, perms, err := splitScope(r.PostForm.Get("scope"))
	if err != nil {
		t.mu.Unlock()
		t.aadError(w, r, http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' isn't valid. "+err.Error(), nil)
		return
	}
	if len(perms) != 1 || perms[0] != ".default" {
		t.mu.Unlock()
		t.aadError(w, r, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", r.PostForm.Get("scope")), nil)
		return
	}
	resApp, aud, ok := st.resourceFor(res)
	if !ok {
		t.mu.Unlock()
		t.aadError(w, r, http.StatusBadRequest, "invalid_resource", 500011,
			fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", res, st.displayName), nil)
		return
	}
	app := ca.app
	c := accessClaims{
		Aud: aud, Iss: "https://sts.windows.net/" + st.tenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
		AppID: app.AppID, AppIDAcr: ca.acr, IdTyp: "app", IPAddr: st.egressIP,
		Oid: app.ServicePrincipalID, Sub: app.ServicePrincipalID, Tid: st.tenantID,
		Roles: append([]string(nil), app.AppRoles[strings.ToLower(resApp)]...),
		Uti:   newGUID(), Ver: "1.0", AppName: app.DisplayName,
		Wids: roleTemplateIDs(app.DirectoryRoles),
	}
	if wantsCAE(r.PostForm) {
		c.XmsCC = []string{"CP1"}
	}
	st.tokens[c.Uti] = TokenInfo{ID: c.Uti, AppID: app.AppID, Audience: aud, Roles: c.Roles, AuthType: ca.method, IssuedAt: now, ExpiresAt: now.Add(tokenLifetime)}
	st.recordAppSignIn(app, resApp, aud, ca.method, now)
	t.mu.Unlock()
	tok, err := t.sign(c)
	if err != nil {
		t.aadError(w, r, http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred. Please try again.", nil)
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(tokenLifetime / time.Second),
		"ext_expires_in": int(tokenLifetime / time.Second),
		"access_token":   tok,
	})
}

// directory role template ids (wids claim).
var roleTemplates = map[string]string{
	"Global Administrator":                       "62e90394-69f5-4237-9190-012177145e10",
	"User Administrator":                         "fe930be7-5e62-47db-91af-98c3a49a38b1",
	"Privileged Authentication Administrator":    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
	"Authentication Administrator":               "c4e39bd9-1100-46d3-8c65-fb160da0071f",
	"Conditional Access Administrator":           "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
	"Security Administrator":                     "194ae4cb-b126-40b2-bd5b-6091b380977d",
	"Application Administrator":                  "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	"Global Reader":                              "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
	"Authentication Policy Administrator":        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
	"Cloud Application Administrator":            "158c047a-c907-4556-b7ef-446551a6b5f7",
	"Privileged Role Administrator":              "e8611ab8-c189-46e8-94e1-60213ab1f814",
	"Reports Reader":                             "4a5d8f65-41da-4de4-8968-e035b65339cf",
	"Security Reader":                            "5d6b6bb7-de71-4623-b4af-96380a352509",
	"Directory Readers":                          "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
	"Helpdesk Administrator":                     "729827e3-9c14-49f7-bb1b-9608f156bbb8",
	"Exchange Administrator":                     "29232cdf-9323-42fd-ade2-1d097af3e4de",
	"SharePoint Administrator":                   "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"Directory Writers":                          "9360feb5-f418-4baa-8175-e2a00bac4301",
	"Hybrid Identity Administrator":              "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
	"Authentication Extensibility Administrator": "25a516ed-2fa0-40ea-a2d0-12923a21473a",
	"Attribute Assignment Administrator":         "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d",
	"Groups Administrator":                       "fdd7a751-b60b-444a-984c-02652fe8fa1c",
	"License Administrator":                      "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
	"Identity Governance Administrator":          "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
	"Compliance Administrator":                   "17315797-102d-40b4-93e0-432062caca18",
}

func roleTemplateIDs(roles []string) []string {
	var out []string
	for _, r := range roles {
		if id, ok := roleTemplates[r]; ok {
			out = append(out, id)
		}
	}
	return out
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
