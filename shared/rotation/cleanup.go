package rotation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/vault"
)

// planCleanup picks the credentials of app that may go: created by tenantops
// for this secret (displayName "tenantops <scope>-…"), not referenced by the
// latest version, and either superseded longer than grace ago (superseded at
// = creation of the version that replaced the last one holding it, and no
// version holding it younger than grace) or never published and older than
// orphanGrace. Anything else is never touched.
func planCleanup(now time.Time, scope string, latest vault.Secret, versions []vault.Secret, app graph.Application, grace, orphanGrace time.Duration) []Removal {
	vs := slices.Clone(versions)
	// Key Vault lists versions in no particular order; creation time (1 s
	// resolution) orders them, the listing order breaks ties.
	slices.SortStableFunc(vs, func(a, b vault.Secret) int { return a.Created.Compare(b.Created) })
	current := strings.ToLower(latest.Tags[TagKeyID])
	var out []Removal
	for _, c := range app.Passwords {
		if _, ours := ownedBy(c.DisplayName, scope); !ours || strings.EqualFold(c.KeyID, current) {
			continue
		}
		last := -1
		for i, v := range vs {
			if strings.EqualFold(v.Tags[TagKeyID], c.KeyID) {
				last = i
			}
		}
		switch {
		case last < 0:
			if !c.Start.IsZero() && now.Sub(c.Start) >= orphanGrace {
				out = append(out, Removal{KeyID: c.KeyID, DisplayName: c.DisplayName, Reason: "orphan: never published to Key Vault"})
			}
		case last == len(vs)-1:
			// Listed as newest but not what GetSecret called latest: a
			// concurrent change; leave it for a later run.
		default:
			superseded := vs[last+1].Created
			if now.Sub(superseded) >= grace && now.Sub(vs[last].Created) >= grace {
				out = append(out, Removal{KeyID: c.KeyID, DisplayName: c.DisplayName, Reason: "superseded", SupersededAt: timePtr(superseded)})
			}
		}
	}
	return out
}

// cleanup removes what planCleanup picks (or lists it in a dry-run). It
// keeps going past failures: each removal is independent.
func (r *run) cleanup(ctx context.Context, latest vault.Secret, app graph.Application) error {
	versions, err := r.kv.Versions(ctx, r.name)
	if err != nil {
		return fmt.Errorf("listing versions: %w", err)
	}
	plan := planCleanup(r.now(), r.scope, latest, versions, app, r.deps.Config.Grace, r.deps.Config.OrphanGrace)
	for _, rm := range plan {
		if r.dry {
			r.res.Removed = append(r.res.Removed, rm)
			r.audit(ctx, "remove-password", app.AppID+"/"+rm.KeyID, "would-remove", rm.Reason)
			continue
		}
		if err := r.step(ctx, StepRemovePassword); err != nil {
			return err
		}
		err := r.deps.Apps.RemoveApplicationPassword(ctx, app.ID, rm.KeyID, nil)
		switch {
		case err == nil:
			rm.Removed = true
			r.audit(ctx, "remove-password", app.AppID+"/"+rm.KeyID, "removed", rm.Reason)
		case graph.Status(err) == 404 || (graph.Status(err) == 400 && strings.Contains(strings.ToLower(err.Error()), "no password credential")):
			rm.Removed = true // already gone (a retried or concurrent removal)
			r.audit(ctx, "remove-password", app.AppID+"/"+rm.KeyID, "already-removed", rm.Reason)
		default:
			if ctx.Err() != nil {
				return err
			}
			rm.Error = describe(err)
			r.audit(ctx, "remove-password", app.AppID+"/"+rm.KeyID, "failed", rm.Error)
		}
		r.res.Removed = append(r.res.Removed, rm)
	}
	return nil
}
