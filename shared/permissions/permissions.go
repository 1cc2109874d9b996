// Package permissions grants and checks the Microsoft Graph application
// permissions tenantops' identity needs — exactly those of the
// least-privilege manifest (infra/permissions/manifest.yaml) for the chosen
// operations. It is the step admins otherwise do with
// New-MgServicePrincipalAppRoleAssignment: each permission value is resolved
// to its app role id on the tenant's Microsoft Graph service principal and
// assigned to the principal (a managed identity or an app's service
// principal). Granting is idempotent and never removes anything; extra
// permissions are reported.
package permissions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	manifest "github.com/tenantops/tenantops/infra/permissions"
	"github.com/tenantops/tenantops/shared/audit"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/op"
)

// AuditAction names grant's audit lines.
const AuditAction = "permissions.grant"

// Graph is the part of Graph these operations need.
type Graph interface {
	GetServicePrincipalByAppID(ctx context.Context, appID string) (graph.PrincipalInfo, error)
	ListAppRoleAssignments(ctx context.Context, principalID string) ([]graph.AppRoleAssignment, error)
	AssignAppRole(ctx context.Context, principalID, resourceID, appRoleID string) (graph.AppRoleAssignment, error)
}

// Deps are the collaborators.
type Deps struct {
	Graph Graph
	Audit *audit.Logger
	// Manifest is the least-privilege manifest; nil = the embedded one.
	Manifest *manifest.Manifest
}

// loadManifest parses the embedded manifest once (it is immutable).
var loadManifest = sync.OnceValues(manifest.Load)

func (d Deps) manifest() (*manifest.Manifest, error) {
	if d.Manifest != nil {
		return d.Manifest, nil
	}
	m, err := loadManifest()
	if err != nil {
		return nil, fmt.Errorf("loading the permission manifest: %w", err)
	}
	return m, nil
}

// Request selects the principal and the operations whose permissions it
// should hold.
type Request struct {
	// Principal is the service principal's object id: the managed identity's
	// principalId, or the enterprise application of the app registration the
	// Lambda federates into. Not the application (client) id.
	Principal string `json:"principal"`
	// Operations are manifest operation names ("sessions.revoke") or their
	// prefixes ("sessions" = every sessions.* operation). Empty = every
	// operation tenantops' identity runs.
	Operations []string `json:"operations,omitempty"`
	// DryRun lists what grant would assign, changing nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Strict makes check treat extra Microsoft Graph permissions as a problem.
	Strict bool `json:"strict,omitempty"`
	// Reason is recorded in the audit log.
	Reason string `json:"reason,omitempty"`
}

// Validate checks the request against the embedded manifest without I/O.
func (r *Request) Validate() error {
	m, err := loadManifest()
	if err != nil {
		return err
	}
	return r.validate(m, true)
}

// ValidateCheck is Validate for check, where the principal may be left out
// (the signed-in identity checks itself).
func (r *Request) ValidateCheck() error {
	m, err := loadManifest()
	if err != nil {
		return err
	}
	return r.validate(m, false)
}

func (r *Request) validate(m *manifest.Manifest, needPrincipal bool) error {
	var errs []error
	p := strings.TrimSpace(r.Principal)
	switch {
	case p == "" && needPrincipal:
		errs = append(errs, op.Invalid("principalRequired", "principal", "say which service principal: its object id (the managed identity's principalId, or the enterprise application's object id)"))
	case p != "" && !op.IsGUID(p):
		errs = append(errs, op.Invalid("invalidPrincipal", "principal", "%q is not an object id (want a GUID such as 11111111-2222-3333-4444-555555555555)", r.Principal))
	}
	if _, err := selectOperations(m, r.Operations); err != nil {
		errs = append(errs, err)
	}
	if len(r.Reason) > 512 {
		errs = append(errs, op.Invalid("invalidReason", "reason", "reason is longer than 512 characters"))
	}
	return errors.Join(errs...)
}

