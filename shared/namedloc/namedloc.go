// Package namedloc manages IP named locations (the trusted ranges that
// Conditional Access exempts from MFA). Graph replaces a location's whole
// ipRanges on PATCH and offers no ETag on named locations, so every change is
// a read-modify-write that reads the result back and starts again when a
// concurrent writer's update replaced ours. Conditional Access allows one
// request per second per tenant and sends no Retry-After: calls are paced and
// 429s back off exponentially.
package namedloc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// Graph is the part of Graph these operations need.
type Graph interface {
	ListNamedLocations(ctx context.Context) ([]graph.NamedLocation, error)
	GetNamedLocation(ctx context.Context, id string) (graph.NamedLocation, error)
	CreateIPNamedLocation(ctx context.Context, name string, trusted bool, cidrs []string) (graph.NamedLocation, error)
	UpdateIPNamedLocation(ctx context.Context, id string, u graph.IPLocationUpdate) error
	DeleteNamedLocation(ctx context.Context, id string) error
}

// Deps are the collaborators.
type Deps struct {
	Graph Graph
	Audit *audit.Logger
	// Pacer keeps calls under the Conditional Access budget (default 1 per second).
	Pacer *graph.Pacer
	// Backoff is the first wait after a 429 without Retry-After (default 2 s), doubled each time.
	Backoff time.Duration
	// Attempts bounds read-modify-write rounds (default 5).
	Attempts int
}

func (d *Deps) defaults() {
	if d.Pacer == nil {
		// 20 % headroom: the service counts arrivals, and latency varies
		// (the first call also fetches a token before reaching Graph).
		d.Pacer = graph.NewPacer(graph.CABudget, graph.CAWindow*6/5)
	}
	if d.Backoff <= 0 {
		d.Backoff = 2 * time.Second
	}
	if d.Attempts <= 0 {
		d.Attempts = 5
	}
}

// call paces fn under the CA budget and retries throttling and transient
// failures with exponential backoff (CA 429s carry no Retry-After).
func (d *Deps) call(ctx context.Context, fn func() error) error {
	backoff := d.Backoff
	for attempt := 1; ; attempt++ {
		if err := d.Pacer.Wait(ctx); err != nil {
			return err
		}
		err := fn()
		if err == nil || !graph.Retryable(err) || attempt == 5 {
			return err
		}
		wait := backoff
		if ra, ok := graph.RetryAfterOf(err); ok {
			wait = ra
		}
		backoff *= 2
		d.Pacer.Pause(wait)
	}
}

// Location is a named location as the commands show it.
type Location struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Kind        string   `json:"kind"` // ip or country
	Trusted     bool     `json:"isTrusted"`
	CIDRs       []string `json:"cidrs"`
	Countries   []string `json:"countries,omitempty"`
}

func fromGraph(nl graph.NamedLocation) Location {
	l := Location{ID: nl.ID, DisplayName: nl.DisplayName, Kind: nl.Kind, Trusted: nl.Trusted, CIDRs: nl.CIDRs, Countries: nl.Countries}
	if l.CIDRs == nil {
		l.CIDRs = []string{}
	}
	return l
}

// ListResult is what `named-locations list` prints.
type ListResult struct {
	Locations []Location `json:"locations"`
}

// List returns every named location.
func List(ctx context.Context, deps Deps) (ListResult, error) {
	deps.defaults()
	var nls []graph.NamedLocation
	err := deps.call(ctx, func() (err error) { nls, err = deps.Graph.ListNamedLocations(ctx); return err })
	if err != nil {
		return ListResult{}, fmt.Errorf("listing named locations: %w", hint(err))
	}
	out := ListResult{Locations: make([]Location, 0, len(nls))}
	for _, nl := range nls {
		out.Locations = append(out.Locations, fromGraph(nl))
	}
	return out, nil
}

