package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// scOperator returns a signed-in platform operator.
func scOperator(t *testing.T, ta *testapp.TestApp) *testapp.Client {
	t.Helper()
	u := ta.NewUser("Operator")
	if err := auth.SetOperator(ta.Ctx(), ta.App.DB, u.ID, true); err != nil {
		t.Fatal(err)
	}
	u.IsOperator = true
	return ta.SessionFor(u)
}

// TestOperator is the platform operator's routes: who may call them, the workspace
// list, plans, moving workspaces between plans and suspending them.
func TestOperator(t *testing.T) {
	t.Parallel()
	scSuite(t, nil,
		scPart{"access", partOperatorAccess},
		scPart{"workspaces paginated", partOperatorWorkspacesPaginated},
		scPart{"plans and suspension", partOperatorPlansAndSuspension},
	)
}

func partOperatorAccess(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Customer")
	token := ta.Token(admin.Workspace, policies.Admin)
	plan := api.PlanRequest{Name: "Hacked", Features: tenants.Features{MaxSeats: 1000, MaxConnections: -1}}
	change := map[string]any{"suspended": true}
	type call struct {
		method, path string
		body         any
	}
	calls := []call{
		{http.MethodGet, "/api/v1/operator/workspaces", nil},
		{http.MethodGet, "/api/v1/operator/plans", nil},
		{http.MethodPut, "/api/v1/operator/plans/business", plan},
		{http.MethodPatch, "/api/v1/operator/workspaces/" + admin.Workspace.ID, change},
	}
	var cases []scCase
	for _, c := range calls {
		cases = append(cases,
			scCase{name: "anonymous " + c.method + " " + c.path, method: c.method, path: c.path, body: c.body, status: http.StatusUnauthorized, code: "unauthenticated"},
			scCase{name: "workspace admin " + c.method + " " + c.path, method: c.method, path: c.path, body: c.body, who: admin, status: http.StatusForbidden, code: "forbidden"},
			scCase{name: "admin token " + c.method + " " + c.path, method: c.method, path: c.path, body: c.body, who: token, status: http.StatusForbidden, code: "forbidden"},
		)
	}
	scRunAll(t, ta, cases)
	// None of the refused calls changed anything.
	p, err := tenants.PlanByCode(ta.Ctx(), ta.App.DB, "business")
	if err != nil || p.Name != "Business" || p.Features.MaxSeats != 50 {
		t.Fatalf("business plan now %+v (%v)", p, err)
	}
	if n := scCount(t, ta, "workspaces", "id = ? AND suspended_at IS NOT NULL", admin.Workspace.ID); n != 0 {
		t.Fatalf("suspended workspaces: %d", n)
	}
}

func partOperatorWorkspacesPaginated(t *testing.T, ta *testapp.TestApp) {
	for _, name := range []string{"One", "Two", "Three"} {
		ta.NewWorkspace(name)
	}
	// Every workspace of the app, newest first (ids are UUIDv7).
	var want []string
	if err := ta.App.DB.NewSelect().Table("workspaces").Column("id").OrderExpr("id DESC").Scan(ta.Ctx(), &want); err != nil {
		t.Fatal(err)
	}
	op := scOperator(t, ta)
	if me := scMe(t, op); me.User == nil || !me.User.IsOperator {
		t.Fatalf("/me of the operator: %+v", me)
	}

	// Walk the pages two at a time.
	var got []string
	path := "/api/v1/operator/workspaces?limit=2"
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("more pages than workspaces: the cursor does not advance")
		}
		var page api.List[tenants.Workspace]
		scCase{method: http.MethodGet, path: path, who: op, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) { scDecode(t, r, &page) }}.run(t, ta)
		if len(page.Items) == 0 || len(page.Items) > 2 {
			t.Fatalf("page %d has %d items", pages, len(page.Items))
		}
		for _, w := range page.Items {
			got = append(got, w.ID)
		}
		if page.NextCursor == "" {
			if len(got) < len(want) {
				t.Fatalf("pages ended after %d of %d workspaces", len(got), len(want))
			}
			break
		}
		if pages == 0 && len(page.Items) != 2 {
			t.Fatalf("first page of %d workspaces has %d items", len(want), len(page.Items))
		}
		path = "/api/v1/operator/workspaces?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %v, want %v (newest first, each once)", got, want)
	}
	// Without a limit everything fits on one page.
	scCase{method: http.MethodGet, path: "/api/v1/operator/workspaces", who: op, status: http.StatusOK, contains: []string{`"next_cursor":""`},
		check: func(t *testing.T, r *testapp.Response) {
			var all api.List[tenants.Workspace]
			scDecode(t, r, &all)
			if len(all.Items) != len(want) {
				t.Fatalf("all: %d items, want %d", len(all.Items), len(want))
			}
		}}.run(t, ta)
}

