package devtenant_test

import (
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// listAll pages through /v1.0/users and returns (users, pages, peak live heap sampled every 20 pages when measure is set).
func listAll(t testing.TB, c *rawClient, tok string, measure bool) (int, int, uint64) {
	t.Helper()
	next := "https://graph.microsoft.com/v1.0/users?$top=999&$select=id,userPrincipalName,accountEnabled"
	users, pages := 0, 0
	var peak uint64
	var ms runtime.MemStats
	for next != "" {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		var page struct {
			Next  string            `json:"@odata.nextLink"`
			Value []json.RawMessage `json:"value"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("page %d: %d %v", pages, resp.StatusCode, err)
		}
		users += len(page.Value)
		pages++
		next = page.Next
		if measure && pages%20 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	return users, pages, peak
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestGenerateLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large tenant")
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	start := time.Now()
	fx := devtenant.GenerateLargeAt(100_000, now)
	genTime := time.Since(start)
	if len(fx.Users) != 100_000 {
		t.Fatalf("users = %d", len(fx.Users))
	}
	// Deterministic: the same n gives the same users.
	again := devtenant.GenerateLargeAt(100_000, now)
	for _, i := range []int{0, 57, 5000, 99_999} {
		if fx.Users[i].ID != again.Users[i].ID || fx.Users[i].UserPrincipalName != again.Users[i].UserPrincipalName {
			t.Errorf("user %d differs between runs", i)
		}
	}
	var guests, disabled, enforced, enabledUnreg int
	for _, u := range fx.Users {
		switch {
		case u.UserType == "Guest":
			guests++
		case !u.AccountEnabled:
			disabled++
		}
		if u.PerUserMFAState == devtenant.MFAEnforced {
			enforced++
		}
		if u.PerUserMFAState == devtenant.MFAEnabled && !u.MFARegistered() {
			enabledUnreg++
		}
	}
	t.Logf("GenerateLarge(100000): %v; guests %d, disabled %d, MFA enforced %d, enabled+unregistered %d", genTime, guests, disabled, enforced, enabledUnreg)
	if guests < 1000 || disabled < 1000 || enforced < 30_000 || enabledUnreg < 5000 {
		t.Errorf("unrealistic mix")
	}

	base := heapInUse()
	start = time.Now()
	dt := startTenant(t, devtenant.Options{Fixture: fx, Now: func() time.Time { return now }})
	startTime := time.Since(start)
	loaded := heapInUse()
	c := newRaw(t, dt)
	tok := c.adminGraph()
	start = time.Now()
	users, pages, peak := listAll(t, c, tok, true)
	listTime := time.Since(start)
	after := heapInUse()
	if users != 100_000 || pages != 101 {
		t.Errorf("listed %d users in %d pages", users, pages)
	}
	t.Logf("Start(100k): %v, tenant heap %.1f MB; full listing: %d pages in %v; live heap during listing peaked %.1f MB above the loaded tenant, %.1f MB after",
		startTime, float64(loaded-base)/1e6, pages, listTime, float64(peak-min(peak, loaded))/1e6, float64(after-min(after, loaded))/1e6)
}

// BenchmarkList100k measures one full paged listing of 100,000 users
// ($top=999, 101 pages) through the routed transport.
func BenchmarkList100k(b *testing.B) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	dt := startTenant(b, devtenant.Options{Fixture: devtenant.GenerateLargeAt(100_000, now), Now: func() time.Time { return now }})
	lim := devtenant.DefaultThrottleLimits(100_000)
	lim.Disabled = true
	dt.SetThrottleLimits(lim)
	c := newRaw(b, dt)
	tok := c.adminGraph()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n, _, _ := listAll(b, c, tok, false); n != 100_000 {
			b.Fatalf("listed %d", n)
		}
	}
}
