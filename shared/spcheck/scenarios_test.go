package spcheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/spcheck"
)

// scenario is one fixture change and the diagnosis it must produce.
type scenario struct {
	name       string
	credential string
	site       string   // default: the operations site
	egressIP   string   // default: the fixture's (trusted) 203.0.113.10
	expectIP   []string // --expect-ip
	fixture    func(*devtenant.Fixture)
	echoURLs   []string                // default: identity.DefaultEchoURLs
	tenant     func(*devtenant.Tenant) // changes after start (faults)
	verdict    spcheck.Verdict
	findings   []string // exact ids, in order
}

const (
	certCred   = "workflow-engine-cert"
	secretCred = "workflow-engine-secret"
	pwCred     = "svc-sharepoint-password"
	untrusted  = devtenant.UntrustedEgressIP
)

func scenarios() []scenario {
	return []scenario{
		{name: "healthy certificate", credential: certCred, verdict: spcheck.Pass, findings: []string{}},
		{name: "untrusted IP, password", credential: pwCred, egressIP: untrusted, verdict: spcheck.Fail,
			findings: []string{spcheck.FindMFARequired, spcheck.FindEgressIPUntrusted}},
		{name: "untrusted IP, certificate (app-only is not challenged)", credential: certCred, egressIP: untrusted, verdict: spcheck.Pass,
			findings: []string{spcheck.FindEgressIPUntrusted}},
		{name: "IPv6 egress, IPv4-only trusted location", credential: pwCred, egressIP: "2001:db8:100::10",
			fixture: func(fx *devtenant.Fixture) {
				location(fx, devtenant.HeadOfficeLocationID).CIDRs = []string{"203.0.113.0/24"}
			},
			verdict: spcheck.Fail, findings: []string{spcheck.FindMFARequired, spcheck.FindEgressIPv6Untrusted}},
		{name: "IPv6 egress in a dual-stack trusted location", credential: pwCred, egressIP: "2001:db8:100::10",
			verdict: spcheck.Pass, findings: []string{}},
		{name: "Conditional Access blocks the account", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			fx.CAPolicies = append(fx.CAPolicies, devtenant.CAPolicy{ID: devtenant.StableID("caPolicy", "Block service accounts"),
				DisplayName: "Block service accounts from SharePoint", State: "enabled",
				IncludeGroups: []string{devtenant.StableID("group", "Service Accounts")}, IncludeApplications: []string{devtenant.ResourceSharePoint},
				GrantControls: []string{"block"}})
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindBlockedByCA}},
		{name: "security defaults on", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			fx.SecurityDefaultsEnabled = true
			for i := range fx.CAPolicies { // a tenant cannot have both
				fx.CAPolicies[i].State = "disabled"
			}
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindMFARequired, spcheck.FindSecurityDefaultsOn}},
		{name: "per-user MFA enforced", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			user(fx, devtenant.SvcSharePointUPN).PerUserMFAState = devtenant.MFAEnforced
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindMFARequired, spcheck.FindPerUserMFAOn}},
		{name: "expired client secret", credential: secretCred, fixture: func(fx *devtenant.Fixture) {
			past := fx.Apps[0].Passwords[0].Start.Add(-time.Hour) // any time before now
			appOf(fx, devtenant.WorkflowEngineAppID).Passwords[0].End = past
			for i := range fx.Vaults[0].Secrets {
				if s := &fx.Vaults[0].Secrets[i]; s.Name == secretCred {
					s.Expires = past
				}
			}
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindSecretExpired}},
		{name: "wrong certificate in Key Vault", credential: certCred, fixture: func(fx *devtenant.Fixture) {
			secret(fx, certCred).Value = string(devtenant.AdminCertPEM())
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindCertificateRejected}},
		{name: "secret-based app-only to SharePoint", credential: secretCred, verdict: spcheck.Fail,
			findings: []string{spcheck.FindSharePointAppOnlySecret, spcheck.FindCredentialExpiresSoon}},
		{name: "missing consent (delegated)", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			appOf(fx, devtenant.SharePointSyncAppID).DelegatedScopes = nil
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindConsentMissing}},
		{name: "missing consent (application)", credential: certCred, fixture: func(fx *devtenant.Fixture) {
			appOf(fx, devtenant.WorkflowEngineAppID).AppRoles = nil
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindConsentMissing}},
		{name: "locked account", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			user(fx, devtenant.SvcSharePointUPN).Locked = true
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindAccountLocked}},
		{name: "expired password", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			user(fx, devtenant.SvcSharePointUPN).PasswordExpired = true
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindPasswordExpired}},
		{name: "disabled account", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			user(fx, devtenant.SvcSharePointUPN).AccountEnabled = false
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindAccountDisabled}},
		{name: "wrong stored password", credential: pwCred, fixture: func(fx *devtenant.Fixture) {
			secret(fx, pwCred).Value = "not-the-password"
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindPasswordInvalid}},
		{name: "no permission to read Conditional Access", credential: certCred, fixture: func(fx *devtenant.Fixture) {
			a := appOf(fx, devtenant.AdminClientID)
			a.AppRoles[devtenant.ResourceGraph] = slices.DeleteFunc(a.AppRoles[devtenant.ResourceGraph], func(r string) bool { return strings.HasPrefix(r, "Policy.") })
		}, verdict: spcheck.Warn, findings: []string{spcheck.FindChecksIncomplete}},
		{name: "no permission to read Conditional Access, password", credential: pwCred, egressIP: untrusted, fixture: func(fx *devtenant.Fixture) {
			a := appOf(fx, devtenant.AdminClientID)
			a.AppRoles[devtenant.ResourceGraph] = slices.DeleteFunc(a.AppRoles[devtenant.ResourceGraph], func(r string) bool { return strings.HasPrefix(r, "Policy.") })
		}, verdict: spcheck.Fail, findings: []string{spcheck.FindMFARequired, spcheck.FindChecksIncomplete}},
		{name: "egress IP not the expected one", credential: certCred, expectIP: []string{"203.0.113.99"}, verdict: spcheck.Warn,
			findings: []string{spcheck.FindEgressIPUnexpected}},
		{name: "egress IP as expected", credential: certCred, expectIP: []string{"203.0.113.10"}, verdict: spcheck.Pass, findings: []string{}},
		{name: "echo services disagree", credential: certCred, tenant: echoDisagree, verdict: spcheck.Warn,
			findings: []string{spcheck.FindEgressEchoDisagree}},
		{name: "no echo service answers", credential: certCred, tenant: func(dt *devtenant.Tenant) {
			dt.InjectRate("GET api.ipify.org/**", 1, devtenant.Fault{Status: 503})
			dt.InjectRate("GET checkip.amazonaws.com/**", 1, devtenant.Fault{Status: 503})
		}, echoURLs: []string{"https://api.ipify.org", "https://checkip.amazonaws.com"}, verdict: spcheck.Warn,
			findings: []string{spcheck.FindEgressUnknown}},
		{name: "site does not exist", credential: certCred, site: "https://contoso.sharepoint.com/sites/nope", verdict: spcheck.Fail,
			findings: []string{spcheck.FindSiteNotFound}},
		{name: "credential not in Key Vault", credential: "no-such-credential", verdict: spcheck.Fail,
			findings: []string{spcheck.FindCredentialUnavailable}},
	}
}

