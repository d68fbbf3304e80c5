package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// InboundSink is where webhook and session events go: each is stored once (a replayed
// webhook adds nothing) and the new ones are handed to an inbound task. The webhook
// answers as soon as the events are durable; the work happens in the task.
type InboundSink struct{ P *Pipeline }

// Deliver stores events and enqueues their processing.
func (s InboundSink) Deliver(ctx context.Context, c connections.Connection, events []sdk.Event) error {
	if len(events) == 0 {
		return nil
	}
	sc := tenants.Scope(s.P.DB, c.WorkspaceID)
	now := time.Now().UTC()
	var fresh, receipts []string
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return err
		}
		row := connections.StoredEvent{ID: storage.NewID(), ConnectionID: c.ID, Type: e.Type, DedupKey: connections.DedupKey(e), Payload: payload, ReceivedAt: now}
		res, err := sc.Insert(&row).On("CONFLICT (connection_id, dedup_key) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("pipeline: store event: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			fresh = append(fresh, row.ID)
			if batchable(e) {
				receipts = append(receipts, row.ID)
			}
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// Should this enqueue fail, the provider gets a 5xx and delivers again; the events
	// are already stored, and the maintenance sweep also picks up unprocessed ones.
	return s.P.Enqueuer.Inbound(ctx, InboundPayload{WorkspaceID: c.WorkspaceID, ConnectionID: c.ID, EventIDs: fresh, Receipts: receipts})
}

// statusGrace is how long a status for an unknown provider id is retried: the
// provider's callback can overtake the worker recording the id it just got.
const statusGrace = 10 * time.Minute

// HandleInboundTask applies stored events. On PostgreSQL receipts go together with
// those of other tasks (see statusBatch). Every other event is applied in its own
// transaction that also marks it processed, so a retried task skips what is done.
func (p *Pipeline) HandleInboundTask(ctx context.Context, t *asynq.Task) (err error) {
	var pl InboundPayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil || pl.WorkspaceID == "" {
		return jobs.SkipRetry(fmt.Errorf("pipeline: bad inbound payload: %v", err))
	}
	if pl.Counted {
		// Off the backlog once done; one that fails for good is off it when the
		// count lapses.
		defer func() {
			if err == nil {
				p.done(ctx, inboundBacklogKey(pl.WorkspaceID))
			}
		}()
	}
	sc := tenants.Scope(p.DB, pl.WorkspaceID)
	ids := pl.EventIDs
	if storage.IsPostgres(p.DB) && len(pl.Receipts) > 0 {
		if ids, err = p.applyStatuses(ctx, sc, pl.ConnectionID, pl.EventIDs, pl.Receipts); err != nil || len(ids) == 0 {
			return err
		}
	}
	conn, err := p.Connections.Get(ctx, sc, pl.ConnectionID)
	if errors.Is(err, connections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var retry error
	queued := false // a ticket entered the queue: the rules may hand it out
	for _, id := range ids {
		var out outcome
		err := p.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			st := sc.With(tx)
			var ev connections.StoredEvent
			q := st.Select(&ev).Where("ce.id = ? AND ce.processed_at IS NULL", id)
			if storage.IsPostgres(tx) {
				q = q.For("UPDATE")
			}
			if err := q.Scan(ctx); storage.IsNotFound(err) {
				return nil // done already
			} else if err != nil {
				return err
			}
			var e sdk.Event
			if err := json.Unmarshal(ev.Payload, &e); err != nil {
				return markProcessed(ctx, st, id) // cannot ever apply; keep the row for inspection
			}
			if out, err = p.apply(ctx, st, conn, e, ev.ReceivedAt); err != nil {
				return err
			}
			if out.refund != nil || out.deletedFailed != nil {
				return nil // marked processed once the refund is made, below
			}
			return markProcessed(ctx, st, id)
		})
		if err != nil {
			retry = err
			continue
		}
		if out.refund != nil || out.deletedFailed != nil {
			// The ledger runs its own transaction, so the refund waits for this one
			// to commit (on SQLite, nested, it would wait for the write lock this one
			// holds). Should it fail, the event stays unprocessed and the retry
			// refunds (the refund is idempotent).
			var err error
			if out.refund != nil {
				err = p.refund(ctx, sc, *out.refund, out.refund.Reason)
			} else if err = p.refundKey(ctx, sc, out.deletedFailed.ChargeKey, out.reason); err == nil {
				err = messaging.ForgetDeletedSend(ctx, sc, *out.deletedFailed)
			}
			if err != nil {
				retry = err
				continue
			}
			if err := markProcessed(ctx, sc, id); err != nil {
				retry = err
				continue
			}
		}
		// Published after the commit, so a browser that fetches on the event sees it.
		switch {
		case out.updated != nil:
			p.changed(ctx, sc, out.updated)
		case out.received != nil:
			p.publishReceived(ctx, sc, *out.conv, *out.received)
			c := out.conv
			queued = queued || c.Kind == messaging.KindTicket && c.State == messaging.StateQueued && c.AssigneeID == nil
		}
	}
	if queued {
		p.AssignQueued(ctx, sc, nil)
	}
	if errors.Is(retry, errStatusEarly) {
		n, _ := asynq.GetRetryCount(ctx)
		return earlyStatus{after: min(time.Second<<min(n, 6), time.Minute)}
	}
	return retry
}

