// Package signins reads the recent sign-ins of one account — typically a
// service account that stopped working — and explains each failure: the
// AADSTS code's meaning and fix, the Conditional Access verdict and whether
// the sign-in came from a trusted location.
package signins

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// Request selects the sign-ins to show.
type Request struct {
	// User is the account's userPrincipalName.
	User string `json:"user"`
	// Since is how far back to look (default 24 h, at most 30 days: Entra keeps sign-ins 30 days).
	Since time.Duration `json:"since"`
	// Max bounds the rows (default 50, at most 1000).
	Max int `json:"max,omitempty"`
	// FailuresOnly drops successful sign-ins.
	FailuresOnly bool `json:"failuresOnly,omitempty"`
}

const maxSince = 30 * 24 * time.Hour

// Validate checks the request without I/O, filling defaults.
func (r *Request) Validate() error {
	var errs []error
	r.User = strings.TrimSpace(r.User)
	if err := op.CheckUserRef(r.User); err != nil || op.IsGUID(r.User) {
		errs = append(errs, op.Invalid("invalidUser", "user", "name the account by userPrincipalName, e.g. svc-sharepoint@contoso.com"))
	}
	switch {
	case r.Since == 0:
		r.Since = 24 * time.Hour
	case r.Since < 0 || r.Since > maxSince:
		errs = append(errs, op.Invalid("invalidSince", "since", "%s is outside 1s..720h (Entra keeps sign-in logs for 30 days)", r.Since))
	}
	switch {
	case r.Max == 0:
		r.Max = 50
	case r.Max < 0 || r.Max > 1000:
		errs = append(errs, op.Invalid("invalidMax", "max", "max %d is outside 1..1000", r.Max))
	}
	return errors.Join(errs...)
}

// Row is one sign-in, explained.
type Row struct {
	Time      time.Time `json:"time"`
	App       string    `json:"app"`
	AppID     string    `json:"appId"`
	Resource  string    `json:"resource,omitempty"`
	IPAddress string    `json:"ipAddress"`
	// Result is success or failure.
	Result    string `json:"result"`
	ErrorCode int    `json:"errorCode"`
	// Code explains ErrorCode (empty on success).
	Code            *Code    `json:"code,omitempty"`
	FailureReason   string   `json:"failureReason,omitempty"`
	CAStatus        string   `json:"caStatus"`
	CAFailed        []string `json:"caFailedPolicies"`
	TrustedLocation bool     `json:"trustedLocation"`
	Interactive     bool     `json:"interactive"`
}

// Summary of the rows.
type Summary struct {
	SignIns  int         `json:"signIns"`
	Failures int         `json:"failures"`
	ByCode   map[int]int `json:"byCode"`
	// LastFailed: the most recent sign-in failed.
	LastFailed bool   `json:"lastFailed"`
	Advice     string `json:"advice,omitempty"`
}

// Result of Run.
type Result struct {
	User    string    `json:"user"`
	Since   time.Time `json:"since"`
	Summary Summary   `json:"summary"`
	Rows    []Row     `json:"rows"`
}

// Problem: the account's latest sign-in failed (CLI exit 3), so a scheduled
// check can alert on it.
func (r Result) Problem() bool { return r.Summary.LastFailed }

// Graph is the part of Graph Run needs.
type Graph interface {
	ListSignInsPage(ctx context.Context, q graph.SignInQuery, next string) (graph.SignInPage, error)
}

// Deps are the collaborators.
type Deps struct {
	Graph Graph
	// Reports paces the sign-in log reads (default: 5 per 10 s).
	Reports *graph.Pacer
	Now     func() time.Time
}

// Run reads interactive and non-interactive sign-ins (a service account's
// token refreshes are non-interactive) and merges them newest first.
func Run(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if deps.Graph == nil {
		return Result{}, errors.New("signins: no Graph client configured")
	}
	if deps.Reports == nil {
		deps.Reports = graph.NewPacer(graph.ReportsBudget, graph.ReportsWindow)
	}
	now := time.Now
	if deps.Now != nil {
		now = deps.Now
	}
	since := now().Add(-req.Since).UTC().Truncate(time.Second)
	res := Result{User: req.User, Since: since, Rows: []Row{}, Summary: Summary{ByCode: map[int]int{}}}
	var all []graph.SignIn
	for _, et := range []string{"interactiveUser", "nonInteractiveUser"} {
		q := graph.SignInQuery{UserPrincipalName: req.User, Since: since, EventType: et, Top: min(req.Max, 1000)}
		next, got := "", 0
		for first := true; first || (next != "" && got < req.Max); first = false {
			if err := deps.Reports.Wait(ctx); err != nil {
				return res, err
			}
			page, err := deps.Graph.ListSignInsPage(ctx, q, next)
			if err != nil {
				return res, fmt.Errorf("reading sign-in logs: %w", hint(err))
			}
			for _, s := range page.SignIns {
				if req.FailuresOnly && s.ErrorCode == 0 {
					continue
				}
				all = append(all, s)
				got++
			}
			next = page.Next
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.After(all[j].Time) })
	if len(all) > req.Max {
		all = all[:req.Max]
	}
	for i, s := range all {
		row := toRow(s)
		res.Rows = append(res.Rows, row)
		res.Summary.SignIns++
		if s.ErrorCode != 0 {
			res.Summary.Failures++
			res.Summary.ByCode[s.ErrorCode]++
			if i == 0 {
				res.Summary.LastFailed = true
			}
		}
	}
	res.Summary.Advice = advice(res)
	return res, nil
}

func toRow(s graph.SignIn) Row {
	app := s.AppDisplayName
	if app == "" {
		app = s.AppID
	}
	r := Row{Time: s.Time.UTC(), App: app, AppID: s.AppID, Resource: s.Resource, IPAddress: s.IPAddress, Result: "success",
		ErrorCode: s.ErrorCode, CAStatus: s.CAStatus, CAFailed: []string{}, TrustedLocation: s.TrustedLocation(),
		Interactive: s.EventType == "interactiveUser"}
	if s.ErrorCode != 0 {
		c := Explain(s.ErrorCode)
		r.Result, r.Code, r.FailureReason = "failure", &c, s.FailureReason
	}
	for _, p := range s.Policies {
		if p.Result == "failure" {
			r.CAFailed = append(r.CAFailed, p.DisplayName)
		}
	}
	return r
}

// advice says what to look at first for the most recent failure.
func advice(r Result) string {
	if r.Summary.SignIns == 0 {
		return "no sign-ins in this window: the account is not being used, or sign-in logs need an Entra ID P1 licence"
	}
	for _, row := range r.Rows {
		if row.ErrorCode == 0 {
			continue
		}
		where := "from an untrusted location"
		if row.TrustedLocation {
			where = "from a trusted location"
		}
		msg := fmt.Sprintf("latest failure: AADSTS%d at %s %s (%s)", row.ErrorCode, row.Time.Format(time.RFC3339), where, row.IPAddress)
		if row.Code != nil && row.Code.Fix != "" {
			msg += " — " + row.Code.Fix
		}
		if len(row.CAFailed) > 0 {
			msg += "; policies: " + strings.Join(row.CAFailed, ", ")
		}
		return msg
	}
	return "every sign-in in this window succeeded"
}

func hint(err error) error {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.StatusCode == 403 {
		return fmt.Errorf("%w (the app needs AuditLog.Read.All, and the tenant an Entra ID P1/P2 licence)", err)
	}
	return err
}
