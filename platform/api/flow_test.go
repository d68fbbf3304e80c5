package api_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestTeamOnboardingFlow walks the path a new customer takes: sign up, sign in,
// invite a colleague, the colleague accepts as an agent, then finds that admin routes
// are forbidden and another workspace does not exist for them.
func TestTeamOnboardingFlow(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))

			owner := ta.Anonymous()
			var signed api.SessionResponse
			owner.Do(http.MethodPost, "/api/v1/auth/signup", api.SignupRequest{
				Email: "Owner@Acme.test", Password: testapp.Password, Name: "Olive Owner", WorkspaceName: "Acme Support",
			}).Expect(http.StatusCreated).Decode(&signed)
			if signed.User.Email != "owner@acme.test" || signed.Workspace == nil || signed.Workspace.Slug != "acme-support" {
				t.Fatalf("signup answered %+v", signed)
			}
			if len(signed.Memberships) != 1 || signed.Memberships[0].Role != "admin" {
				t.Fatalf("signup memberships = %+v, want one admin membership", signed.Memberships)
			}

			// A fresh browser signs in with the same credentials.
			admin := ta.Anonymous()
			var login api.SessionResponse
			admin.Do(http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: "owner@acme.test", Password: testapp.Password}).
				Expect(http.StatusOK).Decode(&login)
			if login.CSRFToken == "" || len(login.Memberships) != 1 || login.Memberships[0].Slug != "acme-support" {
				t.Fatalf("login answered %+v", login)
			}
			ws := "/api/v1/workspaces/acme-support"

			var created api.InvitationCreated
			admin.Do(http.MethodPost, ws+"/invitations", api.InviteRequest{Email: "agent@acme.test", Role: "agent"}).
				Expect(http.StatusCreated).Decode(&created)
			if created.Token == "" || created.Invitation.Status != "pending" {
				t.Fatalf("invitation answered %+v", created)
			}

			var preview api.InvitationPreview
			ta.Anonymous().Do(http.MethodGet, "/api/v1/invitations/"+created.Token, nil).Expect(http.StatusOK).Decode(&preview)
			if preview.WorkspaceName != "Acme Support" || preview.Role != "agent" || preview.AccountExists {
				t.Fatalf("preview = %+v", preview)
			}

			agent := ta.Anonymous()
			var joined api.SessionResponse
			agent.Do(http.MethodPost, "/api/v1/invitations/accept", api.AcceptInvitation{Token: created.Token, Name: "Andy Agent", Password: "another long passphrase"}).
				Expect(http.StatusOK).Decode(&joined)
			if joined.User.Email != "agent@acme.test" || len(joined.Memberships) != 1 || joined.Memberships[0].Role != "agent" {
				t.Fatalf("accept answered %+v", joined)
			}
			// The link works once.
			if e := ta.Anonymous().Do(http.MethodPost, "/api/v1/invitations/accept", api.AcceptInvitation{Token: created.Token, Name: "X", Password: "another long passphrase"}).
				Expect(http.StatusGone).Error(); e.Code != "invitation_used" {
				t.Fatalf("reused invitation: %+v", e)
			}

			// The agent reads the workspace but may not manage members.
			agent.Do(http.MethodGet, ws+"/members", nil).Expect(http.StatusOK)
			if e := agent.Do(http.MethodPost, ws+"/invitations", api.InviteRequest{Email: "x@acme.test", Role: "viewer"}).
				Expect(http.StatusForbidden).Error(); e.Code != "forbidden" {
				t.Fatalf("agent inviting: %+v", e)
			}

			// Another workspace, with its own member ids, is invisible to the agent.
			other := ta.NewWorkspace("Globex")
			var otherMembers api.List[tenants.Member]
			other.Do(http.MethodGet, other.WSPath("/members"), nil).Expect(http.StatusOK).Decode(&otherMembers)
			foreignMember := otherMembers.Items[0].ID

			notFound := agent.Do(http.MethodGet, other.WSPath("/members"), nil).Expect(http.StatusNotFound).Body
			byID := agent.Do(http.MethodGet, "/api/v1/workspaces/"+other.Workspace.ID, nil).Expect(http.StatusNotFound).Body
			missing := agent.Do(http.MethodGet, "/api/v1/workspaces/no-such-workspace", nil).Expect(http.StatusNotFound).Body
			if string(notFound) != string(missing) || string(byID) != string(missing) {
				t.Fatalf("another workspace must look exactly like a missing one: %+v vs %+v vs %+v", notFound, byID, missing)
			}
			// Their member id inside our own workspace is not found either (admin, so
			// the permission check passes and only scoping stands in the way).
			admin.Do(http.MethodPatch, ws+"/members/"+foreignMember, api.RoleChange{Role: "viewer"}).Expect(http.StatusNotFound)
			admin.Do(http.MethodDelete, ws+"/members/"+foreignMember, nil).Expect(http.StatusNotFound)
			other.Do(http.MethodGet, other.WSPath("/members"), nil).Expect(http.StatusOK).Decode(&otherMembers)
			if len(otherMembers.Items) != 1 || otherMembers.Items[0].Role != "admin" {
				t.Fatalf("the other workspace's member changed: %+v", otherMembers.Items)
			}
		})
	}
}
