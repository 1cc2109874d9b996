package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Per-user MFA states (the legacy "multi-factor authentication" page).
const (
	PerUserMFADisabled = "disabled"
	PerUserMFAEnabled  = "enabled"
	PerUserMFAEnforced = "enforced"
)

// GetPerUserMFAState reads a user's per-user MFA state: disabled, enabled or
// enforced (beta GET /users/{id}/authentication/requirements; there is no
// v1.0 equivalent). Needs Policy.Read.All.
func (c *Client) GetPerUserMFAState(ctx context.Context, idOrUPN string) (string, error) {
	op := fmt.Sprintf("reading the per-user MFA state of %s", idOrUPN)
	var out struct {
		PerUserMfaState string `json:"perUserMfaState"`
	}
	if err := c.Raw(ctx, op, http.MethodGet, "beta/users/"+url.PathEscape(idOrUPN)+"/authentication/requirements", nil, &out); err != nil {
		return "", err
	}
	return out.PerUserMfaState, nil
}
