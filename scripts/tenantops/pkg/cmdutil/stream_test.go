package cmdutil

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRowStream(t *testing.T) {
	rows := []struct {
		v     map[string]string
		cells []string
	}{
		{map[string]string{"upn": "a@contoso.com"}, []string{"a@contoso.com", "=HYPERLINK(\"x\")"}},
		{map[string]string{"upn": "b@contoso.com"}, []string{"b@contoso.com", "Zoë"}},
	}
	for _, tc := range []struct {
		format string
		tty    bool
		check  func(string) bool
	}{
		{FormatJSON, false, func(s string) bool {
			var v struct {
				Rows    []map[string]string `json:"rows"`
				Summary map[string]int      `json:"summary"`
			}
			return json.Unmarshal([]byte(s), &v) == nil && len(v.Rows) == 2 && v.Summary["n"] == 2
		}},
		{FormatCSV, false, func(s string) bool {
			return strings.HasPrefix(s, "\ufeffupn,name\r\n") && strings.Contains(s, `"'=HYPERLINK(""x"")"`) && strings.Contains(s, "Zoë")
		}},
		{FormatTable, false, func(s string) bool { return strings.HasPrefix(s, "upn\tname\na@contoso.com\t") }},
		{FormatTable, true, func(s string) bool {
			return strings.HasPrefix(s, "UPN            NAME") && strings.HasSuffix(s, "done\n")
		}},
	} {
		var buf bytes.Buffer
		s := NewRowStream(&buf, tc.format, tc.tty, []string{"upn", "name"})
		for _, r := range rows {
			if err := s.Write(r.v, r.cells); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(map[string]int{"n": 2}, []string{"done"}); err != nil {
			t.Fatal(err)
		}
		if !tc.check(buf.String()) {
			t.Errorf("%s tty=%v:\n%q", tc.format, tc.tty, buf.String())
		}
	}
	// An empty JSON stream is still valid JSON.
	var buf bytes.Buffer
	s := NewRowStream(&buf, FormatJSON, false, nil)
	_ = s.Close(nil, nil)
	if !json.Valid(buf.Bytes()) {
		t.Errorf("empty json: %q", buf.String())
	}
}
