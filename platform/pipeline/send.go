package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Reasons a send fails, worded for the people who read them in the thread.
const (
	ReasonOutOfCredits = "Out of message credits"
	ReasonOptedOut     = "The recipient has opted out of messages"
	ReasonNoConsent    = "No WhatsApp consent is recorded for this contact"
	ReasonWindowClosed = "Outside the 24-hour window: the customer has not written in the last 24 hours; send an approved template"
)

// Publisher tells browsers what changed.
type Publisher interface {
	Publish(ctx context.Context, e realtime.Event) error
}

// Pipeline holds what both flows need.
type Pipeline struct {
	DB          *bun.DB
	Redis       redis.UniversalClient
	Connections *connections.Service
	Plugins     connections.Plugins
	Ledger      *billing.Ledger
	Enqueuer    *Enqueuer
	Publisher   Publisher
	// MediaLinks gives providers the files members uploaded (media.Links).
	MediaLinks media.Links
	// Presence tells which members have the app open, for the queue's round robin
	// (nil: no one, so round robin hands out nothing).
	Presence *realtime.Presence
	// Enforcer says which roles may hold tickets (nil: agents and up).
	Enforcer *policies.Enforcer
	Log      *slog.Logger
	// Now is the clock (tests move it for the 24-hour window).
	Now func() time.Time

	batchesOnce sync.Once
	sendBatches *sendBatches
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// Register adds the pipeline's task handlers to a worker.
func (p *Pipeline) Register(w *jobs.Worker) {
	w.Handle(TypeMessageSend, p.HandleMessageSendTask)
	w.Handle(TypeInbound, p.HandleInboundTask)
	w.Handle(TypeMessageReact, p.HandleMessageReactTask)
	w.Handle(TypeMessagePin, p.HandleMessagePinTask)
}

// HandleMessageSendTask sends one message. Every step is safe to repeat: a message
// already past queued is left alone, the charge is keyed by the message's attempt, and
// a status only moves forward. A crash after the provider accepted the message but
// before the provider id was stored makes the retry send it again: that duplicate is
// the one thing at-least-once delivery cannot rule out, and the customer is charged
// once all the same.
func (p *Pipeline) HandleMessageSendTask(ctx context.Context, t *asynq.Task) error {
	var pl MessageSendPayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil || pl.WorkspaceID == "" || pl.MessageID == "" {
		return jobs.SkipRetry(fmt.Errorf("pipeline: bad send payload: %v", err))
	}
	sc := tenants.Scope(p.DB, pl.WorkspaceID)
	out, err := p.loadOutgoing(ctx, pl.WorkspaceID, pl.MessageID)
	if errors.Is(err, messaging.ErrMessageNotFound) {
		p.sendDone(ctx, pl)
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	m := &out.Message // this send's own: the load made it for this call alone
	if m.Attempt != pl.Attempt || messaging.Final(m.Status) || m.ProviderMessageID != nil {
		if m.Attempt == pl.Attempt && m.Status == messaging.StatusFailed {
			// The failure was recorded but the task did not finish (the refund
			// after it failed, or the process died): make sure the credit came back.
			// Idempotent: a refund already made, or no charge, does nothing.
			if err := p.refund(ctx, sc, *m, m.Reason); err != nil {
				return err
			}
		}
		p.sendDone(ctx, pl)
		return nil // a stale attempt, or done already
	}
	err = p.send(ctx, sc, out)
	var ra *retryAfter
	var accepted *afterAccepted
	if jobs.IsThrottled(err) {
		// A rate, the provider's or the connection's own, is waited out without
		// spending retries (see jobs.Throttled), up to MaxPacedDelay. Asynq still
		// archives a task whose retries were spent before (by transient failures),
		// throttled or not: that one fails here, its credit returned.
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		overdue := p.now().Sub(m.Due()) > MaxPacedDelay
		if retried < maxRetry && !overdue {
			return err
		}
		reason := "Not sent: it was still waiting for the send rate when its retries ran out"
		var wait *paced
		if errors.As(err, &wait) && overdue {
			reason = fmt.Sprintf("Not sent within %d hours: the connection sends %s a second, too few for what waits to go", int(MaxPacedDelay.Hours()), formatRate(wait.rate))
		} else if errors.As(err, &ra) {
			reason = fmt.Sprintf("Not sent: the provider kept refusing for its rate limit: %s", ra.err)
			if overdue {
				reason = fmt.Sprintf("Not sent within %d hours: the provider kept refusing for its rate limit: %s", int(MaxPacedDelay.Hours()), ra.err)
			}
		}
		err = p.fail(ctx, sc, m, reason, nil)
	} else if errors.As(err, &ra) {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			return err
		}
		// Out of retries: the message fails and its credit comes back.
		// Charged on the first attempt: its queued step and credits are stored already.
		err = p.fail(ctx, sc, m, fmt.Sprintf("Not delivered after %d attempts: %s", retried+1, ra.err),
			&messaging.Change{Status: messaging.StatusQueued, At: p.now()})
	} else if err != nil && !errors.As(err, &accepted) {
		// Our own trouble (the database, the ledger, a connection's settings that
		// cannot be opened), not the provider's, before the provider had the
		// message. Retried like the rest; once the retries are spent the message
		// fails, its credit back, rather than waiting unsent for ever. If even that
		// cannot be stored, the sweep does it later. Trouble after the provider
		// accepted it is only retried: that message went out.
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			return err
		}
		p.Log.Error("send given up", "workspace", pl.WorkspaceID, "message", m.ID, "attempts", retried+1, "error", err)
		if ferr := p.fail(ctx, sc, m, gaveUp(retried+1), nil); ferr != nil {
			return errors.Join(err, ferr)
		}
		err = nil
	}
	if err == nil {
		p.sendDone(ctx, pl)
	}
	return err
}

