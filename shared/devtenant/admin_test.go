package devtenant_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// direct returns a client that talks to https://127.0.0.1:PORT itself.
func direct(t testing.TB, dt *devtenant.Tenant) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: dt.CertPool()}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func adminCall(t testing.TB, hc *http.Client, dt *devtenant.Tenant, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, dt.URL()+path, rd)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestAdminAPI(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	hc := direct(t, dt)
	c := newRaw(t, dt)
	c.adminGraph() // one sign-in + request

	st, b := adminCall(t, hc, dt, "GET", "/_devtenant/state", "")
	if st != 200 {
		t.Fatalf("state: %d %s", st, b)
	}
	for _, secret := range []string{devtenant.AdminClientSecret, devtenant.WorkflowEngineSecret, devtenant.ReportingClientSecret,
		devtenant.DevUserPassword, devtenant.SvcSharePointPassword} {
		if strings.Contains(string(b), secret) {
			t.Errorf("state dump contains a secret value (%s…)", secret[:3])
		}
	}
	var state devtenant.StateDump
	if err := json.Unmarshal(b, &state); err != nil {
		t.Fatal(err)
	}
	if state.TenantID != devtenant.TenantID || state.UserCount != dt.UserCount() || len(state.Users) != dt.UserCount() {
		t.Errorf("state: %s %d users", state.TenantID, state.UserCount)
	}
	var admin *devtenant.AppSummary
	for i := range state.Apps {
		if state.Apps[i].AppID == devtenant.AdminClientID {
			admin = &state.Apps[i]
		}
	}
	if admin == nil || len(admin.PasswordCredentials) != 1 || admin.PasswordCredentials[0].Hint != devtenant.AdminClientSecret[:3] {
		t.Errorf("admin app summary: %+v", admin)
	}
	if _, b := adminCall(t, hc, dt, "GET", "/_devtenant/state?users=2", ""); strings.Count(string(b), `"userPrincipalName"`) != 2 {
		t.Errorf("users=2 not honoured")
	}

	// Faults via the admin API.
	if st, b := adminCall(t, hc, dt, "POST", "/_devtenant/faults", `{"match":"GET api.ipify.org/**","script":[{"status":503,"retryAfter":"0"}]}`); st != 201 {
		t.Fatalf("faults: %d %s", st, b)
	}
	if resp, _ := c.do("GET", "https://api.ipify.org/", "", ""); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "0" {
		t.Errorf("scripted fault via admin: %d", resp.StatusCode)
	}
	if st, _ := adminCall(t, hc, dt, "POST", "/_devtenant/faults", `{"match":"nonsense"}`); st != 400 {
		t.Errorf("bad fault accepted: %d", st)
	}
	// Clock.
	before := dt.Now()
	if st, _ := adminCall(t, hc, dt, "POST", "/_devtenant/clock/advance", `{"duration":"90m"}`); st != 200 || dt.Now().Sub(before) != 90*time.Minute {
		t.Errorf("clock advance: %d %v", st, dt.Now().Sub(before))
	}
	// Egress IP.
	if st, _ := adminCall(t, hc, dt, "PUT", "/_devtenant/egress-ip", `{"ip":"198.51.100.7"}`); st != 200 || dt.EgressIP() != "198.51.100.7" {
		t.Errorf("egress ip: %d %s", st, dt.EgressIP())
	}
	if st, _ := adminCall(t, hc, dt, "PUT", "/_devtenant/egress-ip", `{"ip":"x"}`); st != 400 {
		t.Errorf("bad egress ip: %d", st)
	}
	// Delays and throttling.
	if st, _ := adminCall(t, hc, dt, "PUT", "/_devtenant/delays", `{"secretPropagation":"30s","revocation":"5m"}`); st != 204 {
		t.Errorf("delays: %d", st)
	}
	if st, b := adminCall(t, hc, dt, "PUT", "/_devtenant/throttle-limits", `{"directoryRU":7,"directoryRUWindow":"1m"}`); st != 200 ||
		dt.ThrottleLimits().DirectoryRU != 7 || dt.ThrottleLimits().DirectoryRUWindow != time.Minute {
		t.Errorf("throttle limits: %d %s", st, b)
	}
	_, b = adminCall(t, hc, dt, "GET", "/_devtenant/state?users=0", "")
	_ = json.Unmarshal(b, &state)
	if state.SecretDelay != "30s" || state.RevocationDelay != "5m0s" || state.Throttle.DirectoryRU != 7 {
		t.Errorf("state after settings: %s %s %d", state.SecretDelay, state.RevocationDelay, state.Throttle.DirectoryRU)
	}
	// Request and sign-in logs.
	_, b = adminCall(t, hc, dt, "GET", "/_devtenant/requests", "")
	if !strings.Contains(string(b), `"Service":"entra"`) || strings.Contains(string(b), devtenant.AdminClientSecret) {
		t.Errorf("requests: %s", b)
	}
	if st, b := adminCall(t, hc, dt, "GET", "/_devtenant/ca.pem", ""); st != 200 || string(b) != string(dt.CACertPEM()) {
		t.Errorf("ca.pem: %d", st)
	}
	if st, _ := adminCall(t, hc, dt, "GET", "/_devtenant/nope", ""); st != 404 {
		t.Errorf("unknown admin endpoint: %d", st)
	}
}

func TestUnknownHost(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	hc := direct(t, dt)
	req, _ := http.NewRequest("GET", dt.URL()+"/", nil)
	req.Host = "example.com"
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("unknown host: %d", resp.StatusCode)
	}
	// Admin API is only served to loopback hosts.
	req, _ = http.NewRequest("GET", dt.URL()+"/_devtenant/state", nil)
	req.Host = "graph.microsoft.com"
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Errorf("admin API served to graph.microsoft.com")
	}
}
