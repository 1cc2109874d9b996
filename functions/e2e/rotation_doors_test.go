package e2e

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/tenantops/tenantops/shared/devtenant"
)

// Captured host payloads (functions/azure/testdata): a timer with the
// schedule monitor off, and one on its first run (.NET MinValue, no offset).
const (
	timerStatusNull = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"RotateCredentials","UtcNow":"2026-11-22T03:00:00.0104337Z","RandGuid":"0b6cf2a6-52c3-4a1f-9d0e-2f5c6a8b7e41"}}}`
	timerFirstRun   = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"2026-11-22T03:00:00+00:00","LastUpdated":"2026-11-22T02:58:11.403838+00:00"},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"RotateCredentials","UtcNow":"2026-11-22T03:00:00.46239Z","RandGuid":"fa3b2fbc-26ed-4fcb-be75-82db8773b519"}}}`
)

// nearExpiryEnvelope is an eventGridTrigger invocation for a Key Vault
// SecretNearExpiry event, the event handed over as a JSON string (as the host
// does for string-typed binding data).
func nearExpiryEnvelope(secret, version string) string {
	ev := map[string]any{
		"id":              "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
		"topic":           "/subscriptions/6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c/resourceGroups/tenantops/providers/Microsoft.KeyVault/vaults/contoso-ops",
		"subject":         secret,
		"eventType":       "Microsoft.KeyVault.SecretNearExpiry",
		"eventTime":       "2026-11-22T01:08:33.1036736Z",
		"dataVersion":     "1",
		"metadataVersion": "1",
		"data": map[string]any{
			"Id":         "https://contoso-ops.vault.azure.net/secrets/" + secret + "/" + version,
			"VaultName":  "contoso-ops",
			"ObjectType": "Secret",
			"ObjectName": secret,
			"Version":    version,
			"NBF":        nil,
			"EXP":        "1796342400",
		},
	}
	b, _ := json.Marshal(ev)
	env, _ := json.Marshal(map[string]any{
		"Data":     map[string]any{"event": string(b)},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": "SecretNearExpiry", "UtcNow": "2026-11-22T01:08:34Z"}},
	})
	return string(env)
}

func latestVersion(t *testing.T, dt *devtenant.Tenant, name string) devtenant.SecretVersionState {
	t.Helper()
	s, ok := dt.VaultSecret("contoso-ops", name)
	if !ok {
		t.Fatalf("no secret %s", name)
	}
	return s.Versions[len(s.Versions)-1]
}

type invokeResponse struct {
	Outputs map[string]any
	Logs    []string
}

