package devtenant

import (
	"net/http"
	"strings"
)

func groupRoutes() []*graphRoute {
	return []*graphRoute{
		route("GET", "groups", permGroupRead, "directory", 1, (*Tenant).listGroups),
		route("GET", "groups/{}", permGroupRead, "directory", 1, (*Tenant).getGroup),
		route("GET", "groups/{}/members", permGroupMembers, "directory", 3, groupMembersHandler(false, "")),
		route("GET", "groups/{}/transitiveMembers", permGroupMembers, "directory", 5, groupMembersHandler(true, "")),
		route("GET", "groups/{}/transitiveMembers/microsoft.graph.user", permGroupMembers, "directory", 5, groupMembersHandler(true, "user")),
		route("GET", "groups/{}/transitiveMembers/microsoft.graph.group", permGroupMembers, "directory", 5, groupMembersHandler(true, "group")),
		route("GET", "groups/{}/members/microsoft.graph.user", permGroupMembers, "directory", 3, groupMembersHandler(false, "user")),
	}
}

var groupDefaultProps = []string{"id", "createdDateTime", "description", "displayName", "groupTypes", "mail", "mailEnabled", "mailNickname", "securityEnabled", "visibility"}

var groupProps = propSet(append(groupDefaultProps, "deletedDateTime", "isAssignableToRole", "membershipRule", "securityIdentifier")...)

var groupFilterProps = propSet("id", "displayName", "mailNickname", "securityEnabled", "mailEnabled")

func (st *state) groupProp(g *Group, p string) any {
	switch p {
	case "id":
		return g.ID
	case "description":
		return nz(g.Description)
	case "displayName":
		return g.DisplayName
	case "groupTypes":
		return []string{}
	case "mail":
		if g.MailEnabled && len(st.domains) > 0 {
			return g.MailNickname + "@" + st.domains[0]
		}
		return nil
	case "mailEnabled":
		return g.MailEnabled
	case "mailNickname":
		return g.MailNickname
	case "securityEnabled":
		return g.SecurityEnabled
	case "isAssignableToRole":
		return false
	}
	return nil
}

func (st *state) groupJSON(g *Group, sel []string) jobj {
	props := sel
	if props == nil {
		props = groupDefaultProps
	}
	o := jobj{}
	hasID := false
	for _, p := range props {
		hasID = hasID || p == "id"
		o = append(o, kv{p, st.groupProp(g, p)})
	}
	if !hasID {
		o = append(o, kv{"id", g.ID})
	}
	return o
}

func (t *Tenant) getGroup(g *graphReq) {
	sel, ok := parseSelect(g, groupProps, "group")
	if !ok {
		return
	}
	t.mu.RLock()
	grp := t.st.groupsByID[strings.ToLower(g.params[0])]
	if grp == nil {
		t.mu.RUnlock()
		g.notFound(g.params[0])
		return
	}
	body := append(jobj{{"@odata.context", selectContext(g.base(), "groups", sel, true)}}, t.st.groupJSON(grp, sel)...)
	t.mu.RUnlock()
	g.json(http.StatusOK, body)
}

func (t *Tenant) listGroups(g *graphReq) {
	sel, ok := parseSelect(g, groupProps, "group")
	if !ok {
		return
	}
	top, ok := pageSize(g, 100, 999)
	if !ok {
		return
	}
	flt, err := parseFilter(g.q.Get("$filter"), groupFilterProps)
	if err != nil {
		g.badRequest(err.Error())
		return
	}
	start, ok := parseSkipToken(g, "groups")
	if !ok {
		return
	}
	t.mu.RLock()
	var page []jobj
	next := -1
	for i := start; i < len(t.st.groups); i++ {
		grp := t.st.groups[i]
		if flt != nil && !flt.match(func(p string) any { return t.st.groupProp(grp, p) }) {
			continue
		}
		if len(page) == top {
			next = i
			break
		}
		page = append(page, t.st.groupJSON(grp, sel))
	}
	t.mu.RUnlock()
	nl := ""
	if next >= 0 {
		nl = g.nextLink(skipToken("groups", next))
	}
	g.writeCollection(selectContext(g.base(), "groups", sel, false), nl, len(page), func(i int) any { return page[i] })
}

// memberIDs returns the (transitive) member object ids of a group in a stable
// breadth-first order without duplicates; nested groups are included.
func (st *state) memberIDs(grp *Group, transitive bool) []string {
	var out []string
	seen := map[string]bool{strings.ToLower(grp.ID): true}
	queue := []*Group{grp}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range cur.Members {
			k := strings.ToLower(m)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, m)
			if sub := st.groupsByID[k]; sub != nil && transitive {
				queue = append(queue, sub)
			}
		}
	}
	return out
}

// groupMembers lists members or transitiveMembers, optionally cast to users or groups.
func groupMembersHandler(transitive bool, cast string) func(*Tenant, *graphReq) {
	return func(t *Tenant, g *graphReq) {
		// $select may name user or group properties: accept the union.
		sel, ok := parseSelect(g, unionProps(userProps, groupProps), "directoryObject")
		if !ok {
			return
		}
		top, ok := pageSize(g, 100, 999)
		if !ok {
			return
		}
		start, ok := parseSkipToken(g, "members")
		if !ok {
			return
		}
		t.mu.RLock()
		grp := t.st.groupsByID[strings.ToLower(g.params[0])]
		if grp == nil {
			t.mu.RUnlock()
			g.notFound(g.params[0])
			return
		}
		ids := t.st.memberIDs(grp, transitive)
		var page []jobj
		next := -1
		for i := start; i < len(ids); i++ {
			k := strings.ToLower(ids[i])
			u, sub := t.st.usersByID[k], t.st.groupsByID[k]
			if (cast == "user" && u == nil) || (cast == "group" && sub == nil) || (u == nil && sub == nil) {
				continue
			}
			if len(page) == top {
				next = i
				break
			}
			switch {
			case u != nil:
				o := t.st.userJSON(u, filterProps(sel, userProps))
				if cast == "" {
					o = append(jobj{{"@odata.type", "#microsoft.graph.user"}}, o...)
				}
				page = append(page, o)
			default:
				o := t.st.groupJSON(sub, filterProps(sel, groupProps))
				if cast == "" {
					o = append(jobj{{"@odata.type", "#microsoft.graph.group"}}, o...)
				}
				page = append(page, o)
			}
		}
		t.mu.RUnlock()
		set := "directoryObjects"
		switch cast {
		case "user":
			set = "users"
		case "group":
			set = "groups"
		}
		nl := ""
		if next >= 0 {
			nl = g.nextLink(skipToken("members", next))
		}
		g.writeCollection(selectContext(g.base(), set, sel, false), nl, len(page), func(i int) any { return page[i] })
	}
}

func unionProps(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// filterProps keeps the selected properties that exist on a type; nil stays nil (defaults).
func filterProps(sel []string, props map[string]string) []string {
	if sel == nil {
		return nil
	}
	out := []string{}
	for _, s := range sel {
		if _, ok := props[strings.ToLower(s)]; ok {
			out = append(out, s)
		}
	}
	return out
}
