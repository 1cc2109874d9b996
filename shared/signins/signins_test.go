package signins_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/signins"
)

// SignInAs makes a password (ROPC) sign-in of user to SharePoint from the
// tenant's current egress IP, the way a workflow server's service account
// does; the tenant logs it.
func SignInAs(t testing.TB, dt *devtenant.Tenant, user, password string) error {
	t.Helper()
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 ROPC is exactly what the service accounts under study use.
	opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: tr}, Retry: policy.RetryOptions{MaxRetries: -1}}}
	cred, err := azidentity.NewUsernamePasswordCredential(devtenant.TenantID, devtenant.SharePointSyncAppID, user, password, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://" + devtenant.SharePointHost + "/.default"}})
	return err
}

func setup(t testing.TB) (*devtenant.Tenant, signins.Deps) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	// From the trusted head office: success.
	if err := SignInAs(t, dt, devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword); err != nil {
		t.Fatalf("trusted sign-in: %v", err)
	}
	// From an untrusted IP: Conditional Access requires MFA (AADSTS50076).
	if err := dt.SetEgressIP(devtenant.UntrustedEgressIP); err != nil {
		t.Fatal(err)
	}
	if err := SignInAs(t, dt, devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword); err == nil {
		t.Fatal("untrusted sign-in succeeded")
	}
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dt, signins.Deps{Graph: a.Graph}
}

func TestRunAgainstDevTenant(t *testing.T) {
	_, deps := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := signins.Run(ctx, deps, signins.Request{User: devtenant.SvcSharePointUPN, Since: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Summary.Failures != 1 || !res.Problem() {
		t.Fatalf("result %+v", res)
	}
	last, first := res.Rows[0], res.Rows[1]
	if last.ErrorCode != 50076 || last.Code == nil || last.Code.Name != "UserStrongAuthClientAuthNRequired" || last.TrustedLocation ||
		last.IPAddress != devtenant.UntrustedEgressIP || last.CAStatus != "failure" || len(last.CAFailed) != 1 {
		t.Errorf("latest sign-in: %+v", last)
	}
	if first.Result != "success" || !first.TrustedLocation || first.Code != nil {
		t.Errorf("first sign-in: %+v", first)
	}
	if !strings.Contains(res.Summary.Advice, "AADSTS50076") || !strings.Contains(res.Summary.Advice, "untrusted") {
		t.Errorf("advice %q", res.Summary.Advice)
	}
	res, _ = signins.Run(ctx, deps, signins.Request{User: devtenant.SvcSharePointUPN, FailuresOnly: true})
	if len(res.Rows) != 1 {
		t.Errorf("failures only: %+v", res.Rows)
	}
	if s := fmt.Sprintf("%+v", res); strings.Contains(s, devtenant.SvcSharePointPassword) {
		t.Error("password in result")
	}
}

func TestValidate(t *testing.T) {
	for _, r := range []signins.Request{{}, {User: "x"}, {User: "a@contoso.com", Since: 31 * 24 * time.Hour}, {User: "a@contoso.com", Max: 5000}} {
		if _, ok := op.AsInvalid(r.Validate()); !ok {
			t.Errorf("%+v: want invalid", r)
		}
	}
	r := signins.Request{User: "a@contoso.com"}
	if err := r.Validate(); err != nil || r.Since != 24*time.Hour || r.Max != 50 {
		t.Errorf("defaults: %+v %v", r, err)
	}
}

func TestExplain(t *testing.T) {
	if c := signins.Explain(53003); c.Name != "BlockedByConditionalAccess" || c.Fix == "" {
		t.Errorf("53003: %+v", c)
	}
	if c := signins.Explain(1234567); !strings.Contains(c.Meaning, "error?code=1234567") {
		t.Errorf("unknown: %+v", c)
	}
}

func ExampleExplain() {
	c := signins.Explain(50076)
	fmt.Println(c.Name)
	// Output: UserStrongAuthClientAuthNRequired
}
