package cmdutil

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tenantops/tenantops/shared/op"
)

// Output formats.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
)

// CheckFormat validates -o.
func CheckFormat(s string) error {
	switch s {
	case FormatTable, FormatJSON, FormatCSV:
		return nil
	}
	return FlagErrorf("invalid output format %q: want table, json or csv", s)
}

// Tabular is a result that can render as rows.
type Tabular interface {
	Header() []string
	Rows() [][]string
}

// Report is what a command prints: JSON is Value (the operation's result,
// identical to the HTTP API), table/CSV come from Table. Footer lines are
// printed under a table only.
type Report struct {
	Value  any
	Table  Tabular
	Footer []string
}

// Print writes rep in format to w; tty selects human alignment for tables.
func Print(w io.Writer, format string, tty bool, rep Report) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.Value)
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(rep.Table.Header()); err != nil {
			return err
		}
		if err := cw.WriteAll(rep.Table.Rows()); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	default:
		if !tty {
			// Tab-separated, header included, easy to cut/awk.
			fmt.Fprintln(w, strings.Join(rep.Table.Header(), "\t"))
			for _, r := range rep.Table.Rows() {
				fmt.Fprintln(w, strings.Join(r, "\t"))
			}
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		hdr := make([]string, len(rep.Table.Header()))
		for i, h := range rep.Table.Header() {
			hdr[i] = strings.ToUpper(h)
		}
		fmt.Fprintln(tw, strings.Join(hdr, "\t"))
		for _, r := range rep.Table.Rows() {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, l := range rep.Footer {
			fmt.Fprintln(w, l)
		}
		return nil
	}
}

// Emit prints rep per the global flags and turns a problem result into ErrProblem.
func (f *Factory) Emit(rep Report) error {
	if err := Print(f.IO.Out, f.Output, f.IO.IsStdoutTTY(), rep); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if o, ok := rep.Value.(op.Outcome); ok && o.Problem() {
		return ErrProblem
	}
	return nil
}
