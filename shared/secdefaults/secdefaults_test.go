package secdefaults_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/secdefaults"
)

func newDeps(t testing.TB) (*devtenant.Tenant, secdefaults.Deps, *bytes.Buffer) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	s, _ := devmode.Apply(app.Settings{}, dt)
	log := &bytes.Buffer{}
	a, err := app.New(s, slog.New(slog.NewJSONHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return dt, secdefaults.Deps{Graph: a.Graph, Audit: a.Audit}, log
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestShowAndConflicts(t *testing.T) {
	dt, deps, log := newDeps(t)
	ctx := ctxT(t)
	st, err := secdefaults.Show(ctx, deps)
	if err != nil {
		t.Fatal(err)
	}
	if st.Enabled || len(st.EnabledPolicies) != 1 || st.EnabledPolicies[0].DisplayName != "Require MFA outside trusted locations" || st.MFAPolicies != 1 {
		t.Fatalf("status %+v", st)
	}
	// Enabling is refused while a policy is on, naming it; nothing changes.
	res, err := secdefaults.Set(ctx, deps, secdefaults.Request{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != secdefaults.OutcomeRefused || !res.Problem() || !strings.Contains(res.Message, `"Require MFA outside trusted locations"`) || dt.SecurityDefaultsEnabled() {
		t.Fatalf("enable with a policy on: %+v", res)
	}
	// With the policy off, enabling works and is read back.
	if err := dt.SetCAPolicyState(devtenant.RequireMFAPolicyID, "disabled"); err != nil {
		t.Fatal(err)
	}
	if res, _ := secdefaults.Set(ctx, deps, secdefaults.Request{Enable: true, DryRun: true}); res.Outcome != secdefaults.OutcomeWouldEnable || dt.SecurityDefaultsEnabled() {
		t.Fatalf("dry run: %+v", res)
	}
	res, err = secdefaults.Set(ctx, deps, secdefaults.Request{Enable: true, Reason: "CHG-1"})
	if err != nil || res.Outcome != secdefaults.OutcomeEnabled || !res.After || !dt.SecurityDefaultsEnabled() {
		t.Fatalf("enable: %+v %v", res, err)
	}
	if res, _ := secdefaults.Set(ctx, deps, secdefaults.Request{Enable: true}); res.Outcome != secdefaults.OutcomeUnchanged {
		t.Fatalf("again: %+v", res)
	}
	res, err = secdefaults.Set(ctx, deps, secdefaults.Request{Enable: false})
	if err != nil || res.Outcome != secdefaults.OutcomeDisabled || !strings.Contains(res.Message, "nothing enforces MFA") {
		t.Fatalf("disable: %+v %v", res, err)
	}
	if n := strings.Count(log.String(), `"audit":true`); n != 4 {
		t.Errorf("%d audit lines, want 4 (refused, dry run, enable, disable):\n%s", n, log)
	}
	if strings.Contains(log.String(), devtenant.AdminClientSecret) {
		t.Error("secret in log")
	}
}

func TestWriteThatDidNotStick(t *testing.T) {
	dt, deps, _ := newDeps(t)
	dt.InjectLostWrites("PATCH /v1.0/policies/identitySecurityDefaultsEnforcementPolicy", 1)
	dt.SetSecurityDefaults(true)
	res, err := secdefaults.Set(ctxT(t), deps, secdefaults.Request{Enable: false})
	if err != nil || res.Outcome != secdefaults.OutcomeNotApplied || !res.Problem() {
		t.Fatalf("%+v %v", res, err)
	}
}

func ExampleShow() {
	dt, _ := devtenant.Start(devtenant.Options{})
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)
	st, _ := secdefaults.Show(context.Background(), secdefaults.Deps{Graph: a.Graph, Audit: a.Audit})
	fmt.Println("enabled:", st.Enabled)
	for _, p := range st.EnabledPolicies {
		fmt.Println("blocks enabling:", p.DisplayName)
	}
	// Output:
	// enabled: false
	// blocks enabling: Require MFA outside trusted locations
}
