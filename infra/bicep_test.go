package infra_test

// Structural checks of infra/azure/*.bicep. No Bicep compiler is available
// offline (no bicep package in Debian or npm, and the CLI downloads a .NET
// binary), so this is a small lexer plus rules: balanced brackets, every
// param and var used, no reference to an undeclared symbol or unknown
// function, well-formed resource types, the required outputs and app
// settings, and consistency with the function contract. It cannot check
// resource schemas, API versions' existence, or ARM semantics.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type bicepTokKind int

const (
	tkIdent bicepTokKind = iota
	tkString
	tkNumber
	tkPunct
	tkNewline
)

type bicepTok struct {
	kind bicepTokKind
	text string // identifier, punctuation, number; for strings the literal text (interpolations elided)
	line int
}

// bicepLexer turns Bicep source into tokens, skipping comments. Interpolations
// inside strings ('a${expr}b') are lexed as expression tokens between the
// string's pieces.
type bicepLexer struct {
	src  []rune
	pos  int
	line int
	toks []bicepTok
}

func lexBicep(src string) ([]bicepTok, error) {
	lx := &bicepLexer{src: []rune(src), line: 1}
	if err := lx.expr(false); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

func (lx *bicepLexer) peek(off int) rune {
	if lx.pos+off < len(lx.src) {
		return lx.src[lx.pos+off]
	}
	return 0
}

func (lx *bicepLexer) emit(k bicepTokKind, text string, line int) {
	lx.toks = append(lx.toks, bicepTok{kind: k, text: text, line: line})
}

// expr lexes until EOF, or, inside an interpolation, until its closing brace.
func (lx *bicepLexer) expr(interp bool) error {
	depth := 0
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			if !interp {
				lx.emit(tkNewline, "\n", lx.line)
			}
			lx.line++
			lx.pos++
		case c == ' ' || c == '\t' || c == '\r':
			lx.pos++
		case c == '/' && lx.peek(1) == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '/' && lx.peek(1) == '*':
			start := lx.line
			lx.pos += 2
			for lx.pos < len(lx.src) && (lx.src[lx.pos] != '*' || lx.peek(1) != '/') {
				if lx.src[lx.pos] == '\n' {
					lx.line++
				}
				lx.pos++
			}
			if lx.pos >= len(lx.src) {
				return fmt.Errorf("line %d: unterminated /* comment", start)
			}
			lx.pos += 2
		case c == '\'' && lx.peek(1) == '\'' && lx.peek(2) == '\'':
			if err := lx.multiline(); err != nil {
				return err
			}
		case c == '\'':
			if err := lx.str(); err != nil {
				return err
			}
		case c == '_' || isLetter(c):
			start := lx.pos
			for lx.pos < len(lx.src) && (isLetter(lx.src[lx.pos]) || isDigit(lx.src[lx.pos]) || lx.src[lx.pos] == '_') {
				lx.pos++
			}
			lx.emit(tkIdent, string(lx.src[start:lx.pos]), lx.line)
		case isDigit(c):
			start := lx.pos
			for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
				lx.pos++
			}
			lx.emit(tkNumber, string(lx.src[start:lx.pos]), lx.line)
		default:
			two := string(c) + string(lx.peek(1))
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||", "??", "=>", "::", ".?", "!.":
				lx.emit(tkPunct, two, lx.line)
				lx.pos += 2
				continue
			}
			if interp {
				if c == '{' {
					depth++
				} else if c == '}' {
					if depth == 0 {
						lx.pos++
						return nil
					}
					depth--
				}
			}
			if !strings.ContainsRune("{}[]()=:,.?!<>+-*/%@|", c) {
				return fmt.Errorf("line %d: unexpected character %q", lx.line, c)
			}
			lx.emit(tkPunct, string(c), lx.line)
			lx.pos++
		}
	}
	if interp {
		return fmt.Errorf("line %d: unterminated ${ interpolation", lx.line)
	}
	return nil
}