// send runs the checks, charges and calls the plugin, keeping out.Message up to date.
// It returns *retryAfter for a transient failure and nil once the message reached a
// final or sent state.
func (p *Pipeline) send(ctx context.Context, sc tenants.Scoped, out *messaging.Outgoing) error {
	m, contact, conn := &out.Message, out.Contact, out.Connection
	if conn == nil {
		return p.fail(ctx, sc, m, "The connection was removed", nil)
	}
	if conn.Status != connections.StatusActive {
		return p.fail(ctx, sc, m, fmt.Sprintf("The connection %q is %s %s", conn.DisplayName, conn.Status, conn.StatusReason), nil)
	}
	desc, ok := p.Plugins.Describe(conn.PluginID)
	if !ok {
		return p.fail(ctx, sc, m, fmt.Sprintf("The %s channel plugin is not installed", conn.PluginID), nil)
	}
	now := p.now()
	switch {
	case contact.OptedOut:
		return p.fail(ctx, sc, m, ReasonOptedOut, nil)
	case desc.Kind == "whatsapp" && out.Recipient.LastInboundAt == nil && !contact.WhatsAppConsent:
		return p.fail(ctx, sc, m, ReasonNoConsent, nil)
	case desc.Has(sdk.CapWindow24h) && m.Type != "template" && !out.Recipient.WindowOpen(now):
		return p.fail(ctx, sc, m, ReasonWindowClosed, nil)
	}

	credits := 1
	if desc.Has(sdk.CapSegments) {
		credits = Segments(m.Body)
	}
	// Paced before it is charged: a send waiting its turn has taken nothing yet.
	rate := connections.PaceRate(*conn, desc)
	if rate > 0 {
		queue, _ := asynq.GetQueueName(ctx)
		if err := p.pace(ctx, conn.ID, rate, credits, queue == jobs.QueueBulk || queue == jobs.QueueScheduled); err != nil {
			return err
		}
	}
	if m.Status == messaging.StatusScheduled {
		// A scheduled message is taken (pending) before it is charged: from here a
		// cancel finds it on its way and refuses, instead of calling off a send that
		// is charged, or that the provider may already have.
		taken, err := messaging.ApplyIf(ctx, sc, m, messaging.Change{Status: messaging.StatusPending, Source: "worker", At: now})
		if err != nil {
			return err
		}
		if !taken {
			// Cancelled in the meantime, or sent now by hand (pending already, the
			// same attempt): that one goes on from here.
			fresh, err := messaging.GetMessage(ctx, sc, m.ID)
			if err != nil {
				return err
			}
			if fresh.Status != messaging.StatusPending || fresh.Attempt != m.Attempt {
				return nil
			}
			*m = fresh
		}
	}
	if _, err := p.Ledger.Charge(ctx, sc.WorkspaceID(), int64(credits), m.ChargeKey(), "message:"+m.ID); err != nil {
		if errors.Is(err, billing.ErrInsufficientCredits) {
			return p.fail(ctx, sc, m, ReasonOutOfCredits, nil)
		}
		return err
	}
	// Charged, the message is queued. The status is stored with the outcome of the
	// provider call, in the same write (a send costs one status write, not two); a
	// retry stores it at once, so the thread shows the message on its way. A crash
	// before the outcome leaves it pending, which its retry treats the same.
	queued := messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: now, Credits: credits}

	ch, err := p.Plugins.Channel(conn.PluginID)
	if err != nil {
		return p.retryLater(ctx, sc, m, queued, &retryAfter{err: err})
	}
	pc, err := p.Connections.ForPlugin(*conn)
	if err != nil {
		return err
	}
	res, err := ch.Send(ctx, pc, p.outbound(*m, contact.Address(desc.Kind)))
	if err != nil {
		var se *sdk.Error
		if !errors.As(err, &se) {
			se = &sdk.Error{Class: sdk.Transient, Reason: err.Error()}
		}
		switch se.Class {
		case sdk.Transient:
			return p.retryLater(ctx, sc, m, queued, &retryAfter{err: errors.New(se.Reason), after: se.RetryAfter})
		case sdk.RateLimited:
			after := se.RetryAfter
			if after <= 0 {
				after = providerHold
			}
			if rate > 0 {
				if err := p.hold(ctx, conn.ID, after); err != nil {
					p.Log.Warn("connection not held off after a rate-limit refusal", "connection", conn.ID, "error", err)
				}
			}
			return p.retryLater(ctx, sc, m, queued, &retryAfter{err: errors.New(se.Reason), after: after, throttled: true})
		case sdk.AuthFailed:
			if merr := p.Connections.MarkError(ctx, sc, conn.ID, "The provider rejected the credentials: "+se.Reason); merr != nil {
				return merr
			}
			return p.fail(ctx, sc, m, "The provider rejected the connection's credentials: "+se.Reason, &queued)
		default:
			return p.fail(ctx, sc, m, se.Reason, &queued)
		}
	}
	p.recipientAddress(ctx, sc, contact, desc.Kind, res.RecipientAddress)
	if err := p.sent(ctx, sc, m, res.ProviderMessageID, queued); err != nil {
		return &afterAccepted{err: err}
	}
	return nil
}

