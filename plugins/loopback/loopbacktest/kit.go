// Package loopbacktest holds what tests need to drive the loopback plugin: its
// conformance kit (a model for other plugins' kits).
package loopbacktest

import (
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

// Secret is the webhook_secret of Kit's connection.
const Secret = "conformance-webhook-secret"

// Connection is a loopback connection with a valid config that auto-replies.
func Connection() sdk.Connection {
	return sdk.Connection{
		ID:          "lb-conformance",
		WorkspaceID: "ws-conformance",
		Engine:      loopback.Engine,
		Address:     "+15550100000",
		Config:      loopback.Config{WebhookSecret: Secret, AutoReply: "Thanks, got it"}.JSON(),
		WebhookURL:  "https://switchboard.invalid/hooks/loopback/lb-conformance",
	}
}

// Kit is the loopback plugin's conformance kit; set Dir (Run) or Manifest
// (RunInProcess, or leave Dir empty and use Manifest()).
func Kit() conformance.Kit {
	return conformance.Kit{
		Connection: Connection(),
		InvalidConfigs: []conformance.InvalidConfig{
			{Name: "missing_webhook_secret", Config: json.RawMessage(`{"auto_reply":"hi"}`), Field: "webhook_secret"},
			{Name: "empty_config", Config: json.RawMessage(`{}`), Field: "webhook_secret"},
			{Name: "fail_with_not_in_enum", Config: json.RawMessage(`{"webhook_secret":"s","fail_with":"sometimes"}`), Field: "fail_with"},
			{Name: "fail_rate_above_1", Config: json.RawMessage(`{"webhook_secret":"s","fail_rate":1.5}`), Field: "fail_rate"},
			{Name: "fail_rate_negative", Config: json.RawMessage(`{"webhook_secret":"s","fail_rate":-0.1}`), Field: "fail_rate"},
			{Name: "delay_ms_negative", Config: json.RawMessage(`{"webhook_secret":"s","delay_ms":-5}`), Field: "delay_ms"},
			{Name: "unknown_status", Config: json.RawMessage(`{"webhook_secret":"s","statuses":["sent","lost"]}`), Field: "statuses[1]"},
			{Name: "unknown_field", Config: json.RawMessage(`{"webhook_secret":"s","colour":"blue"}`), Field: "colour"},
		},
		Message: sdk.OutboundMessage{ID: "msg-1", To: "+15550100001", Type: sdk.TypeText, Text: "Hello"},
		Trigger: func(class sdk.ErrorClass) sdk.OutboundMessage {
			return sdk.OutboundMessage{ID: "msg-fail-" + string(class), To: "+15550100001", Type: sdk.TypeText, Text: loopback.FailPrefix + string(class)}
		},
		SignedWebhook: SignedWebhook,
		ForgedWebhook: ForgedWebhook,
		Sessions:      true,
	}
}

// Manifest is the loopback plugin's manifest.json template, for in-process runs.
func Manifest() *sdk.Manifest {
	m, err := sdk.ParseManifest(loopback.ManifestJSON())
	if err != nil {
		panic(err)
	}
	return &m
}

// SignedWebhook is a validly signed request for conn reporting a delivery and an
// inbound message.
func SignedWebhook(conn sdk.Connection) sdk.WebhookRequest {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return loopback.Webhook(conn,
		loopback.WebhookEvent{Type: loopback.WebhookStatus, ID: "lb-1000", Status: loopback.StatusDelivered, Recipient: "+15550100001", Timestamp: at},
		loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "lb-1001", From: "+15550100001", To: conn.Address, Text: "Where is my order?", Timestamp: at},
	)
}

// ForgedWebhook is SignedWebhook's request signed with the wrong secret.
func ForgedWebhook(conn sdk.Connection) sdk.WebhookRequest {
	req := SignedWebhook(conn)
	req.Headers[loopback.SignatureHeader] = []string{loopback.Sign("not-the-secret", req.Body)}
	return req
}
