package rotation

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
)

// TestPropagationDelay: Entra rejects a new secret for 30 s (AADSTS7000215);
// the rotation keeps testing on the fake clock and publishes only after a
// token was issued with the new secret.
func TestPropagationDelay(t *testing.T) {
	e := newTestEnv(t, nil)
	e.dt.SetSecretPropagationDelay(30 * time.Second)
	e.dt.ResetRequests()
	start := e.clk.Now()
	res, err := Rotate(context.Background(), e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if res.Status != StatusRotated || res.TestAttempts < 2 {
		t.Fatalf("result %+v", res)
	}
	var rejected, firstOK, put int64
	var okAt, putAt time.Time
	for _, r := range e.dt.Requests() {
		switch {
		case r.Service == "entra" && r.AppID == devtenant.WorkflowEngineAppID && strings.HasSuffix(r.Path, "/token"):
			if r.Status == 200 && firstOK == 0 {
				firstOK, okAt = r.Seq, r.Time
			} else if r.Status != 200 {
				if firstOK != 0 {
					t.Fatalf("token rejected after it was accepted: %+v", r)
				}
				rejected++
			}
		case r.Method == "PUT" && r.Path == "/secrets/"+appSecretName:
			if put != 0 {
				t.Fatalf("published twice")
			}
			put, putAt = r.Seq, r.Time
		}
	}
	if rejected == 0 || firstOK == 0 || put == 0 {
		t.Fatalf("rejected %d, first accepted #%d, published #%d", rejected, firstOK, put)
	}
	if put < firstOK || putAt.Before(okAt) {
		t.Fatalf("published (#%d) before the secret was accepted (#%d)", put, firstOK)
	}
	if putAt.Sub(start) < 30*time.Second {
		t.Fatalf("published %s after the start, before replication", putAt.Sub(start))
	}
	if !e.secretWorks(devtenant.WorkflowEngineAppID, e.latest(appSecretName).Value) {
		t.Fatal("published secret does not work")
	}
}

// TestPropagationTimeout: a secret Entra never accepts is never published
// and is rolled back.
func TestPropagationTimeout(t *testing.T) {
	e := newTestEnv(t, nil)
	e.dt.SetSecretPropagationDelay(time.Hour)
	before := e.latest(appSecretName)
	d := e.deps(nil, Hooks{})
	d.Config.PropagationTimeout = 2 * time.Minute
	res, err := Rotate(context.Background(), d, Request{Secret: appSecretName})
	if err == nil || res.Status != StatusFailed || res.TestAttempts < 2 {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if e.latest(appSecretName).Version != before.Version {
		t.Fatal("an untested secret was published")
	}
	if n := len(e.ourSecrets(devtenant.WorkflowEngineAppID)); n != 0 {
		t.Fatalf("%d unpublished credentials left (want the rollback to remove it)", n)
	}
}

// TestConcurrentRotations starts two rotations of the same secret at the
// same moment (a barrier right before the lease), many times over.
func TestConcurrentRotations(t *testing.T) {
	for _, name := range []string{appSecretName, passwordName} {
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			ctx := context.Background()
			versions0 := len(mustSecret(t, e, name).Versions)
			rotated := 0
			for round := 0; round < 8; round++ {
				var arrive sync.WaitGroup
				arrive.Add(2)
				barrier := func(_ context.Context, s Step) error {
					if s == StepLease {
						arrive.Done()
						arrive.Wait()
					}
					return nil
				}
				var wg sync.WaitGroup
				results := make([]Result, 2)
				errs := make([]error, 2)
				for i := range 2 {
					d := e.deps(nil, Hooks{BeforeStep: barrier})
					wg.Add(1)
					go func() {
						defer wg.Done()
						results[i], errs[i] = Rotate(ctx, d, Request{Secret: name})
					}()
				}
				wg.Wait()
				won := 0
				for i := range 2 {
					if errs[i] != nil {
						t.Fatalf("round %d: %v", round, errs[i])
					}
					switch results[i].Status {
					case StatusRotated:
						won++
					case StatusBusy:
					default:
						t.Fatalf("round %d: status %s", round, results[i].Status)
					}
				}
				if won == 0 {
					t.Fatalf("round %d: neither rotation went through: %+v\n%s", round, results, e.logs)
				}
				rotated += won
				s := mustSecret(t, e, name)
				if got := len(s.Versions) - versions0; got != rotated {
					t.Fatalf("round %d: %d rotations reported, %d versions written", round, rotated, got)
				}
				latest := s.Versions[len(s.Versions)-1].Value
				if name == appSecretName {
					if !e.secretWorks(devtenant.WorkflowEngineAppID, latest) {
						t.Fatalf("round %d: the latest version does not authenticate", round)
					}
					held := map[string]bool{}
					for _, v := range s.Versions {
						held[v.Tags[TagKeyID]] = true
					}
					for _, c := range e.ourSecrets(devtenant.WorkflowEngineAppID) {
						if !held[c.KeyID] {
							t.Fatalf("round %d: credential %s is held by no version", round, c.KeyID)
						}
					}
				} else if !e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, latest) {
					t.Fatalf("round %d: the account's password is not the latest version", round)
				}
				e.clk.Advance(time.Hour)
			}
			t.Logf("%d rounds of two concurrent rotations: %d went through", 8, rotated)
		})
	}
}

func mustSecret(t *testing.T, e *testEnv, name string) devtenant.SecretState {
	t.Helper()
	s, ok := e.dt.VaultSecret("contoso-ops", name)
	if !ok {
		t.Fatalf("no secret %s", name)
	}
	return s
}
