package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// held sets a ticket's assignee and state as the Team Inbox leaves them.
func (f *convFixture) held(conv messaging.Conversation, userID, state string) {
	f.t.Helper()
	if _, err := f.sc.Update((*messaging.Conversation)(nil)).Set("assignee_id = ?", userID).Set("state = ?", state).
		Where("cv.id = ?", conv.ID).Exec(f.ta.Ctx()); err != nil {
		f.t.Fatal(err)
	}
}

// expectTicket checks who holds a ticket and its state.
func (f *convFixture) expectTicket(t *testing.T, what string, conv messaging.Conversation, assignee, state string) {
	t.Helper()
	got, err := messaging.GetConversation(f.ta.Ctx(), f.sc, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	holder := ""
	if got.AssigneeID != nil {
		holder = *got.AssigneeID
	}
	if holder != assignee || got.State != state {
		t.Errorf("%s: assignee %q state %s, want assignee %q state %s", what, holder, got.State, assignee, state)
	}
}

// TestLeavingMembersTicketsReturnToTheQueue: a member removed from the workspace, or
// made a viewer, can no longer work tickets, so the ones they held go back to the
// team queue for someone else to accept. Their tickets in other workspaces stay.
func TestLeavingMembersTicketsReturnToTheQueue(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			members := f.admin.WSPath("/members/")

			// The agent works in both workspaces.
			agent := f.agent
			if _, err := tenants.AddMember(f.ta.Ctx(), other.sc, agent.User.ID, policies.Agent); err != nil {
				t.Fatal(err)
			}
			colleague := f.ta.Member(f.admin.Workspace, policies.Agent)

			active, waiting, resolved, theirs := f.ticket("Active"), f.ticket("Waiting"), f.ticket("Done"), f.ticket("Colleague's")
			accepted := f.ticket("Accepted")
			f.manager.Do(http.MethodPost, f.path("/"+active.ID+"/assign"), api.AssignRequest{AssigneeID: &agent.User.ID}).Expect(http.StatusOK)
			f.held(waiting, agent.User.ID, messaging.StatePending)
			f.held(resolved, agent.User.ID, messaging.StateResolved)
			f.held(theirs, colleague.User.ID, messaging.StateActive)
			f.agent.Do(http.MethodPost, f.path("/"+accepted.ID+"/accept"), nil).Expect(http.StatusOK)
			elsewhere := other.ticket("Elsewhere")
			other.held(elsewhere, agent.User.ID, messaging.StateActive)

			events, stop := f.ta.App.Realtime.Subscribe(f.ta.Ctx(), f.admin.Workspace.ID)
			defer stop()
			f.admin.Do(http.MethodDelete, members+scMemberID(t, f.admin, agent.User.ID), nil).Expect(http.StatusNoContent)
			// Browsers hear each ticket handed back, as taken from the agent.
			handed := map[string]bool{}
			for deadline := time.After(10 * time.Second); len(handed) < 4; {
				select {
				case ev := <-events:
					if ev.Type == realtime.ConversationUpdated && ev.Reassigned && ev.FormerAssigneeID == agent.User.ID {
						handed[ev.ConversationID] = true
					}
				case <-deadline:
					t.Fatalf("tickets heard handed back: %v, want the agent's four here", handed)
				}
			}
			for _, tk := range []messaging.Conversation{active, waiting, resolved, accepted} {
				if !handed[tk.ID] {
					t.Errorf("no event for %s handed back", tk.Title)
				}
			}

			f.expectTicket(t, "active ticket", active, "", messaging.StateQueued)
			f.expectTicket(t, "pending ticket", waiting, "", messaging.StateQueued)
			f.expectTicket(t, "accepted ticket", accepted, "", messaging.StateQueued)
			// A resolved ticket stays resolved; a customer's reply reopens it in the
			// queue, not as someone's who is gone.
			f.expectTicket(t, "resolved ticket", resolved, "", messaging.StateResolved)
			f.expectTicket(t, "a colleague's ticket", theirs, colleague.User.ID, messaging.StateActive)
			other.expectTicket(t, "the other workspace's ticket", elsewhere, agent.User.ID, messaging.StateActive)

			// The queue shows them to the team.
			ids := f.listIDs(f.manager, "assignee=unassigned&state=queued&limit=200")
			for _, c := range []messaging.Conversation{active, waiting, accepted} {
				if !contains(ids, c.ID) {
					t.Errorf("the queue misses %s (%s)", c.ID, c.Title)
				}
			}
			var counts api.ConversationCounts
			f.manager.Do(http.MethodGet, f.path("/counts?kind=ticket"), nil).Expect(http.StatusOK).Decode(&counts)
			if counts.Counts[messaging.StateActive] != 1 {
				t.Errorf("active tickets %d, want only the colleague's", counts.Counts[messaging.StateActive])
			}
		})
	}
}

