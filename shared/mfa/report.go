// Package mfa is the per-user MFA operations that replace MSOnline's
// Get-MsolUser / Set-MsolUser StrongAuthenticationRequirements: a tenant-wide
// MFA status report that streams, and bulk per-user MFA changes that are
// verified by reading them back.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// ReportRequest selects the rows of an MFA report. Filters combine with AND.
type ReportRequest struct {
	// States keeps users whose per-user MFA state is one of these.
	States []string `json:"states,omitempty"`
	// Unregistered keeps users known to have no MFA method registered.
	Unregistered bool `json:"unregistered,omitempty"`
	// Admins keeps users holding an admin role.
	Admins bool `json:"admins,omitempty"`
	// Group keeps (transitive) members of this group: object id or display name.
	Group string `json:"group,omitempty"`
}

// Validate checks the request without I/O.
func (r *ReportRequest) Validate() error {
	var errs []error
	for i, s := range r.States {
		if !validState(s) {
			errs = append(errs, op.Invalid("invalidState", fmt.Sprintf("states[%d]", i), "%q is not a per-user MFA state (want disabled, enabled or enforced)", s))
		}
	}
	if g := strings.TrimSpace(r.Group); r.Group != "" && (g == "" || len(g) > 256) {
		errs = append(errs, op.Invalid("invalidGroup", "group", "name the group by object id or display name"))
	}
	return errors.Join(errs...)
}

func validState(s string) bool {
	switch s {
	case graph.PerUserMFADisabled, graph.PerUserMFAEnabled, graph.PerUserMFAEnforced:
		return true
	}
	return false
}

// Verdicts of a report row.
const (
	VerdictOK       = "ok"
	VerdictAtRisk   = "at-risk"  // MFA required but nothing registered: an open door
	VerdictNoMFA    = "no-mfa"   // nothing requires MFA for this account
	VerdictDisabled = "disabled" // account disabled
	VerdictUnknown  = "unknown"  // a read failed
)

// Row is one user in the MFA report.
type Row struct {
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	ID                string `json:"id"`
	AccountEnabled    bool   `json:"accountEnabled"`
	UserType          string `json:"userType"`
	// PerUserMFAState is disabled, enabled or enforced ("" when it could not be read).
	PerUserMFAState string `json:"perUserMfaState"`
	// MFARegistered is nil when unknown (disabled accounts are not in the
	// registration report; tenants without Entra ID P1 have no report).
	MFARegistered     *bool    `json:"mfaRegistered"`
	DefaultMethod     string   `json:"defaultMethod,omitempty"`
	MethodsRegistered []string `json:"methodsRegistered"`
	IsAdmin           *bool    `json:"isAdmin"`
	// CAPolicies are the enabled (not report-only) Conditional Access policies
	// that require MFA and include this user.
	CAPolicies       []string `json:"caMfaPolicies"`
	SecurityDefaults bool     `json:"securityDefaults"`
	Verdict          string   `json:"verdict"`
	Reason           string   `json:"reason,omitempty"`
	Error            string   `json:"error,omitempty"`
}

// CoveredByCA reports whether an enabled CA policy requires MFA of the user.
func (r Row) CoveredByCA() bool { return len(r.CAPolicies) > 0 }

// Summary counts what a report saw.
type Summary struct {
	Scanned          int            `json:"scanned"` // users listed
	Rows             int            `json:"rows"`    // rows emitted after filters
	States           map[string]int `json:"states"`  // rows by per-user state
	AtRisk           int            `json:"atRisk"`
	NoMFA            int            `json:"noMfa"`
	Failed           int            `json:"failed"` // rows whose state could not be read
	SecurityDefaults bool           `json:"securityDefaults"`
	Warnings         []string       `json:"warnings,omitempty"`
}

// Problem reports a partial report (CLI exit 3).
func (s Summary) Problem() bool { return s.Failed > 0 }

// ReportResult is the whole report, for callers that do not stream (HTTP).
type ReportResult struct {
	Rows    []Row   `json:"rows"`
	Summary Summary `json:"summary"`
}

// Problem reports a partial report.
func (r ReportResult) Problem() bool { return r.Summary.Problem() }

