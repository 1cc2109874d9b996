package spcheck

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/egress"
	"github.com/tenantops/tenantops/shared/identity"
)

// The diagnosis catalogue: stable finding ids. Tests, runbooks and alert
// rules match on these; never rename one.
const (
	FindCredentialUnavailable   = "credential-unavailable"
	FindEgressUnknown           = "egress-unknown"
	FindEgressEchoDisagree      = "egress-echo-disagree"
	FindEgressIPUnexpected      = "egress-ip-unexpected"
	FindEntraIPMismatch         = "entra-ip-mismatch"
	FindEgressIPUntrusted       = "egress-ip-untrusted"
	FindEgressIPv6Untrusted     = "egress-ipv6-untrusted"
	FindCertificateExpired      = "certificate-expired"
	FindCredentialExpiresSoon   = "credential-expires-soon"
	FindSecretExpired           = "secret-expired"
	FindSecretInvalid           = "secret-invalid"
	FindCertificateRejected     = "certificate-rejected"
	FindAppNotFound             = "app-not-found"
	FindAppDisabled             = "app-disabled"
	FindTenantNotFound          = "tenant-not-found"
	FindAccountLocked           = "account-locked"
	FindAccountDisabled         = "account-disabled"
	FindPasswordExpired         = "password-expired"
	FindPasswordInvalid         = "password-invalid"
	FindUserNotFound            = "user-not-found"
	FindConsentMissing          = "consent-missing"
	FindResourceUnknown         = "sharepoint-resource-unknown"
	FindBlockedByCA             = "signin-blocked-by-ca"
	FindBlockedBySecDefaults    = "signin-blocked-by-security-defaults"
	FindMFARequired             = "signin-mfa-required"
	FindSignInFailed            = "signin-failed"
	FindEntraUnreachable        = "entra-unreachable"
	FindSharePointAppOnlySecret = "sharepoint-app-only-secret"
	FindSharePointUnauthorized  = "sharepoint-unauthorized"
	FindSiteAccessDenied        = "site-access-denied"
	FindSiteNotFound            = "site-not-found"
	FindSharePointThrottled     = "sharepoint-throttled"
	FindSiteRequestFailed       = "site-request-failed"
	FindSecurityDefaultsOn      = "security-defaults-enabled"
	FindPerUserMFAOn            = "per-user-mfa-on"
	FindChecksIncomplete        = "checks-incomplete"
)

// signInFindings maps AADSTS codes to findings.
var signInFindings = map[int]string{
	7000222: FindSecretExpired,
	7000215: FindSecretInvalid, 70002: FindSecretInvalid,
	700027: FindCertificateRejected, 700024: FindCertificateRejected, 700030: FindCertificateRejected, 700021: FindCertificateRejected,
	700016: FindAppNotFound, 7000112: FindAppDisabled, 90002: FindTenantNotFound,
	50053: FindAccountLocked, 50057: FindAccountDisabled,
	50055: FindPasswordExpired, 50144: FindPasswordExpired, 50133: FindPasswordExpired,
	50126: FindPasswordInvalid, 50034: FindUserNotFound,
	65001: FindConsentMissing, 500011: FindResourceUnknown,
	53003: FindBlockedByCA, 53000: FindBlockedByCA, 53001: FindBlockedByCA, 50131: FindBlockedByCA, 530032: FindBlockedByCA,
	530035: FindBlockedBySecDefaults,
	50076:  FindMFARequired, 50079: FindMFARequired, 50074: FindMFARequired, 50072: FindMFARequired, 50158: FindMFARequired, 50078: FindMFARequired,
}

// Diagnose turns the evidence in r into findings, errors first, then in
// catalogue order. It does no I/O; now is the time of the check.
func Diagnose(r Result, now time.Time) []Finding {
	d := &diag{r: r, now: now, user: r.Credential.Kind == identity.KindUserPassword, byID: map[string]*Finding{}}
	d.credential()
	d.egress()
	d.expiry()
	d.signIns()
	d.appConsent()
	d.probes()
	d.causes()
	d.incomplete()
	return d.sorted()
}

// sorted returns the findings, errors first, then in catalogue order.
func (d *diag) sorted() []Finding {
	out := make([]Finding, 0, len(d.order))
	for _, id := range d.order {
		out = append(out, *d.byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity.rank() < out[j].Severity.rank() })
	return out
}

