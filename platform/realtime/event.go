// Package realtime tells browsers what changed: events are published per workspace on
// Redis pub/sub, so every web replica receives them, and delivered over WebSockets to
// the members allowed to see them.
package realtime

import "encoding/json"

// Event types.
const (
	MessageCreated      = "message.created"
	MessageUpdated      = "message.updated"
	ConversationUpdated = "conversation.updated"
	// ConversationDeleted says a conversation and its messages were deleted.
	ConversationDeleted = "conversation.deleted"
	CountsChanged       = "counts.changed"
	// ConversationTyping says a member is writing in a conversation (data: user_id,
	// name): others with it open see who is answering, and do not answer twice.
	ConversationTyping = "conversation.typing"
	// AccessChanged says who may see the workspace changed (a member removed or given
	// another role, a token revoked, the workspace suspended): every connection checks
	// its caller again at once. It is not delivered to clients.
	AccessChanged = "access.changed"
	// WalletLow says the wallet fell to or below its low-balance threshold (once a
	// low spell); only members who may see billing hear it.
	WalletLow = "wallet.low"
	// WalletAutoRechargePaused says the wallet's auto-recharge failed to pay and
	// stopped, with the reason; only members who may see billing hear it.
	WalletAutoRechargePaused = "wallet.auto_recharge_paused"
)

// Event is one change in a workspace. WorkspaceID routes it and is not sent to
// clients; ConversationKind, AssigneeID and ConnectionID decide who may see it (the
// role, and its access rule). Data goes out as it is, so write it compact (as
// json.Marshal does).
type Event struct {
	Type             string `json:"type"`
	WorkspaceID      string `json:"-"`
	ConversationID   string `json:"conversation_id,omitempty"`
	ConversationKind string `json:"conversation_kind,omitempty"`
	AssigneeID       string `json:"-"`
	// Reassigned says this change took the conversation from FormerAssigneeID ("":
	// the queue): a member who sees only their own, or the queue, still hears that it
	// left them. Both go to clients too: a browser tells its member of a ticket newly
	// theirs by them, which it may never have seen an event about.
	Reassigned       bool   `json:"reassigned,omitempty"`
	FormerAssigneeID string `json:"former_assignee_id,omitempty"`
	ConnectionID     string `json:"-"`
	// Permission, when set, is what a member needs to hear an event that is not about
	// a conversation (a wallet's alert: billing:read); unset, conversations:read.
	Permission string          `json:"-"`
	Data       json.RawMessage `json:"data,omitempty"`
}
