package rotation

import (
	"context"
	"time"
)

// Clock is the time source of a rotation. Tests inject a fake clock that the
// dev tenant shares, so waiting for Entra replication costs no real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NowClock is the real clock with another source of "now" (the CLI's
// Factory.Now, which tests pin).
type NowClock func() time.Time

// Now returns c().
func (c NowClock) Now() time.Time { return c() }

// Sleep waits d in real time or until ctx is done.
func (c NowClock) Sleep(ctx context.Context, d time.Duration) error {
	return SystemClock{}.Sleep(ctx, d)
}
