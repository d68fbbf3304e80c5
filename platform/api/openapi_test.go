package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

type oatRole string

type oatStamp struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

type oatThing struct {
	bun.BaseModel `bun:"table:things,alias:t"`
	oatStamp

	Name   string            `json:"name" doc:"display name"`
	Role   oatRole           `json:"role" enum:"admin,viewer"`
	Note   *string           `json:"note"`
	Labels map[string]string `json:"labels,omitempty"`
	Secret string            `json:"-"`
	//lint:ignore U1000 present so the test shows the generator skips unexported fields
	hidden   string
	Parent   *oatThing       `json:"parent,omitempty"`
	Children []oatThing      `json:"children"`
	Extra    json.RawMessage `json:"extra,omitempty"`
	TTL      time.Duration   `json:"ttl"`
	Owner    policies.Role   `json:"owner"`
}

type oatPage[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

type oatCreate struct {
	Name string  `json:"name"`
	Role oatRole `json:"role,omitempty" enum:"admin,viewer"`
}

type oatQuery struct {
	Limit   int    `query:"limit" doc:"items per page"`
	State   string `query:"state" enum:"open,closed"`
	Ignored string
}

const oatThings = WorkspacePrefix + "/things"

func oatRoutes() []Route {
	// A local type named like tenants.Workspace: both must get distinct names.
	type Workspace struct {
		Slug string `json:"slug"`
	}
	return []Route{
		{Method: http.MethodGet, Path: oatThings + "/:thing", Access: InWorkspace, Permission: policies.WorkspaceRead,
			Summary: "Get a thing", Tag: "things", Response: oatThing{}},
		{Method: http.MethodGet, Path: oatThings, Access: InWorkspace, Permission: policies.WorkspaceRead,
			Summary: "List things", Tag: "things", Query: oatQuery{}, Response: oatPage[oatThing]{}},
		{Method: http.MethodPost, Path: oatThings, Access: InWorkspace, Permission: policies.WorkspaceManage,
			Summary: "Create a thing", Tag: "things", Request: oatCreate{}, Response: oatThing{}, Status: http.StatusCreated},
		{Method: http.MethodDelete, Path: oatThings + "/:thing", Access: InWorkspace, Permission: policies.WorkspaceManage,
			Summary: "Delete a thing", Tag: "things", Status: http.StatusNoContent},
		{Method: http.MethodGet, Path: WorkspacePrefix + "/members", Access: InWorkspace, Permission: policies.MembersRead,
			Summary: "Members", Tag: "members", Query: PageQuery{}, Response: List[tenants.Member]{}},
		{Method: http.MethodPost, Path: "/api/v1/auth/login", Access: Public, Summary: "Log in", Tag: "auth",
			Request: oatCreate{}, Response: map[string]string{}},
		{Method: http.MethodGet, Path: "/api/v1/workspaces", Access: Authenticated, Summary: "My workspaces",
			Tag: "workspaces", Response: []tenants.Workspace{}},
		{Method: http.MethodGet, Path: "/api/v1/operator/workspaces", Access: Operator, Summary: "All workspaces",
			Tag: "operator", Response: []Workspace{}},
		{Method: http.MethodGet, Path: "/healthz", Summary: "Liveness", Tag: "system", Response: map[string]string{}},
		{Method: http.MethodPost, Path: "/webhooks/:provider", Summary: "Webhook", Tag: "system", Request: oatCreate{}, Raw: true},
	}
}

// oatDoc generates the document of oatRoutes and decodes it as plain JSON.
func oatDoc(t *testing.T) (map[string]any, []byte) {
	t.Helper()
	raw, err := OpenAPI(oatRoutes(), "1.2.3").JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, raw)
	}
	return doc, raw
}

// oatDig follows keys through nested objects; ok is false when one is missing.
func oatDig(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		if v, isMap = m[k]; !isMap {
			return nil, false
		}
	}
	return v, true
}

func oatMust(t *testing.T, v any, keys ...string) any {
	t.Helper()
	out, ok := oatDig(v, keys...)
	if !ok {
		t.Fatalf("missing %s", strings.Join(keys, "."))
	}
	return out
}

