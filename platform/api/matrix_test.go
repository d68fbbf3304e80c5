package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// minWorkspaceRoutes guards against a matrix that passes because it checked nothing.
const minWorkspaceRoutes = 10

func reportViolations(t *testing.T, vs []testapp.Violation) {
	t.Helper()
	if len(vs) == 0 {
		return
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = "  " + v.String()
	}
	t.Errorf("%d violation(s):\n%s", len(vs), strings.Join(lines, "\n"))
}

func checkCoverage(t *testing.T, cov testapp.Coverage) {
	t.Helper()
	if n := cov.Workspace(); n <= minWorkspaceRoutes {
		t.Errorf("the matrix covered %d workspace routes (%d requests), want more than %d: is the route table empty?", n, cov.Requests, minWorkspaceRoutes)
	}
	for _, r := range cov.Routes {
		t.Logf("covered %s %s", r.Method, r.Path)
	}
	t.Logf("%d routes, %d workspace routes, %d requests", len(cov.Routes), cov.Workspace(), cov.Requests)
}

// TestRoleMatrix calls every route as every role (signed in and by API token) and
// checks the answer against the policy.
func TestRoleMatrix(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(testapp.MatrixPlugins))
			vs, cov := testapp.CheckRoles(ta, ta.Server.Router().Routes(), ta.NewTenant("Roles"), ta.App.Enforcer)
			reportViolations(t, vs)
			checkCoverage(t, cov)
		})
	}
}

// TestCrossTenantMatrix calls every workspace route of tenant A as tenant B's admin.
func TestCrossTenantMatrix(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(testapp.MatrixPlugins))
			a, b := ta.NewTenant("Acme"), ta.NewTenant("Globex")
			vs, cov := testapp.CheckCrossTenant(ta, ta.Server.Router().Routes(), a, b)
			reportViolations(t, vs)
			checkCoverage(t, cov)
		})
	}
}

// rolesTable is the human-reviewed roles table: exactly what each role may do in a
// workspace without overrides. Change it only together with policies/policy.csv.
var rolesTable = map[policies.Role][]policies.Permission{
	policies.Viewer: {
		"contacts:read", "conversations:read", "members:read", "templates:read", "workspace:read",
	},
	policies.Agent: {
		"canned:read", "contacts:manage", "contacts:read", "conversations:accept", "conversations:read", "conversations:reply",
		"members:read", "templates:read", "workspace:read",
	},
	policies.Manager: {
		"canned:manage", "canned:read", "chat:read", "chat:send", "contacts:manage", "contacts:read", "conversations:accept", "conversations:assign", "conversations:delete",
		"conversations:read", "conversations:reply", "members:read", "reports:read", "templates:manage",
		"templates:read", "workspace:read",
	},
	policies.Admin: {
		"access:manage", "billing:manage", "billing:read", "canned:manage", "canned:read", "channels:manage", "channels:read", "chat:read",
		"chat:send", "contacts:manage", "contacts:read", "conversations:accept", "conversations:assign", "conversations:delete",
		"conversations:read", "conversations:reply", "members:manage", "members:read", "reports:read",
		"templates:manage", "templates:read", "tokens:manage", "workspace:manage", "workspace:read",
	},
}

func TestRolesTable(t *testing.T) {
	e, err := policies.NewEnforcer()
	if err != nil {
		t.Fatal(err)
	}
	const ws = "ws_roles_table"
	granted := map[policies.Role][]policies.Permission{}
	for _, role := range policies.Roles() {
		granted[role] = e.Granted(ws, role)
		if !slices.Equal(granted[role], rolesTable[role]) {
			t.Errorf("%s may do\n  %v\nbut the reviewed roles table says\n  %v", role, granted[role], rolesTable[role])
		}
	}
	if len(rolesTable) != len(policies.Roles()) {
		t.Errorf("the roles table has %d roles, policies.Roles() %d", len(rolesTable), len(policies.Roles()))
	}

	writeVerbs := []string{"manage", "reply", "send", "accept", "assign"}
	for _, p := range granted[policies.Viewer] {
		_, op, _ := strings.Cut(string(p), ":")
		if slices.Contains(writeVerbs, op) {
			t.Errorf("viewer may %s, a write", p)
		}
	}
	for _, role := range []policies.Role{policies.Agent, policies.Viewer} {
		for _, p := range []policies.Permission{policies.ChatRead, policies.ChatSend} {
			if slices.Contains(granted[role], p) {
				t.Errorf("%s may %s; Chat is for managers and admins", role, p)
			}
		}
	}
	for _, p := range policies.Permissions() {
		adminOnly := p == policies.MembersManage || p == policies.ChannelsManage || p == policies.TokensManage ||
			strings.HasPrefix(string(p), "billing:")
		if !adminOnly {
			continue
		}
		if !slices.Contains(granted[policies.Admin], p) {
			t.Errorf("admin lacks %s", p)
		}
		for _, role := range []policies.Role{policies.Manager, policies.Agent, policies.Viewer} {
			if slices.Contains(granted[role], p) {
				t.Errorf("%s may %s; only admins may", role, p)
			}
		}
	}
}

