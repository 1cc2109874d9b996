package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/mfa/report"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestNewCmdReport(t *testing.T) {
	tests := []struct {
		args    string
		want    report.Options
		wantErr string
	}{
		{args: "", want: report.Options{Concurrency: 4}},
		{args: "--state enabled,Enforced --unregistered --admins --group Ops", want: report.Options{States: []string{"enabled", "enforced"}, Unregistered: true, Admins: true, Group: "Ops", Concurrency: 4}},
		{args: "--state on", wantErr: "not a per-user MFA state"},
		{args: "--concurrency 0", wantErr: "--concurrency"},
		{args: "extra", wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *report.Options
			cmd := report.NewCmdReport(f, func(_ context.Context, o *report.Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.States, ",") != strings.Join(tt.want.States, ",") || got.Unregistered != tt.want.Unregistered ||
				got.Admins != tt.want.Admins || got.Group != tt.want.Group || got.Concurrency != tt.want.Concurrency {
				t.Errorf("opts = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func run(t *testing.T, env map[string]string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	f, stdout, stderr := cmdtest.Factory(env)
	f.IO.SetStdoutTTY(tty)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

func TestReportGolden(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	// Budgets are exercised in shared/mfa; here several runs share one tenant.
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	for _, tc := range []struct {
		name string
		tty  bool
		args []string
	}{
		{"table", false, []string{"mfa", "report"}},
		{"table-tty", true, []string{"mfa", "report", "--state", "enabled"}},
		{"json", false, []string{"-o", "json", "mfa", "report", "--admins"}},
		{"csv", false, []string{"-o", "csv", "mfa", "report"}},
		{"csv-group", false, []string{"-o", "csv", "mfa", "report", "--group", "MFA Rollout Wave 1", "--unregistered"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, env, tc.tty, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			cmdtest.Golden(t, "report-"+tc.name, []byte(out))
		})
	}
}

// CSV is what Excel opens cleanly: a UTF-8 byte-order mark, a header row,
// CRLF line ends, and no cell that Excel would run as a formula.
func TestReportCSVForExcel(t *testing.T) {
	_, env := cmdtest.DevTenant(t, devtenant.Options{})
	_, out, _ := run(t, env, false, "-o", "csv", "mfa", "report")
	if !strings.HasPrefix(out, "\ufeffuserPrincipalName,displayName,") || !strings.Contains(out, "\r\n") {
		t.Fatalf("not an Excel-friendly CSV: %q", out[:min(len(out), 80)])
	}
}

func TestReportUsageErrors(t *testing.T) {
	_, env := cmdtest.DevTenant(t, devtenant.Options{})
	if code, _, errOut := run(t, env, false, "mfa", "report", "--group", "No Such Group"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "no group") {
		t.Errorf("unknown group: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, env, false, "-o", "yaml", "mfa", "report"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "table, json or csv") {
		t.Errorf("bad format: exit %d, %s", code, errOut)
	}
}
