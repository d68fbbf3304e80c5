package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Conversation kinds.
const (
	KindChat     = "chat"     // Chat (1:1), managers and admins
	KindTicket   = "ticket"   // Team Inbox
	KindCampaign = "campaign" // bulk sends, hidden from Chat
)

// Team Inbox states.
const (
	StateQueued   = "queued"
	StateActive   = "active"
	StatePending  = "pending"
	StateResolved = "resolved"
	// StateAbandoned: a ticket the queue closed after it waited, with no message
	// either way, longer than the workspace's auto-close rules allow.
	StateAbandoned = "abandoned"
)

// States is every Team Inbox state.
var States = []string{StateQueued, StateActive, StatePending, StateResolved, StateAbandoned}

// The states a ticket is worked in (its SLA clocks run), and those it is closed in.
var (
	openStates   = []string{StateQueued, StateActive, StatePending}
	closedStates = []string{StateResolved, StateAbandoned}
)

// Status pills, rolled up from a conversation's outbound messages.
const (
	PillPending   = "pending"
	PillScheduled = "scheduled"
	PillSent      = "sent"
	PillPartial   = "partial"
	PillFailed    = "failed"
)

// ErrConversationNotFound is reported for an unknown conversation id.
var ErrConversationNotFound = failure.New(failure.NotFound, "conversation_not_found", "conversation not found")

// Conversation is a thread with one contact over one connection.
type Conversation struct {
	bun.BaseModel `bun:"table:conversations,alias:cv"`
	tenants.Owned

	ID                 string     `bun:"id,pk" json:"id"`
	ConnectionID       string     `bun:"connection_id,notnull" json:"connection_id"`
	ContactID          string     `bun:"contact_id,notnull" json:"contact_id"`
	Kind               string     `bun:"kind,notnull" json:"kind" enum:"chat,ticket,campaign"`
	Title              string     `bun:"title,notnull" json:"title"`
	Pill               string     `bun:"pill,notnull" json:"pill" enum:"pending,scheduled,sent,partial,failed"`
	State              string     `bun:"state,notnull" json:"state" enum:"queued,active,pending,resolved,abandoned"`
	StateChangedAt     time.Time  `bun:"state_changed_at,nullzero" json:"state_changed_at" doc:"when the ticket entered its state (accepted, handed over, resolved...): auto-close counts a ticket idle from the later of this and its last message"`
	AssigneeID         *string    `bun:"assignee_id" json:"assignee_id"`
	TeamID             *string    `bun:"team_id" json:"team_id" doc:"the team whose queue the ticket is in (see Team); null: the general queue"`
	Unread             bool       `bun:"unread,notnull" json:"unread"`
	Archived           bool       `bun:"archived,notnull" json:"archived"`
	LastMessagePreview string     `bun:"last_message_preview,notnull" json:"last_message_preview"`
	LastActivityAt     time.Time  `bun:"last_activity_at,notnull" json:"last_activity_at"`
	LastInboundAt      *time.Time `bun:"last_inbound_at" json:"last_inbound_at" doc:"the customer's last message in this conversation (with several recipients, the latest of theirs); their 24-hour window runs from their last message on the connection, in any conversation: see templates_only"`
	Recipients         int        `bun:"recipients,notnull" json:"recipients" doc:"how many contacts the conversation sends to"`
	// The SLA policy's targets, set when their clocks start (see SLAPolicy), and the
	// team's first answer.
	FirstResponseDueAt *time.Time `bun:"first_response_due_at" json:"first_response_due_at"`
	FirstResponseAt    *time.Time `bun:"first_response_at" json:"first_response_at" doc:"the team's first message to the customer"`
	NextResponseDueAt  *time.Time `bun:"next_response_due_at" json:"next_response_due_at" doc:"set while a customer's message after the first answer waits for the team's; cleared by the answer"`
	ResolutionDueAt    *time.Time `bun:"resolution_due_at" json:"resolution_due_at"`
	// The verdicts of earlier cycles (a reply answered late, a ticket reopened after
	// missing a target): missed stays missed.
	FirstResponseMissed bool      `bun:"first_response_missed,notnull" json:"first_response_missed" doc:"the first response was missed in an earlier cycle of the ticket (before it was closed and reopened)"`
	NextResponseMissed  bool      `bun:"next_response_missed,notnull" json:"next_response_missed" doc:"some customer message was answered after its next-response target"`
	ResolutionMissed    bool      `bun:"resolution_missed,notnull" json:"resolution_missed" doc:"the resolution was missed in an earlier cycle of the ticket (before it was closed and reopened)"`
	CreatedAt           time.Time `bun:"created_at,notnull" json:"created_at"`
}

