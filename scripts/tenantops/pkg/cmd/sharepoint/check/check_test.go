package check_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sharepoint/check"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/spcheck"
)

const site = "https://contoso.sharepoint.com/sites/operations"

func TestNewCmdCheckFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    check.Options
		wantErr string
	}{
		{name: "all flags", args: []string{"--site", site, "--credential", "c", "--expect-ip", "203.0.113.10,2001:db8::1", "--expect-ip", "198.51.100.7"},
			want: check.Options{Site: site, Credential: "c", ExpectIP: []string{"203.0.113.10", "2001:db8::1", "198.51.100.7"}}},
		{name: "no site", args: []string{"--credential", "c"}, wantErr: "--site"},
		{name: "no credential", args: []string{"--site", site}, wantErr: "--credential"},
		{name: "positional argument", args: []string{site}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := cmdutil.NewFactory(ios, func(string) string { return "" })
			var got *check.Options
			cmd := check.NewCmdCheck(f, func(_ context.Context, o *check.Options) error { got = o; return nil })
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
			if got.Site != tt.want.Site || got.Credential != tt.want.Credential || !slices.Equal(got.ExpectIP, tt.want.ExpectIP) {
				t.Fatalf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// normalise masks what changes run to run: latencies, trace ids, token times.
var (
	msRE    = regexp.MustCompile(`\d+ ms\b`)
	traceRE = regexp.MustCompile(`(trace id|correlation id) [0-9a-f-]{36}`)
)

func normalise(b []byte) []byte {
	b = msRE.ReplaceAll(b, []byte("N ms"))
	return traceRE.ReplaceAll(b, []byte("$1 *"))
}

func TestRunAgainstDevTenant(t *testing.T) {
	tests := []struct {
		name       string
		egressIP   string
		credential string
		global     []string
		tty        bool
		code       int
	}{
		{"certificate_table_tty", "", "workflow-engine-cert", nil, true, cmdutil.ExitOK},
		{"password_untrusted_table_tty", devtenant.UntrustedEgressIP, "svc-sharepoint-password", nil, true, cmdutil.ExitProblem},
		{"password_untrusted_table_pipe", devtenant.UntrustedEgressIP, "svc-sharepoint-password", nil, false, cmdutil.ExitProblem},
		{"certificate_csv", "", "workflow-engine-cert", []string{"-o", "csv"}, false, cmdutil.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, env := cmdtest.DevTenant(t, devtenant.Options{EgressIP: tt.egressIP})
			f, stdout, stderr := cmdtest.Factory(env)
			f.IO.SetStdoutTTY(tt.tty)
			args := append(append([]string{}, tt.global...), "sharepoint", "check", "--site", site, "--credential", tt.credential)
			if code := root.Main(context.Background(), f, args); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			cmdtest.Golden(t, tt.name, normalise(stdout.Bytes()))
		})
	}
}

// TestJSONIsTheResult: -o json prints spcheck.Result, the HTTP body.
func TestJSONIsTheResult(t *testing.T) {
	_, env := cmdtest.DevTenant(t, devtenant.Options{EgressIP: devtenant.UntrustedEgressIP})
	f, stdout, stderr := cmdtest.Factory(env)
	code := root.Main(context.Background(), f, []string{"-o", "json", "sharepoint", "check", "--site", site, "--credential", "svc-sharepoint-password", "--expect-ip", "203.0.113.10"})
	if code != cmdutil.ExitProblem {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var res spcheck.Result
	dec := json.NewDecoder(stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.ID)
	}
	want := []string{spcheck.FindMFARequired, spcheck.FindEgressIPUnexpected, spcheck.FindEgressIPUntrusted}
	if res.Verdict != spcheck.Fail || !slices.Equal(ids, want) {
		t.Fatalf("verdict %s findings %v, want fail %v", res.Verdict, ids, want)
	}
	for _, secret := range []string{devtenant.SvcSharePointPassword, devtenant.AdminClientSecret, "eyJ"} {
		if strings.Contains(stdout.String()+stderr.String(), secret) {
			t.Fatalf("output contains a secret or token (%.6s…)", secret)
		}
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
		{"not a SharePoint URL", []string{"sharepoint", "check", "--site", "https://example.com", "--credential", "c"}, cmdutil.ExitUsage, "not a SharePoint Online host"},
		{"another cloud's host", []string{"sharepoint", "check", "--site", "https://contoso.sharepoint.us/sites/x", "--credential", "c"}, cmdutil.ExitUsage, "not a SharePoint Online host of this cloud"},
		{"bad expected IP", []string{"sharepoint", "check", "--site", site, "--credential", "c", "--expect-ip", "nope"}, cmdutil.ExitUsage, "not an IP address"},
		{"missing credential is a failed check", []string{"sharepoint", "check", "--site", site, "--credential", "no-such-secret"}, cmdutil.ExitProblem, "credential-unavailable"},
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