// VerdictOf sums findings up: fail on an error, warn on a warning.
func VerdictOf(fs []Finding) Verdict {
	v := Pass
	for _, f := range fs {
		switch f.Severity {
		case SevError:
			return Fail
		case SevWarning:
			v = Warn
		}
	}
	return v
}

type diag struct {
	r     Result
	now   time.Time
	user  bool
	byID  map[string]*Finding
	order []string
}

// add records a finding, merging evidence and remedies into an existing one
// with the same id.
func (d *diag) add(f Finding) *Finding {
	if f.Evidence == nil {
		f.Evidence = []string{}
	}
	if f.Remedies == nil {
		f.Remedies = []string{}
	}
	if old, ok := d.byID[f.ID]; ok {
		for _, e := range f.Evidence {
			if !slices.Contains(old.Evidence, e) {
				old.Evidence = append(old.Evidence, e)
			}
		}
		for _, e := range f.Remedies {
			if !slices.Contains(old.Remedies, e) {
				old.Remedies = append(old.Remedies, e)
			}
		}
		return old
	}
	d.byID[f.ID] = &f
	d.order = append(d.order, f.ID)
	return &f
}

func (d *diag) has(id string) bool { _, ok := d.byID[id]; return ok }

func (d *diag) account() string {
	if d.r.Credential.User != "" {
		return d.r.Credential.User
	}
	return "the account"
}

func (d *diag) app() string {
	if d.r.Credential.AppID != "" {
		return "app " + d.r.Credential.AppID
	}
	return "the app"
}

func (d *diag) credential() {
	c := d.r.Credential
	if c.Status == LookupOK {
		return
	}
	f := Finding{ID: FindCredentialUnavailable, Severity: SevError, Title: "The stored credential could not be used",
		Evidence: []string{c.Detail}}
	switch c.Problem {
	case ProblemNoVault:
		f.Remedies = []string{"Set TENANTOPS_VAULT_URL (or --vault) to the Key Vault holding the service credentials."}
	case ProblemNoTenant:
		f.Remedies = []string{"Set AZURE_TENANT_ID (or --tenant) to the tenant id or its verified domain."}
	case ProblemNotFound:
		f.Remedies = []string{fmt.Sprintf("Check the name: `tenantops credentials list` shows the credentials tenantops manages; %q is not one of them.", c.Name)}
	case ProblemDisabled:
		f.Remedies = []string{fmt.Sprintf("Enable the current version of %q in Key Vault, or rotate it: tenantops credentials rotate --secret %s", c.Name, c.Name)}
	case ProblemDenied:
		f.Remedies = []string{"Give tenantops's identity read access to the vault's secrets (role Key Vault Secrets User, or an access policy with get)."}
	case ProblemUntagged:
		f.Remedies = []string{fmt.Sprintf("Tag the secret: %s=app-secret|app-certificate|user-password, %s=<application (client) id>, and %s=<UPN> for a password; or let tenantops adopt it: tenantops credentials adopt --secret %s",
			identity.TagKind, identity.TagAppID, identity.TagUser, c.Name)}
	case ProblemUnusable:
		f.Remedies = []string{"Store the certificate as PEM (certificate and unencrypted private key) or import it as a Key Vault certificate (PFX); store secrets and passwords as plain text."}
	default:
		f.Remedies = []string{"Check that Key Vault is reachable from this server and try again."}
	}
	d.add(f)
}

