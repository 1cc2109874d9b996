package identity_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

// storedTenant starts a dev tenant with fx (nil = default) and returns it
// with its routed transport.
func storedTenant(t *testing.T, fx *devtenant.Fixture) (*devtenant.Tenant, *identity.StoredCredential) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{Fixture: fx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	return dt, &identity.StoredCredential{TenantID: devtenant.TenantID}
}

func getToken(t *testing.T, dt *devtenant.Tenant, s identity.StoredCredential, scope string) (azcore.AccessToken, error) {
	t.Helper()
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := identity.NewStoredCredential(identity.Dev, s, tr)
	if err != nil {
		t.Fatalf("NewStoredCredential: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
}

// TestSignInErrors drives real azidentity credentials into the dev tenant's
// refusals and checks what AsSignInError reads from them.
func TestSignInErrors(t *testing.T) {
	dt, base := storedTenant(t, nil)
	const graphScope = "https://graph.microsoft.com/.default"
	const spScope = "https://contoso.sharepoint.com/.default"
	adminPEM := string(devtenant.AdminCertPEM())
	tests := []struct {
		name     string
		cred     identity.StoredCredential
		scope    string
		code     int
		errName  string
		subError string
	}{
		{"wrong secret", identity.StoredCredential{Kind: identity.KindAppSecret, AppID: devtenant.WorkflowEngineAppID, Value: "wrong~secret"}, graphScope, 7000215, "invalid_client", ""},
		{"wrong certificate", identity.StoredCredential{Kind: identity.KindAppCertificate, AppID: devtenant.WorkflowEngineAppID, Value: adminPEM}, graphScope, 700027, "invalid_client", ""},
		{"unknown app", identity.StoredCredential{Kind: identity.KindAppSecret, AppID: "00000000-0000-0000-0000-0000000000aa", Value: "x"}, graphScope, 700016, "unauthorized_client", ""},
		{"MFA from an untrusted IP", identity.StoredCredential{Kind: identity.KindUserPassword, AppID: devtenant.SharePointSyncAppID, User: devtenant.SvcSharePointUPN, Value: devtenant.SvcSharePointPassword}, spScope, 50076, "invalid_grant", "basic_action"},
		{"locked account", identity.StoredCredential{Kind: identity.KindUserPassword, AppID: devtenant.SharePointSyncAppID, User: "lidia.holloway@contoso.com", Value: devtenant.DevUserPassword}, spScope, 50053, "invalid_grant", ""},
	}
	if err := dt.SetEgressIP(devtenant.UntrustedEgressIP); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.cred
			s.Name, s.TenantID = "test", base.TenantID
			_, err := getToken(t, dt, s, tt.scope)
			if err == nil {
				t.Fatal("token issued")
			}
			se, ok := identity.AsSignInError(err)
			if !ok {
				t.Fatalf("not a sign-in error: %v", err)
			}
			if se.Code != tt.code || se.Error != tt.errName || se.SubError != tt.subError || se.TraceID == "" || se.CorrelationID == "" {
				t.Fatalf("got %+v, want code %d error %s suberror %q", se, tt.code, tt.errName, tt.subError)
			}
			if !strings.HasPrefix(se.Description, se.AADSTS()+":") || strings.Contains(se.Description, "\n") {
				t.Fatalf("description %q", se.Description)
			}
			if !strings.HasPrefix(se.Summary(), se.AADSTS()+" "+se.Error+": ") {
				t.Fatalf("summary %q", se.Summary())
			}
			// runtime.Payload, not io.ReadAll: the error still prints Entra's answer.
			if !strings.Contains(err.Error(), fmt.Sprint(tt.code)) || strings.Contains(err.Error(), "no body") {
				t.Fatalf("err.Error() lost the body: %v", err)
			}
			if again, _ := identity.AsSignInError(err); again.Code != tt.code {
				t.Fatal("second read lost the body")
			}
			if tt.code == 50076 && len(se.CAPolicyIDs()) == 0 {
				t.Fatalf("no capolids in claims %q", se.Claims)
			}
		})
	}
}

