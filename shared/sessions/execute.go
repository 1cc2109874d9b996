package sessions

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
)

// order sorts targets by object id (the continuation cursor's order) and
// keeps what a continuation token says is left. A pending target keeps the
// valid-from time it had before the job, so its revocation can be verified.
func order(targets []graph.User, tok token) (work []graph.User, wasPending map[string]bool) {
	slices.SortFunc(targets, func(a, b graph.User) int { return strings.Compare(a.ID, b.ID) })
	if tok.Spec == "" {
		return targets, nil
	}
	since := make(map[string]time.Time, len(tok.Pending))
	for _, p := range tok.Pending {
		since[p.ID] = p.Since
	}
	wasPending = map[string]bool{}
	for _, u := range targets {
		if t, ok := since[u.ID]; ok {
			wasPending[u.ID] = u.SignInSessionsValidFrom.After(t)
			u.SignInSessionsValidFrom = t
			work = append(work, u)
		} else if u.ID > tok.After {
			work = append(work, u)
		}
	}
	return work, wasPending
}

type executor struct {
	deps              Deps
	req               Request
	res               *Result
	pacer             *Pacer
	deadline          time.Time
	hasDeadline       bool
	doneBefore, total int
	done              int
	// applied marks pending targets of an earlier call that a read-back
	// shows were revoked after all.
	applied map[string]bool
}

// item is one user on its way to a final row.
type item struct {
	u         graph.User
	attempts  int
	notBefore time.Time
	lastErr   error
}

// verdict is what one attempt decided for an item.
type verdict int

const (
	vRevoked verdict = iota
	vFailed
	vRetry
)

type outcome struct {
	it   *item
	v    verdict
	err  error
	wait time.Duration // for vRetry: Graph's Retry-After, or 0 for backoff
}

func (e *executor) run(ctx context.Context, work []graph.User) error {
	var fresh []*item
	for _, u := range work {
		switch {
		case isBreakglass(e.deps.Breakglass, u):
			e.final(ctx, Row{User: u.UserPrincipalName, ID: u.ID, DisplayName: u.DisplayName, Status: StatusSkipped, Reason: "break-glass account: never revoked"})
		case u.IsGuest():
			e.final(ctx, Row{User: u.UserPrincipalName, ID: u.ID, DisplayName: u.DisplayName, Status: StatusSkipped, Reason: "guest account: sessions live in the home tenant; revoke there or block sign-in"})
		case e.applied[u.ID]:
			e.final(ctx, Row{User: u.UserPrincipalName, ID: u.ID, DisplayName: u.DisplayName, Status: StatusRevoked, Reason: "revoked by the previous call (confirmed by reading it back)"})
		case e.req.DryRun:
			e.final(ctx, Row{User: u.UserPrincipalName, ID: u.ID, DisplayName: u.DisplayName, Status: StatusWouldRevoke, Reason: disabledNote(u)})
		default:
			fresh = append(fresh, &item{u: u})
		}
	}
	err := e.execute(ctx, fresh)
	slices.SortStableFunc(e.res.Rows, func(a, b Row) int { return strings.Compare(strings.ToLower(a.User), strings.ToLower(b.User)) })
	return err
}

func disabledNote(u graph.User) string {
	if !u.AccountEnabled {
		return "account is disabled"
	}
	return ""
}

