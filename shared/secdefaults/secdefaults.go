// Package secdefaults shows and changes Microsoft Entra security defaults,
// explaining the conflict with Conditional Access the way the portal does:
// security defaults cannot be enabled while Conditional Access policies are on.
package secdefaults

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// Graph is the part of Graph these operations need.
type Graph interface {
	GetSecurityDefaults(ctx context.Context) (graph.SecurityDefaults, error)
	SetSecurityDefaults(ctx context.Context, enabled bool) error
	ListCAPolicies(ctx context.Context) ([]graph.CAPolicy, error)
}

// Deps are the collaborators.
type Deps struct {
	Graph Graph
	Audit *audit.Logger
	// CA paces Conditional Access reads (default: 1 per second per tenant).
	CA *graph.Pacer
}

// Policy names a Conditional Access policy in a conflict.
type Policy struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	State       string `json:"state"`
	RequiresMFA bool   `json:"requiresMfa"`
}

// Status is what `security-defaults show` reports.
type Status struct {
	Enabled bool `json:"enabled"`
	// EnabledPolicies are the Conditional Access policies that are on
	// (report-only ones excluded): while any exists, security defaults cannot
	// be enabled.
	EnabledPolicies []Policy `json:"enabledPolicies"`
	// MFAPolicies counts enabled policies that require MFA.
	MFAPolicies int    `json:"mfaPolicies"`
	Advice      string `json:"advice"`
}

// Show reads security defaults and the Conditional Access policies that
// bear on them.
func Show(ctx context.Context, deps Deps) (Status, error) {
	if deps.Graph == nil {
		return Status{}, errors.New("security defaults: no Graph client configured")
	}
	sd, err := deps.Graph.GetSecurityDefaults(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("reading security defaults: %w", describe(err, "Policy.Read.All"))
	}
	st := Status{Enabled: sd.Enabled, EnabledPolicies: []Policy{}}
	if err := deps.CA.Wait(ctx); err != nil {
		return st, err
	}
	ps, err := deps.Graph.ListCAPolicies(ctx)
	if err != nil {
		return st, fmt.Errorf("listing Conditional Access policies: %w", describe(err, "Policy.Read.All"))
	}
	for _, p := range ps {
		if p.Enforced() {
			st.EnabledPolicies = append(st.EnabledPolicies, Policy{ID: p.ID, DisplayName: p.DisplayName, State: p.State, RequiresMFA: p.Requires("mfa")})
			if p.Requires("mfa") {
				st.MFAPolicies++
			}
		}
	}
	switch {
	case st.Enabled && len(st.EnabledPolicies) > 0:
		st.Advice = "security defaults are on alongside enabled Conditional Access policies; Microsoft recommends one or the other"
	case st.Enabled:
		st.Advice = "security defaults require MFA registration for everyone and block legacy authentication; service accounts using passwords will fail (AADSTS50076) — move them to app credentials"
	case len(st.EnabledPolicies) > 0 && st.MFAPolicies == 0:
		st.Advice = "security defaults are off and no enabled Conditional Access policy requires MFA: nothing enforces MFA tenant-wide"
	case len(st.EnabledPolicies) > 0:
		st.Advice = "MFA is governed by Conditional Access; security defaults cannot be enabled while these policies are on"
	default:
		st.Advice = "security defaults are off and no Conditional Access policy is on: nothing enforces MFA tenant-wide; enable security defaults or create a policy"
	}
	return st, nil
}

