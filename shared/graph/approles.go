package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MicrosoftGraphAppID is the application id of Microsoft Graph: its service
// principal in every tenant carries the Graph application permissions as appRoles.
const MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"

// AppRole is an application permission a resource offers (an appRole of its
// service principal), e.g. Value "User.Read.All".
type AppRole struct {
	ID          string `json:"id"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName,omitempty"`
	Enabled     bool   `json:"isEnabled"`
	// AllowedMemberTypes: "Application" for application permissions.
	AllowedMemberTypes []string `json:"allowedMemberTypes,omitempty"`
}

// PrincipalInfo is a service principal as the permission operations need
// it: who it is and, for a resource, which app roles it offers.
type PrincipalInfo struct {
	ID          string `json:"id"` // object id
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName,omitempty"`
	// Type is servicePrincipalType: Application, ManagedIdentity, Legacy, SocialIdp.
	Type           string    `json:"servicePrincipalType,omitempty"`
	AccountEnabled bool      `json:"accountEnabled"`
	AppRoles       []AppRole `json:"appRoles,omitempty"`
}

// RoleByValue finds an enabled application permission by its value.
func (p PrincipalInfo) RoleByValue(value string) (AppRole, bool) {
	for _, r := range p.AppRoles {
		if strings.EqualFold(r.Value, value) && r.Enabled && allowsApplications(r) {
			return r, true
		}
	}
	return AppRole{}, false
}