func markProcessed(ctx context.Context, sc tenants.Scoped, id string) error {
	_, err := sc.Update((*connections.StoredEvent)(nil)).Set("processed_at = ?", time.Now().UTC()).Where("ce.id = ?", id).Exec(ctx)
	return err
}

var errStatusEarly = errors.New("pipeline: status for a message not recorded yet")

// earlyStatus retries a task whose status came before its message's send was
// recorded: in a second (the worker is most likely recording it as this runs), then
// twice as long each time up to a minute, which covers statusGrace within the
// inbound task's 20 retries. Asynq's own backoff would wait 15 s at least, and the
// thread would show a message sent that the customer has read.
type earlyStatus struct{ after time.Duration }

func (e earlyStatus) Error() string             { return errStatusEarly.Error() }
func (e earlyStatus) Unwrap() error             { return errStatusEarly }
func (e earlyStatus) RetryAfter() time.Duration { return e.after }

// outcome is what an applied event changed, for the realtime events sent after commit.
type outcome struct {
	updated *messaging.Message // an outbound message whose status moved
	refund  *messaging.Message // an outbound message failed by the provider: its charge comes back
	// deletedFailed is a send of a deleted conversation failed by the provider, for
	// reason: its charge comes back too.
	deletedFailed *messaging.DeletedSend
	reason        string
	received      *messaging.Message      // an inbound message stored
	conv          *messaging.Conversation // the conversation it landed in
}

// apply makes one event's change.
func (p *Pipeline) apply(ctx context.Context, sc tenants.Scoped, conn connections.Connection, e sdk.Event, received time.Time) (outcome, error) {
	switch e.Type {
	case sdk.EventMessage:
		if e.Message == nil {
			return outcome{}, nil
		}
		return p.applyInbound(ctx, sc, conn, *e.Message, received)
	case sdk.EventStatus:
		if e.Status == nil {
			return outcome{}, nil
		}
		m, found, err := messaging.ByProviderID(ctx, sc, conn.ID, e.Status.ProviderMessageID)
		if err != nil {
			return outcome{}, err
		}
		if !found {
			// Its conversation was deleted: a failure still refunds it (after this
			// transaction, as any refund; the send is forgotten once it is made).
			if kept, ok, err := messaging.DeletedSendOf(ctx, sc, conn.ID, e.Status.ProviderMessageID); err != nil {
				return outcome{}, err
			} else if ok {
				if e.Status.Status == messaging.StatusFailed {
					return outcome{deletedFailed: &kept, reason: cmp.Or(e.Status.ErrorReason, "The provider could not deliver the message")}, nil
				}
				return outcome{}, messaging.ForgetDeletedSend(ctx, sc, kept) // delivered or read: its charge stands
			}
			if time.Since(received) < statusGrace {
				return outcome{}, errStatusEarly
			}
			p.Log.Warn("status for an unknown message dropped", "workspace", sc.WorkspaceID(), "provider_message_id", e.Status.ProviderMessageID)
			return outcome{}, nil
		}
		at := e.Status.Timestamp
		if at.IsZero() {
			at = received
		}
		reason := e.Status.ErrorReason
		if e.Status.Status == messaging.StatusFailed && reason == "" {
			reason = "The provider could not deliver the message"
		}
		changed, err := messaging.Transition(ctx, sc, &m, e.Status.Status, reason, "provider", at)
		if err != nil {
			return outcome{}, err
		}
		var out outcome
		if changed {
			out.updated = &m
		}
		if m.Status == messaging.StatusFailed && e.Status.Status == messaging.StatusFailed {
			// Accepted, then not delivered: the customer does not pay for it. Also
			// when it failed already, so a retry after a failed refund makes it.
			out.refund = &m
		}
		return out, nil
	case sdk.EventContact, sdk.EventOptOut, sdk.EventOptIn:
		if e.Contact == nil {
			return outcome{}, nil
		}
		c, err := messaging.ContactByAddress(ctx, sc, conn.Kind, e.Contact.Address, e.Contact.Name)
		if err != nil || e.Type == sdk.EventContact {
			return outcome{}, err
		}
		return outcome{}, messaging.SetOptOut(ctx, sc, c.ID, e.Type == sdk.EventOptOut)
	}
	return outcome{}, nil
}

