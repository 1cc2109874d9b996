package signins_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/signins"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

func TestNewCmdSignins(t *testing.T) {
	tests := []struct {
		args    string
		since   time.Duration
		max     int
		wantErr string
	}{
		{args: "--user svc@contoso.com", since: 24 * time.Hour, max: 50},
		{args: "--user svc@contoso.com --since 7d --max 10 --failures", since: 7 * 24 * time.Hour, max: 10},
		{args: "--user svc@contoso.com --since 90m", since: 90 * time.Minute, max: 50},
		{args: "--user svc@contoso.com --since soon", wantErr: "--since"},
		{args: "--user svc@contoso.com --since 45d", wantErr: "30 days"},
		{args: "", wantErr: "userPrincipalName"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *signins.Options
			cmd := signins.NewCmdSignins(f, func(_ context.Context, o *signins.Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Req.Since != tt.since || got.Req.Max != tt.max {
				t.Fatalf("opts %+v err %v", got, err)
			}
		})
	}
}

func signIn(t *testing.T, dt *devtenant.Tenant) {
	t.Helper()
	tr, _ := identity.DevTransport(dt.URL(), dt.CACertPEM())
	//lint:ignore SA1019 ROPC is what the service account under study uses.
	opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: tr}, Retry: policy.RetryOptions{MaxRetries: -1}}}
	cred, _ := azidentity.NewUsernamePasswordCredential(devtenant.TenantID, devtenant.SharePointSyncAppID, devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword, opts)
	_, _ = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://" + devtenant.SharePointHost + "/.default"}})
}

var (
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
)

func TestGolden(t *testing.T) {
	dt, env := cmdtest.DevTenant(t, devtenant.Options{})
	signIn(t, dt) // trusted: success
	_ = dt.SetEgressIP(devtenant.UntrustedEgressIP)
	signIn(t, dt) // untrusted: AADSTS50076
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	for _, tc := range []struct{ name, format string }{{"table", "table"}, {"json", "json"}, {"csv", "csv"}} {
		f, stdout, stderr := cmdtest.Factory(env)
		code := root.Main(context.Background(), f, []string{"-o", tc.format, "signins", "--user", devtenant.SvcSharePointUPN, "--since", "1h"})
		if code != cmdutil.ExitProblem { // the latest sign-in failed
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		cmdtest.Golden(t, tc.name, timeRE.ReplaceAll(stdout.Bytes(), []byte("<time>")))
	}
}
