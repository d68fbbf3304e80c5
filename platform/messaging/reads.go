package messaging

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/tenants"
)

// Read is how far a member has read a conversation. Read state is personal: an admin
// looking into an agent's ticket reads it for themselves, not for the agent.
type Read struct {
	bun.BaseModel `bun:"table:conversation_reads,alias:rd"`
	tenants.Owned

	ConversationID string `bun:"conversation_id,pk"`
	UserID         string `bun:"user_id,pk"`
	// ReadAt is when they last read it; nil marks it unread for them.
	ReadAt *time.Time `bun:"read_at"`
}

// unreadFor is whether conversation c is unread for a member whose read state is r:
// marked unread, or a customer wrote after they read it. Without a read state, the
// conversation's own flag (set by every customer message) answers.
func unreadFor(c Conversation, r *Read) bool {
	switch {
	case r == nil:
		return c.Unread
	case r.ReadAt == nil:
		return true
	default:
		return c.LastInboundAt != nil && c.LastInboundAt.After(*r.ReadAt)
	}
}

// PersonalUnread sets each conversation's Unread to userID's own read state, in one
// query. Without a user (an API token) the conversations keep the shared flag.
func PersonalUnread(ctx context.Context, sc tenants.Scoped, userID string, convs []Conversation) error {
	if userID == "" || len(convs) == 0 {
		return nil
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	var rows []Read
	if err := sc.Select(&rows).Where("rd.user_id = ? AND rd.conversation_id IN (?)", userID, bun.List(ids)).Scan(ctx); err != nil {
		return err
	}
	byConv := make(map[string]*Read, len(rows))
	for i := range rows {
		byConv[rows[i].ConversationID] = &rows[i]
	}
	for i := range convs {
		convs[i].Unread = unreadFor(convs[i], byConv[convs[i].ID])
	}
	return nil
}

// MarkRead records that userID read the conversation now, or marks it unread for
// them.
func MarkRead(ctx context.Context, sc tenants.Scoped, conversationID, userID string, unread bool, now time.Time) error {
	r := Read{ConversationID: conversationID, UserID: userID}
	if !unread {
		at := now.UTC()
		r.ReadAt = &at
	}
	_, err := sc.Insert(&r).On("CONFLICT (workspace_id, user_id, conversation_id) DO UPDATE").Set("read_at = EXCLUDED.read_at").Exec(ctx)
	return err
}
