package infra_test

// Offline checks of infra/aws/template.yaml (SAM). The YAML is decoded to
// yaml.Node so that CloudFormation's short-form intrinsics (!Ref, !GetAtt,
// !Sub, ...) survive; they are turned into their long form (Ref,
// Fn::GetAtt, ...), unknown tags are errors, and every reference must name a
// parameter, resource, condition or pseudo parameter. The AWS resource
// schemas themselves are not checked (no cfn-lint offline).

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// cfnTags maps short-form intrinsic tags to their long-form keys.
var cfnTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Select": "Fn::Select",
	"!GetAZs": "Fn::GetAZs", "!Join": "Fn::Join", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!ImportValue": "Fn::ImportValue",
	"!Transform": "Fn::Transform", "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

// cfnValue converts a YAML node to plain Go values (map[string]any, []any,
// string, bool, int, float64, nil) with intrinsics in long form.
func cfnValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want one document", n.Line)
		}
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		key, ok := cfnTags[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		plain := *n
		plain.Tag = ""
		plain.Style &^= yaml.TaggedStyle
		v, err := cfnValue(&plain)
		if err != nil {
			return nil, err
		}
		if key == "Fn::GetAtt" {
			if s, ok := v.(string); ok { // !GetAtt A.B → [A, B]
				res, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
				}
				v = []any{res, attr}
			}
		}
		return map[string]any{key: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %s", n.Content[i].Line, k)
			}
			v, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
		return v, nil
	}
}

func parseCFN(src []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	v, err := cfnValue(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is not a mapping")
	}
	return m, nil
}

// cfnKnownTypes are the resource types the template may use (typo guard).
var cfnKnownTypes = map[string]bool{
	"AWS::Serverless::Function": true, "AWS::IAM::Role": true, "AWS::Logs::LogGroup": true,
	"AWS::EC2::VPC": true, "AWS::EC2::InternetGateway": true, "AWS::EC2::VPCGatewayAttachment": true,
	"AWS::EC2::Subnet": true, "AWS::EC2::RouteTable": true, "AWS::EC2::Route": true,
	"AWS::EC2::SubnetRouteTableAssociation": true, "AWS::EC2::EIP": true, "AWS::EC2::NatGateway": true,
	"AWS::EC2::SecurityGroup": true,
}

var cfnPseudo = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

var subVarRE = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		m = next
	}
	return m
}

