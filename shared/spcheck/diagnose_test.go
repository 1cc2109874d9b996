package spcheck_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/spcheck"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// healthy is the evidence of a passing check with a certificate.
func healthy() spcheck.Result {
	return spcheck.Result{
		Site:       "https://contoso.sharepoint.com/sites/operations",
		Egress:     spcheck.EgressInfo{IP: "203.0.113.10", Discovery: egress.Discovery{IPs: []string{"203.0.113.10"}, Agree: true}},
		Credential: spcheck.CredentialInfo{Name: "cert", Status: spcheck.LookupOK, Kind: identity.KindAppCertificate, AppID: "app"},
		Tokens: []spcheck.TokenInfo{
			{Resource: spcheck.ResourceSharePoint, Status: spcheck.TokenOK, Claims: &spcheck.Claims{IDType: "app", ClientAuth: "certificate", Roles: []string{"Sites.FullControl.All"}}},
			{Resource: spcheck.ResourceGraph, Status: spcheck.TokenOK, Claims: &spcheck.Claims{IDType: "app", ClientAuth: "certificate", Roles: []string{"Sites.Read.All"}}},
		},
		SharePoint: spcheck.ProbeInfo{Status: spcheck.ProbeOK, HTTPStatus: 200, Title: "Operations"},
		GraphSite:  spcheck.ProbeInfo{Status: spcheck.ProbeOK, HTTPStatus: 200, Title: "Operations"},
		Trust: spcheck.TrustInfo{
			NamedLocations:   spcheck.Lookup{Status: spcheck.LookupOK},
			TrustedLocations: []spcheck.LocationInfo{{ID: "ho", DisplayName: "Head office", CIDRs: []string{"203.0.113.0/24"}}},
			Addresses:        []spcheck.AddressTrust{{IP: "203.0.113.10", Family: egress.IPv4, Trusted: true}},
			TrustedFamilies:  []string{egress.IPv4},
			SecurityDefaults: spcheck.SecurityDefaults{Lookup: spcheck.Lookup{Status: spcheck.LookupOK}, Enabled: new(bool)},
			PerUserMFA:       spcheck.PerUserMFA{Lookup: spcheck.Lookup{Status: spcheck.LookupSkipped}},
		},
	}
}

// refused makes both tokens refused with code (a user credential when user).
func refused(code int, user bool) func(*spcheck.Result) {
	return func(r *spcheck.Result) {
		if user {
			r.Credential.Kind, r.Credential.User = identity.KindUserPassword, "svc@contoso.com"
		}
		se := &identity.SignInError{Code: code, Error: "invalid_grant", Description: fmt.Sprintf("AADSTS%d: text", code)}
		r.Tokens = []spcheck.TokenInfo{{Resource: spcheck.ResourceSharePoint, Status: spcheck.TokenRefused, SignInError: se}}
		r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeSkipped}
		r.GraphSite = spcheck.ProbeInfo{Status: spcheck.ProbeSkipped}
	}
}

