// Package sessions revokes Entra sign-in sessions ("sign out of all
// sessions"): the first remedy when a credential leaks, after an MFA change,
// or when an account is MFA-enabled but not registered (whoever signs in
// first registers their own device). It works at tenant scale: JSON
// batching, a pacer under the documented write budget, per-item retries that
// honour Retry-After, read-back before retrying an answer that never came,
// and continuation tokens so a 50k-user job fits serverless time limits.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/clock"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// MaxUsers bounds one explicit user list; larger jobs use a group or --all.
const MaxUsers = 100000

// MFAStateEnabledUnregistered selects accounts whose per-user MFA state is
// "enabled" and that have not registered an MFA method.
const MFAStateEnabledUnregistered = "enabled-unregistered"

// Request asks to revoke the sessions of a set of users. Exactly one of
// Users, Group, MFAState or All selects them.
type Request struct {
	// Users are object ids or userPrincipalNames.
	Users []string `json:"users,omitempty"`
	// Group is a group's object id or exact display name; nested groups count.
	Group string `json:"group,omitempty"`
	// MFAState selects by per-user MFA state; only "enabled-unregistered".
	MFAState string `json:"mfaState,omitempty"`
	// All selects every enabled member account. It needs Reason and ConfirmAll.
	All bool `json:"all,omitempty"`
	// ConfirmAll is the explicit confirmation All needs (the CLI's --yes).
	ConfirmAll bool `json:"confirmAll,omitempty"`
	// DryRun resolves the targets and reports what would happen, changing nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Reason is recorded in the audit log (e.g. an incident number).
	Reason string `json:"reason,omitempty"`
	// MaxTargets stops after this many revocations; the result then carries a
	// continuation. 0 = no limit.
	MaxTargets int `json:"maxTargets,omitempty"`
	// TimeLimitSeconds stops dispatching after this long (the context's
	// deadline also applies); the result then carries a continuation.
	TimeLimitSeconds int `json:"timeLimitSeconds,omitempty"`
	// Continuation resumes an earlier run of the same selection.
	Continuation string `json:"continuation,omitempty"`
}

