// Package vault is tenantops' only door to Azure Key Vault secrets. It wraps
// azsecrets with plain types; secret values only ever travel in Secret.Value.
package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/tenantops/tenantops/shared/identity"
)

// Secret is one version of a Key Vault secret. Value is empty for listings.
type Secret struct {
	Name        string
	Version     string
	Value       string `json:"-"` // never serialised
	ContentType string
	Tags        map[string]string
	Enabled     bool
	Created     time.Time
	Updated     time.Time
	Expires     *time.Time
	NotBefore   *time.Time
}

// String never prints the value.
func (s Secret) String() string { return fmt.Sprintf("secret %s/%s", s.Name, s.Version) }

// Options configure a Client.
type Options struct {
	Cloud     identity.Cloud
	Transport http.RoundTripper
	// Retry overrides azcore's retry policy (nil = SDK defaults: 3 retries,
	// 800 ms exponential backoff). Tests use millisecond delays.
	Retry *policy.RetryOptions
}

// Client reads and writes secrets in one vault.
type Client struct {
	url string
	sdk *azsecrets.Client
}

// New returns a client for the vault at vaultURL (https://NAME.vault.azure.net).
func New(vaultURL string, cred azcore.TokenCredential, opts Options) (*Client, error) {
	u, err := url.Parse(vaultURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("vault URL %q: want https://NAME.%s", vaultURL, opts.Cloud.Endpoints().VaultSuffix)
	}
	co := identity.ClientOptions(opts.Cloud, opts.Transport)
	if opts.Retry != nil {
		co.Retry = *opts.Retry
	}
	c, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: co})
	if err != nil {
		return nil, fmt.Errorf("building Key Vault client for %s: %w", vaultURL, err)
	}
	return &Client{url: strings.TrimSuffix(vaultURL, "/"), sdk: c}, nil
}

// URL is the vault's address.
func (c *Client) URL() string { return c.url }

// SDK exposes the azsecrets client for calls this package does not wrap yet.
func (c *Client) SDK() *azsecrets.Client { return c.sdk }

// GetSecret reads a version of a secret; version "" is the latest.
func (c *Client) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	resp, err := c.sdk.GetSecret(ctx, name, version, nil)
	if err != nil {
		return Secret{}, wrap(fmt.Sprintf("reading secret %s", name), err)
	}
	return fromBundle(resp.Secret), nil
}

// SetParams describe a new secret version.
type SetParams struct {
	Value       string
	ContentType string
	Tags        map[string]string
	Expires     *time.Time
	NotBefore   *time.Time
}

// SetSecret writes a new version of a secret (the value never appears in errors).
func (c *Client) SetSecret(ctx context.Context, name string, p SetParams) (Secret, error) {
	params := azsecrets.SetSecretParameters{
		Value: &p.Value,
		Tags:  toPtrMap(p.Tags),
		SecretAttributes: &azsecrets.SecretAttributes{
			Expires:   p.Expires,
			NotBefore: p.NotBefore,
		},
	}
	if p.ContentType != "" {
		params.ContentType = &p.ContentType
	}
	resp, err := c.sdk.SetSecret(ctx, name, params, nil)
	if err != nil {
		return Secret{}, wrap(fmt.Sprintf("writing secret %s", name), err)
	}
	s := fromBundle(resp.Secret)
	s.Value = "" // the caller knows it; don't keep copies around
	return s, nil
}

// Versions lists every version of a secret (no values), following pages.
func (c *Client) Versions(ctx context.Context, name string) ([]Secret, error) {
	var out []Secret
	pager := c.sdk.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap(fmt.Sprintf("listing versions of %s", name), err)
		}
		for _, p := range page.Value {
			out = append(out, fromProps(p))
		}
	}
	return out, nil
}

// List lists the latest properties of every secret in the vault (no values).
func (c *Client) List(ctx context.Context) ([]Secret, error) {
	var out []Secret
	pager := c.sdk.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("listing secrets", err)
		}
		for _, p := range page.Value {
			out = append(out, fromProps(p))
		}
	}
	return out, nil
}

// UpdateTags replaces the tags of one version.
func (c *Client) UpdateTags(ctx context.Context, name, version string, tags map[string]string) error {
	_, err := c.sdk.UpdateSecretProperties(ctx, name, version, azsecrets.UpdateSecretPropertiesParameters{Tags: toPtrMap(tags)}, nil)
	return wrap(fmt.Sprintf("updating tags of %s/%s", name, version), err)
}

// DeleteSecret deletes a secret (soft delete: recoverable).
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	_, err := c.sdk.DeleteSecret(ctx, name, nil)
	return wrap(fmt.Sprintf("deleting secret %s", name), err)
}

// Error is a failed Key Vault call.
type Error struct {
	Op         string
	StatusCode int
	Code       string // e.g. SecretNotFound, Forbidden
	Err        error
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: Key Vault answered %d %s", e.Op, e.StatusCode, e.Code)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports a missing secret or version.
func IsNotFound(err error) bool {
	var ve *Error
	return errors.As(err, &ve) && ve.StatusCode == http.StatusNotFound
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	ve := &Error{Op: op, Err: err}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		ve.StatusCode, ve.Code = re.StatusCode, re.ErrorCode
	}
	return ve
}

func fromBundle(s azsecrets.Secret) Secret {
	out := Secret{ContentType: deref(s.ContentType), Tags: fromPtrMap(s.Tags), Value: deref(s.Value)}
	if s.ID != nil {
		out.Name, out.Version = s.ID.Name(), s.ID.Version()
	}
	attrs(&out, s.Attributes)
	return out
}

func fromProps(p *azsecrets.SecretProperties) Secret {
	out := Secret{ContentType: deref(p.ContentType), Tags: fromPtrMap(p.Tags)}
	if p.ID != nil {
		out.Name, out.Version = p.ID.Name(), p.ID.Version()
	}
	attrs(&out, p.Attributes)
	return out
}

func attrs(out *Secret, a *azsecrets.SecretAttributes) {
	if a == nil {
		return
	}
	out.Enabled = a.Enabled == nil || *a.Enabled
	if a.Created != nil {
		out.Created = *a.Created
	}
	if a.Updated != nil {
		out.Updated = *a.Updated
	}
	out.Expires, out.NotBefore = a.Expires, a.NotBefore
}

func toPtrMap(m map[string]string) map[string]*string {
	if m == nil {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

func fromPtrMap(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
