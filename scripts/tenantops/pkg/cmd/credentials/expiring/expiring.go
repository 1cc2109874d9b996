// Package expiring is `tenantops credentials expiring`.
package expiring

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/internal/creddeps"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Options are the parsed flags of one expiring run.
type Options struct {
	Factory *cmdutil.Factory
	Days    int
}

// NewCmdExpiring builds the command; runF replaces the run function in flag tests.
func NewCmdExpiring(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "expiring [--days N]",
		Short: "List every app and service principal credential expiring within N days",
		Long: `List every client secret and certificate of every application and service principal
in the tenant that expires within N days (default 30), soonest first, including those
already expired. Exit code 3 when any credential has expired.`,
		Example: `  tenantops --dev credentials expiring --days 30
  tenantops -o csv credentials expiring --days 90 > expiring.csv`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Days < 0 || opts.Days > 3650 {
				return cmdutil.FlagErrorf("--days must be between 0 and 3650, not %d", opts.Days)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Days, "days", 30, "window in days (0 = only expired ones)")
	return cmd
}

// Run scans the tenant and prints.
func Run(ctx context.Context, opts *Options) error {
	req := rotation.ExpiringRequest{Days: opts.Days}
	if err := req.Validate(); err != nil {
		return err
	}
	d, err := creddeps.Deps(opts.Factory)
	if err != nil {
		return err
	}
	res, err := rotation.Expiring(ctx, d, req)
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: []string{summary(res)}})
}

type table struct{ r rotation.ExpiringResult }

func (t table) Header() []string {
	return []string{"appName", "appId", "object", "type", "keyId", "displayName", "endDateTime", "daysLeft", "status"}
}

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.r.Credentials))
	for _, c := range t.r.Credentials {
		end := c.End
		rows = append(rows, []string{c.AppName, c.AppID, c.Object, c.Type, c.KeyID, c.DisplayName, creddeps.Time(&end), strconv.Itoa(c.DaysLeft), c.Status})
	}
	return rows
}

func summary(r rotation.ExpiringResult) string {
	return "\n" + strconv.Itoa(r.Summary.Scanned) + " credentials scanned: " + strconv.Itoa(r.Summary.Expired) + " expired, " +
		strconv.Itoa(r.Summary.Expiring) + " expiring within " + strconv.Itoa(r.Days) + " days"
}
