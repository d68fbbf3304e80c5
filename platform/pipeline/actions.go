package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// Tasks that push a change the team made to a sent message to the customer's chat,
// where the channel can show it: a reaction, a pin.
const (
	TypeMessageReact = "message:react"
	TypeMessagePin   = "message:pin"
)

// MessagePushPayload names the message whose reaction or pin to push.
type MessagePushPayload struct {
	WorkspaceID string `json:"workspace_id"`
	MessageID   string `json:"message_id"`
}

// Errors of forwarding.
var (
	ErrForwardNote        = failure.New(failure.Conflict, "forward_note", "internal notes stay inside the team and cannot be forwarded")
	ErrForwardUnsupported = failure.New(failure.Conflict, "forward_unsupported", "this kind of message cannot be forwarded")
)

// Pin pins the message for the team, or unpins it, and where the channel pins
// messages in the chat, pushes that to the customer (see push).
func (p *Pipeline) Pin(ctx context.Context, sc tenants.Scoped, m messaging.Message, pinned bool, by string) (messaging.Message, error) {
	ok, err := messaging.SetPinned(ctx, sc, &m, pinned, by, p.now())
	if err != nil || !ok {
		return m, err
	}
	p.updated(ctx, sc, m, false)
	p.push(ctx, sc, m, TypeMessagePin, sdk.CapPins)
	return m, nil
}

// React sets the business's reaction ("" takes it off) and, where the channel shows
// reactions, pushes it to the customer (see push).
func (p *Pipeline) React(ctx context.Context, sc tenants.Scoped, m messaging.Message, emoji string) (messaging.Message, error) {
	ok, err := messaging.SetReaction(ctx, sc, &m, emoji, p.now())
	if err != nil || !ok {
		return m, err
	}
	p.updated(ctx, sc, m, false)
	p.push(ctx, sc, m, TypeMessageReact, sdk.CapReactions)
	return m, nil
}

// push queues the task that shows the customer what the team changed on m (a
// reaction, a pin), when the provider knows m and the channel can show it. The thread
// shows the stored state whatever the push does; the task pushes the state the
// message has when it runs, so after a quick change of mind the customer sees the
// last one, not the order tasks ran in.
func (p *Pipeline) push(ctx context.Context, sc tenants.Scoped, m messaging.Message, taskType string, needs sdk.Capability) {
	if m.ProviderMessageID == nil || !p.connectionCan(ctx, sc, m.ConnectionID, needs) {
		return
	}
	payload, _ := json.Marshal(MessagePushPayload{WorkspaceID: sc.WorkspaceID(), MessageID: m.ID})
	_, err := p.Enqueuer.client.EnqueueContext(ctx, asynq.NewTask(taskType, payload),
		asynq.Queue(jobs.QueueSends), asynq.MaxRetry(5), asynq.Timeout(time.Minute))
	if err != nil {
		// The change is stored; only the customer's copy lags. Say so, not fail.
		p.Log.Warn("push to the customer not queued", "task", taskType, "workspace", sc.WorkspaceID(), "message", m.ID, "error", err)
	}
}

// connectionCan reports whether the connection's channel declares the capability.
func (p *Pipeline) connectionCan(ctx context.Context, sc tenants.Scoped, connectionID string, c sdk.Capability) bool {
	conn, err := p.Connections.Get(ctx, sc, connectionID)
	if err != nil {
		return false
	}
	desc, ok := p.Plugins.Describe(conn.PluginID)
	return ok && desc.Has(c)
}

// HandleMessageReactTask pushes a message's current reaction to the customer.
func (p *Pipeline) HandleMessageReactTask(ctx context.Context, t *asynq.Task) error {
	return p.handlePush(ctx, t, sdk.CapReactions, func(m messaging.Message) sdk.OutboundMessage {
		// The id names this reaction, not the message: a plugin may hand it to the
		// provider as an idempotency key, and a changed reaction must not pass for a repeat.
		return sdk.OutboundMessage{ID: fmt.Sprintf("%s:reaction:%d", m.ID, m.UpdatedAt.UnixMicro()), Type: sdk.TypeReaction,
			Reaction: &sdk.Reaction{ProviderMessageID: *m.ProviderMessageID, Emoji: m.Reaction}}
	})
}

