package namedloc_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/namedloc"
	"github.com/tenantops/tenantops/shared/op"
)

func newDeps(t testing.TB, throttle bool) (*devtenant.Tenant, namedloc.Deps, *bytes.Buffer) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	deps := namedloc.Deps{}
	if !throttle {
		dt.SetThrottleLimits(devtenant.ThrottleLimits{Disabled: true})
		deps.Pacer = graph.NewPacer(1000, time.Second)
	}
	s, _ := devmode.Apply(app.Settings{}, dt)
	log := &bytes.Buffer{}
	a, err := app.New(s, slog.New(slog.NewJSONHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	deps.Graph, deps.Audit = a.Graph, a.Audit
	return dt, deps, log
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func headOffice(dt *devtenant.Tenant) devtenant.NamedLocation {
	for _, nl := range dt.State(0).NamedLocations {
		if nl.DisplayName == "Head office" {
			return nl
		}
	}
	return devtenant.NamedLocation{}
}

func TestParseCIDR(t *testing.T) {
	tests := []struct{ in, want, note, err string }{
		{in: "203.0.113.0/24", want: "203.0.113.0/24"},
		{in: "203.0.113.10/24", want: "203.0.113.0/24", note: "host bits"},
		{in: "198.51.100.7", want: "198.51.100.7/32", note: "single address"},
		{in: "2001:db8:100::/48", want: "2001:db8:100::/48"},
		{in: "2001:DB8::1", want: "2001:db8::1/128", note: "single address"},
		{in: "0.0.0.0/0", err: "every address"},
		{in: "::ffff:1.2.3.0/120", err: "IPv4-mapped"},
		{in: "10.0.0.0/33", err: "not a valid CIDR"},
		{in: "example.com", err: "neither an IP"},
	}
	for _, tt := range tests {
		got, note, err := namedloc.ParseCIDR(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.in, err, tt.err)
			}
		case err != nil || got != tt.want || !strings.Contains(note, tt.note):
			t.Errorf("%s: %q %q %v", tt.in, got, note, err)
		}
	}
	req := namedloc.Request{Name: "x", CIDRs: []string{"1.2.3.0/24", "bad"}}
	if ie, ok := op.AsInvalid(req.Validate(true)); !ok || ie.Field != "cidrs[1]" {
		t.Errorf("Validate: %v", req.Validate(true))
	}
}

