package messaging_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestContactAliases: the provider's own address of a contact written to (WhatsApp's
// wa_id) finds that contact, in its workspace only; recording it again changes
// nothing; a contact's own address comes before another's alias; an alias moves to
// the contact last written to at it.
func TestContactAliases(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			sc := tenants.Scope(ta.App.DB, ta.NewWorkspace("Aliases").Workspace.ID)
			other := tenants.Scope(ta.App.DB, ta.NewWorkspace("Elsewhere").Workspace.ID)
			byAddress := func(sc tenants.Scoped, address string) messaging.Contact {
				t.Helper()
				c, err := messaging.ContactByAddress(ctx, sc, "whatsapp", address, "")
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			record := func(c messaging.Contact, address string) {
				t.Helper()
				if err := messaging.RecordContactAlias(ctx, sc, c, "whatsapp", address); err != nil {
					t.Fatal(err)
				}
			}
			aliases := func() int {
				t.Helper()
				n, err := sc.Select((*messaging.ContactAlias)(nil)).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			contacts := func(sc tenants.Scoped) int {
				t.Helper()
				n, err := sc.Select((*messaging.Contact)(nil)).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}

			written := byAddress(sc, "+52 55 1234 5678")
			record(written, "+5215512345678")
			record(written, "+52 1 55 1234 5678") // again, written another way
			record(written, written.Phone)        // its own address is no alias
			if n := aliases(); n != 1 {
				t.Fatalf("%d aliases, want 1", n)
			}
			if got := byAddress(sc, "+5215512345678"); got.ID != written.ID {
				t.Fatalf("the wa_id found contact %s (%s), want %s", got.ID, got.Phone, written.ID)
			}
			if n := contacts(sc); n != 1 {
				t.Fatalf("%d contacts, want 1", n)
			}
			// Another workspace's customer with that number is theirs.
			if got := byAddress(other, "+5215512345678"); got.ID == written.ID || got.Phone != "+5215512345678" {
				t.Fatalf("another workspace found %+v", got)
			}
			if err := messaging.RecordContactAlias(ctx, other, written, "whatsapp", "+5215599999999"); err == nil {
				t.Fatal("an alias for another workspace's contact was recorded")
			}

			// A contact whose own number it is comes first.
			own := byAddress(sc, "+5215587654321")
			record(written, "+5215587654321")
			if got := byAddress(sc, "+5215587654321"); got.ID != own.ID {
				t.Fatalf("an alias took %s from its own contact", got.Phone)
			}

			// Written to last at it by another contact: the alias moves there.
			later := byAddress(sc, "+52 1 55 1234 5678 ")
			if later.ID != written.ID {
				t.Fatalf("the wa_id created %+v", later)
			}
			second, err := messaging.CreateContact(ctx, sc, messaging.NewContact{Phone: "+52 55 1111 2222"})
			if err != nil {
				t.Fatal(err)
			}
			record(second, "+5215512345678")
			if got := byAddress(sc, "+5215512345678"); got.ID != second.ID {
				t.Fatalf("the alias stayed with %s, want %s", got.ID, second.ID)
			}
		})
	}
}

// TestContactByOtherWhatsAppForm: on WhatsApp, a number finds the customer known by
// its other WhatsApp form, both ways (an agent typing the number of one who wrote in
// from their wa_id, and a reply from the wa_id of one written to at the number before
// it was known): Mexico's mobile 1, Brazil's ninth digit. Other channels, and numbers
// with no other form, do not; the form found is kept as an alias.
func TestContactByOtherWhatsAppForm(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			sc := tenants.Scope(ta.App.DB, ta.NewWorkspace("Compose").Workspace.ID)
			inbound := func(from string) messaging.Contact {
				t.Helper()
				c, err := messaging.ContactByAddress(ctx, sc, "whatsapp", from, "")
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			mx, br, brNew, mx2 := inbound("+5215512345678"), inbound("+551187654321"), inbound("+5521987654321"), inbound("+5215587654321")
			// Written to at the number before its wa_id was known (or on Twilio).
			written, err := messaging.ContactByAddress(ctx, sc, "whatsapp", "+52 55 2222 3333", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				kind, typed string
				want        *messaging.Contact // nil: a new contact with the typed number
				phone       string
			}{
				{"whatsapp", "+52 55 1234 5678", &mx, ""},
				{"whatsapp", "+5215512345678", &mx, ""},
				{"whatsapp", "+55 11 98765-4321", &br, ""},
				{"whatsapp", "+55 21 8765-4321", &brNew, ""},
				{"whatsapp", "+55 11 3456-7890", nil, "+551134567890"}, // a landline has no ninth digit
				{"whatsapp", "+5215522223333", &written, ""},           // their reply, from the wa_id
				{"sms", "+52 55 8765 4321", nil, "+525587654321"},
			} {
				got, err := messaging.ContactByAddress(ctx, sc, tc.kind, tc.typed, "")
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tc.want != nil && got.ID != tc.want.ID:
					t.Errorf("%s %s: contact %s (%s), want %s (%s)", tc.kind, tc.typed, got.ID, got.Phone, tc.want.ID, tc.want.Phone)
				case tc.want == nil && (got.Phone != tc.phone || got.ID == mx.ID || got.ID == br.ID || got.ID == brNew.ID || got.ID == mx2.ID):
					t.Errorf("%s %s: contact %+v, want a new one with %s", tc.kind, tc.typed, got, tc.phone)
				}
			}
			// The form found was kept: the next lookup finds it as an alias.
			var n int
			n, err = sc.Select((*messaging.ContactAlias)(nil)).Where("ca.address = ? AND ca.contact_id = ?", "+5215522223333", written.ID).Count(ctx)
			if err != nil || n != 1 {
				t.Fatalf("aliases of the reply's wa_id: %d (%v), want 1", n, err)
			}
		})
	}
}
