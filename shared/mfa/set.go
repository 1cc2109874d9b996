package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// MaxSetUsers bounds one `mfa set` request.
const MaxSetUsers = 50000

// SetRequest asks to set the per-user MFA state of some users.
type SetRequest struct {
	// Users are object ids or userPrincipalNames.
	Users []string `json:"users"`
	// State is disabled, enabled or enforced.
	State  string `json:"state"`
	DryRun bool   `json:"dryRun,omitempty"`
	// Reason is recorded in the audit log (e.g. a change number).
	Reason string `json:"reason,omitempty"`
}

// Validate checks the request without I/O.
func (r *SetRequest) Validate() error {
	var errs []error
	if !validState(r.State) {
		errs = append(errs, op.Invalid("invalidState", "state", "%q is not a per-user MFA state (want disabled, enabled or enforced)", r.State))
	}
	switch {
	case len(r.Users) == 0:
		errs = append(errs, op.Invalid("noTarget", "users", "name at least one user (object id or userPrincipalName)"))
	case len(r.Users) > MaxSetUsers:
		errs = append(errs, op.Invalid("tooManyUsers", "users", "%d users given; at most %d per request", len(r.Users), MaxSetUsers))
	}
	bad := 0
	for i, u := range r.Users {
		if err := op.CheckUserRef(strings.TrimSpace(u)); err != nil {
			if bad++; bad <= 10 {
				errs = append(errs, op.Invalid("invalidUser", fmt.Sprintf("users[%d]", i), "%v", err))
			}
		}
	}
	if bad > 10 {
		errs = append(errs, op.Invalid("invalidUser", "users", "%d more invalid users not shown", bad-10))
	}
	if len(r.Reason) > 512 {
		errs = append(errs, op.Invalid("invalidReason", "reason", "reason is longer than 512 characters"))
	}
	return errors.Join(errs...)
}

// SetStatus is the outcome for one user.
type SetStatus string

// Statuses of a set row.
const (
	StatusChanged     SetStatus = "changed"
	StatusWouldChange SetStatus = "would-change"
	StatusUnchanged   SetStatus = "unchanged"
	StatusSkipped     SetStatus = "skipped"
	StatusFailed      SetStatus = "failed"
	// StatusNotApplied: Graph accepted the write (2xx) but reading it back
	// shows the old state — the write did not stick.
	StatusNotApplied SetStatus = "not-applied"
)

// SetRow is the outcome for one target.
type SetRow struct {
	User        string    `json:"user"`
	ID          string    `json:"id,omitempty"`
	DisplayName string    `json:"displayName,omitempty"`
	Before      string    `json:"before,omitempty"`
	After       string    `json:"after,omitempty"` // as read back
	Status      SetStatus `json:"status"`
	Reason      string    `json:"reason,omitempty"`
}

