// Package trusted is `tenantops egress trusted`.
package trusted

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/egress/ip"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/spcheck"
)

// Options are the parsed flags.
type Options struct {
	Factory  *cmdutil.Factory
	IP       string
	ExpectIP []string
}

// NewCmdTrusted builds the command; runF replaces the run function in flag tests.
func NewCmdTrusted(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "trusted [--ip IP] [--expect-ip IP]",
		Short: "Say which trusted named locations contain the egress IP (or --ip)",
		Long: `trusted finds the egress IP (as "egress ip" does), or takes --ip, and looks it up in the
tenant's IP named locations (IPv4 and IPv6 ranges). An address in no trusted location is
a warning: user sign-ins from it fall under "outside trusted locations" Conditional Access
policies. Reading named locations needs Policy.Read.All; without it the check says so.`,
		Example: `  tenantops --dev egress trusted
  tenantops --dev egress trusted --ip 198.51.100.7
  tenantops egress trusted --ip 2001:db8:100::10 -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.IP, "ip", "", "check this IP address instead of discovering the egress IP")
	cmd.Flags().StringSliceVar(&opts.ExpectIP, "expect-ip", nil, "egress IP this server should have (repeatable; overrides TENANTOPS_EXPECTED_EGRESS_IPS)")
	return cmd
}

// Run checks and prints.
func Run(ctx context.Context, opts *Options) error {
	return ip.Check(ctx, opts.Factory, spcheck.EgressRequest{IP: opts.IP, ExpectIP: opts.ExpectIP, Trust: true})
}
