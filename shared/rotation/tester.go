package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/identity"
)

// TokenTester tests a client secret the way its consumers will use it: an
// azidentity ClientSecretCredential over the same transport as everything
// else, asking for a Microsoft Graph token.
type TokenTester struct {
	Cloud     identity.Cloud
	Transport http.RoundTripper
	// Retry overrides azcore's retry policy for the token request (tests: ms delays).
	Retry *policy.RetryOptions
}

// TestAppSecret acquires one token with secret. A fresh credential per call
// means no token cache can make a broken secret look fine.
func (t TokenTester) TestAppSecret(ctx context.Context, tenantID, appID, secret string) error {
	co := identity.ClientOptions(t.Cloud, t.Transport)
	if t.Retry != nil {
		co.Retry = *t.Retry
	}
	cred, err := azidentity.NewClientSecretCredential(tenantID, appID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: co})
	if err != nil {
		return fmt.Errorf("building a credential for %s: %w", appID, err)
	}
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{t.Cloud.Endpoints().GraphScope()}})
	if err == nil {
		return nil
	}
	return classifyTokenError(appID, err)
}

// classifyTokenError keeps what matters of a token failure (status, AADSTS
// codes) and drops the rest: azidentity's message is long and echoes the
// response, which is noise in a rotation report.
func classifyTokenError(appID string, err error) error {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode < 500 {
			return fmt.Errorf("token request for %s: Entra answered %d", appID, re.StatusCode)
		}
		return fmt.Errorf("token request for %s: %w", appID, errors.Join(errTransient, errors.New(shortErr(err))))
	}
	body, _ := runtime.Payload(afe.RawResponse)
	var aad struct {
		Error string `json:"error"`
		Codes []int  `json:"error_codes"`
	}
	_ = json.Unmarshal(body, &aad)
	status := afe.RawResponse.StatusCode
	for _, c := range aad.Codes {
		if c == 7000215 {
			return fmt.Errorf("token request for %s: %w", appID, errNotReplicated)
		}
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return fmt.Errorf("token request for %s: Entra answered %d: %w", appID, status, errTransient)
	}
	return fmt.Errorf("token request for %s: Entra answered %d %s %v", appID, status, aad.Error, aad.Codes)
}

// shortErr is the first line of an error message.
func shortErr(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
