// Package graph is tenantops' only door to Microsoft Graph. It builds a
// msgraph-sdk-go client on an injected transport and exposes small, typed
// methods so operations never see kiota types.
package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/tenantops/tenantops/shared/identity"
)

// Options configure a Client.
type Options struct {
	// Cloud selects the Graph endpoint; Dev uses the global one.
	Cloud identity.Cloud
	// Transport carries every request (nil = http.DefaultTransport). The Graph
	// middleware pipeline is layered on top of it.
	Transport http.RoundTripper
	// MaxRetries bounds the SDK's retries of 429/503/504 per request (1..10, default 3).
	MaxRetries int
	// Timeout bounds one HTTP exchange including retries (default 100 s).
	Timeout time.Duration
}

// Client is a Microsoft Graph client. It is safe for concurrent use.
type Client struct {
	sdk     *msgraphsdk.GraphServiceClient
	adapter *msgraphsdk.GraphRequestAdapter
	baseURL string
}

// registerErrors makes PageIterator and $batch items decode OData errors the
// way direct calls do (SDK-OFFLINE.md: they have no mapping otherwise). The
// registry is the SDK's own process-wide map, so do it once.
var registerErrors = sync.OnceFunc(func() {
	m := abstractions.ErrorMappings{
		"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	}
	msgraphcore.RegisterError(msgraphcore.PageIteratorErrorRegistryKey, m)
	msgraphcore.RegisterError(msgraphcore.BatchRequestErrorRegistryKey, m)
})

// Middleware returns tenantops' fixed Graph middleware list. It mirrors the
// SDK default without request compression: kiota's compression handler, in the
// SDK's random middleware order, corrupts retried request bodies
// (kiota-http-go#183), so bodies are always sent plain.
func Middleware(maxRetries int) []khttp.Middleware {
	if maxRetries < 1 || maxRetries > 10 {
		maxRetries = 3
	}
	opts := msgraphsdk.GetDefaultClientOptions()
	return []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
		khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
			MaxRetries:   maxRetries,
			DelaySeconds: 3,
			ShouldRetry:  func(time.Duration, int, *http.Request, *http.Response) bool { return true },
		}),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
}

// New builds a Graph client that authenticates with cred.
func New(cred azcore.TokenCredential, opts Options) (*Client, error) {
	if cred == nil {
		return nil, errors.New("graph: nil credential")
	}
	registerErrors()
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	ep := opts.Cloud.Endpoints()
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		cred, []string{ep.GraphScope()}, []string{hostOf(ep.Graph)})
	if err != nil {
		return nil, fmt.Errorf("graph: building auth provider: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 100 * time.Second
	}
	hc := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, Middleware(opts.MaxRetries)...),
		// As kiota's default client: redirects are the middleware's job.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, fmt.Errorf("graph: building request adapter: %w", err)
	}
	baseURL := ep.Graph + "/v1.0"
	// Set before NewGraphServiceClient: $batch steps capture the base URL.
	adapter.SetBaseUrl(baseURL)
	// NewGraphServiceClient registers process-wide serializers and the
	// backing-store factory (kiota globals): build clients at start-up, one
	// at a time, never per request.
	newClientMu.Lock()
	sdk := msgraphsdk.NewGraphServiceClient(adapter)
	newClientMu.Unlock()
	return &Client{sdk: sdk, adapter: adapter, baseURL: baseURL}, nil
}

var newClientMu sync.Mutex

// SDK exposes the underlying client for the few calls this package does not wrap yet.
func (c *Client) SDK() *msgraphsdk.GraphServiceClient { return c.sdk }

func hostOf(u string) string {
	const p = "https://"
	if len(u) > len(p) && u[:len(p)] == p {
		return u[len(p):]
	}
	return u
}

// ctxErr prefers the context's error so callers see "deadline exceeded"
// rather than a transport message.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}
