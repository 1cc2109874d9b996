// Package toggle is `tenantops security-defaults enable|disable`.
package toggle

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/secdefaults"
)

// Options of one enable/disable run.
type Options struct {
	Factory *cmdutil.Factory
	Enable  bool
	Reason  string
	DryRun  bool
}

// NewCmdEnable builds `security-defaults enable`.
func NewCmdEnable(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return newCmd(f, runF, true, cobra.Command{
		Use:   "enable",
		Short: "Turn security defaults on (refused while Conditional Access policies are on)",
		Long: `Enable turns on security defaults: every user must register for MFA within 14 days,
administrators always do MFA, and legacy authentication is blocked — service accounts that sign in
with a password stop working (AADSTS50076). Like the portal, it refuses while Conditional Access
policies are on and names them.

Permissions: Policy.ReadWrite.SecurityDefaults, Policy.Read.All.`,
		Example: `  tenantops --dev security-defaults enable            # refused: names the enabled policies
  tenantops --dry-run security-defaults enable`,
	})
}

// NewCmdDisable builds `security-defaults disable`.
func NewCmdDisable(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return newCmd(f, runF, false, cobra.Command{
		Use:   "disable",
		Short: "Turn security defaults off (needs --yes when not interactive)",
		Long: `Disable turns security defaults off for the whole tenant. If no enabled Conditional Access
policy requires MFA, nothing enforces MFA afterwards — the result says so. It asks for
confirmation at a terminal and needs --yes otherwise.

Permissions: Policy.ReadWrite.SecurityDefaults, Policy.Read.All.`,
		Example: `  tenantops --dry-run security-defaults disable
  tenantops --yes security-defaults disable --reason "CHG-77: moving to Conditional Access"`,
	})
}

func newCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error, enable bool, c cobra.Command) *cobra.Command {
	opts := &Options{Factory: f, Enable: enable}
	cmd := &c
	cmd.Args = cmdutil.NoArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.DryRun = f.DryRun
		req := secdefaults.Request{Enable: opts.Enable, DryRun: opts.DryRun, Reason: opts.Reason}
		if err := req.Validate(); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return Run(cmd.Context(), opts)
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, recorded in the audit log")
	return cmd
}

// Run changes the setting and prints the outcome.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	if !opts.Enable {
		if err := f.Confirm("Turn security defaults off for the whole tenant"); err != nil {
			return err
		}
	}
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := secdefaults.Set(ctx, secdefaults.Deps{Graph: a.Graph, Audit: a.Audit},
		secdefaults.Request{Enable: opts.Enable, DryRun: opts.DryRun, Reason: opts.Reason})
	if err != nil {
		return err
	}
	if res.Problem() {
		fmt.Fprintln(f.IO.ErrOut, res.Message)
	}
	return f.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: []string{"", res.Message}})
}

type table struct{ r secdefaults.Result }

func (t table) Header() []string { return []string{"outcome", "before", "after", "conflict", "state"} }

func (t table) Rows() [][]string {
	b, a := strconv.FormatBool(t.r.Before), strconv.FormatBool(t.r.After)
	if len(t.r.Conflicts) == 0 {
		return [][]string{{t.r.Outcome, b, a, "", ""}}
	}
	var rows [][]string
	for _, p := range t.r.Conflicts {
		rows = append(rows, []string{t.r.Outcome, b, a, p.DisplayName, p.State})
	}
	return rows
}