// TestDemotedMembersTicketsReturnToTheQueue: a role that may still reply keeps its
// tickets; a viewer's go back to the queue.
func TestDemotedMembersTicketsReturnToTheQueue(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			agent := f.agent
			if _, err := tenants.AddMember(f.ta.Ctx(), other.sc, agent.User.ID, policies.Agent); err != nil {
				t.Fatal(err)
			}
			member := f.admin.WSPath("/members/" + scMemberID(t, f.admin, agent.User.ID))
			tk := f.ticket("Kept")
			f.held(tk, agent.User.ID, messaging.StateActive)
			elsewhere := other.ticket("Elsewhere")
			other.held(elsewhere, agent.User.ID, messaging.StateActive)

			f.admin.Do(http.MethodPatch, member, api.RoleChange{Role: policies.Manager}).Expect(http.StatusOK)
			f.expectTicket(t, "made a manager", tk, agent.User.ID, messaging.StateActive)
			f.admin.Do(http.MethodPatch, member, api.RoleChange{Role: policies.Agent}).Expect(http.StatusOK)
			f.expectTicket(t, "made an agent again", tk, agent.User.ID, messaging.StateActive)

			f.admin.Do(http.MethodPatch, member, api.RoleChange{Role: policies.Viewer}).Expect(http.StatusOK)
			f.expectTicket(t, "made a viewer", tk, "", messaging.StateQueued)
			other.expectTicket(t, "the other workspace's ticket", elsewhere, agent.User.ID, messaging.StateActive)

			// A refused change leaves the tickets where they are.
			admin := scMemberID(t, f.admin, f.admin.User.ID)
			f.held(tk, f.admin.User.ID, messaging.StateActive)
			f.admin.Do(http.MethodPatch, f.admin.WSPath("/members/"+admin), api.RoleChange{Role: policies.Viewer}).Expect(http.StatusConflict)
			f.expectTicket(t, "the last admin's, after a refused demotion", tk, f.admin.User.ID, messaging.StateActive)
		})
	}
}

// TestBulkAssign: a manager hands several tickets to a member at once, each with the
// transfer note, or gives them all back to the queue; a request naming a ticket that
// is not one, not this workspace's, or twice, or a member who cannot reply, is
// refused naming it, and changes nothing.
func TestBulkAssign(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			bulk := f.path("/bulk-assign")
			a, b, c := f.ticket("A"), f.ticket("B"), f.ticket("C")
			agent := f.agent.User.ID
			to := func(ids ...string) api.BulkAssignRequest {
				return api.BulkAssignRequest{ConversationIDs: ids, AssignRequest: api.AssignRequest{AssigneeID: &agent, Note: "Spanish speakers"}}
			}
			f.agent.Do(http.MethodPost, bulk, to(a.ID)).Expect(http.StatusForbidden)
			chat, err := messaging.NewConversation(f.ta.Ctx(), f.sc, messaging.KindChat, f.conn.ID, messaging.Contact{ID: a.ContactID}, "A chat")
			if err != nil {
				t.Fatal(err)
			}
			many := make([]string, api.MaxBulkAssign+1)
			for i := range many {
				many[i] = a.ID
			}
			viewer := f.viewer.User.ID
			for _, tc := range []struct {
				req    api.BulkAssignRequest
				status int
				field  string
			}{
				{to(), http.StatusUnprocessableEntity, "conversation_ids"},
				{to(many...), http.StatusUnprocessableEntity, "conversation_ids"},
				{to(a.ID, other.ticket("Theirs").ID), http.StatusNotFound, "conversation_ids[1]"},
				{to(a.ID, b.ID, a.ID), http.StatusUnprocessableEntity, "conversation_ids[2]"},
				{to(chat.ID, a.ID), http.StatusConflict, "conversation_ids[0]"},
				// A note that fits a message, but not after "Transferred to …: ".
				{api.BulkAssignRequest{ConversationIDs: []string{a.ID, b.ID}, AssignRequest: api.AssignRequest{AssigneeID: &agent,
					Note: strings.Repeat("n", messaging.MaxTextLength)}}, http.StatusUnprocessableEntity, "note"},
				{api.BulkAssignRequest{ConversationIDs: []string{a.ID}, AssignRequest: api.AssignRequest{AssigneeID: &viewer}}, http.StatusUnprocessableEntity, "assignee_id"},
			} {
				r := f.manager.Do(http.MethodPost, bulk, tc.req)
				if r.Status != tc.status || r.Error().Fields[tc.field] == "" {
					t.Errorf("bulk %v: %d %s, want %d naming %s", tc.req.ConversationIDs, r.Status, r.Body, tc.status, tc.field)
				}
			}
			f.expectTicket(t, "after refusals", a, "", messaging.StateQueued)
			f.expectTicket(t, "after refusals", b, "", messaging.StateQueued)

			var got api.List[api.ConversationView]
			f.manager.Do(http.MethodPost, bulk, to(c.ID, a.ID, b.ID)).Expect(http.StatusOK).Decode(&got)
			if len(got.Items) != 3 || got.Items[0].ID != c.ID || got.Items[1].ID != a.ID || got.Items[2].ID != b.ID {
				t.Fatalf("answer %+v, want the three tickets in the order asked", got.Items)
			}
			for _, conv := range []messaging.Conversation{a, b, c} {
				f.expectTicket(t, "handed to the agent", conv, agent, messaging.StateActive)
				var thread api.List[messaging.Message]
				f.agent.Do(http.MethodGet, f.path("/"+conv.ID+"/messages"), nil).Expect(http.StatusOK).Decode(&thread)
				if n := len(thread.Items); n == 0 || !strings.HasSuffix(thread.Items[n-1].Body, ": Spanish speakers") || thread.Items[n-1].Direction != messaging.DirectionNote {
					t.Errorf("ticket %s's thread %+v, want the transfer note", conv.ID, thread.Items)
				}
			}

			// All back to the queue.
			f.manager.Do(http.MethodPost, bulk, api.BulkAssignRequest{ConversationIDs: []string{a.ID, b.ID}}).Expect(http.StatusOK)
			f.expectTicket(t, "given back", a, "", messaging.StateQueued)
			f.expectTicket(t, "given back", b, "", messaging.StateQueued)
			f.expectTicket(t, "not named", c, agent, messaging.StateActive)
		})
	}
}
