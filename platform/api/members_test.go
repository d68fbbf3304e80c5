package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// scInvite creates an invitation as admin and returns it with its token.
func scInvite(t *testing.T, admin *testapp.Client, email string, role policies.Role) api.InvitationCreated {
	t.Helper()
	r := admin.Do(http.MethodPost, admin.WSPath("/invitations"), api.InviteRequest{Email: email, Role: role})
	scStatus(t, r, http.StatusCreated)
	var out api.InvitationCreated
	scDecode(t, r, &out)
	return out
}

// scInvitationStatus is the status the invitation list shows for id.
func scInvitationStatus(t *testing.T, admin *testapp.Client, id string) string {
	t.Helper()
	r := admin.Do(http.MethodGet, admin.WSPath("/invitations"), nil)
	scStatus(t, r, http.StatusOK)
	var l api.List[api.InvitationView]
	scDecode(t, r, &l)
	for _, inv := range l.Items {
		if inv.ID == id {
			return inv.Status
		}
	}
	t.Fatalf("invitation %s not listed: %s", id, r.Body)
	return ""
}

// scMembers lists the workspace's members.
func scMembers(t *testing.T, c *testapp.Client) []tenants.Member {
	t.Helper()
	r := c.Do(http.MethodGet, c.WSPath("/members"), nil)
	scStatus(t, r, http.StatusOK)
	var l api.List[tenants.Member]
	scDecode(t, r, &l)
	return l.Items
}

func scMemberID(t *testing.T, c *testapp.Client, userID string) string {
	t.Helper()
	for _, m := range scMembers(t, c) {
		if m.UserID == userID {
			return m.ID
		}
	}
	t.Fatalf("user %s is not a member of %s", userID, c.Workspace.Slug)
	return ""
}

func scAccept(token, name, password string) api.AcceptInvitation {
	return api.AcceptInvitation{Token: token, Name: name, Password: password}
}

const scAcceptPath = "/api/v1/invitations/accept"

// TestMembersAndWorkspaces is invitations, seats, members and roles, membership of
// several workspaces and workspace settings.
func TestMembersAndWorkspaces(t *testing.T) {
	t.Parallel()
	scSuite(t, nil,
		scPart{"invitations", partInvitations},
		scPart{"seat limit", partInvitationSeatLimit},
		scPart{"members", partMembers},
		scPart{"member of two workspaces", partMemberOfTwoWorkspaces},
		scPart{"workspace settings", partWorkspaceSettings},
	)
}

