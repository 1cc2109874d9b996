package devtenant

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// Conditional Access: named locations CRUD, policies, What If (evaluate).
// All of these share the tenant-wide 1 request/second budget without Retry-After.

func caRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "identity/conditionalAccess/namedLocations", permCARead, "ca", 1, (*Tenant).listNamedLocations),
		route("POST", "identity/conditionalAccess/namedLocations", permCAWrite, "ca", 1, (*Tenant).createNamedLocation),
		route("GET", "identity/conditionalAccess/namedLocations/{}", permCARead, "ca", 1, (*Tenant).getNamedLocation),
		route("PATCH", "identity/conditionalAccess/namedLocations/{}", permCAWrite, "ca", 1, (*Tenant).patchNamedLocation),
		route("DELETE", "identity/conditionalAccess/namedLocations/{}", permCAWrite, "ca", 1, (*Tenant).deleteNamedLocation),
		route("GET", "identity/conditionalAccess/policies", permCARead, "ca", 1, (*Tenant).listCAPolicies),
		route("GET", "identity/conditionalAccess/policies/{}", permCARead, "ca", 1, (*Tenant).getCAPolicy),
		route("POST", "identity/conditionalAccess/evaluate", permCAEvaluate, "ca", 1, (*Tenant).evaluateWhatIf),
	}
}

func namedLocationJSON(nl *NamedLocation) jobj {
	ranges := []jobj{}
	for _, c := range nl.CIDRs {
		typ := "#microsoft.graph.iPv4CidrRange"
		if strings.Contains(c, ":") {
			typ = "#microsoft.graph.iPv6CidrRange"
		}
		ranges = append(ranges, jobj{{"@odata.type", typ}, {"cidrAddress", c}})
	}
	return jobj{{"@odata.type", "#microsoft.graph.ipNamedLocation"}, {"id", nl.ID}, {"displayName", nl.DisplayName},
		{"modifiedDateTime", gtime(nl.Modified)}, {"createdDateTime", gtime(nl.Created)}, {"isTrusted", nl.Trusted}, {"ipRanges", ranges}}
}

var namedLocationFilterProps = propSet("id", "displayName", "createdDateTime", "modifiedDateTime", "isTrusted")

