package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// Draft is a message someone writes into a conversation.
type Draft struct {
	Type  string // text | media | location | template | note
	Text  string
	Media *sdk.Media
	// MediaFile is an uploaded file (media.File) to send as Media, instead of a link
	// in Media.URL; Media then carries the caption only.
	// For a template, it is the file of the template's media header (its Media then
	// says the file's type and name).
	MediaFile  string
	Location   *sdk.Location
	Template   *sdk.Template
	ScheduleAt *time.Time
	AuthorID   string
	// ForwardedFrom is the message this one forwards, if it does.
	ForwardedFrom string
	// ReplyTo, in a conversation with several recipients, is a message from one of
	// them: the reply goes to that customer only. Without it, to every recipient.
	ReplyTo string
	// ContactID sends to this recipient only (a resend of a message that went to one).
	ContactID string
	// Urgent sends at once outside the workspace's business hours, which a message
	// otherwise waits for.
	Urgent bool
}

// validate checks a draft and names the fields that are wrong.
func (d Draft) validate(now time.Time) error {
	f := failure.Fields{}
	switch d.Type {
	case "text", "note":
		f.Check(strings.TrimSpace(d.Text) == "", "text", "is required")
	case "media":
		switch {
		case d.MediaFile != "":
			f.Check(d.Media != nil && d.Media.URL != "", "media.url", "give a file_id or a url, not both")
		case d.Media == nil || d.Media.URL == "":
			f.Add("media.url", "is required (or media.file_id, an uploaded file)")
		default:
			if u, err := url.Parse(d.Media.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				f.Add("media.url", "must be an http(s) URL")
			} else if _, ok := media.TypeOf(d.Media.MIMEType, d.Media.Filename, d.Media.URL); !ok {
				field := "media.url"
				if d.Media.MIMEType != "" {
					field = "media.mime_type"
				}
				f.Add(field, "must be a "+media.TypeList+" file")
			}
		}
	case "location":
		switch {
		case d.Location == nil:
			f.Add("location", "is required")
		case d.Location.Latitude < -90 || d.Location.Latitude > 90:
			f.Add("location.latitude", "must be between -90 and 90")
		case d.Location.Longitude < -180 || d.Location.Longitude > 180:
			f.Add("location.longitude", "must be between -180 and 180")
		}
	case "template":
		f.Check(d.Template == nil || d.Template.Name == "", "template.name", "is required")
		f.Check(d.Template != nil && d.Template.Language == "", "template.language", "is required")
		f.Check(d.MediaFile != "" && d.Template != nil && d.Template.HeaderURL != "", "media.file_id",
			"give the header as an uploaded file or as template.header_url, not both")
	default:
		f.Add("type", "must be text, media, location, template or note")
	}
	f.Check(utf8.RuneCountInString(d.Text) > messaging.MaxTextLength, "text", fmt.Sprintf("must be at most %d characters", messaging.MaxTextLength))
	if d.ScheduleAt != nil {
		f.Check(d.Type == "note", "schedule_at", "notes are not sent, so they cannot be scheduled")
		f.Check(d.ScheduleAt.Before(now.Add(time.Minute)), "schedule_at", "must be at least one minute in the future")
	}
	return f.Err()
}