func partInvitations(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Invites")
	ws := admin.Workspace

	t.Run("create shows the token once and stores only its hash", func(t *testing.T) {
		r := admin.Do(http.MethodPost, admin.WSPath("/invitations"), api.InviteRequest{Email: "  New.Person@Example.TEST", Role: "agent"})
		scStatus(t, r, http.StatusCreated)
		var created api.InvitationCreated
		scDecode(t, r, &created)
		inv := created.Invitation
		if !strings.HasPrefix(created.Token, "inv_") || len(created.Token) < 40 {
			t.Fatalf("token %q", created.Token)
		}
		if created.AcceptURL != "http://switchboard.test/invitations/accept?token="+created.Token {
			t.Fatalf("accept_url %q", created.AcceptURL)
		}
		if inv.Email != "new.person@example.test" || inv.Role != "agent" || inv.Status != "pending" ||
			inv.InvitedBy == nil || *inv.InvitedBy != admin.User.ID || inv.AcceptedAt != nil || inv.RevokedAt != nil {
			t.Fatalf("invitation %+v", inv)
		}
		if d := time.Until(inv.ExpiresAt); d < 6*24*time.Hour || d > 7*24*time.Hour+time.Minute {
			t.Fatalf("expires in %v, want the configured 7 days", d)
		}
		if strings.Contains(string(r.Body), "token_hash") || strings.Contains(string(r.Body), tenants.HashToken(created.Token)) {
			t.Fatalf("the response shows the token hash: %s", r.Body)
		}
		rows := scRows(t, ta, "invitations", "id = ?", inv.ID)
		if len(rows) != 1 {
			t.Fatalf("rows: %d", len(rows))
		}
		for col, v := range rows[0] {
			if strings.Contains(v, created.Token) {
				t.Fatalf("column %s stores the token itself", col)
			}
		}
		if rows[0]["token_hash"] != tenants.HashToken(created.Token) {
			t.Fatalf("token_hash %q is not the token's hash", rows[0]["token_hash"])
		}
		// The token is not shown again: not by the list, not by the preview.
		list := admin.Do(http.MethodGet, admin.WSPath("/invitations"), nil)
		scStatus(t, list, http.StatusOK)
		if strings.Contains(string(list.Body), created.Token) || !strings.Contains(string(list.Body), `"status":"pending"`) {
			t.Fatalf("list: %s", list.Body)
		}
		prev := ta.Anonymous().Do(http.MethodGet, "/api/v1/invitations/"+created.Token, nil)
		scStatus(t, prev, http.StatusOK)
		var p api.InvitationPreview
		scDecode(t, prev, &p)
		if p.WorkspaceName != ws.Name || p.Email != inv.Email || p.Role != "agent" || p.AccountExists || strings.Contains(string(prev.Body), created.Token) {
			t.Fatalf("preview %s", prev.Body)
		}
	})

	existing := scUser(t, ta, "Existing")
	stranger := ta.SessionFor(scUser(t, ta, "Stranger"))
	revoked := scInvite(t, admin, scEmail("revoked"), "viewer")
	expired := scInvite(t, admin, scEmail("expired"), "viewer")
	used := scInvite(t, admin, scEmail("used"), "agent")
	forExisting := scInvite(t, admin, existing.Email, "manager")
	if _, err := ta.App.DB.NewUpdate().Table("invitations").Set("expires_at = ?", time.Now().UTC().Add(-time.Minute)).
		Where("id = ?", expired.Invitation.ID).Exec(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	existingClient := ta.SessionFor(existing)
	joiner := ta.Anonymous()
	usersBefore := scCount(t, ta, "users", "")

	scRunAll(t, ta, []scCase{
		{
			name: "duplicate pending invitation", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body:   api.InviteRequest{Email: "NEW.person@example.test", Role: "viewer"},
			status: http.StatusConflict, code: "invitation_pending", fields: []string{"email"},
		},
		{
			name: "inviting an existing member", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body:   api.InviteRequest{Email: strings.ToUpper(admin.User.Email), Role: "viewer"},
			status: http.StatusConflict, code: "already_member", fields: []string{"email"},
		},
		{
			name: "invalid email and role", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body:   api.InviteRequest{Email: "nobody", Role: "owner"},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"email", "role"},
		},
		{
			name: "revoke", method: http.MethodDelete, path: admin.WSPath("/invitations/" + revoked.Invitation.ID), who: admin,
			status: http.StatusOK, contains: []string{`"status":"revoked"`, `"revoked_at":"`},
		},
		{
			name: "revoking twice is harmless", method: http.MethodDelete, path: admin.WSPath("/invitations/" + revoked.Invitation.ID), who: admin,
			status: http.StatusOK, contains: []string{`"status":"revoked"`},
		},
		{
			name: "revoking an unknown invitation", method: http.MethodDelete, path: admin.WSPath("/invitations/no-such-id"), who: admin,
			status: http.StatusNotFound, code: "invitation_not_found",
		},
		{
			name: "accepting a revoked invitation", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(revoked.Token, "Rev", "another long passphrase"), status: http.StatusNotFound, code: "invitation_invalid",
		},
		{
			name: "previewing a revoked invitation", method: http.MethodGet, path: "/api/v1/invitations/" + revoked.Token,
			status: http.StatusNotFound, code: "invitation_invalid",
		},
		{
			name: "a made-up token", method: http.MethodPost, path: scAcceptPath,
			body: scAccept("inv_madeup", "X", "another long passphrase"), status: http.StatusNotFound, code: "invitation_invalid",
		},
		{
			name: "missing token", method: http.MethodPost, path: scAcceptPath,
			body: scAccept("  ", "X", "another long passphrase"), status: http.StatusUnprocessableEntity, fields: []string{"token"},
		},
		{
			name: "accepting an expired invitation", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(expired.Token, "Exp", "another long passphrase"), status: http.StatusGone, code: "invitation_expired",
		},
		{
			name: "previewing an expired invitation", method: http.MethodGet, path: "/api/v1/invitations/" + expired.Token,
			status: http.StatusGone, code: "invitation_expired",
		},
		{
			name: "expired invitations do not block a new one", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body: api.InviteRequest{Email: expired.Invitation.Email, Role: "viewer"}, status: http.StatusCreated,
		},
		{
			name: "accepting with a weak password", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(used.Token, "Usha", "short"), status: http.StatusUnprocessableEntity, fields: []string{"password"},
		},
		{
			name: "accepting without a name", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(used.Token, "", "another long passphrase"), status: http.StatusUnprocessableEntity, fields: []string{"name"},
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "users", ""); n != usersBefore {
					t.Fatalf("refused accepts created users: %d, want %d", n, usersBefore)
				}
				if n := scCount(t, ta, "invitations", "id = ? AND accepted_at IS NULL", used.Invitation.ID); n != 1 {
					t.Fatalf("a refused accept used the invitation")
				}
			},
		},
		{
			name: "accepting as a new user", method: http.MethodPost, path: scAcceptPath, who: joiner,
			body:   scAccept(used.Token, "Usha User", "another long passphrase"),
			status: http.StatusOK, contains: []string{`"role":"agent"`, `"slug":"` + ws.Slug + `"`, used.Invitation.Email},
			check: func(t *testing.T, r *testapp.Response) {
				if c := scCookie(r, api.SessionCookie); c == nil {
					t.Fatalf("accepting did not sign the new user in")
				}
				if me := scMe(t, joiner); me.User == nil || me.User.Email != used.Invitation.Email || len(me.Memberships) != 1 || me.Memberships[0].Role != "agent" {
					t.Fatalf("/me = %+v", me)
				}
			},
		},
		{
			name: "reusing an accepted invitation", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(used.Token, "Again", "another long passphrase"), status: http.StatusGone, code: "invitation_used",
		},
		{
			name: "revoking an accepted invitation", method: http.MethodDelete, path: admin.WSPath("/invitations/" + used.Invitation.ID), who: admin,
			status: http.StatusGone, code: "invitation_used",
		},
		{
			name: "signed in as someone else", method: http.MethodPost, path: scAcceptPath, who: stranger,
			body: scAccept(forExisting.Token, "", ""), status: http.StatusForbidden, code: "invitation_email_mismatch",
		},
		{
			name: "signed in but without the CSRF token", method: http.MethodPost, path: scAcceptPath, who: existingClient.WithCSRF(""),
			body: scAccept(forExisting.Token, "", ""), status: http.StatusForbidden, code: "csrf_failed",
		},
		{
			name: "invited email has an account but is not signed in", method: http.MethodPost, path: scAcceptPath,
			body: scAccept(forExisting.Token, "Imposter", "another long passphrase"), status: http.StatusConflict, code: "sign_in_required",
			check: func(t *testing.T, _ *testapp.Response) {
				var p api.InvitationPreview
				r := ta.Anonymous().Do(http.MethodGet, "/api/v1/invitations/"+forExisting.Token, nil)
				scStatus(t, r, http.StatusOK)
				scDecode(t, r, &p)
				if !p.AccountExists {
					t.Fatalf("preview says no account exists for %s", p.Email)
				}
				if n := scCount(t, ta, "memberships", "user_id = ?", existing.ID); n != 0 {
					t.Fatalf("refused accepts made %d memberships", n)
				}
				if n := scCount(t, ta, "users", "email = ?", existing.Email); n != 1 {
					t.Fatalf("users with the invited email: %d", n)
				}
			},
		},
		{
			name: "signed in as the invited email", method: http.MethodPost, path: scAcceptPath, who: existingClient,
			body: scAccept(forExisting.Token, "", ""), status: http.StatusOK, contains: []string{`"role":"manager"`, `"slug":"` + ws.Slug + `"`},
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "memberships", "user_id = ? AND workspace_id = ? AND role = 'manager'", existing.ID, ws.ID); n != 1 {
					t.Fatalf("manager memberships: %d", n)
				}
			},
		},
		{name: "the new member reads the workspace", method: http.MethodGet, path: admin.WSPath(""), who: existingClient, status: http.StatusOK, contains: []string{`"role":"manager"`}},
	})

	// The list shows each invitation's state.
	for id, want := range map[string]string{
		revoked.Invitation.ID: "revoked", expired.Invitation.ID: "expired", used.Invitation.ID: "accepted", forExisting.Invitation.ID: "accepted",
	} {
		if got := scInvitationStatus(t, admin, id); got != want {
			t.Errorf("invitation %s: status %q, want %q", id, got, want)
		}
	}
	// The stranger was not made a member by the mismatched attempt.
	if n := scCount(t, ta, "memberships", "user_id = ?", stranger.User.ID); n != 0 {
		t.Fatalf("stranger memberships: %d", n)
	}
}

