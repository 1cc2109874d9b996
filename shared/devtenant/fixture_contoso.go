package devtenant

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Further well-known names of the default fixture. All credentials are dev-only and public.
const (
	// WorkflowEngineAppID is "Contoso Workflow Engine" (secret + certificate + federated credential).
	WorkflowEngineAppID = "2f6e1b9c-7a4d-4c3e-8b5f-0d9a3c6e1f72"
	// WorkflowEngineSecret is its current client secret (also in Key Vault as workflow-engine-secret).
	WorkflowEngineSecret = "wfe~dev-only.Workflow-Engine-Secret~0001"
	// WorkflowEngineFederatedIssuer / Subject identify its federated identity credential.
	WorkflowEngineFederatedIssuer  = "https://token.actions.githubusercontent.com"
	WorkflowEngineFederatedSubject = "repo:contoso/workflows:ref:refs/heads/main"
	// SharePointSyncAppID is "Contoso SharePoint Sync", a public client used by
	// svc-sharepoint@contoso.com for password (ROPC) sign-ins to SharePoint.
	SharePointSyncAppID = "5c8e2a4f-1b7d-4e9a-a3c6-7f0b2d4e6a81"
	// ReportingAppID is "Contoso Reporting (read-only)": only User.Read.All (for 403 tests).
	ReportingAppID        = "9e4b7d1a-2c5f-4a8e-b6d3-1f7c9e2a4b05"
	ReportingClientSecret = "rpt~dev-only.Reporting-Secret~0001"

	SvcSharePointUPN      = "svc-sharepoint@contoso.com"
	SvcSharePointPassword = "Svc-SharePoint.dev-only.Pass1!"
	// DevUserPassword is the password of every other fixture user.
	DevUserPassword = "Contoso.dev-only.Pass1!"

	// Stable object ids used in docs and checks.
	HeadOfficeLocationID = "0f8c3e6a-1d4b-4a7e-9c2f-5b8d1e4a7c36"
	RequireMFAPolicyID   = "7b2e9d4c-3a1f-4e6b-8d5c-2f9a6e1b4d70"
)

// Contoso returns the default fixture with dates relative to the current time.
func Contoso() *Fixture { return ContosoAt(time.Now()) }

