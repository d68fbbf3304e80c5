package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// queueDesk is a workspace with a connection, members of the roles given, and a way
// to put tickets in its queue.
type queueDesk struct {
	t       *testing.T
	ctx     context.Context
	sc      tenants.Scoped
	connID  string
	members map[string]string // name → user id
	online  map[string]bool   // user id → has the app open
	n       int
}

func newQueueDesk(t *testing.T, engine testapp.Engine, roles map[string]policies.Role) *queueDesk {
	t.Helper()
	ta := testapp.New(t, testapp.OnEngine(engine))
	ws := ta.NewWorkspace("Desk").Workspace
	d := &queueDesk{t: t, ctx: ta.Ctx(), sc: tenants.Scope(ta.App.DB, ws.ID), members: map[string]string{}, online: map[string]bool{}}
	d.connID = addConnection(t, d.ctx, d.sc, "+15550100").ID
	for name, role := range roles {
		c := ta.Member(ws, role)
		d.members[name] = c.User.ID
		d.online[c.User.ID] = true
	}
	return d
}

// ticket puts a new customer's ticket in the queue on connID.
func (d *queueDesk) ticket(connID string) messaging.Conversation {
	d.t.Helper()
	d.n++
	c, err := messaging.ContactByAddress(d.ctx, d.sc, "sms", fmt.Sprintf("+1555030%04d", d.n), "")
	if err != nil {
		d.t.Fatal(err)
	}
	conv, err := messaging.NewConversation(d.ctx, d.sc, messaging.KindTicket, connID, c, "")
	if err != nil {
		d.t.Fatal(err)
	}
	return conv
}

func (d *queueDesk) rules(s messaging.AssignmentSettings) {
	d.t.Helper()
	if _, err := messaging.SetAssignment(d.ctx, d.sc, s, tenants.HoldsTickets); err != nil {
		d.t.Fatal(err)
	}
}

