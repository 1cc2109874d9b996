package infra_test

// Validation of host.json and functions/*/function.json: the SchemaStore
// schemas (compiled as draft-07, see testdata/schemas/README.md) plus the
// project's own rules from shared/reference/functions/PROTOCOLS.md §1.6 and §2.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	hostSchemaURL     = "https://json.schemastore.org/host.json"
	functionSchemaURL = "https://json.schemastore.org/function.json"
)

// functionContract is what ARCHITECTURE.md fixes for each planned function.
// A folder with one of these names must match it; other folders get only the
// generic checks.
type functionContract struct {
	trigger  string // binding type of the trigger
	method   string // httpTrigger: method that must be listed
	route    string // httpTrigger: route (without the api/ prefix)
	schedule string // timerTrigger: exact schedule
}

var functionContracts = map[string]functionContract{
	"RevokeSessions":        {trigger: "httpTrigger", method: "post", route: "sessions/revoke"},
	"RotateCredentialsHttp": {trigger: "httpTrigger", method: "post", route: "credentials/rotate"},
	"RotateCredentials":     {trigger: "timerTrigger", schedule: "%ROTATION_SCHEDULE%"},
	"SecretNearExpiry":      {trigger: "eventGridTrigger"},
	"SharePointCheck":       {trigger: "httpTrigger", method: "post", route: "sharepoint/check"},
	"Egress":                {trigger: "httpTrigger", method: "get", route: "egress"},
}

// httpMethods is the httpTrigger `methods` enum of function.schema.json.
var httpMethods = map[string]bool{
	"get": true, "post": true, "delete": true, "head": true,
	"patch": true, "put": true, "options": true, "trace": true,
}

var (
	functionNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,127}$`)
	settingRefRE   = regexp.MustCompile(`^%[A-Za-z_][A-Za-z0-9_]*%$`)
)

type schemas struct {
	host, function *jsonschema.Schema
}

var (
	schemasOnce sync.Once
	compiled    schemas
	compileErr  error
)

// loadSchemas compiles both SchemaStore schemas once, as draft-07.
func loadSchemas(t testing.TB) schemas {
	t.Helper()
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		for url, file := range map[string]string{
			hostSchemaURL:     "testdata/schemas/host.schema.json",
			functionSchemaURL: "testdata/schemas/function.schema.json",
		} {
			f, err := os.Open(file)
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				compileErr = fmt.Errorf("%s: %w", file, err)
				return
			}
			// function.schema.json declares draft-04, under which valid
			// bindings fail (PROTOCOLS.md §2); drop the declaration so the
			// compiler's default, draft-07, applies. host.schema.json already
			// is draft-07.
			if m, ok := doc.(map[string]any); ok {
				delete(m, "$schema")
			}
			if err := c.AddResource(url, doc); err != nil {
				compileErr = fmt.Errorf("%s: %w", file, err)
				return
			}
		}
		if compiled.host, compileErr = c.Compile(hostSchemaURL); compileErr != nil {
			return
		}
		compiled.function, compileErr = c.Compile(functionSchemaURL)
	})
	if compileErr != nil {
		t.Fatalf("compiling SchemaStore schemas: %v", compileErr)
	}
	return compiled
}

// schemaProblems validates doc against s; nil when it conforms.
func schemaProblems(s *jsonschema.Schema, doc []byte) []string {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return []string{"invalid JSON: " + err.Error()}
	}
	if err := s.Validate(inst); err != nil {
		return []string{"schema: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return nil
}

// validateHost returns every problem with a host.json document.
func validateHost(t testing.TB, doc []byte) []string {
	problems := schemaProblems(loadSchemas(t).host, doc)
	var h struct {
		Version         string `json:"version"`
		ExtensionBundle *struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"extensionBundle"`
		CustomHandler *struct {
			Description *struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
				WorkingDirectory      string `json:"workingDirectory"`
			} `json:"description"`
			EnableForwardingHttpRequest *bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(doc, &h); err != nil {
		return append(problems, "decode: "+err.Error())
	}
	if h.Version != "2.0" {
		problems = append(problems, fmt.Sprintf("version is %q, want \"2.0\"", h.Version))
	}
	switch eb := h.ExtensionBundle; {
	case eb == nil:
		problems = append(problems, "extensionBundle missing (the Event Grid trigger needs it)")
	case eb.ID != "Microsoft.Azure.Functions.ExtensionBundle":
		problems = append(problems, fmt.Sprintf("extensionBundle.id is %q, want Microsoft.Azure.Functions.ExtensionBundle", eb.ID))
	case !strings.HasPrefix(eb.Version, "[4."):
		problems = append(problems, fmt.Sprintf("extensionBundle.version is %q, want a range from 4 (Flex Consumption needs [4.0.0, 5.0.0) or later)", eb.Version))
	}
	ch := h.CustomHandler
	if ch == nil {
		return append(problems, "customHandler missing")
	}
	if ch.Description == nil || ch.Description.DefaultExecutablePath != "handler" {
		got := "<missing>"
		if ch.Description != nil {
			got = strconv.Quote(ch.Description.DefaultExecutablePath)
		}
		problems = append(problems, "customHandler.description.defaultExecutablePath is "+got+`, want "handler" (the packaged binary)`)
	}
	if ch.Description != nil && ch.Description.WorkingDirectory != "" {
		problems = append(problems, fmt.Sprintf("customHandler.description.workingDirectory is %q, want empty (the package root)", ch.Description.WorkingDirectory))
	}
	if ch.EnableForwardingHttpRequest == nil || !*ch.EnableForwardingHttpRequest {
		problems = append(problems, "customHandler.enableForwardingHttpRequest must be true (HTTP functions get the raw request at /api/<route>)")
	}
	return problems
}

