package devtenant

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Mutation helpers for tests and demos: they change the tenant as an admin
// portal would, without going through Graph (no throttling, no request log).

func (t *Tenant) withUser(idOrUPN string, f func(u *userRec)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.lookupUser(idOrUPN)
	if u == nil {
		return fmt.Errorf("devtenant: no user %s", idOrUPN)
	}
	f(u)
	return nil
}

// AddUser adds a user (ids and defaults filled in as for fixtures).
func (t *Tenant) AddUser(u User) error {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.st.addUser(u, now); err != nil {
		return fmt.Errorf("devtenant: %w", err)
	}
	return nil
}

// SetPerUserMFAState sets the legacy per-user MFA state (MFADisabled, MFAEnabled, MFAEnforced).
func (t *Tenant) SetPerUserMFAState(idOrUPN, state string) error {
	switch state {
	case MFADisabled, MFAEnabled, MFAEnforced:
	default:
		return fmt.Errorf("devtenant: per-user MFA state %q", state)
	}
	return t.withUser(idOrUPN, func(u *userRec) { u.PerUserMFAState = state })
}

// RegisterMFAMethod registers an authentication method for a user (an
// "enabled" user becomes "enforced", as Entra does on registration).
func (t *Tenant) RegisterMFAMethod(idOrUPN string, m AuthMethod) error {
	return t.withUser(idOrUPN, func(u *userRec) {
		if m.ID == "" {
			m.ID = StableID("method", u.ID+"/"+m.Type+fmt.Sprint(len(u.Methods)))
		}
		u.Methods = append(append([]AuthMethod(nil), u.Methods...), m)
		if u.PerUserMFAState == MFAEnabled && u.MFARegistered() {
			u.PerUserMFAState = MFAEnforced
		}
	})
}

// SetUserEnabled sets accountEnabled.
func (t *Tenant) SetUserEnabled(idOrUPN string, enabled bool) error {
	return t.withUser(idOrUPN, func(u *userRec) { u.AccountEnabled = enabled })
}

// SetUserLocked locks or unlocks an account (smart lockout, AADSTS50053).
func (t *Tenant) SetUserLocked(idOrUPN string, locked bool) error {
	return t.withUser(idOrUPN, func(u *userRec) {
		u.Locked = locked
		u.failedPasswords = 0
	})
}

// SetPasswordExpired marks a password expired (AADSTS50055) or not.
func (t *Tenant) SetPasswordExpired(idOrUPN string, expired bool) error {
	return t.withUser(idOrUPN, func(u *userRec) { u.PasswordExpired = expired })
}

// SetUserPassword sets a user's password as an admin reset would.
func (t *Tenant) SetUserPassword(idOrUPN, password string) error {
	now := t.Now()
	return t.withUser(idOrUPN, func(u *userRec) {
		u.pwSalt = newSalt()
		u.pwHash = hashSecret(u.pwSalt, password)
		u.hasPassword = true
		u.LastPasswordChangeDateTime = now.UTC().Truncate(time.Second)
		u.PasswordExpired = false
		u.passwordChanges++
	})
}

// SetSecurityDefaults turns security defaults on or off (without the
// Conditional Access conflict check the Graph endpoint applies).
func (t *Tenant) SetSecurityDefaults(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.securityDefaults = on
}

// AddNamedLocation adds an IP named location and returns its id.
func (t *Tenant) AddNamedLocation(nl NamedLocation) (string, error) {
	for _, c := range nl.CIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return "", fmt.Errorf("devtenant: named location %q: %w", nl.DisplayName, err)
		}
	}
	now := t.Now().UTC()
	if nl.ID == "" {
		nl.ID = newGUID()
	}
	if nl.Created.IsZero() {
		nl.Created, nl.Modified = now, now
	}
	nl.CIDRs = append([]string(nil), nl.CIDRs...)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.namedLocations = append(t.st.namedLocations, &nl)
	return nl.ID, nil
}

// AddCAPolicy adds a Conditional Access policy and returns its id.
func (t *Tenant) AddCAPolicy(p CAPolicy) string {
	if p.ID == "" {
		p.ID = newGUID()
	}
	if p.State == "" {
		p.State = "enabled"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.caPolicies = append(t.st.caPolicies, &p)
	return p.ID
}

// SetCAPolicyState sets a policy's state: enabled, disabled or enabledForReportingButNotEnforced.
func (t *Tenant) SetCAPolicyState(id, state string) error {
	switch state {
	case "enabled", "disabled", "enabledForReportingButNotEnforced":
	default:
		return fmt.Errorf("devtenant: policy state %q", state)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.st.caPolicies {
		if strings.EqualFold(p.ID, id) {
			p.State = state
			return nil
		}
	}
	return fmt.Errorf("devtenant: no Conditional Access policy %s", id)
}

// SetEchoIP makes one IP echo service (e.g. "checkip.amazonaws.com") report ip
// instead of the tenant's egress IP, as with a second NAT path. ip "" removes
// the override.
func (t *Tenant) SetEchoIP(host, ip string) error {
	if ip != "" {
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("devtenant: echo IP: %w", err)
		}
	}
	host = strings.ToLower(host)
	if serviceFor(host, "/") != svcEcho {
		return fmt.Errorf("devtenant: %s is not an IP echo service", host)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ip == "" {
		delete(t.st.echoIP, host)
	} else {
		t.st.echoIP[host] = ip
	}
	return nil
}

// SetAppDisabled disables or enables an application's service principal
// (tokens: AADSTS7000112; existing tokens are rejected).
func (t *Tenant) SetAppDisabled(appID string, disabled bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.st.appsByApp[strings.ToLower(appID)]
	if a == nil {
		return fmt.Errorf("devtenant: no application %s", appID)
	}
	a.Disabled = disabled
	return nil
}