// pass runs the queue's rules and reports who got each ticket, by name.
func (d *queueDesk) pass(skip map[string]string) map[string]string {
	d.t.Helper()
	got, err := messaging.AssignQueued(d.ctx, d.sc, d.passing(skip))
	if err != nil {
		d.t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range got {
		if a.Before.AssigneeID != nil || a.After.AssigneeID == nil || a.After.State != messaging.StateActive {
			d.t.Fatalf("assigned %+v → %+v: want from the queue to a member, active", a.Before, a.After)
		}
		out[a.After.ID] = d.name(*a.After.AssigneeID)
	}
	return out
}

// passing is a pass with the desk's members online, agents and up holding tickets.
func (d *queueDesk) passing(skip map[string]string) messaging.Pass {
	return messaging.Pass{MayHold: tenants.HoldsTickets, Skip: skip, Now: time.Now().UTC(),
		Online: func(context.Context) (map[string]bool, error) { return d.online, nil }}
}

func (d *queueDesk) name(userID string) string {
	for n, id := range d.members {
		if id == userID {
			return n
		}
	}
	return "?" + userID
}

// held counts each member's active tickets as stored.
func (d *queueDesk) held() map[string]int {
	d.t.Helper()
	var convs []messaging.Conversation
	if err := d.sc.Select(&convs).Where("cv.assignee_id IS NOT NULL AND cv.state = ?", messaging.StateActive).Scan(d.ctx); err != nil {
		d.t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range convs {
		out[d.name(*c.AssigneeID)]++
	}
	return out
}

// TestRoundRobin: queued tickets go, oldest first, to members online (by their say
// and with the app open) who hold tickets, the least loaded first and in turn, within
// capacity (theirs over the workspace's), in the inboxes their role may see, and
// never back to the member who just gave one back; the rest wait.
func TestRoundRobin(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			d := newQueueDesk(t, engine, map[string]policies.Role{"ana": policies.Agent, "ben": policies.Agent, "cy": policies.Manager,
				"vi": policies.Viewer, "bo": policies.Agent, "off": policies.Agent})
			if _, err := tenants.SetAvailability(d.ctx, d.sc, d.members["bo"], tenants.Busy); err != nil {
				t.Fatal(err)
			}
			d.online[d.members["off"]] = false // signed in, but the app is closed

			// The queue mode hands out nothing.
			first := d.ticket(d.connID)
			if got := d.pass(nil); len(got) != 0 {
				t.Fatalf("mode queue handed out %v", got)
			}

			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: 2})
			cyCap := 1
			if _, err := tenants.SetCapacity(d.ctx, d.sc, membershipID(t, d, "cy"), &cyCap); err != nil {
				t.Fatal(err)
			}
			for range 6 {
				d.ticket(d.connID)
			}
			got := d.pass(nil)
			// Seven tickets, room for 2 + 2 + 1: five handed out, the oldest first.
			if len(got) != 5 || got[first.ID] == "" {
				t.Fatalf("handed out %v; want 5 of 7, the oldest (%s) among them", got, first.ID)
			}
			if h := d.held(); h["ana"] != 2 || h["ben"] != 2 || h["cy"] != 1 || len(h) != 3 {
				t.Fatalf("held %v; want ana 2, ben 2, cy 1 (the viewer, the busy one and the one with the app closed none)", h)
			}
			// No room: the rest wait.
			if got := d.pass(nil); len(got) != 0 {
				t.Fatalf("a pass with no room handed out %v", got)
			}

			// ana resolves one: the next queued ticket is hers.
			d.resolveOne("ana")
			if got := d.pass(nil); len(got) != 1 || firstValue(got) != "ana" {
				t.Fatalf("after ana resolved one: %v, want one ticket to ana", got)
			}

			// In turn: with room for all, equal loads go to whoever waited longest.
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: 0})
			noLimit := 0
			if _, err := tenants.SetCapacity(d.ctx, d.sc, membershipID(t, d, "cy"), &noLimit); err != nil {
				t.Fatal(err)
			}
			got = d.pass(nil) // the one left: cy holds least (1)
			if len(got) != 1 || firstValue(got) != "cy" {
				t.Fatalf("the last queued ticket went %v, want cy (least loaded)", got)
			}
			// In turn: with equal loads, the ticket goes to whoever's last one is
			// oldest. All hold 2; the first goes to someone (x), who resolves one and
			// holds 2 again, yet the next two go to the other two.
			d.ticket(d.connID)
			x := d.pass(nil)
			if len(x) != 1 {
				t.Fatalf("pass handed out %v, want 1", x)
			}
			xName := firstValue(x)
			d.resolveOne(xName)
			turn := map[string]bool{xName: true}
			for range 2 {
				d.ticket(d.connID)
				got := d.pass(nil)
				if len(got) != 1 || turn[firstValue(got)] {
					t.Fatalf("equal loads: %v after %v had theirs; want the turn to go round", got, turn)
				}
				turn[firstValue(got)] = true
			}

			// Given back to the queue by ben, now the least loaded: not his again.
			d.resolveOne("ben")
			d.resolveOne("ben")
			back := d.ticket(d.connID)
			if got := d.pass(map[string]string{back.ID: d.members["ben"]}); got[back.ID] == "ben" || got[back.ID] == "" {
				t.Fatalf("a ticket ben gave back went %v, want someone else", got)
			}

			// Inboxes: a role that may see only another connection gets none of this one.
			other := addConnection(t, d.ctx, d.sc, "+15550199")
			if _, err := messaging.SetAccessRule(d.ctx, d.sc, messaging.AccessRule{Role: policies.Agent, Mode: messaging.AccessAll, ConnectionIDs: []string{other.ID}}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				d.ticket(d.connID)
			}
			if got := d.pass(nil); len(got) != 2 || firstValue(got) != "cy" || lastValue(got) != "cy" {
				t.Fatalf("with agents limited to another inbox: %v, want both to cy, the manager", got)
			}
			onOther := d.ticket(other.ID)
			if got := d.pass(nil); got[onOther.ID] != "ana" && got[onOther.ID] != "ben" {
				t.Fatalf("a ticket on the agents' inbox went %v, want an agent", got)
			}

			// A workspace that does not let agents reply gives them nothing.
			noAgents := d.ticket(other.ID)
			pass := d.passing(nil)
			pass.MayHold = func(r policies.Role) bool { return r.AtLeast(policies.Manager) }
			handed, err := messaging.AssignQueued(d.ctx, d.sc, pass)
			if err != nil {
				t.Fatal(err)
			}
			if len(handed) != 1 || handed[0].After.ID != noAgents.ID || *handed[0].After.AssigneeID != d.members["cy"] {
				t.Fatalf("with agents unable to reply the ticket went %+v, want cy", handed)
			}
		})
	}
}

