// Package identity selects the Microsoft cloud and builds azidentity credentials.
// Every credential, and every other SDK stack, is built on one injected
// http.RoundTripper so that the dev tenant and production differ only in the transport.
package identity

import (
	"fmt"
	"strings"
)

// Cloud names a Microsoft cloud instance.
type Cloud string

// Supported clouds. Dev uses the global cloud's host names, dialled to the dev tenant.
const (
	Global Cloud = "global"
	USGov  Cloud = "usgov"
	China  Cloud = "china"
	Dev    Cloud = "dev"
)

// Endpoints are the service addresses of one cloud.
type Endpoints struct {
	// AuthorityHost is the Entra ID login host URL, e.g. https://login.microsoftonline.com/.
	AuthorityHost string
	// Graph is the Microsoft Graph base URL without version, e.g. https://graph.microsoft.com.
	Graph string
	// VaultSuffix is the Key Vault DNS suffix, e.g. vault.azure.net.
	VaultSuffix string
	// SharePointSuffix is the SharePoint Online DNS suffix, e.g. sharepoint.com.
	SharePointSuffix string
}

// GraphScope is the app-only scope for Microsoft Graph in this cloud.
func (e Endpoints) GraphScope() string { return e.Graph + "/.default" }

// VaultScope is the scope for Key Vault in this cloud.
func (e Endpoints) VaultScope() string { return "https://" + e.VaultSuffix + "/.default" }

var endpoints = map[Cloud]Endpoints{
	Global: {"https://login.microsoftonline.com/", "https://graph.microsoft.com", "vault.azure.net", "sharepoint.com"},
	USGov:  {"https://login.microsoftonline.us/", "https://graph.microsoft.us", "vault.usgovcloudapi.net", "sharepoint.us"},
	China:  {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn", "vault.azure.cn", "sharepoint.cn"},
}

// ParseCloud accepts the TENANTOPS_CLOUD values; empty means Global.
func ParseCloud(s string) (Cloud, error) {
	switch c := Cloud(strings.ToLower(strings.TrimSpace(s))); c {
	case "":
		return Global, nil
	case Global, USGov, China, Dev:
		return c, nil
	default:
		return "", fmt.Errorf("unknown cloud %q (want global, usgov, china or dev)", s)
	}
}

// Endpoints returns the cloud's service addresses. Dev answers with Global's
// names because the dev transport keeps production host names.
func (c Cloud) Endpoints() Endpoints {
	if e, ok := endpoints[c]; ok {
		return e
	}
	return endpoints[Global]
}

// DevHosts are the production host names the dev tenant serves. A leading "*."
// matches any single-label-or-deeper subdomain. The dev tenant's certificate
// carries exactly these names.
var DevHosts = []string{
	"login.microsoftonline.com",
	"graph.microsoft.com",
	"*.vault.azure.net",
	"*.sharepoint.com",
	"api.ipify.org",
	"api64.ipify.org",
	"checkip.amazonaws.com",
	"ifconfig.me",
}

// DefaultEchoURLs are the egress-IP echo services used when TENANTOPS_EGRESS_ECHO_URLS is unset.
var DefaultEchoURLs = []string{"https://api.ipify.org", "https://checkip.amazonaws.com", "https://ifconfig.me/ip"}

// MatchHost reports whether host (no port) matches one of the patterns.
func MatchHost(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}