// str lexes a single-quoted string with escapes and ${} interpolation.
func (lx *bicepLexer) str() error {
	start := lx.line
	lx.pos++ // opening quote
	var lit strings.Builder
	for {
		if lx.pos >= len(lx.src) {
			return fmt.Errorf("line %d: unterminated string", start)
		}
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			return fmt.Errorf("line %d: newline in string (use ''' for multi-line strings)", lx.line)
		case c == '\\':
			if lx.pos+1 >= len(lx.src) {
				return fmt.Errorf("line %d: unterminated escape", lx.line)
			}
			switch e := lx.src[lx.pos+1]; e {
			case '\'', '\\', 'n', 'r', 't', '$':
				lit.WriteRune(e)
			case 'u':
				lit.WriteString(`\u`)
			default:
				return fmt.Errorf("line %d: unknown escape \\%c", lx.line, e)
			}
			lx.pos += 2
		case c == '\'':
			lx.pos++
			lx.emit(tkString, lit.String(), start)
			return nil
		case c == '$' && lx.peek(1) == '{':
			lx.pos += 2
			lx.emit(tkString, lit.String(), start)
			lit.Reset()
			lx.emit(tkPunct, "${", lx.line)
			if err := lx.expr(true); err != nil {
				return err
			}
			lx.emit(tkPunct, "}$", lx.line)
		default:
			lit.WriteRune(c)
			lx.pos++
		}
	}
}

func (lx *bicepLexer) multiline() error {
	start := lx.line
	lx.pos += 3
	var lit strings.Builder
	for lx.pos < len(lx.src) {
		if lx.src[lx.pos] == '\'' && lx.peek(1) == '\'' && lx.peek(2) == '\'' {
			lx.pos += 3
			lx.emit(tkString, lit.String(), start)
			return nil
		}
		if lx.src[lx.pos] == '\n' {
			lx.line++
		}
		lit.WriteRune(lx.src[lx.pos])
		lx.pos++
	}
	return fmt.Errorf("line %d: unterminated ''' string", start)
}

func isLetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c rune) bool  { return c >= '0' && c <= '9' }

// bicepFile is the lexed file with its top-level declarations.
type bicepFile struct {
	toks      []bicepTok
	params    map[string]int // name → token index of the name
	vars      map[string]int
	resources map[string]string // name → 'type@version'
	modules   map[string]string // name → path
	outputs   map[string]int
	locals    map[string]bool // loop variables and lambda parameters
	keys      map[string]bool // object property keys
	problems  []string
}

var bicepKeywords = map[string]bool{
	"param": true, "var": true, "resource": true, "module": true, "output": true, "targetScope": true,
	"existing": true, "if": true, "for": true, "in": true, "true": true, "false": true, "null": true,
	"type": true, "func": true, "import": true, "metadata": true, "using": true, "with": true, "as": true,
	"string": true, "int": true, "bool": true, "object": true, "array": true,
	"az": true, "sys": true, // namespaces
}

// bicepFunctions are the built-in functions this project may call.
var bicepFunctions = map[string]bool{
	"resourceGroup": true, "subscription": true, "tenant": true, "environment": true, "deployment": true,
	"uniqueString": true, "guid": true, "take": true, "skip": true, "toLower": true, "toUpper": true,
	"replace": true, "split": true, "join": true, "concat": true, "format": true, "substring": true,
	"length": true, "contains": true, "empty": true, "first": true, "last": true, "union": true,
	"intersection": true, "items": true, "string": true, "int": true, "bool": true, "json": true,
	"resourceId": true, "subscriptionResourceId": true, "tenantResourceId": true, "extensionResourceId": true,
	"reference": true, "list": true, "listKeys": true, "trim": true, "startsWith": true, "endsWith": true,
	"min": true, "max": true, "range": true, "filter": true, "map": true, "reduce": true, "sort": true,
	"toObject": true, "coalesce": true, "base64": true, "dataUri": true, "uri": true, "getSecret": true,
	"loadTextContent": true, "loadJsonContent": true, "readEnvironmentVariable": true, "newGuid": true, "utcNow": true,
	"description": true, "minLength": true, "maxLength": true, "minValue": true, "maxValue": true, "allowed": true,
	"secure": true, "metadata": true, "batchSize": true, "sealed": true, "discriminator": true, "export": true,
}

var resourceTypeRE = regexp.MustCompile(`^[A-Z][A-Za-z]+\.[A-Za-z]+(/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?$`)

