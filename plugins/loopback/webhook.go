package loopback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the raw body>", keyed with the
// connection's webhook_secret.
const SignatureHeader = "X-Loopback-Signature"

// Webhook event types in a loopback webhook body.
const (
	WebhookStatus  = "status"
	WebhookMessage = "message"
)

// WebhookEvent is one item of a loopback webhook body,
// {"events": [WebhookEvent, ...]}: a status of a message sent through loopback, or a
// message from a customer.
type WebhookEvent struct {
	Type string `json:"type"` // status | message
	// ID is the provider message id: the sent message's for a status, the inbound
	// message's own for a message.
	ID          string    `json:"id"`
	Status      string    `json:"status,omitempty"`
	ErrorCode   string    `json:"error_code,omitempty"`
	ErrorReason string    `json:"error_reason,omitempty"`
	Recipient   string    `json:"recipient,omitempty"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	Text        string    `json:"text,omitempty"`
	ReplyTo     string    `json:"reply_to,omitempty"`
	Timestamp   time.Time `json:"timestamp"`
}

type webhookBody struct {
	Events []json.RawMessage `json:"events"`
}

// Sign returns the SignatureHeader value for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest is the request the loopback provider would make to conn's webhook URL
// with body, signed with conn's webhook_secret.
func SignedRequest(conn sdk.Connection, body []byte) sdk.WebhookRequest {
	return sdk.WebhookRequest{
		Method: http.MethodPost,
		URL:    conn.WebhookURL,
		Headers: map[string][]string{
			"Content-Type":  {"application/json"},
			SignatureHeader: {Sign(webhookSecret(conn.Config), body)},
		},
		Body: body,
	}
}

// Webhook is a signed webhook request for conn carrying events.
func Webhook(conn sdk.Connection, events ...WebhookEvent) sdk.WebhookRequest {
	body := struct {
		Events []WebhookEvent `json:"events"`
	}{events}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // plain fields only
	}
	return SignedRequest(conn, b)
}

// HandleWebhook verifies the signature (constant time) and parses the body. A missing
// or forged signature gets 401 and no events; parsing is deterministic, so the same
// body always yields the same events.
func (l *Loopback) HandleWebhook(_ context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	if req.Method != "" && req.Method != http.MethodPost {
		return reply(http.StatusMethodNotAllowed, "POST only"), nil, nil
	}
	secret := webhookSecret(conn.Config)
	if secret == "" {
		return reply(http.StatusUnauthorized, "webhook_secret is not configured"), nil, nil
	}
	if !validSignature(secret, req.Body, header(req.Headers, SignatureHeader)) {
		return reply(http.StatusUnauthorized, "invalid signature"), nil, nil
	}
	events, err := parseWebhook(req.Body)
	if err != nil {
		return reply(http.StatusBadRequest, err.Error()), nil, nil
	}
	return reply(http.StatusOK, ""), events, nil
}

func reply(status int, problem string) sdk.WebhookResponse {
	body := []byte(`{"ok":true}`)
	if problem != "" {
		body, _ = json.Marshal(map[string]string{"error": problem})
	}
	return sdk.WebhookResponse{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func header(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func validSignature(secret string, body []byte, got string) bool {
	hexSig, ok := strings.CutPrefix(got, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(sig, mac.Sum(nil))
}

func parseWebhook(body []byte) ([]sdk.Event, error) {
	var b webhookBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	if len(b.Events) == 0 {
		return nil, errors.New("body: no events")
	}
	events := make([]sdk.Event, 0, len(b.Events))
	for i, raw := range b.Events {
		var we WebhookEvent
		if err := json.Unmarshal(raw, &we); err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
		e, err := we.event(raw)
		if err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// event is the normalized form of we; raw is its provider payload.
func (we WebhookEvent) event(raw json.RawMessage) (sdk.Event, error) {
	if we.ID == "" {
		return sdk.Event{}, errors.New("id is required")
	}
	switch we.Type {
	case WebhookStatus:
		switch we.Status {
		case StatusSent, StatusDelivered, StatusRead, StatusFailed:
		default:
			return sdk.Event{}, fmt.Errorf("unknown status %q", we.Status)
		}
		return sdk.Event{Type: sdk.EventStatus, Raw: raw, Status: &sdk.StatusUpdate{
			ProviderMessageID: we.ID,
			Status:            we.Status,
			Timestamp:         we.Timestamp,
			ErrorCode:         we.ErrorCode,
			ErrorReason:       we.ErrorReason,
			Recipient:         we.Recipient,
		}}, nil
	case WebhookMessage:
		if we.From == "" {
			return sdk.Event{}, errors.New("from is required")
		}
		return sdk.Event{Type: sdk.EventMessage, Raw: raw, Message: &sdk.InboundMessage{
			ProviderMessageID: we.ID,
			From:              we.From,
			To:                we.To,
			Type:              "text",
			Text:              we.Text,
			ReplyTo:           we.ReplyTo,
			Timestamp:         we.Timestamp,
		}}, nil
	default:
		return sdk.Event{}, fmt.Errorf("unknown type %q", we.Type)
	}
}