// execute revokes fresh (in id order) in $batch requests of 20, several in
// flight, paced under the write budget. Throttled items wait for their
// Retry-After and go again; items whose answer never came are read back
// first, so nobody is revoked twice.
func (e *executor) execute(ctx context.Context, fresh []*item) error {
	var retryQ []*item
	results := make(chan []outcome, e.deps.Concurrency)
	inflight, taken := 0, 0
	after := ""
	stopReason := ""
	for {
		now := e.deps.Clock.Now()
		if stopReason == "" {
			switch {
			case e.hasDeadline && !now.Before(e.deadline):
				stopReason = "deadline"
			case ctx.Err() != nil:
				stopReason = "deadline"
			case e.req.MaxTargets > 0 && taken >= e.req.MaxTargets && len(fresh) > 0:
				stopReason = "maxTargets"
			}
		}
		// Retries go first; the deadline stops everything, maxTargets only new work.
		var batch []*item
		if stopReason != "deadline" && inflight < e.deps.Concurrency {
			slices.SortFunc(retryQ, func(a, b *item) int { return a.notBefore.Compare(b.notBefore) })
			for len(retryQ) > 0 && len(batch) < graph.MaxBatch && !retryQ[0].notBefore.After(now) {
				batch, retryQ = append(batch, retryQ[0]), retryQ[1:]
			}
			for stopReason == "" && len(fresh) > 0 && len(batch) < graph.MaxBatch &&
				(e.req.MaxTargets == 0 || taken < e.req.MaxTargets) {
				batch, fresh = append(batch, fresh[0]), fresh[1:]
				after = batch[len(batch)-1].u.ID
				taken++
			}
		}
		if len(batch) > 0 {
			if err := e.pacer.Take(ctx, len(batch)); err != nil {
				retryQ = append(retryQ, batch...) // never sent: still pending
				stopReason = "deadline"
				continue
			}
			inflight++
			go func() {
				// A request already on the wire finishes even when the invocation's
				// deadline passes: cancelling it could let Graph apply it after the
				// next call has read the user back, and revoke twice. The deadline
				// only stops dispatch (with margin); this timeout bounds the wait.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.deps.RequestTimeout)
				defer cancel()
				results <- e.send(rctx, batch)
			}()
			continue
		}
		if inflight == 0 {
			if len(retryQ) == 0 && (len(fresh) == 0 || stopReason != "") {
				break
			}
			if stopReason == "deadline" {
				break
			}
			// Only throttled items are left: sleep until the first may go.
			wait := retryQ[0].notBefore.Sub(now)
			for _, it := range retryQ {
				wait = min(wait, it.notBefore.Sub(now))
			}
			if e.hasDeadline {
				wait = min(wait, e.deadline.Sub(now))
			}
			_ = e.deps.Clock.Sleep(ctx, max(wait, time.Millisecond))
			continue
		}
		outs := <-results
		inflight--
		for _, o := range outs {
			switch o.v {
			case vRevoked:
				e.final(ctx, Row{User: o.it.u.UserPrincipalName, ID: o.it.u.ID, DisplayName: o.it.u.DisplayName, Status: StatusRevoked, Reason: disabledNote(o.it.u), Attempts: o.it.attempts})
			case vFailed:
				e.final(ctx, Row{User: o.it.u.UserPrincipalName, ID: o.it.u.ID, DisplayName: o.it.u.DisplayName, Status: StatusFailed, Reason: describe(o.err, "revoking"), Attempts: o.it.attempts})
			case vRetry:
				o.it.lastErr = o.err
				if o.it.attempts >= e.deps.MaxAttempts && ctx.Err() == nil {
					e.final(ctx, Row{User: o.it.u.UserPrincipalName, ID: o.it.u.ID, DisplayName: o.it.u.DisplayName, Status: StatusFailed, Reason: describe(o.err, "revoking"), Attempts: o.it.attempts})
					continue
				}
				wait := o.wait
				if wait > 0 {
					e.pacer.Pause(wait) // Graph is ahead of our count: everyone waits
				} else {
					wait = backoff(e.deps.RetryBase, o.it.attempts)
				}
				o.it.notBefore = e.deps.Clock.Now().Add(wait)
				retryQ = append(retryQ, o.it)
			}
		}
	}
	if stopReason != "" && (len(fresh) > 0 || len(retryQ) > 0) {
		pend := make([]pending, 0, len(retryQ))
		for _, it := range retryQ {
			pend = append(pend, pending{ID: it.u.ID, Since: it.u.SignInSessionsValidFrom})
		}
		slices.SortFunc(pend, func(a, b pending) int { return strings.Compare(a.ID, b.ID) })
		e.res.Stopped = stopReason
		e.res.Summary.Remaining = len(fresh) + len(retryQ)
		e.res.Continuation = token{V: 1, Spec: e.req.specHash(), After: after, Pending: pend, Done: e.doneBefore + e.done}.encode()
	}
	return nil
}

// send revokes one batch and decides each item; it reads back items whose
// outcome is unknown (no answer, 5xx) instead of blindly sending them again.
func (e *executor) send(ctx context.Context, batch []*item) []outcome {
	ids := make([]string, len(batch))
	for i, it := range batch {
		it.attempts++
		ids[i] = it.u.ID
	}
	outs := make([]outcome, len(batch))
	res, err := e.deps.Graph.RevokeSignInSessionsBatch(ctx, ids)
	var unknown []int
	for i, it := range batch {
		outs[i].it = it
		ierr := err
		if err == nil {
			ierr = res[i].Err
		}
		switch st := graph.Status(ierr); {
		case ierr == nil:
			outs[i].v = vRevoked
		case st == 429:
			outs[i].v, outs[i].err = vRetry, ierr
			outs[i].wait, _ = graph.RetryAfterOf(ierr)
		case st == 0 || st >= 500:
			// The request may have been applied before the answer was lost.
			outs[i].v, outs[i].err = vRetry, ierr
			unknown = append(unknown, i)
		default:
			outs[i].v, outs[i].err = vFailed, ierr
		}
	}
	if len(unknown) > 0 && ctx.Err() == nil {
		e.readBack(ctx, batch, outs, unknown)
	}
	return outs
}

// readBack marks as revoked the unknown items whose sign-in sessions are
// already valid only from a newer time than before this run.
func (e *executor) readBack(ctx context.Context, batch []*item, outs []outcome, unknown []int) {
	ids := make([]string, len(unknown))
	for j, i := range unknown {
		ids[j] = batch[i].u.ID
	}
	got, err := e.deps.Graph.GetUsers(ctx, ids)
	if err != nil {
		return // still unknown: retried after a backoff and read back again
	}
	for j, i := range unknown {
		if got[j].Err == nil && got[j].User.SignInSessionsValidFrom.After(batch[i].u.SignInSessionsValidFrom) {
			outs[i].v, outs[i].err = vRevoked, nil
		}
	}
}

// final records a finished row: audit line, result, progress.
func (e *executor) final(ctx context.Context, row Row) {
	e.res.add(row)
	e.deps.Audit.Record(ctx, audit.Entry{Action: "sessions.revoke", Target: row.User, Outcome: string(row.Status), Reason: e.req.Reason, DryRun: e.req.DryRun, Detail: row.Reason})
	e.done++
	if e.deps.Progress != nil {
		e.deps.Progress(e.doneBefore+e.done, e.total)
	}
}
