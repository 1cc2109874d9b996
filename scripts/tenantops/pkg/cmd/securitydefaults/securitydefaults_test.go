package securitydefaults_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/securitydefaults/show"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/securitydefaults/toggle"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var got *toggle.Options
	cmd := toggle.NewCmdDisable(f, func(_ context.Context, o *toggle.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--reason", "CHG-7"})
	if err := cmd.Execute(); err != nil || got.Enable || got.Reason != "CHG-7" {
		t.Fatalf("disable: %+v %v", got, err)
	}
	cmd = toggle.NewCmdEnable(f, func(_ context.Context, o *toggle.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--reason", strings.Repeat("x", 600)})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("long reason: %v", err)
	}
	sc := show.NewCmdShow(f, func(context.Context, *show.Options) error { return nil })
	sc.SetArgs([]string{"extra"})
	sc.SetOut(&bytes.Buffer{})
	sc.SetErr(&bytes.Buffer{})
	if err := sc.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("show extra: %v", err)
	}
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	f, stdout, stderr := cmdtest.Factory(env)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

func TestGolden(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	steps := []struct {
		name string
		code int
		args []string
	}{
		{"show-table", 0, []string{"security-defaults", "show"}},
		{"show-json", 0, []string{"-o", "json", "security-defaults", "show"}},
		{"show-csv", 0, []string{"-o", "csv", "security-defaults", "show"}},
		// Refused while a Conditional Access policy is on: exit 3, naming it.
		{"enable-refused", cmdutil.ExitProblem, []string{"-o", "json", "security-defaults", "enable"}},
	}
	for _, s := range steps {
		code, out, errOut := run(t, env, s.args...)
		if code != s.code {
			t.Fatalf("%s: exit %d: %s", s.name, code, errOut)
		}
		cmdtest.Golden(t, s.name, []byte(out))
	}
	if err := dt.SetCAPolicyState(devtenant.RequireMFAPolicyID, "disabled"); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, env, "security-defaults", "enable"); code != 0 || !dt.SecurityDefaultsEnabled() {
		t.Fatalf("enable: exit %d %s %s", code, out, errOut)
	}
	// Disabling is destructive: --yes needed without a terminal.
	if code, _, errOut := run(t, env, "security-defaults", "disable"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--yes required") {
		t.Fatalf("disable without --yes: exit %d %s", code, errOut)
	}
	code, out, errOut := run(t, env, "--yes", "-o", "csv", "security-defaults", "disable")
	if code != 0 || dt.SecurityDefaultsEnabled() {
		t.Fatalf("disable: exit %d %s", code, errOut)
	}
	cmdtest.Golden(t, "disable-csv", []byte(out))
	if !strings.Contains(errOut, `"action":"security-defaults.disable"`) {
		t.Errorf("no audit line: %s", errOut)
	}
}
