package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// SetPasswordOptions are the options of SetUserPassword.
type SetPasswordOptions struct {
	// ForceChange makes the user change the password at next sign-in. Service
	// accounts sign in without a person present, so rotation leaves it false.
	ForceChange bool
}

// SetUserPassword resets a user's password (PATCH /users/{id} passwordProfile):
// the app-only route, which needs User-PasswordProfile.ReadWrite.All and the
// User Administrator role (Privileged Authentication Administrator for
// admins). The password never appears in errors.
func (c *Client) SetUserPassword(ctx context.Context, userID, password string, opts *SetPasswordOptions) error {
	op := fmt.Sprintf("setting the password of %s", userID)
	force := opts != nil && opts.ForceChange
	// A plain body keeps msgraph's User serializer (and everything it
	// reaches) out of the binary.
	body := map[string]any{"passwordProfile": map[string]any{"password": password, "forceChangePasswordNextSignIn": force}}
	return c.Raw(ctx, op, http.MethodPatch, "v1.0/users/"+url.PathEscape(userID), body, nil)
}
