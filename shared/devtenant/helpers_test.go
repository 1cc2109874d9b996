package devtenant_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

var registerErrors sync.Once

// fakeClock is a manually advanced clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startTenant starts a dev tenant that is closed at the end of the test.
func startTenant(t testing.TB, opts devtenant.Options) *devtenant.Tenant {
	t.Helper()
	dt, err := devtenant.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := dt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return dt
}

// routed returns the routed transport to the dev tenant (production host names).
func routed(t testing.TB, dt *devtenant.Tenant) *http.Transport {
	t.Helper()
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatalf("DevTransport: %v", err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func fastRetry() policy.RetryOptions {
	return policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}
}

// secretCred builds a real ClientSecretCredential that reaches the dev tenant.
func secretCred(t testing.TB, tr http.RoundTripper, clientID, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(devtenant.TenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: tr}, Retry: fastRetry()},
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

// graphClient builds a msgraph-sdk-go client per SDK-OFFLINE.md: kiota auth
// provider, fixed middleware list without request compression, routed style.
func graphClient(t testing.TB, tr http.RoundTripper, cred azcore.TokenCredential) *msgraphsdk.GraphServiceClient {
	t.Helper()
	registerErrors.Do(func() {
		m := abstractions.ErrorMappings{"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue, "5XX": odataerrors.CreateODataErrorFromDiscriminatorValue}
		msgraphcore.RegisterError(msgraphcore.PageIteratorErrorRegistryKey, m)
		msgraphcore.RegisterError(msgraphcore.BatchRequestErrorRegistryKey, m)
	})
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopes(cred, []string{"https://graph.microsoft.com/.default"})
	if err != nil {
		t.Fatalf("auth provider: %v", err)
	}
	opts := msgraphsdk.GetDefaultClientOptions()
	mw := []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
		khttp.NewRetryHandler(),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
		khttp.NewCompressionHandlerWithOptions(*khttp.NewCompressionOptionsReference(false)),
	}
	hc := &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(tr, mw...),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	return msgraphsdk.NewGraphServiceClient(adapter)
}

// aadCode extracts the first AADSTS code from an azidentity error.
func aadCode(t testing.TB, err error) (status int, code int, body map[string]any) {
	t.Helper()
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		t.Fatalf("want AuthenticationFailedError, got %T: %v", err, err)
	}
	b, _ := runtime.Payload(afe.RawResponse)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("AAD body: %v: %s", err, b)
	}
	codes, _ := body["error_codes"].([]any)
	if len(codes) > 0 {
		f, _ := codes[0].(float64)
		code = int(f)
	}
	return afe.RawResponse.StatusCode, code, body
}

// odataCode returns the status and code of a Graph SDK error.
func odataCode(err error) (int, string) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		code := ""
		if e := oe.GetErrorEscaped(); e != nil && e.GetCode() != nil {
			code = *e.GetCode()
		}
		return oe.ResponseStatusCode, code
	}
	return 0, ""
}

// rawClient is a plain HTTP client over the routed transport with a token helper.
type rawClient struct {
	t   testing.TB
	hc  *http.Client
	tr  http.RoundTripper
	dt  *devtenant.Tenant
	tok map[string]string
}

func newRaw(t testing.TB, dt *devtenant.Tenant) *rawClient {
	tr := routed(t, dt)
	return &rawClient{t: t, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, tr: tr, dt: dt, tok: map[string]string{}}
}

// token gets an app token for scope with a client secret.
func (c *rawClient) token(clientID, secret, scope string) string {
	c.t.Helper()
	key := clientID + "|" + scope
	if tok, ok := c.tok[key]; ok {
		return tok
	}
	status, body := c.form("https://login.microsoftonline.com/"+devtenant.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {scope},
	})
	if status != 200 {
		c.t.Fatalf("token: %d %s", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &tr)
	c.tok[key] = tr.AccessToken
	return tr.AccessToken
}

func (c *rawClient) adminGraph() string {
	return c.token(devtenant.AdminClientID, devtenant.AdminClientSecret, "https://graph.microsoft.com/.default")
}

func (c *rawClient) form(u string, v url.Values) (int, []byte) {
	c.t.Helper()
	resp, err := c.hc.PostForm(u, v)
	if err != nil {
		c.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// do sends a request with an optional bearer token and JSON body.
func (c *rawClient) do(method, u, token, body string, hdr ...string) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// getJSON is do + JSON decode into a generic map, asserting the status.
func (c *rawClient) json(method, u, token, body string, want int) map[string]any {
	c.t.Helper()
	resp, b := c.do(method, u, token, body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, u, resp.StatusCode, want, b)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, u, b, err)
		}
	}
	return m
}
