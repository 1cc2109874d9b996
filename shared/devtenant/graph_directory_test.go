package devtenant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantops/tenantops/shared/devtenant"
)

func TestUsersPageIterator(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()
	top := int32(7)
	first, err := client.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName", "accountEnabled"}},
	})
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	if nl := first.GetOdataNextLink(); nl == nil || !strings.HasPrefix(*nl, "https://graph.microsoft.com/v1.0/users?") || !strings.Contains(*nl, "$skiptoken=") {
		t.Fatalf("nextLink = %v", nl)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](first, client.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("NewPageIterator: %v", err)
	}
	seen := map[string]bool{}
	err = it.Iterate(ctx, func(u models.Userable) bool {
		if u.GetDisplayName() != nil {
			t.Errorf("$select not kept on later pages: %v", *u.GetDisplayName())
		}
		seen[*u.GetUserPrincipalName()] = true
		return true
	})
	if err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	if len(seen) != dt.UserCount() {
		t.Errorf("iterated %d users, tenant has %d", len(seen), dt.UserCount())
	}
	if !seen["partner_fabrikam.com#EXT#@contoso.onmicrosoft.com"] || !seen["breakglass02@contoso.com"] {
		t.Errorf("missing stable names")
	}
}

func TestUsersFilterSelect(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	tests := []struct {
		filter string
		want   int
	}{
		{"userType eq 'Guest'", 1},
		{"accountEnabled eq false", 3},
		{"startswith(userPrincipalName,'breakglass')", 2},
		{"userPrincipalName eq 'ADELE.VANCE@contoso.com'", 1},
		{"startswith(displayName,'Break') and accountEnabled eq true", 2},
		{"userPrincipalName eq 'alex.wilber@contoso.com' or userPrincipalName eq 'megan.bowen@contoso.com'", 2},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			u := "https://graph.microsoft.com/v1.0/users?$select=id,userPrincipalName&$filter=" + url.QueryEscape(tc.filter)
			m := c.json("GET", u, tok, "", 200)
			vals, _ := m["value"].([]any)
			if len(vals) != tc.want {
				t.Errorf("got %d users, want %d: %v", len(vals), tc.want, m)
			}
			if m["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)" {
				t.Errorf("context = %v", m["@odata.context"])
			}
			for _, v := range vals {
				if len(v.(map[string]any)) != 2 {
					t.Errorf("$select ignored: %v", v)
				}
			}
		})
	}
	// $count (advanced query).
	resp, b := c.do("GET", "https://graph.microsoft.com/v1.0/users?$count=true&$top=1&$filter="+url.QueryEscape("userType eq 'Guest'"), tok, "", "ConsistencyLevel", "eventual")
	if !strings.Contains(string(b), `"@odata.count":1`) {
		t.Errorf("$count: %d %s", resp.StatusCode, b)
	}
	if resp, _ := c.do("GET", "https://graph.microsoft.com/v1.0/users?$count=true", tok, ""); resp.StatusCode != 400 {
		t.Errorf("$count without ConsistencyLevel: %d", resp.StatusCode)
	}
	if _, b := c.do("GET", "https://graph.microsoft.com/v1.0/users/$count", tok, "", "ConsistencyLevel", "eventual"); string(b) != fmt.Sprint(dt.UserCount()) {
		t.Errorf("/users/$count = %s", b)
	}
	for _, bad := range []string{"$filter=" + url.QueryEscape("city eq 'x'"), "$top=1000", "$select=nosuchprop", "$skiptoken=garbage"} {
		resp, b := c.do("GET", "https://graph.microsoft.com/v1.0/users?"+bad, tok, "")
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, b)
		}
	}
}

