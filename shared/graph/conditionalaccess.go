package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Conditional Access reads (named locations, policies, What If).
// Throttling: these resources share one budget of 1 request per second per
// tenant and their 429s carry no Retry-After (THROTTLING.md §5); callers that
// make several CA calls in a row should pace them.

// NamedLocation is a Conditional Access named location.
type NamedLocation struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// Kind is "ip" (ipNamedLocation) or "country" (countryNamedLocation).
	Kind    string `json:"kind"`
	Trusted bool   `json:"isTrusted"`
	// CIDRs are the IPv4 and IPv6 ranges of an ip location, as Graph stores them.
	CIDRs []string `json:"cidrs,omitempty"`
	// Countries are the ISO codes of a country location.
	Countries []string `json:"countries,omitempty"`
}

// Named location kinds.
const (
	LocationIP      = "ip"
	LocationCountry = "country"
)

// ListNamedLocations lists every named location (all pages).
// Needs Policy.Read.All.
func (c *Client) ListNamedLocations(ctx context.Context) ([]NamedLocation, error) {
	var out []NamedLocation
	err := c.eachPage(ctx, "listing named locations", "v1.0/identity/conditionalAccess/namedLocations", func(raw json.RawMessage) error {
		var nl struct {
			Type        string `json:"@odata.type"`
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			IsTrusted   bool   `json:"isTrusted"`
			IPRanges    []struct {
				CIDR string `json:"cidrAddress"` // iPv4CidrRange and iPv6CidrRange alike
			} `json:"ipRanges"`
			Countries []string `json:"countriesAndRegions"`
		}
		if err := json.Unmarshal(raw, &nl); err != nil {
			return err
		}
		loc := NamedLocation{ID: nl.ID, DisplayName: nl.DisplayName}
		switch nl.Type {
		case "#microsoft.graph.ipNamedLocation":
			loc.Kind, loc.Trusted = LocationIP, nl.IsTrusted
			for _, r := range nl.IPRanges {
				loc.CIDRs = append(loc.CIDRs, r.CIDR)
			}
		case "#microsoft.graph.countryNamedLocation":
			loc.Kind, loc.Countries = LocationCountry, nl.Countries
		}
		out = append(out, loc)
		return nil
	})
	return out, err
}

// eachPage calls fn with every item of a collection, following
// @odata.nextLink. Items are decoded by the caller into plain types:
// msgraph's typed models would link everything they can reach.
func (c *Client) eachPage(ctx context.Context, op, path string, fn func(json.RawMessage) error) error {
	for path != "" {
		var page struct {
			Value []json.RawMessage `json:"value"`
			Next  string            `json:"@odata.nextLink"`
		}
		if err := c.Raw(ctx, op, http.MethodGet, path, nil, &page); err != nil {
			return err
		}
		for _, v := range page.Value {
			if err := fn(v); err != nil {
				return &Error{Op: op, Err: fmt.Errorf("decoding Graph's answer: %w", err)}
			}
		}
		path = page.Next
	}
	return nil
}

// CAPolicy is the part of a Conditional Access policy a diagnosis needs.
type CAPolicy struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// State is enabled, disabled or enabledForReportingButNotEnforced.
	State               string   `json:"state"`
	IncludeUsers        []string `json:"includeUsers,omitempty"`
	ExcludeUsers        []string `json:"excludeUsers,omitempty"`
	IncludeGroups       []string `json:"includeGroups,omitempty"`
	ExcludeGroups       []string `json:"excludeGroups,omitempty"`
	IncludeRoles        []string `json:"includeRoles,omitempty"`
	ExcludeRoles        []string `json:"excludeRoles,omitempty"`
	IncludeApplications []string `json:"includeApplications,omitempty"`
	ExcludeApplications []string `json:"excludeApplications,omitempty"`
	IncludeLocations    []string `json:"includeLocations,omitempty"`
	ExcludeLocations    []string `json:"excludeLocations,omitempty"`
	ClientAppTypes      []string `json:"clientAppTypes,omitempty"`
	// GrantOperator is AND or OR; GrantControls are mfa, block, compliantDevice, ...
	GrantOperator string   `json:"grantOperator,omitempty"`
	GrantControls []string `json:"grantControls,omitempty"`
}

// CA policy states.
const (
	PolicyEnabled    = "enabled"
	PolicyDisabled   = "disabled"
	PolicyReportOnly = "enabledForReportingButNotEnforced"
)

// Enforced reports a policy that is on (not disabled, not report-only).
func (p CAPolicy) Enforced() bool { return p.State == PolicyEnabled }