// Validate checks the request without any I/O.
func (r *Request) Validate() error {
	kinds := 0
	for _, set := range []bool{len(r.Users) > 0, r.Group != "", r.MFAState != "", r.All} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return op.Invalid("noTarget", "users", "say whose sessions to revoke: users, a group, mfaState %q, or all", MFAStateEnabledUnregistered)
	case kinds > 1:
		return op.Invalid("conflictingTargets", "", "choose one of users, group, mfaState or all")
	}
	var errs []error
	if len(r.Users) > MaxUsers {
		errs = append(errs, op.Invalid("tooManyUsers", "users", "%d users given; at most %d per request (use a group or all)", len(r.Users), MaxUsers))
	}
	for i, u := range r.Users {
		if err := op.CheckUserRef(strings.TrimSpace(u)); err != nil {
			errs = append(errs, op.Invalid("invalidUser", fmt.Sprintf("users[%d]", i), "%v", err))
		}
	}
	if r.MFAState != "" && r.MFAState != MFAStateEnabledUnregistered {
		errs = append(errs, op.Invalid("invalidMfaState", "mfaState", "mfaState %q is not supported (want %q)", r.MFAState, MFAStateEnabledUnregistered))
	}
	if r.Group != "" && len(r.Group) > 256 {
		errs = append(errs, op.Invalid("invalidGroup", "group", "group name is longer than 256 characters"))
	}
	if r.All && strings.TrimSpace(r.Reason) == "" {
		errs = append(errs, op.Invalid("reasonRequired", "reason", "revoking every account needs a reason for the audit log"))
	}
	if r.All && !r.ConfirmAll && !r.DryRun {
		errs = append(errs, op.Invalid("confirmationRequired", "confirmAll", "revoking every account needs explicit confirmation (confirmAll: true, or --yes)"))
	}
	if len(r.Reason) > 512 {
		errs = append(errs, op.Invalid("invalidReason", "reason", "reason is longer than 512 characters"))
	}
	if r.MaxTargets < 0 || r.TimeLimitSeconds < 0 {
		errs = append(errs, op.Invalid("invalidLimit", "maxTargets", "limits cannot be negative"))
	}
	if r.Continuation != "" {
		t, err := decodeToken(r.Continuation)
		switch {
		case err != nil:
			errs = append(errs, err)
		case t.Spec != r.specHash():
			errs = append(errs, op.Invalid("invalidContinuation", "continuation", "the continuation token belongs to a different selection of users"))
		}
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
	Targets     int `json:"targets"` // rows in this result
	Revoked     int `json:"revoked"`
	WouldRevoke int `json:"wouldRevoke"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	// Remaining targets are left for the continuation.
	Remaining int `json:"remaining"`
}

// Result of a run.
type Result struct {
	DryRun  bool    `json:"dryRun"`
	Reason  string  `json:"reason,omitempty"`
	Summary Summary `json:"summary"`
	Rows    []Row   `json:"rows"`
	// Continuation, when set, finishes the job: send the same request with it.
	Continuation string `json:"continuation,omitempty"`
	// Stopped says why a run ended early: "deadline" or "maxTargets".
	Stopped string `json:"stopped,omitempty"`
}

// Problem reports a partial failure (CLI exit 3).
func (r Result) Problem() bool { return r.Summary.Failed > 0 }

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

// Directory is the part of Graph this operation needs.
type Directory interface {
	GetUsers(ctx context.Context, refs []string) ([]graph.UserResult, error)
	ListUsersPage(ctx context.Context, next string) (graph.UsersPage, error)
	FindGroup(ctx context.Context, idOrName string) (graph.Group, error)
	GroupUsersPage(ctx context.Context, groupID, next string) (graph.UsersPage, error)
	UnregisteredPage(ctx context.Context, next string) (graph.RegistrationPage, error)
	PerUserMFAStates(ctx context.Context, users []string) ([]graph.MFAStateResult, error)
	RevokeSignInSessionsBatch(ctx context.Context, ids []string) ([]graph.RawBatchResult, error)
}

// Deps are the operation's collaborators.
type Deps struct {
	Graph Directory
	Audit *audit.Logger
	// Breakglass lists UPNs or object ids that are never revoked.
	Breakglass []string
	// Progress, if set, is told how many targets are finished of how many.
	Progress func(done, total int)
	// Tuning; zero values take the defaults below.
	Clock       Clock
	Concurrency int           // $batch requests in flight (default 4)
	MaxAttempts int           // per user (default 8)
	RetryBase   time.Duration // first backoff without Retry-After (default 500 ms)
	// RequestTimeout bounds one $batch exchange, retries and read-back included (default 60 s).
	RequestTimeout time.Duration
	// WriteBudgets replace the documented write budgets (tests, other clouds).
	WriteBudgets []Budget
	// ReadBudget replaces the directory read budget.
	ReadBudget *Budget
}

func (d *Deps) defaults() {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Concurrency <= 0 {
		d.Concurrency = 4
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 8
	}
	if d.RetryBase <= 0 {
		d.RetryBase = 500 * time.Millisecond
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 60 * time.Second
	}
	if d.WriteBudgets == nil {
		d.WriteBudgets = []Budget{AppTenantWrites, TenantWrites}
	}
	if d.ReadBudget == nil {
		b := SmallTenantRU
		d.ReadBudget = &b
	}
}

// Run resolves the targets, then revokes them. It fails as a whole only for
// invalid input, an unreadable target selection, or a cancelled context;
// per-user failures are rows.
func Run(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if deps.Graph == nil {
		return Result{}, errors.New("sessions: no Graph client configured")
	}
	deps.defaults()
	res := Result{DryRun: req.DryRun, Reason: req.Reason, Rows: []Row{}}

	deadline, hasDeadline := stopTime(ctx, deps.Clock.Now(), req.TimeLimitSeconds)
	r := &resolver{deps: deps, reads: NewPacer(deps.Clock, *deps.ReadBudget), reports: NewPacer(deps.Clock, Reports)}
	targets, failed, err := r.resolve(ctx, req)
	if err != nil {
		return res, err
	}
	for _, row := range failed {
		res.add(row)
	}
	var tok token
	if req.Continuation != "" {
		tok, _ = decodeToken(req.Continuation)
	}
	work, applied := order(targets, tok)

	e := &executor{deps: deps, req: req, res: &res, pacer: NewPacer(deps.Clock, deps.WriteBudgets...),
		deadline: deadline, hasDeadline: hasDeadline, doneBefore: tok.Done, total: tok.Done + len(work), applied: applied}
	return res, e.run(ctx, work)
}

// stopTime is when to stop dispatching: before the context's deadline (with
// room to finish what is in flight and answer) or after the time limit.
func stopTime(ctx context.Context, now time.Time, limitSeconds int) (time.Time, bool) {
	var at time.Time
	if dl, ok := ctx.Deadline(); ok {
		margin := min(10*time.Second, dl.Sub(now)/10)
		at = dl.Add(-margin)
	}
	if limitSeconds > 0 {
		if l := now.Add(time.Duration(limitSeconds) * time.Second); at.IsZero() || l.Before(at) {
			at = l
		}
	}
	return at, !at.IsZero()
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
			return "still throttled by Graph after every retry " + doing
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
