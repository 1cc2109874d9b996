package httpapi

import (
	"net/http"

	"github.com/tenantops/tenantops/shared/sessions"
)

func (h *api) routesSessions(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sessions/revoke", h.revokeSessions)
}

func (h *api) revokeSessions(w http.ResponseWriter, r *http.Request) {
	var req sessions.Request
	if !decode(w, r, &req) {
		return
	}
	res, err := sessions.Run(r.Context(), sessions.Deps{Graph: h.app.Graph, Audit: h.app.Audit, Breakglass: h.app.Settings.Breakglass}, req)
	respond(w, h.app.Log, res, err)
}