// Post stores a message in a conversation and, unless it is a note, queues it to be
// sent (now, or at its scheduled time). The message is stored before it is queued:
// should queueing fail, it stays pending and the maintenance sweep queues it.
func (p *Pipeline) Post(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, d Draft) (messaging.Message, error) {
	now := p.now()
	if err := d.validate(now); err != nil {
		return messaging.Message{}, err
	}
	if d.Type != "media" && d.Type != "template" {
		d.MediaFile = ""
	}
	if d.Type == "template" && d.MediaFile == "" {
		d.Media = nil // a template's header is its header_url, or a file
	}
	switch {
	case d.MediaFile != "":
		file, err := p.attachable(ctx, sc, conv, d.MediaFile)
		if err != nil {
			return messaging.Message{}, err
		}
		if d.Type == "template" && !slices.Contains(templateHeaderTypes, file.MIMEType) {
			return messaging.Message{}, failure.Field("media.file_id", "a template's header is a jpg, png, mp4 or pdf file")
		}
		md := &sdk.Media{MIMEType: file.MIMEType, Filename: file.Filename}
		if d.Media != nil && d.Type == "media" {
			md.Caption = d.Media.Caption
		}
		d.Media = md
	case d.Type == "media":
		md := *d.Media
		field := "media.mime_type"
		if md.MIMEType == "" {
			md.MIMEType, _ = media.TypeOf("", md.Filename, md.URL)
			field = "media.url"
		}
		d.Media = &md
		desc, ok, err := p.channelOf(ctx, sc, conv)
		if err != nil {
			return messaging.Message{}, err
		}
		if why := media.Refused(desc, md.MIMEType); ok && why != "" {
			return messaging.Message{}, failure.Field(field, "cannot go on this conversation's connection: "+why)
		}
	}
	m := messaging.Message{ConversationID: conv.ID, ConnectionID: conv.ConnectionID, Direction: messaging.DirectionOut,
		Type: d.Type, Body: d.Text, Content: messaging.Content{Media: d.Media, MediaFile: d.MediaFile, Location: d.Location, Template: d.Template},
		Status: messaging.StatusPending}
	if d.AuthorID != "" {
		m.AuthorID = &d.AuthorID
	}
	if d.ForwardedFrom != "" {
		m.ForwardedFrom = &d.ForwardedFrom
	}
	if d.Type == "note" {
		m.Direction, m.Status = messaging.DirectionNote, messaging.StatusReceived
	}
	if d.ScheduleAt != nil {
		at := d.ScheduleAt.UTC()
		m.Status, m.ScheduledAt = messaging.StatusScheduled, &at
	} else if d.Type != "note" && !d.Urgent {
		at, why, err := p.afterHours(ctx, sc, now)
		if err != nil {
			return m, err
		}
		if !at.IsZero() {
			// Waits as a scheduled message does: charged when it goes, and "send
			// now" or cancel work on it the same way.
			m.Status, m.ScheduledAt, m.Reason = messaging.StatusScheduled, &at, why
		}
	}
	to, err := p.addressees(ctx, sc, conv, d)
	if err != nil {
		return m, err
	}
	// A conversation sending from several numbers writes to each recipient from theirs.
	var numbers map[string]string
	if conv.Recipients > 1 && len(to) > 0 {
		if numbers, err = messaging.RecipientNumbers(ctx, sc, conv.ID); err != nil {
			return m, err
		}
	}
	if len(to) == 1 {
		m.ContactID = &to[0]
		if n, ok := numbers[to[0]]; ok {
			m.ConnectionID = n
		}
	}
	var filled []*sdk.Template // the template each recipient gets, its fields filled
	if d.Type == "template" && hasFields(d.Template) {
		known, err := messaging.ContactsByID(ctx, sc, to)
		if err != nil {
			return m, err
		}
		contacts := make([]messaging.Contact, len(to))
		for i, id := range to {
			contacts[i] = known[id] // a recipient's contact stays while they are one
		}
		if filled, err = personalize(d.Template, contacts); err != nil {
			return m, err
		}
		m.Content.Template, m.Content.TemplateAsWritten = filled[0], d.Template
	}
	took := false
	if d.MediaFile != "" {
		// Taken before the message is stored: a file swept meanwhile is refused here
		// rather than failing every send of it later.
		if took, err = media.Attach(ctx, sc, d.MediaFile, now); errors.Is(err, media.ErrFileNotFound) {
			return m, failure.Field("media.file_id", "is no file of this workspace (uploads no message takes are removed after a day)")
		} else if err != nil {
			return m, err
		}
	}
	copies := []messaging.Message{m}
	if len(to) > 1 {
		copies, err = messaging.InsertCopies(ctx, sc, m, to, "api", func(i int, c *messaging.Message) {
			if filled != nil {
				c.Content.Template = filled[i]
			}
			if n, ok := numbers[to[i]]; ok {
				c.ConnectionID = n
			}
		})
	} else {
		err = messaging.Insert(ctx, sc, &copies[0], "api")
	}
	if err != nil {
		if took {
			// No message has the file: it is an unsent upload again.
			if derr := media.Detach(ctx, sc, d.MediaFile); derr != nil {
				p.Log.Warn("upload left taken by a message not stored", "workspace", sc.WorkspaceID(), "file", d.MediaFile, "error", derr)
			}
		}
		return m, err
	}
	preview := d.Text
	if preview == "" {
		preview = "[" + d.Type + "]"
	}
	if m.Direction == messaging.DirectionOut {
		// An answer counts when it goes: a scheduled one (or one held for business
		// hours) when the worker sends it.
		if err := messaging.Touch(ctx, sc, conv.ID, preview, now, m.ScheduledAt == nil); err != nil {
			return copies[0], err
		}
		if err := p.Enqueuer.SendAll(ctx, copies); err != nil {
			p.Log.Error("sends not queued; the sweep will retry", "workspace", sc.WorkspaceID(), "message", copies[0].ID, "copies", len(copies), "error", err)
		}
	}
	p.publishCreated(ctx, sc, copies)
	return copies[0], nil
}