// TestDiagnoseCatalogue maps each kind of evidence to its finding, without I/O.
func TestDiagnoseCatalogue(t *testing.T) {
	soon := now.Add(10 * 24 * time.Hour)
	tests := []struct {
		name    string
		change  func(*spcheck.Result)
		verdict spcheck.Verdict
		want    []string
	}{
		{"healthy", func(*spcheck.Result) {}, spcheck.Pass, nil},
		{"expired secret", refused(7000222, false), spcheck.Fail, []string{spcheck.FindSecretExpired}},
		{"invalid secret", refused(7000215, false), spcheck.Fail, []string{spcheck.FindSecretInvalid}},
		{"rejected certificate", refused(700027, false), spcheck.Fail, []string{spcheck.FindCertificateRejected}},
		{"unknown app", refused(700016, false), spcheck.Fail, []string{spcheck.FindAppNotFound}},
		{"disabled app", refused(7000112, false), spcheck.Fail, []string{spcheck.FindAppDisabled}},
		{"unknown tenant", refused(90002, false), spcheck.Fail, []string{spcheck.FindTenantNotFound}},
		{"locked", refused(50053, true), spcheck.Fail, []string{spcheck.FindAccountLocked}},
		{"disabled", refused(50057, true), spcheck.Fail, []string{spcheck.FindAccountDisabled}},
		{"password expired", refused(50055, true), spcheck.Fail, []string{spcheck.FindPasswordExpired}},
		{"bad password", refused(50126, true), spcheck.Fail, []string{spcheck.FindPasswordInvalid}},
		{"no such user", refused(50034, true), spcheck.Fail, []string{spcheck.FindUserNotFound}},
		{"consent", refused(65001, true), spcheck.Fail, []string{spcheck.FindConsentMissing}},
		{"wrong resource", refused(500011, true), spcheck.Fail, []string{spcheck.FindResourceUnknown}},
		{"CA block", refused(53003, true), spcheck.Fail, []string{spcheck.FindBlockedByCA}},
		{"security defaults block", refused(530035, true), spcheck.Fail, []string{spcheck.FindBlockedBySecDefaults}},
		{"MFA", refused(50076, true), spcheck.Fail, []string{spcheck.FindMFARequired}},
		{"MFA enrolment", refused(50079, true), spcheck.Fail, []string{spcheck.FindMFARequired}},
		{"unmapped code", refused(12345, true), spcheck.Fail, []string{spcheck.FindSignInFailed}},
		{"no answer from Entra", func(r *spcheck.Result) {
			r.Tokens[0] = spcheck.TokenInfo{Resource: spcheck.ResourceSharePoint, Status: spcheck.TokenError, Detail: "dial tcp: refused"}
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeSkipped}
		}, spcheck.Fail, []string{spcheck.FindEntraUnreachable}},
		{"secret app-only to SharePoint", func(r *spcheck.Result) {
			r.Tokens[0].Claims.ClientAuth = "secret"
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 401, Reason: "Unsupported app only token."}
		}, spcheck.Fail, []string{spcheck.FindSharePointAppOnlySecret}},
		{"SharePoint rejects the token otherwise", func(r *spcheck.Result) {
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 401, Reason: "Invalid audience Uri."}
		}, spcheck.Fail, []string{spcheck.FindSharePointUnauthorized}},
		{"no roles in the app token", func(r *spcheck.Result) {
			r.Tokens[0].Claims.Roles = nil
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 403}
		}, spcheck.Fail, []string{spcheck.FindConsentMissing}},
		{"access denied to the site", func(r *spcheck.Result) {
			r.GraphSite = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 403}
		}, spcheck.Fail, []string{spcheck.FindSiteAccessDenied}},
		{"site not found", func(r *spcheck.Result) {
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 404}
			r.GraphSite = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 404}
		}, spcheck.Fail, []string{spcheck.FindSiteNotFound}},
		{"throttled", func(r *spcheck.Result) {
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeFailed, HTTPStatus: 429}
		}, spcheck.Warn, []string{spcheck.FindSharePointThrottled}},
		{"SharePoint unreachable", func(r *spcheck.Result) {
			r.SharePoint = spcheck.ProbeInfo{Status: spcheck.ProbeError, Error: "dial tcp: i/o timeout"}
		}, spcheck.Fail, []string{spcheck.FindSiteRequestFailed}},
		{"certificate expired", func(r *spcheck.Result) {
			r.Credential.Certificate = &identity.CertificateInfo{Subject: "CN=x", NotAfter: now.Add(-time.Hour)}
		}, spcheck.Fail, []string{spcheck.FindCertificateExpired}},
		{"certificate expires soon", func(r *spcheck.Result) {
			r.Credential.Certificate = &identity.CertificateInfo{Subject: "CN=x", NotAfter: soon}
		}, spcheck.Warn, []string{spcheck.FindCredentialExpiresSoon}},
		{"secret expires soon", func(r *spcheck.Result) { r.Credential.ExpiresOn = &soon }, spcheck.Warn, []string{spcheck.FindCredentialExpiresSoon}},
		{"credential missing", func(r *spcheck.Result) {
			r.Credential = spcheck.CredentialInfo{Name: "x", Status: spcheck.LookupError, Problem: spcheck.ProblemNotFound, Detail: "no secret"}
		}, spcheck.Fail, []string{spcheck.FindCredentialUnavailable}},
		{"echo disagree", func(r *spcheck.Result) {
			r.Egress.IPs, r.Egress.Agree = []string{"203.0.113.10", "203.0.113.11"}, false
			r.Egress.Sources = []egress.Source{{URL: "a", IP: "203.0.113.10", Family: egress.IPv4}, {URL: "b", IP: "203.0.113.11", Family: egress.IPv4}}
		}, spcheck.Warn, []string{spcheck.FindEgressEchoDisagree}},
		{"no echo", func(r *spcheck.Result) {
			r.Egress = spcheck.EgressInfo{Discovery: egress.Discovery{IPs: []string{}, Sources: []egress.Source{{URL: "a", Error: "no answer"}}}}
			r.Trust.Addresses = nil
		}, spcheck.Warn, []string{spcheck.FindEgressUnknown}},
		{"unexpected egress", func(r *spcheck.Result) {
			r.Egress.Expected = &egress.Expectation{Expected: []string{"203.0.113.9"}, Unexpected: []string{"203.0.113.10"}}
		}, spcheck.Warn, []string{spcheck.FindEgressIPUnexpected}},
		{"Entra saw another address", func(r *spcheck.Result) { r.Egress.EntraSaw = "203.0.113.50" }, spcheck.Warn, []string{spcheck.FindEntraIPMismatch}},
		{"untrusted, app-only: info", func(r *spcheck.Result) {
			r.Trust.Addresses = []spcheck.AddressTrust{{IP: "198.51.100.7", Family: egress.IPv4}}
		}, spcheck.Pass, []string{spcheck.FindEgressIPUntrusted}},
		{"IPv6 untrusted, v4-only locations", func(r *spcheck.Result) {
			r.Trust.Addresses = []spcheck.AddressTrust{{IP: "2001:db8::1", Family: egress.IPv6}}
		}, spcheck.Pass, []string{spcheck.FindEgressIPv6Untrusted}},
		{"permissions missing", func(r *spcheck.Result) {
			r.Trust.NamedLocations = spcheck.Lookup{Status: spcheck.LookupDenied, Permission: "Policy.Read.All", Detail: "could not read named locations (needs permission Policy.Read.All)"}
			r.Trust.SecurityDefaults.Lookup = spcheck.Lookup{Status: spcheck.LookupError, Detail: "could not read security defaults: 500"}
		}, spcheck.Warn, []string{spcheck.FindChecksIncomplete}},
		{"security defaults and per-user MFA for a password", func(r *spcheck.Result) {
			refused(50076, true)(r)
			on := true
			r.Trust.SecurityDefaults.Enabled = &on
			r.Trust.PerUserMFA = spcheck.PerUserMFA{Lookup: spcheck.Lookup{Status: spcheck.LookupOK}, User: "svc@contoso.com", State: "enforced"}
		}, spcheck.Fail, []string{spcheck.FindMFARequired, spcheck.FindSecurityDefaultsOn, spcheck.FindPerUserMFAOn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := healthy()
			tt.change(&r)
			fs := spcheck.Diagnose(r, now)
			var got []string
			for _, f := range fs {
				got = append(got, f.ID)
				if f.Title == "" || len(f.Evidence) == 0 || len(f.Remedies) == 0 {
					t.Errorf("%s: incomplete finding %+v", f.ID, f)
				}
			}
			if !reflect.DeepEqual(got, tt.want) || spcheck.VerdictOf(fs) != tt.verdict {
				t.Fatalf("got %v %s, want %v %s", got, spcheck.VerdictOf(fs), tt.want, tt.verdict)
			}
		})
	}
}

