package mfa_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/mfa"
	"github.com/tenantops/tenantops/shared/op"
)

type env struct {
	ca  *graph.Pacer // one tenant, one Conditional Access budget
	dt  *devtenant.Tenant
	a   *app.App
	log *bytes.Buffer
}

func newEnv(t testing.TB, fx *devtenant.Fixture) *env {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{Fixture: fx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	buf := &bytes.Buffer{}
	a, err := app.New(s, slog.New(slog.NewJSONHandler(buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{dt: dt, a: a, log: buf, ca: graph.NewPacer(graph.CABudget, graph.CAWindow)}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func report(t *testing.T, e *env, req mfa.ReportRequest) (map[string]mfa.Row, []string, mfa.Summary) {
	t.Helper()
	rows := map[string]mfa.Row{}
	var order []string
	sum, err := mfa.Report(ctxT(t), mfa.ReportDeps{Graph: e.a.Graph, CA: e.ca}, req, func(r mfa.Row) error {
		rows[r.UserPrincipalName] = r
		order = append(order, r.UserPrincipalName)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, order, sum
}

func TestReportAgainstDevTenant(t *testing.T) {
	e := newEnv(t, nil)
	rows, order, sum := report(t, e, mfa.ReportRequest{})
	if sum.Scanned != e.dt.UserCount() || sum.Rows != sum.Scanned || len(order) != sum.Rows {
		t.Fatalf("summary %+v, %d rows, tenant has %d users", sum, len(order), e.dt.UserCount())
	}
	if order[0] != "admin@contoso.onmicrosoft.com" || order[1] != "adele.vance@contoso.com" {
		t.Errorf("rows not in listing order: %v", order[:3])
	}
	adele := rows["adele.vance@contoso.com"]
	if adele.PerUserMFAState != "enforced" || adele.MFARegistered == nil || !*adele.MFARegistered ||
		adele.DefaultMethod != "microsoftAuthenticatorPush" || adele.Verdict != mfa.VerdictOK ||
		len(adele.CAPolicies) != 1 || adele.CAPolicies[0] != "Require MFA outside trusted locations" {
		t.Errorf("adele: %+v", adele)
	}
	alex := rows["alex.wilber@contoso.com"]
	if alex.PerUserMFAState != "enabled" || alex.MFARegistered == nil || *alex.MFARegistered || alex.Verdict != mfa.VerdictAtRisk {
		t.Errorf("alex: %+v", alex)
	}
	bg := rows["breakglass01@contoso.com"]
	if len(bg.CAPolicies) != 0 || bg.IsAdmin == nil || !*bg.IsAdmin || bg.Verdict != mfa.VerdictNoMFA {
		t.Errorf("break-glass: %+v", bg)
	}
	if off := rows["nestor.wilke@contoso.com"]; off.AccountEnabled || off.Verdict != mfa.VerdictDisabled {
		t.Errorf("disabled account: %+v", off)
	}
	if sum.AtRisk == 0 || sum.SecurityDefaults || sum.Problem() {
		t.Errorf("summary %+v", sum)
	}
}

func TestReportFilters(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name string
		req  mfa.ReportRequest
		ok   func(mfa.Row) bool
	}{
		{"state", mfa.ReportRequest{States: []string{"enabled"}}, func(r mfa.Row) bool { return r.PerUserMFAState == "enabled" }},
		{"unregistered", mfa.ReportRequest{Unregistered: true}, func(r mfa.Row) bool { return r.MFARegistered != nil && !*r.MFARegistered }},
		{"admins", mfa.ReportRequest{Admins: true}, func(r mfa.Row) bool { return r.IsAdmin != nil && *r.IsAdmin }},
		{"group", mfa.ReportRequest{Group: "MFA Rollout Wave 1"}, func(r mfa.Row) bool {
			return strings.Contains("alex.wilber megan.bowen lynne.robbins diego.siciliani", strings.Split(r.UserPrincipalName, "@")[0])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, sum := report(t, e, tt.req)
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			for _, r := range rows {
				if !tt.ok(r) {
					t.Errorf("row kept by mistake: %+v", r)
				}
			}
			if tt.name == "group" && len(rows) != 4 {
				t.Errorf("group: %d rows, want 4", len(rows))
			}
			if sum.Scanned <= sum.Rows && tt.name != "group" {
				t.Errorf("filter kept everything: %+v", sum)
			}
		})
	}
	_, err := mfa.Report(ctxT(t), mfa.ReportDeps{Graph: e.a.Graph, CA: e.ca}, mfa.ReportRequest{Group: "No Such Group"}, func(mfa.Row) error { return nil })
	if _, ok := op.AsInvalid(err); !ok {
		t.Errorf("unknown group: %v, want invalid input", err)
	}
}

// With too few permissions the report still runs and says what is missing.
func TestReportWithReadOnlyApp(t *testing.T) {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	s.Identity.ClientID, s.Identity.ClientSecret = devtenant.ReportingAppID, devtenant.ReportingClientSecret
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first mfa.Row
	sum, err := mfa.Report(ctxT(t), mfa.ReportDeps{Graph: a.Graph}, mfa.ReportRequest{}, func(r mfa.Row) error {
		if first.UserPrincipalName == "" {
			first = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Problem() || sum.Failed != sum.Scanned || len(sum.Warnings) != 3 {
		t.Errorf("summary %+v", sum)
	}
	if first.Verdict != mfa.VerdictUnknown || !strings.Contains(first.Error, "Policy.Read.All") {
		t.Errorf("row %+v", first)
	}
}

func TestReportValidate(t *testing.T) {
	r := mfa.ReportRequest{States: []string{"Enforced", "on"}}
	err := r.Validate()
	if ie, ok := op.AsInvalid(err); !ok || ie.Field != "states[0]" {
		t.Fatalf("Validate: %v", err)
	}
}

func setDeps(e *env) mfa.SetDeps {
	return mfa.SetDeps{Graph: e.a.Graph, Audit: e.a.Audit, Breakglass: e.a.Settings.Breakglass, ReadBack: time.Millisecond}
}

func TestSetAgainstDevTenant(t *testing.T) {
	e := newEnv(t, nil)
	ctx := ctxT(t)
	res, err := mfa.Set(ctx, setDeps(e), mfa.SetRequest{
		Users: []string{"megan.bowen@contoso.com", "Megan.Bowen@contoso.com", "breakglass01@contoso.com", "adele.vance@contoso.com",
			"partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "nobody@contoso.com"},
		State: "enforced", Reason: "CHG-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]mfa.SetStatus{
		"megan.bowen@contoso.com": mfa.StatusChanged, "breakglass01@contoso.com": mfa.StatusSkipped,
		"adele.vance@contoso.com": mfa.StatusUnchanged, "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com": mfa.StatusSkipped,
		"nobody@contoso.com": mfa.StatusFailed,
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("rows %+v", res.Rows)
	}
	for _, r := range res.Rows {
		if want[r.User] != r.Status {
			t.Errorf("%s: %s (%s), want %s", r.User, r.Status, r.Reason, want[r.User])
		}
	}
	if u, _ := e.dt.User("megan.bowen@contoso.com"); u.PerUserMFAState != "enforced" {
		t.Errorf("tenant state %q", u.PerUserMFAState)
	}
	if u, _ := e.dt.User("breakglass01@contoso.com"); u.PerUserMFAState != "disabled" {
		t.Errorf("break-glass changed to %q", u.PerUserMFAState)
	}
	if !res.Problem() || res.Summary.Failed != 1 {
		t.Errorf("summary %+v", res.Summary)
	}
	if n := strings.Count(e.log.String(), `"action":"mfa.set"`); n != len(res.Rows) {
		t.Errorf("%d audit lines for %d rows", n, len(res.Rows))
	}

	// Dry run changes nothing.
	res, err = mfa.Set(ctx, setDeps(e), mfa.SetRequest{Users: []string{"lynne.robbins@contoso.com"}, State: "disabled", DryRun: true})
	if err != nil || res.Rows[0].Status != mfa.StatusWouldChange {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if u, _ := e.dt.User("lynne.robbins@contoso.com"); u.PerUserMFAState != "enabled" {
		t.Errorf("dry run changed the tenant: %q", u.PerUserMFAState)
	}
}

// A write Graph acknowledges with 204 but does not apply is reported, by name.
func TestSetDetectsWriteThatDidNotStick(t *testing.T) {
	e := newEnv(t, nil)
	e.dt.InjectLostWrites("PATCH /beta/users/*/authentication/requirements", 1)
	res, err := mfa.Set(ctxT(t), setDeps(e), mfa.SetRequest{Users: []string{"diego.siciliani@contoso.com", "lynne.robbins@contoso.com"}, State: "disabled"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Problem() || res.Summary.NotApplied != 1 || res.Summary.Changed != 1 {
		t.Fatalf("summary %+v rows %+v", res.Summary, res.Rows)
	}
	r := res.Rows[0]
	if r.User != "diego.siciliani@contoso.com" || r.Status != mfa.StatusNotApplied || !strings.Contains(r.Reason, "did not stick") {
		t.Errorf("row %+v", r)
	}
}

// Enabling a user who already registered a method makes them enforced: that
// is a change, not a write that did not stick.
func TestSetEnabledBecomesEnforced(t *testing.T) {
	e := newEnv(t, nil)
	res, err := mfa.Set(ctxT(t), setDeps(e), mfa.SetRequest{Users: []string{"lidia.holloway@contoso.com"}, State: "enabled"})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.Status != mfa.StatusChanged || r.After != "enforced" || res.Problem() {
		t.Errorf("row %+v", r)
	}
}

func TestSetValidate(t *testing.T) {
	for _, req := range []mfa.SetRequest{
		{Users: []string{"a@contoso.com"}, State: "on"},
		{State: "enabled"},
		{Users: []string{"not a user"}, State: "enabled"},
	} {
		if _, ok := op.AsInvalid(req.Validate()); !ok {
			t.Errorf("%+v: want invalid", req)
		}
	}
}

// Secrets (the admin app's client secret) never reach logs or results.
func TestNoSecretsInOutput(t *testing.T) {
	e := newEnv(t, nil)
	var out strings.Builder
	_, err := mfa.Report(ctxT(t), mfa.ReportDeps{Graph: e.a.Graph}, mfa.ReportRequest{}, func(r mfa.Row) error {
		out.WriteString(r.UserPrincipalName + r.Reason + r.Error)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := mfa.Set(ctxT(t), setDeps(e), mfa.SetRequest{Users: []string{"alex.wilber@contoso.com"}, State: "enforced"})
	for _, r := range res.Rows {
		out.WriteString(r.Reason)
	}
	for _, s := range []string{devtenant.AdminClientSecret, devtenant.DevUserPassword, devtenant.WorkflowEngineSecret} {
		if strings.Contains(out.String(), s) || strings.Contains(e.log.String(), s) {
			t.Errorf("secret %q leaked", s[:6])
		}
	}
}

func ExampleReport() {
	dt, _ := devtenant.Start(devtenant.Options{})
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)
	ctx := context.Background()
	// Accounts that must do MFA but have nothing registered: the open doors.
	_, _ = mfa.Report(ctx, mfa.ReportDeps{Graph: a.Graph}, mfa.ReportRequest{Unregistered: true, States: []string{"enabled"}},
		func(r mfa.Row) error {
			if strings.HasPrefix(r.UserPrincipalName, "alex.") {
				fmt.Println(r.UserPrincipalName, r.Verdict)
			}
			return nil
		})
	res, _ := mfa.Set(ctx, mfa.SetDeps{Graph: a.Graph, Audit: audit.New(nil, "example"), Breakglass: s.Breakglass},
		mfa.SetRequest{Users: []string{"alex.wilber@contoso.com"}, State: "enforced", DryRun: true})
	for _, r := range res.Rows {
		fmt.Println(r.User, r.Before, "->", res.State, r.Status)
	}
	// Output:
	// alex.wilber@contoso.com at-risk
	// alex.wilber@contoso.com enabled -> enforced would-change
}