func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("dev tenant scenarios take a few seconds each")
	}
	// Every App is built before any check runs: building a Graph SDK client
	// writes the SDK's process-wide backing-store factory, which concurrent
	// requests read (a data race the race detector reports).
	type prepared struct {
		sc  scenario
		run func() (spcheck.Result, string)
	}
	var all []prepared
	for _, sc := range scenarios() {
		all = append(all, prepared{sc, setupScenario(t, sc)})
	}
	for _, p := range all {
		sc := p.sc
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			res, logs := p.run()
			got := ids(res.Findings)
			if res.Verdict != sc.verdict || !reflect.DeepEqual(got, sc.findings) {
				b, _ := json.MarshalIndent(res, "", "  ")
				t.Fatalf("verdict %s findings %v; want %s %v\n%s", res.Verdict, got, sc.verdict, sc.findings, b)
			}
			for _, f := range res.Findings {
				if f.Title == "" || len(f.Evidence) == 0 || len(f.Remedies) == 0 {
					t.Errorf("finding %s lacks a title, evidence or a remedy: %+v", f.ID, f)
				}
			}
			if len(res.Checks) == 0 {
				t.Error("no checklist")
			}
			assertNoSecrets(t, res, logs)
		})
	}
}

// TestMFARemedyOrder pins the example: from an untrusted IP, the
// password credential's MFA finding leads with the trusted-location remedy.
func TestMFARemedyOrder(t *testing.T) {
	res, _ := runScenario(t, scenario{credential: pwCred, egressIP: untrusted})
	f := findingByID(res.Findings, spcheck.FindMFARequired)
	if f == nil {
		t.Fatalf("no %s finding: %+v", spcheck.FindMFARequired, res.Findings)
	}
	if r := f.Remedies[0]; !strings.Contains(r, "trusted named location") || !strings.Contains(r, untrusted+"/32") || !strings.Contains(r, `"Head office"`) {
		t.Fatalf("first remedy is not the trusted-location one: %q", r)
	}
	if !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "Require MFA outside trusted locations") }) {
		t.Fatalf("evidence does not name the policy: %q", f.Evidence)
	}
	if !slices.ContainsFunc(f.Remedies, func(e string) bool {
		return strings.Contains(e, "app password") && strings.Contains(e, "never for an admin")
	}) {
		t.Fatalf("no app-password remedy: %q", f.Remedies)
	}
	if w := res.Trust.ConditionalAccess; w.Status != spcheck.LookupOK || !slices.ContainsFunc(w.Policies, func(p spcheck.PolicyVerdict) bool { return p.Applies && p.ID == devtenant.RequireMFAPolicyID }) {
		t.Fatalf("What If: %+v", w)
	}
}