// ChangeState makes q, an update of conversations, set their state at now: it records
// when (state_changed_at, from which auto-close counts a ticket idle), and a closed
// ticket that reopens (or closes otherwise) keeps the verdicts its SLA clocks reached
// and runs none until the customer writes again (see stopClocks). Every change of a
// ticket's state goes through it, but a member's tickets going back to the queue when
// they leave (tenants, which cannot import this package: those tickets are open, so
// none of this applies).
func ChangeState(q *bun.UpdateQuery, state string, now time.Time) *bun.UpdateQuery {
	// Closing an open ticket stops its clocks where they are (read at the new
	// state_changed_at); one closed already keeps the verdicts of when it closed,
	// whatever it becomes.
	return stopClocks(q.Set("state = ?", state).Set("state_changed_at = ?", now))
}

// WindowOpen reports whether the 24-hour customer-service window is open at now.
func (c Conversation) WindowOpen(now time.Time) bool {
	return c.LastInboundAt != nil && now.Sub(*c.LastInboundAt) < 24*time.Hour
}

// NewConversation opens a conversation with one contact.
func NewConversation(ctx context.Context, sc tenants.Scoped, kind, connectionID string, contact Contact, title string) (Conversation, error) {
	return OpenConversation(ctx, sc, kind, connectionID, []Contact{contact}, title)
}

// OpenConversation opens a conversation with its recipients (at least one; the first
// is the one it is shown with). Without a title it is named after its only recipient.
func OpenConversation(ctx context.Context, sc tenants.Scoped, kind, connectionID string, contacts []Contact, title string) (Conversation, error) {
	return OpenConversationFrom(ctx, sc, kind, []string{connectionID}, contacts, title)
}

// OpenConversationFrom is OpenConversation writing from several numbers (a multi-device
// plan's): the recipients are split between them evenly, in turn, and each is written
// from theirs, the one their replies come back on. The first number is the
// conversation's own.
func OpenConversationFrom(ctx context.Context, sc tenants.Scoped, kind string, connectionIDs []string, contacts []Contact, title string) (Conversation, error) {
	if len(contacts) == 0 || len(connectionIDs) == 0 {
		return Conversation{}, fmt.Errorf("messaging: a conversation needs a recipient and a number")
	}
	contact := contacts[0]
	if title == "" {
		title = contact.Name
	}
	if title == "" {
		title = contact.Phone + contact.Email + contact.MessengerID
	}
	now := time.Now().UTC()
	state := StateActive
	if kind == KindTicket {
		state = StateQueued
	}
	c := Conversation{ID: storage.NewID(), ConnectionID: connectionIDs[0], ContactID: contact.ID, Kind: kind, Title: title,
		Pill: PillPending, State: state, StateChangedAt: now, LastActivityAt: now, CreatedAt: now, Recipients: len(contacts)}
	rs := make([]Recipient, len(contacts))
	for i, ct := range contacts {
		rs[i] = Recipient{ConversationID: c.ID, ContactID: ct.ID, CreatedAt: now}
		if len(connectionIDs) > 1 {
			rs[i].ConnectionID = &connectionIDs[i%len(connectionIDs)]
		}
	}
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		if _, err := st.Insert(&c).Exec(ctx); err != nil {
			return err
		}
		if _, err := tenants.InsertAll(st, rs).Exec(ctx); err != nil { // at most MaxRecipients rows
			return err
		}
		return windowsFromConnection(ctx, st, c.ID, c.ConnectionID)
	})
	if err != nil {
		return c, fmt.Errorf("messaging: new conversation: %w", err)
	}
	return c, nil
}

// GetConversation loads a conversation of the workspace.
func GetConversation(ctx context.Context, sc tenants.Scoped, id string) (Conversation, error) {
	var c Conversation
	err := sc.Get(ctx, &c, id, ErrConversationNotFound)
	return c, err
}