// afterHours is, when now is outside the workspace's business hours, when they next
// open and a reason saying so for the thread ("Outside business hours: goes Mon 7 Dec
// 09:00 CET"); the zero time when now is within them (or they are off).
func (p *Pipeline) afterHours(ctx context.Context, sc tenants.Scoped, now time.Time) (time.Time, string, error) {
	sched, err := hours.Get(ctx, sc)
	if err != nil || !sched.Enabled {
		return time.Time{}, "", err
	}
	ws, err := tenants.ByRef(ctx, sc.DB(), sc.WorkspaceID())
	if err != nil {
		return time.Time{}, "", err
	}
	loc := ws.Location()
	next, ok := sched.NextOpen(now, loc)
	if !ok || !next.After(now) {
		return time.Time{}, "", nil
	}
	return next.UTC(), "Outside business hours: goes " + next.In(loc).Format("Mon 2 Jan 15:04 MST"), nil
}

// templateHeaderTypes are the files a template's media header may be: WhatsApp's
// image, video and document headers.
var templateHeaderTypes = []string{"image/jpeg", "image/png", "video/mp4", "application/pdf"}

// attachable loads an uploaded file for a message of conv, and checks that the
// conversation's channel carries a file of its type and size. Failures name
// media.file_id.
func (p *Pipeline) attachable(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, id string) (media.File, error) {
	file, err := media.Get(ctx, sc, id)
	if errors.Is(err, media.ErrFileNotFound) {
		return file, failure.Field("media.file_id", "is no file of this workspace (uploads no message takes are removed after a day)")
	}
	if err != nil {
		return file, err
	}
	desc, ok, err := p.channelOf(ctx, sc, conv)
	if err != nil || !ok {
		return file, err
	}
	if why := media.Refused(desc, file.MIMEType); why != "" {
		return file, failure.Field("media.file_id", "cannot go on this conversation's connection: "+why)
	}
	if limit, note := media.LimitFor(desc, file.MIMEType); file.Size > limit {
		return file, failure.Field("media.file_id", fmt.Sprintf("is %s; %s", media.FormatSize(file.Size), note))
	}
	return file, nil
}

// channelOf describes the channel of conv's connection; ok is false when the
// connection or its plugin is gone (the send then fails with the reason).
func (p *Pipeline) channelOf(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation) (sdk.Description, bool, error) {
	conn, err := p.Connections.Get(ctx, sc, conv.ConnectionID)
	if errors.Is(err, connections.ErrNotFound) {
		return sdk.Description{}, false, nil
	}
	if err != nil {
		return sdk.Description{}, false, err
	}
	desc, ok := p.Plugins.Describe(conn.PluginID)
	return desc, ok, nil
}

// addressees are the contacts a draft goes to: every recipient of the conversation, or
// only the sender of the message it replies to. A note goes to nobody.
func (p *Pipeline) addressees(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, d Draft) ([]string, error) {
	if d.Type == "note" {
		return nil, nil
	}
	if d.ContactID != "" {
		return []string{d.ContactID}, nil
	}
	if d.ReplyTo != "" {
		orig, err := messaging.ConversationMessage(ctx, sc, conv.ID, d.ReplyTo)
		if errors.Is(err, messaging.ErrMessageNotFound) || (err == nil && orig.ContactID == nil) {
			return nil, messaging.ErrNotARecipient
		}
		if err != nil {
			return nil, err
		}
		return []string{*orig.ContactID}, nil
	}
	if conv.Recipients <= 1 {
		return []string{conv.ContactID}, nil
	}
	return messaging.RecipientIDs(ctx, sc, conv.ID)
}

