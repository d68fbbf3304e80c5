package messaging

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// MaxRecipients bounds one conversation's recipients: a Chat send to a list or a
// group, worked as one thread. Larger audiences are campaigns.
const MaxRecipients = 1000

// Recipient is a contact a conversation sends to. The 24-hour window is the
// recipient's own: a reply from one customer opens it for that customer only. It is
// theirs with the business number, not with one conversation (as WhatsApp keeps it):
// a customer's message opens it in every conversation of theirs on the connection, and
// a conversation opened with them later starts with it (see RouteInbound,
// OpenConversation).
type Recipient struct {
	bun.BaseModel `bun:"table:conversation_recipients,alias:cr"`
	tenants.Owned

	ConversationID string `bun:"conversation_id,pk" json:"-"`
	ContactID      string `bun:"contact_id,pk" json:"contact_id"`
	// ConnectionID is the number this recipient is written from when the
	// conversation sends from several (see OpenConversationFrom); nil: the
	// conversation's own.
	ConnectionID  *string    `bun:"connection_id" json:"connection_id,omitempty" doc:"the number this recipient is written from, when the conversation sends from several; absent: the conversation's"`
	LastInboundAt *time.Time `bun:"last_inbound_at" json:"last_inbound_at" doc:"the customer's last message on the conversation's connection, in any conversation: their 24-hour window runs from here"`
	// LastOutboundAt is when the conversation last wrote to this recipient: their
	// reply goes to the conversation that did so last (see RouteInbound).
	LastOutboundAt *time.Time `bun:"last_outbound_at" json:"last_outbound_at" doc:"when the conversation last wrote to this recipient"`
	CreatedAt      time.Time  `bun:"created_at,notnull" json:"-"`
}

// active is when the conversation and this recipient last had to do with each other:
// the later of their last message and the conversation's last one to them, or when
// they were added.
func (r Recipient) active() time.Time {
	t := r.CreatedAt
	for _, at := range []*time.Time{r.LastInboundAt, r.LastOutboundAt} {
		if at != nil && at.After(t) {
			t = *at
		}
	}
	return t
}

// wroteTo records that the conversation wrote to contactIDs at: their replies come
// back to it (see RouteInbound).
func wroteTo(ctx context.Context, sc tenants.Scoped, conversationID string, contactIDs []string, at time.Time) error {
	if len(contactIDs) == 0 {
		return nil
	}
	_, err := sc.Update((*Recipient)(nil)).Set("last_outbound_at = ?", at).
		Where("cr.conversation_id = ? AND cr.contact_id IN (?)", conversationID, bun.List(contactIDs)).Exec(ctx)
	return err
}

// connection is the number the conversation writes to this recipient from.
func (r Recipient) connection(conv Conversation) string {
	if r.ConnectionID != nil {
		return *r.ConnectionID
	}
	return conv.ConnectionID
}

// windowsFromConnection gives the new recipients of conversationID the 24-hour window
// their customers already have with the number they are written from (connectionID,
// the conversation's, unless the recipient has their own), from their other
// conversations.
func windowsFromConnection(ctx context.Context, sc tenants.Scoped, conversationID, connectionID string) error {
	_, err := sc.Update((*Recipient)(nil)).
		Set(`last_inbound_at = (SELECT max(o.last_inbound_at) FROM conversation_recipients AS o
			JOIN conversations AS ocv ON ocv.id = o.conversation_id
			WHERE o.workspace_id = cr.workspace_id AND o.contact_id = cr.contact_id
				AND COALESCE(o.connection_id, ocv.connection_id) = COALESCE(cr.connection_id, ?))`, connectionID).
		Where("cr.conversation_id = ?", conversationID).Exec(ctx)
	return err
}

// RecipientNumbers is, for a conversation that sends from several numbers, the number
// each recipient is written from, by contact id; empty for one that sends from its
// own connection only.
func RecipientNumbers(ctx context.Context, sc tenants.Scoped, conversationID string) (map[string]string, error) {
	var rows []Recipient
	if err := sc.Select(&rows).Column("cr.contact_id", "cr.connection_id").
		Where("cr.conversation_id = ? AND cr.connection_id IS NOT NULL", conversationID).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ContactID] = *r.ConnectionID
	}
	return out, nil
}

// RecipientWindows is, for each conversation in ids with a single recipient, when
// that customer last wrote on its connection (absent: never): whether the composer
// may offer free text.
func RecipientWindows(ctx context.Context, sc tenants.Scoped, convs []Conversation) (map[string]time.Time, error) {
	var ids []string
	for _, c := range convs {
		if c.Recipients == 1 {
			ids = append(ids, c.ID)
		}
	}
	out := make(map[string]time.Time, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Recipient
	if err := sc.Select(&rows).Column("cr.conversation_id", "cr.last_inbound_at").
		Where("cr.conversation_id IN (?) AND cr.last_inbound_at IS NOT NULL", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ConversationID] = *r.LastInboundAt
	}
	return out, nil
}

// WindowOpen reports whether the recipient's 24-hour customer-service window is open
// at now.
func (r Recipient) WindowOpen(now time.Time) bool {
	return r.LastInboundAt != nil && now.Sub(*r.LastInboundAt) < 24*time.Hour
}

// ErrNotARecipient is reported when a message is addressed to a contact the
// conversation does not send to.
var ErrNotARecipient = failure.New(failure.Invalid, "not_a_recipient", "the contact is not a recipient of this conversation").
	WithField("reply_to", "is not a message from a recipient of this conversation")

// RecipientIDs lists the contact ids a conversation sends to, in the order they were
// added.
func RecipientIDs(ctx context.Context, sc tenants.Scoped, conversationID string) ([]string, error) {
	var ids []string
	err := sc.Select((*Recipient)(nil)).Column("cr.contact_id").Where("cr.conversation_id = ?", conversationID).
		OrderExpr("cr.created_at, cr.contact_id").Scan(ctx, &ids)
	return ids, err
}

// RecipientContacts lists a conversation's recipients as contacts, a page at a time.
func RecipientContacts(ctx context.Context, sc tenants.Scoped, conversationID string, p storage.Page) ([]Contact, string, error) {
	var rows []Contact
	q := sc.Select(&rows).Where("EXISTS (SELECT 1 FROM conversation_recipients AS cr WHERE cr.workspace_id = ct.workspace_id AND cr.conversation_id = ? AND cr.contact_id = ct.id)", conversationID)
	if err := p.Apply(q, "ct.id", false).Scan(ctx); err != nil {
		return nil, "", err
	}
	rows, next := storage.NextCursor(rows, p, func(c Contact) string { return c.ID })
	return rows, next, nil
}

// SendCopies lists the copies of one send (at most limit), in the order they were
// stored.
func SendCopies(ctx context.Context, sc tenants.Scoped, sendID string, limit int) ([]Message, error) {
	var rows []Message
	err := sc.Select(&rows).Where("m.send_id = ?", sendID).OrderExpr("m.id").Limit(limit).Scan(ctx)
	return rows, err
}
