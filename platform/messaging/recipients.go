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
// recipient's own: a reply from one customer opens it for that customer only.
type Recipient struct {
	bun.BaseModel `bun:"table:conversation_recipients,alias:cr"`
	tenants.Owned

	ConversationID string     `bun:"conversation_id,pk" json:"-"`
	ContactID      string     `bun:"contact_id,pk" json:"contact_id"`
	LastInboundAt  *time.Time `bun:"last_inbound_at" json:"last_inbound_at"`
	CreatedAt      time.Time  `bun:"created_at,notnull" json:"-"`
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