// validateFunction returns every problem with functions/<folder>/function.json.
func validateFunction(t testing.TB, folder string, doc []byte) []string {
	problems := schemaProblems(loadSchemas(t).function, doc)
	if !functionNameRE.MatchString(folder) {
		problems = append(problems, fmt.Sprintf("folder %q is not a valid function name (letter, then letters, digits, _ or -): the folder name is the function name and the handler's POST path", folder))
	}
	var f struct {
		Bindings []map[string]any `json:"bindings"`
	}
	if err := json.Unmarshal(doc, &f); err != nil {
		return append(problems, "decode: "+err.Error())
	}
	if len(f.Bindings) == 0 {
		return append(problems, "no bindings")
	}
	str := func(b map[string]any, key string) string {
		s, _ := b[key].(string)
		return s
	}
	names := map[string]bool{}
	var triggers []map[string]any
	for i, b := range f.Bindings {
		name := str(b, "name")
		if name == "" {
			problems = append(problems, fmt.Sprintf("binding %d has no name", i))
		} else if names[strings.ToLower(name)] {
			problems = append(problems, fmt.Sprintf("binding name %q used twice", name))
		}
		names[strings.ToLower(name)] = true
		if strings.HasSuffix(str(b, "type"), "Trigger") {
			triggers = append(triggers, b)
		}
	}
	if len(triggers) != 1 {
		return append(problems, fmt.Sprintf("%d trigger bindings, want exactly 1", len(triggers)))
	}
	trig := triggers[0]
	if d := str(trig, "direction"); d != "in" {
		problems = append(problems, fmt.Sprintf("trigger direction is %q, want \"in\"", d))
	}
	contract, known := functionContracts[folder]
	if known && str(trig, "type") != contract.trigger {
		problems = append(problems, fmt.Sprintf("%s must be a %s (ARCHITECTURE.md), is a %s", folder, contract.trigger, str(trig, "type")))
	}
	switch str(trig, "type") {
	case "httpTrigger":
		if al := str(trig, "authLevel"); al != "function" {
			problems = append(problems, fmt.Sprintf("httpTrigger authLevel is %q, want \"function\" (function keys; never anonymous)", al))
		}
		methods, _ := trig["methods"].([]any)
		if len(methods) == 0 {
			problems = append(problems, "httpTrigger methods missing: list them explicitly")
		}
		var listed []string
		for _, m := range methods {
			s, _ := m.(string)
			if !httpMethods[s] {
				problems = append(problems, fmt.Sprintf("httpTrigger method %v not in the allowed enum (get post delete head patch put options trace, lower case)", m))
			}
			listed = append(listed, s)
		}
		route := str(trig, "route")
		if strings.HasPrefix(route, "/") || strings.HasPrefix(strings.ToLower(route), "api/") {
			problems = append(problems, fmt.Sprintf("httpTrigger route %q must be relative to the api/ prefix (no leading / or api/)", route))
		}
		// enableForwardingHttpRequest only applies to http-in + http-out functions.
		if len(f.Bindings) != 2 {
			problems = append(problems, fmt.Sprintf("HTTP function has %d bindings, want exactly httpTrigger in + http out (else the host does not forward the request)", len(f.Bindings)))
		}
		var httpOut int
		for _, b := range f.Bindings {
			if str(b, "type") == "http" && str(b, "direction") == "out" {
				httpOut++
			}
		}
		if httpOut != 1 {
			problems = append(problems, "HTTP function needs exactly one http out binding")
		}
		if known {
			if !contains(listed, contract.method) {
				problems = append(problems, fmt.Sprintf("%s must accept %s (ARCHITECTURE.md), methods are %v", folder, strings.ToUpper(contract.method), listed))
			}
			if route != contract.route {
				problems = append(problems, fmt.Sprintf("%s route is %q, want %q (ARCHITECTURE.md)", folder, route, contract.route))
			}
		}
	case "timerTrigger":
		sched := str(trig, "schedule")
		if err := checkSchedule(sched); err != nil {
			problems = append(problems, "timerTrigger schedule: "+err.Error())
		}
		if b, _ := trig["runOnStartup"].(bool); b {
			problems = append(problems, "timerTrigger runOnStartup is true: it fires on every host start and scale-out")
		}
		if known && sched != contract.schedule {
			problems = append(problems, fmt.Sprintf("%s schedule is %q, want %q (the app setting)", folder, sched, contract.schedule))
		}
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cronField is one NCRONTAB field: its name and numeric range, and the
// names it accepts (index = value).
type cronField struct {
	name     string
	min, max int
	names    []string
}

var ncrontabFields = []cronField{
	{name: "second", min: 0, max: 59},
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day-of-week", min: 0, max: 6, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// checkSchedule accepts a %APP_SETTING% reference or a six-field NCRONTAB
// expression ({second} {minute} {hour} {day} {month} {day-of-week}). TimeSpan
// schedules (hh:mm:ss) are rejected: they work only on App Service plans.
func checkSchedule(s string) error {
	if settingRefRE.MatchString(s) {
		return nil
	}
	return checkNCRONTAB(s)
}

func checkNCRONTAB(s string) error {
	if strings.Contains(s, ":") {
		return fmt.Errorf("%q looks like a TimeSpan, which only App Service plans accept; use six-field NCRONTAB", s)
	}
	fields := strings.Fields(s)
	if len(fields) != 6 {
		return fmt.Errorf("%q has %d fields, want 6 ({second} {minute} {hour} {day} {month} {day-of-week}) or %%APP_SETTING%%", s, len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(f, ncrontabFields[i]); err != nil {
			return fmt.Errorf("%q: %s field %q: %v", s, ncrontabFields[i].name, f, err)
		}
	}
	return nil
}

func checkCronField(f string, spec cronField) error {
	for _, item := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return fmt.Errorf("bad step %q", step)
			}
		}
		if rng == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := cronValue(lo, spec)
		if err != nil {
			return err
		}
		if isRange {
			b, err := cronValue(hi, spec)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %q runs backwards", rng)
			}
		}
	}
	return nil
}

