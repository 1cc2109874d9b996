package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// MethodAWSFederation signs in as an Entra app registration with no stored
// secret: the Lambda's execution role gets a JWT from AWS STS
// GetWebIdentityToken (IAM outbound identity federation) and Entra exchanges
// it through a federated identity credential on the app (issuer = the AWS
// account's issuer URL, subject = the role ARN, audience = Audience).
const MethodAWSFederation Method = "aws-federation"

// DefaultWebIdentityAudience is the audience Entra federated identity
// credentials expect unless configured otherwise.
const DefaultWebIdentityAudience = "api://AzureADTokenExchange"

// Bounds of GetWebIdentityToken's DurationSeconds.
const (
	minWebIdentityLifetime     = time.Minute
	maxWebIdentityLifetime     = time.Hour
	defaultWebIdentityLifetime = 5 * time.Minute
	// webIdentityRefreshMargin: a cached token is replaced this long before it
	// expires, so that Entra never sees one that lapses in flight.
	webIdentityRefreshMargin = time.Minute
)

// AWSFederation configures MethodAWSFederation. The first fields are
// settings; the rest let tests (and unusual deployments) replace the network.
type AWSFederation struct {
	// Audience of the STS token (TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE); it must
	// equal the federated credential's audience. Empty = DefaultWebIdentityAudience.
	Audience string
	// Region selects the regional STS endpoint (AWS_REGION, set by Lambda):
	// GetWebIdentityToken is not served by the global endpoint.
	Region string
	// InLambda is true when AWS_LAMBDA_FUNCTION_NAME is set: MethodAuto then
	// picks this method when AZURE_TENANT_ID and AZURE_CLIENT_ID are set and
	// no secret, certificate or token file is.
	InLambda bool

	// Endpoint overrides the STS endpoint (e.g. a fake STS). Empty = the SDK's
	// resolution, which also honours AWS_ENDPOINT_URL_STS.
	Endpoint string
	// HTTPClient carries the STS requests. Nil = an http.Client over the
	// transport NewCredential was given.
	HTTPClient *http.Client
	// Credentials sign the STS request. Nil = the SDK's default chain (in
	// Lambda: the execution role's credentials in the environment).
	Credentials aws.CredentialsProvider
	// Lifetime asked of STS, 1 minute to 1 hour; 0 = 5 minutes. The SAM
	// template's policy allows at most 15 minutes.
	Lifetime time.Duration
	// Now is the clock of the token cache; nil = time.Now.
	Now func() time.Time
}

// awsFederationFromEnv reads the AWSFederation settings through getenv.
func awsFederationFromEnv(getenv func(string) string) AWSFederation {
	region := strings.TrimSpace(getenv("AWS_REGION"))
	if region == "" {
		region = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	return AWSFederation{
		Audience: strings.TrimSpace(getenv("TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE")),
		Region:   region,
		InLambda: getenv("AWS_LAMBDA_FUNCTION_NAME") != "",
	}
}

// audience returns the configured audience or the default.
func (f AWSFederation) audience() string {
	if f.Audience != "" {
		return f.Audience
	}
	return DefaultWebIdentityAudience
}

func (f AWSFederation) lifetime() time.Duration {
	switch d := f.Lifetime; {
	case d <= 0:
		return defaultWebIdentityLifetime
	case d < minWebIdentityLifetime:
		return minWebIdentityLifetime
	case d > maxWebIdentityLifetime:
		return maxWebIdentityLifetime
	default:
		return d.Truncate(time.Second)
	}
}

// WebIdentityClaims are the claims of a web identity token that say who it
// names: what a federated identity credential must match. They are not
// secret; the token is.
type WebIdentityClaims struct {
	Issuer   string    `json:"iss"`
	Subject  string    `json:"sub"`
	Audience []string  `json:"aud"`
	Expires  time.Time `json:"exp"`
}

// ParseWebIdentityClaims reads the identifying claims of a JWT without
// verifying it (the verifier is Entra; this is for messages and caching).
// Errors never quote the token.
func ParseWebIdentityClaims(jwt string) (WebIdentityClaims, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return WebIdentityClaims{}, fmt.Errorf("not a JWT (%d parts, want 3)", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return WebIdentityClaims{}, errors.New("not a JWT: the payload is not base64url")
	}
	var raw struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return WebIdentityClaims{}, errors.New("not a JWT: the payload is not a JSON object")
	}
	c := WebIdentityClaims{Issuer: raw.Iss, Subject: raw.Sub}
	if len(raw.Aud) > 0 {
		var one string
		if json.Unmarshal(raw.Aud, &one) == nil {
			c.Audience = []string{one}
		} else if err := json.Unmarshal(raw.Aud, &c.Audience); err != nil {
			return WebIdentityClaims{}, errors.New("JWT aud is neither a string nor a list of strings")
		}
	}
	if raw.Exp != "" {
		secs, err := raw.Exp.Int64()
		if err != nil {
			return WebIdentityClaims{}, errors.New("JWT exp is not a number of seconds")
		}
		c.Expires = time.Unix(secs, 0).UTC()
	}
	return c, nil
}

