package identity_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/identity"
)

// The federation the tests set up: an AWS account's outbound-federation
// issuer and the Lambda role, trusted by an app registration in the dev tenant.
const (
	fakeIssuer    = "https://8e1f2c0a-3b5d-4e6f-9a7b-1c2d3e4f5a6b.tokens.sts.global.api.aws"
	fakeRoleARN   = "arn:aws:iam::123456789012:role/tenantops-FunctionRole-1A2B3C4D5E6F"
	awsAppID      = "6d0f3a2b-9c4e-4b7a-8e1d-2f5a7c9b3e10"
	fakeAccessKey = "AKIAIOSFODNN7EXAMPLE"
	fakeSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-test-only"
	fakeSession   = "IQoJb3JpZ2luX2VjEXAMPLE-session-token-test-only"
)

// fakeSTS mimics the regional STS query API for GetWebIdentityToken: a
// SigV4-signed form POST answered with the XML the SDK's deserializer reads
// (GetWebIdentityTokenResponse/GetWebIdentityTokenResult/{WebIdentityToken,Expiration}).
type fakeSTS struct {
	t   testing.TB
	key *rsa.PrivateKey
	now func() time.Time

	mu      sync.Mutex
	subject string // sub of minted tokens
	errCode string // when set, answer with this error
	minted  []string
	forms   []url.Values
}

func newFakeSTS(t *testing.T, now func() time.Time) (*fakeSTS, *httptest.Server) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSTS{t: t, key: key, now: now, subject: fakeRoleARN}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	switch {
	case err != nil || r.Method != http.MethodPost:
		f.fail(w, http.StatusBadRequest, "MalformedQueryString", "bad request")
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+fakeAccessKey+"/") ||
		!strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request"):
		f.fail(w, http.StatusForbidden, "IncompleteSignature", "request not signed with SigV4 for sts")
		return
	case r.Header.Get("X-Amz-Security-Token") != fakeSession:
		f.fail(w, http.StatusForbidden, "InvalidClientTokenId", "the security token included in the request is invalid")
		return
	case form.Get("Action") != "GetWebIdentityToken" || form.Get("Version") != "2011-06-15":
		f.fail(w, http.StatusBadRequest, "InvalidAction", "unknown action "+form.Get("Action"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forms = append(f.forms, form)
	if f.errCode != "" {
		f.fail(w, http.StatusForbidden, f.errCode, "The request was rejected because outbound identity federation is disabled for this account.")
		return
	}
	secs := 300
	fmt.Sscan(form.Get("DurationSeconds"), &secs)
	now := f.now()
	exp := now.Add(time.Duration(secs) * time.Second).UTC()
	claims := map[string]any{
		"iss": fakeIssuer, "sub": f.subject, "aud": form.Get("Audience.member.1"),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "jti": fmt.Sprintf("jti-%d", len(f.minted)+1),
		"https://sts.amazonaws.com/": map[string]any{"aws_account": "123456789012", "source_region": "eu-west-1"},
	}
	tok := f.sign(claims)
	f.minted = append(f.minted, tok)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetWebIdentityTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetWebIdentityTokenResult>
    <WebIdentityToken>%s</WebIdentityToken>
    <Expiration>%s</Expiration>
  </GetWebIdentityTokenResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</GetWebIdentityTokenResponse>`, tok, exp.Format(time.RFC3339))
}

func (f *fakeSTS) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>0a1b2c3d-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>`, code, msg)
}

func (f *fakeSTS) sign(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test-key"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, sum[:])
	if err != nil {
		f.t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (f *fakeSTS) snapshot() (minted []string, forms []url.Values) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.minted...), append([]url.Values(nil), f.forms...)
}

