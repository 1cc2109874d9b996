package devtenant_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// claimsOf decodes a JWT payload without verification.
func claimsOf(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}

func clientOpts(tr http.RoundTripper) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: &http.Client{Transport: tr}, Retry: fastRetry()}
}

func TestClientCertificate(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	ctx := context.Background()
	certs, key, err := azidentity.ParseCertificates(devtenant.WorkflowEngineCertPEM(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewClientCertificateCredential(devtenant.TenantID, devtenant.WorkflowEngineAppID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts(tr)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://contoso.sharepoint.com/.default"}})
	if err != nil {
		t.Fatalf("certificate token: %v", err)
	}
	c := claimsOf(t, tok.Token)
	if c["aud"] != "https://contoso.sharepoint.com" || c["appidacr"] != "2" || c["appid"] != devtenant.WorkflowEngineAppID ||
		c["idtyp"] != "app" || c["tid"] != devtenant.TenantID || c["ipaddr"] != devtenant.DefaultEgressIP {
		t.Errorf("claims = %v", c)
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "Sites.FullControl.All" {
		t.Errorf("roles = %v", c["roles"])
	}
	// With x5c (SendCertificateChain) too.
	cred2, _ := azidentity.NewClientCertificateCredential(devtenant.TenantID, devtenant.WorkflowEngineAppID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts(tr), SendCertificateChain: true})
	if _, err := cred2.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err != nil {
		t.Errorf("x5c: %v", err)
	}
	// The admin certificate is not registered on the workflow engine app.
	adminDER, adminKey := devtenant.AdminCertificate()
	adminCert, _ := x509.ParseCertificate(adminDER)
	bad, _ := azidentity.NewClientCertificateCredential(devtenant.TenantID, devtenant.WorkflowEngineAppID, []*x509.Certificate{adminCert}, adminKey,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts(tr)})
	_, err = bad.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if st, code, body := aadCode(t, err); st != 401 || code != 700027 || body["error"] != "invalid_client" {
		t.Errorf("wrong cert: %d %d %v", st, code, body["error"])
	}
}

func unsignedJWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "github"})
	b, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

func TestFederatedCredential(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	ctx := context.Background()
	for _, tc := range []struct {
		name, sub string
		wantCode  int
	}{
		{"matching subject", devtenant.WorkflowEngineFederatedSubject, 0},
		{"other branch", "repo:contoso/workflows:ref:refs/heads/dev", 70021},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertion := unsignedJWT(map[string]any{"iss": devtenant.WorkflowEngineFederatedIssuer, "sub": tc.sub,
				"aud": "api://AzureADTokenExchange", "exp": time.Now().Add(5 * time.Minute).Unix(), "iat": time.Now().Unix()})
			cred, err := azidentity.NewClientAssertionCredential(devtenant.TenantID, devtenant.WorkflowEngineAppID,
				func(context.Context) (string, error) { return assertion, nil }, &azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOpts(tr)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
			if tc.wantCode == 0 {
				if err != nil {
					t.Errorf("federated: %v", err)
				}
				return
			}
			if _, code, _ := aadCode(t, err); code != tc.wantCode {
				t.Errorf("code %d, want %d", code, tc.wantCode)
			}
		})
	}
}

// ropcFixture adds a blocking policy for the partner network and a user to test it.
func ropcFixture(now time.Time) *devtenant.Fixture {
	fx := devtenant.ContosoAt(now)
	fx.CAPolicies = append(fx.CAPolicies, devtenant.CAPolicy{
		ID: devtenant.StableID("caPolicy", "Block partner network"), DisplayName: "Block partner network", State: "enabled",
		IncludeUsers: []string{"All"}, IncludeApplications: []string{"All"},
		IncludeLocations: []string{devtenant.StableID("namedLocation", "Partner network")}, GrantControls: []string{"block"},
	})
	return fx
}

