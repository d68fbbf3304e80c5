package testapp

// The route matrices: checks that walk the route table (api.Router.Routes) and call
// every route as every kind of caller, so a route is tested for tenant isolation and
// role enforcement by being registered. When a route takes a path parameter that
// NewTenant has no fixture for, the matrices report it: add the fixture there.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Tenant is a workspace with a signed-in member and an API token for every role, and
// one resource of every kind that routes take as a path parameter.
type Tenant struct {
	Admin     *Client
	ByRole    map[policies.Role]*Client // session clients, one per role
	Tokens    map[policies.Role]*Client // API-token clients, one per role
	Workspace tenants.Workspace
	// IDs maps a path parameter's name (without the colon) to this tenant's value for
	// it: "workspace" is the slug, "workspace_id" the id. A new route whose parameter
	// is missing here makes the matrices fail until a fixture is added in NewTenant.
	IDs map[string]string
}

// NewTenant builds a Tenant. Resources are created through the domain packages, never
// through the API, so the matrices do not depend on the routes they check.
func (ta *TestApp) NewTenant(name string) *Tenant {
	ta.T.Helper()
	ctx := ta.Ctx()
	admin := ta.NewWorkspace(name)
	ws := admin.Workspace
	t := &Tenant{
		Admin:     admin,
		Workspace: ws,
		ByRole:    map[policies.Role]*Client{policies.Admin: admin},
		Tokens:    map[policies.Role]*Client{},
	}
	var manager tenants.Membership
	for _, role := range []policies.Role{policies.Manager, policies.Agent, policies.Viewer} {
		c, m := ta.memberWithMembership(ws, role)
		t.ByRole[role] = c
		if role == policies.Manager {
			manager = m
		}
	}
	for _, role := range policies.Roles() {
		t.Tokens[role] = ta.Token(ws, role)
	}
	scope := tenants.Scope(ta.App.DB, ws.ID)
	inv, _, err := tenants.Invite(ctx, scope, ta.Unique("invitee")+"@example.test", policies.Agent, admin.User.ID, time.Hour)
	if err != nil {
		ta.T.Fatalf("testapp: tenant invitation: %v", err)
	}
	// A token of its own, so routes that revoke it do not cut off the token clients.
	tok, _, err := auth.CreateToken(ctx, scope, ta.Unique("fixture-token"), policies.Viewer, tenants.Membership{Role: policies.Admin}, 0)
	if err != nil {
		ta.T.Fatalf("testapp: tenant token: %v", err)
	}
	plan, err := tenants.PlanByID(ctx, ta.App.DB, ws.PlanID)
	if err != nil {
		ta.T.Fatalf("testapp: tenant plan: %v", err)
	}
	conn := ta.fixtureConnection(scope)
	conv, msg := ta.fixtureConversation(scope, conn)
	group, err := messaging.CreateGroup(ctx, scope, ta.Unique("fixture-group"))
	if err == nil {
		err = messaging.AddToGroup(ctx, scope, group.ID, []string{conv.ContactID})
	}
	if err != nil {
		ta.T.Fatalf("testapp: tenant contact group: %v", err)
	}
	file, err := media.Save(ctx, scope, media.Upload{Filename: "fixture.pdf", Body: strings.NewReader("%PDF-1.4 matrix fixture")}, time.Now())
	if err != nil {
		ta.T.Fatalf("testapp: tenant media file: %v", err)
	}
	shortcut, title, body := "fixture", "Fixture", "Hello {{first_name}}"
	canned, err := messaging.CreateCanned(ctx, scope, messaging.CannedDraft{Shortcut: &shortcut, Title: &title, Body: &body}, "")
	if err != nil {
		ta.T.Fatalf("testapp: tenant canned response: %v", err)
	}
	teamName := ta.Unique("fixture-team")
	team, err := messaging.SaveTeam(ctx, scope, messaging.Team{}, messaging.TeamDraft{Name: &teamName}, tenants.HoldsTickets)
	if err != nil {
		ta.T.Fatalf("testapp: tenant team: %v", err)
	}
	t.IDs = map[string]string{
		"workspace":    ws.Slug,
		"workspace_id": ws.ID,
		"member":       manager.ID, // the manager's membership: never the last admin
		"invitation":   inv.ID,
		"token":        tok.ID, // an API token id (workspace routes' :token)
		"id":           ws.ID,  // operator routes: /operator/workspaces/:id
		"code":         plan.Code,
		"connection":   conn.ID,
		"plugin":       conn.PluginID,  // operator routes: /operator/plugins/:plugin
		"conversation": conv.ID,        // a Team Inbox ticket on the connection
		"message":      msg.ID,         // an outbound message of that ticket
		"contact":      conv.ContactID, // the ticket's customer
		"group":        group.ID,       // a contact group with that customer in it
		"file":         file.ID,        // an uploaded media file
		"canned":       canned.ID,      // a canned response
		"team":         team.ID,        // a Team Inbox team
	}
	return t
}

