// Package shared renders named-location change results for add and remove.
package shared

import (
	"strconv"
	"strings"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/namedloc"
)

// Emit prints a change result (exit 3 when it could not be made).
func Emit(f *cmdutil.Factory, res namedloc.Result) error {
	footer := []string{""}
	for _, n := range res.Notes {
		footer = append(footer, "note: "+n)
	}
	footer = append(footer, "ranges now: "+strings.Join(res.Location.CIDRs, " "))
	return f.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: footer})
}

type table struct{ r namedloc.Result }

func (t table) Header() []string {
	return []string{"name", "id", "trusted", "outcome", "added", "removed", "present", "attempts"}
}

func (t table) Rows() [][]string {
	l := t.r.Location
	return [][]string{{l.DisplayName, l.ID, strconv.FormatBool(l.Trusted), t.r.Outcome, strings.Join(t.r.Added, " "),
		strings.Join(t.r.Removed, " "), strings.Join(t.r.Present, " "), strconv.Itoa(t.r.Attempts)}}
}
