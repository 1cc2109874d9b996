package graph_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
)

func newDev(t *testing.T) (*devtenant.Tenant, *graph.Client) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dt, a.Graph
}

func TestUsersAgainstDevTenant(t *testing.T) {
	dt, g := newDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	u, err := g.GetUser(ctx, "adele.vance@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "" || u.UserType != "Member" || !u.AccountEnabled || u.DisplayName != "Adele Vance" {
		t.Fatalf("user = %+v", u)
	}
	before, _ := dt.User(u.ID)
	if err := g.RevokeSignInSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := dt.User(u.ID)
	if after.RevokeCount != before.RevokeCount+1 || !after.SignInSessionsValidFrom.After(before.SignInSessionsValidFrom) {
		t.Fatalf("revocation not recorded: before %+v after %+v", before, after)
	}

	_, err = g.GetUser(ctx, "nobody@contoso.com")
	var ge *graph.Error
	if !errors.As(err, &ge) || !graph.IsNotFound(err) || ge.Code != "Request_ResourceNotFound" || ge.RequestID == "" {
		t.Fatalf("unknown user: %#v", err)
	}
}

func TestRaw(t *testing.T) {
	_, g := newDev(t)
	ctx := context.Background()
	var u struct {
		ID                string `json:"id"`
		UserPrincipalName string `json:"userPrincipalName"`
	}
	if err := g.Raw(ctx, "reading adele", "GET", "v1.0/users/adele.vance@contoso.com?$select=id,userPrincipalName", nil, &u); err != nil {
		t.Fatal(err)
	}
	if u.UserPrincipalName != "adele.vance@contoso.com" || u.ID == "" {
		t.Fatalf("raw user = %+v", u)
	}
	err := g.Raw(ctx, "reading nobody", "GET", "v1.0/users/nobody@contoso.com", nil, &u)
	if !graph.IsNotFound(err) {
		t.Fatalf("raw 404 = %v", err)
	}
	if err := g.Raw(ctx, "bad method", "TRACE", "v1.0/users", nil, nil); err == nil {
		t.Fatal("TRACE accepted")
	}
}
