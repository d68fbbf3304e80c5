package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

func TestContacts(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			admin := ta.NewWorkspace("Book")
			ws := admin.Workspace
			agent := ta.Member(ws, policies.Agent)
			viewer := ta.Member(ws, policies.Viewer)
			sc := tenants.Scope(ta.App.DB, ws.ID)
			add := func(phone, name string) messaging.Contact {
				t.Helper()
				c, err := messaging.ContactByAddress(ta.Ctx(), sc, "whatsapp", phone, name)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			maya := add("+15550100101", "Maya Patel")
			tom := add("+15550100102", "Tom Becker")
			add("+15550100103", "Lina_Okafor")

			// Newest first, paged; search by name, number or email, LIKE characters literal.
			var l api.List[messaging.Contact]
			viewer.Do(http.MethodGet, admin.WSPath("/contacts?limit=2"), nil).Expect(http.StatusOK).Decode(&l)
			if len(l.Items) != 2 || l.Items[0].Name != "Lina_Okafor" || l.NextCursor == "" {
				t.Fatalf("first page %+v", l)
			}
			viewer.Do(http.MethodGet, admin.WSPath("/contacts?cursor="+url.QueryEscape(l.NextCursor)), nil).Expect(http.StatusOK).Decode(&l)
			if len(l.Items) != 1 || l.Items[0].ID != maya.ID {
				t.Fatalf("second page %+v", l)
			}
			for q, want := range map[string]string{"maya": maya.ID, "0100102": tom.ID, "a_o": ""} {
				viewer.Do(http.MethodGet, admin.WSPath("/contacts?q="+url.QueryEscape(q)), nil).Expect(http.StatusOK).Decode(&l)
				if want == "" {
					if len(l.Items) != 1 || l.Items[0].Name != "Lina_Okafor" {
						t.Errorf("q=%s: %+v, want only Lina_Okafor (_ is not a wildcard)", q, l.Items)
					}
					continue
				}
				if len(l.Items) != 1 || l.Items[0].ID != want {
					t.Errorf("q=%s: %+v", q, l.Items)
				}
			}

			// Agents edit; viewers only read.
			var got messaging.Contact
			agent.Do(http.MethodPatch, admin.WSPath("/contacts/"+maya.ID), map[string]any{
				"name": "Maya P.", "email": " Maya@Example.COM ", "attributes": map[string]string{"tier": "gold"},
				"whatsapp_consent": true,
			}).Expect(http.StatusOK).Decode(&got)
			if got.Name != "Maya P." || got.Email != "maya@example.com" || got.Attributes["tier"] != "gold" || !got.WhatsAppConsent || got.OptedOut {
				t.Fatalf("edited %+v", got)
			}
			viewer.Do(http.MethodGet, admin.WSPath("/contacts/"+maya.ID), nil).Expect(http.StatusOK).Decode(&got)
			if got.Email != "maya@example.com" || got.Phone != "+15550100101" {
				t.Fatalf("read back %+v", got)
			}
			viewer.Do(http.MethodPatch, admin.WSPath("/contacts/"+maya.ID), map[string]any{"name": "x"}).Expect(http.StatusForbidden)

			// Bad input names the field; a taken email is a conflict on email.
			if e := agent.Do(http.MethodPatch, admin.WSPath("/contacts/"+tom.ID), map[string]any{"email": "not an email"}).
				Expect(http.StatusUnprocessableEntity).Error(); e.Fields["email"] == "" {
				t.Errorf("bad email: %+v", e)
			}
			if e := agent.Do(http.MethodPatch, admin.WSPath("/contacts/"+tom.ID), map[string]any{"email": "maya@example.com"}).
				Expect(http.StatusConflict).Error(); e.Code != "email_taken" || e.Fields["email"] == "" {
				t.Errorf("taken email: %+v", e)
			}
			// Opting out is recorded (the send path then refuses them) and leaves the rest alone.
			agent.Do(http.MethodPatch, admin.WSPath("/contacts/"+tom.ID), map[string]any{"opted_out": true}).Expect(http.StatusOK).Decode(&got)
			if !got.OptedOut || got.Name != "Tom Becker" {
				t.Fatalf("opted out %+v", got)
			}

			// Added by hand: the number normalized, every field kept; an address is
			// required, and one another contact has is a conflict naming it.
			agent.Do(http.MethodPost, admin.WSPath("/contacts"), api.ContactCreate{Name: "Noah Kim", Phone: "020 7946 0123", CountryCode: "44",
				Email: "Noah@Example.com", Attributes: map[string]string{"city": "London"}, WhatsAppConsent: true}).Expect(http.StatusCreated).Decode(&got)
			if got.ID == "" || got.Phone != "+442079460123" || got.Email != "noah@example.com" || got.Name != "Noah Kim" ||
				got.Attributes["city"] != "London" || !got.WhatsAppConsent {
				t.Fatalf("created %+v", got)
			}
			for _, tc := range []struct {
				body        api.ContactCreate
				status      int
				field, code string
			}{
				{api.ContactCreate{Name: "Nobody"}, http.StatusUnprocessableEntity, "phone", ""},
				{api.ContactCreate{Phone: "call me"}, http.StatusUnprocessableEntity, "phone", ""},
				{api.ContactCreate{Phone: "+44 20 7946 0123"}, http.StatusConflict, "phone", "phone_taken"},
				{api.ContactCreate{Email: "maya@example.com"}, http.StatusConflict, "email", "email_taken"},
				{api.ContactCreate{Email: "no at sign"}, http.StatusUnprocessableEntity, "email", ""},
			} {
				e := agent.Do(http.MethodPost, admin.WSPath("/contacts"), tc.body).Expect(tc.status).Error()
				if e.Fields[tc.field] == "" || (tc.code != "" && e.Code != tc.code) {
					t.Errorf("create %+v: %+v", tc.body, e)
				}
			}
			viewer.Do(http.MethodPost, admin.WSPath("/contacts"), api.ContactCreate{Phone: "+15550100199"}).Expect(http.StatusForbidden)

			// Another workspace's contact is not found.
			other := ta.NewWorkspace("Other")
			other.Do(http.MethodGet, other.WSPath("/contacts/"+maya.ID), nil).Expect(http.StatusNotFound)
		})
	}
}
