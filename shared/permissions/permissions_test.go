package permissions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	manifest "github.com/tenantops/tenantops/infra/permissions"
	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/permissions"
)

// The principal the tests grant to: an app registration standing in for
// tenantops' identity, holding one needed and one unneeded permission.
const (
	targetAppID  = "3c7e1a9d-5b2f-4e8a-9d6c-1f4b7a2e9c50"
	targetSecret = "target~dev-only.Permissions-Target~0001"
)

type env struct {
	dt     *devtenant.Tenant
	a      *app.App
	logs   *bytes.Buffer
	target string // its service principal object id
}

func fixture() *devtenant.Fixture {
	fx := devtenant.ContosoAt(time.Now())
	fx.Apps = append(fx.Apps, devtenant.App{
		AppID: targetAppID, DisplayName: "tenantops (identity under test)",
		AppRoles: map[string][]string{devtenant.ResourceGraph: {"User.Read.All", "Directory.Read.All"}},
		Passwords: []devtenant.PasswordCredential{{DisplayName: "test", Secret: targetSecret,
			Start: time.Now().Add(-time.Hour), End: time.Now().Add(30 * 24 * time.Hour)}},
	})
	return fx
}

// start runs the dev tenant and signs in as settings s (default: the admin app).
func start(t testing.TB, edit func(*app.Settings)) *env {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{Fixture: fixture()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&s)
	}
	logs := &bytes.Buffer{}
	a, err := app.New(s, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{dt: dt, a: a, logs: logs, target: dt.ServicePrincipalID(targetAppID)}
}

func (e *env) deps() permissions.Deps { return permissions.Deps{Graph: e.a.Graph, Audit: e.a.Audit} }

func (e *env) assignCalls() int {
	return e.dt.Count("POST /v1.0/servicePrincipals/*/appRoleAssignments")
}

// auditLines returns the audit entries logged so far.
func (e *env) auditLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["audit"] == true {
			out = append(out, m)
		}
	}
	return out
}

func identityValues(t *testing.T) []string {
	t.Helper()
	m, err := manifest.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range m.IdentityAppRoles() {
		out = append(out, r.Value)
	}
	return out
}

func statuses(res permissions.Result) map[string]permissions.Status {
	out := map[string]permissions.Status{}
	for _, r := range res.Rows {
		out[r.Permission] = r.Status
	}
	return out
}