func parseBicep(src string) (*bicepFile, error) {
	toks, err := lexBicep(src)
	if err != nil {
		return nil, err
	}
	f := &bicepFile{
		toks: toks, params: map[string]int{}, vars: map[string]int{}, resources: map[string]string{},
		modules: map[string]string{}, outputs: map[string]int{}, locals: map[string]bool{}, keys: map[string]bool{},
	}
	// Balanced brackets.
	var stack []bicepTok
	pairs := map[string]string{")": "(", "]": "[", "}": "{", "}$": "${"}
	for _, t := range toks {
		if t.kind != tkPunct {
			continue
		}
		switch t.text {
		case "(", "[", "{", "${":
			stack = append(stack, t)
		case ")", "]", "}", "}$":
			if len(stack) == 0 || stack[len(stack)-1].text != pairs[t.text] {
				return nil, fmt.Errorf("line %d: unbalanced %q", t.line, t.text)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("line %d: %q never closed", stack[len(stack)-1].line, stack[len(stack)-1].text)
	}
	// Declarations: a keyword first on a line at depth 0.
	depth := 0
	lineStart := true
	// Params, vars, resources and modules share one namespace; outputs have their own.
	declare := func(name string) {
		_, p := f.params[name]
		_, v := f.vars[name]
		_, r := f.resources[name]
		_, m := f.modules[name]
		if p || v || r || m {
			f.problems = append(f.problems, name+" declared twice")
		}
	}
	for i, t := range toks {
		switch {
		case t.kind == tkNewline:
			lineStart = true
			continue
		case t.kind == tkPunct && (t.text == "{" || t.text == "[" || t.text == "(" || t.text == "${"):
			depth++
		case t.kind == tkPunct && (t.text == "}" || t.text == "]" || t.text == ")" || t.text == "}$"):
			depth--
		}
		if depth == 0 && lineStart && t.kind == tkIdent && i+1 < len(toks) && toks[i+1].kind == tkIdent {
			name := toks[i+1].text
			switch t.text {
			case "param":
				declare(name)
				f.params[name] = i + 1
			case "var":
				declare(name)
				f.vars[name] = i + 1
			case "output":
				if _, dup := f.outputs[name]; dup {
					f.problems = append(f.problems, "output "+name+" declared twice")
				}
				f.outputs[name] = i + 1
			case "resource", "module":
				declare(name)
				typ := ""
				if i+2 < len(toks) && toks[i+2].kind == tkString {
					typ = toks[i+2].text
				}
				if t.text == "resource" {
					f.resources[name] = typ
				} else {
					f.modules[name] = typ
				}
			}
		}
		lineStart = false
	}
	// Locals: `for x in`, `for (x, i) in`, lambda `x =>` / `(x, y) =>`.
	for i, t := range toks {
		if t.kind == tkIdent && t.text == "for" {
			for j := i + 1; j < len(toks) && !(toks[j].kind == tkIdent && toks[j].text == "in"); j++ {
				if toks[j].kind == tkIdent {
					f.locals[toks[j].text] = true
				}
			}
		}
		if t.kind == tkPunct && t.text == "=>" {
			for j := i - 1; j >= 0; j-- {
				if toks[j].kind == tkIdent {
					f.locals[toks[j].text] = true
				}
				if toks[j].kind != tkIdent && toks[j].text != "," && toks[j].text != ")" {
					break
				}
				if toks[j].text == "(" {
					break
				}
			}
		}
	}
	return f, nil
}

// isKey reports whether identifier i is an object property key.
func (f *bicepFile) isKey(i int) bool {
	toks := f.toks
	if i+1 >= len(toks) || toks[i+1].text != ":" || toks[i+1].kind != tkPunct {
		return false
	}
	if i == 0 {
		return true
	}
	prev := toks[i-1]
	return prev.kind == tkNewline || prev.kind == tkPunct && (prev.text == "{" || prev.text == ",")
}

// references returns identifier uses: not keys, not declarations, not
// property accesses, not decorators or types.
func (f *bicepFile) references() map[string][]int {
	refs := map[string][]int{}
	decl := map[int]bool{}
	for _, m := range []map[string]int{f.params, f.vars, f.outputs} {
		for _, i := range m {
			decl[i] = true
		}
	}
	for i, t := range f.toks {
		if t.kind != tkIdent || decl[i] {
			continue
		}
		if i > 0 && f.toks[i-1].kind == tkPunct {
			switch f.toks[i-1].text {
			case ".", ".?", "!.", "::", "@":
				continue
			}
		}
		if i > 0 && f.toks[i-1].kind == tkIdent && (f.toks[i-1].text == "resource" || f.toks[i-1].text == "module") {
			continue // declaration name
		}
		if f.isKey(i) {
			f.keys[t.text] = true
			continue
		}
		refs[t.text] = append(refs[t.text], i)
	}
	return refs
}

// check runs the generic rules and returns problems.
func (f *bicepFile) check() []string {
	problems := append([]string(nil), f.problems...)
	refs := f.references()
	for name := range f.params {
		if len(refs[name]) == 0 {
			problems = append(problems, "param "+name+" is never used")
		}
	}
	for name := range f.vars {
		if len(refs[name]) == 0 {
			problems = append(problems, "var "+name+" is never used")
		}
	}
	for name, typ := range f.resources {
		if !resourceTypeRE.MatchString(typ) {
			problems = append(problems, fmt.Sprintf("resource %s: type %q is not Namespace/type@yyyy-mm-dd", name, typ))
		}
	}
	for name, idxs := range refs {
		if bicepKeywords[name] || f.locals[name] {
			continue
		}
		_, p := f.params[name]
		_, v := f.vars[name]
		_, r := f.resources[name]
		_, m := f.modules[name]
		if p || v || r || m {
			continue
		}
		i := idxs[0]
		if i+1 < len(f.toks) && f.toks[i+1].text == "(" {
			if !bicepFunctions[name] {
				problems = append(problems, fmt.Sprintf("line %d: unknown function %s()", f.toks[i].line, name))
			}
			continue
		}
		problems = append(problems, fmt.Sprintf("line %d: %s is not declared", f.toks[i].line, name))
	}
	sort.Strings(problems)
	return problems
}

// paramDefault returns the string literal default of a param, if any.
func (f *bicepFile) paramDefault(name string) (string, bool) {
	i, ok := f.params[name]
	if !ok {
		return "", false
	}
	for j := i + 1; j < len(f.toks) && f.toks[j].kind != tkNewline; j++ {
		if f.toks[j].text == "=" && j+1 < len(f.toks) && f.toks[j+1].kind == tkString {
			return f.toks[j+1].text, true
		}
	}
	return "", false
}

// hasDefault reports whether param name has a default value.
func (f *bicepFile) hasDefault(name string) bool {
	i := f.params[name]
	for j := i + 1; j < len(f.toks) && f.toks[j].kind != tkNewline; j++ {
		if f.toks[j].text == "=" {
			return true
		}
	}
	return false
}

// strings returns every string literal.
func (f *bicepFile) stringLits() map[string]bool {
	s := map[string]bool{}
	for _, t := range f.toks {
		if t.kind == tkString {
			s[t.text] = true
		}
	}
	return s
}

// sequence reports whether the non-newline tokens texts appear consecutively.
func (f *bicepFile) sequence(texts ...string) bool {
	var flat []string
	for _, t := range f.toks {
		if t.kind != tkNewline {
			flat = append(flat, t.text)
		}
	}
outer:
	for i := range flat {
		for j, want := range texts {
			if i+j >= len(flat) || flat[i+j] != want {
				continue outer
			}
		}
		return true
	}
	return false
}

func loadBicep(t *testing.T, rel string) *bicepFile {
	t.Helper()
	f, err := parseBicep(string(readRepoFile(t, rel)))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return f
}

func TestBicepMain(t *testing.T) {
	f := loadBicep(t, "infra/azure/main.bicep")
	for _, p := range f.check() {
		t.Error("main.bicep: " + p)
	}
	for _, out := range []string{"egressIp", "principalId", "functionAppName", "vaultUrl"} {
		if _, ok := f.outputs[out]; !ok {
			t.Errorf("main.bicep: output %s missing", out)
		}
	}
	wantTypes := map[string]bool{
		"Microsoft.Web/sites": false, "Microsoft.Web/serverfarms": false, "Microsoft.Network/virtualNetworks": false,
		"Microsoft.Network/natGateways": false, "Microsoft.Network/publicIPAddresses": false,
		"Microsoft.KeyVault/vaults": false, "Microsoft.Insights/components": false,
		"Microsoft.OperationalInsights/workspaces": false, "Microsoft.Storage/storageAccounts": false,
		"Microsoft.Authorization/roleAssignments": false, "Microsoft.EventGrid/systemTopics": false,
		"Microsoft.EventGrid/systemTopics/eventSubscriptions": false,
	}
	for _, typ := range f.resources {
		base, _, _ := strings.Cut(typ, "@")
		if _, ok := wantTypes[base]; ok {
			wantTypes[base] = true
		}
	}
	for typ, seen := range wantTypes {
		if !seen {
			t.Errorf("main.bicep: no %s resource", typ)
		}
	}
	f.references() // fills keys
	for _, s := range azureSettings {
		if !f.keys[s] {
			t.Errorf("main.bicep: app setting %s missing", s)
		}
	}
	for _, s := range azureForbidden {
		if f.keys[s] {
			t.Errorf("main.bicep: app setting %s must not be set on the Function App", s)
		}
	}
	for k := range f.keys {
		if isDevSetting(k) {
			t.Errorf("main.bicep: dev-tenant setting %s must never be deployed", k)
		}
	}
	if !f.keys["AzureWebJobsStorage__accountName"] {
		t.Error("main.bicep: identity-based AzureWebJobsStorage__accountName missing")
	}
	lits := f.stringLits()
	for _, want := range []string{
		"FC1", "FlexConsumption", "Microsoft.App/environments", "SystemAssignedIdentity",
		"Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.vaults",
		"b86a8fe4-44ce-4948-aee5-eccb2c155cd7", // Key Vault Secrets Officer
		"Static", "Standard",
	} {
		if !lits[want] {
			t.Errorf("main.bicep: string %q not found", want)
		}
	}
	for name, seq := range map[string][]string{
		"runtime custom 1.0":          {"runtime", ":", "{", "name", ":", "custom", "version", ":", "1.0", "}"},
		"system-assigned identity":    {"identity", ":", "{", "type", ":", "SystemAssigned", "}"},
		"RBAC Key Vault":              {"enableRbacAuthorization", ":", "true"},
		"NAT gateway on subnet":       {"natGateway", ":", "{", "id", ":", "natGateway", ".", "id", "}"},
		"egress IP output":            {"output", "egressIp", "string", "=", "egressPublicIp", ".", "properties", ".", "ipAddress"},
		"expected egress from the IP": {"TENANTOPS_EXPECTED_EGRESS_IPS", ":", "egressPublicIp", ".", "properties", ".", "ipAddress"},
		"vault URL from the vault":    {"TENANTOPS_VAULT_URL", ":", "vault", ".", "properties", ".", "vaultUri"},
		"Elastic Premium option":      {"ElasticPremium"},
	} {
		if !f.sequence(seq...) {
			t.Errorf("main.bicep: %s: token sequence %v not found", name, seq)
		}
	}
	if def, ok := f.paramDefault("rotationSchedule"); !ok {
		t.Error("main.bicep: param rotationSchedule has no string default")
	} else if def != "0 0 3 * * *" {
		t.Errorf("main.bicep: rotationSchedule default %q, want '0 0 3 * * *'", def)
	} else if err := checkNCRONTAB(def); err != nil {
		t.Errorf("main.bicep: rotationSchedule default: %v", err)
	}
	if def, _ := f.paramDefault("rotationGrace"); def != "48h" {
		t.Errorf("main.bicep: rotationGrace default %q, want 48h", def)
	}
	if _, ok := f.params["breakGlassAccounts"]; !ok {
		t.Error("main.bicep: param breakGlassAccounts (TENANTOPS_BREAKGLASS) missing")
	}
	// The Event Grid subscription targets the contract's SecretNearExpiry function.
	var target string
	for i, tok := range f.toks {
		if tok.kind == tkIdent && tok.text == "secretNearExpiryFunction" && i+2 < len(f.toks) && f.toks[i+1].text == "=" {
			target = f.toks[i+2].text
		}
	}
	if c, ok := functionContracts[target]; !ok || c.trigger != "eventGridTrigger" {
		t.Errorf("main.bicep: Event Grid target function %q is not the contract's eventGridTrigger function", target)
	}
}

func TestBicepParamFile(t *testing.T) {
	main := loadBicep(t, "infra/azure/main.bicep")
	src := string(readRepoFile(t, "infra/azure/main.bicepparam"))
	toks, err := lexBicep(src)
	if err != nil {
		t.Fatal(err)
	}
	var using string
	set := map[string]bool{}
	for i, tok := range toks {
		if tok.kind != tkIdent || i+1 >= len(toks) {
			continue
		}
		switch tok.text {
		case "using":
			using = toks[i+1].text
		case "param":
			name := toks[i+1].text
			set[name] = true
			if _, ok := main.params[name]; !ok {
				t.Errorf("main.bicepparam sets %s, which main.bicep does not declare", name)
			}
			if name == "rotationSchedule" && i+3 < len(toks) {
				if err := checkNCRONTAB(toks[i+3].text); err != nil {
					t.Errorf("main.bicepparam rotationSchedule: %v", err)
				}
			}
		}
	}
	if using != "./main.bicep" {
		t.Errorf("main.bicepparam: using %q, want './main.bicep'", using)
	}
	for name := range main.params {
		if !main.hasDefault(name) && !set[name] {
			t.Errorf("main.bicepparam does not set the required param %s", name)
		}
	}
}

// Every module referenced by a Bicep file exists.
func TestBicepModulesExist(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "infra", "azure", "*.bicep"))
	mods, _ := filepath.Glob(filepath.Join(repoRoot(t), "infra", "azure", "modules", "*.bicep"))
	for _, file := range append(files, mods...) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseBicep(string(b))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		for name, path := range f.modules {
			if strings.HasPrefix(path, "br:") || strings.HasPrefix(path, "br/") || strings.HasPrefix(path, "ts:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), filepath.FromSlash(path))); err != nil {
				t.Errorf("%s: module %s: %v", filepath.Base(file), name, err)
			}
		}
	}
}

