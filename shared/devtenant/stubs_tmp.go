package devtenant

import (
	"net/http"
	"time"
)

type vaultRec struct{}

func newVaultRec(v Vault, now time.Time) *vaultRec { return &vaultRec{} }

func (t *Tenant) serveVault(w http.ResponseWriter, r *http.Request, vault string) {
	writeJSON(w, http.StatusNotImplemented, nil)
}

func (t *Tenant) serveSharePoint(w http.ResponseWriter, r *http.Request, host string) {
	writeJSON(w, http.StatusNotImplemented, nil)
}

func (t *Tenant) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotImplemented, nil)
}

type signInRec struct{}

func (st *state) recordAppSignIn(app *appRec, resApp, aud, method string, now time.Time) {}

func (t *Tenant) passwordGrant(w http.ResponseWriter, r *http.Request, clientID string) {
	t.aadError(w, r, 400, "unsupported_grant_type", 70003, "not yet", nil)
}

func (t *Tenant) refreshGrant(w http.ResponseWriter, r *http.Request, clientID string) {
	t.aadError(w, r, 400, "unsupported_grant_type", 70003, "not yet", nil)
}

var siteByPathRoute = route("GET", "sites/{}", permSitesRead, "sites", 1, func(t *Tenant, g *graphReq) { g.notFound("site") })