func TestGrantAssignsExactlyTheManifestRoles(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	want := identityValues(t)

	res, err := permissions.Grant(ctx, e.deps(), permissions.Request{Principal: e.target, Reason: "CHG-1"})
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	for _, v := range want {
		wantStatus := permissions.StatusAssigned
		if v == "User.Read.All" {
			wantStatus = permissions.StatusAlreadyAssigned
		}
		if st[v] != wantStatus {
			t.Errorf("%s: status %q, want %q", v, st[v], wantStatus)
		}
	}
	if st["Directory.Read.All"] != permissions.StatusExtra {
		t.Errorf("Directory.Read.All (held, needed by nothing): %q, want extra", st["Directory.Read.All"])
	}
	if res.Problem() {
		t.Errorf("grant reported a problem: %+v", res.Summary)
	}
	if res.Summary.Assigned != len(want)-1 || res.Summary.AlreadyAssigned != 1 || res.Summary.Extra != 1 || res.Summary.Needed != len(want) {
		t.Errorf("summary %+v, want %d assigned, 1 already, 1 extra", res.Summary, len(want)-1)
	}
	// The tenant now holds exactly the manifest's roles plus the pre-existing extra.
	got := e.dt.GrantedAppRoles(targetAppID, devtenant.ResourceGraph)
	wantHeld := append(slices.Clone(want), "Directory.Read.All")
	slices.Sort(wantHeld)
	if !slices.Equal(got, wantHeld) {
		t.Errorf("granted roles\n got %v\nwant %v", got, wantHeld)
	}
	if n := e.assignCalls(); n != len(want)-1 {
		t.Errorf("%d assignment POSTs, want %d", n, len(want)-1)
	}
	lines := e.auditLines(t)
	if len(lines) != len(want)-1 {
		t.Errorf("%d audit lines, want one per assignment (%d)", len(lines), len(want)-1)
	}
	for _, l := range lines {
		if l["action"] != permissions.AuditAction || l["outcome"] != "assigned" || l["target"] != e.target || l["reason"] != "CHG-1" {
			t.Errorf("audit line %v", l)
		}
	}
	if res.Principal.ID != e.target || res.Principal.DisplayName != "tenantops (identity under test)" {
		t.Errorf("principal %+v", res.Principal)
	}
	if res.Resource.AppID != devtenant.ResourceGraph || res.Resource.ID == "" {
		t.Errorf("resource %+v", res.Resource)
	}
	var dirRoles []string
	for _, m := range res.Manual {
		if m.Kind == "directoryRole" {
			dirRoles = append(dirRoles, m.Role)
		}
	}
	if !slices.Equal(dirRoles, []string{"User Administrator"}) {
		t.Errorf("manual directory roles %v, want [User Administrator]", dirRoles)
	}

	// Idempotent: a second run changes nothing and says so.
	e.logs.Reset()
	again, err := permissions.Grant(ctx, e.deps(), permissions.Request{Principal: e.target})
	if err != nil {
		t.Fatal(err)
	}
	if again.Summary.AlreadyAssigned != len(want) || again.Summary.Assigned != 0 {
		t.Errorf("second run summary %+v, want all %d already assigned", again.Summary, len(want))
	}
	if n := e.assignCalls(); n != len(want)-1 {
		t.Errorf("second run made %d more assignment POSTs", n-(len(want)-1))
	}
	if l := e.auditLines(t); len(l) != 0 {
		t.Errorf("second run wrote %d audit lines, want none", len(l))
	}
	if got2 := e.dt.GrantedAppRoles(targetAppID, devtenant.ResourceGraph); !slices.Equal(got2, got) {
		t.Errorf("second run changed the roles: %v", got2)
	}

	// Check now finds nothing missing; strict check flags the extra.
	chk, err := permissions.Check(ctx, e.deps(), permissions.Request{Principal: e.target})
	if err != nil {
		t.Fatal(err)
	}
	if chk.Problem() || chk.Summary.Present != len(want) || chk.Summary.Extra != 1 {
		t.Errorf("check after grant: problem=%v %+v", chk.Problem(), chk.Summary)
	}
	strict, err := permissions.Check(ctx, e.deps(), permissions.Request{Principal: e.target, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strict.Problem() {
		t.Error("strict check ignores the extra permission")
	}
	noSecrets(t, e.logs.String()+fmt.Sprint(res, again, chk))
}

func TestGrantDryRunChangesNothing(t *testing.T) {
	e := start(t, nil)
	before := e.dt.GrantedAppRoles(targetAppID, devtenant.ResourceGraph)
	res, err := permissions.Grant(context.Background(), e.deps(), permissions.Request{Principal: e.target, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := identityValues(t)
	if !res.DryRun || res.Summary.WouldAssign != len(want)-1 || res.Summary.Assigned != 0 {
		t.Errorf("dry run summary %+v", res.Summary)
	}
	if n := e.assignCalls(); n != 0 {
		t.Errorf("dry run made %d assignment POSTs", n)
	}
	if after := e.dt.GrantedAppRoles(targetAppID, devtenant.ResourceGraph); !slices.Equal(before, after) {
		t.Errorf("dry run changed roles: %v -> %v", before, after)
	}
	lines := e.auditLines(t)
	if len(lines) != len(want)-1 {
		t.Fatalf("%d audit lines, want %d would-assign lines", len(lines), len(want)-1)
	}
	for _, l := range lines {
		if l["outcome"] != "would-assign" || l["dryRun"] != true {
			t.Errorf("dry-run audit line %v", l)
		}
	}
}

func TestGrantSelectedOperations(t *testing.T) {
	tests := []struct {
		ops  []string
		want []string
	}{
		{[]string{"sessions.revoke"}, []string{"User.Read.All", "User.RevokeSessions.All"}},
		{[]string{"security-defaults"}, []string{"Policy.Read.All", "Policy.ReadWrite.SecurityDefaults"}},
		{[]string{"signins", "egress"}, []string{"AuditLog.Read.All", "Policy.Read.All"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.ops, ","), func(t *testing.T) {
			e := start(t, nil)
			res, err := permissions.Grant(context.Background(), e.deps(), permissions.Request{Principal: e.target, Operations: tc.ops})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Rows {
				if r.Status != permissions.StatusExtra {
					got = append(got, r.Permission)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows %v, want %v", got, tc.want)
			}
			held := e.dt.GrantedAppRoles(targetAppID, devtenant.ResourceGraph)
			wantHeld := append(slices.Clone(tc.want), "Directory.Read.All")
			if !slices.Contains(wantHeld, "User.Read.All") {
				wantHeld = append(wantHeld, "User.Read.All")
			}
			slices.Sort(wantHeld)
			if !slices.Equal(held, wantHeld) {
				t.Errorf("held %v, want %v", held, wantHeld)
			}
		})
	}
}

func TestCheckReportsMissing(t *testing.T) {
	e := start(t, nil)
	res, err := permissions.Check(context.Background(), e.deps(), permissions.Request{Principal: e.target, Operations: []string{"mfa.set"}})
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	want := map[string]permissions.Status{
		"User.Read.All": permissions.StatusPresent, "Policy.Read.All": permissions.StatusMissing,
		"Policy.ReadWrite.AuthenticationMethod": permissions.StatusMissing, "Directory.Read.All": permissions.StatusExtra,
	}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s: %q, want %q", k, st[k], v)
		}
	}
	if len(st) != len(want) {
		t.Errorf("rows %v", st)
	}
	if !res.Problem() {
		t.Error("missing permissions are not a problem")
	}
	if n := e.assignCalls(); n != 0 {
		t.Errorf("check made %d assignment POSTs", n)
	}
}

func TestUnknownPrincipal(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	tests := []struct {
		name, principal, code, mention string
	}{
		{"no such object", "0badc0de-0000-4000-8000-000000000000", "unknownPrincipal", "principalId"},
		{"an application id", devtenant.ReportingAppID, "principalIsAppId", e.dt.ServicePrincipalID(devtenant.ReportingAppID)},
	}
	for _, tc := range tests {
		for name, run := range map[string]func(context.Context, permissions.Deps, permissions.Request) (permissions.Result, error){
			"grant": permissions.Grant, "check": permissions.Check,
		} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				_, err := run(ctx, e.deps(), permissions.Request{Principal: tc.principal})
				ie, ok := op.AsInvalid(err)
				if !ok || ie.Code != tc.code {
					t.Fatalf("want invalid %s, got %v", tc.code, err)
				}
				if !strings.Contains(err.Error(), tc.mention) {
					t.Errorf("error does not mention %q: %v", tc.mention, err)
				}
			})
		}
	}
	if n := e.assignCalls(); n != 0 {
		t.Errorf("%d assignment POSTs for unknown principals", n)
	}
}

