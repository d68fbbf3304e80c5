package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// stubChannel stands in for a channel plugin in API tests: a config with a secret
// token, and webhooks signed with it. The host's own tests run real plugin binaries.
type stubChannel struct {
	sdk.Channel
	validations atomic.Int64
}

func (s *stubChannel) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{ID: "stub", Version: "1.0.0", Kind: "sms", Engines: []string{"basic"}, SendRates: map[string]float64{"basic": 1},
		ConfigSchema: json.RawMessage(`{"type":"object","properties":{"token":{"type":"string","x-secret":true},"sender":{"type":"string"}},"required":["token"]}`)}, nil
}

func (s *stubChannel) ValidateConfig(_ context.Context, _ string, raw json.RawMessage) ([]sdk.FieldError, error) {
	s.validations.Add(1)
	var cfg map[string]any
	_ = json.Unmarshal(raw, &cfg)
	if tok, _ := cfg["token"].(string); tok == "" {
		return []sdk.FieldError{{Field: "token", Message: "is required"}}, nil
	} else if tok == "expired" {
		return []sdk.FieldError{{Field: "token", Message: "was rejected by the provider"}}, nil
	}
	return nil, nil
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (s *stubChannel) HandleWebhook(_ context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	var cfg struct{ Token string }
	_ = json.Unmarshal(conn.Config, &cfg)
	got := ""
	for k, v := range req.Headers {
		if strings.EqualFold(k, "X-Signature") && len(v) > 0 {
			got = v[0]
		}
	}
	if !hmac.Equal([]byte(got), []byte(sign(cfg.Token, req.Body))) {
		return sdk.WebhookResponse{Status: http.StatusUnauthorized}, nil, nil
	}
	var body struct{ ID, From, Text string }
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return sdk.WebhookResponse{Status: http.StatusBadRequest}, nil, nil
	}
	return sdk.WebhookResponse{Status: http.StatusOK, Body: []byte("ok")},
		[]sdk.Event{{Type: sdk.EventMessage, Message: &sdk.InboundMessage{ProviderMessageID: body.ID, From: body.From, Text: body.Text, Type: "text"}}}, nil
}

