package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/policies"
)

// TestAccessRules: a role's access rule narrows what its members see of the
// conversations, everywhere they are shown: "Match assignee" keeps an agent to the
// tickets assigned to them (and the queue, when the rule says so), inbox access to
// some connections; another conversation answers 404 as if it did not exist, and the
// counts are of what they see. Other roles are untouched, and admins always see all.
func TestAccessRules(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			var second api.ConnectionView
			f.admin.Do(http.MethodPost, f.admin.WSPath("/connections"), api.CreateConnection{
				Plugin: "loopback", Engine: "loopback", DisplayName: "Second line", Address: "+15550111",
				Config: loopback.Config{WebhookSecret: "s"}.JSON(),
			}).Expect(http.StatusCreated).Decode(&second)
			colleague := f.ta.Member(f.admin.Workspace, policies.Agent)

			mine, theirs, queued := f.ticket("Mine"), f.ticket("Theirs"), f.ticket("Queued")
			f.held(mine, f.agent.User.ID, messaging.StateActive)
			f.held(theirs, colleague.User.ID, messaging.StateActive)
			elsewhere := f.ticket("Mine, on the second line")
			if _, err := f.sc.Update((*messaging.Conversation)(nil)).Set("connection_id = ?", second.ID).
				Where("cv.id = ?", elsewhere.ID).Exec(f.ta.Ctx()); err != nil {
				t.Fatal(err)
			}
			f.held(elsewhere, f.agent.User.ID, messaging.StateActive)
			all := []string{mine.ID, theirs.ID, queued.ID, elsewhere.ID}

			rules := func() []messaging.AccessRule {
				var l api.List[messaging.AccessRule]
				f.admin.Do(http.MethodGet, f.admin.WSPath("/access-rules"), nil).Expect(http.StatusOK).Decode(&l)
				return l.Items
			}
			for _, r := range rules() {
				if r.Mode != messaging.AccessAll || len(r.ConnectionIDs) != 0 {
					t.Fatalf("a new workspace's rule %+v, want every conversation", r)
				}
			}
			set := func(change api.AccessRuleChange) {
				t.Helper()
				f.admin.Do(http.MethodPut, f.admin.WSPath("/access-rules"), change).Expect(http.StatusOK)
			}
			sees := func(c *testapp.Client, want ...string) {
				t.Helper()
				got := f.listIDs(c, "kind=ticket")
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("%s lists %v, want %v", c.Role, got, want)
				}
				for _, id := range all {
					status := http.StatusNotFound
					if slices.Contains(want, id) {
						status = http.StatusOK
					}
					c.Do(http.MethodGet, f.path("/"+id), nil).Expect(status)
					c.Do(http.MethodGet, f.path("/"+id+"/messages"), nil).Expect(status)
				}
				var counts api.ConversationCounts
				c.Do(http.MethodGet, f.path("/counts?kind=ticket"), nil).Expect(http.StatusOK).Decode(&counts)
				total := 0
				for _, n := range counts.Counts {
					total += n
				}
				if total != len(want) {
					t.Fatalf("%s counts %v, want %d tickets in all", c.Role, counts.Counts, len(want))
				}
			}

			set(api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAssignee})
			// The workspace tells the browser its caller's rule, to keep live lists as
			// the server lists them.
			var view api.WorkspaceView
			f.agent.Do(http.MethodGet, f.admin.WSPath(""), nil).Expect(http.StatusOK).Decode(&view)
			if view.Access.Role != policies.Agent || view.Access.Mode != messaging.AccessAssignee {
				t.Fatalf("the agent's workspace view says access %+v", view.Access)
			}
			sees(f.agent, mine.ID, elsewhere.ID)
			sees(colleague, theirs.ID)
			sees(f.manager, all...) // another role's rule
			sees(f.admin, all...)
			// A token has no assignments: under Match assignee it sees none.
			sees(f.ta.Token(f.admin.Workspace, policies.Agent))

			set(api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAssignee, Unassigned: true, ConnectionIDs: []string{f.conn.ID}})
			sees(f.agent, mine.ID, queued.ID)
			// A ticket out of sight takes no reply either.
			f.agent.Do(http.MethodPost, f.path("/"+theirs.ID+"/messages"), map[string]any{"type": "note", "text": "psst"}).Expect(http.StatusNotFound)

			set(api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAll})
			sees(f.agent, all...)

			// Composing follows the rule too: not on a connection outside the inboxes,
			// not into a conversation out of sight; one they open is theirs to see.
			set(api.AccessRuleChange{Role: policies.Manager, Mode: messaging.AccessAssignee, ConnectionIDs: []string{second.ID}})
			if e := f.manager.Do(http.MethodPost, f.path(""), api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770101"}).
				Expect(http.StatusUnprocessableEntity).Error(); e.Fields["connection_id"] == "" {
				t.Errorf("compose outside the inboxes: %+v", e)
			}
			opened := f.compose(f.manager, api.ComposeRequest{ConnectionID: second.ID, To: "+15557770102"}, http.StatusCreated).Conversation
			if opened.AssigneeID == nil || *opened.AssigneeID != f.manager.User.ID {
				t.Errorf("a conversation opened under Match assignee is assigned to %v, want its opener", opened.AssigneeID)
			}
			f.manager.Do(http.MethodGet, f.path("/"+opened.ID), nil).Expect(http.StatusOK)
			f.compose(f.admin, api.ComposeRequest{ConnectionID: second.ID, To: "+15557770103"}, http.StatusCreated)
			if e := f.manager.Do(http.MethodPost, f.path(""), api.ComposeRequest{ConnectionID: second.ID, To: "+15557770103",
				Message: &api.MessageRequest{Type: "text", Text: "hi"}}).Expect(http.StatusNotFound).Error(); e.Fields["to"] == "" {
				t.Errorf("compose into a conversation out of sight: %+v", e)
			}

			// Bad rules name what is wrong; another workspace's connection is unknown here.
			other := convFixtureOn(t, f.ta)
			for _, tc := range []struct {
				change api.AccessRuleChange
				field  string
			}{
				{api.AccessRuleChange{Role: policies.Admin, Mode: messaging.AccessAssignee}, "role"},
				{api.AccessRuleChange{Role: "owner", Mode: messaging.AccessAll}, "role"},
				{api.AccessRuleChange{Role: policies.Agent, Mode: "mine"}, "mode"},
				{api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAll, Unassigned: true}, "unassigned"},
				{api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAll, ConnectionIDs: []string{other.conn.ID}}, "connection_ids"},
			} {
				e := f.admin.Do(http.MethodPut, f.admin.WSPath("/access-rules"), tc.change).Expect(http.StatusUnprocessableEntity).Error()
				if e.Fields[tc.field] == "" {
					t.Errorf("rule %+v: fields %v, want %s named", tc.change, e.Fields, tc.field)
				}
			}
			// Only admins manage access.
			f.manager.Do(http.MethodPut, f.admin.WSPath("/access-rules"), api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAll}).Expect(http.StatusForbidden)
		})
	}
}

