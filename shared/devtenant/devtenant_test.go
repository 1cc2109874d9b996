package devtenant_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// TestFirstSlice drives the real azidentity + msgraph-sdk-go clients through
// identity.DevTransport: token, get user, revoke sessions.
func TestFirstSlice(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	tr := routed(t, dt)
	cred := secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret)
	client := graphClient(t, tr, cred)
	ctx := context.Background()

	const upn = "adele.vance@contoso.com"
	u, err := client.Users().ByUserId(upn).Get(ctx, nil)
	if err != nil {
		t.Fatalf("get user: %v", err)
	}
	if got := *u.GetUserPrincipalName(); got != upn {
		t.Errorf("userPrincipalName = %q, want %q", got, upn)
	}
	if got := *u.GetDisplayName(); got != "Adele Vance" {
		t.Errorf("displayName = %q", got)
	}
	sel := []string{"id", "accountEnabled", "signInSessionsValidFromDateTime"}
	u2, err := client.Users().ByUserId(upn).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: sel},
	})
	if err != nil {
		t.Fatalf("get user $select: %v", err)
	}
	if u2.GetAccountEnabled() == nil || !*u2.GetAccountEnabled() || u2.GetDisplayName() != nil {
		t.Errorf("$select: accountEnabled=%v displayName=%v", u2.GetAccountEnabled(), u2.GetDisplayName())
	}

	before, ok := dt.User(upn)
	if !ok {
		t.Fatal("User(upn) not found")
	}
	clock.Advance(time.Minute)
	resp, err := client.Users().ByUserId(upn).RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if v := resp.GetValue(); v == nil || !*v {
		t.Errorf("revoke value = %v, want true", v)
	}
	after, _ := dt.User(*u.GetId())
	if !after.SignInSessionsValidFrom.After(before.SignInSessionsValidFrom) || after.RevokeCount != before.RevokeCount+1 {
		t.Errorf("revocation not applied: before %v/%d after %v/%d", before.SignInSessionsValidFrom, before.RevokeCount, after.SignInSessionsValidFrom, after.RevokeCount)
	}
	if !after.SignInSessionsValidFrom.Equal(clock.Now().Truncate(time.Second)) {
		t.Errorf("signInSessionsValidFrom = %v, want %v", after.SignInSessionsValidFrom, clock.Now())
	}

	// Unknown user → 404 Request_ResourceNotFound.
	_, err = client.Users().ByUserId("nobody@contoso.com").Get(ctx, nil)
	if st, code := odataCode(err); st != http.StatusNotFound || code != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %q (%v)", st, code, err)
	}

	// The request log names the app and never holds the secret.
	var sawToken, sawRevoke bool
	for _, r := range dt.Requests() {
		if strings.Contains(r.Query, devtenant.AdminClientSecret) {
			t.Errorf("secret in request log: %+v", r)
		}
		if r.Service == "entra" && strings.HasSuffix(r.Path, "/oauth2/v2.0/token") && r.AppID == devtenant.AdminClientID && r.Status == 200 {
			sawToken = true
		}
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/revokeSignInSessions") && r.AppID == devtenant.AdminClientID && r.Status == 200 {
			sawRevoke = true
		}
	}
	if !sawToken || !sawRevoke {
		t.Errorf("request log: token=%v revoke=%v", sawToken, sawRevoke)
	}
	if n := dt.Count("POST /v1.0/users/*/revokeSignInSessions"); n != 1 {
		t.Errorf("Count(revoke) = %d", n)
	}
}

func TestTokenErrors(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	ctx := context.Background()
	opts := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}
	tests := []struct {
		name       string
		clientID   string
		secret     string
		wantStatus int
		wantCode   int
		wantError  string
	}{
		{"wrong secret", devtenant.AdminClientID, "nope", 401, 7000215, "invalid_client"},
		{"unknown app", "11111111-2222-3333-4444-555555555555", "x", 400, 700016, "unauthorized_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cred := secretCred(t, tr, tc.clientID, tc.secret)
			_, err := cred.GetToken(ctx, opts)
			status, code, body := aadCode(t, err)
			if status != tc.wantStatus || code != tc.wantCode || body["error"] != tc.wantError {
				t.Errorf("got %d %d %v, want %d %d %s", status, code, body["error"], tc.wantStatus, tc.wantCode, tc.wantError)
			}
			desc, _ := body["error_description"].(string)
			if !strings.HasPrefix(desc, "AADSTS") {
				t.Errorf("error_description = %q", desc)
			}
			for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
				if _, ok := body[k]; !ok {
					t.Errorf("missing %s", k)
				}
			}
		})
	}
}

