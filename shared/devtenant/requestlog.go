package devtenant

import (
	"net/url"
	"strings"
	"time"
)

// maxRequests bounds the request log; the oldest entries are dropped first.
const maxRequests = 100_000

// Request is one entry of the request log. It never holds credentials: bodies
// are not recorded and sensitive query parameters are redacted.
type Request struct {
	Seq      int64
	Time     time.Time // tenant clock
	Method   string
	Host     string // without port
	Path     string
	Query    string
	Service  string // entra, graph, vault, sharepoint, echo, admin ("" = unknown host)
	Status   int    // 0 = connection dropped by a fault
	AppID    string // client application (token claim or client_id)
	User     string // user principal name for user (delegated/ROPC) requests
	Fault    string // injected fault or throttling applied, if any
	Duration time.Duration
	// InBatch marks a $batch item (logged after the items run, before the
	// outer POST /$batch entry).
	InBatch bool
}

// Key is "METHOD /path", the form used by Count.
func (r Request) Key() string { return r.Method + " " + r.Path }

func (t *Tenant) record(r Request) {
	t.reqMu.Lock()
	defer t.reqMu.Unlock()
	t.reqSeq++
	r.Seq = t.reqSeq
	if len(t.requests) >= maxRequests {
		n := copy(t.requests, t.requests[len(t.requests)/10:])
		t.requests = t.requests[:n]
	}
	t.requests = append(t.requests, r)
	t.log.Debug("devtenant: request", "method", r.Method, "host", r.Host, "path", r.Path, "status", r.Status, "appId", r.AppID, "fault", r.Fault)
}

// Requests returns a copy of the request log, oldest first.
func (t *Tenant) Requests() []Request {
	t.reqMu.Lock()
	defer t.reqMu.Unlock()
	return append([]Request(nil), t.requests...)
}

// ResetRequests clears the request log.
func (t *Tenant) ResetRequests() {
	t.reqMu.Lock()
	defer t.reqMu.Unlock()
	t.requests = nil
}

// Count returns how many logged requests match key: "METHOD /path" exactly, or
// with glob patterns ("POST /v1.0/users/*/revokeSignInSessions"; "*" matches
// within a path segment, "**" across segments). The method may be "*".
func (t *Tenant) Count(key string) int {
	method, pattern, _ := strings.Cut(key, " ")
	t.reqMu.Lock()
	defer t.reqMu.Unlock()
	n := 0
	for _, r := range t.requests {
		if (method == "*" || strings.EqualFold(method, r.Method)) && globMatch(pattern, r.Path) {
			n++
		}
	}
	return n
}

var sensitiveParams = map[string]bool{"client_secret": true, "password": true, "client_assertion": true, "code": true, "refresh_token": true, "access_token": true}

func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable)"
	}
	changed := false
	for k := range q {
		if sensitiveParams[strings.ToLower(k)] {
			q[k] = []string{"REDACTED"}
			changed = true
		}
	}
	if !changed {
		s, err := url.QueryUnescape(raw)
		if err != nil {
			return raw
		}
		return s
	}
	return q.Encode()
}

// globMatch matches path against pattern: "*" matches any run of characters
// other than '/', "**" matches anything. Matching is case-insensitive.
func globMatch(pattern, path string) bool {
	return globAt(strings.ToLower(pattern), strings.ToLower(path))
}

func globAt(p, s string) bool {
	for len(p) > 0 {
		if p[0] != '*' {
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
			continue
		}
		deep := strings.HasPrefix(p, "**")
		if deep {
			p = p[2:]
		} else {
			p = p[1:]
		}
		for i := 0; i <= len(s); i++ {
			if globAt(p, s[i:]) {
				return true
			}
			if i < len(s) && s[i] == '/' && !deep {
				return false
			}
		}
		return false
	}
	return len(s) == 0
}
