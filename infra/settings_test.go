package infra_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every setting the code reads is classified once per platform: set by the
// template (…Settings) or deliberately not set there (…Forbidden). The Bicep
// and SAM tests enforce both lists; TestSettingsClassified keeps the lists in
// step with the code.
var (
	// Function App app settings (infra/azure/main.bicep).
	azureSettings = []string{
		"AZURE_TENANT_ID", "TENANTOPS_CLOUD", "TENANTOPS_VAULT_URL", "TENANTOPS_BREAKGLASS",
		"TENANTOPS_EXPECTED_EGRESS_IPS", "TENANTOPS_EGRESS_ECHO_URLS", "ROTATION_SCHEDULE", "TENANTOPS_ROTATION_GRACE",
	}
	// Not on the Function App: the managed identity is used when no azidentity
	// client setting is present (AZURE_CLIENT_ID would pick a user-assigned
	// identity); no dev tenant; the AWS federation audience is Lambda-only.
	azureForbidden = []string{
		"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
		"AZURE_FEDERATED_TOKEN_FILE", "TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE",
		"TENANTOPS_DEV", "TENANTOPS_DEVTENANT_URL", "TENANTOPS_DEVTENANT_CA", "AzureWebJobsStorage",
	}
	// Lambda environment (infra/aws/template.yaml).
	lambdaSettings = []string{
		"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE", "TENANTOPS_CLOUD",
		"TENANTOPS_VAULT_URL", "TENANTOPS_BREAKGLASS", "TENANTOPS_EXPECTED_EGRESS_IPS",
		"TENANTOPS_EGRESS_ECHO_URLS", "TENANTOPS_ROTATION_GRACE",
	}
	// Not on Lambda: it federates through STS instead of secrets or a token
	// file; no dev tenant; the schedule is the EventBridge rule, not NCRONTAB.
	lambdaForbidden = []string{
		"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
		"AZURE_FEDERATED_TOKEN_FILE", "TENANTOPS_DEV", "TENANTOPS_DEVTENANT_URL", "TENANTOPS_DEVTENANT_CA",
		"ROTATION_SCHEDULE",
	}
)

// settingLiteralRE finds setting names in Go string literals.
var settingLiteralRE = regexp.MustCompile(`"((?:TENANTOPS|AZURE)_[A-Z0-9_]+|ROTATION_SCHEDULE)"`)

// testOnlySettings are read by tests only.
var testOnlySettings = map[string]bool{forcePackageEnv: true}

// isDevSetting reports whether s configures the offline dev tenant
// (TENANTOPS_DEV, TENANTOPS_DEV_*, TENANTOPS_DEVTENANT_*): never deployed, on
// any platform; the Bicep and SAM tests reject them.
func isDevSetting(s string) bool {
	return s == "TENANTOPS_DEV" || strings.HasPrefix(s, "TENANTOPS_DEV_") || strings.HasPrefix(s, "TENANTOPS_DEVTENANT_")
}

func TestSettingsClassified(t *testing.T) {
	root := repoRoot(t)
	read := map[string]string{} // setting → first file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case ".git", "infra", "dist", "bin":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range settingLiteralRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := read[m[1]]; !ok {
				read[m[1]] = filepath.ToSlash(rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(read) == 0 {
		t.Fatal("found no settings in the code: the scan is broken")
	}
	in := func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	}
	names := make([]string, 0, len(read))
	for s := range read {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		if testOnlySettings[s] || isDevSetting(s) {
			continue
		}
		if !in(azureSettings, s) && !in(azureForbidden, s) {
			t.Errorf("%s (read in %s) is neither set nor excluded for Azure: add it to infra/azure/main.bicep and azureSettings, or to azureForbidden", s, read[s])
		}
		if !in(lambdaSettings, s) && !in(lambdaForbidden, s) {
			t.Errorf("%s (read in %s) is neither set nor excluded for Lambda: add it to infra/aws/template.yaml and lambdaSettings, or to lambdaForbidden", s, read[s])
		}
	}
	for _, pair := range [][2][]string{{azureSettings, azureForbidden}, {lambdaSettings, lambdaForbidden}} {
		for _, s := range pair[0] {
			if in(pair[1], s) {
				t.Errorf("%s is both set and excluded", s)
			}
		}
	}
	t.Logf("settings read by the code: %v", names)
}
