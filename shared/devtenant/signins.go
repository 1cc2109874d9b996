package devtenant

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// maxSignIns bounds the sign-in log.
const maxSignIns = 50_000

// signInRec is one sign-in log entry.
type signInRec struct {
	ID                string
	Created           time.Time
	UserDisplayName   string
	UserPrincipalName string
	UserID            string
	UserType          string
	AppID             string
	AppDisplayName    string
	IPAddress         string
	ClientAppUsed     string
	CorrelationID     string
	CAStatus          string // success, failure, notApplied
	EventType         string // interactiveUser, nonInteractiveUser, servicePrincipal
	ResourceName      string
	ResourceID        string
	ServicePrincipal  string
	ErrorCode         int
	FailureReason     string
	AdditionalDetails string
	AuthRequirement   string // singleFactorAuthentication / multiFactorAuthentication
	Policies          []policyResult
	TrustedLocation   bool
}

// SignIn is the test-facing view of a sign-in log entry.
type SignIn struct {
	ID                string
	Time              time.Time
	UserPrincipalName string // empty for service principal sign-ins
	AppID             string
	IPAddress         string
	EventType         string // interactiveUser, nonInteractiveUser, servicePrincipal
	ErrorCode         int    // 0 = success; otherwise the AADSTS number
	FailureReason     string
	CAStatus          string
	Policies          map[string]string // policy display name -> result
}

// SignIns returns the sign-in log, oldest first.
func (t *Tenant) SignIns() []SignIn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]SignIn, 0, len(t.st.signIns))
	for _, s := range t.st.signIns {
		pol := map[string]string{}
		for _, p := range s.Policies {
			pol[p.policy.DisplayName] = p.result
		}
		out = append(out, SignIn{ID: s.ID, Time: s.Created, UserPrincipalName: s.UserPrincipalName, AppID: s.AppID, IPAddress: s.IPAddress,
			EventType: s.EventType, ErrorCode: s.ErrorCode, FailureReason: s.FailureReason, CAStatus: s.CAStatus, Policies: pol})
	}
	return out
}

func (st *state) addSignIn(s *signInRec) {
	if len(st.signIns) >= maxSignIns {
		n := copy(st.signIns, st.signIns[len(st.signIns)/10:])
		st.signIns = st.signIns[:n]
	}
	st.signIns = append(st.signIns, s)
}

var resourceNames = map[string]string{
	ResourceGraph:      "Microsoft Graph",
	ResourceSharePoint: "Office 365 SharePoint Online",
	ResourceKeyVault:   "Azure Key Vault",
}

func (st *state) recordAppSignIn(app *appRec, resApp, _ string, _ string, now time.Time) {
	st.addSignIn(&signInRec{
		ID: newGUID(), Created: now.UTC(), AppID: app.AppID, AppDisplayName: app.DisplayName, IPAddress: st.egressIP,
		ClientAppUsed: "", CorrelationID: newGUID(), CAStatus: "notApplied", EventType: "servicePrincipal",
		ResourceName: resourceNames[resApp], ResourceID: resApp, ServicePrincipal: app.ServicePrincipalID,
		AuthRequirement: "singleFactorAuthentication", TrustedLocation: st.inTrustedLocation(st.egressIP),
	})
}

func signInRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "auditLogs/signIns", permAuditRead, "reports", 1, (*Tenant).listSignIns),
		route("GET", "auditLogs/signIns/{}", permAuditRead, "reports", 1, (*Tenant).getSignIn),
	}
}

var signInFilterProps = propSet("id", "userPrincipalName", "userId", "appId", "appDisplayName", "createdDateTime", "status/errorCode",
	"conditionalAccessStatus", "ipAddress", "isInteractive", "userDisplayName", "resourceId")

// eventTypeFilter matches signInEventTypes/any(t: t eq 'servicePrincipal').
var eventTypeFilter = regexp.MustCompile(`(?i)signInEventTypes/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'(\w+)'\s*\)`)

func (s *signInRec) prop(p string) any {
	switch p {
	case "id":
		return s.ID
	case "userPrincipalName":
		return nz(s.UserPrincipalName)
	case "userId":
		return nz(s.UserID)
	case "appId":
		return s.AppID
	case "appDisplayName":
		return s.AppDisplayName
	case "createdDateTime":
		return s.Created
	case "status/errorCode":
		return float64(s.ErrorCode)
	case "conditionalAccessStatus":
		return s.CAStatus
	case "ipAddress":
		return s.IPAddress
	case "isInteractive":
		return s.EventType == "interactiveUser"
	case "userDisplayName":
		return nz(s.UserDisplayName)
	case "resourceId":
		return s.ResourceID
	}
	return nil
}

