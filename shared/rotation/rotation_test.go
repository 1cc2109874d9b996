package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/op"
)

const (
	appSecretName = "workflow-engine-secret"
	passwordName  = "svc-sharepoint-password"
)

func TestRotateAppSecret(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	before := e.latest(appSecretName)

	res, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, e.logs)
	}
	if res.Status != StatusRotated || res.KeyID == "" || res.Version == "" || res.TestAttempts < 1 {
		t.Fatalf("result %+v", res)
	}
	after := e.latest(appSecretName)
	if after.Version == before.Version || after.Value == before.Value {
		t.Fatal("Key Vault has no new latest version")
	}
	if after.Tags[TagKeyID] != res.KeyID || after.Tags[TagRotationID] != res.RotationID || after.Tags[TagKind] != KindAppSecret || after.Tags[TagAppID] != devtenant.WorkflowEngineAppID {
		t.Fatalf("tags %v", after.Tags)
	}
	if after.Expires.IsZero() {
		t.Fatal("no expiry on the new version")
	}
	if !e.secretWorks(devtenant.WorkflowEngineAppID, after.Value) {
		t.Fatal("the published secret does not authenticate")
	}
	// The hand-made credential is not tenantops': it stays, and keeps working.
	if !e.secretWorks(devtenant.WorkflowEngineAppID, devtenant.WorkflowEngineSecret) {
		t.Fatal("the previous secret was removed")
	}
	var found bool
	for _, c := range e.dt.ClientSecrets(devtenant.WorkflowEngineAppID) {
		if c.KeyID == res.KeyID {
			found = c.DisplayName == DisplayNamePrefix+res.RotationID
		}
	}
	if !found {
		t.Fatalf("credential %s not named after rotation %s", res.KeyID, res.RotationID)
	}
	// The tenant policy (180 days) caps the lifetime.
	if got := after.Expires.Sub(e.clk.Now()); got > 180*24*time.Hour {
		t.Fatalf("lifetime %s beyond the tenant policy", got)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), after.Value) {
		t.Fatal("result holds the secret")
	}
}

func TestRotateCleansUpAfterGrace(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	first, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	second, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Removed) != 0 {
		t.Fatalf("removed %+v within the grace period", second.Removed)
	}
	// Grace not over for the first (superseded one hour ago): a due pass keeps it.
	e.clk.Advance(46 * time.Hour)
	due, err := RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range due.Rows {
		if row.Secret == appSecretName && len(row.Removed) != 0 {
			t.Fatalf("removed before the grace: %+v", row)
		}
	}
	e.clk.Advance(2 * time.Hour)
	due, err = RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var row Result
	for _, r := range due.Rows {
		if r.Secret == appSecretName {
			row = r
		}
	}
	if row.Status != StatusCleaned || len(row.Removed) != 1 || row.Removed[0].KeyID != first.KeyID || !row.Removed[0].Removed || row.Removed[0].Reason != "superseded" {
		t.Fatalf("cleanup row %+v", row)
	}
	keys := map[string]bool{}
	for _, c := range e.dt.ClientSecrets(devtenant.WorkflowEngineAppID) {
		keys[c.KeyID] = true
	}
	if keys[first.KeyID] || !keys[second.KeyID] {
		t.Fatalf("credentials after cleanup: %v", keys)
	}
	if len(e.dt.ClientSecrets(devtenant.WorkflowEngineAppID)) != 2 { // the hand-made one and the current one
		t.Fatalf("credentials %+v", e.dt.ClientSecrets(devtenant.WorkflowEngineAppID))
	}
}

func TestRotatePassword(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	res, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: passwordName})
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, e.logs)
	}
	if res.Status != StatusRotated || res.User != devtenant.SvcSharePointUPN {
		t.Fatalf("result %+v", res)
	}
	v := e.latest(passwordName)
	if !e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, v.Value) {
		t.Fatal("the account's password is not the one in Key Vault")
	}
	if e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, devtenant.SvcSharePointPassword) {
		t.Fatal("the old password still works")
	}
	if p, ok := e.dt.VaultSecret("contoso-ops", passwordName+PendingSuffix); ok && !p.Deleted {
		t.Fatal("companion left behind")
	}
	u, _ := e.dt.User(devtenant.SvcSharePointUPN)
	if u.ForceChangePassword {
		t.Fatal("forceChangePasswordNextSignIn set on a service account")
	}
	// A second rotation must be able to write the companion again.
	e.clk.Advance(time.Hour)
	if _, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: passwordName}); err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	if !e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, e.latest(passwordName).Value) {
		t.Fatal("second rotation: password mismatch")
	}
}

func TestPasswordLeftoverIsFinished(t *testing.T) {
	for _, crash := range []Step{StepSetPassword, StepWriteMain, StepDeletePending} {
		t.Run(string(crash), func(t *testing.T) {
			e := newTestEnv(t, nil)
			ctx := context.Background()
			boom := errors.New("crash")
			_, err := Rotate(ctx, e.deps(nil, Hooks{BeforeStep: func(_ context.Context, s Step) error {
				if s == crash {
					return boom
				}
				return nil
			}}), Request{Secret: passwordName})
			if !IsAbort(err) {
				t.Fatalf("err = %v", err)
			}
			pend, ok := e.dt.VaultSecret("contoso-ops", passwordName+PendingSuffix)
			if !ok || pend.Deleted {
				t.Fatal("no companion after the crash")
			}
			e.clk.Advance(DefaultLeaseTTL + 10*time.Minute)
			due, err := RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var row Result
			for _, r := range due.Rows {
				if r.Secret == passwordName {
					row = r
				}
			}
			if row.Status != StatusCompleted {
				t.Fatalf("row %+v", row)
			}
			want := pend.Versions[len(pend.Versions)-1].Value
			if e.latest(passwordName).Value != want || !e.dt.CheckUserPassword(devtenant.SvcSharePointUPN, want) {
				t.Fatal("leftover not finished with the pending value")
			}
		})
	}
}

func TestValidation(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		req  Request
		code string
	}{
		{"empty", Request{}, "noSecret"},
		{"bad name", Request{Secret: "a b"}, "invalidSecret"},
		{"companion", Request{Secret: "x-pending"}, "invalidSecret"},
		{"bad vault", Request{Secret: "x", Vault: "http://x"}, "invalidVault"},
		{"foreign vault", Request{Secret: "x", Vault: "https://evil.example.com"}, "invalidVault"},
		{"missing", Request{Secret: "nope"}, "secretNotFound"},
		{"certificate", Request{Secret: "workflow-engine-cert"}, "unsupportedKind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.deps(nil, Hooks{})
			d.OpenVault = nil
			_, err := Rotate(ctx, d, tt.req)
			ie, ok := op.AsInvalid(err)
			if !ok || ie.Code != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}
