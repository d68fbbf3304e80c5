package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// conversationArea is the shared conversation model: Chat's and the Team Inbox's
// lists, threads, composing, replies and the per-message actions.
type conversationArea struct{ s *Server }

// Errors of the conversation routes.
var (
	errChatRead    = failure.New(failure.Forbidden, "forbidden", "your role does not allow chat:read, which Chat's list and counts need")
	errChatSend    = failure.New(failure.Forbidden, "forbidden", "your role does not allow chat:send, which Chat conversations need")
	errNotTicket   = failure.New(failure.Conflict, "not_a_ticket", "only a Team Inbox ticket can be accepted or assigned")
	errAssigned    = failure.New(failure.Conflict, "already_assigned", "the conversation is assigned to someone else")
	errAcceptToken = failure.New(failure.Invalid, "user_only", "accepting assigns the conversation to you: sign in as a user, not with an API token")
)

// ContactSummary is who a conversation is with.
type ContactSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	MessengerID string `json:"messenger_id,omitempty"`
}

// ConversationView is a conversation with its contact.
type ConversationView struct {
	messaging.Conversation
	Contact ContactSummary      `json:"contact"`
	Channel connections.Summary `json:"channel"`
	// TemplatesOnly says the composer must offer templates: the channel keeps free text
	// to 24 hours after the customer's last message, and that window is closed — or,
	// with several recipients, each has a window of their own and a message to all
	// needs a template (a reply to one of them may be free text while theirs is open).
	TemplatesOnly bool `json:"templates_only"`
	// SLABreaches are the SLA targets a ticket has missed, as of the answer.
	SLABreaches []string `json:"sla_breaches" enum:"first_response,next_response,resolution" doc:"the SLA targets the ticket missed by the time of this answer; a target's clock runs while the ticket is open, so one not yet missed falls due at its *_due_at"`
	// WindowOpenedAt is, with a single recipient, their last message on the
	// connection, in this conversation or another: their 24-hour window runs from it.
	WindowOpenedAt *time.Time `json:"window_opened_at,omitempty" doc:"with a single recipient, their last message on the connection in any conversation: the 24-hour window runs from here"`
	messaging.Tags
}

// ConversationQuery are the conversation list's query parameters.
type ConversationQuery struct {
	PageQuery
	Kind       string `query:"kind" enum:"chat,ticket,campaign" doc:"default: chats and tickets (campaigns only when asked for); chat needs chat:read (403 without it)"`
	Pill       string `query:"pill" enum:"pending,scheduled,sent,partial,failed"`
	State      string `query:"state" enum:"queued,active,pending,resolved,abandoned"`
	Archived   bool   `query:"archived" doc:"true lists the archived conversations (default false)"`
	Connection string `query:"connection" doc:"a connection id of this workspace (404 for any other)"`
	Q          string `query:"q" doc:"case-insensitive match on the title, a recipient's name, email or phone number (its digits, however written), or the text of any message not deleted; or the conversation's id, whole"`
	Assignee   string `query:"assignee" doc:"me, unassigned or the user id of a member of this workspace"`
	Team       string `query:"team" doc:"a team id of this workspace (404 for any other): the tickets in its queue or held in it; none: the general queue's"`
	SLA        string `query:"sla" enum:"breached" doc:"breached: the tickets that missed an SLA target (see sla_breaches)"`
	From       string `query:"from" doc:"last activity at or after: an RFC 3339 time, or a date (YYYY-MM-DD, from its start in the workspace's time zone)"`
	To         string `query:"to" doc:"last activity before: an RFC 3339 time, or a date (YYYY-MM-DD, to its end in the workspace's time zone: the whole day is in)"`
	Sort       string `query:"sort" enum:"newest,oldest,az,za" doc:"newest (default) or oldest activity first, or by title (lower-cased, compared character by character); a cursor is for the sort it came with"`
	Contact    string `query:"contact" doc:"a contact id of this workspace (404 for any other): the conversations they are a recipient of, e.g. a customer's previous ones"`
	Tag        string `query:"tag" doc:"carries this tag (any case)"`
	Label      string `query:"label" doc:"carries this label (any case)"`
}

// AssignRequest names the member a ticket goes to.
type AssignRequest struct {
	AssigneeID *string `json:"assignee_id" doc:"a user id of a member who may reply; null returns the ticket to the queue"`
	TeamID     *string `json:"team_id,omitempty" doc:"moves the ticket to this team's queue (with assignee_id null: it waits there; \"\": the general queue); left out, the ticket keeps its team"`
	Note       string  `json:"note,omitempty" doc:"a transfer note for the team: kept in the thread as an internal note, \"Transferred to …: \" before it (4096 characters in all)"`
}

// ThreadQuery pages a thread. A browser opening a long thread reads its newest page
// with order=desc and pages back from there.
type ThreadQuery struct {
	PageQuery
	Order   string `query:"order" enum:"asc,desc" doc:"asc (default): oldest first; desc: newest first"`
	Pinned  bool   `query:"pinned" doc:"true (or 1) lists the pinned messages only; false, 0 or absent: all"`
	Starred bool   `query:"starred" doc:"true (or 1) lists the messages the caller starred only; false, 0 or absent: all"`
}

// MessageUpdate pins, stars or reacts to a message; fields left out stay as they are.
type MessageUpdate struct {
	Pinned   *bool   `json:"pinned,omitempty" doc:"pinned for everyone in the workspace"`
	Starred  *bool   `json:"starred,omitempty" doc:"the caller's own star (signed-in members only)"`
	Reaction *string `json:"reaction,omitempty" doc:"one emoji, shown to the customer where the channel supports reactions; empty removes it"`
}

// ForwardRequest names the conversation a message is forwarded to.
type ForwardRequest struct {
	ConversationID string `json:"conversation_id"`
}

// ConversationCounts are the counts of a list's left rail.
type ConversationCounts struct {
	Kind   string         `json:"kind" enum:"chat,ticket"`
	Counts map[string]int `json:"counts" doc:"chat: all, scheduled, archived, sent, pending, failed, partial; ticket: queued, active, pending, resolved, abandoned"`
}

// CountsQuery picks the counts.
type CountsQuery struct {
	Kind string `query:"kind" enum:"chat,ticket" doc:"default: chat for members who may read Chat, else ticket"`
	Team string `query:"team" doc:"with kind ticket: a team id of this workspace (404 for any other), the counts of its tickets; none: the general queue's"`
}

// MessageRequest is a message someone writes into a conversation.
type MessageRequest struct {
	Type       string        `json:"type" enum:"text,media,location,template,note"`
	Text       string        `json:"text" doc:"at most 4096 characters; the caption of media"`
	Media      *MessageMedia `json:"media,omitempty"`
	Location   *sdk.Location `json:"location,omitempty"`
	Template   *sdk.Template `json:"template,omitempty" doc:"its values may name the recipient's fields, filled for each: {{name}}, {{first_name}}, {{last_name}}, {{phone}}, {{email}}, a contact attribute ({{plan}}), {{code}} (a fresh 6-digit code); {{first_name|there}} gives a fallback"`
	ScheduleAt *string       `json:"schedule_at,omitempty" doc:"RFC 3339, at least one minute ahead; the message waits as scheduled"`
	ReplyTo    string        `json:"reply_to,omitempty" doc:"in a conversation with several recipients, a message from one of them: the reply goes to that customer only (without it, to every recipient)"`
	Urgent     bool          `json:"urgent,omitempty" doc:"outside the workspace's business hours, send at once: otherwise the message waits, scheduled, until they open"`
}

// MessageMedia is the attachment of a media message: a file uploaded to the
// workspace (file_id), or a link to one.
type MessageMedia struct {
	FileID   string `json:"file_id,omitempty" doc:"an uploaded file's id (POST …/media): its type and name are the file's, and its size is checked against the channel's limits"`
	URL      string `json:"url,omitempty" doc:"instead of file_id: a link (http or https) to a jpg, jpeg, png, gif, webp, mp4, webm, mp3, wav, pdf, doc, docx or xls file, which the provider fetches"`
	MIMEType string `json:"mime_type,omitempty" doc:"with url: the file's type, one of those; by default the link's extension says it"`
	Filename string `json:"filename,omitempty" doc:"with url: the name a document is shown under"`
	Caption  string `json:"caption,omitempty"`
}

