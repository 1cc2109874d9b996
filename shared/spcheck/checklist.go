package spcheck

import (
	"fmt"
	"strings"

	"github.com/tenantops/tenantops/shared/identity"
)

// Checklist is the result as the steps a person would take by hand, in order,
// each with its outcome. It is derived from the evidence only.
func Checklist(r Result) []Check {
	user := r.Credential.Kind == identity.KindUserPassword
	var out []Check
	add := func(id, name, status, detail string) {
		out = append(out, Check{ID: id, Name: name, Status: status, Detail: detail})
	}
	e := r.Egress
	switch {
	case len(e.IPs) == 0:
		add("egress", "Egress IP", StepFail, fmt.Sprintf("none of %d echo services answered", len(e.Sources)))
	case !e.Agree:
		add("egress", "Egress IP", StepWarn, strings.Join(e.IPs, ", ")+": the echo services disagree")
	default:
		add("egress", "Egress IP", StepOK, fmt.Sprintf("%s (%d of %d echo services agree)", strings.Join(e.IPs, ", "), answered(e), len(e.Sources)))
	}
	switch x := e.Expected; {
	case x == nil:
		add("expected-ip", "Expected egress IP", StepSkipped, "none configured (--expect-ip or TENANTOPS_EXPECTED_EGRESS_IPS)")
	case x.Match:
		add("expected-ip", "Expected egress IP", StepOK, "as expected ("+strings.Join(x.Expected, ", ")+")")
	default:
		add("expected-ip", "Expected egress IP", StepWarn, fmt.Sprintf("%s not expected (expected %s)", strings.Join(orNone(x.Unexpected), ", "), strings.Join(x.Expected, ", ")))
	}
	trustLine(r, user, add)
	c := r.Credential
	if c.Status == LookupOK {
		add("credential", "Stored credential", StepOK, describeCredential(c))
	} else {
		add("credential", "Stored credential", StepFail, c.Name+": "+c.Detail)
	}
	for _, t := range r.Tokens {
		id, name := "token-"+t.Resource, "Token for "+resourceName(t.Resource)
		switch t.Status {
		case TokenOK:
			add(id, name, StepOK, describeClaims(t.Claims))
		case TokenSkipped:
			add(id, name, StepSkipped, t.Detail)
		default:
			add(id, name, StepFail, t.Detail)
		}
	}
	probeLine("sharepoint-rest", "SharePoint REST /_api/web", r.SharePoint, add)
	probeLine("graph-site", "Graph /sites/{host}:/{path}", r.GraphSite, add)
	w := r.Trust.ConditionalAccess
	switch {
	case w.Status != LookupOK:
		add("conditional-access", "Conditional Access (What If)", StepSkipped, w.Detail)
	default:
		var applied []string
		status := StepOK
		for _, p := range w.Policies {
			if !p.Applies {
				continue
			}
			mode := "requires " + strings.Join(orNone(p.Requires), " and ")
			if !p.Enforced() {
				mode = "report-only, " + mode
			} else if p.requires("block") || p.requires("mfa") {
				status = StepWarn
				if user {
					status = StepFail
				}
			}
			applied = append(applied, fmt.Sprintf("%q (%s)", p.DisplayName, mode))
		}
		detail := fmt.Sprintf("from %s as %s: ", w.IP, w.Identity)
		if len(applied) == 0 {
			detail += fmt.Sprintf("none of %d policies applies", len(w.Policies))
		} else {
			detail += strings.Join(applied, "; ")
		}
		add("conditional-access", "Conditional Access (What If)", status, detail)
	}
	sd := r.Trust.SecurityDefaults
	switch {
	case sd.Status != LookupOK:
		add("security-defaults", "Security defaults", StepSkipped, sd.Detail)
	case sd.Enabled != nil && *sd.Enabled && user:
		add("security-defaults", "Security defaults", StepWarn, "on: MFA for every user")
	case sd.Enabled != nil && *sd.Enabled:
		add("security-defaults", "Security defaults", StepInfo, "on (service principals are not challenged)")
	default:
		add("security-defaults", "Security defaults", StepOK, "off")
	}
	m := r.Trust.PerUserMFA
	switch {
	case m.Status != LookupOK:
		add("per-user-mfa", "Per-user MFA", StepSkipped, m.Detail)
	case m.State == "enabled" || m.State == "enforced":
		add("per-user-mfa", "Per-user MFA", StepWarn, m.State+" for "+m.User)
	default:
		add("per-user-mfa", "Per-user MFA", StepOK, first(m.State, "disabled")+" for "+m.User)
	}
	return out
}