func partInvitationSeatLimit(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Seats")
	if _, err := tenants.SavePlan(ta.Ctx(), ta.App.DB, "two-seats", "Two seats", tenants.Features{MaxConnections: 1, MaxSeats: 2}); err != nil {
		t.Fatal(err)
	}
	if err := tenants.SetWorkspacePlan(ta.Ctx(), ta.App.DB, admin.Workspace.ID, "two-seats"); err != nil {
		t.Fatal(err)
	}
	// Seats are members plus pending invitations: the admin holds one, the first
	// invitation the second.
	first := scInvite(t, admin, scEmail("first"), "agent")
	full := func(name string) scCase {
		return scCase{
			name: name, method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body: api.InviteRequest{Email: scEmail("extra"), Role: "viewer"}, status: http.StatusForbidden, code: "seat_limit",
		}
	}
	scRunAll(t, ta, []scCase{
		full("no seat left"),
		{
			name: "revoking frees the seat", method: http.MethodDelete, path: admin.WSPath("/invitations/" + first.Invitation.ID), who: admin,
			status: http.StatusOK,
		},
		{
			name: "so the next invitation fits", method: http.MethodPost, path: admin.WSPath("/invitations"), who: admin,
			body: api.InviteRequest{Email: scEmail("second"), Role: "viewer"}, status: http.StatusCreated,
		},
		full("full again"),
	})
	if n := scCount(t, ta, "invitations", "workspace_id = ? AND revoked_at IS NULL", admin.Workspace.ID); n != 1 {
		t.Fatalf("live invitations: %d, want 1", n)
	}
	// The workspace view reports the plan's seat limit.
	r := admin.Do(http.MethodGet, admin.WSPath(""), nil)
	scStatus(t, r, http.StatusOK)
	var v api.WorkspaceView
	scDecode(t, r, &v)
	if v.Plan.Code != "two-seats" || v.Plan.Features.MaxSeats != 2 {
		t.Fatalf("plan %+v", v.Plan)
	}
}

