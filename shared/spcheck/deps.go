package spcheck

import (
	"github.com/tenantops/tenantops/shared/app"
)

// DepsFrom wires the check to a front door's clients: tenantops's own Graph
// identity for the trust reads, its vault for the stored credential, and its
// transport for everything the workload itself would send.
func DepsFrom(a *app.App) Deps {
	d := Deps{
		Directory:   a.Graph,
		Transport:   a.Transport,
		Cloud:       a.Settings.Identity.Cloud,
		TenantID:    a.Settings.Identity.TenantID,
		EchoURLs:    a.Settings.EchoURLs,
		ExpectedIPs: a.Settings.ExpectedEgressIPs,
		Log:         a.Log,
	}
	if a.Vault != nil { // a nil *vault.Client in the interface would not compare equal to nil
		d.Secrets = a.Vault
	}
	return d
}

// EgressDepsFrom wires CheckEgress to a front door's clients.
func EgressDepsFrom(a *app.App) EgressDeps {
	return EgressDeps{Locations: a.Graph, Transport: a.Transport, EchoURLs: a.Settings.EchoURLs, ExpectedIPs: a.Settings.ExpectedEgressIPs}
}