// TestRealtimeFollowsAccessRules: under Match assignee an agent's connection carries
// only the events of their tickets, and a changed rule applies to it at once.
func TestRealtimeFollowsAccessRules(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Assigned")
	ws := admin.Workspace
	agent := s.ta.Member(ws, policies.Agent)
	admin.Do(http.MethodPut, admin.WSPath("/access-rules"), api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAssignee}).Expect(http.StatusOK)
	conn := dial(t, s.url(ws), s.sessionHeader(t, agent.User))

	event := func(id, assignee string) realtime.Event {
		return realtime.Event{Type: realtime.ConversationUpdated, WorkspaceID: ws.ID, ConversationID: id, ConversationKind: realtime.KindTicket,
			AssigneeID: assignee, ConnectionID: "conn-1", Data: json.RawMessage(`{}`)}
	}
	frame := func(id string) string {
		return fmt.Sprintf(`{"type":"conversation.updated","conversation_id":%q,"conversation_kind":"ticket","data":{}}`, id)
	}
	s.publish(t, event("someone-elses", "another-user"))
	s.publish(t, event("queued", ""))
	s.publish(t, event("theirs", agent.User.ID))
	if got := readRaw(t, conn); got != frame("theirs") {
		t.Fatalf("agent under Match assignee got %s, want only their own ticket's event", got)
	}
	admin.Do(http.MethodPut, admin.WSPath("/access-rules"), api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAll}).Expect(http.StatusOK)
	if got := readRaw(t, conn); got != `{"type":"access.changed"}` {
		t.Fatalf("after the rule changed the agent got %s, want to be told their access changed", got)
	}
	s.publish(t, event("someone-elses", "another-user"))
	if got := readRaw(t, conn); got != frame("someone-elses") {
		t.Fatalf("after the rule opened up, the agent got %s, want the colleague's ticket's event", got)
	}
}

