package rotation

import (
	"context"
	"time"

	"github.com/tenantops/tenantops/shared/clock"
)

// Clock is the time source of a rotation. Tests inject a fake clock that the
// dev tenant shares, so waiting for Entra replication costs no real time.
type Clock = clock.Clock

// SystemClock is the real clock.
type SystemClock = clock.System

// NowClock is the real clock with another source of "now" (the CLI's
// Factory.Now, which tests pin).
type NowClock func() time.Time

// Now returns c().
func (c NowClock) Now() time.Time { return c() }

// Sleep waits d in real time or until ctx is done.
func (c NowClock) Sleep(ctx context.Context, d time.Duration) error {
	return SystemClock{}.Sleep(ctx, d)
}