// ReportGraph is the part of Graph a report reads.
type ReportGraph interface {
	ListUsersPage(ctx context.Context, next string) (graph.UsersPage, error)
	ListRegistrationDetailsPage(ctx context.Context, next string) (graph.RegistrationPage, error)
	PerUserMFAStates(ctx context.Context, users []string) ([]graph.MFAStateResult, error)
	GetSecurityDefaults(ctx context.Context) (graph.SecurityDefaults, error)
	ListCAPolicies(ctx context.Context) ([]graph.CAPolicy, error)
	FindGroup(ctx context.Context, idOrName string) (graph.Group, error)
	EachGroupUserID(ctx context.Context, groupID string, fn func(id string)) error
}

// ReportDeps are a report's collaborators.
type ReportDeps struct {
	Graph ReportGraph
	Log   *slog.Logger
	// Concurrency bounds the $batch requests in flight (default 4).
	Concurrency int
	// Reports paces the registration report (default: 5 per 10 s).
	Reports *graph.Pacer
	// CA paces the Conditional Access policy listing (default: 1 per second).
	CA *graph.Pacer
	// Directory paces per-user state reads in resource units (default: from
	// the tenant size seen on the first users page).
	Directory *graph.Pacer
	// Progress, when set, is called as rows are emitted; total is -1 until
	// the user listing has ended.
	Progress func(done, total int)
}

