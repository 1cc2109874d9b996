// Package grant is `tenantops permissions grant`.
package grant

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/shared"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/permissions"
)

// Options of one grant run.
type Options struct {
	Factory *cmdutil.Factory
	Req     permissions.Request
}

// NewCmdGrant builds the command; runF replaces the run function in flag tests.
func NewCmdGrant(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "grant --principal <object id> [--operations a,b]",
		Short: "Assign the Microsoft Graph application permissions tenantops needs to its identity",
		Long: `Grant assigns to a service principal — the Function App's managed identity, or the app
registration the Lambda federates into — exactly the Microsoft Graph application permissions
the least-privilege manifest (infra/permissions/manifest.yaml) lists for the chosen operations
(default: every operation tenantops' identity runs). It is what admins otherwise do with
New-MgServicePrincipalAppRoleAssignment: each permission is looked up by value on the
tenant's Microsoft Graph service principal and assigned by its app role id.

It is idempotent (held permissions show as already-assigned), never removes anything
(permissions no operation needs show as extra), and writes an audit line per assignment.
--dry-run lists what would be assigned. Entra directory roles (User Administrator for
password rotation) and Key Vault roles are listed but not assigned.

--principal is the service principal's object id — for a managed identity its principalId
(az functionapp identity show -g RG -n APP --query principalId -o tsv) — not the
application (client) id.

Exit code 3 when a permission could not be assigned or the tenant does not offer it.
Run it as an administrator: Application.Read.All and AppRoleAssignment.ReadWrite.All
(Privileged Role Administrator or Global Administrator for consent).`,
		Example: `  tenantops --dev permissions grant --principal 5b7d2e4f-... --dry-run
  tenantops permissions grant --principal "$PRINCIPAL_ID" --reason CHG-1234
  tenantops permissions grant --principal "$PRINCIPAL_ID" --operations sessions,signins`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Req.DryRun = f.DryRun
			if err := opts.Req.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Principal, "principal", "", "object id of the service principal (managed identity or enterprise application) to grant to")
	cmd.Flags().StringSliceVar(&opts.Req.Operations, "operations", nil, "operations (or prefixes such as sessions) whose permissions to grant; default: all")
	cmd.Flags().StringVar(&opts.Req.Reason, "reason", "", "why, recorded in the audit log")
	return cmd
}

// Run grants and prints the outcome.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := permissions.Grant(ctx, permissions.Deps{Graph: a.Graph, Audit: a.Audit}, opts.Req)
	if err != nil {
		return err
	}
	return f.Emit(shared.Report(res))
}
