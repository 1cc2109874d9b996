package set_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/mfa/set"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestNewCmdSet(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "users.txt")
	os.WriteFile(list, []byte("# wave 2\nalex.wilber@contoso.com\n\nmegan.bowen@contoso.com\n"), 0o600)
	csvFile := filepath.Join(dir, "export.csv")
	os.WriteFile(csvFile, []byte("\ufeffDisplayName,UserPrincipalName,State\r\nAlex,alex.wilber@contoso.com,enabled\r\nMegan,megan.bowen@contoso.com,enabled\r\n"), 0o600)
	tests := []struct {
		name      string
		args      string
		stdin     string
		wantUsers string
		wantState string
		wantErr   string
	}{
		{name: "one user", args: "--user alex.wilber@contoso.com --state Enforced", wantUsers: "alex.wilber@contoso.com", wantState: "enforced"},
		{name: "list file", args: "--users-file " + list + " --state enabled", wantUsers: "alex.wilber@contoso.com,megan.bowen@contoso.com", wantState: "enabled"},
		{name: "csv export", args: "--users-file " + csvFile + " --state enabled", wantUsers: "alex.wilber@contoso.com,megan.bowen@contoso.com", wantState: "enabled"},
		{name: "stdin", args: "--users-file - --state disabled", stdin: "userPrincipalName,verdict\nlee.gu@contoso.com,at-risk\n", wantUsers: "lee.gu@contoso.com", wantState: "disabled"},
		{name: "no state", args: "--user alex.wilber@contoso.com", wantErr: "--state is required"},
		{name: "bad state", args: "--user alex.wilber@contoso.com --state on", wantErr: "not a per-user MFA state"},
		{name: "no users", args: "--state enabled", wantErr: "--user or --users-file"},
		{name: "bad user", args: "--user 'not a user' --state enabled", wantErr: "neither an object id"},
		{name: "missing file", args: "--users-file /nonexistent --state enabled", wantErr: "--users-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			f.IO.In = strings.NewReader(tt.stdin)
			var got *set.Options
			cmd := set.NewCmdSet(f, func(_ context.Context, o *set.Options) error { got = o; return nil })
			args := strings.Fields(strings.ReplaceAll(tt.args, "'not a user'", "not_a_user?"))
			cmd.SetArgs(args)
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
			if strings.Join(got.Users, ",") != tt.wantUsers || got.State != tt.wantState {
				t.Errorf("users %v state %q", got.Users, got.State)
			}
		})
	}
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	f, stdout, stderr := cmdtest.Factory(env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

func TestSetGolden(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"table", []string{"mfa", "set", "--user", "alex.wilber@contoso.com", "--user", "breakglass01@contoso.com", "--user", "adele.vance@contoso.com", "--state", "enforced"}},
		{"json-dry-run", []string{"-o", "json", "--dry-run", "mfa", "set", "--user", "megan.bowen@contoso.com", "--state", "enforced"}},
		{"csv", []string{"-o", "csv", "mfa", "set", "--user", "lynne.robbins@contoso.com", "--state", "enforced"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, env, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			cmdtest.Golden(t, "set-"+tc.name, []byte(out))
			if !strings.Contains(tc.name, "dry-run") && !strings.Contains(errOut, `"action":"mfa.set"`) {
				t.Errorf("no audit line on stderr: %s", errOut)
			}
		})
	}
	if u, _ := dt.User("alex.wilber@contoso.com"); u.PerUserMFAState != "enforced" {
		t.Errorf("alex is %q", u.PerUserMFAState)
	}
	if u, _ := dt.User("megan.bowen@contoso.com"); u.PerUserMFAState != "enabled" {
		t.Errorf("dry run changed megan to %q", u.PerUserMFAState)
	}
}

// The fault mode: Graph answers 204 but does not apply the write. The command
// exits 3 and names the user.
func TestSetWriteThatDidNotStick(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	dt.InjectLostWrites("PATCH /beta/users/*/authentication/requirements", 1)
	code, out, errOut := run(t, env, "mfa", "set", "--user", "diego.siciliani@contoso.com", "--state", "enforced")
	if code != cmdutil.ExitProblem {
		t.Fatalf("exit %d, want 3: %s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`diego\.siciliani@contoso\.com.*not-applied.*did not stick`).MatchString(out) {
		t.Errorf("output does not name the write that did not stick:\n%s", out)
	}
}

// Turning MFA off for many users needs --yes when nobody can be asked.
func TestSetDisableManyNeedsYes(t *testing.T) {
	_, env := cmdtest.DevTenant(t, devtenant.Options{})
	code, _, errOut := run(t, env, "mfa", "set", "--user", "alex.wilber@contoso.com", "--user", "megan.bowen@contoso.com", "--state", "disabled")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "--yes required") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, env, "--yes", "mfa", "set", "--user", "alex.wilber@contoso.com", "--user", "megan.bowen@contoso.com", "--state", "disabled"); code != 0 {
		t.Fatalf("with --yes: exit %d: %s", code, errOut)
	}
}
