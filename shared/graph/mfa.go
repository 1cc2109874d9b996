package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Per-user MFA writes, bulk reads through $batch, the authentication-methods
// registration report and the directory listings the MFA report streams.
// Reads of one user's state are in mfa_read.go.

// SetPerUserMFAState changes a user's per-user MFA state (beta PATCH
// /users/{id}/authentication/requirements). Graph answers 204 even when it
// ignored the body (a mis-cased property), so callers must read back.
// Needs Policy.ReadWrite.AuthenticationMethod.
func (c *Client) SetPerUserMFAState(ctx context.Context, idOrUPN, state string) error {
	op := fmt.Sprintf("setting the per-user MFA state of %s to %s", idOrUPN, state)
	return c.Raw(ctx, op, http.MethodPatch, "beta"+requirementsPath(idOrUPN), mfaStateBody{State: state}, nil)
}

type mfaStateBody struct {
	State string `json:"perUserMfaState"`
}

func requirementsPath(idOrUPN string) string {
	return "/users/" + url.PathEscape(idOrUPN) + "/authentication/requirements"
}

// MFAStateResult is the outcome for one user of a bulk read or write.
type MFAStateResult struct {
	User  string // as given
	State string // the state read (reads only)
	Err   error  // a *Error; RetryAfterOf(Err) for a throttled item
}

// PerUserMFAStates reads the per-user MFA state of up to MaxBatch users in one
// beta $batch. Results are in input order.
func (c *Client) PerUserMFAStates(ctx context.Context, users []string) ([]MFAStateResult, error) {
	items := make([]RawBatchItem, len(users))
	for i, u := range users {
		items[i] = RawBatchItem{Method: http.MethodGet, URL: requirementsPath(u)}
	}
	rs, err := c.RawBatch(ctx, fmt.Sprintf("reading the per-user MFA state of %d users", len(users)), "beta", items)
	if err != nil {
		return nil, err
	}
	out := make([]MFAStateResult, len(users))
	for i, r := range rs {
		out[i] = MFAStateResult{User: users[i], Err: r.Err}
		if r.Err != nil {
			continue
		}
		var b mfaStateBody
		if err := json.Unmarshal(r.Body, &b); err != nil {
			out[i].Err = &Error{Op: "reading the per-user MFA state of " + users[i], Err: fmt.Errorf("decoding Graph's answer: %w", err)}
			continue
		}
		out[i].State = b.State
	}
	return out, nil
}

// SetPerUserMFAStates writes state for up to MaxBatch users in one beta
// $batch. A nil Err means Graph answered 2xx — not that the write stuck.
func (c *Client) SetPerUserMFAStates(ctx context.Context, users []string, state string) ([]MFAStateResult, error) {
	items := make([]RawBatchItem, len(users))
	for i, u := range users {
		items[i] = RawBatchItem{Method: http.MethodPatch, URL: requirementsPath(u), Body: mfaStateBody{State: state}}
	}
	rs, err := c.RawBatch(ctx, fmt.Sprintf("setting the per-user MFA state of %d users to %s", len(users), state), "beta", items)
	if err != nil {
		return nil, err
	}
	out := make([]MFAStateResult, len(users))
	for i, r := range rs {
		out[i] = MFAStateResult{User: users[i], Err: r.Err}
	}
	return out, nil
}

// UserResult is the outcome of one lookup in GetUsers.
type UserResult struct {
	Ref  string // as given
	User User
	Err  error
}

// GetUsers looks up to MaxBatch users (object ids or UPNs) in one v1.0 $batch.
func (c *Client) GetUsers(ctx context.Context, refs []string) ([]UserResult, error) {
	items := make([]RawBatchItem, len(refs))
	sel := "?$select=" + strings.Join(userSelect, ",")
	for i, r := range refs {
		items[i] = RawBatchItem{Method: http.MethodGet, URL: "/users/" + url.PathEscape(r) + sel}
	}
	rs, err := c.RawBatch(ctx, fmt.Sprintf("looking up %d users", len(refs)), "v1.0", items)
	if err != nil {
		return nil, err
	}
	out := make([]UserResult, len(refs))
	for i, r := range rs {
		out[i] = UserResult{Ref: refs[i], Err: r.Err}
		if r.Err == nil {
			if err := json.Unmarshal(r.Body, &out[i].User); err != nil {
				out[i].Err = &Error{Op: "looking up " + refs[i], Err: fmt.Errorf("decoding Graph's answer: %w", err)}
			}
		}
	}
	return out, nil
}

// UsersPage is one page of a user listing.
type UsersPage struct {
	Users []User
	Next  string // @odata.nextLink; "" on the last page
}

// ListUsersPage returns one page of users (999 per page, the maximum) with
// the properties of User. next is "" for the first page, then the previous
// page's Next. Decoding straight into User keeps memory per page small.
func (c *Client) ListUsersPage(ctx context.Context, next string) (UsersPage, error) {
	path := next
	if path == "" {
		path = "v1.0/users?$select=" + strings.Join(userSelect, ",") + "&$top=999"
	}
	var resp struct {
		Value []User `json:"value"`
		Next  string `json:"@odata.nextLink"`
	}
	if err := c.Raw(ctx, "listing users", http.MethodGet, path, nil, &resp); err != nil {
		return UsersPage{}, err
	}
	return UsersPage{Users: resp.Value, Next: resp.Next}, nil
}

