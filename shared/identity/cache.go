package identity

// Admin sign-in that does not prompt twice. Interactive methods (device code,
// browser) get azidentity's persistent token cache — data encrypted on disk
// under ~/.cache/.IdentityService with the key held by the OS (the kernel
// user keyring on Linux, the Keychain on macOS, DPAPI on Windows) — plus an
// AuthenticationRecord (account and tenant, no secret) saved under
// ~/.config/tenantops/auth. The next process loads the record and gets its
// tokens silently from the cache, refreshing them with the cached refresh
// token.
//
// When the OS store is unavailable (a container without a keyring, for
// example) there is no persistent cache and every run signs in again. A
// home-grown file cache is deliberately not offered: azidentity accepts only
// caches built by its own cache package, and a file "encrypted" with a key
// stored beside it would protect nothing.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
)

// TokenCacheName names tenantops' persistent token cache.
const TokenCacheName = "tenantops"

// PersistentCache returns azidentity's persistent token cache named name, or
// an error saying why the OS cannot hold one.
func PersistentCache(name string) (azidentity.Cache, error) {
	c, err := cache.New(&cache.Options{Name: name})
	if err != nil {
		return azidentity.Cache{}, fmt.Errorf("persistent token cache unavailable (every run will sign in again): %w", err)
	}
	return c, nil
}

// RecordStore keeps AuthenticationRecords, one file per key, readable only
// by the user. A record holds no secret: it names the account to look up in
// the token cache.
type RecordStore struct{ Dir string }

// DefaultRecordStore is ~/.config/tenantops/auth (per the OS's user config dir).
func DefaultRecordStore() (RecordStore, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return RecordStore{}, fmt.Errorf("finding the user config directory: %w", err)
	}
	return RecordStore{Dir: filepath.Join(d, "tenantops", "auth")}, nil
}

// RecordKey identifies the sign-in a record belongs to.
func RecordKey(cfg Config, m Method) string {
	clean := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return "default"
		}
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
				return r
			}
			return '_'
		}, s)
	}
	cl := cfg.Cloud
	if cl == "" {
		cl = Global
	}
	return strings.Join([]string{clean(string(cl)), clean(cfg.TenantID), clean(cfg.ClientID), clean(string(m))}, "_")
}

func (s RecordStore) path(key string) string { return filepath.Join(s.Dir, key+".json") }

// Load returns the record saved under key.
func (s RecordStore) Load(key string) (azidentity.AuthenticationRecord, bool) {
	var rec azidentity.AuthenticationRecord
	b, err := os.ReadFile(s.path(key))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.HomeAccountID == "" {
		return azidentity.AuthenticationRecord{}, false
	}
	return rec, true
}

// Save writes rec under key (0600, directory 0700).
func (s RecordStore) Save(key string, rec azidentity.AuthenticationRecord) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("saving sign-in record: %w", err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("saving sign-in record: %w", err)
	}
	tmp := s.path(key) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("saving sign-in record: %w", err)
	}
	if err := os.Rename(tmp, s.path(key)); err != nil {
		return fmt.Errorf("saving sign-in record: %w", err)
	}
	return nil
}

// Forget deletes the record under key (sign out).
func (s RecordStore) Forget(key string) error {
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing sign-in record: %w", err)
	}
	return nil
}

// Persistence is what an interactive credential needs to survive the process.
type Persistence struct {
	Cache  azidentity.Cache
	Record azidentity.AuthenticationRecord
	Store  RecordStore
	Key    string
	// Err says why there is no persistent cache (nil when there is one).
	Err error
}

// InteractivePersistence loads the cache and the saved record for cfg's
// interactive sign-in m. It never fails: without a cache or a store, the
// credential simply prompts every run (Err says why).
func InteractivePersistence(cfg Config, m Method) Persistence {
	p := Persistence{Key: RecordKey(cfg, m)}
	if cfg.Cloud == Dev {
		// The dev tenant's accounts must not land in the user's real cache.
		p.Err = errors.New("no persistent token cache with the dev tenant")
		return p
	}
	c, err := PersistentCache(TokenCacheName)
	if err != nil {
		p.Err = err
		return p
	}
	st, err := DefaultRecordStore()
	if err != nil {
		p.Err = err
		return p
	}
	p.Cache, p.Store = c, st
	p.Record, _ = st.Load(p.Key)
	return p
}

// Authenticator is an interactive credential that can sign in explicitly
// and report the account (DeviceCode, InteractiveBrowser, UsernamePassword).
type Authenticator interface {
	azcore.TokenCredential
	Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
}

// Remember wraps cred so that the first token request of a process without a
// saved record signs in once with Authenticate and saves the record; later
// requests (and later processes) are silent while the cache holds a
// refresh token. Without persistence it returns cred unchanged.
func Remember(cred Authenticator, p Persistence) azcore.TokenCredential {
	if p.Err != nil || p.Store.Dir == "" {
		return cred
	}
	return &remembering{cred: cred, p: p, have: p.Record.HomeAccountID != ""}
}

type remembering struct {
	cred Authenticator
	p    Persistence
	mu   sync.Mutex
	have bool
}

func (r *remembering) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	r.mu.Lock()
	if !r.have {
		rec, err := r.cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: opts.Scopes, TenantID: opts.TenantID, EnableCAE: opts.EnableCAE, Claims: opts.Claims})
		if err != nil {
			r.mu.Unlock()
			return azcore.AccessToken{}, err
		}
		// A record that cannot be saved only costs a prompt next run.
		_ = r.p.Store.Save(r.p.Key, rec)
		r.have = true
	}
	r.mu.Unlock()
	return r.cred.GetToken(ctx, opts)
}