// ContosoAt returns the default fixture with dates relative to now (so that a
// tenant started with a fake clock sees consistent credential lifetimes).
func ContosoAt(now time.Time) *Fixture {
	now = now.UTC().Truncate(time.Second)
	day := 24 * time.Hour
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * day) }
	fx := &Fixture{
		TenantID:       TenantID,
		DisplayName:    "Contoso",
		DefaultDomain:  TenantDomain,
		InitialDomain:  InitialDomain,
		SharePointHost: SharePointHost,
		EgressIP:       DefaultEgressIP,
		AppManagementPolicy: AppManagementPolicy{
			Enabled:             true,
			MaxPasswordLifetime: 180 * day,
		},
	}
	methodsFull := func(upn string) []AuthMethod {
		return []AuthMethod{
			{ID: StableID("method", upn+"/authenticator"), Type: "microsoftAuthenticator", DisplayName: "iPhone 15", Created: ago(200)},
			{ID: "3179e48a-750b-4051-897c-87b9720928f7", Type: "phone", PhoneNumber: "+1 4255550199", PhoneType: "mobile", Created: ago(200)},
		}
	}
	fido := func(upn string) []AuthMethod {
		return []AuthMethod{{ID: StableID("method", upn+"/fido2"), Type: "fido2", DisplayName: "YubiKey 5 NFC", Created: ago(400)}}
	}
	u := func(upn, display, job, dept string) User {
		given, sur, _ := strings.Cut(display, " ")
		return User{
			UserPrincipalName: upn, DisplayName: display, GivenName: given, Surname: sur,
			Mail: upn, JobTitle: job, Department: dept, OfficeLocation: "Redmond",
			UserType: "Member", AccountEnabled: true, CreatedDateTime: ago(900),
			Password: DevUserPassword, LastPasswordChangeDateTime: ago(60),
			PerUserMFAState: MFADisabled,
		}
	}
	// Named accounts.
	adele := u("adele.vance@contoso.com", "Adele Vance", "Retail Manager", "Retail")
	adele.PerUserMFAState, adele.Methods, adele.MobilePhone = MFAEnforced, methodsFull("adele"), "+1 425 555 0109"
	alex := u("alex.wilber@contoso.com", "Alex Wilber", "Marketing Assistant", "Marketing")
	alex.PerUserMFAState = MFAEnabled
	megan := u("megan.bowen@contoso.com", "Megan Bowen", "Marketing Manager", "Marketing")
	megan.PerUserMFAState = MFAEnabled
	lynne := u("lynne.robbins@contoso.com", "Lynne Robbins", "Planner", "Retail")
	lynne.PerUserMFAState = MFAEnabled
	diego := u("diego.siciliani@contoso.com", "Diego Siciliani", "HR Manager", "HR")
	diego.PerUserMFAState = MFAEnabled
	admin := u("admin@"+InitialDomain, "MOD Administrator", "IT Administrator", "IT")
	admin.Mail, admin.IsAdmin, admin.PerUserMFAState, admin.Methods = "", true, MFAEnforced, append(methodsFull("admin"), fido("admin")...)
	bg1 := u("breakglass01@contoso.com", "Break Glass 01", "Emergency access", "IT")
	bg1.IsAdmin, bg1.Methods, bg1.PasswordPolicies, bg1.Mail = true, fido("breakglass01"), "DisablePasswordExpiration", ""
	bg2 := u("breakglass02@contoso.com", "Break Glass 02", "Emergency access", "IT")
	bg2.IsAdmin, bg2.Methods, bg2.PasswordPolicies, bg2.Mail = true, fido("breakglass02"), "DisablePasswordExpiration", ""
	guest := User{
		UserPrincipalName: "partner_fabrikam.com#EXT#@" + InitialDomain, DisplayName: "Pat Partner (Fabrikam)",
		GivenName: "Pat", Surname: "Partner", Mail: "partner@fabrikam.com", UserType: "Guest", AccountEnabled: true,
		CreatedDateTime: ago(300), PerUserMFAState: MFADisabled,
	}
	svc := u(SvcSharePointUPN, "SharePoint Service Account", "Service account", "IT")
	svc.Password, svc.PasswordPolicies, svc.Mail, svc.OfficeLocation = SvcSharePointPassword, "DisablePasswordExpiration", "", ""
	svc.LastPasswordChangeDateTime = ago(170)
	locked := u("lidia.holloway@contoso.com", "Lidia Holloway", "Product Manager", "Engineering")
	locked.Locked, locked.Methods = true, methodsFull("lidia")
	expired := u("lee.gu@contoso.com", "Lee Gu", "Director", "Manufacturing")
	expired.PasswordExpired, expired.LastPasswordChangeDateTime = true, ago(400)
	fx.Users = append(fx.Users, admin, adele, alex, megan, lynne, diego, bg1, bg2, guest, svc, locked, expired)
	for _, n := range []string{"nestor.wilke", "joni.sherman", "patti.fernandez"} {
		first, last, _ := strings.Cut(n, ".")
		d := u(n+"@contoso.com", titleCase(first)+" "+titleCase(last), "Former employee", "Operations")
		d.AccountEnabled = false
		fx.Users = append(fx.Users, d)
	}
	// Dozens of ordinary members with a deterministic mix of MFA states.
	for i, n := range ordinaryNames {
		first, last, _ := strings.Cut(n, " ")
		upn := strings.ToLower(first+"."+last) + "@contoso.com"
		m := u(upn, n, jobTitles[i%len(jobTitles)], departments[i%len(departments)])
		switch {
		case i%7 == 3:
			m.PerUserMFAState, m.Methods = MFAEnforced, methodsFull(upn)
		case i%5 == 0:
			m.PerUserMFAState, m.Methods = MFAEnforced, methodsFull(upn) // enabled users become enforced once registered
		case i%2 == 0:
			m.Methods = methodsFull(upn) // registered through the CA policy
		}
		fx.Users = append(fx.Users, m)
	}
	id := func(upn string) string { return StableID("user", strings.ToLower(upn)) }

	var everyone []string
	for _, x := range fx.Users {
		if x.UserType == "Member" {
			everyone = append(everyone, id(x.UserPrincipalName))
		}
	}
	opsEng := StableID("group", "Ops Engineers")
	fx.Groups = []Group{
		{DisplayName: "All Company", Description: "Every member", MailNickname: "allcompany", SecurityEnabled: true, MailEnabled: true, Members: everyone},
		{DisplayName: "Operations", Description: "Operations team and its service accounts", MailNickname: "operations", SecurityEnabled: true,
			Members: []string{id("adele.vance@contoso.com"), id(SvcSharePointUPN), opsEng}},
		{ID: opsEng, DisplayName: "Ops Engineers", MailNickname: "opsengineers", SecurityEnabled: true,
			Members: []string{id("alex.wilber@contoso.com"), id("megan.bowen@contoso.com"), id("grady.archie@contoso.com")}},
		{DisplayName: "Service Accounts", MailNickname: "serviceaccounts", SecurityEnabled: true, Members: []string{id(SvcSharePointUPN)}},
		{DisplayName: "Break Glass Accounts", MailNickname: "breakglass", SecurityEnabled: true,
			Members: []string{id("breakglass01@contoso.com"), id("breakglass02@contoso.com")}},
		{DisplayName: "MFA Rollout Wave 1", MailNickname: "mfawave1", SecurityEnabled: true,
			Members: []string{id("alex.wilber@contoso.com"), id("megan.bowen@contoso.com"), id("lynne.robbins@contoso.com"), id("diego.siciliani@contoso.com")}},
	}

	wfDER, _ := WorkflowEngineCertificate()
	adDER, _ := AdminCertificate()
	wfCert, _ := x509.ParseCertificate(wfDER)
	adCert, _ := x509.ParseCertificate(adDER)
	adminSP := StableID("servicePrincipal", AdminClientID)
	fx.Apps = []App{
		{
			AppID: AdminClientID, DisplayName: "tenantops admin (dev)",
			AppRoles: map[string][]string{
				ResourceGraph: {
					"User.Read.All", "User.ReadWrite.All", "User.RevokeSessions.All", "User.EnableDisableAccount.All",
					"User-PasswordProfile.ReadWrite.All", "Directory.Read.All", "GroupMember.Read.All",
					"Policy.Read.All", "Policy.Read.ConditionalAccess", "Policy.ReadWrite.ConditionalAccess",
					"Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.SecurityDefaults", "Policy.ReadWrite.ApplicationConfiguration",
					"AuditLog.Read.All", "UserAuthenticationMethod.Read.All", "Application.Read.All", "Application.ReadWrite.All",
					"Application.ReadWrite.OwnedBy", "Sites.Read.All", "AppRoleAssignment.ReadWrite.All",
				},
				ResourceSharePoint: {"Sites.FullControl.All"},
			},
			DirectoryRoles: []string{"Privileged Authentication Administrator", "User Administrator"},
			Passwords: []PasswordCredential{{KeyID: StableID("password", AdminClientID+"/dev"), DisplayName: "dev (well-known)",
				Secret: AdminClientSecret, Start: ago(30), End: now.Add(335 * day)}},
			Certificates: []KeyCredential{{KeyID: StableID("key", AdminClientID+"/dev"), DisplayName: "CN=tenantops admin (dev)",
				CertDER: adDER, Start: adCert.NotBefore, End: adCert.NotAfter}},
		},
		{
			AppID: WorkflowEngineAppID, DisplayName: "Contoso Workflow Engine",
			AppRoles: map[string][]string{
				ResourceGraph:      {"Sites.Read.All"},
				ResourceSharePoint: {"Sites.FullControl.All"},
			},
			Passwords: []PasswordCredential{{KeyID: StableID("password", WorkflowEngineAppID+"/1"), DisplayName: "workflow server",
				Secret: WorkflowEngineSecret, Start: ago(160), End: now.Add(20 * day)}},
			Certificates: []KeyCredential{{KeyID: StableID("key", WorkflowEngineAppID+"/1"), DisplayName: "CN=Contoso Workflow Engine",
				CertDER: wfDER, Start: wfCert.NotBefore, End: wfCert.NotAfter}},
			FederatedCredentials: []FederatedCredential{{ID: StableID("fic", WorkflowEngineAppID), Name: "github-main",
				Issuer: WorkflowEngineFederatedIssuer, Subject: WorkflowEngineFederatedSubject}},
			Owners: []string{adminSP},
		},
		{
			AppID: SharePointSyncAppID, DisplayName: "Contoso SharePoint Sync", PublicClient: true,
			DelegatedScopes: map[string][]string{
				ResourceSharePoint: {"AllSites.Read", "AllSites.Write"},
				ResourceGraph:      {"User.Read", "Sites.Read.All"},
			},
			Owners: []string{adminSP},
		},
		{
			AppID: ReportingAppID, DisplayName: "Contoso Reporting (read-only)",
			AppRoles: map[string][]string{ResourceGraph: {"User.Read.All"}},
			Passwords: []PasswordCredential{{KeyID: StableID("password", ReportingAppID+"/1"), DisplayName: "reporting",
				Secret: ReportingClientSecret, Start: ago(10), End: now.Add(170 * day)}},
		},
	}
	fx.NamedLocations = []NamedLocation{
		{ID: HeadOfficeLocationID, DisplayName: "Head office", Trusted: true,
			CIDRs: []string{"203.0.113.0/24", "2001:db8:100::/48"}, Created: ago(500), Modified: ago(90)},
		{ID: StableID("namedLocation", "Partner network"), DisplayName: "Partner network (untrusted)", Trusted: false,
			CIDRs: []string{"192.0.2.0/24"}, Created: ago(300), Modified: ago(300)},
	}
	fx.CAPolicies = []CAPolicy{
		{ID: RequireMFAPolicyID, DisplayName: "Require MFA outside trusted locations", State: "enabled",
			IncludeUsers: []string{"All"}, ExcludeUsers: []string{id("breakglass01@contoso.com"), id("breakglass02@contoso.com")},
			IncludeApplications: []string{"All"}, IncludeLocations: []string{"All"}, ExcludeLocations: []string{"AllTrusted"},
			ClientAppTypes: []string{"all"}, GrantControls: []string{"mfa"}, Created: ago(400), Modified: ago(90)},
		{ID: StableID("caPolicy", "Block legacy authentication"), DisplayName: "Block legacy authentication", State: "enabledForReportingButNotEnforced",
			IncludeUsers: []string{"All"}, ExcludeUsers: []string{id("breakglass01@contoso.com"), id("breakglass02@contoso.com")},
			IncludeApplications: []string{"All"}, ClientAppTypes: []string{"exchangeActiveSync", "other"},
			GrantControls: []string{"block"}, Created: ago(200), Modified: ago(200)},
	}
	wfPEM := WorkflowEngineCertPEM()
	fx.Vaults = []Vault{{
		Name: "contoso-ops",
		Access: map[string][]string{
			AdminClientID:       {"get", "list", "set", "delete", "recover", "purge"},
			WorkflowEngineAppID: {"get", "list"},
		},
		Secrets: []Secret{
			{Name: "workflow-engine-secret", Value: "wfe~dev-only.Workflow-Engine-Secret~0000", ContentType: "text/plain",
				Tags:    map[string]string{"tenantops-kind": "app-secret", "tenantops-app-id": WorkflowEngineAppID},
				Enabled: true, Created: ago(340), Expires: ago(160)},
			{Name: "workflow-engine-secret", Value: WorkflowEngineSecret, ContentType: "text/plain",
				Tags:    map[string]string{"tenantops-kind": "app-secret", "tenantops-app-id": WorkflowEngineAppID},
				Enabled: true, Created: ago(160), Expires: now.Add(20 * day)},
			{Name: "workflow-engine-cert", Value: string(wfPEM), ContentType: "application/x-pem-file",
				Tags: map[string]string{"tenantops-kind": "app-certificate", "tenantops-app-id": WorkflowEngineAppID,
					"tenantops-key-id": StableID("key", WorkflowEngineAppID+"/1")},
				Enabled: true, Created: ago(100), Expires: wfCert.NotAfter},
			{Name: "svc-sharepoint-password", Value: SvcSharePointPassword, ContentType: "text/plain",
				Tags: map[string]string{"tenantops-kind": "user-password", "tenantops-app-id": SharePointSyncAppID,
					"tenantops-user": SvcSharePointUPN},
				Enabled: true, Created: ago(170)},
		},
	}}
	fx.Sites = []Site{
		{Hostname: SharePointHost, Path: "/", Title: "Contoso", Description: "Contoso intranet", Created: ago(1000)},
		{Hostname: SharePointHost, Path: "/sites/operations", Title: "Operations", Description: "Operations team site", Created: ago(600)},
	}
	for i := range fx.Sites {
		s := &fx.Sites[i]
		col := StableID("siteCollection", s.Hostname+s.Path)
		s.WebID = StableID("web", s.Hostname+s.Path)
		s.ID = s.Hostname + "," + col + "," + s.WebID
	}
	return fx
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var ordinaryNames = []string{
	"Allan Deyoung", "Christie Cline", "Debra Berger", "Emily Braun", "Enrico Cattaneo", "Grady Archie",
	"Henrietta Mueller", "Irvin Sayers", "Isaiah Langer", "Johanna Lorenz", "Jordan Miller", "Miriam Graham",
	"Pradeep Gupta", "Raul Razo", "Brian Johnson", "Cameron White", "Dana Ruiz", "Elena Petrova", "Farah Haddad",
	"Gavin Brooks", "Hana Sato", "Ivan Novak", "Julia Costa", "Kenji Tanaka", "Laura Schmidt", "Marco Rossi",
	"Nadia Karim", "Oscar Lindqvist", "Priya Nair", "Quentin Moreau", "Rosa Alvarez", "Sven Olsen", "Tariq Aziz",
	"Uma Iyer", "Victor Chen", "Wendy Park",
}

