package devtenant_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// ropcCode signs svc-sharepoint (or user) in with ROPC and returns the AADSTS code (0 = success).
func ropcCode(c *rawClient, user, password string) int {
	_, b := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {devtenant.SharePointSyncAppID}, "username": {user}, "password": {password},
		"scope": {"https://contoso.sharepoint.com/.default"}})
	var m struct {
		Codes []int `json:"error_codes"`
	}
	_ = json.Unmarshal(b, &m)
	if len(m.Codes) == 0 {
		return 0
	}
	return m.Codes[0]
}

func TestMutationHelpers(t *testing.T) {
	const svc, pw = devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword
	tests := []struct {
		name   string
		mutate func(t *testing.T, dt *devtenant.Tenant)
		user   string
		pw     string
		want   int
	}{
		{"baseline", func(*testing.T, *devtenant.Tenant) {}, svc, pw, 0},
		{"per-user MFA enforced, unregistered", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.SetPerUserMFAState(svc, devtenant.MFAEnforced))
		}, svc, pw, 50079},
		{"per-user MFA enabled then registered", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.SetPerUserMFAState(svc, devtenant.MFAEnabled))
			must(t, dt.RegisterMFAMethod(svc, devtenant.AuthMethod{Type: "microsoftAuthenticator", DisplayName: "Pixel"}))
			if s, _ := dt.User(svc); s.PerUserMFAState != devtenant.MFAEnforced {
				t.Errorf("state after registration = %s", s.PerUserMFAState)
			}
		}, svc, pw, 50076},
		{"disabled", func(t *testing.T, dt *devtenant.Tenant) { must(t, dt.SetUserEnabled(svc, false)) }, svc, pw, 50057},
		{"locked", func(t *testing.T, dt *devtenant.Tenant) { must(t, dt.SetUserLocked(svc, true)) }, svc, pw, 50053},
		{"unlocked", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.SetUserLocked("lidia.holloway@contoso.com", false))
		},
			"lidia.holloway@contoso.com", devtenant.DevUserPassword, 0},
		{"password expired", func(t *testing.T, dt *devtenant.Tenant) { must(t, dt.SetPasswordExpired(svc, true)) }, svc, pw, 50055},
		{"password reset", func(t *testing.T, dt *devtenant.Tenant) { must(t, dt.SetUserPassword(svc, "Another.Pass1")) }, svc, "Another.Pass1", 0},
		{"security defaults", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.SetCAPolicyState(devtenant.RequireMFAPolicyID, "disabled"))
			dt.SetSecurityDefaults(true)
		}, svc, pw, 50079},
		{"blocking policy", func(t *testing.T, dt *devtenant.Tenant) {
			dt.AddCAPolicy(devtenant.CAPolicy{DisplayName: "Block service accounts", IncludeUsers: []string{devtenant.StableID("user", svc)},
				IncludeApplications: []string{"All"}, GrantControls: []string{"block"}})
		}, svc, pw, 53003},
		{"untrusted IP made trusted", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.SetEgressIP(devtenant.UntrustedEgressIP))
			_, err := dt.AddNamedLocation(devtenant.NamedLocation{DisplayName: "DR site", Trusted: true, CIDRs: []string{"198.51.100.0/24"}})
			must(t, err)
		}, svc, pw, 0},
		{"added user", func(t *testing.T, dt *devtenant.Tenant) {
			must(t, dt.AddUser(devtenant.User{UserPrincipalName: "new.svc@contoso.com", AccountEnabled: true, Password: "New.Svc.Pass1"}))
		}, "new.svc@contoso.com", "New.Svc.Pass1", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dt := startTenant(t, devtenant.Options{})
			tc.mutate(t, dt)
			if got := ropcCode(newRaw(t, dt), tc.user, tc.pw); got != tc.want {
				t.Errorf("AADSTS%d, want %d", got, tc.want)
			}
		})
	}
}

func TestSetAppDisabled(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.token(devtenant.ReportingAppID, devtenant.ReportingClientSecret, "https://graph.microsoft.com/.default")
	must(t, dt.SetAppDisabled(devtenant.ReportingAppID, true))
	c.json("GET", "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com", tok, "", 401)
	st, b := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {devtenant.ReportingAppID}, "client_secret": {devtenant.ReportingClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	var m struct {
		Codes []int `json:"error_codes"`
	}
	_ = json.Unmarshal(b, &m)
	if st != 400 || len(m.Codes) == 0 || m.Codes[0] != 7000112 {
		t.Errorf("disabled app token: %d %s", st, b)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
