package sessions

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/tenantops/tenantops/shared/op"
)

// userColumns are header names (case-insensitive) that hold a user, in
// order of preference: exports from the portal, Graph PowerShell and
// Excel use these.
var userColumns = []string{"userprincipalname", "upn", "user", "objectid", "id", "mail", "email"}

// ParseUserList reads users from a file: either one per line (blank lines and
// lines starting with # ignored) or CSV with a header row that has a user
// column (userPrincipalName, UPN, user, objectId or id). A UTF-8 BOM, as
// Excel writes, is accepted.
func ParseUserList(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the user list: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			first = l
			break
		}
	}
	if first == "" {
		return nil, op.Invalid("emptyUserList", "usersFile", "the user list is empty")
	}
	if strings.ContainsAny(first, ",;\t") || isHeader(first) {
		return parseCSV(data)
	}
	var out []string
	sc = bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func isHeader(line string) bool {
	l := strings.ToLower(strings.Trim(line, `"' `))
	for _, c := range userColumns {
		if l == c {
			return true
		}
	}
	return false
}

func parseCSV(data []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	// Excel in many locales writes ';'.
	if first, _, _ := strings.Cut(string(data), "\n"); !strings.Contains(first, ",") {
		if strings.Contains(first, ";") {
			cr.Comma = ';'
		} else if strings.Contains(first, "\t") {
			cr.Comma = '\t'
		}
	}
	header, err := cr.Read()
	if err != nil {
		return nil, op.Invalid("invalidUserList", "usersFile", "cannot read the CSV header: %v", err)
	}
	col := -1
	for _, want := range userColumns {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), want) {
				col = i
				break
			}
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		return nil, op.Invalid("invalidUserList", "usersFile", "the CSV header %q has no user column (want one of userPrincipalName, UPN, user, objectId, id)", strings.Join(header, ","))
	}
	var out []string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, op.Invalid("invalidUserList", "usersFile", "CSV line %d: %v", line, err)
		}
		if col < len(rec) {
			if v := strings.TrimSpace(rec[col]); v != "" {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
