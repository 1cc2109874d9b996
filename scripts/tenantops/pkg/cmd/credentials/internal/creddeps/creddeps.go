// Package creddeps builds rotation's dependencies for the credentials verbs.
package creddeps

import (
	"net/url"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Deps signs in (once per invocation) and wires rotation to the clients,
// with the Factory's clock.
func Deps(f *cmdutil.Factory) (rotation.Deps, error) {
	if f.Vault != "" {
		if u, err := url.Parse(f.Vault); err != nil || u.Scheme != "https" || u.Host == "" {
			return rotation.Deps{}, cmdutil.FlagErrorf("--vault %q: want https://NAME.vault.azure.net", f.Vault)
		}
	}
	a, err := f.App()
	if err != nil {
		return rotation.Deps{}, err
	}
	d := rotation.FromApp(a)
	if f.Now != nil {
		d.Clock = rotation.NowClock(f.Now)
	}
	return d, nil
}

// Time formats a time for tables: UTC to the minute, "" for none.
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}
