package egress_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress/ip"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress/trusted"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/spcheck"
)

func TestFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(string) string { return "" })
	var gotIP *ip.Options
	cmd := ip.NewCmdIP(f, func(_ context.Context, o *ip.Options) error { gotIP = o; return nil })
	cmd.SetArgs([]string{"--expect-ip", "203.0.113.10,2001:db8::1"})
	if err := cmd.Execute(); err != nil || !slices.Equal(gotIP.ExpectIP, []string{"203.0.113.10", "2001:db8::1"}) {
		t.Fatalf("%v %+v", err, gotIP)
	}
	var gotT *trusted.Options
	cmd = trusted.NewCmdTrusted(f, func(_ context.Context, o *trusted.Options) error { gotT = o; return nil })
	cmd.SetArgs([]string{"--ip", "198.51.100.7"})
	if err := cmd.Execute(); err != nil || gotT.IP != "198.51.100.7" {
		t.Fatalf("%v %+v", err, gotT)
	}
	cmd = trusted.NewCmdTrusted(f, nil)
	cmd.SetArgs([]string{"extra"})
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("positional argument: %v", err)
	}
}

func TestRunAgainstDevTenant(t *testing.T) {
	tests := []struct {
		name     string
		egressIP string
		args     []string
		tty      bool
		code     int
	}{
		{"ip_table_tty", "", []string{"egress", "ip"}, true, cmdutil.ExitOK},
		{"ip_unexpected_table_pipe", "", []string{"egress", "ip", "--expect-ip", "203.0.113.99"}, false, cmdutil.ExitOK},
		{"trusted_untrusted_table_tty", devtenant.UntrustedEgressIP, []string{"egress", "trusted"}, true, cmdutil.ExitOK},
		{"trusted_given_ipv6_table_tty", "", []string{"egress", "trusted", "--ip", "2001:db8:100::10"}, true, cmdutil.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, env := cmdtest.DevTenant(t, devtenant.Options{EgressIP: tt.egressIP})
			f, stdout, stderr := cmdtest.Factory(env)
			f.IO.SetStdoutTTY(tt.tty)
			if code := root.Main(context.Background(), f, tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			cmdtest.Golden(t, tt.name, stdout.Bytes())
		})
	}
}

func TestEchoFailureAndExitCodes(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	for _, h := range []string{"api.ipify.org", "checkip.amazonaws.com", "ifconfig.me"} {
		dt.InjectRate("GET "+h+"/**", 1, devtenant.Fault{Status: 503})
	}
	f, stdout, stderr := cmdtest.Factory(env)
	if code := root.Main(context.Background(), f, []string{"-o", "json", "egress", "ip"}); code != cmdutil.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var res spcheck.EgressResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || res.Verdict != spcheck.Warn || len(res.Findings) != 1 || res.Findings[0].ID != spcheck.FindEgressUnknown || res.Trust != nil {
		t.Fatalf("%v %s", err, stdout)
	}
	f, stdout, stderr = cmdtest.Factory(env)
	if code := root.Main(context.Background(), f, []string{"egress", "trusted", "--ip", "nope"}); code != cmdutil.ExitUsage || !strings.Contains(stderr.String(), "not an IP address") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}