func answered(e EgressInfo) int {
	n := 0
	for _, s := range e.Sources {
		if s.IP != "" {
			n++
		}
	}
	return n
}

func trustLine(r Result, user bool, add func(id, name, status, detail string)) {
	const id, name = "trusted-location", "Trusted named location"
	t := r.Trust
	if t.NamedLocations.Status != LookupOK {
		add(id, name, StepSkipped, t.NamedLocations.Detail)
		return
	}
	if len(t.Addresses) == 0 {
		add(id, name, StepSkipped, "no egress IP to look up")
		return
	}
	var parts []string
	status := StepOK
	for _, a := range t.Addresses {
		var in []string
		for _, m := range a.Locations {
			if m.Trusted {
				in = append(in, fmt.Sprintf("%q (%s)", m.DisplayName, m.CIDR))
			}
		}
		if len(in) > 0 {
			parts = append(parts, a.IP+" in "+strings.Join(in, ", "))
			continue
		}
		parts = append(parts, a.IP+" in no trusted location")
		if user {
			status = StepWarn
		} else if status == StepOK {
			status = StepInfo
		}
	}
	add(id, name, status, strings.Join(parts, "; "))
}

func probeLine(id, name string, p ProbeInfo, add func(id, name, status, detail string)) {
	switch p.Status {
	case ProbeOK:
		add(id, name, StepOK, fmt.Sprintf("200 %q in %d ms", p.Title, p.LatencyMS))
	case ProbeSkipped:
		add(id, name, StepSkipped, p.Error)
	case ProbeFailed:
		add(id, name, StepFail, fmt.Sprintf("%d %s", p.HTTPStatus, first(p.Reason, p.Error)))
	default:
		add(id, name, StepFail, p.Error)
	}
}

func describeCredential(c CredentialInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s of app %s", c.Name, c.Kind, c.AppID)
	if c.User != "" {
		fmt.Fprintf(&b, " for %s", c.User)
	}
	if c.Certificate != nil {
		fmt.Fprintf(&b, "; %s, thumbprint %s, valid until %s", c.Certificate.Subject, c.Certificate.Thumbprint, day(c.Certificate.NotAfter))
	} else if c.ExpiresOn != nil {
		fmt.Fprintf(&b, "; expires %s", day(*c.ExpiresOn))
	}
	return b.String()
}

func describeClaims(c *Claims) string {
	if c == nil {
		return "issued (claims unreadable)"
	}
	var parts []string
	if c.AppOnly() {
		parts = append(parts, "app-only")
	} else {
		parts = append(parts, "user "+c.UPN)
	}
	if c.ClientAuth != "" {
		parts = append(parts, "client auth "+c.ClientAuth)
	}
	if len(c.Roles) > 0 {
		parts = append(parts, "roles "+strings.Join(c.Roles, " "))
	}
	if len(c.Scopes) > 0 {
		parts = append(parts, "scopes "+strings.Join(c.Scopes, " "))
	}
	if len(c.AMR) > 0 {
		parts = append(parts, "amr "+strings.Join(c.AMR, " "))
	}
	if c.AppOnly() && len(c.Roles) == 0 {
		parts = append(parts, "no roles")
	}
	if c.IPAddr != "" {
		parts = append(parts, "Entra saw "+c.IPAddr)
	}
	return strings.Join(parts, ", ")
}

// TableHeader and TableRows render a check as the readable checklist the CLI
// prints (-o table and csv): the steps, then each finding with its evidence
// and remedies, then the verdict.
func TableHeader() []string { return []string{"check", "result", "detail"} }

// TableRows renders checks, findings and the verdict as rows.
func TableRows(checks []Check, findings []Finding, v Verdict) [][]string {
	rows := make([][]string, 0, len(checks)+4*len(findings)+1)
	for _, c := range checks {
		rows = append(rows, []string{c.Name, c.Status, c.Detail})
	}
	for _, f := range findings {
		rows = append(rows, []string{"finding " + f.ID, string(f.Severity), f.Title})
		for _, e := range f.Evidence {
			rows = append(rows, []string{"  evidence", "", e})
		}
		for i, r := range f.Remedies {
			rows = append(rows, []string{fmt.Sprintf("  remedy %d", i+1), "", r})
		}
	}
	rows = append(rows, []string{"verdict", string(v), summary(findings)})
	return rows
}

func summary(fs []Finding) string {
	n := map[Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	if len(fs) == 0 {
		return "no findings"
	}
	var parts []string
	for _, s := range []Severity{SevError, SevWarning, SevInfo} {
		if n[s] > 0 {
			word := string(s)
			if n[s] > 1 {
				word += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n[s], word))
		}
	}
	return strings.Join(parts, ", ")
}
