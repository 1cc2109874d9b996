package rotation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

// FromApp wires rotation to the clients every front door builds, so the
// timer, the HTTP API, Event Grid, Lambda and the CLI rotate identically.
func FromApp(a *app.App) Deps {
	cloud := a.Settings.Identity.Cloud
	suffix := cloud.Endpoints().VaultSuffix
	d := Deps{
		Apps:      a.Graph,
		Users:     a.Graph,
		Directory: a.Graph,
		Tester:    TokenTester{Cloud: cloud, Transport: a.Transport},
		Audit:     a.Audit,
		Log:       a.Log,
		Clock:     SystemClock{},
		Config: Config{
			Grace:       a.Settings.RotationGrace,
			TenantID:    a.Settings.Identity.TenantID,
			Breakglass:  a.Settings.Breakglass,
			VaultSuffix: suffix,
		},
		OpenVault: func(u string) (Vault, error) {
			p, err := url.Parse(u)
			if err != nil || p.Scheme != "https" || !strings.HasSuffix(strings.ToLower(p.Hostname()), "."+suffix) || p.Port() != "" {
				return nil, op.Invalid("invalidVault", "vault", "%q is not a Key Vault of this cloud (want https://NAME.%s)", u, suffix)
			}
			return vault.New(u, a.Cred, vault.Options{Cloud: cloud, Transport: a.Transport})
		},
		ResolveTenant: func(ctx context.Context) (string, error) {
			tok, err := a.Cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{cloud.Endpoints().GraphScope()}})
			if err != nil {
				return "", err
			}
			return tenantOfToken(tok.Token)
		},
	}
	if a.Vault != nil { // a nil *vault.Client must not become a non-nil interface
		d.Vault = a.Vault
	}
	return d
}

// tenantOfToken reads the tid claim of our own access token (no signature
// check needed: it came straight from Entra over TLS).
func tenantOfToken(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("access token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("access token payload: %w", err)
	}
	var c struct {
		Tid string `json:"tid"`
	}
	if err := json.Unmarshal(b, &c); err != nil || !op.IsGUID(c.Tid) {
		return "", errors.New("access token has no tenant id")
	}
	return c.Tid, nil
}
