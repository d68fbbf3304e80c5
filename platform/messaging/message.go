package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// Directions.
const (
	DirectionIn   = "in"
	DirectionOut  = "out"
	DirectionNote = "note" // internal, never sent
)

// Message statuses. Outbound: pending → (scheduled) → queued → sent → delivered →
// read, or failed with a reason, or cancelled (a scheduled message called off).
// Inbound messages are received.
const (
	StatusPending   = "pending"
	StatusScheduled = "scheduled"
	StatusQueued    = "queued"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusReceived  = "received"
)

// Errors about messages.
var (
	ErrMessageNotFound = failure.New(failure.NotFound, "message_not_found", "message not found")
	ErrNotScheduled    = failure.New(failure.Conflict, "not_scheduled", "the message is not scheduled")
	ErrNotFailed       = failure.New(failure.Conflict, "not_failed", "only a failed message can be retried")
)

// Content is what a message carries besides its text.
type Content struct {
	Media *sdk.Media `json:"media,omitempty"`
	// MediaFile is the uploaded file (media.File) Media is, when a member attached
	// one rather than giving a link: Media.URL is then empty, and every send gives
	// the provider a signed link to the file.
	MediaFile string        `json:"media_file,omitempty"`
	Location  *sdk.Location `json:"location,omitempty"`
	Template  *sdk.Template `json:"template,omitempty"`
	// TemplateAsWritten is the template as its sender wrote it, when its parameters
	// named fields of the recipient ({{first_name}}, {{code}}) that Template has
	// filled: sent again, or forwarded, it is filled anew.
	TemplateAsWritten *sdk.Template `json:"template_as_written,omitempty"`
	Subject           string        `json:"subject,omitempty"`
}

// AsWritten is the message's template as its sender wrote it: sent again, its
// recipient's fields are filled anew.
func (c Content) AsWritten() *sdk.Template {
	if c.TemplateAsWritten != nil {
		return c.TemplateAsWritten
	}
	return c.Template
}

// MaxTextLength is the longest text a message may carry (WhatsApp's limit, which is
// also the strictest of the channels).
const MaxTextLength = 4096

