package devtenant

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault is one injected failure (or delay).
type Fault struct {
	// Status is the HTTP status to answer with; 0 = no error (only Delay applies).
	Status int
	// RetryAfter is sent as the Retry-After header when non-empty ("0", "1.5", ...).
	RetryAfter string
	// Code and Message override the error body's code and message.
	Code, Message string
	// Delay is a real-time delay before the fault (or the normal response).
	Delay time.Duration
	// Drop aborts the connection without any response (connection reset).
	Drop bool
	// Hang never answers: the handler blocks until the client gives up or the tenant closes.
	Hang bool
}

func (f Fault) String() string {
	switch {
	case f.Drop:
		return "drop"
	case f.Hang:
		return "hang"
	case f.Status != 0:
		return fmt.Sprintf("status %d", f.Status)
	default:
		return fmt.Sprintf("delay %s", f.Delay)
	}
}

// FaultRule injects faults into matching requests.
//
// Match is "METHOD PATTERN". METHOD may be "*". A PATTERN starting with "/" is a
// path glob ("*" within one segment, "**" across segments); otherwise it is
// "HOSTGLOB/PATHGLOB", e.g. "*.vault.azure.net/secrets/**". The admin API is
// never faulted.
type FaultRule struct {
	Match string
	// Script is consumed one fault per matching request; the rule ends when it is empty.
	Script []Fault
	// Rate (0..1], used when Script is empty: each matching request gets Fault
	// with this probability (deterministic per rule, seeded by Seed).
	Rate  float64
	Fault Fault
	Seed  uint64
}

type faultRule struct {
	id                 int
	method, host, path string
	script             []Fault
	rate               float64
	fault              Fault
	rng                *rand.Rand
	persistent         bool
}

type faultTable struct {
	mu     sync.Mutex
	nextID int
	rules  []*faultRule
}

func newFaultTable() *faultTable { return &faultTable{} }

// AddFaultRule installs a rule and returns its id (for RemoveFault).
func (t *Tenant) AddFaultRule(fr FaultRule) (int, error) {
	method, pattern, ok := strings.Cut(strings.TrimSpace(fr.Match), " ")
	if !ok || pattern == "" {
		return 0, fmt.Errorf("devtenant: fault match %q: want \"METHOD PATTERN\"", fr.Match)
	}
	rule := &faultRule{method: strings.ToUpper(method), script: append([]Fault(nil), fr.Script...), rate: fr.Rate, fault: fr.Fault}
	if strings.HasPrefix(pattern, "/") {
		rule.path = pattern
	} else {
		h, p, _ := strings.Cut(pattern, "/")
		rule.host, rule.path = h, "/"+p
	}
	if len(rule.script) == 0 {
		if fr.Rate <= 0 || fr.Rate > 1 {
			return 0, fmt.Errorf("devtenant: fault rule %q needs a script or a rate in (0,1]", fr.Match)
		}
		rule.persistent = true
		rule.rng = rand.New(rand.NewPCG(fr.Seed, 0x5eed))
	}
	ft := t.faults
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.nextID++
	rule.id = ft.nextID
	ft.rules = append(ft.rules, rule)
	return rule.id, nil
}

// Inject scripts faults for the requests matching match ("METHOD PATTERN"):
// the first matching request gets faults[0], the next faults[1], and so on;
// afterwards requests are served normally. It panics on a malformed match
// (a programming error in a test).
func (t *Tenant) Inject(match string, faults ...Fault) int {
	id, err := t.AddFaultRule(FaultRule{Match: match, Script: faults})
	if err != nil {
		panic(err)
	}
	return id
}

// InjectRate applies f to a fraction rate of matching requests until removed.
func (t *Tenant) InjectRate(match string, rate float64, f Fault) int {
	id, err := t.AddFaultRule(FaultRule{Match: match, Rate: rate, Fault: f, Seed: 1})
	if err != nil {
		panic(err)
	}
	return id
}

// SetLatency delays every matching request by d (a persistent rule); returns its id.
func (t *Tenant) SetLatency(match string, d time.Duration) int {
	return t.InjectRate(match, 1, Fault{Delay: d})
}

// RemoveFault removes one rule.
func (t *Tenant) RemoveFault(id int) {
	ft := t.faults
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for i, r := range ft.rules {
		if r.id == id {
			ft.rules = append(ft.rules[:i], ft.rules[i+1:]...)
			return
		}
	}
}

// ClearFaults removes every fault rule.
func (t *Tenant) ClearFaults() {
	t.faults.mu.Lock()
	defer t.faults.mu.Unlock()
	t.faults.rules = nil
}