// RouteInbound finds the conversation a customer's message belongs to: the one on this
// connection (campaigns excluded) that last wrote to them, or that they last wrote in,
// whichever was later, else a new Team Inbox ticket (in its connection's team's
// queue). A reply to a resolved or abandoned conversation reopens it, and takes a
// pending one back to work; it starts the ticket's SLA clocks not running yet. The
// conversation comes back marked unread, and the customer's window is opened in
// every conversation of theirs on the connection.
func RouteInbound(ctx context.Context, sc tenants.Scoped, connectionID string, contact Contact, at time.Time, preview string) (Conversation, bool, error) {
	c, found, theirs, err := lastConversation(ctx, sc, connectionID, contact.ID)
	if err != nil {
		return c, false, err
	}
	created := false
	if !found {
		if c, err = NewConversation(ctx, sc, KindTicket, connectionID, contact, ""); err != nil {
			return c, false, err
		}
		created = true
	}
	// What follows decides from the conversation as it is now, locked: a team's
	// answer, or an auto-close, arriving meanwhile waits for this message.
	c, policy, err := lockRouted(ctx, sc, c.ID)
	if err != nil {
		return c, created, err
	}
	if created {
		// Into the queue of the team the connection's new customers go to.
		if c.TeamID, err = teamOfConnection(ctx, sc, connectionID); err != nil {
			return c, created, err
		}
	}
	// A reply reopens a resolved or abandoned ticket, and takes one pending (waiting
	// on the customer) back to work: to its assignee, or the queue.
	if c.State == StateResolved || c.State == StateAbandoned || c.State == StatePending {
		to := StateQueued
		if c.AssigneeID != nil {
			to = StateActive
		}
		// Reopened now, whenever the message was written.
		if _, err := ChangeState(sc.Update((*Conversation)(nil)).Where("cv.id = ?", c.ID), to, time.Now().UTC()).Exec(ctx); err != nil {
			return c, created, err
		}
		if c, _, err = lockRouted(ctx, sc, c.ID); err != nil { // the clocks as reopening left them
			return c, created, err
		}
	}
	if c.Kind == KindTicket {
		start := at
		if now := time.Now().UTC(); start.After(now) {
			start = now // a provider's clock ahead of ours starts no target in the future
		}
		if err := startClocks(ctx, sc, &c, policy, start); err != nil {
			return c, created, err
		}
	}
	c.Unread = true
	c.Archived = false
	if c.LastInboundAt == nil || at.After(*c.LastInboundAt) {
		t := at
		c.LastInboundAt = &t
	}
	if at.After(c.LastActivityAt) {
		c.LastActivityAt = at
	}
	c.LastMessagePreview = preview
	// The window this message opens is the sender's, with the business number: in
	// each of their conversations on the connection, and in no other recipient's.
	_, err = sc.Update((*Recipient)(nil)).Set("last_inbound_at = ?", at).
		Where("cr.conversation_id IN (?) AND cr.contact_id = ? AND (cr.last_inbound_at IS NULL OR cr.last_inbound_at < ?)",
			bun.List(append(theirs, c.ID)), contact.ID, at).Exec(ctx)
	if err != nil {
		return c, created, err
	}
	_, err = sc.Update(&c).Column(append([]string{"team_id", "unread", "archived", "last_inbound_at", "last_activity_at",
		"last_message_preview"}, slaColumns...)...).WherePK().Exec(ctx)
	return c, created, err
}

// routedRow is a conversation with its workspace's SLA policy, read in one round trip.
type routedRow struct {
	Conversation `bun:",extend"`

	FirstResponseMinutes *int  `bun:"sla_first_response_minutes,scanonly"`
	NextResponseMinutes  *int  `bun:"sla_next_response_minutes,scanonly"`
	ResolutionMinutes    *int  `bun:"sla_resolution_minutes,scanonly"`
	BusinessHours        *bool `bun:"sla_business_hours,scanonly"`
}

