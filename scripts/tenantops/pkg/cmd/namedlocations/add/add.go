// Package add is `tenantops named-locations add`.
package add

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/namedlocations/shared"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/namedloc"
)

// Options of one add run.
type Options struct {
	Factory *cmdutil.Factory
	Req     namedloc.Request
}

// NewCmdAdd builds the command; runF replaces the run function in flag tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	var trusted bool
	cmd := &cobra.Command{
		Use:   "add --name N --cidr C [--cidr C...] [--trusted]",
		Short: "Add IP ranges to a named location, creating it if needed",
		Long: `Add puts IPv4/IPv6 ranges into the named location called --name, creating an IP location
when none has that name. A bare address is taken as /32 (/128); host bits are cleared
(203.0.113.10/24 becomes 203.0.113.0/24). Ranges already inside the location are left alone.

Graph replaces a location's whole range list on every update and named locations carry no
ETag, so add reads the location, writes the merged list, reads it back and starts again if a
concurrent change replaced it — nobody's ranges are lost. Conditional Access allows one request
per second per tenant without Retry-After: calls are paced and throttling backs off
exponentially. --trusted marks the location trusted (--trusted=false un-trusts it).

Permissions: Policy.Read.All and Policy.ReadWrite.ConditionalAccess.`,
		Example: `  tenantops --dev named-locations add --name "Head office" --cidr 198.51.100.7
  tenantops named-locations add --name "Azure Functions egress" --cidr 20.50.1.0/24 --cidr 2603:1020::/48 --trusted
  tenantops --dry-run named-locations add --name "Head office" --cidr 203.0.113.0/24`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Req.DryRun = f.DryRun
			if cmd.Flags().Changed("trusted") {
				opts.Req.Trusted = &trusted
			}
			if err := opts.Req.Validate(true); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Name, "name", "", "display name of the named location")
	cmd.Flags().StringSliceVar(&opts.Req.CIDRs, "cidr", nil, "IPv4 or IPv6 range or address (repeatable or comma-separated)")
	cmd.Flags().BoolVar(&trusted, "trusted", false, "mark the location trusted")
	cmd.Flags().StringVar(&opts.Req.Reason, "reason", "", "why, recorded in the audit log")
	return cmd
}

// Run adds.
func Run(ctx context.Context, opts *Options) error {
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	res, err := namedloc.Add(ctx, namedloc.Deps{Graph: a.Graph, Audit: a.Audit}, opts.Req)
	if err != nil {
		return err
	}
	return shared.Emit(opts.Factory, res)
}
