// Package remove is `tenantops named-locations remove`.
package remove

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/shared"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/namedloc"
)

// Options of one remove run.
type Options struct {
	Factory *cmdutil.Factory
	Req     namedloc.Request
}

// NewCmdRemove builds the command; runF replaces the run function in flag tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "remove --name N [--cidr C...]",
		Short: "Remove IP ranges from a named location, or delete it (needs --yes when not interactive)",
		Long: `Remove takes the given ranges out of the named location (read-modify-write, verified and
merged with concurrent changes like add). Without --cidr it deletes the whole location; Graph
refuses while a Conditional Access policy references it, and the result names the policy.
Removing trusted ranges can make a service account's sign-ins require MFA: it asks for
confirmation at a terminal and needs --yes otherwise.

Permissions: Policy.Read.All and Policy.ReadWrite.ConditionalAccess.`,
		Example: `  tenantops --dry-run named-locations remove --name "Head office" --cidr 203.0.113.0/24
  tenantops --yes named-locations remove --name "Old branch" --cidr 192.0.2.0/24 --reason CHG-9
  tenantops --yes named-locations remove --name "Old branch"          # delete the location`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Req.DryRun = f.DryRun
			if err := opts.Req.Validate(false); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Name, "name", "", "display name of the named location")
	cmd.Flags().StringSliceVar(&opts.Req.CIDRs, "cidr", nil, "range to remove (repeatable or comma-separated); none = delete the location")
	cmd.Flags().StringVar(&opts.Req.Reason, "reason", "", "why, recorded in the audit log")
	return cmd
}

// Run removes.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	what := fmt.Sprintf("Delete named location %q", opts.Req.Name)
	if len(opts.Req.CIDRs) > 0 {
		what = fmt.Sprintf("Remove %s from named location %q", strings.Join(opts.Req.CIDRs, ", "), opts.Req.Name)
	}
	if err := f.Confirm(what); err != nil {
		return err
	}
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := namedloc.Remove(ctx, namedloc.Deps{Graph: a.Graph, Audit: a.Audit}, opts.Req)
	if err != nil {
		return err
	}
	return shared.Emit(f, res)
}