func (d *diag) egress() {
	e := d.r.Egress
	if len(e.IPs) == 0 {
		f := Finding{ID: FindEgressUnknown, Severity: SevWarning, Title: "No IP echo service answered: the egress IP is unknown"}
		for _, s := range e.Sources {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s", s.URL, s.Error))
		}
		f.Remedies = []string{"Allow outbound HTTPS from this server to the echo services, or point TENANTOPS_EGRESS_ECHO_URLS at ones this network can reach.",
			"Meanwhile check trust for a known address: tenantops egress trusted --ip ADDRESS"}
		d.add(f)
	}
	if conflicts := e.Conflicts(); conflicts != nil {
		f := Finding{ID: FindEgressEchoDisagree, Severity: SevWarning, Title: "The IP echo services disagree: this server leaves through more than one address"}
		for _, s := range e.Sources {
			if s.IP != "" {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s answered %s", s.URL, s.IP))
			}
		}
		f.Remedies = []string{
			"Give the server one static egress IP (a NAT gateway or a single proxy) and trust that address.",
			"Until then every address it may use must be in a trusted named location: " + strings.Join(flatten(conflicts), ", "),
		}
		d.add(f)
	}
	if x := e.Expected; x != nil && !x.Match && len(e.IPs) > 0 {
		d.add(Finding{ID: FindEgressIPUnexpected, Severity: SevWarning, Title: "The egress IP is not the expected one",
			Evidence: []string{fmt.Sprintf("egress %s; expected %s", strings.Join(x.Unexpected, ", "), strings.Join(x.Expected, ", "))},
			Remedies: []string{"Route this server through its NAT gateway or proxy with the expected address.",
				"If the address changed on purpose, update TENANTOPS_EXPECTED_EGRESS_IPS and the trusted named location."}})
	}
	if e.EntraSaw != "" && len(e.IPs) > 0 && !slices.Contains(e.IPs, e.EntraSaw) {
		d.add(Finding{ID: FindEntraIPMismatch, Severity: SevWarning, Title: "Entra ID sees the sign-ins come from another address than the echo services report",
			Evidence: []string{fmt.Sprintf("the token's ipaddr claim is %s; the echo services saw %s", e.EntraSaw, strings.Join(e.IPs, ", "))},
			Remedies: []string{fmt.Sprintf("Conditional Access evaluates %s: trust that address, or route login.microsoftonline.com through the same egress as everything else (a proxy or IPv6 path differs).", e.EntraSaw)}})
	}
	t := d.r.Trust
	if t.NamedLocations.Status != LookupOK {
		return
	}
	sev := SevInfo
	if d.user {
		sev = SevWarning
	}
	for _, a := range t.Addresses {
		if a.Trusted {
			continue
		}
		where := suggestLocation(d.r, a.IP)
		if a.Family == egress.IPv6 && !slices.Contains(t.TrustedFamilies, egress.IPv6) {
			d.add(Finding{ID: FindEgressIPv6Untrusted, Severity: sev,
				Title:    "The egress address is IPv6, but the trusted named locations only have IPv4 ranges",
				Evidence: []string{fmt.Sprintf("%s is in no trusted named location; trusted ranges cover %s only", a.IP, strings.Join(orNone(t.TrustedFamilies), ", "))},
				Remedies: []string{
					fmt.Sprintf("Add the server's IPv6 prefix to %s: tenantops named-locations add --name %q --cidr %s%s", where.quoted, where.name, prefix64(a.IP), where.flags),
					"Or turn IPv6 egress off on this server so it leaves through its trusted IPv4 address."}})
			continue
		}
		rem := []string{fmt.Sprintf("If %s belongs to this organisation, add it to %s: tenantops named-locations add --name %q --cidr %s%s", a.IP, where.quoted, where.name, hostCIDR(a.IP), where.flags)}
		if !d.user {
			rem = append(rem, "App-only sign-ins are not affected by user location policies; user sign-ins from this address will be challenged for MFA.")
		}
		d.add(Finding{ID: FindEgressIPUntrusted, Severity: sev, Title: "The egress IP is in no trusted named location",
			Evidence: []string{fmt.Sprintf("%s is in no trusted named location%s", a.IP, inUntrusted(a))}, Remedies: rem})
	}
}

// locName is a trusted named location to extend; flags completes the
// `named-locations add` command (--trusted when the location is new).
type locName struct{ name, quoted, flags string }

// suggestLocation names the trusted location to extend: one that already
// has ranges of the address's family, else the first trusted one, else a new one.
func suggestLocation(r Result, ip string) locName {
	fam := egress.FamilyOf(ip)
	pick := ""
	for _, l := range r.Trust.TrustedLocations {
		if pick == "" {
			pick = l.DisplayName
		}
		if slices.Contains(egress.Families([]egress.Location{{Trusted: true, CIDRs: l.CIDRs}}, true), fam) {
			pick = l.DisplayName
			break
		}
	}
	if pick == "" {
		return locName{"Servers", "a new trusted named location", " --trusted"}
	}
	return locName{pick, fmt.Sprintf("the trusted named location %q", pick), ""}
}

func inUntrusted(a AddressTrust) string {
	var names []string
	for _, m := range a.Locations {
		names = append(names, fmt.Sprintf("%q", m.DisplayName))
	}
	if len(names) == 0 {
		return ""
	}
	return " (it is in the untrusted " + strings.Join(names, ", ") + ")"
}