// publishCreated tells browsers about the messages of one post (a copy per recipient)
// and, once, about their conversation: one roll-up and one read for all of them.
func (p *Pipeline) publishCreated(ctx context.Context, sc tenants.Scoped, msgs []messaging.Message) {
	_, _, _ = messaging.RollUp(ctx, sc, msgs[0].ConversationID)
	conv, err := messaging.GetConversation(ctx, sc, msgs[0].ConversationID)
	if err != nil {
		return
	}
	updates := make([]update, 0, len(msgs)+2)
	for _, m := range msgs {
		updates = append(updates, update{realtime.MessageCreated, m})
	}
	p.publish(ctx, sc, conv, append(updates, conversationUpdated(conv), countsChanged(conv))...)
}

// scheduledQueues are where a scheduled send's task waits: the scheduled queue, or
// bulk beyond its workspace's fair share of the minute (see Enqueuer.SendAll).
var scheduledQueues = []string{jobs.QueueScheduled, jobs.QueueBulk}

// Cancel calls off a scheduled message — every recipient's copy of it, for a send to
// several. Nothing was charged, so nothing is refunded.
func (p *Pipeline) Cancel(ctx context.Context, sc tenants.Scoped, messageID string) (messaging.Message, error) {
	return p.eachCopy(ctx, sc, messageID, p.cancel)
}

func (p *Pipeline) cancel(ctx context.Context, sc tenants.Scoped, m messaging.Message) (messaging.Message, error) {
	if m.Status != messaging.StatusScheduled {
		return m, messaging.ErrNotScheduled
	}
	// Only from scheduled: a send that is due takes its message first (see
	// Pipeline.send), and one on its way can no longer be called off.
	cancelled, err := messaging.ApplyIf(ctx, sc, &m, messaging.Change{Status: messaging.StatusCancelled,
		Reason: "Cancelled before its time", Source: "api", At: p.now()})
	if err != nil {
		return m, err
	}
	if !cancelled {
		return m, messaging.ErrNotScheduled
	}
	// The task would find the message cancelled and do nothing; deleting it keeps
	// the queues tidy, and the minute's count true (see offMinute).
	if _, err := p.offMinute(ctx, m, p.inspector().DeleteTask); err != nil {
		p.Log.Warn("scheduled task not deleted", "message", m.ID, "error", err)
	}
	p.changed(ctx, sc, &m)
	return m, nil
}

// offMinute runs do (delete it, run it now) on the task of m, a scheduled message that
// no longer goes at its time, and reports whether one was found. A task that was
// counted against its workspace's share of that minute (see Enqueuer.SendAll) is taken
// off the count: a campaign scheduled and then cancelled must not send the workspace's
// next sends of that minute to the bulk queue.
func (p *Pipeline) offMinute(ctx context.Context, m messaging.Message, do func(queue, id string) error) (bool, error) {
	var counted bool
	found, err := onSendTask(m, scheduledQueues, func(queue, id string) error {
		info, err := p.inspector().GetTaskInfo(queue, id)
		if err != nil {
			return err
		}
		if err := do(queue, id); err != nil {
			// Asynq refuses a task that is due or running already: it is on its
			// way, and the send takes the message from here (see Pipeline.send).
			// Queuing another would send it twice.
			p.Log.Info("scheduled task already on its way", "message", m.ID, "state", info.State.String(), "error", err)
			return nil
		}
		var pl MessageSendPayload
		counted = json.Unmarshal(info.Payload, &pl) == nil && pl.Scheduled
		return nil
	})
	if counted && m.ScheduledAt != nil {
		uncount(ctx, p.Redis, scheduledKey(m.WorkspaceID, *m.ScheduledAt), 1)
	}
	return found, err
}

// SendNow fires a scheduled message at once (every copy of it, for a send to several).
func (p *Pipeline) SendNow(ctx context.Context, sc tenants.Scoped, messageID string) (messaging.Message, error) {
	return p.eachCopy(ctx, sc, messageID, p.sendNow)
}

// eachCopy runs do on the message, or on every copy of its send still scheduled, and
// answers with the message as it then is.
func (p *Pipeline) eachCopy(ctx context.Context, sc tenants.Scoped, messageID string,
	do func(context.Context, tenants.Scoped, messaging.Message) (messaging.Message, error)) (messaging.Message, error) {
	m, err := messaging.GetMessage(ctx, sc, messageID)
	if err != nil {
		return m, err
	}
	if m.SendID == nil {
		return do(ctx, sc, m)
	}
	copies, err := messaging.SendCopies(ctx, sc, *m.SendID, messaging.MaxRecipients)
	if err != nil {
		return m, err
	}
	done := false
	for _, c := range copies {
		r, err := do(ctx, sc, c)
		if errors.Is(err, messaging.ErrNotScheduled) {
			continue // sent, cancelled or deleted already
		}
		if err != nil {
			return m, err
		}
		done = true
		if r.ID == m.ID {
			m = r
		}
	}
	if !done {
		return m, messaging.ErrNotScheduled
	}
	return m, nil
}

