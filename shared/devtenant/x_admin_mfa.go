package devtenant

import "net/http"

// InjectLostWrites makes the next n requests matching match ("METHOD
// PATTERN", as for Inject) answer 204 No Content without reaching the handler:
// a write Graph acknowledged but did not apply, as it does for a PATCH whose
// only property is mis-cased. Batch items match on their own path
// (e.g. "PATCH /beta/users/*/authentication/requirements"). It returns the
// fault rule id.
func (t *Tenant) InjectLostWrites(match string, n int) int {
	fs := make([]Fault, n)
	for i := range fs {
		fs[i] = Fault{Status: http.StatusNoContent}
	}
	return t.Inject(match, fs...)
}
