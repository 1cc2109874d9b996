// Package ip is `tenantops egress ip`.
package ip

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/spcheck"
)

// Options are the parsed flags.
type Options struct {
	Factory  *cmdutil.Factory
	ExpectIP []string
}

// NewCmdIP builds the command; runF replaces the run function in flag tests.
func NewCmdIP(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "ip [--expect-ip IP]",
		Short: "Show the egress IP as several IP echo services see it",
		Long: `ip asks every IP echo service (TENANTOPS_EGRESS_ECHO_URLS; default api.ipify.org,
checkip.amazonaws.com and ifconfig.me) for the address this server reaches the internet
from, and says whether they agree. IPv4 and IPv6 answers are reported per family: a
dual-stack server is not a disagreement. With --expect-ip (or TENANTOPS_EXPECTED_EGRESS_IPS)
it also says whether the address is the expected one. No Microsoft service is called.`,
		Example: `  tenantops --dev egress ip
  tenantops egress ip --expect-ip 203.0.113.10 -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.ExpectIP, "expect-ip", nil, "egress IP this server should have (repeatable; overrides TENANTOPS_EXPECTED_EGRESS_IPS)")
	return cmd
}

// Run discovers and prints.
func Run(ctx context.Context, opts *Options) error {
	return Check(ctx, opts.Factory, spcheck.EgressRequest{ExpectIP: opts.ExpectIP})
}

// Check runs an egress check and prints it (shared with `egress trusted`).
func Check(ctx context.Context, f *cmdutil.Factory, req spcheck.EgressRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := spcheck.CheckEgress(ctx, spcheck.EgressDepsFrom(a), req)
	if err != nil {
		return err
	}
	return f.Emit(cmdutil.Report{Value: res, Table: table{res}})
}

type table struct{ res spcheck.EgressResult }

func (t table) Header() []string { return spcheck.TableHeader() }
func (t table) Rows() [][]string {
	return spcheck.TableRows(t.res.Checks, t.res.Findings, t.res.Verdict)
}
