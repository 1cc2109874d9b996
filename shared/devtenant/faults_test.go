package devtenant_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestFaultScriptSDK(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()
	// 503 and 504 with Retry-After: 0 are retried by kiota; 500 is not.
	dt.Inject("GET /v1.0/users/*", devtenant.Fault{Status: 503, RetryAfter: "0"}, devtenant.Fault{Status: 504, RetryAfter: "0"})
	if _, err := client.Users().ByUserId("adele.vance@contoso.com").Get(ctx, nil); err != nil {
		t.Fatalf("get after 503/504: %v", err)
	}
	if n := dt.Count("GET /v1.0/users/*"); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
	if dt.PendingFaults() != 0 {
		t.Errorf("script not consumed")
	}
	dt.Inject("GET /v1.0/users/*", devtenant.Fault{Status: 500})
	_, err := client.Users().ByUserId("adele.vance@contoso.com").Get(ctx, nil)
	if st, _ := odataCode(err); st != 500 {
		t.Errorf("500: %v", err)
	}
	// Token endpoint faults: azidentity retries 503 itself.
	dt.Inject("POST /*/oauth2/v2.0/token", devtenant.Fault{Status: 503})
	cred := secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret)
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err != nil {
		t.Errorf("token after 503: %v", err)
	}
	faulted := 0
	for _, r := range dt.Requests() {
		if r.Fault != "" {
			faulted++
		}
	}
	if faulted != 4 {
		t.Errorf("requests with a fault = %d, want 4", faulted)
	}
}

func TestFaultDropHangLatency(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	u := "https://graph.microsoft.com/v1.0/users/adele.vance@contoso.com"
	get := func(timeout time.Duration) error {
		hc := &http.Client{Transport: c.tr, Timeout: timeout}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	dt.Inject("GET graph.microsoft.com/v1.0/users/*", devtenant.Fault{Drop: true})
	if err := get(10 * time.Second); err == nil {
		t.Errorf("dropped connection: no error")
	}
	dt.Inject("GET /v1.0/users/*", devtenant.Fault{Hang: true})
	if err := get(200 * time.Millisecond); err == nil {
		t.Errorf("hung request: no error")
	}
	if err := get(10 * time.Second); err != nil {
		t.Errorf("after faults: %v", err)
	}
	id := dt.SetLatency("GET /v1.0/users/*", 30*time.Millisecond)
	if err := get(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	dt.RemoveFault(id)
	reqs := dt.Requests()
	last := reqs[len(reqs)-1]
	if last.Duration < 30*time.Millisecond {
		t.Errorf("latency not applied: %v", last.Duration)
	}
	dropped := 0
	for _, r := range reqs {
		if r.Status == 0 {
			dropped++
		}
	}
	if dropped != 2 {
		t.Errorf("requests logged without status = %d, want 2", dropped)
	}
}

func TestFaultRate(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	id := dt.InjectRate("GET api.ipify.org/**", 0.3, devtenant.Fault{Status: 502})
	failures := 0
	for range 200 {
		resp, _ := c.do("GET", "https://api.ipify.org/", "", "")
		if resp.StatusCode == 502 {
			failures++
		}
	}
	dt.RemoveFault(id)
	if failures < 30 || failures > 90 {
		t.Errorf("failures = %d of 200 at rate 0.3", failures)
	}
	t.Logf("rate 0.3: %d/200 failed", failures)
	if _, err := dt.AddFaultRule(devtenant.FaultRule{Match: "GET"}); err == nil {
		t.Errorf("malformed rule accepted")
	}
	if _, err := dt.AddFaultRule(devtenant.FaultRule{Match: "GET /x", Rate: 2}); err == nil {
		t.Errorf("rate 2 accepted")
	}
}