// The checker must be able to fail.
func TestBicepCheckerTable(t *testing.T) {
	const ok = `param location string = resourceGroup().location
param name string
var full = '${name}-${uniqueString(resourceGroup().id)}'
resource pip 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: full
  location: location
  properties: {
    publicIPAllocationMethod: 'Static'
    tags: [for (t, i) in ['a', 'b']: '${t}${i}']
    n: filter([1, 2], x => x > 1)
    x: contains(full, 'a') ? 'y' : location
  }
}
/* block
comment { */
output ip string = pip.properties.ipAddress // trailing { comment
`
	tests := []struct {
		name string
		src  string
		want string // "" = no problems
	}{
		{"ok", ok, ""},
		{"unbalanced brace", strings.Replace(ok, "    publicIPAllocationMethod: 'Static'\n", "    publicIPAllocationMethod: 'Static'\n  {\n", 1), "never closed"},
		{"extra bracket", ok + "]\n", "unbalanced"},
		{"unterminated string", strings.Replace(ok, "'Static'", "'Static", 1), "newline in string"},
		{"broken interpolation", strings.Replace(ok, "'${name}-", "'${name-", 1), "unexpected character '$'"},
		{"unterminated interpolation", "var a = '${b", "unterminated ${ interpolation"},
		{"unterminated comment", ok + "/* open\n", "unterminated /* comment"},
		{"unused param", ok + "param unused string = 'x'\n", "param unused is never used"},
		{"unused var", ok + "var spare = 1\n", "var spare is never used"},
		{"undeclared symbol", strings.Replace(ok, "name: full", "name: fulll", 1), "fulll is not declared"},
		{"unknown function", strings.Replace(ok, "uniqueString(", "uniqeString(", 1), "unknown function uniqeString()"},
		{"bad api version", strings.Replace(ok, "@2024-05-01", "@latest", 1), "is not Namespace/type@yyyy-mm-dd"},
		{"duplicate", ok + "var full = 2\n", "full declared twice"},
		{"bad escape", strings.Replace(ok, "'Static'", `'St\atic'`, 1), "unknown escape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseBicep(tc.src)
			var problems []string
			if err != nil {
				problems = []string{err.Error()}
			} else {
				problems = f.check()
			}
			checkProblems(t, problems, tc.want)
		})
	}
}