func TestGroupTransitiveMembers(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	ops := devtenant.StableID("group", "Operations")
	m := c.json("GET", "https://graph.microsoft.com/v1.0/groups/"+ops, tok, "", 200)
	if m["displayName"] != "Operations" {
		t.Fatalf("group: %v", m)
	}
	m = c.json("GET", "https://graph.microsoft.com/v1.0/groups/"+ops+"/transitiveMembers?$select=id,userPrincipalName,displayName", tok, "", 200)
	got := map[string]string{}
	for _, v := range m["value"].([]any) {
		o := v.(map[string]any)
		name, _ := o["userPrincipalName"].(string)
		if name == "" {
			name, _ = o["displayName"].(string)
		}
		got[name] = o["@odata.type"].(string)
	}
	want := map[string]string{
		"adele.vance@contoso.com": "#microsoft.graph.user", devtenant.SvcSharePointUPN: "#microsoft.graph.user",
		"Ops Engineers": "#microsoft.graph.group", "alex.wilber@contoso.com": "#microsoft.graph.user",
		"megan.bowen@contoso.com": "#microsoft.graph.user", "grady.archie@contoso.com": "#microsoft.graph.user",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transitive members = %v, want %v", got, want)
	}
	m = c.json("GET", "https://graph.microsoft.com/v1.0/groups/"+ops+"/members", tok, "", 200)
	if n := len(m["value"].([]any)); n != 3 {
		t.Errorf("direct members = %d", n)
	}
	m = c.json("GET", "https://graph.microsoft.com/v1.0/groups/"+ops+"/transitiveMembers/microsoft.graph.user?$top=2", tok, "", 200)
	if n := len(m["value"].([]any)); n != 2 || m["@odata.nextLink"] == nil {
		t.Errorf("cast+paging: %v", m)
	}
	resp, _ := c.do("GET", "https://graph.microsoft.com/v1.0/groups/"+devtenant.StableID("group", "nope")+"/transitiveMembers", tok, "")
	if resp.StatusCode != 404 {
		t.Errorf("unknown group: %d", resp.StatusCode)
	}
}

