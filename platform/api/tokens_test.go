package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// scBearer is the header that authenticates with an API token.
func scBearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// scCreateToken creates a token through the API.
func scCreateToken(t *testing.T, admin *testapp.Client, name string, role policies.Role, days int) api.TokenCreated {
	t.Helper()
	r := admin.Do(http.MethodPost, admin.WSPath("/tokens"), api.CreateToken{Name: name, Role: role, ExpiresInDays: days})
	scStatus(t, r, http.StatusCreated)
	var out api.TokenCreated
	scDecode(t, r, &out)
	return out
}

// TestTokens is API tokens: creation, use within and beyond their role, revocation,
// expiry and the routes only users may call.
func TestTokens(t *testing.T) {
	t.Parallel()
	scSuite(t, nil,
		scPart{"tokens", partTokens},
		scPart{"role ceiling", partCreateTokenRoleCeiling},
	)
}

func partTokens(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Tokens")
	manager := ta.Member(admin.Workspace, policies.Manager)
	otherWS := ta.NewWorkspace("Elsewhere")
	ws := admin.Workspace

	// Create: the secret is returned once, with a visible prefix; only a hash is kept.
	r := admin.Do(http.MethodPost, admin.WSPath("/tokens"), api.CreateToken{Name: "  CI deploy  ", Role: "admin"})
	scStatus(t, r, http.StatusCreated)
	var adminTok api.TokenCreated
	scDecode(t, r, &adminTok)
	if !strings.HasPrefix(adminTok.Secret, auth.TokenPrefix) || len(adminTok.Secret) < 40 ||
		adminTok.Token.Prefix != adminTok.Secret[:len(auth.TokenPrefix)+6] || adminTok.Token.Name != "CI deploy" || adminTok.Token.Role != "admin" ||
		adminTok.Token.CreatedBy == nil || *adminTok.Token.CreatedBy != admin.User.ID || adminTok.Token.ExpiresAt != nil || adminTok.Token.LastUsedAt != nil {
		t.Fatalf("created %s", r.Body)
	}
	if strings.Contains(string(r.Body), "token_hash") || strings.Contains(string(r.Body), tenants.HashToken(adminTok.Secret)) {
		t.Fatalf("the response shows the hash: %s", r.Body)
	}
	rows := scRows(t, ta, "api_tokens", "id = ?", adminTok.Token.ID)
	if len(rows) != 1 || rows[0]["token_hash"] != tenants.HashToken(adminTok.Secret) || rows[0]["workspace_id"] != ws.ID {
		t.Fatalf("stored %+v", rows)
	}
	for col, v := range rows[0] {
		if strings.Contains(v, adminTok.Secret) {
			t.Fatalf("column %s stores the secret", col)
		}
	}
	viewerTok := scCreateToken(t, admin, "dashboard", "viewer", 30)
	if viewerTok.Token.ExpiresAt == nil || time.Until(*viewerTok.Token.ExpiresAt) < 29*24*time.Hour {
		t.Fatalf("expires_at %v, want in 30 days", viewerTok.Token.ExpiresAt)
	}
	revokedTok := scCreateToken(t, admin, "to revoke", "agent", 0)
	expiredTok := scCreateToken(t, admin, "to expire", "agent", 1)
	if _, err := ta.App.DB.NewUpdate().Table("api_tokens").Set("expires_at = ?", time.Now().UTC().Add(-time.Second)).
		Where("id = ?", expiredTok.Token.ID).Exec(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	foreignTok := ta.Token(otherWS.Workspace, policies.Admin)
	admTok, viewTok := scBearer(adminTok.Secret), scBearer(viewerTok.Secret)
	lastUsed := func(t *testing.T, id string) *time.Time {
		t.Helper()
		var at *time.Time
		if err := ta.App.DB.NewSelect().Table("api_tokens").Column("last_used_at").Where("id = ?", id).Scan(ta.Ctx(), &at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if lastUsed(t, viewerTok.Token.ID) != nil {
		t.Fatalf("last_used_at set before any use")
	}
	notFoundBody := ""

	scRunAll(t, ta, []scCase{
		{
			name: "list hides secrets", method: http.MethodGet, path: admin.WSPath("/tokens"), who: admin, status: http.StatusOK,
			contains:    []string{adminTok.Token.ID, adminTok.Token.Prefix, viewerTok.Token.ID, `"name":"CI deploy"`},
			notContains: []string{adminTok.Secret, viewerTok.Secret, "token_hash", tenants.HashToken(adminTok.Secret)},
		},
		{
			name: "viewer token reads the workspace", method: http.MethodGet, path: admin.WSPath(""), header: viewTok, status: http.StatusOK,
			contains: []string{`"role":"viewer"`, `"slug":"` + ws.Slug + `"`},
			check: func(t *testing.T, _ *testapp.Response) {
				if at := lastUsed(t, viewerTok.Token.ID); at == nil || time.Since(*at) > time.Minute {
					t.Fatalf("last_used_at %v after use", at)
				}
			},
		},
		{name: "viewer token lists members", method: http.MethodGet, path: admin.WSPath("/members"), header: viewTok, status: http.StatusOK, contains: []string{admin.User.Email}},
		{
			name: "viewer token may not invite", method: http.MethodPost, path: admin.WSPath("/invitations"), header: viewTok,
			body: api.InviteRequest{Email: scEmail("x"), Role: "viewer"}, status: http.StatusForbidden, code: "forbidden", contains: []string{"viewer"},
		},
		{
			name: "viewer token may not change settings", method: http.MethodPatch, path: admin.WSPath(""), header: viewTok,
			body: map[string]string{"name": "Token Rename"}, status: http.StatusForbidden, code: "forbidden",
		},
		{name: "viewer token may not see tokens", method: http.MethodGet, path: admin.WSPath("/tokens"), header: viewTok, status: http.StatusForbidden, code: "forbidden"},
		{
			name: "admin token needs no CSRF token and may invite", method: http.MethodPost, path: admin.WSPath("/invitations"), header: admTok,
			body: api.InviteRequest{Email: scEmail("by-token"), Role: "agent"}, status: http.StatusCreated, contains: []string{`"invited_by":null`},
		},
		{
			name: "admin token creates an admin token", method: http.MethodPost, path: admin.WSPath("/tokens"), header: admTok,
			body: api.CreateToken{Name: "child", Role: "admin"}, status: http.StatusCreated, contains: []string{`"secret":"sbt_`, `"created_by":null`},
		},
		{
			name: "a manager may not create tokens", method: http.MethodPost, path: admin.WSPath("/tokens"), who: manager,
			body: api.CreateToken{Name: "mine", Role: "viewer"}, status: http.StatusForbidden, code: "forbidden",
		},
		{name: "nor list them", method: http.MethodGet, path: admin.WSPath("/tokens"), who: manager, status: http.StatusForbidden, code: "forbidden"},
		{
			name: "validation", method: http.MethodPost, path: admin.WSPath("/tokens"), who: admin,
			body:   api.CreateToken{Name: " ", Role: "owner", ExpiresInDays: -1},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"name", "role", "expires_in_days"},
		},
		{
			name: "the longest expiry", method: http.MethodPost, path: admin.WSPath("/tokens"), who: admin,
			body: api.CreateToken{Name: "century", Role: "viewer", ExpiresInDays: 36500}, status: http.StatusCreated,
			check: func(t *testing.T, r *testapp.Response) {
				var tc api.TokenCreated
				scDecode(t, r, &tc)
				if tc.Token.ExpiresAt == nil || tc.Token.ExpiresAt.Year() < time.Now().Year()+99 {
					t.Fatalf("expires_at %v, want in 100 years", tc.Token.ExpiresAt)
				}
			},
		},
		{
			// 213505 days is just over 2^64 ns: it must not wrap round to a token that
			// expires within the day.
			name: "an expiry too far away to represent", method: http.MethodPost, path: admin.WSPath("/tokens"), who: admin,
			body:   api.CreateToken{Name: "forever", Role: "viewer", ExpiresInDays: 213505},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"expires_in_days"},
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "api_tokens", "name = ?", "forever"); n != 0 {
					t.Fatalf("stored a token with a wrapped expiry")
				}
			},
		},
		{
			name: "revoke", method: http.MethodDelete, path: admin.WSPath("/tokens/" + revokedTok.Token.ID), who: admin,
			status: http.StatusOK, contains: []string{`"revoked_at":"`}, notContains: []string{revokedTok.Secret},
		},
		{name: "revoke an unknown token", method: http.MethodDelete, path: admin.WSPath("/tokens/nope"), who: admin, status: http.StatusNotFound, code: "token_not_found"},
		{
			name: "another workspace's token id", method: http.MethodDelete, path: otherWS.WSPath("/tokens/" + viewerTok.Token.ID), who: otherWS,
			status: http.StatusNotFound, code: "token_not_found",
		},
		{
			name: "a revoked token", method: http.MethodGet, path: admin.WSPath(""), header: scBearer(revokedTok.Secret),
			status: http.StatusUnauthorized, code: "invalid_token",
		},
		{
			name: "an expired token", method: http.MethodGet, path: admin.WSPath(""), header: scBearer(expiredTok.Secret),
			status: http.StatusUnauthorized, code: "invalid_token",
		},
		{
			name: "an expired token on /me", method: http.MethodGet, path: "/api/v1/me", header: scBearer(expiredTok.Secret),
			status: http.StatusUnauthorized, code: "invalid_token",
		},
		{
			name: "a workspace that does not exist", method: http.MethodGet, path: "/api/v1/workspaces/no-such-place", header: admTok,
			status: http.StatusNotFound, code: "workspace_not_found",
			check: func(t *testing.T, r *testapp.Response) { notFoundBody = string(r.Body) },
		},
		{
			name: "workspace A's token on workspace B's slug", method: http.MethodGet, path: otherWS.WSPath("/members"), header: admTok,
			status: http.StatusNotFound, code: "workspace_not_found", notContains: []string{otherWS.User.Email},
			check: func(t *testing.T, r *testapp.Response) {
				if string(r.Body) != notFoundBody {
					t.Fatalf("another workspace %s must read like a missing one %s", r.Body, notFoundBody)
				}
			},
		},
		{
			name: "workspace B's token on workspace A", method: http.MethodGet, path: admin.WSPath("/members"), who: foreignTok,
			status: http.StatusNotFound, code: "workspace_not_found", notContains: []string{admin.User.Email},
		},
		{
			name: "workspace A's token on workspace B's id", method: http.MethodGet, path: "/api/v1/workspaces/" + otherWS.Workspace.ID, header: admTok,
			status: http.StatusNotFound, code: "workspace_not_found",
		},
		{name: "Basic scheme", method: http.MethodGet, path: "/api/v1/me", header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}, status: http.StatusUnauthorized, code: "invalid_token"},
		{name: "Bearer without a value", method: http.MethodGet, path: "/api/v1/me", header: map[string]string{"Authorization": "Bearer "}, status: http.StatusUnauthorized, code: "invalid_token"},
		{name: "Bearer with a foreign token", method: http.MethodGet, path: "/api/v1/me", header: scBearer("ghp_notours"), status: http.StatusUnauthorized, code: "invalid_token"},
		{name: "Bearer with a made-up token", method: http.MethodGet, path: "/api/v1/me", header: scBearer(auth.TokenPrefix + "madeup"), status: http.StatusUnauthorized, code: "invalid_token"},
		{name: "Bearer with a truncated token", method: http.MethodGet, path: admin.WSPath(""), header: scBearer(adminTok.Secret[:len(adminTok.Secret)-1]), status: http.StatusUnauthorized, code: "invalid_token"},
		{
			name: "a bad token is not rescued by a good cookie", method: http.MethodGet, path: admin.WSPath(""), who: admin,
			header: map[string]string{"Authorization": "Token " + adminTok.Secret}, status: http.StatusUnauthorized, code: "invalid_token",
		},
		{
			name: "/me with a token shows the token and its workspace", method: http.MethodGet, path: "/api/v1/me", header: admTok, status: http.StatusOK,
			notContains: []string{adminTok.Secret, "token_hash", `"user"`, `"csrf_token"`},
			check: func(t *testing.T, r *testapp.Response) {
				var me api.MeResponse
				scDecode(t, r, &me)
				if me.Token == nil || me.Token.ID != adminTok.Token.ID || me.Token.Role != "admin" || me.Token.Prefix != adminTok.Token.Prefix || me.User != nil {
					t.Fatalf("/me %s", r.Body)
				}
				want := []tenants.WorkspaceRole{{WorkspaceID: ws.ID, Slug: ws.Slug, Name: ws.Name, Role: "admin"}}
				if len(me.Memberships) != 1 || me.Memberships[0] != want[0] {
					t.Fatalf("/me memberships %+v, want %+v", me.Memberships, want)
				}
			},
		},
		{
			name: "a token cannot change a password", method: http.MethodPost, path: "/api/v1/me/password", header: admTok,
			body: api.PasswordChange{CurrentPassword: testapp.Password, NewPassword: "a new long passphrase"}, status: http.StatusForbidden, code: "forbidden",
		},
		{
			name: "nor create workspaces", method: http.MethodPost, path: "/api/v1/workspaces", header: admTok,
			body: api.CreateWorkspace{Name: "Token Land"}, status: http.StatusForbidden, code: "user_only",
			check: func(t *testing.T, _ *testapp.Response) {
				if n := scCount(t, ta, "workspaces", "name = ?", "Token Land"); n != 0 {
					t.Fatalf("a token created a workspace")
				}
			},
		},
		{name: "nor list a user's workspaces", method: http.MethodGet, path: "/api/v1/workspaces", header: admTok, status: http.StatusForbidden, code: "user_only"},
		{name: "nor log out", method: http.MethodPost, path: "/api/v1/auth/logout", header: admTok, status: http.StatusUnprocessableEntity, code: "not_a_session"},
		{name: "nor reach operator routes", method: http.MethodGet, path: "/api/v1/operator/workspaces", header: admTok, status: http.StatusForbidden, code: "forbidden"},
	})

	// The stored last_used_at is what the list reports.
	r = admin.Do(http.MethodGet, admin.WSPath("/tokens"), nil)
	scStatus(t, r, http.StatusOK)
	var l api.List[auth.APIToken]
	scDecode(t, r, &l)
	for _, tok := range l.Items {
		switch tok.ID {
		case viewerTok.Token.ID, adminTok.Token.ID:
			if tok.LastUsedAt == nil {
				t.Errorf("token %s: last_used_at not listed after use", tok.Name)
			}
		case revokedTok.Token.ID:
			if tok.RevokedAt == nil || tok.LastUsedAt != nil {
				t.Errorf("revoked token listed as %+v", tok)
			}
		}
	}
	// Nothing the refused calls tried was stored.
	if n := scCount(t, ta, "workspaces", "name = ?", "Token Rename"); n != 0 {
		t.Fatalf("viewer token renamed the workspace")
	}
	if n := scCount(t, ta, "api_tokens", "workspace_id = ?", ws.ID); n != 6 {
		t.Fatalf("tokens in the workspace: %d, want 6", n)
	}
}