func cronValue(v string, spec cronField) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < spec.min || n > spec.max {
			return 0, fmt.Errorf("%d out of range %d-%d", n, spec.min, spec.max)
		}
		return n, nil
	}
	for i, name := range spec.names {
		if name != "" && strings.EqualFold(v, name) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is not a number in %d-%d", v, spec.min, spec.max)
}

// ---------------------------------------------------------------------------

func TestSchemaCopiesAreUnmodified(t *testing.T) {
	want := map[string]string{
		"host.schema.json":     "976546fb6959a5950d5c13119dc91ef2403be7648f6c65870c422e3c4ab1006c",
		"function.schema.json": "087175149cb82ca1572dfbdc805c6a7cdaf586a5b6d245da4943e11b88a36629",
	}
	for name, sum := range want {
		b, err := os.ReadFile(filepath.Join("testdata", "schemas", name))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, want %s (see testdata/schemas/README.md)", name, got, sum)
		}
	}
}

func TestRepoHostJSON(t *testing.T) {
	path := filepath.Join(repoRoot(t), "host.json")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("host.json at the repository root: %v", err)
	}
	for _, p := range validateHost(t, doc) {
		t.Error("host.json: " + p)
	}
}

func TestRepoFunctionJSON(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no functions/*/function.json found: at least RevokeSessions must exist")
	}
	seen := map[string]string{}
	for _, file := range files {
		folder := filepath.Base(filepath.Dir(file))
		if prev, dup := seen[strings.ToLower(folder)]; dup {
			t.Errorf("functions/%s and functions/%s differ only in case: Azure function names are case-insensitive", prev, folder)
		}
		seen[strings.ToLower(folder)] = folder
		t.Run(folder, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range validateFunction(t, folder, doc) {
				t.Errorf("functions/%s/function.json: %s", folder, p)
			}
		})
	}
}

// The checks must be able to fail: each bad document below breaks exactly
// one rule, and the good ones (PROTOCOLS.md samples) pass.
func TestValidateHostTable(t *testing.T) {
	const good = `{
  "version": "2.0",
  "extensionBundle": { "id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)" },
  "customHandler": {
    "description": { "defaultExecutablePath": "handler", "workingDirectory": "", "arguments": [] },
    "enableForwardingHttpRequest": true
  }
}`
	tests := []struct {
		name       string
		doc        string
		want       string // substring of some problem; "" = no problems
		wantSchema bool   // the schema itself must reject it
	}{
		{name: "good", doc: good},
		{name: "good with port and proxying", doc: strings.Replace(good, `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": true, "enableProxyingHttpRequest": false, "port": 8000`, 1)},
		{name: "port as string", doc: strings.Replace(good, `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": true, "port": "8000"`, 1), want: "schema:", wantSchema: true},
		{name: "custom routes (MCP docs) not in schema", doc: strings.Replace(good, `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": true, "http": {"routes": [{"route": "{*route}"}]}`, 1), want: "schema:", wantSchema: true},
		{name: "forwarding as string", doc: strings.Replace(good, `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": "true"`, 1), want: "schema:", wantSchema: true},
		{name: "wrong executable", doc: strings.Replace(good, `"handler"`, `"handler.exe"`, 1), want: "defaultExecutablePath"},
		{name: "forwarding off", doc: strings.Replace(good, `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": false`, 1), want: "enableForwardingHttpRequest"},
		{name: "forwarding missing", doc: strings.Replace(good, `,
    "enableForwardingHttpRequest": true`, ``, 1), want: "enableForwardingHttpRequest"},
		{name: "working directory", doc: strings.Replace(good, `"workingDirectory": ""`, `"workingDirectory": "bin"`, 1), want: "workingDirectory"},
		{name: "no custom handler", doc: `{"version": "2.0", "extensionBundle": { "id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)" }}`, want: "customHandler missing"},
		{name: "no bundle", doc: strings.Replace(good, `"extensionBundle": { "id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)" },`, ``, 1), want: "extensionBundle missing"},
		{name: "old bundle", doc: strings.Replace(good, `[4.*, 5.0.0)`, `[3.*, 4.0.0)`, 1), want: "extensionBundle.version"},
		{name: "version 1", doc: strings.Replace(good, `"version": "2.0"`, `"version": "1.0"`, 1), want: "schema:", wantSchema: true},
		{name: "not JSON", doc: `{"version": "2.0",`, want: "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := validateHost(t, []byte(tc.doc))
			checkProblems(t, problems, tc.want)
			if tc.wantSchema && schemaProblems(loadSchemas(t).host, []byte(tc.doc)) == nil {
				t.Error("the schema accepted it; the case is meant to prove the schema check can fail")
			}
		})
	}
}

func TestValidateFunctionTable(t *testing.T) {
	const httpGood = `{ "bindings": [
  { "type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "function", "methods": ["post"], "route": "sessions/revoke" },
  { "type": "http", "direction": "out", "name": "res" } ] }`
	const timerGood = `{ "bindings": [
  { "type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "%ROTATION_SCHEDULE%", "runOnStartup": false, "useMonitor": true } ] }`
	const eventGridGood = `{ "bindings": [ { "type": "eventGridTrigger", "direction": "in", "name": "event" } ] }`
	// PROTOCOLS.md §1.6 samples (anonymous auth is a house-rule violation, not a schema one).
	const protocolsHTTP = `{ "bindings": [
  { "type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "anonymous",
    "methods": ["get","post"], "route": "hello/{name?}" },
  { "type": "http", "direction": "out", "name": "res" } ] }`
	const protocolsTimer = `{ "bindings": [
  { "type": "timerTrigger", "direction": "in", "name": "myTimer",
    "schedule": "0 */5 * * * *", "runOnStartup": false, "useMonitor": true } ] }`
	timer := func(schedule string) string {
		return strings.Replace(timerGood, `%ROTATION_SCHEDULE%`, schedule, 1)
	}
	tests := []struct {
		name       string
		folder     string
		doc        string
		want       string
		wantSchema bool // the schema must reject it
		schemaOK   bool // the schema must accept it (the own check is what catches it)
	}{
		{name: "http good", folder: "RevokeSessions", doc: httpGood},
		{name: "timer good", folder: "RotateCredentials", doc: timerGood},
		{name: "timer literal 6 fields", folder: "Nightly", doc: timer("0 0 3 * * *")},
		{name: "timer names and steps", folder: "Weekdays", doc: timer("0 */15 8-18 * Jan-Dec Mon-Fri")},
		{name: "event grid good", folder: "SecretNearExpiry", doc: eventGridGood},
		{name: "PROTOCOLS http sample passes the schema", folder: "Hello", doc: protocolsHTTP, want: "authLevel", schemaOK: true},
		{name: "PROTOCOLS timer sample", folder: "Tick", doc: protocolsTimer},

		{name: "bogus second method", folder: "Hello", doc: strings.Replace(httpGood, `["post"]`, `["post","bogus"]`, 1), want: `method bogus`, schemaOK: true},
		{name: "bogus first method", folder: "Hello", doc: strings.Replace(httpGood, `["post"]`, `["bogus"]`, 1), want: "schema:", wantSchema: true},
		{name: "upper-case method", folder: "Hello", doc: strings.Replace(httpGood, `["post"]`, `["post","GET"]`, 1), want: "method GET", schemaOK: true},
		{name: "no methods", folder: "Hello", doc: strings.Replace(httpGood, `, "methods": ["post"]`, ``, 1), want: "methods missing", schemaOK: true},
		{name: "anonymous", folder: "Hello", doc: strings.Replace(httpGood, `"function"`, `"anonymous"`, 1), want: "authLevel", schemaOK: true},
		{name: "bad authLevel", folder: "Hello", doc: strings.Replace(httpGood, `"function"`, `"public"`, 1), want: "schema:", wantSchema: true},
		{name: "no http out", folder: "Hello", doc: `{ "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "function", "methods": ["post"] } ] }`, want: "http out"},
		{name: "extra binding stops forwarding", folder: "Hello", doc: strings.Replace(httpGood, `{ "type": "http", "direction": "out", "name": "res" }`, `{ "type": "http", "direction": "out", "name": "res" }, { "type": "queue", "direction": "out", "name": "q", "queueName": "x" }`, 1), want: "exactly httpTrigger in + http out"},
		{name: "route with api prefix", folder: "Hello", doc: strings.Replace(httpGood, `"sessions/revoke"`, `"api/sessions/revoke"`, 1), want: "relative to the api/ prefix"},
		{name: "route with slash", folder: "Hello", doc: strings.Replace(httpGood, `"sessions/revoke"`, `"/sessions/revoke"`, 1), want: "relative to the api/ prefix"},
		{name: "contract route", folder: "RevokeSessions", doc: strings.Replace(httpGood, `"sessions/revoke"`, `"sessions/revoke-all"`, 1), want: `want "sessions/revoke"`},
		{name: "contract method", folder: "Egress", doc: strings.Replace(httpGood, `"sessions/revoke"`, `"egress"`, 1), want: "must accept GET"},
		{name: "contract trigger", folder: "SecretNearExpiry", doc: httpGood, want: "must be a eventGridTrigger"},
		{name: "contract schedule", folder: "RotateCredentials", doc: timer("0 0 3 * * *"), want: `want "%ROTATION_SCHEDULE%"`},
		{name: "two triggers", folder: "Hello", doc: `{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "a", "schedule": "0 0 3 * * *" }, { "type": "eventGridTrigger", "direction": "in", "name": "b" } ] }`, want: "2 trigger bindings"},
		{name: "duplicate binding names", folder: "Hello", doc: strings.Replace(httpGood, `"name": "res"`, `"name": "REQ"`, 1), want: "used twice"},
		{name: "bad folder name", folder: "Revoke Sessions", doc: httpGood, want: "not a valid function name"},

		{name: "5-field cron", folder: "Nightly", doc: timer("0 3 * * *"), want: "has 5 fields", schemaOK: true},
		{name: "7-field cron", folder: "Nightly", doc: timer("0 0 3 * * * 2026"), want: "has 7 fields", schemaOK: true},
		{name: "not a cron", folder: "Nightly", doc: timer("not a cron"), want: "has 3 fields", schemaOK: true},
		{name: "timespan", folder: "Nightly", doc: timer("00:05:00"), want: "TimeSpan", schemaOK: true},
		{name: "hour out of range", folder: "Nightly", doc: timer("0 0 24 * * *"), want: "out of range 0-23"},
		{name: "day zero", folder: "Nightly", doc: timer("0 0 3 0 * *"), want: "out of range 1-31"},
		{name: "bad step", folder: "Nightly", doc: timer("*/0 * * * * *"), want: "bad step"},
		{name: "backwards range", folder: "Nightly", doc: timer("0 0 18-8 * * *"), want: "runs backwards"},
		{name: "bad name", folder: "Nightly", doc: timer("0 0 3 * * Funday"), want: "not a number"},
		{name: "bad setting ref", folder: "Nightly", doc: timer("%ROTATION SCHEDULE%"), want: "fields"},
		{name: "runOnStartup", folder: "Nightly", doc: strings.Replace(timer("0 0 3 * * *"), `"runOnStartup": false`, `"runOnStartup": true`, 1), want: "runOnStartup"},
		{name: "no bindings", folder: "Hello", doc: `{ "bindings": [] }`, want: "no bindings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := validateFunction(t, tc.folder, []byte(tc.doc))
			checkProblems(t, problems, tc.want)
			sp := schemaProblems(loadSchemas(t).function, []byte(tc.doc))
			if tc.wantSchema && sp == nil {
				t.Error("the schema accepted it; the case is meant to prove the schema check can fail")
			}
			if tc.schemaOK && sp != nil {
				t.Errorf("the schema rejected it (%v); the case documents a gap only the own checks close", sp)
			}
		})
	}
}

func checkProblems(t *testing.T, problems []string, want string) {
	t.Helper()
	if want == "" {
		if len(problems) != 0 {
			t.Errorf("want no problems, got:\n  %s", strings.Join(problems, "\n  "))
		}
		return
	}
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("want a problem containing %q, got %d:\n  %s", want, len(problems), strings.Join(problems, "\n  "))
}

// Every planned function name is valid, and the contract table is sorted
// consistently with what other tests cross-check (Bicep, SAM).
func TestFunctionContractNames(t *testing.T) {
	var names []string
	for name, c := range functionContracts {
		names = append(names, name)
		if !functionNameRE.MatchString(name) {
			t.Errorf("contract name %q is not a valid function name", name)
		}
		if c.trigger == "timerTrigger" {
			if err := checkSchedule(c.schedule); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	sort.Strings(names)
	if len(names) != 6 {
		t.Errorf("contract has %d functions, want the 6 of ARCHITECTURE.md: %v", len(names), names)
	}
}
