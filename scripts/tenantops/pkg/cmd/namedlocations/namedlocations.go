// Package namedlocations is the `tenantops named-locations` noun.
package namedlocations

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/add"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/list"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/remove"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdNamedLocations builds `tenantops named-locations`.
func NewCmdNamedLocations(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "named-locations <verb>",
		Aliases: []string{"named-location", "locations"},
		Short:   "Conditional Access IP named locations (trusted IP ranges): list, add, remove",
		Example: `  tenantops --dev named-locations list
  tenantops named-locations add --name "Head office" --cidr 198.51.100.7 --trusted
  tenantops --yes named-locations remove --name "Head office" --cidr 198.51.100.7/32`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(add.NewCmdAdd(f, nil))
	cmd.AddCommand(remove.NewCmdRemove(f, nil))
	return cmd
}
