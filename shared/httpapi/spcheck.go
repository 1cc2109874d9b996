package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantops/tenantops/shared/spcheck"
)

func (h *api) routesSharePointCheck(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sharepoint/check", h.sharePointCheck)
	mux.HandleFunc("GET /api/egress", h.egress)
}

// sharePointCheck is POST /api/sharepoint/check {"site","credential","expectIp"}.
// A failed check is still a 200: the check ran; its verdict says fail.
func (h *api) sharePointCheck(w http.ResponseWriter, r *http.Request) {
	var req spcheck.Request
	if !decode(w, r, &req) {
		return
	}
	res, err := spcheck.Run(r.Context(), spcheck.DepsFrom(h.app), req)
	respond(w, h.app.Log, res, err)
}

// egress is GET /api/egress[?ip=IP][&expectIp=IP,IP]: the egress IP (or ip)
// and the trusted named locations containing it.
func (h *api) egress(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "ip" && k != "expectIp" {
			WriteError(w, http.StatusBadRequest, "unknownParameter", fmt.Sprintf("unknown query parameter %q (want ip, expectIp)", k))
			return
		}
	}
	if len(q["ip"]) > 1 {
		WriteError(w, http.StatusBadRequest, "invalidIP", "name one ip")
		return
	}
	req := spcheck.EgressRequest{IP: strings.TrimSpace(q.Get("ip")), Trust: true}
	for _, v := range q["expectIp"] {
		req.ExpectIP = append(req.ExpectIP, v)
	}
	res, err := spcheck.CheckEgress(r.Context(), spcheck.EgressDepsFrom(h.app), req)
	respond(w, h.app.Log, res, err)
}