// federationTenant starts the dev tenant with an app registration that trusts
// the fake AWS issuer and role (and may read users).
func federationTenant(t *testing.T) *devtenant.Tenant {
	t.Helper()
	fx := devtenant.ContosoAt(time.Now())
	fx.Apps = append(fx.Apps, devtenant.App{
		AppID: awsAppID, DisplayName: "tenantops (AWS Lambda)",
		AppRoles: map[string][]string{devtenant.ResourceGraph: {"User.Read.All"}},
		FederatedCredentials: []devtenant.FederatedCredential{{
			Name: "aws-lambda-role", Issuer: fakeIssuer, Subject: fakeRoleARN,
			Audiences: []string{identity.DefaultWebIdentityAudience},
		}},
	})
	dt, err := devtenant.Start(devtenant.Options{Fixture: fx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	return dt
}

// lambdaConfig is what ConfigFromEnv gives in Lambda, with the STS network
// pointed at the fake.
func lambdaConfig(t *testing.T, srv *httptest.Server, now func() time.Time) identity.Config {
	t.Helper()
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "tenantops-TenantOpsFunction-XYZ",
		"AWS_REGION":               "eu-west-1",
		"AZURE_TENANT_ID":          devtenant.TenantID,
		"AZURE_CLIENT_ID":          awsAppID,
		"TENANTOPS_CLOUD":          "dev",
	}
	cfg, err := identity.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.AWS.Endpoint = srv.URL
	cfg.AWS.HTTPClient = srv.Client()
	cfg.AWS.Credentials = credentials.NewStaticCredentialsProvider(fakeAccessKey, fakeSecretKey, fakeSession)
	cfg.AWS.Now = now
	return cfg
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAWSFederationGraphCall(t *testing.T) {
	dt := federationTenant(t)
	clk := &clock{t: time.Now()}
	sts, srv := newFakeSTS(t, clk.Now)
	cfg := lambdaConfig(t, srv, clk.Now)
	if m := cfg.Resolve(); m != identity.MethodAWSFederation {
		t.Fatalf("in Lambda with a client id and no secret, Resolve() = %q, want %q", m, identity.MethodAWSFederation)
	}
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.NewCredential(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.New(cred, graph.Options{Cloud: identity.Dev, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := g.GetUser(ctx, "adele.vance@contoso.com")
	if err != nil {
		t.Fatalf("Graph call with the federated credential: %v", err)
	}
	if u.UserPrincipalName != "adele.vance@contoso.com" {
		t.Errorf("got user %q", u.UserPrincipalName)
	}

	minted, forms := sts.snapshot()
	if len(minted) != 1 {
		t.Fatalf("STS calls = %d, want 1", len(minted))
	}
	f := forms[0]
	for k, want := range map[string]string{"Audience.member.1": identity.DefaultWebIdentityAudience, "SigningAlgorithm": "RS256", "DurationSeconds": "300"} {
		if got := f.Get(k); got != want {
			t.Errorf("STS request %s = %q, want %q", k, got, want)
		}
	}
	// The token Entra accepted was the federated one for our app.
	var found bool
	for _, ti := range dt.Tokens() {
		if strings.EqualFold(ti.AppID, awsAppID) {
			found = true
		}
	}
	if !found {
		t.Errorf("the dev tenant issued no token to %s: %+v", awsAppID, dt.Tokens())
	}

	// A second resource needs a second Entra token but reuses the cached JWT.
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err != nil {
		t.Fatalf("Key Vault token: %v", err)
	}
	if minted, _ := sts.snapshot(); len(minted) != 1 {
		t.Errorf("STS calls after a second scope = %d, want 1 (the JWT is cached)", len(minted))
	}
}

func TestSTSTokensCache(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	sts, srv := newFakeSTS(t, clk.Now)
	cfg := lambdaConfig(t, srv, clk.Now)
	src := identity.NewSTSTokens(cfg.AWS, nil)
	ctx := context.Background()

	// Tokens last 5 minutes and are refreshed from 1 minute before expiry.
	steps := []struct {
		advance   time.Duration
		wantCalls int
	}{
		{0, 1},                // first token, expires at +5m
		{2 * time.Minute, 1},  // +2m: cached
		{2 * time.Minute, 2},  // +4m: on the refresh boundary: a new token (expires at +9m)
		{30 * time.Second, 2}, // +4m30s: cached
		{4 * time.Minute, 3},  // +8m30s: within the last minute: refreshed
	}
	var last string
	for i, s := range steps {
		clk.Advance(s.advance)
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := src.Calls(); got != s.wantCalls {
			t.Errorf("step %d (+%v): STS calls = %d, want %d", i, s.advance, got, s.wantCalls)
		}
		if i > 0 && (tok == last) != (src.Calls() == steps[i-1].wantCalls) {
			t.Errorf("step %d: token reuse does not match the call count", i)
		}
		last = tok
	}
	c := src.Claims()
	if c.Issuer != fakeIssuer || c.Subject != fakeRoleARN || len(c.Audience) != 1 || c.Audience[0] != identity.DefaultWebIdentityAudience {
		t.Errorf("claims = %+v", c)
	}
	if minted, _ := sts.snapshot(); len(minted) != src.Calls() {
		t.Errorf("fake STS minted %d tokens, source counted %d calls", len(minted), src.Calls())
	}
}

func TestSTSTokensConcurrent(t *testing.T) {
	clk := &clock{t: time.Now()}
	_, srv := newFakeSTS(t, clk.Now)
	src := identity.NewSTSTokens(lambdaConfig(t, srv, clk.Now).AWS, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if _, err := src.Token(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := src.Calls(); n != 1 {
		t.Errorf("8 concurrent callers made %d STS calls, want 1", n)
	}
}

func TestAWSFederationSubjectMismatch(t *testing.T) {
	dt := federationTenant(t)
	clk := &clock{t: time.Now()}
	sts, srv := newFakeSTS(t, clk.Now)
	sts.subject = "arn:aws:iam::123456789012:role/some-other-role"
	var logs bytes.Buffer
	cfg := lambdaConfig(t, srv, clk.Now)
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.NewCredential(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.New(cred, graph.Options{Cloud: identity.Dev, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&logs, nil))
	_, err = g.GetUser(context.Background(), "adele.vance@contoso.com")
	if err != nil {
		log.Error("graph call failed", "error", err)
	}
	var fm *identity.FederationMismatchError
	if !errors.As(err, &fm) {
		t.Fatalf("want a FederationMismatchError, got %T: %v", err, err)
	}
	if fm.Presented.Subject != sts.subject || fm.Presented.Issuer != fakeIssuer {
		t.Errorf("presented claims = %+v", fm.Presented)
	}
	se, ok := identity.AsSignInError(err)
	if !ok || se.Code == 0 {
		t.Errorf("the AADSTS refusal is not readable from the error: %+v %v", se, ok)
	}
	msg := err.Error()
	for _, want := range []string{"AADSTS", awsAppID, sts.subject, fakeIssuer, "federated"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	minted, _ := sts.snapshot()
	noSecrets(t, append(minted, fakeSecretKey, fakeSession), msg, logs.String())
}

func TestAWSFederationSTSErrors(t *testing.T) {
	clk := &clock{t: time.Now()}
	sts, srv := newFakeSTS(t, clk.Now)
	sts.errCode = "OutboundWebIdentityFederationDisabledException"
	cfg := lambdaConfig(t, srv, clk.Now)
	dt := federationTenant(t)
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.NewCredential(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err == nil {
		t.Fatal("want an error when STS refuses")
	}
	for _, want := range []string{"OutboundWebIdentityFederationDisabledException", "enable-outbound-web-identity-federation"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	noSecrets(t, []string{fakeSecretKey, fakeSession}, err.Error())
}

func TestAWSFederationConfig(t *testing.T) {
	base := map[string]string{"AZURE_TENANT_ID": devtenant.TenantID, "AZURE_CLIENT_ID": awsAppID}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want identity.Method
	}{
		{"lambda, app registration, no secret", with("AWS_LAMBDA_FUNCTION_NAME", "f"), identity.MethodAWSFederation},
		{"lambda with a client secret", with("AWS_LAMBDA_FUNCTION_NAME", "f", "AZURE_CLIENT_SECRET", "s"), identity.MethodClientSecret},
		{"lambda with a token file", with("AWS_LAMBDA_FUNCTION_NAME", "f", "AZURE_FEDERATED_TOKEN_FILE", "/t"), identity.MethodWorkloadIdentity},
		{"lambda without a client id", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "f", "AZURE_TENANT_ID": "t"}, identity.MethodManagedIdentity},
		{"not lambda", with(), identity.MethodManagedIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := identity.ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Resolve(); got != tc.want {
				t.Errorf("Resolve() = %q, want %q", got, tc.want)
			}
		})
	}
	cfg, _ := identity.ConfigFromEnv(func(k string) string {
		return map[string]string{"TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE": "api://custom", "AWS_DEFAULT_REGION": "us-east-2"}[k]
	})
	if cfg.AWS.Audience != "api://custom" || cfg.AWS.Region != "us-east-2" || cfg.AWS.InLambda {
		t.Errorf("AWS settings = %+v", cfg.AWS)
	}
	if m, err := identity.ParseMethod("AWS-Federation"); err != nil || m != identity.MethodAWSFederation {
		t.Errorf("ParseMethod(aws-federation) = %q, %v", m, err)
	}
	// Explicit selection still needs the app registration.
	if _, err := identity.NewCredential(identity.Config{Method: identity.MethodAWSFederation, TenantID: "t"}, nil); err == nil ||
		!strings.Contains(err.Error(), "AZURE_CLIENT_ID") {
		t.Errorf("aws-federation without a client id: %v", err)
	}
}

func TestAWSFederationNoRegion(t *testing.T) {
	src := identity.NewSTSTokens(identity.AWSFederation{
		Credentials: credentials.NewStaticCredentialsProvider(fakeAccessKey, fakeSecretKey, ""),
	}, nil)
	_, err := src.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("want an AWS_REGION error, got %v", err)
	}
}

func TestParseWebIdentityClaims(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, jwt string
		want      identity.WebIdentityClaims
		wantErr   bool
	}{
		{"string aud", "h." + enc(`{"iss":"i","sub":"s","aud":"a","exp":1700000000}`) + ".sig",
			identity.WebIdentityClaims{Issuer: "i", Subject: "s", Audience: []string{"a"}, Expires: time.Unix(1700000000, 0).UTC()}, false},
		{"list aud", "h." + enc(`{"iss":"i","sub":"s","aud":["a","b"]}`) + ".sig",
			identity.WebIdentityClaims{Issuer: "i", Subject: "s", Audience: []string{"a", "b"}}, false},
		{"two parts", "a.b", identity.WebIdentityClaims{}, true},
		{"not base64", "h.!!!.s", identity.WebIdentityClaims{}, true},
		{"not json", "h." + enc("nope") + ".s", identity.WebIdentityClaims{}, true},
		{"bad aud", "h." + enc(`{"aud":3}`) + ".s", identity.WebIdentityClaims{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.ParseWebIdentityClaims(tc.jwt)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tc.jwt) {
				t.Errorf("error quotes the token: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// noSecrets fails if any secret appears in any of the texts.
func noSecrets(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("a secret (%d chars, starting %.6q) leaked into output: %.200s", len(s), s, txt)
			}
		}
	}
}

// TestAWSFederationSDKDefaultChain runs the production path: no injected
// credentials or endpoint, only the environment Lambda provides (role
// credentials, region) plus AWS_ENDPOINT_URL_STS pointing at the fake STS.
func TestAWSFederationSDKDefaultChain(t *testing.T) {
	dt := federationTenant(t)
	sts, srv := newFakeSTS(t, time.Now)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": fakeAccessKey, "AWS_SECRET_ACCESS_KEY": fakeSecretKey, "AWS_SESSION_TOKEN": fakeSession,
		"AWS_ENDPOINT_URL_STS": srv.URL, "AWS_CONFIG_FILE": dir + "/none", "AWS_SHARED_CREDENTIALS_FILE": dir + "/none",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "",
		// An injected client cannot take a CA bundle (the SDK refuses); the
		// default-client case below keeps whatever the machine sets.
		"AWS_CA_BUNDLE": "",
	} {
		t.Setenv(k, v)
	}
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "tenantops", "AWS_REGION": "eu-west-1", "TENANTOPS_CLOUD": "dev",
		"AZURE_TENANT_ID": devtenant.TenantID, "AZURE_CLIENT_ID": awsAppID,
	}
	cfg, err := identity.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// STS is reached directly (loopback); Entra through the dev transport.
	cfg.AWS.HTTPClient = srv.Client()
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := identity.NewCredential(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err != nil {
		t.Fatalf("token through the SDK's default chain: %v", err)
	}
	if minted, _ := sts.snapshot(); len(minted) != 1 {
		t.Errorf("STS calls = %d, want 1", len(minted))
	}
}

// With no injected transport the SDK's own HTTP client is used (it honours
// AWS_CA_BUNDLE and proxies), as in Lambda.
func TestSTSTokensSDKClient(t *testing.T) {
	sts, srv := newFakeSTS(t, time.Now)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": fakeAccessKey, "AWS_SECRET_ACCESS_KEY": fakeSecretKey, "AWS_SESSION_TOKEN": fakeSession,
		"AWS_ENDPOINT_URL_STS": srv.URL, "AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "HTTP_PROXY": "", "http_proxy": "",
	} {
		t.Setenv(k, v)
	}
	for _, base := range []http.RoundTripper{nil, http.DefaultTransport} {
		src := identity.NewSTSTokens(identity.AWSFederation{Region: "eu-west-1"}, base)
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatalf("base %v: %v", base, err)
		}
	}
	if minted, _ := sts.snapshot(); len(minted) != 2 {
		t.Errorf("STS calls = %d, want 2", len(minted))
	}
}

func BenchmarkSTSTokensCached(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeSTS{t: b, key: key, now: time.Now, subject: fakeRoleARN}
	srv := httptest.NewServer(f)
	defer srv.Close()
	src := identity.NewSTSTokens(identity.AWSFederation{Region: "eu-west-1", Endpoint: srv.URL, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(fakeAccessKey, fakeSecretKey, fakeSession)}, nil)
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSTSTokensFetch(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeSTS{t: b, key: key, now: time.Now, subject: fakeRoleARN}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	for b.Loop() {
		// A fresh source each time: one signed STS round trip per token.
		src := identity.NewSTSTokens(identity.AWSFederation{Region: "eu-west-1", Endpoint: srv.URL, HTTPClient: srv.Client(),
			Credentials: credentials.NewStaticCredentialsProvider(fakeAccessKey, fakeSecretKey, fakeSession)}, nil)
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