// TestMatricesCatchLeaks registers deliberately broken routes and checks that the
// matrices name them, so a matrix that silently stopped checking cannot pass.
func TestMatricesCatchLeaks(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(testapp.MatrixPlugins))
	db := ta.Server.DB()
	router := ta.Server.Router()

	// (1) Loads and deletes a membership by id without the workspace scope.
	leaky := api.WorkspacePrefix + "/leaky-members/:member"
	router.Add(api.Route{Method: http.MethodGet, Path: leaky, Access: api.InWorkspace, Permission: policies.MembersRead,
		Summary: "broken on purpose", Tag: "test", Response: tenants.Membership{}}, func(c *fiber.Ctx) error {
		var m tenants.Membership
		err := db.NewSelect().Model(&m).Where("id = ?", c.Params("member")).Scan(c.UserContext())
		if storage.IsNotFound(err) {
			return tenants.ErrMemberNotFound
		}
		if err != nil {
			return err
		}
		return c.JSON(m)
	})
	router.Add(api.Route{Method: http.MethodDelete, Path: leaky, Access: api.InWorkspace, Permission: policies.MembersManage,
		Summary: "broken on purpose", Tag: "test", Status: http.StatusNoContent}, func(c *fiber.Ctx) error {
		res, err := db.NewDelete().Model((*tenants.Membership)(nil)).Where("id = ?", c.Params("member")).Exec(c.UserContext())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tenants.ErrMemberNotFound
		}
		return c.SendStatus(http.StatusNoContent)
	})
	// (2) A handler on the fiber app, outside the route table: no guards at all.
	unregistered := api.WorkspacePrefix + "/unregistered"
	ta.Server.App().Get(unregistered, func(c *fiber.Ctx) error { return c.JSON(map[string]string{"secret": "yes"}) })
	// (3) A route in the table whose guards are shadowed by a handler registered on the
	// fiber app first: the table says members:manage, nothing enforces it.
	shadowed := api.WorkspacePrefix + "/shadowed"
	ta.Server.App().Add(http.MethodGet, shadowed, func(c *fiber.Ctx) error { return c.JSON(map[string]string{"secret": "yes"}) })
	router.Add(api.Route{Method: http.MethodGet, Path: shadowed, Access: api.InWorkspace, Permission: policies.MembersManage,
		Summary: "broken on purpose", Tag: "test", Response: map[string]string{}}, func(c *fiber.Ctx) error { return c.JSON(map[string]string{}) })
	// (4) A route whose parameter has no fixture.
	router.Add(api.Route{Method: http.MethodGet, Path: api.WorkspacePrefix + "/gadgets/:gadget", Access: api.InWorkspace, Permission: policies.WorkspaceRead,
		Summary: "no fixture", Tag: "test"}, func(c *fiber.Ctx) error { return tenants.ErrMemberNotFound })

	// Fiber serves routes added after the server was built.
	admin := ta.NewWorkspace("Probe")
	if e := admin.Do(http.MethodGet, admin.WSPath("/leaky-members/"+storage.NewID()), nil).Expect(http.StatusNotFound).Error(); e.Code != "member_not_found" {
		t.Fatalf("the route added after start-up is not served: %+v", e)
	}

	routes := router.Routes()
	a, b := ta.NewTenant("Acme"), ta.NewTenant("Globex")
	cross, _ := testapp.CheckCrossTenant(ta, routes, a, b)
	roles, _ := testapp.CheckRoles(ta, routes, ta.NewTenant("Roles"), ta.App.Enforcer)
	for _, v := range cross {
		t.Logf("cross-tenant: %s", v)
	}
	for _, v := range roles {
		t.Logf("roles: %s", v)
	}

	expect := func(name string, vs []testapp.Violation, method, path, who, detail string) {
		t.Helper()
		for _, v := range vs {
			if v.Route.Method == method && v.Route.Path == path && strings.Contains(v.Who, who) && strings.Contains(v.Detail, detail) {
				return
			}
		}
		t.Errorf("the %s matrix missed %s %s (%s: %q)", name, method, path, who, detail)
	}
	expect("cross-tenant", cross, http.MethodGet, leaky, "B's workspace with A's :member", "answered 200")
	expect("cross-tenant", cross, http.MethodDelete, leaky, "B's workspace with A's :member", "answered 204")
	expect("cross-tenant", cross, http.MethodGet, api.WorkspacePrefix+"/members", "tenant A's data", "changed while B probed it")
	expect("cross-tenant", cross, http.MethodGet, api.WorkspacePrefix+"/gadgets/:gadget", "fixture", "testapp.NewTenant")
	expect("roles", roles, http.MethodGet, unregistered, "route table", "never on the fiber app directly")
	expect("roles", roles, http.MethodGet, shadowed, "viewer session", "want 403")
	expect("roles", roles, http.MethodGet, shadowed, "anonymous", "want 401")
	expect("roles", roles, http.MethodGet, api.WorkspacePrefix+"/gadgets/:gadget", "fixture", "testapp.NewTenant")

	// Nothing else is reported: the real routes pass on this app too.
	broken := map[string]bool{leaky: true, unregistered: true, shadowed: true, api.WorkspacePrefix + "/gadgets/:gadget": true,
		// A's member list shows the leaky delete, and so do its workloads, which list the members.
		api.WorkspacePrefix + "/members": true, api.WorkspacePrefix + "/workloads": true}
	for _, v := range append(cross, roles...) {
		if !broken[v.Route.Path] {
			t.Errorf("unexpected violation on a route that is not broken: %s", v)
		}
	}
}

