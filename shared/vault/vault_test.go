package vault_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
	"github.com/tenantops/tenantops/shared/vault"
)

func newVault(t *testing.T) (*devtenant.Tenant, *vault.Client) {
	t.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := vault.New(devtenant.VaultURL, a.Cred, vault.Options{Cloud: identity.Dev, Transport: a.Transport,
		Retry: &policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return dt, kv
}

// TestSoftDelete: a deleted secret's name stays taken (409) until it is
// purged or recovered.
func TestSoftDelete(t *testing.T) {
	dt, kv := newVault(t)
	ctx := context.Background()
	set := func() error {
		_, err := kv.SetSecret(ctx, "scratch", vault.SetParams{Value: "v", Tags: map[string]string{"k": "v"}})
		return err
	}
	if err := set(); err != nil {
		t.Fatal(err)
	}
	if err := kv.DeleteSecret(ctx, "scratch"); err != nil {
		t.Fatal(err)
	}
	if err := set(); !vault.IsConflict(err) || vault.Status(err) != 409 {
		t.Fatalf("set on a deleted name: %v", err)
	}
	if err := kv.RecoverDeletedSecret(ctx, "scratch"); err != nil {
		t.Fatal(err)
	}
	if s, err := kv.GetSecret(ctx, "scratch", ""); err != nil || s.Value != "v" || s.Tags["k"] != "v" {
		t.Fatalf("recovered: %v %v", s, err)
	}
	if err := kv.DeleteSecret(ctx, "scratch"); err != nil {
		t.Fatal(err)
	}
	if err := kv.PurgeDeletedSecret(ctx, "scratch"); err != nil {
		t.Fatal(err)
	}
	if err := set(); err != nil {
		t.Fatalf("set after purge: %v", err)
	}
	if err := kv.PurgeDeletedSecret(ctx, "never-deleted"); !vault.IsNotFound(err) {
		t.Fatalf("purge of an unknown secret: %v", err)
	}
	if st, _ := dt.VaultSecret("contoso-ops", "scratch"); st.Deleted || len(st.Versions) != 1 {
		t.Fatalf("after purge and set: %+v", st)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := vault.Secret{Name: "n", Version: "v", Value: "hunter2"}
	if strings.Contains(s.String(), "hunter2") {
		t.Fatal("Secret.String printed the value")
	}
}