func (d *diag) expiry() {
	c := d.r.Credential
	if c.Certificate != nil && !c.Certificate.NotAfter.After(d.now) {
		d.add(Finding{ID: FindCertificateExpired, Severity: SevError, Title: "The stored certificate has expired",
			Evidence: []string{fmt.Sprintf("%s (thumbprint %s) expired on %s", c.Certificate.Subject, c.Certificate.Thumbprint, day(c.Certificate.NotAfter))},
			Remedies: []string{fmt.Sprintf("Issue a new certificate, upload its public part to %s and store it in Key Vault as %s.", d.app(), c.Name)}})
		return
	}
	var exp *time.Time
	what := "secret"
	if c.ExpiresOn != nil {
		exp = c.ExpiresOn
	}
	if c.Certificate != nil && (exp == nil || c.Certificate.NotAfter.Before(*exp)) {
		na := c.Certificate.NotAfter
		exp, what = &na, "certificate"
	}
	if exp == nil || !exp.After(d.now) || exp.Sub(d.now) > ExpiryWarning {
		return
	}
	days := int(math.Round(exp.Sub(d.now).Hours() / 24))
	rem := fmt.Sprintf("Rotate it now: tenantops credentials rotate --secret %s", c.Name)
	if what == "certificate" {
		rem = fmt.Sprintf("Issue a new certificate, upload it to %s and store it as %s before then.", d.app(), c.Name)
	}
	d.add(Finding{ID: FindCredentialExpiresSoon, Severity: SevWarning, Title: "The stored credential expires soon",
		Evidence: []string{fmt.Sprintf("the %s in %s expires on %s (in %d days)", what, c.Name, day(*exp), days)},
		Remedies: []string{rem}})
}

// refusal is a token request Entra refused.
type refusal struct {
	resource string
	err      identity.SignInError
}

func (d *diag) refusals() []refusal {
	var out []refusal
	for _, t := range d.r.Tokens {
		if t.Status == TokenRefused && t.SignInError != nil {
			out = append(out, refusal{t.Resource, *t.SignInError})
		}
	}
	return out
}

