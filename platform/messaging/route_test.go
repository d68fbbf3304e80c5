package messaging_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// routingWorkspace is a new workspace on engine, and a way to make its SMS contacts.
func routingWorkspace(t *testing.T, engine testapp.Engine) (context.Context, tenants.Scoped, func(phone string) messaging.Contact) {
	t.Helper()
	ta := testapp.New(t, testapp.OnEngine(engine))
	ctx := ta.Ctx()
	sc := tenants.Scope(ta.App.DB, ta.NewWorkspace("Routing").Workspace.ID)
	return ctx, sc, func(phone string) messaging.Contact {
		t.Helper()
		c, err := messaging.ContactByAddress(ctx, sc, "sms", phone, "")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// TestRouteInbound: a customer's message goes to the conversation on its connection
// that last wrote to the customer (or that they last wrote in), campaigns and other
// connections' conversations left out; a resolved one reopens; with none, a new
// ticket.
func TestRouteInbound(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx, sc, contact := routingWorkspace(t, engine)
			now := time.Now().UTC()
			here, there := addConnection(t, ctx, sc, "+15550100"), addConnection(t, ctx, sc, "+15550101")
			customer, other := contact("+15550200001"), contact("+15550200002")
			// open opens a conversation that last wrote to all its recipients ago
			// before now.
			open := func(kind string, conn connections.Connection, ago time.Duration, recipients ...messaging.Contact) messaging.Conversation {
				c, err := messaging.OpenConversation(ctx, sc, kind, conn.ID, recipients, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := messaging.Touch(ctx, sc, c.ID, "", now.Add(-ago), true); err != nil {
					t.Fatal(err)
				}
				if _, err := sc.Update((*messaging.Recipient)(nil)).Set("last_outbound_at = ?", now.Add(-ago)).
					Where("cr.conversation_id = ?", c.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				return c
			}
			route := func(c messaging.Contact) (messaging.Conversation, bool) {
				conv, created, err := messaging.RouteInbound(ctx, sc, here.ID, c, now, "hello?")
				if err != nil {
					t.Fatal(err)
				}
				return conv, created
			}

			// Nothing yet: a new ticket.
			first, created := route(contact("+15550200003"))
			if !created || first.Kind != messaging.KindTicket || first.ConnectionID != here.ID {
				t.Fatalf("a new customer's message: created %v, %s on %s; want a new ticket here", created, first.Kind, first.ConnectionID)
			}

			older := open(messaging.KindChat, here, 3*time.Hour, customer)
			latest := open(messaging.KindTicket, here, 2*time.Hour, other, customer) // the customer is its second recipient
			open(messaging.KindCampaign, here, time.Hour, customer)                  // more recent, but a campaign
			open(messaging.KindChat, there, time.Minute, customer)                   // more recent, but another connection
			open(messaging.KindChat, here, time.Minute, other)                       // more recent, but not the customer's
			got, created := route(customer)
			if created || got.ID != latest.ID {
				t.Fatalf("routed to %s (created %v), want the customer's latest conversation here %s (the older is %s)", got.ID, created, latest.ID, older.ID)
			}
			if !got.Unread || got.LastInboundAt == nil || !got.LastInboundAt.Equal(now) {
				t.Fatalf("routed conversation: unread %v, last inbound %v; want unread, at %v", got.Unread, got.LastInboundAt, now)
			}

			// A reply to a resolved conversation reopens it in the queue.
			if _, err := sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StateResolved).Where("cv.id = ?", latest.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := route(customer); got.ID != latest.ID || got.State != messaging.StateQueued {
				t.Fatalf("a reply to the resolved conversation: %s in state %q, want %s reopened (%q)", got.ID, got.State, latest.ID, messaging.StateQueued)
			}
			// One pending (waiting on the customer) is theirs to answer again: the
			// customer's reply makes it active.
			if _, err := sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StatePending).Where("cv.id = ?", latest.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := route(customer); got.ID != latest.ID || got.State != messaging.StateQueued {
				t.Fatalf("a reply to the pending conversation: %s in state %q, want %s back in the queue (unassigned)", got.ID, got.State, latest.ID)
			}

			// A group conversation busy with another recipient's replies is not where
			// this customer's answer to a message sent them alone goes.
			x, y := contact("+15550200004"), contact("+15550200005")
			group := open(messaging.KindChat, here, 2*time.Hour, x, y)
			alone := open(messaging.KindChat, here, time.Hour, x)
			if got, _ := route(y); got.ID != group.ID { // y writes in the group: it is the most active conversation now
				t.Fatalf("y's message went to %s, want the group %s", got.ID, group.ID)
			}
			if got, _ := route(x); got.ID != alone.ID {
				t.Fatalf("x's reply went to %s, want the conversation that last wrote to x %s (the group, busier, is %s)", got.ID, alone.ID, group.ID)
			}
		})
	}
}

// TestWindowIsTheCustomers: the 24-hour window is the customer's with the business
// number. Their message in one conversation opens it in every conversation of theirs on
// that connection, and in one opened with them afterwards; not on another connection,
// and not for another recipient of a shared conversation.
func TestWindowIsTheCustomers(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx, sc, contact := routingWorkspace(t, engine)
			here, there := addConnection(t, ctx, sc, "+15550300"), addConnection(t, ctx, sc, "+15550301")
			customer, other := contact("+15550400001"), contact("+15550400002")
			open := func(conn connections.Connection, recipients ...messaging.Contact) messaging.Conversation {
				c, err := messaging.OpenConversation(ctx, sc, messaging.KindChat, conn.ID, recipients, "")
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			window := func(conv messaging.Conversation, c messaging.Contact) *time.Time {
				var r messaging.Recipient
				if err := sc.Select(&r).Where("cr.conversation_id = ? AND cr.contact_id = ?", conv.ID, c.ID).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				return r.LastInboundAt
			}
			chat := open(here, customer)
			shared := open(here, other, customer)
			elsewhere := open(there, customer)
			at := time.Now().UTC().Truncate(time.Microsecond)
			ticket, created, err := messaging.RouteInbound(ctx, sc, here.ID, customer, at, "is my order on its way?")
			if err != nil {
				t.Fatal(err)
			}
			if ticket.ID != shared.ID || created {
				t.Fatalf("routed to %s (created %v), want the latest of the customer's conversations %s", ticket.ID, created, shared.ID)
			}
			for name, conv := range map[string]messaging.Conversation{"the conversation written in": shared, "their other conversation here": chat} {
				if w := window(conv, customer); w == nil || !w.Equal(at) {
					t.Errorf("%s: window from %v, want %v", name, w, at)
				}
			}
			if w := window(elsewhere, customer); w != nil {
				t.Errorf("their conversation on another number: window from %v, want none", w)
			}
			if w := window(shared, other); w != nil {
				t.Errorf("another recipient of the shared conversation: window from %v, want none", w)
			}
			// A conversation a manager opens with them afterwards starts with it.
			later := open(here, customer)
			if w := window(later, customer); w == nil || !w.Equal(at) {
				t.Errorf("a conversation opened afterwards: window from %v, want %v", w, at)
			}
			windows, err := messaging.RecipientWindows(ctx, sc, []messaging.Conversation{later, elsewhere, shared})
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := windows[later.ID]; !ok || !got.Equal(at) || len(windows) != 1 {
				t.Errorf("recipient windows %v, want only %s's, at %v (shared has two recipients, elsewhere none)", windows, later.ID, at)
			}
		})
	}
}
