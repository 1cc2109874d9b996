package spcheck

import (
	"time"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
)

// Verdict sums a check up.
type Verdict string

// Verdicts: fail if any finding is an error, warn if any is a warning.
const (
	Pass Verdict = "pass"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
)

// Severity of a finding.
type Severity string

// Severities, most severe first.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SevError:
		return 0
	case SevWarning:
		return 1
	default:
		return 2
	}
}

// Finding is one diagnosis: what is wrong, the evidence that says so, and
// what an admin can do about it, best remedy first. IDs are stable.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Evidence []string `json:"evidence"`
	Remedies []string `json:"remedies"`
}

// Step statuses of the checklist.
const (
	StepOK      = "ok"
	StepWarn    = "warn"
	StepFail    = "fail"
	StepSkipped = "skipped"
	StepInfo    = "info"
)

// Check is one line of the checklist a person reads top to bottom.
type Check struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Lookup statuses: how a read of tenant state went.
const (
	LookupOK      = "ok"
	LookupDenied  = "denied"  // the permission is missing (403)
	LookupError   = "error"   // any other failure
	LookupSkipped = "skipped" // not applicable or a prerequisite is missing
)

// Lookup is the outcome of reading one piece of tenant state.
type Lookup struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Permission is the Graph permission the read needs (set when denied).
	Permission string `json:"permission,omitempty"`
}

// Result is the outcome of a SharePoint connectivity check. Its JSON is the
// stable contract shared by the CLI (-o json), the HTTP API and Lambda.
type Result struct {
	Site       string         `json:"site"`
	Verdict    Verdict        `json:"verdict"`
	Findings   []Finding      `json:"findings"`
	Checks     []Check        `json:"checks"`
	Egress     EgressInfo     `json:"egress"`
	Credential CredentialInfo `json:"credential"`
	Tokens     []TokenInfo    `json:"tokens"`
	SharePoint ProbeInfo      `json:"sharePoint"`
	GraphSite  ProbeInfo      `json:"graphSite"`
	Trust      TrustInfo      `json:"trust"`
}

// Problem reports a failed check (CLI exit 3).
func (r Result) Problem() bool { return r.Verdict == Fail }

// EgressInfo is where the check ran from.
type EgressInfo struct {
	// IP is the address reasoned about (see egress.Discovery.Primary).
	IP string `json:"ip"`
	egress.Discovery
	Expected *egress.Expectation `json:"expected,omitempty"`
	// EntraSaw is the ipaddr claim of the first token issued: the address
	// Entra ID saw the sign-in come from.
	EntraSaw string `json:"entraSaw,omitempty"`
}

// CredentialInfo describes the stored credential (never its value).
type CredentialInfo struct {
	Name        string                    `json:"name"`
	Status      string                    `json:"status"` // Lookup statuses
	Problem     string                    `json:"problem,omitempty"`
	Detail      string                    `json:"detail,omitempty"`
	Version     string                    `json:"version,omitempty"`
	Kind        string                    `json:"kind,omitempty"`
	AppID       string                    `json:"appId,omitempty"`
	User        string                    `json:"user,omitempty"`
	KeyID       string                    `json:"keyId,omitempty"`
	ContentType string                    `json:"contentType,omitempty"`
	ExpiresOn   *time.Time                `json:"expiresOn,omitempty"`
	Certificate *identity.CertificateInfo `json:"certificate,omitempty"`
}

// Token statuses.
const (
	TokenOK      = "ok"
	TokenRefused = "refused" // Entra refused: see SignInError
	TokenError   = "error"   // no answer from Entra, or not an Entra refusal
	TokenSkipped = "skipped"
)

// Resources a token is requested for.
const (
	ResourceSharePoint = "sharepoint"
	ResourceGraph      = "graph"
)

// TokenInfo is one token request and what Entra answered.
type TokenInfo struct {
	Resource    string                `json:"resource"`
	Scope       string                `json:"scope"`
	Status      string                `json:"status"`
	Detail      string                `json:"detail,omitempty"`
	SignInError *identity.SignInError `json:"signInError,omitempty"`
	// Claims were read from the token without verifying it: they show what
	// Entra put in, not proof of anything.
	Claims *Claims `json:"claims,omitempty"`
}

