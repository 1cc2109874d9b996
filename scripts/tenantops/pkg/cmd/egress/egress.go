// Package egress is the `tenantops egress` noun.
package egress

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress/ip"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress/trusted"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdEgress builds `tenantops egress`.
func NewCmdEgress(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "egress <verb>",
		Short: "This server's egress IP, and whether Conditional Access trusts it",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(ip.NewCmdIP(f, nil))
	cmd.AddCommand(trusted.NewCmdTrusted(f, nil))
	return cmd
}