func (p *Pipeline) sendNow(ctx context.Context, sc tenants.Scoped, m messaging.Message) (messaging.Message, error) {
	if m.Status != messaging.StatusScheduled {
		return m, messaging.ErrNotScheduled
	}
	now := p.now()
	moved, err := messaging.Restart(ctx, sc, m.ID, messaging.StatusPending, "Sent now, before its time", "api", now,
		func(st tenants.Scoped) *bun.UpdateQuery {
			return st.Update((*messaging.Message)(nil)).Set("status = ?", messaging.StatusPending).Set("scheduled_at = ?", now).
				Set("updated_at = ?", now).Where("m.id = ? AND m.status = ?", m.ID, messaging.StatusScheduled)
		})
	if err != nil {
		return m, err
	}
	if !moved {
		return m, messaging.ErrNotScheduled
	}
	ran, _ := p.offMinute(ctx, m, p.inspector().RunTask) // m still says the minute it was counted in
	m.Status, m.ScheduledAt = messaging.StatusPending, &now
	if !ran {
		// No scheduled task (lost, or already moved): queue the send directly.
		if err := p.Enqueuer.Send(ctx, m); err != nil {
			return m, err
		}
	}
	p.changed(ctx, sc, &m)
	return m, nil
}

// Retry sends a failed message again as its next attempt, charged afresh (the failed
// attempt was refunded, or never charged).
func (p *Pipeline) Retry(ctx context.Context, sc tenants.Scoped, messageID string) (messaging.Message, error) {
	m, err := messaging.GetMessage(ctx, sc, messageID)
	if err != nil {
		return m, err
	}
	if m.Deleted() {
		return m, messaging.ErrMessageDeleted
	}
	if m.Status != messaging.StatusFailed || m.Direction != messaging.DirectionOut {
		return m, messaging.ErrNotFailed
	}
	// The failed attempt's credit comes back first, if it has not yet: the new
	// attempt is charged under its own key, and nothing looks at the old one after.
	if err := p.refund(ctx, sc, m, m.Reason); err != nil {
		return m, err
	}
	now := p.now()
	moved, err := messaging.Restart(ctx, sc, m.ID, messaging.StatusPending, fmt.Sprintf("Retried: attempt %d", m.Attempt+1), "api", now,
		func(st tenants.Scoped) *bun.UpdateQuery {
			return st.Update((*messaging.Message)(nil)).
				Set("status = ?", messaging.StatusPending).Set("reason = ''").Set("attempt = attempt + 1").
				Set("provider_message_id = NULL").Set("retried_at = ?", now).Set("updated_at = ?", now).
				Where("m.id = ? AND m.status = ? AND m.attempt = ? AND m.deleted_at IS NULL", m.ID, messaging.StatusFailed, m.Attempt)
		})
	if err != nil {
		return m, err
	}
	if !moved {
		return m, messaging.ErrNotFailed
	}
	m, err = messaging.GetMessage(ctx, sc, messageID)
	if err != nil {
		return m, err
	}
	if err := p.Enqueuer.Send(ctx, m); err != nil {
		return m, err
	}
	p.changed(ctx, sc, &m)
	return m, nil
}

