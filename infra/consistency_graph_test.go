package infra_test

// Every Microsoft Graph call an operation makes is covered by the permission
// manifest for that operation — checked on the wire, not in the source.
//
// Each CLI command runs against the dev tenant through a recording TLS proxy
// (the dev transport dials TENANTOPS_DEVTENANT_URL for every Microsoft host,
// so pointing it at the proxy captures exactly what went out, $batch items
// included). Each run signs in as an app holding exactly the manifest's app
// roles, directory roles and Key Vault access for the operations the command
// implements: a Graph call outside those operations' manifest calls, or a 403,
// fails the test. Every command in the CLI tree must have a case.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	manifest "github.com/tenantops/tenantops/infra/permissions"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

// graphCase runs one CLI invocation as an identity holding exactly what ops need.
type graphCase struct {
	name string
	// command is the CLI command path without "tenantops", e.g. "sessions revoke".
	command string
	args    []string
	ops     []string // manifest operations the invocation implements
	// codes are the acceptable exit codes (default 0 and 3: ran, maybe found a problem).
	codes []int
}

// Targets in the default fixture.
const (
	adeleUPN      = "adele.vance@contoso.com"
	svcUPN        = devtenant.SvcSharePointUPN
	wfSecret      = "workflow-engine-secret"
	svcPassword   = "svc-sharepoint-password"
	operationsURL = "https://" + devtenant.SharePointHost + "/sites/operations"
)

var graphCases = []graphCase{
	{name: "revoke-user", command: "sessions revoke", args: []string{"--user", adeleUPN}, ops: []string{"sessions.revoke"}},
	{name: "revoke-group", command: "sessions revoke", args: []string{"--group", "MFA Rollout Wave 1"}, ops: []string{"sessions.revoke", "sessions.targets.group"}},
	{name: "revoke-mfa-state", command: "sessions revoke", args: []string{"--mfa-state", "enabled-unregistered"}, ops: []string{"sessions.revoke", "sessions.targets.mfa-state"}},
	{name: "revoke-all", command: "sessions revoke", args: []string{"--all", "--yes", "--reason", "consistency test"}, ops: []string{"sessions.revoke", "sessions.targets.all"}},
	{name: "rotate-app-secret", command: "credentials rotate", args: []string{"--secret", wfSecret}, ops: []string{"credentials.rotate.app-secret"}},
	{name: "rotate-user-password", command: "credentials rotate", args: []string{"--secret", svcPassword}, ops: []string{"credentials.rotate.user-password"}},
	{name: "credentials-list", command: "credentials list", ops: []string{"credentials.list"}},
	{name: "credentials-expiring", command: "credentials expiring", args: []string{"--days", "60"}, ops: []string{"credentials.expiring"}},
	{name: "credentials-adopt", command: "credentials adopt", args: []string{"--secret", svcPassword}, ops: []string{"credentials.adopt"}},
	{name: "sharepoint-check", command: "sharepoint check", args: []string{"--site", operationsURL, "--credential", svcPassword}, ops: []string{"sharepoint.check"}},
	{name: "egress-ip", command: "egress ip", ops: []string{"egress"}},
	{name: "egress-trusted", command: "egress trusted", ops: []string{"egress"}},
	{name: "mfa-report", command: "mfa report", ops: []string{"mfa.report"}},
	{name: "mfa-set", command: "mfa set", args: []string{"--user", "alex.wilber@contoso.com", "--state", "enforced"}, ops: []string{"mfa.set"}},
	{name: "security-defaults-show", command: "security-defaults show", ops: []string{"security-defaults.show"}},
	{name: "security-defaults-enable", command: "security-defaults enable", ops: []string{"security-defaults.enable"}},
	{name: "security-defaults-disable", command: "security-defaults disable", args: []string{"--yes"}, ops: []string{"security-defaults.disable"}},
	{name: "named-locations-list", command: "named-locations list", ops: []string{"named-locations.list"}},
	{name: "named-locations-add", command: "named-locations add", args: []string{"--name", "Head office", "--cidr", "198.51.100.0/24"}, ops: []string{"named-locations.add"}},
	{name: "named-locations-remove", command: "named-locations remove", args: []string{"--name", "Head office", "--cidr", "198.51.100.0/24", "--yes"}, ops: []string{"named-locations.remove"}},
	{name: "signins", command: "signins", args: []string{"--user", svcUPN}, ops: []string{"signins"}},
	{name: "permissions-grant", command: "permissions grant", args: []string{"--principal", "{reporting-sp}", "--operations", "signins"}, ops: []string{"permissions.grant"}},
	{name: "permissions-check", command: "permissions check", args: []string{"--principal", "{reporting-sp}"}, ops: []string{"permissions.grant"}},
	// Without --principal the identity reads its own token: no Graph call at all.
	{name: "permissions-check-self", command: "permissions check", ops: nil},
}

