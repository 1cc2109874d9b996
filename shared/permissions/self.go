package permissions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Self reads who the credential signs in as and which application
// permissions its Graph access token carries (the roles claim), without any
// Graph call: an identity with least privilege can check itself. The token
// is read, not verified (it came from Entra over TLS just now) and never
// leaves this function. Permissions granted after the token was issued show
// up with the next token (about an hour, or a new process).
func Self(ctx context.Context, cred azcore.TokenCredential, graphScope string) (Principal, []string, error) {
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope}})
	if err != nil {
		return Principal{}, nil, fmt.Errorf("getting a Microsoft Graph token for the signed-in identity: %w", err)
	}
	return parseAccessToken(tok.Token)
}

func parseAccessToken(jwt string) (Principal, []string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return Principal{}, nil, errors.New("the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Principal{}, nil, errors.New("the access token's payload is not base64url")
	}
	var c struct {
		Oid     string   `json:"oid"`
		AppID   string   `json:"appid"` // v1 tokens (Graph)
		Azp     string   `json:"azp"`   // v2 tokens
		AppName string   `json:"app_displayname"`
		IdTyp   string   `json:"idtyp"`
		Scp     string   `json:"scp"`
		Roles   []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return Principal{}, nil, errors.New("the access token's payload is not a JSON object")
	}
	if c.Scp != "" || c.IdTyp == "user" {
		return Principal{}, nil, errors.New("signed in as a user (delegated permissions): application permissions can only be checked for an app or managed identity; pass --principal")
	}
	p := Principal{ID: strings.ToLower(c.Oid), AppID: c.AppID, DisplayName: c.AppName}
	if p.AppID == "" {
		p.AppID = c.Azp
	}
	return p, c.Roles, nil
}
