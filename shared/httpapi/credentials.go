package httpapi

import (
	"net/http"

	"github.com/tenantops/tenantops/shared/rotation"
)

func (h *api) routesCredentials(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/credentials/rotate", h.rotateCredential)
}

// rotateCredential rotates one Key Vault-stored credential now:
// {"secret":"name","dryRun":bool,"vault":"https://…"}.
func (h *api) rotateCredential(w http.ResponseWriter, r *http.Request) {
	var req rotation.Request
	if !decode(w, r, &req) {
		return
	}
	res, err := rotation.Rotate(r.Context(), rotation.FromApp(h.app), req)
	respond(w, h.app.Log, res, err)
}
