package devtenant

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ThrottleLimits are the Graph budgets the tenant enforces (THROTTLING.md,
// "Identity and access" service limits). Windows follow the tenant clock.
type ThrottleLimits struct {
	Disabled bool
	// DirectoryRU per application+tenant: S 3,500 / M 5,000 / L 8,000 per 10 s.
	DirectoryRU       int
	DirectoryRUWindow time.Duration
	// AppTenantWrites: 3,000 writes per 150 s per application+tenant.
	AppTenantWrites       int
	AppTenantWritesWindow time.Duration
	// TenantWrites: 18,000 writes per 300 s per tenant (all apps).
	TenantWrites       int
	TenantWritesWindow time.Duration
	// Reports (sign-in logs, registration details, authentication methods): 5 per 10 s per app+tenant.
	Reports       int
	ReportsWindow time.Duration
	// ConditionalAccess (named locations, CA policies): 1 per second per tenant; 429 has no Retry-After.
	ConditionalAccess       int
	ConditionalAccessWindow time.Duration
	// FractionalRetryAfter sends Retry-After with millisecond precision ("2.128")
	// instead of whole seconds rounded up.
	FractionalRetryAfter bool
}

// DefaultThrottleLimits returns the documented budgets for a tenant with the
// given number of users (S < 50, M 50–500, L > 500).
func DefaultThrottleLimits(users int) ThrottleLimits {
	ru := 5000
	switch {
	case users < 50:
		ru = 3500
	case users > 500:
		ru = 8000
	}
	return ThrottleLimits{
		DirectoryRU: ru, DirectoryRUWindow: 10 * time.Second,
		AppTenantWrites: 3000, AppTenantWritesWindow: 150 * time.Second,
		TenantWrites: 18000, TenantWritesWindow: 300 * time.Second,
		Reports: 5, ReportsWindow: 10 * time.Second,
		ConditionalAccess: 1, ConditionalAccessWindow: time.Second,
	}
}

type bucket struct {
	capacity float64
	rate     float64 // tokens per second
	tokens   float64
	last     time.Time
}

func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.tokens, b.last = b.capacity, now
		return
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+dt*b.rate)
		b.last = now
	}
}

// wait is how long until cost tokens are available (0 = now).
func (b *bucket) wait(cost float64) time.Duration {
	if b.tokens >= cost {
		return 0
	}
	return time.Duration((cost - b.tokens) / b.rate * float64(time.Second))
}

type throttler struct {
	mu      sync.Mutex
	limits  *ThrottleLimits // nil = defaults by tenant size, computed lazily
	buckets map[string]*bucket
}

func newThrottler() *throttler { return &throttler{buckets: map[string]*bucket{}} }

// SetThrottleLimits replaces the budgets and resets all buckets.
func (t *Tenant) SetThrottleLimits(l ThrottleLimits) {
	t.throttle.mu.Lock()
	defer t.throttle.mu.Unlock()
	t.throttle.limits = &l
	t.throttle.buckets = map[string]*bucket{}
}

// ThrottleLimits returns the budgets in force.
func (t *Tenant) ThrottleLimits() ThrottleLimits {
	t.throttle.mu.Lock()
	defer t.throttle.mu.Unlock()
	return t.limitsLocked()
}

func (t *Tenant) limitsLocked() ThrottleLimits {
	if t.throttle.limits == nil {
		l := DefaultThrottleLimits(t.UserCount())
		t.throttle.limits = &l
	}
	return *t.throttle.limits
}

func (th *throttler) bucket(key string, capacity int, window time.Duration, now time.Time) *bucket {
	b := th.buckets[key]
	if b == nil {
		if window <= 0 {
			window = time.Second
		}
		b = &bucket{capacity: float64(capacity), rate: float64(capacity) / window.Seconds()}
		th.buckets[key] = b
	}
	b.refill(now)
	return b
}

// requestCost applies THROTTLING.md's cost rules to a directory request.
func requestCost(g *graphReq) (ru, writes int) {
	ru = g.route.cost
	if ru < 1 {
		ru = 1
	}
	switch g.r.Method {
	case http.MethodGet:
		if g.q.Get("$select") != "" {
			ru--
		}
		if g.q.Get("$expand") != "" {
			ru++
		}
		if n, err := strconv.Atoi(g.q.Get("$top")); err == nil && n < 20 {
			ru--
		}
	default:
		ru, writes = 1, 1
	}
	return max(ru, 1), writes
}

// throttleGraph charges the request against its budgets. It writes a 429 and
// returns false when a budget is exhausted.
func (t *Tenant) throttleGraph(g *graphReq, reqID, crid string) bool {
	th := t.throttle
	th.mu.Lock()
	defer th.mu.Unlock()
	l := t.limitsLocked()
	app, tid := g.claims.AppID, g.claims.Tid
	now := g.now
	type charge struct {
		b          *bucket
		cost       float64
		scope, why string
	}
	var charges []charge
	ru, writes := 0, 0
	switch g.route.class {
	case "directory":
		ru, writes = requestCost(g)
		if !l.Disabled {
			charges = append(charges, charge{th.bucket("ru|"+app, l.DirectoryRU, l.DirectoryRUWindow, now), float64(ru),
				"Tenant_Application/ReadWrite/" + app + "/" + tid, "ResourceUnitLimitExceeded"})
			if writes > 0 {
				charges = append(charges,
					charge{th.bucket("w|"+app, l.AppTenantWrites, l.AppTenantWritesWindow, now), 1, "Tenant_Application/Write/" + app + "/" + tid, "WriteLimitExceeded"},
					charge{th.bucket("tw", l.TenantWrites, l.TenantWritesWindow, now), 1, "Tenant/Write/" + app + "/" + tid, "WriteLimitExceeded"})
			}
		}
		g.w.Header().Set("x-ms-resource-unit", strconv.Itoa(ru))
	case "reports":
		if !l.Disabled {
			charges = append(charges, charge{th.bucket("rep|"+app, l.Reports, l.ReportsWindow, now), 1, "Tenant_Application/Read/" + app + "/" + tid, "ReportsLimitExceeded"})
		}
	case "ca":
		if !l.Disabled {
			charges = append(charges, charge{th.bucket("ca", l.ConditionalAccess, l.ConditionalAccessWindow, now), 1, "Tenant/ReadWrite/" + app + "/" + tid, "ConditionalAccessLimitExceeded"})
		}
	}
	var worst time.Duration
	var hit *charge
	for i := range charges {
		if w := charges[i].b.wait(charges[i].cost); w > worst || (w > 0 && hit == nil) {
			worst, hit = w, &charges[i]
		}
	}
	if hit != nil {
		h := g.w.Header()
		h.Set("x-ms-throttle-scope", hit.scope)
		h.Set("x-ms-throttle-information", hit.why)
		if g.route.class != "ca" {
			h.Set("Retry-After", formatRetryAfter(worst, l.FractionalRetryAfter))
		}
		infoOf(g.r).fault = "throttled " + hit.why
		writeGraph429(g.w, reqID, crid, now, "Please retry again later.")
		return false
	}
	for _, c := range charges {
		c.b.tokens -= c.cost
	}
	if len(charges) > 0 && g.route.class == "directory" {
		b := charges[0].b
		if used := 1 - b.tokens/b.capacity; used > 0.8 {
			g.w.Header().Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", used))
		}
	}
	return true
}

func formatRetryAfter(d time.Duration, fractional bool) string {
	if fractional {
		s := d.Seconds()
		if s < 0.001 {
			s = 0.001
		}
		return strconv.FormatFloat(s, 'f', 3, 64)
	}
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
