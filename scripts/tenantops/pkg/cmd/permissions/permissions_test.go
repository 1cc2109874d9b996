package permissions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/check"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/grant"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/permissions"
)

// The identity under test: an app registration that so far holds one needed
// and one unneeded Graph permission.
const (
	targetAppID  = "3c7e1a9d-5b2f-4e8a-9d6c-1f4b7a2e9c50"
	targetSecret = "target~dev-only.Permissions-Target~0001"
)

func startTenant(t *testing.T) (*devtenant.Tenant, map[string]string, string) {
	t.Helper()
	// A fixed clock keeps the fixture's dates, and so the outputs, stable.
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	fx := devtenant.ContosoAt(now)
	fx.Apps = append(fx.Apps, devtenant.App{
		AppID: targetAppID, DisplayName: "tenantops (identity under test)",
		AppRoles: map[string][]string{devtenant.ResourceGraph: {"User.Read.All", "Directory.Read.All"}},
		Passwords: []devtenant.PasswordCredential{{DisplayName: "test", Secret: targetSecret,
			Start: now.Add(-time.Hour), End: now.Add(30 * 24 * time.Hour)}},
	})
	dt, env := cmdtest.DevTenant(t, devtenant.Options{Fixture: fx, Now: func() time.Time { return now }})
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	return dt, env, dt.ServicePrincipalID(targetAppID)
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	f, stdout, stderr := cmdtest.Factory(env)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

// runTTY is run with stdout a terminal: aligned table and footer.
func runTTY(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	f, stdout, stderr := cmdtest.Factory(env)
	f.IO.SetStdoutTTY(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

func TestFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	good := "11111111-2222-3333-4444-555555555555"
	var got *grant.Options
	cmd := grant.NewCmdGrant(f, func(_ context.Context, o *grant.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--principal", good, "--operations", "sessions,signins", "--reason", "CHG-1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Req.Principal != good || !slices.Equal(got.Req.Operations, []string{"sessions", "signins"}) || got.Req.Reason != "CHG-1" {
		t.Errorf("grant options %+v", got.Req)
	}
	var gotC *check.Options
	cc := check.NewCmdCheck(f, func(_ context.Context, o *check.Options) error { gotC = o; return nil })
	cc.SetArgs([]string{"--strict"})
	if err := cc.Execute(); err != nil || !gotC.Req.Strict || gotC.Req.Principal != "" {
		t.Errorf("check options %+v %v", gotC, err)
	}

	bad := [][]string{
		{"permissions", "grant"}, // no principal
		{"permissions", "grant", "--principal", "my-identity"},
		{"permissions", "grant", "--principal", good, "--operations", "sessions.nuke"},
		{"permissions", "grant", "--principal", good, "--operations", "permissions.grant"},
		{"permissions", "check", "--operations", "nope"},
		{"permissions", "check", "--principal", "x"},
		{"permissions", "grant", "extra-arg", "--principal", good},
	}
	for _, args := range bad {
		code, _, errOut := run(t, nil, args...)
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut)
		}
	}
}

func TestGrantGolden(t *testing.T) {
	dt, env, target := startTenant(t)
	assignCalls := func() int { return dt.Count("POST /v1.0/servicePrincipals/*/appRoleAssignments") }

	// Check first: everything but User.Read.All is missing → exit 3.
	code, out, errOut := run(t, env, "permissions", "check", "--principal", target)
	if code != cmdutil.ExitProblem {
		t.Fatalf("check before grant: exit %d: %s", code, errOut)
	}
	cmdtest.Golden(t, "check-before-table", []byte(out))

	// Dry run: lists, changes nothing, audits would-assign.
	code, out, errOut = run(t, env, "--dry-run", "-o", "json", "permissions", "grant", "--principal", target)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	cmdtest.Golden(t, "grant-dry-run-json", []byte(out))
	if n := assignCalls(); n != 0 {
		t.Fatalf("dry run made %d assignments", n)
	}
	if !strings.Contains(errOut, `"outcome":"would-assign"`) {
		t.Errorf("dry run wrote no would-assign audit line: %s", errOut)
	}

	code, out, errOut = runTTY(t, env, "permissions", "grant", "--principal", target, "--reason", "CHG-1")
	if code != 0 {
		t.Fatalf("grant: exit %d: %s", code, errOut)
	}
	cmdtest.Golden(t, "grant-tty", []byte(out))
	var res permissions.Result
	assigned := 0
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, `"audit":true`) && strings.Contains(l, `"outcome":"assigned"`) && strings.Contains(l, `"reason":"CHG-1"`) {
			assigned++
		}
	}
	if n := assignCalls(); assigned != n || n == 0 {
		t.Errorf("%d audit lines for %d assignments", assigned, n)
	}
	first := assignCalls()

	// Idempotent: all already assigned, no POST.
	code, out, errOut = run(t, env, "-o", "json", "permissions", "grant", "--principal", target)
	if code != 0 {
		t.Fatalf("second grant: exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Summary.Assigned != 0 || res.Summary.AlreadyAssigned != res.Summary.Needed || assignCalls() != first {
		t.Errorf("second grant changed something: %+v", res.Summary)
	}

	code, out, errOut = run(t, env, "-o", "csv", "permissions", "check", "--principal", target)
	if code != 0 {
		t.Fatalf("check after grant: exit %d: %s", code, errOut)
	}
	cmdtest.Golden(t, "check-after-csv", []byte(out))
	if code, _, _ := run(t, env, "permissions", "check", "--principal", target, "--strict"); code != cmdutil.ExitProblem {
		t.Errorf("strict check with an extra permission: exit %d, want 3", code)
	}

	for _, s := range []string{devtenant.AdminClientSecret, targetSecret} {
		if strings.Contains(out+errOut, s) {
			t.Errorf("secret leaked")
		}
	}
}

func TestUnknownPrincipal(t *testing.T) {
	dt, env, _ := startTenant(t)
	code, _, errOut := run(t, env, "permissions", "grant", "--principal", "0badc0de-0000-4000-8000-000000000000")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "no service principal with object id") {
		t.Errorf("unknown principal: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, env, "permissions", "check", "--principal", targetAppID)
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "application (client) id") || !strings.Contains(errOut, dt.ServicePrincipalID(targetAppID)) {
		t.Errorf("app id as principal: exit %d: %s", code, errOut)
	}
}

func TestCheckSelf(t *testing.T) {
	_, env, _ := startTenant(t)
	// Signed in as the identity under test, which may not read service principals:
	// check reads the roles of its own token instead.
	self := maps.Clone(env)
	self["AZURE_CLIENT_ID"], self["AZURE_CLIENT_SECRET"] = targetAppID, targetSecret
	code, out, errOut := run(t, self, "-o", "json", "permissions", "check", "--operations", "sessions.revoke")
	if code != cmdutil.ExitProblem {
		t.Fatalf("self check: exit %d: %s", code, errOut)
	}
	var res permissions.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	st := map[string]permissions.Status{}
	for _, r := range res.Rows {
		st[r.Permission] = r.Status
	}
	want := map[string]permissions.Status{"User.Read.All": "present", "User.RevokeSessions.All": "missing", "Directory.Read.All": "extra"}
	if !maps.Equal(st, want) || res.Source != "token" || res.Principal.AppID != targetAppID {
		t.Errorf("self check: %+v", res)
	}
	code, out, _ = runTTY(t, self, "permissions", "check", "--operations", "sessions.revoke")
	if code != cmdutil.ExitProblem || !strings.Contains(out, "own access token") {
		t.Errorf("self check table: exit %d\n%s", code, out)
	}
	cmdtest.Golden(t, "check-self-tty", []byte(out))
	if strings.Contains(out, targetSecret) {
		t.Error("secret leaked")
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := run(t, nil, "permissions", "grant", "--help")
	if code != 0 || !bytes.Contains([]byte(out), []byte("New-MgServicePrincipalAppRoleAssignment")) {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}
