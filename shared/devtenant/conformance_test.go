package devtenant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func loadSpec(t *testing.T, file string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid spec %s: %v", file, err)
	}
	// Microsoft.OpenApi.OData marks open types with "additionalProperties:
	// {type: object}" on base types (directoryObject, ...). Under allOf every
	// subschema is checked on its own, so that marker would reject every
	// derived-type property (displayName must be "an object"), for the real
	// service's responses as much as for ours. Treat it as "open type".
	seen := map[*openapi3.Schema]bool{}
	for _, ref := range doc.Components.Schemas {
		openTypes(ref, seen)
	}
	// innerError.date is documented as date-time, but the real service sends
	// "2025-02-13T10:17:05" without an offset (json-batching.md,
	// THROTTLING.md samples); the dev tenant does the same.
	if ie := doc.Components.Schemas["microsoft.graph.ODataErrors.InnerError"]; ie != nil && ie.Value != nil {
		if d := ie.Value.Properties["date"]; d != nil && d.Value != nil {
			d.Value.Format = ""
		}
	}
	return doc
}

func openTypes(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil && ap.Value.Type.Is("object") && len(ap.Value.Properties) == 0 {
		s.AdditionalProperties = openapi3.AdditionalProperties{}
	}
	for _, p := range s.Properties {
		openTypes(p, seen)
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, x := range list {
			openTypes(x, seen)
		}
	}
	openTypes(s.Items, seen)
	openTypes(s.AdditionalProperties.Schema, seen)
}

// responseSchema finds the schema documented for (template, method, status).
func responseSchema(t *testing.T, doc *openapi3.T, template, method string, status int) (*openapi3.Schema, bool) {
	t.Helper()
	item := doc.Paths.Value(template)
	if item == nil {
		t.Fatalf("spec has no path %s", template)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("spec has no %s %s", method, template)
	}
	var ref *openapi3.ResponseRef
	for _, k := range []string{strconv.Itoa(status), fmt.Sprintf("%dXX", status/100), "default"} {
		if ref = op.Responses.Value(k); ref != nil {
			break
		}
	}
	if ref == nil || ref.Value == nil {
		t.Fatalf("%s %s: status %d is not documented (responses %v)", method, template, status, op.Responses.Keys())
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, false
	}
	return mt.Schema.Value, true
}

type confCase struct {
	name     string
	version  string // v1.0 or beta
	template string // spec path template
	method   string
	path     string // request path after the version
	body     string
	status   int
}

