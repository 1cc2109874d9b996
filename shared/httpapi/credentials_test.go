package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/httpapi"
)

func TestRotateCredentialRoute(t *testing.T) {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dt.Close()
	s, err := devmode.Apply(app.Settings{}, dt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(a)
	post := func(body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/api/credentials/rotate", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("not JSON: %s", rec.Body)
		}
		return rec.Code, out
	}
	code, res := post(`{"secret":"workflow-engine-secret","dryRun":true}`)
	if code != 200 || res["status"] != "would-rotate" || res["dryRun"] != true {
		t.Fatalf("dry-run: %d %v", code, res)
	}
	code, res = post(`{"secret":"svc-sharepoint-password","vault":"https://contoso-ops.vault.azure.net"}`)
	if code != 200 || res["status"] != "rotated" {
		t.Fatalf("rotate: %d %v", code, res)
	}
	for _, tt := range []struct{ name, body, code string }{
		{"no secret", `{}`, "noSecret"},
		{"bad name", `{"secret":"a/b"}`, "invalidSecret"},
		{"unknown field", `{"secret":"x","force":true}`, "invalidJSON"},
		{"missing", `{"secret":"nope"}`, "secretNotFound"},
		{"foreign vault", `{"secret":"x","vault":"https://example.com"}`, "invalidVault"},
		{"not managed", `{"secret":"x","vault":"http://contoso-ops.vault.azure.net"}`, "invalidVault"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, res := post(tt.body)
			e, _ := res["error"].(map[string]any)
			if code != 400 || e["code"] != tt.code {
				t.Fatalf("%d %v, want 400 %s", code, res, tt.code)
			}
		})
	}
}
