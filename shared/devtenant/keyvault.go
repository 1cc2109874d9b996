package devtenant

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key Vault secrets: versions, tags, attributes, soft delete, challenge auth.

const kvRetentionDays = 90

type secretVersion struct {
	version     string
	value       string
	contentType string
	tags        map[string]string
	enabled     bool
	nbf, exp    time.Time
	created     time.Time
	updated     time.Time
}

type secretRec struct {
	name        string
	versions    []*secretVersion // oldest first
	deletedDate time.Time        // set while soft-deleted
}

func (s *secretRec) latest() *secretVersion { return s.versions[len(s.versions)-1] }

type vaultRec struct {
	name    string
	access  map[string][]string // lower appId / object id / UPN / "*" -> permissions
	secrets map[string]*secretRec
	deleted map[string]*secretRec
}

func newVaultRec(v Vault, now time.Time) *vaultRec {
	vr := &vaultRec{name: strings.ToLower(v.Name), access: map[string][]string{}, secrets: map[string]*secretRec{}, deleted: map[string]*secretRec{}}
	for k, p := range v.Access {
		vr.access[strings.ToLower(k)] = append([]string(nil), p...)
	}
	count := map[string]int{}
	for _, s := range v.Secrets {
		key := strings.ToLower(s.Name)
		rec := vr.secrets[key]
		if rec == nil {
			rec = &secretRec{name: s.Name}
			vr.secrets[key] = rec
		}
		count[key]++
		ver := s.Version
		if ver == "" {
			ver = stableVersion(v.Name, s.Name, count[key])
		}
		created := s.Created
		if created.IsZero() {
			created = now
		}
		tags := map[string]string{}
		for tk, tv := range s.Tags {
			tags[tk] = tv
		}
		rec.versions = append(rec.versions, &secretVersion{version: ver, value: s.Value, contentType: s.ContentType, tags: tags,
			enabled: s.Enabled, nbf: s.NotBefore, exp: s.Expires, created: created, updated: created})
	}
	return vr
}

func newVersionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var secretName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// kvReq is one Key Vault request.
type kvReq struct {
	w      http.ResponseWriter
	r      *http.Request
	vault  *vaultRec
	claims *accessClaims
	now    time.Time
}

func (k *kvReq) base() string { return "https://" + k.r.Host }