// ComposeRequest opens (or finds) a 1:1 Chat conversation, or opens one with several
// recipients, and optionally sends its first message.
type ComposeRequest struct {
	ConnectionID string `json:"connection_id,omitempty" doc:"the number to send from; required unless connection_ids names them"`
	// ConnectionIDs sends from several numbers (a multi-device plan): the
	// recipients are split between them evenly.
	ConnectionIDs []string `json:"connection_ids,omitempty" doc:"instead of connection_id, for several recipients on a multi-device plan: numbers of one channel to send from, the recipients split evenly between them, each written from theirs (their replies come back to the conversation); the first is the conversation's"`
	To            string   `json:"to,omitempty" doc:"phone number, email address or Messenger id as the connection's channel needs, or a contact id"`
	CountryCode   string   `json:"country_code,omitempty" doc:"digits put in front of a national phone number, e.g. 44"`
	Name          string   `json:"name,omitempty" doc:"the contact's name, when the contact is new"`
	Title         string   `json:"title,omitempty"`
	// WhatsAppConsent records that the customer agreed to receive WhatsApp messages
	// from the business, which WhatsApp requires before the business writes first.
	WhatsAppConsent bool            `json:"whatsapp_consent,omitempty" doc:"the customer opted in to WhatsApp messages from this business; recorded on the contact"`
	Message         *MessageRequest `json:"message,omitempty"`
	// Recipients and GroupID open one conversation with several recipients: every
	// message written into it goes to each of them (a copy each, charged each).
	Recipients []string `json:"recipients,omitempty" doc:"several addresses or contact ids (with to, if given); duplicates count once"`
	GroupID    string   `json:"group_id,omitempty" doc:"a contact group: its members are recipients too (those without an address on the channel are left out)"`
}

// ComposeResult is the conversation and its first message, if one was given.
type ComposeResult struct {
	Conversation ConversationView   `json:"conversation"`
	Message      *messaging.Message `json:"message,omitempty" doc:"with several recipients, the first recipient's copy"`
	// LeftOut counts group members that could not be recipients: no address on the
	// connection's channel.
	LeftOut int `json:"left_out,omitempty"`
}

// ConversationUpdate archives, resolves, reopens or marks a conversation read.
type ConversationUpdate struct {
	Archived *bool   `json:"archived,omitempty"`
	State    *string `json:"state,omitempty" enum:"queued,active,pending,resolved" doc:"abandoned is the auto-close rules' own: reopen an abandoned ticket with queued or active"`
	Unread   *bool   `json:"unread,omitempty" doc:"the caller's own read state (an API token changes the conversation's shared flag)"`
	// ForUserID marks the conversation read or unread for another member: an admin
	// reading an agent's ticket leaves the agent's state alone unless they say so.
	ForUserID *string `json:"for_user_id,omitempty" doc:"with unread: whose read state to change (needs conversations:assign)"`
	// Tags and Labels replace the conversation's, each name once whatever its case.
	Tags   *[]string `json:"tags,omitempty" doc:"replaces the conversation's tags (at most 20, each at most 40 characters)"`
	Labels *[]string `json:"labels,omitempty" doc:"replaces its labels (at most 10): Follow-up, Escalated, Bug, Feature request, or the team's own"`
}

// TagsInUse are the names the workspace's conversations carry, for suggestions.
type TagsInUse struct {
	Tags   []messaging.TagCount `json:"tags" doc:"most used first"`
	Labels []messaging.TagCount `json:"labels" doc:"most used first, then the offered ones not in use"`
}

// MessageInfo is a message with its status timeline, whom it went to (or came from),
// and, for a message sent to several recipients, how each copy fared.
type MessageInfo struct {
	Message   messaging.Message `json:"message"`
	Timeline  []messaging.Event `json:"timeline"`
	Recipient *ContactSummary   `json:"recipient,omitempty"`
	Copies    []MessageCopy     `json:"copies,omitempty" doc:"every recipient's copy of the send (at most 1000)"`
}

// MessageCopy is one recipient's copy of a message sent to several.
type MessageCopy struct {
	MessageID string         `json:"message_id"`
	Contact   ContactSummary `json:"contact"`
	Status    string         `json:"status"`
	Reason    string         `json:"reason,omitempty"`
}

// RetryFailedResult counts the failed messages sent again.
type RetryFailedResult struct {
	Retried int `json:"retried"`
}

// maxTitle is the longest conversation title, in characters: a list sorted by title
// carries the last one's in its cursor.
const maxTitle = 200

// SendNowResult is how many scheduled messages a conversation's "Send now" sent.
type SendNowResult struct {
	Sent int `json:"sent"`
}