func partMembers(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Members")
	manager := ta.Member(admin.Workspace, policies.Manager)
	agent := ta.Member(admin.Workspace, policies.Agent)
	adminID := scMemberID(t, admin, admin.User.ID)
	managerID := scMemberID(t, admin, manager.User.ID)
	agentID := scMemberID(t, admin, agent.User.ID)
	members := admin.WSPath("/members/")
	roleOf := func(t *testing.T, id string) policies.Role {
		t.Helper()
		var role string
		if err := ta.App.DB.NewSelect().Table("memberships").Column("role").Where("id = ?", id).Scan(ta.Ctx(), &role); err != nil {
			t.Fatalf("membership %s: %v", id, err)
		}
		return policies.Role(role)
	}

	scRunAll(t, ta, []scCase{
		{
			name: "list", method: http.MethodGet, path: admin.WSPath("/members"), who: agent, status: http.StatusOK,
			contains: []string{admin.User.Email, manager.User.Email, agent.User.Email, `"next_cursor":""`}, notContains: []string{"password"},
			check: func(t *testing.T, r *testapp.Response) {
				var l api.List[tenants.Member]
				scDecode(t, r, &l)
				if len(l.Items) != 3 || l.Items[0].UserID != admin.User.ID || l.Items[0].Role != "admin" {
					t.Fatalf("members (oldest first): %+v", l.Items)
				}
			},
		},
		{
			name: "a manager may not change roles", method: http.MethodPatch, path: members + agentID, who: manager,
			body: api.RoleChange{Role: "viewer"}, status: http.StatusForbidden, code: "forbidden",
		},
		{
			name: "an unknown role", method: http.MethodPatch, path: members + agentID, who: admin,
			body: api.RoleChange{Role: "owner"}, status: http.StatusUnprocessableEntity, fields: []string{"role"},
		},
		{
			name: "an unknown member", method: http.MethodPatch, path: members + "no-such-member", who: admin,
			body: api.RoleChange{Role: "viewer"}, status: http.StatusNotFound, code: "member_not_found",
		},
		{
			name: "admin demotes the agent", method: http.MethodPatch, path: members + agentID, who: admin,
			body: api.RoleChange{Role: "viewer"}, status: http.StatusOK, contains: []string{`"role":"viewer"`},
			check: func(t *testing.T, _ *testapp.Response) {
				if got := roleOf(t, agentID); got != policies.Viewer {
					t.Fatalf("stored role %q", got)
				}
			},
		},
		{
			name: "the demoted member's permissions follow at once", method: http.MethodGet, path: admin.WSPath(""), who: agent,
			status: http.StatusOK, contains: []string{`"role":"viewer"`}, notContains: []string{`"conversations:reply"`},
		},
		{
			name: "the last admin cannot be demoted", method: http.MethodPatch, path: members + adminID, who: admin,
			body: api.RoleChange{Role: "manager"}, status: http.StatusConflict, code: "last_admin",
		},
		{
			name: "the last admin cannot be removed", method: http.MethodDelete, path: members + adminID, who: admin,
			status: http.StatusConflict, code: "last_admin",
			check: func(t *testing.T, _ *testapp.Response) {
				if got := roleOf(t, adminID); got != policies.Admin {
					t.Fatalf("the last admin is now %q", got)
				}
			},
		},
		{
			name: "re-saving the last admin as admin is fine", method: http.MethodPatch, path: members + adminID, who: admin,
			body: api.RoleChange{Role: "admin"}, status: http.StatusOK,
		},
		{
			name: "promote the manager", method: http.MethodPatch, path: members + managerID, who: admin,
			body: api.RoleChange{Role: "admin"}, status: http.StatusOK, contains: []string{`"role":"admin"`},
		},
		{
			name: "with two admins one may step down", method: http.MethodPatch, path: members + adminID, who: admin,
			body: api.RoleChange{Role: "agent"}, status: http.StatusOK,
		},
		{
			name: "and has lost admin rights", method: http.MethodPatch, path: members + managerID, who: admin,
			body: api.RoleChange{Role: "viewer"}, status: http.StatusForbidden, code: "forbidden",
		},
		{
			name: "the new sole admin cannot step down", method: http.MethodPatch, path: members + managerID, who: manager,
			body: api.RoleChange{Role: "viewer"}, status: http.StatusConflict, code: "last_admin",
		},
		{
			name: "remove a member", method: http.MethodDelete, path: members + agentID, who: manager,
			status: http.StatusNoContent,
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "memberships", "id = ?", agentID); n != 0 {
					t.Fatalf("membership still stored")
				}
			},
		},
		{name: "removing again", method: http.MethodDelete, path: members + agentID, who: manager, status: http.StatusNotFound, code: "member_not_found"},
		{
			name: "the removed member's session no longer reaches the workspace", method: http.MethodGet, path: admin.WSPath(""), who: agent,
			status: http.StatusNotFound, code: "workspace_not_found",
		},
		{
			name: "nor its members", method: http.MethodGet, path: admin.WSPath("/members"), who: agent,
			status: http.StatusNotFound, code: "workspace_not_found",
		},
		{
			name: "but is still signed in, with no workspaces", method: http.MethodGet, path: "/api/v1/me", who: agent,
			status: http.StatusOK, contains: []string{`"memberships":[]`},
		},
	})
}

