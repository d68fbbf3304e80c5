package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestConnectionThroughPluginBinary runs the whole connection path against the real
// loopback binary started by the app's plugin host: the operator sees the plugin, an
// admin connects an account (validated by the plugin process), the plugin's signed
// webhook lands as stored events, and a forged one is refused.
func TestConnectionThroughPluginBinary(t *testing.T) {
	plugins := t.TempDir()
	if _, err := conformance.Build("github.com/switchboardhq/switchboard/plugins/loopback/cmd/loopback", "../../plugins/loopback/manifest.json", plugins); err != nil {
		t.Fatal(err)
	}
	ta := testapp.New(t, testapp.WithConfig(func(c *config.Config) { c.PluginsDir = plugins }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ta.App.StartPlugins(ctx); err != nil {
		t.Fatal(err)
	}

	operator := ta.SessionFor(ta.NewUser("op"))
	if _, err := ta.App.DB.NewUpdate().Table("users").Set("is_operator = TRUE").Where("id = ?", operator.User.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var installed api.List[api.PluginStatus]
	operator.Do(http.MethodGet, "/api/v1/operator/plugins", nil).Expect(http.StatusOK).Decode(&installed)
	if len(installed.Items) != 1 || installed.Items[0].ID != "loopback" || installed.Items[0].State != "running" {
		t.Fatalf("installed plugins: %+v", installed.Items)
	}

	admin := ta.NewWorkspace("Loop")
	// The plugin process validates the config and names the field it rejects.
	if e := admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
		Plugin: "loopback", Engine: loopback.Engine, DisplayName: "Test line", Address: "+15550101",
		Config: json.RawMessage(`{"fail_with":"sometimes"}`),
	}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["config.webhook_secret"] == "" || e.Fields["config.fail_with"] == "" {
		t.Fatalf("invalid config: %+v", e)
	}
	var conn api.ConnectionView
	admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
		Plugin: "loopback", Engine: loopback.Engine, DisplayName: "Test line", Address: "+15550101",
		Config: loopback.Config{WebhookSecret: "hook-secret"}.JSON(),
	}).Expect(http.StatusCreated).Decode(&conn)
	if conn.Kind != "loopback" || conn.ConfigPublic["webhook_secret"] != "********" {
		t.Fatalf("connection %+v", conn)
	}

	// A webhook the provider signed with the connection's secret, as the plugin sees it.
	pluginConn := sdk.Connection{ID: conn.PublicID, Engine: loopback.Engine, Address: conn.Address,
		Config: loopback.Config{WebhookSecret: "hook-secret"}.JSON(), WebhookURL: conn.WebhookURL}
	signed := loopback.Webhook(pluginConn, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "lb-77", From: "+15559999", To: conn.Address, Text: "hello"})
	send := func(req sdk.WebhookRequest) *testapp.Response {
		h := map[string]string{}
		for k, v := range req.Headers {
			h[k] = v[0]
		}
		return ta.Anonymous().Send(testapp.Request{Method: req.Method, Path: strings.TrimPrefix(conn.WebhookURL, "http://switchboard.test"),
			ContentType: "application/json", Body: req.Body, Header: h})
	}
	forged := signed
	forged.Body = []byte(strings.Replace(string(signed.Body), "hello", "HELLO", 1))
	send(forged).Expect(http.StatusUnauthorized)
	send(signed).Expect(http.StatusOK)
	send(signed).Expect(http.StatusOK)
	var events []connections.StoredEvent
	if err := tenants.Scope(ta.App.DB, admin.Workspace.ID).Select(&events).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != sdk.EventMessage || !strings.Contains(string(events[0].Payload), "lb-77") {
		t.Fatalf("stored events: %+v", events)
	}
}
