package identity

import (
	"crypto"
	"crypto/sha1" //nolint:gosec // x5t thumbprints are SHA-1 by definition; not used for security
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Stored-credential kinds: the Key Vault tag tenantops-kind.
const (
	KindAppSecret      = "app-secret"
	KindAppCertificate = "app-certificate"
	KindUserPassword   = "user-password"
)

// Key Vault tags on managed credentials (ARCHITECTURE.md, stable).
const (
	TagKind       = "tenantops-kind"
	TagAppID      = "tenantops-app-id"
	TagUser       = "tenantops-user"
	TagKeyID      = "tenantops-key-id"
	TagRotationID = "tenantops-rotation-id"
)

// StoredCredential is a service credential as kept in Key Vault: the secret
// value plus the tags that say how to use it.
type StoredCredential struct {
	Name     string // the Key Vault secret name, for messages
	Kind     string // KindAppSecret, KindAppCertificate or KindUserPassword
	TenantID string
	// AppID is the application (client) id; for a user password, the public
	// client used for the password sign-in.
	AppID string
	User  string // the account's UPN (user-password)
	// Value is the secret, the password, or the certificate (PEM, or PFX as
	// base64 the way Key Vault serves certificates as secrets). Never printed.
	Value       string
	ContentType string
	// CertificatePassword opens an encrypted PFX (rare for Key Vault certificates).
	CertificatePassword string
}

// String never shows the value.
func (s StoredCredential) String() string {
	if s.User != "" {
		return fmt.Sprintf("%s credential %s (app %s, user %s)", s.Kind, s.Name, s.AppID, s.User)
	}
	return fmt.Sprintf("%s credential %s (app %s)", s.Kind, s.Name, s.AppID)
}

// Validate checks that the stored credential says enough to sign in.
func (s StoredCredential) Validate() error {
	var errs []error
	switch s.Kind {
	case KindAppSecret, KindAppCertificate:
	case KindUserPassword:
		if s.User == "" {
			errs = append(errs, fmt.Errorf("no %s tag: the account to sign in as is unknown", TagUser))
		}
	case "":
		errs = append(errs, fmt.Errorf("no %s tag: tenantops does not know what kind of credential this is", TagKind))
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want %s, %s or %s", TagKind, s.Kind, KindAppSecret, KindAppCertificate, KindUserPassword))
	}
	if s.AppID == "" {
		errs = append(errs, fmt.Errorf("no %s tag: the application (client) id is unknown", TagAppID))
	}
	if s.Value == "" {
		errs = append(errs, errors.New("the secret is empty"))
	}
	if s.TenantID == "" {
		errs = append(errs, errors.New("no tenant id"))
	}
	return errors.Join(errs...)
}

// CertificateInfo describes a certificate without its key.
type CertificateInfo struct {
	Subject    string    `json:"subject"`
	Thumbprint string    `json:"thumbprint"` // SHA-1, hex, upper case (as the portal shows it)
	SHA256     string    `json:"sha256"`     // x5t#S256 as hex
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
}

// DescribeCertificate summarises a certificate.
func DescribeCertificate(c *x509.Certificate) CertificateInfo {
	s1 := sha1.Sum(c.Raw) //nolint:gosec // thumbprint
	s256 := sha256.Sum256(c.Raw)
	return CertificateInfo{
		Subject:    c.Subject.String(),
		Thumbprint: strings.ToUpper(hex.EncodeToString(s1[:])),
		SHA256:     hex.EncodeToString(s256[:]),
		NotBefore:  c.NotBefore.UTC(),
		NotAfter:   c.NotAfter.UTC(),
	}
}

// ParseStoredCertificate reads a certificate and its private key from a
// secret value holding PEM (certificate + key, any order) or a PFX, raw or
// base64-encoded (Key Vault serves certificates as base64 PFX secrets with
// content type application/x-pkcs12).
func ParseStoredCertificate(value, contentType, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	var pw []byte
	if password != "" {
		pw = []byte(password)
	}
	data := []byte(value)
	if !strings.Contains(value, "-----BEGIN") {
		// Not PEM: a PFX, normally base64 in a Key Vault secret.
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value)); err == nil {
			data = b
		}
	}
	certs, key, err := azidentity.ParseCertificates(data, pw)
	if err != nil {
		kind := "PEM or PFX"
		if contentType != "" {
			kind = contentType
		}
		// azidentity's message names the problem without echoing the data.
		return nil, nil, fmt.Errorf("reading the certificate (%s): %w", kind, err)
	}
	return certs, key, nil
}

// NewStoredCredential builds the azidentity credential for s in cloud c,
// over transport t (nil = default). For certificates it also returns the
// certificate's description.
func NewStoredCredential(c Cloud, s StoredCredential, t http.RoundTripper) (azcore.TokenCredential, *CertificateInfo, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s, err)
	}
	co := ClientOptions(c, t)
	switch s.Kind {
	case KindAppSecret:
		cred, err := azidentity.NewClientSecretCredential(s.TenantID, s.AppID, s.Value,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co})
		if err != nil {
			return nil, nil, fmt.Errorf("building client secret credential for %s: %w", s.AppID, err)
		}
		return cred, nil, nil
	case KindAppCertificate:
		certs, key, err := ParseStoredCertificate(s.Value, s.ContentType, s.CertificatePassword)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		info := DescribeCertificate(certs[0])
		cred, err := azidentity.NewClientCertificateCredential(s.TenantID, s.AppID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, SendCertificateChain: true})
		if err != nil {
			return nil, &info, fmt.Errorf("building client certificate credential for %s: %w", s.AppID, err)
		}
		return cred, &info, nil
	default: // KindUserPassword (Validate rejected anything else)
		// ROPC is deprecated because it can't do MFA; it is the legacy
		// service-account pattern this tool exists to diagnose.
		//lint:ignore SA1019 see above
		opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: co}
		cred, err := azidentity.NewUsernamePasswordCredential(s.TenantID, s.AppID, s.User, s.Value, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("building password credential for %s: %w", s.User, err)
		}
		return cred, nil, nil
	}
}
