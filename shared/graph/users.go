package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
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

var userSelect = []string{"id", "userPrincipalName", "displayName", "userType", "accountEnabled", "signInSessionsValidFromDateTime"}

// GetUser fetches a user by object id or userPrincipalName.
func (c *Client) GetUser(ctx context.Context, idOrUPN string) (User, error) {
	op := fmt.Sprintf("getting user %s", idOrUPN)
	u, err := c.sdk.Users().ByUserId(idOrUPN).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userSelect},
	})
	if err != nil {
		return User{}, wrap(op, ctxErr(ctx, err))
	}
	return toUser(u), nil
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

func toUser(u models.Userable) User {
	out := User{
		ID:                deref(u.GetId()),
		UserPrincipalName: deref(u.GetUserPrincipalName()),
		DisplayName:       deref(u.GetDisplayName()),
		UserType:          deref(u.GetUserType()),
		AccountEnabled:    deref(u.GetAccountEnabled()),
	}
	if t := u.GetSignInSessionsValidFromDateTime(); t != nil {
		out.SignInSessionsValidFrom = *t
	}
	return out
}