func TestConnections(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			stub := &stubChannel{}
			ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(connections.StaticPlugins{"stub": stub}))
			admin := ta.NewWorkspace("Acme")

			// Bad input names the field; the plugin's own field errors come back as config.<field>.
			cases := []struct {
				name  string
				body  api.CreateConnection
				field string
			}{
				{"unknown plugin", api.CreateConnection{Plugin: "nope", Engine: "basic", DisplayName: "x", Address: "+1"}, "plugin"},
				{"unknown engine", api.CreateConnection{Plugin: "stub", Engine: "turbo", DisplayName: "x", Address: "+1", Config: json.RawMessage(`{"token":"t"}`)}, "engine"},
				{"no name", api.CreateConnection{Plugin: "stub", Engine: "basic", Address: "+1", Config: json.RawMessage(`{"token":"t"}`)}, "display_name"},
				{"config not an object", api.CreateConnection{Plugin: "stub", Engine: "basic", DisplayName: "x", Address: "+1", Config: json.RawMessage(`[1]`)}, "config"},
				{"negative send rate", api.CreateConnection{Plugin: "stub", Engine: "basic", DisplayName: "x", Address: "+1", Config: json.RawMessage(`{"token":"t"}`), SendRate: -1}, "send_rate"},
				{"send rate too high", api.CreateConnection{Plugin: "stub", Engine: "basic", DisplayName: "x", Address: "+1", Config: json.RawMessage(`{"token":"t"}`), SendRate: 20000}, "send_rate"},
				{"plugin rejects config", api.CreateConnection{Plugin: "stub", Engine: "basic", DisplayName: "x", Address: "+1", Config: json.RawMessage(`{"token":"expired"}`)}, "config.token"},
			}
			for _, tc := range cases {
				e := admin.Do(http.MethodPost, admin.WSPath("/connections"), tc.body).Expect(http.StatusUnprocessableEntity).Error()
				if e.Fields[tc.field] == "" {
					t.Errorf("%s: fields %v do not name %s", tc.name, e.Fields, tc.field)
				}
			}

			var created api.ConnectionView
			admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
				Plugin: "stub", Engine: "basic", DisplayName: "Support line", Address: "+15550001",
				Config: json.RawMessage(`{"token":"s3cret-token","sender":"ACME"}`),
			}).Expect(http.StatusCreated).Decode(&created)
			if created.Status != connections.StatusActive || created.Kind != "sms" || !strings.HasPrefix(created.WebhookURL, "http://switchboard.test/hooks/wh_") {
				t.Fatalf("created %+v", created)
			}
			// The secret never comes back, and is not stored in clear.
			if created.ConfigPublic["token"] != "********" || created.ConfigPublic["sender"] != "ACME" {
				t.Fatalf("config shown as %v", created.ConfigPublic)
			}
			raw := admin.Do(http.MethodGet, admin.WSPath("/connections/"+created.ID), nil).Expect(http.StatusOK).Body
			if strings.Contains(string(raw), "s3cret-token") {
				t.Fatal("the API returned a secret")
			}
			var sealed string
			if err := ta.App.DB.NewSelect().Table("connections").Column("config_sealed").Where("id = ?", created.ID).Scan(ta.Ctx(), &sealed); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(sealed, "s3cret") || !strings.HasPrefix(sealed, "v1:") {
				t.Fatalf("config stored as %q", sealed)
			}

			// Same address twice is a conflict naming the field.
			if e := admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
				Plugin: "stub", Engine: "basic", DisplayName: "Again", Address: "+15550001", Config: json.RawMessage(`{"token":"t"}`),
			}).Expect(http.StatusConflict).Error(); e.Fields["address"] == "" {
				t.Fatalf("duplicate address: %+v", e)
			}

			// A connection paces at its channel's default until it sets its own rate (a
			// short code); 0 goes back to the default.
			if created.SendRate != nil {
				t.Fatalf("new connection's own send rate %v, want none", *created.SendRate)
			}
			var channels api.List[connections.ChannelOption]
			admin.Do(http.MethodGet, admin.WSPath("/channels"), nil).Expect(http.StatusOK).Decode(&channels)
			if len(channels.Items) != 1 || channels.Items[0].SendRates["basic"] != 1 {
				t.Fatalf("channels %+v; want stub with its default send rate", channels.Items)
			}
			var rated api.ConnectionView
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"send_rate": 100}).Expect(http.StatusOK).Decode(&rated)
			if rated.SendRate == nil || *rated.SendRate != 100 {
				t.Fatalf("send rate after setting 100: %v", rated.SendRate)
			}
			if e := admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"send_rate": -3}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["send_rate"] == "" {
				t.Fatalf("negative send rate: %+v", e)
			}
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"send_rate": 0}).Expect(http.StatusOK).Decode(&rated)
			if rated.SendRate != nil {
				t.Fatalf("send rate after 0: %v, want the default (null)", *rated.SendRate)
			}
			// null resets it too (the value the API shows for the default); absent keeps it.
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"send_rate": 40}).Expect(http.StatusOK).Decode(&rated)
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"display_name": "Renamed"}).Expect(http.StatusOK).Decode(&rated)
			if rated.SendRate == nil || *rated.SendRate != 40 {
				t.Fatalf("send rate after a patch without it: %v, want 40 kept", rated.SendRate)
			}
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"send_rate": nil}).Expect(http.StatusOK).Decode(&rated)
			if rated.SendRate != nil {
				t.Fatalf("send rate after null: %v, want the default (null)", *rated.SendRate)
			}

			// Updating without the secret keeps it: the webhook still verifies with it.
			var updated api.ConnectionView
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{
				"display_name": "Sales line", "config": map[string]any{"token": "********", "sender": "SALES"},
			}).Expect(http.StatusOK).Decode(&updated)
			if updated.DisplayName != "Sales line" || updated.ConfigPublic["sender"] != "SALES" || updated.ConfigPublic["token"] != "********" {
				t.Fatalf("updated %+v", updated)
			}

			hook := strings.TrimPrefix(created.WebhookURL, "http://switchboard.test")
			body := []byte(`{"id":"in-1","from":"+15557777","text":"hello"}`)
			forged := ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: hook, ContentType: "application/json", Body: body,
				Header: map[string]string{"X-Signature": sign("wrong", body)}})
			if forged.Status != http.StatusUnauthorized {
				t.Fatalf("forged webhook answered %d", forged.Status)
			}
			countEvents := func() int {
				n, err := tenants.Scope(ta.App.DB, admin.Workspace.ID).Select((*connections.StoredEvent)(nil)).Count(ta.Ctx())
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := countEvents(); n != 0 {
				t.Fatalf("a forged webhook stored %d events", n)
			}
			for range 2 { // a provider redelivering the same webhook
				res := ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: hook, ContentType: "application/json", Body: body,
					Header: map[string]string{"X-Signature": sign("s3cret-token", body)}})
				if res.Status != http.StatusOK || string(res.Body) != "ok" {
					t.Fatalf("signed webhook answered %d %s", res.Status, res.Body)
				}
			}
			if n := countEvents(); n != 1 {
				t.Fatalf("a redelivered webhook stored %d events, want 1", n)
			}
			ta.Anonymous().Do(http.MethodPost, "/hooks/wh_unknown", nil).Expect(http.StatusNotFound)

			// Disabled: the provider is told to come back later; nothing is lost.
			admin.Do(http.MethodPatch, admin.WSPath("/connections/"+created.ID), map[string]any{"enabled": false}).Expect(http.StatusOK)
			res := ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: hook, ContentType: "application/json", Body: body,
				Header: map[string]string{"X-Signature": sign("s3cret-token", body)}})
			if res.Status != http.StatusServiceUnavailable {
				t.Fatalf("disabled connection's webhook answered %d", res.Status)
			}

			// The plan's connection limit holds.
			if _, err := tenants.SavePlan(ta.Ctx(), ta.App.DB, "one-line", "One line", tenants.Features{MaxConnections: 1, MaxSeats: 5}); err != nil {
				t.Fatal(err)
			}
			if err := tenants.SetWorkspacePlan(ta.Ctx(), ta.App.DB, admin.Workspace.ID, "one-line"); err != nil {
				t.Fatal(err)
			}
			if e := admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
				Plugin: "stub", Engine: "basic", DisplayName: "Second", Address: "+15550002", Config: json.RawMessage(`{"token":"t"}`),
			}).Expect(http.StatusForbidden).Error(); e.Code != "connection_limit" {
				t.Fatalf("over the plan's limit: %+v", e)
			}

			// Managers may not see or change channels; deleting stops the webhook.
			manager := ta.Member(admin.Workspace, "manager")
			manager.Do(http.MethodGet, admin.WSPath("/connections"), nil).Expect(http.StatusForbidden)
			admin.Do(http.MethodDelete, admin.WSPath("/connections/"+created.ID), nil).Expect(http.StatusNoContent)
			ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: hook, ContentType: "application/json", Body: body}).Expect(http.StatusNotFound)
		})
	}
}

