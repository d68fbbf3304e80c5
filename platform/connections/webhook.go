package connections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// EventSink receives the normalized events of a connection's webhooks and sessions.
// It must be idempotent: providers redeliver, and a webhook parsed twice yields the
// same events.
type EventSink interface {
	Deliver(ctx context.Context, c Connection, events []sdk.Event) error
}

// StoredEvent is an event kept in channel_events until the message pipeline takes it.
type StoredEvent struct {
	bun.BaseModel `bun:"table:channel_events,alias:ce"`
	tenants.Owned

	ID           string          `bun:"id,pk" json:"id"`
	ConnectionID string          `bun:"connection_id,notnull" json:"connection_id"`
	Type         sdk.EventType   `bun:"type,notnull" json:"type"`
	DedupKey     string          `bun:"dedup_key,notnull" json:"-"`
	Payload      json.RawMessage `bun:"payload,type:jsonb,notnull" json:"payload"`
	ReceivedAt   time.Time       `bun:"received_at,notnull" json:"received_at"`
}

// StoreSink stores events durably, once each.
type StoreSink struct{ DB bun.IDB }

// Deliver inserts every event, skipping those already stored.
func (s StoreSink) Deliver(ctx context.Context, c Connection, events []sdk.Event) error {
	if len(events) == 0 {
		return nil
	}
	sc := tenants.Scope(s.DB, c.WorkspaceID)
	now := time.Now().UTC()
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return err
		}
		row := StoredEvent{ID: storage.NewID(), ConnectionID: c.ID, Type: e.Type, DedupKey: DedupKey(e), Payload: payload, ReceivedAt: now}
		if _, err := sc.Insert(&row).On("CONFLICT (connection_id, dedup_key) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("connections: store event: %w", err)
		}
	}
	return nil
}

// DedupKey identifies an event across redeliveries: an inbound message by its provider
// id, a status by message id and status, anything else by its content.
func DedupKey(e sdk.Event) string {
	switch {
	case e.Type == sdk.EventMessage && e.Message != nil && e.Message.ProviderMessageID != "":
		return "message:" + e.Message.ProviderMessageID
	case e.Type == sdk.EventStatus && e.Status != nil && e.Status.ProviderMessageID != "":
		return "status:" + e.Status.ProviderMessageID + ":" + e.Status.Status
	}
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(b)
	return string(e.Type) + ":" + hex.EncodeToString(sum[:16])
}

// Webhook answers a provider's request to /hooks/{public id}: the plugin verifies and
// parses it, the events go to sink, and the plugin's response goes back. When the
// plugin or the sink cannot take the events the answer is a 5xx, so the provider
// delivers again later and nothing is lost.
func (s *Service) Webhook(ctx context.Context, db bun.IDB, publicID string, req sdk.WebhookRequest, sink EventSink) (sdk.WebhookResponse, error) {
	c, err := ByPublicID(ctx, db, publicID)
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	if c.Status == StatusDisabled {
		return sdk.WebhookResponse{Status: http.StatusServiceUnavailable, Body: []byte("connection disabled")}, nil
	}
	ch, err := s.plugins.Channel(c.PluginID)
	if err != nil {
		return sdk.WebhookResponse{Status: http.StatusServiceUnavailable, Body: []byte("channel unavailable")}, nil
	}
	conn, err := s.ForPlugin(c)
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	resp, events, err := ch.HandleWebhook(ctx, conn, req)
	if err != nil {
		return sdk.WebhookResponse{Status: http.StatusServiceUnavailable, Body: []byte("channel unavailable")}, nil
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if resp.Status < 300 {
		if err := sink.Deliver(ctx, c, events); err != nil {
			return sdk.WebhookResponse{}, err
		}
		if err := s.toSiblings(ctx, db, c, ch, req, resp.OtherAddresses, sink); err != nil {
			return sdk.WebhookResponse{}, err
		}
	}
	resp.OtherAddresses = nil
	return resp, nil
}

// toSiblings offers a request that carries events for the provider's other accounts
// (one Meta app calls one URL for all its numbers) to their connections in the same
// workspace (see siblings). Each connection's plugin verifies the request with that
// connection's own secret and returns its own events only, so a request signed for
// another app gives nothing, and a connection takes no event that is not its
// number's. One whose settings cannot be opened is skipped and logged (the others'
// events must not wait on it); one whose events cannot be stored fails the request,
// so the provider delivers it again (events already stored are not stored twice).
func (s *Service) toSiblings(ctx context.Context, db bun.IDB, from Connection, ch sdk.Channel, req sdk.WebhookRequest, addresses []string, sink EventSink) error {
	if len(addresses) == 0 {
		return nil
	}
	cs, err := siblings(ctx, db, from, addresses)
	if err != nil {
		return fmt.Errorf("connections: webhook: other numbers: %w", err)
	}
	if len(cs) == 0 {
		// Debug: an app shared with other workspaces names their numbers on every
		// request, which is not this workspace's trouble.
		s.log().Debug("webhook names numbers this workspace has not connected (or has disabled); their events are not taken",
			"connection", from.ID, "addresses", len(addresses))
	}
	for _, c := range cs {
		conn, err := s.ForPlugin(c)
		if err != nil {
			s.log().Error("webhook for another number: its settings cannot be opened; skipped", "connection", c.ID, "error", err)
			continue
		}
		resp, events, err := ch.HandleWebhook(ctx, conn, req)
		if err != nil {
			return fmt.Errorf("connections: webhook for %s: %w", c.ID, err)
		}
		if resp.Status >= 300 {
			s.log().Warn("webhook for another number does not verify with its connection's secret; skipped", "connection", c.ID, "status", resp.Status)
			continue
		}
		if err := sink.Deliver(ctx, c, events); err != nil {
			return err
		}
	}
	return nil
}
