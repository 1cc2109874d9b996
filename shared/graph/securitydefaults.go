package graph

import (
	"context"
	"fmt"
	"net/http"
)

// SetSecurityDefaults turns security defaults on or off (PATCH
// /policies/identitySecurityDefaultsEnforcementPolicy, 204). Graph refuses to
// enable them while Conditional Access policies are on; callers check first
// so they can say which policies. Needs Policy.ReadWrite.SecurityDefaults.
func (c *Client) SetSecurityDefaults(ctx context.Context, enabled bool) error {
	op := fmt.Sprintf("setting security defaults isEnabled=%t", enabled)
	body := struct {
		IsEnabled bool `json:"isEnabled"`
	}{enabled}
	return c.Raw(ctx, op, http.MethodPatch, "v1.0/policies/identitySecurityDefaultsEnforcementPolicy", body, nil)
}