// STSTokens gets web identity tokens from AWS STS GetWebIdentityToken and
// keeps the last one until shortly before it expires. Safe for concurrent
// use: concurrent callers wait for one STS call. Tokens never reach logs or
// errors.
type STSTokens struct {
	cfg  AWSFederation
	base http.RoundTripper

	mu      sync.Mutex
	client  *sts.Client
	token   string
	expires time.Time
	claims  WebIdentityClaims
	calls   int
}

// NewSTSTokens returns a token source for cfg; base carries the STS requests
// unless cfg.HTTPClient is set (nil = http.DefaultTransport). It does no I/O.
func NewSTSTokens(cfg AWSFederation, base http.RoundTripper) *STSTokens {
	return &STSTokens{cfg: cfg, base: base}
}

func (s *STSTokens) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Token returns a web identity token for the configured audience, from the
// cache while it has more than a minute left.
func (s *STSTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Before(s.expires.Add(-webIdentityRefreshMargin)) {
		return s.token, nil
	}
	c, err := s.stsClient(ctx)
	if err != nil {
		return "", err
	}
	aud := s.cfg.audience()
	secs := int32(s.cfg.lifetime() / time.Second)
	s.calls++
	out, err := c.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
		Audience:         []string{aud},
		SigningAlgorithm: aws.String("RS256"), // what Entra verifies federated assertions with
		DurationSeconds:  aws.Int32(secs),
	})
	if err != nil {
		return "", fmt.Errorf("getting a web identity token (audience %s) from AWS STS: %w%s", aud, err, stsHint(err, aud))
	}
	tok := aws.ToString(out.WebIdentityToken)
	if tok == "" {
		return "", errors.New("AWS STS GetWebIdentityToken answered without a token")
	}
	claims, err := ParseWebIdentityClaims(tok)
	if err != nil {
		return "", fmt.Errorf("AWS STS GetWebIdentityToken answered with an unusable token: %w", err)
	}
	exp := aws.ToTime(out.Expiration)
	if exp.IsZero() {
		exp = claims.Expires
	}
	s.token, s.expires, s.claims = tok, exp, claims
	return tok, nil
}

