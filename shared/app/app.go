// Package app wires settings into the SDK clients every front door uses:
// one transport, one credential, one Graph client. Doors call New and then
// hand the App to operations; no door builds clients itself.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/vault"
)

// Settings are tenantops' configuration (see ARCHITECTURE.md, "Settings").
type Settings struct {
	Identity          identity.Config
	VaultURL          string        // TENANTOPS_VAULT_URL
	Breakglass        []string      // TENANTOPS_BREAKGLASS
	ExpectedEgressIPs []string      // TENANTOPS_EXPECTED_EGRESS_IPS
	EchoURLs          []string      // TENANTOPS_EGRESS_ECHO_URLS
	RotationGrace     time.Duration // TENANTOPS_ROTATION_GRACE
	RotationSchedule  string        // ROTATION_SCHEDULE
	Dev               bool          // TENANTOPS_DEV: start the embedded dev tenant
	DevTenantURL      string        // TENANTOPS_DEVTENANT_URL
	DevTenantCA       string        // TENANTOPS_DEVTENANT_CA (path to PEM)
	DevEgressIP       string        // TENANTOPS_DEV_EGRESS_IP: the embedded dev tenant's egress IP

	// Transport overrides the network (embedded dev tenant, tests). Not an env setting.
	Transport http.RoundTripper
}

// DefaultRotationGrace is how long a superseded credential stays valid:
// Functions may cache Key Vault references for 24 h.
const DefaultRotationGrace = 48 * time.Hour

// SettingsFromEnv reads Settings through getenv.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	id, err := identity.ConfigFromEnv(getenv)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		Identity:          id,
		VaultURL:          strings.TrimSpace(getenv("TENANTOPS_VAULT_URL")),
		Breakglass:        SplitList(getenv("TENANTOPS_BREAKGLASS")),
		ExpectedEgressIPs: SplitList(getenv("TENANTOPS_EXPECTED_EGRESS_IPS")),
		EchoURLs:          SplitList(getenv("TENANTOPS_EGRESS_ECHO_URLS")),
		RotationGrace:     DefaultRotationGrace,
		RotationSchedule:  getenv("ROTATION_SCHEDULE"),
		DevTenantURL:      strings.TrimSpace(getenv("TENANTOPS_DEVTENANT_URL")),
		DevTenantCA:       strings.TrimSpace(getenv("TENANTOPS_DEVTENANT_CA")),
		DevEgressIP:       strings.TrimSpace(getenv("TENANTOPS_DEV_EGRESS_IP")),
	}
	switch strings.ToLower(strings.TrimSpace(getenv("TENANTOPS_DEV"))) {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		s.Dev = true
	default:
		return Settings{}, fmt.Errorf("TENANTOPS_DEV=%q: want 1 or 0", getenv("TENANTOPS_DEV"))
	}
	if v := strings.TrimSpace(getenv("TENANTOPS_ROTATION_GRACE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Settings{}, fmt.Errorf("TENANTOPS_ROTATION_GRACE=%q: want a duration such as 48h", v)
		}
		s.RotationGrace = d
	}
	if len(s.EchoURLs) == 0 {
		s.EchoURLs = append([]string(nil), identity.DefaultEchoURLs...)
	}
	if (s.DevTenantURL == "") != (s.DevTenantCA == "") {
		return Settings{}, errors.New("TENANTOPS_DEVTENANT_URL and TENANTOPS_DEVTENANT_CA go together")
	}
	if s.DevTenantURL != "" {
		s.Identity.Cloud = identity.Dev
	}
	return s, nil
}

// SplitList splits a comma-separated setting, dropping blanks.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// App holds the clients built from Settings. It is safe for concurrent use.
type App struct {
	Settings  Settings
	Transport http.RoundTripper
	Cred      azcore.TokenCredential
	Graph     *graph.Client
	Vault     *vault.Client // nil when no vault is configured
	Log       *slog.Logger
	Audit     *audit.Logger
}

// New builds the clients. It does no network I/O: the first token is
// requested by the first call.
func New(s Settings, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := s.Transport
	if tr == nil && s.DevTenantURL != "" {
		t, err := identity.DevTransportFromFiles(s.DevTenantURL, s.DevTenantCA)
		if err != nil {
			return nil, err
		}
		tr = t
	}
	if tr == nil {
		tr = http.DefaultTransport
	}
	cred, err := identity.NewCredential(s.Identity, tr)
	if err != nil {
		return nil, fmt.Errorf("signing in: %w", err)
	}
	g, err := graph.New(cred, graph.Options{Cloud: s.Identity.Cloud, Transport: tr})
	if err != nil {
		return nil, err
	}
	var kv *vault.Client
	if s.VaultURL != "" {
		kv, err = vault.New(s.VaultURL, cred, vault.Options{Cloud: s.Identity.Cloud, Transport: tr})
		if err != nil {
			return nil, err
		}
	}
	operator := s.Identity.ClientID
	if operator == "" {
		operator = string(s.Identity.Resolve())
	}
	return &App{
		Settings:  s,
		Transport: tr,
		Cred:      cred,
		Graph:     g,
		Vault:     kv,
		Log:       log,
		Audit:     audit.New(log, operator),
	}, nil
}
