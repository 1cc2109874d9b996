package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tenantops/tenantops/functions/aws/lambdatest"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
)

// Binaries are built once per test process.
var bins struct{ handler, bootstrap string }

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "tenantops-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		bins.handler = filepath.Join(dir, "handler")
		bins.bootstrap = filepath.Join(dir, "bootstrap")
		if err := Build(ctx, "./functions/cmd/handler", bins.handler); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := Build(ctx, "./functions/cmd/bootstrap", bins.bootstrap, "-tags", "lambda.norpc"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// hostRequest imitates what the Functions host forwards: the original
// request plus the host's invocation headers.
func hostRequest(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", "5f5e5b29-3c6b-4b8f-8f0e-7b0f8cc2a6e1")
	req.Header.Set("X-Azure-Functions-HostVersion", "4.1037.0")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1037.0")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	return req
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestHandlerWithEmbeddedDevTenant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartHandler(ctx, bins.handler, BaseEnv(map[string]string{"TENANTOPS_DEV": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	status, body := do(t, hostRequest(t, p.URL+"/api/sessions/revoke", `{"users":["adele.vance@contoso.com"],"reason":"e2e"}`))
	if status != 200 {
		t.Fatalf("status %d: %s\n%s", status, body, p.Stderr())
	}
	var res struct {
		Rows []struct{ User, Status string }
	}
	if err := json.Unmarshal(body, &res); err != nil || len(res.Rows) != 1 || res.Rows[0].Status != "revoked" {
		t.Fatalf("result %s (%v)", body, err)
	}
	if !p.WaitStderr(`"audit":true`, 5*time.Second) || !p.WaitStderr("5f5e5b29-3c6b-4b8f-8f0e-7b0f8cc2a6e1", 5*time.Second) {
		t.Fatalf("no audit line or invocation id in the handler log:\n%s", p.Stderr())
	}

	bad := []struct{ name, body, code string }{
		{"not json", `{"users":`, "invalidJSON"},
		{"empty body", ``, "emptyBody"},
		{"unknown field", `{"user":["adele.vance@contoso.com"]}`, "invalidJSON"},
		{"wrong type", `{"users":"adele.vance@contoso.com"}`, "invalidJSON"},
		{"no users", `{"users":[]}`, "noTarget"},
		{"malformed upn", `{"users":["adele"]}`, "invalidUser"},
		{"trailing data", `{"users":["adele.vance@contoso.com"]} {}`, "invalidJSON"},
		{"all without confirmation", `{"all":true,"reason":"incident"}`, "confirmationRequired"},
		{"all without reason", `{"all":true,"confirmAll":true}`, "reasonRequired"},
		{"two selections", `{"users":["adele.vance@contoso.com"],"group":"Operations"}`, "conflictingTargets"},
		{"unknown group", `{"group":"No Such Group"}`, "groupNotFound"},
		{"bad continuation", `{"group":"Operations","continuation":"xyz"}`, "invalidContinuation"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, hostRequest(t, p.URL+"/api/sessions/revoke", tt.body))
			var e struct {
				Error struct{ Code, Message string }
			}
			if status != 400 || json.Unmarshal(body, &e) != nil || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("got %d %s, want 400 with code %s", status, body, tt.code)
			}
		})
	}
	req := hostRequest(t, p.URL+"/api/sessions/revoke", "{}")
	req.Method = http.MethodGet
	if status, body := do(t, req); status != http.StatusMethodNotAllowed && status != http.StatusNotFound {
		t.Fatalf("GET on a POST route = %d %s", status, body)
	}
}

// devTenant starts an in-process dev tenant and returns the environment
// that points a door at it, as `tenantops devtenant serve` prints it.
func devTenant(t *testing.T) (*devtenant.Tenant, map[string]string) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, dt.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dt, devmode.Env(dt, ca)
}

func functionURLEvent(body string) []byte {
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        "/api/sessions/revoke",
		Headers:        map[string]string{"content-type": "application/json"},
		Body:           body,
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST", Path: "/api/sessions/revoke", SourceIP: "198.51.100.23"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func invokeLambda(t *testing.T, rt *lambdatest.Runtime, body string) events.LambdaFunctionURLResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := rt.Invoke(ctx, functionURLEvent(body))
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

func TestBootstrapThroughRuntimeAPI(t *testing.T) {
	dt, env := devTenant(t)
	rt := lambdatest.NewRuntime()
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartBootstrap(ctx, bins.bootstrap, BaseEnv(env), rt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	before, _ := dt.User("alex.wilber@contoso.com")
	resp := invokeLambda(t, rt, `{"users":["alex.wilber@contoso.com"]}`)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"status":"revoked"`) {
		t.Fatalf("response %+v\n%s", resp, p.Stderr())
	}
	after, _ := dt.User("alex.wilber@contoso.com")
	if after.RevokeCount != before.RevokeCount+1 {
		t.Fatalf("dev tenant saw %d revocations, want %d", after.RevokeCount, before.RevokeCount+1)
	}
	resp = invokeLambda(t, rt, `{"users":"nope"}`)
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `"invalidJSON"`) {
		t.Fatalf("bad body answered %+v", resp)
	}
}

// TestDoorsAgree sends one request through the CLI, the Azure handler and the
// Lambda bootstrap, all against one dev tenant, and compares the JSON.
func TestDoorsAgree(t *testing.T) {
	dt, env := devTenant(t)
	users := []string{"adele.vance@contoso.com", "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "breakglass01@contoso.com", "nobody@contoso.com"}
	reqBody, _ := json.Marshal(map[string]any{"users": users, "reason": "door parity"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// CLI, in-process, reading the same settings from its environment.
	ios, _, stdout, stderr := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
	args := []string{"-o", "json", "sessions", "revoke", "--reason", "door parity"}
	for _, u := range users {
		args = append(args, "--user", u)
	}
	if code := root.Main(ctx, f, args); code != cmdutil.ExitProblem { // nobody@ is a failed row
		t.Fatalf("CLI exit %d\n%s", code, stderr)
	}
	cli := stdout.Bytes()

	h, err := StartHandler(ctx, bins.handler, BaseEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	status, azureBody := do(t, hostRequest(t, h.URL+"/api/sessions/revoke", string(reqBody)))
	if status != 200 {
		t.Fatalf("handler %d %s", status, azureBody)
	}

	rt := lambdatest.NewRuntime()
	defer rt.Close()
	b, err := StartBootstrap(ctx, bins.bootstrap, BaseEnv(env), rt)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	awsBody := []byte(invokeLambda(t, rt, string(reqBody)).Body)

	var c, a, l any
	for _, x := range []struct {
		raw []byte
		v   *any
	}{{cli, &c}, {azureBody, &a}, {awsBody, &l}} {
		if err := json.Unmarshal(x.raw, x.v); err != nil {
			t.Fatalf("not JSON: %s", x.raw)
		}
	}
	if !reflect.DeepEqual(c, a) || !reflect.DeepEqual(a, l) {
		t.Fatalf("doors disagree:\nCLI:    %s\nAzure:  %s\nLambda: %s", compact(cli), compact(azureBody), compact(awsBody))
	}
	st, _ := dt.User("adele.vance@contoso.com")
	if st.RevokeCount != 3 {
		t.Fatalf("adele revoked %d times by three doors, want 3", st.RevokeCount)
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	_ = json.Compact(&buf, b)
	return buf.String()
}