func TestOpenAPIConformance(t *testing.T) {
	specs := map[string]*openapi3.T{
		"v1.0": loadSpec(t, "testdata/openapi-subset-v1.0.yaml"),
		"beta": loadSpec(t, "testdata/openapi-subset-beta.yaml"),
	}
	dt := startTenant(t, devtenant.Options{})
	lim := devtenant.DefaultThrottleLimits(dt.UserCount())
	lim.Disabled = true
	dt.SetThrottleLimits(lim)
	c := newRaw(t, dt)
	tok := c.adminGraph()
	// Sign-ins to list.
	c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN}, "password": {"wrong"},
		"scope": {"https://contoso.sharepoint.com/.default"}})
	signIn := dt.SignIns()
	signInID := signIn[len(signIn)-1].ID
	adele := devtenant.StableID("user", "adele.vance@contoso.com")
	ops := devtenant.StableID("group", "Operations")
	wfObj := devtenant.StableID("application", devtenant.WorkflowEngineAppID)
	wfSP := devtenant.StableID("servicePrincipal", devtenant.WorkflowEngineAppID)
	site := "contoso.sharepoint.com," + devtenant.StableID("siteCollection", "contoso.sharepoint.com/sites/operations") + "," +
		devtenant.StableID("web", "contoso.sharepoint.com/sites/operations")
	whatIf := fmt.Sprintf(`{"signInIdentity":{"@odata.type":"#microsoft.graph.userSignIn","userId":"%s"},"signInContext":{"@odata.type":"#microsoft.graph.applicationContext","includeApplications":["%s"]},"signInConditions":{"clientAppType":"mobileAppsAndDesktopClients","ipAddress":"198.51.100.7"},"appliedPoliciesOnly":false}`,
		adele, devtenant.ResourceSharePoint)
	const nl = `{"@odata.type":"#microsoft.graph.ipNamedLocation","displayName":"Conformance","isTrusted":true,"ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"192.0.2.0/28"},{"@odata.type":"#microsoft.graph.iPv6CidrRange","cidrAddress":"2001:db8:200::/48"}]}`

	cases := []confCase{
		{"list users", "v1.0", "/users", "GET", "users?$top=5", "", 200},
		{"list users $select", "v1.0", "/users", "GET", "users?$select=id,accountEnabled,userType,signInSessionsValidFromDateTime,createdDateTime,identities,signInActivity", "", 200},
		{"get user", "v1.0", "/users/{user-id}", "GET", "users/adele.vance@contoso.com", "", 200},
		{"get user all props", "v1.0", "/users/{user-id}", "GET", "users/" + adele + "?$select=id,accountEnabled,businessPhones,createdDateTime,creationType,department,displayName,externalUserState,givenName,identities,jobTitle,lastPasswordChangeDateTime,mail,mailNickname,mobilePhone,officeLocation,onPremisesSyncEnabled,otherMails,passwordPolicies,passwordProfile,preferredLanguage,signInSessionsValidFromDateTime,surname,usageLocation,userPrincipalName,userType", "", 200},
		{"get guest", "v1.0", "/users/{user-id}", "GET", "users/" + url.PathEscape("partner_fabrikam.com#EXT#@contoso.onmicrosoft.com") + "?$select=id,identities,creationType,externalUserState,userType", "", 200},
		{"get unknown user", "v1.0", "/users/{user-id}", "GET", "users/nobody@contoso.com", "", 404},
		{"patch user", "v1.0", "/users/{user-id}", "PATCH", "users/alex.wilber@contoso.com", `{"jobTitle":"Lead"}`, 204},
		{"revoke", "v1.0", "/users/{user-id}/revokeSignInSessions", "POST", "users/alex.wilber@contoso.com/revokeSignInSessions", "", 200},
		{"methods", "v1.0", "/users/{user-id}/authentication/methods", "GET", "users/admin@contoso.onmicrosoft.com/authentication/methods", "", 200},
		{"transitive members", "v1.0", "/groups/{group-id}/transitiveMembers", "GET", "groups/" + ops + "/transitiveMembers", "", 200},
		{"registration details", "v1.0", "/reports/authenticationMethods/userRegistrationDetails", "GET", "reports/authenticationMethods/userRegistrationDetails", "", 200},
		{"registration details item", "v1.0", "/reports/authenticationMethods/userRegistrationDetails/{userRegistrationDetails-id}", "GET", "reports/authenticationMethods/userRegistrationDetails/" + adele, "", 200},
		{"security defaults", "v1.0", "/policies/identitySecurityDefaultsEnforcementPolicy", "GET", "policies/identitySecurityDefaultsEnforcementPolicy", "", 200},
		{"security defaults patch", "v1.0", "/policies/identitySecurityDefaultsEnforcementPolicy", "PATCH", "policies/identitySecurityDefaultsEnforcementPolicy", `{"isEnabled":false}`, 204},
		{"named locations", "v1.0", "/identity/conditionalAccess/namedLocations", "GET", "identity/conditionalAccess/namedLocations", "", 200},
		{"create named location", "v1.0", "/identity/conditionalAccess/namedLocations", "POST", "identity/conditionalAccess/namedLocations", nl, 201},
		{"get named location", "v1.0", "/identity/conditionalAccess/namedLocations/{namedLocation-id}", "GET", "identity/conditionalAccess/namedLocations/" + devtenant.HeadOfficeLocationID, "", 200},
		{"patch named location", "v1.0", "/identity/conditionalAccess/namedLocations/{namedLocation-id}", "PATCH", "identity/conditionalAccess/namedLocations/" + devtenant.HeadOfficeLocationID, `{"@odata.type":"#microsoft.graph.ipNamedLocation","displayName":"Head office"}`, 204},
		{"CA policies", "v1.0", "/identity/conditionalAccess/policies", "GET", "identity/conditionalAccess/policies", "", 200},
		{"evaluate v1.0", "v1.0", "/identity/conditionalAccess/evaluate", "POST", "identity/conditionalAccess/evaluate", whatIf, 200},
		{"applications", "v1.0", "/applications", "GET", "applications", "", 200},
		{"application", "v1.0", "/applications/{application-id}", "GET", "applications/" + wfObj, "", 200},
		{"application by appId", "v1.0", "/applications(appId='{appId}')", "GET", "applications(appId='" + devtenant.WorkflowEngineAppID + "')", "", 200},
		{"addPassword", "v1.0", "/applications/{application-id}/addPassword", "POST", "applications/" + wfObj + "/addPassword", `{"passwordCredential":{"displayName":"c","endDateTime":"2099-01-01T00:00:00Z","startDateTime":"2098-12-01T00:00:00Z"}}`, 200},
		{"addPassword by appId", "v1.0", "/applications(appId='{appId}')/addPassword", "POST", "applications(appId='" + devtenant.WorkflowEngineAppID + "')/addPassword", `{"passwordCredential":{"displayName":"c","endDateTime":"2099-01-01T00:00:00Z","startDateTime":"2098-12-01T00:00:00Z"}}`, 200},
		{"removePassword unknown", "v1.0", "/applications/{application-id}/removePassword", "POST", "applications/" + wfObj + "/removePassword", `{"keyId":"00000000-0000-0000-0000-000000000001"}`, 400},
		{"SP addPassword", "v1.0", "/servicePrincipals/{servicePrincipal-id}/addPassword", "POST", "servicePrincipals/" + wfSP + "/addPassword", `{"passwordCredential":{"displayName":"c","endDateTime":"2099-01-01T00:00:00Z","startDateTime":"2098-12-01T00:00:00Z"}}`, 200},
		{"SP removePassword", "v1.0", "/servicePrincipals/{servicePrincipal-id}/removePassword", "POST", "servicePrincipals/" + wfSP + "/removePassword", `{"keyId":"` + devtenant.StableID("password", devtenant.WorkflowEngineAppID+"/1") + `"}`, 204},
		{"site", "v1.0", "/sites/{site-id}", "GET", "sites/" + site, "", 200},
		{"site by path", "v1.0", "/sites/{hostname}:/{server-relative-path}", "GET", "sites/contoso.sharepoint.com:/sites/operations", "", 200},
		{"sign-ins", "v1.0", "/auditLogs/signIns", "GET", "auditLogs/signIns", "", 200},
		{"sign-in", "v1.0", "/auditLogs/signIns/{signIn-id}", "GET", "auditLogs/signIns/" + signInID, "", 200},
		{"batch", "v1.0", "/$batch", "POST", "$batch", `{"requests":[{"id":"1","method":"GET","url":"/users/adele.vance@contoso.com"},{"id":"2","method":"GET","url":"/users/nobody@contoso.com"}]}`, 200},
		{"batch too big", "v1.0", "/$batch", "POST", "$batch", `{"requests":[` + strings.Repeat(`{"id":"x","method":"GET","url":"/users"},`, 20) + `{"id":"y","method":"GET","url":"/users"}]}`, 400},
		{"MFA requirements", "beta", "/users/{user-id}/authentication/requirements", "GET", "users/alex.wilber@contoso.com/authentication/requirements", "", 200},
		{"MFA requirements patch", "beta", "/users/{user-id}/authentication/requirements", "PATCH", "users/alex.wilber@contoso.com/authentication/requirements", `{"perUserMfaState":"enforced"}`, 204},
		{"registration details beta", "beta", "/reports/authenticationMethods/userRegistrationDetails", "GET", "reports/authenticationMethods/userRegistrationDetails?$top=20", "", 200},
		{"evaluate beta", "beta", "/identity/conditionalAccess/evaluate", "POST", "identity/conditionalAccess/evaluate", whatIf, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := c.do(tc.method, "https://graph.microsoft.com/"+tc.version+"/"+tc.path, tok, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			schema, hasBody := responseSchema(t, specs[tc.version], tc.template, tc.method, tc.status)
			if !hasBody {
				if len(b) != 0 {
					t.Errorf("documented without a body, got %s", b)
				}
				return
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("not JSON: %v: %s", err, b)
			}
			if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("response does not match the schema: %v\n%s", err, b)
			}
		})
	}
	// The 429 body of the throttling budgets is a documented ODataError too.
	lim.Disabled = false
	lim.DirectoryRU = 1
	dt.SetThrottleLimits(lim)
	c.do("GET", "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com", tok, "")
	resp, b := c.do("GET", "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com", tok, "")
	if resp.StatusCode != 429 {
		t.Fatalf("want 429, got %d", resp.StatusCode)
	}
	schema, _ := responseSchema(t, specs["v1.0"], "/users/{user-id}", "GET", 429)
	var v any
	_ = json.Unmarshal(b, &v)
	if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("429 body: %v", err)
	}
}

