// Package securitydefaults is the `tenantops security-defaults` noun.
package securitydefaults

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/securitydefaults/show"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/securitydefaults/toggle"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdSecurityDefaults builds `tenantops security-defaults`.
func NewCmdSecurityDefaults(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "security-defaults <verb>",
		Short: "Microsoft Entra security defaults: show, enable, disable — with the Conditional Access conflicts explained",
		Example: `  tenantops --dev security-defaults show
  tenantops --dry-run security-defaults enable
  tenantops --yes security-defaults disable --reason CHG-77`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(show.NewCmdShow(f, nil))
	cmd.AddCommand(toggle.NewCmdEnable(f, nil))
	cmd.AddCommand(toggle.NewCmdDisable(f, nil))
	return cmd
}
