package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

// TestReplyFromCanonicalAddress: WhatsApp names a Mexican number written to as +52 55
// 1234 5678 by its wa_id 5215512345678, and the customer's reply comes from that. The
// send's result says so; the reply reaches the contact written to and the
// conversation that wrote to them, not a new contact with a ticket of its own.
func TestReplyFromCanonicalAddress(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{engine: engine})
			ctx := context.Background()
			tn := e.tenant(t, "loopback", loopback.Config{AutoReply: "¡Gracias!", Statuses: []string{"sent"},
				CanonicalAddresses: map[string]string{"+525512345678": "+5215512345678"}}, 10)
			contact, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, "+52 55 1234 5678", "Lupita")
			if err != nil {
				t.Fatal(err)
			}
			conv, err := messaging.NewConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, contact, "")
			if err != nil {
				t.Fatal(err)
			}
			count := func(model any) int {
				t.Helper()
				n, err := tn.sc.Select(model).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			contacts, convs := count((*messaging.Contact)(nil)), count((*messaging.Conversation)(nil))

			m, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "Hola, ¿cómo va su pedido?"})
			if err != nil {
				t.Fatal(err)
			}
			tn.waitStatus(t, m.ID, messaging.StatusSent)
			// The provider's webhooks: the status, and the reply from the wa_id.
			var reply string
			for key, req := range tn.webhooks(t) {
				tn.hook(t, req)
				if strings.HasPrefix(key, "message:") {
					reply = strings.TrimPrefix(key, "message:")
				}
			}
			if reply == "" {
				t.Fatal("the provider sent no reply")
			}
			tn.settled(t)

			var in messaging.Message
			if err := tn.sc.Select(&in).Where("m.connection_id = ? AND m.provider_message_id = ?", tn.conn.ID, reply).Scan(ctx); err != nil {
				t.Fatalf("the reply: %v", err)
			}
			from := ""
			if in.ContactID != nil {
				from = *in.ContactID
			}
			if in.ConversationID != conv.ID || from != contact.ID {
				t.Errorf("the reply from +5215512345678 went to conversation %s from contact %q; want %s from %s (+525512345678)",
					in.ConversationID, from, conv.ID, contact.ID)
			}
			if n := count((*messaging.Contact)(nil)); n != contacts {
				t.Errorf("%d contacts after the reply, want %d: the wa_id made a contact of its own", n, contacts)
			}
			if n := count((*messaging.Conversation)(nil)); n != convs {
				t.Errorf("%d conversations after the reply, want %d", n, convs)
			}
			if got, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, "+5215512345678", ""); err != nil || got.ID != contact.ID {
				t.Errorf("the wa_id finds %+v (%v), want contact %s", got, err, contact.ID)
			}
		})
	}
}