// exampleResponse returns the JSON body of the documented response (an
// ```http block starting with "HTTP/1.1 2") in testdata/examples/file that
// contains marker. Trailing commas (present in some docs samples) are removed.
func exampleResponse(t *testing.T, file, marker string) any {
	t.Helper()
	b, err := os.ReadFile("testdata/examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```http")
	for _, blk := range blocks[1:] {
		blk, _, _ = strings.Cut(blk, "```")
		blk = strings.TrimSpace(blk)
		if !strings.HasPrefix(blk, "HTTP/1.1 2") || !strings.Contains(blk, marker) {
			continue
		}
		i := strings.Index(blk, "{")
		if i < 0 {
			continue
		}
		body := trailingComma.ReplaceAllString(blk[i:], "$1")
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: example %q is not JSON: %v", file, marker, err)
		}
		return v
	}
	t.Fatalf("%s: no response example containing %q", file, marker)
	return nil
}

var trailingComma = regexp.MustCompile(`,(\s*[}\]])`)

// missingKeys lists the example's properties that ours lacks, recursively.
// Array items are compared by @odata.type when the example's items carry one,
// otherwise first item against first item.
func missingKeys(example, ours any, path string, skip map[string]bool) []string {
	var out []string
	switch ex := example.(type) {
	case map[string]any:
		o, ok := ours.(map[string]any)
		if !ok {
			if ours == nil {
				return nil // null in ours, object in the example: shape not comparable
			}
			return []string{path + " (not an object)"}
		}
		for k, v := range ex {
			p := path + "/" + k
			if skip[k] || skip[p] {
				continue
			}
			ov, present := o[k]
			if !present {
				out = append(out, p)
				continue
			}
			out = append(out, missingKeys(v, ov, p, skip)...)
		}
	case []any:
		o, _ := ours.([]any)
		if len(ex) == 0 || len(o) == 0 {
			return nil
		}
		for _, item := range ex {
			m, isObj := item.(map[string]any)
			if !isObj {
				return nil // scalar items: nothing to compare
			}
			typ, _ := m["@odata.type"].(string)
			match := o[0]
			if typ != "" {
				match = nil
				for _, oi := range o {
					if m, ok := oi.(map[string]any); ok && m["@odata.type"] == typ {
						match = oi
						break
					}
				}
				if match == nil {
					continue // a type the dev tenant does not model (e.g. countryNamedLocation)
				}
			}
			out = append(out, missingKeys(item, match, path+"[]", skip)...)
			if typ == "" {
				break
			}
		}
	}
	return out
}

