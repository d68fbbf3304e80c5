package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestAssignmentRules: anyone who reads conversations sees the queue's rules;
// managers set them, refused naming the field; a change gives the waiting tickets a
// pass at once.
func TestAssignmentRules(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			rules := f.admin.WSPath("/assignment")
			var got messaging.AssignmentSettings
			f.viewer.Do(http.MethodGet, rules, nil).Expect(http.StatusOK).Decode(&got)
			if got.Mode != messaging.AssignQueue {
				t.Fatalf("a new workspace's rules: %+v, want the queue", got)
			}
			waiting := f.ticket("Waiting")

			f.agent.Do(http.MethodPut, rules, api.AssignmentRequest{Mode: messaging.AssignRoundRobin}).Expect(http.StatusForbidden)
			viewer := f.viewer.User.ID
			for _, tc := range []struct {
				req   api.AssignmentRequest
				field string
			}{
				{api.AssignmentRequest{Mode: "lottery"}, "mode"},
				{api.AssignmentRequest{Mode: messaging.AssignMember}, "assignee_id"},
				{api.AssignmentRequest{Mode: messaging.AssignMember, AssigneeID: &viewer}, "assignee_id"},
				{api.AssignmentRequest{Mode: messaging.AssignRoundRobin, Capacity: -2}, "capacity"},
			} {
				refusedNaming(t, f.manager.Do(http.MethodPut, rules, tc.req), tc.field)
			}
			f.expectTicket(t, "after refused rules", waiting, "", messaging.StateQueued)

			agent := f.agent.User.ID
			f.manager.Do(http.MethodPut, rules, api.AssignmentRequest{Mode: messaging.AssignMember, AssigneeID: &agent}).Expect(http.StatusOK).Decode(&got)
			if got.Mode != messaging.AssignMember || got.AssigneeID == nil || *got.AssigneeID != agent {
				t.Fatalf("rules stored %+v", got)
			}
			f.expectTicket(t, "the ticket that waited, once every ticket goes to the agent", waiting, agent, messaging.StateActive)
			f.agent.Do(http.MethodGet, rules, nil).Expect(http.StatusOK).Decode(&got)
			if got.Mode != messaging.AssignMember {
				t.Fatalf("rules read back %+v", got)
			}
		})
	}
}