// RegistrationDetail is one row of the authentication methods registration
// report (beta userRegistrationDetails: the only version with defaultMfaMethod).
type RegistrationDetail struct {
	ID                string   `json:"id"`
	UserPrincipalName string   `json:"userPrincipalName"`
	UserDisplayName   string   `json:"userDisplayName"`
	UserType          string   `json:"userType"` // member or guest
	IsAdmin           bool     `json:"isAdmin"`
	IsMfaRegistered   bool     `json:"isMfaRegistered"`
	IsMfaCapable      bool     `json:"isMfaCapable"`
	MethodsRegistered []string `json:"methodsRegistered"`
	// DefaultMfaMethod: none, mobilePhone, microsoftAuthenticatorPush, ...; Graph
	// sends "" as well as "none" for no default.
	DefaultMfaMethod string `json:"defaultMfaMethod"`
	// UserPreferredMethod is v1.0's userPreferredMethodForSecondaryAuthentication.
	UserPreferredMethod string    `json:"userPreferredMethodForSecondaryAuthentication"`
	LastUpdated         time.Time `json:"lastUpdatedDateTime,omitzero"`
}

// RegistrationPage is one page of registration details.
type RegistrationPage struct {
	Details []RegistrationDetail
	Next    string
}

// ListRegistrationDetailsPage returns one page of
// /beta/reports/authenticationMethods/userRegistrationDetails. The reports
// budget is 5 requests per 10 s per app and tenant: callers pace pages.
// Disabled users are not in this report. Needs AuditLog.Read.All and an
// Entra ID P1/P2 tenant (403 otherwise).
func (c *Client) ListRegistrationDetailsPage(ctx context.Context, next string) (RegistrationPage, error) {
	path := next
	if path == "" {
		path = "beta/reports/authenticationMethods/userRegistrationDetails"
	}
	var resp struct {
		Value []RegistrationDetail `json:"value"`
		Next  string               `json:"@odata.nextLink"`
	}
	if err := c.Raw(ctx, "reading the MFA registration report", http.MethodGet, path, nil, &resp); err != nil {
		return RegistrationPage{}, err
	}
	return RegistrationPage{Details: resp.Value, Next: resp.Next}, nil
}

// AuthMethod is one registered authentication method of a user.
type AuthMethod struct {
	ID string `json:"id"`
	// Type is the method without namespace or suffix: password, phone,
	// microsoftAuthenticator, fido2, softwareOath, email, windowsHelloForBusiness, ...
	Type        string `json:"type"`
	DisplayName string `json:"displayName,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// ListAuthMethods lists a user's registered authentication methods
// (GET /users/{id}/authentication/methods; reports budget). Needs
// UserAuthenticationMethod.Read.All.
func (c *Client) ListAuthMethods(ctx context.Context, idOrUPN string) ([]AuthMethod, error) {
	op := "listing the authentication methods of " + idOrUPN
	var resp struct {
		Value []struct {
			Type        string `json:"@odata.type"`
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			Model       string `json:"model"`
			PhoneNumber string `json:"phoneNumber"`
		} `json:"value"`
	}
	if err := c.Raw(ctx, op, http.MethodGet, "v1.0/users/"+url.PathEscape(idOrUPN)+"/authentication/methods", nil, &resp); err != nil {
		return nil, err
	}
	out := make([]AuthMethod, 0, len(resp.Value))
	for _, v := range resp.Value {
		t := strings.TrimPrefix(v.Type, "#microsoft.graph.")
		t = strings.TrimSuffix(t, "AuthenticationMethod")
		name := v.DisplayName
		if name == "" {
			name = v.Model
		}
		out = append(out, AuthMethod{ID: v.ID, Type: t, DisplayName: name, PhoneNumber: v.PhoneNumber})
	}
	return out, nil
}

// Group is the part of a group tenantops works with.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// FindGroup resolves a group by object id or exact display name. Several
// groups with the name is an error naming their ids.
func (c *Client) FindGroup(ctx context.Context, idOrName string) (Group, error) {
	op := "finding group " + idOrName
	if isGUID(idOrName) {
		var g Group
		err := c.Raw(ctx, op, http.MethodGet, "v1.0/groups/"+idOrName+"?$select=id,displayName", nil, &g)
		return g, err
	}
	q := url.Values{}
	q.Set("$filter", "displayName eq '"+strings.ReplaceAll(idOrName, "'", "''")+"'")
	q.Set("$select", "id,displayName")
	var resp struct {
		Value []Group `json:"value"`
	}
	if err := c.Raw(ctx, op, http.MethodGet, "v1.0/groups?"+q.Encode(), nil, &resp); err != nil {
		return Group{}, err
	}
	switch len(resp.Value) {
	case 0:
		return Group{}, &Error{Op: op, StatusCode: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "no group has that display name"}
	case 1:
		return resp.Value[0], nil
	}
	ids := make([]string, len(resp.Value))
	for i, g := range resp.Value {
		ids[i] = g.ID
	}
	return Group{}, &Error{Op: op, Err: fmt.Errorf("%d groups have that display name (%s); name it by object id", len(ids), strings.Join(ids, ", "))}
}

// EachGroupUserID calls fn with the object id of every user in the group,
// nested groups included (transitiveMembers/microsoft.graph.user, 999 a page).
func (c *Client) EachGroupUserID(ctx context.Context, groupID string, fn func(id string)) error {
	op := "listing the members of group " + groupID
	path := "v1.0/groups/" + url.PathEscape(groupID) + "/transitiveMembers/microsoft.graph.user?$select=id&$top=999"
	for path != "" {
		var resp struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		if err := c.Raw(ctx, op, http.MethodGet, path, nil, &resp); err != nil {
			return err
		}
		for _, v := range resp.Value {
			fn(v.ID)
		}
		path = resp.Next
	}
	return nil
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
