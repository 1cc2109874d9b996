// Package list is `tenantops named-locations list`.
package list

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/namedloc"
)

// Options of one list run.
type Options struct {
	Factory *cmdutil.Factory
}

// NewCmdList builds the command; runF replaces the run function in flag tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	return &cobra.Command{
		Use:   "list",
		Short: "List named locations with their ranges and whether they are trusted",
		Long: `List shows every named location: IP locations with their IPv4/IPv6 ranges and trust, and
country locations. Policies that exclude "AllTrusted" locations exempt sign-ins from trusted
ranges — where a service account's server should be.

Permissions: Policy.Read.All.`,
		Example: `  tenantops --dev named-locations list
  tenantops named-locations list -o csv`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run lists.
func Run(ctx context.Context, opts *Options) error {
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	res, err := namedloc.List(ctx, namedloc.Deps{Graph: a.Graph, Audit: a.Audit})
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}})
}

type table struct{ r namedloc.ListResult }

func (t table) Header() []string { return []string{"name", "id", "kind", "trusted", "ranges"} }

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.r.Locations))
	for _, l := range t.r.Locations {
		rs := l.CIDRs
		if l.Kind == "country" {
			rs = l.Countries
		}
		rows = append(rows, []string{l.DisplayName, l.ID, l.Kind, strconv.FormatBool(l.Trusted), strings.Join(rs, " ")})
	}
	return rows
}
