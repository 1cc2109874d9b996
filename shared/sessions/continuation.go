package sessions

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/op"
)

// token is what a continuation carries: the targets are processed in object
// id order, so "everything after After, plus Pending" is exactly what is left.
type token struct {
	V       int       `json:"v"`
	Spec    string    `json:"s"` // hash of the target selection: a token only continues its own job
	After   string    `json:"a"` // last object id taken in order
	Pending []pending `json:"p,omitempty"`
	Done    int       `json:"d"` // targets finished by earlier calls (for progress)
}

func (t token) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (token, error) {
	var t token
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.V != 1 || t.Spec == "" {
		return token{}, op.Invalid("invalidContinuation", "continuation", "the continuation token is not one tenantops issued")
	}
	return t, nil
}

// pending is a target that was taken but not finished: throttled, or sent
// with no answer before the run stopped. Since is its sessions' valid-from
// time before this job, so the next call can tell whether it was applied.
type pending struct {
	ID    string    `json:"i"`
	Since time.Time `json:"t"`
}

// specHash identifies a target selection (not dry-run, reason or limits).
func (r *Request) specHash() string {
	users := make([]string, len(r.Users))
	for i, u := range r.Users {
		users[i] = strings.ToLower(strings.TrimSpace(u))
	}
	slices.Sort(users)
	users = slices.Compact(users)
	b, _ := json.Marshal([]any{users, strings.ToLower(r.Group), r.MFAState, r.All})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
