package sessions

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// fakeDir is an in-memory directory for logic tests; the dev tenant tests
// (in devtenant_test.go) run the same code through the real SDK.
type fakeDir struct {
	users   map[string]graph.User // by lower-case UPN and by id
	revoked []string
	fail    map[string]error
}

func newFakeDir(us ...graph.User) *fakeDir {
	d := &fakeDir{users: map[string]graph.User{}, fail: map[string]error{}}
	for _, u := range us {
		d.users[strings.ToLower(u.UserPrincipalName)] = u
		d.users[u.ID] = u
	}
	return d
}

func (d *fakeDir) GetUser(_ context.Context, ref string) (graph.User, error) {
	u, ok := d.users[strings.ToLower(ref)]
	if !ok {
		u, ok = d.users[ref]
	}
	if !ok {
		return graph.User{}, &graph.Error{Op: "getting user " + ref, StatusCode: 404, Code: "Request_ResourceNotFound"}
	}
	return u, nil
}

func (d *fakeDir) RevokeSignInSessions(_ context.Context, id string) error {
	if err := d.fail[id]; err != nil {
		return err
	}
	d.revoked = append(d.revoked, id)
	return nil
}

const (
	adeleID = "11111111-1111-4111-8111-111111111111"
	guestID = "22222222-2222-4222-8222-222222222222"
	bgID    = "33333333-3333-4333-8333-333333333333"
	offID   = "44444444-4444-4444-8444-444444444444"
)

func dir() *fakeDir {
	return newFakeDir(
		graph.User{ID: adeleID, UserPrincipalName: "adele.vance@contoso.com", UserType: "Member", AccountEnabled: true},
		graph.User{ID: guestID, UserPrincipalName: "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", UserType: "Guest", AccountEnabled: true},
		graph.User{ID: bgID, UserPrincipalName: "breakglass01@contoso.com", UserType: "Member", AccountEnabled: true},
		graph.User{ID: offID, UserPrincipalName: "former@contoso.com", UserType: "Member", AccountEnabled: false},
	)
}

func TestRun(t *testing.T) {
	tests := []struct {
		name        string
		req         Request
		wantStatus  []Status
		wantRevoked []string
		problem     bool
	}{
		{"one user", Request{Users: []string{"adele.vance@contoso.com"}}, []Status{StatusRevoked}, []string{adeleID}, false},
		{"dry run changes nothing", Request{Users: []string{"adele.vance@contoso.com"}, DryRun: true}, []Status{StatusWouldRevoke}, nil, false},
		{"upn and id of the same user collapse", Request{Users: []string{"Adele.Vance@contoso.com", adeleID, "adele.vance@contoso.com"}}, []Status{StatusRevoked}, []string{adeleID}, false},
		{"guest skipped", Request{Users: []string{guestID}}, []Status{StatusSkipped}, nil, false},
		{"break-glass skipped", Request{Users: []string{"breakglass01@contoso.com"}}, []Status{StatusSkipped}, nil, false},
		{"disabled still revoked", Request{Users: []string{"former@contoso.com"}}, []Status{StatusRevoked}, []string{offID}, false},
		{"unknown user is a failed row", Request{Users: []string{"nobody@contoso.com", "adele.vance@contoso.com"}}, []Status{StatusFailed, StatusRevoked}, []string{adeleID}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dir()
			var logs bytes.Buffer
			res, err := Run(context.Background(), Deps{Graph: d, Audit: audit.New(slog.New(slog.NewJSONHandler(&logs, nil)), "test"), Breakglass: []string{"BreakGlass01@contoso.com"}}, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []Status
			for _, r := range res.Rows {
				got = append(got, r.Status)
			}
			if !equal(got, tt.wantStatus) {
				t.Fatalf("statuses = %v, want %v (rows %+v)", got, tt.wantStatus, res.Rows)
			}
			if !equal(d.revoked, tt.wantRevoked) {
				t.Fatalf("revoked = %v, want %v", d.revoked, tt.wantRevoked)
			}
			if res.Problem() != tt.problem {
				t.Fatalf("Problem() = %v", res.Problem())
			}
			if res.Summary.Targets != len(res.Rows) {
				t.Fatalf("summary %+v does not count %d rows", res.Summary, len(res.Rows))
			}
			if n := strings.Count(logs.String(), `"audit":true`); n != len(res.Rows)-res.Summary.Failed+countLookupFailures(res) {
				t.Fatalf("audit lines = %d for rows %+v:\n%s", n, res.Rows, logs.String())
			}
		})
	}
}

// Rows that failed before the user was resolved changed nothing: no audit line.
func countLookupFailures(r Result) int {
	n := 0
	for _, row := range r.Rows {
		if row.Status == StatusFailed && row.ID != "" { // failed at revoke: audited
			n++
		}
	}
	return n
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		code string
	}{
		{"empty", Request{}, "noTarget"},
		{"malformed upn", Request{Users: []string{"not-an-upn"}}, "invalidUser"},
		{"reason too long", Request{Users: []string{adeleID}, Reason: strings.Repeat("x", 513)}, "invalidReason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			ie, ok := op.AsInvalid(err)
			if !ok || ie.Code != tt.code {
				t.Fatalf("Validate() = %v, want code %s", err, tt.code)
			}
			if _, err := Run(context.Background(), Deps{Graph: dir()}, tt.req); err == nil {
				t.Fatal("Run accepted invalid input")
			}
		})
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