func (s *signInRec) json(beta bool) jobj {
	var pols []jobj
	for _, p := range s.Policies {
		res := p.result
		if !beta && strings.HasPrefix(res, "reportOnly") {
			res = "notEnabled"
		}
		grant := []string{}
		if strings.HasSuffix(res, "ailure") {
			grant = append(grant, p.grant...)
			for i, g := range grant {
				if g == "mfa" {
					grant[i] = "Mfa"
				} else if g == "block" {
					grant[i] = "Block"
				}
			}
		}
		pols = append(pols, jobj{{"id", p.policy.ID}, {"displayName", p.policy.DisplayName}, {"enforcedGrantControls", grant},
			{"enforcedSessionControls", []string{}}, {"result", res}})
	}
	if pols == nil {
		pols = []jobj{}
	}
	var failure, details any
	if s.ErrorCode != 0 {
		failure, details = s.FailureReason, nz(s.AdditionalDetails)
	}
	o := jobj{
		{"id", s.ID}, {"createdDateTime", gtime(s.Created)}, {"userDisplayName", nz(s.UserDisplayName)},
		{"userPrincipalName", nz(s.UserPrincipalName)}, {"userId", nz(s.UserID)}, {"appId", s.AppID}, {"appDisplayName", s.AppDisplayName},
		{"ipAddress", s.IPAddress}, {"clientAppUsed", nz(s.ClientAppUsed)}, {"correlationId", s.CorrelationID},
		{"conditionalAccessStatus", s.CAStatus}, {"isInteractive", s.EventType == "interactiveUser"},
		{"riskDetail", "none"}, {"riskLevelAggregated", "none"}, {"riskLevelDuringSignIn", "none"}, {"riskState", "none"},
		{"riskEventTypes_v2", []string{}},
		{"resourceDisplayName", s.ResourceName}, {"resourceId", s.ResourceID},
		{"status", jobj{{"errorCode", s.ErrorCode}, {"failureReason", failure}, {"additionalDetails", details}}},
		{"deviceDetail", jobj{{"deviceId", ""}, {"displayName", nil}, {"operatingSystem", "Linux"}, {"browser", nil},
			{"isCompliant", false}, {"isManaged", false}, {"trustType", nil}}},
		{"location", jobj{{"city", "Redmond"}, {"state", "Washington"}, {"countryOrRegion", "US"},
			{"geoCoordinates", jobj{{"altitude", nil}, {"latitude", 47.6805}, {"longitude", -122.1209}}}}},
		{"appliedConditionalAccessPolicies", pols},
	}
	if beta {
		netType := "ipAddress"
		if s.TrustedLocation {
			netType = "trustedNamedLocation"
		}
		o = append(o, kv{"signInEventTypes", []string{s.EventType}}, kv{"authenticationRequirement", s.AuthRequirement},
			kv{"servicePrincipalId", s.ServicePrincipal}, kv{"userType", strings.ToLower(s.UserType)},
			kv{"networkLocationDetails", []jobj{{{"networkType", netType}, {"networkNames", []string{}}}}})
	} else {
		o = append(o, kv{"riskEventTypes", []string{}})
	}
	return o
}

func (t *Tenant) listSignIns(g *graphReq) {
	top, ok := pageSize(g, 1000, 1000)
	if !ok {
		return
	}
	eventType, raw := "interactiveUser", g.q.Get("$filter")
	if strings.TrimSpace(raw) != "" {
		var keep []string
		for _, part := range splitKeyword(raw, "and") {
			if m := eventTypeFilter.FindStringSubmatch(strings.TrimSpace(part)); m != nil {
				if g.version != "beta" {
					g.badRequest("Invalid filter clause: signInEventTypes is only supported in beta.")
					return
				}
				eventType = m[3]
				continue
			}
			keep = append(keep, part)
		}
		raw = strings.Join(keep, " and ")
	}
	flt, err := parseFilter(raw, signInFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	start, ok := parseSkipToken(g, "signins")
	if !ok {
		return
	}
	beta := g.version == "beta"
	t.mu.RLock()
	var page []jobj
	next := -1
	// Newest first: position p counts from the end.
	for p := start; p < len(t.st.signIns); p++ {
		s := t.st.signIns[len(t.st.signIns)-1-p]
		if s.EventType != eventType {
			continue
		}
		if flt != nil && !flt.match(s.prop) {
			continue
		}
		if len(page) == top {
			next = p
			break
		}
		page = append(page, s.json(beta))
	}
	t.mu.RUnlock()
	nl := ""
	if next >= 0 {
		nl = g.nextLink(skipToken("signins", next))
	}
	g.writeCollection(g.base()+"/$metadata#auditLogs/signIns", nl, len(page), func(i int) any { return page[i] })
}

func (t *Tenant) getSignIn(g *graphReq) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, s := range t.st.signIns {
		if strings.EqualFold(s.ID, g.params[0]) {
			g.json(http.StatusOK, append(jobj{{"@odata.context", g.base() + "/$metadata#auditLogs/signIns/$entity"}}, s.json(g.version == "beta")...))
			return
		}
	}
	g.notFound(g.params[0])
}
