package spcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/op"
)

// Request asks for a SharePoint connectivity check.
type Request struct {
	// Site is the site URL, e.g. https://contoso.sharepoint.com/sites/operations.
	Site string `json:"site"`
	// Credential is the Key Vault secret holding the credential to test
	// (tagged tenantops-kind app-secret, app-certificate or user-password).
	Credential string `json:"credential"`
	// ExpectIP lists the egress IPs this server should have; empty = the
	// deployment's TENANTOPS_EXPECTED_EGRESS_IPS.
	ExpectIP IPList `json:"expectIp,omitempty"`
}

// IPList is a list of IP addresses that also accepts, in JSON, one string
// with comma-separated addresses ("expectIp": "203.0.113.10").
type IPList []string

// UnmarshalJSON accepts a string or an array of strings.
func (l *IPList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = splitComma(s)
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("want an IP address or a list of them")
	}
	var out []string
	for _, x := range ss {
		out = append(out, splitComma(x)...)
	}
	*l = out
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// secretNameRE is Key Vault's rule for secret names.
var secretNameRE = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)

// Validate checks the request without any I/O.
func (r *Request) Validate() error {
	var errs []error
	if _, _, err := ParseSite(r.Site); err != nil {
		errs = append(errs, op.Invalid("invalidSite", "site", "%v", err))
	}
	if err := checkCredentialName(r.Credential); err != nil {
		errs = append(errs, err)
	}
	if err := checkIPs(r.ExpectIP); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkCredentialName(name string) error {
	switch {
	case name == "":
		return op.Invalid("noCredential", "credential", "name the Key Vault secret holding the credential to test")
	case !secretNameRE.MatchString(name):
		return op.Invalid("invalidCredential", "credential", "%q is not a Key Vault secret name (letters, digits and dashes, at most 127)", name)
	}
	return nil
}

func checkIPs(ips []string) error {
	if _, err := egress.ParseIPs(ips); err != nil {
		return op.Invalid("invalidIP", "expectIp", "%v", err)
	}
	return nil
}

// ParseSite splits a SharePoint site URL into its host and server-relative
// path ("/" for the root site).
func ParseSite(site string) (host, path string, err error) {
	site = strings.TrimSpace(site)
	if site == "" {
		return "", "", errors.New("name the site, e.g. https://contoso.sharepoint.com/sites/operations")
	}
	u, err := url.Parse(site)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", "", fmt.Errorf("%q is not an https URL of a SharePoint site", site)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
		return "", "", fmt.Errorf("%q: give the site URL without port, query or fragment", site)
	}
	host = strings.ToLower(u.Hostname())
	if !strings.Contains(host, ".sharepoint.") && !strings.Contains(host, ".sharepoint-") {
		return "", "", fmt.Errorf("%q is not a SharePoint Online host (TENANT.sharepoint.com)", host)
	}
	path = "/" + strings.Trim(u.Path, "/")
	low := strings.ToLower(path)
	if strings.Contains(low, "/_api") || strings.Contains(low, "/_layouts") || strings.HasSuffix(low, ".aspx") {
		return "", "", fmt.Errorf("%q is a page or API address: give the site URL, e.g. https://%s/sites/operations", site, host)
	}
	return host, path, nil
}

// SiteURL rebuilds the canonical site URL.
func SiteURL(host, path string) string {
	if path == "/" {
		return "https://" + host
	}
	return "https://" + host + path
}

// EgressRequest asks where this server reaches the internet from and,
// with Trust, whether Conditional Access trusts that address.
type EgressRequest struct {
	// IP checks this address instead of discovering the egress IP.
	IP string `json:"ip,omitempty"`
	// ExpectIP lists the egress IPs this server should have; empty = settings.
	ExpectIP IPList `json:"expectIp,omitempty"`
	// Trust also looks the address up in the tenant's named locations.
	Trust bool `json:"trust,omitempty"`
}

// Validate checks the request without any I/O.
func (r *EgressRequest) Validate() error {
	var errs []error
	if r.IP != "" {
		if err := checkIPs([]string{r.IP}); err != nil {
			errs = append(errs, op.Invalid("invalidIP", "ip", "%q is not an IP address", r.IP))
		} else if strings.Contains(r.IP, ",") {
			errs = append(errs, op.Invalid("invalidIP", "ip", "name one IP address"))
		}
	}
	if err := checkIPs(r.ExpectIP); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