// noGraphCommands never reach Graph and are not run here.
var noGraphCommands = map[string]string{
	"devtenant serve": "serves the dev tenant itself",
}

// gap is what a case needs beyond its operations' manifest entries: found
// by this test, to be moved into infra/permissions/manifest.yaml by its
// owner. The test fails when a gap is closed (a call no longer seen, a role
// the manifest now grants), so the list only shrinks.
type gap struct {
	// roles the identity needs beyond the manifest's (the run fails without them): value → why.
	roles map[string]string
	// calls the manifest does not list: "METHOD /version/path" (ids as {id}) → why.
	calls map[string]string
}

var knownGaps = map[string]gap{}

// wireCall is one Graph request seen on the wire ($batch items unpacked).
type wireCall struct {
	Method, Version, Path string // Path without version or query, unescaped
	Status                int
	InBatch               bool
}

func (c wireCall) String() string {
	s := fmt.Sprintf("%s /%s%s", c.Method, c.Version, c.Path)
	if c.InBatch {
		s += " (in $batch)"
	}
	return s
}

// recordingProxy terminates TLS for the Microsoft host names and forwards
// to the dev tenant, recording the Graph requests.
type recordingProxy struct {
	next  http.RoundTripper
	mu    sync.Mutex
	calls []wireCall
}

func (p *recordingProxy) take() []wireCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.calls
	p.calls = nil
	return out
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "https", r.Host
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.Header.Del("Accept-Encoding") // plain answers, so $batch responses can be read
	resp, err := p.next.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if strings.EqualFold(hostOnly(r.Host), "graph.microsoft.com") {
		p.record(r, body, resp.StatusCode, respBody)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[i:], "]") {
		return h[:i]
	}
	return h
}