// cfnProblems checks references, conditions, resource types and use of
// every parameter and condition.
func cfnProblems(tpl map[string]any) []string {
	var problems []string
	params := mapAt(tpl, "Parameters")
	resources := mapAt(tpl, "Resources")
	conditions := mapAt(tpl, "Conditions")
	known := map[string]bool{}
	for id, r := range resources {
		known[id] = true
		res, _ := r.(map[string]any)
		typ, _ := res["Type"].(string)
		if !cfnKnownTypes[typ] {
			problems = append(problems, fmt.Sprintf("resource %s: unknown type %q", id, typ))
		}
		// Resources SAM generates for a function.
		if typ == "AWS::Serverless::Function" {
			props := mapAt(res, "Properties")
			if _, ok := props["FunctionUrlConfig"]; ok {
				known[id+"Url"] = true
			}
			if _, ok := props["Role"]; !ok {
				known[id+"Role"] = true
			}
		}
		if c, ok := res["Condition"].(string); ok && conditions[c] == nil {
			problems = append(problems, fmt.Sprintf("resource %s: unknown condition %s", id, c))
		}
		var deps []any
		switch d := res["DependsOn"].(type) {
		case string:
			deps = []any{d}
		case []any:
			deps = d
		}
		for _, d := range deps {
			if s, _ := d.(string); resources[s] == nil {
				problems = append(problems, fmt.Sprintf("resource %s: DependsOn unknown resource %v", id, d))
			}
		}
	}
	usedParams := map[string]bool{}
	usedConds := map[string]bool{}
	refOK := func(name string) bool {
		if _, ok := params[name]; ok {
			usedParams[name] = true
			return true
		}
		return known[name] || cfnPseudo[name]
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			if len(x) == 1 {
				for k, arg := range x {
					switch k {
					case "Ref":
						if s, _ := arg.(string); !refOK(s) {
							problems = append(problems, fmt.Sprintf("%s: Ref to unknown %v", path, arg))
						}
					case "Fn::GetAtt":
						l, _ := arg.([]any)
						if len(l) != 2 {
							problems = append(problems, fmt.Sprintf("%s: Fn::GetAtt needs [Resource, Attribute]", path))
						} else if s, _ := l[0].(string); !known[s] {
							problems = append(problems, fmt.Sprintf("%s: Fn::GetAtt of unknown resource %v", path, l[0]))
						}
					case "Fn::Sub":
						str, _ := arg.(string)
						local := map[string]bool{}
						if l, ok := arg.([]any); ok && len(l) == 2 {
							str, _ = l[0].(string)
							for name := range mapAt(map[string]any{"m": l[1]}, "m") {
								local[name] = true
							}
						}
						for _, m := range subVarRE.FindAllStringSubmatch(str, -1) {
							name, _, _ := strings.Cut(m[1], ".")
							if !local[name] && !refOK(name) {
								problems = append(problems, fmt.Sprintf("%s: Fn::Sub references unknown ${%s}", path, m[1]))
							}
						}
					case "Fn::If":
						l, _ := arg.([]any)
						if len(l) != 3 {
							problems = append(problems, fmt.Sprintf("%s: Fn::If needs [Condition, then, else]", path))
						} else if c, _ := l[0].(string); conditions[c] == nil {
							problems = append(problems, fmt.Sprintf("%s: Fn::If on unknown condition %v", path, l[0]))
						} else {
							usedConds[c] = true
						}
					case "Condition":
						if c, _ := arg.(string); conditions[c] != nil {
							usedConds[c] = true
						}
					}
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(path+"."+k, x[k])
			}
		}
	}
	for _, section := range []string{"Conditions", "Resources", "Outputs"} {
		walk(section, tpl[section])
	}
	for _, r := range resources {
		if c, ok := r.(map[string]any)["Condition"].(string); ok {
			usedConds[c] = true
		}
	}
	for p := range params {
		if !usedParams[p] {
			problems = append(problems, "parameter "+p+" is never used")
		}
	}
	for c := range conditions {
		if !usedConds[c] {
			problems = append(problems, "condition "+c+" is never used")
		}
	}
	sort.Strings(problems)
	return problems
}

// awsCronRE matches an EventBridge cron expression: 6 fields, one of
// day-of-month and day-of-week being '?'.
var awsCronRE = regexp.MustCompile(`^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$`)

func checkScheduleExpression(s string) error {
	if strings.HasPrefix(s, "rate(") {
		if !regexp.MustCompile(`^rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)$`).MatchString(s) {
			return fmt.Errorf("%q is not rate(N unit)", s)
		}
		return nil
	}
	m := awsCronRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not cron(min hour dom month dow year) or rate(...)", s)
	}
	if (m[3] == "?") == (m[5] == "?") {
		return fmt.Errorf("%q: exactly one of day-of-month and day-of-week must be ?", s)
	}
	return nil
}

func loadSAM(t *testing.T) map[string]any {
	t.Helper()
	tpl, err := parseCFN(readRepoFile(t, "infra/aws/template.yaml"))
	if err != nil {
		t.Fatalf("infra/aws/template.yaml: %v", err)
	}
	return tpl
}

