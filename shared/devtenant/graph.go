package devtenant

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// graphReq is one Graph request being served (top-level or a $batch item).
type graphReq struct {
	w       http.ResponseWriter
	r       *http.Request
	version string   // v1.0 or beta
	segs    []string // path segments after the version, unescaped and normalized
	q       url.Values
	claims  *accessClaims
	host    string // request host (with port) for absolute URLs
	body    []byte
	params  []string // values of {} segments
	now     time.Time
	route   *graphRoute
	count   int // @odata.count to emit (first page of $count=true), -1 = none
}

// base is the service root, e.g. https://graph.microsoft.com/v1.0.
func (g *graphReq) base() string { return "https://" + g.host + "/" + g.version }

// graphRoute is one row of the routing and permission table.
type graphRoute struct {
	method  string
	pattern []string // literal segments, "{}" = parameter
	beta    bool     // beta only
	// perms: any one of these app roles (or delegated scopes) is enough.
	perms []string
	// class selects the throttling budget: directory, reports, ca, sites.
	class  string
	cost   int // base resource units (directory)
	handle func(t *Tenant, g *graphReq)
}

var (
	permUserRead     = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"}
	permUserRevoke   = []string{"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	permUserWrite    = []string{"User.ReadWrite.All", "Directory.ReadWrite.All", "User-PasswordProfile.ReadWrite.All", "User.EnableDisableAccount.All"}
	permGroupMembers = []string{"GroupMember.Read.All", "GroupMember.ReadBasic.All", "Group.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permGroupRead    = []string{"Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permPolicyRead   = []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.SecurityDefaults"}
	permMFAWrite     = []string{"Policy.ReadWrite.AuthenticationMethod"}
	permSecDefWrite  = []string{"Policy.ReadWrite.SecurityDefaults", "Policy.ReadWrite.ConditionalAccess"}
	permCARead       = []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}
	permCAWrite      = []string{"Policy.ReadWrite.ConditionalAccess"}
	permCAEvaluate   = []string{"Policy.Read.ConditionalAccess", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}
	permAuditRead    = []string{"AuditLog.Read.All", "Directory.Read.All"}
	permRegDetails   = []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
	permMethodsRead  = []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
	permAppRead      = []string{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"}
	permAppWrite     = []string{"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
	permSitesRead    = []string{"Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All", "Sites.Selected"}
	permAppPolicy    = []string{"Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"}
	permAppPolWrite  = []string{"Policy.ReadWrite.ApplicationConfiguration"}
)

// graphRouteTable builds the routing and permission table, one list per
// family of endpoints; the first match wins. Each tenant builds its own at
// Start (handlers read the table, so it cannot be a package variable).
func graphRouteTable() []*graphRoute {
	return slices.Concat(
		resourcePrincipalRoutes(), appRoutes(), authRoutes(), caRoutes(),
		groupRoutes(), userRoutes(), siteRoutes(), signInRoutes(),
	)
}

func route(method, pattern string, perms []string, class string, cost int, h func(*Tenant, *graphReq)) *graphRoute {
	return &graphRoute{method: method, pattern: strings.Split(pattern, "/"), perms: perms, class: class, cost: cost, handle: h}
}

func betaOnly(r *graphRoute) *graphRoute { r.beta = true; return r }

// keySeg matches OData key syntax: users('x'), applications(appId='x').
var keySeg = regexp.MustCompile(`^([A-Za-z]+)\((?:([A-Za-z]+)=)?'([^']*)'\)$`)

// normalizeSegs turns key syntax into plain segments: applications(appId='x')
// becomes "applications", "appId=x"; users('x') becomes "users", "x".
func normalizeSegs(segs []string) []string {
	out := make([]string, 0, len(segs)+1)
	for _, s := range segs {
		if m := keySeg.FindStringSubmatch(s); m != nil {
			out = append(out, m[1])
			if m[2] != "" {
				out = append(out, m[2]+"="+m[3])
			} else {
				out = append(out, m[3])
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func matchRoute(routes []*graphRoute, method, version string, segs []string) (*graphRoute, []string, bool) {
	pathMatched := false
	for _, rt := range routes {
		if len(rt.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for i, p := range rt.pattern {
			if p == "{}" {
				params = append(params, segs[i])
				continue
			}
			if !strings.EqualFold(p, segs[i]) {
				ok = false
				break
			}
		}
		if !ok || (rt.beta && version != "beta") {
			continue
		}
		pathMatched = true
		if rt.method == method {
			return rt, params, true
		}
	}
	return nil, nil, pathMatched
}

// serveGraph handles graph.microsoft.com.
func (t *Tenant) serveGraph(w http.ResponseWriter, r *http.Request) {
	reqID := newGUID()
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = reqID
	}
	h := w.Header()
	h.Set("request-id", reqID)
	h.Set("client-request-id", crid)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"devtenant","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"devtenant"}}`)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cache-Control", "no-cache")

	p := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	version, rest, _ := strings.Cut(p, "/")
	if version != "v1.0" && version != "beta" {
		graphErrorRaw(w, reqID, crid, t.Now(), http.StatusBadRequest, "BadRequest", "Invalid version: "+version)
		return
	}
	claims, terr := t.verifyToken(r, "https://graph.microsoft.com", ResourceGraph, "https://graph.microsoft.com/")
	if terr != nil {
		h.Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="%s"`, ResourceGraph))
		if terr.claims != "" {
			h.Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="%s", error="insufficient_claims", claims="%s"`, ResourceGraph, terr.claims))
		}
		graphErrorRaw(w, reqID, crid, t.Now(), http.StatusUnauthorized, terr.code, terr.message)
		return
	}
	body, err := readBody(r)
	if err != nil {
		graphErrorRaw(w, reqID, crid, t.Now(), http.StatusBadRequest, "BadRequest", "Unable to read the request body: "+err.Error())
		return
	}
	if rest == "$batch" {
		if r.Method != http.MethodPost {
			graphErrorRaw(w, reqID, crid, t.Now(), http.StatusMethodNotAllowed, "BadRequest", "Specified HTTP method is not allowed for the request target.")
			return
		}
		t.serveBatch(w, r, version, claims, body, reqID, crid)
		return
	}
	t.dispatchGraph(w, r, version, rest, claims, body, reqID, crid, true)
}

// dispatchGraph routes one request (top level or batch item). escapedRest is
// the escaped path after the version.
func (t *Tenant) dispatchGraph(w http.ResponseWriter, r *http.Request, version, escapedRest string, claims *accessClaims, body []byte, reqID, crid string, throttle bool) {
	now := t.Now()
	raw := strings.Split(strings.Trim(escapedRest, "/"), "/")
	segs := make([]string, 0, len(raw))
	for _, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			u = s
		}
		segs = append(segs, u)
	}
	segs = normalizeSegs(segs)
	self := false
	if len(segs) > 0 && strings.EqualFold(segs[0], "me") {
		self = true
		if claims.IdTyp != "user" {
			graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
			return
		}
		segs = append([]string{"users", claims.Oid}, segs[1:]...)
	}
	g := &graphReq{w: w, r: r, version: version, segs: segs, q: graphQuery(r.URL), claims: claims, host: r.Host, body: body, now: now, count: -1}
	if len(segs) >= 2 && strings.EqualFold(segs[0], "sites") && strings.HasSuffix(segs[1], ":") {
		g.params = []string{strings.TrimSuffix(segs[1], ":"), "/" + strings.Join(segs[2:], "/")}
		g.route = siteByPathRoute
	} else {
		rt, params, pathOK := matchRoute(t.st.routes, r.Method, version, segs)
		if rt == nil {
			if pathOK {
				graphErrorRaw(w, reqID, crid, now, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
			} else {
				graphErrorRaw(w, reqID, crid, now, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", lastSeg(segs)))
			}
			return
		}
		g.route, g.params = rt, params
	}
	if !hasAny(claims, g.route.perms) && !(self && r.Method == http.MethodGet && hasAny(claims, []string{"User.Read", "User.ReadWrite"})) {
		graphErrorRaw(w, reqID, crid, now, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if throttle && !t.throttleGraph(g, reqID, crid) {
		return
	}
	g.route.handle(t, g)
}

func lastSeg(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	return segs[len(segs)-1]
}

// hasAny reports whether the token carries one of perms as an app role or a delegated scope.
func hasAny(c *accessClaims, perms []string) bool {
	if len(perms) == 0 {
		return true
	}
	have := c.Roles
	if c.IdTyp == "user" {
		have = strings.Fields(c.Scp)
	}
	for _, p := range perms {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, p) }) {
			return true
		}
	}
	return false
}

// graphQuery parses the query, accepting OData options with or without "$".
func graphQuery(u *url.URL) url.Values {
	q := url.Values{}
	for k, v := range u.Query() {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "$") {
			switch lk {
			case "select", "filter", "top", "skiptoken", "orderby", "count", "expand", "search":
				lk = "$" + lk
			}
		}
		q[lk] = v
	}
	return q
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var rd io.Reader = io.LimitReader(r.Body, 8<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return b, nil
}

// graph error envelope.
func graphErrorRaw(w http.ResponseWriter, reqID, crid string, now time.Time, status int, code, msg string) {
	b, _ := json.Marshal(map[string]any{"error": jobj{
		{"code", code}, {"message", msg},
		{"innerError", jobj{{"date", now.UTC().Format("2006-01-02T15:04:05")}, {"request-id", reqID}, {"client-request-id", crid}}},
	}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (g *graphReq) error(status int, code, msg string) {
	graphErrorRaw(g.w, g.w.Header().Get("request-id"), g.w.Header().Get("client-request-id"), g.now, status, code, msg)
}

func (g *graphReq) notFound(id string) {
	g.error(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func (g *graphReq) badRequest(msg string) { g.error(http.StatusBadRequest, "Request_BadRequest", msg) }

const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// json writes v with Graph's headers.
func (g *graphReq) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		g.error(http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	h := g.w.Header()
	h.Set("Content-Type", odataJSON)
	h.Set("OData-Version", "4.0")
	g.w.WriteHeader(status)
	_, _ = g.w.Write(b)
}

func (g *graphReq) noContent() { g.w.WriteHeader(http.StatusNoContent) }

// decode unmarshals the request body.
func (g *graphReq) decode(v any) bool {
	if len(bytes.TrimSpace(g.body)) == 0 {
		g.badRequest("Empty Payload, JSON content expected.")
		return false
	}
	if err := json.Unmarshal(g.body, v); err != nil {
		g.error(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return false
	}
	return true
}

// kv / jobj are an order-preserving JSON object.
type kv struct {
	k string
	v any
}

type jobj []kv

func (o jobj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", e.k, err)
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// gtime formats a Graph DateTimeOffset (nil for zero).
func gtime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// nz returns nil for "" so that Graph's nulls are preserved.
func nz(s string) any {
	if s == "" {
		return nil
	}
	return s
}