// Request names a location and ranges to add or remove.
type Request struct {
	Name  string   `json:"name"`
	CIDRs []string `json:"cidrs"`
	// Trusted sets isTrusted: on creation (default false) or changes it on an existing location.
	Trusted *bool  `json:"trusted,omitempty"`
	DryRun  bool   `json:"dryRun,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ParseCIDR accepts an IPv4 or IPv6 CIDR, or a bare address (a /32 or
// /128), and returns it in canonical form (host bits cleared). note says what
// was changed, if anything.
func ParseCIDR(s string) (cidr, note string, err error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", "", fmt.Errorf("%q is neither an IP address nor a CIDR range (want e.g. 203.0.113.0/24 or 2001:db8::/48)", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()).String(), fmt.Sprintf("%s taken as the single address %s/%d", s, a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a valid CIDR range (want e.g. 203.0.113.0/24 or 2001:db8::/48)", s)
	}
	if p.Addr().Is4In6() {
		return "", "", fmt.Errorf("%q is an IPv4-mapped IPv6 range: write it as IPv4", s)
	}
	if p.Bits() == 0 {
		return "", "", fmt.Errorf("%q covers every address: a named location that trusts the whole internet defeats Conditional Access", s)
	}
	m := p.Masked()
	if m != p {
		return m.String(), fmt.Sprintf("%s has host bits set; using the network %s", s, m), nil
	}
	return m.String(), "", nil
}

// Validate checks the request without I/O; requireCIDR is false for removing a whole location.
func (r *Request) Validate(requireCIDR bool) error {
	var errs []error
	if n := strings.TrimSpace(r.Name); n == "" || len(n) > 256 {
		errs = append(errs, op.Invalid("invalidName", "name", "name the location (1–256 characters), e.g. \"Head office\""))
	}
	if requireCIDR && len(r.CIDRs) == 0 {
		errs = append(errs, op.Invalid("noCIDR", "cidrs", "give at least one range with --cidr, e.g. 203.0.113.0/24"))
	}
	if len(r.CIDRs) > 2000 {
		errs = append(errs, op.Invalid("tooManyCIDRs", "cidrs", "%d ranges; a named location holds at most 2000", len(r.CIDRs)))
	}
	for i, c := range r.CIDRs {
		if _, _, err := ParseCIDR(c); err != nil {
			errs = append(errs, op.Invalid("invalidCIDR", fmt.Sprintf("cidrs[%d]", i), "%v", err))
		}
	}
	if len(r.Reason) > 512 {
		errs = append(errs, op.Invalid("invalidReason", "reason", "reason is longer than 512 characters"))
	}
	return errors.Join(errs...)
}

// Outcomes of Add and Remove.
const (
	OutcomeCreated     = "created"
	OutcomeUpdated     = "updated"
	OutcomeDeleted     = "deleted"
	OutcomeUnchanged   = "unchanged"
	OutcomeWouldCreate = "would-create"
	OutcomeWouldUpdate = "would-update"
	OutcomeWouldDelete = "would-delete"
	OutcomeNotApplied  = "not-applied" // gave up: concurrent writers kept replacing our change
	OutcomeRefused     = "refused"     // Graph refused (e.g. a policy references the location)
	OutcomeNotFound    = "not-found"
)

// Result of Add or Remove.
type Result struct {
	Outcome  string   `json:"outcome"`
	Location Location `json:"location"`
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	// Present are requested ranges already in the location (or covered by a wider one).
	Present []string `json:"present"`
	// Attempts counts read-modify-write rounds (more than 1 = a concurrent change was merged).
	Attempts int      `json:"attempts"`
	Notes    []string `json:"notes,omitempty"`
	DryRun   bool     `json:"dryRun"`
}

// Problem reports a change that could not be made (CLI exit 3).
func (r Result) Problem() bool {
	return r.Outcome == OutcomeNotApplied || r.Outcome == OutcomeRefused || r.Outcome == OutcomeNotFound
}

func newResult(req Request) Result {
	return Result{DryRun: req.DryRun, Added: []string{}, Removed: []string{}, Present: []string{}}
}

// find returns the location named name (case-insensitive).
func find(ctx context.Context, deps *Deps, name string) (*graph.NamedLocation, error) {
	var nls []graph.NamedLocation
	if err := deps.call(ctx, func() (err error) { nls, err = deps.Graph.ListNamedLocations(ctx); return err }); err != nil {
		return nil, fmt.Errorf("listing named locations: %w", hint(err))
	}
	var hits []graph.NamedLocation
	for _, nl := range nls {
		if strings.EqualFold(strings.TrimSpace(nl.DisplayName), strings.TrimSpace(name)) {
			hits = append(hits, nl)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		if hits[0].Kind != graph.LocationIP {
			return nil, op.Invalid("notIPLocation", "name", "%q is a %s location; only IP locations hold ranges", name, hits[0].Kind)
		}
		return &hits[0], nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return nil, op.Invalid("ambiguousName", "name", "%d named locations are called %q (%s); rename one in the portal first", len(hits), name, strings.Join(ids, ", "))
}

func canonical(cidrs []string) (out, notes []string) {
	for _, c := range cidrs {
		p, note, _ := ParseCIDR(c)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	return out, notes
}

// covers returns the range in have that contains want, if any.
func covers(have []string, want string) (string, bool) {
	w, err := netip.ParsePrefix(want)
	if err != nil {
		return "", false
	}
	for _, h := range have {
		hp, err := netip.ParsePrefix(h)
		if err != nil {
			continue
		}
		hp = hp.Masked()
		if hp.Addr().Is4() == w.Addr().Is4() && hp.Bits() <= w.Bits() && hp.Contains(w.Addr()) {
			return h, true
		}
	}
	return "", false
}

// Add adds ranges to the named location, creating it when absent.
func Add(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(true); err != nil {
		return Result{}, err
	}
	deps.defaults()
	want, notes := canonical(req.CIDRs)
	res := newResult(req)
	res.Notes = notes
	nl, err := find(ctx, &deps, req.Name)
	if err != nil {
		return res, err
	}
	if nl == nil {
		trusted := req.Trusted != nil && *req.Trusted
		res.Location = Location{DisplayName: strings.TrimSpace(req.Name), Kind: graph.LocationIP, Trusted: trusted, CIDRs: want}
		res.Added = want
		if req.DryRun {
			res.Outcome = OutcomeWouldCreate
			record(ctx, deps, req, "named-locations.add", res)
			return res, nil
		}
		var created graph.NamedLocation
		err := deps.call(ctx, func() (err error) {
			created, err = deps.Graph.CreateIPNamedLocation(ctx, strings.TrimSpace(req.Name), trusted, want)
			return err
		})
		res.Attempts = 1
		if err != nil {
			res.Outcome = "failed"
			record(ctx, deps, req, "named-locations.add", res)
			return res, fmt.Errorf("creating named location %q: %w", req.Name, hint(err))
		}
		res.Outcome, res.Location = OutcomeCreated, fromGraph(created)
		if !trusted {
			res.Notes = append(res.Notes, "created as untrusted: Conditional Access policies that exclude trusted locations do not exempt it (add --trusted)")
		}
		record(ctx, deps, req, "named-locations.add", res)
		return res, nil
	}
	return modify(ctx, deps, req, nl.ID, "named-locations.add", func(cur graph.NamedLocation) ([]string, []string, []string) {
		next := slices.Clone(cur.CIDRs)
		var added, present []string
		for _, w := range want {
			if h, ok := covers(cur.CIDRs, w); ok {
				if h == w {
					present = append(present, w)
				} else {
					present = append(present, w+" (within "+h+")")
				}
				continue
			}
			next = append(next, w)
			added = append(added, w)
		}
		return next, added, present
	}, res)
}

// Remove removes ranges from the named location; with no ranges it deletes
// the location itself.
func Remove(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(false); err != nil {
		return Result{}, err
	}
	deps.defaults()
	res := newResult(req)
	nl, err := find(ctx, &deps, req.Name)
	if err != nil {
		return res, err
	}
	if nl == nil {
		res.Outcome = OutcomeNotFound
		res.Location = Location{DisplayName: req.Name, CIDRs: []string{}}
		res.Notes = append(res.Notes, fmt.Sprintf("no named location is called %q; see `tenantops named-locations list`", req.Name))
		return res, nil
	}
	if len(req.CIDRs) == 0 {
		res.Location, res.Removed = fromGraph(*nl), slices.Clone(nl.CIDRs)
		if req.DryRun {
			res.Outcome = OutcomeWouldDelete
			record(ctx, deps, req, "named-locations.delete", res)
			return res, nil
		}
		res.Attempts = 1
		err := deps.call(ctx, func() error { return deps.Graph.DeleteNamedLocation(ctx, nl.ID) })
		switch {
		case err == nil:
			res.Outcome = OutcomeDeleted
		case graph.Status(err) == 400:
			res.Outcome = OutcomeRefused
			res.Notes = append(res.Notes, "Graph refused: "+graphMessage(err)+" — remove the location from the policy first")
		default:
			res.Outcome = "failed"
			record(ctx, deps, req, "named-locations.delete", res)
			return res, fmt.Errorf("deleting named location %q: %w", req.Name, hint(err))
		}
		record(ctx, deps, req, "named-locations.delete", res)
		return res, nil
	}
	want, notes := canonical(req.CIDRs)
	res.Notes = notes
	return modify(ctx, deps, req, nl.ID, "named-locations.remove", func(cur graph.NamedLocation) ([]string, []string, []string) {
		var next, removed []string
		for _, c := range cur.CIDRs {
			p, _, err := ParseCIDR(c)
			if err == nil && slices.Contains(want, p) {
				removed = append(removed, c)
				continue
			}
			next = append(next, c)
		}
		return next, removed, nil
	}, res)
}

// modify runs read-modify-write rounds until the change is read back or
// the attempts are spent. change returns the new full list, what it changed
// and what was already so.
func modify(ctx context.Context, deps Deps, req Request, id, action string,
	change func(graph.NamedLocation) (next, changed, present []string), res Result) (Result, error) {
	adding := action == "named-locations.add"
	for attempt := 1; attempt <= deps.Attempts; attempt++ {
		res.Attempts = attempt
		var cur graph.NamedLocation
		if err := deps.call(ctx, func() (err error) { cur, err = deps.Graph.GetNamedLocation(ctx, id); return err }); err != nil {
			return res, fmt.Errorf("reading named location %q: %w", req.Name, hint(err))
		}
		next, changed, present := change(cur)
		res.Location, res.Present = fromGraph(cur), orEmpty(present)
		trustChange := req.Trusted != nil && *req.Trusted != cur.Trusted
		if attempt == 1 || len(changed) > 0 {
			if adding {
				res.Added = orEmpty(changed)
			} else {
				res.Removed = orEmpty(changed)
			}
		}
		if len(changed) == 0 && !trustChange {
			if attempt == 1 {
				res.Outcome = OutcomeUnchanged
				if !adding {
					res.Notes = append(res.Notes, "none of the ranges is in the location")
				}
			} else {
				res.Outcome = OutcomeUpdated // our earlier write is in place
			}
			if attempt > 1 || len(present) > 0 || !adding {
				record(ctx, deps, req, action, res)
			}
			return res, nil
		}
		if len(next) == 0 {
			res.Outcome = OutcomeRefused
			res.Notes = append(res.Notes, "removing every range would leave the location empty, which Graph rejects; delete the location instead (named-locations remove --name without --cidr)")
			record(ctx, deps, req, action, res)
			return res, nil
		}
		if req.DryRun {
			res.Outcome = OutcomeWouldUpdate
			res.Location.CIDRs = next
			if trustChange {
				res.Location.Trusted = *req.Trusted
			}
			record(ctx, deps, req, action, res)
			return res, nil
		}
		upd := graph.IPLocationUpdate{CIDRs: next}
		if trustChange {
			upd.Trusted = req.Trusted
		}
		if err := deps.call(ctx, func() error { return deps.Graph.UpdateIPNamedLocation(ctx, id, upd) }); err != nil {
			if graph.Status(err) == 400 {
				res.Outcome = OutcomeRefused
				res.Notes = append(res.Notes, "Graph refused: "+graphMessage(err))
				record(ctx, deps, req, action, res)
				return res, nil
			}
			res.Outcome = "failed"
			record(ctx, deps, req, action, res)
			return res, fmt.Errorf("updating named location %q: %w", req.Name, hint(err))
		}
		// Read back (a paced call, so at least a second after the write): a
		// concurrent writer that read before our PATCH may have replaced it.
		var after graph.NamedLocation
		if err := deps.call(ctx, func() (err error) { after, err = deps.Graph.GetNamedLocation(ctx, id); return err }); err != nil {
			return res, fmt.Errorf("reading named location %q back: %w", req.Name, hint(err))
		}
		if applied(after, changed, adding) && (!trustChange || after.Trusted == *req.Trusted) {
			res.Outcome, res.Location = OutcomeUpdated, fromGraph(after)
			if attempt > 1 {
				res.Notes = append(res.Notes, fmt.Sprintf("a concurrent change replaced ours %d time(s); merged and written again", attempt-1))
			}
			record(ctx, deps, req, action, res)
			return res, nil
		}
	}
	res.Outcome = OutcomeNotApplied
	res.Notes = append(res.Notes, fmt.Sprintf("after %d attempts the change was still not in place: someone else keeps rewriting this location — try again later", deps.Attempts))
	record(ctx, deps, req, action, res)
	return res, nil
}

func applied(after graph.NamedLocation, changed []string, adding bool) bool {
	for _, c := range changed {
		if slices.Contains(after.CIDRs, c) != adding {
			return false
		}
	}
	return true
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func record(ctx context.Context, deps Deps, req Request, action string, res Result) {
	detail := fmt.Sprintf("added=%s removed=%s attempts=%d", strings.Join(res.Added, ","), strings.Join(res.Removed, ","), res.Attempts)
	deps.Audit.Record(ctx, audit.Entry{Action: action, Target: req.Name, Outcome: res.Outcome, Reason: req.Reason, DryRun: req.DryRun, Detail: detail})
}

func graphMessage(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Message != "" {
		return ge.Message
	}
	return err.Error()
}

// hint adds what to do to common failures.
func hint(err error) error {
	switch graph.Status(err) {
	case 403:
		return fmt.Errorf("%w (the app needs Policy.Read.All, and Policy.ReadWrite.ConditionalAccess to change locations)", err)
	case 429:
		return fmt.Errorf("%w (Conditional Access allows 1 request per second per tenant, shared by every app; try again in a minute)", err)
	}
	return err
}
