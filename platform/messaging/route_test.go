package messaging_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestRouteInbound: a customer's message goes to the conversation on its connection
// that the customer is a recipient of and that had activity last, campaigns and other
// connections' conversations left out; a resolved one reopens; with none, a new
// ticket.
func TestRouteInbound(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			ws := ta.NewWorkspace("Routing").Workspace
			sc := tenants.Scope(ta.App.DB, ws.ID)
			now := time.Now().UTC()
			here, there := addConnection(t, ctx, sc, "+15550100"), addConnection(t, ctx, sc, "+15550101")
			contact := func(phone string) messaging.Contact {
				c, err := messaging.ContactByAddress(ctx, sc, "sms", phone, "")
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			customer, other := contact("+15550200001"), contact("+15550200002")
			// open opens a conversation whose last activity was ago before now.
			open := func(kind string, conn connections.Connection, ago time.Duration, recipients ...messaging.Contact) messaging.Conversation {
				c, err := messaging.OpenConversation(ctx, sc, kind, conn.ID, recipients, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := messaging.Touch(ctx, sc, c.ID, "", now.Add(-ago)); err != nil {
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
		})
	}
}
