// Package spcheck answers "why can't this server reach SharePoint?" in one
// call: it finds the egress IP, signs in with a credential stored in Key
// Vault exactly as the workload does, calls SharePoint REST and Graph, reads
// what Conditional Access, security defaults and per-user MFA say about the
// sign-in, and turns that evidence into findings with remedies.
package spcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// SharePointAppID is the well-known appId of Office 365 SharePoint Online,
// the application the What If evaluation asks about.
const SharePointAppID = "00000003-0000-0ff1-ce00-000000000000"

// DefaultCAInterval spaces Conditional Access reads: the tenant's budget is
// one request per second across all apps, and its 429s carry no Retry-After.
const DefaultCAInterval = 1100 * time.Millisecond

// ExpiryWarning is how close to expiry a credential draws a warning.
const ExpiryWarning = 30 * 24 * time.Hour

// Permissions the trust checks need (named in "could not check" messages).
const (
	PermNamedLocations   = "Policy.Read.All"
	PermWhatIf           = "Policy.Read.ConditionalAccess (or Policy.Read.All)"
	PermSecurityDefaults = "Policy.Read.All"
	PermPerUserMFA       = "Policy.Read.All"
	PermUserRead         = "User.Read.All"
)

// SecretReader reads Key Vault secrets.
type SecretReader interface {
	GetSecret(ctx context.Context, name, version string) (vault.Secret, error)
}

// Directory is what the check reads with tenantops's own identity.
type Directory interface {
	ListNamedLocations(ctx context.Context) ([]graph.NamedLocation, error)
	EvaluateCA(ctx context.Context, req graph.WhatIfRequest) ([]graph.WhatIfResult, error)
	GetSecurityDefaults(ctx context.Context) (graph.SecurityDefaults, error)
	GetPerUserMFAState(ctx context.Context, idOrUPN string) (string, error)
	GetUser(ctx context.Context, idOrUPN string) (graph.User, error)
}

// Deps are the check's collaborators. Transport carries every request the
// check makes as the workload would (echo services, Entra, SharePoint, Graph).
type Deps struct {
	Secrets   SecretReader // nil: no Key Vault configured
	Directory Directory
	Transport http.RoundTripper
	Cloud     identity.Cloud
	// TenantID is the tenant the stored credentials sign in to.
	TenantID string
	// EchoURLs are the IP-echo services (TENANTOPS_EGRESS_ECHO_URLS).
	EchoURLs []string
	// ExpectedIPs are the deployment's expected egress IPs (TENANTOPS_EXPECTED_EGRESS_IPS).
	ExpectedIPs []string
	Now         func() time.Time
	Log         *slog.Logger
	// CAInterval spaces Conditional Access reads (0 = DefaultCAInterval).
	CAInterval time.Duration
}

type runner struct {
	deps   Deps
	client *http.Client
	now    time.Time
	lastCA time.Time
	log    *slog.Logger
}