// fixtureConnection stores a connection the way connections.Service.Create does, minus
// the plugin's validation. Its plugin is in MatrixPlugins, which the matrix tests give
// their apps; other test apps have no channel plugins unless given some.
func (ta *TestApp) fixtureConnection(scope tenants.Scoped) connections.Connection {
	ta.T.Helper()
	now := time.Now().UTC()
	c := connections.Connection{
		ID: storage.NewID(), PublicID: tenants.NewToken("wh_"), PluginID: "matrix", Kind: "test", Engine: "test",
		DisplayName: "Matrix fixture", Address: ta.Unique("address"), ConfigPublic: map[string]any{},
		Status: connections.StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	sealed, err := ta.App.Box.Seal([]byte("{}"), []byte(c.ID))
	if err != nil {
		ta.T.Fatalf("testapp: seal connection config: %v", err)
	}
	c.ConfigSealed = sealed
	if _, err := scope.Insert(&c).Exec(ta.Ctx()); err != nil {
		ta.T.Fatalf("testapp: tenant connection: %v", err)
	}
	return c
}

// fixtureConversation opens a Team Inbox ticket with a new contact on conn and stores
// one outbound message in it, through the messaging package.
func (ta *TestApp) fixtureConversation(scope tenants.Scoped, conn connections.Connection) (messaging.Conversation, messaging.Message) {
	ta.T.Helper()
	ctx := ta.Ctx()
	contact, err := messaging.ContactByAddress(ctx, scope, conn.Kind, fmt.Sprintf("+4420%08d", ta.seq.Add(1)), "Matrix Contact")
	if err != nil {
		ta.T.Fatalf("testapp: tenant contact: %v", err)
	}
	conv, err := messaging.NewConversation(ctx, scope, messaging.KindTicket, conn.ID, contact, "")
	if err != nil {
		ta.T.Fatalf("testapp: tenant conversation: %v", err)
	}
	msg := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionOut,
		Type: "text", Body: "Matrix fixture message", Status: messaging.StatusSent}
	if err := messaging.Insert(ctx, scope, &msg, "api"); err != nil {
		ta.T.Fatalf("testapp: tenant message: %v", err)
	}
	return conv, msg
}

// memberWithMembership is Member that also returns the membership row.
func (ta *TestApp) memberWithMembership(ws tenants.Workspace, role policies.Role) (*Client, tenants.Membership) {
	ta.T.Helper()
	u := ta.NewUser(string(role))
	m, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID), u.ID, role)
	if err != nil {
		ta.T.Fatalf("testapp: member: %v", err)
	}
	c := ta.SessionFor(u)
	c.Role, c.Workspace = role, ws
	return c, m
}

// Violation is one thing a matrix found wrong with a route.
type Violation struct {
	Route  api.Route
	Who    string // the caller, or what was checked
	Detail string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s [%s]: %s", v.Route.Method, v.Route.Path, v.Who, v.Detail)
}

// Coverage says what a matrix exercised, so a test can insist it checked something.
type Coverage struct {
	Routes   []api.Route // routes the matrix called, in table order
	Requests int         // requests sent
}

// Workspace counts the workspace routes covered.
func (c Coverage) Workspace() int {
	n := 0
	for _, r := range c.Routes {
		if r.Access == api.InWorkspace {
			n++
		}
	}
	return n
}

