package spcheck_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/spcheck"
)

// devApp starts a dev tenant and returns the App a front door would build.
func devApp(egressIP string) (*devtenant.Tenant, *app.App, error) {
	dt, err := devtenant.Start(devtenant.Options{EgressIP: egressIP})
	if err != nil {
		return nil, nil, err
	}
	s, err := devmode.Apply(app.Settings{EchoURLs: identity.DefaultEchoURLs}, dt)
	if err != nil {
		dt.Close()
		return nil, nil, err
	}
	a, err := app.New(s, nil)
	if err != nil {
		dt.Close()
		return nil, nil, err
	}
	return dt, a, nil
}

func ExampleRun() {
	// A service account signing in with its password from an IP outside the
	// trusted named locations.
	dt, a, err := devApp(devtenant.UntrustedEgressIP)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dt.Close()
	res, err := spcheck.Run(context.Background(), spcheck.DepsFrom(a), spcheck.Request{
		Site:       "https://contoso.sharepoint.com/sites/operations",
		Credential: "svc-sharepoint-password",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verdict:", res.Verdict)
	for _, f := range res.Findings {
		fmt.Printf("%s (%s): %s\n", f.ID, f.Severity, f.Title)
	}
	fmt.Println("first remedy:", res.Findings[0].Remedies[0])
	// Output:
	// verdict: fail
	// signin-mfa-required (error): Entra ID demands MFA, which a non-interactive sign-in cannot give
	// egress-ip-untrusted (warning): The egress IP is in no trusted named location
	// first remedy: Add 198.51.100.7 to the trusted named location "Head office" — policy "Require MFA outside trusted locations" does not apply inside trusted locations: tenantops named-locations add --name "Head office" --cidr 198.51.100.7/32
}

func ExampleCheckEgress() {
	dt, a, err := devApp("")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dt.Close()
	res, err := spcheck.CheckEgress(context.Background(), spcheck.EgressDepsFrom(a), spcheck.EgressRequest{IP: "2001:db8:100::10", Trust: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, at := range res.Trust.Addresses {
		fmt.Println(at.IP, "trusted:", at.Trusted, "in", at.Locations[0].DisplayName, at.Locations[0].CIDR)
	}
	fmt.Println("verdict:", res.Verdict)
	// Output:
	// 2001:db8:100::10 trusted: true in Head office 2001:db8:100::/48
	// verdict: pass
}

// BenchmarkRun measures one whole check (echo ×3, Key Vault, two certificate
// sign-ins, SharePoint REST, Graph, four trust reads) against the dev tenant,
// with Conditional Access pacing and throttling off so the code, not the
// 1 request/second budget, is measured.
func BenchmarkRun(b *testing.B) {
	dt, a, err := devApp("")
	if err != nil {
		b.Fatal(err)
	}
	defer dt.Close()
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	deps := spcheck.DepsFrom(a)
	deps.CAInterval = time.Nanosecond
	req := spcheck.Request{Site: devtenant.OperationsSiteURL, Credential: "workflow-engine-cert"}
	for b.Loop() {
		res, err := spcheck.Run(context.Background(), deps, req)
		if err != nil || res.Verdict != spcheck.Pass {
			b.Fatalf("%v %s", err, res.Verdict)
		}
	}
}
