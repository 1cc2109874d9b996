package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Calls the bulk session revocation needs; the user listings it shares with
// the MFA report are in mfa.go.

// RevokeSignInSessionsBatch revokes up to MaxBatch users in one v1.0 $batch.
// Results are in input order; per-item failures (429 with Retry-After, 5xx,
// 404) are in each result's Err.
func (c *Client) RevokeSignInSessionsBatch(ctx context.Context, ids []string) ([]RawBatchResult, error) {
	items := make([]RawBatchItem, len(ids))
	for i, id := range ids {
		items[i] = RawBatchItem{Method: http.MethodPost, URL: "/users/" + url.PathEscape(id) + "/revokeSignInSessions"}
	}
	return c.RawBatch(ctx, fmt.Sprintf("revoking the sessions of %d users", len(ids)), "v1.0", items)
}

// GroupUsersPage returns one page of the users in a group, nested groups
// included (transitiveMembers cast to users, 999 a page), with the
// properties of User. next is "" for the first page.
func (c *Client) GroupUsersPage(ctx context.Context, groupID, next string) (UsersPage, error) {
	path := next
	if path == "" {
		path = "v1.0/groups/" + url.PathEscape(groupID) + "/transitiveMembers/microsoft.graph.user?$select=" +
			strings.Join(userSelect, ",") + "&$top=999"
	}
	var resp struct {
		Value []User `json:"value"`
		Next  string `json:"@odata.nextLink"`
	}
	if err := c.Raw(ctx, "listing the members of group "+groupID, http.MethodGet, path, nil, &resp); err != nil {
		return UsersPage{}, err
	}
	return UsersPage{Users: resp.Value, Next: resp.Next}, nil
}

// UnregisteredPage returns one page of the registration report restricted to
// users not registered for MFA ($filter=isMfaRegistered eq false), so a
// large tenant costs few calls against the reports budget (5 per 10 s).
func (c *Client) UnregisteredPage(ctx context.Context, next string) (RegistrationPage, error) {
	if next == "" {
		next = "beta/reports/authenticationMethods/userRegistrationDetails?$filter=" + url.QueryEscape("isMfaRegistered eq false")
	}
	return c.ListRegistrationDetailsPage(ctx, next)
}
