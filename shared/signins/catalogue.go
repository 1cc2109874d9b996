package signins

import "fmt"

// Code explains an AADSTS error code (ERRORS.md: Microsoft's descriptions,
// shortened, with the fix that applies to a service account).
type Code struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Fix     string `json:"fix"`
}

var catalogue = map[int]Code{
	50076:   {"UserStrongAuthClientAuthNRequired", "MFA is required (Conditional Access, per-user MFA or a new location) and a password-only sign-in cannot satisfy it", "move the workload to an app credential (certificate, managed identity, federated credential), or exclude the account through a trusted named location and set per-user MFA to disabled"},
	50079:   {"UserStrongAuthEnrollmentRequired", "MFA is required and the account has no method registered", "register a method interactively, or remove the requirement for this account"},
	50158:   {"ExternalSecurityChallenge", "an external security challenge (custom control, external MFA) was not satisfied", "non-interactive flows cannot satisfy it: exclude the account or use a service principal"},
	53003:   {"BlockedByConditionalAccess", "a Conditional Access policy blocked the sign-in", "see the policies marked failure; adjust its locations or exclusions, or check with `tenantops egress trusted`"},
	50126:   {"InvalidUserNameOrPassword", "wrong user name or password", "rotate the password in Key Vault and the account together (`tenantops credentials rotate`); stop retry loops before lockout"},
	50053:   {"IdsLocked", "the account is locked after too many bad passwords, or the IP is flagged as malicious", "wait for smart lockout to clear and fix the stored password"},
	50055:   {"InvalidPasswordExpiredPassword", "the password has expired", "reset it and set passwordPolicies DisablePasswordExpiration for the service account"},
	50057:   {"UserDisabled", "the account is disabled", "enable it (accountEnabled=true) if it is still needed"},
	50034:   {"UserAccountNotFound", "no such user in this tenant", "check the UPN and the tenant"},
	50173:   {"FreshTokenNeeded", "the refresh token was revoked (sessions revoked or password changed)", "sign in again"},
	50133:   {"SsoArtifactRevoked", "the session ended after a password change or expiry", "sign in again with the new password"},
	50072:   {"UserStrongAuthEnrollmentRequiredInterrupt", "the user must register for MFA (interactive)", "register a method"},
	50074:   {"UserStrongAuthClientAuthNRequiredInterrupt", "the MFA challenge was not passed", "complete MFA"},
	50078:   {"UserStrongAuthExpired", "the presented MFA has expired", "sign in again with MFA"},
	50131:   {"ConditionalAccessFailed", "Conditional Access failed (device state, suspicious activity, policy)", "see the applied policies"},
	530035:  {"BlockedBySecurityDefaults", "security defaults blocked the request (legacy authentication or deemed unsafe)", "use modern authentication with an app credential, or replace security defaults with Conditional Access"},
	530032:  {"BlockedByConditionalAccessOnSecurityPolicy", "a tenant security policy blocked the request", "see the tenant's security policies"},
	53000:   {"DeviceNotCompliant", "a policy requires a compliant device", "use a compliant device or exclude the workload"},
	53004:   {"ProofUpBlockedDueToRisk", "the user must complete MFA registration", "register a method"},
	70043:   {"BadTokenDueToSignInFrequency", "sign-in frequency forced a new sign-in", "sign in again"},
	7000215: {"InvalidClientSecret", "the client secret is wrong (often the secret id was sent instead of its value)", "use the secret value; rotate with `tenantops credentials rotate`"},
	7000222: {"InvalidClientSecretExpiredKeysProvided", "the client secret has expired", "create a new secret (`tenantops credentials rotate`) and remove the old one"},
	700016:  {"UnauthorizedClient_DoesNotMatchRequest", "the application is not in this tenant", "check the client id and tenant; grant admin consent"},
	700027:  {"InvalidClientAssertion", "the client certificate signature did not validate", "upload the certificate the app signs with, or fix the private key"},
	65001:   {"DelegationDoesNotExist", "consent is missing for the app", "grant admin consent"},
	90002:   {"InvalidTenantName", "the tenant was not found", "check the tenant id and cloud (TENANTOPS_CLOUD)"},
	500011:  {"InvalidResourceServicePrincipalNotFound", "the resource is not in the tenant (often a mistyped scope)", "check the scope / resource URL"},
	7000112: {"UnauthorizedClientApplicationDisabled", "the application is disabled", "enable the service principal"},
	90055:   {"TenantThrottlingError", "too many requests to Entra", "slow down and retry"},
	50196:   {"LoopDetected", "a client loop was detected", "cache tokens instead of requesting them in a loop"},
}

// Explain returns what an AADSTS code means; unknown codes point to
// Microsoft's lookup page.
func Explain(code int) Code {
	if c, ok := catalogue[code]; ok {
		return c
	}
	return Code{Meaning: fmt.Sprintf("see https://login.microsoftonline.com/error?code=%d", code)}
}