func (d *diag) signIns() {
	for _, t := range d.r.Tokens {
		if t.Status == TokenError {
			d.add(Finding{ID: FindEntraUnreachable, Severity: SevError, Title: "No answer from Entra ID's token endpoint",
				Evidence: []string{fmt.Sprintf("token for %s: %s", resourceName(t.Resource), t.Detail)},
				Remedies: []string{"Allow outbound HTTPS from this server to login.microsoftonline.com (and its proxy, if any)."}})
		}
	}
	for _, rf := range d.refusals() {
		ev := fmt.Sprintf("Entra refused the token for %s: %s%s", resourceName(rf.resource), rf.err.Summary(), traceOf(rf.err))
		id, ok := signInFindings[rf.err.Code]
		if !ok {
			d.add(Finding{ID: FindSignInFailed, Severity: SevError, Title: "Entra ID refused the sign-in", Evidence: []string{ev},
				Remedies: []string{fmt.Sprintf("Look the code up (https://login.microsoftonline.com/error?code=%d) and the sign-in log entry: tenantops signins --user %s", rf.err.Code, d.account())}})
			continue
		}
		c := d.r.Credential
		f := Finding{ID: id, Severity: SevError, Evidence: []string{ev}}
		switch id {
		case FindSecretExpired:
			f.Title = "The client secret has expired"
			f.Remedies = []string{fmt.Sprintf("Rotate it: tenantops credentials rotate --secret %s", c.Name),
				"Consider a certificate credential instead (it also works for SharePoint REST)."}
		case FindSecretInvalid:
			f.Title = "Entra ID does not accept the stored client secret"
			f.Remedies = []string{fmt.Sprintf("The value in %s is not a current secret of %s (a secret ID instead of its value, a deleted secret, or one added seconds ago and not yet replicated): rotate it: tenantops credentials rotate --secret %s", c.Name, d.app(), c.Name)}
		case FindCertificateRejected:
			f.Title = "Entra ID does not accept the stored certificate"
			cert := "the certificate"
			if c.Certificate != nil {
				cert = fmt.Sprintf("the certificate %s (thumbprint %s)", c.Certificate.Subject, c.Certificate.Thumbprint)
			}
			f.Remedies = []string{fmt.Sprintf("Upload the public part of %s to %s (Certificates & secrets), or store the certificate that is registered there in %s.", cert, d.app(), c.Name)}
		case FindAppNotFound:
			f.Title = "The application is not in this tenant"
			f.Remedies = []string{fmt.Sprintf("Check the %s tag of %s and the tenant id; an app from another tenant needs admin consent here first.", identity.TagAppID, c.Name)}
		case FindAppDisabled:
			f.Title = "The application is disabled"
			f.Remedies = []string{fmt.Sprintf("Enable the service principal of %s (Enterprise applications → Properties → Enabled for users to sign in).", d.app())}
		case FindTenantNotFound:
			f.Title = "The tenant was not found"
			f.Remedies = []string{"Check AZURE_TENANT_ID and the cloud (TENANTOPS_CLOUD): a government or China tenant is not in the global cloud."}
		case FindAccountLocked:
			f.Title = "The account is locked"
			f.Remedies = []string{fmt.Sprintf("Stop whatever keeps sending a wrong password for %s, then wait for the lockout to end or unlock it; if the stored password is wrong, rotate it: tenantops credentials rotate --secret %s", d.account(), c.Name),
				"If the lockout is from a malicious IP, review the sign-in log: tenantops signins --user " + d.account()}
		case FindAccountDisabled:
			f.Title = "The account is disabled"
			f.Remedies = []string{fmt.Sprintf("Enable %s (accountEnabled=true) if it should still run this job, or move the job to certificate-based app-only.", d.account())}
		case FindPasswordExpired:
			f.Title = "The account's password has expired"
			f.Remedies = []string{fmt.Sprintf("Set a new password and store it: tenantops credentials rotate --secret %s; give the service account passwordPolicies DisablePasswordExpiration so rotation, not expiry, replaces it.", c.Name)}
		case FindPasswordInvalid:
			f.Title = "The stored password is wrong"
			f.Remedies = []string{fmt.Sprintf("Rotate it so Key Vault and Entra agree: tenantops credentials rotate --secret %s (each wrong attempt counts towards lockout).", c.Name)}
		case FindUserNotFound:
			f.Title = "The account does not exist in this tenant"
			f.Remedies = []string{fmt.Sprintf("Check the %s tag of %s.", identity.TagUser, c.Name)}
		case FindConsentMissing:
			f.Title = "Consent is missing for the permissions the job needs"
			f.Remedies = []string{fmt.Sprintf("Grant admin consent to %s for %s (delegated permissions such as AllSites.Read for SharePoint and Sites.Read.All for Graph).", d.app(), resourceName(rf.resource))}
		case FindResourceUnknown:
			f.Title = "Entra ID does not know the SharePoint resource"
			f.Remedies = []string{"Check the site's host name: it must be the tenant's SharePoint host (TENANT.sharepoint.com)."}
		case FindBlockedByCA:
			f.Title = "A Conditional Access policy blocks the sign-in"
			for _, p := range d.enforced("block") {
				f.Evidence = append(f.Evidence, fmt.Sprintf("policy %q applies from %s and blocks access", p.DisplayName, d.r.Trust.ConditionalAccess.IP))
				f.Remedies = append(f.Remedies, fmt.Sprintf("If this job is legitimate, exclude %s from policy %q, or run it from a location the policy allows.", d.subject(), p.DisplayName))
			}
			if len(f.Remedies) == 0 {
				f.Remedies = append(f.Remedies, fmt.Sprintf("Find the policy in the sign-in log (tenantops signins --user %s) and exclude %s from it, or run the job from a location it allows.", d.account(), d.subject()))
			}
		case FindBlockedBySecDefaults:
			f.Title = "Security defaults block the sign-in"
			f.Remedies = []string{"Move the job to certificate-based app-only (security defaults block legacy and password-only sign-ins)."}
		case FindMFARequired:
			d.mfaFinding(&f, rf)
		}
		d.add(f)
	}
}

// enforced returns the What If policies that apply, are on, and require control.
func (d *diag) enforced(control string) []PolicyVerdict {
	var out []PolicyVerdict
	for _, p := range d.r.Trust.ConditionalAccess.Policies {
		if p.Enforced() && p.requires(control) {
			out = append(out, p)
		}
	}
	return out
}

func (d *diag) subject() string {
	if d.user {
		return d.account()
	}
	return d.app()
}

// untrusted returns the addresses known to be in no trusted location.
func (d *diag) untrusted() []string {
	var out []string
	if d.r.Trust.NamedLocations.Status != LookupOK {
		return nil
	}
	for _, a := range d.r.Trust.Addresses {
		if !a.Trusted {
			out = append(out, a.IP)
		}
	}
	return out
}