// TestConnectionLimitHoldsUnderConcurrency: connections created at the same moment
// each pass the plan's first count (taken before the plugin validates the config);
// the count taken again when each is stored, one at a time, keeps the workspace at
// its plan's limit.
func TestConnectionLimitHoldsUnderConcurrency(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			// A provider that takes a moment to check credentials, as real ones do: the
			// requests all pass the first count while it checks.
			ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(connections.StaticPlugins{"loopback": slowCheck{loopback.New()}}))
			ws := ta.NewWorkspace("Two lines").Workspace
			if _, err := tenants.SavePlan(ta.Ctx(), ta.App.DB, "two-lines", "Two lines", tenants.Features{MaxConnections: 2, MaxSeats: 5}); err != nil {
				t.Fatal(err)
			}
			if err := tenants.SetWorkspacePlan(ta.Ctx(), ta.App.DB, ws.ID, "two-lines"); err != nil {
				t.Fatal(err)
			}
			sc := tenants.Scope(ta.App.DB, ws.ID)
			const tries = 6
			var created, refused atomic.Int64
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() {
					_, err := ta.App.Connections.Create(context.Background(), sc, connections.NewConnection{PluginID: "loopback", Engine: loopback.Engine,
						DisplayName: fmt.Sprintf("Line %d", i), Address: fmt.Sprintf("+1555000%04d", i), Config: loopback.Config{WebhookSecret: "s"}.JSON()})
					switch {
					case err == nil:
						created.Add(1)
					case errors.Is(err, connections.ErrConnectionLimit):
						refused.Add(1)
					default:
						t.Errorf("create %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			n, err := sc.Select((*connections.Connection)(nil)).Count(ta.Ctx())
			if err != nil {
				t.Fatal(err)
			}
			if created.Load() != 2 || refused.Load() != tries-2 || n != 2 {
				t.Fatalf("%d created, %d refused, %d stored; want the plan's 2", created.Load(), refused.Load(), n)
			}
		})
	}
}

// slowCheck is loopback with a config check that takes 50 ms.
type slowCheck struct{ *loopback.Loopback }

func (s slowCheck) ValidateConfig(ctx context.Context, engine string, raw json.RawMessage) ([]sdk.FieldError, error) {
	time.Sleep(50 * time.Millisecond)
	return s.Loopback.ValidateConfig(ctx, engine, raw)
}
