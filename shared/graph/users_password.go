package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
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
	pp := models.NewPasswordProfile()
	pp.SetPassword(&password)
	pp.SetForceChangePasswordNextSignIn(&force)
	u := models.NewUser()
	u.SetPasswordProfile(pp)
	if _, err := c.sdk.Users().ByUserId(userID).Patch(ctx, u, nil); err != nil {
		return wrap(op, ctxErr(ctx, err))
	}
	return nil
}
