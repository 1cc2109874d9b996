package devtenant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantops/tenantops/shared/devtenant"
)

const g1 = "https://graph.microsoft.com/v1.0/"

func TestAddPasswordPropagation(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	dt.SetSecretPropagationDelay(30 * time.Second)
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()
	appID := devtenant.WorkflowEngineAppID
	objID := devtenant.StableID("application", appID)

	// Default lifetime (2 years) exceeds the tenant policy (180 days).
	body := applications.NewItemAddPasswordPostRequestBody()
	pc := models.NewPasswordCredential()
	name := "tenantops r1"
	pc.SetDisplayName(&name)
	body.SetPasswordCredential(pc)
	_, err := client.Applications().ByApplicationId(objID).AddPassword().Post(ctx, body, nil)
	if st, code := odataCode(err); st != 400 || code != "Request_BadRequest" {
		t.Fatalf("2-year secret: %d %s %v", st, code, err)
	}
	end := clock.Now().Add(90 * 24 * time.Hour)
	pc.SetEndDateTime(&end)
	created, err := client.Applications().ByApplicationId(objID).AddPassword().Post(ctx, body, nil)
	if err != nil {
		t.Fatalf("addPassword: %v", err)
	}
	secret := *created.GetSecretText()
	if len(secret) != 40 || *created.GetHint() != secret[:3] || created.GetKeyId() == nil {
		t.Errorf("passwordCredential: hint %v len %d", created.GetHint(), len(secret))
	}
	tokenWith := func(s string) error {
		_, err := secretCred(t, tr, appID, s).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
		return err
	}
	if _, code, _ := aadCode(t, tokenWith(secret)); code != 7000215 {
		t.Errorf("before replication: AADSTS%d, want 7000215", code)
	}
	clock.Advance(30 * time.Second)
	if err := tokenWith(secret); err != nil {
		t.Errorf("after replication: %v", err)
	}
	// GET shows hints, never values.
	app, err := client.ApplicationsWithAppId(&appID).Get(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(app.GetPasswordCredentials()); n != 2 {
		t.Errorf("passwordCredentials = %d", n)
	}
	for _, p := range app.GetPasswordCredentials() {
		if p.GetSecretText() != nil {
			t.Errorf("secretText returned by GET")
		}
	}
	// removePassword: the old secret stops working.
	rm := applications.NewItemRemovePasswordPostRequestBody()
	rm.SetKeyId(created.GetKeyId())
	if err := client.Applications().ByApplicationId(objID).RemovePassword().Post(ctx, rm, nil); err != nil {
		t.Fatalf("removePassword: %v", err)
	}
	if _, code, _ := aadCode(t, tokenWith(secret)); code != 7000215 {
		t.Errorf("removed secret: AADSTS%d", code)
	}
	// An expired secret gives AADSTS7000222.
	_, short, err := dt.AddClientSecret(appID, "short", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if st, code, _ := aadCode(t, tokenWith(short)); st != 401 || code != 7000222 {
		t.Errorf("expired secret: %d AADSTS%d", st, code)
	}
	// An app without Application.ReadWrite.* cannot add secrets.
	rpt := graphClient(t, tr, secretCred(t, tr, devtenant.ReportingAppID, devtenant.ReportingClientSecret))
	_, err = rpt.Applications().ByApplicationId(objID).AddPassword().Post(ctx, body, nil)
	if st, code := odataCode(err); st != 403 || code != "Authorization_RequestDenied" {
		t.Errorf("reporting app addPassword: %d %s", st, code)
	}
	for _, s := range dt.ClientSecrets(appID) {
		if strings.Contains(fmt.Sprint(s), secret) {
			t.Errorf("secret value in summary")
		}
	}
}

func TestPerUserMFAAndMethods(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	beta := "https://graph.microsoft.com/beta/users/"
	m := c.json("GET", beta+"alex.wilber@contoso.com/authentication/requirements", tok, "", 200)
	if m["perUserMfaState"] != "enabled" {
		t.Errorf("alex: %v", m)
	}
	if resp, _ := c.do("GET", g1+"users/alex.wilber@contoso.com/authentication/requirements", tok, ""); resp.StatusCode != 400 {
		t.Errorf("requirements on v1.0: %d", resp.StatusCode)
	}
	c.json("PATCH", beta+"alex.wilber@contoso.com/authentication/requirements", tok, `{"perUserMfaState":"disabled"}`, 204)
	if s, _ := dt.User("alex.wilber@contoso.com"); s.PerUserMFAState != "disabled" {
		t.Errorf("after PATCH: %s", s.PerUserMFAState)
	}
	// enabled on a registered user becomes enforced.
	c.json("PATCH", beta+"grady.archie@contoso.com/authentication/requirements", tok, `{"perUserMfaState":"enabled"}`, 204)
	if s, _ := dt.User("grady.archie@contoso.com"); s.MFARegistered && s.PerUserMFAState != "enforced" {
		t.Errorf("registered + enabled → %s", s.PerUserMFAState)
	}
	c.json("PATCH", beta+"alex.wilber@contoso.com/authentication/requirements", tok, `{"perUserMfaState":"sometimes"}`, 400)

	m = c.json("GET", g1+"users/adele.vance@contoso.com/authentication/methods", tok, "", 200)
	var types []string
	for _, v := range m["value"].([]any) {
		types = append(types, v.(map[string]any)["@odata.type"].(string))
	}
	if fmt.Sprint(types) != "[#microsoft.graph.passwordAuthenticationMethod #microsoft.graph.microsoftAuthenticatorAuthenticationMethod #microsoft.graph.phoneAuthenticationMethod]" {
		t.Errorf("methods = %v", types)
	}
	m = c.json("GET", g1+"reports/authenticationMethods/userRegistrationDetails?$filter="+url.QueryEscape("isMfaRegistered eq false and userType eq 'member'"), tok, "", 200)
	names := map[string]bool{}
	for _, v := range m["value"].([]any) {
		names[v.(map[string]any)["userPrincipalName"].(string)] = true
	}
	if !names["alex.wilber@contoso.com"] || !names[devtenant.SvcSharePointUPN] || names["adele.vance@contoso.com"] {
		t.Errorf("unregistered members = %v", names)
	}
	m = c.json("GET", "https://graph.microsoft.com/beta/reports/authenticationMethods/userRegistrationDetails/"+devtenant.StableID("user", "adele.vance@contoso.com"), tok, "", 200)
	if m["defaultMfaMethod"] != "microsoftAuthenticatorPush" || m["isMfaRegistered"] != true {
		t.Errorf("beta registration details: %v", m)
	}
	m = c.json("GET", g1+"reports/authenticationMethods/userRegistrationDetails?$filter="+url.QueryEscape("methodsRegistered/any(x:x eq 'fido2')"), tok, "", 200)
	if n := len(m["value"].([]any)); n != 3 { // admin + two break-glass accounts
		t.Errorf("fido2 users = %d", n)
	}
}

func TestSecurityDefaults(t *testing.T) {
	fx := devtenant.Contoso()
	dt := startTenant(t, devtenant.Options{Fixture: fx})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	u := g1 + "policies/identitySecurityDefaultsEnforcementPolicy"
	m := c.json("GET", u, tok, "", 200)
	if m["isEnabled"] != false || m["id"] != "00000000-0000-0000-0000-000000000005" {
		t.Errorf("security defaults: %v", m)
	}
	// Cannot enable while CA policies are enabled.
	c.json("PATCH", u, tok, `{"isEnabled":true}`, 400)

	fx2 := devtenant.Contoso()
	fx2.CAPolicies = nil
	dt2 := startTenant(t, devtenant.Options{Fixture: fx2})
	c2 := newRaw(t, dt2)
	tok2 := c2.adminGraph()
	c2.json("PATCH", u, tok2, `{"isEnabled":true}`, 204)
	if !dt2.SecurityDefaultsEnabled() {
		t.Errorf("not enabled")
	}
	st, b := c2.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN}, "password": {devtenant.SvcSharePointPassword},
		"scope": {"https://contoso.sharepoint.com/.default"}})
	if st != 400 || !strings.Contains(string(b), "AADSTS50079") {
		t.Errorf("ROPC under security defaults: %d %s", st, b)
	}
}

