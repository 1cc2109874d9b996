package devtenant

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The admin/inspection API, served only to loopback hosts under /_devtenant/:
//
//	GET    /_devtenant/healthz
//	GET    /_devtenant/ca.pem
//	GET    /_devtenant/state[?users=N]       tenant summary; credentials as hints only
//	GET    /_devtenant/requests[?since=SEQ]  request log
//	GET    /_devtenant/signins               sign-in log
//	POST   /_devtenant/faults                {"match":"GET /v1.0/users/*","script":[{"status":429,"retryAfter":"0"}]} or {"match":..,"rate":0.1,"fault":{..}}
//	DELETE /_devtenant/faults[/ID]
//	POST   /_devtenant/clock/advance         {"duration":"90s"}
//	PUT    /_devtenant/egress-ip             {"ip":"198.51.100.7"}
//	PUT    /_devtenant/delays                {"secretPropagation":"30s","revocation":"5m"}
//	PUT    /_devtenant/throttle-limits       ThrottleLimits as JSON (durations as Go duration strings)
//	GET    /_devtenant/throttle-limits

// AdminFault is the JSON form of a Fault.
type AdminFault struct {
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retryAfter,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	Delay      string `json:"delay,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
	Hang       bool   `json:"hang,omitempty"`
}

func (a AdminFault) fault() (Fault, error) {
	f := Fault{Status: a.Status, RetryAfter: a.RetryAfter, Code: a.Code, Message: a.Message, Drop: a.Drop, Hang: a.Hang}
	if a.Delay != "" {
		d, err := time.ParseDuration(a.Delay)
		if err != nil {
			return f, fmt.Errorf("delay: %w", err)
		}
		f.Delay = d
	}
	return f, nil
}

type adminThrottle struct {
	Disabled                bool   `json:"disabled"`
	DirectoryRU             int    `json:"directoryRU"`
	DirectoryRUWindow       string `json:"directoryRUWindow"`
	AppTenantWrites         int    `json:"appTenantWrites"`
	AppTenantWritesWindow   string `json:"appTenantWritesWindow"`
	TenantWrites            int    `json:"tenantWrites"`
	TenantWritesWindow      string `json:"tenantWritesWindow"`
	Reports                 int    `json:"reports"`
	ReportsWindow           string `json:"reportsWindow"`
	ConditionalAccess       int    `json:"conditionalAccess"`
	ConditionalAccessWindow string `json:"conditionalAccessWindow"`
	FractionalRetryAfter    bool   `json:"fractionalRetryAfter"`
}

func toAdminThrottle(l ThrottleLimits) adminThrottle {
	return adminThrottle{l.Disabled, l.DirectoryRU, l.DirectoryRUWindow.String(), l.AppTenantWrites, l.AppTenantWritesWindow.String(),
		l.TenantWrites, l.TenantWritesWindow.String(), l.Reports, l.ReportsWindow.String(), l.ConditionalAccess,
		l.ConditionalAccessWindow.String(), l.FractionalRetryAfter}
}

func (a adminThrottle) limits(base ThrottleLimits) (ThrottleLimits, error) {
	l := base
	l.Disabled, l.FractionalRetryAfter = a.Disabled, a.FractionalRetryAfter
	set := func(n int, dst *int) {
		if n > 0 {
			*dst = n
		}
	}
	set(a.DirectoryRU, &l.DirectoryRU)
	set(a.AppTenantWrites, &l.AppTenantWrites)
	set(a.TenantWrites, &l.TenantWrites)
	set(a.Reports, &l.Reports)
	set(a.ConditionalAccess, &l.ConditionalAccess)
	for _, x := range []struct {
		s   string
		dst *time.Duration
	}{{a.DirectoryRUWindow, &l.DirectoryRUWindow}, {a.AppTenantWritesWindow, &l.AppTenantWritesWindow}, {a.TenantWritesWindow, &l.TenantWritesWindow},
		{a.ReportsWindow, &l.ReportsWindow}, {a.ConditionalAccessWindow, &l.ConditionalAccessWindow}} {
		if x.s == "" {
			continue
		}
		d, err := time.ParseDuration(x.s)
		if err != nil || d <= 0 {
			return l, fmt.Errorf("window %q: want a positive Go duration", x.s)
		}
		*x.dst = d
	}
	return l, nil
}

func adminErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": http.StatusText(status), "message": msg}})
}

func decodeAdmin(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding body: %w", err)
	}
	return nil
}

func (t *Tenant) serveAdmin(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_devtenant"), "/")
	switch {
	case p == "/healthz" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "now": t.Now().UTC()})
	case p == "/ca.pem" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(t.caPEM)
	case p == "/state" && r.Method == http.MethodGet:
		limit := -1
		if s := r.URL.Query().Get("users"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				adminErr(w, http.StatusBadRequest, "users: want a non-negative number")
				return
			}
			limit = n
		}
		writeJSON(w, http.StatusOK, t.State(limit))
	case p == "/requests" && r.Method == http.MethodGet:
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		var out []Request
		for _, q := range t.Requests() {
			if q.Seq > since {
				out = append(out, q)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	case p == "/signins" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"signIns": t.SignIns()})
	case p == "/faults" && r.Method == http.MethodPost:
		var body struct {
			Match  string       `json:"match"`
			Script []AdminFault `json:"script"`
			Rate   float64      `json:"rate"`
			Fault  AdminFault   `json:"fault"`
			Seed   uint64       `json:"seed"`
		}
		if err := decodeAdmin(r, &body); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		rule := FaultRule{Match: body.Match, Rate: body.Rate, Seed: body.Seed}
		for _, af := range body.Script {
			f, err := af.fault()
			if err != nil {
				adminErr(w, http.StatusBadRequest, err.Error())
				return
			}
			rule.Script = append(rule.Script, f)
		}
		f, err := body.Fault.fault()
		if err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		rule.Fault = f
		id, err := t.AddFaultRule(rule)
		if err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int{"id": id})
	case p == "/faults" && r.Method == http.MethodDelete:
		t.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(p, "/faults/") && r.Method == http.MethodDelete:
		id, err := strconv.Atoi(strings.TrimPrefix(p, "/faults/"))
		if err != nil {
			adminErr(w, http.StatusBadRequest, "fault id: want a number")
			return
		}
		t.RemoveFault(id)
		w.WriteHeader(http.StatusNoContent)
	case p == "/clock/advance" && r.Method == http.MethodPost:
		var body struct {
			Duration string `json:"duration"`
		}
		if err := decodeAdmin(r, &body); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		d, err := time.ParseDuration(body.Duration)
		if err != nil || d < 0 {
			adminErr(w, http.StatusBadRequest, "duration: want a non-negative Go duration such as \"90s\"")
			return
		}
		t.Advance(d)
		writeJSON(w, http.StatusOK, map[string]any{"now": t.Now().UTC()})
	case p == "/egress-ip" && r.Method == http.MethodPut:
		var body struct {
			IP string `json:"ip"`
		}
		if err := decodeAdmin(r, &body); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := t.SetEgressIP(body.IP); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"ip": body.IP})
	case p == "/delays" && r.Method == http.MethodPut:
		var body struct {
			SecretPropagation string `json:"secretPropagation"`
			Revocation        string `json:"revocation"`
		}
		if err := decodeAdmin(r, &body); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		for _, x := range []struct {
			s   string
			set func(time.Duration)
		}{{body.SecretPropagation, t.SetSecretPropagationDelay}, {body.Revocation, t.SetRevocationDelay}} {
			if x.s == "" {
				continue
			}
			d, err := time.ParseDuration(x.s)
			if err != nil || d < 0 {
				adminErr(w, http.StatusBadRequest, fmt.Sprintf("delay %q: want a non-negative Go duration", x.s))
				return
			}
			x.set(d)
		}
		w.WriteHeader(http.StatusNoContent)
	case p == "/throttle-limits" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, toAdminThrottle(t.ThrottleLimits()))
	case p == "/throttle-limits" && r.Method == http.MethodPut:
		var body adminThrottle
		if err := decodeAdmin(r, &body); err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		l, err := body.limits(t.ThrottleLimits())
		if err != nil {
			adminErr(w, http.StatusBadRequest, err.Error())
			return
		}
		t.SetThrottleLimits(l)
		writeJSON(w, http.StatusOK, toAdminThrottle(l))
	default:
		adminErr(w, http.StatusNotFound, "unknown admin endpoint "+r.Method+" "+r.URL.Path)
	}
}

// StateDump is the admin view of the tenant. It never contains secret values
// or password hashes: client secrets appear as hints (first 3 characters).
type StateDump struct {
	TenantID         string              `json:"tenantId"`
	DisplayName      string              `json:"displayName"`
	Domains          []string            `json:"domains"`
	Now              time.Time           `json:"now"`
	EgressIP         string              `json:"egressIp"`
	SecurityDefaults bool                `json:"securityDefaultsEnabled"`
	UserCount        int                 `json:"userCount"`
	Users            []UserSummary       `json:"users"`
	Apps             []AppSummary        `json:"apps"`
	NamedLocations   []NamedLocation     `json:"namedLocations"`
	CAPolicies       []CAPolicy          `json:"conditionalAccessPolicies"`
	Vaults           []VaultSummary      `json:"vaults"`
	SecretDelay      string              `json:"secretPropagationDelay"`
	RevocationDelay  string              `json:"revocationDelay"`
	Throttle         adminThrottle       `json:"throttleLimits"`
	PendingFaults    int                 `json:"pendingScriptedFaults"`
	SignInCount      int                 `json:"signInCount"`
	AppPolicy        map[string]any      `json:"appManagementPolicy"`
	Sites            []map[string]string `json:"sites"`
}

// UserSummary is a user without credentials.
type UserSummary struct {
	ID                      string    `json:"id"`
	UserPrincipalName       string    `json:"userPrincipalName"`
	DisplayName             string    `json:"displayName"`
	UserType                string    `json:"userType"`
	AccountEnabled          bool      `json:"accountEnabled"`
	PerUserMFAState         string    `json:"perUserMfaState"`
	MFARegistered           bool      `json:"mfaRegistered"`
	IsAdmin                 bool      `json:"isAdmin"`
	Locked                  bool      `json:"locked"`
	PasswordExpired         bool      `json:"passwordExpired"`
	SignInSessionsValidFrom time.Time `json:"signInSessionsValidFromDateTime"`
	RevokeCount             int       `json:"revokeCount"`
}

// AppSummary is an application with credential metadata only.
type AppSummary struct {
	AppID                string                `json:"appId"`
	ObjectID             string                `json:"id"`
	ServicePrincipalID   string                `json:"servicePrincipalId"`
	DisplayName          string                `json:"displayName"`
	PublicClient         bool                  `json:"isFallbackPublicClient"`
	AppRoles             map[string][]string   `json:"appRoles"`
	DirectoryRoles       []string              `json:"directoryRoles"`
	PasswordCredentials  []CredentialSummary   `json:"passwordCredentials"`
	KeyCredentials       []CredentialSummary   `json:"keyCredentials"`
	FederatedCredentials []FederatedCredential `json:"federatedIdentityCredentials"`
}

// CredentialSummary describes a secret or certificate without its value.
type CredentialSummary struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint,omitempty"`
	Thumbprint  string    `json:"thumbprint,omitempty"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
	ActiveAfter time.Time `json:"activeAfter,omitempty"` // secrets: when replication completes
}

// VaultSummary lists secret names, version counts and tags (no values).
type VaultSummary struct {
	Name    string          `json:"name"`
	Secrets []SecretSummary `json:"secrets"`
}

// SecretSummary is a secret without its value.
type SecretSummary struct {
	Name     string            `json:"name"`
	Versions int               `json:"versions"`
	Deleted  bool              `json:"deleted"`
	Tags     map[string]string `json:"tags"`
	Expires  time.Time         `json:"expires,omitzero"`
}

// State returns the admin view; maxUsers < 0 lists every user.
func (t *Tenant) State(maxUsers int) StateDump {
	lim := toAdminThrottle(t.ThrottleLimits())
	pending := t.PendingFaults()
	now := t.Now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := t.st
	d := StateDump{
		TenantID: st.tenantID, DisplayName: st.displayName, Domains: append([]string(nil), st.domains...), Now: now.UTC(),
		EgressIP: st.egressIP, SecurityDefaults: st.securityDefaults, UserCount: len(st.users),
		SecretDelay: st.secretDelay.String(), RevocationDelay: st.revocationDelay.String(), Throttle: lim,
		PendingFaults: pending, SignInCount: len(st.signIns),
		AppPolicy: map[string]any{"isEnabled": st.appPolicy.Enabled, "maxPasswordLifetime": st.appPolicy.MaxPasswordLifetime.String()},
	}
	for i, u := range st.users {
		if maxUsers >= 0 && i >= maxUsers {
			break
		}
		d.Users = append(d.Users, UserSummary{u.ID, u.UserPrincipalName, u.DisplayName, u.UserType, u.AccountEnabled, u.PerUserMFAState,
			u.MFARegistered(), u.IsAdmin, u.Locked, u.PasswordExpired, u.SignInSessionsValidFrom, u.revokeCount})
	}
	for _, a := range st.apps {
		as := AppSummary{AppID: a.AppID, ObjectID: a.ObjectID, ServicePrincipalID: a.ServicePrincipalID, DisplayName: a.DisplayName,
			PublicClient: a.PublicClient, AppRoles: map[string][]string{}, DirectoryRoles: a.DirectoryRoles,
			FederatedCredentials: a.FederatedCredentials, PasswordCredentials: []CredentialSummary{}, KeyCredentials: []CredentialSummary{}}
		for k, v := range a.AppRoles {
			as.AppRoles[k] = v
		}
		for _, p := range a.passwords {
			as.PasswordCredentials = append(as.PasswordCredentials, CredentialSummary{KeyID: p.KeyID, DisplayName: p.DisplayName, Hint: p.hint,
				Start: p.Start, End: p.End, ActiveAfter: p.addedAt.Add(st.secretDelay)})
		}
		for _, k := range a.Certificates {
			as.KeyCredentials = append(as.KeyCredentials, CredentialSummary{KeyID: k.KeyID, DisplayName: k.DisplayName, Thumbprint: certThumbprint(k.CertDER),
				Start: k.Start, End: k.End})
		}
		d.Apps = append(d.Apps, as)
	}
	for _, nl := range st.namedLocations {
		d.NamedLocations = append(d.NamedLocations, *nl)
	}
	for _, p := range st.caPolicies {
		d.CAPolicies = append(d.CAPolicies, *p)
	}
	names := make([]string, 0, len(st.vaults))
	for n := range st.vaults {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := st.vaults[n]
		vs := VaultSummary{Name: v.name}
		add := func(m map[string]*secretRec, deleted bool) {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				s := m[k]
				l := s.latest()
				vs.Secrets = append(vs.Secrets, SecretSummary{Name: s.name, Versions: len(s.versions), Deleted: deleted, Tags: l.tags, Expires: l.exp})
			}
		}
		add(v.secrets, false)
		add(v.deleted, true)
		d.Vaults = append(d.Vaults, vs)
	}
	for _, s := range st.sites {
		d.Sites = append(d.Sites, map[string]string{"id": s.ID, "url": siteURL(s), "title": s.Title})
	}
	return d
}

// certThumbprint is the hex SHA-1 thumbprint Entra shows as customKeyIdentifier.
func certThumbprint(der []byte) string {
	h := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}