// afterAccepted is trouble recording a send the provider had accepted: the task is
// retried (the one duplicate at-least-once allows), but never given up on as unsent,
// which would fail and refund a message that went out.
type afterAccepted struct{ err error }

// acceptedMark starts the error of an afterAccepted, which Asynq keeps as a task's last
// error: the sweep reads it there.
const acceptedMark = "after the provider accepted it: "

func (e *afterAccepted) Error() string { return acceptedMark + e.err.Error() }
func (e *afterAccepted) Unwrap() error { return e.err }

// gaveUp is the reason of a send that kept failing on our side: people read it in the
// thread, so it says what to do rather than what broke (that goes to the log).
func gaveUp(attempts int) string {
	return fmt.Sprintf("Not sent: it failed on our side %d times; its credit is back, send it again later", attempts)
}

// formatRate writes a send rate for people: 80, 0.5, 2.25.
func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// retryLater stores the queued status of a send that will be tried again, and returns
// the transient failure.
func (p *Pipeline) retryLater(ctx context.Context, sc tenants.Scoped, m *messaging.Message, queued messaging.Change, ra *retryAfter) error {
	if _, err := p.move(ctx, sc, m, queued); err != nil {
		return err
	}
	return ra
}

// outbound is the message as the plugin sends it. An uploaded file goes as a signed
// link, made for this attempt, which the provider fetches: the media itself, or a
// template's header.
func (p *Pipeline) outbound(m messaging.Message, to string) sdk.OutboundMessage {
	md, tmpl := m.Content.Media, m.Content.Template
	if md != nil && m.Content.MediaFile != "" {
		// The link ends with the file's name: its extension says the type to a
		// provider (or plugin) that reads it from there.
		link := p.MediaLinks.URL(m.WorkspaceID, m.Content.MediaFile, md.Filename, p.now())
		if tmpl != nil {
			withHeader := *tmpl
			withHeader.HeaderURL = link
			tmpl, md = &withHeader, nil
		} else {
			withLink := *md
			withLink.URL = link
			md = &withLink
		}
	}
	return sdk.OutboundMessage{ID: m.ID, To: to, Type: sdk.MessageType(m.Type), Text: m.Body, Subject: m.Content.Subject,
		Media: md, Location: m.Content.Location, Template: tmpl}
}