// RetryFailed sends every failed outbound message of the conversation again (the
// Chat queue's "Retry failed"), each as its next attempt. It reports how many.
func (p *Pipeline) RetryFailed(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation) (int, error) {
	var ids []string
	err := sc.Select((*messaging.Message)(nil)).Column("m.id").
		Where("m.conversation_id = ? AND m.direction = ? AND m.status = ? AND m.deleted_at IS NULL", conv.ID, messaging.DirectionOut, messaging.StatusFailed).
		OrderExpr("m.id").Limit(messaging.MaxRecipients).Scan(ctx, &ids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if _, err := p.Retry(ctx, sc, id); errors.Is(err, messaging.ErrNotFailed) {
			continue // retried by someone else meanwhile
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ErrNothingToResend is reported when a conversation has no outbound message.
var ErrNothingToResend = failure.New(failure.Conflict, "nothing_to_resend", "this conversation has no sent message to send again")

// Resend sends the conversation's last outbound message again, as a new message.
func (p *Pipeline) Resend(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation, authorID string) (messaging.Message, error) {
	var last messaging.Message
	err := sc.Select(&last).Where("m.conversation_id = ? AND m.direction = ? AND m.deleted_at IS NULL", conv.ID, messaging.DirectionOut).
		OrderExpr("m.id DESC").Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return last, ErrNothingToResend
	}
	if err != nil {
		return last, err
	}
	d := Draft{Type: last.Type, Text: last.Body, Media: last.Content.Media, MediaFile: last.Content.MediaFile,
		Location: last.Content.Location, Template: last.Content.AsWritten(), AuthorID: authorID}
	if last.SendID == nil && last.ContactID != nil && conv.Recipients > 1 {
		d.ContactID = *last.ContactID // it went to one recipient: so does its resend
	}
	again, err := p.Post(ctx, sc, conv, d)
	return again, refilled(err)
}

func (p *Pipeline) inspector() *asynq.Inspector { return p.Enqueuer.inspector }

// SendScheduledNow fires every scheduled message of the conversation at once (the Chat
// queue's "Send now"), each charged as it goes. It reports how many.
func (p *Pipeline) SendScheduledNow(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation) (int, error) {
	msgs, err := p.scheduledOf(ctx, sc, conv)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		if _, err := p.sendNow(ctx, sc, m); errors.Is(err, messaging.ErrNotScheduled) {
			continue // cancelled, or sent, meanwhile
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// scheduledOf lists the conversation's outbound messages waiting for their time.
func (p *Pipeline) scheduledOf(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation) ([]messaging.Message, error) {
	var msgs []messaging.Message
	err := sc.Select(&msgs).Where("m.conversation_id = ? AND m.direction = ? AND m.status = ?", conv.ID, messaging.DirectionOut, messaging.StatusScheduled).
		OrderExpr("m.id").Scan(ctx)
	return msgs, err
}

// DeleteConversation removes a conversation (the Chat queue's "Delete"), unless one of
// its messages is on its way (messaging.ErrConversationSending): its scheduled
// messages are called off first (nothing was charged for them), its failed ones'
// refunds made, then it goes with its messages, and with the uploaded files no other
// message carries; its sent ones stay refundable (messaging.DeletedSend). Browsers
// hear conversation.deleted.
func (p *Pipeline) DeleteConversation(ctx context.Context, sc tenants.Scoped, conv messaging.Conversation) error {
	// Checked before anything is called off: a refused delete leaves the conversation
	// as it was. (The delete checks again, for a send that starts meanwhile.)
	if sending, err := messaging.Sending(ctx, sc, conv.ID); err != nil {
		return err
	} else if sending {
		return messaging.ErrConversationSending
	}
	scheduled, err := p.scheduledOf(ctx, sc, conv)
	if err != nil {
		return err
	}
	for _, m := range scheduled {
		if _, err := p.cancel(ctx, sc, m); err != nil && !errors.Is(err, messaging.ErrNotScheduled) {
			return err
		}
	}
	// A failed message's refund is made when it fails; one that could not be is
	// retried from its message, which is about to go: it is made now.
	var failed []messaging.Message
	if err := sc.Select(&failed).Column("m.id", "m.attempt", "m.reason").Where("m.conversation_id = ? AND m.direction = ? AND m.status = ? AND m.credits > 0",
		conv.ID, messaging.DirectionOut, messaging.StatusFailed).Scan(ctx); err != nil {
		return err
	}
	for _, m := range failed {
		if err := p.refund(ctx, sc, m, m.Reason); err != nil {
			return err
		}
	}
	files, err := messaging.DeleteConversation(ctx, sc, conv.ID, p.now())
	if err != nil {
		return err
	}
	used, err := messaging.FilesInUse(ctx, sc, files)
	if err != nil {
		return err
	}
	gone := slices.DeleteFunc(files, func(f string) bool { return used[f] })
	if err := media.Remove(ctx, sc, gone); err != nil {
		// The conversation is gone; its files would only wait for a later removal.
		p.Log.Error("files of a deleted conversation not removed", "workspace", sc.WorkspaceID(), "conversation", conv.ID, "error", err)
	}
	p.publish(ctx, sc, conv, update{realtime.ConversationDeleted, map[string]string{"id": conv.ID}}, countsChanged(conv))
	return nil
}