func oatStrings(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	var out []string
	for _, x := range list {
		out = append(out, x.(string))
	}
	return out
}

// oatSchema resolves a $ref (directly or in a one-element allOf) to its component.
func oatSchema(t *testing.T, doc map[string]any, s any) map[string]any {
	t.Helper()
	m := s.(map[string]any)
	if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
		m = all[0].(map[string]any)
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	name, found := strings.CutPrefix(ref, "#/components/schemas/")
	if !found {
		t.Fatalf("ref %q is not a component schema", ref)
	}
	return oatMust(t, doc, "components", "schemas", name).(map[string]any)
}

func TestOpenAPIPathsAndOperations(t *testing.T) {
	doc, _ := oatDoc(t)
	if doc["openapi"] != "3.0.3" || oatMust(t, doc, "info", "title") != "Switchboard API" || oatMust(t, doc, "info", "version") != "1.2.3" {
		t.Fatalf("header: openapi=%v info=%v", doc["openapi"], doc["info"])
	}
	paths := oatMust(t, doc, "paths").(map[string]any)
	for p := range paths {
		if strings.Contains(p, ":") {
			t.Errorf("path %s still has fiber syntax", p)
		}
	}
	get := oatMust(t, paths, "/api/v1/workspaces/{workspace}/things/{thing}", "get").(map[string]any)
	var names []string
	for _, p := range get["parameters"].([]any) {
		p := p.(map[string]any)
		if p["in"] != "path" || p["required"] != true || oatMust(t, p, "schema", "type") != "string" {
			t.Errorf("path parameter %v", p)
		}
		if p["name"] == "workspace" && p["description"] != "workspace slug or id" {
			t.Errorf("workspace description %v", p["description"])
		}
		names = append(names, p["name"].(string))
	}
	if !slices.Equal(names, []string{"workspace", "thing"}) {
		t.Errorf("path parameters %v", names)
	}
	if get["x-permission"] != "workspace:read" || get["x-access"] != "workspace" {
		t.Errorf("x-permission %v x-access %v", get["x-permission"], get["x-access"])
	}
	if get["summary"] != "Get a thing" || !slices.Equal(oatStrings(t, get["tags"]), []string{"things"}) {
		t.Errorf("summary %v tags %v", get["summary"], get["tags"])
	}
	if get["operationId"] != "getWorkspacesByWorkspaceThingsByThing" {
		t.Errorf("operationId %v", get["operationId"])
	}

	ids := map[string]string{}
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			id, _ := op.(map[string]any)["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s has no operationId", m, p)
			}
			if prev, dup := ids[id]; dup {
				t.Errorf("operationId %s used by %s and %s %s", id, prev, m, p)
			}
			ids[id] = m + " " + p
		}
	}
	if len(ids) != len(oatRoutes()) {
		t.Errorf("%d operations for %d routes", len(ids), len(oatRoutes()))
	}
	if _, ok := oatDig(paths, "/api/v1/auth/login", "post", "x-permission"); ok {
		t.Error("a route without permission has x-permission")
	}
}

func TestOpenAPISecurity(t *testing.T) {
	doc, _ := oatDoc(t)
	login := oatMust(t, doc, "paths", "/api/v1/auth/login", "post").(map[string]any)
	if sec, ok := login["security"].([]any); !ok || len(sec) != 0 {
		t.Errorf("public route security = %#v, want []", login["security"])
	}
	if login["x-access"] != "public" {
		t.Errorf("public x-access %v", login["x-access"])
	}
	mine := oatMust(t, doc, "paths", "/api/v1/workspaces", "get", "security").([]any)
	var schemes []string
	for _, req := range mine {
		for name := range req.(map[string]any) {
			schemes = append(schemes, name)
		}
	}
	slices.Sort(schemes)
	if !slices.Equal(schemes, []string{"bearerToken", "sessionCookie"}) {
		t.Errorf("authenticated route schemes %v", schemes)
	}
	cookie := oatMust(t, doc, "components", "securitySchemes", "sessionCookie").(map[string]any)
	if cookie["type"] != "apiKey" || cookie["in"] != "cookie" || cookie["name"] != "sb_session" ||
		!strings.Contains(cookie["description"].(string), "X-CSRF-Token") {
		t.Errorf("sessionCookie scheme %v", cookie)
	}
	bearer := oatMust(t, doc, "components", "securitySchemes", "bearerToken").(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("bearerToken scheme %v", bearer)
	}
}