// RoleByID finds an app role by id.
func (p PrincipalInfo) RoleByID(id string) (AppRole, bool) {
	for _, r := range p.AppRoles {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return AppRole{}, false
}

func allowsApplications(r AppRole) bool {
	if len(r.AllowedMemberTypes) == 0 {
		return true
	}
	for _, t := range r.AllowedMemberTypes {
		if strings.EqualFold(t, "Application") {
			return true
		}
	}
	return false
}

// AppRoleAssignment is an app role granted to a principal on a resource.
type AppRoleAssignment struct {
	ID                   string    `json:"id"`
	AppRoleID            string    `json:"appRoleId"`
	PrincipalID          string    `json:"principalId"`
	PrincipalType        string    `json:"principalType,omitempty"`
	PrincipalDisplayName string    `json:"principalDisplayName,omitempty"`
	ResourceID           string    `json:"resourceId"`
	ResourceDisplayName  string    `json:"resourceDisplayName,omitempty"`
	Created              time.Time `json:"createdDateTime,omitzero"`
}

var principalSelect = []string{"id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "appRoles"}

// GetServicePrincipal reads a service principal by object id
// (GET /servicePrincipals/{id}).
func (c *Client) GetServicePrincipal(ctx context.Context, objectID string) (PrincipalInfo, error) {
	op := fmt.Sprintf("getting service principal %s", objectID)
	if _, err := uuid.Parse(objectID); err != nil {
		return PrincipalInfo{}, &Error{Op: op, Err: fmt.Errorf("%q is not an object id", objectID)}
	}
	return c.getPrincipal(ctx, op, "v1.0/servicePrincipals/"+objectID)
}

// GetServicePrincipalByAppID reads the service principal of an application
// in this tenant (GET /servicePrincipals(appId='…')), with its app roles:
// for MicrosoftGraphAppID, the catalog of Graph application permissions.
func (c *Client) GetServicePrincipalByAppID(ctx context.Context, appID string) (PrincipalInfo, error) {
	op := fmt.Sprintf("getting the service principal of application %s", appID)
	if _, err := uuid.Parse(appID); err != nil {
		return PrincipalInfo{}, &Error{Op: op, Err: fmt.Errorf("%q is not an application (client) id", appID)}
	}
	return c.getPrincipal(ctx, op, "v1.0/servicePrincipals(appId='"+appID+"')")
}

// ListAppRoleAssignments lists the app roles granted to the service
// principal principalID (GET /servicePrincipals/{id}/appRoleAssignments),
// following @odata.nextLink to the end. A 404 means no such principal.
func (c *Client) ListAppRoleAssignments(ctx context.Context, principalID string) ([]AppRoleAssignment, error) {
	op := fmt.Sprintf("listing the app role assignments of %s", principalID)
	if _, err := uuid.Parse(principalID); err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%q is not an object id", principalID)}
	}
	out := []AppRoleAssignment{}
	path := "v1.0/servicePrincipals/" + principalID + "/appRoleAssignments"
	for path != "" {
		var page struct {
			Value []AppRoleAssignment `json:"value"`
			Next  string              `json:"@odata.nextLink"`
		}
		if err := c.Raw(ctx, op, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, a := range page.Value {
			out = append(out, a.normalized())
		}
		path = page.Next
	}
	return out, nil
}

// AssignAppRole grants appRoleID of resourceID to principalID
// (POST /servicePrincipals/{principalID}/appRoleAssignments). Graph refuses
// a duplicate with 400 (see IsAlreadyAssigned).
func (c *Client) AssignAppRole(ctx context.Context, principalID, resourceID, appRoleID string) (AppRoleAssignment, error) {
	op := fmt.Sprintf("assigning app role %s of %s to %s", appRoleID, resourceID, principalID)
	ids := make([]uuid.UUID, 3)
	for i, s := range []string{principalID, resourceID, appRoleID} {
		u, err := uuid.Parse(s)
		if err != nil {
			return AppRoleAssignment{}, &Error{Op: op, Err: fmt.Errorf("%q is not an id", s)}
		}
		ids[i] = u
	}
	body := map[string]string{"principalId": ids[0].String(), "resourceId": ids[1].String(), "appRoleId": ids[2].String()}
	var res AppRoleAssignment
	if err := c.Raw(ctx, op, http.MethodPost, "v1.0/servicePrincipals/"+principalID+"/appRoleAssignments", body, &res); err != nil {
		return AppRoleAssignment{}, err
	}
	if res.ID == "" {
		return AppRoleAssignment{}, &Error{Op: op, StatusCode: http.StatusCreated, Message: "Graph answered without the assignment"}
	}
	return res.normalized(), nil
}

// IsAlreadyAssigned reports Graph's answer to assigning an app role the
// principal already holds: 400 "Permission being assigned already exists on
// the object."
func IsAlreadyAssigned(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.StatusCode == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(ge.Message), "already exists")
}

// getPrincipal reads a service principal into plain types: decoding into
// msgraph's typed model would link everything a service principal reaches.
func (c *Client) getPrincipal(ctx context.Context, op, path string) (PrincipalInfo, error) {
	var sp struct {
		PrincipalInfo
		AccountEnabled *bool `json:"accountEnabled"`
		AppRoles       []struct {
			AppRole
			Enabled *bool `json:"isEnabled"`
		} `json:"appRoles"`
	}
	if err := c.Raw(ctx, op, http.MethodGet, path+"?$select="+strings.Join(principalSelect, ","), nil, &sp); err != nil {
		return PrincipalInfo{}, err
	}
	out := sp.PrincipalInfo
	out.AccountEnabled = sp.AccountEnabled == nil || *sp.AccountEnabled
	out.AppRoles = nil
	for _, r := range sp.AppRoles {
		ar := r.AppRole
		ar.ID = strings.ToLower(ar.ID)
		ar.Enabled = r.Enabled == nil || *r.Enabled
		out.AppRoles = append(out.AppRoles, ar)
	}
	return out, nil
}

// normalized lower-cases ids so they compare as GUIDs.
func (a AppRoleAssignment) normalized() AppRoleAssignment {
	a.AppRoleID, a.PrincipalID, a.ResourceID = strings.ToLower(a.AppRoleID), strings.ToLower(a.PrincipalID), strings.ToLower(a.ResourceID)
	return a
}