func partMemberOfTwoWorkspaces(t *testing.T, ta *testapp.TestApp) {
	first := ta.NewWorkspace("Alpha")
	c := ta.Member(first.Workspace, policies.Agent)
	r := c.Do(http.MethodPost, "/api/v1/workspaces", api.CreateWorkspace{Name: "Zulu Side Project", TimeZone: "Europe/Lisbon"})
	scStatus(t, r, http.StatusCreated)
	var second api.WorkspaceView
	scDecode(t, r, &second)
	if second.Role != "admin" || second.Slug != "zulu-side-project" || second.TimeZone != "Europe/Lisbon" || second.Plan.Code != tenants.DefaultPlanCode {
		t.Fatalf("created %+v", second)
	}
	want := []tenants.WorkspaceRole{
		{WorkspaceID: first.Workspace.ID, Slug: first.Workspace.Slug, Name: first.Workspace.Name, Role: "agent"},
		{WorkspaceID: second.ID, Slug: second.Slug, Name: second.Name, Role: "admin"},
	}
	if me := scMe(t, c); !slices.Equal(me.Memberships, want) {
		t.Fatalf("/me memberships %+v, want %+v", me.Memberships, want)
	}
	r = c.Do(http.MethodGet, "/api/v1/workspaces", nil)
	scStatus(t, r, http.StatusOK)
	var l api.List[tenants.WorkspaceRole]
	scDecode(t, r, &l)
	if !slices.Equal(l.Items, want) || l.NextCursor != "" {
		t.Fatalf("/workspaces %+v, want %+v", l.Items, want)
	}
	// Each workspace answers with the role held there.
	for _, w := range want {
		r := c.Do(http.MethodGet, "/api/v1/workspaces/"+w.Slug, nil)
		scStatus(t, r, http.StatusOK)
		var v api.WorkspaceView
		scDecode(t, r, &v)
		if v.Role != w.Role || !slices.Equal(v.Permissions, ta.App.Enforcer.Granted(w.WorkspaceID, w.Role)) {
			t.Fatalf("%s: role %s permissions %v", w.Slug, v.Role, v.Permissions)
		}
	}
	// Admin of one, agent of the other: inviting works only where admin.
	scCase{method: http.MethodPost, path: "/api/v1/workspaces/" + second.Slug + "/invitations", who: c,
		body: api.InviteRequest{Email: scEmail("x"), Role: "viewer"}, status: http.StatusCreated}.run(t, ta)
	scCase{method: http.MethodPost, path: first.WSPath("/invitations"), who: c,
		body: api.InviteRequest{Email: scEmail("x"), Role: "viewer"}, status: http.StatusForbidden, code: "forbidden"}.run(t, ta)
}