func TestOpenAPIResponses(t *testing.T) {
	doc, _ := oatDoc(t)
	codes := func(path, method string) []string {
		var out []string
		for c := range oatMust(t, doc, "paths", path, method, "responses").(map[string]any) {
			out = append(out, c)
		}
		slices.Sort(out)
		return out
	}
	thing := "/api/v1/workspaces/{workspace}/things/{thing}"
	things := "/api/v1/workspaces/{workspace}/things"
	for _, c := range []struct {
		path, method string
		want         []string
	}{
		{thing, "get", []string{"200", "401", "403", "404"}},
		{thing, "delete", []string{"204", "401", "403", "404"}},
		{things, "post", []string{"201", "400", "401", "403", "404", "415", "422"}},
		{"/api/v1/auth/login", "post", []string{"200", "400", "415", "422"}},
		{"/api/v1/workspaces", "get", []string{"200", "401"}},
		{"/api/v1/operator/workspaces", "get", []string{"200", "401", "403"}},
		{"/healthz", "get", []string{"200"}},
		{"/webhooks/{provider}", "post", []string{"200", "404"}},
	} {
		if got := codes(c.path, c.method); !slices.Equal(got, c.want) {
			t.Errorf("%s %s responses %v, want %v", c.method, c.path, got, c.want)
		}
	}

	del := oatMust(t, doc, "paths", thing, "delete").(map[string]any)
	if _, ok := oatDig(del, "responses", "204", "content"); ok {
		t.Error("204 response has content")
	}
	if _, ok := del["requestBody"]; ok {
		t.Error("delete has a request body")
	}
	if _, ok := oatDig(doc, "paths", "/webhooks/{provider}", "post", "requestBody"); ok {
		t.Error("raw route has a JSON request body")
	}
	body := oatMust(t, doc, "paths", things, "post", "requestBody").(map[string]any)
	if body["required"] != true {
		t.Error("request body not required")
	}
	create := oatSchema(t, doc, oatMust(t, body, "content", "application/json", "schema"))
	if !slices.Equal(oatStrings(t, create["required"]), []string{"name"}) {
		t.Errorf("create required %v", create["required"])
	}

	// Every error response is the Error schema, which is ErrorBody.
	errSchema := oatSchema(t, doc, oatMust(t, doc, "paths", thing, "get", "responses", "404", "content", "application/json", "schema"))
	if !reflect.DeepEqual(errSchema, oatMust(t, doc, "components", "schemas", "Error")) {
		t.Errorf("404 schema is not components.schemas.Error: %v", errSchema)
	}
	detail := oatSchema(t, doc, oatMust(t, errSchema, "properties", "error"))
	if !slices.Equal(oatStrings(t, detail["required"]), []string{"code", "message"}) {
		t.Errorf("error detail required %v", detail["required"])
	}
	if oatMust(t, detail, "properties", "fields", "additionalProperties", "type") != "string" {
		t.Errorf("error fields %v", oatMust(t, detail, "properties", "fields"))
	}

	// Query parameters come from `query` tags only.
	params := oatMust(t, doc, "paths", things, "get", "parameters").([]any)
	query := map[string]map[string]any{}
	for _, p := range params {
		p := p.(map[string]any)
		if p["in"] == "query" {
			query[p["name"].(string)] = p
		}
	}
	if len(query) != 2 || query["limit"] == nil || query["state"] == nil {
		t.Fatalf("query parameters %v", query)
	}
	if oatMust(t, query["limit"], "schema", "type") != "integer" || query["limit"]["description"] != "items per page" {
		t.Errorf("limit %v", query["limit"])
	}
	if !slices.Equal(oatStrings(t, oatMust(t, query["state"], "schema", "enum")), []string{"open", "closed"}) {
		t.Errorf("state %v", query["state"])
	}
}