// mfaFinding explains an MFA challenge and orders the remedies by its cause:
// a location-based CA policy (trusted location first), another CA policy,
// security defaults, per-user MFA.
func (d *diag) mfaFinding(f *Finding, rf refusal) {
	f.Title = "Entra ID demands MFA, which a non-interactive sign-in cannot give"
	t := d.r.Trust
	if rf.err.Code == 50079 || rf.err.Code == 50072 {
		f.Evidence = append(f.Evidence, d.account()+" has no MFA method registered (Entra asks it to enrol)")
	}
	untrusted := d.untrusted()
	policies := d.enforced("mfa")
	for _, p := range policies {
		f.Evidence = append(f.Evidence, fmt.Sprintf("Conditional Access policy %q applies from %s and requires MFA", p.DisplayName, t.ConditionalAccess.IP))
	}
	if len(policies) == 0 && len(rf.err.CAPolicyIDs()) > 0 {
		f.Evidence = append(f.Evidence, "Entra names Conditional Access policies "+strings.Join(rf.err.CAPolicyIDs(), ", "))
	}
	for _, ip := range untrusted {
		f.Evidence = append(f.Evidence, ip+" is in no trusted named location")
	}
	sdOn := t.SecurityDefaults.Enabled != nil && *t.SecurityDefaults.Enabled
	if sdOn {
		f.Evidence = append(f.Evidence, "security defaults are on")
	}
	pum := t.PerUserMFA.State
	if pum == "enabled" || pum == "enforced" {
		f.Evidence = append(f.Evidence, "per-user MFA is "+pum+" for "+d.account())
	}
	// 1. A policy that spares trusted locations, and the server is outside them.
	if len(untrusted) > 0 {
		where := suggestLocation(d.r, untrusted[0])
		named := false
		for _, p := range policies {
			if p.ExcludesTrusted {
				named = true
				f.Remedies = append(f.Remedies, fmt.Sprintf("Add %s to %s — policy %q does not apply inside trusted locations: tenantops named-locations add --name %q --cidr %s%s",
					untrusted[0], where.quoted, p.DisplayName, where.name, hostCIDR(untrusted[0]), where.flags))
				break
			}
		}
		if !named && len(policies) == 0 {
			// What If could not say which policy: the usual one spares trusted locations.
			f.Remedies = append(f.Remedies, fmt.Sprintf("If the policy demanding MFA exempts trusted locations, add %s to %s: tenantops named-locations add --name %q --cidr %s%s",
				untrusted[0], where.quoted, where.name, hostCIDR(untrusted[0]), where.flags))
		}
	}
	if t.NamedLocations.Status != LookupOK && len(policies) == 0 {
		// Neither trust nor the policies could be read: say how to find out.
		ip := first(t.ConditionalAccess.IP, first(d.r.Egress.EntraSaw, d.r.Egress.IP))
		if ip != "" {
			f.Remedies = append(f.Remedies, fmt.Sprintf("Check whether %s is in a trusted named location (tenantops egress trusted --ip %s, with Policy.Read.All); if it is not and the policy demanding MFA exempts trusted locations, add it.", ip, ip))
		}
	}
	// 2. Exclusion or, better, app-only with a certificate.
	for _, p := range policies {
		f.Remedies = append(f.Remedies, fmt.Sprintf("Exclude %s from policy %q (for example through a service-accounts group), or move the job to certificate-based app-only.", d.account(), p.DisplayName))
	}
	if sdOn {
		f.Remedies = append(f.Remedies, "Security defaults require MFA of every user and cannot exempt an account or a location: move the job to certificate-based app-only, or replace security defaults with Conditional Access policies that exempt a trusted location (Entra ID P1).")
	}
	if pum == "enforced" || pum == "enabled" {
		f.Remedies = append(f.Remedies, fmt.Sprintf("Per-user MFA applies from every location: set it to disabled for %s (tenantops mfa set --user %s --state disabled) and let Conditional Access decide.", d.account(), d.account()))
	}
	f.Remedies = append(f.Remedies,
		"Move the job to certificate-based app-only: an app registration with a certificate stored in Key Vault (tenantops-kind app-certificate); MFA does not apply to service principals.",
		fmt.Sprintf("Only if the client can do nothing but send a password over a legacy protocol: enable, then enforce per-user MFA for %s and give the client an app password (tenantops mfa set --user %s --state enforced) — never for an admin account.", d.account(), d.account()))
}