// SetSummary counts rows by status.
type SetSummary struct {
	Targets     int `json:"targets"`
	Changed     int `json:"changed"`
	WouldChange int `json:"wouldChange"`
	Unchanged   int `json:"unchanged"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	NotApplied  int `json:"notApplied"`
}

// SetResult of a run.
type SetResult struct {
	State   string     `json:"state"`
	DryRun  bool       `json:"dryRun"`
	Reason  string     `json:"reason,omitempty"`
	Summary SetSummary `json:"summary"`
	Rows    []SetRow   `json:"rows"`
}

// Problem reports failures and writes that did not stick (CLI exit 3).
func (r SetResult) Problem() bool { return r.Summary.Failed > 0 || r.Summary.NotApplied > 0 }

// SetGraph is the part of Graph a set needs.
type SetGraph interface {
	GetUsers(ctx context.Context, refs []string) ([]graph.UserResult, error)
	PerUserMFAStates(ctx context.Context, users []string) ([]graph.MFAStateResult, error)
	SetPerUserMFAStates(ctx context.Context, users []string, state string) ([]graph.MFAStateResult, error)
}

// SetDeps are the collaborators of Set.
type SetDeps struct {
	Graph SetGraph
	Audit *audit.Logger
	// Breakglass lists UPNs or object ids that are never changed.
	Breakglass []string
	// Directory paces requests in resource units (default: 3,150 per 10 s,
	// 90 % of a small tenant's budget).
	Directory *graph.Pacer
	// ReadBack is how long to wait before reading a write back, doubled on
	// each of up to three reads (default 1 s): replication is not instant.
	ReadBack time.Duration
}

type target struct {
	row SetRow
	ok  bool // still in play
}

// Set changes per-user MFA states in $batch chunks of 20 and reads every
// write back. It fails as a whole only for invalid input or a cancelled
// context; per-user outcomes are rows.
func Set(ctx context.Context, deps SetDeps, req SetRequest) (SetResult, error) {
	if err := req.Validate(); err != nil {
		return SetResult{}, err
	}
	if deps.Graph == nil {
		return SetResult{}, errors.New("mfa set: no Graph client configured")
	}
	if deps.Directory == nil {
		deps.Directory = graph.NewPacer(graph.DirectoryRUPer10s(0, false)*9/10, 10*time.Second)
	}
	if deps.ReadBack <= 0 {
		deps.ReadBack = time.Second
	}
	res := SetResult{State: req.State, DryRun: req.DryRun, Reason: req.Reason, Rows: []SetRow{}}

	// Resolve, dropping duplicates by reference and then by object id.
	var refs []string
	seen := map[string]bool{}
	for _, r := range req.Users {
		r = strings.TrimSpace(r)
		if !seen[strings.ToLower(r)] {
			seen[strings.ToLower(r)] = true
			refs = append(refs, r)
		}
	}
	var targets []*target
	seenID := map[string]bool{}
	for start := 0; start < len(refs); start += graph.MaxBatch {
		chunk := refs[start:min(start+graph.MaxBatch, len(refs))]
		rs, err := batchRetry(ctx, deps.Directory, chunk, func(c []string) ([]graph.UserResult, error) { return deps.Graph.GetUsers(ctx, c) },
			func(r graph.UserResult) error { return r.Err })
		if err != nil {
			return res, fmt.Errorf("resolving users: %w", err)
		}
		for _, r := range rs {
			if r.Err != nil {
				reason := describeSet(r.Err, "looking up the user")
				if graph.IsNotFound(r.Err) {
					reason = "user not found in the tenant"
				}
				targets = append(targets, &target{row: SetRow{User: r.Ref, Status: StatusFailed, Reason: reason}})
				continue
			}
			if seenID[strings.ToLower(r.User.ID)] {
				continue
			}
			seenID[strings.ToLower(r.User.ID)] = true
			t := &target{row: SetRow{User: r.User.UserPrincipalName, ID: r.User.ID, DisplayName: r.User.DisplayName}, ok: true}
			switch {
			case isBreakglass(deps.Breakglass, r.User):
				t.row.Status, t.row.Reason, t.ok = StatusSkipped, "break-glass account: never changed", false
			case r.User.IsGuest():
				t.row.Status, t.row.Reason, t.ok = StatusSkipped, "guest account: per-user MFA does not apply; require MFA for guests with Conditional Access", false
			}
			targets = append(targets, t)
		}
	}

	// Read the current state.
	live := inPlay(targets)
	readStatesInto(ctx, deps, live, func(t *target, st string) { t.row.Before = st }, func(t *target, err error) {
		t.row.Status, t.row.Reason, t.ok = StatusFailed, describeSet(err, "reading the current state"), false
	})
	for _, t := range inPlay(targets) {
		switch {
		case t.row.Before == req.State:
			t.row.Status, t.row.After, t.ok = StatusUnchanged, t.row.Before, false
		case req.DryRun:
			t.row.Status, t.ok = StatusWouldChange, false
			if req.State == graph.PerUserMFAEnforced {
				t.row.Reason = "enforced blocks legacy-protocol sign-ins at once; users without a registered method are interrupted"
			}
		}
	}

	// Write.
	live = inPlay(targets)
	for start := 0; start < len(live); start += graph.MaxBatch {
		chunk := live[start:min(start+graph.MaxBatch, len(live))]
		ids := make([]string, len(chunk))
		for i, t := range chunk {
			ids[i] = t.row.ID
		}
		rs, err := batchRetry(ctx, deps.Directory, ids, func(c []string) ([]graph.MFAStateResult, error) {
			return deps.Graph.SetPerUserMFAStates(ctx, c, req.State)
		}, func(r graph.MFAStateResult) error { return r.Err })
		if err != nil {
			return finish(ctx, deps, req, res, targets), fmt.Errorf("setting per-user MFA: %w", err)
		}
		for i, r := range rs {
			if r.Err != nil {
				chunk[i].row.Status, chunk[i].row.Reason, chunk[i].ok = StatusFailed, describeSet(r.Err, "writing"), false
			}
		}
	}

	// Read every write back; a 2xx proves nothing (Graph ignores a mis-cased
	// property and still answers 204).
	delay := deps.ReadBack
	for attempt := 1; attempt <= 3 && len(inPlay(targets)) > 0; attempt++ {
		if err := sleep(ctx, delay); err != nil {
			return finish(ctx, deps, req, res, targets), err
		}
		delay *= 2
		readStatesInto(ctx, deps, inPlay(targets), func(t *target, st string) {
			t.row.After = st
			if applied(req.State, t.row.Before, st) {
				t.row.Status, t.ok = StatusChanged, false
				if st != req.State {
					t.row.Reason = "Entra switched enabled to enforced: the user has a registered MFA method"
				}
			}
		}, func(t *target, err error) {
			if attempt == 3 {
				t.row.Status, t.row.Reason, t.ok = StatusFailed, describeSet(err, "reading the write back"), false
			}
		})
	}
	for _, t := range inPlay(targets) {
		t.row.Status, t.ok = StatusNotApplied, false
		t.row.Reason = fmt.Sprintf("Graph accepted the write but the state read back is still %q: the write did not stick — check the account and run again", t.row.After)
		if req.State == graph.PerUserMFAEnabled && t.row.After == graph.PerUserMFAEnforced {
			t.row.Reason = "still enforced: Entra keeps users who registered a method enforced when set to enabled — or the write did not stick"
		}
	}
	return finish(ctx, deps, req, res, targets), nil
}

// applied: the state read back shows the write took effect. Setting enabled
// on a registered user yields enforced — visible as a change from the
// previous state.
func applied(want, before, after string) bool {
	if after == want {
		return true
	}
	return want == graph.PerUserMFAEnabled && after == graph.PerUserMFAEnforced && before != graph.PerUserMFAEnforced
}

func inPlay(ts []*target) []*target {
	var out []*target
	for _, t := range ts {
		if t.ok {
			out = append(out, t)
		}
	}
	return out
}

func readStatesInto(ctx context.Context, deps SetDeps, ts []*target, got func(*target, string), failed func(*target, error)) {
	for start := 0; start < len(ts); start += graph.MaxBatch {
		chunk := ts[start:min(start+graph.MaxBatch, len(ts))]
		ids := make([]string, len(chunk))
		for i, t := range chunk {
			ids[i] = t.row.ID
		}
		rs, err := batchRetry(ctx, deps.Directory, ids, func(c []string) ([]graph.MFAStateResult, error) { return deps.Graph.PerUserMFAStates(ctx, c) },
			func(r graph.MFAStateResult) error { return r.Err })
		for i, t := range chunk {
			switch {
			case err != nil:
				failed(t, err)
			case rs[i].Err != nil:
				failed(t, rs[i].Err)
			default:
				got(t, rs[i].State)
			}
		}
	}
}

func finish(ctx context.Context, deps SetDeps, req SetRequest, res SetResult, targets []*target) SetResult {
	for _, t := range targets {
		if t.ok { // interrupted before an outcome
			t.row.Status, t.row.Reason = StatusFailed, "interrupted: "+context.Cause(ctx).Error()
		}
		r := t.row
		res.Rows = append(res.Rows, r)
		res.Summary.Targets++
		switch r.Status {
		case StatusChanged:
			res.Summary.Changed++
		case StatusWouldChange:
			res.Summary.WouldChange++
		case StatusUnchanged:
			res.Summary.Unchanged++
		case StatusSkipped:
			res.Summary.Skipped++
		case StatusFailed:
			res.Summary.Failed++
		case StatusNotApplied:
			res.Summary.NotApplied++
		}
		detail := r.Reason
		if r.Before != "" {
			detail = strings.TrimSpace(fmt.Sprintf("%s -> %s; %s", r.Before, req.State, r.Reason))
			detail = strings.TrimSuffix(detail, ";")
		}
		deps.Audit.Record(ctx, audit.Entry{Action: "mfa.set", Target: r.User, Outcome: string(r.Status), Reason: req.Reason, DryRun: req.DryRun, Detail: detail})
	}
	return res
}

// batchRetry runs call over items (≤ MaxBatch), retrying throttled and
// transient items after the longest Retry-After (or an exponential backoff)
// up to 5 times. The batch-level error ends it.
func batchRetry[R any](ctx context.Context, p *graph.Pacer, items []string, call func([]string) ([]R, error), errOf func(R) error) ([]R, error) {
	out := make([]R, len(items))
	todo := make([]int, len(items))
	for i := range items {
		todo[i] = i
	}
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		if err := p.WaitN(ctx, len(todo)); err != nil {
			return nil, err
		}
		sub := make([]string, len(todo))
		for k, i := range todo {
			sub[k] = items[i]
		}
		rs, err := call(sub)
		if err != nil {
			if graph.Retryable(err) && attempt < 5 {
				if err := sleep(ctx, backoff); err != nil {
					return nil, err
				}
				backoff *= 2
				continue
			}
			return nil, err
		}
		var again []int
		var wait time.Duration
		for k, i := range todo {
			out[i] = rs[k]
			if e := errOf(rs[k]); e != nil && graph.Retryable(e) && attempt < 5 {
				again = append(again, i)
				if ra, ok := graph.RetryAfterOf(e); ok {
					wait = max(wait, ra)
				}
			}
		}
		if len(again) == 0 {
			return out, nil
		}
		if wait == 0 {
			wait = backoff
			backoff *= 2
		}
		p.Pause(wait)
		todo = again
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
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

func describeSet(err error, doing string) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		switch ge.StatusCode {
		case 403:
			return "permission denied " + doing + ": the app needs Policy.ReadWrite.AuthenticationMethod (and Policy.Read.All to read)"
		case 404:
			return "user not found in the tenant"
		case 429:
			return "throttled by Graph " + doing + "; run again later"
		}
	}
	return doing + ": " + describe(err)
}