// TestDocsExamples replays the documented examples: the dev tenant's answer to
// the equivalent request carries every documented property.
func TestDocsExamples(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	lim := devtenant.DefaultThrottleLimits(dt.UserCount())
	lim.Disabled = true
	dt.SetThrottleLimits(lim)
	c := newRaw(t, dt)
	tok := c.adminGraph()
	c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {devtenant.SharePointSyncAppID}, "username": {devtenant.SvcSharePointUPN}, "password": {devtenant.SvcSharePointPassword},
		"scope": {"https://contoso.sharepoint.com/.default"}})
	adele := devtenant.StableID("user", "adele.vance@contoso.com")
	whatIf := fmt.Sprintf(`{"signInIdentity":{"@odata.type":"#microsoft.graph.userSignIn","userId":"%s"},"signInContext":{"@odata.type":"#microsoft.graph.applicationContext","includeApplications":["%s"]},"signInConditions":{"clientAppType":"browser","ipAddress":"198.51.100.7"},"appliedPoliciesOnly":true}`,
		adele, devtenant.ResourceSharePoint)
	cases := []struct {
		file, marker      string
		method, url, body string
		skip              []string // documented properties the dev tenant does not model
	}{
		{"user-list-and-get.md", `"Conf Room Adams"`, "GET", "v1.0/users", "", nil},
		{"user-list-and-get.md", `"Retail Manager"`, "GET", "v1.0/users/" + adele, "", nil},
		{"user-revokeSignInSessions.md", `Edm.Boolean`, "POST", "v1.0/users/alex.wilber@contoso.com/revokeSignInSessions", "", nil},
		{"group-list-transitiveMembers.md", `"group1@contoso.com"`, "GET", "v1.0/groups/" + devtenant.StableID("group", "Operations") + "/transitiveMembers", "", nil},
		{"json-batching.md", `"responses"`, "POST", "v1.0/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users?$top=1"},{"id":"2","method":"GET","url":"/users/` + adele + `"}]}`,
			[]string{"/responses[]/headers/X-ProxyCluster", "/responses[]/headers/X-OfficeCluster", "/responses[]/headers/X-Tasks-CorrelationId", "@odata.nextLink"}},
		{"auditLogs-signIns.md", `"Graph explorer"`, "GET", "v1.0/auditLogs/signIns", "", []string{"@odata.nextLink"}},
		{"authentication-list-methods.md", `"Red key"`, "GET", "v1.0/users/admin@contoso.onmicrosoft.com/authentication/methods", "",
			[]string{"creationDateTime"}}, // the docs sample's fido2 entry says creationDateTime; the resource says createdDateTime
		{"authentication-requirements-perUserMfa-beta.md", `"enforced"`, "GET", "beta/users/adele.vance@contoso.com/authentication/requirements", "", nil},
		{"reports-userRegistrationDetails.md", `v1.0/$metadata#reports`, "GET", "v1.0/reports/authenticationMethods/userRegistrationDetails", "", nil},
		{"reports-userRegistrationDetails.md", `"defaultMfaMethod"`, "GET", "beta/reports/authenticationMethods/userRegistrationDetails", "", nil},
		{"identitySecurityDefaultsEnforcementPolicy.md", `"Security Defaults"`, "GET", "v1.0/policies/identitySecurityDefaultsEnforcementPolicy", "", nil},
		{"conditionalAccess-namedLocations.md", `"IPv4 named location"`, "GET", "v1.0/identity/conditionalAccess/namedLocations", "", nil},
		{"conditionalAccess-namedLocations.md", `"Untrusted IP named location"`, "POST", "v1.0/identity/conditionalAccess/namedLocations",
			`{"@odata.type":"#microsoft.graph.ipNamedLocation","displayName":"x","isTrusted":false,"ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"192.0.2.0/24"}]}`, nil},
		{"conditionalAccess-policies.md", `"SimplePolicy1"`, "GET", "v1.0/identity/conditionalAccess/policies", "", nil},
		{"conditionalAccess-evaluate-whatIf-beta.md", `"All users except au1_Office 365`, "POST", "beta/identity/conditionalAccess/evaluate", whatIf,
			[]string{"sessionControls"}}, // the dev tenant models no session controls (null)
		{"applications-credentials.md", `"My app"`, "GET", "v1.0/applications", "", nil},
		{"applications-credentials.md", `"PostmanWeb"`, "GET", "v1.0/applications(appId='" + devtenant.AdminClientID + "')?$select=id,appId,displayName,requiredResourceAccess", "", nil},
		{"applications-credentials.md", `"[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8"`, "POST", "v1.0/applications(appId='" + devtenant.WorkflowEngineAppID + "')/addPassword",
			`{"passwordCredential":{"displayName":"x","endDateTime":"2099-01-01T00:00:00Z","startDateTime":"2098-12-01T00:00:00Z"}}`, nil},
		{"sites-get.md", `"isPersonalSite"`, "GET", "v1.0/sites/contoso.sharepoint.com:/sites/operations", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file+" "+tc.marker, func(t *testing.T) {
			example := exampleResponse(t, tc.file, tc.marker)
			resp, b := c.do(tc.method, "https://graph.microsoft.com/"+tc.url, tok, tc.body)
			if resp.StatusCode/100 != 2 {
				t.Fatalf("%s %s: %d %s", tc.method, tc.url, resp.StatusCode, b)
			}
			var ours any
			if err := json.Unmarshal(b, &ours); err != nil {
				t.Fatal(err)
			}
			skip := map[string]bool{}
			for _, s := range tc.skip {
				skip[s] = true
			}
			if miss := missingKeys(example, ours, "", skip); len(miss) > 0 {
				t.Errorf("properties in the docs example missing from the dev tenant: %v", miss)
			}
		})
	}
}
