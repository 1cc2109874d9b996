package devtenant

import (
	"net/netip"
	"slices"
	"strings"
)

// policyResult is the outcome of one Conditional Access policy for a sign-in.
type policyResult struct {
	policy *CAPolicy
	// result: success, failure, notApplied, notEnabled, reportOnlyFailure, reportOnlyNotApplied.
	result string
	// grant: the grant controls that applied ("mfa", "block").
	grant []string
	// why: human-readable reasons for the What If analysis.
	why []string
}

// signInContext is what Conditional Access evaluates.
type signInContext struct {
	user          *userRec
	resourceAppID string
	ip            string
	clientApp     string // browser, mobileAppsAndDesktopClients, exchangeActiveSync, other
}

// inTrustedLocation reports whether ip is inside a trusted IP named location.
func (st *state) inTrustedLocation(ip string) bool {
	return len(st.locationsOf(ip, true)) > 0
}

// locationsOf returns the named locations containing ip.
func (st *state) locationsOf(ip string, trustedOnly bool) []*NamedLocation {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	addr = addr.Unmap()
	var out []*NamedLocation
	for _, nl := range st.namedLocations {
		if trustedOnly && !nl.Trusted {
			continue
		}
		for _, c := range nl.CIDRs {
			if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
				out = append(out, nl)
				break
			}
		}
	}
	return out
}

// groupsOf returns the ids (lower-case) of every group containing the object,
// directly or through nested groups.
func (st *state) groupsOf(objectID string) map[string]bool {
	out := map[string]bool{}
	frontier := []string{strings.ToLower(objectID)}
	for len(frontier) > 0 {
		var next []string
		for _, g := range st.groups {
			gid := strings.ToLower(g.ID)
			if out[gid] {
				continue
			}
			for _, m := range g.Members {
				if slices.Contains(frontier, strings.ToLower(m)) {
					out[gid] = true
					next = append(next, gid)
					break
				}
			}
		}
		frontier = next
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// officeApps are the resources in the "Office365" application group that tenantops touches.
var officeApps = []string{ResourceSharePoint}

// evaluateCA evaluates every policy for a sign-in.
func (st *state) evaluateCA(sc signInContext) []policyResult {
	var groups map[string]bool
	memberOfAny := func(ids []string) bool {
		if len(ids) == 0 {
			return false
		}
		if groups == nil {
			groups = st.groupsOf(sc.user.ID)
		}
		for _, id := range ids {
			if groups[strings.ToLower(id)] {
				return true
			}
		}
		return false
	}
	var out []policyResult
	for _, p := range st.caPolicies {
		r := policyResult{policy: p}
		if p.State == "disabled" {
			r.result = "notEnabled"
			out = append(out, r)
			continue
		}
		applies := true
		u := sc.user
		userIncluded := containsFold(p.IncludeUsers, "All") || containsFold(p.IncludeUsers, u.ID) ||
			(u.UserType == "Guest" && containsFold(p.IncludeUsers, "GuestsOrExternalUsers")) || memberOfAny(p.IncludeGroups)
		userExcluded := containsFold(p.ExcludeUsers, u.ID) || (u.UserType == "Guest" && containsFold(p.ExcludeUsers, "GuestsOrExternalUsers")) ||
			memberOfAny(p.ExcludeGroups)
		switch {
		case !userIncluded:
			applies = false
			r.why = append(r.why, "users")
		case userExcluded:
			applies = false
			r.why = append(r.why, "users (excluded)")
		}
		appMatch := func(list []string) bool {
			return containsFold(list, "All") || containsFold(list, sc.resourceAppID) ||
				(containsFold(list, "Office365") && slices.Contains(officeApps, sc.resourceAppID))
		}
		if applies && (!appMatch(p.IncludeApplications) || (len(p.ExcludeApplications) > 0 && appMatch(p.ExcludeApplications))) {
			applies = false
			r.why = append(r.why, "application")
		}
		if applies && (len(p.IncludeLocations) > 0 || len(p.ExcludeLocations) > 0) {
			if !st.locationMatch(p.IncludeLocations, sc.ip, true) || st.locationMatch(p.ExcludeLocations, sc.ip, false) {
				applies = false
				r.why = append(r.why, "location")
			}
		}
		if applies && len(p.ClientAppTypes) > 0 && !containsFold(p.ClientAppTypes, "all") && !containsFold(p.ClientAppTypes, sc.clientApp) {
			applies = false
			r.why = append(r.why, "clientAppType")
		}
		report := p.State == "enabledForReportingButNotEnforced"
		switch {
		case !applies && report:
			r.result = "reportOnlyNotApplied"
		case !applies:
			r.result = "notApplied"
		case report:
			r.result = "reportOnlyFailure"
			r.grant = p.GrantControls
		default:
			r.result = "failure" // ROPC/app flows cannot satisfy mfa; block is a failure
			r.grant = p.GrantControls
		}
		out = append(out, r)
	}
	return out
}

// locationMatch: "All" matches everything; "AllTrusted" matches trusted
// locations; otherwise named location ids. emptyAll: an empty list means All.
func (st *state) locationMatch(list []string, ip string, emptyAll bool) bool {
	if len(list) == 0 {
		return emptyAll
	}
	if containsFold(list, "All") {
		return true
	}
	if containsFold(list, "AllTrusted") && st.inTrustedLocation(ip) {
		return true
	}
	for _, nl := range st.locationsOf(ip, false) {
		if containsFold(list, nl.ID) {
			return true
		}
	}
	return false
}

// enforced returns the enforced results that require grant control g.
func enforced(rs []policyResult, g string) []policyResult {
	var out []policyResult
	for _, r := range rs {
		if r.result == "failure" && slices.Contains(r.grant, g) {
			out = append(out, r)
		}
	}
	return out
}
