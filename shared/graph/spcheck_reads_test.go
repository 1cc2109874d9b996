package graph_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
)

// The reads the SharePoint check makes: named locations, CA policies, What
// If, security defaults, per-user MFA, sites by path.
func TestConditionalAccessReads(t *testing.T) {
	dt, g := newDev(t)
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true}) // CA's 1/s budget is not under test here
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	locs, err := g.ListNamedLocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(locs, func(l graph.NamedLocation) bool { return l.ID == devtenant.HeadOfficeLocationID })
	if i < 0 || !locs[i].Trusted || locs[i].Kind != graph.LocationIP || !slices.Equal(locs[i].CIDRs, []string{"203.0.113.0/24", "2001:db8:100::/48"}) {
		t.Fatalf("named locations %+v", locs)
	}

	pols, err := g.ListCAPolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(pols, func(p graph.CAPolicy) bool { return p.ID == devtenant.RequireMFAPolicyID })
	if j < 0 || !pols[j].Enforced() || !pols[j].Requires("mfa") || !slices.Contains(pols[j].ExcludeLocations, "AllTrusted") || len(pols[j].ExcludeUsers) != 2 {
		t.Fatalf("policies %+v", pols)
	}

	svc, err := g.GetUser(ctx, devtenant.SvcSharePointUPN)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ip      string
		applies bool
		reason  string
	}{{devtenant.UntrustedEgressIP, true, ""}, {devtenant.DefaultEgressIP, false, "location"}} {
		res, err := g.EvaluateCA(ctx, graph.WhatIfRequest{UserID: svc.ID, Applications: []string{devtenant.ResourceSharePoint}, IPAddress: tc.ip, ClientAppType: "mobileAppsAndDesktopClients"})
		if err != nil {
			t.Fatal(err)
		}
		k := slices.IndexFunc(res, func(r graph.WhatIfResult) bool { return r.Policy.ID == devtenant.RequireMFAPolicyID })
		if k < 0 || res[k].Applies != tc.applies || (tc.reason != "" && !slices.Contains(res[k].Reasons, tc.reason)) || !res[k].Policy.Requires("mfa") {
			t.Fatalf("from %s: %+v", tc.ip, res)
		}
	}
	if _, err := g.EvaluateCA(ctx, graph.WhatIfRequest{Applications: []string{"x"}}); err == nil {
		t.Fatal("What If without an identity")
	}

	// v1.0 not routed (as before the action reached v1.0): falls back to beta.
	dt.Inject("POST /v1.0/identity/conditionalAccess/evaluate", devtenant.Fault{Status: 400, Code: "BadRequest", Message: "Resource not found for the segment 'evaluate'."})
	before := dt.Count("POST /beta/identity/conditionalAccess/evaluate")
	if _, err := g.EvaluateCA(ctx, graph.WhatIfRequest{UserID: svc.ID, IPAddress: devtenant.DefaultEgressIP}); err != nil {
		t.Fatalf("fallback: %v", err)
	}
	if dt.Count("POST /beta/identity/conditionalAccess/evaluate") != before+1 {
		t.Fatal("no beta call")
	}
	// Any other 400 is the answer, not a reason to try beta.
	dt.Inject("POST /v1.0/identity/conditionalAccess/evaluate", devtenant.Fault{Status: 400, Code: "BadRequest", Message: "Invalid ipAddress."})
	if _, err := g.EvaluateCA(ctx, graph.WhatIfRequest{UserID: svc.ID, IPAddress: "x"}); graph.Status(err) != 400 {
		t.Fatalf("err %v", err)
	}
}

func TestPolicyAndSiteReads(t *testing.T) {
	dt, g := newDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sd, err := g.GetSecurityDefaults(ctx)
	if err != nil || sd.Enabled || sd.ID != "00000000-0000-0000-0000-000000000005" {
		t.Fatalf("%+v %v", sd, err)
	}
	dt.SetSecurityDefaults(true)
	if sd, _ := g.GetSecurityDefaults(ctx); !sd.Enabled {
		t.Fatal("security defaults still off")
	}
	for upn, want := range map[string]string{"adele.vance@contoso.com": graph.PerUserMFAEnforced, "alex.wilber@contoso.com": graph.PerUserMFAEnabled, devtenant.SvcSharePointUPN: graph.PerUserMFADisabled} {
		if got, err := g.GetPerUserMFAState(ctx, upn); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", upn, got, err, want)
		}
	}
	site, err := g.GetSiteByPath(ctx, devtenant.SharePointHost, "/sites/operations")
	if err != nil || site.DisplayName != "Operations" || site.WebURL != devtenant.OperationsSiteURL {
		t.Fatalf("%+v %v", site, err)
	}
	root, err := g.GetSiteByPath(ctx, devtenant.SharePointHost, "/")
	if err != nil || root.DisplayName != "Contoso" {
		t.Fatalf("root %+v %v", root, err)
	}
	if _, err := g.GetSiteByPath(ctx, devtenant.SharePointHost, "/sites/nope"); !graph.IsNotFound(err) {
		t.Fatalf("missing site: %v", err)
	}
	if _, err := g.GetSiteByPath(ctx, "bad/host", "/"); err == nil {
		t.Fatal("bad host accepted")
	}
}

func TestGetSiteByPathWithToken(t *testing.T) {
	dt, _ := newDev(t)
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := identity.NewStoredCredential(identity.Dev, identity.StoredCredential{Name: "c", Kind: identity.KindAppCertificate,
		TenantID: devtenant.TenantID, AppID: devtenant.WorkflowEngineAppID, Value: string(devtenant.WorkflowEngineCertPEM())}, tr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: tr}
	site, err := graph.GetSiteByPathWithToken(ctx, hc, identity.Dev, tok.Token, devtenant.SharePointHost, "/sites/operations")
	if err != nil || site.DisplayName != "Operations" {
		t.Fatalf("%+v %v", site, err)
	}
	_, err = graph.GetSiteByPathWithToken(ctx, hc, identity.Dev, tok.Token, devtenant.SharePointHost, "/sites/nope")
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.StatusCode != 404 || ge.Code != "itemNotFound" || ge.RequestID == "" {
		t.Fatalf("missing site: %#v", err)
	}
	_, err = graph.GetSiteByPathWithToken(ctx, hc, identity.Dev, "not-a-token", devtenant.SharePointHost, "/")
	if graph.Status(err) != 401 {
		t.Fatalf("bad token: %v", err)
	}
}
