package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestWebhookOfASharedMetaApp: Meta calls one URL per app, for all its numbers. The
// app points at workspace A's first number; a customer's message to A's second
// number reaches that number's connection, and only it; A's number connected with
// another app's secret gets nothing, the request not verifying with it. Another workspace's numbers
// get nothing from A's hook: workspace B's connection of the same number as A's
// second, with another app's secret, and workspace C's number on the same app (a
// reseller's client): an app secret is the app's, which a reseller's clients may all
// know, so it proves nothing about whose number a request is for.
func TestWebhookOfASharedMetaApp(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"whatsapp": whatsapp.New()}))
	s := serveRT(t, ta)
	ctx := context.Background()
	app := cloudapitest.NewTest(t, cloudapitest.Options{})
	app.AddNumber("106540352242923", "15550783882")
	app.AddNumber("106540352242924", "15550783883")
	app.AddNumber("106540352242925", "15550783885")
	other := cloudapitest.NewTest(t, cloudapitest.Options{AppSecret: "another-apps-secret", PhoneNumberID: "106540352242923", DisplayPhoneNumber: "15550783882"})
	// Workspace A's own number 925, connected with another app's secret.
	mismatched := cloudapitest.NewTest(t, cloudapitest.Options{AppSecret: "a-third-apps-secret", PhoneNumberID: "106540352242925", DisplayPhoneNumber: "15550783885"})

	connect := func(ws tenants.Workspace, srv *cloudapitest.Server, phoneNumberID string) connections.Connection {
		t.Helper()
		pc := whatsapptest.CloudConnectionFor(srv, phoneNumberID)
		c, err := ta.App.Connections.Create(ctx, tenants.Scope(ta.App.DB, ws.ID), connections.NewConnection{PluginID: "whatsapp",
			Engine: whatsapp.EngineCloud, DisplayName: "WhatsApp " + pc.Address, Address: pc.Address, Config: pc.Config})
		if err != nil {
			t.Fatalf("connect %s: %v", pc.Address, err)
		}
		return c
	}
	a, b, c := ta.NewWorkspace("Shop A").Workspace, ta.NewWorkspace("Shop B").Workspace, ta.NewWorkspace("Shop C").Workspace
	first := connect(a, app, app.Options().PhoneNumberID)
	second := connect(a, app, "106540352242923")
	impostor := connect(b, other, "106540352242923")
	resold := connect(c, app, "106540352242924")
	unverified := connect(a, mismatched, "106540352242925")
	app.SetWebhookURL("http://" + s.addr + "/hooks/" + first.PublicID)

	stored := func(conn connections.Connection) int {
		t.Helper()
		n, err := tenants.Scope(ta.App.DB, conn.WorkspaceID).Select((*connections.StoredEvent)(nil)).
			Where("ce.connection_id = ? AND ce.type = ?", conn.ID, sdk.EventMessage).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := app.InjectFor(ctx, "106540352242923", cloudapitest.Inbound{From: "+15550100001", Text: "Is the blue one in stock?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.InjectFor(ctx, "106540352242924", cloudapitest.Inbound{From: "+15550100002", Text: "Hello from a reseller's customer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Inject(ctx, cloudapitest.Inbound{From: "+15550100003", Text: "And one for the first number"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.InjectFor(ctx, "106540352242925", cloudapitest.Inbound{From: "+15550100004", Text: "Signed by this app, not that number's"}); err != nil {
		t.Fatal(err)
	}
	// A's number connected with another app's secret: the request does not verify.
	if n := stored(unverified); n != 0 {
		t.Fatalf("a connection whose secret does not verify the request stored %d events", n)
	}
	// Each injection is delivered synchronously: what was stored is all there is.
	if n, m, k, i := stored(first), stored(second), stored(resold), stored(impostor); n != 1 || m != 1 || k != 0 || i != 0 {
		t.Fatalf("events stored: first %d, second %d, workspace C's %d, workspace B's %d; want 1, 1, 0, 0", n, m, k, i)
	}
}

// TestProviderAddressChangeNeedsTheSecrets: a connection's credentials are kept when a
// change sends them masked, as the API shows them, but not when the address they are
// sent to changes: a co-admin pointing api_base_url at their own host must not
// collect a token they were never shown.
func TestProviderAddressChangeNeedsTheSecrets(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"whatsapp": whatsapp.New()}))
	ctx := context.Background()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{})
	elsewhere := cloudapitest.NewTest(t, cloudapitest.Options{})
	admin := ta.NewWorkspace("Shop")
	sc := tenants.Scope(ta.App.DB, admin.Workspace.ID)
	pc := whatsapptest.CloudConnection(srv)
	conn, err := ta.App.Connections.Create(ctx, sc, connections.NewConnection{PluginID: "whatsapp", Engine: whatsapp.EngineCloud,
		DisplayName: "WhatsApp", Address: pc.Address, Config: pc.Config})
	if err != nil {
		t.Fatal(err)
	}
	cfg := whatsapptest.CloudConfig(srv)
	masked := map[string]any{"phone_number_id": cfg.PhoneNumberID, "waba_id": cfg.WABAID, "api_base_url": cfg.APIBaseURL,
		"access_token": "********", "app_secret": "********", "verify_token": "********"}
	path := admin.WSPath("/connections/" + conn.ID)
	// The same address, secrets masked: kept.
	admin.Do(http.MethodPatch, path, map[string]any{"config": masked}).Expect(http.StatusOK)
	// Another address, secrets masked: refused, each secret named, nothing changed.
	masked["api_base_url"] = elsewhere.URL()
	r := admin.Do(http.MethodPatch, path, map[string]any{"config": masked})
	for _, field := range []string{"config.access_token", "config.app_secret", "config.verify_token"} {
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), field) {
			t.Fatalf("a new api_base_url with masked secrets: %d %s, want 422 naming %s", r.Status, r.Body, field)
		}
	}
	if got, err := ta.App.Connections.Get(ctx, sc, conn.ID); err != nil {
		t.Fatal(err)
	} else if c, err := ta.App.Connections.Config(got); err != nil || c["api_base_url"] != srv.URL() {
		t.Fatalf("after the refused change the config points at %v (%v), want %s", c["api_base_url"], err, srv.URL())
	}
	// With the secrets entered again it goes through.
	other := whatsapptest.CloudConfig(elsewhere)
	masked["access_token"], masked["app_secret"], masked["verify_token"] = other.AccessToken, other.AppSecret, other.VerifyToken
	masked["phone_number_id"], masked["waba_id"] = other.PhoneNumberID, other.WABAID
	admin.Do(http.MethodPatch, path, map[string]any{"config": masked}).Expect(http.StatusOK)
}