func TestBatchSDK(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()
	batch := msgraphcore.NewBatchRequestCollection(client.GetAdapter())
	upns := []string{"alex.wilber@contoso.com", "megan.bowen@contoso.com", "nobody@contoso.com"}
	ids := map[string]string{}
	for _, upn := range upns {
		ri, err := client.Users().ByUserId(upn).RevokeSignInSessions().ToPostRequestInformation(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		item, err := batch.AddBatchRequestStep(*ri)
		if err != nil {
			t.Fatal(err)
		}
		ids[upn] = *item.GetId()
	}
	gi, _ := client.Users().ByUserId("adele.vance@contoso.com").ToGetRequestInformation(ctx, nil)
	getItem, _ := batch.AddBatchRequestStep(*gi)
	resp, err := batch.Send(ctx, client.GetAdapter())
	if err != nil {
		t.Fatalf("batch send: %v", err)
	}
	codes := resp.GetStatusCodes()
	if codes[ids[upns[0]]] != 200 || codes[ids[upns[1]]] != 200 || codes[ids[upns[2]]] != 404 {
		t.Errorf("status codes = %v", codes)
	}
	if failed := resp.GetFailedResponses(); len(failed) != 1 {
		t.Errorf("failed = %v", failed)
	}
	u, err := msgraphcore.GetBatchResponseById[models.Userable](resp, *getItem.GetId(), models.CreateUserFromDiscriminatorValue)
	if err != nil || *u.GetUserPrincipalName() != "adele.vance@contoso.com" {
		t.Errorf("get in batch: %v %v", u, err)
	}
	if n := dt.Count("POST /v1.0/users/*/revokeSignInSessions"); n != 3 {
		t.Errorf("batch items logged: %d, want 3", n)
	}
	for _, upn := range upns[:2] {
		if s, _ := dt.User(upn); s.RevokeCount != 1 {
			t.Errorf("%s revoke count %d", upn, s.RevokeCount)
		}
	}
}

func TestBatchRaw(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	c := newRaw(t, dt)
	tok := c.adminGraph()
	type item = map[string]any
	send := func(reqs []item) (*http.Response, map[string]any) {
		b, _ := json.Marshal(map[string]any{"requests": reqs})
		resp, body := c.do("POST", "https://graph.microsoft.com/v1.0/$batch", tok, string(b))
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return resp, m
	}
	// More than 20 → 400 for the whole batch.
	var many []item
	for i := range 21 {
		many = append(many, item{"id": fmt.Sprint(i), "method": "GET", "url": "/users/adele.vance@contoso.com"})
	}
	if resp, m := send(many); resp.StatusCode != 400 {
		t.Errorf("21 requests: %d %v", resp.StatusCode, m)
	}
	// dependsOn: 2 depends on failing 1 → 424; 3 depends on 2 → 424; 4 ok (url without leading slash).
	resp, m := send([]item{
		{"id": "1", "method": "GET", "url": "/users/nobody@contoso.com"},
		{"id": "2", "method": "POST", "url": "/users/alex.wilber@contoso.com/revokeSignInSessions", "dependsOn": []string{"1"}},
		{"id": "3", "method": "GET", "url": "/users/alex.wilber@contoso.com", "dependsOn": []string{"2"}},
		{"id": "4", "method": "GET", "url": "users?$top=1&$select=id", "headers": map[string]string{"ConsistencyLevel": "eventual"}},
		{"id": "5", "method": "PATCH", "url": "/users/alex.wilber@contoso.com", "body": map[string]any{"jobTitle": "Lead"},
			"headers": map[string]string{"Content-Type": "application/json"}},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("batch: %d %v", resp.StatusCode, m)
	}
	status := map[string]float64{}
	for _, r := range m["responses"].([]any) {
		o := r.(map[string]any)
		status[o["id"].(string)] = o["status"].(float64)
	}
	want := map[string]float64{"1": 404, "2": 424, "3": 424, "4": 200, "5": 204}
	if fmt.Sprint(status) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, want %v", status, want)
	}
	if s, _ := dt.User("alex.wilber@contoso.com"); s.RevokeCount != 0 {
		t.Errorf("dependent request ran")
	}
	// Per-item 429 with Retry-After inside the item, outer 200.
	lim := devtenant.DefaultThrottleLimits(100)
	lim.DirectoryRU = 2
	dt.SetThrottleLimits(lim)
	var three []item
	for i := range 3 {
		three = append(three, item{"id": fmt.Sprint(i), "method": "GET", "url": "/users/adele.vance@contoso.com"})
	}
	resp, m = send(three)
	if resp.StatusCode != 200 {
		t.Fatalf("throttled batch outer status %d", resp.StatusCode)
	}
	last := m["responses"].([]any)[2].(map[string]any)
	hdrs := last["headers"].(map[string]any)
	if last["status"].(float64) != 429 || hdrs["Retry-After"] == nil || hdrs["x-ms-throttle-scope"] == nil {
		t.Errorf("third item: %v", last)
	}
	body, _ := json.Marshal(last["body"])
	if !strings.Contains(string(body), `"TooManyRequests"`) {
		t.Errorf("429 item body %s", body)
	}
}

// TestBatchItemErrorsTyped checks batch items map to ODataError when registered.
func TestBatchItemErrorsTyped(t *testing.T) {
	dt := startTenant(t, devtenant.Options{})
	tr := routed(t, dt)
	client := graphClient(t, tr, secretCred(t, tr, devtenant.AdminClientID, devtenant.AdminClientSecret))
	ctx := context.Background()
	batch := msgraphcore.NewBatchRequestCollection(client.GetAdapter())
	ri, _ := client.Users().ByUserId("nobody@contoso.com").ToGetRequestInformation(ctx, nil)
	item, _ := batch.AddBatchRequestStep(*ri)
	resp, err := batch.Send(ctx, client.GetAdapter())
	if err != nil {
		t.Fatal(err)
	}
	if st := resp.GetResponseById(*item.GetId()).GetStatus(); st == nil || *st != 404 {
		t.Errorf("status = %v", st)
	}
	_, err = msgraphcore.GetBatchResponseById[models.Userable](resp, *item.GetId(), models.CreateUserFromDiscriminatorValue)
	if _, code := odataCode(err); code != "Request_ResourceNotFound" {
		t.Errorf("batch item error = %T %v, want ODataError Request_ResourceNotFound", err, err)
	}
}