// Request asks to turn security defaults on or off.
type Request struct {
	Enable bool   `json:"enable"`
	DryRun bool   `json:"dryRun,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks the request without I/O.
func (r *Request) Validate() error {
	if len(r.Reason) > 512 {
		return op.Invalid("invalidReason", "reason", "reason is longer than 512 characters")
	}
	return nil
}

// Outcomes of Set.
const (
	OutcomeEnabled      = "enabled"
	OutcomeDisabled     = "disabled"
	OutcomeWouldEnable  = "would-enable"
	OutcomeWouldDisable = "would-disable"
	OutcomeUnchanged    = "unchanged"
	// OutcomeRefused: enabling while Conditional Access policies are on.
	OutcomeRefused = "refused"
	// OutcomeNotApplied: Graph accepted the write but reading back shows the old value.
	OutcomeNotApplied = "not-applied"
)

// Result of Set.
type Result struct {
	Outcome string `json:"outcome"`
	Before  bool   `json:"before"`
	After   bool   `json:"after"`
	// Conflicts are the enabled Conditional Access policies that block enabling.
	Conflicts []Policy `json:"conflicts"`
	Message   string   `json:"message"`
	DryRun    bool     `json:"dryRun"`
}

// Problem reports a refusal or a write that did not stick (CLI exit 3).
func (r Result) Problem() bool { return r.Outcome == OutcomeRefused || r.Outcome == OutcomeNotApplied }

// Set turns security defaults on or off, refusing to enable them while
// Conditional Access policies are on, and reads the write back.
func Set(ctx context.Context, deps Deps, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	st, err := Show(ctx, deps)
	if err != nil {
		return Result{}, err
	}
	res := Result{Before: st.Enabled, After: st.Enabled, DryRun: req.DryRun, Conflicts: []Policy{}}
	action := "security-defaults.disable"
	if req.Enable {
		action = "security-defaults.enable"
	}
	record := func() {
		deps.Audit.Record(ctx, audit.Entry{Action: action, Target: "identitySecurityDefaultsEnforcementPolicy", Outcome: res.Outcome,
			Reason: req.Reason, DryRun: req.DryRun, Detail: res.Message})
	}
	switch {
	case st.Enabled == req.Enable:
		res.Outcome = OutcomeUnchanged
		res.Message = fmt.Sprintf("security defaults are already %s", onOff(st.Enabled))
		return res, nil
	case req.Enable && len(st.EnabledPolicies) > 0:
		res.Outcome, res.Conflicts = OutcomeRefused, st.EnabledPolicies
		res.Message = fmt.Sprintf("security defaults cannot be enabled while %d Conditional Access %s on (%s); disable %s first or keep using Conditional Access",
			len(st.EnabledPolicies), plural(len(st.EnabledPolicies), "policy is", "policies are"), names(st.EnabledPolicies),
			plural(len(st.EnabledPolicies), "it", "them"))
		record()
		return res, nil
	case req.DryRun && req.Enable:
		res.Outcome, res.Message = OutcomeWouldEnable, "would enable security defaults: every user must register for MFA within 14 days and legacy authentication is blocked"
		record()
		return res, nil
	case req.DryRun:
		res.Outcome, res.Message = OutcomeWouldDisable, disableMessage(st)
		record()
		return res, nil
	}
	if err := deps.Graph.SetSecurityDefaults(ctx, req.Enable); err != nil {
		var ge *graph.Error
		if req.Enable && errors.As(err, &ge) && ge.StatusCode == 400 {
			// A policy turned on between our read and the write.
			res.Outcome, res.Message = OutcomeRefused, "Graph refused to enable security defaults: "+ge.Message
			record()
			return res, nil
		}
		res.Outcome = "failed"
		res.Message = describe(err, "Policy.ReadWrite.SecurityDefaults").Error()
		record()
		return res, fmt.Errorf("changing security defaults: %w", describe(err, "Policy.ReadWrite.SecurityDefaults"))
	}
	after, err := deps.Graph.GetSecurityDefaults(ctx)
	if err != nil {
		return res, fmt.Errorf("reading security defaults back: %w", err)
	}
	res.After = after.Enabled
	switch {
	case after.Enabled != req.Enable:
		res.Outcome = OutcomeNotApplied
		res.Message = fmt.Sprintf("Graph accepted the change but security defaults still read %s: the write did not stick — check the portal and run again", onOff(after.Enabled))
	case req.Enable:
		res.Outcome, res.Message = OutcomeEnabled, "security defaults enabled: users must register for MFA within 14 days; legacy authentication is blocked"
	default:
		res.Outcome, res.Message = OutcomeDisabled, disableMessage(st)
	}
	record()
	return res, nil
}

func disableMessage(st Status) string {
	if st.MFAPolicies == 0 {
		return "security defaults off: no enabled Conditional Access policy requires MFA — nothing enforces MFA tenant-wide until you create one"
	}
	return fmt.Sprintf("security defaults off: MFA stays required by %d Conditional Access %s", st.MFAPolicies, plural(st.MFAPolicies, "policy", "policies"))
}

func names(ps []Policy) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", p.DisplayName)
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// describe adds what to do to permission errors.
func describe(err error, perm string) error {
	if graph.IsForbidden(err) {
		return fmt.Errorf("%w (the app needs %s)", err, perm)
	}
	return err
}