func kvError(w http.ResponseWriter, status int, code, msg string, inner string) {
	e := jobj{{"code", code}, {"message", msg}}
	if inner != "" {
		e = append(e, kv{"innererror", jobj{{"code", inner}}})
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func (k *kvReq) notFound(name, version string) {
	id := name
	if version != "" {
		id = name + "/" + version
	}
	kvError(k.w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", id), "")
}

// serveVault handles <vault>.vault.azure.net.
func (t *Tenant) serveVault(w http.ResponseWriter, r *http.Request, vault string) {
	w.Header().Set("x-ms-keyvault-service-version", "1.9.devtenant")
	w.Header().Set("x-ms-request-id", newGUID())
	t.mu.RLock()
	tid := t.st.tenantID
	vr := t.st.vaults[strings.ToLower(vault)]
	t.mu.RUnlock()
	challenge := fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="https://vault.azure.net"`, tid)
	if r.Header.Get("Authorization") == "" {
		w.Header().Set("WWW-Authenticate", challenge)
		kvError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", "")
		return
	}
	claims, terr := t.verifyToken(r, "https://vault.azure.net", ResourceKeyVault, "https://vault.azure.net/")
	if terr != nil {
		w.Header().Set("WWW-Authenticate", challenge)
		msg := "AKV10032: Invalid issuer or token. " + terr.message
		if strings.Contains(terr.message, "audience") {
			msg = "AKV10022: Invalid audience. Expected https://vault.azure.net."
		}
		kvError(w, http.StatusUnauthorized, "Unauthorized", msg, "")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		kvError(w, http.StatusBadRequest, "BadParameter", "The 'api-version' query parameter is missing.", "")
		return
	}
	if vr == nil {
		kvError(w, http.StatusNotFound, "VaultNotFound", fmt.Sprintf("The vault '%s' does not exist in the dev tenant.", vault), "")
		return
	}
	k := &kvReq{w: w, r: r, vault: vr, claims: claims, now: t.Now()}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	m := r.Method
	switch {
	case len(segs) == 1 && segs[0] == "secrets" && m == http.MethodGet:
		t.kvList(k, "")
	case len(segs) >= 2 && segs[0] == "secrets":
		name := segs[1]
		rest := segs[2:]
		switch {
		case len(rest) == 0 && m == http.MethodPut:
			t.kvSet(k, name)
		case len(rest) == 0 && m == http.MethodDelete:
			t.kvDelete(k, name)
		case len(rest) == 1 && rest[0] == "versions" && m == http.MethodGet:
			t.kvList(k, name)
		case len(rest) <= 1 && m == http.MethodGet:
			t.kvGet(k, name, strings.Join(rest, ""))
		case len(rest) <= 1 && m == http.MethodPatch:
			t.kvUpdate(k, name, strings.Join(rest, ""))
		default:
			kvError(w, http.StatusMethodNotAllowed, "BadParameter", "The requested operation is not supported.", "")
		}
	case len(segs) == 1 && segs[0] == "deletedsecrets" && m == http.MethodGet:
		t.kvListDeleted(k)
	case len(segs) == 2 && segs[0] == "deletedsecrets" && m == http.MethodGet:
		t.kvGetDeleted(k, segs[1])
	case len(segs) == 2 && segs[0] == "deletedsecrets" && m == http.MethodDelete:
		t.kvPurge(k, segs[1])
	case len(segs) == 3 && segs[0] == "deletedsecrets" && segs[2] == "recover" && m == http.MethodPost:
		t.kvRecover(k, segs[1])
	default:
		kvError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.", "")
	}
}

// allowed checks the caller's secret permission.
func (k *kvReq) allowed(perm string) bool {
	c := k.claims
	for _, who := range []string{c.AppID, c.Oid, c.UPN, "*"} {
		if who == "" {
			continue
		}
		if slices.Contains(k.vault.access[strings.ToLower(who)], perm) {
			return true
		}
	}
	kvError(k.w, http.StatusForbidden, "Forbidden",
		fmt.Sprintf("The user, group or application 'appid=%s;oid=%s;iss=%s' does not have secrets %s permission on key vault '%s;location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
			c.AppID, c.Oid, c.Iss, perm, k.vault.name), "AccessDenied")
	return false
}

func (k *kvReq) attributes(v *secretVersion) jobj {
	a := jobj{{"enabled", v.enabled}}
	if !v.nbf.IsZero() {
		a = append(a, kv{"nbf", v.nbf.Unix()})
	}
	if !v.exp.IsZero() {
		a = append(a, kv{"exp", v.exp.Unix()})
	}
	return append(a, kv{"created", v.created.Unix()}, kv{"updated", v.updated.Unix()},
		kv{"recoveryLevel", "Recoverable+Purgeable"}, kv{"recoverableDays", kvRetentionDays})
}

// bundle renders a secret version; withValue includes the secret value.
func (k *kvReq) bundle(s *secretRec, v *secretVersion, withValue bool) jobj {
	o := jobj{}
	if withValue {
		o = append(o, kv{"value", v.value})
	}
	o = append(o, kv{"id", k.base() + "/secrets/" + s.name + "/" + v.version})
	if v.contentType != "" {
		o = append(o, kv{"contentType", v.contentType})
	}
	o = append(o, kv{"attributes", k.attributes(v)})
	if len(v.tags) > 0 {
		o = append(o, kv{"tags", v.tags})
	}
	return o
}

type secretAttrs struct {
	Enabled *bool  `json:"enabled"`
	Nbf     *int64 `json:"nbf"`
	Exp     *int64 `json:"exp"`
}

func (t *Tenant) kvSet(k *kvReq, name string) {
	if !k.allowed("set") {
		return
	}
	if !secretName.MatchString(name) {
		kvError(k.w, http.StatusBadRequest, "BadParameter", "The request URI contains an invalid name: "+name, "")
		return
	}
	var body struct {
		Value       *string           `json:"value"`
		ContentType string            `json:"contentType"`
		Tags        map[string]string `json:"tags"`
		Attributes  *secretAttrs      `json:"attributes"`
	}
	b, err := readBody(k.r)
	if err != nil || json.Unmarshal(b, &body) != nil || body.Value == nil {
		kvError(k.w, http.StatusBadRequest, "BadParameter", "Property has invalid value: value is required.", "")
		return
	}
	if len(body.Tags) > 15 {
		kvError(k.w, http.StatusBadRequest, "BadParameter", "A maximum of 15 tags is allowed.", "")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := strings.ToLower(name)
	if _, del := k.vault.deleted[key]; del {
		kvError(k.w, http.StatusConflict, "Conflict", fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name), "ObjectIsDeletedButRecoverable")
		return
	}
	rec := k.vault.secrets[key]
	if rec == nil {
		rec = &secretRec{name: name}
		k.vault.secrets[key] = rec
	}
	v := &secretVersion{version: newVersionID(), value: *body.Value, contentType: body.ContentType, tags: body.Tags, enabled: true,
		created: k.now.UTC().Truncate(time.Second), updated: k.now.UTC().Truncate(time.Second)}
	if v.tags == nil {
		v.tags = map[string]string{}
	}
	applyAttrs(v, body.Attributes)
	rec.versions = append(rec.versions, v)
	writeJSON(k.w, http.StatusOK, k.bundle(rec, v, true))
}

func applyAttrs(v *secretVersion, a *secretAttrs) {
	if a == nil {
		return
	}
	if a.Enabled != nil {
		v.enabled = *a.Enabled
	}
	if a.Nbf != nil {
		v.nbf = time.Unix(*a.Nbf, 0).UTC()
	}
	if a.Exp != nil {
		v.exp = time.Unix(*a.Exp, 0).UTC()
	}
}

func (k *kvReq) find(name, version string) (*secretRec, *secretVersion) {
	rec := k.vault.secrets[strings.ToLower(name)]
	if rec == nil {
		return nil, nil
	}
	if version == "" {
		return rec, rec.latest()
	}
	for _, v := range rec.versions {
		if strings.EqualFold(v.version, version) {
			return rec, v
		}
	}
	return rec, nil
}

func (t *Tenant) kvGet(k *kvReq, name, version string) {
	if !k.allowed("get") {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	rec, v := k.find(name, version)
	if v == nil {
		k.notFound(name, version)
		return
	}
	if !v.enabled {
		kvError(k.w, http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled")
		return
	}
	writeJSON(k.w, http.StatusOK, k.bundle(rec, v, true))
}

func (t *Tenant) kvUpdate(k *kvReq, name, version string) {
	if !k.allowed("set") {
		return
	}
	var body struct {
		ContentType *string           `json:"contentType"`
		Tags        map[string]string `json:"tags"`
		Attributes  *secretAttrs      `json:"attributes"`
	}
	b, err := readBody(k.r)
	if err != nil || json.Unmarshal(b, &body) != nil {
		kvError(k.w, http.StatusBadRequest, "BadParameter", "The request body is not valid JSON.", "")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	rec, v := k.find(name, version)
	if v == nil {
		k.notFound(name, version)
		return
	}
	if body.ContentType != nil {
		v.contentType = *body.ContentType
	}
	if body.Tags != nil {
		v.tags = body.Tags
	}
	applyAttrs(v, body.Attributes)
	v.updated = k.now.UTC().Truncate(time.Second)
	writeJSON(k.w, http.StatusOK, k.bundle(rec, v, false))
}

// kvList lists secrets (name == "") or the versions of one secret, with nextLink paging.
func (t *Tenant) kvList(k *kvReq, name string) {
	if !k.allowed("list") {
		return
	}
	q := k.r.URL.Query()
	maxResults := 25
	if s := q.Get("maxresults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 25 {
			kvError(k.w, http.StatusBadRequest, "BadParameter", "maxresults must be between 1 and 25.", "")
			return
		}
		maxResults = n
	}
	start := 0
	if s := q.Get("$skiptoken"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			kvError(k.w, http.StatusBadRequest, "BadParameter", "Invalid $skiptoken.", "")
			return
		}
		start = n
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var items []jobj
	if name == "" {
		names := make([]string, 0, len(k.vault.secrets))
		for key := range k.vault.secrets {
			names = append(names, key)
		}
		slices.Sort(names)
		for _, key := range names {
			rec := k.vault.secrets[key]
			v := rec.latest()
			it := jobj{{"id", k.base() + "/secrets/" + rec.name}, {"attributes", k.attributes(v)}}
			if v.contentType != "" {
				it = append(it, kv{"contentType", v.contentType})
			}
			if len(v.tags) > 0 {
				it = append(it, kv{"tags", v.tags})
			}
			items = append(items, it)
		}
	} else {
		rec := k.vault.secrets[strings.ToLower(name)]
		if rec == nil {
			k.notFound(name, "")
			return
		}
		for _, v := range rec.versions {
			b := k.bundle(rec, v, false)
			items = append(items, b)
		}
	}
	end := min(start+maxResults, len(items))
	if start > len(items) {
		start = end
	}
	var next any
	if end < len(items) {
		path := "/secrets"
		if name != "" {
			path = "/secrets/" + name + "/versions"
		}
		next = fmt.Sprintf("%s%s?api-version=%s&$skiptoken=%d&maxresults=%d", k.base(), path, q.Get("api-version"), end, maxResults)
	}
	page := items[start:end]
	if page == nil {
		page = []jobj{}
	}
	writeJSON(k.w, http.StatusOK, jobj{{"value", page}, {"nextLink", next}})
}

func (k *kvReq) deletedBundle(rec *secretRec) jobj {
	v := rec.latest()
	o := jobj{{"recoveryId", k.base() + "/deletedsecrets/" + rec.name},
		{"deletedDate", rec.deletedDate.Unix()}, {"scheduledPurgeDate", rec.deletedDate.Add(kvRetentionDays * 24 * time.Hour).Unix()}}
	return append(o, k.bundle(rec, v, false)...)
}

func (t *Tenant) kvDelete(k *kvReq, name string) {
	if !k.allowed("delete") {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := strings.ToLower(name)
	rec := k.vault.secrets[key]
	if rec == nil {
		k.notFound(name, "")
		return
	}
	delete(k.vault.secrets, key)
	rec.deletedDate = k.now.UTC().Truncate(time.Second)
	k.vault.deleted[key] = rec
	writeJSON(k.w, http.StatusOK, k.deletedBundle(rec))
}

func (t *Tenant) kvListDeleted(k *kvReq) {
	if !k.allowed("list") {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(k.vault.deleted))
	for key := range k.vault.deleted {
		names = append(names, key)
	}
	slices.Sort(names)
	items := []jobj{}
	for _, key := range names {
		rec := k.vault.deleted[key]
		b := k.deletedBundle(rec)
		b[3] = kv{"id", k.base() + "/secrets/" + rec.name} // list items name the secret, not a version
		items = append(items, b)
	}
	writeJSON(k.w, http.StatusOK, jobj{{"value", items}, {"nextLink", nil}})
}

func (t *Tenant) kvGetDeleted(k *kvReq, name string) {
	if !k.allowed("get") {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	rec := k.vault.deleted[strings.ToLower(name)]
	if rec == nil {
		kvError(k.w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name), "")
		return
	}
	writeJSON(k.w, http.StatusOK, k.deletedBundle(rec))
}

func (t *Tenant) kvRecover(k *kvReq, name string) {
	if !k.allowed("recover") {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := strings.ToLower(name)
	rec := k.vault.deleted[key]
	if rec == nil {
		kvError(k.w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name), "")
		return
	}
	delete(k.vault.deleted, key)
	rec.deletedDate = time.Time{}
	k.vault.secrets[key] = rec
	writeJSON(k.w, http.StatusOK, k.bundle(rec, rec.latest(), false))
}

func (t *Tenant) kvPurge(k *kvReq, name string) {
	if !k.allowed("purge") {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := strings.ToLower(name)
	if k.vault.deleted[key] == nil {
		kvError(k.w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name), "")
		return
	}
	delete(k.vault.deleted, key)
	k.w.WriteHeader(http.StatusNoContent)
}

// SecretVersionState is a snapshot of one secret version (value included: tests only).
type SecretVersionState struct {
	Version     string
	Value       string
	ContentType string
	Tags        map[string]string
	Enabled     bool
	NotBefore   time.Time
	Expires     time.Time
	Created     time.Time
	Updated     time.Time
}

// SecretState is a snapshot of a Key Vault secret.
type SecretState struct {
	Name     string
	Deleted  bool
	Versions []SecretVersionState // oldest first; the last is the current version
}

// VaultSecret returns a snapshot of a secret in the named vault (e.g. "contoso-ops").
func (t *Tenant) VaultSecret(vault, name string) (SecretState, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	vr := t.st.vaults[strings.ToLower(vault)]
	if vr == nil {
		return SecretState{}, false
	}
	rec, deleted := vr.secrets[strings.ToLower(name)], false
	if rec == nil {
		rec, deleted = vr.deleted[strings.ToLower(name)], true
	}
	if rec == nil {
		return SecretState{}, false
	}
	out := SecretState{Name: rec.name, Deleted: deleted}
	for _, v := range rec.versions {
		tags := map[string]string{}
		for k, x := range v.tags {
			tags[k] = x
		}
		out.Versions = append(out.Versions, SecretVersionState{Version: v.version, Value: v.value, ContentType: v.contentType, Tags: tags,
			Enabled: v.enabled, NotBefore: v.nbf, Expires: v.exp, Created: v.created, Updated: v.updated})
	}
	return out, true
}