func runScenario(t *testing.T, sc scenario) (spcheck.Result, string) {
	t.Helper()
	return setupScenario(t, sc)()
}

// setupScenario starts the scenario's tenant and App; the returned function
// runs the check (and fails t on an operation error).
func setupScenario(t *testing.T, sc scenario) func() (spcheck.Result, string) {
	t.Helper()
	fx := devtenant.Contoso()
	if sc.fixture != nil {
		sc.fixture(fx)
	}
	dt, err := devtenant.Start(devtenant.Options{Fixture: fx, EgressIP: sc.egressIP})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	if sc.tenant != nil {
		sc.tenant(dt)
	}
	echo := sc.echoURLs
	if echo == nil {
		echo = identity.DefaultEchoURLs
	}
	s, err := devmode.Apply(app.Settings{EchoURLs: echo}, dt)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := app.New(s, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	site := sc.site
	if site == "" {
		site = devtenant.OperationsSiteURL
	}
	return func() (spcheck.Result, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		res, err := spcheck.Run(ctx, spcheck.DepsFrom(a), spcheck.Request{Site: site, Credential: sc.credential, ExpectIP: sc.expectIP})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		return res, logs.String()
	}
}

func ids(fs []spcheck.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func findingByID(fs []spcheck.Finding, id string) *spcheck.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// assertNoSecrets scans the result and the logs for every credential value
// of the fixture, private keys and access tokens.
func assertNoSecrets(t *testing.T, res spcheck.Result, logs string) {
	t.Helper()
	b, _ := json.Marshal(res)
	certPEM := string(devtenant.WorkflowEngineCertPEM())
	keyLine := strings.Split(certPEM, "\n")[1] // first line of the private key's base64
	for _, where := range []struct{ name, text string }{{"result", string(b)}, {"logs", logs}} {
		for _, secret := range []string{devtenant.WorkflowEngineSecret, devtenant.SvcSharePointPassword, devtenant.AdminClientSecret,
			"wfe~dev-only", "PRIVATE KEY", keyLine, "not-the-password"} {
			if strings.Contains(where.text, secret) {
				t.Errorf("%s contains a secret (%.12s…)", where.name, secret)
			}
		}
		// Access tokens are JWTs: base64url of {"typ":"JWT"... starts with eyJ.
		if strings.Contains(where.text, "eyJ") {
			t.Errorf("%s contains what looks like a token", where.name)
		}
	}
}

func location(fx *devtenant.Fixture, id string) *devtenant.NamedLocation {
	for i := range fx.NamedLocations {
		if fx.NamedLocations[i].ID == id {
			return &fx.NamedLocations[i]
		}
	}
	panic("no location " + id)
}

func user(fx *devtenant.Fixture, upn string) *devtenant.User {
	for i := range fx.Users {
		if strings.EqualFold(fx.Users[i].UserPrincipalName, upn) {
			return &fx.Users[i]
		}
	}
	panic("no user " + upn)
}

func appOf(fx *devtenant.Fixture, appID string) *devtenant.App {
	for i := range fx.Apps {
		if fx.Apps[i].AppID == appID {
			return &fx.Apps[i]
		}
	}
	panic("no app " + appID)
}

func secret(fx *devtenant.Fixture, name string) *devtenant.Secret {
	var last *devtenant.Secret
	for i := range fx.Vaults[0].Secrets {
		if fx.Vaults[0].Secrets[i].Name == name {
			last = &fx.Vaults[0].Secrets[i] // the latest version is the last one
		}
	}
	if last == nil {
		panic("no secret " + name)
	}
	return last
}

// echoDisagree makes one echo service see a different address (a second NAT path).
func echoDisagree(dt *devtenant.Tenant) {
	if err := dt.SetEchoIP("checkip.amazonaws.com", "203.0.113.11"); err != nil {
		panic(err)
	}
}
