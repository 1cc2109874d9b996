package rotation

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tenantops/tenantops/shared/vault"
)

// The lease. Key Vault secrets have no compare-and-swap, so a tag on the
// secret itself cannot exclude a second writer. Instead each contender writes
// a new version of "<name>-lease" and then lists the versions: a contender
// holds the lease when no other live lease version is as old as its own.
// Writes are linearizable, so of two contenders at least one sees the other;
// the later writer always defers, and two writers in the same second both
// step back and retry after a random pause. A crashed holder blocks others for
// at most Config.LeaseTTL.

const leaseContentType = "application/vnd.tenantops.lease"

type lease struct {
	name    string // the lease secret
	rid     string
	expires time.Time
}

type leaseVersion struct {
	version string
	rid     string
	created time.Time
	tags    map[string]string
}

// liveLeases lists the unreleased, unexpired lease versions for r.name.
func (r *run) liveLeases(ctx context.Context, leaseName string, now time.Time) ([]leaseVersion, error) {
	vs, err := r.kv.Versions(ctx, leaseName)
	if vault.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the lease: %w", err)
	}
	var out []leaseVersion
	for _, v := range vs {
		if v.Tags[TagLeaseFor] != r.name || v.Tags[TagLeaseReleased] == "true" {
			continue
		}
		exp, err := time.Parse(time.RFC3339, v.Tags[TagLeaseExpires])
		if err != nil || !now.Before(exp) {
			continue
		}
		out = append(out, leaseVersion{version: v.Version, rid: v.Tags[TagRotationID], created: v.Created, tags: v.Tags})
	}
	return out, nil
}

// acquire takes the lease for r.res.RotationID or returns ErrBusy.
func (r *run) acquire(ctx context.Context) error {
	if err := r.step(ctx, StepLease); err != nil {
		return err
	}
	name, rid := r.name+LeaseSuffix, r.res.RotationID
	for attempt := 0; attempt < 4; attempt++ {
		now := r.now()
		live, err := r.liveLeases(ctx, name, now)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(live, func(l leaseVersion) bool { return l.rid != rid }) {
			r.debug(ctx, "lease held by another rotation", slog.Int("attempt", attempt), slog.Int("live", len(live)))
			return ErrBusy
		}
		exp := now.Add(r.deps.Config.LeaseTTL).UTC().Truncate(time.Second)
		_, err = r.kv.SetSecret(ctx, name, vault.SetParams{Value: rid, ContentType: leaseContentType, Tags: map[string]string{
			TagLeaseFor: r.name, TagRotationID: rid, TagLeaseExpires: exp.Format(time.RFC3339),
		}})
		if err != nil {
			// The write may have landed; don't leave it blocking others.
			r.releaseLease(ctx, name, rid)
			return fmt.Errorf("taking the lease: %w", err)
		}
		live, err = r.liveLeases(ctx, name, now)
		if err != nil {
			r.releaseLease(ctx, name, rid)
			return err
		}
		var mine *leaseVersion
		for i := range live {
			if live[i].rid == rid && (mine == nil || live[i].created.Before(mine.created)) {
				mine = &live[i]
			}
		}
		if mine == nil {
			return fmt.Errorf("taking the lease: the lease version just written is not listed")
		}
		tie, behind := false, false
		for _, l := range live {
			if l.rid == rid {
				continue
			}
			switch {
			case l.created.Before(mine.created):
				behind = true
			case l.created.Equal(mine.created):
				tie = true
			}
		}
		if !tie && !behind {
			r.lease = &lease{name: name, rid: rid, expires: exp}
			r.audit(ctx, "lease", r.target(), "acquired", "until "+exp.Format(time.RFC3339))
			return nil
		}
		r.releaseLease(ctx, name, rid)
		r.debug(ctx, "lease contended", slog.Int("attempt", attempt), slog.Bool("tie", tie), slog.Bool("behind", behind))
		if behind {
			return ErrBusy
		}
		// Same second: both contenders step back and retry after a random
		// pause, the lower rotation id sooner, so the retries rarely collide.
		pause := 2*time.Second + rand.N(time.Second)
		if lowest(live, rid) {
			pause = 500*time.Millisecond + rand.N(500*time.Millisecond)
		}
		if err := r.deps.Clock.Sleep(ctx, pause); err != nil {
			return err
		}
	}
	return ErrBusy
}

// release gives the lease back. Failures only delay the next run until the
// lease expires.
func (r *run) release(ctx context.Context) {
	if r.lease == nil || ctx.Err() != nil {
		return
	}
	if err := r.step(ctx, StepReleaseLease); err != nil {
		return
	}
	r.releaseLease(ctx, r.lease.name, r.lease.rid)
	r.lease = nil
}

func (r *run) releaseLease(ctx context.Context, name, rid string) {
	if ctx.Err() != nil {
		return
	}
	live, err := r.liveLeases(ctx, name, r.now())
	if err != nil {
		r.debug(ctx, "releasing the lease failed; it expires by itself")
		return
	}
	for _, l := range live {
		if l.rid != rid {
			continue
		}
		tags := copyTags(l.tags)
		tags[TagLeaseReleased] = "true"
		if err := r.kv.UpdateTags(ctx, name, l.version, tags); err != nil {
			r.debug(ctx, "releasing the lease failed; it expires by itself")
			return
		}
	}
}

// leaseOK reports whether the lease still has margin left: a run that
// outlived its lease must not publish, since another may now hold it.
func (r *run) leaseOK() error {
	if r.lease == nil {
		return fmt.Errorf("no lease held")
	}
	if !r.now().Add(time.Minute).Before(r.lease.expires) {
		return fmt.Errorf("the lease expired at %s before the new credential was published", r.lease.expires.Format(time.RFC3339))
	}
	return nil
}

// lowest reports whether rid sorts before every other live lease's id.
func lowest(live []leaseVersion, rid string) bool {
	for _, l := range live {
		if l.rid != rid && l.rid < rid {
			return false
		}
	}
	return true
}
