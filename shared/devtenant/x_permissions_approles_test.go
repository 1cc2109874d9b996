package devtenant_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
)

func graphAs(t *testing.T, dt *devtenant.Tenant, clientID, secret string) *graph.Client {
	t.Helper()
	tr := routed(t, dt)
	cred, err := azidentity.NewClientSecretCredential(devtenant.TenantID, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: identity.ClientOptions(identity.Dev, tr)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.New(cred, graph.Options{Cloud: identity.Dev, Transport: tr, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestAppRoleAssignments(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	admin := graphAs(t, dt, devtenant.AdminClientID, devtenant.AdminClientSecret)
	ctx := context.Background()

	res, err := admin.GetServicePrincipalByAppID(ctx, devtenant.ResourceGraph)
	if err != nil {
		t.Fatal(err)
	}
	if res.DisplayName != "Microsoft Graph" || res.ID == "" {
		t.Errorf("Graph service principal %+v", res)
	}
	for value, id := range map[string]string{"User.Read.All": "df021288-bdef-4463-88db-98f22de89214", "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da"} {
		if r, ok := res.RoleByValue(value); !ok || r.ID != id {
			t.Errorf("app role %s = %+v, %v; want id %s", value, r, ok, id)
		}
	}
	for _, v := range []string{"AppRoleAssignment.ReadWrite.All", "User.RevokeSessions.All", "GroupMember.ReadBasic.All", "Policy.ReadWrite.AuthenticationMethod"} {
		if _, ok := res.RoleByValue(v); !ok {
			t.Errorf("Graph offers no %s", v)
		}
	}
	byID, err := admin.GetServicePrincipal(ctx, res.ID)
	if err != nil || byID.AppID != devtenant.ResourceGraph || len(byID.AppRoles) != len(res.AppRoles) {
		t.Errorf("by object id: %+v %v", byID, err)
	}
	if as, err := admin.ListAppRoleAssignments(ctx, res.ID); err != nil || len(as) != 0 {
		t.Errorf("the resource principal's own assignments: %v %v", as, err)
	}
	// Application service principals still answer through the same routes.
	reporting := devtenant.StableID("servicePrincipal", devtenant.ReportingAppID)
	if sp, err := admin.GetServicePrincipal(ctx, reporting); err != nil || sp.AppID != devtenant.ReportingAppID {
		t.Errorf("application service principal: %+v %v", sp, err)
	}

	audit, _ := res.RoleByValue("AuditLog.Read.All")
	a, err := admin.AssignAppRole(ctx, reporting, res.ID, audit.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AppRoleID != audit.ID || a.PrincipalID != reporting || a.ResourceID != res.ID || a.ID == "" {
		t.Errorf("assignment %+v", a)
	}
	if got := dt.GrantedAppRoles(devtenant.ReportingAppID, devtenant.ResourceGraph); !slices.Equal(got, []string{"AuditLog.Read.All", "User.Read.All"}) {
		t.Errorf("granted %v", got)
	}
	as, err := admin.ListAppRoleAssignments(ctx, reporting)
	if err != nil || !slices.ContainsFunc(as, func(x graph.AppRoleAssignment) bool { return x.AppRoleID == audit.ID }) {
		t.Errorf("assignments after the grant: %v %v", as, err)
	}

	// A duplicate is Graph's 400, which IsAlreadyAssigned recognises.
	_, err = admin.AssignAppRole(ctx, reporting, res.ID, audit.ID)
	if !graph.IsAlreadyAssigned(err) || graph.Status(err) != http.StatusBadRequest {
		t.Errorf("duplicate: %v", err)
	}

	tests := []struct {
		name            string
		principal, role string
		status          int
		message         string
	}{
		{"unknown role", reporting, "0badc0de-0000-4000-8000-000000000000", http.StatusBadRequest, "not found on application"},
		{"unknown principal", "0badc0de-0000-4000-8000-000000000001", audit.ID, http.StatusNotFound, "does not exist"},
	}
	for _, tc := range tests {
		_, err := admin.AssignAppRole(ctx, tc.principal, res.ID, tc.role)
		if graph.Status(err) != tc.status || !strings.Contains(err.Error(), tc.message) || graph.IsAlreadyAssigned(err) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	// The URL's principal must be the body's.
	err = admin.Raw(ctx, "mismatch", "POST", "v1.0/servicePrincipals/"+reporting+"/appRoleAssignments",
		map[string]string{"principalId": devtenant.StableID("servicePrincipal", devtenant.WorkflowEngineAppID), "resourceId": res.ID, "appRoleId": audit.ID}, nil)
	if graph.Status(err) != http.StatusBadRequest {
		t.Errorf("mismatched principal: %v", err)
	}
	// The resource side (appRoleAssignedTo) grants the same way.
	sites, _ := res.RoleByValue("Policy.Read.All")
	wf := devtenant.StableID("servicePrincipal", devtenant.WorkflowEngineAppID)
	if err := admin.Raw(ctx, "assignedTo", "POST", "v1.0/servicePrincipals/"+res.ID+"/appRoleAssignedTo",
		map[string]string{"principalId": wf, "resourceId": res.ID, "appRoleId": sites.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if got := dt.GrantedAppRoles(devtenant.WorkflowEngineAppID, devtenant.ResourceGraph); !slices.Contains(got, "Policy.Read.All") {
		t.Errorf("appRoleAssignedTo did not grant: %v", got)
	}

	// Granting needs AppRoleAssignment.ReadWrite.All.
	ro := graphAs(t, dt, devtenant.ReportingAppID, devtenant.ReportingClientSecret)
	_, err = ro.AssignAppRole(ctx, reporting, res.ID, sites.ID)
	if !graph.IsForbidden(err) {
		t.Errorf("grant without AppRoleAssignment.ReadWrite.All: %v", err)
	}
}
