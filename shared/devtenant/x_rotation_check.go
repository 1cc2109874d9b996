package devtenant

import "strings"

// Side-effect-free credential checks for rotation tests: unlike a sign-in
// they count no failed attempt (no lockout) and write no sign-in log, so an
// invariant check may try every value Key Vault holds.

// CheckUserPassword reports whether password is the user's current password.
func (t *Tenant) CheckUserPassword(idOrUPN, password string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.lookupUser(idOrUPN)
	return u != nil && u.hasPassword && secretEqual(u.pwSalt, u.pwHash, password)
}

// ClientSecretValid reports whether the token endpoint would accept secret
// for appID now (replicated and not expired), and which credential it is.
func (t *Tenant) ClientSecretValid(appID, secret string) (keyID string, ok bool) {
	now := t.Now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.st.appsByApp[strings.ToLower(appID)]
	if a == nil {
		return "", false
	}
	for _, p := range a.passwords {
		if !secretEqual(p.salt, p.hash, secret) {
			continue
		}
		valid := (p.End.IsZero() || now.Before(p.End)) && !now.Before(p.addedAt.Add(t.st.secretDelay))
		return p.KeyID, valid
	}
	return "", false
}