// RequestBody is the JSON body the matrices send to a route: nil when the route
// declares no Request type; otherwise an object built from the Request type with every
// required-looking field filled (fields that are neither pointers nor omitempty):
// strings take the first value of their `enum` tag, or "x@example.test" when the JSON
// name is or ends in "email", or "x"; numbers and booleans stay zero; nested structs
// are filled the same way; json.RawMessage is {}. Optional fields are left out. For the current request types
// that is a valid body, so a handler gets past decoding and validation to its lookup.
func RequestBody(rt api.Route) any {
	if rt.Request == nil {
		return nil
	}
	t := reflect.TypeOf(rt.Request)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return map[string]any{}
	}
	return structBody(t)
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

func structBody(t reflect.Type) map[string]any {
	out := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range structBody(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Type.Kind() == reflect.Pointer || strings.Contains(","+opts+",", ",omitempty,") {
			continue
		}
		if v, ok := fieldValue(name, f); ok {
			out[name] = v
		}
	}
	return out
}

func fieldValue(name string, f reflect.StructField) (any, bool) {
	if f.Type == rawType {
		return map[string]any{}, true // free-form JSON: an empty object
	}
	switch f.Type.Kind() {
	case reflect.String:
		if enum := f.Tag.Get("enum"); enum != "" {
			first, _, _ := strings.Cut(enum, ",")
			return first, true
		}
		if strings.HasSuffix(strings.ToLower(name), "email") {
			return "x@example.test", true
		}
		return "x", true
	case reflect.Bool:
		return false, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return 0, true
	case reflect.Slice, reflect.Array:
		return []any{}, true
	case reflect.Map:
		return map[string]any{}, true
	case reflect.Struct:
		if f.Type == timeType {
			return time.Now().UTC().Format(time.RFC3339), true
		}
		return structBody(f.Type), true
	}
	return nil, false
}