// TestRoundRobinThroughTheAPI: with round robin, what members do hands out the queue:
// a ticket given to the queue goes to someone else, coming back online takes one,
// resolving frees room, more capacity takes more; workloads show it all.
func TestRoundRobinThroughTheAPI(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			ctx := context.Background()
			ana, ben := f.agent, f.ta.Member(f.admin.Workspace, policies.Agent)
			for _, m := range []*testapp.Client{ana, ben} {
				if _, err := f.ta.App.Pipeline.Presence.Seen(ctx, f.admin.Workspace.ID, m.User.ID, "tab"); err != nil {
					t.Fatal(err)
				}
			}
			first := f.ticket("First")
			f.manager.Do(http.MethodPut, f.admin.WSPath("/assignment"), api.AssignmentRequest{Mode: messaging.AssignRoundRobin, Capacity: 1}).Expect(http.StatusOK)
			holder := f.holder(t, first)
			if holder != ana.User.ID && holder != ben.User.ID {
				t.Fatalf("the waiting ticket went to %q, want one of the agents", holder)
			}
			x, y := ana, ben
			if holder == ben.User.ID {
				x, y = ben, ana
			}

			// y is full with a ticket a manager gave them by hand; a manager gives x's
			// ticket to the queue: not back to x, so it waits.
			pre := f.ticket("By hand")
			f.manager.Do(http.MethodPost, f.path("/"+pre.ID+"/assign"), api.AssignRequest{AssigneeID: &y.User.ID}).Expect(http.StatusOK)
			var conv messaging.Conversation
			f.manager.Do(http.MethodPost, f.path("/"+first.ID+"/assign"), api.AssignRequest{}).Expect(http.StatusOK).Decode(&conv)
			if conv.AssigneeID != nil || conv.State != messaging.StateQueued {
				t.Fatalf("given to the queue, the ticket is %s with %v; want queued, not back to whom it was taken from", conv.State, conv.AssigneeID)
			}

			// x busy: nothing moves; x back online takes the oldest.
			var av api.Availability
			x.Do(http.MethodPut, x.WSPath("/availability"), api.AvailabilityRequest{Availability: tenants.Busy}).Expect(http.StatusOK).Decode(&av)
			if av.Availability != tenants.Busy || !av.Online {
				t.Fatalf("availability %+v, want busy with the app open", av)
			}
			second := f.ticket("Second")
			f.manager.Do(http.MethodPut, f.admin.WSPath("/assignment"), api.AssignmentRequest{Mode: messaging.AssignRoundRobin, Capacity: 1}).Expect(http.StatusOK)
			f.expectTicket(t, "with one agent busy and the other full", first, "", messaging.StateQueued)
			x.Do(http.MethodPut, x.WSPath("/availability"), api.AvailabilityRequest{Availability: tenants.Online}).Expect(http.StatusOK)
			f.expectTicket(t, "the oldest, once the busy agent is back", first, x.User.ID, messaging.StateActive)
			f.expectTicket(t, "the next, with both full", second, "", messaging.StateQueued)
			refusedNaming(t, x.Do(http.MethodPut, x.WSPath("/availability"), api.AvailabilityRequest{Availability: "away"}), "availability")

			// y resolving frees room for the next.
			y.Do(http.MethodPatch, f.path("/"+pre.ID), api.ConversationUpdate{State: ptr(messaging.StateResolved)}).Expect(http.StatusOK)
			f.expectTicket(t, "after the other agent resolved theirs", second, y.User.ID, messaging.StateActive)

			// More capacity takes more.
			fourth := f.ticket("Fourth")
			capacity := f.admin.WSPath("/members/" + scMemberID(t, f.admin, x.User.ID) + "/capacity")
			f.agent.Do(http.MethodPut, capacity, api.CapacityRequest{Capacity: ptr(2)}).Expect(http.StatusForbidden)
			refusedNaming(t, f.manager.Do(http.MethodPut, capacity, api.CapacityRequest{Capacity: ptr(-1)}), "capacity")
			f.expectTicket(t, "before more capacity", fourth, "", messaging.StateQueued)
			f.manager.Do(http.MethodPut, capacity, api.CapacityRequest{Capacity: ptr(2)}).Expect(http.StatusOK)
			f.expectTicket(t, "with room for two", fourth, x.User.ID, messaging.StateActive)

			var loads api.List[messaging.Workload]
			f.manager.Do(http.MethodGet, f.admin.WSPath("/workloads"), nil).Expect(http.StatusOK).Decode(&loads)
			byUser := map[string]messaging.Workload{}
			for _, w := range loads.Items {
				byUser[w.UserID] = w
			}
			if w := byUser[x.User.ID]; w.Active != 2 || w.Capacity != 2 || w.Availability != tenants.Online || !w.Online {
				t.Errorf("workload of the agent with room for two: %+v", w)
			}
			if w := byUser[y.User.ID]; w.Active != 1 || w.Capacity != 1 || !w.Online {
				t.Errorf("workload of the other agent: %+v", w)
			}
			if w, ok := byUser[f.admin.User.ID]; !ok || w.Online || w.Active != 0 {
				t.Errorf("the admin, who holds tickets but has no app open: %+v (listed %v)", w, ok)
			}
			if _, ok := byUser[f.viewer.User.ID]; ok {
				t.Errorf("workloads list the viewer, who cannot hold tickets")
			}
		})
	}
}

