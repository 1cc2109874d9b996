package devtenant

import "strings"

// SetNamedLocationCIDRs replaces a named location's ranges directly — what
// another administrator's concurrent PATCH does — and reports whether the
// location exists (tests of read-modify-write).
func (t *Tenant) SetNamedLocationCIDRs(id string, cidrs []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, nl := range t.st.namedLocations {
		if strings.EqualFold(nl.ID, id) {
			nl.CIDRs = append([]string(nil), cidrs...)
			nl.Modified = t.Now().UTC()
			return true
		}
	}
	return false
}
