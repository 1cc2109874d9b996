package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Method is how tenantops signs in.
type Method string

// Sign-in methods. MethodAuto picks from the settings present, the way
// azidentity's EnvironmentCredential does, falling back to managed identity.
const (
	MethodAuto             Method = ""
	MethodClientSecret     Method = "client-secret"
	MethodCertificate      Method = "certificate"
	MethodWorkloadIdentity Method = "workload-identity"
	MethodManagedIdentity  Method = "managed-identity"
	MethodAzureCLI         Method = "azure-cli"
	MethodDeviceCode       Method = "device-code"
	MethodBrowser          Method = "browser"
)

// ParseMethod accepts the --auth flag values.
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.ToLower(strings.TrimSpace(s))); m {
	case MethodAuto, MethodClientSecret, MethodCertificate, MethodWorkloadIdentity,
		MethodManagedIdentity, MethodAzureCLI, MethodDeviceCode, MethodBrowser, MethodAWSFederation:
		return m, nil
	case "secret":
		return MethodClientSecret, nil
	case "auto":
		return MethodAuto, nil
	default:
		return "", fmt.Errorf("unknown sign-in method %q (want client-secret, certificate, workload-identity, aws-federation, managed-identity, azure-cli, device-code or browser)", s)
	}
}

// Config holds azidentity's own settings. Field comments name the environment
// variable each one is read from.
type Config struct {
	Cloud               Cloud  // TENANTOPS_CLOUD
	Method              Method // chosen method; MethodAuto = from the settings present
	TenantID            string // AZURE_TENANT_ID
	ClientID            string // AZURE_CLIENT_ID (also the user-assigned managed identity's client id)
	ClientSecret        string // AZURE_CLIENT_SECRET
	CertificatePath     string // AZURE_CLIENT_CERTIFICATE_PATH (PEM or PFX)
	CertificatePassword string // AZURE_CLIENT_CERTIFICATE_PASSWORD
	FederatedTokenFile  string // AZURE_FEDERATED_TOKEN_FILE
	// AWS configures MethodAWSFederation (TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME).
	AWS AWSFederation
	// DeviceCodePrompt shows the device code to the person signing in (device-code only).
	DeviceCodePrompt func(ctx context.Context, message string) error
}

// ConfigFromEnv reads Config from the environment through getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c, err := ParseCloud(getenv("TENANTOPS_CLOUD"))
	if err != nil {
		return Config{}, err
	}
	return Config{
		Cloud:               c,
		TenantID:            getenv("AZURE_TENANT_ID"),
		ClientID:            getenv("AZURE_CLIENT_ID"),
		ClientSecret:        getenv("AZURE_CLIENT_SECRET"),
		CertificatePath:     getenv("AZURE_CLIENT_CERTIFICATE_PATH"),
		CertificatePassword: getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
		FederatedTokenFile:  getenv("AZURE_FEDERATED_TOKEN_FILE"),
		AWS:                 awsFederationFromEnv(getenv),
	}, nil
}

// Resolve returns the method that NewCredential will use.
func (c Config) Resolve() Method {
	if c.Method != MethodAuto {
		return c.Method
	}
	switch {
	case c.ClientSecret != "":
		return MethodClientSecret
	case c.CertificatePath != "":
		return MethodCertificate
	case c.FederatedTokenFile != "":
		return MethodWorkloadIdentity
	case c.AWS.InLambda && c.TenantID != "" && c.ClientID != "":
		// In Lambda an app registration without a secret is reached through STS.
		return MethodAWSFederation
	default:
		return MethodManagedIdentity
	}
}

// ClientOptions returns azcore options for cloud c over transport t; azsecrets and
// other azcore-based clients use the same ones.
func ClientOptions(c Cloud, t http.RoundTripper) azcore.ClientOptions {
	o := azcore.ClientOptions{Cloud: cloud.Configuration{
		ActiveDirectoryAuthorityHost: c.Endpoints().AuthorityHost,
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{},
	}}
	if t != nil {
		o.Transport = &http.Client{Transport: t}
	}
	return o
}