// TestRotationThroughAzureHandler drives the real custom handler as the
// Functions host would: the timer (null ScheduleStatus, then MinValue), the
// Event Grid function (current, then stale version) and the forwarded HTTP route.
func TestRotationThroughAzureHandler(t *testing.T) {
	dt, env := devTenant(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := StartHandler(ctx, bins.handler, BaseEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	invoke := func(fn, body string) invokeResponse {
		t.Helper()
		status, b := do(t, hostRequest(t, p.URL+"/"+fn, body))
		var r invokeResponse
		if status != 200 || json.Unmarshal(b, &r) != nil || r.Outputs == nil {
			t.Fatalf("%s: %d %s\n%s", fn, status, b, p.Stderr())
		}
		return r
	}

	// Both fixture credentials are due (expiring in 20 days / 170 days old).
	r := invoke("RotateCredentials", timerStatusNull)
	var pass struct {
		Summary struct{ Secrets, Rotated, Failed int }
	}
	if len(r.Logs) != 1 || json.Unmarshal([]byte(r.Logs[0]), &pass) != nil || pass.Summary.Rotated != 2 || pass.Summary.Failed != 0 {
		t.Fatalf("timer pass: %v", r.Logs)
	}
	app := latestVersion(t, dt, "workflow-engine-secret")
	if app.Tags["tenantops-rotation-id"] == "" || app.Tags["tenantops-key-id"] == "" {
		t.Fatalf("not rotated: %v", app.Tags)
	}
	if _, ok := dt.ClientSecretValid(devtenant.WorkflowEngineAppID, app.Value); !ok {
		t.Fatal("the published secret does not authenticate")
	}
	pw := latestVersion(t, dt, "svc-sharepoint-password")
	if !dt.CheckUserPassword(devtenant.SvcSharePointUPN, pw.Value) {
		t.Fatal("the account's password is not the one in Key Vault")
	}
	// Next tick (first-run payload): nothing due.
	r = invoke("RotateCredentials", timerFirstRun)
	if len(r.Logs) != 1 || json.Unmarshal([]byte(r.Logs[0]), &pass) != nil || pass.Summary.Rotated != 0 {
		t.Fatalf("second pass: %v", r.Logs)
	}

	// SecretNearExpiry for the current version rotates; redelivered, it is stale.
	ev := nearExpiryEnvelope("workflow-engine-secret", app.Version)
	for i, want := range []string{`"status":"rotated"`, `"status":"skipped"`} {
		r = invoke("SecretNearExpiry", ev)
		if len(r.Logs) != 1 || !strings.Contains(r.Logs[0], want) {
			t.Fatalf("event #%d: %v", i+1, r.Logs)
		}
	}
	if !strings.Contains(r.Logs[0], "stale event") {
		t.Fatalf("redelivery not recognised as stale: %v", r.Logs)
	}

	// The forwarded HTTP route.
	status, body := do(t, hostRequest(t, p.URL+"/api/credentials/rotate", `{"secret":"workflow-engine-secret"}`))
	if status != 200 || !strings.Contains(string(body), `"status":"rotated"`) {
		t.Fatalf("http: %d %s", status, body)
	}
	status, body = do(t, hostRequest(t, p.URL+"/api/credentials/rotate", `{"secret":"workflow-engine-secret","force":true}`))
	if status != 400 || !strings.Contains(string(body), "invalidJSON") {
		t.Fatalf("unknown field: %d %s", status, body)
	}
	if !strings.Contains(p.Stderr(), `"action":"credentials.publish"`) {
		t.Fatalf("no audit lines in the handler log:\n%s", p.Stderr())
	}
	assertNoValues(t, dt, p.Stderr()+string(body))
}

func assertNoValues(t *testing.T, dt *devtenant.Tenant, haystack string) {
	t.Helper()
	for _, name := range []string{"workflow-engine-secret", "svc-sharepoint-password"} {
		s, _ := dt.VaultSecret("contoso-ops", name)
		for _, v := range s.Versions {
			if strings.Contains(haystack, v.Value) {
				t.Fatalf("a value of %s appears in the output", name)
			}
		}
	}
}

func credentialsURLEvent(body string) []byte {
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        "/api/credentials/rotate",
		Headers:        map[string]string{"content-type": "application/json"},
		Body:           body,
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST", Path: "/api/credentials/rotate", SourceIP: "198.51.100.23"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func invokeRaw(t *testing.T, rt *lambdatest.Runtime, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := rt.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if r.IsError {
		t.Fatalf("invocation error: %s", r.Payload)
	}
	return r.Payload
}

// TestRotationThroughLambda: an EventBridge schedule runs the due pass; a
// Function URL request rotates one secret.
func TestRotationThroughLambda(t *testing.T) {
	dt, env := devTenant(t)
	rt := lambdatest.NewRuntime()
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := StartBootstrap(ctx, bins.bootstrap, BaseEnv(env), rt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	scheduled, err := os.ReadFile(filepath.Join("..", "aws", "testdata", "eventbridge-scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pass struct {
		Summary struct{ Rotated, Failed int }
		Rows    []struct{ Secret, Status string }
	}
	out := invokeRaw(t, rt, scheduled)
	if err := json.Unmarshal(out, &pass); err != nil || pass.Summary.Rotated != 2 || pass.Summary.Failed != 0 {
		t.Fatalf("scheduled pass: %s\n%s", out, p.Stderr())
	}
	before := latestVersion(t, dt, "workflow-engine-secret")
	var resp events.LambdaFunctionURLResponse
	out = invokeRaw(t, rt, credentialsURLEvent(`{"secret":"workflow-engine-secret"}`))
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"status":"rotated"`) {
		t.Fatalf("function URL: %s", out)
	}
	after := latestVersion(t, dt, "workflow-engine-secret")
	if after.Version == before.Version {
		t.Fatal("no new version")
	}
	out = invokeRaw(t, rt, credentialsURLEvent(`{"secret":""}`))
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, "noSecret") {
		t.Fatalf("bad request: %s", out)
	}
	assertNoValues(t, dt, p.Stderr()+string(out))
}

// TestRotationDoorsAgree: a dry-run rotation through the CLI, the Azure
// handler and the Lambda bootstrap answers the same JSON.
func TestRotationDoorsAgree(t *testing.T) {
	_, env := devTenant(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	body := `{"secret":"workflow-engine-secret","dryRun":true}`

	ios, _, stdout, stderr := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
	if code := root.Main(ctx, f, []string{"--dry-run", "-o", "json", "credentials", "rotate", "--secret", "workflow-engine-secret"}); code != 0 {
		t.Fatalf("CLI exit %d\n%s", code, stderr)
	}
	cli := stdout.Bytes()

	h, err := StartHandler(ctx, bins.handler, BaseEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	status, azureBody := do(t, hostRequest(t, h.URL+"/api/credentials/rotate", body))
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
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(invokeRaw(t, rt, credentialsURLEvent(body)), &resp); err != nil {
		t.Fatal(err)
	}
	var c, a, l any
	for _, x := range []struct {
		raw []byte
		v   *any
	}{{cli, &c}, {azureBody, &a}, {[]byte(resp.Body), &l}} {
		if err := json.Unmarshal(x.raw, x.v); err != nil {
			t.Fatalf("not JSON: %s", x.raw)
		}
	}
	if !reflect.DeepEqual(c, a) || !reflect.DeepEqual(a, l) {
		t.Fatalf("doors disagree:\nCLI:    %s\nAzure:  %s\nLambda: %s", compact(cli), compact(azureBody), resp.Body)
	}
	if m, _ := c.(map[string]any); m["status"] != "would-rotate" {
		t.Fatalf("dry-run answered %s", fmt.Sprint(c))
	}
}