// Claims are the access token claims that explain a sign-in.
type Claims struct {
	Audience string `json:"aud"`
	TenantID string `json:"tid,omitempty"`
	AppID    string `json:"appid,omitempty"`
	// AppIDAcr is how the client authenticated: 0 public client, 1 secret, 2 certificate.
	AppIDAcr string `json:"appidacr,omitempty"`
	// ClientAuth spells AppIDAcr out: none, secret, certificate.
	ClientAuth string    `json:"clientAuth,omitempty"`
	IDType     string    `json:"idtyp,omitempty"` // app or user
	IPAddr     string    `json:"ipaddr,omitempty"`
	AMR        []string  `json:"amr,omitempty"`
	Roles      []string  `json:"roles,omitempty"`
	Scopes     []string  `json:"scp,omitempty"`
	ObjectID   string    `json:"oid,omitempty"`
	UPN        string    `json:"upn,omitempty"`
	IssuedAt   time.Time `json:"iat,omitzero"`
	ExpiresOn  time.Time `json:"exp,omitzero"`
}

// Probe statuses.
const (
	ProbeOK      = "ok"
	ProbeFailed  = "failed" // an HTTP answer other than 200
	ProbeError   = "error"  // no HTTP answer
	ProbeSkipped = "skipped"
)

// ProbeInfo is one request to SharePoint (REST or Graph).
type ProbeInfo struct {
	URL        string `json:"url"`
	Status     string `json:"status"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	LatencyMS  int64  `json:"latencyMs"`
	Title      string `json:"title,omitempty"`
	// Error is the service's error code and message, or why there was no answer.
	Error string `json:"error,omitempty"`
	// Reason is SharePoint's x-ms-diagnostics reason ("Unsupported app only token.").
	Reason    string `json:"reason,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// TrustInfo is what tenant policy says about the sign-in.
type TrustInfo struct {
	NamedLocations Lookup `json:"namedLocations"`
	// TrustedLocations are the tenant's trusted IP named locations.
	TrustedLocations []LocationInfo `json:"trustedLocations,omitempty"`
	// Addresses: per egress address, the named locations containing it.
	Addresses []AddressTrust `json:"addresses,omitempty"`
	// TrustedFamilies: the address families trusted locations have ranges for.
	TrustedFamilies   []string         `json:"trustedFamilies,omitempty"`
	ConditionalAccess WhatIfInfo       `json:"conditionalAccess"`
	SecurityDefaults  SecurityDefaults `json:"securityDefaults"`
	PerUserMFA        PerUserMFA       `json:"perUserMfa"`
}

// LocationInfo is a trusted IP named location.
type LocationInfo struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	CIDRs       []string `json:"cidrs"`
}

// AddressTrust says whether one address is in a trusted named location.
type AddressTrust struct {
	IP        string         `json:"ip"`
	Family    string         `json:"family"`
	Trusted   bool           `json:"trusted"`
	Locations []egress.Match `json:"locations"`
}

// WhatIfInfo is the Conditional Access What If evaluation.
type WhatIfInfo struct {
	Lookup
	// Identity: "user <id>" or "servicePrincipal <id>"; IP: the address evaluated.
	Identity string `json:"identity,omitempty"`
	IP       string `json:"ip,omitempty"`
	// Policies lists every policy with whether it applies and what it requires.
	Policies []PolicyVerdict `json:"policies,omitempty"`
}

// PolicyVerdict is one policy's What If answer.
type PolicyVerdict struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	State       string   `json:"state"`
	Applies     bool     `json:"applies"`
	Requires    []string `json:"requires,omitempty"`
	Reasons     []string `json:"reasons,omitempty"`
	// ExcludesTrusted: the policy excludes trusted locations (so a trusted IP escapes it).
	ExcludesTrusted bool `json:"excludesTrustedLocations,omitempty"`
}

// Enforced: the policy applies and is on (not report-only).
func (p PolicyVerdict) Enforced() bool { return p.Applies && p.State == graph.PolicyEnabled }

func (p PolicyVerdict) requires(c string) bool {
	for _, r := range p.Requires {
		if r == c {
			return true
		}
	}
	return false
}

// SecurityDefaults is the tenant's security defaults state.
type SecurityDefaults struct {
	Lookup
	Enabled *bool `json:"enabled,omitempty"`
}

// PerUserMFA is the legacy per-user MFA state of a user credential's account.
type PerUserMFA struct {
	Lookup
	User  string `json:"user,omitempty"`
	State string `json:"state,omitempty"` // disabled, enabled, enforced
}