// NewCredential builds the credential cfg asks for, sending every request
// through transport (nil = the default transport).
func NewCredential(cfg Config, transport http.RoundTripper) (azcore.TokenCredential, error) {
	co := ClientOptions(cfg.Cloud, transport)
	need := func(what, v string) error {
		if v == "" {
			return fmt.Errorf("sign-in with %s needs %s", cfg.Resolve(), what)
		}
		return nil
	}
	switch m := cfg.Resolve(); m {
	case MethodClientSecret:
		if err := errors.Join(need("AZURE_TENANT_ID", cfg.TenantID), need("AZURE_CLIENT_ID", cfg.ClientID), need("AZURE_CLIENT_SECRET", cfg.ClientSecret)); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co})
		return cred, wrapCtor(m, err)
	case MethodCertificate:
		if err := errors.Join(need("AZURE_TENANT_ID", cfg.TenantID), need("AZURE_CLIENT_ID", cfg.ClientID), need("AZURE_CLIENT_CERTIFICATE_PATH", cfg.CertificatePath)); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(cfg.CertificatePath)
		if err != nil {
			return nil, fmt.Errorf("reading client certificate: %w", err)
		}
		var pw []byte
		if cfg.CertificatePassword != "" {
			pw = []byte(cfg.CertificatePassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, fmt.Errorf("parsing client certificate %s: %w", cfg.CertificatePath, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, SendCertificateChain: true})
		return cred, wrapCtor(m, err)
	case MethodWorkloadIdentity:
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, TenantID: cfg.TenantID, ClientID: cfg.ClientID, TokenFilePath: cfg.FederatedTokenFile,
		})
		return cred, wrapCtor(m, err)
	case MethodAWSFederation:
		if err := errors.Join(need("AZURE_TENANT_ID", cfg.TenantID), need("AZURE_CLIENT_ID", cfg.ClientID)); err != nil {
			return nil, err
		}
		cred, err := NewAWSFederationCredential(cfg.TenantID, cfg.ClientID, NewSTSTokens(cfg.AWS, transport), co)
		return cred, wrapCtor(m, err)
	case MethodManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{}
		// IMDS and the App Service identity endpoint are local to the host:
		// never send them through the dev transport.
		if cfg.Cloud == Dev {
			return nil, errors.New("managed identity is not available with the dev tenant; use a client secret")
		}
		if cfg.ClientID != "" {
			o.ID = azidentity.ClientID(cfg.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(o)
		return cred, wrapCtor(m, err)
	case MethodAzureCLI:
		cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: cfg.TenantID})
		return cred, wrapCtor(m, err)
	case MethodDeviceCode:
		o := &azidentity.DeviceCodeCredentialOptions{ClientOptions: co, TenantID: cfg.TenantID, ClientID: cfg.ClientID}
		if cfg.DeviceCodePrompt != nil {
			o.UserPrompt = func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
				return cfg.DeviceCodePrompt(ctx, m.Message)
			}
		}
		p := InteractivePersistence(cfg, m) // cache.go: no second prompt
		o.Cache, o.AuthenticationRecord = p.Cache, p.Record
		cred, err := azidentity.NewDeviceCodeCredential(o)
		if err != nil {
			return nil, wrapCtor(m, err)
		}
		return Remember(cred, p), nil
	case MethodBrowser:
		p := InteractivePersistence(cfg, m)
		cred, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
			ClientOptions: co, TenantID: cfg.TenantID, ClientID: cfg.ClientID, Cache: p.Cache, AuthenticationRecord: p.Record,
		})
		if err != nil {
			return nil, wrapCtor(m, err)
		}
		return Remember(cred, p), nil
	default:
		return nil, fmt.Errorf("unknown sign-in method %q", m)
	}
}

func wrapCtor(m Method, err error) error {
	if err != nil {
		return fmt.Errorf("building %s credential: %w", m, err)
	}
	return nil
}