// Message is one message of a conversation.
type Message struct {
	bun.BaseModel `bun:"table:messages,alias:m"`
	tenants.Owned

	ID                string     `bun:"id,pk" json:"id"`
	ConversationID    string     `bun:"conversation_id,notnull" json:"conversation_id"`
	ConnectionID      string     `bun:"connection_id,notnull" json:"connection_id"`
	Direction         string     `bun:"direction,notnull" json:"direction" enum:"in,out,note"`
	Type              string     `bun:"type,notnull" json:"type" enum:"text,media,location,template,note,unsupported"`
	Body              string     `bun:"body,notnull" json:"body"`
	Content           Content    `bun:"content,notnull" json:"content"`
	Status            string     `bun:"status,notnull" json:"status"`
	Reason            string     `bun:"reason,notnull" json:"reason,omitempty" doc:"why it failed, in words people can act on"`
	ProviderMessageID *string    `bun:"provider_message_id" json:"provider_message_id,omitempty"`
	Attempt           int        `bun:"attempt,notnull" json:"attempt" doc:"send attempt; retrying a failed message starts the next"`
	Credits           int        `bun:"credits,notnull" json:"credits"`
	AuthorID          *string    `bun:"author_id" json:"author_id,omitempty"`
	ContactID         *string    `bun:"contact_id" json:"contact_id,omitempty" doc:"the recipient of an outbound message, the sender of an inbound one"`
	SendID            *string    `bun:"send_id" json:"send_id,omitempty" doc:"shared by the copies of one message sent to several recipients"`
	ScheduledAt       *time.Time `bun:"scheduled_at" json:"scheduled_at,omitempty"`
	SentAt            *time.Time `bun:"sent_at" json:"sent_at,omitempty"`
	RetriedAt         *time.Time `bun:"retried_at" json:"retried_at,omitempty" doc:"when the failed message was last sent again, as a new attempt"`
	PinnedAt          *time.Time `bun:"pinned_at" json:"pinned_at,omitempty"`
	PinnedBy          *string    `bun:"pinned_by" json:"pinned_by,omitempty"`
	Reaction          string     `bun:"reaction,notnull" json:"reaction,omitempty" doc:"the business's reaction (an emoji)"`
	ForwardedFrom     *string    `bun:"forwarded_from" json:"forwarded_from,omitempty" doc:"the message this one forwards"`
	DeletedAt         *time.Time `bun:"deleted_at" json:"deleted_at,omitempty" doc:"deleted messages keep their row; the thread shows them without content"`
	DeletedBy         *string    `bun:"deleted_by" json:"deleted_by,omitempty"`
	// Starred is the caller's own star, filled in by Starred: stars are personal.
	Starred   bool      `bun:"-" json:"starred"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Due is when the message's current attempt was meant to go: when it was retried, else
// its scheduled time, else when it was written.
func (m Message) Due() time.Time {
	if m.RetriedAt != nil {
		return *m.RetriedAt
	}
	if m.ScheduledAt != nil {
		return *m.ScheduledAt
	}
	return m.CreatedAt
}

// ChargeKey is the ledger key of the message's current send attempt: a retried task
// charges nothing more, a retry of a failed (and refunded) message charges again.
func (m Message) ChargeKey() string { return fmt.Sprintf("message:%s:%d", m.ID, m.Attempt) }

// Event is one entry of a message's status timeline.
type Event struct {
	bun.BaseModel `bun:"table:message_events,alias:me"`
	tenants.Owned

	ID        string    `bun:"id,pk" json:"id"`
	MessageID string    `bun:"message_id,notnull" json:"message_id"`
	Status    string    `bun:"status,notnull" json:"status"`
	Reason    string    `bun:"reason,notnull" json:"reason,omitempty"`
	Source    string    `bun:"source,notnull" json:"source" enum:"api,worker,provider"`
	At        time.Time `bun:"at,notnull" json:"at"`
}

// rank orders outbound statuses; a status only ever moves up. failed and cancelled
// are final.
func rank(status string) int {
	switch status {
	case StatusPending, StatusScheduled:
		return 0
	case StatusQueued:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered:
		return 3
	case StatusRead:
		return 4
	case StatusFailed, StatusCancelled:
		return 9
	}
	return -1
}

// Final reports whether a status can no longer change.
func Final(status string) bool { return status == StatusFailed || status == StatusCancelled }

// Advances reports whether moving from cur to next is a change the timeline keeps:
// read never regresses to delivered, a late sent after read changes nothing, and a
// failed or cancelled message stays so. failed may follow any status up to sent; a
// message the customer's phone has (delivered, read) went out, so a failed reported
// after that changes nothing (and refunds nothing).
func Advances(cur, next string) bool {
	if Final(cur) || cur == next {
		return false
	}
	switch next {
	case StatusFailed:
		return rank(cur) <= rank(StatusSent)
	case StatusCancelled:
		return true
	}
	return rank(next) > rank(cur)
}

// Insert stores a new message and its first timeline entry.
func Insert(ctx context.Context, sc tenants.Scoped, m *Message, source string) error {
	now := time.Now().UTC()
	if m.ID == "" {
		m.ID = storage.NewID()
	}
	if m.Attempt == 0 {
		m.Attempt = 1
	}
	m.CreatedAt, m.UpdatedAt = now, now
	if m.ContactID == nil && m.Direction != DirectionNote {
		// Addressed to the conversation's contact, as a 1:1 conversation's messages are.
		var contactID string
		if err := sc.Select((*Conversation)(nil)).Column("cv.contact_id").Where("cv.id = ?", m.ConversationID).Scan(ctx, &contactID); err != nil {
			return fmt.Errorf("messaging: the message's conversation: %w", err)
		}
		m.ContactID = &contactID
	}
	if _, err := sc.Insert(m).Exec(ctx); err != nil {
		return err
	}
	if m.Direction == DirectionOut {
		if err := wroteTo(ctx, sc, m.ConversationID, []string{*m.ContactID}, now); err != nil {
			return err
		}
	}
	return addEvent(ctx, sc, m.ID, m.Status, m.Reason, source, now)
}

// InsertCopies stores one message per recipient in contactIDs, copies of m sharing a
// send id (the first copy's id), with their first timeline entries, a few statements
// for any number of them. vary, if not nil, makes the copy to contactIDs[i] its
// recipient's own (its template's fields filled). It returns the copies in the order
// of contactIDs.
func InsertCopies(ctx context.Context, sc tenants.Scoped, m Message, contactIDs []string, source string, vary func(i int, c *Message)) ([]Message, error) {
	now := time.Now().UTC()
	msgs := make([]Message, len(contactIDs))
	events := make([]Event, len(contactIDs))
	var sendID string
	for i := range contactIDs {
		c := m
		c.ID, c.Attempt, c.CreatedAt, c.UpdatedAt = storage.NewID(), 1, now, now
		if i == 0 {
			sendID = c.ID
		}
		c.ContactID, c.SendID = &contactIDs[i], &sendID
		if vary != nil {
			vary(i, &c)
		}
		msgs[i] = c
		events[i] = Event{ID: storage.NewID(), MessageID: c.ID, Status: c.Status, Reason: c.Reason, Source: source, At: now}
	}
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		for start := 0; start < len(msgs); start += 200 {
			end := min(start+200, len(msgs))
			if _, err := tenants.InsertAll(st, msgs[start:end]).Exec(ctx); err != nil {
				return err
			}
			if _, err := tenants.InsertAll(st, events[start:end]).Exec(ctx); err != nil {
				return err
			}
		}
		if m.Direction != DirectionOut {
			return nil
		}
		return wroteTo(ctx, st, m.ConversationID, contactIDs, now)
	})
	return msgs, err
}

func addEvent(ctx context.Context, sc tenants.Scoped, messageID, status, reason, source string, at time.Time) error {
	e := Event{ID: storage.NewID(), MessageID: messageID, Status: status, Reason: reason, Source: source, At: at}
	_, err := sc.Insert(&e).Exec(ctx)
	return err
}

// Transition moves a message to status if that advances it, with a conditional update
// so concurrent or replayed updates cannot regress it; the timeline gets an entry for
// every change. It reports whether the message changed.
func Transition(ctx context.Context, sc tenants.Scoped, m *Message, status, reason, source string, at time.Time) (bool, error) {
	return Apply(ctx, sc, m, Change{Status: status, Reason: reason, Source: source, At: at})
}

// ApplyIf is Apply for a change that holds only from the status m has now: a
// scheduled message cancelled, or taken by its send when due. Where Apply tries again
// from whatever status someone else moved m to, ApplyIf reports false, and m is left as
// it was loaded. It does not ask Advances: a due message goes from scheduled to pending,
// which ranks the same.
func ApplyIf(ctx context.Context, sc tenants.Scoped, m *Message, c Change) (bool, error) {
	moved, err := apply(ctx, sc, m, c)
	if err != nil || !moved {
		return false, err
	}
	m.applied(c)
	return true, nil
}

// Restart stores a status that starts a send over, which Apply, moving only forward,
// cannot: a scheduled message sent now, a failed one retried (pending again). update is
// the conditional update of the message with the columns that change with it; the
// timeline gets the step, with reason and source, in the same transaction, and only if
// the update matched, which Restart reports.
func Restart(ctx context.Context, sc tenants.Scoped, messageID, status, reason, source string, at time.Time,
	update func(tenants.Scoped) *bun.UpdateQuery) (bool, error) {
	return updateWithSteps(ctx, sc, update, []Event{{ID: storage.NewID(), MessageID: messageID, Status: status, Reason: reason, Source: source, At: at}})
}

// updateWithSteps runs a message's conditional update and, if it matched, adds its
// timeline entries, in one transaction; it reports whether the update matched.
func updateWithSteps(ctx context.Context, sc tenants.Scoped, update func(tenants.Scoped) *bun.UpdateQuery, events []Event) (bool, error) {
	moved := false
	err := sc.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		res, err := update(st).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		moved = true
		for i := range events {
			if _, err := st.Insert(&events[i]).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return moved, err
}

// Change is a status change and what is stored with it.
type Change struct {
	Status, Reason, Source string
	At                     time.Time
	// ProviderMessageID is stored with the change when set (the provider accepted).
	ProviderMessageID string
	// Credits is stored with the change when above zero (what the send was charged).
	Credits int
	// Via is a status the message went through on its way to Status without being
	// stored in it, and ViaAt when: the worker's queued while the provider call was in
	// flight, which a send that succeeds records with its sent in one write. The
	// timeline gets it before Status, unless the message was already there.
	Via   string
	ViaAt time.Time
}

// via is the step of c the timeline still lacks for a message in status from.
func (c Change) via(from string) string {
	if c.Via == "" || !Advances(from, c.Via) || !Advances(c.Via, c.Status) {
		return ""
	}
	return c.Via
}

// Apply is Transition with the columns that belong to the same moment. The update and
// its timeline entry are one statement on PostgreSQL (a CTE) and one transaction on
// SQLite: a crash cannot keep one without the other, and the send path pays one round
// trip per status.
func Apply(ctx context.Context, sc tenants.Scoped, m *Message, c Change) (bool, error) {
	for {
		if !Advances(m.Status, c.Status) {
			return false, nil
		}
		moved, err := apply(ctx, sc, m, c)
		if err != nil {
			return false, err
		}
		if moved {
			break
		}
		// Someone else moved it first: reload and try again from the new state. Into a
		// new value: scanning into m would write through its pointer fields, which
		// copies held elsewhere may share (a redelivered task's, loaded in the same
		// batch), while their owners read them.
		var fresh Message
		if err := sc.Get(ctx, &fresh, m.ID, ErrMessageNotFound); err != nil {
			return false, err
		}
		*m = fresh
	}
	m.applied(c)
	return true, nil
}

// applied brings m up to date with the change just stored.
func (m *Message) applied(c Change) {
	m.Status, m.Reason = c.Status, c.Reason
	if c.Status == StatusSent && m.SentAt == nil {
		m.SentAt = &c.At
	}
	if c.ProviderMessageID != "" {
		m.ProviderMessageID = &c.ProviderMessageID
	}
	if c.Credits > 0 {
		m.Credits = c.Credits
	}
}

func apply(ctx context.Context, sc tenants.Scoped, m *Message, c Change) (bool, error) {
	update := func(sc tenants.Scoped) *bun.UpdateQuery {
		q := sc.Update((*Message)(nil)).
			Set("status = ?", c.Status).Set("reason = ?", c.Reason).Set("updated_at = ?", time.Now().UTC()).
			Where("m.id = ? AND m.status = ?", m.ID, m.Status)
		if c.Status == StatusSent && m.SentAt == nil {
			q = q.Set("sent_at = ?", c.At)
		}
		if c.ProviderMessageID != "" {
			q = q.Set("provider_message_id = ?", c.ProviderMessageID)
		}
		if c.Credits > 0 {
			q = q.Set("credits = ?", c.Credits)
		}
		return q
	}
	// The step passed through is recorded first: the timeline is ordered by id.
	var events []Event
	if via := c.via(m.Status); via != "" {
		events = append(events, Event{ID: storage.NewID(), MessageID: m.ID, Status: via, Source: c.Source, At: c.ViaAt})
	}
	events = append(events, Event{ID: storage.NewID(), MessageID: m.ID, Status: c.Status, Reason: c.Reason, Source: c.Source, At: c.At})
	if storage.IsPostgres(sc.DB()) {
		return applyPrepared(ctx, sc.Prepared(), m, c, events)
	}
	return updateWithSteps(ctx, sc, update, events)
}

// applyPrepared is apply on PostgreSQL: the update and its timeline entries in one
// statement (a CTE), prepared, as it runs for every status a provider reports.
func applyPrepared(ctx context.Context, ps tenants.Prepared, m *Message, c Change, events []Event) (bool, error) {
	args := []any{c.Status, c.Reason, time.Now().UTC(), m.ID, m.Status}
	arg := func(v any) bun.Safe {
		args = append(args, v)
		return tenants.Arg(len(args) + 1)
	}
	update := ps.Update((*Message)(nil)).
		Set("status = ?", tenants.Arg(2)).Set("reason = ?", tenants.Arg(3)).Set("updated_at = ?", tenants.Arg(4)).
		Where("m.id = ? AND m.status = ?", tenants.Arg(5), tenants.Arg(6))
	if c.Status == StatusSent && m.SentAt == nil {
		update = update.Set("sent_at = ?", arg(c.At))
	}
	if c.ProviderMessageID != "" {
		update = update.Set("provider_message_id = ?", arg(c.ProviderMessageID))
	}
	if c.Credits > 0 {
		update = update.Set("credits = ?", arg(c.Credits))
	}
	// The entries go as arrays, so the text is the same with or without the step
	// passed through.
	ids, statuses, reasons, ats := make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	for i, e := range events {
		ids[i], statuses[i], reasons[i], ats[i] = e.ID, e.Status, e.Reason, e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
	}
	q := ps.DB().NewRaw(`WITH moved AS (?)
		INSERT INTO message_events (id, workspace_id, message_id, status, reason, source, at)
		SELECT e.id, ?, moved.id, e.status, e.reason, ?, e.at FROM moved
		CROSS JOIN unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[]) AS e (id, status, reason, at)`,
		update.Returning("m.id"), ps.Workspace(), arg(c.Source),
		arg(storage.TextArray(ids)), arg(storage.TextArray(statuses)), arg(storage.TextArray(reasons)), arg(storage.TextArray(ats)))
	res, err := ps.Exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Move is one message's change for ApplyMany.
type Move struct {
	Message *Message
	Change  Change
}

// Applied is the outcome of one move of ApplyMany.
type Applied struct {
	Changed bool
	Err     error
	// Conversation is the moved message's conversation as the batched statement read
	// it, when that statement moved the message (on PostgreSQL); nil otherwise.
	Conversation *ConversationBrief
}

// ConversationBrief is what a status move tells of its message's conversation: who
// may hear of the change (its kind and assignee) and its pill when the move was made.
type ConversationBrief struct {
	ID   string `bun:"conversation_id"`
	Kind string `bun:"kind"`
	// ConnectionID is the conversation's, which may not be the message's (a
	// conversation sending from several numbers): realtime filters by it.
	ConnectionID string  `bun:"conversation_connection_id"`
	AssigneeID   *string `bun:"assignee_id"`
	Pill         string  `bun:"pill"`
}

// ApplyMany is Apply for several messages: on PostgreSQL the updates and their
// timeline entries are one prepared statement, so a batch of sends pays one round
// trip per status instead of one per message. A message the statement could not
// move (its status changed under it, it came twice, or it is gone) goes through
// Apply, which reloads it; so each move ends exactly as Apply alone would have left
// it, with Apply's error (ErrMessageNotFound for a message that is gone) for that
// move only. When the batched statement itself fails, every move of the batch gets
// its error and nothing of it was stored.
func ApplyMany(ctx context.Context, sc tenants.Scoped, moves []Move) []Applied {
	out := make([]Applied, len(moves))
	var batch []int // indexes of the moves the batched statement takes
	if storage.IsPostgres(sc.DB()) && len(moves) > 1 {
		seen := make(map[string]bool, len(moves))
		for i, mv := range moves {
			if !seen[mv.Message.ID] && Advances(mv.Message.Status, mv.Change.Status) {
				seen[mv.Message.ID] = true
				batch = append(batch, i)
			}
		}
	}
	moved, err := applyBatch(ctx, sc.Prepared(), moves, batch)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	for _, i := range batch {
		if conv, ok := moved[moves[i].Message.ID]; ok {
			moves[i].Message.applied(moves[i].Change)
			out[i].Changed = true
			if conv.ID != "" {
				out[i].Conversation = &conv
			}
		}
	}
	for i, mv := range moves {
		if !out[i].Changed {
			out[i].Changed, out[i].Err = Apply(ctx, sc, mv.Message, mv.Change)
		}
	}
	return out
}

// applyBatch runs the moves at indexes batch in one statement and returns the
// messages it moved, by id, with their conversations. The values go as one array per
// column, so the statement's text is the same for every batch size. Times are cut to
// microseconds, as the driver does for Apply's (PostgreSQL would round the text instead).
func applyBatch(ctx context.Context, ps tenants.Prepared, moves []Move, batch []int) (map[string]ConversationBrief, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	n := len(batch)
	ids, from, to, reasons, sources := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats, providerIDs, credits, eventIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	vias, viaAts, viaEventIDs := make([]string, n), make([]string, n), make([]string, n)
	stamp := func(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano) }
	for j, i := range batch {
		m, c := moves[i].Message, moves[i].Change
		ids[j], from[j], to[j], reasons[j], sources[j] = m.ID, m.Status, c.Status, c.Reason, c.Source
		ats[j], providerIDs[j], credits[j] = stamp(c.At), c.ProviderMessageID, strconv.Itoa(c.Credits)
		// The step passed through gets the lower id: the timeline is ordered by id.
		vias[j], viaAts[j], viaEventIDs[j] = c.via(m.Status), ats[j], storage.NewID()
		if vias[j] != "" {
			viaAts[j] = stamp(c.ViaAt)
		}
		eventIDs[j] = storage.NewID()
	}
	var done []struct {
		ID string `bun:"id"`
		ConversationBrief
	}
	err := ps.Scan(ctx, ps.Text(applyBatchQuery.Text(ps, buildApplyBatch), &done), storage.TextArray(ids), storage.TextArray(from), storage.TextArray(to), storage.TextArray(reasons),
		storage.TextArray(sources), storage.TextArray(ats), storage.TextArray(providerIDs), storage.TextArray(credits),
		storage.TextArray(eventIDs), time.Now().UTC(), storage.TextArray(vias), storage.TextArray(viaAts), storage.TextArray(viaEventIDs))
	if err != nil {
		return nil, err
	}
	out := make(map[string]ConversationBrief, len(done))
	for _, d := range done {
		out[d.ID] = d.ConversationBrief
	}
	return out, nil
}

// applyBatchQuery is applyBatch's statement, built once.
//
// Each row is found by its primary key alone (the LATERAL's LIMIT keeps the
// planner from merging it into the UPDATE), checked for workspace and status
// there, and updated by its row address. Given "workspace_id = $1 AND status = $n"
// next to the id, a generic plan chose the status index and walked every message
// of the workspace in that status, for every row of the batch. A row updated by
// someone else since has moved to a new address, so the UPDATE passes it over
// (PostgreSQL rechecks the address against the newest version), and Apply takes
// that move from the new state.
var applyBatchQuery tenants.Kept

func buildApplyBatch(ps tenants.Prepared) string {
	return ps.DB().NewRaw(`WITH req AS (
			SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::int[], $10::text[],
					$12::text[], $13::timestamptz[], $14::text[])
				AS r (id, from_status, status, reason, source, at, provider_id, credits, event_id, via, via_at, via_event_id)
		), target AS (
			SELECT req.*, cur.tid FROM req
			CROSS JOIN LATERAL (SELECT m.ctid AS tid, m.workspace_id, m.status FROM messages AS m WHERE m.id = req.id LIMIT 1) AS cur
			WHERE cur.workspace_id = $1 AND cur.status = req.from_status
		), moved AS (
			UPDATE messages AS m SET status = target.status, reason = target.reason, updated_at = $11,
				sent_at = CASE WHEN target.status = ? AND m.sent_at IS NULL THEN target.at ELSE m.sent_at END,
				provider_message_id = COALESCE(NULLIF(target.provider_id, ''), m.provider_message_id),
				credits = CASE WHEN target.credits > 0 THEN target.credits ELSE m.credits END
			FROM target
			WHERE m.ctid = target.tid AND m.id = target.id
			RETURNING m.id, m.conversation_id
		), steps AS (
			INSERT INTO message_events (id, workspace_id, message_id, status, reason, source, at)
			SELECT e.id, $1, req.id, e.status, e.reason, req.source, e.at FROM req JOIN moved ON moved.id = req.id
			CROSS JOIN LATERAL (VALUES (req.via_event_id, req.via, '', req.via_at), (req.event_id, req.status, req.reason, req.at)) AS e (id, status, reason, at)
			WHERE e.status <> ''
		)
		SELECT moved.id, cv.id AS conversation_id, cv.kind, cv.connection_id AS conversation_connection_id, cv.assignee_id, cv.pill
		FROM moved LEFT JOIN conversations AS cv ON cv.id = moved.conversation_id AND cv.workspace_id = $1`, StatusSent).String()
}

// GetMessage loads a message of the workspace.
func GetMessage(ctx context.Context, sc tenants.Scoped, id string) (Message, error) {
	var m Message
	err := sc.Get(ctx, &m, id, ErrMessageNotFound)
	return m, err
}

// ByProviderID finds the outbound message a provider status is about.
func ByProviderID(ctx context.Context, sc tenants.Scoped, connectionID, providerID string) (Message, bool, error) {
	var m Message
	err := sc.Select(&m).Where("m.connection_id = ? AND m.provider_message_id = ?", connectionID, providerID).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return m, false, nil
	}
	return m, err == nil, err
}

// ByProviderIDs is ByProviderID for several provider ids of one connection, in one
// prepared statement (a campaign's receipts come thousands a second), by provider
// id. Ids no message has are absent. PostgreSQL only.
func ByProviderIDs(ctx context.Context, sc tenants.Scoped, connectionID string, providerIDs []string) (map[string]Message, error) {
	var rows []Message
	ps := sc.Prepared()
	q := ps.Text(byProviderEach.Text(ps, func(ps tenants.Prepared) string {
		return ps.Select((*Message)(nil)).Where("m.connection_id = ? AND m.provider_message_id = ?", tenants.Arg(3), tenants.Each).Limit(1).String()
	}), &rows)
	if err := ps.ScanEach(ctx, q, providerIDs, connectionID); err != nil {
		return nil, err
	}
	out := make(map[string]Message, len(rows))
	for _, m := range rows {
		out[*m.ProviderMessageID] = m
	}
	return out, nil
}

var byProviderEach tenants.Kept

// Timeline lists a message's status changes in the order they were recorded, which
// is the order the status advanced in (ids are time-ordered UUIDv7). Not by their
// time: a provider's clock (or the instant a fake stamps every status at) can put a
// delivered before the worker's own sent.
func Timeline(ctx context.Context, sc tenants.Scoped, messageID string) ([]Event, error) {
	var out []Event
	err := sc.Select(&out).Where("me.message_id = ?", messageID).OrderExpr("me.id").Scan(ctx)
	return out, err
}

// Outgoing is an outbound message with what its send needs: the contact it goes to
// and the connection it goes out on (nil when it was removed).
type Outgoing struct {
	Message Message
	Contact Contact // the recipient
	// Recipient is the contact's place in the conversation, with their 24-hour window.
	Recipient  Recipient
	Connection *connections.Connection
}

// outgoingJoin is the query that loads an Outgoing's message, contact and recipient
// in one round trip. The connection comes apart: a campaign's messages share one, so
// a batch reads it once rather than once per message (every column a row carries is
// scanned, and a connection's are many).
type outgoingJoin struct {
	Message   `bun:",extend"`
	Contact   *Contact   `bun:"rel:belongs-to,join:contact_id=id,join:workspace_id=workspace_id"`
	Recipient *Recipient `bun:"rel:belongs-to,join:conversation_id=conversation_id,join:contact_id=contact_id,join:workspace_id=workspace_id"`
}

// outgoingRow is what a row of outgoingJoin scans into: the same columns, with the
// joined ones embedded under the names bun gives them ("contact__phone"). Scanned
// through the relations, each of those columns cost bun a copy of its field
// description, on every row: a sixth of everything the send path allocated.
// A missing recipient (the join is outer) scans as the zero Recipient, a missing
// contact as a Contact without an id.
type outgoingRow struct {
	Message   `bun:",extend"`
	Contact   Contact   `bun:"embed:contact__"`
	Recipient Recipient `bun:"embed:recipient__"`
}

// The statements that load an Outgoing: by message id ($2), for GetOutgoing; for
// each id, for GetOutgoingMany; and the connections, the same two ways.
var outgoingOne, outgoingEach, connectionOne, connectionEach tenants.Kept

func selectOutgoing(ps tenants.Prepared, byID bun.Safe) string {
	return ps.Select((*outgoingJoin)(nil)).Relation("Contact").Relation("Recipient").Where("m.id = ?", byID).Limit(1).String()
}

func selectConnection(ps tenants.Prepared, byID bun.Safe) string {
	return ps.Select((*connections.Connection)(nil)).Where("c.id = ?", byID).Limit(1).String()
}

func (o outgoingRow) outgoing(conns map[string]*connections.Connection) (Outgoing, error) {
	if o.Contact.ID == "" {
		return Outgoing{}, fmt.Errorf("messaging: message %s has no recipient", o.ID)
	}
	return Outgoing{Message: o.Message, Contact: o.Contact, Recipient: o.Recipient, Connection: conns[o.ConnectionID]}, nil
}

// GetOutgoing loads message id with its contact and connection: prepared queries,
// as they start every send.
func GetOutgoing(ctx context.Context, sc tenants.Scoped, id string) (Outgoing, error) {
	var o outgoingRow
	ps := sc.Prepared()
	err := ps.Scan(ctx, ps.Text(outgoingOne.Text(ps, func(ps tenants.Prepared) string { return selectOutgoing(ps, tenants.Arg(2)) }), &o), id)
	if storage.IsNotFound(err) {
		return Outgoing{}, ErrMessageNotFound
	}
	if err != nil {
		return Outgoing{}, err
	}
	conns := map[string]*connections.Connection{}
	var conn connections.Connection
	err = ps.Scan(ctx, ps.Text(connectionOne.Text(ps, func(ps tenants.Prepared) string { return selectConnection(ps, tenants.Arg(2)) }), &conn), o.ConnectionID)
	switch {
	case err == nil:
		conns[conn.ID] = &conn
	case !storage.IsNotFound(err):
		return Outgoing{}, err
	}
	return o.outgoing(conns)
}

// GetOutgoingMany is GetOutgoing for several messages in two round trips, whatever
// their number (on PostgreSQL; SQLite, which has no array to bind them to, loads them
// one by one). A message that does not exist (or is another workspace's) is absent
// from the map. The Outgoings are pointers: a send hands its own on from the load to
// the provider call, and an Outgoing is big enough that copies of it showed up among
// what the send path allocated.
func GetOutgoingMany(ctx context.Context, sc tenants.Scoped, ids []string) (map[string]*Outgoing, error) {
	out := make(map[string]*Outgoing, len(ids))
	if !storage.IsPostgres(sc.DB()) {
		for _, id := range ids {
			o, err := GetOutgoing(ctx, sc, id)
			if errors.Is(err, ErrMessageNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[id] = &o
		}
		return out, nil
	}
	// Room for every row at once: bun appends them one by one, and an outgoingRow is big.
	rows := make([]outgoingRow, 0, len(ids))
	ps := sc.Prepared()
	if err := ps.ScanEach(ctx, ps.Text(outgoingEach.Text(ps, func(ps tenants.Prepared) string { return selectOutgoing(ps, tenants.Each) }), &rows), ids); err != nil {
		return nil, err
	}
	var connIDs []string
	for _, r := range rows {
		if !slices.Contains(connIDs, r.ConnectionID) {
			connIDs = append(connIDs, r.ConnectionID)
		}
	}
	var found []connections.Connection
	if len(connIDs) > 0 {
		if err := ps.ScanEach(ctx, ps.Text(connectionEach.Text(ps, func(ps tenants.Prepared) string { return selectConnection(ps, tenants.Each) }), &found), connIDs); err != nil {
			return nil, err
		}
	}
	conns := make(map[string]*connections.Connection, len(found))
	for i := range found {
		conns[found[i].ID] = &found[i]
	}
	outs := make([]Outgoing, len(rows))
	for i := range rows {
		o, err := rows[i].outgoing(conns)
		if err != nil {
			return nil, err
		}
		outs[i] = o
		out[rows[i].ID] = &outs[i]
	}
	return out, nil
}
