package devtenant

import (
	"fmt"
	"net/http"
	"strings"
)

// SharePoint REST (/_api/web, /_api/site) and Graph sites.

var siteByPathRoute = route("GET", "sites/{}", permSitesRead, "sites", 1, (*Tenant).getSiteByPath)

func siteRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "sites/root", permSitesRead, "sites", 1, (*Tenant).getSite),
		route("GET", "sites/{}", permSitesRead, "sites", 1, (*Tenant).getSite),
	}
}

// findSite resolves host + server-relative path to the deepest matching site.
func (st *state) findSite(host, path string) *Site {
	path = "/" + strings.Trim(path, "/")
	var best *Site
	for _, s := range st.sites {
		if !strings.EqualFold(s.Hostname, host) {
			continue
		}
		sp := "/" + strings.Trim(s.Path, "/")
		if strings.EqualFold(sp, path) || sp == "/" && best == nil {
			if strings.EqualFold(sp, path) {
				return s
			}
			best = s
		}
	}
	if path == "/" {
		return best
	}
	return nil
}

func siteURL(s *Site) string {
	p := strings.TrimRight(s.Path, "/")
	return "https://" + s.Hostname + p
}

func (g *graphReq) siteJSON(s *Site) jobj {
	name := s.Path[strings.LastIndex(strings.TrimRight(s.Path, "/"), "/")+1:]
	o := jobj{
		{"@odata.context", g.base() + "/$metadata#sites/$entity"},
		{"createdDateTime", gtime(s.Created)}, {"description", nz(s.Description)}, {"id", s.ID},
		{"lastModifiedDateTime", gtime(s.Created)}, {"name", name}, {"webUrl", siteURL(s)}, {"displayName", s.Title},
		{"isPersonalSite", false}, {"siteCollection", jobj{{"hostname", s.Hostname}}},
	}
	if strings.Trim(s.Path, "/") == "" {
		o = append(o, kv{"root", jobj{}})
	}
	return o
}

