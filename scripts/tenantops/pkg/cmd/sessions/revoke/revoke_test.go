package revoke_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sessions/revoke"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestNewCmdRevokeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		dryRun  bool
		yes     bool
		want    revoke.Options
		wantErr string
	}{
		{name: "one user", args: []string{"--user", "adele.vance@contoso.com"}, want: revoke.Options{Users: []string{"adele.vance@contoso.com"}}},
		{name: "repeated and short", args: []string{"-u", "a@contoso.com", "--user", "b@contoso.com", "--reason", "INC-1"}, want: revoke.Options{Users: []string{"a@contoso.com", "b@contoso.com"}, Reason: "INC-1"}},
		{name: "global dry-run reaches options", args: []string{"--user", "a@contoso.com"}, dryRun: true, want: revoke.Options{Users: []string{"a@contoso.com"}, DryRun: true}},
		{name: "group with limits", args: []string{"--group", "Finance", "--max-targets", "500", "--time-limit", "9m"}, want: revoke.Options{Group: "Finance", MaxTargets: 500, TimeLimit: 9 * time.Minute}},
		{name: "mfa state", args: []string{"--mfa-state", "enabled-unregistered"}, want: revoke.Options{MFAState: "enabled-unregistered"}},
		{name: "all with yes and reason", args: []string{"--all", "--reason", "INC-2"}, yes: true, want: revoke.Options{All: true, Yes: true, Reason: "INC-2"}},
		{name: "all as a dry run needs no yes", args: []string{"--all", "--reason", "INC-2"}, dryRun: true, want: revoke.Options{All: true, Reason: "INC-2", DryRun: true}},
		{name: "continuation", args: []string{"--group", "Finance", "--continue", "abc"}, want: revoke.Options{Group: "Finance", Continuation: "abc"}},
		{name: "no target", args: []string{}, wantErr: "say whose sessions"},
		{name: "two targets", args: []string{"--group", "Finance", "--all"}, wantErr: "cannot be combined"},
		{name: "all without reason", args: []string{"--all"}, yes: true, wantErr: "--all needs --reason"},
		{name: "all without yes", args: []string{"--all", "--reason", "x"}, wantErr: "add --yes"},
		{name: "negative limit", args: []string{"--group", "g", "--max-targets", "-1"}, wantErr: "cannot be negative"},
		{name: "bad duration", args: []string{"--group", "g", "--time-limit", "soon"}, wantErr: "invalid argument"},
		{name: "positional argument", args: []string{"adele.vance@contoso.com"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := cmdutil.NewFactory(ios, func(string) string { return "" })
			f.DryRun, f.Yes = tt.dryRun, tt.yes
			var got *revoke.Options
			cmd := revoke.NewCmdRevoke(f, func(_ context.Context, o *revoke.Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
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
			got.Factory = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestRunAgainstDevTenant(t *testing.T) {
	users := []string{"--user", "adele.vance@contoso.com", "--user", "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "--user", "breakglass01@contoso.com"}
	tests := []struct {
		name   string
		global []string
		tty    bool
		code   int
	}{
		{"table_tty", nil, true, 0},
		{"table_pipe", nil, false, 0},
		{"json", []string{"-o", "json"}, false, 0},
		{"csv", []string{"-o", "csv"}, false, 0},
		{"dryrun_json", []string{"-o", "json", "--dry-run"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dt, env := cmdtest.DevTenant(t, devtenant.Options{})
			f, stdout, stderr := cmdtest.Factory(env)
			f.IO.SetStdoutTTY(tt.tty)
			args := append(append(append([]string{}, tt.global...), "sessions", "revoke", "--reason", "golden"), users...)
			if code := root.Main(context.Background(), f, args); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			cmdtest.Golden(t, tt.name, stdout.Bytes())
			st, _ := dt.User("adele.vance@contoso.com")
			wantRevokes := 1
			if strings.HasPrefix(tt.name, "dryrun") {
				wantRevokes = 0
			}
			if st.RevokeCount != wantRevokes {
				t.Fatalf("dev tenant recorded %d revocations, want %d", st.RevokeCount, wantRevokes)
			}
			if bg, _ := dt.User("breakglass01@contoso.com"); bg.RevokeCount != 0 {
				t.Fatal("break-glass account was revoked")
			}
			if !strings.Contains(stderr.String(), `"action":"sessions.revoke"`) {
				t.Fatalf("no audit line on stderr:\n%s", stderr)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	_, env := cmdtest.DevTenant(t, devtenant.Options{})
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"unknown user is a problem", []string{"sessions", "revoke", "--user", "nobody@contoso.com"}, cmdutil.ExitProblem, "user not found"},
		{"malformed upn is bad input", []string{"sessions", "revoke", "--user", "adele"}, cmdutil.ExitUsage, "neither an object id nor a userPrincipalName"},
		{"bad output format", []string{"-o", "xml", "sessions", "revoke", "--user", "adele.vance@contoso.com"}, cmdutil.ExitUsage, "invalid output format"},
		{"unknown flag", []string{"sessions", "revoke", "--bogus"}, cmdutil.ExitUsage, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, stdout, stderr := cmdtest.Factory(env)
			if code := root.Main(context.Background(), f, tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.say) {
				t.Fatalf("output does not say %q:\n%s%s", tt.say, stdout, stderr)
			}
		})
	}
}
