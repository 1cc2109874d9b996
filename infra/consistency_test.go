package infra_test

// Consistency between the deployable pieces: every Azure function folder is
// served by the handler and has its AWS counterpart in the SAM template, and
// every environment variable the code reads is accounted for.

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tenantops/tenantops/functions/aws"
	"github.com/tenantops/tenantops/functions/azure"
	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/httpapi"
)

// fnSpec is the trigger of one functions/<Name>/function.json.
type fnSpec struct {
	Name    string
	Trigger string   // binding type, e.g. httpTrigger
	Methods []string // httpTrigger; empty = any
	Route   string   // httpTrigger; default = the function name
}

func readFunctionSpecs(t *testing.T) []fnSpec {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "functions", "*", "function.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no functions/*/function.json (%v)", err)
	}
	var out []fnSpec
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Bindings []struct {
				Type      string   `json:"type"`
				Direction string   `json:"direction"`
				Methods   []string `json:"methods"`
				Route     string   `json:"route"`
			} `json:"bindings"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s := fnSpec{Name: filepath.Base(filepath.Dir(f))}
		for _, bd := range doc.Bindings {
			if strings.HasSuffix(bd.Type, "Trigger") {
				s.Trigger, s.Methods, s.Route = bd.Type, bd.Methods, bd.Route
			}
		}
		if s.Trigger == "httpTrigger" && s.Route == "" {
			s.Route = s.Name
		}
		out = append(out, s)
	}
	return out
}

// routeProbe asks a door whether it serves method + /api/route: it answers
// the HTTP status and the JSON error code ("" if none).
type routeProbe func(method, route string) (int, string)

// awsOnlyExempt explains triggers that have no AWS counterpart of their own.
var awsOnlyExempt = map[string]string{
	"eventGridTrigger": "Key Vault's SecretNearExpiry events exist only in Azure; on AWS the EventBridge rotation schedule covers expiring credentials",
}

// handlerSources are the Go files that build the custom handler's
// envelope Function map and the Lambda door.
type handlerSources struct {
	azure     string // functions/cmd/handler/*.go
	bootstrap string // functions/cmd/bootstrap/*.go
}

// functionProblems checks each function against the doors and the SAM template.
func functionProblems(fns []fnSpec, doors map[string]routeProbe, src handlerSources, sam map[string]any) []string {
	var problems []string
	samFns := samFunctions(sam)
	hasURL, hasSchedule := false, false
	for _, f := range samFns {
		hasURL = hasURL || f.url
		hasSchedule = hasSchedule || f.schedule
	}
	doorNames := make([]string, 0, len(doors))
	for n := range doors {
		doorNames = append(doorNames, n)
	}
	sort.Strings(doorNames)
	for _, fn := range fns {
		switch fn.Trigger {
		case "httpTrigger":
			methods := fn.Methods
			if len(methods) == 0 {
				methods = []string{"get", "post"}
			}
			path := placeholderRE.ReplaceAllString(fn.Route, "x")
			for _, door := range doorNames {
				for _, m := range methods {
					status, code := doors[door](strings.ToUpper(m), path)
					if status == http.StatusNotFound && code == "notFound" || status == http.StatusMethodNotAllowed {
						problems = append(problems, fmt.Sprintf("%s: %s door has no route %s /api/%s (answered %d %s): register it in shared/httpapi",
							fn.Name, door, strings.ToUpper(m), fn.Route, status, code))
					}
				}
			}
			if !hasURL {
				problems = append(problems, fmt.Sprintf("%s: HTTP function, but no SAM function has a Function URL (FunctionUrlConfig) to serve /api/%s", fn.Name, fn.Route))
			}
		case "timerTrigger", "eventGridTrigger", "queueTrigger", "blobTrigger", "serviceBusTrigger", "eventHubTrigger":
			if !strings.Contains(src.azure, `"`+fn.Name+`"`) {
				problems = append(problems, fmt.Sprintf("%s: %s, but functions/cmd/handler does not name %q in its Function map", fn.Name, fn.Trigger, fn.Name))
			}
			switch {
			case fn.Trigger == "timerTrigger":
				if !hasSchedule {
					problems = append(problems, fmt.Sprintf("%s: timer, but no SAM function has a Schedule/ScheduleV2 event", fn.Name))
				}
				if !strings.Contains(src.bootstrap, "Scheduled:") {
					problems = append(problems, fmt.Sprintf("%s: timer, but the Lambda bootstrap sets no Scheduled handler for the EventBridge schedule", fn.Name))
				}
			case awsOnlyExempt[fn.Trigger] != "":
				if !hasSchedule {
					problems = append(problems, fmt.Sprintf("%s: %s is covered on AWS by the rotation schedule, but the SAM template has none", fn.Name, fn.Trigger))
				}
			default:
				problems = append(problems, fmt.Sprintf("%s: no AWS counterpart for %s: add a SAM event or an awsOnlyExempt entry saying why", fn.Name, fn.Trigger))
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: unknown trigger %q", fn.Name, fn.Trigger))
		}
	}
	return problems
}

var placeholderRE = regexp.MustCompile(`\{[^}]*\}`)

type samFn struct {
	name            string
	url, schedule   bool
	scheduleSources []string
}

// samFunctions lists the template's functions with whether a Function URL
// and a schedule reach them.
func samFunctions(tpl map[string]any) []samFn {
	res := mapAt(tpl, "Resources")
	var out []samFn
	for name, v := range res {
		r, _ := v.(map[string]any)
		if r == nil {
			continue
		}
		switch r["Type"] {
		case "AWS::Serverless::Function":
			f := samFn{name: name}
			props := mapAt(r, "Properties")
			_, f.url = props["FunctionUrlConfig"]
			for evName, ev := range mapAt(props, "Events") {
				e, _ := ev.(map[string]any)
				if e != nil && (e["Type"] == "Schedule" || e["Type"] == "ScheduleV2") {
					f.schedule = true
					f.scheduleSources = append(f.scheduleSources, evName)
				}
			}
			out = append(out, f)
		case "AWS::Lambda::Url":
			out = append(out, samFn{name: name, url: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func readGoSources(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), filepath.FromSlash(dir), "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// devDoors builds the real API behind both doors on a dev tenant.
func devDoors(t *testing.T) map[string]routeProbe {
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
	api := httpapi.New(a)
	az := azure.NewHandler(api, nil, slog.New(slog.DiscardHandler))
	lambda := aws.Handler{API: api}
	errCode := func(body []byte) string {
		var e httpapi.ErrorBody
		_ = json.Unmarshal(body, &e)
		return e.Error.Code
	}
	return map[string]routeProbe{
		"Azure": func(method, route string) (int, string) {
			// A body the operations reject before any I/O.
			req := httptest.NewRequest(method, "/api/"+route, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			az.ServeHTTP(rec, req)
			return rec.Code, errCode(rec.Body.Bytes())
		},
		"Lambda": func(method, route string) (int, string) {
			ev := events.LambdaFunctionURLRequest{RawPath: "/api/" + route, Body: "{}",
				Headers:        map[string]string{"content-type": "application/json"},
				RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: "/api/" + route}}}
			payload, _ := json.Marshal(ev)
			out, err := lambda.Invoke(context.Background(), payload)
			if err != nil {
				return 0, err.Error()
			}
			var resp events.LambdaFunctionURLResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				return 0, "undecodable response"
			}
			return resp.StatusCode, errCode([]byte(resp.Body))
		},
	}
}

func TestFunctionsHaveRoutesAndAWSEvents(t *testing.T) {
	fns := readFunctionSpecs(t)
	src := handlerSources{azure: readGoSources(t, "functions/cmd/handler"), bootstrap: readGoSources(t, "functions/cmd/bootstrap")}
	for _, p := range functionProblems(fns, devDoors(t), src, loadSAM(t)) {
		t.Error(p)
	}
	t.Logf("checked %d function folders", len(fns))
}

// The checks can fail: synthetic folders, doors and templates.
func TestFunctionProblemsTable(t *testing.T) {
	serves := func(routes ...string) routeProbe {
		return func(method, route string) (int, string) {
			for _, r := range routes {
				if r == method+" "+route {
					return http.StatusBadRequest, "emptyBody"
				}
			}
			return http.StatusNotFound, "notFound"
		}
	}
	okSAM, err := parseCFN([]byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionUrlConfig: {AuthType: AWS_IAM}
      Events:
        Rotation: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
`))
	if err != nil {
		t.Fatal(err)
	}
	bareSAM, err := parseCFN([]byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	okSrc := handlerSources{azure: `map[string]azure.Function{"RotateCredentials": f, "SecretNearExpiry": g}`, bootstrap: `aws.Handler{API: api, Scheduled: s}`}
	doors := map[string]routeProbe{"Azure": serves("POST sessions/revoke", "GET egress")}
	tests := []struct {
		name  string
		fns   []fnSpec
		doors map[string]routeProbe
		src   handlerSources
		sam   map[string]any
		want  string // "" = no problems
	}{
		{"all good", []fnSpec{
			{Name: "RevokeSessions", Trigger: "httpTrigger", Methods: []string{"post"}, Route: "sessions/revoke"},
			{Name: "Egress", Trigger: "httpTrigger", Methods: []string{"get"}, Route: "egress"},
			{Name: "RotateCredentials", Trigger: "timerTrigger"},
			{Name: "SecretNearExpiry", Trigger: "eventGridTrigger"},
		}, doors, okSrc, okSAM, ""},
		{"route not served", []fnSpec{{Name: "X", Trigger: "httpTrigger", Methods: []string{"post"}, Route: "credentials/rotate"}}, doors, okSrc, okSAM, "no route POST /api/credentials/rotate"},
		{"method not served", []fnSpec{{Name: "X", Trigger: "httpTrigger", Methods: []string{"get"}, Route: "sessions/revoke"}}, doors, okSrc, okSAM, "no route GET"},
		{"405", []fnSpec{{Name: "X", Trigger: "httpTrigger", Methods: []string{"put"}, Route: "sessions/revoke"}},
			map[string]routeProbe{"Azure": func(string, string) (int, string) { return http.StatusMethodNotAllowed, "" }}, okSrc, okSAM, "no route PUT"},
		{"no function url", []fnSpec{{Name: "X", Trigger: "httpTrigger", Methods: []string{"post"}, Route: "sessions/revoke"}}, doors, okSrc, bareSAM, "Function URL"},
		{"timer not in handler map", []fnSpec{{Name: "Nightly", Trigger: "timerTrigger"}}, doors, okSrc, okSAM, `does not name "Nightly"`},
		{"timer without schedule", []fnSpec{{Name: "RotateCredentials", Trigger: "timerTrigger"}}, doors, okSrc, bareSAM, "no SAM function has a Schedule"},
		{"timer without Lambda handler", []fnSpec{{Name: "RotateCredentials", Trigger: "timerTrigger"}}, doors,
			handlerSources{azure: okSrc.azure, bootstrap: "aws.Handler{API: api}"}, okSAM, "no Scheduled handler"},
		{"queue has no AWS mapping", []fnSpec{{Name: "Q", Trigger: "queueTrigger"}}, doors,
			handlerSources{azure: `"Q"`, bootstrap: okSrc.bootstrap}, okSAM, "no AWS counterpart"},
		{"unknown trigger", []fnSpec{{Name: "Z", Trigger: "weirdTrigger"}}, doors, okSrc, okSAM, "unknown trigger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := functionProblems(tc.fns, tc.doors, tc.src, tc.sam)
			if tc.want == "" {
				if len(got) > 0 {
					t.Errorf("want no problems, got %v", got)
				}
				return
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("want a problem containing %q, got %v", tc.want, got)
			}
		})
	}
}