// TestRealtimeTellsWhoLostATicket: under Match assignee an agent hears of their own
// tickets and the queue only, but a ticket handed from them, or taken from the queue,
// to a colleague still reaches them once, with its new assignee, so their inbox can
// drop it.
func TestRealtimeTellsWhoLostATicket(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New()}))
	f := convFixtureOn(t, ta)
	s := serveRT(t, ta)
	colleague := ta.Member(f.admin.Workspace, policies.Agent)
	f.admin.Do(http.MethodPut, f.admin.WSPath("/access-rules"), api.AccessRuleChange{Role: policies.Agent, Mode: messaging.AccessAssignee, Unassigned: true}).Expect(http.StatusOK)
	queued := f.ticket("In the queue")
	tk := f.ticket("Handed over")
	f.held(tk, f.agent.User.ID, messaging.StateActive)
	conn := dial(t, s.url(f.admin.Workspace), s.sessionHeader(t, f.agent.User))

	f.manager.Do(http.MethodPost, f.path("/"+tk.ID+"/assign"), api.AssignRequest{AssigneeID: &colleague.User.ID}).Expect(http.StatusOK)
	var ev struct {
		Type           string                 `json:"type"`
		ConversationID string                 `json:"conversation_id"`
		Data           messaging.Conversation `json:"data"`
	}
	if err := json.Unmarshal([]byte(readRaw(t, conn)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ConversationID != tk.ID || ev.Data.AssigneeID == nil || *ev.Data.AssigneeID != colleague.User.ID {
		t.Fatalf("the agent the ticket was taken from heard %+v, want it with its new assignee", ev)
	}
	// Their counts changed with it.
	if got := readRaw(t, conn); got != fmt.Sprintf(`{"type":"counts.changed","conversation_id":%q,"conversation_kind":"ticket","reassigned":true,"former_assignee_id":%q,"data":{"kind":"ticket"}}`, tk.ID, f.agent.User.ID) {
		t.Fatalf("after the hand-over the agent got %s, want the counts changed", got)
	}
	// A ticket leaving the queue they see reaches them too.
	colleague.Do(http.MethodPost, f.path("/"+queued.ID+"/accept"), nil).Expect(http.StatusOK)
	if err := json.Unmarshal([]byte(readRaw(t, conn)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ConversationID != queued.ID || ev.Data.AssigneeID == nil || *ev.Data.AssigneeID != colleague.User.ID {
		t.Fatalf("the agent watching the queue heard %+v, want the accepted ticket with its new assignee", ev)
	}
	if got := readRaw(t, conn); got != fmt.Sprintf(`{"type":"counts.changed","conversation_id":%q,"conversation_kind":"ticket","reassigned":true,"data":{"kind":"ticket"}}`, queued.ID) {
		t.Fatalf("after the accept the agent got %s, want the counts changed", got)
	}
	// From then on the ticket is the colleague's: the agent hears nothing more of it.
	f.manager.Do(http.MethodPatch, f.path("/"+tk.ID), map[string]any{"state": "pending"}).Expect(http.StatusOK)
	s.publish(t, realtime.Event{Type: realtime.ConversationUpdated, WorkspaceID: f.admin.Workspace.ID, ConversationID: "theirs",
		ConversationKind: realtime.KindTicket, AssigneeID: f.agent.User.ID, Data: json.RawMessage(`{}`)})
	if got := readRaw(t, conn); got != `{"type":"conversation.updated","conversation_id":"theirs","conversation_kind":"ticket","data":{}}` {
		t.Fatalf("after the hand-over the agent got %s, want only their own ticket's events", got)
	}
}