func TestAsSignInErrorFallbacks(t *testing.T) {
	if _, ok := identity.AsSignInError(nil); ok {
		t.Fatal("nil is a sign-in error")
	}
	if _, ok := identity.AsSignInError(errors.New("dial tcp: refused")); ok {
		t.Fatal("a network error is a sign-in error")
	}
	se, ok := identity.AsSignInError(fmt.Errorf("discovery: %w", errors.New("AADSTS90002: Tenant 'x' not found.\nmore")))
	if !ok || se.Code != 90002 || se.Description != "AADSTS90002: Tenant 'x' not found." {
		t.Fatalf("got %+v %v", se, ok)
	}
	if (identity.SignInError{}).Summary() != "sign-in failed" {
		t.Fatal("empty summary")
	}
}

func TestStoredCredentialTokens(t *testing.T) {
	dt, base := storedTenant(t, nil)
	pfx, err := os.ReadFile("testdata/azidentity-certificate.pfx")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("certificate PEM, SharePoint audience", func(t *testing.T) {
		s := identity.StoredCredential{Name: "c", TenantID: base.TenantID, Kind: identity.KindAppCertificate, AppID: devtenant.WorkflowEngineAppID,
			Value: string(devtenant.WorkflowEngineCertPEM()), ContentType: "application/x-pem-file"}
		tok, err := getToken(t, dt, s, "https://contoso.sharepoint.com/.default")
		if err != nil || tok.Token == "" {
			t.Fatalf("token: %v", err)
		}
	})
	t.Run("secret, Graph audience", func(t *testing.T) {
		s := identity.StoredCredential{Name: "s", TenantID: base.TenantID, Kind: identity.KindAppSecret, AppID: devtenant.WorkflowEngineAppID, Value: devtenant.WorkflowEngineSecret}
		if _, err := getToken(t, dt, s, "https://graph.microsoft.com/.default"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("password (ROPC) from the trusted IP", func(t *testing.T) {
		s := identity.StoredCredential{Name: "p", TenantID: base.TenantID, Kind: identity.KindUserPassword, AppID: devtenant.SharePointSyncAppID,
			User: devtenant.SvcSharePointUPN, Value: devtenant.SvcSharePointPassword}
		if _, err := getToken(t, dt, s, "https://contoso.sharepoint.com/.default"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PFX as Key Vault serves it (base64)", func(t *testing.T) {
		certs, key, err := identity.ParseStoredCertificate(base64.StdEncoding.EncodeToString(pfx), "application/x-pkcs12", "")
		if err != nil || len(certs) == 0 || key == nil {
			t.Fatalf("parse: %v", err)
		}
		info := identity.DescribeCertificate(certs[0])
		if len(info.Thumbprint) != 40 || info.Thumbprint != strings.ToUpper(info.Thumbprint) || len(info.SHA256) != 64 {
			t.Fatalf("info %+v", info)
		}
		if _, _, err := identity.ParseStoredCertificate(string(pfx), "", ""); err != nil {
			t.Fatalf("raw PFX: %v", err)
		}
	})
}

func TestStoredCredentialValidate(t *testing.T) {
	const value = "very-secret-value"
	tests := []struct {
		name string
		s    identity.StoredCredential
		want string
	}{
		{"no kind", identity.StoredCredential{AppID: "a", Value: value, TenantID: "t"}, "no tenantops-kind tag"},
		{"bad kind", identity.StoredCredential{Kind: "api-key", AppID: "a", Value: value, TenantID: "t"}, `tenantops-kind="api-key"`},
		{"no app", identity.StoredCredential{Kind: identity.KindAppSecret, Value: value, TenantID: "t"}, "no tenantops-app-id tag"},
		{"password without user", identity.StoredCredential{Kind: identity.KindUserPassword, AppID: "a", Value: value, TenantID: "t"}, "no tenantops-user tag"},
		{"empty value", identity.StoredCredential{Kind: identity.KindAppSecret, AppID: "a", TenantID: "t"}, "the secret is empty"},
		{"garbage certificate", identity.StoredCredential{Kind: identity.KindAppCertificate, AppID: "a", Value: value, TenantID: "t"}, "reading the certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := identity.NewStoredCredential(identity.Dev, tt.s, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), value) || strings.Contains(tt.s.String(), value) {
				t.Fatalf("the value leaked: %v / %s", err, tt.s)
			}
		})
	}
}