func TestUnknownTenant(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	resp, b := c.do("GET", "https://login.microsoftonline.com/fabrikam.com/v2.0/.well-known/openid-configuration", "", "")
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"invalid_tenant"`) || !strings.Contains(string(b), "AADSTS90002") {
		t.Errorf("unknown tenant: %d %s", resp.StatusCode, b)
	}
	for _, tenant := range []string{devtenant.TenantID, "contoso.com", "contoso.onmicrosoft.com"} {
		m := c.json("GET", "https://login.microsoftonline.com/"+tenant+"/v2.0/.well-known/openid-configuration", "", "", 200)
		if m["issuer"] != "https://login.microsoftonline.com/"+devtenant.TenantID+"/v2.0" {
			t.Errorf("%s: issuer %v", tenant, m["issuer"])
		}
	}
}

func TestGraphAuthorization(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	const u = "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com"
	kvTok := c.token(devtenant.AdminClientID, devtenant.AdminClientSecret, "https://vault.azure.net/.default")
	rptTok := c.token(devtenant.ReportingAppID, devtenant.ReportingClientSecret, "https://graph.microsoft.com/.default")
	tests := []struct {
		name, method, url, token string
		want                     int
		code                     string
	}{
		{"no token", "GET", u, "", 401, "InvalidAuthenticationToken"},
		{"garbage token", "GET", u, "abc.def.ghi", 401, "InvalidAuthenticationToken"},
		{"wrong audience", "GET", u, kvTok, 401, "InvalidAuthenticationToken"},
		{"read-only app can read", "GET", u, rptTok, 200, ""},
		{"read-only app cannot revoke", "POST", u + "/revokeSignInSessions", rptTok, 403, "Authorization_RequestDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := c.do(tc.method, tc.url, tc.token, "")
			if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.code) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, b, tc.want, tc.code)
			}
			if resp.Header.Get("request-id") == "" || resp.Header.Get("client-request-id") == "" {
				t.Errorf("missing request-id headers: %v", resp.Header)
			}
		})
	}
}

// TestMinimalFixture: a hand-written fixture only needs names; ids, states and
// sites are filled in deterministically.
func TestMinimalFixture(t *testing.T) {
	const tid = "0b7c4e2a-1111-4222-8333-944455556666"
	const appID = "1a2b3c4d-0000-4000-8000-000000000001"
	now := time.Now()
	fx := &devtenant.Fixture{
		TenantID: tid, DisplayName: "Fabrikam", DefaultDomain: "fabrikam.com", SharePointHost: "fabrikam.sharepoint.com",
		Users: []devtenant.User{{UserPrincipalName: "ops@fabrikam.com", DisplayName: "Ops", AccountEnabled: true}},
		Apps: []devtenant.App{{AppID: appID, DisplayName: "ops app", AppRoles: map[string][]string{devtenant.ResourceGraph: {"User.Read.All"}},
			Passwords: []devtenant.PasswordCredential{{Secret: "fabrikam-dev-secret", Start: now.Add(-time.Hour), End: now.Add(time.Hour)}}}},
		Sites: []devtenant.Site{{Title: "Fabrikam"}},
	}
	dt := startTenant(t, devtenant.Options{Fixture: fx})
	c := newRaw(t, dt)
	st, b := c.form("https://login.microsoftonline.com/fabrikam.com/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {appID}, "client_secret": {"fabrikam-dev-secret"}, "scope": {"https://graph.microsoft.com/.default"}})
	if st != 200 {
		t.Fatalf("token: %d %s", st, b)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(b, &tok)
	u := c.json("GET", "https://graph.microsoft.com/v1.0/users/ops@fabrikam.com", tok.AccessToken, "", 200)
	if u["id"] != devtenant.StableID("user", "ops@fabrikam.com") {
		t.Errorf("user id = %v", u["id"])
	}
	if s, ok := dt.User("OPS@FABRIKAM.COM"); !ok || s.PerUserMFAState != devtenant.MFADisabled || s.UserType != "Member" {
		t.Errorf("defaults: %+v", s)
	}
	if dt.TenantID() != tid {
		t.Errorf("TenantID() = %s", dt.TenantID())
	}
	if err := dt.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := dt.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := devtenant.Start(devtenant.Options{Fixture: &devtenant.Fixture{}}); err == nil {
		t.Errorf("fixture without tenant id accepted")
	}
	if _, err := devtenant.Start(devtenant.Options{EgressIP: "nope"}); err == nil {
		t.Errorf("bad egress IP accepted")
	}
}