// holder is who holds conv now ("" for no one).
func (f *convFixture) holder(t *testing.T, conv messaging.Conversation) string {
	t.Helper()
	got, err := messaging.GetConversation(f.ta.Ctx(), f.sc, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AssigneeID == nil {
		return ""
	}
	return *got.AssigneeID
}

// TestPresenceFromTheApp: a member's open app (the realtime connection) is their
// presence: opening it takes the ticket that waited, closing it ends it.
func TestPresenceFromTheApp(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New()}))
	s := serveRT(t, ta)
	f := convFixtureOn(t, ta)
	admin, agent, sc := f.admin, f.agent, f.sc
	waiting := f.ticket("Waiting")
	admin.Do(http.MethodPut, admin.WSPath("/assignment"), api.AssignmentRequest{Mode: messaging.AssignRoundRobin}).Expect(http.StatusOK)
	held := func() string {
		c, err := messaging.GetConversation(ta.Ctx(), sc, waiting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.AssigneeID == nil {
			return ""
		}
		return *c.AssigneeID
	}
	if h := held(); h != "" {
		t.Fatalf("with no one's app open the ticket went to %s", h)
	}
	online := func() bool {
		var av api.Availability
		agent.Do(http.MethodGet, agent.WSPath("/availability"), nil).Expect(http.StatusOK).Decode(&av)
		return av.Online
	}

	ws := dial(t, s.url(admin.Workspace), s.sessionHeader(t, agent.User))
	eventually(t, "the ticket handed to the agent who opened the app", func() bool { return held() == agent.User.ID })
	if !online() {
		t.Fatal("the agent with the app open is not online")
	}
	ws.Close()
	eventually(t, "the agent offline once the app closed", func() bool { return !online() })
}

// eventually polls ok for up to 10 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("not so after 10 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// refusedNaming checks that r is a 422 naming field.
func refusedNaming(t *testing.T, r *testapp.Response, field string) {
	t.Helper()
	if e := r.Expect(http.StatusUnprocessableEntity).Error(); e.Fields[field] == "" {
		t.Errorf("refusal %+v does not name %s", e, field)
	}
}

// TestAutoCloseThroughTheAPI: anyone who reads conversations sees the auto-close
// rules; managers set them, refused naming the field; the sweep then closes idle
// tickets, which the list, its filter and the counts show as such; abandoned is the
// rules' own state, and accepting an abandoned ticket reopens it, idle from then on.
func TestAutoCloseThroughTheAPI(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			ctx := context.Background()
			rules := f.admin.WSPath("/auto-close")
			var got messaging.AutoClose
			f.viewer.Do(http.MethodGet, rules, nil).Expect(http.StatusOK).Decode(&got)
			if !got.Off() {
				t.Fatalf("a new workspace's auto-close rules: %+v, want none", got)
			}
			f.agent.Do(http.MethodPut, rules, api.AutoCloseRequest{ResolveAfterMinutes: 60}).Expect(http.StatusForbidden)
			refusedNaming(t, f.manager.Do(http.MethodPut, rules, api.AutoCloseRequest{ResolveAfterMinutes: -5}), "resolve_after_minutes")
			refusedNaming(t, f.manager.Do(http.MethodPut, rules, api.AutoCloseRequest{AbandonAfterMinutes: messaging.MaxAutoCloseMinutes + 1}), "abandon_after_minutes")
			f.manager.Do(http.MethodPut, rules, api.AutoCloseRequest{ResolveAfterMinutes: 60, AbandonAfterMinutes: 120}).Expect(http.StatusOK).Decode(&got)
			if got.ResolveAfterMinutes != 60 || got.AbandonAfterMinutes != 120 {
				t.Fatalf("rules stored %+v", got)
			}
			f.agent.Do(http.MethodGet, rules, nil).Expect(http.StatusOK).Decode(&got)
			if got.ResolveAfterMinutes != 60 || got.AbandonAfterMinutes != 120 {
				t.Fatalf("rules read back %+v", got)
			}

			old, fresh := f.ticket("Waited"), f.ticket("Just in")
			longAgo := time.Now().UTC().Add(-3 * time.Hour)
			if _, err := f.sc.Update((*messaging.Conversation)(nil)).Set("last_activity_at = ?", longAgo).Set("state_changed_at = ?", longAgo).
				Where("cv.id = ?", old.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if res, err := f.ta.App.Pipeline.Sweep(ctx, pipeline.SweepAge); err != nil || res.Closed != 1 {
				t.Fatalf("sweep closed %d (%v), want the ticket that waited", res.Closed, err)
			}
			f.expectTicket(t, "the ticket that waited three hours", old, "", messaging.StateAbandoned)
			f.expectTicket(t, "the new one", fresh, "", messaging.StateQueued)
			if ids := f.listIDs(f.agent, "kind=ticket&state=abandoned"); len(ids) != 1 || ids[0] != old.ID {
				t.Fatalf("abandoned tickets listed %v, want the one that waited", ids)
			}
			var counts api.ConversationCounts
			f.agent.Do(http.MethodGet, f.path("/counts?kind=ticket"), nil).Expect(http.StatusOK).Decode(&counts)
			if counts.Counts[messaging.StateAbandoned] != 1 || counts.Counts[messaging.StateQueued] != 1 {
				t.Fatalf("counts %v, want 1 abandoned and 1 queued", counts.Counts)
			}
			refusedNaming(t, f.manager.Do(http.MethodPatch, f.path("/"+fresh.ID), api.ConversationUpdate{State: ptr(messaging.StateAbandoned)}), "state")

			// Accepted, the abandoned ticket is the agent's, and not idle however old
			// its last message.
			f.agent.Do(http.MethodPost, f.path("/"+old.ID+"/accept"), nil).Expect(http.StatusOK)
			if res, err := f.ta.App.Pipeline.Sweep(ctx, pipeline.SweepAge); err != nil || res.Closed != 0 {
				t.Fatalf("sweep after the accept closed %d (%v), want none", res.Closed, err)
			}
			f.expectTicket(t, "the abandoned ticket, accepted", old, f.agent.User.ID, messaging.StateActive)
		})
	}
}

