package messaging_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestTeams: a team is saved with members who may hold tickets and connections of
// its own workspace, each connection in one team; a new customer's ticket on its
// connection waits in its queue; round robin hands it to the team's members only (the
// general queue's to anyone), the member mode to its member whatever the team; a
// member leaving leaves the team; a team deleted puts its tickets in the general
// queue.
func TestTeams(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			d := newQueueDesk(t, engine, map[string]policies.Role{"ann": policies.Agent, "bob": policies.Agent, "vic": policies.Viewer})
			ann, bob, vic := d.members["ann"], d.members["bob"], d.members["vic"]
			billingLine := addConnection(t, d.ctx, d.sc, "+15550199").ID
			names := func(s ...string) *[]string { return &s }
			str := func(s string) *string { return &s }

			// Refusals name the field, and store nothing.
			for _, tc := range []struct {
				draft messaging.TeamDraft
				field string
			}{
				{messaging.TeamDraft{}, "name"},
				{messaging.TeamDraft{Name: str("  ")}, "name"},
				{messaging.TeamDraft{Name: str("Billing"), MemberIDs: names(ann, vic)}, "member_ids[1]"},
				{messaging.TeamDraft{Name: str("Billing"), MemberIDs: names("nobody")}, "member_ids[0]"},
				{messaging.TeamDraft{Name: str("Billing"), ConnectionIDs: names(billingLine, "elsewhere")}, "connection_ids[1]"},
			} {
				_, err := messaging.SaveTeam(d.ctx, d.sc, messaging.Team{}, tc.draft, tenants.HoldsTickets)
				var fe *failure.Error
				if !errors.As(err, &fe) || fe.Fields[tc.field] == "" {
					t.Errorf("draft %+v: %v, want %s named", tc.draft, err, tc.field)
				}
			}
			if teams, err := messaging.Teams(d.ctx, d.sc); err != nil || len(teams) != 0 {
				t.Fatalf("after refusals: %d teams (%v), want none", len(teams), err)
			}

			team, err := messaging.SaveTeam(d.ctx, d.sc, messaging.Team{}, messaging.TeamDraft{Name: str(" Billing "), MemberIDs: names(bob, bob),
				ConnectionIDs: names(billingLine)}, tenants.HoldsTickets)
			if err != nil {
				t.Fatal(err)
			}
			if team.Name != "Billing" || !slices.Equal(team.MemberIDs, []string{bob}) || !slices.Equal(team.ConnectionIDs, []string{billingLine}) {
				t.Fatalf("team stored %+v", team)
			}
			if _, err := messaging.SaveTeam(d.ctx, d.sc, messaging.Team{}, messaging.TeamDraft{Name: str("BILLING")}, tenants.HoldsTickets); !errors.Is(err, messaging.ErrTeamNameTaken) {
				t.Fatalf("a second team named BILLING: %v, want the name taken", err)
			}
			other, err := messaging.SaveTeam(d.ctx, d.sc, messaging.Team{}, messaging.TeamDraft{Name: str("Sales"), ConnectionIDs: names(billingLine)}, tenants.HoldsTickets)
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Fields["connection_ids[0]"] == "" {
				t.Fatalf("the billing line in a second team: %+v, %v; want connection_ids[0] named", other, err)
			}

			// A new customer on the billing line waits in Billing's queue; one on the
			// desk's line in the general queue.
			write := func(conn, phone string) messaging.Conversation {
				t.Helper()
				c, err := messaging.ContactByAddress(d.ctx, d.sc, "sms", phone, "")
				if err != nil {
					t.Fatal(err)
				}
				conv, created, err := messaging.RouteInbound(d.ctx, d.sc, conn, c, d.passing(nil).Now, "hi")
				if err != nil || !created {
					t.Fatalf("route: created %v, %v", created, err)
				}
				return conv
			}
			invoice := write(billingLine, "+15550400001")
			general := write(d.connID, "+15550400002")
			if invoice.TeamID == nil || *invoice.TeamID != team.ID || general.TeamID != nil {
				t.Fatalf("teams of the new tickets: %v and %v, want Billing and none", invoice.TeamID, general.TeamID)
			}

			// Round robin: Billing's ticket to Bob, its only member, even with Ann
			// less loaded; the general one to anyone.
			d.online[bob] = true
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: 1})
			got := d.pass(nil)
			if got[invoice.ID] != "bob" || got[general.ID] != "ann" {
				t.Fatalf("round robin handed out %v, want Billing's to bob and the general one to ann", got)
			}

			// Bob leaves: out of the team, so Billing's next ticket waits.
			m, err := tenants.MembershipOf(d.ctx, d.sc, bob)
			if err != nil {
				t.Fatal(err)
			}
			if err := tenants.RemoveMember(d.ctx, d.sc, m.ID); err != nil {
				t.Fatal(err)
			}
			if team, err = messaging.GetTeam(d.ctx, d.sc, team.ID); err != nil || len(team.MemberIDs) != 0 {
				t.Fatalf("after bob left, the team is %+v (%v), want no members", team, err)
			}
			next := write(billingLine, "+15550400003")
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin})
			if got := d.pass(nil); len(got) != 0 {
				t.Fatalf("with no one in Billing, round robin handed out %v", got)
			}
			// More of Billing's than a page of the queue, waiting for no one: the
			// general queue's ticket behind them still goes.
			for i := range 200 {
				write(billingLine, fmt.Sprintf("+1555041%04d", i))
			}
			behind := write(d.connID, "+15550420000")
			if got := d.pass(nil); len(got) != 1 || got[behind.ID] != "ann" {
				t.Fatalf("behind 201 of Billing's, round robin handed out %d tickets (%v), want the general one to ann", len(got), got[behind.ID])
			}
			// The member mode's member takes every team's.
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &ann})
			if got := d.pass(nil); got[next.ID] != "ann" {
				t.Fatalf("mode member handed out %v, want Billing's to ann", got)
			}

			// Deleted, the team's tickets are in the general queue; its id is gone.
			if err := messaging.DeleteTeam(d.ctx, d.sc, team.ID); err != nil {
				t.Fatal(err)
			}
			if c, err := messaging.GetConversation(d.ctx, d.sc, invoice.ID); err != nil || c.TeamID != nil {
				t.Fatalf("a deleted team's ticket has team %v (%v), want none", c.TeamID, err)
			}
			if _, err := messaging.GetTeam(d.ctx, d.sc, team.ID); !errors.Is(err, messaging.ErrTeamNotFound) {
				t.Fatalf("a deleted team: %v, want not found", err)
			}
		})
	}
}