// fill substitutes the route's path parameters: override first, then ids. It returns
// the names no value was found for.
func fill(path string, ids, override map[string]string) (string, []string) {
	segs := strings.Split(path, "/")
	var missing []string
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		name := strings.TrimSuffix(s[1:], "?")
		v, ok := override[name]
		if !ok {
			v, ok = ids[name]
		}
		if !ok || v == "" {
			missing = append(missing, name)
			continue
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/"), missing
}

func missingFixture(rt api.Route, names []string) Violation {
	return Violation{Route: rt, Who: "fixture", Detail: fmt.Sprintf(
		"no fixture for path parameter(s) %s: add one to testapp.NewTenant in platform/testapp/matrix.go "+
			"(create the resource through its domain package and set IDs[name] to its id), so the route matrices can call this route",
		strings.Join(names, ", "))}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// matrix collects violations and coverage while calling routes.
type matrix struct {
	ta       *TestApp
	vs       []Violation
	cov      Coverage
	included map[string]bool
}

func (m *matrix) add(rt api.Route, who, format string, args ...any) {
	m.vs = append(m.vs, Violation{Route: rt, Who: who, Detail: fmt.Sprintf(format, args...)})
}

func (m *matrix) call(c *Client, rt api.Route, path string) *Response {
	m.ta.T.Helper()
	m.cov.Requests++
	key := rt.Method + " " + rt.Path
	if !m.included[key] {
		m.included[key] = true
		m.cov.Routes = append(m.cov.Routes, rt)
	}
	return c.Do(rt.Method, path, RequestBody(rt))
}

func errorCode(r *Response) string {
	var b api.ErrorBody
	if json.Unmarshal(r.Body, &b) != nil {
		return ""
	}
	return b.Error.Code
}

func short(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

func randomSlug() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "missing-" + hex.EncodeToString(b)
}

// ---------------------------------------------------------------- cross-tenant

// CheckCrossTenant calls every workspace route (and every signed-in route taking an id
// that workspace routes treat as workspace-owned) as tenant B's admin, the most
// privileged caller, so that only scoping stands between B and A's data:
//
//	(i)   A's workspace slug with A's resource ids;
//	(ii)  A's workspace id instead of its slug;
//	(iii) B's own workspace with A's resource id, one resource parameter at a time;
//	(iv)  (i) and (ii) again with an API token of B's with the admin role (and (iii)
//	      with that token too).
//
// Each must answer 404 with a body byte-for-byte equal to the same request with a
// random nonexistent slug or id in the same place: the caller learns nothing about A.
// Unsafe methods carry RequestBody, valid for the known request types, so a handler
// reaches its lookup. Afterwards, every GET workspace route read as A's admin must
// answer exactly as before: nothing of A's was changed.
func CheckCrossTenant(ta *TestApp, routes []api.Route, a, b *Tenant) ([]Violation, Coverage) {
	ta.T.Helper()
	m := &matrix{ta: ta, included: map[string]bool{}}
	owned := resourceParams(routes)
	before := snapshot(ta, routes, a)
	bSession, bToken := b.Admin, b.Tokens[policies.Admin]
	callers := []struct {
		who string
		c   *Client
	}{{"B admin session", bSession}, {"B admin token", bToken}}

	for _, rt := range routes {
		params := rt.Params()
		var resources []string
		for _, p := range params {
			if p != "workspace" && (rt.Access == api.InWorkspace || owned[p]) {
				resources = append(resources, p)
			}
		}
		switch {
		case rt.Access == api.InWorkspace:
		case rt.Access == api.Authenticated && len(resources) > 0:
		default:
			// Public routes have no caller to isolate; operator routes are
			// cross-workspace by design and closed to workspace roles (CheckRoles).
			continue
		}
		if _, miss := fill(rt.Path, a.IDs, nil); len(miss) > 0 {
			m.vs = append(m.vs, missingFixture(rt, miss))
			continue
		}
		if _, miss := fill(rt.Path, b.IDs, nil); len(miss) > 0 {
			m.vs = append(m.vs, missingFixture(rt, miss))
			continue
		}
		if rt.Access == api.InWorkspace {
			for _, cl := range callers {
				// (i) / (iv): A's slug vs a slug no workspace has.
				got, _ := fill(rt.Path, a.IDs, nil)
				base, _ := fill(rt.Path, a.IDs, map[string]string{"workspace": randomSlug()})
				m.same404(rt, cl.who+", A's workspace slug", cl.c, got, base, false)
				// (ii) / (iv): A's workspace id vs an id no workspace has.
				got, _ = fill(rt.Path, a.IDs, map[string]string{"workspace": a.Workspace.ID})
				base, _ = fill(rt.Path, a.IDs, map[string]string{"workspace": storage.NewID()})
				m.same404(rt, cl.who+", A's workspace id", cl.c, got, base, false)
			}
		}
		// (iii): B's own workspace and ids, with one of A's resource ids.
		for _, p := range resources {
			for _, cl := range callers {
				got, _ := fill(rt.Path, b.IDs, map[string]string{p: a.IDs[p]})
				base, _ := fill(rt.Path, b.IDs, map[string]string{p: storage.NewID()})
				m.same404(rt, fmt.Sprintf("%s, B's workspace with A's :%s", cl.who, p), cl.c, got, base, true)
			}
		}
	}

	after := snapshot(ta, routes, a)
	for _, s := range before {
		now := after[s.path]
		if now.status != s.status || !bytes.Equal(now.body, s.body) {
			m.add(s.route, "tenant A's data",
				"changed while B probed it: GET %s as A's admin answered %d %s before and %d %s after",
				s.path, s.status, short(s.body), now.status, short(now.body))
		}
	}
	return m.vs, m.cov
}

// same404 requires path to answer 404 exactly like baseline, the same request with a
// nonexistent slug or id in its place. inB says the request targets the caller's own
// workspace, so it must get past the guards to the handler's lookup.
func (m *matrix) same404(rt api.Route, who string, c *Client, path, baseline string, inB bool) {
	m.ta.T.Helper()
	got := m.call(c, rt, path)
	base := m.call(c, rt, baseline)
	if got.Status != http.StatusNotFound {
		hint := ""
		if inB && got.Status == base.Status && got.Status < 300 {
			hint = " (a nonexistent id answers the same: the handler does not look the id up in this workspace)"
		} else if inB && got.Status == base.Status {
			hint = " (a nonexistent id answers the same: the request did not reach the lookup; " +
				"make testapp.RequestBody produce a valid body for this route's Request type)"
		}
		m.add(rt, who, "%s answered %d, want 404%s; body: %s", path, got.Status, hint, short(got.Body))
		return
	}
	if base.Status != got.Status || !bytes.Equal(got.Body, base.Body) {
		m.add(rt, who, "another tenant's id must look exactly like a nonexistent one: %s answered %d %s, %s answered %d %s",
			path, got.Status, short(got.Body), baseline, base.Status, short(base.Body))
	}
}

// resourceParams are the parameters workspace routes take besides :workspace: ids of
// workspace-owned resources.
func resourceParams(routes []api.Route) map[string]bool {
	out := map[string]bool{}
	for _, rt := range routes {
		if rt.Access != api.InWorkspace {
			continue
		}
		for _, p := range rt.Params() {
			if p != "workspace" {
				out[p] = true
			}
		}
	}
	return out
}

type snap struct {
	route  api.Route
	path   string
	status int
	body   []byte
}

// snapshot reads every GET workspace route as t's admin.
func snapshot(ta *TestApp, routes []api.Route, t *Tenant) map[string]snap {
	ta.T.Helper()
	out := map[string]snap{}
	for _, rt := range routes {
		if rt.Access != api.InWorkspace || rt.Method != http.MethodGet {
			continue
		}
		path, miss := fill(rt.Path, t.IDs, nil)
		if len(miss) > 0 {
			continue // reported by the matrix
		}
		r := t.Admin.Do(http.MethodGet, path, nil)
		out[path] = snap{route: rt, path: path, status: r.Status, body: r.Body}
	}
	return out
}

// ---------------------------------------------------------------- roles

// CheckRoles calls every non-public route as every role, both signed in and with an
// API token of that role:
//
//   - workspace routes: when e grants the route's permission to the role, the answer
//     must be neither 401 nor 403 (nor a 5xx); when it does not, exactly 403 with
//     error code "forbidden". Anonymous callers get 401.
//   - operator routes: 403 "forbidden" for every workspace role, 401 anonymous.
//   - signed-in routes: 401 anonymous.
//
// Reads run against t. Unsafe workspace routes run against fresh tenants: one for the
// denied calls of each route and one per allowed call, so a delete or a role change
// cannot break the next call. It also runs CheckRegistered.
func CheckRoles(ta *TestApp, routes []api.Route, t *Tenant, e *policies.Enforcer) ([]Violation, Coverage) {
	ta.T.Helper()
	m := &matrix{ta: ta, included: map[string]bool{}}
	m.vs = append(m.vs, CheckRegistered(ta, routes)...)
	anon := ta.Anonymous()

	type caller struct {
		who string
		c   func(*Tenant) *Client
		r   policies.Role
	}
	var callers []caller
	for _, role := range policies.Roles() {
		role := role
		callers = append(callers,
			caller{string(role) + " session", func(t *Tenant) *Client { return t.ByRole[role] }, role},
			caller{string(role) + " token", func(t *Tenant) *Client { return t.Tokens[role] }, role})
	}

	for _, rt := range routes {
		if rt.Access == api.Public {
			continue
		}
		path, miss := fill(rt.Path, t.IDs, nil)
		if len(miss) > 0 {
			m.vs = append(m.vs, missingFixture(rt, miss))
			continue
		}
		if r := m.call(anon, rt, path); r.Status != http.StatusUnauthorized {
			m.add(rt, "anonymous", "answered %d, want 401; body: %s", r.Status, short(r.Body))
		}
		switch rt.Access {
		case api.Operator:
			for _, cl := range callers {
				m.expectForbidden(rt, cl.who, cl.c(t), path)
			}
		case api.InWorkspace:
			var deny *Tenant // shared by the denied calls of an unsafe route
			for _, cl := range callers {
				target := t
				allowed := e.Allowed(t.Workspace.ID, cl.r, rt.Permission)
				if unsafeMethod(rt.Method) {
					switch {
					case allowed:
						target = ta.NewTenant("roles")
					case deny == nil:
						deny = ta.NewTenant("roles")
						target = deny
					default:
						target = deny
					}
					allowed = e.Allowed(target.Workspace.ID, cl.r, rt.Permission)
				}
				p, _ := fill(rt.Path, target.IDs, nil)
				if allowed {
					r := m.call(cl.c(target), rt, p)
					if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status >= 500 {
						m.add(rt, cl.who, "the policy grants %s to %s, but %s answered %d (code %q); body: %s",
							rt.Permission, cl.r, p, r.Status, errorCode(r), short(r.Body))
					}
				} else {
					m.expectForbidden(rt, cl.who, cl.c(target), p)
				}
			}
		}
	}
	return m.vs, m.cov
}

func (m *matrix) expectForbidden(rt api.Route, who string, c *Client, path string) {
	m.ta.T.Helper()
	r := m.call(c, rt, path)
	if r.Status != http.StatusForbidden || errorCode(r) != "forbidden" {
		why := "the policy does not grant " + string(rt.Permission) + " to this role"
		if rt.Access == api.Operator {
			why = "operator route"
		}
		m.add(rt, who, "%s: %s answered %d (code %q), want 403 \"forbidden\"; body: %s",
			why, path, r.Status, errorCode(r), short(r.Body))
	}
}

// CheckRegistered reports fiber routes under /api that did not come from the route
// table: a handler registered on the fiber app directly gets none of the guards and is
// invisible to the matrices. Fiber's automatic HEAD twin of a GET is ignored.
func CheckRegistered(ta *TestApp, routes []api.Route) []Violation {
	want := map[string]int{}
	for _, rt := range routes {
		want[rt.Method+" "+rt.Path]++
	}
	got := map[string]int{}
	for _, fr := range ta.Server.App().GetRoutes(true) {
		if fr.Path == "/api" || strings.HasPrefix(fr.Path, "/api/") {
			got[fr.Method+" "+fr.Path]++
		}
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var vs []Violation
	for _, k := range keys {
		method, path, _ := strings.Cut(k, " ")
		if method == http.MethodHead && want[k] == 0 && got[http.MethodGet+" "+path] > 0 {
			continue
		}
		if n := got[k]; n > want[k] {
			vs = append(vs, Violation{Route: api.Route{Method: method, Path: path}, Who: "route table",
				Detail: fmt.Sprintf("registered on the fiber app %d time(s) but %d time(s) in the route table: register routes with api.Router.Add "+
					"(an Area's Register), never on the fiber app directly, so they get their guards and are documented and tested", n, want[k])})
		}
	}
	return vs
}

// MatrixPlugins is a registry holding the channel plugin of the fixture connection,
// for apps whose routes the matrices call: a route that asks the connection's plugin
// something gets the plugin's answer, not "not installed".
var MatrixPlugins = connections.StaticPlugins{"matrix": fixtureChannel{}}

// fixtureChannel describes itself and refuses everything else as a provider would
// refuse a request it cannot serve.
type fixtureChannel struct{}

func (fixtureChannel) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{ID: "matrix", Version: "0.0.0", Kind: "test", Engines: []string{"test"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`)}, nil
}

func (fixtureChannel) ValidateConfig(context.Context, string, json.RawMessage) ([]sdk.FieldError, error) {
	return nil, nil
}

func (fixtureChannel) Send(context.Context, sdk.Connection, sdk.OutboundMessage) (sdk.SendResult, error) {
	return sdk.SendResult{}, errRefused
}

func (fixtureChannel) HandleWebhook(context.Context, sdk.Connection, sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	return sdk.WebhookResponse{Status: http.StatusUnauthorized}, nil, nil
}

func (fixtureChannel) OpenSession(context.Context, sdk.Connection) error { return errRefused }

func (fixtureChannel) CloseSession(context.Context, string) error { return errRefused }

func (fixtureChannel) Events(ctx context.Context, _ func(sdk.Event) error) error {
	<-ctx.Done()
	return nil
}

func (fixtureChannel) Action(context.Context, sdk.Connection, string, json.RawMessage) (json.RawMessage, error) {
	return nil, errRefused
}

var errRefused = sdk.Errorf(sdk.Permanent, "fixture", "the matrix fixture channel sends nothing")