// sent records the provider's acceptance, with the queued step before it.
func (p *Pipeline) sent(ctx context.Context, sc tenants.Scoped, m *messaging.Message, providerID string, queued messaging.Change) error {
	res, err := p.move(ctx, sc, m, messaging.Change{Status: messaging.StatusSent, Source: "worker", At: p.now(),
		ProviderMessageID: providerID, Credits: queued.Credits, Via: queued.Status, ViaAt: queued.At})
	if err != nil {
		return err
	}
	if res.changed && m.ScheduledAt != nil && (res.conv == nil || res.conv.Kind == messaging.KindTicket) {
		// A scheduled message answers the customer when it goes (one sent at once
		// answered when it was written). Its record is the team's, not the send's: a
		// failure to record it fails nothing.
		if err := messaging.Answered(ctx, sc, m.ConversationID, p.now()); err != nil {
			p.Log.Warn("scheduled answer not recorded for the SLA", "workspace", sc.WorkspaceID(), "message", m.ID, "error", err)
		}
	}
	if conv := res.conv; res.changed && conv != nil && (conv.Pill == messaging.PillSent || conv.Pill == messaging.PillPartial) {
		// Nothing to roll up: a conversation is sent or partial once some message
		// reached the provider, which stays so (a deleted message that went out
		// still did), and another one reaching it changes neither. A campaign's
		// sends after its first skip the roll-up this way.
		p.publish(ctx, sc, messaging.Conversation{ID: conv.ID, Kind: conv.Kind, AssigneeID: conv.AssigneeID, ConnectionID: conv.ConnectionID}, update{realtime.MessageUpdated, m})
		return nil
	}
	p.changed(ctx, sc, m)
	return nil
}

// fail marks the message failed with reason, and refunds its attempt's charge if it
// had one. charged, for a send this try charged, is its queued step, which the
// timeline keeps before the failure.
// A message that reached another end meanwhile (sent by a concurrent delivery of its
// task, cancelled) keeps it, and its charge.
func (p *Pipeline) fail(ctx context.Context, sc tenants.Scoped, m *messaging.Message, reason string, charged *messaging.Change) error {
	c := messaging.Change{Status: messaging.StatusFailed, Reason: reason, Source: "worker", At: p.now()}
	if charged != nil {
		c.Via, c.ViaAt, c.Credits = charged.Status, charged.At, charged.Credits
	}
	if _, err := messaging.Apply(ctx, sc, m, c); err != nil {
		return err
	}
	if m.Status != messaging.StatusFailed {
		return nil
	}
	// Whatever this attempt was charged comes back: by this try, or by an earlier one
	// that failed transiently before a check (opt-out, a connection gone bad) failed
	// this one. The refund is keyed, so none taken is none returned.
	if err := p.refund(ctx, sc, *m, reason); err != nil {
		return err
	}
	p.changed(ctx, sc, m)
	return nil
}

func (p *Pipeline) refund(ctx context.Context, sc tenants.Scoped, m messaging.Message, reason string) error {
	return p.refundKey(ctx, sc, m.ChargeKey(), reason)
}

// refundKey gives back the charge under chargeKey, once; none is nothing to give.
func (p *Pipeline) refundKey(ctx context.Context, sc tenants.Scoped, chargeKey, reason string) error {
	_, err := p.Ledger.Refund(ctx, sc.WorkspaceID(), chargeKey, reason)
	if errors.Is(err, billing.ErrNoSuchCharge) {
		return nil
	}
	return err
}

// changed rolls the conversation's pill up and tells browsers. Publishing is best
// effort: a browser that missed an event resyncs when it reconnects.
func (p *Pipeline) changed(ctx context.Context, sc tenants.Scoped, m *messaging.Message) {
	conv, pillChanged, err := p.rollUp(ctx, sc, m.ConversationID)
	if err != nil {
		p.Log.Error("pill roll-up failed", "workspace", sc.WorkspaceID(), "conversation", m.ConversationID, "error", err)
		return
	}
	if pillChanged {
		p.publish(ctx, sc, conv, update{realtime.MessageUpdated, m}, conversationUpdated(conv), countsChanged(conv))
		return
	}
	p.publish(ctx, sc, conv, update{realtime.MessageUpdated, m})
}