func (a conversationArea) Register(r *Router) {
	p := WorkspacePrefix + "/conversations"
	cv := p + "/:conversation"
	msg := cv + "/messages/:message"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "Conversations, newest activity first", Tag: "conversations", Query: ConversationQuery{}, Response: List[ConversationView]{}}, a.list)
	r.Add(Route{Method: http.MethodGet, Path: p + "/counts", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "Left-rail counts: Chat's by pill, or the Team Inbox's by state", Tag: "conversations", Query: CountsQuery{}, Response: ConversationCounts{}}, a.counts)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/workloads", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Each member who holds tickets, with their open tickets (active, pending), capacity and availability: what a transfer weighs", Tag: "conversations", Response: List[messaging.Workload]{}}, a.workloads)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/conversation-tags", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "The tags and labels the conversations the caller may see carry, with how many carry each", Tag: "conversations", Response: TagsInUse{}}, a.tagsInUse)
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.ChatSend,
		Summary: "Compose a 1:1 Chat conversation (an existing one with the contact on that connection is reused, 200)", Tag: "conversations",
		Request: ComposeRequest{}, Response: ComposeResult{}, Status: http.StatusCreated}, a.compose)
	r.Add(Route{Method: http.MethodGet, Path: cv, Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "A conversation", Tag: "conversations", Response: ConversationView{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: cv, Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Archive or unarchive, resolve or reopen, mark read or unread, tag and label", Tag: "conversations",
		Request: ConversationUpdate{}, Response: ConversationView{}}, a.update)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/accept", Access: InWorkspace, Permission: policies.ConversationsAccept,
		Summary: "Accept a ticket: assign it to me and make it active", Tag: "conversations", Response: ConversationView{}}, a.accept)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/assign", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Assign a ticket to a member who can reply (it becomes active), or send it back to the queue with null", Tag: "conversations",
		Request: AssignRequest{}, Response: ConversationView{}}, a.assign)
	r.Add(Route{Method: http.MethodPost, Path: p + "/bulk-assign", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Assign several tickets to one member who can reply, or send them back to the queue with null; all or none", Tag: "conversations",
		Request: BulkAssignRequest{}, Response: List[ConversationView]{}}, a.bulkAssign)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/typing", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Say you are writing in a conversation: members who see it hear conversation.typing (send it every few seconds while writing)", Tag: "conversations",
		Status: http.StatusNoContent}, a.typing)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/resend", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Send the last outgoing message again, as a new message", Tag: "conversations",
		Response: messaging.Message{}, Status: http.StatusCreated}, a.resend)
	r.Add(Route{Method: http.MethodGet, Path: cv + "/recipients", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "The contacts a conversation sends to", Tag: "conversations", Query: PageQuery{}, Response: List[messaging.Contact]{}}, a.recipients)
	r.Add(Route{Method: http.MethodDelete, Path: cv, Access: InWorkspace, Permission: policies.ConversationsDelete,
		Summary: "Delete a conversation with its messages and the files only they carry: its scheduled messages are cancelled first (nothing was charged); 409 conversation_sending while a message is on its way", Tag: "conversations",
		Status: http.StatusNoContent}, a.delete)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/send-now", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Send every scheduled message of the conversation now, each charged as it goes", Tag: "conversations",
		Response: SendNowResult{}}, a.sendAllNow)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/retry-failed", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Send every failed message of the conversation again, each as its next attempt", Tag: "conversations",
		Response: RetryFailedResult{}}, a.retryFailed)
	r.Add(Route{Method: http.MethodGet, Path: cv + "/messages", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "The thread, oldest first (or newest first with order=desc)", Tag: "conversations", Query: ThreadQuery{}, Response: List[messaging.Message]{}}, a.thread)
	r.Add(Route{Method: http.MethodPost, Path: cv + "/messages", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Write a message (sent now or at schedule_at) or an internal note", Tag: "conversations",
		Request: MessageRequest{}, Response: messaging.Message{}, Status: http.StatusCreated}, a.post)
	r.Add(Route{Method: http.MethodGet, Path: msg, Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "Message info: the message and its status timeline", Tag: "conversations", Response: MessageInfo{}}, a.info)
	r.Add(Route{Method: http.MethodGet, Path: msg + "/media", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "A customer's media (photo, voice note, document), fetched from the provider with the connection's credentials and streamed; 410 media_gone once the provider no longer keeps it", Tag: "conversations",
		Raw: true}, a.media)
	r.Add(Route{Method: http.MethodPatch, Path: msg, Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Pin or unpin, star or unstar, react to a message", Tag: "conversations",
		Request: MessageUpdate{}, Response: messaging.Message{}}, a.updateMessage)
	r.Add(Route{Method: http.MethodDelete, Path: msg, Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Delete a message: it stays in the thread without its content (a scheduled one is cancelled)", Tag: "conversations",
		Response: messaging.Message{}}, a.deleteMessage)
	r.Add(Route{Method: http.MethodPost, Path: msg + "/forward", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Forward a message to another conversation, as a new message sent (and charged) there", Tag: "conversations",
		Request: ForwardRequest{}, Response: messaging.Message{}, Status: http.StatusCreated}, a.forward)
	r.Add(Route{Method: http.MethodPost, Path: msg + "/cancel", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Cancel a scheduled message", Tag: "conversations", Response: messaging.Message{}}, a.action(a.s.pipeline.Cancel))
	r.Add(Route{Method: http.MethodPost, Path: msg + "/send-now", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Send a scheduled message now", Tag: "conversations", Response: messaging.Message{}}, a.action(a.s.pipeline.SendNow))
	r.Add(Route{Method: http.MethodPost, Path: msg + "/retry", Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Retry a failed message", Tag: "conversations", Response: messaging.Message{}}, a.action(a.s.pipeline.Retry))
}

// allowed reports whether the caller's role holds p in this workspace.
func (a conversationArea) allowed(c *fiber.Ctx, p policies.Permission) bool {
	ws, _ := tenants.FromContext(c.UserContext())
	m, _ := tenants.MembershipFromContext(c.UserContext())
	return a.s.enforcer.Allowed(ws.ID, m.Role, p)
}

// userID is the signed-in caller's id, "" for an API token.
func userID(c *fiber.Ctx) string {
	if p, _ := PrincipalOf(c); p.User != nil {
		return p.User.ID
	}
	return ""
}

// conversation loads :conversation as the caller may see it: a chat conversation
// without chat:read is not found, as if it did not exist.
func (a conversationArea) conversation(c *fiber.Ctx) (messaging.Conversation, error) {
	conv, err := messaging.GetConversation(c.UserContext(), scoped(c, a.s), c.Params("conversation"))
	if err != nil {
		return conv, err
	}
	if conv.Kind == messaging.KindChat && !a.allowed(c, policies.ChatRead) {
		return messaging.Conversation{}, messaging.ErrConversationNotFound
	}
	return a.accessible(c, conv)
}

// accessible is conv if the caller's access rule lets them see it, else not found, as
// if it did not exist.
func (a conversationArea) accessible(c *fiber.Ctx, conv messaging.Conversation) (messaging.Conversation, error) {
	acc, err := a.s.accessOf(c)
	if err != nil {
		return messaging.Conversation{}, err
	}
	if !acc.AllowsConversation(conv) {
		return messaging.Conversation{}, messaging.ErrConversationNotFound
	}
	return conv, nil
}

// writable loads :conversation for a change: a chat conversation also needs chat:send.
func (a conversationArea) writable(c *fiber.Ctx) (messaging.Conversation, error) {
	return a.writableByID(c, c.Params("conversation"))
}

// writableByID is writable for the conversation with id.
func (a conversationArea) writableByID(c *fiber.Ctx, id string) (messaging.Conversation, error) {
	conv, err := messaging.GetConversation(c.UserContext(), scoped(c, a.s), id)
	if err != nil {
		return conv, err
	}
	if conv.Kind == messaging.KindChat {
		if !a.allowed(c, policies.ChatSend) {
			return messaging.Conversation{}, errChatSend
		}
		if !a.allowed(c, policies.ChatRead) {
			return messaging.Conversation{}, messaging.ErrConversationNotFound
		}
	}
	return a.accessible(c, conv)
}

func summary(ct messaging.Contact) ContactSummary {
	return ContactSummary{ID: ct.ID, Name: ct.Name, Phone: ct.Phone, Email: ct.Email, MessengerID: ct.MessengerID}
}

func (a conversationArea) views(c *fiber.Ctx, convs []messaging.Conversation) ([]ConversationView, error) {
	ids := make([]string, 0, len(convs))
	for _, cv := range convs {
		ids = append(ids, cv.ContactID)
	}
	contacts, err := messaging.ContactsByID(c.UserContext(), scoped(c, a.s), ids)
	if err != nil {
		return nil, err
	}
	connIDs := make([]string, 0, len(convs))
	for _, cv := range convs {
		if !slices.Contains(connIDs, cv.ConnectionID) {
			connIDs = append(connIDs, cv.ConnectionID)
		}
	}
	chans, err := a.s.connections.Summaries(c.UserContext(), scoped(c, a.s), connIDs)
	if err != nil {
		return nil, err
	}
	// Unread is the caller's own.
	if err := messaging.PersonalUnread(c.UserContext(), scoped(c, a.s), userID(c), convs); err != nil {
		return nil, err
	}
	// The window is the customer's with the connection, opened by a message in any
	// of their conversations on it.
	windows, err := messaging.RecipientWindows(c.UserContext(), scoped(c, a.s), convs)
	if err != nil {
		return nil, err
	}
	convIDs := make([]string, len(convs))
	for i, cv := range convs {
		convIDs[i] = cv.ID
	}
	tags, err := messaging.TagsOf(c.UserContext(), scoped(c, a.s), convIDs)
	if err != nil {
		return nil, err
	}
	now := requestNow(c)
	out := make([]ConversationView, len(convs))
	for i, cv := range convs {
		ch := chans[cv.ConnectionID]
		out[i] = ConversationView{Conversation: cv, Contact: summary(contacts[cv.ContactID]), Channel: ch, Tags: tags[cv.ID],
			SLABreaches: cv.SLABreaches(now)}
		open := false
		if last, wrote := windows[cv.ID]; wrote {
			out[i].WindowOpenedAt = &last
			open = (messaging.Recipient{LastInboundAt: &last}).WindowOpen(now)
		}
		out[i].TemplatesOnly = ch.Window24h && (cv.Recipients > 1 || !open)
	}
	return out, nil
}

// teamFilter checks a list's or counts' team: a team of this workspace, or none (the
// general queue); another is not found, like an unknown connection, whether missing
// or another workspace's.
func (a conversationArea) teamFilter(c *fiber.Ctx, team string) (string, error) {
	if team == "" || team == messaging.TeamNone {
		return team, nil
	}
	if _, err := messaging.TeamName(c.UserContext(), scoped(c, a.s), team); errors.Is(err, messaging.ErrTeamNotFound) {
		return "", messaging.ErrTeamNotFound.WithField("team", "is not a team of this workspace")
	} else if err != nil {
		return "", err
	}
	return team, nil
}

// nowLocal keeps a request's moment (requestNow).
const nowLocal = "switchboard.now"

// requestNow is one moment for the whole request, to the database's microsecond: the
// SLA filter a list applies and the verdicts (sla_breaches) it answers with agree.
func requestNow(c *fiber.Ctx) time.Time {
	if t, ok := c.Locals(nowLocal).(time.Time); ok {
		return t
	}
	t := time.Now().UTC().Truncate(time.Microsecond)
	c.Locals(nowLocal, t)
	return t
}

// activityBound reads a list's from or to: an RFC 3339 time as it is, a date as the
// start of that day in the workspace's time zone, or, for to (end), the start of the
// next, so the date's whole day is in. ok is false for neither; empty is no bound.
func activityBound(raw string, loc *time.Location, end bool) (*time.Time, bool) {
	if raw == "" {
		return nil, true
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return &t, true
	}
	day, err := time.ParseInLocation(time.DateOnly, raw, loc)
	if err != nil {
		return nil, false
	}
	if end {
		day = day.AddDate(0, 0, 1)
	}
	return &day, true
}

func (a conversationArea) view(c *fiber.Ctx, conv messaging.Conversation) (ConversationView, error) {
	vs, err := a.views(c, []messaging.Conversation{conv})
	if err != nil {
		return ConversationView{}, err
	}
	return vs[0], nil
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func (a conversationArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := messaging.ConversationFilter{Kind: c.Query("kind"), Pill: c.Query("pill"), State: c.Query("state"),
		ConnectionID: c.Query("connection"), Query: c.Query("q"), Sort: c.Query("sort", messaging.SortNewest),
		Contact: c.Query("contact"), Tag: c.Query("tag"), Label: c.Query("label"), NoChat: !a.allowed(c, policies.ChatRead)}
	if !oneOf(f.Sort, messaging.Sorts...) {
		return failure.Field("sort", "must be newest, oldest, az or za")
	}
	if p.Cursor != "" {
		if _, ok := messaging.DecodeConversationCursor(f.Sort, p.Cursor); !ok {
			return failure.Field("cursor", "is not a cursor this server returned for this sort")
		}
	}
	// Chat is for managers and admins: asking for it is refused, as its counts are,
	// rather than answered with an empty list that looks like no chats.
	if f.Kind == messaging.KindChat && f.NoChat {
		return errChatRead
	}
	bad := failure.Fields{}
	bad.Check(f.Kind != "" && !oneOf(f.Kind, messaging.KindChat, messaging.KindTicket, messaging.KindCampaign), "kind", "must be chat, ticket or campaign")
	bad.Check(f.Pill != "" && !oneOf(f.Pill, messaging.PillPending, messaging.PillScheduled, messaging.PillSent, messaging.PillPartial, messaging.PillFailed),
		"pill", "must be pending, scheduled, sent, partial or failed")
	bad.Check(f.State != "" && !oneOf(f.State, messaging.States...),
		"state", "must be queued, active, pending, resolved or abandoned")
	if raw := c.Query("archived"); raw != "" {
		v, err := strconv.ParseBool(raw)
		bad.Check(err != nil, "archived", "must be true or false")
		f.Archived = v
	}
	ws, _ := tenants.FromContext(c.UserContext())
	var okFrom, okTo bool
	f.ActiveFrom, okFrom = activityBound(c.Query("from"), ws.Location(), false)
	f.ActiveTo, okTo = activityBound(c.Query("to"), ws.Location(), true)
	const bound = "must be an RFC 3339 time (2026-12-07T09:00:00Z) or a date (2026-12-07)"
	bad.Check(!okFrom, "from", bound)
	bad.Check(!okTo, "to", bound)
	bad.Check(f.ActiveFrom != nil && f.ActiveTo != nil && !f.ActiveTo.After(*f.ActiveFrom), "to", "must be after from")
	if f.Team, err = a.teamFilter(c, c.Query("team")); err != nil {
		return err
	}
	switch c.Query("sla") {
	case "":
	case "breached":
		now := requestNow(c)
		f.SLABreachedAt = &now
	default:
		bad.Add("sla", "must be breached")
	}
	switch as := c.Query("assignee"); as {
	case "":
	case "me":
		f.Assignee = userID(c)
		bad.Check(f.Assignee == "", "assignee", "me needs a signed-in user, not an API token")
	case messaging.AssigneeUnassigned:
		f.Assignee = as
	default:
		// A mistyped id would list nothing and pass for "no tickets"; someone of
		// another workspace is not a member here, like an id that does not exist.
		if _, err := a.member(c, as, "assignee"); failure.KindOf(err) == failure.Invalid {
			bad.Add("assignee", "must be me, unassigned or the user id of a member of this workspace")
		} else if err != nil {
			return err
		}
		f.Assignee = as
	}
	bad.Check(len(f.Query) > 200, "q", "must be at most 200 characters")
	if err := bad.Err(); err != nil {
		return err
	}
	if f.Contact != "" {
		var ct messaging.Contact
		if err := scoped(c, a.s).Get(c.UserContext(), &ct, f.Contact, messaging.ErrContactNotFound); errors.Is(err, messaging.ErrContactNotFound) {
			return messaging.ErrContactNotFound.WithField("contact", "is not a contact of this workspace")
		} else if err != nil {
			return err
		}
	}
	if f.ConnectionID != "" {
		// Like a contact list's unknown group: not found, whether it is missing or
		// another workspace's.
		if _, err := a.s.connections.Get(c.UserContext(), scoped(c, a.s), f.ConnectionID); errors.Is(err, connections.ErrNotFound) {
			return connections.ErrNotFound.WithField("connection", "is not a connection of this workspace")
		} else if err != nil {
			return err
		}
	}
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	f.Access = &acc
	convs, next, err := messaging.ListConversations(c.UserContext(), scoped(c, a.s), f, p)
	if err != nil {
		return err
	}
	views, err := a.views(c, convs)
	if err != nil {
		return err
	}
	return list(c, views, next)
}

func (a conversationArea) tagsInUse(c *fiber.Ctx) error {
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	chats := a.allowed(c, policies.ChatRead)
	var out TagsInUse
	if out.Tags, err = messaging.KnownTags(c.UserContext(), scoped(c, a.s), messaging.KindTag, acc, chats); err != nil {
		return err
	}
	if out.Labels, err = messaging.KnownTags(c.UserContext(), scoped(c, a.s), messaging.KindLabel, acc, chats); err != nil {
		return err
	}
	return c.JSON(out)
}

func (a conversationArea) counts(c *fiber.Ctx) error {
	chat := a.allowed(c, policies.ChatRead)
	kind := c.Query("kind")
	switch kind {
	case "":
		kind = messaging.KindTicket
		if chat {
			kind = messaging.KindChat
		}
	case messaging.KindTicket:
	case messaging.KindChat:
		if !chat {
			return errChatRead
		}
	default:
		return failure.Field("kind", "must be chat or ticket")
	}
	var (
		n   map[string]int
		err error
	)
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	team, err := a.teamFilter(c, c.Query("team"))
	if err != nil {
		return err
	}
	switch {
	case kind == messaging.KindChat && team != "":
		return failure.Field("team", "applies to tickets (kind ticket)")
	case kind == messaging.KindChat:
		n, err = messaging.ChatCounts(c.UserContext(), scoped(c, a.s), acc)
	default:
		n, err = messaging.TicketCounts(c.UserContext(), scoped(c, a.s), acc, team)
	}
	if err != nil {
		return err
	}
	return c.JSON(ConversationCounts{Kind: kind, Counts: n})
}

// draft turns a message request into the pipeline's draft (which Pipeline.Post
// validates).
func draft(req MessageRequest, author string) (pipeline.Draft, error) {
	d := pipeline.Draft{Type: req.Type, Text: req.Text, Location: req.Location, Template: req.Template, AuthorID: author,
		ReplyTo: strings.TrimSpace(req.ReplyTo), Urgent: req.Urgent}
	if md := req.Media; md != nil {
		d.Media = &sdk.Media{URL: md.URL, MIMEType: md.MIMEType, Filename: md.Filename, Caption: md.Caption}
		d.MediaFile = strings.TrimSpace(md.FileID)
	}
	if req.ScheduleAt != nil {
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(*req.ScheduleAt))
		if err != nil {
			return d, failure.Field("schedule_at", "must be an RFC 3339 time, e.g. 2030-01-02T15:04:05Z")
		}
		d.ScheduleAt = &at
	}
	return d, nil
}

// prefixed names a validation failure's fields under prefix.
func prefixed(err error, prefix string) error {
	var f *failure.Error
	if !errors.As(err, &f) || f.Kind != failure.Invalid || len(f.Fields) == 0 {
		return err
	}
	cp := *f
	cp.Fields = make(map[string]string, len(f.Fields))
	for k, v := range f.Fields {
		cp.Fields[prefix+k] = v
	}
	return &cp
}

func (a conversationArea) compose(c *fiber.Ctx) error {
	var req ComposeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	bad := failure.Fields{}
	if strings.TrimSpace(req.ConnectionID) == "" && len(req.ConnectionIDs) > 0 {
		req.ConnectionID = req.ConnectionIDs[0]
	}
	bad.Check(strings.TrimSpace(req.ConnectionID) == "", "connection_id", "is required")
	bad.Check(strings.TrimSpace(req.To) == "" && len(req.Recipients) == 0 && req.GroupID == "", "to", "is required (or recipients, or group_id)")
	named := map[string]bool{strings.TrimSpace(req.ConnectionID): true}
	for _, id := range req.ConnectionIDs {
		named[strings.TrimSpace(id)] = true
	}
	bad.Check(len(named) > 1 && len(req.Recipients) == 0 && req.GroupID == "", "connection_ids",
		"one recipient is written from one number: give several recipients, or one connection_id")
	if err := bad.Err(); err != nil {
		return err
	}
	conn, err := a.s.connections.Get(ctx, sc, req.ConnectionID)
	if errors.Is(err, connections.ErrNotFound) {
		field := "connection_id"
		if len(req.ConnectionIDs) > 0 && req.ConnectionID == req.ConnectionIDs[0] {
			field = "connection_ids[0]" // the number was named there
		}
		return failure.Field(field, "is not a connection of this workspace")
	}
	if err != nil {
		return err
	}
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	if !acc.AllowsConnection(conn.ID) {
		// Outside the caller's inboxes, like one that does not exist.
		return failure.Field("connection_id", "is not a connection of this workspace")
	}
	var d *pipeline.Draft
	if req.Message != nil {
		dr, err := draft(*req.Message, userID(c))
		if err != nil {
			return prefixed(err, "message.")
		}
		d = &dr
	}
	if len(req.Recipients) > 0 || req.GroupID != "" {
		return a.composeMany(c, conn, req, d)
	}
	contact, err := contactFor(ctx, sc, conn, req.To, req.CountryCode, req.Name, "to")
	if err != nil {
		return err
	}
	if req.WhatsAppConsent && !contact.WhatsAppConsent {
		if contact, err = messaging.RecordWhatsAppConsent(ctx, sc, contact); err != nil {
			return err
		}
	}
	conv, found, err := messaging.ChatWith(ctx, sc, conn.ID, contact.ID)
	if err != nil {
		return err
	}
	if found && !acc.AllowsConversation(conv) {
		// Their conversation is someone else's to work: not written into from here.
		return messaging.ErrConversationNotFound.WithField("to", "already has a conversation on this connection that you may not see")
	}
	if !found {
		if conv, err = messaging.NewConversation(ctx, sc, messaging.KindChat, conn.ID, contact, strings.TrimSpace(req.Title)); err != nil {
			return err
		}
		if conv, err = a.own(c, acc, conv); err != nil {
			return err
		}
	}
	return a.composed(c, conv, !found, d, ComposeResult{})
}

// own assigns a conversation the caller just opened to them when their access rule
// shows them only their own (Match assignee): else they could not see what they opened.
func (a conversationArea) own(c *fiber.Ctx, acc messaging.Access, conv messaging.Conversation) (messaging.Conversation, error) {
	if acc.AllowsConversation(conv) || acc.UserID == "" {
		return conv, nil
	}
	if _, err := scoped(c, a.s).Update((*messaging.Conversation)(nil)).Set("assignee_id = ?", acc.UserID).
		Where("cv.id = ?", conv.ID).Exec(c.UserContext()); err != nil {
		return conv, err
	}
	conv.AssigneeID = &acc.UserID
	return conv, nil
}

// composed posts a compose request's first message, if it has one, into conv and
// answers with both (201 when the conversation is new). A new conversation whose
// message is refused is removed: nothing was sent, and no empty one stays behind.
func (a conversationArea) composed(c *fiber.Ctx, conv messaging.Conversation, created bool, d *pipeline.Draft, res ComposeResult) error {
	ctx, sc := c.UserContext(), scoped(c, a.s)
	if d != nil {
		m, err := a.s.pipeline.Post(ctx, sc, conv, *d)
		if err != nil {
			if created && failure.KindOf(err) == failure.Invalid {
				_, _ = sc.Delete((*messaging.Conversation)(nil)).Where("cv.id = ?", conv.ID).Exec(ctx)
			}
			return prefixed(err, "message.")
		}
		res.Message = &m
		if conv, err = messaging.GetConversation(ctx, sc, conv.ID); err != nil {
			return err
		}
	}
	var err error
	if res.Conversation, err = a.view(c, conv); err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.Status(status).JSON(res)
}

// contactFor finds or creates the contact raw (a contact id or an address on conn's
// channel) names; a failure names field.
func contactFor(ctx context.Context, sc tenants.Scoped, conn connections.Connection, raw, countryCode, name, field string) (messaging.Contact, error) {
	to := strings.TrimSpace(raw)
	// A contact id.
	var ct messaging.Contact
	if err := sc.Get(ctx, &ct, to, messaging.ErrContactNotFound); err == nil {
		if ct.Address(conn.Kind) == "" {
			return ct, failure.Field(field, "the contact has no address on this connection's channel")
		}
		return ct, nil
	} else if !errors.Is(err, messaging.ErrContactNotFound) {
		return ct, err
	}
	switch messaging.AddressKind(conn.Kind) {
	case "phone":
		p, ok := messaging.NormalizePhone(to, strings.TrimSpace(countryCode))
		if !ok {
			return ct, failure.Field(field, "is not a phone number (use +country code, or give country_code)")
		}
		to = p
	case "email":
		at := strings.LastIndexByte(to, '@')
		if at < 1 || at == len(to)-1 || strings.ContainsAny(to, " \t\r\n,;<>") {
			return ct, failure.Field(field, "is not an email address")
		}
	default:
		if len(to) > 200 {
			return ct, failure.Field(field, "is too long")
		}
	}
	return messaging.ContactByAddress(ctx, sc, conn.Kind, to, strings.TrimSpace(name))
}

// composeMany opens a conversation with several recipients: to, recipients and the
// group's members, each contact once: always a new conversation, as it is named.
func (a conversationArea) composeMany(c *fiber.Ctx, conn connections.Connection, req ComposeRequest, d *pipeline.Draft) error {
	ctx, sc := c.UserContext(), scoped(c, a.s)
	bad := failure.Fields{}
	var contacts []messaging.Contact
	seen := map[string]bool{}
	add := func(ct messaging.Contact) {
		if !seen[ct.ID] {
			seen[ct.ID] = true
			contacts = append(contacts, ct)
		}
	}
	if strings.TrimSpace(req.To) != "" {
		ct, err := contactFor(ctx, sc, conn, req.To, req.CountryCode, req.Name, "to")
		if failure.KindOf(err) == failure.Invalid {
			bad.Add("to", fieldMessage(err, "to"))
		} else if err != nil {
			return err
		} else {
			add(ct)
		}
	}
	if len(req.Recipients) > messaging.MaxRecipients {
		return failure.Field("recipients", fmt.Sprintf("at most %d; send to more as a campaign", messaging.MaxRecipients))
	}
	for i, raw := range req.Recipients {
		field := fmt.Sprintf("recipients[%d]", i)
		ct, err := contactFor(ctx, sc, conn, raw, req.CountryCode, "", field)
		if failure.KindOf(err) == failure.Invalid {
			bad.Add(field, fieldMessage(err, field))
			continue
		}
		if err != nil {
			return err
		}
		add(ct)
	}
	leftOut := 0
	if req.GroupID != "" {
		g, err := messaging.GetGroup(ctx, sc, req.GroupID)
		if errors.Is(err, messaging.ErrGroupNotFound) {
			// Another workspace's group, like a missing one: 404, naming the field.
			return messaging.ErrGroupNotFound.WithField("group_id", "is not a contact group of this workspace")
		}
		if err != nil {
			return err
		}
		if g.Members > messaging.MaxRecipients {
			return failure.Field("group_id", fmt.Sprintf("has %d members, more than the %d a conversation sends to; send to it as a campaign", g.Members, messaging.MaxRecipients))
		}
		ids, err := messaging.GroupContactIDs(ctx, sc, g.ID, messaging.MaxRecipients+1)
		if err != nil {
			return err
		}
		members, err := messaging.ContactsByID(ctx, sc, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if ct := members[id]; ct.Address(conn.Kind) != "" {
				add(ct)
			} else {
				leftOut++
			}
		}
	}
	switch {
	case len(contacts) > messaging.MaxRecipients:
		bad.Add("recipients", fmt.Sprintf("at most %d; send to more as a campaign", messaging.MaxRecipients))
	case len(contacts) == 0 && len(bad) == 0:
		bad.Add("recipients", "no one to send to: the group has no member with an address on this channel")
	case len(contacts) > 1 && strings.TrimSpace(req.Title) == "":
		bad.Add("title", "is required for a conversation with several recipients")
	}
	bad.Check(utf8.RuneCountInString(req.Title) > maxTitle, "title", fmt.Sprintf("must be at most %d characters", maxTitle))
	if err := bad.Err(); err != nil {
		return err
	}
	acc, err := a.s.accessOf(c)
	if err != nil {
		return err
	}
	from, err := a.numbers(c, conn, req.ConnectionIDs, acc)
	if err != nil {
		return err
	}
	if req.WhatsAppConsent {
		for i, ct := range contacts {
			if !ct.WhatsAppConsent {
				var err error
				if contacts[i], err = messaging.RecordWhatsAppConsent(ctx, sc, ct); err != nil {
					return err
				}
			}
		}
	}
	conv, err := messaging.OpenConversationFrom(ctx, sc, messaging.KindChat, from, contacts, strings.TrimSpace(req.Title))
	if err != nil {
		return err
	}
	if conv, err = a.own(c, acc, conv); err != nil {
		return err
	}
	return a.composed(c, conv, true, d, ComposeResult{LeftOut: leftOut})
}

// ErrSingleNumberPlan refuses several numbers for one conversation on a plan without
// multi-device.
var ErrSingleNumberPlan = failure.New(failure.Forbidden, "plan_single_number", "the workspace's plan sends a conversation from one number").
	WithField("connection_ids", "give one: sending from several numbers needs a multi-device plan")

// numbers are the connections a conversation with several recipients sends from: conn
// alone, or conn and the others of ids (each once), when the workspace's plan is
// multi-device, each is one the caller may send from, and all are numbers of conn's
// channel.
func (a conversationArea) numbers(c *fiber.Ctx, conn connections.Connection, ids []string, acc messaging.Access) ([]string, error) {
	from := []string{conn.ID}
	for _, id := range ids {
		if id = strings.TrimSpace(id); !slices.Contains(from, id) {
			from = append(from, id)
		}
	}
	if len(from) == 1 {
		return from, nil
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	ws, _ := tenants.FromContext(ctx)
	plan, err := tenants.PlanByID(ctx, a.s.db, ws.PlanID)
	if err != nil {
		return nil, err
	}
	if !plan.Features.MultiDevice {
		return nil, ErrSingleNumberPlan.WithMessage(fmt.Sprintf("the %s plan sends a conversation from one number", plan.Name))
	}
	bad := failure.Fields{}
	for i, id := range ids {
		field := fmt.Sprintf("connection_ids[%d]", i)
		other, err := a.s.connections.Get(ctx, sc, strings.TrimSpace(id))
		switch {
		case errors.Is(err, connections.ErrNotFound) || err == nil && !acc.AllowsConnection(other.ID):
			bad.Add(field, "is not a connection of this workspace")
		case err != nil:
			return nil, err
		case other.PluginID != conn.PluginID:
			bad.Add(field, fmt.Sprintf("is a %s connection: the numbers of one conversation are of one channel (%s)", other.PluginID, conn.PluginID))
		case other.Status != connections.StatusActive:
			// Its copies would fail at once; said now, before anything is stored.
			bad.Add(field, fmt.Sprintf("is %s: send from active numbers", other.Status))
		}
	}
	return from, bad.Err()
}

// fieldMessage is what a validation failure says about field.
func fieldMessage(err error, field string) string {
	var f *failure.Error
	if errors.As(err, &f) && f.Fields[field] != "" {
		return f.Fields[field]
	}
	return err.Error()
}

func (a conversationArea) get(c *fiber.Ctx) error {
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	return a.respond(c, conv)
}

// respond answers with the conversation's view.
func (a conversationArea) respond(c *fiber.Ctx, conv messaging.Conversation) error {
	v, err := a.view(c, conv)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// changed reloads a conversation after a change to before, tells browsers and answers
// with it.
func (a conversationArea) changed(c *fiber.Ctx, before messaging.Conversation) error {
	sc := scoped(c, a.s)
	conv, err := messaging.GetConversation(c.UserContext(), sc, before.ID)
	if err != nil {
		return err
	}
	a.s.pipeline.ConversationChanged(c.UserContext(), sc, before, conv)
	return a.respond(c, conv)
}

// changedThenPass announces a ticket's change, then gives the queue a pass (which may
// hand this very ticket on, and announces that itself), and answers with the ticket
// as it then is.
func (a conversationArea) changedThenPass(c *fiber.Ctx, before messaging.Conversation, skip map[string]string) error {
	sc := scoped(c, a.s)
	now, err := messaging.GetConversation(c.UserContext(), sc, before.ID)
	if err != nil {
		return err
	}
	a.s.pipeline.ConversationChanged(c.UserContext(), sc, before, now)
	a.s.pipeline.AssignQueued(c.UserContext(), sc, skip)
	if now, err = messaging.GetConversation(c.UserContext(), sc, before.ID); err != nil {
		return err
	}
	return a.respond(c, now)
}

func (a conversationArea) update(c *fiber.Ctx) error {
	var req ConversationUpdate
	if err := decode(c, &req); err != nil {
		return err
	}
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	if req.State != nil && !oneOf(*req.State, messaging.StateQueued, messaging.StateActive, messaging.StatePending, messaging.StateResolved) {
		return failure.Field("state", "must be queued, active, pending or resolved (abandoned is set by the auto-close rules only)")
	}
	if req.ForUserID != nil && req.Unread == nil {
		return failure.Field("unread", "is required with for_user_id")
	}
	// Everything is checked before anything is written: a refused request changes
	// nothing.
	var tags messaging.TagChange
	if req.Tags != nil {
		names, err := messaging.TagNames("tags", messaging.KindTag, *req.Tags)
		if err != nil {
			return err
		}
		tags.Tags = &names
	}
	if req.Labels != nil {
		names, err := messaging.TagNames("labels", messaging.KindLabel, *req.Labels)
		if err != nil {
			return err
		}
		tags.Labels = &names
	}
	forUser := userID(c)
	if req.Unread != nil && req.ForUserID != nil && *req.ForUserID != forUser {
		if !a.allowed(c, policies.ConversationsAssign) {
			return failure.Field("for_user_id", "changing another member's read state needs conversations:assign")
		}
		if _, err := a.member(c, *req.ForUserID, "for_user_id"); err != nil {
			return err
		}
		forUser = *req.ForUserID
	}
	tagged := tags.Tags != nil || tags.Labels != nil
	if tagged {
		if err := messaging.SetTags(c.UserContext(), scoped(c, a.s), conv.ID, tags); err != nil {
			return err
		}
		now, err := messaging.TagsOf(c.UserContext(), scoped(c, a.s), []string{conv.ID})
		if err != nil {
			return err
		}
		a.s.pipeline.TagsChanged(c.UserContext(), scoped(c, a.s), conv, now[conv.ID])
	}
	var cols []string
	if req.Archived != nil {
		conv.Archived = *req.Archived
		cols = append(cols, "archived")
	}
	stateChanged := req.State != nil && *req.State != conv.State
	if stateChanged {
		q := messaging.ChangeState(scoped(c, a.s).Update((*messaging.Conversation)(nil)), *req.State, time.Now().UTC())
		if _, err := q.Where("cv.id = ?", conv.ID).Exec(c.UserContext()); err != nil {
			return err
		}
		conv.State = *req.State
	}
	if req.Unread != nil {
		if forUser == "" {
			conv.Unread = *req.Unread // an API token: the shared flag
			cols = append(cols, "unread")
		} else if err := messaging.MarkRead(c.UserContext(), scoped(c, a.s), conv.ID, forUser, *req.Unread, time.Now()); err != nil {
			return err
		}
	}
	if len(cols) == 0 && !stateChanged {
		if req.Unread != nil || tagged {
			return a.changed(c, conv)
		}
		return a.respond(c, conv)
	}
	if len(cols) > 0 {
		if _, err := scoped(c, a.s).Update(&conv).Column(cols...).WherePK().Exec(c.UserContext()); err != nil {
			return err
		}
	}
	if (stateChanged || req.Archived != nil) && conv.Kind == messaging.KindTicket {
		// Resolved, pending or archived, a ticket frees its member's room; queued,
		// it waits for the queue's rules.
		return a.changedThenPass(c, conv, nil)
	}
	return a.changed(c, conv)
}

func (a conversationArea) assign(c *fiber.Ctx) error {
	var req AssignRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	if conv.Kind != messaging.KindTicket {
		return errNotTicket
	}
	h, err := a.handOver(c, req)
	if err != nil {
		return err
	}
	if err := h.give(c, conv); err != nil {
		return err
	}
	return a.changedThenPass(c, conv, h.skip)
}

// MaxBulkAssign is how many tickets one bulk assignment hands over at most.
const MaxBulkAssign = 100

// BulkAssignRequest hands several tickets to one member, or back to the queue.
type BulkAssignRequest struct {
	ConversationIDs []string `json:"conversation_ids" doc:"the tickets, at most 100, each once"`
	AssignRequest
}

func (a conversationArea) bulkAssign(c *fiber.Ctx) error {
	var req BulkAssignRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if len(req.ConversationIDs) == 0 || len(req.ConversationIDs) > MaxBulkAssign {
		return failure.Field("conversation_ids", fmt.Sprintf("must name from 1 to %d tickets", MaxBulkAssign))
	}
	h, err := a.handOver(c, req.AssignRequest)
	if err != nil {
		return err
	}
	// Every ticket is checked before any is handed over: one refused changes nothing.
	convs := make([]messaging.Conversation, len(req.ConversationIDs))
	seen := map[string]bool{}
	for i, id := range req.ConversationIDs {
		field := fmt.Sprintf("conversation_ids[%d]", i)
		if seen[id] {
			return failure.Field(field, "is named twice")
		}
		seen[id] = true
		conv, err := a.writableByID(c, id)
		if f := (*failure.Error)(nil); errors.As(err, &f) && len(f.Fields) == 0 {
			return f.WithField(field, f.Message) // not found, or not the caller's to change
		} else if err != nil {
			return err
		}
		if conv.Kind != messaging.KindTicket {
			return errNotTicket.WithField(field, errNotTicket.Message)
		}
		convs[i] = conv
	}
	sc := scoped(c, a.s)
	if err := h.give(c, convs...); err != nil {
		return err
	}
	ids := make([]string, len(convs))
	for i, conv := range convs {
		ids[i] = conv.ID
	}
	now, err := messaging.ConversationsByID(c.UserContext(), sc, ids)
	if err != nil {
		return err
	}
	for _, after := range now {
		a.s.pipeline.ConversationChanged(c.UserContext(), sc, convs[slices.Index(ids, after.ID)], after)
	}
	// One pass for all: tickets given to the queue go round again, not back to whom
	// they were taken from; taken from members, they free room.
	a.s.pipeline.AssignQueued(c.UserContext(), sc, h.skip)
	if now, err = messaging.ConversationsByID(c.UserContext(), sc, ids); err != nil {
		return err
	}
	slices.SortFunc(now, func(x, y messaging.Conversation) int { return slices.Index(ids, x.ID) - slices.Index(ids, y.ID) })
	views, err := a.views(c, now)
	if err != nil {
		return err
	}
	return list(c, views, "")
}

// handOver is a change of hands checked once for any number of tickets: to whom
// (nil: the queue), into which team's queue (nil: the one it is in; "": the general
// queue), the name of where it goes for the transfer note, and the note.
type handOver struct {
	a          conversationArea
	assigneeID *string
	teamID     *string
	to, note   string
	// skip names, by ticket, whom a ticket given to the queue was taken from.
	skip map[string]string
}

// handOver checks a change of hands: the assignee must be a member of this workspace
// whose role can answer, the team one of its teams; the note at most a message long.
func (a conversationArea) handOver(c *fiber.Ctx, req AssignRequest) (*handOver, error) {
	h := &handOver{a: a, assigneeID: req.AssigneeID, teamID: req.TeamID, to: "the queue", note: strings.TrimSpace(req.Note), skip: map[string]string{}}
	sc := scoped(c, a.s)
	if req.TeamID != nil && *req.TeamID != "" {
		team, err := messaging.TeamName(c.UserContext(), sc, *req.TeamID)
		if errors.Is(err, messaging.ErrTeamNotFound) {
			return nil, messaging.ErrTeamNotFound.WithField("team_id", "is not a team of this workspace")
		} else if err != nil {
			return nil, err
		}
		h.to = "the " + team + " team"
	}
	if req.AssigneeID != nil {
		if err := h.toMember(c, *req.AssigneeID); err != nil {
			return nil, err
		}
	}
	// The thread keeps the note with who or where it went to: that must fit a message.
	if most := messaging.MaxTextLength - utf8.RuneCountInString(h.noteText()) + utf8.RuneCountInString(h.note); utf8.RuneCountInString(h.note) > most {
		return nil, failure.Field("note", fmt.Sprintf("must be at most %d characters (with %q before it)", most, "Transferred to "+h.to+": "))
	}
	return h, nil
}

// toMember checks the member a change of hands gives to: a member of this workspace
// whose role can answer; their name (else email) is where the note says it went.
func (h *handOver) toMember(c *fiber.Ctx, userID string) error {
	a := h.a
	sc := scoped(c, a.s)
	const field = "assignee_id"
	m, err := a.member(c, userID, field)
	if err != nil {
		return err
	}
	if !a.s.enforcer.Allowed(sc.WorkspaceID(), m.Role, policies.ConversationsReply) {
		return failure.Field(field, messaging.NotAHolder(m.Role))
	}
	u, err := auth.UserByID(c.UserContext(), a.s.db, m.UserID)
	if err != nil {
		return err
	}
	h.to = u.DisplayName()
	return nil
}

// give hands the tickets over, all in one transaction (a failure changes none):
// each active with its member (unread for them, unless they gave it to themselves)
// or queued, in its new team's queue if one was named; then writes the transfer note
// in each thread.
func (h *handOver) give(c *fiber.Ctx, convs ...messaging.Conversation) error {
	sc := scoped(c, h.a.s)
	state := messaging.StateQueued
	if h.assigneeID != nil {
		state = messaging.StateActive
	}
	now := time.Now().UTC()
	// In the order the queue's pass takes tickets, so two transfers, or a transfer
	// and a pass, lock them in one order and never wait on each other in a circle.
	ordered := slices.Clone(convs)
	slices.SortFunc(ordered, func(x, y messaging.Conversation) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	err := storage.InTx(c.UserContext(), sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		for _, conv := range ordered {
			q := messaging.ChangeState(st.Update((*messaging.Conversation)(nil)).Set("assignee_id = ?", h.assigneeID), state, now)
			if h.teamID != nil {
				var team *string // "": the general queue
				if *h.teamID != "" {
					team = h.teamID
				}
				q = q.Set("team_id = ?", team)
			}
			if _, err := q.Where("cv.id = ?", conv.ID).Exec(ctx); err != nil {
				return err
			}
			if h.assigneeID != nil && *h.assigneeID != userID(c) {
				// A ticket handed to someone is new to them.
				if err := messaging.MarkRead(ctx, st, conv.ID, *h.assigneeID, true, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, conv := range convs {
		if h.assigneeID == nil && conv.AssigneeID != nil {
			h.skip[conv.ID] = *conv.AssigneeID
		}
		if h.note == "" {
			continue
		}
		// The note tells the next one why; it stays in the thread for the team. It
		// was checked, so one not written is trouble of the database's, and the
		// transfer stands.
		if _, err := h.a.s.pipeline.Post(c.UserContext(), sc, conv, pipeline.Draft{Type: "note", Text: h.noteText(), AuthorID: userID(c)}); err != nil {
			h.a.s.log.Warn("transfer note not written", "workspace_id", sc.WorkspaceID(), "conversation", conv.ID, "error", err)
		}
	}
	return nil
}

// noteText is the transfer note as the thread keeps it.
func (h *handOver) noteText() string { return fmt.Sprintf("Transferred to %s: %s", h.to, h.note) }

// errTypingToken refuses an API token's typing: only a member writes.
var errTypingToken = failure.New(failure.Invalid, "user_only", "typing is a member's: sign in as a user, not with an API token")

func (a conversationArea) typing(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	p, _ := PrincipalOf(c)
	if p.User == nil {
		return errTypingToken
	}
	a.s.pipeline.Typing(c.UserContext(), scoped(c, a.s), conv, pipeline.Typist{UserID: p.User.ID, Name: p.User.DisplayName()})
	return c.SendStatus(http.StatusNoContent)
}

func (a conversationArea) workloads(c *fiber.Ctx) error {
	sc := scoped(c, a.s)
	online, err := a.s.pipeline.Online(c.UserContext(), sc.WorkspaceID())
	if err != nil {
		return err
	}
	rows, err := messaging.Workloads(c.UserContext(), sc, a.s.pipeline.MayHold(sc.WorkspaceID()), online)
	if err != nil {
		return err
	}
	return list(c, rows, "")
}

func (a conversationArea) accept(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	if conv.Kind != messaging.KindTicket {
		return errNotTicket
	}
	me := userID(c)
	if me == "" {
		return errAcceptToken
	}
	sc := scoped(c, a.s)
	res, err := messaging.ChangeState(sc.Update((*messaging.Conversation)(nil)).Set("assignee_id = ?", me), messaging.StateActive, time.Now().UTC()).
		Where("cv.id = ? AND (cv.assignee_id IS NULL OR cv.assignee_id = ?)", conv.ID, me).Exec(c.UserContext())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errAssigned
	}
	return a.changed(c, conv)
}

func (a conversationArea) thread(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	order := c.Query("order", "asc")
	if order != "asc" && order != "desc" {
		return failure.Field("order", "must be asc or desc")
	}
	bad := failure.Fields{}
	pinned, ok := queryFlag(c, "pinned")
	bad.Check(!ok, "pinned", "must be true, false, 1 or 0")
	starred, ok := queryFlag(c, "starred")
	bad.Check(!ok, "starred", "must be true, false, 1 or 0")
	if err := bad.Err(); err != nil {
		return err
	}
	f := messaging.ThreadFilter{Pinned: pinned}
	if starred {
		if f.StarredBy = userID(c); f.StarredBy == "" {
			return errNoStars
		}
	}
	sc := scoped(c, a.s)
	rows, next, err := messaging.Thread(c.UserContext(), sc, conv.ID, p, order == "desc", f)
	if err != nil {
		return err
	}
	if err := messaging.MarkStarred(c.UserContext(), sc, userID(c), rows); err != nil {
		return err
	}
	for i := range rows {
		rows[i] = rows[i].Redacted()
	}
	return list(c, rows, next)
}

// queryFlag reads a yes-or-no query parameter: true or 1, false or 0, or absent
// (false). ok is false for any other word, which would otherwise read as false and
// quietly show the whole thread.
func queryFlag(c *fiber.Ctx, name string) (v, ok bool) {
	switch c.Query(name) {
	case "", "false", "0":
		return false, true
	case "true", "1":
		return true, true
	}
	return false, false
}

func (a conversationArea) post(c *fiber.Ctx) error {
	var req MessageRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	d, err := draft(req, userID(c))
	if err != nil {
		return err
	}
	m, err := a.s.pipeline.Post(c.UserContext(), scoped(c, a.s), conv, d)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(m)
}

func (a conversationArea) info(c *fiber.Ctx) error {
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	sc := scoped(c, a.s)
	m, err := messaging.ConversationMessage(c.UserContext(), sc, conv.ID, c.Params("message"))
	if err != nil {
		return err
	}
	ms := []messaging.Message{m}
	if err := messaging.MarkStarred(c.UserContext(), sc, userID(c), ms); err != nil {
		return err
	}
	m = ms[0]
	tl, err := messaging.Timeline(c.UserContext(), sc, m.ID)
	if err != nil {
		return err
	}
	if tl == nil {
		tl = []messaging.Event{}
	}
	info := MessageInfo{Message: m.Redacted(), Timeline: tl}
	var copies []messaging.Message
	if m.SendID != nil {
		if copies, err = messaging.SendCopies(c.UserContext(), sc, *m.SendID, messaging.MaxRecipients); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(copies)+1)
	if m.ContactID != nil {
		ids = append(ids, *m.ContactID)
	}
	for _, cp := range copies {
		ids = append(ids, *cp.ContactID)
	}
	contacts, err := messaging.ContactsByID(c.UserContext(), sc, ids)
	if err != nil {
		return err
	}
	if m.ContactID != nil {
		s := summary(contacts[*m.ContactID])
		info.Recipient = &s
	}
	for _, cp := range copies {
		info.Copies = append(info.Copies, MessageCopy{MessageID: cp.ID, Contact: summary(contacts[*cp.ContactID]), Status: cp.Status, Reason: cp.Reason})
	}
	return c.JSON(info)
}

// messageAction is one of the pipeline's per-message moves (Cancel, SendNow, Retry).
type messageAction func(ctx context.Context, sc tenants.Scoped, messageID string) (messaging.Message, error)

// action runs a per-message move on a message of :conversation.
func (a conversationArea) action(do messageAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		conv, err := a.writable(c)
		if err != nil {
			return err
		}
		sc := scoped(c, a.s)
		m, err := messaging.ConversationMessage(c.UserContext(), sc, conv.ID, c.Params("message"))
		if err != nil {
			return err
		}
		if m, err = do(c.UserContext(), sc, m.ID); err != nil {
			return err
		}
		ms := []messaging.Message{m}
		if err := messaging.MarkStarred(c.UserContext(), sc, userID(c), ms); err != nil {
			return err
		}
		return c.JSON(ms[0].Redacted())
	}
}

func (a conversationArea) resend(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	m, err := a.s.pipeline.Resend(c.UserContext(), scoped(c, a.s), conv, userID(c))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(m)
}

// errNoMedia answers a request for the media of a message that has none to fetch:
// a link the agent gave, which the browser opens itself.
var errNoMedia = failure.New(failure.NotFound, "media_not_found", "this message has no media kept or fetched by the server")

// media streams a message's media: a file a member uploaded, from the database; a
// customer's, from the provider (see connections.OpenMedia).
func (a conversationArea) media(c *fiber.Ctx) error {
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	m, err := messaging.ConversationMessage(ctx, sc, conv.ID, c.Params("message"))
	if err != nil {
		return err
	}
	md := m.Content.Media
	switch {
	case m.DeletedAt != nil || md == nil:
		return errNoMedia
	case m.Content.MediaFile != "":
		f, err := media.Get(ctx, sc, m.Content.MediaFile)
		if errors.Is(err, media.ErrFileNotFound) {
			return errNoMedia
		}
		if err != nil {
			return err
		}
		return sendFile(c, sc, f)
	case m.Direction != messaging.DirectionIn || md.URL == "":
		return errNoMedia
	}
	fetched, err := a.s.connections.OpenMedia(ctx, sc, m.ConnectionID, md.URL, c.Get(fiber.HeaderRange))
	if errors.Is(err, connections.ErrMediaRange) {
		return c.SendStatus(http.StatusRequestedRangeNotSatisfiable)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	if fetched.Range != "" {
		c.Status(http.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fetched.Range)
	}
	typ := fetched.MIMEType
	if typ == "" {
		typ = md.MIMEType
	}
	for k, v := range media.Headers(typ, md.Filename) {
		c.Set(k, v)
	}
	// fasthttp closes the body once it is sent (or the browser went away).
	return c.SendStream(fetched.Body, int(fetched.Size))
}

// errNoStars answers an API token that asks about stars: they are a member's own.
var errNoStars = failure.New(failure.Invalid, "stars_need_a_member", "stars belong to a signed-in member; an API token has none").
	WithField("starred", "needs a signed-in member")

// message loads :message of a conversation the caller may change.
func (a conversationArea) message(c *fiber.Ctx) (messaging.Message, error) {
	conv, err := a.writable(c)
	if err != nil {
		return messaging.Message{}, err
	}
	sc := scoped(c, a.s)
	m, err := messaging.ConversationMessage(c.UserContext(), sc, conv.ID, c.Params("message"))
	if err != nil {
		return m, err
	}
	ms := []messaging.Message{m}
	err = messaging.MarkStarred(c.UserContext(), sc, userID(c), ms)
	return ms[0], err
}

func (a conversationArea) updateMessage(c *fiber.Ctx) error {
	var req MessageUpdate
	if err := decode(c, &req); err != nil {
		return err
	}
	m, err := a.message(c)
	if err != nil {
		return err
	}
	if req.Starred != nil && userID(c) == "" {
		return errNoStars
	}
	// Every change is checked before any is made: a refused reaction leaves no pin.
	if req.Reaction != nil {
		switch {
		case !messaging.ValidReaction(*req.Reaction):
			return failure.Field("reaction", "must be a single emoji, or empty to remove it")
		case m.Direction == messaging.DirectionNote:
			return messaging.ErrNoteReaction
		}
	}
	if m.Deleted() {
		return messaging.ErrMessageDeleted
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	if req.Pinned != nil {
		if m, err = a.s.pipeline.Pin(ctx, sc, m, *req.Pinned, userID(c)); err != nil {
			return err
		}
	}
	if req.Reaction != nil {
		if m, err = a.s.pipeline.React(ctx, sc, m, *req.Reaction); err != nil {
			return err
		}
	}
	if req.Starred != nil {
		if err := messaging.SetStarred(ctx, sc, &m, userID(c), *req.Starred, time.Now().UTC()); err != nil {
			return err
		}
	}
	return c.JSON(m.Redacted())
}

func (a conversationArea) deleteMessage(c *fiber.Ctx) error {
	m, err := a.message(c)
	if err != nil {
		return err
	}
	if m, err = a.s.pipeline.Delete(c.UserContext(), scoped(c, a.s), m, userID(c)); err != nil {
		return err
	}
	return c.JSON(m)
}

func (a conversationArea) forward(c *fiber.Ctx) error {
	var req ForwardRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	sc := scoped(c, a.s)
	m, err := messaging.ConversationMessage(c.UserContext(), sc, conv.ID, c.Params("message"))
	if err != nil {
		return err
	}
	if req.ConversationID == "" {
		return failure.Field("conversation_id", "is required")
	}
	to, err := a.writableByID(c, req.ConversationID)
	if errors.Is(err, messaging.ErrConversationNotFound) {
		// Not the path's conversation: the one named in the body.
		return messaging.ErrConversationNotFound.WithField("conversation_id", "is not a conversation of this workspace you may see")
	}
	if err != nil {
		return err
	}
	fwd, err := a.s.pipeline.Forward(c.UserContext(), sc, m, to, userID(c))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fwd)
}

func (a conversationArea) recipients(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	conv, err := a.conversation(c)
	if err != nil {
		return err
	}
	rows, next, err := messaging.RecipientContacts(c.UserContext(), scoped(c, a.s), conv.ID, p)
	if err != nil {
		return err
	}
	return list(c, rows, next)
}

func (a conversationArea) retryFailed(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	n, err := a.s.pipeline.RetryFailed(c.UserContext(), scoped(c, a.s), conv)
	if err != nil {
		return err
	}
	return c.JSON(RetryFailedResult{Retried: n})
}

func (a conversationArea) sendAllNow(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	n, err := a.s.pipeline.SendScheduledNow(c.UserContext(), scoped(c, a.s), conv)
	if err != nil {
		return err
	}
	return c.JSON(SendNowResult{Sent: n})
}

func (a conversationArea) delete(c *fiber.Ctx) error {
	conv, err := a.writable(c)
	if err != nil {
		return err
	}
	if err := a.s.pipeline.DeleteConversation(c.UserContext(), scoped(c, a.s), conv); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// member loads the membership of userID in this workspace; a failure names field.
func (a conversationArea) member(c *fiber.Ctx, userID, field string) (tenants.Membership, error) {
	m, err := tenants.MembershipOf(c.UserContext(), scoped(c, a.s), userID)
	if errors.Is(err, tenants.ErrMemberNotFound) {
		return m, failure.Field(field, "is not a member of this workspace")
	}
	return m, err
}
