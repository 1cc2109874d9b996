// Package sharepoint is the `tenantops sharepoint` noun.
package sharepoint

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sharepoint/check"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdSharePoint builds `tenantops sharepoint`.
func NewCmdSharePoint(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sharepoint <verb>",
		Short: "SharePoint connectivity: check it end to end, with a diagnosis",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(check.NewCmdCheck(f, nil))
	return cmd
}
