package sessions

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/tenantops/tenantops/shared/clock"
)

// Budget is a documented Graph limit: Count requests per Window.
type Budget struct {
	Count  int
	Window time.Duration
}

// Documented identity write budgets (THROTTLING.md §3): per application and
// tenant, and per tenant across all applications. Every revokeSignInSessions,
// inside a $batch or not, costs one write.
var (
	AppTenantWrites = Budget{Count: 3000, Window: 150 * time.Second}
	TenantWrites    = Budget{Count: 18000, Window: 300 * time.Second}
	// SmallTenantRU is the smallest directory resource-unit budget (tenants
	// under 50 users); reads pace at it because the tenant size is unknown.
	SmallTenantRU = Budget{Count: 3500, Window: 10 * time.Second}
	// Reports covers the registration report: 5 requests per 10 s per app and tenant.
	Reports = Budget{Count: 5, Window: 10 * time.Second}
)

// headroom keeps the pacer a little under each budget so that clock skew and
// rounding never tip it over: measured, 2 % keeps 429s well under 1 %.
const headroom = 0.98

// Clock is the time source (tests use a fake).
type Clock = clock.Clock

// Pacer spends request budget ahead of Graph so a bulk run stays under the
// documented limits instead of running into 429s. It mirrors Graph's token
// buckets (full at start, refilled continuously) and stops everyone when
// Graph says Retry-After anyway.
type Pacer struct {
	mu      sync.Mutex
	clock   Clock
	buckets []*tokenBucket
	paused  time.Time // no request before this instant
}

type tokenBucket struct {
	capacity, rate, tokens float64
	last                   time.Time
}

// NewPacer paces against every budget at once.
func NewPacer(clk Clock, budgets ...Budget) *Pacer {
	if clk == nil {
		clk = clock.System{}
	}
	p := &Pacer{clock: clk}
	now := clk.Now()
	for _, b := range budgets {
		if b.Count <= 0 || b.Window <= 0 {
			continue
		}
		c := math.Max(1, float64(b.Count)*headroom)
		p.buckets = append(p.buckets, &tokenBucket{capacity: c, rate: c / b.Window.Seconds(), tokens: c, last: now})
	}
	return p
}

// Take waits until n requests may be sent, then spends them.
func (p *Pacer) Take(ctx context.Context, n int) error {
	for {
		wait := p.reserve(float64(n))
		if wait <= 0 {
			return nil
		}
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// reserve spends n tokens if all buckets have them, else says how long to wait.
func (p *Pacer) reserve(n float64) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if now.Before(p.paused) {
		return p.paused.Sub(now)
	}
	var wait time.Duration
	for _, b := range p.buckets {
		if dt := now.Sub(b.last).Seconds(); dt > 0 {
			b.tokens = math.Min(b.capacity, b.tokens+dt*b.rate)
		}
		b.last = now
		need := math.Min(n, b.capacity) // a request larger than the bucket waits for a full one
		if b.tokens < need {
			wait = max(wait, time.Duration((need-b.tokens)/b.rate*float64(time.Second))+time.Millisecond)
		}
	}
	if wait > 0 {
		return wait
	}
	for _, b := range p.buckets {
		b.tokens -= n
	}
	return 0
}

// Pause stops all requests for d (Graph's Retry-After) and empties the
// buckets: a 429 means the service's count is ahead of ours.
func (p *Pacer) Pause(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if until := now.Add(d); until.After(p.paused) {
		p.paused = until
	}
	for _, b := range p.buckets {
		b.tokens = math.Min(b.tokens, 0)
		b.last = now
	}
}