// lockRouted reads conversation id for a customer's message, with the workspace's SLA
// policy (nil: none), the row locked on PostgreSQL until the transaction the inbound
// task runs in ends (SQLite writes one at a time).
func lockRouted(ctx context.Context, sc tenants.Scoped, id string) (Conversation, *SLAPolicy, error) {
	var r routedRow
	q := sc.Select(&r).ColumnExpr("cv.*").
		ColumnExpr("sla.first_response_minutes AS sla_first_response_minutes, sla.next_response_minutes AS sla_next_response_minutes").
		ColumnExpr("sla.resolution_minutes AS sla_resolution_minutes, sla.business_hours AS sla_business_hours").
		Join("LEFT JOIN sla_policies AS sla ON sla.workspace_id = cv.workspace_id").Where("cv.id = ?", id)
	if storage.IsPostgres(sc.DB()) {
		// NO KEY: rows that refer to it (a message, a read state) may still be
		// written meanwhile.
		q = q.For("NO KEY UPDATE OF cv")
	}
	if err := q.Scan(ctx); err != nil {
		return Conversation{}, nil, fmt.Errorf("messaging: conversation to route to: %w", err)
	}
	if r.FirstResponseMinutes == nil {
		return r.Conversation, nil, nil
	}
	return r.Conversation, &SLAPolicy{FirstResponseMinutes: *r.FirstResponseMinutes, NextResponseMinutes: *r.NextResponseMinutes,
		ResolutionMinutes: *r.ResolutionMinutes, BusinessHours: *r.BusinessHours}, nil
}

// lastConversation is the conversation that writes to the contact from the connection
// (its own, or the contact's number in one sending from several), campaigns
// excluded, and that was last active with them (Recipient.active:
// another recipient's reply in a group does not count), and the ids of all of the
// contact's conversations on the connection.
//
// It is two plain lookups, the contact's conversations by the contact index and then
// those by primary key, rather than one join: PostgreSQL orders a join by the
// tables' statistics, and on tables not yet analysed (a new workspace's first minute
// of a flood of customers) it walked every conversation of the connection for each
// message, 130 ms a message at 800 tickets and more with each new one. A contact's
// own conversations are few, and a new customer's are none: one lookup.
func lastConversation(ctx context.Context, sc tenants.Scoped, connectionID, contactID string) (Conversation, bool, []string, error) {
	var c Conversation
	var rows []Recipient
	if err := sc.Select(&rows).Where("cr.contact_id = ?", contactID).Scan(ctx); err != nil {
		return c, false, nil, err
	}
	if len(rows) == 0 {
		return c, false, nil, nil
	}
	ids := make([]string, len(rows))
	byConversation := make(map[string]Recipient, len(rows))
	for i, r := range rows {
		ids[i], byConversation[r.ConversationID] = r.ConversationID, r
	}
	convs, err := ConversationsByID(ctx, sc, ids)
	if err != nil {
		return c, false, nil, err
	}
	found := false
	var theirs []string
	for _, cv := range convs {
		if byConversation[cv.ID].connection(cv) != connectionID {
			continue // written from another number
		}
		theirs = append(theirs, cv.ID)
		if cv.Kind == KindCampaign {
			continue
		}
		a, best := byConversation[cv.ID].active(), byConversation[c.ID].active()
		if !found || a.After(best) || a.Equal(best) && cv.ID > c.ID {
			c, found = cv, true
		}
	}
	return c, found, theirs, nil
}

// Touch records outbound activity on a conversation at at; answered, it is also the
// team's answer, at at (see Answered). A message that goes later (scheduled, or held
// for business hours) answers when it goes.
func Touch(ctx context.Context, sc tenants.Scoped, conversationID, preview string, at time.Time, answered bool) error {
	q := sc.Update((*Conversation)(nil)).Set("last_activity_at = ?", at).Set("last_message_preview = ?", preview)
	if answered {
		q = answer(q, at)
	}
	_, err := q.Where("cv.id = ?", conversationID).Exec(ctx)
	return err
}

// Answered records the team's answer on a ticket at at, for its SLA clocks: the first
// response, and the next one running, late or not. A closed ticket's clocks stopped
// when it closed: an answer then ends no clock (it is still the team's first, so a
// reopened ticket runs the next response's clock rather than the first's).
func Answered(ctx context.Context, sc tenants.Scoped, conversationID string, at time.Time) error {
	_, err := answer(sc.Update((*Conversation)(nil)), at).Where("cv.id = ? AND cv.kind = ?", conversationID, KindTicket).Exec(ctx)
	return err
}

// answer adds the team's answer at at to q, an update of conversations.
func answer(q *bun.UpdateQuery, at time.Time) *bun.UpdateQuery {
	const open = "cv.state IN (?)"
	return q.Set("first_response_at = COALESCE(cv.first_response_at, ?)", at).
		Set("next_response_missed = CASE WHEN "+open+" THEN (cv.next_response_missed OR COALESCE(cv.next_response_due_at < ?, FALSE)) ELSE cv.next_response_missed END",
			bun.List(openStates), at).
		Set("next_response_due_at = CASE WHEN "+open+" THEN NULL ELSE cv.next_response_due_at END", bun.List(openStates))
}

