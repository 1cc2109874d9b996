// Package check is `tenantops permissions check`.
package check

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/permissions/shared"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/permissions"
)

// Options of one check run.
type Options struct {
	Factory *cmdutil.Factory
	Req     permissions.Request
}

// NewCmdCheck builds the command; runF replaces the run function in flag tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "check [--principal <object id>] [--operations a,b] [--strict]",
		Short: "Report which Microsoft Graph permissions tenantops' identity is missing (or has in excess)",
		Long: `Check compares a service principal's Microsoft Graph application permissions with what
the least-privilege manifest lists for the chosen operations (default: all of them): each is
present or missing; permissions no tenantops operation needs are reported as extra.

With --principal it reads the principal's app role assignments (needs Application.Read.All).
Without it, it checks the identity tenantops signs in as, from the roles in its own access
token — no Graph permission needed, so the deployed identity can check itself.

Exit code 3 when anything is missing (with --strict, also when anything is extra).`,
		Example: `  tenantops permissions check
  tenantops permissions check --principal "$PRINCIPAL_ID" --operations credentials
  tenantops --dev permissions check --strict -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Req.ValidateCheck(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Principal, "principal", "", "object id of the service principal to check (default: the signed-in identity)")
	cmd.Flags().StringSliceVar(&opts.Req.Operations, "operations", nil, "operations (or prefixes such as sessions) to check; default: all")
	cmd.Flags().BoolVar(&opts.Req.Strict, "strict", false, "also fail (exit 3) on permissions no operation needs")
	return cmd
}

// Run checks and prints the outcome.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	a, err := f.App()
	if err != nil {
		return err
	}
	deps := permissions.Deps{Graph: a.Graph, Audit: a.Audit}
	var res permissions.Result
	if opts.Req.Principal != "" {
		res, err = permissions.Check(ctx, deps, opts.Req)
	} else {
		self, roles, serr := permissions.Self(ctx, a.Cred, a.Settings.Identity.Cloud.Endpoints().GraphScope())
		if serr != nil {
			return serr
		}
		res, err = permissions.CheckHeld(deps, opts.Req, self, roles)
	}
	if err != nil {
		return err
	}
	return f.Emit(shared.Report(res))
}
