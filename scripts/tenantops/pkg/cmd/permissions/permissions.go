// Package permissions is the `tenantops permissions` noun.
package permissions

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/check"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/grant"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdPermissions builds `tenantops permissions`.
func NewCmdPermissions(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "permissions <verb>",
		Short: "Grant and check the Microsoft Graph permissions tenantops' identity needs (least privilege)",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(grant.NewCmdGrant(f, nil))
	cmd.AddCommand(check.NewCmdCheck(f, nil))
	return cmd
}
