// Package devmode starts the embedded dev tenant for --dev / TENANTOPS_DEV=1
// and points Settings at it. It is the only non-test code that imports devtenant.
package devmode

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

// Env returns the settings a front door needs to use tenant t as if it were
// Microsoft's cloud: the exports `tenantops devtenant serve` prints.
func Env(t *devtenant.Tenant, caPath string) map[string]string {
	return map[string]string{
		"TENANTOPS_DEVTENANT_URL": t.URL(),
		"TENANTOPS_DEVTENANT_CA":  caPath,
		"AZURE_TENANT_ID":         devtenant.TenantID,
		"AZURE_CLIENT_ID":         devtenant.AdminClientID,
		"AZURE_CLIENT_SECRET":     devtenant.AdminClientSecret,
		"TENANTOPS_VAULT_URL":     devtenant.VaultURL,
		"TENANTOPS_BREAKGLASS":    "breakglass01@contoso.com,breakglass02@contoso.com",
	}
}

// Apply points s at tenant t with the default fixture's admin app,
// keeping any setting the caller gave explicitly.
func Apply(s app.Settings, t *devtenant.Tenant) (app.Settings, error) {
	tr, err := identity.DevTransport(t.URL(), t.CACertPEM())
	if err != nil {
		return s, fmt.Errorf("dev tenant transport: %w", err)
	}
	s.Transport = tr
	s.Identity.Cloud = identity.Dev
	s.Identity.Method = identity.MethodClientSecret
	s.Identity.TenantID = devtenant.TenantID
	s.Identity.ClientID = devtenant.AdminClientID
	s.Identity.ClientSecret = devtenant.AdminClientSecret
	if s.VaultURL == "" {
		s.VaultURL = devtenant.VaultURL
	}
	if len(s.Breakglass) == 0 {
		s.Breakglass = []string{"breakglass01@contoso.com", "breakglass02@contoso.com"}
	}
	return s, nil
}

// EgressIPEnv names the setting that moves the embedded dev tenant's egress
// IP (e.g. 198.51.100.7, outside the trusted ranges) when Start is given none.
const EgressIPEnv = "TENANTOPS_DEV_EGRESS_IP"

// Start starts the embedded dev tenant (default fixture) and applies it to s.
// The caller closes the tenant.
func Start(s app.Settings, egressIP string, log *slog.Logger) (*devtenant.Tenant, app.Settings, error) {
	if egressIP == "" {
		egressIP = s.DevEgressIP
	}
	if log != nil {
		// The embedded tenant is scaffolding: keep its warnings, not its chatter,
		// beside the door's own log and audit lines.
		log = slog.New(warnOnly{log.Handler()})
	}
	t, err := devtenant.Start(devtenant.Options{EgressIP: egressIP, Logger: log})
	if err != nil {
		return nil, s, fmt.Errorf("starting the dev tenant: %w", err)
	}
	s, err = Apply(s, t)
	if err != nil {
		t.Close()
		return nil, s, err
	}
	return t, s, nil
}

type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}
