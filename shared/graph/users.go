package graph

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// User is the part of a Graph user tenantops works with.
type User struct {
	ID                      string    `json:"id"`
	UserPrincipalName       string    `json:"userPrincipalName"`
	DisplayName             string    `json:"displayName,omitempty"`
	UserType                string    `json:"userType,omitempty"` // Member or Guest
	AccountEnabled          bool      `json:"accountEnabled"`
	SignInSessionsValidFrom time.Time `json:"signInSessionsValidFromDateTime,omitzero"`
}

// IsGuest reports an external (B2B) account.
func (u User) IsGuest() bool { return u.UserType == "Guest" }

// userSelect keeps answers small; it also keeps the binary small: decoding
// into the SDK's typed User would link the deserializers of every type a
// user can reach (mail, drives, calendars…), tripling the binary size.
var userSelect = []string{"id", "userPrincipalName", "displayName", "userType", "accountEnabled", "signInSessionsValidFromDateTime"}

// GetUser fetches a user by object id or userPrincipalName.
func (c *Client) GetUser(ctx context.Context, idOrUPN string) (User, error) {
	var u User
	err := c.Raw(ctx, fmt.Sprintf("getting user %s", idOrUPN), "GET",
		"v1.0/users/"+url.PathEscape(idOrUPN)+"?$select="+strings.Join(userSelect, ","), nil, &u)
	return u, err
}

// RevokeSignInSessions invalidates the user's refresh tokens and session
// cookies. Graph answers 200 {"value":true} (documented as 204; both accepted).
func (c *Client) RevokeSignInSessions(ctx context.Context, userID string) error {
	op := fmt.Sprintf("revoking sign-in sessions of %s", userID)
	resp, err := c.sdk.Users().ByUserId(userID).RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
	if err != nil {
		return wrap(op, ctxErr(ctx, err))
	}
	if resp != nil && resp.GetValue() != nil && !*resp.GetValue() {
		return &Error{Op: op, StatusCode: 200, Message: "Graph answered value=false"}
	}
	return nil
}
