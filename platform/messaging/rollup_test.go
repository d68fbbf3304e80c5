package messaging_test

import (
	"fmt"
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestRollUpPill: the pill for every mix of outbound statuses, on both engines,
// stored once and left alone when nothing changed.
func TestRollUpPill(t *testing.T) {
	t.Parallel()
	const (
		pending, scheduled, queued = messaging.StatusPending, messaging.StatusScheduled, messaging.StatusQueued
		sent, delivered, read      = messaging.StatusSent, messaging.StatusDelivered, messaging.StatusRead
		failed, cancelled          = messaging.StatusFailed, messaging.StatusCancelled
	)
	cases := []struct {
		statuses []string
		want     string
	}{
		{nil, messaging.PillPending},
		{[]string{cancelled}, messaging.PillPending},
		{[]string{pending}, messaging.PillPending},
		{[]string{queued, cancelled}, messaging.PillPending},
		{[]string{scheduled}, messaging.PillScheduled},
		{[]string{scheduled, scheduled, cancelled}, messaging.PillScheduled},
		{[]string{scheduled, pending}, messaging.PillPending},
		{[]string{failed}, messaging.PillFailed},
		{[]string{failed, failed, cancelled}, messaging.PillFailed},
		{[]string{failed, scheduled}, messaging.PillPending},
		{[]string{failed, queued}, messaging.PillPending},
		{[]string{sent}, messaging.PillSent},
		{[]string{delivered, pending}, messaging.PillSent},
		{[]string{read, scheduled, cancelled}, messaging.PillSent},
		{[]string{sent, failed}, messaging.PillPartial},
		{[]string{read, failed, pending, scheduled}, messaging.PillPartial},
	}
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			ws := ta.NewWorkspace("Roll-up").Workspace
			sc := tenants.Scope(ta.App.DB, ws.ID)
			conn := addConnection(t, ctx, sc, "+15550100")
			for i, c := range cases {
				contact, err := messaging.ContactByAddress(ctx, sc, "sms", fmt.Sprintf("+1555020%04d", i), "")
				if err != nil {
					t.Fatal(err)
				}
				conv, err := messaging.NewConversation(ctx, sc, messaging.KindCampaign, conn.ID, contact, "")
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range c.statuses {
					m := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionOut,
						Type: "text", Body: "hi", Status: st}
					if err := messaging.Insert(ctx, sc, &m, "api"); err != nil {
						t.Fatal(err)
					}
				}
				// An inbound message counts for nothing.
				in := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionIn,
					Type: "text", Body: "hello", Status: messaging.StatusReceived}
				if err := messaging.Insert(ctx, sc, &in, "provider"); err != nil {
					t.Fatal(err)
				}
				got, changed, err := messaging.RollUp(ctx, sc, conv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Pill != c.want || changed != (c.want != conv.Pill) {
					t.Errorf("%v: pill %q (changed %v), want %q (from %q)", c.statuses, got.Pill, changed, c.want, conv.Pill)
				}
				if stored, err := messaging.GetConversation(ctx, sc, conv.ID); err != nil || stored.Pill != c.want {
					t.Errorf("%v: stored pill %q, %v", c.statuses, stored.Pill, err)
				}
				if _, changed, err := messaging.RollUp(ctx, sc, conv.ID); err != nil || changed {
					t.Errorf("%v: a second roll-up changed the pill (%v)", c.statuses, err)
				}
			}
			if _, _, err := messaging.RollUp(ctx, sc, storage.NewID()); err != messaging.ErrConversationNotFound {
				t.Errorf("roll-up of no conversation: %v", err)
			}
		})
	}
}