// appConsent: an app-only token without roles means no application
// permission was admin-consented for that resource.
func (d *diag) appConsent() {
	for _, t := range d.r.Tokens {
		if t.Status != TokenOK || !t.Claims.AppOnly() || len(t.Claims.Roles) > 0 {
			continue
		}
		perm := "Sites.Selected (with a grant on the site) or Sites.Read.All"
		if t.Resource == ResourceSharePoint {
			perm = "Sites.Selected (with a grant on the site) or Sites.FullControl.All for SharePoint"
		}
		d.add(Finding{ID: FindConsentMissing, Severity: SevError, Title: "Consent is missing for the permissions the job needs",
			Evidence: []string{fmt.Sprintf("the app-only token for %s carries no roles: %s has no admin-consented application permission there", resourceName(t.Resource), d.app())},
			Remedies: []string{fmt.Sprintf("Add the application permission %s to %s and grant admin consent.", perm, d.app())}})
	}
}

func (d *diag) probes() {
	sp, gr := d.r.SharePoint, d.r.GraphSite
	spClaims := d.claimsFor(ResourceSharePoint)
	if sp.Status == ProbeFailed && sp.HTTPStatus == 401 {
		secretApp := spClaims.AppOnly() && spClaims.ClientAuth == "secret"
		if strings.Contains(strings.ToLower(sp.Reason+" "+sp.Error), "unsupported app only token") || secretApp {
			rem := []string{fmt.Sprintf("Add a certificate credential to %s, store it in Key Vault (tenantops-kind app-certificate) and use it for SharePoint REST: SharePoint accepts app-only tokens only from certificate sign-ins.", d.app())}
			if d.r.GraphSite.Status == ProbeOK {
				rem = append(rem, "Or call SharePoint through Microsoft Graph (/sites/...), which accepted this secret-based token.")
			}
			d.add(Finding{ID: FindSharePointAppOnlySecret, Severity: SevError, Title: "SharePoint REST rejects app-only tokens obtained with a client secret",
				Evidence: []string{fmt.Sprintf("GET %s answered 401: %s", sp.URL, first(sp.Reason, sp.Error))}, Remedies: rem})
		} else {
			d.add(Finding{ID: FindSharePointUnauthorized, Severity: SevError, Title: "SharePoint rejected the token",
				Evidence: []string{fmt.Sprintf("GET %s answered 401: %s", sp.URL, first(sp.Reason, sp.Error))},
				Remedies: []string{"Check that the site's host is this tenant's SharePoint host and that the token's audience (aud) matches it."}})
		}
	}
	for _, p := range []struct {
		name  string
		probe ProbeInfo
	}{{"SharePoint REST", sp}, {"Microsoft Graph", gr}} {
		pr := p.probe
		ev := fmt.Sprintf("%s: GET %s answered %d %s", p.name, pr.URL, pr.HTTPStatus, pr.Error)
		switch {
		case pr.Status == ProbeFailed && pr.HTTPStatus == 403:
			if d.has(FindConsentMissing) {
				continue
			}
			d.add(Finding{ID: FindSiteAccessDenied, Severity: SevError, Title: "The credential has no access to the site", Evidence: []string{ev},
				Remedies: []string{fmt.Sprintf("Grant %s access to the site: with Sites.Selected, a site permission (POST /sites/{id}/permissions, role read or write); for a user account, site membership.", d.subject())}})
		case pr.Status == ProbeFailed && pr.HTTPStatus == 404:
			d.add(Finding{ID: FindSiteNotFound, Severity: SevError, Title: "The site does not exist (or the credential cannot see it)", Evidence: []string{ev},
				Remedies: []string{"Check the site URL (https://TENANT.sharepoint.com/sites/NAME)."}})
		case pr.Status == ProbeFailed && (pr.HTTPStatus == 429 || pr.HTTPStatus == 503):
			d.add(Finding{ID: FindSharePointThrottled, Severity: SevWarning, Title: "SharePoint throttled the request", Evidence: []string{ev},
				Remedies: []string{"Try again later; if the job runs often, honour Retry-After and spread its requests."}})
		case pr.Status == ProbeError || (pr.Status == ProbeFailed && pr.HTTPStatus != 401 && pr.HTTPStatus != 0):
			d.add(Finding{ID: FindSiteRequestFailed, Severity: SevError, Title: "The request to the site failed", Evidence: []string{fmt.Sprintf("%s: GET %s: %s", p.name, pr.URL, first(pr.Error, fmt.Sprint(pr.HTTPStatus)))},
				Remedies: []string{"Allow outbound HTTPS from this server to *.sharepoint.com and graph.microsoft.com; retry if the service had an outage."}})
		case pr.Status == ProbeFailed && pr.HTTPStatus == 401 && p.name == "Microsoft Graph":
			d.add(Finding{ID: FindSharePointUnauthorized, Severity: SevError, Title: "SharePoint rejected the token", Evidence: []string{ev},
				Remedies: []string{"Check that the token's audience is Microsoft Graph and that it has not been revoked."}})
		}
	}
}