func (t *Tenant) getSite(g *graphReq) {
	id := "root"
	if len(g.params) > 0 {
		id = g.params[0]
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var site *Site
	switch {
	case strings.EqualFold(id, "root"):
		site = t.st.findSite(t.st.sharePointHost, "/")
	case !strings.Contains(id, ","):
		site = t.st.findSite(id, "/") // hostname
	default:
		for _, s := range t.st.sites {
			if strings.EqualFold(s.ID, id) {
				site = s
			}
		}
	}
	if site == nil {
		g.error(http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	g.json(http.StatusOK, g.siteJSON(site))
}

func (t *Tenant) getSiteByPath(g *graphReq) {
	host, path := g.params[0], strings.TrimSuffix(g.params[1], ":")
	t.mu.RLock()
	defer t.mu.RUnlock()
	site := t.st.findSite(host, path)
	if site == nil || (strings.Trim(path, "/") != "" && strings.Trim(site.Path, "/") == "") {
		g.error(http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	g.json(http.StatusOK, g.siteJSON(site))
}

// spUnauthorized writes SharePoint's 401 with its diagnostics header.
func (t *Tenant) spUnauthorized(w http.ResponseWriter, reason string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s",client_id="%s",trusted_issuers="00000001-0000-0000-c000-000000000000@*,https://sts.windows.net/*/,https://login.microsoftonline.com/*/v2.0",authorization_uri="https://login.windows.net/common/oauth2/authorize"`, t.TenantID(), ResourceSharePoint))
	w.Header().Set("x-ms-diagnostics", fmt.Sprintf(`3000003;reason="%s";category="invalid_client"`, reason))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": reason})
}

func spError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"odata.error": jobj{{"code", code}, {"message", jobj{{"lang", "en-US"}, {"value", msg}}}}})
}

// sharePointScopes are delegated/app permissions that allow reading a web.
var sharePointRead = []string{"AllSites.Read", "AllSites.Write", "AllSites.Manage", "AllSites.FullControl", "Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All", "Sites.Selected"}

// serveSharePoint handles <tenant>.sharepoint.com REST calls.
func (t *Tenant) serveSharePoint(w http.ResponseWriter, r *http.Request, host string) {
	w.Header().Set("SPRequestGuid", newGUID())
	w.Header().Set("request-id", w.Header().Get("SPRequestGuid"))
	w.Header().Set("MicrosoftSharePointTeamServices", "16.0.0.devtenant")
	if r.Header.Get("Authorization") == "" {
		t.spUnauthorized(w, "Invalid JWT token. No token was provided.")
		return
	}
	claims, terr := t.verifyToken(r, "https://"+host, "https://"+host+"/", ResourceSharePoint)
	if terr != nil {
		reason := "Invalid JWT token. " + terr.message
		if strings.Contains(terr.message, "audience") {
			reason = "Invalid audience Uri."
		}
		if terr.claims != "" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s", client_id="%s", error="insufficient_claims", claims="%s"`, t.TenantID(), ResourceSharePoint, terr.claims))
			w.Header().Set("x-ms-diagnostics", `3000005;reason="Token was revoked.";category="invalid_client"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "Token was revoked."})
			return
		}
		t.spUnauthorized(w, reason)
		return
	}
	// SharePoint rejects app-only tokens obtained with a client secret.
	if claims.IdTyp == "app" && claims.AppIDAcr == "1" {
		t.spUnauthorized(w, "Unsupported app only token.")
		return
	}
	if !hasAny(claims, sharePointRead) {
		spError(w, http.StatusForbidden, "-2147024891, System.UnauthorizedAccessException", "Access denied. You do not have permission to perform this action or access this resource.")
		return
	}
	p := r.URL.Path
	i := strings.Index(strings.ToLower(p), "/_api/")
	if i < 0 || r.Method != http.MethodGet {
		spError(w, http.StatusNotFound, "-2147024894, System.IO.FileNotFoundException", "File Not Found.")
		return
	}
	sitePath, api := p[:i], strings.ToLower(strings.TrimSuffix(p[i+len("/_api/"):], "/"))
	t.mu.RLock()
	site := t.st.findSite(host, sitePath)
	if site != nil && strings.Trim(sitePath, "/") != "" && strings.Trim(site.Path, "/") == "" {
		site = nil
	}
	var s Site
	if site != nil {
		s = *site
	}
	t.mu.RUnlock()
	if site == nil {
		spError(w, http.StatusNotFound, "-2147024894, System.IO.FileNotFoundException", "File Not Found.")
		return
	}
	var props jobj
	var typ string
	switch api {
	case "web":
		typ = "SP.Web"
		props = jobj{{"Created", s.Created.UTC().Format("2006-01-02T15:04:05")}, {"Description", s.Description}, {"Id", s.WebID},
			{"Language", 1033}, {"ServerRelativeUrl", "/" + strings.Trim(s.Path, "/")}, {"Title", s.Title}, {"Url", siteURL(&s)}, {"WebTemplate", "STS"}}
	case "site":
		typ = "SP.Site"
		col := strings.Split(s.ID, ",")
		props = jobj{{"Id", col[1]}, {"ServerRelativeUrl", "/" + strings.Trim(s.Path, "/")}, {"Url", siteURL(&s)}}
	case "web/title":
		typ = "Edm.String"
		props = jobj{{"value", s.Title}}
	default:
		spError(w, http.StatusNotFound, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", fmt.Sprintf("The expression \"%s\" is not valid.", api))
		return
	}
	accept := strings.ToLower(r.Header.Get("Accept"))
	switch {
	case strings.Contains(accept, "odata=nometadata"):
		w.Header().Set("Content-Type", "application/json;odata=nometadata;streaming=true;charset=utf-8")
		writeJSONKeepCT(w, props)
	case strings.Contains(accept, "odata=verbose"):
		md := jobj{{"id", siteURL(&s) + "/_api/" + api}, {"uri", siteURL(&s) + "/_api/" + api}, {"type", typ}}
		w.Header().Set("Content-Type", "application/json;odata=verbose;charset=utf-8")
		writeJSONKeepCT(w, jobj{{"d", append(jobj{{"__metadata", md}}, props...)}})
	default:
		o := append(jobj{{"odata.metadata", siteURL(&s) + "/_api/$metadata#" + typ}}, props...)
		w.Header().Set("Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8")
		writeJSONKeepCT(w, o)
	}
}

// writeJSONKeepCT writes v as JSON with status 200, keeping the Content-Type already set.
func writeJSONKeepCT(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }
