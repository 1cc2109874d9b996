package graph

import (
	"context"
	"net/http"
)

// SecurityDefaults is the tenant's identitySecurityDefaultsEnforcementPolicy.
type SecurityDefaults struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	Enabled     bool   `json:"isEnabled"`
}

// GetSecurityDefaults reads whether security defaults are on
// (GET /policies/identitySecurityDefaultsEnforcementPolicy). Needs Policy.Read.All.
func (c *Client) GetSecurityDefaults(ctx context.Context) (SecurityDefaults, error) {
	const op = "reading security defaults"
	var out SecurityDefaults
	err := c.Raw(ctx, op, http.MethodGet, "v1.0/policies/identitySecurityDefaultsEnforcementPolicy", nil, &out)
	return out, err
}
