package sessions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// resolver turns a Request's selection into users.
type resolver struct {
	deps           Deps
	reads, reports *Pacer
}

// resolve returns the distinct target users and failed rows for references
// that could not be resolved.
func (r *resolver) resolve(ctx context.Context, req Request) ([]graph.User, []Row, error) {
	switch {
	case len(req.Users) > 0:
		return r.explicit(ctx, req.Users)
	case req.Group != "":
		us, err := r.group(ctx, req.Group)
		return us, nil, err
	case req.MFAState != "":
		return r.enabledUnregistered(ctx)
	default:
		us, err := r.pages(ctx, 1, func(ctx context.Context, next string) (graph.UsersPage, error) {
			return r.deps.Graph.ListUsersPage(ctx, next)
		})
		// --all means every enabled member: guests' sessions live at home, and
		// disabled accounts cannot sign in.
		return slices.DeleteFunc(us, func(u graph.User) bool { return !u.AccountEnabled || u.IsGuest() }), nil, err
	}
}

// explicit looks users up 20 per $batch; a UPN and an object id naming the
// same account collapse.
func (r *resolver) explicit(ctx context.Context, refs []string) ([]graph.User, []Row, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if k := strings.ToLower(ref); !seen[k] {
			seen[k] = true
			uniq = append(uniq, ref)
		}
	}
	var mu sync.Mutex
	found := map[string]graph.User{}
	var failed []Row
	err := r.chunked(ctx, uniq, func(ctx context.Context, chunk []string) (map[string]error, error) {
		res, err := r.deps.Graph.GetUsers(ctx, chunk)
		if err != nil {
			return nil, err
		}
		retry := map[string]error{}
		mu.Lock()
		defer mu.Unlock()
		for _, ur := range res {
			switch {
			case ur.Err == nil:
				found[ur.User.ID] = ur.User
			case graph.Retryable(ur.Err):
				retry[ur.Ref] = ur.Err
			default:
				failed = append(failed, Row{User: ur.Ref, Status: StatusFailed, Reason: describe(ur.Err, "looking up the user")})
			}
		}
		return retry, nil
	}, func(ref string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, Row{User: ref, Status: StatusFailed, Reason: describe(err, "looking up the user")})
	})
	users := make([]graph.User, 0, len(found))
	for _, u := range found {
		users = append(users, u)
	}
	return users, failed, err
}

