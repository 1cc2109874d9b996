package rotation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/vault"
)

func TestDryRunChangesNothing(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	for _, name := range []string{appSecretName, passwordName} {
		before, _ := e.dt.VaultSecret("contoso-ops", name)
		creds := len(e.dt.ClientSecrets(devtenant.WorkflowEngineAppID))
		u0, _ := e.dt.User(devtenant.SvcSharePointUPN)
		e.dt.ResetRequests()
		res, err := Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: name, DryRun: true})
		if err != nil || res.Status != StatusWouldRotate || !res.DryRun || res.RotationID != "" {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
		for _, r := range e.dt.Requests() {
			if r.Method != "GET" && r.Service != "entra" {
				t.Fatalf("%s: dry-run sent %s %s", name, r.Method, r.Path)
			}
		}
		after, _ := e.dt.VaultSecret("contoso-ops", name)
		u1, _ := e.dt.User(devtenant.SvcSharePointUPN)
		if len(after.Versions) != len(before.Versions) || len(e.dt.ClientSecrets(devtenant.WorkflowEngineAppID)) != creds || u1.PasswordChangeCount != u0.PasswordChangeCount {
			t.Fatalf("%s: dry-run changed something", name)
		}
	}
	if !strings.Contains(e.logs.String(), `"outcome":"would-rotate"`) {
		t.Fatal("no would-rotate audit line")
	}
}