// PendingFaults returns how many scripted faults have not been consumed yet.
func (t *Tenant) PendingFaults() int {
	t.faults.mu.Lock()
	defer t.faults.mu.Unlock()
	n := 0
	for _, r := range t.faults.rules {
		n += len(r.script)
	}
	return n
}

// next returns the faults that apply to this request (at most one per rule, in rule order).
func (ft *faultTable) next(method, host, path string) []Fault {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var out []Fault
	kept := ft.rules[:0]
	for _, r := range ft.rules {
		if (r.method == "*" || r.method == method) && (r.host == "" || globMatch(r.host, host)) && globMatch(r.path, path) {
			if r.persistent {
				if r.rng.Float64() < r.rate {
					out = append(out, r.fault)
				}
			} else {
				out = append(out, r.script[0])
				r.script = r.script[1:]
			}
		}
		if r.persistent || len(r.script) > 0 {
			kept = append(kept, r)
		}
	}
	ft.rules = kept
	return out
}

// applyFaults runs the faults for r; it reports whether the response was written.
func (t *Tenant) applyFaults(w http.ResponseWriter, r *http.Request, svc string) bool {
	fs := t.faults.next(r.Method, hostOnly(r.Host), r.URL.Path)
	for _, f := range fs {
		if f.Delay > 0 {
			tm := time.NewTimer(f.Delay)
			select {
			case <-tm.C:
			case <-r.Context().Done():
				tm.Stop()
			case <-t.closed:
				tm.Stop()
			}
		}
		info := infoOf(r)
		switch {
		case f.Drop:
			info.fault = f.String()
			panic(http.ErrAbortHandler)
		case f.Hang:
			info.fault = f.String()
			select {
			case <-r.Context().Done():
			case <-t.closed:
			}
			panic(http.ErrAbortHandler)
		case f.Status != 0:
			info.fault = f.String()
			t.writeFault(w, r, svc, f)
			return true
		}
	}
	return false
}

func defaultFaultCode(svc string, status int) string {
	switch status {
	case http.StatusTooManyRequests:
		if svc == svcVault {
			return "Throttled"
		}
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable"
	case http.StatusGatewayTimeout:
		return "GatewayTimeout"
	case http.StatusBadGateway:
		return "BadGateway"
	case http.StatusInternalServerError:
		return "InternalServerError"
	}
	return http.StatusText(status)
}

func (t *Tenant) writeFault(w http.ResponseWriter, r *http.Request, svc string, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	code := f.Code
	if code == "" {
		code = defaultFaultCode(svc, f.Status)
	}
	msg := f.Message
	if msg == "" {
		msg = "Injected fault: " + http.StatusText(f.Status)
		if f.Status == http.StatusTooManyRequests {
			msg = "Please retry again later."
		}
	}
	now := t.Now()
	switch svc {
	case svcEntra:
		errName, aad := "temporarily_unavailable", 90033
		if f.Status == http.StatusTooManyRequests {
			aad = 90055
		} else if f.Status < 500 {
			errName, aad = "invalid_request", 90014
		}
		t.aadError(w, r, f.Status, errName, aad, msg, nil)
	case svcGraph:
		reqID := newGUID()
		crid := r.Header.Get("client-request-id")
		if crid == "" {
			crid = reqID
		}
		w.Header().Set("request-id", reqID)
		w.Header().Set("client-request-id", crid)
		if f.Status == http.StatusTooManyRequests {
			writeGraph429(w, reqID, crid, now, msg)
			return
		}
		graphErrorRaw(w, reqID, crid, now, f.Status, code, msg)
	case svcEcho:
		http.Error(w, http.StatusText(f.Status), f.Status)
	case svcSharePoint:
		writeJSON(w, f.Status, map[string]any{"odata.error": map[string]any{"code": "-2147024891, " + code, "message": map[string]string{"lang": "en-US", "value": msg}}})
	default:
		writeJSON(w, f.Status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
	}
}

// writeGraph429 writes Graph's documented throttling body.
func writeGraph429(w http.ResponseWriter, reqID, crid string, now time.Time, msg string) {
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": jobj{
		{"code", "TooManyRequests"},
		{"message", msg},
		{"innerError", jobj{{"code", "429"}, {"date", now.UTC().Format("2006-01-02T15:04:05")}, {"message", "Please retry after"}, {"request-id", reqID}, {"client-request-id", crid}, {"status", "429"}}},
	}})
}
