package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
)

func TestApplicationsAgainstDevTenant(t *testing.T) {
	dt, g := newDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a, err := g.GetApplicationByAppID(ctx, devtenant.WorkflowEngineAppID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.DisplayName != "Contoso Workflow Engine" || len(a.Passwords) != 1 || len(a.Keys) != 1 {
		t.Fatalf("application %+v", a)
	}
	if p := a.Passwords[0]; p.Hint != devtenant.WorkflowEngineSecret[:3] || p.DisplayName != "workflow server" || p.End.IsZero() {
		t.Fatalf("password credential %+v", p)
	}
	if _, err := g.GetApplicationByAppID(ctx, "not-a-guid", nil); err == nil {
		t.Fatal("bad appId accepted")
	}
	if _, err := g.GetApplicationByAppID(ctx, "00000000-0000-0000-0000-000000000001", nil); !graph.IsNotFound(err) {
		t.Fatalf("unknown app: %v", err)
	}

	end := dt.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	np, err := g.AddApplicationPassword(ctx, a.ID, graph.AddPasswordOptions{DisplayName: "tenantops test", End: end})
	if err != nil {
		t.Fatal(err)
	}
	if np.KeyID == "" || np.SecretText == "" || np.Hint != np.SecretText[:3] || !np.End.Equal(end) {
		t.Fatalf("new password %v (end %s)", np, np.End)
	}
	for _, s := range []string{np.String(), fmt.Sprintf("%v %+v %#v", np, np, np)} {
		if strings.Contains(s, np.SecretText) {
			t.Fatalf("NewPassword printed its secret: %s", s)
		}
	}
	if _, ok := dt.ClientSecretValid(devtenant.WorkflowEngineAppID, np.SecretText); !ok {
		t.Fatal("the new secret is not valid")
	}
	if err := g.RemoveApplicationPassword(ctx, a.ID, np.KeyID, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := dt.ClientSecretValid(devtenant.WorkflowEngineAppID, np.SecretText); ok {
		t.Fatal("removed secret still valid")
	}
	if err := g.RemoveApplicationPassword(ctx, a.ID, "nope", nil); err == nil {
		t.Fatal("bad keyId accepted")
	}
	// Beyond the tenant policy (180 days): Graph refuses.
	_, err = g.AddApplicationPassword(ctx, a.ID, graph.AddPasswordOptions{End: dt.Now().Add(400 * 24 * time.Hour)})
	if graph.Status(err) != 400 || !strings.Contains(err.Error(), "max value allowed") {
		t.Fatalf("lifetime beyond policy: %v", err)
	}

	apps, err := g.ListApplications(ctx, &graph.ListApplicationsOptions{PageSize: 1}) // one per page: follows nextLink
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 4 {
		t.Fatalf("%d applications", len(apps))
	}
	sps, err := g.ListServicePrincipals(ctx, nil)
	if err != nil || len(sps) != 4 || sps[0].AppID == "" {
		t.Fatalf("service principals %v %+v", err, sps)
	}

	p, err := g.GetDefaultAppManagementPolicy(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Enabled || p.MaxPasswordLifetime != 180*24*time.Hour || p.MaxLifetimeFor(time.Now()) != 180*24*time.Hour || p.AdditionBlockedFor(time.Now()) {
		t.Fatalf("policy %+v", p)
	}
}

func TestAppManagementPolicyScope(t *testing.T) {
	cut := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := graph.AppManagementPolicy{Enabled: true, MaxPasswordLifetime: 90 * 24 * time.Hour, LifetimeAppliesAfter: cut, PasswordAdditionBlocked: true, AdditionBlockedAfter: cut}
	old, recent := cut.AddDate(-1, 0, 0), cut.AddDate(1, 0, 0)
	if p.MaxLifetimeFor(old) != 0 || p.MaxLifetimeFor(recent) == 0 || p.MaxLifetimeFor(time.Time{}) == 0 {
		t.Fatal("lifetime scope")
	}
	if p.AdditionBlockedFor(old) || !p.AdditionBlockedFor(recent) || !p.AdditionBlockedFor(time.Time{}) {
		t.Fatal("addition scope")
	}
	p.Enabled = false
	if p.MaxLifetimeFor(recent) != 0 || p.AdditionBlockedFor(recent) {
		t.Fatal("disabled policy applied")
	}
}

func TestSetUserPassword(t *testing.T) {
	dt, g := newDev(t)
	ctx := context.Background()
	const pw = "Rotated.Pass-word~42"
	if err := g.SetUserPassword(ctx, devtenant.SvcSharePointUPN, pw, nil); err != nil {
		t.Fatal(err)
	}
	u, _ := dt.User(devtenant.SvcSharePointUPN)
	if !dt.CheckUserPassword(devtenant.SvcSharePointUPN, pw) || u.ForceChangePassword {
		t.Fatalf("password not set as asked: %+v", u)
	}
	err := g.SetUserPassword(ctx, devtenant.SvcSharePointUPN, "weak", nil)
	if graph.Status(err) != 400 || strings.Contains(err.Error(), "weak") {
		t.Fatalf("weak password: %v", err)
	}
}
