package devtenant

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A small $filter implementation: comparisons (eq, ne, gt, ge, lt, le) against
// string, number, boolean, null and DateTimeOffset literals, startswith/endswith,
// combined with and/or (and binds tighter). Parentheses are only allowed around
// function arguments. It is enough for what tenantops sends.

type filter struct {
	ors [][]clause
}

type clause struct {
	fn    string // "", startswith, endswith
	prop  string // canonical property path
	op    string // eq, ne, gt, ge, lt, le (fn clauses: "")
	lit   any    // string, bool, float64, time.Time or nil
	isLit bool
}

var userFilterProps = propSet("id", "userPrincipalName", "userType", "accountEnabled", "displayName", "mail", "givenName", "surname", "jobTitle", "department", "createdDateTime")

func propSet(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

func parseFilter(s string, props map[string]string) (*filter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f := &filter{}
	for _, orPart := range splitKeyword(s, "or") {
		var and []clause
		for _, part := range splitKeyword(orPart, "and") {
			c, err := parseClause(strings.TrimSpace(part), props)
			if err != nil {
				return nil, err
			}
			and = append(and, c)
		}
		f.ors = append(f.ors, and)
	}
	return f, nil
}

// splitKeyword splits s on " kw " outside quotes and parentheses (case-insensitive).
func splitKeyword(s, kw string) []string {
	var out []string
	depth, inQ, last := 0, false, 0
	ls := strings.ToLower(s)
	pat := " " + kw + " "
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQ = !inQ
		case inQ:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(ls[i:], pat):
			out = append(out, s[last:i])
			last = i + len(pat)
			i = last - 1
		}
	}
	return append(out, s[last:])
}

func parseClause(s string, props map[string]string) (clause, error) {
	ls := strings.ToLower(s)
	for _, fn := range []string{"startswith", "endswith"} {
		if strings.HasPrefix(ls, fn+"(") && strings.HasSuffix(s, ")") {
			args := s[len(fn)+1 : len(s)-1]
			p, v, ok := strings.Cut(args, ",")
			if !ok {
				return clause{}, qerrf("Invalid filter clause: %s", s)
			}
			prop, err := filterProp(strings.TrimSpace(p), props)
			if err != nil {
				return clause{}, err
			}
			lit, err := parseLiteral(strings.TrimSpace(v))
			if err != nil {
				return clause{}, err
			}
			str, ok := lit.(string)
			if !ok {
				return clause{}, qerrf("Invalid filter clause: %s", s)
			}
			return clause{fn: fn, prop: prop, lit: str, isLit: true}, nil
		}
	}
	parts := strings.SplitN(s, " ", 3)
	if len(parts) != 3 {
		return clause{}, qerrf("Invalid filter clause: %s", s)
	}
	op := strings.ToLower(parts[1])
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
	default:
		return clause{}, qerrf("Invalid filter clause: unsupported operator '%s'", parts[1])
	}
	prop, err := filterProp(parts[0], props)
	if err != nil {
		return clause{}, err
	}
	lit, err := parseLiteral(strings.TrimSpace(parts[2]))
	if err != nil {
		return clause{}, err
	}
	return clause{prop: prop, op: op, lit: lit, isLit: true}, nil
}

func filterProp(p string, props map[string]string) (string, error) {
	if c, ok := props[strings.ToLower(p)]; ok {
		return c, nil
	}
	return "", qerrf("Unsupported or invalid query filter clause specified for property '%s' of resource 'User'.", p)
}

func parseLiteral(v string) (any, error) {
	switch {
	case strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2:
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), nil
	case v == "true":
		return true, nil
	case v == "false":
		return false, nil
	case v == "null":
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return n, nil
	}
	return nil, qerrf("Syntax error: character '%s' is not valid at position 0 in '%s'.", v[:1], v)
}

func (f *filter) match(get func(prop string) any) bool {
	for _, and := range f.ors {
		ok := true
		for _, c := range and {
			if !c.match(get(c.prop)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c clause) match(v any) bool {
	if c.fn != "" {
		s, ok := v.(string)
		if !ok {
			return false
		}
		l := strings.ToLower(c.lit.(string))
		if c.fn == "startswith" {
			return strings.HasPrefix(strings.ToLower(s), l)
		}
		return strings.HasSuffix(strings.ToLower(s), l)
	}
	cmp, ok := compare(v, c.lit)
	switch c.op {
	case "eq":
		return ok && cmp == 0
	case "ne":
		return !ok || cmp != 0
	case "gt":
		return ok && cmp > 0
	case "ge":
		return ok && cmp >= 0
	case "lt":
		return ok && cmp < 0
	case "le":
		return ok && cmp <= 0
	}
	return false
}

// compare returns -1/0/1 comparing a property value with a literal.
func compare(v, lit any) (int, bool) {
	if lit == nil || v == nil {
		if lit == nil && v == nil {
			return 0, true
		}
		return 1, false
	}
	switch l := lit.(type) {
	case string:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(s), strings.ToLower(l)), true
	case bool:
		b, ok := v.(bool)
		if !ok || b != l {
			return 1, ok
		}
		return 0, true
	case float64:
		var n float64
		switch x := v.(type) {
		case int:
			n = float64(x)
		case float64:
			n = x
		default:
			return 0, false
		}
		switch {
		case n < l:
			return -1, true
		case n > l:
			return 1, true
		}
		return 0, true
	case time.Time:
		var tv time.Time
		switch x := v.(type) {
		case time.Time:
			tv = x
		case string:
			p, err := time.Parse(time.RFC3339, x)
			if err != nil {
				return 0, false
			}
			tv = p
		default:
			return 0, false
		}
		return tv.Compare(l), true
	}
	return 0, false
}

// chunkWriter buffers streamed responses.
type chunkWriter struct{ *bufio.Writer }

func newChunkWriter(w io.Writer) chunkWriter { return chunkWriter{bufio.NewWriterSize(w, 32<<10)} }

// queryError is a client-facing OData error message (Graph's wording, hence capitalized).
type queryError string

func (e queryError) Error() string { return string(e) }

func qerrf(format string, a ...any) error { return queryError(fmt.Sprintf(format, a...)) }