// Environment variables the code reads that no template sets, because the
// platform (or the build) provides them. Keys are variable names; values
// say who sets them. Settings tenantops defines (TENANTOPS_*, AZURE_*,
// ROTATION_SCHEDULE) are classified in settings_test.go instead.
var platformEnv = map[string]string{
	"AWS_LAMBDA_FUNCTION_NAME":     "Lambda runtime: tells identity it runs in Lambda (aws-federation is picked automatically)",
	"AWS_REGION":                   "Lambda runtime: the regional STS endpoint for GetWebIdentityToken",
	"AWS_DEFAULT_REGION":           "Lambda runtime (fallback for AWS_REGION)",
	"AWS_LAMBDA_RUNTIME_API":       "Lambda runtime API address (read by aws-lambda-go; bench/floor reads it directly)",
	"FUNCTIONS_CUSTOMHANDLER_PORT": "Azure Functions host: the port the custom handler listens on",
	"PATH":                         "test harness (functions/e2e passes it to the binaries it runs)",
	"HOME":                         "test harness (functions/e2e)",
}

// getenvRE finds environment reads with a literal name: os.Getenv("X"),
// os.LookupEnv("X"), getenv("X") (the injected reader).
var getenvRE = regexp.MustCompile(`\b(?:Getenv|LookupEnv|getenv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)`)