func (r *resolver) group(ctx context.Context, name string) ([]graph.User, error) {
	if err := r.reads.Take(ctx, 1); err != nil {
		return nil, err
	}
	g, err := r.deps.Graph.FindGroup(ctx, name)
	if graph.IsNotFound(err) {
		return nil, op.Invalid("groupNotFound", "group", "no group %q in the tenant", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding group %q: %w", name, err)
	}
	us, err := r.pages(ctx, 4, func(ctx context.Context, next string) (graph.UsersPage, error) {
		return r.deps.Graph.GroupUsersPage(ctx, g.ID, next)
	})
	// A user reachable through two nested groups is listed twice.
	slices.SortFunc(us, func(a, b graph.User) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(us, func(a, b graph.User) bool { return a.ID == b.ID }), err
}

// enabledUnregistered joins the registration report (not registered for MFA)
// with each candidate's per-user MFA state (enabled).
func (r *resolver) enabledUnregistered(ctx context.Context) ([]graph.User, []Row, error) {
	var candidates []string
	next := ""
	for {
		if err := r.reports.Take(ctx, 1); err != nil {
			return nil, nil, err
		}
		page, err := withRetry(ctx, r.deps, func() (graph.RegistrationPage, error) { return r.deps.Graph.UnregisteredPage(ctx, next) })
		if graph.IsForbidden(err) {
			return nil, nil, fmt.Errorf("cannot read the MFA registration report (userRegistrationDetails): the app needs AuditLog.Read.All and the tenant needs a Microsoft Entra ID P1 or P2 licence: %w", err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the MFA registration report: %w", err)
		}
		for _, d := range page.Details {
			if !d.IsMfaRegistered {
				candidates = append(candidates, d.ID)
			}
		}
		if next = page.Next; next == "" {
			break
		}
	}
	var mu sync.Mutex
	var enabled []string
	var failed []Row
	var forbidden error
	err := r.chunked(ctx, candidates, func(ctx context.Context, chunk []string) (map[string]error, error) {
		res, err := r.deps.Graph.PerUserMFAStates(ctx, chunk)
		if err != nil {
			return nil, err
		}
		retry := map[string]error{}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range res {
			switch {
			case s.Err == nil:
				if s.State == "enabled" {
					enabled = append(enabled, s.User)
				}
			case graph.IsForbidden(s.Err):
				forbidden = s.Err
			case graph.IsNotFound(s.Err): // deleted since the report
			case graph.Retryable(s.Err):
				retry[s.User] = s.Err
			default:
				failed = append(failed, Row{User: s.User, ID: s.User, Status: StatusFailed, Reason: describe(s.Err, "reading the per-user MFA state")})
			}
		}
		return retry, nil
	}, func(ref string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, Row{User: ref, ID: ref, Status: StatusFailed, Reason: describe(err, "reading the per-user MFA state")})
	})
	if forbidden != nil {
		return nil, nil, fmt.Errorf("cannot read per-user MFA states: the app needs Policy.Read.All (authentication requirements, beta): %w", forbidden)
	}
	if err != nil {
		return nil, nil, err
	}
	// The report has no sign-in session time; read the users themselves
	// (few: only the open doors) so revocations can be verified.
	users, more, err := r.explicit(ctx, enabled)
	return users, append(failed, more...), err
}

// pages reads every page of a user listing under the read budget.
func (r *resolver) pages(ctx context.Context, cost int, get func(context.Context, string) (graph.UsersPage, error)) ([]graph.User, error) {
	var out []graph.User
	next := ""
	for {
		if err := r.reads.Take(ctx, cost); err != nil {
			return nil, err
		}
		page, err := withRetry(ctx, r.deps, func() (graph.UsersPage, error) { return get(ctx, next) })
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, page.Users...)
		if next = page.Next; next == "" {
			return out, nil
		}
	}
}

// chunked runs lookup over refs 20 at a time, several batches at once,
// under the read budget. lookup returns the refs to try again (throttled or
// transient) with their errors; after MaxAttempts rounds giveUp gets them.
func (r *resolver) chunked(ctx context.Context, refs []string, lookup func(context.Context, []string) (map[string]error, error), giveUp func(string, error)) error {
	queue := refs
	for attempt := 1; len(queue) > 0; attempt++ {
		var mu sync.Mutex
		retry := map[string]error{}
		var wait time.Duration
		sem := make(chan struct{}, r.deps.Concurrency)
		var wg sync.WaitGroup
		for start := 0; start < len(queue); start += graph.MaxBatch {
			chunk := queue[start:min(start+graph.MaxBatch, len(queue))]
			if err := r.reads.Take(ctx, len(chunk)); err != nil {
				wg.Wait()
				return err
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				again, err := lookup(ctx, chunk)
				mu.Lock()
				defer mu.Unlock()
				if err != nil { // the whole batch failed: retry all of it
					again = map[string]error{}
					for _, ref := range chunk {
						again[ref] = err
					}
				}
				for ref, e := range again {
					retry[ref] = e
					if d, ok := graph.RetryAfterOf(e); ok && d > wait {
						wait = d
					}
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		queue = queue[:0:0]
		for ref, e := range retry {
			if attempt >= r.deps.MaxAttempts || !graph.Retryable(e) {
				giveUp(ref, e)
				continue
			}
			queue = append(queue, ref)
		}
		slices.Sort(queue)
		if len(queue) > 0 {
			if wait == 0 {
				wait = backoff(r.deps.RetryBase, attempt)
			}
			r.reads.Pause(wait)
		}
	}
	return nil
}

// withRetry calls f until it succeeds, fails for good, or attempts run out.
func withRetry[T any](ctx context.Context, deps Deps, f func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := f()
		if err == nil || !graph.Retryable(err) || attempt >= deps.MaxAttempts || ctx.Err() != nil {
			return v, err
		}
		wait, ok := graph.RetryAfterOf(err)
		if !ok {
			wait = backoff(deps.RetryBase, attempt)
		}
		if err := deps.Clock.Sleep(ctx, wait); err != nil {
			return v, err
		}
	}
}

// backoff is exponential from base, capped at 30 s.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 10)
	return min(d, 30*time.Second)
}