// RollUp recomputes a conversation's pill from its outbound messages and stores it;
// it returns the conversation as it now is and whether the pill changed. It runs
// after every send and status, so it costs a few index probes whatever the thread's
// size: the pill is computed in SQL from EXISTS on messages_status_idx, each asking for
// one status (never "any status but", which walks a busy campaign's superseded
// entries), and CASE evaluates only those the answer needs. It is prepared (the
// conversation is $2, everything else in the text is fixed, so the text is built
// once) and reads the conversation in the same round trip.
//
// The rule (cancelled messages, and deleted failed ones, aside): partial when some
// message reached the provider (sent, delivered, read) and some failed; sent when
// some reached it; failed when all failed; scheduled when all wait for their time;
// pending otherwise (saved, not dispatched yet, or a mix of failed and scheduled).
func RollUp(ctx context.Context, sc tenants.Scoped, conversationID string) (Conversation, bool, error) {
	ps := sc.Prepared()
	var row rolledUpRow
	err := ps.Scan(ctx, ps.Text(rollUpQuery.Text(ps, buildRollUp), &row), conversationID)
	if storage.IsNotFound(err) {
		return Conversation{}, false, ErrConversationNotFound
	}
	if err != nil {
		return Conversation{}, false, err
	}
	conv, pill := row.Conversation, row.RolledUp
	if conv.Pill == pill {
		return conv, false, nil
	}
	// Conditional on the pill read above: when two roll-ups race, each writes only
	// over the state it computed from, and the later one recomputes on its next run.
	res, err := sc.Update((*Conversation)(nil)).Set("pill = ?", pill).
		Where("cv.id = ? AND cv.pill = ?", conversationID, conv.Pill).Exec(ctx)
	if err != nil {
		return conv, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return RollUp(ctx, sc, conversationID)
	}
	conv.Pill = pill
	return conv, true, nil
}

// rolledUpRow is a conversation with the pill its messages roll up to.
type rolledUpRow struct {
	Conversation `bun:",extend"`
	RolledUp     string `bun:"rolled_up,scanonly"`
}

// rollUpQuery is RollUp's statement: the conversation ($2) with its pill computed.
var rollUpQuery tenants.Kept

func buildRollUp(ps tenants.Prepared) string {
	// One EXISTS per status, ORed: an equality is an index condition, while a
	// generic plan applied "status IN (…)" as a filter over the conversation's
	// every entry.
	exists := func(statuses ...string) schema.QueryAppender {
		parts := make([]string, len(statuses))
		args := make([]any, len(statuses))
		for i, st := range statuses {
			parts[i] = "EXISTS (?)"
			q := ps.Select((*Message)(nil)).ColumnExpr("1").
				Where("m.conversation_id = ? AND m.direction = ? AND m.status = ?", tenants.Arg(2), DirectionOut, st)
			if st == StatusFailed {
				// Deleting a failed message is how people clear it: it no longer
				// counts. (A deleted one that went out still did.)
				q = q.Where("m.deleted_at IS NULL")
			}
			args[i] = q.Limit(1)
		}
		return bun.SafeQuery("("+strings.Join(parts, " OR ")+")", args...)
	}
	reached, failed := exists(StatusSent, StatusDelivered, StatusRead), exists(StatusFailed)
	waiting, scheduled := exists(StatusPending, StatusQueued), exists(StatusScheduled)
	q := ps.Select((*rolledUpRow)(nil)).ColumnExpr("?TableColumns").
		ColumnExpr(`CASE
			WHEN ? THEN CASE WHEN ? THEN ? ELSE ? END
			WHEN ? THEN ?
			WHEN ? THEN CASE WHEN ? THEN ? ELSE ? END
			WHEN ? THEN ?
			ELSE ? END AS rolled_up`,
			reached, failed, PillPartial, PillSent,
			waiting, PillPending,
			failed, scheduled, PillPending, PillFailed,
			scheduled, PillScheduled,
			PillPending).
		Where("cv.id = ?", tenants.Arg(2))
	return q.String()
}