// Report streams one row per user to emit, in the order Graph lists users.
// Memory stays flat: users are read a page at a time, per-user states in
// bounded $batch chunks, and the registration report is kept as a compact
// index (about 40 bytes a user). It fails as a whole only when the user
// listing fails, emit fails or ctx ends; per-user failures are rows.
func Report(ctx context.Context, deps ReportDeps, req ReportRequest, emit func(Row) error) (Summary, error) {
	if err := req.Validate(); err != nil {
		return Summary{}, err
	}
	if deps.Graph == nil {
		return Summary{}, errors.New("mfa report: no Graph client configured")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	conc := deps.Concurrency
	if conc <= 0 {
		conc = 4
	}
	sum := Summary{States: map[string]int{}}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	sd, err := deps.Graph.GetSecurityDefaults(ctx)
	switch {
	case graph.IsForbidden(err):
		sum.Warnings = append(sum.Warnings, "security defaults unknown (shown as off): reading them needs Policy.Read.All")
	case err != nil:
		return sum, fmt.Errorf("reading security defaults: %w", err)
	}
	sum.SecurityDefaults = sd.Enabled
	if err := deps.CA.Wait(ctx); err != nil {
		return sum, err
	}
	cov, warn, err := loadCoverage(ctx, deps.Graph)
	if err != nil {
		return sum, err
	}
	sum.Warnings = append(sum.Warnings, warn...)
	var onlyGroup *idSet
	if req.Group != "" {
		grp, err := deps.Graph.FindGroup(ctx, strings.TrimSpace(req.Group))
		if err != nil {
			if graph.IsNotFound(err) {
				return sum, op.Invalid("groupNotFound", "group", "no group %q in the tenant", req.Group)
			}
			return sum, fmt.Errorf("finding group %s: %w", req.Group, err)
		}
		onlyGroup = newIDSet()
		if err := deps.Graph.EachGroupUserID(ctx, grp.ID, onlyGroup.add); err != nil {
			return sum, fmt.Errorf("listing members of group %s: %w", grp.DisplayName, err)
		}
	}

	regs := newRegIndex()
	reports := deps.Reports
	if reports == nil {
		reports = graph.NewPacer(graph.ReportsBudget, graph.ReportsWindow)
	}
	go regs.fill(ctx, deps.Graph, reports)

	type chunk struct {
		seq   int
		users []graph.User
		res   []graph.MFAStateResult
	}
	work := make(chan *chunk)
	done := make(chan *chunk, conc)
	slots := make(chan struct{}, 2*conc+32) // chunks between listing and emitting: bounds memory
	var total, listed int
	var listMu sync.Mutex
	dir := deps.Directory

	// Producer: page through users, group them in batch-sized chunks.
	listErr := make(chan error, 1)
	go func() {
		defer close(work)
		next, seq := "", 0
		cur := &chunk{}
		send := func() bool {
			if len(cur.users) == 0 {
				return true
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			cur.seq = seq
			seq++
			select {
			case work <- cur:
			case <-ctx.Done():
				return false
			}
			cur = &chunk{}
			return true
		}
		for first := true; first || next != ""; first = false {
			page, err := deps.Graph.ListUsersPage(ctx, next)
			if err != nil {
				listErr <- fmt.Errorf("listing users: %w", err)
				return
			}
			if first && dir == nil {
				ru := graph.DirectoryRUPer10s(len(page.Users), page.Next != "")
				// Stay at 90 % of the budget: other apps share the tenant.
				dir = graph.NewPacer(ru*9/10, 10*time.Second)
			}
			for _, u := range page.Users {
				if onlyGroup != nil && !onlyGroup.has(u.ID) {
					continue
				}
				listed++
				cur.users = append(cur.users, u)
				if len(cur.users) == graph.MaxBatch && !send() {
					return
				}
			}
			next = page.Next
		}
		listMu.Lock()
		total = listed
		listMu.Unlock()
		if !send() {
			return
		}
		listErr <- nil
	}()

	// Workers: read per-user states, one $batch per chunk.
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.res = readStates(ctx, deps.Graph, dir, c.users)
				select {
				case done <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Emitter: restore listing order, join, filter, stream.
	pending := map[int]*chunk{}
	nextSeq := 0
	emitted := 0
	flush := func() error {
		for {
			c, ok := pending[nextSeq]
			if !ok {
				return nil
			}
			delete(pending, nextSeq)
			nextSeq++
			for i, u := range c.users {
				// Disabled accounts are not in the registration report:
				// waiting for them would serialise the two streams.
				reg, known := regs.lookup(u.ID)
				if !known && u.AccountEnabled {
					var err error
					if reg, known, err = regs.wait(ctx, u); err != nil {
						return err
					}
				}
				row := buildRow(u, c.res[i], reg, known, cov, sd.Enabled)
				sum.Scanned++
				if row.Error != "" {
					sum.Failed++
				}
				if !keep(req, row) {
					continue
				}
				sum.Rows++
				sum.States[row.PerUserMFAState]++
				switch row.Verdict {
				case VerdictAtRisk:
					sum.AtRisk++
				case VerdictNoMFA:
					sum.NoMFA++
				}
				if err := emit(row); err != nil {
					return fmt.Errorf("writing row: %w", err)
				}
			}
			<-slots
			emitted += len(c.users)
			if deps.Progress != nil {
				listMu.Lock()
				t := total
				if t == 0 {
					t = -1
				}
				listMu.Unlock()
				deps.Progress(emitted, t)
			}
		}
	}
	for c := range done {
		pending[c.seq] = c
		if err := flush(); err != nil {
			cancel(err)
			return sum, err
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("mfa report: %w", context.Cause(ctx))
	}
	if err := <-listErr; err != nil {
		return sum, err
	}
	if err := regs.error(); err != nil {
		sum.Warnings = append(sum.Warnings, regWarning(err))
	}
	if onlyGroup != nil {
		deps.Log.Debug("mfa report: group filter", "members", onlyGroup.len())
	}
	return sum, nil
}

func regWarning(err error) string {
	if graph.IsForbidden(err) {
		return "MFA registration unknown: the registration report needs AuditLog.Read.All and an Entra ID P1/P2 licence (" + err.Error() + ")"
	}
	return "MFA registration unknown for some users: the registration report failed (" + err.Error() + ")"
}

// readStates reads one chunk's per-user states, retrying throttled and
// transient items: a throttled item waits for the longest Retry-After in the
// batch (THROTTLING.md §7), transient failures back off exponentially.
func readStates(ctx context.Context, g ReportGraph, dir *graph.Pacer, users []graph.User) []graph.MFAStateResult {
	out := make([]graph.MFAStateResult, len(users))
	todo := make([]int, len(users))
	for i := range users {
		todo[i] = i
	}
	const attempts = 6
	backoff := time.Second
	for attempt := 1; len(todo) > 0; attempt++ {
		if err := dir.WaitN(ctx, len(todo)); err != nil {
			for _, i := range todo {
				out[i] = graph.MFAStateResult{User: users[i].ID, Err: err}
			}
			return out
		}
		ids := make([]string, len(todo))
		for k, i := range todo {
			ids[k] = users[i].ID
		}
		res, err := g.PerUserMFAStates(ctx, ids)
		if err != nil {
			res = make([]graph.MFAStateResult, len(ids))
			for k := range res {
				res[k] = graph.MFAStateResult{User: ids[k], Err: err}
			}
		}
		var again []int
		var wait time.Duration
		for k, i := range todo {
			out[i] = res[k]
			if res[k].Err == nil || !graph.Retryable(res[k].Err) || attempt == attempts {
				continue
			}
			again = append(again, i)
			if ra, ok := graph.RetryAfterOf(res[k].Err); ok {
				wait = max(wait, ra)
			}
		}
		if len(again) == 0 {
			break
		}
		if wait == 0 {
			wait = backoff
			backoff *= 2
		} else {
			dir.Pause(wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return out
		case <-t.C:
		}
		todo = again
	}
	return out
}

func keep(req ReportRequest, r Row) bool {
	if len(req.States) > 0 && !slices.Contains(req.States, r.PerUserMFAState) {
		return false
	}
	if req.Unregistered && (r.MFARegistered == nil || *r.MFARegistered) {
		return false
	}
	if req.Admins && (r.IsAdmin == nil || !*r.IsAdmin) {
		return false
	}
	return true
}

func buildRow(u graph.User, st graph.MFAStateResult, reg regInfo, known bool, cov *coverage, secDefaults bool) Row {
	r := Row{
		UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, ID: u.ID,
		AccountEnabled: u.AccountEnabled, UserType: u.UserType, PerUserMFAState: st.State,
		SecurityDefaults: secDefaults, MethodsRegistered: []string{}, CAPolicies: []string{},
	}
	if st.Err != nil {
		r.Error = describe(st.Err)
	}
	if known {
		registered, admin := reg.registered(), reg.admin()
		r.MFARegistered, r.IsAdmin = &registered, &admin
		r.MethodsRegistered = reg.methods()
		r.DefaultMethod = reg.defaultMethod()
	}
	r.CAPolicies = cov.policiesFor(u, r.IsAdmin != nil && *r.IsAdmin)
	r.Verdict, r.Reason = verdict(r)
	return r
}

func verdict(r Row) (string, string) {
	var by []string
	if r.PerUserMFAState == graph.PerUserMFAEnabled || r.PerUserMFAState == graph.PerUserMFAEnforced {
		by = append(by, "per-user MFA "+r.PerUserMFAState)
	}
	if r.SecurityDefaults {
		by = append(by, "security defaults")
	}
	if len(r.CAPolicies) > 0 {
		by = append(by, "Conditional Access")
	}
	switch {
	case r.Error != "":
		return VerdictUnknown, "per-user MFA state could not be read"
	case !r.AccountEnabled:
		return VerdictDisabled, "account disabled"
	case len(by) == 0:
		return VerdictNoMFA, "nothing requires MFA: per-user MFA disabled, no enabled Conditional Access policy requiring MFA, security defaults off"
	case r.MFARegistered != nil && !*r.MFARegistered:
		return VerdictAtRisk, "MFA required (" + strings.Join(by, ", ") + ") but no method registered: whoever signs in next registers their own — revoke sessions or block sign-in"
	}
	return VerdictOK, "MFA required by " + strings.Join(by, ", ")
}

// describe turns a per-user error into something an admin can act on.
func describe(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		switch ge.StatusCode {
		case 403:
			return "permission denied: the app needs Policy.Read.All (per-user MFA state, beta)"
		case 404:
			return "user not found (deleted while the report ran?)"
		case 429:
			return "still throttled after retries; run the report again later"
		}
		if ge.StatusCode != 0 {
			msg := fmt.Sprintf("Graph answered %d %s", ge.StatusCode, ge.Code)
			if ge.RequestID != "" {
				msg += " (request-id " + ge.RequestID + ")"
			}
			return msg
		}
	}
	return err.Error()
}