func TestGrantForbidden(t *testing.T) {
	// The read-only reporting app may not read service principals.
	e := start(t, func(s *app.Settings) {
		s.Identity.ClientID, s.Identity.ClientSecret = devtenant.ReportingAppID, devtenant.ReportingClientSecret
	})
	_, err := permissions.Grant(context.Background(), e.deps(), permissions.Request{Principal: e.target})
	if err == nil || !strings.Contains(err.Error(), "Application.Read.All") || !strings.Contains(err.Error(), "403") {
		t.Errorf("want a 403 naming the needed permission, got %v", err)
	}
	if _, ok := op.AsInvalid(err); ok {
		t.Error("a missing permission of the caller is not bad input")
	}
}

func TestGrantFailedAssignment(t *testing.T) {
	// An admin app that can read but not assign: every assignment fails, the
	// result says so (exit 3), and each failure is audited.
	e := start(t, func(s *app.Settings) {
		s.Identity.ClientID, s.Identity.ClientSecret = targetAppID, targetSecret
	})
	res, err := permissions.Grant(context.Background(), e.deps(), permissions.Request{Principal: e.dt.ServicePrincipalID(devtenant.ReportingAppID), Operations: []string{"signins"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Problem() || res.Summary.Failed != 1 {
		t.Fatalf("summary %+v, want 1 failed", res.Summary)
	}
	if r := res.Rows[0]; !strings.Contains(r.Note, "403") || !strings.Contains(r.Note, "AppRoleAssignment.ReadWrite.All") {
		t.Errorf("failure note %q", r.Note)
	}
	if l := e.auditLines(t); len(l) != 1 || l[0]["outcome"] != "failed" {
		t.Errorf("audit lines %v", l)
	}
}

func TestUnavailablePermission(t *testing.T) {
	m, err := manifest.Parse([]byte(`version: 1
resource: {name: Microsoft Graph, appId: 00000003-0000-0000-c000-000000000000}
appRoles:
  - {value: Made.Up.All, id: "", source: test}
operations:
  - name: made.up
    description: test
    audience: identity
    appRoles: [Made.Up.All]
    calls:
      - {method: GET, path: /madeUp, version: v1.0, appRoles: [Made.Up.All]}
`))
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, nil)
	deps := e.deps()
	deps.Manifest = m
	res, err := permissions.Grant(context.Background(), deps, permissions.Request{Principal: e.target})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Unavailable != 1 || !res.Problem() {
		t.Errorf("summary %+v, want 1 unavailable (a problem)", res.Summary)
	}
	// With this manifest both held permissions are extra.
	if res.Summary.Extra != 2 {
		t.Errorf("extras %d, want 2", res.Summary.Extra)
	}
}

func TestCheckHeld(t *testing.T) {
	self := permissions.Principal{ID: "5e0a1b2c-0000-4000-8000-000000000001", AppID: targetAppID}
	res, err := permissions.CheckHeld(permissions.Deps{}, permissions.Request{Operations: []string{"sessions.revoke"}},
		self, []string{"User.Read.All", "Sites.Read.All", "Directory.ReadWrite.All"})
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	want := map[string]permissions.Status{
		"User.Read.All": permissions.StatusPresent, "User.RevokeSessions.All": permissions.StatusMissing,
		"Directory.ReadWrite.All": permissions.StatusExtra, // Sites.Read.All is needed by sharepoint.check: not extra
	}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s: %q, want %q", k, st[k], v)
		}
	}
	if _, ok := st["Sites.Read.All"]; ok {
		t.Error("Sites.Read.All is needed by another operation; it is not extra")
	}
	if res.Source != "token" || !res.Problem() {
		t.Errorf("source %q problem %v", res.Source, res.Problem())
	}
}