func TestNamedLocationsAndWhatIf(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now, EgressIP: "192.0.2.200"})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	ca := g1 + "identity/conditionalAccess/"
	call := func(method, path, body string, want int) map[string]any {
		clock.Advance(time.Second) // CA budget: 1 request per second per tenant
		return c.json(method, ca+path, tok, body, want)
	}
	m := call("GET", "namedLocations", "", 200)
	if n := len(m["value"].([]any)); n != 2 {
		t.Errorf("named locations = %d", n)
	}
	// Budget: a second CA request in the same second is throttled without Retry-After.
	resp, _ := c.do("GET", ca+"namedLocations", tok, "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" {
		t.Errorf("CA budget: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ropc := func() string {
		_, b := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
			"client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN}, "password": {devtenant.SvcSharePointPassword},
			"scope": {"https://contoso.sharepoint.com/.default"}})
		return string(b)
	}
	if b := ropc(); !strings.Contains(b, "AADSTS50076") {
		t.Errorf("untrusted egress: %s", b)
	}
	// What If from the server's IP: the MFA policy applies.
	whatIf := fmt.Sprintf(`{"signInIdentity":{"@odata.type":"#microsoft.graph.userSignIn","userId":"%s"},
		"signInContext":{"@odata.type":"#microsoft.graph.applicationContext","includeApplications":["%s"]},
		"signInConditions":{"clientAppType":"mobileAppsAndDesktopClients","ipAddress":"%%s"},"appliedPoliciesOnly":false}`,
		devtenant.StableID("user", devtenant.SvcSharePointUPN), devtenant.ResourceSharePoint)
	applies := func(ip string) (bool, string) {
		m := call("POST", "evaluate", fmt.Sprintf(whatIf, ip), 200)
		for _, v := range m["value"].([]any) {
			p := v.(map[string]any)
			if p["displayName"] == "Require MFA outside trusted locations" {
				return p["policyApplies"].(bool), p["analysisReasons"].(string)
			}
		}
		t.Fatalf("policy missing: %v", m)
		return false, ""
	}
	if ok, _ := applies("192.0.2.200"); !ok {
		t.Errorf("What If: policy should apply from 192.0.2.200")
	}
	// Trust the server's IP: add it to a new trusted named location.
	created := call("POST", "namedLocations", `{"@odata.type":"#microsoft.graph.ipNamedLocation","displayName":"Workflow server","isTrusted":true,
		"ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"192.0.2.200/32"}]}`, 201)
	id := created["id"].(string)
	if ok, reason := applies("192.0.2.200"); ok || reason != "location" {
		t.Errorf("What If after trusting: applies=%v reasons=%s", ok, reason)
	}
	if b := ropc(); !strings.Contains(b, "access_token") {
		t.Errorf("ROPC from trusted location: %s", b)
	}
	// PATCH replaces the ranges; the IP is untrusted again.
	call("PATCH", "namedLocations/"+id, `{"@odata.type":"#microsoft.graph.ipNamedLocation","ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"192.0.2.201/32"}]}`, 204)
	got := call("GET", "namedLocations/"+id, "", 200)
	b, _ := json.Marshal(got["ipRanges"])
	if !strings.Contains(string(b), "192.0.2.201/32") || strings.Contains(string(b), "192.0.2.200/32") {
		t.Errorf("after PATCH: %s", b)
	}
	call("PATCH", "namedLocations/"+id, `{"displayName":"no type"}`, 400)
	call("DELETE", "namedLocations/"+id, "", 204)
	call("GET", "namedLocations/"+id, "", 404)
	call("DELETE", "namedLocations/"+devtenant.StableID("namedLocation", "Partner network"), "", 204)
	m = call("GET", "policies", "", 200)
	if n := len(m["value"].([]any)); n != 2 {
		t.Errorf("policies = %d", n)
	}
	m = call("GET", "policies/"+devtenant.RequireMFAPolicyID, "", 200)
	if m["state"] != "enabled" {
		t.Errorf("policy: %v", m)
	}
}

