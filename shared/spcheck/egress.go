package spcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/graph"
)

// LocationReader lists named locations (tenantops's own Graph identity).
type LocationReader interface {
	ListNamedLocations(ctx context.Context) ([]graph.NamedLocation, error)
}

// EgressDeps are CheckEgress's collaborators.
type EgressDeps struct {
	Locations   LocationReader // needed only for Trust
	Transport   http.RoundTripper
	EchoURLs    []string
	ExpectedIPs []string
}

// EgressResult answers "where does this server come from, and is that
// trusted?". Its JSON is shared by `egress ip|trusted -o json` and GET /api/egress.
type EgressResult struct {
	Verdict  Verdict    `json:"verdict"`
	Findings []Finding  `json:"findings"`
	Checks   []Check    `json:"checks"`
	Egress   EgressInfo `json:"egress"`
	// Given: the address was named by the caller, not discovered.
	Given bool         `json:"given,omitempty"`
	Trust *EgressTrust `json:"trust,omitempty"`
}

// Problem reports a failed check (CLI exit 3).
func (r EgressResult) Problem() bool { return r.Verdict == Fail }

// EgressTrust is the named-location part of TrustInfo.
type EgressTrust struct {
	NamedLocations   Lookup         `json:"namedLocations"`
	TrustedLocations []LocationInfo `json:"trustedLocations,omitempty"`
	Addresses        []AddressTrust `json:"addresses,omitempty"`
	TrustedFamilies  []string       `json:"trustedFamilies,omitempty"`
}

// CheckEgress discovers the egress IP (or takes req.IP), compares it with the
// expected addresses and, with req.Trust, finds the named locations that
// contain it. Untrusted addresses are warnings here: trust is the question.
func CheckEgress(ctx context.Context, deps EgressDeps, req EgressRequest) (EgressResult, error) {
	if err := req.Validate(); err != nil {
		return EgressResult{}, err
	}
	expected, err := expectedIPs(req.ExpectIP, deps.ExpectedIPs)
	if err != nil {
		return EgressResult{}, err
	}
	if req.Trust && deps.Locations == nil {
		return EgressResult{}, errors.New("egress check: no Graph client configured")
	}
	r := newRunner(Deps{Transport: deps.Transport, EchoURLs: deps.EchoURLs})
	var res EgressResult
	if req.IP != "" {
		addrs, _ := egress.ParseIPs([]string{req.IP})
		ip := addrs[0].String()
		res.Given = true
		res.Egress = EgressInfo{IP: ip, Discovery: egress.Discovery{IPs: []string{ip}, Agree: true, Sources: []egress.Source{}}}
		exp, _ := egress.ParseIPs(expected)
		res.Egress.Expected = egress.Expect(res.Egress.IPs, exp)
	} else {
		res.Egress = r.discover(ctx, expected)
	}
	full := Result{Egress: res.Egress, Credential: CredentialInfo{Status: LookupOK}}
	if req.Trust {
		locs := r.namedLocations(ctx, deps.Locations, &full.Trust)
		r.addressTrust(&full.Trust, locs, res.Egress.IPs)
		res.Trust = &EgressTrust{NamedLocations: full.Trust.NamedLocations, TrustedLocations: full.Trust.TrustedLocations,
			Addresses: full.Trust.Addresses, TrustedFamilies: full.Trust.TrustedFamilies}
	} else {
		full.Trust.NamedLocations = Lookup{Status: LookupSkipped}
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("egress check: %w", err)
	}
	d := &diag{r: full, now: time.Now(), user: true, byID: map[string]*Finding{}}
	d.egress()
	d.incomplete()
	res.Findings = d.sorted()
	res.Verdict = VerdictOf(res.Findings)
	res.Checks = egressChecklist(res)
	return res, nil
}

func egressChecklist(r EgressResult) []Check {
	all := Checklist(Result{Egress: r.Egress, Trust: TrustInfo{NamedLocations: Lookup{Status: LookupSkipped, Detail: "not asked (egress trusted)"}}})
	var out []Check
	for _, c := range all {
		switch c.ID {
		case "egress":
			if r.Given {
				c.Status, c.Detail = StepInfo, r.Egress.IP+" (given, not discovered)"
			}
			out = append(out, c)
		case "expected-ip":
			out = append(out, c)
		}
	}
	if r.Trust != nil {
		var lines []Check
		trustLine(Result{Trust: TrustInfo{NamedLocations: r.Trust.NamedLocations, Addresses: r.Trust.Addresses}}, true,
			func(id, name, status, detail string) {
				lines = append(lines, Check{ID: id, Name: name, Status: status, Detail: detail})
			})
		out = append(out, lines...)
		if r.Trust.NamedLocations.Status == LookupOK {
			out = append(out, Check{ID: "trusted-families", Name: "Trusted ranges", Status: StepInfo,
				Detail: "trusted named locations cover " + strings.Join(orNone(r.Trust.TrustedFamilies), " and ")})
		}
	}
	return out
}