func (p *recordingProxy) record(r *http.Request, body []byte, status int, respBody []byte) {
	version, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.mu.Lock()
	defer p.mu.Unlock()
	if rest != "$batch" {
		p.calls = append(p.calls, wireCall{Method: r.Method, Version: version, Path: "/" + rest, Status: status})
		return
	}
	var req struct {
		Requests []struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"requests"`
	}
	var resp struct {
		Responses []struct {
			ID     string `json:"id"`
			Status int    `json:"status"`
		} `json:"responses"`
	}
	_ = json.Unmarshal(body, &req)
	_ = json.Unmarshal(respBody, &resp)
	statusOf := map[string]int{}
	for _, it := range resp.Responses {
		statusOf[it.ID] = it.Status
	}
	if len(req.Requests) == 0 {
		p.calls = append(p.calls, wireCall{Method: r.Method, Version: version, Path: "/$batch (unreadable body)", Status: status})
	}
	for _, it := range req.Requests {
		u, err := url.Parse(it.URL)
		path := it.URL
		if err == nil {
			path = u.Path
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		p.calls = append(p.calls, wireCall{Method: strings.ToUpper(it.Method), Version: version, Path: path, Status: statusOf[it.ID], InBatch: true})
	}
}

// startProxy serves p over TLS with a certificate for identity.DevHosts from
// a fresh CA, and returns its URL and the CA's PEM file.
func startProxy(t *testing.T, p *recordingProxy) (string, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tenantops consistency test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "graph.microsoft.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: identity.DevHosts, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "proxy-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile
}

// callMatcher matches wire calls against a manifest call's path template.
type callMatcher struct {
	call manifest.Call
	re   *regexp.Regexp
}

// templateRE turns "/users/{user-id}/x" into a case-insensitive regexp; a
// parameter after ":/" (a server-relative path) may span segments.
func templateRE(path string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?i)^")
	rest := path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		lit := rest[:i]
		b.WriteString(regexp.QuoteMeta(lit))
		if strings.HasSuffix(lit, ":/") {
			b.WriteString(".+")
		} else {
			b.WriteString("[^/]+")
		}
		rest = rest[i+j+1:]
	}
	b.WriteString("/?$")
	return regexp.MustCompile(b.String())
}

func matchersFor(m *manifest.Manifest, ops []string) ([]callMatcher, error) {
	var out []callMatcher
	for _, name := range ops {
		o, ok := m.Operation(name)
		if !ok {
			return nil, fmt.Errorf("operation %q is not in the manifest", name)
		}
		for _, c := range o.Calls {
			out = append(out, callMatcher{call: c, re: templateRE(c.Path)})
		}
	}
	return out, nil
}

// uncovered returns the wire calls no matcher allows.
func uncovered(calls []wireCall, ms []callMatcher) []wireCall {
	var out []wireCall
	for _, c := range calls {
		ok := slices.ContainsFunc(ms, func(m callMatcher) bool {
			return strings.EqualFold(m.call.Method, c.Method) && m.call.Version == c.Version && m.re.MatchString(c.Path)
		})
		if !ok {
			out = append(out, c)
		}
	}
	return out
}

// gapKey is how a known gap names a call: METHOD /version/path with ids
// replaced by {id}.
var idSegRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^/@]+@[^/]+`)

func gapKey(c wireCall) string {
	return c.Method + " /" + c.Version + idSegRE.ReplaceAllString(c.Path, "{id}")
}

// caseApp is the least-privileged identity of one case.
func caseApp(c graphCase) (appID, secret string) {
	return devtenant.StableID("consistency-app", c.name), "consistency~dev-only~" + c.name
}

// consistencyFixture is the default fixture plus one app per case holding
// exactly its operations' app roles, directory roles and Key Vault access.
func consistencyFixture(t *testing.T, m *manifest.Manifest, now time.Time) *devtenant.Fixture {
	t.Helper()
	fx := devtenant.ContosoAt(now)
	for _, c := range graphCases {
		appID, secret := caseApp(c)
		a := devtenant.App{AppID: appID, DisplayName: "consistency " + c.name, AppRoles: map[string][]string{},
			Passwords: []devtenant.PasswordCredential{{DisplayName: "test", Secret: secret, Start: now.Add(-time.Hour), End: now.Add(24 * time.Hour)}}}
		vault := false
		for _, name := range c.ops {
			o, ok := m.Operation(name)
			if !ok {
				t.Fatalf("case %s: operation %q is not in the manifest", c.name, name)
			}
			for _, r := range o.AppRoles {
				if !slices.Contains(a.AppRoles[devtenant.ResourceGraph], r.Value) {
					a.AppRoles[devtenant.ResourceGraph] = append(a.AppRoles[devtenant.ResourceGraph], r.Value)
				}
			}
			for _, d := range o.DirectoryRoles {
				if !slices.Contains(a.DirectoryRoles, d) {
					a.DirectoryRoles = append(a.DirectoryRoles, d)
				}
			}
			for _, az := range o.AzureRoles {
				vault = vault || strings.Contains(az, "Key Vault")
			}
		}
		for r := range knownGaps[c.name].roles {
			if slices.Contains(a.AppRoles[devtenant.ResourceGraph], r) {
				t.Errorf("known gap %s: the manifest now grants %s: remove it from knownGaps", c.name, r)
			}
			a.AppRoles[devtenant.ResourceGraph] = append(a.AppRoles[devtenant.ResourceGraph], r)
		}
		fx.Apps = append(fx.Apps, a)
		if vault {
			for i := range fx.Vaults {
				fx.Vaults[i].Access[appID] = []string{"get", "list", "set", "delete", "recover"}
			}
			// Application.ReadWrite.OwnedBy reaches only owned apps (the manifest's note).
			for i := range fx.Apps {
				if fx.Apps[i].AppID == devtenant.WorkflowEngineAppID {
					fx.Apps[i].Owners = append(fx.Apps[i].Owners, devtenant.StableID("servicePrincipal", appID))
				}
			}
		}
	}
	return fx
}

// leafCommands lists the runnable leaf commands of the CLI tree.
func leafCommands(c *cobra.Command) []string {
	var out []string
	if c.Runnable() && !c.HasSubCommands() {
		out = append(out, strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" "))
	}
	for _, s := range c.Commands() {
		if s.Hidden || s.Name() == "help" || s.Name() == "completion" {
			continue
		}
		out = append(out, leafCommands(s)...)
	}
	return out
}

