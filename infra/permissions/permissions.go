// Package permissions loads tenantops' least-privilege manifest: for each
// operation, the Microsoft Graph application permissions (app roles), the
// Entra directory roles and the Graph calls it makes (manifest.yaml, embedded).
//
// `tenantops permissions grant` uses it to grant exactly what the
// identity-audience operations need; the docs and infra use it to tell admins
// what to consent to.
package permissions

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed manifest.yaml
var manifestYAML []byte

// Audiences of an operation.
const (
	// AudienceIdentity: tenantops' own identity needs these rights.
	AudienceIdentity = "identity"
	// AudienceAdmin: the person running the operation needs them; they are
	// never granted to the identity.
	AudienceAdmin = "admin"
)

// Manifest is the parsed manifest.yaml.
type Manifest struct {
	Version int
	// Resource is the API whose app roles are listed (Microsoft Graph).
	Resource Resource
	// AppRoles is the catalog of every app role the manifest uses.
	AppRoles []AppRole
	// Operations in manifest order.
	Operations []Operation
}

// Resource identifies the resource application.
type Resource struct {
	Name  string `yaml:"name"`
	AppID string `yaml:"appId"`
}

// AppRole is an application permission of the resource.
type AppRole struct {
	// Value is the permission name, e.g. "User.Read.All".
	Value string `yaml:"value"`
	// ID is the app role id when a cited source gives it; empty otherwise
	// (resolve Value against the resource service principal's appRoles).
	ID string `yaml:"id"`
	// Source cites where the least-privilege choice comes from.
	Source string `yaml:"source"`
}

// Call is one Microsoft Graph request an operation makes.
type Call struct {
	Method string `yaml:"method"`
	// Path is the OpenAPI path template, e.g. "/users/{user-id}".
	Path string `yaml:"path"`
	// Version is "v1.0" or "beta".
	Version string `yaml:"version"`
	// AppRoles are the permission values that authorise this call (all of them together).
	AppRoles []string `yaml:"appRoles"`
}

// Operation is one tenantops operation, e.g. "sessions.revoke".
type Operation struct {
	Name        string
	Description string
	// Audience is AudienceIdentity or AudienceAdmin.
	Audience string
	// AppRoles are the application permissions the operation needs, resolved from the catalog.
	AppRoles []AppRole
	// DirectoryRoles are Entra directory roles the principal also needs, e.g. "User Administrator".
	DirectoryRoles []string
	// AzureRoles are Azure RBAC roles outside Graph, e.g. Key Vault data roles.
	AzureRoles []string
	Calls      []Call
	Notes      string
}

// GraphURL is the absolute URL template of the call in the global cloud.
func (c Call) GraphURL() string {
	return "https://graph.microsoft.com/" + c.Version + c.Path
}

// String renders "METHOD /version/path".
func (c Call) String() string { return c.Method + " /" + c.Version + c.Path }

// file mirrors manifest.yaml.
type file struct {
	Version    int         `yaml:"version"`
	Resource   Resource    `yaml:"resource"`
	AppRoles   []AppRole   `yaml:"appRoles"`
	Operations []operation `yaml:"operations"`
}

