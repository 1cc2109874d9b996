package devtenant_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func vaultClient(t testing.TB, tr http.RoundTripper, cred azcore.TokenCredential) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(devtenant.VaultURL, cred, &azsecrets.ClientOptions{ClientOptions: clientOpts(tr)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func respErr(err error) (int, string) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}

func TestKeyVaultSDK(t *testing.T) {
	clock := newFakeClock()
	dt := startTenant(t, devtenant.Options{Now: clock.Now})
	tr := routed(t, dt)
	kv := vaultClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()

	// Latest version (trailing slash) after the 401 challenge round trip.
	got, err := kv.GetSecret(ctx, "workflow-engine-secret", "", nil)
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if *got.Value != devtenant.WorkflowEngineSecret || got.ID.Name() != "workflow-engine-secret" || got.ID.Version() == "" {
		t.Errorf("secret = %v %s %s", *got.Value, got.ID.Name(), got.ID.Version())
	}
	if got.Tags["tenantops-kind"] == nil || *got.Tags["tenantops-kind"] != "app-secret" || got.Tags["tenantops-key-id"] != nil {
		t.Errorf("tags = %v", got.Tags)
	}
	if dt.Count("GET /secrets/workflow-engine-secret/") != 2 {
		t.Errorf("want challenge + authorized GET, log has %d", dt.Count("GET /secrets/workflow-engine-secret/"))
	}

	// Set a new version with tags, content type and expiry.
	exp := clock.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	set, err := kv.SetSecret(ctx, "workflow-engine-secret", azsecrets.SetSecretParameters{
		Value: to.Ptr("new-value"), ContentType: to.Ptr("text/plain"),
		Tags:             map[string]*string{"tenantops-kind": to.Ptr("app-secret"), "tenantops-rotation-id": to.Ptr("r1")},
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp},
	}, nil)
	if err != nil {
		t.Fatalf("SetSecret: %v", err)
	}
	if !set.Attributes.Expires.Equal(exp) || !set.Attributes.Created.Equal(clock.Now().Truncate(time.Second)) || !*set.Attributes.Enabled {
		t.Errorf("attributes = %+v", set.Attributes)
	}
	// Old version still readable by id.
	old, err := kv.GetSecret(ctx, "workflow-engine-secret", got.ID.Version(), nil)
	if err != nil || *old.Value != devtenant.WorkflowEngineSecret {
		t.Errorf("old version: %v", err)
	}
	// Versions with paging (maxresults 25; create more versions than one page).
	for i := range 26 {
		if _, err := kv.SetSecret(ctx, "many", azsecrets.SetSecretParameters{Value: to.Ptr(fmt.Sprint(i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pager := kv.NewListSecretPropertiesVersionsPager("many", nil)
	n, pages := 0, 0
	for pager.More() {
		p, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("versions page: %v", err)
		}
		pages++
		n += len(p.Value)
	}
	if n != 26 || pages != 2 {
		t.Errorf("versions: %d in %d pages", n, pages)
	}
	// Update properties (disable the latest version) → get gives 403 Forbidden.
	upd, err := kv.UpdateSecretProperties(ctx, "many", "", azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}, Tags: map[string]*string{"state": to.Ptr("off")},
	}, nil)
	if err != nil || *upd.Attributes.Enabled || upd.Value != nil {
		t.Fatalf("update: %v %+v", err, upd)
	}
	_, err = kv.GetSecret(ctx, "many", "", nil)
	if st, code := respErr(err); st != 403 || code != "Forbidden" {
		t.Errorf("disabled get: %d %s", st, code)
	}
	// Not found.
	_, err = kv.GetSecret(ctx, "nope", "", nil)
	if st, code := respErr(err); st != 404 || code != "SecretNotFound" {
		t.Errorf("missing: %d %s", st, code)
	}
	// Delete → deleted list → conflict on set → recover → purge.
	if _, err := kv.DeleteSecret(ctx, "many", nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := kv.GetDeletedSecret(ctx, "many", nil); err != nil {
		t.Errorf("get deleted: %v", err)
	}
	_, err = kv.SetSecret(ctx, "many", azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil)
	if st, _ := respErr(err); st != 409 {
		t.Errorf("set on deleted: %d", st)
	}
	if _, err := kv.RecoverDeletedSecret(ctx, "many", nil); err != nil {
		t.Errorf("recover: %v", err)
	}
	if s, ok := dt.VaultSecret("contoso-ops", "many"); !ok || s.Deleted || len(s.Versions) != 26 {
		t.Errorf("after recover: %+v", s)
	}
	_, _ = kv.DeleteSecret(ctx, "many", nil)
	if _, err := kv.PurgeDeletedSecret(ctx, "many", nil); err != nil {
		t.Errorf("purge: %v", err)
	}
	if _, ok := dt.VaultSecret("contoso-ops", "many"); ok {
		t.Errorf("purged secret still present")
	}
	// List secrets.
	lp := kv.NewListSecretPropertiesPager(nil)
	names := map[string]bool{}
	for lp.More() {
		p, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Value {
			names[s.ID.Name()] = true
		}
	}
	for _, want := range []string{"workflow-engine-secret", "workflow-engine-cert", "svc-sharepoint-password"} {
		if !names[want] {
			t.Errorf("list lacks %s: %v", want, names)
		}
	}
}

func TestKeyVaultAccess(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	ctx := context.Background()
	// The workflow engine may read but not write.
	kv := vaultClient(t, tr, secretCred(t, tr, devtenant.WorkflowEngineAppID, devtenant.WorkflowEngineSecret))
	if _, err := kv.GetSecret(ctx, "workflow-engine-cert", "", nil); err != nil {
		t.Errorf("reader get: %v", err)
	}
	_, err := kv.SetSecret(ctx, "workflow-engine-secret", azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil)
	if st, code := respErr(err); st != 403 || code != "Forbidden" {
		t.Errorf("reader set: %d %s", st, code)
	}
	// The reporting app has no access policy at all.
	kv2 := vaultClient(t, tr, secretCred(t, tr, devtenant.ReportingAppID, devtenant.ReportingClientSecret))
	_, err = kv2.GetSecret(ctx, "workflow-engine-secret", "", nil)
	if st, _ := respErr(err); st != 403 {
		t.Errorf("no policy: %d", st)
	}
	// A Graph token is rejected by Key Vault.
	c := newRaw(t, dt)
	resp, b := c.do("GET", devtenant.VaultURL+"/secrets/workflow-engine-secret/?api-version=7.5", c.adminGraph(), "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("graph token at KV: %d %s", resp.StatusCode, b)
	}
	// Injected throttling on Key Vault is retried by azcore.
	dt.Inject("PUT *.vault.azure.net/secrets/*", devtenant.Fault{Status: 429, RetryAfter: "0"})
	kvAdmin := vaultClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	if _, err := kvAdmin.SetSecret(ctx, "retried", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil); err != nil {
		t.Errorf("set after 429: %v", err)
	}
	if s, _ := dt.VaultSecret("contoso-ops", "retried"); len(s.Versions) != 1 || s.Versions[0].Value != "v" {
		t.Errorf("retried set: %+v", s)
	}
}
