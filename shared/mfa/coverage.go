package mfa

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantops/tenantops/shared/graph"
)

// coverage answers "which enabled Conditional Access policies require MFA of
// this user". Report-only and disabled policies do not count (they enforce
// nothing). Conditions other than users (applications, locations, client
// apps) are not evaluated: a policy that skips trusted locations still
// counts, as it covers the user everywhere else. Directory roles are
// approximated by the registration report's isAdmin.
type coverage struct {
	policies []graph.CAPolicy
	groups   map[string]*idSet // lower-case group id -> transitive user members
}

type coverageGraph interface {
	ListCAPolicies(ctx context.Context) ([]graph.CAPolicy, error)
	EachGroupUserID(ctx context.Context, groupID string, fn func(id string)) error
}

func loadCoverage(ctx context.Context, g coverageGraph) (*coverage, []string, error) {
	cov := &coverage{groups: map[string]*idSet{}}
	ps, err := g.ListCAPolicies(ctx)
	if err != nil {
		if graph.IsForbidden(err) {
			return cov, []string{"Conditional Access coverage unknown: listing policies needs Policy.Read.All (" + err.Error() + ")"}, nil
		}
		return nil, nil, fmt.Errorf("listing Conditional Access policies: %w", err)
	}
	for _, p := range ps {
		if !p.Enforced() || !p.Requires("mfa") {
			continue
		}
		cov.policies = append(cov.policies, p)
		for _, gid := range slices.Concat(p.IncludeGroups, p.ExcludeGroups) {
			key := strings.ToLower(gid)
			if _, ok := cov.groups[key]; ok {
				continue
			}
			set := newIDSet()
			if err := g.EachGroupUserID(ctx, gid, set.add); err != nil {
				return nil, nil, fmt.Errorf("listing members of group %s (used by policy %q): %w", gid, p.DisplayName, err)
			}
			cov.groups[key] = set
		}
	}
	return cov, nil, nil
}

func (c *coverage) inGroups(ids []string, userID string) bool {
	for _, g := range ids {
		if s := c.groups[strings.ToLower(g)]; s != nil && s.has(userID) {
			return true
		}
	}
	return false
}

// policiesFor returns the display names of the policies covering u.
func (c *coverage) policiesFor(u graph.User, isAdmin bool) []string {
	out := []string{}
	guest := u.IsGuest()
	for _, p := range c.policies {
		has := func(list []string, v string) bool {
			return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
		}
		in := has(p.IncludeUsers, "All") || has(p.IncludeUsers, u.ID) ||
			(guest && has(p.IncludeUsers, "GuestsOrExternalUsers")) ||
			c.inGroups(p.IncludeGroups, u.ID) || (isAdmin && len(p.IncludeRoles) > 0)
		out1 := has(p.ExcludeUsers, u.ID) || (guest && has(p.ExcludeUsers, "GuestsOrExternalUsers")) ||
			c.inGroups(p.ExcludeGroups, u.ID) || (isAdmin && len(p.ExcludeRoles) > 0)
		if in && !out1 {
			out = append(out, p.DisplayName)
		}
	}
	return out
}