func TestLifetimeCappedByPolicy(t *testing.T) {
	e := newTestEnv(t, func(fx *devtenant.Fixture) {
		fx.AppManagementPolicy = devtenant.AppManagementPolicy{Enabled: true, MaxPasswordLifetime: 30 * 24 * time.Hour}
	})
	res, err := Rotate(context.Background(), e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil {
		t.Fatal(err)
	}
	if res.LifetimeCap != (30*24*time.Hour).String() || res.Expires == nil {
		t.Fatalf("result %+v", res)
	}
	if got := res.Expires.Sub(e.clk.Now()); got > 30*24*time.Hour || got < 29*24*time.Hour {
		t.Fatalf("lifetime %s, want just under the 30-day policy", got)
	}
}

func TestBreakglassNeverChanged(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	d := e.deps(nil, Hooks{})
	if _, err := d.Vault.SetSecret(ctx, "breakglass-password", vault.SetParams{Value: devtenant.DevUserPassword,
		Tags: map[string]string{TagKind: KindUserPassword, TagUser: "breakglass01@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	_, err := Rotate(ctx, d, Request{Secret: "breakglass-password"})
	if ie, ok := op.AsInvalid(err); !ok || ie.Code != "breakglass" {
		t.Fatalf("err = %v", err)
	}
	if u, _ := e.dt.User("breakglass01@contoso.com"); u.PasswordChangeCount != 0 {
		t.Fatal("break-glass password changed")
	}
}

func TestRotateDue(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	// Fixture: workflow-engine-secret expires in 20 days, the service
	// account's password is 170 days old: both due. The certificate is reported.
	res, err := RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range res.Rows {
		got[r.Secret] = r
	}
	if r := got[appSecretName]; r.Status != StatusRotated || !strings.Contains(r.Reason, "last rotated 160 days ago") {
		t.Fatalf("app secret row %+v", r)
	}
	if r := got[passwordName]; r.Status != StatusRotated || !strings.Contains(r.Reason, "last rotated 170 days ago") {
		t.Fatalf("password row %+v", r)
	}
	if r := got["workflow-engine-cert"]; r.Status != StatusSkipped {
		t.Fatalf("certificate row %+v", r)
	}
	if res.Summary.Rotated != 2 || res.Problem() {
		t.Fatalf("summary %+v", res.Summary)
	}
	// Nothing is due right after.
	e.clk.Advance(time.Hour)
	res, err = RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
	if err != nil || res.Summary.Rotated != 0 || res.Summary.UpToDate != 2 {
		t.Fatalf("second pass: %v %+v", err, res.Summary)
	}
	// A rotation period tag makes a secret due sooner.
	d := e.deps(nil, Hooks{})
	cur, _ := d.Vault.GetSecret(ctx, appSecretName, "")
	cur.Tags[TagRotationPeriod] = "2d"
	if err := d.Vault.UpdateTags(ctx, appSecretName, cur.Version, cur.Tags); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(49 * time.Hour)
	res, err = RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{})
	if err != nil || res.Summary.Rotated != 1 {
		t.Fatalf("period tag: %v %+v", err, res)
	}
}

func TestEvalDue(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	exp := func(d int) *time.Time { t := now.AddDate(0, 0, d); return &t }
	tests := []struct {
		name    string
		created time.Time
		expires *time.Time
		tags    map[string]string
		due     bool
		reason  string
	}{
		{"fresh", now.AddDate(0, 0, -1), exp(170), nil, false, ""},
		{"old", now.AddDate(0, 0, -91), exp(170), nil, true, "last rotated 91 days ago"},
		{"expiring", now.AddDate(0, 0, -10), exp(29), nil, true, "expires 2026-12-21"},
		{"expired", now.AddDate(0, 0, -10), exp(-1), nil, true, "expired 2026-11-21"},
		{"no expiry", now.AddDate(0, 0, -89), nil, nil, false, ""},
		{"period tag", now.AddDate(0, 0, -8), nil, map[string]string{TagRotationPeriod: "7d"}, true, "rotation period 7 days"},
		{"bad period tag", now.AddDate(0, 0, -8), nil, map[string]string{TagRotationPeriod: "weekly"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := EvalDue(now, vault.Secret{Created: tt.created, Expires: tt.expires, Tags: tt.tags}, Config{})
			if d.Due != tt.due || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

func TestNearExpiryEvent(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	cur := e.latest(appSecretName)
	ev := NearExpiryRequest{EventType: EventSecretNearExpiry, VaultName: "contoso-ops", ObjectType: "Secret", Secret: appSecretName, Version: cur.Version}

	res, err := RotateNearExpiry(ctx, e.deps(nil, Hooks{}), ev)
	if err != nil || res.Status != StatusRotated {
		t.Fatalf("%v %+v", err, res)
	}
	// Event Grid delivers at least once: the same event again is stale.
	res, err = RotateNearExpiry(ctx, e.deps(nil, Hooks{}), ev)
	if err != nil || res.Status != StatusSkipped || !strings.Contains(res.Reason, "stale") {
		t.Fatalf("redelivery: %v %+v", err, res)
	}
	for _, tt := range []struct {
		name string
		ev   NearExpiryRequest
		want string
	}{
		{"other event", NearExpiryRequest{EventType: "Microsoft.KeyVault.SecretNewVersionCreated", VaultName: "contoso-ops", Secret: appSecretName}, "not handled"},
		{"certificate", NearExpiryRequest{EventType: EventSecretNearExpiry, VaultName: "contoso-ops", ObjectType: "Certificate", Secret: "x"}, "not a secret"},
		{"companion", NearExpiryRequest{EventType: EventSecretNearExpiry, VaultName: "contoso-ops", Secret: "x-pending"}, "companion"},
		{"gone", NearExpiryRequest{EventType: EventSecretNearExpiry, VaultName: "contoso-ops", Secret: "nothing-here"}, "no longer exists"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := RotateNearExpiry(ctx, e.deps(nil, Hooks{}), tt.ev)
			if err != nil || res.Status != StatusSkipped || !strings.Contains(res.Reason, tt.want) {
				t.Fatalf("%v %+v", err, res)
			}
		})
	}
	if _, err := RotateNearExpiry(ctx, e.deps(nil, Hooks{}), NearExpiryRequest{EventType: EventSecretNearExpiry, VaultName: "../x", Secret: "a"}); err == nil {
		t.Fatal("bad vault name accepted")
	}
}

func TestAdopt(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	dry, err := Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: appSecretName, DryRun: true})
	if err != nil || dry.Status != StatusWouldAdopt {
		t.Fatalf("dry: %v %+v", err, dry)
	}
	if e.latest(appSecretName).Tags[TagKeyID] != "" {
		t.Fatal("dry-run tagged")
	}
	res, err := Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: appSecretName})
	want := devtenant.StableID("password", devtenant.WorkflowEngineAppID+"/1")
	if err != nil || res.Status != StatusAdopted || res.KeyID != want || res.Candidates != 1 || res.DisplayName != "workflow server" {
		t.Fatalf("%v %+v", err, res)
	}
	if got := e.latest(appSecretName).Tags[TagKeyID]; got != want {
		t.Fatalf("tag %q", got)
	}
	again, err := Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: appSecretName})
	if err != nil || again.Status != StatusSkipped || !strings.Contains(again.Reason, "already managed") {
		t.Fatalf("again: %v %+v", err, again)
	}
	pw, err := Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: passwordName})
	if err != nil || pw.Status != StatusSkipped {
		t.Fatalf("password: %v %+v", err, pw)
	}
	// A secret whose credential was removed cannot be adopted.
	d := e.deps(nil, Hooks{})
	if _, err := d.Vault.SetSecret(ctx, "stale-secret", vault.SetParams{Value: "zzz~no-such-credential",
		Tags: map[string]string{TagKind: KindAppSecret, TagAppID: devtenant.WorkflowEngineAppID}}); err != nil {
		t.Fatal(err)
	}
	bad, err := Adopt(ctx, d, AdoptRequest{Secret: "stale-secret"})
	if err != nil || bad.Status != StatusFailed || !bad.Problem() {
		t.Fatalf("stale: %v %+v", err, bad)
	}
	// A hint that matches but a value that does not authenticate.
	if _, err := d.Vault.SetSecret(ctx, "wrong-secret", vault.SetParams{Value: devtenant.WorkflowEngineSecret[:3] + "-not-the-secret",
		Tags: map[string]string{TagKind: KindAppSecret, TagAppID: devtenant.WorkflowEngineAppID}}); err != nil {
		t.Fatal(err)
	}
	wrong, err := Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: "wrong-secret"})
	if err != nil || wrong.Status != StatusFailed || !strings.Contains(wrong.Reason, "does not authenticate") {
		t.Fatalf("wrong: %v %+v", err, wrong)
	}
}

