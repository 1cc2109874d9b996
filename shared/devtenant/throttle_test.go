package devtenant_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestDefaultThrottleLimitsBySize(t *testing.T) {
	for _, tc := range []struct{ users, ru int }{{10, 3500}, {49, 3500}, {50, 5000}, {500, 5000}, {501, 8000}, {100000, 8000}} {
		if got := devtenant.DefaultThrottleLimits(tc.users).DirectoryRU; got != tc.ru {
			t.Errorf("users=%d: RU %d, want %d", tc.users, got, tc.ru)
		}
	}
	l := devtenant.DefaultThrottleLimits(10)
	if l.AppTenantWrites != 3000 || l.AppTenantWritesWindow != 150*time.Second || l.TenantWrites != 18000 ||
		l.TenantWritesWindow != 300*time.Second || l.Reports != 5 || l.ReportsWindow != 10*time.Second ||
		l.ConditionalAccess != 1 || l.ConditionalAccessWindow != time.Second {
		t.Errorf("defaults = %+v", l)
	}
}

func TestResourceUnitHeader(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	g := "https://graph.microsoft.com/v1.0/"
	ops := devtenant.StableID("group", "Operations")
	for _, tc := range []struct {
		path, want string
	}{
		{"users", "2"},
		{"users?$select=id", "1"},
		{"users?$select=id&$top=5", "1"},
		{"users/adele.vance@contoso.com", "1"},
		{"groups/" + ops + "/transitiveMembers", "5"},
		{"groups/" + ops + "/transitiveMembers?$select=id", "4"},
	} {
		resp, _ := c.do("GET", g+tc.path, tok, "")
		if got := resp.Header.Get("x-ms-resource-unit"); got != tc.want {
			t.Errorf("%s: x-ms-resource-unit %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestThrottleDirectoryRU(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	lim := devtenant.DefaultThrottleLimits(dt.UserCount())
	lim.DirectoryRU = 5 // 5 RU per 10 s → 0.5 RU/s
	dt.SetThrottleLimits(lim)
	c := newRaw(t, dt)
	tok := c.adminGraph()
	u := "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com"
	for i := range 5 {
		if resp, b := c.do("GET", u, tok, ""); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	resp, b := c.do("GET", u, tok, "")
	if resp.StatusCode != 429 {
		t.Fatalf("6th request: %d", resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2", ra)
	}
	if s := resp.Header.Get("x-ms-throttle-scope"); s != "Tenant_Application/ReadWrite/"+devtenant.AdminClientID+"/"+devtenant.TenantID {
		t.Errorf("x-ms-throttle-scope = %q", s)
	}
	if i := resp.Header.Get("x-ms-throttle-information"); i != "ResourceUnitLimitExceeded" {
		t.Errorf("x-ms-throttle-information = %q", i)
	}
	for _, want := range []string{`"code":"TooManyRequests"`, `"message":"Please retry again later."`, `"status":"429"`, `"request-id"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("429 body lacks %s: %s", want, b)
		}
	}
	// Another app has its own application+tenant bucket.
	rpt := c.token(devtenant.ReportingAppID, devtenant.ReportingClientSecret, "https://graph.microsoft.com/.default")
	if resp, _ := c.do("GET", u, rpt, ""); resp.StatusCode != 200 {
		t.Errorf("other app throttled: %d", resp.StatusCode)
	}
	clock.Advance(2 * time.Second)
	if resp, _ := c.do("GET", u, tok, ""); resp.StatusCode != 200 {
		t.Errorf("after Retry-After: %d", resp.StatusCode)
	}
	// Fractional Retry-After.
	lim.FractionalRetryAfter = true
	dt.SetThrottleLimits(lim)
	for range 5 {
		c.do("GET", u, tok, "")
	}
	resp, _ = c.do("GET", u, tok, "")
	if ra := resp.Header.Get("Retry-After"); resp.StatusCode != 429 || ra != "2.000" {
		t.Errorf("fractional Retry-After: %d %q", resp.StatusCode, ra)
	}
}

func TestThrottleWrites(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now, Fixture: fixtureWithSecondWriter(clock.Now())})
	lim := devtenant.DefaultThrottleLimits(dt.UserCount())
	lim.AppTenantWrites, lim.TenantWrites = 3, 4
	dt.SetThrottleLimits(lim)
	c := newRaw(t, dt)
	tok := c.adminGraph()
	revoke := func(tok string) (int, string) {
		resp, _ := c.do("POST", "https://graph.microsoft.com/v1.0/users/alex.wilber@contoso.com/revokeSignInSessions", tok, "")
		return resp.StatusCode, resp.Header.Get("x-ms-throttle-information") + " " + resp.Header.Get("x-ms-throttle-scope")
	}
	for i := range 3 {
		if st, _ := revoke(tok); st != 200 {
			t.Fatalf("write %d: %d", i, st)
		}
	}
	if st, info := revoke(tok); st != 429 || !strings.HasPrefix(info, "WriteLimitExceeded Tenant_Application/Write/") {
		t.Errorf("4th write: %d %s", st, info)
	}
	// Reads are still allowed while writes are throttled.
	if resp, _ := c.do("GET", "https://graph.microsoft.com/v1.0/users/alex.wilber@contoso.com", tok, ""); resp.StatusCode != 200 {
		t.Errorf("read while write-throttled: %d", resp.StatusCode)
	}
	// A second writer app has its own app+tenant budget but shares the
	// tenant-wide one (4): one more write fits, the next is throttled.
	tok2 := c.token(secondWriterID, secondWriterSecret, "https://graph.microsoft.com/.default")
	if st, _ := revoke(tok2); st != 200 {
		t.Fatalf("second app first write: %d", st)
	}
	if st, info := revoke(tok2); st != 429 || !strings.HasPrefix(info, "WriteLimitExceeded Tenant/Write/") {
		t.Errorf("tenant write budget: %d %s", st, info)
	}
	clock.Advance(150 * time.Second)
	if st, _ := revoke(tok); st != 200 {
		t.Errorf("after the window: %d", st)
	}
}

const (
	secondWriterID     = "0c4f6a8e-2b1d-4e3f-9a7c-5d8e1f2a3b4c"
	secondWriterSecret = "second-writer.dev-only.secret"
)

// fixtureWithSecondWriter is Contoso plus an app that may write users.
func fixtureWithSecondWriter(now time.Time) *devtenant.Fixture {
	fx := devtenant.ContosoAt(now)
	fx.Apps = append(fx.Apps, devtenant.App{
		AppID: secondWriterID, DisplayName: "second writer",
		AppRoles:  map[string][]string{devtenant.ResourceGraph: {"Directory.ReadWrite.All"}},
		Passwords: []devtenant.PasswordCredential{{DisplayName: "s", Secret: secondWriterSecret, Start: now.Add(-time.Hour), End: now.Add(24 * time.Hour)}},
	})
	return fx
}

func TestThrottleSDKRetry(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	// A scripted 429 with Retry-After: 0 on a PATCH with a body: kiota retries
	// and the body arrives intact (no request compression in the pipeline).
	dt.Inject("PATCH /v1.0/users/*", devtenant.Fault{Status: 429, RetryAfter: "0"})
	patch := models.NewUser()
	title := "Lead"
	patch.SetJobTitle(&title)
	if _, err := client.Users().ByUserId("alex.wilber@contoso.com").Patch(context.Background(), patch, nil); err != nil {
		t.Fatalf("patch with retry: %v", err)
	}
	if n := dt.Count("PATCH /v1.0/users/*"); n != 2 {
		t.Errorf("PATCH attempts = %d, want 2", n)
	}
	// Exhausted budget without Retry-After handling: kiota gives up after 3 retries.
	dt.Inject("GET /v1.0/users/*", devtenant.Fault{Status: 429, RetryAfter: "0"}, devtenant.Fault{Status: 429, RetryAfter: "0"},
		devtenant.Fault{Status: 429, RetryAfter: "0"}, devtenant.Fault{Status: 429, RetryAfter: "0"})
	_, err := client.Users().ByUserId("alex.wilber@contoso.com").Get(context.Background(), nil)
	if st, code := odataCode(err); st != 429 || code != "TooManyRequests" {
		t.Errorf("after 4×429: %d %q %v", st, code, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unexpected deadline")
	}
}
