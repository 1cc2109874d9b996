package identity_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

// A second process does not sign in again: the first saved its
// AuthenticationRecord and its tokens went to the persistent cache. ROPC
// stands in for device code here (both are public-client flows that take a
// Cache and an AuthenticationRecord); the second credential even has a wrong
// password, proving it never signs in.
func TestSecondProcessDoesNotPrompt(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	name := fmt.Sprintf("tenantops-test-%d", time.Now().UnixNano())
	c, err := identity.PersistentCache(name)
	if err != nil {
		t.Skipf("no OS key store here: %v", err)
	}
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dt.Close()
	tr, _ := identity.DevTransport(dt.URL(), dt.CACertPEM())
	store := identity.RecordStore{Dir: t.TempDir()}
	key := identity.RecordKey(identity.Config{Cloud: identity.Global, TenantID: devtenant.TenantID, ClientID: devtenant.SharePointSyncAppID}, identity.MethodDeviceCode)
	newCred := func(password string, cache azidentity.Cache, rec azidentity.AuthenticationRecord) identity.Authenticator {
		//lint:ignore SA1019 stands in for an interactive flow the dev tenant does not serve.
		opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: tr}}, Cache: cache, AuthenticationRecord: rec}
		cred, err := azidentity.NewUsernamePasswordCredential(devtenant.TenantID, devtenant.SharePointSyncAppID, devtenant.SvcSharePointUPN, password, opts)
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	scope := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}
	ctx := context.Background()

	first := identity.Remember(newCred(devtenant.SvcSharePointPassword, c, azidentity.AuthenticationRecord{}),
		identity.Persistence{Cache: c, Store: store, Key: key})
	if _, err := first.GetToken(ctx, scope); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	rec, ok := store.Load(key)
	if !ok || rec.Username != devtenant.SvcSharePointUPN {
		t.Fatalf("record not saved: %+v", rec)
	}
	if fi, err := os.Stat(store.Dir + "/" + key + ".json"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("record file mode: %v %v", fi, err)
	}
	signIns := len(dt.SignIns())

	// "Second process": a new cache handle on the same store, the saved record.
	c2, err := identity.PersistentCache(name)
	if err != nil {
		t.Fatal(err)
	}
	second := identity.Remember(newCred("wrong password", c2, rec), identity.Persistence{Cache: c2, Store: store, Key: key, Record: rec})
	if _, err := second.GetToken(ctx, scope); err != nil {
		t.Fatalf("second process had to sign in: %v", err)
	}
	if n := len(dt.SignIns()); n != signIns {
		t.Errorf("second process signed in again (%d sign-ins, want %d)", n, signIns)
	}
	_ = store.Forget(key)
	if _, ok := store.Load(key); ok {
		t.Error("Forget left the record")
	}
}

func TestInteractivePersistenceNeverForDev(t *testing.T) {
	p := identity.InteractivePersistence(identity.Config{Cloud: identity.Dev}, identity.MethodDeviceCode)
	if p.Err == nil {
		t.Error("dev tenant accounts would land in the user's cache")
	}
}
