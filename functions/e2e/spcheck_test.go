package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tenantops/tenantops/functions/aws/lambdatest"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devtenant"
)

// TestSharePointCheckDoorsAgree runs the same SharePoint check through the
// CLI (-o json), the Azure handler (POST /api/sharepoint/check) and the
// Lambda bootstrap, against one dev tenant, and compares the JSON once the
// parts that differ run to run (latencies, token times, trace ids) are masked.
func TestSharePointCheckDoorsAgree(t *testing.T) {
	dt, env := devTenant(t)
	// Three doors in a row share the tenant's Conditional Access budget (1/s,
	// 429 without Retry-After, so the SDK backs off 3 s): parity is the subject
	// here, not throttling, so widen the budget.
	limits := dt.ThrottleLimits()
	limits.ConditionalAccess = 100
	dt.SetThrottleLimits(limits)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h, err := StartHandler(ctx, bins.handler, BaseEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	rt := lambdatest.NewRuntime()
	defer rt.Close()
	b, err := StartBootstrap(ctx, bins.bootstrap, BaseEnv(env), rt)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()

	cases := []struct {
		name, egressIP, credential string
		code                       int
		verdict                    string
	}{
		{"certificate from the trusted IP", devtenant.DefaultEgressIP, "workflow-engine-cert", cmdutil.ExitOK, "pass"},
		{"password from an untrusted IP", devtenant.UntrustedEgressIP, "svc-sharepoint-password", cmdutil.ExitProblem, "fail"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := dt.SetEgressIP(tc.egressIP); err != nil {
				t.Fatal(err)
			}
			site := devtenant.OperationsSiteURL
			body, _ := json.Marshal(map[string]any{"site": site, "credential": tc.credential})

			ios, _, stdout, stderr := iostreams.Test()
			f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
			if code := root.Main(ctx, f, []string{"-o", "json", "sharepoint", "check", "--site", site, "--credential", tc.credential}); code != tc.code {
				t.Fatalf("CLI exit %d, want %d\n%s", code, tc.code, stderr)
			}
			cli := stdout.Bytes()

			status, azureBody := do(t, hostRequest(t, h.URL+"/api/sharepoint/check", string(body)))
			if status != http.StatusOK {
				t.Fatalf("handler %d %s", status, azureBody)
			}
			resp := invokeEvent(t, rt, lambdaEvent(http.MethodPost, "/api/sharepoint/check", "", string(body)))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("lambda %d %s", resp.StatusCode, resp.Body)
			}
			assertSame(t, cli, azureBody, []byte(resp.Body))
			var res struct{ Verdict string }
			_ = json.Unmarshal(cli, &res)
			if res.Verdict != tc.verdict {
				t.Fatalf("verdict %s, want %s", res.Verdict, tc.verdict)
			}
		})
	}

	t.Run("egress", func(t *testing.T) {
		if err := dt.SetEgressIP(devtenant.UntrustedEgressIP); err != nil {
			t.Fatal(err)
		}
		ios, _, stdout, stderr := iostreams.Test()
		f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
		if code := root.Main(ctx, f, []string{"-o", "json", "egress", "trusted", "--expect-ip", "203.0.113.10"}); code != cmdutil.ExitOK {
			t.Fatalf("CLI exit %d\n%s", code, stderr)
		}
		req := hostRequest(t, h.URL+"/api/egress?expectIp=203.0.113.10", "")
		req.Method = http.MethodGet
		status, azureBody := do(t, req)
		if status != http.StatusOK {
			t.Fatalf("handler %d %s", status, azureBody)
		}
		resp := invokeEvent(t, rt, lambdaEvent(http.MethodGet, "/api/egress", "expectIp=203.0.113.10", ""))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("lambda %d %s", resp.StatusCode, resp.Body)
		}
		assertSame(t, stdout.Bytes(), azureBody, []byte(resp.Body))
		if !strings.Contains(string(azureBody), `"egress-ip-untrusted"`) || !strings.Contains(string(azureBody), `"egress-ip-unexpected"`) {
			t.Fatalf("egress answer lacks the findings: %s", azureBody)
		}
	})

	t.Run("bad input is a 400 on both doors", func(t *testing.T) {
		for _, bad := range []struct{ body, code string }{
			{`{"site":"https://contoso.sharepoint.com/sites/operations"}`, "noCredential"},
			{`{"site":"http://contoso.sharepoint.com","credential":"x"}`, "invalidSite"},
			{`{"site":"https://contoso.sharepoint.com","credential":"x","expectIp":"nope"}`, "invalidIP"},
			{`{"site":"https://contoso.sharepoint.com","credential":"x","bogus":1}`, "invalidJSON"},
		} {
			status, got := do(t, hostRequest(t, h.URL+"/api/sharepoint/check", bad.body))
			resp := invokeEvent(t, rt, lambdaEvent(http.MethodPost, "/api/sharepoint/check", "", bad.body))
			for _, r := range []struct {
				status int
				body   string
			}{{status, string(got)}, {resp.StatusCode, resp.Body}} {
				var e struct{ Error struct{ Code string } }
				if r.status != http.StatusBadRequest || json.Unmarshal([]byte(r.body), &e) != nil || e.Error.Code != bad.code {
					t.Errorf("%s: got %d %s, want 400 %s", bad.body, r.status, r.body, bad.code)
				}
			}
		}
		req := hostRequest(t, h.URL+"/api/egress?ip=not-an-ip", "")
		req.Method = http.MethodGet
		if status, got := do(t, req); status != http.StatusBadRequest || !strings.Contains(string(got), "invalidIP") {
			t.Errorf("GET /api/egress?ip=not-an-ip = %d %s", status, got)
		}
	})
}

func lambdaEvent(method, path, query, body string) []byte {
	ev := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: path, RawQueryString: query, Body: body,
		Headers:        map[string]string{"content-type": "application/json"},
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "198.51.100.23"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func invokeEvent(t *testing.T, rt *lambdatest.Runtime, ev []byte) events.LambdaFunctionURLResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := rt.Invoke(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if r.IsError {
		t.Fatalf("invocation error: %s", r.Payload)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", r.Payload, err)
	}
	return resp
}

// assertSame compares the three doors' JSON after masking what legitimately
// differs between two runs of one check.
func assertSame(t *testing.T, cli, azure, lambda []byte) {
	t.Helper()
	var c, a, l any
	for _, x := range []struct {
		raw []byte
		v   *any
	}{{cli, &c}, {azure, &a}, {lambda, &l}} {
		if err := json.Unmarshal(x.raw, x.v); err != nil {
			t.Fatalf("not JSON: %s", x.raw)
		}
		*x.v = mask(*x.v, "")
	}
	if !reflect.DeepEqual(c, a) || !reflect.DeepEqual(a, l) {
		t.Fatalf("doors disagree:\nCLI:    %s\nAzure:  %s\nLambda: %s", compact(cli), compact(azure), compact(lambda))
	}
}

var (
	msRE    = regexp.MustCompile(`\d+ ms\b`)
	traceRE = regexp.MustCompile(`(trace id|correlation id) [0-9a-f-]{36}`)
)

func mask(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = mask(e, k)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = mask(e, key)
		}
		return x
	case string:
		switch key {
		case "iat", "exp", "requestId", "traceId", "correlationId", "timestamp":
			return "*"
		}
		return traceRE.ReplaceAllString(msRE.ReplaceAllString(x, "N ms"), "$1 *")
	case float64:
		if key == "latencyMs" {
			return 0.0
		}
	}
	return v
}
