package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestChannelsAndTemplates: an admin sees which channels the workspace may connect,
// with the schema the connection form is built from, and every member can list a
// connection's approved templates.
func TestChannelsAndTemplates(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New(), "stub": &stubChannel{}}))
	admin := ta.NewWorkspace("Catalog")
	ws := admin.Workspace
	viewer := ta.Member(ws, policies.Viewer)

	var chans api.List[connections.ChannelOption]
	admin.Do(http.MethodGet, admin.WSPath("/channels"), nil).Expect(http.StatusOK).Decode(&chans)
	byID := map[string]connections.ChannelOption{}
	for _, c := range chans.Items {
		byID[c.Plugin] = c
	}
	lb, ok := byID["loopback"]
	if len(chans.Items) != 2 || !ok || !lb.Available || len(lb.ConfigSchema) == 0 || len(lb.Engines) == 0 {
		t.Fatalf("channels %+v", chans.Items)
	}
	// Managers and below do not configure channels.
	ta.Member(ws, policies.Manager).Do(http.MethodGet, admin.WSPath("/channels"), nil).Expect(http.StatusForbidden)

	// A plan limited to the loopback channel leaves the other one listed but unavailable.
	if _, err := tenants.SavePlan(ta.Ctx(), ta.App.DB, "loopback-only", "Loopback only", tenants.Features{MaxConnections: -1, MaxSeats: -1, Channels: []string{"loopback"}}); err != nil {
		t.Fatal(err)
	}
	if err := tenants.SetWorkspacePlan(ta.Ctx(), ta.App.DB, ws.ID, "loopback-only"); err != nil {
		t.Fatal(err)
	}
	admin.Do(http.MethodGet, admin.WSPath("/channels"), nil).Expect(http.StatusOK).Decode(&chans)
	for _, c := range chans.Items {
		if want := c.Plugin == "loopback"; c.Available != want || (c.Available == (c.Reason != "")) {
			t.Errorf("%s on a loopback-only plan: available %v, reason %q", c.Plugin, c.Available, c.Reason)
		}
	}

	var conn api.ConnectionView
	admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{Plugin: "loopback", Engine: "loopback",
		DisplayName: "Line", Address: "+15550100", Config: loopback.Config{WebhookSecret: "s"}.JSON()}).Expect(http.StatusCreated).Decode(&conn)
	var tpls api.List[connections.Template]
	viewer.Do(http.MethodGet, admin.WSPath("/connections/"+conn.ID+"/templates"), nil).Expect(http.StatusOK).Decode(&tpls)
	names := map[string]connections.Template{}
	for _, tp := range tpls.Items {
		names[tp.Name] = tp
	}
	if len(tpls.Items) != 2 || names["order_shipped"].Body != "Your order {{1}} has shipped." || names["welcome"].Category != "marketing" {
		t.Fatalf("templates %+v", tpls.Items)
	}

	// Another workspace's connection is not found, exactly like a missing one.
	other := ta.NewWorkspace("Elsewhere")
	other.Do(http.MethodGet, other.WSPath("/connections/"+conn.ID+"/templates"), nil).Expect(http.StatusNotFound)
}

// TestTemplatesOfAChannelWithoutThem: a channel without the templates capability
// lists none, rather than failing.
func TestTemplatesOfAChannelWithoutThem(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"stub": &stubChannel{}}))
	admin := ta.NewWorkspace("Plain")
	var conn api.ConnectionView
	admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{Plugin: "stub", Engine: "basic",
		DisplayName: "Line", Address: "+15550001", Config: []byte(`{"token":"t"}`)}).Expect(http.StatusCreated).Decode(&conn)
	var tpls api.List[connections.Template]
	admin.Do(http.MethodGet, admin.WSPath("/connections/"+conn.ID+"/templates"), nil).Expect(http.StatusOK).Decode(&tpls)
	if tpls.Items == nil || len(tpls.Items) != 0 {
		t.Fatalf("templates of a channel without them: %+v", tpls)
	}
}

// windowed is the loopback channel with WhatsApp's 24-hour rule.
type windowed struct{ *loopback.Loopback }

func (w windowed) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := w.Loopback.Describe(ctx)
	d.Capabilities = append(d.Capabilities, sdk.CapWindow24h)
	return d, err
}

// TestConversationShowsItsChannel: every member, viewers included (who cannot list
// connections), sees which channel a conversation runs on and whether only templates
// can be sent to it now.
func TestConversationShowsItsChannel(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"wa": windowed{loopback.New()}}))
	admin := ta.NewWorkspace("Windows")
	viewer := ta.Member(admin.Workspace, policies.Viewer)
	var conn api.ConnectionView
	admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{Plugin: "wa", Engine: "loopback",
		DisplayName: "Support", Address: "+15550100", Config: loopback.Config{WebhookSecret: "s"}.JSON()}).Expect(http.StatusCreated).Decode(&conn)
	sc := tenants.Scope(ta.App.DB, admin.Workspace.ID)
	ct, err := messaging.ContactByAddress(ta.Ctx(), sc, conn.Kind, "+15550199", "Kim")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := messaging.NewConversation(ta.Ctx(), sc, messaging.KindTicket, conn.ID, ct, "")
	if err != nil {
		t.Fatal(err)
	}
	path := admin.WSPath("/conversations/" + conv.ID)
	var v api.ConversationView
	viewer.Do(http.MethodGet, path, nil).Expect(http.StatusOK).Decode(&v)
	if v.Channel.ID != conn.ID || v.Channel.DisplayName != "Support" || v.Channel.Address != "+15550100" || !v.Channel.Window24h {
		t.Fatalf("channel %+v", v.Channel)
	}
	if !v.TemplatesOnly {
		t.Fatal("no message from the customer yet: only templates may be sent")
	}
	// The customer wrote an hour ago, as the inbound path records it.
	if _, _, err := messaging.RouteInbound(ta.Ctx(), sc, conn.ID, ct, time.Now().UTC().Add(-time.Hour), "hello?"); err != nil {
		t.Fatal(err)
	}
	var l api.List[api.ConversationView]
	viewer.Do(http.MethodGet, admin.WSPath("/conversations?kind=ticket"), nil).Expect(http.StatusOK).Decode(&l)
	if len(l.Items) != 1 || l.Items[0].TemplatesOnly || l.Items[0].Channel.Kind == "" || l.Items[0].WindowOpenedAt == nil {
		t.Fatalf("an hour after the customer wrote: %+v", l.Items)
	}
	// A conversation opened with them afterwards has their window: it is theirs with
	// the number.
	chat, err := messaging.NewConversation(ta.Ctx(), sc, messaging.KindChat, conn.ID, ct, "")
	if err != nil {
		t.Fatal(err)
	}
	admin.Do(http.MethodGet, admin.WSPath("/conversations/"+chat.ID), nil).Expect(http.StatusOK).Decode(&v)
	if v.TemplatesOnly || v.WindowOpenedAt == nil || !v.WindowOpenedAt.Equal(*l.Items[0].WindowOpenedAt) {
		t.Fatalf("a chat opened after the customer wrote in a ticket: templates only %v, window from %v", v.TemplatesOnly, v.WindowOpenedAt)
	}
}