func TestAddRemoveAgainstDevTenant(t *testing.T) {
	dt, deps, log := newDeps(t, false)
	ctx := ctxT(t)
	trusted := true
	// Add to an existing location: merged with what is there.
	res, err := namedloc.Add(ctx, deps, namedloc.Request{Name: "head office", CIDRs: []string{"198.51.100.7", "203.0.113.128/25"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != namedloc.OutcomeUpdated || !slices.Equal(res.Added, []string{"198.51.100.7/32"}) || len(res.Present) != 1 ||
		!strings.Contains(res.Present[0], "within 203.0.113.0/24") {
		t.Fatalf("add: %+v", res)
	}
	if got := headOffice(dt).CIDRs; !slices.Equal(got, []string{"203.0.113.0/24", "2001:db8:100::/48", "198.51.100.7/32"}) {
		t.Fatalf("tenant ranges %v", got)
	}
	// Again: unchanged.
	if res, _ := namedloc.Add(ctx, deps, namedloc.Request{Name: "Head office", CIDRs: []string{"198.51.100.7/32"}}); res.Outcome != namedloc.OutcomeUnchanged {
		t.Fatalf("again: %+v", res)
	}
	// Create, dry run first.
	req := namedloc.Request{Name: "Azure egress", CIDRs: []string{"20.50.1.0/24", "2603:1020::/48"}, Trusted: &trusted}
	req.DryRun = true
	if res, _ := namedloc.Add(ctx, deps, req); res.Outcome != namedloc.OutcomeWouldCreate {
		t.Fatalf("dry run: %+v", res)
	}
	req.DryRun = false
	res, err = namedloc.Add(ctx, deps, req)
	if err != nil || res.Outcome != namedloc.OutcomeCreated || res.Location.ID == "" || !res.Location.Trusted {
		t.Fatalf("create: %+v %v", res, err)
	}
	// Remove one range, then delete the location.
	res, err = namedloc.Remove(ctx, deps, namedloc.Request{Name: "Azure egress", CIDRs: []string{"2603:1020::/48"}})
	if err != nil || res.Outcome != namedloc.OutcomeUpdated || !slices.Equal(res.Location.CIDRs, []string{"20.50.1.0/24"}) {
		t.Fatalf("remove: %+v %v", res, err)
	}
	if res, _ := namedloc.Remove(ctx, deps, namedloc.Request{Name: "Azure egress", CIDRs: []string{"20.50.1.0/24"}}); res.Outcome != namedloc.OutcomeRefused {
		t.Fatalf("emptying: %+v", res)
	}
	if res, err := namedloc.Remove(ctx, deps, namedloc.Request{Name: "Azure egress"}); err != nil || res.Outcome != namedloc.OutcomeDeleted {
		t.Fatalf("delete: %+v %v", res, err)
	}
	if res, _ := namedloc.Remove(ctx, deps, namedloc.Request{Name: "Azure egress"}); res.Outcome != namedloc.OutcomeNotFound || !res.Problem() {
		t.Fatalf("delete again: %+v", res)
	}
	// A location a policy references cannot be deleted; the result says why.
	dt.AddCAPolicy(devtenant.CAPolicy{DisplayName: "Block outside head office", State: "enabled", IncludeUsers: []string{"All"},
		IncludeApplications: []string{"All"}, IncludeLocations: []string{"All"}, ExcludeLocations: []string{devtenant.HeadOfficeLocationID}, GrantControls: []string{"block"}})
	res, _ = namedloc.Remove(ctx, deps, namedloc.Request{Name: "Head office"})
	if res.Outcome != namedloc.OutcomeRefused || !strings.Contains(strings.Join(res.Notes, " "), "Block outside head office") {
		t.Fatalf("delete referenced: %+v", res)
	}
	if n := strings.Count(log.String(), `"audit":true`); n < 7 {
		t.Errorf("%d audit lines", n)
	}
}

// racer replaces the location's ranges right after our PATCH, the way an
// administrator who read before our write would: our change is lost, the
// read-back sees it, and the next round merges both.
type racer struct {
	namedloc.Graph
	dt    *devtenant.Tenant
	fired bool
}

func (r *racer) UpdateIPNamedLocation(ctx context.Context, id string, u graph.IPLocationUpdate) error {
	if err := r.Graph.UpdateIPNamedLocation(ctx, id, u); err != nil {
		return err
	}
	if !r.fired {
		r.fired = true
		r.dt.SetNamedLocationCIDRs(id, []string{"203.0.113.0/24", "2001:db8:100::/48", "192.0.2.55/32"})
	}
	return nil
}

func TestConcurrentChangeIsNotLost(t *testing.T) {
	dt, deps, _ := newDeps(t, false)
	deps.Graph = &racer{Graph: deps.Graph, dt: dt}
	res, err := namedloc.Add(ctxT(t), deps, namedloc.Request{Name: "Head office", CIDRs: []string{"198.51.100.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	got := headOffice(dt).CIDRs
	if res.Outcome != namedloc.OutcomeUpdated || res.Attempts != 2 || !slices.Contains(got, "198.51.100.0/24") || !slices.Contains(got, "192.0.2.55/32") {
		t.Fatalf("result %+v, tenant %v", res, got)
	}
}

// Under the real budget (1 request/second, no Retry-After) the pacing keeps
// every call under the limit: no 429 reaches the tenant's log.
func TestPacedUnderCABudget(t *testing.T) {
	dt, deps, _ := newDeps(t, true)
	if _, err := namedloc.Add(ctxT(t), deps, namedloc.Request{Name: "Head office", CIDRs: []string{"198.51.100.7"}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range dt.Requests() {
		if r.Status == 429 {
			t.Errorf("throttled: %+v", r)
		}
	}
	if n := dt.Count("GET /v1.0/identity/conditionalAccess/namedLocations"); n == 0 {
		t.Errorf("no list request recorded")
	}
}

func ExampleAdd() {
	dt, _ := devtenant.Start(devtenant.Options{})
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)
	res, _ := namedloc.Add(context.Background(), namedloc.Deps{Graph: a.Graph, Audit: a.Audit},
		namedloc.Request{Name: "Head office", CIDRs: []string{"198.51.100.7"}})
	fmt.Println(res.Outcome, res.Added, res.Location.CIDRs)
	// Output: updated [198.51.100.7/32] [203.0.113.0/24 2001:db8:100::/48 198.51.100.7/32]
}