func TestAppsAndPolicies(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	m := c.json("GET", g1+"applications?$filter="+url.QueryEscape("appId eq '"+devtenant.WorkflowEngineAppID+"'")+"&$select=id,appId,displayName,passwordCredentials,keyCredentials", tok, "", 200)
	vals := m["value"].([]any)
	if len(vals) != 1 {
		t.Fatalf("apps = %v", m)
	}
	app := vals[0].(map[string]any)
	pcs := app["passwordCredentials"].([]any)
	if len(pcs) != 1 || pcs[0].(map[string]any)["hint"] != devtenant.WorkflowEngineSecret[:3] || pcs[0].(map[string]any)["secretText"] != nil {
		t.Errorf("passwordCredentials = %v", pcs)
	}
	if kcs := app["keyCredentials"].([]any); len(kcs) != 1 || kcs[0].(map[string]any)["type"] != "AsymmetricX509Cert" {
		t.Errorf("keyCredentials = %v", kcs)
	}
	m = c.json("GET", g1+"applications(appId='"+devtenant.WorkflowEngineAppID+"')", tok, "", 200)
	if m["displayName"] != "Contoso Workflow Engine" {
		t.Errorf("by appId: %v", m)
	}
	m = c.json("GET", g1+"servicePrincipals(appId='"+devtenant.AdminClientID+"')/appRoleAssignments", tok, "", 200)
	if n := len(m["value"].([]any)); n < 10 {
		t.Errorf("admin app role assignments = %d", n)
	}
	m = c.json("GET", g1+"policies/defaultAppManagementPolicy", tok, "", 200)
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), `"maxLifetime":"P180D"`) {
		t.Errorf("app policy: %s", b)
	}
	c.json("PATCH", g1+"policies/defaultAppManagementPolicy", tok, `{"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime","maxLifetime":"P30D"}]}}`, 204)
	if _, _, err := dt.AddClientSecret(devtenant.WorkflowEngineAppID, "x", 60*24*time.Hour); err == nil {
		t.Errorf("60-day secret allowed under a 30-day policy")
	}
	// User PATCH passwordProfile resets the password; the admin app holds Privileged Authentication Administrator.
	c.json("PATCH", g1+"users/"+devtenant.SvcSharePointUPN, tok, `{"passwordProfile":{"password":"short","forceChangePasswordNextSignIn":false}}`, 400)
	c.json("PATCH", g1+"users/"+devtenant.SvcSharePointUPN, tok, `{"passwordProfile":{"password":"N3w-Dev.Passw0rd!","forceChangePasswordNextSignIn":false}}`, 204)
	if s, _ := dt.User(devtenant.SvcSharePointUPN); s.PasswordChangeCount != 1 {
		t.Errorf("password change not recorded")
	}
	st, body := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN}, "password": {"N3w-Dev.Passw0rd!"},
		"scope": {"https://contoso.sharepoint.com/.default"}})
	if st != 200 {
		t.Errorf("ROPC with new password: %d %s", st, body)
	}
	// Without a directory role the reset is refused.
	rpt := c.token(devtenant.ReportingAppID, devtenant.ReportingClientSecret, "https://graph.microsoft.com/.default")
	c.json("PATCH", g1+"users/"+devtenant.SvcSharePointUPN, rpt, `{"passwordProfile":{"password":"N3w-Dev.Passw0rd!2"}}`, 403)
}
