// Package credentials is the `tenantops credentials` noun.
package credentials

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/adopt"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/expiring"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/list"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/rotate"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdCredentials builds `tenantops credentials`.
func NewCmdCredentials(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials <verb>",
		Short: "Key Vault-stored service credentials: rotate, list, find expiring ones, adopt hand-made ones",
		Long: `Service credentials (Entra app client secrets, service-account passwords) live in
Key Vault, tagged tenantops-kind. tenantops rotates them without locking anyone out:
a new client secret is tested before it is published, old ones are removed only after
a grace period (TENANTOPS_ROTATION_GRACE, default 48h), and passwords go through a
companion <name>-pending secret so a crash never loses one.`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(rotate.NewCmdRotate(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(expiring.NewCmdExpiring(f, nil))
	cmd.AddCommand(adopt.NewCmdAdopt(f, nil))
	return cmd
}