// envReads scans the non-test Go files of the deployable code for
// environment reads with literal names: name → first file.
func envReads(t *testing.T) map[string]string {
	t.Helper()
	root := repoRoot(t)
	read := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			// infra/tools run at build time only.
			if rel == "infra" || rel == "dist" || rel == "bin" || d.Name() == "testdata" || (strings.HasPrefix(d.Name(), ".") && rel != ".") {
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
		for _, m := range getenvRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := read[m[1]]; !ok {
				read[m[1]] = filepath.ToSlash(rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// TestEveryEnvReadIsAccountedFor extends TestSettingsClassified (tenantops'
// own setting names, wherever they appear) to every literal Getenv/getenv
// in the code: each is tenantops' own setting (classified there, and so set
// in both Bicep and SAM or deliberately not), a dev-tenant setting, or a
// documented platform variable.
func TestEveryEnvReadIsAccountedFor(t *testing.T) {
	read := envReads(t)
	if len(read) == 0 {
		t.Fatal("found no environment reads: the scan is broken")
	}
	names := make([]string, 0, len(read))
	for n := range read {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		own := settingLiteralRE.MatchString(`"` + n + `"`)
		_, platform := platformEnv[n]
		switch {
		case own && platform:
			t.Errorf("%s is both a tenantops setting and listed in platformEnv", n)
		case own, platform:
		default:
			t.Errorf("%s (read in %s) is not a tenantops setting (TENANTOPS_*, AZURE_*, ROTATION_SCHEDULE) nor a documented platform variable: "+
				"set it in infra/azure/main.bicep and infra/aws/template.yaml, or add it to platformEnv saying who provides it", n, read[n])
		}
	}
	for n := range platformEnv {
		if _, ok := read[n]; !ok {
			t.Errorf("platformEnv lists %s, which the code no longer reads: remove it", n)
		}
	}
	// Platform variables are the platform's: the templates must not set them.
	bicep := string(readRepoFile(t, "infra/azure/main.bicep"))
	sam := string(readRepoFile(t, "infra/aws/template.yaml"))
	for n := range platformEnv {
		if strings.Contains(bicep, n+":") || strings.Contains(bicep, "'"+n+"'") {
			t.Errorf("%s is provided by the platform but set in main.bicep", n)
		}
		if regexp.MustCompile(`(?m)^\s+` + n + `:`).MatchString(sam) {
			t.Errorf("%s is provided by the platform but set in template.yaml", n)
		}
	}
	t.Logf("environment reads: %v", names)
}

func TestGetenvScanner(t *testing.T) {
	src := `os.Getenv("A_B") getenv( "C" ) os.LookupEnv("D") f.Getenv(name) x.getenvironment("E")`
	var got []string
	for _, m := range getenvRE.FindAllStringSubmatch(src, -1) {
		got = append(got, m[1])
	}
	if fmt.Sprint(got) != "[A_B C D]" {
		t.Errorf("scanner found %v, want [A_B C D]", got)
	}
}
