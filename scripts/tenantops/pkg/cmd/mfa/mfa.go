// Package mfa is the `tenantops mfa` noun.
package mfa

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/mfa/report"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/mfa/set"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdMFA builds `tenantops mfa`.
func NewCmdMFA(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mfa <verb>",
		Short: "Per-user MFA: the MFA status report and bulk state changes (Get-MsolUser / Set-MsolUser)",
		Example: `  tenantops --dev mfa report --state enabled --unregistered
  tenantops mfa report -o csv > mfa-status.csv
  tenantops mfa set --users-file wave2.csv --state enforced`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(report.NewCmdReport(f, nil))
	cmd.AddCommand(set.NewCmdSet(f, nil))
	return cmd
}