func (p *Pipeline) applyInbound(ctx context.Context, sc tenants.Scoped, conn connections.Connection, in sdk.InboundMessage, received time.Time) (outcome, error) {
	contact, err := messaging.ContactByAddress(ctx, sc, conn.Kind, in.From, "")
	if err != nil {
		return outcome{}, err
	}
	at := in.Timestamp
	if at.IsZero() || at.After(received) {
		at = received
	}
	preview := in.Text
	if preview == "" {
		preview = "[" + in.Type + "]"
	}
	conv, _, err := messaging.RouteInbound(ctx, sc, conn.ID, contact, at, preview)
	if err != nil {
		return outcome{}, err
	}
	pid := in.ProviderMessageID
	m := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionIn, Type: in.Type,
		Body: in.Text, Content: messaging.Content{Media: in.Media, Location: in.Location, Subject: in.Subject},
		Status: messaging.StatusReceived, ProviderMessageID: &pid, ContactID: &contact.ID}
	if err := messaging.Insert(ctx, sc, &m, "provider"); err != nil {
		return outcome{}, err
	}
	if k := messaging.OptKeyword(in.Text); k != 0 {
		if err := messaging.SetOptOut(ctx, sc, contact.ID, k < 0); err != nil {
			return outcome{}, err
		}
	}
	return outcome{received: &m, conv: &conv}, nil
}

// publishReceived tells browsers about a customer's message and its conversation.
func (p *Pipeline) publishReceived(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, m messaging.Message) {
	p.publish(ctx, sc, conv, update{realtime.MessageCreated, m}, conversationUpdated(conv), countsChanged(conv))
}

// ConversationChanged tells browsers that a conversation's state, assignee, unread
// mark or archive flag changed, and that the counts may have.
// before is the conversation as it was: when the change took it from its assignee, or
// from the queue, a member who sees only their own conversations, or the queue, hears
// that it left them.
func (p *Pipeline) ConversationChanged(ctx context.Context, sc tenants.Scoped, before, conv messaging.Conversation) {
	var h handover
	if was, is := before.AssigneeID, conv.AssigneeID; (was == nil) != (is == nil) || was != nil && *was != *is {
		h.happened = true
		if was != nil {
			h.from = *was
		}
	}
	p.publishFor(ctx, sc, conv, h, conversationUpdated(conv), countsChanged(conv))
}

// TagsChanged tells browsers a conversation's tags or labels changed, with them: the
// other events about a conversation do not carry them, and a browser editing them
// sends the whole set, so it must hold the one now stored.
func (p *Pipeline) TagsChanged(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, tags messaging.Tags) {
	p.publish(ctx, sc, conv, update{realtime.ConversationUpdated, struct {
		messaging.Conversation
		messaging.Tags
	}{conv, tags}})
}

// Typist is who is writing in a conversation, as ConversationTyping tells.
type Typist struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
}

// Typing tells browsers that may see the conversation that a member is writing in
// it. Nothing is stored: a browser forgets it a few seconds after the last.
func (p *Pipeline) Typing(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, who Typist) {
	p.publish(ctx, sc, conv, update{realtime.ConversationTyping, who})
}

// update is one realtime event: its type and data.
type update struct {
	typ  string
	data any
}

func conversationUpdated(conv messaging.Conversation) update {
	return update{realtime.ConversationUpdated, conv}
}

func countsChanged(conv messaging.Conversation) update {
	return update{realtime.CountsChanged, map[string]string{"kind": conv.Kind}}
}

// publish sends events about conv. Publishing is best effort: a browser that missed an
// event resyncs when it reconnects.
func (p *Pipeline) publish(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, updates ...update) {
	p.publishFor(ctx, sc, conv, handover{}, updates...)
}

// handover is a change of a conversation's assignee: from whom ("" for the queue).
type handover struct {
	happened bool
	from     string
}

// publishFor is publish for a change that may have handed the conversation over.
func (p *Pipeline) publishFor(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, h handover, updates ...update) {
	if p.Publisher == nil {
		return
	}
	assignee := ""
	if conv.AssigneeID != nil {
		assignee = *conv.AssigneeID
	}
	for _, u := range updates {
		// A deleted message goes out without its content, however it changed (a
		// receipt can still arrive for it): browsers get what the API shows.
		switch m := u.data.(type) {
		case messaging.Message:
			u.data = m.Redacted()
		case *messaging.Message:
			if m.Deleted() {
				u.data = m.Redacted()
			}
		}
		data, _ := json.Marshal(u.data)
		if err := p.Publisher.Publish(ctx, realtime.Event{Type: u.typ, WorkspaceID: sc.WorkspaceID(),
			ConversationID: conv.ID, ConversationKind: conv.Kind, AssigneeID: assignee, Reassigned: h.happened, FormerAssigneeID: h.from,
			ConnectionID: conv.ConnectionID, Data: data}); err != nil {
			p.Log.Warn("realtime publish failed", "workspace", sc.WorkspaceID(), "error", err)
		}
	}
}
