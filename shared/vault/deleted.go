package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Soft delete: a deleted secret's name stays taken ("deleted but
// recoverable", 409 on SetSecret) until it is purged or recovered. Rotation
// deletes its companion secrets and must be able to write them again.

// PurgeDeletedSecret permanently removes a soft-deleted secret, freeing its
// name. Vaults with purge protection answer 403.
func (c *Client) PurgeDeletedSecret(ctx context.Context, name string) error {
	_, err := c.sdk.PurgeDeletedSecret(ctx, name, nil)
	return wrap(fmt.Sprintf("purging deleted secret %s", name), err)
}

// RecoverDeletedSecret starts recovering a soft-deleted secret. Recovery
// finishes asynchronously in Azure: poll GetSecret until it answers.
func (c *Client) RecoverDeletedSecret(ctx context.Context, name string) error {
	_, err := c.sdk.RecoverDeletedSecret(ctx, name, nil)
	return wrap(fmt.Sprintf("recovering deleted secret %s", name), err)
}

// Status returns the HTTP status of a Key Vault error, or 0.
func Status(err error) int {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.StatusCode
	}
	return 0
}

// IsConflict reports a 409: for SetSecret, the name belongs to a
// soft-deleted secret.
func IsConflict(err error) bool { return Status(err) == http.StatusConflict }

// IsForbidden reports a 403 (missing permission, disabled secret, purge protection).
func IsForbidden(err error) bool { return Status(err) == http.StatusForbidden }