var (
	jobTitles   = []string{"Analyst", "Engineer", "Sales Representative", "Accountant", "Designer", "Support Specialist", "Project Manager"}
	departments = []string{"Finance", "Engineering", "Sales", "Operations", "Marketing", "Legal"}
)

// devCertificate builds a deterministic self-signed certificate for an embedded dev key.
func devCertificate(keyPEM, cn string) ([]byte, *rsa.PrivateKey) {
	key, err := parseRSAKey(keyPEM)
	if err != nil {
		panic(fmt.Sprintf("devtenant: embedded key: %v", err)) // embedded constant; cannot happen
	}
	h := sha1.Sum([]byte(cn))
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(h[:16]),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("devtenant: dev certificate: %v", err))
	}
	return der, key
}

// WorkflowEngineCertificate returns the "Contoso Workflow Engine" certificate
// (DER) and its private key. Dev only.
func WorkflowEngineCertificate() ([]byte, *rsa.PrivateKey) {
	return devCertificate(devKeyWorkflowCert, "Contoso Workflow Engine")
}

// AdminCertificate returns the admin app's certificate (DER) and private key. Dev only.
func AdminCertificate() ([]byte, *rsa.PrivateKey) {
	return devCertificate(devKeyAdminCert, "tenantops admin (dev)")
}

// WorkflowEngineCertPEM is the PEM (certificate + PKCS#8 key) stored in Key Vault as workflow-engine-cert.
func WorkflowEngineCertPEM() []byte { return certPEM(WorkflowEngineCertificate()) }

// AdminCertPEM is the admin app's certificate and key as PEM.
func AdminCertPEM() []byte { return certPEM(AdminCertificate()) }

func certPEM(der []byte, key *rsa.PrivateKey) []byte {
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
}