// TestSlugCannotShadowWorkspaceID: a tenant may choose a slug that is another
// workspace's id. Addressing a workspace by its id must still find that workspace, for
// its API tokens (which resolve without a membership) and for a user who belongs to
// both.
func TestSlugCannotShadowWorkspaceID(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(testapp.MatrixPlugins))
			victim := ta.NewWorkspace("Victim")
			token := ta.Token(victim.Workspace, policies.Admin)
			attacker := ta.NewWorkspace("Attacker")
			// The API refuses a slug shaped like an id…
			if e := attacker.Do(http.MethodPost, "/api/v1/workspaces", api.CreateWorkspace{Name: "Evil", Slug: victim.Workspace.ID}).
				Expect(http.StatusUnprocessableEntity).Error(); e.Fields["slug"] == "" {
				t.Fatalf("id-shaped slug: %+v", e)
			}
			// …and should one exist anyway (written before the rule, or by hand), the id
			// match still wins.
			evil := tenants.Workspace{ID: storage.NewID(), Slug: victim.Workspace.ID, Name: "Evil", TimeZone: "UTC",
				PlanID: victim.Workspace.PlanID, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if _, err := ta.App.DB.NewInsert().Model(&evil).Exec(ta.Ctx()); err != nil {
				t.Fatal(err)
			}
			if _, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, evil.ID), victim.User.ID, policies.Admin); err != nil {
				t.Fatal(err)
			}
			byID := "/api/v1/workspaces/" + victim.Workspace.ID
			for _, c := range []*testapp.Client{token, victim} {
				var got api.WorkspaceView
				c.Do(http.MethodGet, byID, nil).Expect(http.StatusOK).Decode(&got)
				if got.ID != victim.Workspace.ID {
					t.Errorf("%s resolved to workspace %s (%q), want %s", byID, got.ID, got.Name, victim.Workspace.ID)
				}
			}
			var me api.MeResponse
			token.Do(http.MethodGet, "/api/v1/me", nil).Expect(http.StatusOK).Decode(&me)
			if len(me.Memberships) != 1 || me.Memberships[0].WorkspaceID != victim.Workspace.ID {
				t.Errorf("the victim's token sees memberships %+v, want only %s", me.Memberships, victim.Workspace.ID)
			}
		})
	}
}
