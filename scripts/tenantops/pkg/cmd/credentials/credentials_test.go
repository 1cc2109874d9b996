package credentials_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
	"github.com/tenantops/tenantops/shared/devtenant"
)

// The tenant's clock and the CLI's are pinned, so dates in the goldens are stable.
var pinned = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

type cli struct {
	t   *testing.T
	dt  *devtenant.Tenant
	env map[string]string
	now time.Time // the CLI's clock
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dt, env := cmdtest.DevTenant(t, devtenant.Options{Now: func() time.Time { return pinned }})
	return &cli{t: t, dt: dt, env: env, now: pinned}
}

func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	f, stdout, stderr := cmdtest.Factory(c.env)
	f.Now = func() time.Time { return c.now }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := root.Main(ctx, f, args)
	return code, stdout.String(), stderr.String()
}

var (
	rotationIDRE = regexp.MustCompile(`\b[0-9a-f]{8}-\d{8}T\d{6}Z-[0-9a-f]{4}\b`)
	versionRE    = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	guidRE       = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
)

// normalize replaces what every run makes anew (rotation ids, Key Vault
// versions, keyIds of new credentials) with numbered placeholders; the
// fixture's stable ids stay.
func normalize(s string) string {
	stable := map[string]bool{devtenant.WorkflowEngineAppID: true, devtenant.SharePointSyncAppID: true, devtenant.AdminClientID: true,
		devtenant.ReportingAppID: true, devtenant.TenantID: true}
	for _, k := range []string{devtenant.WorkflowEngineAppID + "/1", devtenant.ReportingAppID + "/1", devtenant.AdminClientID + "/dev"} {
		stable[devtenant.StableID("password", k)] = true
	}
	stable[devtenant.StableID("key", devtenant.WorkflowEngineAppID+"/1")] = true
	seen := map[string]string{}
	number := func(kind string) func(string) string {
		return func(m string) string {
			if stable[m] {
				return m
			}
			if p, ok := seen[m]; ok {
				return p
			}
			p := fmt.Sprintf("<%s-%d>", kind, len(seen)+1)
			seen[m] = p
			return p
		}
	}
	s = rotationIDRE.ReplaceAllStringFunc(s, number("rotation"))
	s = versionRE.ReplaceAllStringFunc(s, number("version"))
	return guidRE.ReplaceAllStringFunc(s, number("guid"))
}

func TestCredentialsGolden(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		name string
		code int
		args []string
	}{
		{"list-table", 0, []string{"credentials", "list"}},
		{"list-json", 0, []string{"-o", "json", "credentials", "list"}},
		{"list-csv", 0, []string{"-o", "csv", "credentials", "list"}},
		{"expiring-table", 0, []string{"credentials", "expiring", "--days", "400"}},
		{"expiring-json", 0, []string{"-o", "json", "credentials", "expiring"}},
		{"expiring-csv", 0, []string{"-o", "csv", "credentials", "expiring", "--days", "400"}},
		{"rotate-dry-run-json", 0, []string{"--dry-run", "-o", "json", "credentials", "rotate", "--secret", "workflow-engine-secret"}},
		{"adopt-dry-run-table", 0, []string{"--dry-run", "credentials", "adopt", "--secret", "workflow-engine-secret"}},
		{"adopt-table", 0, []string{"credentials", "adopt", "--secret", "workflow-engine-secret"}},
		{"rotate-table", 0, []string{"credentials", "rotate", "--secret", "workflow-engine-secret"}},
		{"rotate-password-json", 0, []string{"-o", "json", "credentials", "rotate", "--secret", "svc-sharepoint-password"}},
		{"list-after-table", 0, []string{"credentials", "list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := c.run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			cmdtest.Golden(t, tc.name, []byte(normalize(out)))
		})
	}
}

func TestExpiringExitsThreeWhenExpired(t *testing.T) {
	c := newCLI(t)
	c.now = pinned.Add(21 * 24 * time.Hour) // the workflow secret ended a day ago
	code, out, errOut := c.run("-o", "json", "credentials", "expiring", "--days", "0")
	if code != cmdutil.ExitProblem {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Summary struct{ Expired int }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Summary.Expired != 1 {
		t.Fatalf("%v %s", err, out)
	}
}

func TestCredentialsUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"credentials", "rotate"}, "--secret"},
		{[]string{"credentials", "rotate", "--secret", "no such"}, "not a Key Vault secret name"},
		{[]string{"credentials", "rotate", "--secret", "nope"}, "no secret nope"},
		{[]string{"credentials", "rotate", "--secret", "workflow-engine-cert"}, "does not rotate certificates"},
		{[]string{"credentials", "rotate", "--secret", "x-pending"}, "companion"},
		{[]string{"credentials", "expiring", "--days", "-3"}, "--days"},
		{[]string{"credentials", "adopt"}, "--secret"},
		{[]string{"credentials", "list", "extra"}, "unexpected argument"},
		{[]string{"--vault", "http://contoso-ops.vault.azure.net", "credentials", "list"}, "vault"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := c.run(tc.args...)
			if code != cmdutil.ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tc.want)
			}
		})
	}
}

// TestCLINeverPrintsSecrets runs every verb and scans stdout and stderr
// (audit lines included) for every value the vault holds.
func TestCLINeverPrintsSecrets(t *testing.T) {
	c := newCLI(t)
	var all strings.Builder
	for _, args := range [][]string{
		{"credentials", "adopt", "--secret", "workflow-engine-secret"},
		{"-o", "json", "credentials", "rotate", "--secret", "workflow-engine-secret"},
		{"-o", "csv", "credentials", "rotate", "--secret", "svc-sharepoint-password"},
		{"-v", "credentials", "list"},
		{"-o", "json", "credentials", "expiring", "--days", "3650"},
	} {
		code, out, errOut := c.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		all.WriteString(out + errOut)
	}
	if !strings.Contains(all.String(), `"audit":true`) {
		t.Fatal("no audit lines on stderr")
	}
	for _, name := range []string{"workflow-engine-secret", "svc-sharepoint-password"} {
		s, _ := c.dt.VaultSecret("contoso-ops", name)
		for _, v := range s.Versions {
			if strings.Contains(all.String(), v.Value) {
				t.Fatalf("a value of %s was printed", name)
			}
		}
	}
}
