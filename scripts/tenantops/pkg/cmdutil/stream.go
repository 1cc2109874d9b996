package cmdutil

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// RowStream prints rows as they are produced, so a report over 100k users
// never holds them all: CSV (UTF-8 with a byte-order mark and a header row,
// which Excel opens cleanly), JSON ({"rows":[…],"summary":…} written
// incrementally), tab-separated text when stdout is not a terminal, and an
// aligned table on a terminal (widths taken from the first rows, later
// cells that do not fit are shortened with "…").
type RowStream struct {
	w      *bufio.Writer
	format string
	tty    bool
	header []string
	csv    *csv.Writer
	n      int

	// table on a TTY: rows buffered until widths are known
	buf    [][]string
	widths []int
}

// tableSample is how many rows fix the column widths of a terminal table.
const tableSample = 200

// NewRowStream starts a stream on f's stdout in the -o format.
func (f *Factory) NewRowStream(header []string) *RowStream {
	return NewRowStream(f.IO.Out, f.Output, f.IO.IsStdoutTTY(), header)
}

// NewRowStream starts a stream on w.
func NewRowStream(w io.Writer, format string, tty bool, header []string) *RowStream {
	return &RowStream{w: bufio.NewWriterSize(w, 64<<10), format: format, tty: tty, header: header}
}

// Write adds one row: value is its JSON form, cells its table/CSV form.
func (s *RowStream) Write(value any, cells []string) error {
	defer func() { s.n++ }()
	switch s.format {
	case FormatJSON:
		b, err := json.MarshalIndent(value, "    ", "  ")
		if err != nil {
			return fmt.Errorf("encoding row: %w", err)
		}
		if s.n == 0 {
			s.w.WriteString("{\n  \"rows\": [\n    ")
		} else {
			s.w.WriteString(",\n    ")
		}
		_, err = s.w.Write(b)
		return err
	case FormatCSV:
		if s.csv == nil {
			s.w.WriteString("\ufeff") // Excel reads UTF-8 only with a BOM
			s.csv = csv.NewWriter(s.w)
			s.csv.UseCRLF = true
			if err := s.csv.Write(s.header); err != nil {
				return err
			}
		}
		safe := make([]string, len(cells))
		for i, c := range cells {
			safe[i] = excelSafe(c)
		}
		if err := s.csv.Write(safe); err != nil {
			return err
		}
		if s.n%1000 == 999 {
			s.csv.Flush()
		}
		return s.csv.Error()
	default:
		if !s.tty {
			if s.n == 0 {
				s.w.WriteString(strings.Join(s.header, "\t") + "\n")
			}
			_, err := s.w.WriteString(strings.Join(tsvSafe(cells), "\t") + "\n")
			return err
		}
		if s.widths == nil {
			s.buf = append(s.buf, cells)
			if len(s.buf) >= tableSample {
				return s.flushTable()
			}
			return nil
		}
		return s.writeFixed(cells)
	}
}

// Close ends the stream; summary is the JSON "summary" member (nil = none),
// footer lines follow a table.
func (s *RowStream) Close(summary any, footer []string) error {
	switch s.format {
	case FormatJSON:
		if s.n == 0 {
			s.w.WriteString("{\n  \"rows\": [")
		} else {
			s.w.WriteString("\n  ")
		}
		s.w.WriteString("]")
		if summary != nil {
			b, err := json.MarshalIndent(summary, "  ", "  ")
			if err != nil {
				return fmt.Errorf("encoding summary: %w", err)
			}
			s.w.WriteString(",\n  \"summary\": ")
			s.w.Write(b)
		}
		s.w.WriteString("\n}\n")
	case FormatCSV:
		if s.csv == nil {
			s.w.WriteString("\ufeff")
			s.csv = csv.NewWriter(s.w)
			s.csv.UseCRLF = true
			_ = s.csv.Write(s.header)
		}
		s.csv.Flush()
		if err := s.csv.Error(); err != nil {
			return err
		}
	default:
		if !s.tty && s.n == 0 {
			s.w.WriteString(strings.Join(s.header, "\t") + "\n")
		}
		if s.tty {
			if s.widths == nil {
				if err := s.flushTable(); err != nil {
					return err
				}
			}
			for _, l := range footer {
				s.w.WriteString(l + "\n")
			}
		}
	}
	return s.w.Flush()
}

func (s *RowStream) flushTable() error {
	tw := tabwriter.NewWriter(s.w, 0, 4, 2, ' ', 0)
	hdr := make([]string, len(s.header))
	s.widths = make([]int, len(s.header))
	for i, h := range s.header {
		hdr[i] = strings.ToUpper(h)
		s.widths[i] = utf8.RuneCountInString(h)
	}
	fmt.Fprintln(tw, strings.Join(hdr, "\t"))
	for _, r := range s.buf {
		for i, c := range r {
			if i < len(s.widths) {
				s.widths[i] = max(s.widths[i], utf8.RuneCountInString(c))
			}
		}
		fmt.Fprintln(tw, strings.Join(tsvSafe(r), "\t"))
	}
	s.buf = nil
	return tw.Flush()
}

func (s *RowStream) writeFixed(cells []string) error {
	var b strings.Builder
	for i, c := range cells {
		w := 0
		if i < len(s.widths) {
			w = s.widths[i]
		}
		if n := utf8.RuneCountInString(c); n > w && i < len(cells)-1 {
			c = string([]rune(c)[:max(w-1, 0)]) + "…"
		}
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", max(w-utf8.RuneCountInString(c), 0)+2))
		}
	}
	b.WriteByte('\n')
	_, err := s.w.WriteString(b.String())
	return err
}

// excelSafe stops a cell from being read as a formula (CSV injection:
// display names are chosen by users).
func excelSafe(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

func tsvSafe(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
	}
	return out
}