func partWorkspaceSettings(t *testing.T, ta *testapp.TestApp) {
	viewerPerms := []policies.Permission{"contacts:read", "conversations:read", "members:read", "templates:read", "workspace:read"}
	admin := ta.NewWorkspace("Settings")
	viewer := ta.Member(admin.Workspace, policies.Viewer)
	agent := ta.Member(admin.Workspace, policies.Agent)
	ws := admin.Workspace
	view := func(t *testing.T, r *testapp.Response) api.WorkspaceView {
		t.Helper()
		var v api.WorkspaceView
		scDecode(t, r, &v)
		return v
	}
	stored := func(t *testing.T) tenants.Workspace {
		t.Helper()
		w, err := tenants.ByRef(ta.Ctx(), ta.App.DB, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	other := ta.NewWorkspace("Taken")

	scRunAll(t, ta, []scCase{
		{
			name: "admin sees plan, role and every permission", method: http.MethodGet, path: admin.WSPath(""), who: admin, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				v := view(t, r)
				if v.ID != ws.ID || v.Slug != ws.Slug || v.Role != "admin" || v.Plan.Code != "business" || v.Plan.Name != "Business" ||
					!v.Plan.Features.MultiDevice || !v.Plan.Features.AIAssist || v.Plan.Features.MaxConnections != 10 || v.Plan.Features.MaxSeats != 50 {
					t.Fatalf("view %+v", v)
				}
				if !slices.Equal(v.Permissions, scSorted(policies.Permissions())) {
					t.Fatalf("admin permissions %v", v.Permissions)
				}
			},
		},
		{
			name: "viewer sees exactly the viewer's permissions", method: http.MethodGet, path: admin.WSPath(""), who: viewer, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				if v := view(t, r); v.Role != "viewer" || !slices.Equal(v.Permissions, viewerPerms) {
					t.Fatalf("viewer: role %s permissions %v", v.Role, v.Permissions)
				}
			},
		},
		{
			name: "agent inherits the viewer's and adds its own", method: http.MethodGet, path: admin.WSPath(""), who: agent, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				v := view(t, r)
				want := scSorted(append(slices.Clone(viewerPerms), "conversations:reply", "conversations:accept", "contacts:manage", "canned:read"))
				if v.Role != "agent" || !slices.Equal(v.Permissions, want) {
					t.Fatalf("agent: role %s permissions %v, want %v", v.Role, v.Permissions, want)
				}
			},
		},
		{
			name: "a viewer may not change settings", method: http.MethodPatch, path: admin.WSPath(""), who: viewer,
			body: map[string]string{"name": "Viewer Was Here"}, status: http.StatusForbidden, code: "forbidden",
		},
		{
			name: "change name, time zone and engine", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body:   map[string]string{"name": "  Settled  ", "time_zone": "America/Sao_Paulo", "whatsapp_engine": "cloud"},
			status: http.StatusOK, contains: []string{`"name":"Settled"`, `"time_zone":"America/Sao_Paulo"`, `"whatsapp_engine":"cloud"`, `"role":"admin"`},
			check: func(t *testing.T, _ *testapp.Response) {
				w := stored(t)
				if w.Name != "Settled" || w.TimeZone != "America/Sao_Paulo" || w.WhatsAppEngine == nil || *w.WhatsAppEngine != "cloud" || w.Slug != ws.Slug {
					t.Fatalf("stored %+v", w)
				}
			},
		},
		{
			name: "absent fields stay", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body: map[string]string{"whatsapp_engine": "twilio"}, status: http.StatusOK,
			contains: []string{`"name":"Settled"`, `"time_zone":"America/Sao_Paulo"`, `"whatsapp_engine":"twilio"`},
		},
		{
			name: "invalid time zone", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body: map[string]string{"time_zone": "Mars/Olympus_Mons"}, status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"time_zone"},
		},
		{
			name: "Local is not a time zone", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body: map[string]string{"time_zone": "Local"}, status: http.StatusUnprocessableEntity, fields: []string{"time_zone"},
		},
		{
			name: "invalid engine and blank name together", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body:   map[string]string{"whatsapp_engine": "telegraph", "name": " "},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"whatsapp_engine", "name"},
			check: func(t *testing.T, _ *testapp.Response) {
				if w := stored(t); w.Name != "Settled" || w.WhatsAppEngine == nil || *w.WhatsAppEngine != "twilio" {
					t.Fatalf("a refused change was stored: %+v", w)
				}
			},
		},
		{
			name: "an empty engine clears it", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body: map[string]string{"whatsapp_engine": ""}, status: http.StatusOK, contains: []string{`"whatsapp_engine":null`},
			check: func(t *testing.T, _ *testapp.Response) {
				if w := stored(t); w.WhatsAppEngine != nil {
					t.Fatalf("engine still %q", *w.WhatsAppEngine)
				}
			},
		},
		{
			name: "create a second workspace", method: http.MethodPost, path: "/api/v1/workspaces", who: viewer,
			body:   api.CreateWorkspace{Name: "Viewer's Own", Slug: "viewers-own"},
			status: http.StatusCreated, contains: []string{`"slug":"viewers-own"`, `"role":"admin"`, `"time_zone":"UTC"`, `"code":"free"`},
			check: func(t *testing.T, r *testapp.Response) {
				v := view(t, r)
				if n := scCount(t, ta, "memberships", "workspace_id = ? AND user_id = ? AND role = 'admin'", v.ID, viewer.User.ID); n != 1 {
					t.Fatalf("creator is not the new workspace's admin")
				}
				if len(v.Permissions) != len(policies.Permissions()) {
					t.Fatalf("creator permissions %v", v.Permissions)
				}
			},
		},
		{
			name: "explicit slug already taken", method: http.MethodPost, path: "/api/v1/workspaces", who: admin,
			body:   api.CreateWorkspace{Name: "Copycat", Slug: other.Workspace.Slug},
			status: http.StatusConflict, code: "slug_taken", fields: []string{"slug"},
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "workspaces", "name = ?", "Copycat"); n != 0 {
					t.Fatalf("the refused workspace was stored")
				}
			},
		},
		{
			name: "reserved slug", method: http.MethodPost, path: "/api/v1/workspaces", who: admin,
			body: api.CreateWorkspace{Name: "Api", Slug: "api"}, status: http.StatusUnprocessableEntity, fields: []string{"slug"},
		},
		{
			name: "malformed slug, no name, bad zone", method: http.MethodPost, path: "/api/v1/workspaces", who: admin,
			body:   api.CreateWorkspace{Name: "", Slug: "-Bad Slug-", TimeZone: "Nowhere/Else"},
			status: http.StatusUnprocessableEntity, fields: []string{"slug", "name", "time_zone"},
		},
		{
			name: "a derived reserved slug gets a suffix", method: http.MethodPost, path: "/api/v1/workspaces", who: admin,
			body: api.CreateWorkspace{Name: "Settings"}, status: http.StatusCreated, contains: []string{`"slug":"settings-team"`},
		},
	})
	if n := scCount(t, ta, "memberships", "user_id = ?", admin.User.ID); n != 2 {
		t.Fatalf("admin memberships %d, want 2", n)
	}
}