type operation struct {
	Name           string   `yaml:"name"`
	Description    string   `yaml:"description"`
	Audience       string   `yaml:"audience"`
	AppRoles       []string `yaml:"appRoles"`
	DirectoryRoles []string `yaml:"directoryRoles"`
	AzureRoles     []string `yaml:"azureRoles"`
	Calls          []Call   `yaml:"calls"`
	Notes          string   `yaml:"notes"`
}

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	opNameRE = regexp.MustCompile(`^[a-z][a-z-]*(\.[a-z][a-z-]*)*$`)
	valueRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z-]*(\.[A-Za-z][A-Za-z-]*)+$`)
	methods  = map[string]bool{"GET": true, "POST": true, "PATCH": true, "PUT": true, "DELETE": true}
	versions = map[string]bool{"v1.0": true, "beta": true}
)

// Load parses and validates the embedded manifest.
func Load() (*Manifest, error) { return Parse(manifestYAML) }

// Parse parses and validates a manifest document. Unknown fields, unknown
// app roles, malformed ids or calls, duplicate names, operations without
// app roles or calls, and app roles no call uses are all errors.
func Parse(data []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("permissions manifest: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if f.Version != 1 {
		bad("version %d, want 1", f.Version)
	}
	if f.Resource.AppID == "" || !guidRE.MatchString(f.Resource.AppID) {
		bad("resource.appId %q is not a GUID", f.Resource.AppID)
	}
	catalog := map[string]AppRole{}
	used := map[string]bool{}
	for _, r := range f.AppRoles {
		switch {
		case !valueRE.MatchString(r.Value):
			bad("app role value %q is malformed", r.Value)
		case catalog[r.Value].Value != "":
			bad("app role %s listed twice", r.Value)
		}
		if r.ID != "" && !guidRE.MatchString(r.ID) {
			bad("app role %s: id %q is not a GUID", r.Value, r.ID)
		}
		if strings.TrimSpace(r.Source) == "" {
			bad("app role %s: no source", r.Value)
		}
		catalog[r.Value] = r
	}

	m := &Manifest{Version: f.Version, Resource: f.Resource, AppRoles: f.AppRoles}
	seen := map[string]bool{}
	for i, o := range f.Operations {
		where := o.Name
		if where == "" {
			where = fmt.Sprintf("operation #%d", i+1)
		}
		if !opNameRE.MatchString(o.Name) {
			bad("%s: name %q is malformed (lower-case words joined by dots)", where, o.Name)
		}
		if seen[o.Name] {
			bad("%s: listed twice", where)
		}
		seen[o.Name] = true
		if o.Audience != AudienceIdentity && o.Audience != AudienceAdmin {
			bad("%s: audience %q, want %q or %q", where, o.Audience, AudienceIdentity, AudienceAdmin)
		}
		if strings.TrimSpace(o.Description) == "" {
			bad("%s: no description", where)
		}
		if len(o.AppRoles) == 0 {
			bad("%s: no app roles", where)
		}
		if len(o.Calls) == 0 {
			bad("%s: no Graph calls", where)
		}
		op := Operation{
			Name: o.Name, Description: o.Description, Audience: o.Audience,
			DirectoryRoles: o.DirectoryRoles, AzureRoles: o.AzureRoles, Calls: o.Calls, Notes: o.Notes,
		}
		declared := map[string]bool{}
		for _, v := range o.AppRoles {
			r, ok := catalog[v]
			if !ok {
				bad("%s: app role %s is not in the appRoles catalog", where, v)
				continue
			}
			if declared[v] {
				bad("%s: app role %s listed twice", where, v)
			}
			declared[v] = true
			used[v] = true
			op.AppRoles = append(op.AppRoles, r)
		}
		callUses := map[string]bool{}
		for _, c := range o.Calls {
			if !methods[c.Method] {
				bad("%s: call %s: method %q not one of GET POST PATCH PUT DELETE", where, c.Path, c.Method)
			}
			if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " ?#") {
				bad("%s: call path %q must start with / and carry no query", where, c.Path)
			}
			if !versions[c.Version] {
				bad("%s: call %s: version %q, want v1.0 or beta", where, c.Path, c.Version)
			}
			if len(c.AppRoles) == 0 {
				bad("%s: call %s %s names no app role", where, c.Method, c.Path)
			}
			for _, v := range c.AppRoles {
				if !declared[v] {
					bad("%s: call %s %s needs %s, which the operation does not list", where, c.Method, c.Path, v)
				}
				callUses[v] = true
			}
		}
		for v := range declared {
			if !callUses[v] {
				bad("%s: app role %s is listed but no call needs it (not least privilege)", where, v)
			}
		}
		for _, d := range o.DirectoryRoles {
			if strings.TrimSpace(d) == "" {
				bad("%s: empty directory role", where)
			}
		}
		m.Operations = append(m.Operations, op)
	}
	if len(f.Operations) == 0 {
		bad("no operations")
	}
	for v := range catalog {
		if !used[v] {
			bad("app role %s is in the catalog but no operation uses it", v)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("permissions manifest: %w", errors.Join(errs...))
	}
	return m, nil
}

// Operation returns the named operation.
func (m *Manifest) Operation(name string) (Operation, bool) {
	for _, o := range m.Operations {
		if o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// Names lists the operation names in manifest order.
func (m *Manifest) Names() []string {
	names := make([]string, len(m.Operations))
	for i, o := range m.Operations {
		names[i] = o.Name
	}
	return names
}

// IdentityAppRoles is the union, sorted by value, of the app roles of the
// identity-audience operations: what `permissions grant` assigns to
// tenantops' identity.
func (m *Manifest) IdentityAppRoles() []AppRole {
	set := map[string]AppRole{}
	for _, o := range m.Operations {
		if o.Audience != AudienceIdentity {
			continue
		}
		for _, r := range o.AppRoles {
			set[r.Value] = r
		}
	}
	roles := make([]AppRole, 0, len(set))
	for _, r := range set {
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].Value < roles[j].Value })
	return roles
}

// IdentityDirectoryRoles is the sorted union of the directory roles of the
// identity-audience operations.
func (m *Manifest) IdentityDirectoryRoles() []string {
	set := map[string]bool{}
	for _, o := range m.Operations {
		if o.Audience != AudienceIdentity {
			continue
		}
		for _, d := range o.DirectoryRoles {
			set[d] = true
		}
	}
	roles := make([]string, 0, len(set))
	for d := range set {
		roles = append(roles, d)
	}
	sort.Strings(roles)
	return roles
}