func TestROPC(t *testing.T) {
	const sp = "https://contoso.sharepoint.com/.default"
	tests := []struct {
		name, user, password, ip, scope string
		secDefaults                     bool
		wantCode                        int
	}{
		{"service account from trusted IP", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, "", sp, false, 0},
		{"service account from untrusted IP", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, devtenant.UntrustedEgressIP, sp, false, 50076},
		{"trusted IPv6", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, "2001:db8:100::25", sp, false, 0},
		{"bad password", devtenant.SvcSharePointUPN, "wrong", "", sp, false, 50126},
		{"per-user MFA enforced", "adele.vance@contoso.com", devtenant.DevUserPassword, "", sp, false, 50076},
		{"per-user MFA enabled, unregistered", "alex.wilber@contoso.com", devtenant.DevUserPassword, "", sp, false, 50079},
		{"break-glass excluded from CA", "breakglass01@contoso.com", devtenant.DevUserPassword, devtenant.UntrustedEgressIP, sp, false, 0},
		{"locked", "lidia.holloway@contoso.com", devtenant.DevUserPassword, "", sp, false, 50053},
		{"password expired", "lee.gu@contoso.com", devtenant.DevUserPassword, "", sp, false, 50055},
		{"disabled", "nestor.wilke@contoso.com", devtenant.DevUserPassword, "", sp, false, 50057},
		{"unknown user", "nobody@contoso.com", "x", "", sp, false, 50034},
		{"security defaults, unregistered", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, "", sp, true, 50079},
		{"blocked location", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, "192.0.2.44", sp, false, 53003},
		{"no consent for resource", devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, "", "https://vault.azure.net/.default", false, 65001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := ropcFixture(time.Now())
			fx.SecurityDefaultsEnabled = tc.secDefaults
			if tc.secDefaults {
				fx.CAPolicies = nil // security defaults and CA are mutually exclusive
			}
			dt := startTenant(t, devtenant.Options{Fixture: fx, EgressIP: tc.ip})
			tr := routed(t, dt)
			//lint:ignore SA1019 ROPC is deprecated, and exactly what service accounts still use.
			opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: clientOpts(tr)}
			cred, err := azidentity.NewUsernamePasswordCredential(devtenant.TenantID, devtenant.SharePointSyncAppID, tc.user, tc.password, opts)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{tc.scope}})
			signIns := dt.SignIns()
			last := signIns[len(signIns)-1]
			if last.ErrorCode != tc.wantCode || last.EventType != "interactiveUser" {
				t.Errorf("sign-in log: %+v", last)
			}
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("ROPC: %v", err)
				}
				c := claimsOf(t, tok.Token)
				if c["idtyp"] != "user" || !strings.EqualFold(c["upn"].(string), tc.user) || c["scp"] != "AllSites.Read AllSites.Write" {
					t.Errorf("claims = %v", c)
				}
				return
			}
			st, code, body := aadCode(t, err)
			if code != tc.wantCode || st != 400 {
				t.Errorf("got %d AADSTS%d (%v), want AADSTS%d", st, code, body["error_description"], tc.wantCode)
			}
			if tc.wantCode == 50076 {
				if body["suberror"] != "basic_action" || !strings.Contains(fmt.Sprint(body["claims"]), "capolids") && !strings.Contains(fmt.Sprint(body["claims"]), "polids") {
					t.Errorf("50076 extras: %v", body)
				}
			}
		})
	}
}

