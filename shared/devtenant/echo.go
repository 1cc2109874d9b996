package devtenant

import (
	"net/http"
)

// serveEcho answers like api.ipify.org, checkip.amazonaws.com and ifconfig.me:
// the caller's IP address as plain text with a trailing newline.
func (t *Tenant) serveEcho(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	t.mu.RLock()
	ip := t.st.egressIP
	if o := t.st.echoIP[hostOnly(r.Host)]; o != "" {
		ip = o
	}
	t.mu.RUnlock()
	if r.URL.Query().Get("format") == "json" && hostOnly(r.Host) != "checkip.amazonaws.com" {
		writeJSON(w, http.StatusOK, map[string]string{"ip": ip})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(ip + "\n"))
	}
}