// TestSLAThroughTheAPI: anyone who reads conversations sees the SLA policy;
// managers set it, refused naming the field; a customer's ticket answered late
// through the API names the missed target, and the breached filter lists it.
func TestSLAThroughTheAPI(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			ctx := context.Background()
			policy := f.admin.WSPath("/sla")
			var got messaging.SLAPolicy
			f.viewer.Do(http.MethodGet, policy, nil).Expect(http.StatusOK).Decode(&got)
			if !got.Off() {
				t.Fatalf("a new workspace's SLA policy: %+v, want none", got)
			}
			f.agent.Do(http.MethodPut, policy, api.SLARequest{FirstResponseMinutes: 30}).Expect(http.StatusForbidden)
			refusedNaming(t, f.manager.Do(http.MethodPut, policy, api.SLARequest{NextResponseMinutes: -1}), "next_response_minutes")
			f.manager.Do(http.MethodPut, policy, api.SLARequest{FirstResponseMinutes: 30, ResolutionMinutes: 480}).Expect(http.StatusOK).Decode(&got)
			if got.FirstResponseMinutes != 30 || got.ResolutionMinutes != 480 || got.NextResponseMinutes != 0 {
				t.Fatalf("policy stored %+v", got)
			}

			// Two customers wrote an hour ago; the agent answers one now.
			wrote := time.Now().UTC().Add(-time.Hour)
			ticket := func(phone string) messaging.Conversation {
				t.Helper()
				ct, err := messaging.ContactByAddress(ctx, f.sc, f.conn.Kind, phone, "")
				if err != nil {
					t.Fatal(err)
				}
				conv, _, err := messaging.RouteInbound(ctx, f.sc, f.conn.ID, ct, wrote, "hello?")
				if err != nil {
					t.Fatal(err)
				}
				return conv
			}
			answered, waiting := ticket("+15550777001"), ticket("+15550777002")
			f.agent.Do(http.MethodPost, f.path("/"+answered.ID+"/messages"), map[string]any{"type": "text", "text": "Sorry for the wait"}).Expect(http.StatusCreated)
			var view api.ConversationView
			f.agent.Do(http.MethodGet, f.path("/"+answered.ID), nil).Expect(http.StatusOK).Decode(&view)
			if view.FirstResponseAt == nil || view.FirstResponseDueAt == nil || len(view.SLABreaches) != 1 || view.SLABreaches[0] != messaging.SLAFirstResponse {
				t.Fatalf("answered late: first response %v (due %v), breaches %v; want first_response missed", view.FirstResponseAt, view.FirstResponseDueAt, view.SLABreaches)
			}
			ids := f.listIDs(f.agent, "kind=ticket&sla=breached")
			if len(ids) != 2 || !contains(ids, answered.ID) || !contains(ids, waiting.ID) {
				t.Fatalf("breached tickets %v, want both (one answered late, one not yet)", ids)
			}
			refusedNaming(t, f.agent.Do(http.MethodGet, f.path("?sla=soon"), nil), "sla")

			// A ticket opened without the policy's clocks (a team's own) misses nothing.
			f.agent.Do(http.MethodGet, f.path("/"+f.ticket("Own").ID), nil).Expect(http.StatusOK).Decode(&view)
			if view.SLABreaches == nil || len(view.SLABreaches) != 0 {
				t.Fatalf("a ticket without targets: breaches %#v, want an empty list", view.SLABreaches)
			}
		})
	}
}

