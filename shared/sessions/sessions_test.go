package sessions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

const adeleID = "11111111-1111-4111-8111-111111111111"

func TestValidate(t *testing.T) {
	tok := token{V: 1, Spec: (&Request{Group: "Finance"}).specHash(), After: adeleID}.encode()
	tests := []struct {
		name string
		req  Request
		code string // "" = valid
	}{
		{"users", Request{Users: []string{"adele.vance@contoso.com", adeleID}}, ""},
		{"group", Request{Group: "Finance"}, ""},
		{"mfa state", Request{MFAState: MFAStateEnabledUnregistered}, ""},
		{"all with reason and confirmation", Request{All: true, Reason: "INC-1", ConfirmAll: true}, ""},
		{"all dry run needs no confirmation", Request{All: true, Reason: "INC-1", DryRun: true}, ""},
		{"continuation of the same selection", Request{Group: "finance", Continuation: tok}, ""},
		{"nothing", Request{}, "noTarget"},
		{"two selections", Request{Users: []string{adeleID}, Group: "Finance"}, "conflictingTargets"},
		{"malformed upn", Request{Users: []string{"not-an-upn"}}, "invalidUser"},
		{"unknown mfa state", Request{MFAState: "enforced"}, "invalidMfaState"},
		{"all without reason", Request{All: true, ConfirmAll: true}, "reasonRequired"},
		{"all without confirmation", Request{All: true, Reason: "INC-1"}, "confirmationRequired"},
		{"reason too long", Request{Users: []string{adeleID}, Reason: strings.Repeat("x", 513)}, "invalidReason"},
		{"negative limit", Request{Users: []string{adeleID}, MaxTargets: -1}, "invalidLimit"},
		{"garbage continuation", Request{Group: "Finance", Continuation: "!!"}, "invalidContinuation"},
		{"continuation of another selection", Request{Group: "Sales", Continuation: tok}, "invalidContinuation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			ie, ok := op.AsInvalid(err)
			if !ok || ie.Code != tt.code {
				t.Fatalf("Validate() = %v, want code %s", err, tt.code)
			}
			if _, err := Run(context.Background(), Deps{}, tt.req); err == nil {
				t.Fatal("Run accepted invalid input")
			}
		})
	}
}

func TestParseUserList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		code     string
	}{
		{"one per line", "adele.vance@contoso.com\n\n# comment\n  alex.wilber@contoso.com  \n", []string{"adele.vance@contoso.com", "alex.wilber@contoso.com"}, ""},
		{"csv with header", "DisplayName,UserPrincipalName\nAdele,adele.vance@contoso.com\nAlex,alex.wilber@contoso.com\n", []string{"adele.vance@contoso.com", "alex.wilber@contoso.com"}, ""},
		{"excel semicolons and bom", "\xef\xbb\xbfName;UPN\r\nAdele;adele.vance@contoso.com\r\n", []string{"adele.vance@contoso.com"}, ""},
		{"single column header", "objectId\n" + adeleID + "\n", []string{adeleID}, ""},
		{"quoted csv", "\"Id\",\"Note\"\n\"" + adeleID + "\",\"a, b\"\n", []string{adeleID}, ""},
		{"csv without user column", "Name,Department\nAdele,Retail\n", nil, "invalidUserList"},
		{"empty", "\n# nothing\n", nil, "emptyUserList"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUserList(strings.NewReader(tt.in))
			if tt.code != "" {
				if ie, ok := op.AsInvalid(err); !ok || ie.Code != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestPacerStaysUnderBudget spends a budget in small and batch-sized takes
// and checks that no window of the budget's length ever carries more than
// the budget, and that the pacer does not leave much of it unused.
func TestPacerStaysUnderBudget(t *testing.T) {
	for _, size := range []int{1, 7, graph.MaxBatch} {
		clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
		start := clock.now
		b := Budget{Count: 300, Window: 15 * time.Second}
		p := NewPacer(clock, b)
		var at []time.Time
		for sent := 0; sent < 3000; sent += size {
			if err := p.Take(context.Background(), size); err != nil {
				t.Fatal(err)
			}
			for range size {
				at = append(at, clock.now)
			}
		}
		// Graph's bucket: full at start, refilled continuously.
		for i := range at {
			elapsed := at[i].Sub(start).Seconds()
			if allowed := float64(b.Count) + elapsed*float64(b.Count)/b.Window.Seconds(); float64(i+1) > allowed+0.001 {
				t.Fatalf("size %d: request %d at %.2fs exceeds the bucket (allowed %.1f)", size, i+1, elapsed, allowed)
			}
		}
		ceiling := float64(len(at)-b.Count) / (float64(b.Count) / b.Window.Seconds())
		if got := at[len(at)-1].Sub(start).Seconds(); got > ceiling/0.95 {
			t.Fatalf("size %d: %d requests took %.1fs; the budget allows %.1fs", size, len(at), got, ceiling)
		}
	}
}

func TestPacerPause(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	p := NewPacer(clock, Budget{Count: 100, Window: time.Second})
	p.Pause(2500 * time.Millisecond)
	start := clock.now
	if err := p.Take(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if waited := clock.now.Sub(start); waited < 2500*time.Millisecond {
		t.Fatalf("Take returned %v into a 2.5s pause", waited)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	in := token{V: 1, Spec: "abc", After: adeleID, Pending: []pending{{ID: "x"}}, Done: 42}
	out, err := decodeToken(in.encode())
	if err != nil || out.After != in.After || out.Done != 42 || len(out.Pending) != 1 {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	if (&Request{Users: []string{"A@contoso.com", "b@contoso.com"}}).specHash() != (&Request{Users: []string{"b@contoso.com", "a@contoso.com", "a@contoso.com"}}).specHash() {
		t.Fatal("spec hash depends on order, case or duplicates")
	}
}
