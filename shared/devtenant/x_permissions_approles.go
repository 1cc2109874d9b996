package devtenant

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Resource service principals (Microsoft Graph, SharePoint Online, Key
// Vault) with their appRoles, and app role assignment (granting application
// permissions): what `tenantops permissions grant` uses. Reference:
// serviceprincipal-post-approleassignments (201 + appRoleAssignment; a
// duplicate is 400 "Permission being assigned already exists on the object.").

// permAppRoleAssign: granting app roles needs AppRoleAssignment.ReadWrite.All
// (the docs pair it with Application.Read.All; the route table checks "any of").
var permAppRoleAssign = []string{"AppRoleAssignment.ReadWrite.All"}

// resourcePrincipalRoutes come first: resource principals are not app
// registrations of this tenant, so these routes hand everything else to the
// application ones.
func resourcePrincipalRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "servicePrincipals/{}", permAppRead, "directory", 1, (*Tenant).getSPOrResource),
		route("GET", "servicePrincipals/{}/appRoleAssignments", permAppRead, "directory", 2, (*Tenant).spOrResourceAssignments),
		route("POST", "servicePrincipals/{}/appRoleAssignments", permAppRoleAssign, "directory", 1, assignAppRoleHandler(false)),
		route("POST", "servicePrincipals/{}/appRoleAssignedTo", permAppRoleAssign, "directory", 1, assignAppRoleHandler(true)),
	}
}

// microsoftServicesTenantID owns Microsoft's first-party applications.
const microsoftServicesTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

// extraResourceRoles are application permissions the resources offer beyond
// those the route table and the fixture mention.
var extraResourceRoles = map[string][]string{
	ResourceGraph: {
		"AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All",
		"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "Group.Read.All",
		"Member.Read.Hidden", "User.ReadWrite.All", "User.RevokeSessions.All",
	},
	ResourceSharePoint: {"Sites.FullControl.All", "Sites.Manage.All", "Sites.Read.All", "Sites.ReadWrite.All", "Sites.Selected"},
}