// TestMFARemediesByCause: the first remedy follows the cause.
func TestMFARemediesByCause(t *testing.T) {
	base := func() spcheck.Result {
		r := healthy()
		refused(50076, true)(&r)
		return r
	}
	policy := spcheck.PolicyVerdict{ID: "p", DisplayName: "Require MFA outside trusted locations", State: "enabled", Applies: true, Requires: []string{"mfa"}, ExcludesTrusted: true}
	tests := []struct {
		name   string
		change func(*spcheck.Result)
		first  string
	}{
		{"location policy, untrusted IP", func(r *spcheck.Result) {
			r.Trust.Addresses = []spcheck.AddressTrust{{IP: "198.51.100.7", Family: egress.IPv4}}
			r.Trust.ConditionalAccess = spcheck.WhatIfInfo{Lookup: spcheck.Lookup{Status: spcheck.LookupOK}, IP: "198.51.100.7", Policies: []spcheck.PolicyVerdict{policy}}
		}, `Add 198.51.100.7 to the trusted named location "Head office"`},
		{"policy without location condition", func(r *spcheck.Result) {
			p := policy
			p.ExcludesTrusted = false
			r.Trust.ConditionalAccess = spcheck.WhatIfInfo{Lookup: spcheck.Lookup{Status: spcheck.LookupOK}, Policies: []spcheck.PolicyVerdict{p}}
		}, "Exclude svc@contoso.com from policy"},
		{"What If unavailable, untrusted IP", func(r *spcheck.Result) {
			r.Trust.Addresses = []spcheck.AddressTrust{{IP: "198.51.100.7", Family: egress.IPv4}}
			r.Trust.ConditionalAccess = spcheck.WhatIfInfo{Lookup: spcheck.Lookup{Status: spcheck.LookupDenied}}
		}, "If the policy demanding MFA exempts trusted locations, add 198.51.100.7"},
		{"security defaults", func(r *spcheck.Result) {
			on := true
			r.Trust.SecurityDefaults.Enabled = &on
		}, "Security defaults require MFA"},
		{"per-user MFA", func(r *spcheck.Result) {
			r.Trust.PerUserMFA = spcheck.PerUserMFA{Lookup: spcheck.Lookup{Status: spcheck.LookupOK}, State: "enforced"}
		}, "Per-user MFA applies from every location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.change(&r)
			fs := spcheck.Diagnose(r, now)
			if len(fs) == 0 || fs[0].ID != spcheck.FindMFARequired || !strings.HasPrefix(fs[0].Remedies[0], tt.first) {
				t.Fatalf("findings %+v", fs)
			}
			last := fs[0].Remedies[len(fs[0].Remedies)-1]
			if !strings.Contains(last, "app password") || !strings.Contains(last, "never for an admin") {
				t.Fatalf("last remedy %q", last)
			}
		})
	}
}