// TestCreateTokenRoleCeiling checks the domain rule the API relies on: a token's role
// never exceeds its creator's.
func partCreateTokenRoleCeiling(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Ceiling")
	s := tenants.Scope(ta.App.DB, admin.Workspace.ID)
	for _, tc := range []struct {
		creator, role policies.Role
		ok            bool
	}{
		{policies.Agent, policies.Admin, false},
		{policies.Agent, policies.Manager, false},
		{policies.Agent, policies.Agent, true},
		{policies.Agent, policies.Viewer, true},
		{policies.Viewer, policies.Agent, false},
		{policies.Manager, policies.Manager, true},
		{policies.Admin, policies.Admin, true},
	} {
		_, secret, err := auth.CreateToken(ta.Ctx(), s, "ceiling", tc.role, tenants.Membership{UserID: admin.User.ID, Role: tc.creator}, 0)
		if tc.ok {
			if err != nil || !strings.HasPrefix(secret, auth.TokenPrefix) {
				t.Errorf("%s creating %s: %v", tc.creator, tc.role, err)
			}
			continue
		}
		var fe *failure.Error
		if !errors.As(err, &fe) || fe.Kind != failure.Invalid || fe.Fields["role"] == "" || secret != "" {
			t.Errorf("%s creating %s: %v, want a role validation error", tc.creator, tc.role, err)
		}
	}
	if n := scCount(t, ta, "api_tokens", "workspace_id = ? AND role = ?", admin.Workspace.ID, "admin"); n != 1 {
		t.Fatalf("admin tokens stored: %d, want 1", n)
	}
}
