package spcheck

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReadClaims decodes an access token's payload WITHOUT verifying it: the
// claims show what Entra put in the token (ipaddr, amr, roles, appidacr),
// useful for a diagnosis and for nothing else. The token itself never leaves
// this function.
func ReadClaims(token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("the access token is not a JWT (opaque tokens can't be read)")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("the access token's payload is not base64url: %w", err)
	}
	var raw struct {
		Aud      string   `json:"aud"`
		Tid      string   `json:"tid"`
		AppID    string   `json:"appid"`
		Azp      string   `json:"azp"` // v2 tokens
		AppIDAcr string   `json:"appidacr"`
		Azpacr   string   `json:"azpacr"` // v2 tokens
		IDTyp    string   `json:"idtyp"`
		IPAddr   string   `json:"ipaddr"`
		AMR      []string `json:"amr"`
		Roles    []string `json:"roles"`
		Scp      string   `json:"scp"`
		Oid      string   `json:"oid"`
		UPN      string   `json:"upn"`
		Iat      int64    `json:"iat"`
		Exp      int64    `json:"exp"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("the access token's payload is not JSON: %w", err)
	}
	c := &Claims{
		Audience: raw.Aud, TenantID: raw.Tid, AppID: first(raw.AppID, raw.Azp), AppIDAcr: first(raw.AppIDAcr, raw.Azpacr),
		IDType: raw.IDTyp, IPAddr: raw.IPAddr, AMR: raw.AMR, Roles: raw.Roles,
		ObjectID: raw.Oid, UPN: raw.UPN,
	}
	if raw.Scp != "" {
		c.Scopes = strings.Fields(raw.Scp)
	}
	if c.IDType == "" {
		// v1 tokens before idtyp: a token without scp is app-only.
		c.IDType = "app"
		if raw.Scp != "" || raw.UPN != "" {
			c.IDType = "user"
		}
	}
	switch c.AppIDAcr {
	case "0":
		c.ClientAuth = "none"
	case "1":
		c.ClientAuth = "secret"
	case "2":
		c.ClientAuth = "certificate"
	}
	if raw.Iat > 0 {
		c.IssuedAt = time.Unix(raw.Iat, 0).UTC()
	}
	if raw.Exp > 0 {
		c.ExpiresOn = time.Unix(raw.Exp, 0).UTC()
	}
	return c, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// AppOnly reports an application (not user) token.
func (c *Claims) AppOnly() bool { return c != nil && c.IDType == "app" }