func TestValidate(t *testing.T) {
	good := "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name string
		req  permissions.Request
		code string
	}{
		{"ok", permissions.Request{Principal: good}, ""},
		{"ok prefix", permissions.Request{Principal: good, Operations: []string{"sessions", "MFA.report"}}, ""},
		{"no principal", permissions.Request{}, "principalRequired"},
		{"not a guid", permissions.Request{Principal: "tenantops-mi"}, "invalidPrincipal"},
		{"unknown operation", permissions.Request{Principal: good, Operations: []string{"sessions.nuke"}}, "unknownOperation"},
		{"admin operation", permissions.Request{Principal: good, Operations: []string{"permissions.grant"}}, "adminOperation"},
		{"long reason", permissions.Request{Principal: good, Reason: strings.Repeat("x", 513)}, "invalidReason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			ie, ok := op.AsInvalid(err)
			if !ok || ie.Code != tc.code {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
		})
	}
}

func TestNoGraphClient(t *testing.T) {
	_, err := permissions.Check(context.Background(), permissions.Deps{}, permissions.Request{Principal: "11111111-2222-3333-4444-555555555555"})
	if err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("want a configuration error, got %v", err)
	}
}

func noSecrets(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{devtenant.AdminClientSecret, targetSecret} {
		if strings.Contains(text, s) {
			t.Errorf("secret %.6q... leaked", s)
		}
	}
}

func ExampleGrant() {
	dt, _ := devtenant.Start(devtenant.Options{})
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)
	deps := permissions.Deps{Graph: a.Graph, Audit: audit.New(nil, "example")}
	// Give the read-only reporting app what `tenantops signins` needs.
	principal := dt.ServicePrincipalID(devtenant.ReportingAppID)
	req := permissions.Request{Principal: principal, Operations: []string{"signins"}}
	for range 2 {
		res, _ := permissions.Grant(context.Background(), deps, req)
		for _, r := range res.Rows {
			fmt.Println(r.Permission, r.Status)
		}
	}
	// Output:
	// AuditLog.Read.All assigned
	// AuditLog.Read.All already-assigned
}

// BenchmarkGrantIdempotent is a grant with nothing left to do: two Graph
// reads (assignments, the Graph service principal's ~60 app roles) and the plan.
func BenchmarkGrantIdempotent(b *testing.B) {
	e := start(b, nil)
	ctx := context.Background()
	req := permissions.Request{Principal: e.target}
	if _, err := permissions.Grant(ctx, e.deps(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := permissions.Grant(ctx, e.deps(), req)
		if err != nil || res.Summary.Assigned != 0 {
			b.Fatal(err, res.Summary)
		}
	}
}

func BenchmarkCheckHeld(b *testing.B) {
	roles := identityValuesB(b)
	self := permissions.Principal{ID: "5e0a1b2c-0000-4000-8000-000000000001"}
	for b.Loop() {
		if _, err := permissions.CheckHeld(permissions.Deps{}, permissions.Request{}, self, roles); err != nil {
			b.Fatal(err)
		}
	}
}

func identityValuesB(b *testing.B) []string {
	m, err := manifest.Load()
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, r := range m.IdentityAppRoles() {
		out = append(out, r.Value)
	}
	return out
}
