package namedlocations_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/add"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/remove"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		cmd, args string
		check     func(name string, cidrs []string, trusted *bool) bool
		wantErr   string
	}{
		{cmd: "add", args: "--name Office --cidr 203.0.113.0/24,2001:db8::/48 --trusted", check: func(n string, c []string, tr *bool) bool {
			return n == "Office" && slices.Equal(c, []string{"203.0.113.0/24", "2001:db8::/48"}) && tr != nil && *tr
		}},
		{cmd: "add", args: "--name Office --cidr 198.51.100.7", check: func(n string, c []string, tr *bool) bool { return tr == nil && len(c) == 1 }},
		{cmd: "add", args: "--name Office --cidr 198.51.100.7 --trusted=false", check: func(n string, c []string, tr *bool) bool { return tr != nil && !*tr }},
		{cmd: "add", args: "--name Office", wantErr: "--cidr"},
		{cmd: "add", args: "--name Office --cidr 300.1.1.1/24", wantErr: "not a valid CIDR"},
		{cmd: "add", args: "--name Office --cidr 0.0.0.0/0", wantErr: "every address"},
		{cmd: "add", args: "--cidr 10.0.0.0/8", wantErr: "name the location"},
		{cmd: "remove", args: "--name Office", check: func(n string, c []string, tr *bool) bool { return n == "Office" && len(c) == 0 }},
		{cmd: "remove", args: "--name Office --cidr ::1/129", wantErr: "not a valid CIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+" "+tt.args, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var name string
			var cidrs []string
			var trusted *bool
			var err error
			var c interface {
				SetArgs([]string)
				Execute() error
			}
			if tt.cmd == "add" {
				cmd := add.NewCmdAdd(f, func(_ context.Context, o *add.Options) error {
					name, cidrs, trusted = o.Req.Name, o.Req.CIDRs, o.Req.Trusted
					return nil
				})
				cmd.SetOut(&bytes.Buffer{})
				cmd.SetErr(&bytes.Buffer{})
				c = cmd
			} else {
				cmd := remove.NewCmdRemove(f, func(_ context.Context, o *remove.Options) error { name, cidrs = o.Req.Name, o.Req.CIDRs; return nil })
				cmd.SetOut(&bytes.Buffer{})
				cmd.SetErr(&bytes.Buffer{})
				c = cmd
			}
			c.SetArgs(strings.Fields(tt.args))
			err = c.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(name, cidrs, trusted) {
				t.Fatalf("name %q cidrs %v trusted %v err %v", name, cidrs, trusted, err)
			}
		})
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
	// Each run is a new process-like Factory with its own pacer; between runs
	// the tenant's 1 request/second budget would make the test slow.
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	steps := []struct {
		name string
		code int
		args []string
	}{
		{"list-table", 0, []string{"named-locations", "list"}},
		{"list-json", 0, []string{"-o", "json", "named-locations", "list"}},
		{"list-csv", 0, []string{"-o", "csv", "named-locations", "list"}},
		{"add-dry-run-json", 0, []string{"-o", "json", "--dry-run", "named-locations", "add", "--name", "Head office", "--cidr", "198.51.100.7"}},
		{"add-table", 0, []string{"named-locations", "add", "--name", "Head office", "--cidr", "198.51.100.7", "--cidr", "203.0.113.77"}},
		{"remove-csv", 0, []string{"--yes", "-o", "csv", "named-locations", "remove", "--name", "Head office", "--cidr", "198.51.100.7/32"}},
		{"remove-missing-json", cmdutil.ExitProblem, []string{"--yes", "-o", "json", "named-locations", "remove", "--name", "Nowhere"}},
	}
	for _, s := range steps {
		code, out, errOut := run(t, env, s.args...)
		if code != s.code {
			t.Fatalf("%s: exit %d: %s", s.name, code, errOut)
		}
		cmdtest.Golden(t, s.name, []byte(out))
	}
	// Removing needs --yes when nobody can be asked.
	if code, _, errOut := run(t, env, "named-locations", "remove", "--name", "Head office", "--cidr", "203.0.113.0/24"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--yes required") {
		t.Fatalf("remove without --yes: exit %d %s", code, errOut)
	}
	// Creating a new trusted location.
	code, out, errOut := run(t, env, "-o", "json", "named-locations", "add", "--name", "Azure egress", "--cidr", "20.50.1.0/24", "--trusted")
	if code != 0 || !strings.Contains(out, `"outcome": "created"`) || !strings.Contains(errOut, `"action":"named-locations.add"`) {
		t.Fatalf("create: exit %d %s %s", code, out, errOut)
	}
}