func TestEveryCommandHasAGraphCase(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(string) string { return "" })
	covered := map[string]bool{}
	for _, c := range graphCases {
		covered[c.command] = true
	}
	leaves := leafCommands(root.NewCmdRoot(f))
	for _, l := range leaves {
		if !covered[l] && noGraphCommands[l] == "" {
			t.Errorf("`tenantops %s` has no case in graphCases (infra/consistency_graph_test.go): add one naming the manifest operations it implements", l)
		}
	}
	for c := range covered {
		if !slices.Contains(leaves, c) {
			t.Errorf("graphCases runs `tenantops %s`, which no longer exists", c)
		}
	}
}

func TestGraphCallsCoveredByManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every CLI command against the dev tenant")
	}
	m, err := manifest.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dt, err := devtenant.Start(devtenant.Options{Fixture: consistencyFixture(t, m, now)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
	next, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	proxy := &recordingProxy{next: next}
	proxyURL, caFile := startProxy(t, proxy)

	// Reset the security defaults state the enable/disable cases depend on.
	ios, _, _, _ := iostreams.Test()
	leaves := leafCommands(root.NewCmdRoot(cmdutil.NewFactory(ios, func(string) string { return "" })))
	seenGaps := map[string]map[string]bool{}
	ran := map[string]bool{}
	for _, c := range graphCases {
		if !slices.Contains(leaves, c.command) {
			t.Errorf("%s: `tenantops %s` does not exist", c.name, c.command)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			if c.name == "security-defaults-enable" {
				// Enabling is refused while Conditional Access policies are on.
				if err := dt.SetCAPolicyState(devtenant.RequireMFAPolicyID, "disabled"); err != nil {
					t.Fatal(err)
				}
			}
			appID, secret := caseApp(c)
			env := map[string]string{
				"TENANTOPS_DEVTENANT_URL": proxyURL,
				"TENANTOPS_DEVTENANT_CA":  caFile,
				"AZURE_TENANT_ID":         devtenant.TenantID,
				"AZURE_CLIENT_ID":         appID,
				"AZURE_CLIENT_SECRET":     secret,
				"TENANTOPS_VAULT_URL":     devtenant.VaultURL,
				"TENANTOPS_BREAKGLASS":    "breakglass01@contoso.com,breakglass02@contoso.com",
			}
			args := strings.Fields(c.command)
			for _, a := range c.args {
				args = append(args, strings.ReplaceAll(a, "{reporting-sp}", devtenant.StableID("servicePrincipal", devtenant.ReportingAppID)))
			}
			ios, _, stdout, stderr := iostreams.Test()
			f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			proxy.take()
			ran[c.name] = true
			code := root.Main(ctx, f, args)
			calls := proxy.take()
			codes := c.codes
			if codes == nil {
				codes = []int{cmdutil.ExitOK, cmdutil.ExitProblem}
			}
			if !slices.Contains(codes, code) {
				t.Fatalf("`tenantops %s` exit %d (want %v) — it must run to exercise its calls:\n%s\n%s", strings.Join(args, " "), code, codes, stdout, lastLines(stderr.String(), 8))
			}
			ms, err := matchersFor(m, c.ops)
			if err != nil {
				t.Fatal(err)
			}
			for _, call := range calls {
				if call.Status == http.StatusForbidden {
					t.Errorf("%s answered 403 to an identity holding the manifest's permissions for %v: the manifest does not grant enough", call, c.ops)
				}
			}
			for _, call := range uncovered(calls, ms) {
				k := gapKey(call)
				if reason := knownGaps[c.name].calls[k]; reason != "" {
					if seenGaps[c.name] == nil {
						seenGaps[c.name] = map[string]bool{}
					}
					seenGaps[c.name][k] = true
					t.Logf("known gap %s: %s", k, reason)
					continue
				}
				t.Errorf("`tenantops %s` made %s, which the manifest does not list for %v (known-gap key %q)", c.command, call, c.ops, k)
			}
			var seen []string
			for _, call := range calls {
				seen = append(seen, call.String())
			}
			t.Logf("%d Graph calls: %s", len(calls), strings.Join(uniq(seen), "; "))
		})
	}
	for name, g := range knownGaps {
		if !ran[name] {
			continue
		}
		for k := range g.calls {
			if !seenGaps[name][k] {
				t.Errorf("known gap %s %q was not seen: remove it from knownGaps", name, k)
			}
		}
	}
}

