// Package shared renders the results of `permissions grant` and `permissions check`.
package shared

import (
	"fmt"
	"strings"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/permissions"
)

// Report is the printable form of res: JSON is the result itself; the table
// has one row per permission and a footer with the summary, notes and the
// roles grant does not assign.
func Report(res permissions.Result) cmdutil.Report {
	return cmdutil.Report{Value: res, Table: table{res}, Footer: Footer(res)}
}

type table struct{ r permissions.Result }

func (t table) Header() []string {
	return []string{"permission", "status", "appRoleId", "operations"}
}

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.r.Rows))
	for _, r := range t.r.Rows {
		rows = append(rows, []string{r.Permission, string(r.Status), r.AppRoleID, strings.Join(r.Operations, ",")})
	}
	return rows
}

// Footer explains the table: who, the counts, per-row notes, manual steps.
func Footer(res permissions.Result) []string {
	who := res.Principal.ID
	if res.Principal.DisplayName != "" {
		who = fmt.Sprintf("%s (%s)", res.Principal.DisplayName, res.Principal.ID)
	}
	s := res.Summary
	var counts string
	switch res.Action {
	case "grant":
		counts = fmt.Sprintf("%d needed: %d assigned, %d would be assigned, %d already assigned, %d unavailable, %d failed; %d extra (never removed)",
			s.Needed, s.Assigned, s.WouldAssign, s.AlreadyAssigned, s.Unavailable, s.Failed, s.Extra)
	default:
		counts = fmt.Sprintf("%d needed: %d present, %d missing, %d unavailable; %d extra", s.Needed, s.Present, s.Missing, s.Unavailable, s.Extra)
	}
	out := []string{"", fmt.Sprintf("%s application permissions of %s — %s.", res.Resource.DisplayName, who, counts)}
	if res.Source == "token" {
		out = append(out, "Read from the signed-in identity's own access token: permissions granted since it was issued appear within the hour.")
	}
	for _, r := range res.Rows {
		if r.Note != "" {
			out = append(out, fmt.Sprintf("  %s: %s", r.Permission, r.Note))
		}
	}
	for _, m := range res.Manual {
		kind := "Entra directory role"
		if m.Kind == "azureRole" {
			kind = "Azure role"
		}
		out = append(out, fmt.Sprintf("Not assigned by tenantops — %s %q, for %s.", kind, m.Role, strings.Join(m.Operations, ", ")))
	}
	return out
}