func TestLockout(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	ropc := func(pw string) int {
		_, b := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN},
			"password": {pw}, "scope": {"https://contoso.sharepoint.com/.default"},
		})
		var m struct {
			Codes []int `json:"error_codes"`
		}
		_ = json.Unmarshal(b, &m)
		if len(m.Codes) == 0 {
			return 0
		}
		return m.Codes[0]
	}
	for i := range 10 {
		if code := ropc("wrong"); code != 50126 {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	if code := ropc(devtenant.SvcSharePointPassword); code != 50053 {
		t.Errorf("after 10 failures: %d, want 50053", code)
	}
	if s, _ := dt.User(devtenant.SvcSharePointUPN); !s.Locked {
		t.Errorf("not locked: %+v", s)
	}
	// Password grant on /common is refused.
	_, b := c.form("https://login.microsoftonline.com/common/oauth2/v2.0/token", url.Values{"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}})
	if !strings.Contains(string(b), "9001023") {
		t.Errorf("/common ROPC: %s", b)
	}
}

func TestRefreshAfterRevocation(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	dt.SetRevocationDelay(5 * time.Minute)
	c := newRaw(t, dt)
	tokURL := "https://login.microsoftonline.com/" + devtenant.TenantID + "/oauth2/v2.0/token"
	st, b := c.form(tokURL, url.Values{
		"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN},
		"password": {devtenant.SvcSharePointPassword}, "scope": {"https://contoso.sharepoint.com/.default offline_access"},
	})
	if st != 200 {
		t.Fatalf("ROPC: %d %s", st, b)
	}
	var tr struct {
		Refresh string `json:"refresh_token"`
		ID      string `json:"id_token"`
		Info    string `json:"client_info"`
	}
	_ = json.Unmarshal(b, &tr)
	if tr.Refresh == "" || tr.ID == "" || tr.Info == "" {
		t.Fatalf("ROPC response lacks refresh/id token/client_info: %s", b)
	}
	refresh := func() (int, string) {
		st, b := c.form(tokURL, url.Values{"grant_type": {"refresh_token"}, "client_id": {devtenant.SharePointSyncAppID},
			"refresh_token": {tr.Refresh}, "scope": {"https://contoso.sharepoint.com/.default"}})
		return st, string(b)
	}
	clock.Advance(time.Minute)
	if st, b := refresh(); st != 200 {
		t.Fatalf("refresh: %d %s", st, b)
	}
	// Revoke, then the refresh token still works during the delay and fails after it.
	clock.Advance(time.Minute)
	c.json("POST", "https://graph.microsoft.com/v1.0/users/"+devtenant.SvcSharePointUPN+"/revokeSignInSessions", c.adminGraph(), "", 200)
	clock.Advance(time.Minute)
	if st, b := refresh(); st != 200 {
		t.Fatalf("refresh within revocation delay: %d %s", st, b)
	}
	clock.Advance(5 * time.Minute)
	if st, b := refresh(); st != 400 || !strings.Contains(b, "AADSTS50173") {
		t.Errorf("refresh after revocation: %d %s", st, b)
	}
}

func TestSignInLogGraph(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	c := newRaw(t, dt)
	tokURL := "https://login.microsoftonline.com/" + devtenant.TenantID + "/oauth2/v2.0/token"
	ropc := func(user, pw string) {
		c.form(tokURL, url.Values{"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}, "username": {user},
			"password": {pw}, "scope": {"https://contoso.sharepoint.com/.default"}})
		clock.Advance(time.Minute)
	}
	ropc(devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword)
	ropc(devtenant.SvcSharePointUPN, "wrong")
	since := clock.Now()
	if err := dt.SetEgressIP(devtenant.UntrustedEgressIP); err != nil {
		t.Fatal(err)
	}
	ropc(devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword)
	ropc("adele.vance@contoso.com", devtenant.DevUserPassword)
	tok := c.adminGraph()
	base := "https://graph.microsoft.com/v1.0/auditLogs/signIns"
	m := c.json("GET", base+"?$filter="+url.QueryEscape("userPrincipalName eq '"+devtenant.SvcSharePointUPN+"'"), tok, "", 200)
	vals := m["value"].([]any)
	var codes []float64
	for _, v := range vals {
		codes = append(codes, v.(map[string]any)["status"].(map[string]any)["errorCode"].(float64))
	}
	if fmt.Sprint(codes) != "[50076 50126 0]" { // newest first
		t.Errorf("error codes = %v", codes)
	}
	first := vals[0].(map[string]any)
	if first["conditionalAccessStatus"] != "failure" || first["ipAddress"] != devtenant.UntrustedEgressIP {
		t.Errorf("CA failure entry: %v", first)
	}
	pols := first["appliedConditionalAccessPolicies"].([]any)
	found := false
	for _, p := range pols {
		pm := p.(map[string]any)
		if pm["displayName"] == "Require MFA outside trusted locations" && pm["result"] == "failure" {
			found = true
		}
	}
	if !found {
		t.Errorf("applied policies: %v", pols)
	}
	f := fmt.Sprintf("userPrincipalName eq '%s' and createdDateTime ge %s", devtenant.SvcSharePointUPN, since.Format(time.RFC3339))
	m = c.json("GET", base+"?$filter="+url.QueryEscape(f), tok, "", 200)
	if n := len(m["value"].([]any)); n != 1 {
		t.Errorf("createdDateTime filter: %d entries", n)
	}
	// Paging with $top.
	m = c.json("GET", base+"?$top=2", tok, "", 200)
	nl, _ := m["@odata.nextLink"].(string)
	if len(m["value"].([]any)) != 2 || !strings.HasPrefix(nl, "https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=2&$skiptoken=") {
		t.Fatalf("page 1: %v", m)
	}
	m = c.json("GET", nl, tok, "", 200)
	if len(m["value"].([]any)) != 2 || m["@odata.nextLink"] != nil {
		t.Errorf("page 2: %v", m)
	}
	// Service principal sign-ins are in beta only.
	m = c.json("GET", "https://graph.microsoft.com/beta/auditLogs/signIns?$filter="+url.QueryEscape("signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq '"+devtenant.AdminClientID+"'"), tok, "", 200)
	if len(m["value"].([]any)) == 0 {
		t.Errorf("no servicePrincipal sign-ins in beta")
	}
	clock.Advance(10 * time.Second) // reports budget: 5 per 10 s
	resp, _ := c.do("GET", base+"?$filter="+url.QueryEscape("signInEventTypes/any(t: t eq 'servicePrincipal')"), tok, "")
	if resp.StatusCode != 400 {
		t.Errorf("v1.0 signInEventTypes: %d", resp.StatusCode)
	}
	// Reports budget: 5 requests per 10 s per app; the 6th is throttled.
	clock.Advance(10 * time.Second)
	var last int
	for range 6 {
		resp, _ := c.do("GET", base+"?$top=1", tok, "")
		last = resp.StatusCode
		if last == 429 {
			if resp.Header.Get("Retry-After") == "" {
				t.Errorf("reports 429 without Retry-After")
			}
			break
		}
	}
	if last != 429 {
		t.Errorf("reports budget not enforced")
	}
}