// Claims returns the identifying claims of the last token (zero before the first).
func (s *STSTokens) Claims() WebIdentityClaims {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

// Calls counts GetWebIdentityToken requests made so far.
func (s *STSTokens) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// stsClient builds the STS client on first use. Caller holds s.mu.
func (s *STSTokens) stsClient(ctx context.Context) (*sts.Client, error) {
	if s.client != nil {
		return s.client, nil
	}
	// The SDK's own client honours AWS_CA_BUNDLE and proxy settings; use it
	// unless a transport was injected (dev tenant, tests).
	var hc aws.HTTPClient
	switch {
	case s.cfg.HTTPClient != nil:
		hc = s.cfg.HTTPClient
	case s.base != nil && s.base != http.DefaultTransport:
		hc = &http.Client{Transport: s.base, Timeout: 30 * time.Second}
	}
	var awsCfg aws.Config
	if s.cfg.Credentials != nil {
		// Everything given: no environment or shared-config lookups.
		awsCfg = aws.Config{Region: s.cfg.Region, Credentials: s.cfg.Credentials, HTTPClient: hc}
	} else {
		var opts []func(*config.LoadOptions) error
		if hc != nil {
			opts = append(opts, config.WithHTTPClient(hc))
		}
		if s.cfg.Region != "" {
			opts = append(opts, config.WithRegion(s.cfg.Region))
		}
		var err error
		if awsCfg, err = config.LoadDefaultConfig(ctx, opts...); err != nil {
			return nil, fmt.Errorf("loading the AWS configuration for STS: %w", err)
		}
	}
	if awsCfg.Region == "" {
		return nil, errors.New("AWS STS GetWebIdentityToken needs a regional endpoint and no region is set: set AWS_REGION (Lambda sets it)")
	}
	s.client = sts.NewFromConfig(awsCfg, func(o *sts.Options) {
		if s.cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.cfg.Endpoint)
		}
	})
	return s.client, nil
}

// stsHint adds what to do about the STS errors an admin can fix.
func stsHint(err error, aud string) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.ErrorCode() {
	case "OutboundWebIdentityFederationDisabledException":
		return " (enable it once per AWS account: aws iam enable-outbound-web-identity-federation)"
	case "AccessDenied", "AccessDeniedException":
		return fmt.Sprintf(" (the function's role needs sts:GetWebIdentityToken with sts:IdentityTokenAudience %q)", aud)
	case "SessionDurationEscalationException":
		return " (the requested token lifetime exceeds what the role's policy allows)"
	}
	return ""
}

// NewAWSFederationCredential returns a credential for the Entra app clientID
// in tenantID whose client assertions are web identity tokens from tokens.
func NewAWSFederationCredential(tenantID, clientID string, tokens *STSTokens, co azcore.ClientOptions) (azcore.TokenCredential, error) {
	if tokens == nil {
		return nil, errors.New("aws-federation: no STS token source")
	}
	cred, err := azidentity.NewClientAssertionCredential(tenantID, clientID, tokens.Token,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: co})
	if err != nil {
		return nil, err
	}
	return &awsFederationCredential{cred: cred, tokens: tokens, clientID: clientID}, nil
}

type awsFederationCredential struct {
	cred     *azidentity.ClientAssertionCredential
	tokens   *STSTokens
	clientID string
}

// GetToken exchanges a web identity token for an Entra access token, and
// explains a refusal caused by a federated credential that does not match.
func (c *awsFederationCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.cred.GetToken(ctx, opts)
	if err == nil {
		return tok, nil
	}
	se, ok := AsSignInError(err)
	if !ok || !federationMismatchCodes[se.Code] {
		return tok, err
	}
	return tok, &FederationMismatchError{ClientID: c.clientID, Code: se.Code, Presented: c.tokens.Claims(), Err: err}
}

// federationMismatchCodes are Entra's answers when no federated identity
// credential on the app matches the assertion (generic, issuer, audience,
// subject, and "no credentials configured").
var federationMismatchCodes = map[int]bool{70021: true, 700211: true, 700212: true, 700213: true, 700222: true, 700223: true}

// FederationMismatchError: Entra found no federated identity credential on
// the app that trusts the token STS issued.
type FederationMismatchError struct {
	ClientID string
	// Code is the AADSTS code, e.g. 700213 (subject), 700211 (issuer).
	Code int
	// Presented are the claims of the token STS issued: what the federated
	// credential must name.
	Presented WebIdentityClaims
	Err       error
}

func (e *FederationMismatchError) Error() string {
	return fmt.Sprintf("Entra ID refused the AWS web identity token for app %s (AADSTS%d, no matching federated identity credential): "+
		"the app needs a federated credential with issuer %q, subject %q and audience %q, the claims of the token STS issued: %v",
		e.ClientID, e.Code, e.Presented.Issuer, e.Presented.Subject, strings.Join(e.Presented.Audience, ","), e.Err)
}

func (e *FederationMismatchError) Unwrap() error { return e.Err }