func (t *Tenant) listNamedLocations(g *graphReq) {
	flt, err := parseFilter(g.q.Get("$filter"), namedLocationFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	t.mu.RLock()
	var out []jobj
	for _, nl := range t.st.namedLocations {
		o := namedLocationJSON(nl)
		if flt != nil && !flt.match(func(p string) any {
			for _, e := range o {
				if e.k == p {
					return e.v
				}
			}
			return nil
		}) {
			continue
		}
		out = append(out, o)
	}
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#identity/conditionalAccess/namedLocations", "", len(out), func(i int) any { return out[i] })
}

type namedLocationBody struct {
	ODataType   string  `json:"@odata.type"`
	DisplayName *string `json:"displayName"`
	IsTrusted   *bool   `json:"isTrusted"`
	IPRanges    *[]struct {
		CIDR string `json:"cidrAddress"`
	} `json:"ipRanges"`
}

// validate checks the body and returns the CIDRs (nil when absent).
func (b *namedLocationBody) validate(g *graphReq, create bool) ([]string, bool) {
	if b.ODataType != "#microsoft.graph.ipNamedLocation" {
		g.badRequest("The @odata.type '#microsoft.graph.ipNamedLocation' must be specified; the devtenant supports IP named locations only.")
		return nil, false
	}
	if create && (b.DisplayName == nil || strings.TrimSpace(*b.DisplayName) == "" || b.IPRanges == nil || len(*b.IPRanges) == 0) {
		g.badRequest("displayName and at least one ipRange are required.")
		return nil, false
	}
	if b.IPRanges == nil {
		return nil, true
	}
	cidrs := []string{}
	for _, r := range *b.IPRanges {
		if _, err := netip.ParsePrefix(r.CIDR); err != nil {
			g.badRequest(fmt.Sprintf("Invalid IP range '%s'.", r.CIDR))
			return nil, false
		}
		cidrs = append(cidrs, r.CIDR)
	}
	return cidrs, true
}

func (t *Tenant) createNamedLocation(g *graphReq) {
	var b namedLocationBody
	if !g.decode(&b) {
		return
	}
	cidrs, ok := b.validate(g, true)
	if !ok {
		return
	}
	nl := &NamedLocation{ID: newGUID(), DisplayName: *b.DisplayName, CIDRs: cidrs, Created: g.now.UTC(), Modified: g.now.UTC()}
	if b.IsTrusted != nil {
		nl.Trusted = *b.IsTrusted
	}
	t.mu.Lock()
	t.st.namedLocations = append(t.st.namedLocations, nl)
	o := namedLocationJSON(nl)
	t.mu.Unlock()
	g.json(http.StatusCreated, append(jobj{{"@odata.context", g.base() + "/$metadata#identity/conditionalAccess/namedLocations/$entity"}}, o...))
}

func (st *state) namedLocation(id string) (int, *NamedLocation) {
	for i, nl := range st.namedLocations {
		if strings.EqualFold(nl.ID, id) {
			return i, nl
		}
	}
	return -1, nil
}

func (t *Tenant) getNamedLocation(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, nl := t.st.namedLocation(g.params[0])
	if nl == nil {
		g.notFound(g.params[0])
		return
	}
	g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#identity/conditionalAccess/namedLocations/$entity"}}, namedLocationJSON(nl)...))
}

func (t *Tenant) patchNamedLocation(g *graphReq) {
	var b namedLocationBody
	if !g.decode(&b) {
		return
	}
	cidrs, ok := b.validate(g, false)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, nl := t.st.namedLocation(g.params[0])
	if nl == nil {
		g.notFound(g.params[0])
		return
	}
	if b.DisplayName != nil {
		nl.DisplayName = *b.DisplayName
	}
	if b.IsTrusted != nil {
		nl.Trusted = *b.IsTrusted
	}
	if cidrs != nil {
		nl.CIDRs = cidrs // PATCH replaces the whole collection
	}
	nl.Modified = g.now.UTC()
	g.noContent()
}

func (t *Tenant) deleteNamedLocation(g *graphReq) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, nl := t.st.namedLocation(g.params[0])
	if nl == nil {
		g.notFound(g.params[0])
		return
	}
	for _, p := range t.st.caPolicies {
		if containsFold(p.IncludeLocations, nl.ID) || containsFold(p.ExcludeLocations, nl.ID) {
			g.badRequest(fmt.Sprintf("Named location '%s' is referenced by Conditional Access policy '%s' and cannot be deleted.", nl.DisplayName, p.DisplayName))
			return
		}
	}
	t.st.namedLocations = slices.Delete(t.st.namedLocations, i, i+1)
	g.noContent()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func caPolicyJSON(p *CAPolicy) jobj {
	var locations any
	if len(p.IncludeLocations) > 0 || len(p.ExcludeLocations) > 0 {
		locations = jobj{{"includeLocations", orEmpty(p.IncludeLocations)}, {"excludeLocations", orEmpty(p.ExcludeLocations)}}
	}
	clientApps := p.ClientAppTypes
	if len(clientApps) == 0 {
		clientApps = []string{"all"}
	}
	var grant any
	if len(p.GrantControls) > 0 {
		grant = jobj{{"operator", "OR"}, {"builtInControls", p.GrantControls}, {"customAuthenticationFactors", []string{}}, {"termsOfUse", []string{}}}
	}
	return jobj{
		{"id", p.ID}, {"templateId", nil}, {"displayName", p.DisplayName}, {"createdDateTime", gtime(p.Created)}, {"modifiedDateTime", gtime(p.Modified)},
		{"state", p.State}, {"partialEnablementStrategy", nil}, {"sessionControls", nil},
		{"conditions", jobj{
			{"userRiskLevels", []string{}}, {"signInRiskLevels", []string{}}, {"clientAppTypes", clientApps}, {"servicePrincipalRiskLevels", []string{}},
			{"insiderRiskLevels", nil}, {"clients", nil}, {"platforms", nil}, {"locations", locations}, {"times", nil}, {"deviceStates", nil},
			{"devices", nil}, {"clientApplications", nil}, {"authenticationFlows", nil},
			{"applications", jobj{{"includeApplications", orEmpty(p.IncludeApplications)}, {"excludeApplications", orEmpty(p.ExcludeApplications)},
				{"includeUserActions", []string{}}, {"includeAuthenticationContextClassReferences", []string{}}, {"applicationFilter", nil},
				{"networkAccess", nil}, {"globalSecureAccess", nil}}},
			{"users", jobj{{"includeUsers", orEmpty(p.IncludeUsers)}, {"excludeUsers", orEmpty(p.ExcludeUsers)}, {"includeGroups", orEmpty(p.IncludeGroups)},
				{"excludeGroups", orEmpty(p.ExcludeGroups)}, {"includeRoles", []string{}}, {"excludeRoles", []string{}},
				{"includeGuestsOrExternalUsers", nil}, {"excludeGuestsOrExternalUsers", nil}}},
		}},
		{"grantControls", grant},
	}
}

func (t *Tenant) listCAPolicies(g *graphReq) {
	t.mu.RLock()
	out := make([]jobj, 0, len(t.st.caPolicies))
	for _, p := range t.st.caPolicies {
		out = append(out, caPolicyJSON(p))
	}
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#identity/conditionalAccess/policies", "", len(out), func(i int) any { return out[i] })
}

func (t *Tenant) getCAPolicy(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, p := range t.st.caPolicies {
		if strings.EqualFold(p.ID, g.params[0]) {
			g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#identity/conditionalAccess/policies/$entity"}}, caPolicyJSON(p)...))
			return
		}
	}
	g.notFound(g.params[0])
}

// evaluateWhatIf is POST identity/conditionalAccess/evaluate for user sign-ins.
func (t *Tenant) evaluateWhatIf(g *graphReq) {
	var body struct {
		SignInIdentity struct {
			ODataType string `json:"@odata.type"`
			UserID    string `json:"userId"`
		} `json:"signInIdentity"`
		SignInContext struct {
			ODataType           string   `json:"@odata.type"`
			IncludeApplications []string `json:"includeApplications"`
		} `json:"signInContext"`
		SignInConditions struct {
			ClientAppType string `json:"clientAppType"`
			IPAddress     string `json:"ipAddress"`
		} `json:"signInConditions"`
		AppliedPoliciesOnly bool `json:"appliedPoliciesOnly"`
	}
	if !g.decode(&body) {
		return
	}
	if body.SignInIdentity.ODataType != "#microsoft.graph.userSignIn" || body.SignInIdentity.UserID == "" {
		g.badRequest("signInIdentity must be a #microsoft.graph.userSignIn with a userId (the devtenant evaluates user sign-ins only).")
		return
	}
	resApp := ResourceSharePoint
	if len(body.SignInContext.IncludeApplications) > 0 {
		resApp = body.SignInContext.IncludeApplications[0]
	}
	clientApp := body.SignInConditions.ClientAppType
	if clientApp == "" {
		clientApp = "browser"
	}
	t.mu.RLock()
	u := t.st.lookupUser(body.SignInIdentity.UserID)
	if u == nil {
		t.mu.RUnlock()
		g.notFound(body.SignInIdentity.UserID)
		return
	}
	ip := body.SignInConditions.IPAddress
	results := t.st.evaluateCA(signInContext{user: u, resourceAppID: resApp, ip: ip, clientApp: clientApp})
	var out []jobj
	for _, r := range results {
		applies := r.result == "failure" || r.result == "reportOnlyFailure"
		if body.AppliedPoliciesOnly && !applies {
			continue
		}
		reasons := "notSet"
		if !applies {
			var rs []string
			for _, w := range r.why {
				switch {
				case strings.HasPrefix(w, "users"):
					rs = append(rs, "users")
				case w == "application":
					rs = append(rs, "application")
				case w == "location":
					rs = append(rs, "location")
				case w == "clientAppType":
					rs = append(rs, "clientApps")
				}
			}
			if r.result == "notEnabled" {
				rs = append(rs, "notEnoughInformation")
			}
			reasons = strings.Join(rs, ",")
		}
		o := caPolicyJSON(r.policy)
		o = append(o, kv{"policyApplies", applies}, kv{"analysisReasons", reasons})
		out = append(out, o)
	}
	t.mu.RUnlock()
	g.writeCollection(g.base()+"/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)", "", len(out), func(i int) any { return out[i] })
}