func TestSAMTemplate(t *testing.T) {
	tpl := loadSAM(t)
	for _, p := range cfnProblems(tpl) {
		t.Error("template.yaml: " + p)
	}
	if tpl["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", tpl["Transform"])
	}
	res := mapAt(tpl, "Resources")
	typeOf := func(id string) string { s, _ := mapAt(res, id)["Type"].(string); return s }
	props := func(id string) map[string]any { return mapAt(res, id, "Properties") }
	ref := func(v any) string { s, _ := mapAt(map[string]any{"v": v}, "v")["Ref"].(string); return s }
	getAtt := func(v any) string {
		l, _ := mapAt(map[string]any{"v": v}, "v")["Fn::GetAtt"].([]any)
		if len(l) != 2 {
			return ""
		}
		return fmt.Sprint(l[0], ".", l[1])
	}

	// The function.
	var fn string
	for id := range res {
		if typeOf(id) == "AWS::Serverless::Function" {
			if fn != "" {
				t.Errorf("more than one function: %s, %s", fn, id)
			}
			fn = id
		}
	}
	if fn == "" {
		t.Fatal("no AWS::Serverless::Function")
	}
	fp := props(fn)
	for k, want := range map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap"} {
		if fp[k] != want {
			t.Errorf("%s.%s = %v, want %v", fn, k, fp[k], want)
		}
	}
	if a, _ := fp["Architectures"].([]any); len(a) != 1 || a[0] != "arm64" {
		t.Errorf("%s.Architectures = %v, want [arm64]", fn, fp["Architectures"])
	}
	codeURI, _ := fp["CodeUri"].(string)
	if got := filepath.ToSlash(filepath.Clean(filepath.Join("infra/aws", codeURI))); got != "dist/aws/bootstrap-arm64.zip" {
		t.Errorf("%s.CodeUri %q resolves to %s, want dist/aws/bootstrap-arm64.zip (make package)", fn, codeURI, got)
	}
	if mapAt(fp, "FunctionUrlConfig")["AuthType"] != "AWS_IAM" {
		t.Errorf("%s.FunctionUrlConfig.AuthType = %v, want AWS_IAM", fn, mapAt(fp, "FunctionUrlConfig")["AuthType"])
	}
	var schedules int
	for name, e := range mapAt(fp, "Events") {
		ev, _ := e.(map[string]any)
		if ev["Type"] != "Schedule" { // EventBridge rule: detail-type "Scheduled Event"
			continue
		}
		schedules++
		expr := mapAt(ev, "Properties")["Schedule"]
		if p := ref(expr); p != "" {
			expr = mapAt(tpl, "Parameters", p)["Default"]
		}
		if s, _ := expr.(string); checkScheduleExpression(s) != nil {
			t.Errorf("event %s: %v", name, checkScheduleExpression(s))
		}
		if _, ok := mapAt(ev, "Properties")["Input"]; ok {
			t.Errorf("event %s: Input replaces the Scheduled Event the handler expects", name)
		}
	}
	if schedules != 1 {
		t.Errorf("%d Schedule events, want 1 (the rotation)", schedules)
	}

	// Environment.
	env := mapAt(fp, "Environment", "Variables")
	for _, k := range lambdaSettings {
		if _, ok := env[k]; !ok {
			t.Errorf("environment variable %s missing", k)
		}
	}
	for _, k := range lambdaForbidden {
		if _, ok := env[k]; ok {
			t.Errorf("environment variable %s must not be set on Lambda", k)
		}
	}
	for k := range env {
		if isDevSetting(k) {
			t.Errorf("dev-tenant setting %s must never be deployed", k)
		}
	}
	aud := ref(env["TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE"])
	if def := mapAt(tpl, "Parameters", aud)["Default"]; def != "api://AzureADTokenExchange" {
		t.Errorf("TENANTOPS_AWS_WEB_IDENTITY_AUDIENCE default %v, want api://AzureADTokenExchange", def)
	}

	// Network: private subnets → route table → NAT gateway (EIP, public subnet) ; public → IGW.
	subnets, _ := mapAt(fp, "VpcConfig")["SubnetIds"].([]any)
	if len(subnets) != 2 {
		t.Fatalf("VpcConfig.SubnetIds has %d subnets, want 2 private ones", len(subnets))
	}
	routeOf := func(subnet string) map[string]any { // default route of the subnet's route table
		for id := range res {
			if typeOf(id) == "AWS::EC2::SubnetRouteTableAssociation" && ref(props(id)["SubnetId"]) == subnet {
				rt := ref(props(id)["RouteTableId"])
				for rid := range res {
					if typeOf(rid) == "AWS::EC2::Route" && ref(props(rid)["RouteTableId"]) == rt && props(rid)["DestinationCidrBlock"] == "0.0.0.0/0" {
						return props(rid)
					}
				}
			}
		}
		return map[string]any{}
	}
	azs := map[string]bool{}
	var nat string
	for _, s := range subnets {
		id := ref(s)
		if typeOf(id) != "AWS::EC2::Subnet" {
			t.Errorf("VpcConfig subnet %v is not an AWS::EC2::Subnet", s)
			continue
		}
		azs[fmt.Sprint(props(id)["AvailabilityZone"])] = true
		nat = ref(routeOf(id)["NatGatewayId"])
		if typeOf(nat) != "AWS::EC2::NatGateway" {
			t.Errorf("subnet %s: default route does not go to a NAT gateway", id)
		}
	}
	if len(azs) != 2 {
		t.Errorf("the private subnets are in %d availability zones, want 2", len(azs))
	}
	eip := getAtt(props(nat)["AllocationId"])
	if eip == "" || typeOf(strings.TrimSuffix(eip, ".AllocationId")) != "AWS::EC2::EIP" {
		t.Errorf("NAT gateway %s: AllocationId %v is not an EIP's AllocationId", nat, props(nat)["AllocationId"])
	}
	eipID := strings.TrimSuffix(eip, ".AllocationId")
	if props(eipID)["Domain"] != "vpc" {
		t.Errorf("EIP %s: Domain = %v, want vpc", eipID, props(eipID)["Domain"])
	}
	public := ref(props(nat)["SubnetId"])
	if igw := ref(routeOf(public)["GatewayId"]); typeOf(igw) != "AWS::EC2::InternetGateway" {
		t.Errorf("NAT subnet %s: default route does not go to an internet gateway", public)
	}
	if ref(env["TENANTOPS_EXPECTED_EGRESS_IPS"]) != eipID {
		t.Errorf("TENANTOPS_EXPECTED_EGRESS_IPS = %v, want !Ref %s", env["TENANTOPS_EXPECTED_EGRESS_IPS"], eipID)
	}

	// Outputs.
	outs := mapAt(tpl, "Outputs")
	if ref(mapAt(outs, "EgressIp")["Value"]) != eipID {
		t.Errorf("Output EgressIp = %v, want !Ref %s", mapAt(outs, "EgressIp")["Value"], eipID)
	}
	if getAtt(mapAt(outs, "FunctionUrl")["Value"]) != fn+"Url.FunctionUrl" {
		t.Errorf("Output FunctionUrl = %v", mapAt(outs, "FunctionUrl")["Value"])
	}
	role := strings.TrimSuffix(getAtt(fp["Role"]), ".Arn")
	if getAtt(mapAt(outs, "FunctionRoleArn")["Value"]) != role+".Arn" {
		t.Errorf("Output FunctionRoleArn = %v, want the function role's Arn", mapAt(outs, "FunctionRoleArn")["Value"])
	}

	// IAM: VPC access, and GetWebIdentityToken limited to the audience parameter.
	rp := props(role)
	if !strings.Contains(fmt.Sprint(rp["ManagedPolicyArns"]), "AWSLambdaVPCAccessExecutionRole") {
		t.Errorf("role %s lacks AWSLambdaVPCAccessExecutionRole", role)
	}
	var federation bool
	pols, _ := rp["Policies"].([]any)
	for _, p := range pols {
		stmts, _ := mapAt(p.(map[string]any), "PolicyDocument")["Statement"].([]any)
		for _, s := range stmts {
			st, _ := s.(map[string]any)
			if st["Action"] != "sts:GetWebIdentityToken" || st["Effect"] != "Allow" {
				continue
			}
			federation = true
			cond := mapAt(st, "Condition", "ForAllValues:StringEquals")
			if ref(cond["sts:IdentityTokenAudience"]) != aud {
				t.Errorf("sts:GetWebIdentityToken is not restricted to the audience parameter %s: %v", aud, st["Condition"])
			}
		}
	}
	if !federation {
		t.Errorf("role %s has no Allow sts:GetWebIdentityToken statement", role)
	}
}

