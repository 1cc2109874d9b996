package devtenant_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestSharePointREST(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	c := newRaw(t, dt)
	ctx := context.Background()
	scope := policy.TokenRequestOptions{Scopes: []string{"https://contoso.sharepoint.com/.default"}}
	certs, key, _ := azidentity.ParseCertificates(devtenant.WorkflowEngineCertPEM(), nil)
	certCred, _ := azidentity.NewClientCertificateCredential(devtenant.TenantID, devtenant.WorkflowEngineAppID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts(tr)})
	certTok, err := certCred.GetToken(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	secretTok, err := secretCred(t, tr, devtenant.WorkflowEngineAppID, devtenant.WorkflowEngineSecret).GetToken(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	web := devtenant.OperationsSiteURL + "/_api/web"
	nometadata := []string{"Accept", "application/json;odata=nometadata"}

	resp, b := c.do("GET", web, certTok.Token, "", nometadata...)
	var w map[string]any
	_ = json.Unmarshal(b, &w)
	if resp.StatusCode != 200 || w["Title"] != "Operations" || w["Url"] != devtenant.OperationsSiteURL || w["Id"] == nil {
		t.Errorf("cert token: %d %s", resp.StatusCode, b)
	}
	resp, b = c.do("GET", web, secretTok.Token, "", nometadata...)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "Unsupported app only token.") ||
		!strings.Contains(resp.Header.Get("x-ms-diagnostics"), "Unsupported app only token.") {
		t.Errorf("secret token: %d %s %v", resp.StatusCode, b, resp.Header)
	}
	resp, _ = c.do("GET", web, c.adminGraph(), "", nometadata...)
	if resp.StatusCode != 401 {
		t.Errorf("graph token: %d", resp.StatusCode)
	}
	resp, _ = c.do("GET", web, "", "", nometadata...)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	resp, _ = c.do("GET", "https://contoso.sharepoint.com/sites/nope/_api/web", certTok.Token, "", nometadata...)
	if resp.StatusCode != 404 {
		t.Errorf("unknown site: %d", resp.StatusCode)
	}
	resp, b = c.do("GET", "https://contoso.sharepoint.com/_api/web", certTok.Token, "", "Accept", "application/json;odata=verbose")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"d":{"__metadata"`) || !strings.Contains(string(b), `"Title":"Contoso"`) {
		t.Errorf("root verbose: %d %s", resp.StatusCode, b)
	}

	// A user (ROPC) token works until the user's sessions are revoked (CAE).
	st, tb := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN},
		"password": {devtenant.SvcSharePointPassword}, "scope": {"https://contoso.sharepoint.com/.default"},
		"claims": {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`},
	})
	var ut struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(tb, &ut)
	if st != 200 {
		t.Fatalf("ROPC: %d %s", st, tb)
	}
	if resp, b := c.do("GET", web, ut.AccessToken, "", nometadata...); resp.StatusCode != 200 {
		t.Fatalf("user token: %d %s", resp.StatusCode, b)
	}
	// Graph /me with the same app and user (delegated User.Read).
	st, tb = c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"password"}, "client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN},
		"password": {devtenant.SvcSharePointPassword}, "scope": {"https://graph.microsoft.com/User.Read"},
	})
	var gt struct {
		AccessToken string `json:"access_token"`
	}
	if st != 200 || json.Unmarshal(tb, &gt) != nil {
		t.Fatalf("ROPC for Graph: %d %s", st, tb)
	}
	if me := c.json("GET", "https://graph.microsoft.com/v1.0/me", gt.AccessToken, "", 200); me["userPrincipalName"] != devtenant.SvcSharePointUPN {
		t.Errorf("/me = %v", me)
	}
	c.json("GET", "https://graph.microsoft.com/v1.0/users", gt.AccessToken, "", 403)
	c.json("GET", "https://graph.microsoft.com/v1.0/me", c.adminGraph(), "", 400)
	dt.Advance(2 * time.Second)
	c.json("POST", "https://graph.microsoft.com/v1.0/users/"+devtenant.SvcSharePointUPN+"/revokeSignInSessions", c.adminGraph(), "", 200)
	resp, _ = c.do("GET", web, ut.AccessToken, "", nometadata...)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "insufficient_claims") {
		t.Errorf("revoked user token: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestGraphSites(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	m := c.json("GET", "https://graph.microsoft.com/v1.0/sites/contoso.sharepoint.com:/sites/operations", tok, "", 200)
	if m["displayName"] != "Operations" || m["webUrl"] != devtenant.OperationsSiteURL || !strings.HasPrefix(m["id"].(string), "contoso.sharepoint.com,") {
		t.Errorf("by path: %v", m)
	}
	id := m["id"].(string)
	m = c.json("GET", "https://graph.microsoft.com/v1.0/sites/"+id, tok, "", 200)
	if m["displayName"] != "Operations" {
		t.Errorf("by id: %v", m)
	}
	m = c.json("GET", "https://graph.microsoft.com/v1.0/sites/root", tok, "", 200)
	if m["root"] == nil || m["webUrl"] != "https://contoso.sharepoint.com" {
		t.Errorf("root: %v", m)
	}
	c.json("GET", "https://graph.microsoft.com/v1.0/sites/contoso.sharepoint.com:/sites/nope", tok, "", 404)
	// Graph accepts client-secret app-only tokens for sites (unlike SharePoint REST).
	wf := c.token(devtenant.WorkflowEngineAppID, devtenant.WorkflowEngineSecret, "https://graph.microsoft.com/.default")
	c.json("GET", "https://graph.microsoft.com/v1.0/sites/contoso.sharepoint.com:/sites/operations", wf, "", 200)
}

func TestEgressEcho(t *testing.T) {
	dt := startTenant(t, devtenant.Options{EgressIP: "198.51.100.7"})
	c := newRaw(t, dt)
	for _, u := range []string{"https://api.ipify.org", "https://api64.ipify.org/", "https://checkip.amazonaws.com/", "https://ifconfig.me/ip"} {
		resp, b := c.do("GET", u, "", "")
		if resp.StatusCode != 200 || string(b) != "198.51.100.7\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q", u, resp.StatusCode, b)
		}
	}
	if err := dt.SetEgressIP("2001:db8:100::7"); err != nil {
		t.Fatal(err)
	}
	if _, b := c.do("GET", "https://api.ipify.org?format=json", "", ""); string(b) != `{"ip":"2001:db8:100::7"}` {
		t.Errorf("json echo: %s", b)
	}
	if err := dt.SetEchoIP("checkip.amazonaws.com", "192.0.2.99"); err != nil {
		t.Fatal(err)
	}
	if _, b := c.do("GET", "https://checkip.amazonaws.com/", "", ""); string(b) != "192.0.2.99\n" {
		t.Errorf("echo override: %q", b)
	}
	if _, b := c.do("GET", "https://api.ipify.org/", "", ""); string(b) != "2001:db8:100::7\n" {
		t.Errorf("override leaked to another echo host: %q", b)
	}
	if err := dt.SetEchoIP("graph.microsoft.com", "192.0.2.99"); err == nil {
		t.Errorf("echo override on a non-echo host accepted")
	}
	if err := dt.SetEgressIP("not-an-ip"); err == nil {
		t.Errorf("bad IP accepted")
	}
}
