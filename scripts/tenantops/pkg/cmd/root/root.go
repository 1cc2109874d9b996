// Package root is the tenantops command tree.
package root

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/devtenant"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/mfa"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/securitydefaults"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sessions"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sharepoint"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/signins"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdRoot builds the command tree over f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenantops <noun> <verb> [flags]",
		Short: "Keep Microsoft 365 service accounts and background jobs working under MFA",
		Long: `tenantops replaces the PowerShell around MFA and service accounts: revoke sign-in
sessions, rotate Key Vault-stored credentials, diagnose SharePoint connectivity,
report and set per-user MFA, security defaults and trusted locations.

Exit codes: 0 ok, 1 runtime error, 2 bad usage or invalid input,
3 the operation ran and found a problem.`,
		Example: `  # try it against the embedded dev tenant (no Azure account needed)
  tenantops --dev sessions revoke --user adele.vance@contoso.com
  tenantops --dev -o json --dry-run sessions revoke --user alex.wilber@contoso.com`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.CheckFormat(f.Output)
		},
	}
	pf := cmd.PersistentFlags()
	pf.BoolVar(&f.Dev, "dev", false, "run against the embedded dev tenant (no Azure account needed)")
	pf.StringVarP(&f.Output, "output", "o", "table", "output format: table, json or csv")
	pf.BoolVar(&f.DryRun, "dry-run", false, "show what would change without changing anything")
	pf.BoolVar(&f.Yes, "yes", false, "confirm destructive work without prompting")
	pf.StringVar(&f.Tenant, "tenant", "", "Entra tenant id or domain (overrides AZURE_TENANT_ID)")
	pf.StringVar(&f.Auth, "auth", "", "sign-in method: client-secret, certificate, workload-identity, managed-identity, azure-cli, device-code, browser (default: from the environment)")
	pf.StringVar(&f.Vault, "vault", "", "Key Vault URL (overrides TENANTOPS_VAULT_URL)")
	pf.StringSliceVar(&f.Breakglass, "breakglass", nil, "break-glass accounts never revoked or changed (overrides TENANTOPS_BREAKGLASS)")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "debug logging on stderr")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})

	cmd.AddCommand(sessions.NewCmdSessions(f))
	cmd.AddCommand(credentials.NewCmdCredentials(f))
	cmd.AddCommand(devtenant.NewCmdDevtenant(f))
	cmd.AddCommand(sharepoint.NewCmdSharePoint(f))
	cmd.AddCommand(egress.NewCmdEgress(f))
	cmd.AddCommand(mfa.NewCmdMFA(f))
	cmd.AddCommand(securitydefaults.NewCmdSecurityDefaults(f))
	cmd.AddCommand(namedlocations.NewCmdNamedLocations(f))
	cmd.AddCommand(signins.NewCmdSignins(f, nil))
	cmd.AddCommand(permissions.NewCmdPermissions(f))
	return cmd
}

// Main runs tenantops with args and returns the exit code.
func Main(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	err := cmd.ExecuteContext(ctx)
	f.Close()
	code := cmdutil.ExitCode(err)
	switch {
	case err == nil, code == cmdutil.ExitProblem:
	default:
		fmt.Fprintln(f.IO.ErrOut, "tenantops:", err)
		if code == cmdutil.ExitUsage {
			fmt.Fprintln(f.IO.ErrOut, "Run 'tenantops --help' for usage.")
		}
	}
	return code
}