// resolveOne resolves one of the member's active tickets.
func (d *queueDesk) resolveOne(name string) {
	d.t.Helper()
	var held []messaging.Conversation
	if err := d.sc.Select(&held).Where("cv.assignee_id = ? AND cv.state = ?", d.members[name], messaging.StateActive).Limit(1).Scan(d.ctx); err != nil || len(held) == 0 {
		d.t.Fatalf("%s holds no active ticket to resolve (%v)", name, err)
	}
	if _, err := d.sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StateResolved).Where("cv.id = ?", held[0].ID).Exec(d.ctx); err != nil {
		d.t.Fatal(err)
	}
}

func membershipID(t *testing.T, d *queueDesk, name string) string {
	t.Helper()
	m, err := tenants.MembershipOf(d.ctx, d.sc, d.members[name])
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// firstValue and lastValue are the first and last of a map's values in the order
// of their keys: for a map of one, its value.
func firstValue(m map[string]string) string { return sortedValues(m)[0] }
func lastValue(m map[string]string) string {
	v := sortedValues(m)
	return v[len(v)-1]
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// TestAssignToMember: mode member gives every queued ticket to one member, whatever
// their load or presence; the rules refuse, naming the field, a member who is not
// one, or who cannot reply, and an assignee without mode member.
func TestAssignToMember(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			d := newQueueDesk(t, engine, map[string]policies.Role{"boss": policies.Admin, "vi": policies.Viewer, "ag": policies.Agent})
			d.online = map[string]bool{} // no one has the app open
			boss, viewer, stranger := d.members["boss"], d.members["vi"], "no-such-user"
			for _, tc := range []struct {
				s     messaging.AssignmentSettings
				field string
			}{
				{messaging.AssignmentSettings{Mode: "lottery"}, "mode"},
				{messaging.AssignmentSettings{Mode: messaging.AssignMember}, "assignee_id"},
				{messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &viewer}, "assignee_id"},
				{messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &stranger}, "assignee_id"},
				{messaging.AssignmentSettings{Mode: messaging.AssignQueue, AssigneeID: &boss}, "assignee_id"},
				{messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: -1}, "capacity"},
				{messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: tenants.MaxCapacity + 1}, "capacity"},
			} {
				_, err := messaging.SetAssignment(d.ctx, d.sc, tc.s, tenants.HoldsTickets)
				var fe *failure.Error
				if !errors.As(err, &fe) || fe.Fields[tc.field] == "" {
					t.Errorf("rules %+v: error %v, want one naming %s", tc.s, err, tc.field)
				}
			}
			if s, err := messaging.Assignment(d.ctx, d.sc); err != nil || s.Mode != messaging.AssignQueue {
				t.Fatalf("after refusals the rules are %+v (%v), want the queue still", s, err)
			}
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &boss, Capacity: 1})
			for range 3 {
				d.ticket(d.connID)
			}
			if got := d.pass(nil); len(got) != 3 || firstValue(got) != "boss" || lastValue(got) != "boss" {
				t.Fatalf("mode member handed out %v, want all three to boss", got)
			}

			// The member leaves: the workspace goes back to the queue, not waiting on them.
			inbox := d.members["ag"]
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &inbox})
			if err := tenants.RemoveMember(d.ctx, d.sc, membershipID(t, d, "ag")); err != nil {
				t.Fatal(err)
			}
			if s, err := messaging.Assignment(d.ctx, d.sc); err != nil || s.Mode != messaging.AssignQueue || s.AssigneeID != nil {
				t.Fatalf("rules after their member left: %+v (%v), want the queue", s, err)
			}
		})
	}
}

// TestAssignQueuedAtOnce: passes running together never give a member more than
// their capacity, and no ticket twice.
func TestAssignQueuedAtOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			d := newQueueDesk(t, engine, map[string]policies.Role{"ana": policies.Agent, "ben": policies.Agent})
			d.rules(messaging.AssignmentSettings{Mode: messaging.AssignRoundRobin, Capacity: 3})
			for range 10 {
				d.ticket(d.connID)
			}
			var wg sync.WaitGroup
			results := make([]int, 8)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := messaging.AssignQueued(d.ctx, d.sc, d.passing(nil))
					if err != nil {
						t.Error(err)
					}
					results[i] = len(got)
				}()
			}
			wg.Wait()
			total := 0
			for _, n := range results {
				total += n
			}
			if h := d.held(); total != 6 || h["ana"] != 3 || h["ben"] != 3 {
				t.Fatalf("8 passes at once handed out %d (%v), held %v; want 6, 3 each", total, results, h)
			}
		})
	}
}