func partOperatorPlansAndSuspension(t *testing.T, ta *testapp.TestApp) {
	op := scOperator(t, ta)
	admin := ta.NewWorkspace("Tenant")
	agent := ta.Member(admin.Workspace, policies.Agent)
	token := ta.Token(admin.Workspace, policies.Viewer)
	bystander := ta.NewWorkspace("Bystander")
	ws := admin.Workspace
	opWS := "/api/v1/operator/workspaces/" + ws.ID
	var starterID string

	scRunAll(t, ta, []scCase{
		{
			name: "list plans", method: http.MethodGet, path: "/api/v1/operator/plans", who: op, status: http.StatusOK,
			contains: []string{`"code":"business"`, `"code":"free"`, `"max_seats":50`},
		},
		{
			name: "invalid features", method: http.MethodPut, path: "/api/v1/operator/plans/starter", who: op,
			body:   api.PlanRequest{Name: "Starter", Features: tenants.Features{MaxSeats: 0, MaxConnections: -2}},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"features.max_seats", "features.max_connections"},
		},
		{
			name: "seats below unlimited", method: http.MethodPut, path: "/api/v1/operator/plans/starter", who: op,
			body:   api.PlanRequest{Name: "Starter", Features: tenants.Features{MaxSeats: -5, MaxConnections: 1}},
			status: http.StatusUnprocessableEntity, fields: []string{"features.max_seats"}, notContains: []string{"features.max_connections"},
		},
		{
			name: "invalid code and no name", method: http.MethodPut, path: "/api/v1/operator/plans/Not_A_Code", who: op,
			body:   api.PlanRequest{Name: " ", Features: tenants.Features{MaxSeats: 3, MaxConnections: 1}},
			status: http.StatusUnprocessableEntity, fields: []string{"code", "name"},
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "plans", "code IN (?, ?)", "starter", "Not_A_Code"); n != 0 {
					t.Fatalf("a refused plan was stored")
				}
			},
		},
		{
			name: "create a plan", method: http.MethodPut, path: "/api/v1/operator/plans/starter", who: op,
			body:   api.PlanRequest{Name: "Starter", Features: tenants.Features{MaxSeats: 3, MaxConnections: 1}},
			status: http.StatusOK, contains: []string{`"code":"starter"`, `"name":"Starter"`, `"max_seats":3`},
			check: func(t *testing.T, r *testapp.Response) {
				var p tenants.Plan
				scDecode(t, r, &p)
				starterID = p.ID
			},
		},
		{
			name: "update it in place", method: http.MethodPut, path: "/api/v1/operator/plans/starter", who: op,
			body:   api.PlanRequest{Name: "Starter Plus", Features: tenants.Features{MaxSeats: 4, MaxConnections: -1, AIAssist: true}},
			status: http.StatusOK, contains: []string{`"name":"Starter Plus"`, `"max_seats":4`, `"max_connections":-1`, `"ai_assist":true`},
			check: func(t *testing.T, r *testapp.Response) {
				var p tenants.Plan
				scDecode(t, r, &p)
				if p.ID != starterID || scCount(t, ta, "plans", "code = ?", "starter") != 1 {
					t.Fatalf("saving again made another plan: %s vs %s", p.ID, starterID)
				}
			},
		},
		{
			name: "nothing to change", method: http.MethodPatch, path: opWS, who: op, body: map[string]any{},
			status: http.StatusUnprocessableEntity, fields: []string{"plan"},
		},
		{
			name: "unknown plan", method: http.MethodPatch, path: opWS, who: op, body: map[string]any{"plan": "platinum"},
			status: http.StatusNotFound, code: "plan_not_found", fields: []string{"plan"},
		},
		{
			name: "unknown workspace", method: http.MethodPatch, path: "/api/v1/operator/workspaces/no-such-id", who: op, body: map[string]any{"plan": "starter"},
			status: http.StatusNotFound, code: "workspace_not_found",
		},
		{
			name: "move the workspace to the plan", method: http.MethodPatch, path: opWS, who: op, body: map[string]any{"plan": "starter"},
			status: http.StatusOK, contains: []string{`"id":"` + ws.ID + `"`},
			check: func(t *testing.T, r *testapp.Response) {
				var w tenants.Workspace
				scDecode(t, r, &w)
				if w.PlanID != starterID || w.SuspendedAt != nil {
					t.Fatalf("workspace %+v, want plan %s", w, starterID)
				}
			},
		},
		{
			name: "its members see the new plan", method: http.MethodGet, path: admin.WSPath(""), who: agent, status: http.StatusOK,
			contains: []string{`"code":"starter"`, `"name":"Starter Plus"`, `"max_seats":4`},
		},
		{
			name: "suspend", method: http.MethodPatch, path: opWS, who: op, body: map[string]any{"suspended": true},
			status: http.StatusOK, contains: []string{`"suspended_at":"`},
		},
		{name: "suspended: admin", method: http.MethodGet, path: admin.WSPath(""), who: admin, status: http.StatusForbidden, code: "workspace_suspended"},
		{name: "suspended: agent", method: http.MethodGet, path: admin.WSPath("/members"), who: agent, status: http.StatusForbidden, code: "workspace_suspended"},
		{name: "suspended: token", method: http.MethodGet, path: admin.WSPath(""), who: token, status: http.StatusForbidden, code: "workspace_suspended"},
		{
			name: "suspended: no writes either", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body: api.InviteRequest{Email: scEmail("late"), Role: "agent"}, status: http.StatusForbidden, code: "workspace_suspended",
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "invitations", "workspace_id = ?", ws.ID); n != 0 {
					t.Fatalf("a suspended workspace took an invitation")
				}
			},
		},
		{name: "a non-member still gets 404, not a hint", method: http.MethodGet, path: admin.WSPath(""), who: bystander, status: http.StatusNotFound, code: "workspace_not_found"},
		{name: "members can still sign in and see their account", method: http.MethodGet, path: "/api/v1/me", who: admin, status: http.StatusOK, contains: []string{ws.Slug}},
		{name: "other workspaces are unaffected", method: http.MethodGet, path: bystander.WSPath(""), who: bystander, status: http.StatusOK},
		{
			name: "the operator list shows it suspended", method: http.MethodGet, path: "/api/v1/operator/workspaces", who: op, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				var l api.List[tenants.Workspace]
				scDecode(t, r, &l)
				for _, w := range l.Items {
					if (w.ID == ws.ID) != (w.SuspendedAt != nil) {
						t.Fatalf("workspace %s suspended_at %v", w.Slug, w.SuspendedAt)
					}
				}
			},
		},
		{
			name: "reinstate", method: http.MethodPatch, path: opWS, who: op, body: map[string]any{"suspended": false},
			status: http.StatusOK, notContains: []string{"suspended_at"},
		},
		{name: "reinstated: admin", method: http.MethodGet, path: admin.WSPath(""), who: admin, status: http.StatusOK, contains: []string{`"code":"starter"`}},
		{name: "reinstated: agent", method: http.MethodGet, path: admin.WSPath("/members"), who: agent, status: http.StatusOK},
		{name: "reinstated: token", method: http.MethodGet, path: admin.WSPath(""), who: token, status: http.StatusOK},
	})
	if n := scCount(t, ta, "workspaces", "id = ? AND suspended_at IS NULL AND plan_id = ?", ws.ID, starterID); n != 1 {
		t.Fatalf("stored workspace is not reinstated on the starter plan")
	}
}
