// Package show is `tenantops security-defaults show`.
package show

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/secdefaults"
)

// Options of one show run.
type Options struct {
	Factory *cmdutil.Factory
}

// NewCmdShow builds the command; runF replaces the run function in flag tests.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Whether security defaults are on, and the Conditional Access policies that bear on them",
		Long: `Show reads the tenant's security defaults and lists the Conditional Access policies that
are on (report-only ones excluded). While any is on, security defaults cannot be enabled — the
portal refuses, and so does 'security-defaults enable'.

Permissions: Policy.Read.All.`,
		Example: `  tenantops --dev security-defaults show
  tenantops security-defaults show -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	return cmd
}

// Run prints the status.
func Run(ctx context.Context, opts *Options) error {
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	st, err := secdefaults.Show(ctx, secdefaults.Deps{Graph: a.Graph, Audit: a.Audit})
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: st, Table: table{st}, Footer: []string{"", st.Advice}})
}

type table struct{ st secdefaults.Status }

func (t table) Header() []string { return []string{"item", "name", "state", "requires-mfa"} }

func (t table) Rows() [][]string {
	on := "off"
	if t.st.Enabled {
		on = "on"
	}
	rows := [][]string{{"security defaults", "Security Defaults", on, strconv.FormatBool(t.st.Enabled)}}
	for _, p := range t.st.EnabledPolicies {
		rows = append(rows, []string{"ca policy", p.DisplayName, p.State, strconv.FormatBool(p.RequiresMFA)})
	}
	return rows
}