func TestListAndExpiring(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	l, err := List(ctx, e.deps(nil, Hooks{}), ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ManagedSecret{}
	for _, s := range l.Secrets {
		got[s.Name] = s
	}
	if len(got) != 3 {
		t.Fatalf("listed %+v", l.Secrets)
	}
	if s := got[appSecretName]; s.Kind != KindAppSecret || s.Owner != devtenant.WorkflowEngineAppID || s.Adopted || !s.Due || s.Expires == nil {
		t.Fatalf("app secret %+v", s)
	}
	if s := got[passwordName]; s.Owner != devtenant.SvcSharePointUPN || !s.Due {
		t.Fatalf("password %+v", s)
	}
	x, err := Expiring(ctx, e.deps(nil, Hooks{}), ExpiringRequest{Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	if x.Summary.Expiring != 1 || x.Summary.Expired != 0 || x.Problem() || x.Credentials[0].AppID != devtenant.WorkflowEngineAppID || x.Credentials[0].DaysLeft != 20 {
		t.Fatalf("expiring %+v", x)
	}
	e.clk.Advance(21 * 24 * time.Hour)
	x, err = Expiring(ctx, e.deps(nil, Hooks{}), ExpiringRequest{Days: 0})
	if err != nil || x.Summary.Expired != 1 || !x.Problem() || x.Credentials[0].Status != "expired" || x.Credentials[0].DaysLeft != -1 {
		t.Fatalf("expired: %v %+v", err, x)
	}
	if _, err := Expiring(ctx, e.deps(nil, Hooks{}), ExpiringRequest{Days: -1}); err == nil {
		t.Fatal("negative days accepted")
	}
}

// TestNoSecretInOutput runs every operation and scans everything it logged,
// returned and failed with for every secret value that exists.
func TestNoSecretInOutput(t *testing.T) {
	e := newTestEnv(t, nil)
	e.dt.SetSecretPropagationDelay(5 * time.Second)
	ctx := context.Background()
	var out []string
	keep := func(v any, err error) {
		b, _ := json.Marshal(v)
		out = append(out, string(b))
		if err != nil {
			out = append(out, err.Error())
		}
	}
	keep(Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: appSecretName, DryRun: true}))
	keep(Adopt(ctx, e.deps(nil, Hooks{}), AdoptRequest{Secret: appSecretName}))
	keep(RotateDue(ctx, e.deps(nil, Hooks{}), DueRequest{}))
	keep(Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: passwordName}))
	keep(List(ctx, e.deps(nil, Hooks{}), ListRequest{}))
	keep(Expiring(ctx, e.deps(nil, Hooks{}), ExpiringRequest{Days: 365}))
	// Failures too: a rotation whose test never succeeds, and one that crashes.
	e.dt.SetSecretPropagationDelay(time.Hour)
	d := e.deps(nil, Hooks{})
	d.Config.PropagationTimeout = time.Minute
	keep(Rotate(ctx, d, Request{Secret: appSecretName}))
	keep(Rotate(ctx, e.deps(nil, Hooks{BeforeStep: func(_ context.Context, s Step) error {
		if s == StepWriteMain {
			return context.Canceled
		}
		return nil
	}}), Request{Secret: passwordName}))
	e.dt.Inject("PATCH /v1.0/users/**", devtenant.Fault{Status: 400, Code: "Request_BadRequest", Message: "The specified password does not comply with password complexity requirements."})
	e.clk.Advance(time.Hour)
	keep(Rotate(ctx, e.deps(nil, Hooks{}), Request{Secret: passwordName}))

	haystack := e.logs.String() + strings.Join(out, "\n")
	values := []string{devtenant.WorkflowEngineSecret, devtenant.SvcSharePointPassword, devtenant.AdminClientSecret}
	for _, n := range []string{appSecretName, passwordName, passwordName + PendingSuffix} {
		if s, ok := e.dt.VaultSecret("contoso-ops", n); ok {
			for _, v := range s.Versions {
				values = append(values, v.Value)
			}
		}
	}
	if len(values) < 8 {
		t.Fatalf("only %d values to look for", len(values))
	}
	for _, v := range values {
		if strings.Contains(haystack, v) {
			t.Fatalf("secret value (hint %q) found in output", v[:3])
		}
	}
	if !strings.Contains(haystack, `"audit":true`) || !strings.Contains(haystack, "credentials.publish") {
		t.Fatal("no audit lines captured")
	}
}

