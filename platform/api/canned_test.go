package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

func TestCannedResponses(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			path := f.admin.WSPath("/canned-responses")
			str := func(s string) *string { return &s }
			write := func(shortcut, title, category, body string) api.CannedRequest {
				return api.CannedRequest{Shortcut: str(shortcut), Title: str(title), Category: str(category), Body: str(body)}
			}

			// Managers keep the library; a shortcut is stored lower-case, without its slash.
			var thanks messaging.CannedResponse
			f.manager.Do(http.MethodPost, path, write("/Thanks", "Thank you", "Closing", "Thanks {{ first_name }}, {{agent_name}} here.")).
				Expect(http.StatusCreated).Decode(&thanks)
			if thanks.ID == "" || thanks.Shortcut != "thanks" || thanks.Category != "Closing" {
				t.Fatalf("created %+v", thanks)
			}
			f.manager.Do(http.MethodPost, path, write("hours", "Opening hours", "", "We open 9 to 5.")).Expect(http.StatusCreated)
			f.manager.Do(http.MethodPost, path, write("refund-thanks", "Refund done", "Billing", "Your refund is on its way.")).Expect(http.StatusCreated)

			// Every field named when wrong; a shortcut once per workspace.
			e := f.manager.Do(http.MethodPost, path, write("no spaces!", "", "", "Hi {{nickname}}")).Expect(http.StatusUnprocessableEntity).Error()
			if e.Fields["shortcut"] == "" || e.Fields["title"] == "" || !strings.Contains(e.Fields["body"], "{{nickname}}") {
				t.Errorf("a bad response: %+v", e)
			}
			if e := f.manager.Do(http.MethodPost, path, write("open", "Open", "", "Hi {{first_name}, welcome")).Expect(http.StatusUnprocessableEntity).Error(); !strings.Contains(e.Fields["body"], "not closed") {
				t.Errorf("an unclosed {{: %+v", e)
			}
			if e := f.manager.Do(http.MethodPost, path, write("THANKS", "Again", "", "Thanks")).Expect(http.StatusConflict).Error(); e.Fields["shortcut"] == "" {
				t.Errorf("a taken shortcut: %+v", e)
			}

			// Agents read and search them: a shortcut that starts with the query first.
			var found api.List[messaging.CannedResponse]
			f.agent.Do(http.MethodGet, path+"?q=/thanks", nil).Expect(http.StatusOK).Decode(&found)
			if len(found.Items) != 2 || found.Items[0].Shortcut != "thanks" || found.Items[1].Shortcut != "refund-thanks" {
				t.Fatalf("search /thanks: %+v", found.Items)
			}
			f.agent.Do(http.MethodGet, path+"?category=Billing", nil).Expect(http.StatusOK).Decode(&found)
			if len(found.Items) != 1 || found.Items[0].Shortcut != "refund-thanks" {
				t.Fatalf("category Billing: %+v", found.Items)
			}
			f.agent.Do(http.MethodGet, path, nil).Expect(http.StatusOK).Decode(&found)
			if len(found.Items) != 3 || found.Items[0].Shortcut != "hours" {
				t.Fatalf("all: %+v", found.Items)
			}
			f.agent.Do(http.MethodPost, path, write("mine", "Mine", "", "Mine")).Expect(http.StatusForbidden)
			f.viewer.Do(http.MethodGet, path, nil).Expect(http.StatusForbidden)

			// Edited in part, then deleted.
			var edited messaging.CannedResponse
			f.manager.Do(http.MethodPatch, path+"/"+thanks.ID, api.CannedRequest{Body: str("Thank you, {{name}}!")}).Expect(http.StatusOK).Decode(&edited)
			if edited.Body != "Thank you, {{name}}!" || edited.Shortcut != "thanks" || edited.Title != "Thank you" {
				t.Fatalf("edited %+v", edited)
			}
			if e := f.manager.Do(http.MethodPatch, path+"/"+thanks.ID, api.CannedRequest{Shortcut: str("hours")}).Expect(http.StatusConflict).Error(); e.Code != "canned_shortcut_taken" {
				t.Errorf("renamed onto a taken shortcut: %+v", e)
			}
			f.manager.Do(http.MethodDelete, path+"/"+thanks.ID, nil).Expect(http.StatusNoContent)
			f.agent.Do(http.MethodGet, path+"/"+thanks.ID, nil).Expect(http.StatusNotFound)

			// A library of at most 500.
			for i := 2; i < messaging.MaxCanned; i++ {
				if _, err := messaging.CreateCanned(f.ta.Ctx(), f.sc, messaging.CannedDraft{Shortcut: str(fmt.Sprintf("r%d", i)), Title: str("R"), Body: str("R")}, ""); err != nil {
					t.Fatal(err)
				}
			}
			if e := f.manager.Do(http.MethodPost, path, write("one-more", "One more", "", "More")).Expect(http.StatusConflict).Error(); e.Code != "canned_limit" {
				t.Errorf("the 501st: %+v", e)
			}
		})
	}
}
