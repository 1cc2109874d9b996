package identity

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// RoutedTransport keeps production host names (so TLS, Graph's allowed hosts,
// MSAL instance discovery and Key Vault challenge checks run as in production)
// but dials every host in hosts to target (host:port). Any other host is refused,
// so nothing can leak to the internet by accident.
func RoutedTransport(target string, roots *x509.CertPool, hosts []string) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("dev transport: bad address %q: %w", addr, err)
			}
			if !MatchHost(hosts, host) {
				return nil, fmt.Errorf("dev transport: refusing to dial %s (not a dev tenant host)", addr)
			}
			return d.DialContext(ctx, network, target)
		},
		Proxy:                 nil, // never through a proxy: the dev tenant is local
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// DevTransport routes DevHosts to the dev tenant at devURL (https://127.0.0.1:PORT),
// trusting the CA in caPEM.
func DevTransport(devURL string, caPEM []byte) (*http.Transport, error) {
	u, err := url.Parse(devURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("dev tenant URL %q: want https://HOST:PORT", devURL)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("dev tenant CA: no PEM certificate found")
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "443")
	}
	return RoutedTransport(target, pool, DevHosts), nil
}

// DevTransportFromFiles is DevTransport with the CA read from a PEM file
// (TENANTOPS_DEVTENANT_URL + TENANTOPS_DEVTENANT_CA).
func DevTransportFromFiles(devURL, caPath string) (*http.Transport, error) {
	pem, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("reading dev tenant CA: %w", err)
	}
	return DevTransport(devURL, pem)
}
