// Package sessions revokes Entra sign-in sessions: the first remedy when a
// credential leaks or an account is MFA-enabled but not yet registered.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// MaxUsers bounds one explicit user list (larger jobs use the bulk targets).
const MaxUsers = 10000

// Request asks to revoke the sessions of some users.
type Request struct {
	// Users are object ids or userPrincipalNames.
	Users []string `json:"users"`
	// DryRun resolves the targets and reports what would happen, changing nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Reason is recorded in the audit log (e.g. an incident number).
	Reason string `json:"reason,omitempty"`
}

// Validate checks the request without any I/O.
func (r *Request) Validate() error {
	if len(r.Users) == 0 {
		return op.Invalid("noTarget", "users", "name at least one user (object id or userPrincipalName)")
	}
	if len(r.Users) > MaxUsers {
		return op.Invalid("tooManyUsers", "users", "%d users given; at most %d per request", len(r.Users), MaxUsers)
	}
	var errs []error
	for i, u := range r.Users {
		if err := op.CheckUserRef(strings.TrimSpace(u)); err != nil {
			errs = append(errs, op.Invalid("invalidUser", fmt.Sprintf("users[%d]", i), "%v", err))
		}
	}
	if len(r.Reason) > 512 {
		errs = append(errs, op.Invalid("invalidReason", "reason", "reason is longer than 512 characters"))
	}
	return errors.Join(errs...)
}

// Status of one user's revocation.
type Status string

// Row statuses.
const (
	StatusRevoked     Status = "revoked"
	StatusWouldRevoke Status = "would-revoke"
	StatusSkipped     Status = "skipped"
	StatusFailed      Status = "failed"
)

// Row is the outcome for one target.
type Row struct {
	User        string `json:"user"`
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Status      Status `json:"status"`
	Reason      string `json:"reason,omitempty"`
	Attempts    int    `json:"attempts"`
}

// Summary counts rows by status.
type Summary struct {
	Targets     int `json:"targets"`
	Revoked     int `json:"revoked"`
	WouldRevoke int `json:"wouldRevoke"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
}

// Result of a run.
type Result struct {
	DryRun  bool    `json:"dryRun"`
	Reason  string  `json:"reason,omitempty"`
	Summary Summary `json:"summary"`
	Rows    []Row   `json:"rows"`
}

// Problem reports a partial failure (CLI exit 3).
func (r Result) Problem() bool { return r.Summary.Failed > 0 }

// Directory is the part of Graph this operation needs.
type Directory interface {
	GetUser(ctx context.Context, idOrUPN string) (graph.User, error)
	RevokeSignInSessions(ctx context.Context, userID string) error
}

// Deps are the operation's collaborators.
type Deps struct {
	Graph Directory
	Audit *audit.Logger
	// Breakglass lists UPNs or object ids that are never revoked.
	Breakglass []string
}

// Run revokes the sessions of req.Users, one row per distinct account.
// It resolves every target first, so a UPN and an object id naming the same
// account collapse before anything changes. It fails as a whole only for
// invalid input or a cancelled context; per-user failures are rows.
func Run(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if deps.Graph == nil {
		return Result{}, errors.New("sessions: no Graph client configured")
	}
	res := Result{DryRun: req.DryRun, Reason: req.Reason, Rows: []Row{}}
	seenRef, seenID := map[string]bool{}, map[string]bool{}
	var targets []graph.User
	for _, ref := range req.Users {
		ref = strings.TrimSpace(ref)
		if seenRef[strings.ToLower(ref)] {
			continue
		}
		seenRef[strings.ToLower(ref)] = true
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("resolving users: %w", err)
		}
		u, err := deps.Graph.GetUser(ctx, ref)
		if err != nil {
			res.add(Row{User: ref, Status: StatusFailed, Reason: describe(err, "looking up the user")})
			continue
		}
		if seenID[u.ID] {
			continue
		}
		seenID[u.ID] = true
		targets = append(targets, u)
	}
	for _, u := range targets {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("revoking sessions: %w", err)
		}
		res.add(revokeOne(ctx, deps, req, u))
	}
	return res, nil
}

func (r *Result) add(row Row) {
	r.Rows = append(r.Rows, row)
	r.Summary.Targets++
	switch row.Status {
	case StatusRevoked:
		r.Summary.Revoked++
	case StatusWouldRevoke:
		r.Summary.WouldRevoke++
	case StatusSkipped:
		r.Summary.Skipped++
	case StatusFailed:
		r.Summary.Failed++
	}
}

func revokeOne(ctx context.Context, deps Deps, req Request, u graph.User) Row {
	row := Row{User: u.UserPrincipalName, ID: u.ID, DisplayName: u.DisplayName}
	switch {
	case isBreakglass(deps.Breakglass, u):
		row.Status, row.Reason = StatusSkipped, "break-glass account: never revoked"
	case u.IsGuest():
		row.Status, row.Reason = StatusSkipped, "guest account: sessions live in the home tenant; revoke there or block sign-in"
	case req.DryRun:
		row.Status = StatusWouldRevoke
		if !u.AccountEnabled {
			row.Reason = "account is disabled; revoking still ends its existing sessions"
		}
	default:
		row.Attempts = 1
		if err := deps.Graph.RevokeSignInSessions(ctx, u.ID); err != nil {
			row.Status, row.Reason = StatusFailed, describe(err, "revoking")
		} else {
			row.Status = StatusRevoked
			if !u.AccountEnabled {
				row.Reason = "account is disabled"
			}
		}
	}
	deps.Audit.Record(ctx, audit.Entry{Action: "sessions.revoke", Target: u.UserPrincipalName, Outcome: string(row.Status), Reason: req.Reason, DryRun: req.DryRun, Detail: row.Reason})
	return row
}

func isBreakglass(list []string, u graph.User) bool {
	for _, b := range list {
		b = strings.TrimSpace(b)
		if strings.EqualFold(b, u.UserPrincipalName) || strings.EqualFold(b, u.ID) {
			return true
		}
	}
	return false
}

// describe turns an error into a reason a person can act on.
func describe(err error, doing string) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		switch ge.StatusCode {
		case 404:
			return "user not found in the tenant"
		case 403:
			return "permission denied " + doing + ": the app needs User.RevokeSessions.All (or Directory.ReadWrite.All)"
		case 429:
			return "throttled by Graph " + doing + "; try again later"
		}
		if ge.StatusCode != 0 {
			msg := fmt.Sprintf("Graph answered %d %s %s", ge.StatusCode, ge.Code, doing)
			if ge.RequestID != "" {
				msg += " (request-id " + ge.RequestID + ")"
			}
			return msg
		}
	}
	return doing + ": " + err.Error()
}