func TestOpenAPISchemas(t *testing.T) {
	doc, _ := oatDoc(t)
	schemas := oatMust(t, doc, "components", "schemas").(map[string]any)
	resp := oatMust(t, doc, "paths", "/api/v1/workspaces/{workspace}/things/{thing}", "get", "responses", "200", "content", "application/json", "schema").(map[string]any)
	if resp["$ref"] != "#/components/schemas/oatThing" {
		t.Fatalf("thing response schema %v", resp)
	}
	thing := oatSchema(t, doc, resp)
	props := thing["properties"].(map[string]any)

	var got []string
	for name := range props {
		got = append(got, name)
	}
	slices.Sort(got)
	want := []string{"children", "created_at", "extra", "id", "labels", "name", "note", "owner", "parent", "role", "ttl"}
	if !slices.Equal(got, want) {
		t.Errorf("properties %v, want %v (BaseModel, json:\"-\" and unexported fields skipped, embedded flattened)", got, want)
	}
	if req := oatStrings(t, thing["required"]); !slices.Equal(req, []string{"id", "created_at", "name", "role", "children", "ttl", "owner"}) {
		t.Errorf("required %v", req)
	}

	check := func(prop string, keys []string, want any) {
		t.Helper()
		if got, _ := oatDig(props[prop], keys...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s.%s = %#v, want %#v", prop, strings.Join(keys, "."), got, want)
		}
	}
	check("created_at", []string{"type"}, "string")
	check("created_at", []string{"format"}, "date-time")
	check("ttl", []string{"type"}, "integer")
	check("note", []string{"type"}, "string")
	check("note", []string{"nullable"}, true)
	check("name", []string{"description"}, "display name")
	check("role", []string{"type"}, "string")
	check("role", []string{"enum"}, []any{"admin", "viewer"})
	check("owner", []string{"type"}, "string")
	check("labels", []string{"type"}, "object")
	check("labels", []string{"additionalProperties", "type"}, "string")
	check("extra", nil, map[string]any{})
	check("children", []string{"type"}, "array")
	check("children", []string{"items", "$ref"}, "#/components/schemas/oatThing")
	check("parent", []string{"nullable"}, true)
	check("parent", []string{"allOf"}, []any{map[string]any{"$ref": "#/components/schemas/oatThing"}})

	// Generic instantiations get valid, readable names.
	page := oatMust(t, doc, "paths", "/api/v1/workspaces/{workspace}/things", "get", "responses", "200", "content", "application/json", "schema").(map[string]any)
	if page["$ref"] != "#/components/schemas/oatPage_oatThing" {
		t.Errorf("page ref %v", page["$ref"])
	}
	if _, ok := schemas["List_Member"]; !ok {
		t.Error("List[tenants.Member] is not List_Member")
	}
	// Same type name in two packages: both prefixed.
	for _, name := range []string{"tenants_Workspace", "api_Workspace"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	if _, ok := schemas["Workspace"]; ok {
		t.Error("clashing name Workspace used unprefixed")
	}
	for name := range schemas {
		for _, r := range name {
			if !(r == '_' || r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				t.Errorf("schema name %q is not a valid component name", name)
				break
			}
		}
	}

	// Every $ref anywhere resolves to a component.
	var refs int
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				name, found := strings.CutPrefix(ref, "#/components/schemas/")
				if _, exists := schemas[name]; !found || !exists {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if refs == 0 {
		t.Error("no $ref in the document")
	}
}

func TestOpenAPIDeterministic(t *testing.T) {
	_, first := oatDoc(t)
	_, second := oatDoc(t)
	if !bytes.Equal(first, second) {
		t.Fatal("two runs differ")
	}
	routes := oatRoutes()
	slices.Reverse(routes)
	reversed, err := OpenAPI(routes, "1.2.3").JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, reversed) {
		t.Fatal("the document depends on the order of the routes")
	}
}