func uniq(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The matcher and the proxy's batch unpacking can fail.
func TestGraphCallMatching(t *testing.T) {
	m, err := manifest.Load()
	if err != nil {
		t.Fatal(err)
	}
	ms, err := matchersFor(m, []string{"sessions.revoke", "sharepoint.check", "credentials.adopt"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		call wireCall
		ok   bool
	}{
		{wireCall{Method: "GET", Version: "v1.0", Path: "/users/adele.vance@contoso.com"}, true},
		{wireCall{Method: "POST", Version: "v1.0", Path: "/users/0b1c/revokeSignInSessions", InBatch: true}, true},
		{wireCall{Method: "post", Version: "v1.0", Path: "/Users/0b1c/RevokeSignInSessions"}, true},
		{wireCall{Method: "PATCH", Version: "v1.0", Path: "/users/0b1c"}, false},                           // method
		{wireCall{Method: "GET", Version: "beta", Path: "/users/0b1c"}, false},                             // version
		{wireCall{Method: "GET", Version: "v1.0", Path: "/users"}, false},                                  // collection
		{wireCall{Method: "GET", Version: "v1.0", Path: "/users/a/b"}, false},                              // deeper
		{wireCall{Method: "GET", Version: "v1.0", Path: "/sites/contoso.sharepoint.com:/sites/ops"}, true}, // path parameter
		{wireCall{Method: "GET", Version: "v1.0", Path: "/applications(appId='2f6e')"}, true},
		{wireCall{Method: "GET", Version: "v1.0", Path: "/applications/2f6e"}, false},
	}
	for _, tc := range tests {
		if got := len(uncovered([]wireCall{tc.call}, ms)) == 0; got != tc.ok {
			t.Errorf("%s: covered=%v, want %v", tc.call, got, tc.ok)
		}
	}
	if _, err := matchersFor(m, []string{"no.such"}); err == nil {
		t.Error("unknown operation accepted")
	}
	if k := gapKey(wireCall{Method: "GET", Version: "v1.0", Path: "/users/a@b.com/x/0b1c2d3e-0000-4000-8000-000000000000"}); k != "GET /v1.0/users/{id}/x/{id}" {
		t.Errorf("gapKey = %q", k)
	}

	// $batch items are unpacked with their own statuses.
	p := &recordingProxy{}
	r := httptest.NewRequest("POST", "https://graph.microsoft.com/v1.0/$batch", nil)
	p.record(r, []byte(`{"requests":[{"id":"1","method":"POST","url":"/users/u1/revokeSignInSessions"},{"id":"2","method":"GET","url":"users/u2?$select=id"}]}`),
		200, []byte(`{"responses":[{"id":"2","status":403},{"id":"1","status":200}]}`))
	got := p.take()
	want := []wireCall{
		{Method: "POST", Version: "v1.0", Path: "/users/u1/revokeSignInSessions", Status: 200, InBatch: true},
		{Method: "GET", Version: "v1.0", Path: "/users/u2", Status: 403, InBatch: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("batch unpacked to %v, want %v", got, want)
	}
}