func (d *diag) claimsFor(resource string) *Claims {
	for _, t := range d.r.Tokens {
		if t.Resource == resource {
			return t.Claims
		}
	}
	return nil
}

// causes: tenant settings that make password sign-ins of a service account fail.
func (d *diag) causes() {
	if !d.user {
		return
	}
	t := d.r.Trust
	if t.SecurityDefaults.Enabled != nil && *t.SecurityDefaults.Enabled {
		d.add(Finding{ID: FindSecurityDefaultsOn, Severity: SevWarning,
			Title:    "Security defaults are on: every user must use MFA, from every location",
			Evidence: []string{"identitySecurityDefaultsEnforcementPolicy isEnabled=true"},
			Remedies: []string{"Move the job to certificate-based app-only (service principals are not challenged).",
				"Or, with Entra ID P1, replace security defaults with Conditional Access policies that exempt the server's trusted location, then: tenantops security-defaults disable"}})
	}
	if s := t.PerUserMFA.State; s == "enabled" || s == "enforced" {
		d.add(Finding{ID: FindPerUserMFAOn, Severity: SevWarning,
			Title:    "Per-user MFA is " + s + " for the service account",
			Evidence: []string{fmt.Sprintf("%s has perUserMfaState=%s: every sign-in needs MFA, whatever the location", d.account(), s)},
			Remedies: []string{fmt.Sprintf("Set it to disabled (tenantops mfa set --user %s --state disabled) and let Conditional Access with a trusted location decide.", d.account()),
				"Or keep it enforced and give a legacy client an app password — never for an admin account."}})
	}
}

func (d *diag) incomplete() {
	t := d.r.Trust
	var ev, perms []string
	for _, l := range []Lookup{t.NamedLocations, t.ConditionalAccess.Lookup, t.SecurityDefaults.Lookup, t.PerUserMFA.Lookup} {
		if l.Status != LookupDenied && l.Status != LookupError {
			continue
		}
		ev = append(ev, l.Detail)
		if l.Permission != "" && !slices.Contains(perms, l.Permission) {
			perms = append(perms, l.Permission)
		}
	}
	if len(ev) == 0 {
		return
	}
	rem := []string{"Check that Microsoft Graph is reachable and try again."}
	if len(perms) > 0 {
		rem = []string{fmt.Sprintf("Grant tenantops's own app the application permissions %s and admin consent (see infra/permissions).", strings.Join(perms, ", "))}
	}
	d.add(Finding{ID: FindChecksIncomplete, Severity: SevWarning, Title: "Some trust checks could not run", Evidence: ev, Remedies: rem})
}

func resourceName(r string) string {
	if r == ResourceGraph {
		return "Microsoft Graph"
	}
	return "SharePoint"
}

func traceOf(e identity.SignInError) string {
	if e.TraceID == "" {
		return ""
	}
	return fmt.Sprintf(" (trace id %s, correlation id %s)", e.TraceID, e.CorrelationID)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// hostCIDR is the range to trust for one address: the address itself for
// IPv4, its /64 for IPv6 (hosts change addresses within their prefix).
func hostCIDR(ip string) string {
	if egress.FamilyOf(ip) == egress.IPv6 {
		return prefix64(ip)
	}
	return ip + "/32"
}

// prefix64 is the /64 holding an IPv6 address (the usual size of a site's prefix).
func prefix64(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip + "/128"
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip + "/128"
	}
	return p.String()
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"no family"}
	}
	return s
}

func flatten(m map[string][]string) []string {
	var out []string
	for _, f := range []string{egress.IPv4, egress.IPv6} {
		out = append(out, m[f]...)
	}
	return out
}