// resourceRoles is the sorted app role catalog of resource r: every
// application permission the route table accepts (Graph), the extras, and
// whatever an app in the tenant holds. Caller holds t.mu.
func (st *state) resourceRoles(r string) []string {
	set := map[string]bool{}
	if r == ResourceGraph {
		for v := range knownRoleIDs {
			set[v] = true
		}
		for _, rt := range st.routes {
			for _, p := range rt.perms {
				set[p] = true
			}
		}
	}
	for _, v := range extraResourceRoles[r] {
		set[v] = true
	}
	for _, a := range st.apps {
		for _, v := range a.AppRoles[r] {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// resourceApp resolves a resource service principal by object id or
// "appId=<appId>"; "" when key names none.
func resourceApp(key string) string {
	for r := range resourceNames {
		if id, ok := strings.CutPrefix(key, "appId="); ok {
			if strings.EqualFold(id, r) {
				return r
			}
			continue
		}
		if strings.EqualFold(key, StableID("servicePrincipal", r)) {
			return r
		}
	}
	return ""
}

func (st *state) resourceSPJSON(r string) jobj {
	var roles []jobj
	for _, v := range st.resourceRoles(r) {
		roles = append(roles, jobj{{"allowedMemberTypes", []string{"Application"}},
			{"description", fmt.Sprintf("Allows the app %s without a signed-in user (dev tenant).", v)},
			{"displayName", v}, {"id", appRoleID(r, v)}, {"isEnabled", true}, {"origin", "Application"}, {"value", v}})
	}
	if roles == nil {
		roles = []jobj{}
	}
	name := resourceNames[r]
	return jobj{{"id", StableID("servicePrincipal", r)}, {"accountEnabled", true}, {"appDisplayName", name}, {"appId", r},
		{"appOwnerOrganizationId", microsoftServicesTenantID}, {"appRoleAssignmentRequired", false}, {"displayName", name},
		{"servicePrincipalType", "Application"}, {"signInAudience", "AzureADMultipleOrgs"},
		{"servicePrincipalNames", []string{r}}, {"appRoles", roles}, {"oauth2PermissionScopes", []jobj{}},
		{"passwordCredentials", []jobj{}}, {"keyCredentials", []jobj{}}}
}

func (t *Tenant) getSPOrResource(g *graphReq) {
	r := resourceApp(g.params[0])
	if r == "" {
		t.getSP(g)
		return
	}
	t.mu.RLock()
	o := t.st.resourceSPJSON(r)
	t.mu.RUnlock()
	g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#servicePrincipals/$entity"}}, o...))
}

// spOrResourceAssignments: a resource principal holds no app roles itself.
func (t *Tenant) spOrResourceAssignments(g *graphReq) {
	r := resourceApp(g.params[0])
	if r == "" {
		t.spAppRoleAssignments(g)
		return
	}
	g.writeCollection(g.base()+"/$metadata#servicePrincipals('"+StableID("servicePrincipal", r)+"')/appRoleAssignments", "", 0, func(int) any { return nil })
}

func (st *state) assignmentJSON(a *appRec, r, role string, g *graphReq) jobj {
	return jobj{{"@odata.context", g.base() + "/$metadata#appRoleAssignments/$entity"},
		{"id", StableID("appRoleAssignment", a.AppID+"/"+r+"/"+role)}, {"deletedDateTime", nil},
		{"appRoleId", appRoleID(r, role)}, {"createdDateTime", gtime(g.now)}, {"principalDisplayName", a.DisplayName},
		{"principalId", a.ServicePrincipalID}, {"principalType", "ServicePrincipal"},
		{"resourceDisplayName", resourceNames[r]}, {"resourceId", StableID("servicePrincipal", r)}}
}

// assignAppRoleHandler serves POST servicePrincipals/{principal}/appRoleAssignments
// and (resourceSide) POST servicePrincipals/{resource}/appRoleAssignedTo.
func assignAppRoleHandler(resourceSide bool) func(*Tenant, *graphReq) {
	return func(t *Tenant, g *graphReq) {
		var body struct {
			PrincipalID string `json:"principalId"`
			ResourceID  string `json:"resourceId"`
			AppRoleID   string `json:"appRoleId"`
		}
		if !g.decode(&body) {
			return
		}
		for _, f := range []struct{ name, v string }{{"principalId", body.PrincipalID}, {"resourceId", body.ResourceID}, {"appRoleId", body.AppRoleID}} {
			if !isGUID(f.v) {
				g.badRequest(fmt.Sprintf("Invalid value specified for property '%s' of resource 'AppRoleAssignment'.", f.name))
				return
			}
		}
		urlID := g.params[0]
		if !resourceSide && !strings.EqualFold(urlID, body.PrincipalID) {
			g.badRequest("The principalId of the app role assignment must be the service principal of the request URL.")
			return
		}
		if resourceSide && !strings.EqualFold(urlID, body.ResourceID) {
			g.badRequest("The resourceId of the app role assignment must be the service principal of the request URL.")
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		a := t.st.lookupApp(body.PrincipalID, true)
		if a == nil {
			g.notFound(body.PrincipalID)
			return
		}
		r := resourceApp(body.ResourceID)
		if r == "" {
			g.notFound(body.ResourceID)
			return
		}
		role := ""
		for _, v := range t.st.resourceRoles(r) {
			if strings.EqualFold(appRoleID(r, v), body.AppRoleID) {
				role = v
			}
		}
		if role == "" {
			g.badRequest(fmt.Sprintf("Permission being assigned was not found on application '%s'.", r))
			return
		}
		if slices.ContainsFunc(a.AppRoles[r], func(v string) bool { return strings.EqualFold(v, role) }) {
			g.badRequest("Permission being assigned already exists on the object.")
			return
		}
		if a.AppRoles == nil {
			a.AppRoles = map[string][]string{}
		}
		// Copy on write: role slices may be shared with earlier snapshots.
		a.AppRoles[r] = append(slices.Clip(a.AppRoles[r]), role)
		g.json(http.StatusCreated, t.st.assignmentJSON(a, r, role, g))
	}
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// GrantedAppRoles lists the application permissions of resource (e.g.
// ResourceGraph) granted to the application appID, sorted. For tests.
func (t *Tenant) GrantedAppRoles(appID, resource string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.st.appsByApp[strings.ToLower(appID)]
	if a == nil {
		return nil
	}
	out := slices.Clone(a.AppRoles[resource])
	slices.Sort(out)
	return out
}

// ServicePrincipalID returns the service principal object id of the
// application appID ("" if unknown). For tests.
func (t *Tenant) ServicePrincipalID(appID string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if a := t.st.appsByApp[strings.ToLower(appID)]; a != nil {
		return a.ServicePrincipalID
	}
	return ""
}