// Requires reports whether the policy's grant controls include control (mfa, block, ...).
func (p CAPolicy) Requires(control string) bool {
	for _, g := range p.GrantControls {
		if strings.EqualFold(g, control) {
			return true
		}
	}
	return false
}

// ListCAPolicies lists every Conditional Access policy (all pages).
// Needs Policy.Read.All.
func (c *Client) ListCAPolicies(ctx context.Context) ([]CAPolicy, error) {
	var out []CAPolicy
	err := c.eachPage(ctx, "listing Conditional Access policies", "v1.0/identity/conditionalAccess/policies", func(raw json.RawMessage) error {
		var p struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			State       string `json:"state"`
			Conditions  struct {
				Users struct {
					IncludeUsers  []string `json:"includeUsers"`
					ExcludeUsers  []string `json:"excludeUsers"`
					IncludeGroups []string `json:"includeGroups"`
					ExcludeGroups []string `json:"excludeGroups"`
					IncludeRoles  []string `json:"includeRoles"`
					ExcludeRoles  []string `json:"excludeRoles"`
				} `json:"users"`
				Applications struct {
					Include []string `json:"includeApplications"`
					Exclude []string `json:"excludeApplications"`
				} `json:"applications"`
				Locations *struct {
					Include []string `json:"includeLocations"`
					Exclude []string `json:"excludeLocations"`
				} `json:"locations"`
				ClientAppTypes []string `json:"clientAppTypes"`
			} `json:"conditions"`
			GrantControls *struct {
				Operator string   `json:"operator"`
				BuiltIn  []string `json:"builtInControls"`
			} `json:"grantControls"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		u := p.Conditions.Users
		pol := CAPolicy{ID: p.ID, DisplayName: p.DisplayName, State: p.State,
			IncludeUsers: u.IncludeUsers, ExcludeUsers: u.ExcludeUsers, IncludeGroups: u.IncludeGroups,
			ExcludeGroups: u.ExcludeGroups, IncludeRoles: u.IncludeRoles, ExcludeRoles: u.ExcludeRoles,
			IncludeApplications: p.Conditions.Applications.Include, ExcludeApplications: p.Conditions.Applications.Exclude,
			ClientAppTypes: p.Conditions.ClientAppTypes}
		if l := p.Conditions.Locations; l != nil {
			pol.IncludeLocations, pol.ExcludeLocations = l.Include, l.Exclude
		}
		if g := p.GrantControls; g != nil {
			pol.GrantOperator, pol.GrantControls = g.Operator, g.BuiltIn
		}
		out = append(out, pol)
		return nil
	})
	return out, err
}

// WhatIfRequest describes a sign-in for the Conditional Access What If
// evaluation. Exactly one of UserID and ServicePrincipalID is set.
type WhatIfRequest struct {
	UserID             string // object id of a user signing in
	ServicePrincipalID string // object id of a service principal (workload identity)
	// Applications are the resource appIds being accessed (e.g. SharePoint Online).
	Applications []string
	IPAddress    string
	// ClientAppType: browser, mobileAppsAndDesktopClients, exchangeActiveSync, easSupported, other.
	ClientAppType string
	Country       string // ISO code, optional
}

// WhatIfResult is one policy's verdict for the described sign-in.
type WhatIfResult struct {
	Policy CAPolicy `json:"policy"`
	// Applies: the policy would apply to the sign-in.
	Applies bool `json:"applies"`
	// Reasons explain why a policy does not apply (users, location, application, ...).
	Reasons []string `json:"reasons,omitempty"`
}

// EvaluateCA runs the Conditional Access What If evaluation for every policy
// in the tenant (POST /identity/conditionalAccess/evaluate). The action is in
// the v1.0 metadata but documented for beta only, so a v1.0 answer of
// "no such resource" falls back to beta. Needs Policy.Read.ConditionalAccess
// (or Policy.Read.All).
func (c *Client) EvaluateCA(ctx context.Context, req WhatIfRequest) ([]WhatIfResult, error) {
	const op = "evaluating Conditional Access (What If)"
	if (req.UserID == "") == (req.ServicePrincipalID == "") {
		return nil, &Error{Op: op, Err: errors.New("name exactly one of a user and a service principal")}
	}
	body := whatIfBody{AppliedPoliciesOnly: false}
	if req.UserID != "" {
		body.SignInIdentity = map[string]string{"@odata.type": "#microsoft.graph.userSignIn", "userId": req.UserID}
	} else {
		body.SignInIdentity = map[string]string{"@odata.type": "#microsoft.graph.servicePrincipalSignIn", "servicePrincipalId": req.ServicePrincipalID}
	}
	body.SignInContext = map[string]any{"@odata.type": "#microsoft.graph.applicationContext", "includeApplications": nonNil(req.Applications)}
	body.SignInConditions = map[string]any{}
	if req.IPAddress != "" {
		body.SignInConditions["ipAddress"] = req.IPAddress
	}
	if req.ClientAppType != "" {
		body.SignInConditions["clientAppType"] = req.ClientAppType
	}
	if req.Country != "" {
		body.SignInConditions["country"] = req.Country
	}
	var resp struct {
		Value []whatIfJSON `json:"value"`
	}
	err := c.Raw(ctx, op, http.MethodPost, "v1.0/identity/conditionalAccess/evaluate", body, &resp)
	if err != nil && notRouted(err) {
		err = c.Raw(ctx, op+" (beta)", http.MethodPost, "beta/identity/conditionalAccess/evaluate", body, &resp)
	}
	if err != nil {
		return nil, err
	}
	out := make([]WhatIfResult, 0, len(resp.Value))
	for _, v := range resp.Value {
		out = append(out, v.result())
	}
	return out, nil
}

// notRouted reports Graph saying the path does not exist in this version
// (as opposed to "the resource you asked about does not exist").
func notRouted(err error) bool {
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.StatusCode {
	case http.StatusNotFound:
		return !strings.HasPrefix(ge.Code, "Request_ResourceNotFound")
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	case http.StatusBadRequest:
		// Graph: 400 BadRequest "Resource not found for the segment 'evaluate'."
		return strings.Contains(ge.Message, "segment")
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type whatIfBody struct {
	SignInIdentity      map[string]string `json:"signInIdentity"`
	SignInContext       map[string]any    `json:"signInContext"`
	SignInConditions    map[string]any    `json:"signInConditions"`
	AppliedPoliciesOnly bool              `json:"appliedPoliciesOnly"`
}

// whatIfJSON is a whatIfAnalysisResult (a conditionalAccessPolicy plus two properties).
type whatIfJSON struct {
	ID              string `json:"id"`
	DisplayName     string `json:"displayName"`
	State           string `json:"state"`
	PolicyApplies   bool   `json:"policyApplies"`
	AnalysisReasons string `json:"analysisReasons"`
	Conditions      *struct {
		ClientAppTypes []string `json:"clientAppTypes"`
		Applications   *struct {
			IncludeApplications []string `json:"includeApplications"`
			ExcludeApplications []string `json:"excludeApplications"`
		} `json:"applications"`
		Users *struct {
			IncludeUsers  []string `json:"includeUsers"`
			ExcludeUsers  []string `json:"excludeUsers"`
			IncludeGroups []string `json:"includeGroups"`
			ExcludeGroups []string `json:"excludeGroups"`
			IncludeRoles  []string `json:"includeRoles"`
			ExcludeRoles  []string `json:"excludeRoles"`
		} `json:"users"`
		Locations *struct {
			IncludeLocations []string `json:"includeLocations"`
			ExcludeLocations []string `json:"excludeLocations"`
		} `json:"locations"`
	} `json:"conditions"`
	GrantControls *struct {
		Operator        string   `json:"operator"`
		BuiltInControls []string `json:"builtInControls"`
	} `json:"grantControls"`
}

func (w whatIfJSON) result() WhatIfResult {
	p := CAPolicy{ID: w.ID, DisplayName: w.DisplayName, State: w.State}
	if c := w.Conditions; c != nil {
		p.ClientAppTypes = c.ClientAppTypes
		if a := c.Applications; a != nil {
			p.IncludeApplications, p.ExcludeApplications = a.IncludeApplications, a.ExcludeApplications
		}
		if u := c.Users; u != nil {
			p.IncludeUsers, p.ExcludeUsers = u.IncludeUsers, u.ExcludeUsers
			p.IncludeGroups, p.ExcludeGroups = u.IncludeGroups, u.ExcludeGroups
			p.IncludeRoles, p.ExcludeRoles = u.IncludeRoles, u.ExcludeRoles
		}
		if l := c.Locations; l != nil {
			p.IncludeLocations, p.ExcludeLocations = l.IncludeLocations, l.ExcludeLocations
		}
	}
	if g := w.GrantControls; g != nil {
		p.GrantOperator, p.GrantControls = g.Operator, g.BuiltInControls
	}
	r := WhatIfResult{Policy: p, Applies: w.PolicyApplies}
	// analysisReasons is a flags enum serialised as "users,location"; notSet when it applies.
	for _, s := range strings.Split(w.AnalysisReasons, ",") {
		if s = strings.TrimSpace(s); s != "" && s != "notSet" {
			r.Reasons = append(r.Reasons, s)
		}
	}
	return r
}

// String names a policy for messages.
func (p CAPolicy) String() string { return fmt.Sprintf("%q (%s)", p.DisplayName, p.ID) }