// TestTeamsThroughTheAPI: anyone who reads conversations sees the teams; managers
// make and change them, refused naming the field; a ticket transferred to a team
// waits in its queue with the transfer note, the team filter finds it, and another
// workspace's team is not found anywhere; a team deleted leaves its tickets in the
// general queue.
func TestTeamsThroughTheAPI(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			teams := f.admin.WSPath("/teams")
			var none api.List[messaging.Team]
			f.viewer.Do(http.MethodGet, teams, nil).Expect(http.StatusOK).Decode(&none)
			if len(none.Items) != 0 {
				t.Fatalf("a new workspace's teams: %+v", none.Items)
			}
			req := api.TeamRequest{Name: "Billing", MemberIDs: []string{f.agent.User.ID}, ConnectionIDs: []string{f.conn.ID}}
			f.agent.Do(http.MethodPost, teams, req).Expect(http.StatusForbidden)
			refusedNaming(t, f.manager.Do(http.MethodPost, teams, api.TeamRequest{Name: "Billing", MemberIDs: []string{f.viewer.User.ID}}), "member_ids[0]")
			refusedNaming(t, f.manager.Do(http.MethodPost, teams, api.TeamRequest{Name: "Billing", ConnectionIDs: []string{other.conn.ID}}), "connection_ids[0]")
			var team messaging.Team
			f.manager.Do(http.MethodPost, teams, req).Expect(http.StatusCreated).Decode(&team)
			if team.Name != "Billing" || len(team.MemberIDs) != 1 || len(team.ConnectionIDs) != 1 {
				t.Fatalf("team made %+v", team)
			}
			if r := f.manager.Do(http.MethodPost, teams, api.TeamRequest{Name: "billing"}); r.Status != http.StatusConflict || r.Error().Fields["name"] == "" {
				t.Fatalf("a second team named billing: %d %s, want 409 naming name", r.Status, r.Body)
			}
			var theirs messaging.Team
			other.manager.Do(http.MethodPost, other.admin.WSPath("/teams"), api.TeamRequest{Name: "Theirs"}).Expect(http.StatusCreated).Decode(&theirs)
			f.viewer.Do(http.MethodGet, f.admin.WSPath("/teams/"+theirs.ID), nil).Expect(http.StatusNotFound)
			f.manager.Do(http.MethodPatch, f.admin.WSPath("/teams/"+theirs.ID), api.TeamChange{Name: ptr("Ours")}).Expect(http.StatusNotFound)
			f.manager.Do(http.MethodDelete, f.admin.WSPath("/teams/"+theirs.ID), nil).Expect(http.StatusNotFound)

			// A ticket to Billing's queue, with a note.
			ticket := f.ticket("Invoice")
			r := f.manager.Do(http.MethodPost, f.path("/"+ticket.ID+"/assign"), api.AssignRequest{TeamID: &theirs.ID})
			if r.Status != http.StatusNotFound || r.Error().Fields["team_id"] == "" {
				t.Fatalf("to another workspace's team: %d %s, want 404 naming team_id", r.Status, r.Body)
			}
			var conv api.ConversationView
			f.manager.Do(http.MethodPost, f.path("/"+ticket.ID+"/assign"), api.AssignRequest{TeamID: &team.ID, Note: "about an invoice"}).
				Expect(http.StatusOK).Decode(&conv)
			if conv.TeamID == nil || *conv.TeamID != team.ID || conv.AssigneeID != nil || conv.State != messaging.StateQueued {
				t.Fatalf("transferred to Billing: team %v, assignee %v, %s; want queued in Billing", conv.TeamID, conv.AssigneeID, conv.State)
			}
			var thread api.List[messaging.Message]
			f.agent.Do(http.MethodGet, f.path("/"+ticket.ID+"/messages"), nil).Expect(http.StatusOK).Decode(&thread)
			if n := len(thread.Items); n == 0 || thread.Items[n-1].Body != "Transferred to the Billing team: about an invoice" {
				t.Fatalf("thread %+v, want the transfer note naming the team", thread.Items)
			}
			if ids := f.listIDs(f.agent, "kind=ticket&team="+team.ID); len(ids) != 1 || ids[0] != ticket.ID {
				t.Fatalf("Billing's tickets: %v", ids)
			}
			if ids := f.listIDs(f.agent, "kind=ticket&team=none"); contains(ids, ticket.ID) {
				t.Fatalf("the general queue lists Billing's ticket: %v", ids)
			}
			if r := f.agent.Do(http.MethodGet, f.path("?team="+theirs.ID), nil); r.Status != http.StatusNotFound || r.Error().Fields["team"] == "" {
				t.Fatalf("another workspace's team as a filter: %d %s", r.Status, r.Body)
			}
			// The counts follow the team the list shows.
			f.ticket("In the general queue")
			for query, queued := range map[string]int{"team=" + team.ID: 1, "team=none": 1, "": 2} {
				var counts api.ConversationCounts
				f.agent.Do(http.MethodGet, f.path("/counts?kind=ticket&"+query), nil).Expect(http.StatusOK).Decode(&counts)
				if counts.Counts[messaging.StateQueued] != queued {
					t.Errorf("counts with %q: %v, want %d queued", query, counts.Counts, queued)
				}
			}
			if r := f.agent.Do(http.MethodGet, f.path("/counts?kind=ticket&team="+theirs.ID), nil); r.Status != http.StatusNotFound || r.Error().Fields["team"] == "" {
				t.Fatalf("counts of another workspace's team: %d %s", r.Status, r.Body)
			}

			// Renamed, then deleted: the ticket is the general queue's.
			f.manager.Do(http.MethodPatch, f.admin.WSPath("/teams/"+team.ID), api.TeamChange{Name: ptr("Accounts"), MemberIDs: &[]string{}}).
				Expect(http.StatusOK).Decode(&team)
			if team.Name != "Accounts" || len(team.MemberIDs) != 0 || len(team.ConnectionIDs) != 1 {
				t.Fatalf("team changed %+v, want renamed, no members, its connection kept", team)
			}
			f.manager.Do(http.MethodDelete, f.admin.WSPath("/teams/"+team.ID), nil).Expect(http.StatusNoContent)
			f.agent.Do(http.MethodGet, f.path("/"+ticket.ID), nil).Expect(http.StatusOK).Decode(&conv)
			if conv.TeamID != nil {
				t.Fatalf("after the team was deleted the ticket is in %v, want the general queue", conv.TeamID)
			}
		})
	}
}