func newRunner(deps Deps) *runner {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.CAInterval <= 0 {
		deps.CAInterval = DefaultCAInterval
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := deps.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &runner{
		deps: deps,
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
			// A redirect from SharePoint is a sign-in page: report it, don't follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now: deps.Now(),
		log: log,
	}
}

// Run checks the connection from this server to req.Site with the stored
// credential req.Credential. It fails as a whole only for invalid input or a
// cancelled context; everything else is evidence and findings.
func Run(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	host, path, _ := ParseSite(req.Site)
	if suffix := deps.Cloud.Endpoints().SharePointSuffix; !strings.HasSuffix(host, "."+suffix) {
		return Result{}, op.Invalid("invalidSite", "site", "%s is not a SharePoint Online host of this cloud (*.%s)", host, suffix)
	}
	expected, err := expectedIPs(req.ExpectIP, deps.ExpectedIPs)
	if err != nil {
		return Result{}, err
	}
	if deps.Directory == nil {
		return Result{}, errors.New("sharepoint check: no Graph client configured")
	}
	r := newRunner(deps)
	res := Result{Site: SiteURL(host, path), Tokens: []TokenInfo{}}

	res.Egress = r.discover(ctx, expected)
	locs := r.namedLocations(ctx, deps.Directory, &res.Trust)

	stored, cred := r.credential(ctx, &res.Credential, req.Credential)
	spTok, graphTok := r.tokens(ctx, &res, stored, cred, host)
	res.SharePoint = r.probeSharePoint(ctx, spTok, host, path)
	res.GraphSite = r.probeGraph(ctx, graphTok, host, path)
	for _, t := range res.Tokens {
		if t.Claims != nil && t.Claims.IPAddr != "" {
			res.Egress.EntraSaw = t.Claims.IPAddr
			break
		}
	}

	r.addressTrust(&res.Trust, locs, trustAddresses(res.Egress))
	r.securityDefaults(ctx, &res.Trust)
	userID := r.perUserMFA(ctx, &res.Trust, stored)
	r.whatIf(ctx, &res, stored, userID, locs)

	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("sharepoint check of %s: %w", res.Site, err)
	}
	res.Findings = Diagnose(res, r.now)
	res.Verdict = VerdictOf(res.Findings)
	res.Checks = Checklist(res)
	return res, nil
}