// The reference checker must be able to fail.
func TestCFNCheckerTable(t *testing.T) {
	const ok = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Name: {Type: String}
Conditions:
  HasName: !Not [!Equals [!Ref Name, '']]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
      Tags: [{Key: Name, Value: !If [HasName, !Sub '${Name}-${AWS::Region}', !Ref AWS::NoValue]}]
  Eip:
    Type: AWS::EC2::EIP
    DependsOn: Vpc
    Properties: {Domain: vpc}
Outputs:
  Ip: {Value: !GetAtt Eip.PublicIp}
  Sub: {Value: !Sub ['${X}-${!Literal}', {X: !Ref Vpc}]}
`
	tests := []struct {
		name, src, want string
	}{
		{"ok", ok, ""},
		{"unknown tag", strings.Replace(ok, "!GetAtt Eip.PublicIp", "!GetAttr Eip.PublicIp", 1), "unknown tag !GetAttr"},
		{"ref to nothing", strings.Replace(ok, "!Ref Vpc}", "!Ref Vcp}", 1), "Ref to unknown Vcp"},
		{"getatt of nothing", strings.Replace(ok, "!GetAtt Eip.PublicIp", "!GetAtt Ip.PublicIp", 1), "Fn::GetAtt of unknown resource Ip"},
		{"getatt without attribute", strings.Replace(ok, "!GetAtt Eip.PublicIp", "!GetAtt Eip", 1), "is not Resource.Attribute"},
		{"sub of nothing", strings.Replace(ok, "'${Name}-${AWS::Region}'", "'${Nmae}-${AWS::Region}'", 1), "unknown ${Nmae}"},
		{"if on unknown condition", strings.Replace(ok, "!If [HasName,", "!If [HasNoName,", 1), "unknown condition HasNoName"},
		{"unused parameter", strings.Replace(ok, "  Name: {Type: String}\n", "  Name: {Type: String}\n  Spare: {Type: String}\n", 1), "parameter Spare is never used"},
		{"unused condition", strings.Replace(ok, "Conditions:\n", "Conditions:\n  Never: !Equals [a, b]\n", 1), "condition Never is never used"},
		{"bad type", strings.Replace(ok, "AWS::EC2::EIP", "AWS::EC2::ElasticIP", 1), `unknown type "AWS::EC2::ElasticIP"`},
		{"bad DependsOn", strings.Replace(ok, "DependsOn: Vpc", "DependsOn: [Vpc, Igw]", 1), "DependsOn unknown resource Igw"},
		{"duplicate key", strings.Replace(ok, "    Properties: {Domain: vpc}\n", "    Properties: {Domain: vpc}\n    Properties: {Domain: vpc}\n", 1), "duplicate key Properties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := parseCFN([]byte(tc.src))
			var problems []string
			if err != nil {
				problems = []string{err.Error()}
			} else {
				problems = cfnProblems(tpl)
			}
			checkProblems(t, problems, tc.want)
		})
	}
}

func TestScheduleExpressions(t *testing.T) {
	tests := map[string]bool{
		"cron(0 3 * * ? *)":       true,
		"cron(0 3 ? * MON-FRI *)": true,
		"rate(1 day)":             true,
		"rate(12 hours)":          true,
		"cron(0 3 * * * *)":       false, // neither is ?
		"cron(0 3 ? * ? *)":       false, // both are ?
		"cron(0 0 3 * * *)":       false, // NCRONTAB, not EventBridge
		"cron(0 3 * *)":           false,
		"rate(0 days)":            false,
		"0 0 3 * * *":             false,
	}
	for expr, valid := range tests {
		if err := checkScheduleExpression(expr); (err == nil) != valid {
			t.Errorf("checkScheduleExpression(%q) = %v, want valid=%v", expr, err, valid)
		}
	}
}