func TestSensitiveNeverPrints(t *testing.T) {
	s := sensitive{"hunter2-very-secret"}
	for _, got := range []string{
		s.String(), s.GoString(),
		func() string { b, _ := json.Marshal(s); return string(b) }(),
		func() string { b, _ := json.Marshal(struct{ S sensitive }{s}); return string(b) }(),
		strings.Join([]string{fmtV(s), fmtPlusV(s), fmtQ(s)}, " "),
	} {
		if strings.Contains(got, "hunter2") {
			t.Fatalf("leaked: %s", got)
		}
	}
}

func fmtV(v any) string     { return fmt.Sprintf("%v", v) }
func fmtPlusV(v any) string { return fmt.Sprintf("%+v %#v", v, v) }
func fmtQ(v any) string     { return fmt.Sprintf("%q %s %x", v, v, v) }

func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		p, err := newPassword()
		if err != nil {
			t.Fatal(err)
		}
		v := p.reveal()
		if len(v) != pwLength || seen[v] {
			t.Fatalf("length %d or repeated", len(v))
		}
		seen[v] = true
		for _, class := range []string{pwLower, pwUpper, pwDigits, pwSymbols} {
			if !strings.ContainsAny(v, class) {
				t.Fatalf("a password lacks one of %q", class)
			}
		}
		if strings.TrimSpace(v) != v {
			t.Fatal("leading or trailing space")
		}
	}
}

// TestPolicyUnreadable: without Policy.Read.All the rotation still
// succeeds; addPassword's refusal of a too-long lifetime leads to a short one.
func TestPolicyUnreadable(t *testing.T) {
	e := newTestEnv(t, func(fx *devtenant.Fixture) {
		fx.AppManagementPolicy = devtenant.AppManagementPolicy{Enabled: true, MaxPasswordLifetime: 60 * 24 * time.Hour}
	})
	e.dt.Inject("GET /v1.0/policies/defaultAppManagementPolicy", devtenant.Fault{Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."})
	res, err := Rotate(context.Background(), e.deps(nil, Hooks{}), Request{Secret: appSecretName})
	if err != nil || res.Status != StatusRotated || !strings.Contains(res.LifetimeCap, "unknown") {
		t.Fatalf("%v %+v", err, res)
	}
	if got := res.Expires.Sub(e.clk.Now()); got != fallbackLifetime {
		t.Fatalf("lifetime %s", got)
	}
	if n := len(e.ourSecrets(devtenant.WorkflowEngineAppID)); n != 1 {
		t.Fatalf("%d tenantops credentials, want 1", n)
	}
}