// HandleMessagePinTask pins or unpins a message in the customer's chat, as it is now.
func (p *Pipeline) HandleMessagePinTask(ctx context.Context, t *asynq.Task) error {
	return p.handlePush(ctx, t, sdk.CapPins, func(m messaging.Message) sdk.OutboundMessage {
		return sdk.OutboundMessage{ID: fmt.Sprintf("%s:pin:%d", m.ID, m.UpdatedAt.UnixMicro()), Type: sdk.TypePin,
			Pin: &sdk.Pin{ProviderMessageID: *m.ProviderMessageID, Pinned: m.PinnedAt != nil}}
	})
}

// handlePush sends the customer what build makes of the message a push task names,
// if it can still be shown: the message is there and known to the provider, its
// connection active and able (needs). A failure the provider calls permanent (the
// engine cannot, the window is closed) is logged and dropped: the local state stays
// as the member set it.
func (p *Pipeline) handlePush(ctx context.Context, t *asynq.Task, needs sdk.Capability, build func(messaging.Message) sdk.OutboundMessage) error {
	var pl MessagePushPayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil || pl.WorkspaceID == "" || pl.MessageID == "" {
		return jobs.SkipRetry(fmt.Errorf("pipeline: bad %s payload: %v", t.Type(), err))
	}
	sc := tenants.Scope(p.DB, pl.WorkspaceID)
	out, err := messaging.GetOutgoing(ctx, sc, pl.MessageID)
	if errors.Is(err, messaging.ErrMessageNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	m, conn := out.Message, out.Connection
	if m.ProviderMessageID == nil || m.Deleted() || conn == nil || conn.Status != connections.StatusActive {
		return nil
	}
	desc, ok := p.Plugins.Describe(conn.PluginID)
	if !ok || !desc.Has(needs) {
		return nil
	}
	ch, err := p.Plugins.Channel(conn.PluginID)
	if err != nil {
		return err
	}
	pc, err := p.Connections.ForPlugin(*conn)
	if err != nil {
		return err
	}
	msg := build(m)
	msg.To = out.Contact.Address(desc.Kind)
	_, err = ch.Send(ctx, pc, msg)
	var se *sdk.Error
	if errors.As(err, &se) && se.Class != sdk.Transient && se.Class != sdk.RateLimited {
		p.Log.Warn("change not shown to the customer", "task", t.Type(), "workspace", pl.WorkspaceID, "message", m.ID, "reason", se.Reason)
		return nil
	}
	return err
}

// Delete soft-deletes the message. A scheduled one is cancelled first, so it is never
// sent; one on its way to the provider cannot be deleted until it arrives or fails.
// The customer's copy of a sent message stays: no channel here can take it back.
func (p *Pipeline) Delete(ctx context.Context, sc tenants.Scoped, m messaging.Message, by string) (messaging.Message, error) {
	if m.Status == messaging.StatusScheduled && m.Direction == messaging.DirectionOut {
		c, err := p.cancel(ctx, sc, m) // this copy only: the other recipients' stay
		if err != nil && !errors.Is(err, messaging.ErrNotScheduled) {
			return m, err
		}
		if err == nil {
			m = c
		} else if m, err = messaging.GetMessage(ctx, sc, m.ID); err != nil {
			return m, err
		}
	}
	ok, err := messaging.MarkDeleted(ctx, sc, &m, by, p.now())
	if err != nil {
		return m, err
	}
	if ok {
		if m.Direction == messaging.DirectionOut && m.Status == messaging.StatusFailed {
			// A deleted failure no longer counts in the pill.
			if _, _, err := p.rollUp(ctx, sc, m.ConversationID); err != nil {
				p.Log.Error("pill roll-up failed", "workspace", sc.WorkspaceID(), "conversation", m.ConversationID, "error", err)
			}
		}
		p.updated(ctx, sc, m, true) // its preview, and perhaps its pill, changed
	}
	return m.Redacted(), nil
}

// Forward sends a copy of the message into another conversation, as a new outbound
// message there: it is charged and sent like any other (and refunded if it fails).
func (p *Pipeline) Forward(ctx context.Context, sc tenants.Scoped, m messaging.Message, to messaging.Conversation, authorID string) (messaging.Message, error) {
	switch {
	case m.Deleted():
		return m, messaging.ErrMessageDeleted
	case m.Direction == messaging.DirectionNote:
		return m, ErrForwardNote
	}
	if md := m.Content.Media; m.Direction == messaging.DirectionIn && md != nil && md.URL != "" {
		// A customer's media is the provider's, behind the connection's credentials:
		// the copy goes as a file of this workspace, fetched now.
		file, err := p.keepCustomerMedia(ctx, sc, m)
		if err != nil {
			return m, err
		}
		return p.Post(ctx, sc, to, Draft{Type: "media", Text: m.Body, Media: &sdk.Media{Caption: md.Caption}, MediaFile: file.ID,
			AuthorID: authorID, ForwardedFrom: m.ID})
	}
	switch m.Type {
	case "text", "media", "location", "template":
	default:
		return m, ErrForwardUnsupported
	}
	fwd, err := p.Post(ctx, sc, to, Draft{Type: m.Type, Text: m.Body, Media: m.Content.Media, MediaFile: m.Content.MediaFile, Location: m.Content.Location,
		Template: m.Content.AsWritten(), AuthorID: authorID, ForwardedFrom: m.ID})
	return fwd, refilled(err)
}

// keepCustomerMedia stores a customer's media, fetched from the provider, as a file
// of the workspace. Only the types every channel carries can be sent on (a WhatsApp
// voice note, audio/ogg, cannot).
func (p *Pipeline) keepCustomerMedia(ctx context.Context, sc tenants.Scoped, m messaging.Message) (media.File, error) {
	md := m.Content.Media
	unsendable := func(typ string) error {
		return ErrForwardUnsupported.WithMessage(fmt.Sprintf("a %s cannot be sent on: channels carry %s files", cmp.Or(typ, "file of unknown type"), media.TypeList))
	}
	typ := md.MIMEType
	name, ok := media.NameFor(md.Filename, typ)
	if typ != "" && !ok {
		return media.File{}, unsendable(typ)
	}
	fetched, err := p.Connections.OpenMedia(ctx, sc, m.ConnectionID, md.URL, "")
	if err != nil {
		return media.File{}, err
	}
	defer fetched.Body.Close()
	if typ == "" {
		typ = fetched.MIMEType
		if name, ok = media.NameFor(md.Filename, typ); !ok {
			return media.File{}, unsendable(typ)
		}
	}
	tooLarge := ErrForwardUnsupported.WithMessage(fmt.Sprintf("the customer's file is more than the %s a message carries", media.FormatSize(media.MaxBytes)))
	if fetched.Size > media.MaxBytes {
		return media.File{}, tooLarge
	}
	// Read before it is stored: Save stores as it reads, in a transaction that
	// must not wait on the provider's network.
	data, err := io.ReadAll(io.LimitReader(fetched.Body, media.MaxBytes+1))
	if err != nil {
		return media.File{}, fmt.Errorf("pipeline: fetch the customer's media: %w", err)
	}
	if int64(len(data)) > media.MaxBytes {
		return media.File{}, tooLarge
	}
	f, err := media.Save(ctx, sc, media.Upload{Filename: name, Body: bytes.NewReader(data)}, p.now())
	var fe *failure.Error
	if errors.As(err, &fe) && fe.Kind == failure.Invalid {
		// Said of the customer's file, which the forward request does not name.
		for _, why := range fe.Fields {
			return f, ErrForwardUnsupported.WithMessage("the customer's file " + why)
		}
	}
	return f, err
}

// updated tells the thread's viewers about a change that leaves the status alone, and
// the conversation list too when the conversation changed with it.
func (p *Pipeline) updated(ctx context.Context, sc tenants.Scoped, m messaging.Message, conversation bool) {
	conv, err := messaging.GetConversation(ctx, sc, m.ConversationID)
	if err != nil {
		p.Log.Warn("message change not published", "workspace", sc.WorkspaceID(), "message", m.ID, "error", err)
		return
	}
	m = m.Redacted()
	m.Starred = false // personal: each viewer keeps their own
	updates := []update{{realtime.MessageUpdated, &m}}
	if conversation {
		updates = append(updates, conversationUpdated(conv))
	}
	p.publish(ctx, sc, conv, updates...)
}
