package graph

import (
	"context"
	"sync"
	"time"
)

// Budgets documented in THROTTLING.md, as Pacer arguments.
const (
	// ReportsBudget: sign-in logs, registration details, authentication
	// methods — 5 requests per 10 s per app and tenant.
	ReportsBudget = 5
	ReportsWindow = 10 * time.Second
	// CABudget: Conditional Access policies and named locations — 1 request
	// per second per tenant (all apps), 429 without Retry-After.
	CABudget = 1
	CAWindow = time.Second
)

// DirectoryRUPer10s is the directory resource-unit budget per app and tenant
// for a tenant of the given size (S < 50 users, M ≤ 500, L above).
func DirectoryRUPer10s(users int, large bool) int {
	switch {
	case large || users > 500:
		return 8000
	case users >= 50:
		return 5000
	default:
		return 3500
	}
}

// Pacer is a token bucket that keeps a caller under a documented Graph
// budget: n requests per window, bursting to n. It is safe for concurrent use.
type Pacer struct {
	mu     sync.Mutex
	cap    float64
	rate   float64 // tokens per second
	tokens float64
	last   time.Time
	until  time.Time // no tokens before this (after a 429)
	now    func() time.Time
}

// NewPacer allows n requests per window.
func NewPacer(n int, window time.Duration) *Pacer {
	if n < 1 {
		n = 1
	}
	if window <= 0 {
		window = time.Second
	}
	return &Pacer{cap: float64(n), rate: float64(n) / window.Seconds(), tokens: float64(n), now: time.Now}
}

// Wait blocks until one request may be sent.
func (p *Pacer) Wait(ctx context.Context) error { return p.WaitN(ctx, 1) }

// WaitN blocks until n units may be spent (n is capped at the bucket size).
func (p *Pacer) WaitN(ctx context.Context, n int) error {
	if p == nil {
		return ctx.Err()
	}
	cost := min(float64(n), p.cap)
	for {
		p.mu.Lock()
		now := p.now()
		if p.last.IsZero() {
			p.last = now
		}
		if dt := now.Sub(p.last).Seconds(); dt > 0 {
			p.tokens = min(p.cap, p.tokens+dt*p.rate)
			p.last = now
		}
		var wait time.Duration
		switch {
		case now.Before(p.until):
			wait = p.until.Sub(now)
		case p.tokens >= cost:
			p.tokens -= cost
			p.mu.Unlock()
			return nil
		default:
			wait = time.Duration((cost - p.tokens) / p.rate * float64(time.Second))
		}
		p.mu.Unlock()
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Pause stops handing out tokens for d (a 429's Retry-After, or a backoff
// when the service sent none) and empties the bucket.
func (p *Pacer) Pause(d time.Duration) {
	if p == nil || d <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := p.now().Add(d); u.After(p.until) {
		p.until = u
	}
	p.tokens = 0
}
