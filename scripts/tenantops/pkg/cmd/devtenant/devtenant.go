// Package devtenant is the `tenantops devtenant` noun.
package devtenant

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/devtenant/serve"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdDevtenant builds `tenantops devtenant`.
func NewCmdDevtenant(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devtenant <verb>",
		Short: "The offline dev tenant: an emulated Entra ID, Graph, Key Vault and SharePoint",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(serve.NewCmdServe(f, nil))
	return cmd
}
