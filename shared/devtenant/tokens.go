package devtenant

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

var b64 = base64.RawURLEncoding

// tokenLifetime is the access token lifetime (expires_in 3599 like Entra's default ~60-90 min range).
const tokenLifetime = 3599 * time.Second

func thumbprintKID(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return b64.EncodeToString(sum[:12])
}

// accessClaims are the claims of tokens minted by the tenant (v1 access token shape).
type accessClaims struct {
	Aud      string   `json:"aud"`
	Iss      string   `json:"iss"`
	Iat      int64    `json:"iat"`
	Nbf      int64    `json:"nbf"`
	Exp      int64    `json:"exp"`
	AppID    string   `json:"appid"`
	AppIDAcr string   `json:"appidacr"` // 0 public client, 1 secret, 2 certificate/assertion
	IdTyp    string   `json:"idtyp"`    // app or user
	IPAddr   string   `json:"ipaddr,omitempty"`
	Oid      string   `json:"oid"`
	Sub      string   `json:"sub"`
	Tid      string   `json:"tid"`
	Roles    []string `json:"roles,omitempty"`
	Scp      string   `json:"scp,omitempty"`
	UPN      string   `json:"upn,omitempty"`
	Name     string   `json:"name,omitempty"`
	Amr      []string `json:"amr,omitempty"`
	Uti      string   `json:"uti"`
	Ver      string   `json:"ver"`
	XmsCC    []string `json:"xms_cc,omitempty"`
	AppName  string   `json:"app_displayname,omitempty"`
	// Wids are directory role template ids of the service principal or user.
	Wids []string `json:"wids,omitempty"`
}

// sign produces a compact RS256 JWS.
func (t *Tenant) sign(claims any) (string, error) {
	hdr, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": t.kid, "x5t": t.kid})
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	signing := b64.EncodeToString(hdr) + "." + b64.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, t.signer, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// parseJWT splits a compact JWS and decodes header and claims (no verification).
func parseJWT(tok string, claims any) (hdr map[string]any, signing string, sig []byte, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, "", nil, errors.New("not a JWT (want 3 segments)")
	}
	hb, err := b64.DecodeString(strings.TrimRight(parts[0], "="))
	if err != nil {
		return nil, "", nil, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, "", nil, fmt.Errorf("header: %w", err)
	}
	cb, err := b64.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, "", nil, fmt.Errorf("claims: %w", err)
	}
	if err := json.Unmarshal(cb, claims); err != nil {
		return nil, "", nil, fmt.Errorf("claims: %w", err)
	}
	sig, err = b64.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return nil, "", nil, fmt.Errorf("signature: %w", err)
	}
	return hdr, parts[0] + "." + parts[1], sig, nil
}

// tokenError is why an access token was rejected.
type tokenError struct {
	code    string // Graph error code
	message string
	claims  string // CAE claims challenge (base64) when the token was revoked
}

func (e *tokenError) Error() string { return e.message }

// verifyToken validates a bearer token minted by this tenant for one of the
// accepted audiences. It returns the claims.
func (t *Tenant) verifyToken(r *http.Request, audiences ...string) (*accessClaims, *tokenError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token is empty.", ""}
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token is empty.", ""}
	}
	var c accessClaims
	hdr, signing, sig, err := parseJWT(strings.TrimSpace(tok), &c)
	if err != nil {
		return nil, &tokenError{"InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).", ""}
	}
	if alg, _ := hdr["alg"].(string); alg != "RS256" {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. Invalid signature.", ""}
	}
	sum := sha256.Sum256([]byte(signing))
	if rsa.VerifyPKCS1v15(&t.signer.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. Invalid signature.", ""}
	}
	info := infoOf(r)
	info.appID = c.AppID
	info.user = c.UPN
	now := t.Now()
	if c.Exp != 0 && now.Unix() >= c.Exp {
		return nil, &tokenError{"InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", ""}
	}
	if c.Nbf != 0 && now.Unix() < c.Nbf-300 {
		return nil, &tokenError{"InvalidAuthenticationToken", "Lifetime validation failed, the token is not yet valid.", ""}
	}
	if !slices.ContainsFunc(audiences, func(a string) bool { return strings.EqualFold(a, c.Aud) }) {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", ""}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !strings.EqualFold(c.Tid, t.st.tenantID) {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.", ""}
	}
	if _, known := t.st.tokens[c.Uti]; !known {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure.", ""}
	}
	if c.IdTyp == "user" {
		u := t.st.usersByID[strings.ToLower(c.Oid)]
		if u == nil || !u.AccountEnabled {
			return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. User is disabled or deleted.", ""}
		}
		if t.st.revokedFor(u, time.Unix(c.Iat, 0), now) {
			ch := b64Std(fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, now.Unix()))
			return nil, &tokenError{"InvalidAuthenticationToken", "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp", ch}
		}
	} else if a := t.st.appsByApp[strings.ToLower(c.AppID)]; a == nil || a.Disabled {
		return nil, &tokenError{"InvalidAuthenticationToken", "Access token validation failure. The service principal is disabled or deleted.", ""}
	}
	return &c, nil
}

// revokedFor reports whether a user token issued at iat is no longer valid
// because of revokeSignInSessions (taking the revocation delay into account).
func (st *state) revokedFor(u *userRec, iat, now time.Time) bool {
	if u.SignInSessionsValidFrom.IsZero() || !iat.Before(u.SignInSessionsValidFrom.Truncate(time.Second)) {
		return false
	}
	return !now.Before(u.revokedAt.Add(st.revocationDelay))
}

func b64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// jwks returns the tenant's signing keys as a JWK set.
func (t *Tenant) jwks() map[string]any {
	pub := &t.signer.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": t.kid, "x5t": t.kid,
		"n": b64.EncodeToString(pub.N.Bytes()),
		"e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}