// selectOperations resolves names (or dotted prefixes) to identity-audience
// operations, in manifest order; none = all of them.
func selectOperations(m *manifest.Manifest, names []string) ([]manifest.Operation, error) {
	var identityOps []manifest.Operation
	for _, o := range m.Operations {
		if o.Audience == manifest.AudienceIdentity {
			identityOps = append(identityOps, o)
		}
	}
	if len(names) == 0 {
		return identityOps, nil
	}
	chosen := map[string]bool{}
	var errs []error
	for i, raw := range names {
		n := strings.ToLower(strings.TrimSpace(raw))
		field := fmt.Sprintf("operations[%d]", i)
		matched := false
		for _, o := range m.Operations {
			if o.Name != n && !strings.HasPrefix(o.Name, n+".") {
				continue
			}
			if o.Audience != manifest.AudienceIdentity {
				errs = append(errs, op.Invalid("adminOperation", field,
					"%s is what the administrator running it needs; it is never granted to tenantops' identity", o.Name))
				matched = true
				continue
			}
			chosen[o.Name], matched = true, true
		}
		if !matched {
			errs = append(errs, op.Invalid("unknownOperation", field, "no operation %q in the permission manifest (known: %s)", raw, strings.Join(names0(identityOps), ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []manifest.Operation
	for _, o := range identityOps {
		if chosen[o.Name] {
			out = append(out, o)
		}
	}
	return out, nil
}

func names0(ops []manifest.Operation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.Name
	}
	return out
}

// Status of one permission.
type Status string

// Row statuses.
const (
	StatusAssigned        Status = "assigned"         // grant assigned it now
	StatusWouldAssign     Status = "would-assign"     // dry run
	StatusAlreadyAssigned Status = "already-assigned" // grant: held before
	StatusPresent         Status = "present"          // check: held
	StatusMissing         Status = "missing"          // check: needed, not held
	StatusExtra           Status = "extra"            // held, needed by no tenantops operation
	StatusUnavailable     Status = "unavailable"      // the tenant's resource offers no such permission
	StatusFailed          Status = "failed"
)

// Row is one application permission.
type Row struct {
	Permission string `json:"permission"`
	AppRoleID  string `json:"appRoleId,omitempty"`
	Status     Status `json:"status"`
	// Operations are the selected operations that need it.
	Operations []string `json:"operations,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Principal names a service principal.
type Principal struct {
	ID          string `json:"id,omitempty"`
	AppID       string `json:"appId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// ManualStep is a role the manifest asks for that grant does not assign:
// Entra directory roles and Azure RBAC roles.
type ManualStep struct {
	Kind       string   `json:"kind"` // directoryRole, azureRole
	Role       string   `json:"role"`
	Operations []string `json:"operations"`
}

// Summary counts rows by status.
type Summary struct {
	Needed          int `json:"needed"`
	Assigned        int `json:"assigned"`
	WouldAssign     int `json:"wouldAssign"`
	AlreadyAssigned int `json:"alreadyAssigned"`
	Present         int `json:"present"`
	Missing         int `json:"missing"`
	Extra           int `json:"extra"`
	Unavailable     int `json:"unavailable"`
	Failed          int `json:"failed"`
}

// Result of grant or check.
type Result struct {
	Action     string    `json:"action"` // grant or check
	DryRun     bool      `json:"dryRun,omitempty"`
	Strict     bool      `json:"strict,omitempty"`
	Principal  Principal `json:"principal"`
	Resource   Principal `json:"resource"`
	Operations []string  `json:"operations"`
	// Source is where the held permissions were read: "graph" (the
	// principal's appRoleAssignments) or "token" (the roles claim of the
	// caller's own access token).
	Source  string       `json:"source"`
	Summary Summary      `json:"summary"`
	Rows    []Row        `json:"rows"`
	Manual  []ManualStep `json:"manual,omitempty"`
}

// Problem: grant could not assign something; check found something missing
// (or, with Strict, extra).
func (r Result) Problem() bool {
	s := r.Summary
	return s.Failed > 0 || s.Unavailable > 0 || s.Missing > 0 || (r.Strict && s.Extra > 0)
}

// needed is one permission and the operations needing it.
type needed struct {
	role manifest.AppRole
	ops  []string
}

// plan lists the permissions ops need, sorted by value, and the manual steps.
func plan(ops []manifest.Operation) ([]needed, []ManualStep) {
	byValue := map[string]*needed{}
	manual := map[[2]string]*ManualStep{}
	addManual := func(kind, role, opName string) {
		k := [2]string{kind, role}
		if manual[k] == nil {
			manual[k] = &ManualStep{Kind: kind, Role: role}
		}
		manual[k].Operations = append(manual[k].Operations, opName)
	}
	for _, o := range ops {
		for _, r := range o.AppRoles {
			if byValue[r.Value] == nil {
				byValue[r.Value] = &needed{role: r}
			}
			byValue[r.Value].ops = append(byValue[r.Value].ops, o.Name)
		}
		for _, d := range o.DirectoryRoles {
			addManual("directoryRole", d, o.Name)
		}
		for _, a := range o.AzureRoles {
			addManual("azureRole", a, o.Name)
		}
	}
	out := make([]needed, 0, len(byValue))
	for _, n := range byValue {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].role.Value < out[j].role.Value })
	steps := make([]ManualStep, 0, len(manual))
	for _, s := range manual {
		steps = append(steps, *s)
	}
	sort.Slice(steps, func(i, j int) bool {
		if steps[i].Kind != steps[j].Kind {
			return steps[i].Kind > steps[j].Kind // directory roles first
		}
		return steps[i].Role < steps[j].Role
	})
	return out, steps
}

// identityValues is every permission some identity operation needs: held
// permissions outside it are "extra".
func identityValues(m *manifest.Manifest) map[string]bool {
	out := map[string]bool{}
	for _, r := range m.IdentityAppRoles() {
		out[strings.ToLower(r.Value)] = true
	}
	return out
}

// state is what grant and check read from Graph.
type state struct {
	principal Principal
	resource  graph.PrincipalInfo
	held      map[string]graph.AppRoleAssignment // by app role id, on the resource
}

// read fetches the principal's assignments and the resource's app roles.
func read(ctx context.Context, deps Deps, m *manifest.Manifest, principalID string) (state, error) {
	if deps.Graph == nil {
		return state{}, errors.New("permissions: no Graph client configured")
	}
	// Listing the assignments also proves the principal exists (404 otherwise),
	// without another call the manifest would have to allow.
	as, err := deps.Graph.ListAppRoleAssignments(ctx, principalID)
	if graph.IsNotFound(err) {
		return state{}, unknownPrincipal(ctx, deps, principalID)
	}
	if err != nil {
		return state{}, describe(err, "reading the principal's app role assignments")
	}
	res, err := deps.Graph.GetServicePrincipalByAppID(ctx, m.Resource.AppID)
	if err != nil {
		return state{}, describe(err, "reading the "+m.Resource.Name+" service principal's app roles")
	}
	st := state{principal: Principal{ID: strings.ToLower(principalID)}, resource: res, held: map[string]graph.AppRoleAssignment{}}
	for _, a := range as {
		if st.principal.DisplayName == "" {
			st.principal.DisplayName = a.PrincipalDisplayName
		}
		if strings.EqualFold(a.ResourceID, res.ID) {
			st.held[strings.ToLower(a.AppRoleID)] = a
		}
	}
	return st, nil
}

// unknownPrincipal explains a principal Graph does not know, spotting the
// common mistake of passing the application (client) id.
func unknownPrincipal(ctx context.Context, deps Deps, id string) error {
	if sp, err := deps.Graph.GetServicePrincipalByAppID(ctx, id); err == nil {
		return op.Invalid("principalIsAppId", "principal",
			"%s is the application (client) id of %q; pass its service principal's object id %s", id, sp.DisplayName, sp.ID)
	}
	return op.Invalid("unknownPrincipal", "principal",
		"no service principal with object id %s in this tenant: use the managed identity's principalId "+
			"(az functionapp identity show --query principalId) or the object id of the app registration's enterprise application", id)
}

// describe adds what a 403 means here.
func describe(err error, doing string) error {
	if graph.IsForbidden(err) {
		return fmt.Errorf("%s: %w (the signed-in identity needs Application.Read.All, and AppRoleAssignment.ReadWrite.All to grant; run this as an administrator)", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func resourceOf(r graph.PrincipalInfo) Principal {
	return Principal{ID: r.ID, AppID: r.AppID, DisplayName: r.DisplayName}
}

// begin is what Grant and Check share: load the manifest, validate the
// request, read the principal and the Graph resource, and plan the roles the
// selected operations need.
func begin(ctx context.Context, deps Deps, req Request, action string) (*manifest.Manifest, state, Result, []needed, error) {
	m, err := deps.manifest()
	if err != nil {
		return nil, state{}, Result{}, nil, err
	}
	if err := req.validate(m, true); err != nil {
		return nil, state{}, Result{}, nil, err
	}
	ops, _ := selectOperations(m, req.Operations)
	st, err := read(ctx, deps, m, strings.TrimSpace(req.Principal))
	if err != nil {
		return nil, state{}, Result{}, nil, err
	}
	res := newResult(action, req, ops, st.principal, resourceOf(st.resource), "graph")
	need, manual := plan(ops)
	res.Manual = manual
	return m, st, res, need, nil
}

// Grant assigns the permissions the selected operations need to
// req.Principal. Held permissions are left alone ("already-assigned") and
// nothing is ever removed; each assignment (or, in a dry run, each one that
// would be made) writes an audit line.
func Grant(ctx context.Context, deps Deps, req Request) (Result, error) {
	m, st, res, need, err := begin(ctx, deps, req, "grant")
	if err != nil {
		return Result{}, err
	}
	for _, n := range need {
		row := Row{Permission: n.role.Value, Operations: n.ops}
		r, ok := st.resource.RoleByValue(n.role.Value)
		switch {
		case !ok:
			row.Status, row.Note = StatusUnavailable, fmt.Sprintf("the tenant's %s service principal offers no application permission %s", st.resource.DisplayName, n.role.Value)
		case hasKey(st.held, r.ID):
			row.AppRoleID, row.Status = r.ID, StatusAlreadyAssigned
		case req.DryRun:
			row.AppRoleID, row.Status = r.ID, StatusWouldAssign
		default:
			row.AppRoleID = r.ID
			_, err := deps.Graph.AssignAppRole(ctx, st.principal.ID, st.resource.ID, r.ID)
			switch {
			case err == nil:
				row.Status = StatusAssigned
			case graph.IsAlreadyAssigned(err):
				row.Status = StatusAlreadyAssigned // granted meanwhile by someone else
			case ctx.Err() != nil:
				return res, fmt.Errorf("granting %s: %w", n.role.Value, ctx.Err())
			default:
				row.Status, row.Note = StatusFailed, describe(err, "assigning "+n.role.Value).Error()
			}
		}
		if n.role.ID != "" && row.AppRoleID != "" && !strings.EqualFold(n.role.ID, row.AppRoleID) {
			row.Note = join(row.Note, fmt.Sprintf("the manifest's id %s differs from the tenant's; the tenant's is used", n.role.ID))
		}
		if row.Status == StatusAssigned || row.Status == StatusWouldAssign || row.Status == StatusFailed {
			deps.Audit.Record(ctx, audit.Entry{
				Action: AuditAction, Target: st.principal.ID, Outcome: string(row.Status), Reason: req.Reason, DryRun: req.DryRun,
				Detail: fmt.Sprintf("%s application permission %s (appRoleId %s) for %s", st.resource.DisplayName, n.role.Value, row.AppRoleID, strings.Join(n.ops, ", ")),
			})
		}
		res.add(row)
	}
	res.addExtras(m, st)
	return res, nil
}

// Check compares the principal's permissions with what the selected
// operations need: missing ones are a problem, extra ones are reported.
func Check(ctx context.Context, deps Deps, req Request) (Result, error) {
	m, st, res, need, err := begin(ctx, deps, req, "check")
	if err != nil {
		return Result{}, err
	}
	for _, n := range need {
		row := Row{Permission: n.role.Value, Operations: n.ops}
		r, ok := st.resource.RoleByValue(n.role.Value)
		switch {
		case !ok:
			row.Status, row.Note = StatusUnavailable, fmt.Sprintf("the tenant's %s service principal offers no application permission %s", st.resource.DisplayName, n.role.Value)
		case hasKey(st.held, r.ID):
			row.AppRoleID, row.Status = r.ID, StatusPresent
		default:
			row.AppRoleID, row.Status = r.ID, StatusMissing
		}
		res.add(row)
	}
	res.addExtras(m, st)
	return res, nil
}

// CheckHeld is Check for permissions already known — the roles claim of
// the caller's own Graph access token — so an identity can check itself
// without any Graph permission. Role values, not ids.
func CheckHeld(deps Deps, req Request, self Principal, roles []string) (Result, error) {
	m, err := deps.manifest()
	if err != nil {
		return Result{}, err
	}
	if err := req.validate(m, false); err != nil {
		return Result{}, err
	}
	ops, _ := selectOperations(m, req.Operations)
	res := newResult("check", req, ops, self, Principal{AppID: m.Resource.AppID, DisplayName: m.Resource.Name}, "token")
	held := map[string]bool{}
	for _, r := range roles {
		held[strings.ToLower(r)] = true
	}
	need, manual := plan(ops)
	res.Manual = manual
	for _, n := range need {
		row := Row{Permission: n.role.Value, Operations: n.ops, Status: StatusMissing}
		if held[strings.ToLower(n.role.Value)] {
			row.Status = StatusPresent
		}
		res.add(row)
	}
	want := identityValues(m)
	sorted := slices.Clone(roles)
	slices.Sort(sorted)
	for _, r := range slices.Compact(sorted) {
		if !want[strings.ToLower(r)] {
			res.add(Row{Permission: r, Status: StatusExtra, Note: "no tenantops operation needs it"})
		}
	}
	return res, nil
}

func newResult(action string, req Request, ops []manifest.Operation, p, resource Principal, source string) Result {
	return Result{
		Action: action, DryRun: req.DryRun && action == "grant", Strict: req.Strict && action == "check",
		Principal: p, Resource: resource, Operations: names0(ops), Source: source, Rows: []Row{},
	}
}

func (r *Result) add(row Row) {
	r.Rows = append(r.Rows, row)
	s := &r.Summary
	switch row.Status {
	case StatusAssigned:
		s.Assigned++
	case StatusWouldAssign:
		s.WouldAssign++
	case StatusAlreadyAssigned:
		s.AlreadyAssigned++
	case StatusPresent:
		s.Present++
	case StatusMissing:
		s.Missing++
	case StatusExtra:
		s.Extra++
	case StatusUnavailable:
		s.Unavailable++
	case StatusFailed:
		s.Failed++
	}
	if row.Status != StatusExtra {
		s.Needed++
	}
}

// addExtras reports held permissions of the resource that no tenantops
// operation needs (grant never removes them).
func (r *Result) addExtras(m *manifest.Manifest, st state) {
	want := identityValues(m)
	var extras []Row
	for id := range st.held {
		role, ok := st.resource.RoleByID(id)
		value := role.Value
		if !ok {
			value = id
		}
		if !want[strings.ToLower(value)] {
			extras = append(extras, Row{Permission: value, AppRoleID: id, Status: StatusExtra, Note: "no tenantops operation needs it; remove it if nothing else does"})
		}
	}
	sort.Slice(extras, func(i, j int) bool { return extras[i].Permission < extras[j].Permission })
	for _, e := range extras {
		r.add(e)
	}
}

func hasKey(m map[string]graph.AppRoleAssignment, id string) bool {
	_, ok := m[strings.ToLower(id)]
	return ok
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