func expectedIPs(req, settings []string) ([]string, error) {
	list := req
	if len(list) == 0 {
		list = settings
	}
	addrs, err := egress.ParseIPs(list)
	if err != nil {
		if len(req) == 0 {
			return nil, fmt.Errorf("TENANTOPS_EXPECTED_EGRESS_IPS: %w", err)
		}
		return nil, op.Invalid("invalidIP", "expectIp", "%v", err)
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// discover asks the echo services where this server comes from.
func (r *runner) discover(ctx context.Context, expected []string) EgressInfo {
	d := egress.Discover(ctx, r.client, r.deps.EchoURLs)
	info := EgressInfo{IP: d.Primary(), Discovery: d}
	addrs, _ := egress.ParseIPs(expected) // validated by the caller
	info.Expected = egress.Expect(d.IPs, addrs)
	return info
}

// paceCA waits until a Conditional Access read fits the tenant budget.
func (r *runner) paceCA(ctx context.Context) {
	if !r.lastCA.IsZero() {
		if wait := r.deps.CAInterval - time.Since(r.lastCA); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	r.lastCA = time.Now()
}

func (r *runner) namedLocations(ctx context.Context, reader LocationReader, trust *TrustInfo) []egress.Location {
	r.paceCA(ctx)
	nls, err := reader.ListNamedLocations(ctx)
	if err != nil {
		trust.NamedLocations = lookupErr(err, "read named locations", PermNamedLocations)
		return nil
	}
	trust.NamedLocations = Lookup{Status: LookupOK}
	locs := make([]egress.Location, 0, len(nls))
	for _, nl := range nls {
		if nl.Kind != graph.LocationIP {
			continue
		}
		locs = append(locs, egress.Location{ID: nl.ID, DisplayName: nl.DisplayName, Trusted: nl.Trusted, CIDRs: nl.CIDRs})
	}
	if locs == nil {
		locs = []egress.Location{} // read, and empty: distinct from "could not read"
	}
	return locs
}

// trustAddresses are the addresses whose trust matters: what Entra saw first,
// then what the echo services saw.
func trustAddresses(e EgressInfo) []string {
	var out []string
	if e.EntraSaw != "" {
		out = append(out, e.EntraSaw)
	}
	for _, ip := range e.IPs {
		if !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}

func (r *runner) addressTrust(trust *TrustInfo, locs []egress.Location, addrs []string) {
	if locs == nil {
		return
	}
	trust.TrustedFamilies = egress.Families(locs, true)
	for _, l := range locs {
		if l.Trusted {
			trust.TrustedLocations = append(trust.TrustedLocations, LocationInfo{ID: l.ID, DisplayName: l.DisplayName, CIDRs: l.CIDRs})
		}
	}
	for _, ip := range addrs {
		matches := egress.Containing(locs, ip)
		at := AddressTrust{IP: ip, Family: egress.FamilyOf(ip), Locations: []egress.Match{}}
		for _, m := range matches {
			at.Locations = append(at.Locations, m)
			at.Trusted = at.Trusted || m.Trusted
		}
		trust.Addresses = append(trust.Addresses, at)
	}
}

// stored is the credential's description; the value stays in cred.
func (r *runner) credential(ctx context.Context, info *CredentialInfo, name string) (identity.StoredCredential, credFactory) {
	info.Name = name
	fail := func(status, problem, detail string) (identity.StoredCredential, credFactory) {
		info.Status, info.Problem, info.Detail = status, problem, detail
		return identity.StoredCredential{Name: name}, nil
	}
	if r.deps.Secrets == nil {
		return fail(LookupSkipped, ProblemNoVault, "no Key Vault is configured (TENANTOPS_VAULT_URL)")
	}
	if r.deps.TenantID == "" {
		return fail(LookupSkipped, ProblemNoTenant, "the tenant to sign in to is unknown (AZURE_TENANT_ID)")
	}
	sec, err := r.deps.Secrets.GetSecret(ctx, name, "")
	if err != nil {
		var ve *vault.Error
		switch {
		case vault.IsNotFound(err):
			return fail(LookupError, ProblemNotFound, fmt.Sprintf("Key Vault has no secret %q", name))
		case errors.As(err, &ve) && ve.StatusCode == http.StatusForbidden && ve.Code == "Forbidden" && strings.Contains(strings.ToLower(err.Error()), "disabled"):
			return fail(LookupError, ProblemDisabled, fmt.Sprintf("secret %q is disabled in Key Vault", name))
		case errors.As(err, &ve) && ve.StatusCode == http.StatusForbidden:
			return fail(LookupDenied, ProblemDenied, fmt.Sprintf("tenantops may not read secret %q (%s)", name, ve.Code))
		default:
			return fail(LookupError, ProblemUnreadable, oneLine(err.Error()))
		}
	}
	info.Version, info.ContentType, info.ExpiresOn = sec.Version, sec.ContentType, sec.Expires
	tags := sec.Tags
	stored := identity.StoredCredential{
		Name: name, Kind: tags[identity.TagKind], TenantID: r.deps.TenantID, AppID: tags[identity.TagAppID],
		User: tags[identity.TagUser], Value: sec.Value, ContentType: sec.ContentType,
	}
	info.Kind, info.AppID, info.User, info.KeyID = stored.Kind, stored.AppID, stored.User, tags[identity.TagKeyID]
	if err := stored.Validate(); err != nil {
		stored.Value = ""
		info.Status, info.Problem, info.Detail = LookupError, ProblemUntagged, oneLine(err.Error())
		return stored, nil
	}
	_, cert, err := identity.NewStoredCredential(r.deps.Cloud, stored, r.deps.Transport)
	info.Certificate = cert
	if err != nil {
		info.Status, info.Problem, info.Detail = LookupError, ProblemUnusable, oneLine(err.Error())
		stored.Value = ""
		return stored, nil
	}
	info.Status = LookupOK
	// A fresh credential (and token cache) per resource: each token request is
	// a sign-in of its own, as the workload's would be, rather than a silent
	// refresh of the first one.
	full := stored
	stored.Value = "" // from here on only the closure holds it
	return stored, func() (azcore.TokenCredential, error) {
		c, _, err := identity.NewStoredCredential(r.deps.Cloud, full, r.deps.Transport)
		return c, err
	}
}

// credFactory builds a new credential from the stored value.
type credFactory func() (azcore.TokenCredential, error)

// Credential problems (CredentialInfo.Problem).
const (
	ProblemNoVault    = "noVault"
	ProblemNoTenant   = "noTenant"
	ProblemNotFound   = "notFound"
	ProblemDisabled   = "disabled"
	ProblemDenied     = "denied"
	ProblemUnreadable = "unreadable"
	ProblemUntagged   = "untagged"
	ProblemUnusable   = "unusable"
)

// credentialLevel codes refuse the credential itself: asking again for
// another resource would only add a failed sign-in (and, for a bad
// password, bring the account closer to lockout).
var credentialLevel = map[int]bool{
	7000215: true, 7000222: true, 70002: true, 700027: true, 700024: true, 700030: true, 700016: true, 7000112: true,
	90002: true, 50034: true, 50053: true, 50055: true, 50057: true, 50126: true, 50144: true,
	50076: true, 50079: true, 50074: true, 50072: true, 50158: true, 53003: true, 530035: true,
}

// tokens asks Entra for a SharePoint token, then a Graph token, the way the
// workload would.
func (r *runner) tokens(ctx context.Context, res *Result, stored identity.StoredCredential, cred credFactory, host string) (sp, gr string) {
	spScope := "https://" + host + "/.default"
	grScope := r.deps.Cloud.Endpoints().GraphScope()
	if cred == nil {
		res.Tokens = append(res.Tokens,
			TokenInfo{Resource: ResourceSharePoint, Scope: spScope, Status: TokenSkipped, Detail: "no usable credential"},
			TokenInfo{Resource: ResourceGraph, Scope: grScope, Status: TokenSkipped, Detail: "no usable credential"})
		return "", ""
	}
	t1, sp := r.token(ctx, cred, ResourceSharePoint, spScope)
	res.Tokens = append(res.Tokens, t1)
	if t1.SignInError != nil && credentialLevel[t1.SignInError.Code] {
		res.Tokens = append(res.Tokens, TokenInfo{Resource: ResourceGraph, Scope: grScope, Status: TokenSkipped,
			Detail: "not asked: Entra already refused this credential (" + t1.SignInError.AADSTS() + ")"})
		return sp, ""
	}
	t2, gr := r.token(ctx, cred, ResourceGraph, grScope)
	res.Tokens = append(res.Tokens, t2)
	r.log.DebugContext(ctx, "spcheck tokens", slog.String("credential", stored.Name), slog.String("sharepoint", t1.Status), slog.String("graph", t2.Status))
	return sp, gr
}

func (r *runner) token(ctx context.Context, newCred credFactory, resource, scope string) (TokenInfo, string) {
	ti := TokenInfo{Resource: resource, Scope: scope}
	cred, err := newCred()
	if err != nil {
		ti.Status, ti.Detail = TokenError, oneLine(err.Error())
		return ti, ""
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tok, err := cred.GetToken(tctx, policy.TokenRequestOptions{Scopes: []string{scope}, EnableCAE: true})
	if err != nil {
		if se, ok := identity.AsSignInError(err); ok {
			ti.Status, ti.SignInError, ti.Detail = TokenRefused, &se, se.Summary()
		} else {
			ti.Status, ti.Detail = TokenError, oneLine(err.Error())
		}
		return ti, ""
	}
	ti.Status = TokenOK
	c, err := ReadClaims(tok.Token)
	if err != nil {
		ti.Detail = err.Error()
	} else {
		ti.Claims = c
	}
	return ti, tok.Token
}

func (r *runner) probeSharePoint(ctx context.Context, token, host, path string) ProbeInfo {
	p := ProbeInfo{URL: SiteURL(host, path) + "/_api/web", Status: ProbeSkipped}
	if token == "" {
		p.Error = "no SharePoint token"
		return p
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		p.Status, p.Error = ProbeError, err.Error()
		return p
	}
	req.Header.Set("Accept", "application/json;odata=nometadata")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "tenantops-spcheck/1")
	start := time.Now()
	resp, err := r.client.Do(req)
	p.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		p.Status, p.Error = ProbeError, oneLine(unwrapURLError(err).Error())
		return p
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	p.LatencyMS = time.Since(start).Milliseconds()
	p.HTTPStatus = resp.StatusCode
	p.RequestID = first(resp.Header.Get("request-id"), resp.Header.Get("SPRequestGuid"))
	if resp.StatusCode == http.StatusOK {
		var web struct {
			Title string `json:"Title"`
		}
		if err := json.Unmarshal(body, &web); err != nil {
			p.Status, p.Error = ProbeFailed, "answer is not SharePoint's JSON: "+err.Error()
			return p
		}
		p.Status, p.Title = ProbeOK, web.Title
		return p
	}
	p.Status = ProbeFailed
	p.Reason = diagnosticsReason(resp.Header.Get("x-ms-diagnostics"))
	p.Error = sharePointError(resp, body)
	return p
}

var reasonRE = regexp.MustCompile(`reason="([^"]*)"`)

// diagnosticsReason reads x-ms-diagnostics: 3000003;reason="Unsupported app only token.";category="invalid_client".
func diagnosticsReason(h string) string {
	if m := reasonRE.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}

// sharePointError reads the error body shapes SharePoint uses.
func sharePointError(resp *http.Response, body []byte) string {
	var e struct {
		ErrorDescription string `json:"error_description"`
		ODataError       *struct {
			Code    string `json:"code"`
			Message struct {
				Value string `json:"value"`
			} `json:"message"`
		} `json:"odata.error"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := resp.Status
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.ODataError != nil:
			msg = strings.TrimSpace(e.ODataError.Code + " " + e.ODataError.Message.Value)
		case e.Error != nil:
			msg = strings.TrimSpace(e.Error.Code + " " + e.Error.Message)
		case e.ErrorDescription != "":
			msg = e.ErrorDescription
		}
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg = "redirected to " + loc
	}
	return truncate(oneLine(msg), 300)
}

func (r *runner) probeGraph(ctx context.Context, token, host, path string) ProbeInfo {
	p := ProbeInfo{URL: r.deps.Cloud.Endpoints().Graph + "/v1.0/sites/" + host, Status: ProbeSkipped}
	if path != "/" {
		p.URL += ":" + path
	}
	if token == "" {
		p.Error = "no Graph token"
		return p
	}
	start := time.Now()
	site, err := graph.GetSiteByPathWithToken(ctx, r.client, r.deps.Cloud, token, host, path)
	p.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		var ge *graph.Error
		if errors.As(err, &ge) && ge.StatusCode != 0 {
			p.Status, p.HTTPStatus, p.RequestID = ProbeFailed, ge.StatusCode, ge.RequestID
			p.Error = truncate(oneLine(strings.TrimSpace(ge.Code+" "+ge.Message)), 300)
		} else {
			p.Status, p.Error = ProbeError, truncate(oneLine(err.Error()), 300)
		}
		return p
	}
	p.Status, p.HTTPStatus, p.Title = ProbeOK, http.StatusOK, site.DisplayName
	return p
}

func (r *runner) securityDefaults(ctx context.Context, trust *TrustInfo) {
	sd, err := r.deps.Directory.GetSecurityDefaults(ctx)
	if err != nil {
		trust.SecurityDefaults.Lookup = lookupErr(err, "read security defaults", PermSecurityDefaults)
		return
	}
	trust.SecurityDefaults = SecurityDefaults{Lookup: Lookup{Status: LookupOK}, Enabled: &sd.Enabled}
}

// perUserMFA reads the per-user MFA state of a user credential's account and
// returns the account's object id ("" if unknown).
func (r *runner) perUserMFA(ctx context.Context, trust *TrustInfo, stored identity.StoredCredential) string {
	m := &trust.PerUserMFA
	if stored.Kind != identity.KindUserPassword || stored.User == "" {
		m.Lookup = Lookup{Status: LookupSkipped, Detail: "app credential: per-user MFA applies to user accounts only"}
		return ""
	}
	m.User = stored.User
	u, err := r.deps.Directory.GetUser(ctx, stored.User)
	if err != nil {
		if graph.IsNotFound(err) {
			m.Lookup = Lookup{Status: LookupError, Detail: "no user " + stored.User + " in the tenant"}
			return ""
		}
		m.Lookup = lookupErr(err, "look up "+stored.User, PermUserRead)
		return ""
	}
	state, err := r.deps.Directory.GetPerUserMFAState(ctx, u.ID)
	if err != nil {
		m.Lookup = lookupErr(err, "read per-user MFA", PermPerUserMFA)
		return u.ID
	}
	m.Lookup, m.State = Lookup{Status: LookupOK}, state
	return u.ID
}

func (r *runner) whatIf(ctx context.Context, res *Result, stored identity.StoredCredential, userID string, locs []egress.Location) {
	w := &res.Trust.ConditionalAccess
	req := graph.WhatIfRequest{Applications: []string{SharePointAppID}, ClientAppType: "mobileAppsAndDesktopClients"}
	switch {
	case stored.Kind == identity.KindUserPassword && userID != "":
		req.UserID, w.Identity = userID, "user "+stored.User
	case stored.Kind == identity.KindUserPassword:
		w.Lookup = Lookup{Status: LookupSkipped, Detail: "the account's object id is unknown"}
		return
	default:
		for _, t := range res.Tokens {
			if t.Claims.AppOnly() && t.Claims.ObjectID != "" {
				req.ServicePrincipalID = t.Claims.ObjectID
				break
			}
		}
		if req.ServicePrincipalID == "" {
			w.Lookup = Lookup{Status: LookupSkipped, Detail: "no token was issued, so the service principal's id is unknown"}
			return
		}
		w.Identity = "servicePrincipal " + req.ServicePrincipalID
	}
	req.IPAddress = first(res.Egress.EntraSaw, res.Egress.IP)
	if req.IPAddress == "" {
		w.Lookup = Lookup{Status: LookupSkipped, Detail: "the egress IP is unknown"}
		return
	}
	w.IP = req.IPAddress
	r.paceCA(ctx)
	results, err := r.deps.Directory.EvaluateCA(ctx, req)
	if err != nil {
		if req.ServicePrincipalID != "" && graph.Status(err) == http.StatusBadRequest {
			// What If for workload identities needs Workload ID Premium; without
			// it there is nothing to evaluate, which is not a failed check.
			w.Lookup = Lookup{Status: LookupSkipped, Detail: "What If for service principals is not available in this tenant: " + truncate(oneLine(errMessage(err)), 200)}
			return
		}
		w.Lookup = lookupErr(err, "evaluate Conditional Access (What If)", PermWhatIf)
		return
	}
	w.Lookup = Lookup{Status: LookupOK}
	w.Policies = []PolicyVerdict{}
	for _, x := range results {
		pv := PolicyVerdict{ID: x.Policy.ID, DisplayName: x.Policy.DisplayName, State: x.Policy.State, Applies: x.Applies,
			Requires: x.Policy.GrantControls, Reasons: x.Reasons}
		for _, l := range x.Policy.ExcludeLocations {
			if strings.EqualFold(l, "AllTrusted") || slices.ContainsFunc(locs, func(e egress.Location) bool { return e.Trusted && strings.EqualFold(e.ID, l) }) {
				pv.ExcludesTrusted = true
			}
		}
		w.Policies = append(w.Policies, pv)
	}
}

// lookupErr turns a failed read into "could not check X (needs permission Y)".
func lookupErr(err error, what, perm string) Lookup {
	if graph.IsForbidden(err) {
		return Lookup{Status: LookupDenied, Permission: perm, Detail: fmt.Sprintf("could not %s (needs permission %s)", what, perm)}
	}
	var ge *graph.Error
	if errors.As(err, &ge) && ge.StatusCode != 0 {
		return Lookup{Status: LookupError, Detail: fmt.Sprintf("could not %s: Graph answered %d %s", what, ge.StatusCode, ge.Code)}
	}
	return Lookup{Status: LookupError, Detail: fmt.Sprintf("could not %s: %s", what, truncate(oneLine(err.Error()), 200))}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func errMessage(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Message != "" {
		return ge.Message
	}
	return err.Error()
}

var spaceRE = regexp.MustCompile(`\s+`)

// oneLine collapses an error's lines and runs of spaces.
func oneLine(s string) string { return strings.TrimSpace(spaceRE.ReplaceAllString(s, " ")) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