func TestReadClaims(t *testing.T) {
	jwt := func(claims string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
	}
	c, err := spcheck.ReadClaims(jwt(`{"aud":"https://contoso.sharepoint.com","appid":"a","appidacr":"1","idtyp":"app","ipaddr":"203.0.113.10","roles":["Sites.Read.All"],"oid":"o","iat":1700000000,"exp":1700003600}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &spcheck.Claims{Audience: "https://contoso.sharepoint.com", AppID: "a", AppIDAcr: "1", ClientAuth: "secret", IDType: "app", IPAddr: "203.0.113.10",
		Roles: []string{"Sites.Read.All"}, ObjectID: "o", IssuedAt: time.Unix(1700000000, 0).UTC(), ExpiresOn: time.Unix(1700003600, 0).UTC()}
	if !reflect.DeepEqual(c, want) || !c.AppOnly() {
		t.Fatalf("got %+v", c)
	}
	// v2 token without idtyp: azp/azpacr, scp means a user.
	c, err = spcheck.ReadClaims(jwt(`{"aud":"x","azp":"b","azpacr":"0","scp":"AllSites.Read User.Read","upn":"u@contoso.com","amr":["pwd"]}`))
	if err != nil || c.AppID != "b" || c.ClientAuth != "none" || c.IDType != "user" || len(c.Scopes) != 2 || c.AppOnly() {
		t.Fatalf("got %+v %v", c, err)
	}
	for _, bad := range []string{"opaque-token", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("not json")) + ".c"} {
		if _, err := spcheck.ReadClaims(bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name string
		body string
		code string
	}{
		{"ok", `{"site":"https://contoso.sharepoint.com/sites/operations","credential":"workflow-engine-cert"}`, ""},
		{"ok root site and one expected IP as a string", `{"site":"https://contoso.sharepoint.com/","credential":"c","expectIp":"203.0.113.10, 2001:db8::1"}`, ""},
		{"ok expected IPs as a list", `{"site":"https://contoso.sharepoint.com","credential":"c","expectIp":["203.0.113.10"]}`, ""},
		{"no site", `{"credential":"c"}`, "invalidSite"},
		{"http", `{"site":"http://contoso.sharepoint.com","credential":"c"}`, "invalidSite"},
		{"not SharePoint", `{"site":"https://example.com/sites/x","credential":"c"}`, "invalidSite"},
		{"a page, not a site", `{"site":"https://contoso.sharepoint.com/sites/x/SitePages/Home.aspx","credential":"c"}`, "invalidSite"},
		{"an API URL", `{"site":"https://contoso.sharepoint.com/sites/x/_api/web","credential":"c"}`, "invalidSite"},
		{"query", `{"site":"https://contoso.sharepoint.com/sites/x?a=b","credential":"c"}`, "invalidSite"},
		{"no credential", `{"site":"https://contoso.sharepoint.com"}`, "noCredential"},
		{"bad credential name", `{"site":"https://contoso.sharepoint.com","credential":"a b"}`, "invalidCredential"},
		{"bad IP", `{"site":"https://contoso.sharepoint.com","credential":"c","expectIp":"10.0.0.256"}`, "invalidIP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req spcheck.Request
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatal(err)
			}
			err := req.Validate()
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ie, ok := op.AsInvalid(err)
			if !ok || ie.Code != tt.code {
				t.Fatalf("err %v, want code %s", err, tt.code)
			}
		})
	}
	var l spcheck.IPList
	if err := json.Unmarshal([]byte(`42`), &l); err == nil {
		t.Fatal("a number is an IP list")
	}
	for _, r := range []spcheck.EgressRequest{{IP: "nope"}, {IP: "203.0.113.1,203.0.113.2"}, {ExpectIP: []string{"x"}}} {
		if _, ok := op.AsInvalid(r.Validate()); !ok {
			t.Errorf("%+v accepted", r)
		}
	}
}

func TestParseSite(t *testing.T) {
	for in, want := range map[string][2]string{
		"https://Contoso.SharePoint.com/sites/Operations/": {"contoso.sharepoint.com", "/sites/Operations"},
		"https://contoso.sharepoint.com":                   {"contoso.sharepoint.com", "/"},
		"https://contoso.sharepoint.us/teams/x":            {"contoso.sharepoint.us", "/teams/x"},
	} {
		h, p, err := spcheck.ParseSite(in)
		if err != nil || h != want[0] || p != want[1] || spcheck.SiteURL(h, p) == "" {
			t.Errorf("%s: %s %s %v", in, h, p, err)
		}
	}
}

func TestTableRows(t *testing.T) {
	r := healthy()
	refused(50076, true)(&r)
	fs := spcheck.Diagnose(r, now)
	rows := spcheck.TableRows(spcheck.Checklist(r), fs, spcheck.VerdictOf(fs))
	last := rows[len(rows)-1]
	if last[0] != "verdict" || last[1] != "fail" || last[2] != "1 error" {
		t.Fatalf("last row %v", last)
	}
	for _, row := range rows {
		if len(row) != len(spcheck.TableHeader()) {
			t.Fatalf("row %v", row)
		}
	}
}

func BenchmarkDiagnose(b *testing.B) {
	r := healthy()
	refused(50076, true)(&r)
	r.Trust.Addresses = []spcheck.AddressTrust{{IP: "198.51.100.7", Family: egress.IPv4}}
	for b.Loop() {
		spcheck.Diagnose(r, now)
	}
}