// expiredToken is a channel whose provider rejects the credentials when asked for a
// customer's media.
type expiredToken struct{ *loopback.Loopback }

func (c expiredToken) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := c.Loopback.Describe(ctx)
	d.Capabilities = append(d.Capabilities, sdk.CapMediaDownload)
	return d, err
}

func (c expiredToken) Action(ctx context.Context, conn sdk.Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	if name == sdk.ActionResolveMedia {
		return nil, sdk.Errorf(sdk.AuthFailed, "190", "Error validating access token: Session has expired")
	}
	return c.Loopback.Action(ctx, conn, name, args)
}

// TestMediaWithRejectedCredentials: a provider that rejects the credentials when asked
// for a customer's photo is said so, and the connection is left as it is: a read by
// any member must not stop the workspace's sends (a provider may refuse one old media
// while the credentials still send; a refused send marks the connection).
func TestMediaWithRejectedCredentials(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"expired": expiredToken{loopback.New()}}))
	ctx := context.Background()
	admin := ta.NewWorkspace("Shop")
	sc := tenants.Scope(ta.App.DB, admin.Workspace.ID)
	conn, err := ta.App.Connections.Create(ctx, sc, connections.NewConnection{PluginID: "expired", Engine: loopback.Engine,
		DisplayName: "Line", Address: "+15550107000", Config: loopback.Config{WebhookSecret: "secret"}.JSON()})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := messaging.ContactByAddress(ctx, sc, conn.Kind, "+15550107001", "Sam")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := messaging.NewConversation(ctx, sc, messaging.KindTicket, conn.ID, contact, "")
	if err != nil {
		t.Fatal(err)
	}
	m := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionIn, Type: "image",
		Status: messaging.StatusReceived, Content: messaging.Content{Media: &sdk.Media{URL: "https://provider.example/media/1", MIMEType: "image/jpeg"}}}
	if err := messaging.Insert(ctx, sc, &m, "test"); err != nil {
		t.Fatal(err)
	}
	r := admin.Do(http.MethodGet, admin.WSPath("/conversations/"+conv.ID+"/messages/"+m.ID+"/media"), nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "rejected the connection's credentials for this media: Error validating access token") {
		t.Fatalf("media with rejected credentials: %d %s, want 503 saying so", r.Status, r.Body)
	}
	got, err := ta.App.Connections.Get(ctx, sc, conn.ID)
	if err != nil || got.Status != connections.StatusActive {
		t.Fatalf("connection after a media's rejection: %q %q (%v), want it left active", got.Status, got.StatusReason, err)
	}
}
