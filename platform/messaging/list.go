package messaging

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Assignee filter values besides a user id.
const AssigneeUnassigned = "unassigned"

// ConversationFilter narrows a conversation list. Zero values do not filter, except
// Archived (false lists the conversations that are not archived) and Kind (empty lists
// chats and tickets: campaigns only when asked for).
type ConversationFilter struct {
	Kind         string // chat | ticket | campaign; empty: chat and ticket
	Pill         string
	State        string
	Archived     bool
	ConnectionID string
	Query        string // case-insensitive substring: see matching
	Sort         string // one of Sorts; empty: SortNewest
	Assignee     string // a user id, or AssigneeUnassigned
	Contact      string // a contact id: the conversations they are a recipient of
	Tag          string // carries this tag (any case)
	Label        string // carries this label (any case)
	// SLABreachedAt, when set, keeps the tickets that missed an SLA target by then.
	SLABreachedAt *time.Time
	// Team is a team id, or TeamNone for the general queue's tickets.
	Team string
	// ActiveFrom and ActiveTo, when set, keep the conversations last active at or
	// after the one and before the other.
	ActiveFrom, ActiveTo *time.Time
	// NoChat leaves chat conversations out whatever Kind says (callers without
	// chat:read never see them).
	NoChat bool
	// Access narrows the list to what the caller may see; nil sees everything.
	Access *Access
}

// Orders of a conversation list.
const (
	SortNewest = "newest" // latest activity first: the default
	SortOldest = "oldest" // earliest activity first
	SortAZ     = "az"     // by title, A to Z
	SortZA     = "za"     // by title, Z to A
)

// Sorts lists the orders a conversation list takes.
var Sorts = []string{SortNewest, SortOldest, SortAZ, SortZA}

func byTitle(sort string) bool { return sort == SortAZ || sort == SortZA }

// EncodeConversationCursor makes the opaque cursor of a conversation list in the
// order sort: the sort key of the page's last row, c, and its id.
func EncodeConversationCursor(sort string, c Conversation) string {
	raw := strconv.FormatInt(c.LastActivityAt.UnixNano(), 36) + "|" + c.ID
	if byTitle(sort) {
		raw = "t|" + c.ID + "|" + c.Title
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// conversationCursor is a decoded cursor: the previous page's last row's sort key.
type conversationCursor struct {
	at        time.Time
	title, id string
}

// maxCursorBytes bounds a cursor: a title of 200 characters and an id.
const maxCursorBytes = 1024

// DecodeConversationCursor reverses EncodeConversationCursor for the order sort; ok
// is false for a cursor it did not make for that order.
func DecodeConversationCursor(sort, s string) (conversationCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > maxCursorBytes {
		return conversationCursor{}, false
	}
	if byTitle(sort) {
		rest, ok := strings.CutPrefix(string(b), "t|")
		id, title, found := strings.Cut(rest, "|")
		if !ok || !found || id == "" {
			return conversationCursor{}, false
		}
		return conversationCursor{title: title, id: id}, true
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok || id == "" || strings.Contains(id, "|") { // a title cursor has two
		return conversationCursor{}, false
	}
	n, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return conversationCursor{}, false
	}
	return conversationCursor{at: time.Unix(0, n).UTC(), id: id}, true
}

// ordered orders q as sort says, from after the cursor's row when there is one. Titles
// compare lower-cased, byte by byte (the C collation on PostgreSQL, SQLite's own), so
// the order is the same on both engines and a browser can keep it.
func ordered(q *bun.SelectQuery, db bun.IDB, sort string, after *conversationCursor) *bun.SelectQuery {
	dir, cmp := "DESC", "<"
	if sort == SortOldest || sort == SortAZ {
		dir, cmp = "ASC", ">"
	}
	key, value, arg := "cv.last_activity_at", "?", any(nil)
	if after != nil {
		arg = after.at
	}
	if byTitle(sort) {
		key, value = "LOWER(cv.title)", "LOWER(?)"
		if storage.IsPostgres(db) {
			key, value = key+` COLLATE "C"`, value+` COLLATE "C"`
		}
		if after != nil {
			arg = after.title
		}
	}
	if after != nil {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(key+" "+cmp+" "+value, arg).WhereOr(key+" = "+value+" AND cv.id "+cmp+" ?", arg, after.id)
		})
	}
	return q.OrderExpr(key + " " + dir + ", cv.id " + dir)
}

// likePattern escapes s for LIKE … ESCAPE '!' and wraps it in wildcards.
func likePattern(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// matching is a search's condition on conversations: s in the title, the last
// message's preview, a recipient's name, email or number (its digits, however it is
// written: "+44 7700 900-123"), or any message of the thread that is not deleted;
// or the conversation's id, whole. Each part is bound to the conversation's own
// workspace.
func matching(q *bun.SelectQuery, s string) *bun.SelectQuery {
	pat := likePattern(s)
	q = q.Where("LOWER(cv.title) LIKE ? ESCAPE '!'", pat).
		WhereOr("LOWER(cv.last_message_preview) LIKE ? ESCAPE '!'", pat)
	contact := "LOWER(ct.name) LIKE ? ESCAPE '!' OR LOWER(ct.email) LIKE ? ESCAPE '!'"
	args := []any{pat, pat}
	if digits := phoneDigits(s); digits != "" {
		contact += " OR ct.phone LIKE ?"
		args = append(args, "%"+digits+"%")
	}
	q = q.WhereOr(`EXISTS (SELECT 1 FROM conversation_recipients AS cr
		JOIN contacts AS ct ON ct.workspace_id = cr.workspace_id AND ct.id = cr.contact_id
		WHERE cr.workspace_id = cv.workspace_id AND cr.conversation_id = cv.id AND (`+contact+`))`, args...)
	q = q.WhereOr(`EXISTS (SELECT 1 FROM messages AS m
		WHERE m.workspace_id = cv.workspace_id AND m.conversation_id = cv.id AND m.deleted_at IS NULL
		AND LOWER(m.body) LIKE ? ESCAPE '!')`, pat)
	// A conversation's id, pasted whole (from a link, or a customer quoting it).
	return q.WhereOr("cv.id = ?", strings.ToLower(strings.TrimSpace(s)))
}

// phoneDigits is s's digits when s reads as (part of) a phone number, at least three
// of them and nothing but digits, spaces and + - . ( ); else "".
func phoneDigits(s string) string {
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune(" +-.()", r):
		default:
			return ""
		}
	}
	if digits.Len() < 3 {
		return ""
	}
	return digits.String()
}

// ListConversations lists conversations in the filter's order (newest activity first
// by default), one page at a time; the cursor is the sort key of the previous page's
// last row. Every filter is part of the query, so a page is always full when more
// rows match.
func ListConversations(ctx context.Context, sc tenants.Scoped, f ConversationFilter, p storage.Page) ([]Conversation, string, error) {
	var rows []Conversation
	q := sc.Select(&rows).Where("cv.archived = ?", f.Archived)
	switch {
	case f.Kind != "":
		q = q.Where("cv.kind = ?", f.Kind)
	default:
		q = q.Where("cv.kind <> ?", KindCampaign)
	}
	if f.NoChat {
		q = q.Where("cv.kind <> ?", KindChat)
	}
	if f.Access != nil {
		q = f.Access.where(q)
	}
	if f.Pill != "" {
		q = q.Where("cv.pill = ?", f.Pill)
	}
	if f.State != "" {
		q = q.Where("cv.state = ?", f.State)
	}
	if f.SLABreachedAt != nil {
		q = slaBreached(q, *f.SLABreachedAt)
	}
	q = inTeam(q, f.Team)
	if f.ActiveFrom != nil {
		q = q.Where("cv.last_activity_at >= ?", f.ActiveFrom.UTC())
	}
	if f.ActiveTo != nil {
		q = q.Where("cv.last_activity_at < ?", f.ActiveTo.UTC())
	}
	if f.Contact != "" {
		// By the recipients' contact index, not a test of every conversation.
		q = q.Where(`cv.id IN (SELECT cr.conversation_id FROM conversation_recipients AS cr WHERE cr.workspace_id = ? AND cr.contact_id = ?)`,
			sc.WorkspaceID(), f.Contact)
	}
	if f.Tag != "" {
		q = tagged(q, sc.WorkspaceID(), KindTag, f.Tag)
	}
	if f.Label != "" {
		q = tagged(q, sc.WorkspaceID(), KindLabel, f.Label)
	}
	if f.ConnectionID != "" {
		// Also the conversations that write to some of their recipients from it.
		q = q.Where(`(cv.connection_id = ? OR cv.id IN (SELECT cr.conversation_id FROM conversation_recipients AS cr
			WHERE cr.workspace_id = ? AND cr.connection_id = ?))`, f.ConnectionID, sc.WorkspaceID(), f.ConnectionID)
	}
	switch f.Assignee {
	case "":
	case AssigneeUnassigned:
		q = q.Where("cv.assignee_id IS NULL")
	default:
		q = q.Where("cv.assignee_id = ?", f.Assignee)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery { return matching(q, s) })
	}
	var after *conversationCursor
	if c, ok := DecodeConversationCursor(f.Sort, p.Cursor); ok {
		after = &c
	}
	size := pageSize(p)
	if err := ordered(q, sc.DB(), f.Sort, after).Limit(size + 1).Scan(ctx); err != nil {
		return nil, "", err
	}
	if len(rows) <= size {
		return rows, "", nil
	}
	rows = rows[:size]
	return rows, EncodeConversationCursor(f.Sort, rows[len(rows)-1]), nil
}

func pageSize(p storage.Page) int {
	switch {
	case p.Limit <= 0:
		return storage.DefaultPageSize
	case p.Limit > storage.MaxPageSize:
		return storage.MaxPageSize
	}
	return p.Limit
}

// ContactsByID loads the workspace's contacts with these ids.
func ContactsByID(ctx context.Context, sc tenants.Scoped, ids []string) (map[string]Contact, error) {
	out := map[string]Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Contact
	if err := sc.Select(&rows).Where("ct.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, c := range rows {
		out[c.ID] = c
	}
	return out, nil
}

// ChatCounts are Chat's left-rail counts: all, archived, and the non-archived chats by
// pill, of the chats a may see.
func ChatCounts(ctx context.Context, sc tenants.Scoped, a Access) (map[string]int, error) {
	out := map[string]int{"all": 0, "archived": 0, PillScheduled: 0, PillSent: 0, PillPending: 0, PillFailed: 0, PillPartial: 0}
	var rows []struct {
		Archived bool   `bun:"archived"`
		Pill     string `bun:"pill"`
		N        int    `bun:"n"`
	}
	err := a.where(sc.Select((*Conversation)(nil)).ColumnExpr("cv.archived, cv.pill, COUNT(*) AS n").
		Where("cv.kind = ?", KindChat)).GroupExpr("cv.archived, cv.pill").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Archived {
			out["archived"] += r.N
			continue
		}
		out["all"] += r.N
		out[r.Pill] += r.N
	}
	return out, nil
}

// inTeam keeps the tickets of team: a team id, or TeamNone for the general queue's
// ("": any conversation).
func inTeam(q *bun.SelectQuery, team string) *bun.SelectQuery {
	switch team {
	case "":
		return q
	case TeamNone:
		return q.Where("cv.kind = ? AND cv.team_id IS NULL", KindTicket)
	}
	return q.Where("cv.team_id = ?", team)
}

// TicketCounts are the Team Inbox's counts of non-archived tickets by state, of the
// tickets a may see: of one team's (a team id), of the general queue's (TeamNone), or
// of all ("").
func TicketCounts(ctx context.Context, sc tenants.Scoped, a Access, team string) (map[string]int, error) {
	out := make(map[string]int, len(States))
	for _, st := range States {
		out[st] = 0
	}
	var rows []struct {
		State string `bun:"state"`
		N     int    `bun:"n"`
	}
	q := a.where(sc.Select((*Conversation)(nil)).ColumnExpr("cv.state, COUNT(*) AS n").
		Where("cv.kind = ? AND cv.archived = ?", KindTicket, false))
	err := inTeam(q, team).GroupExpr("cv.state").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.State] += r.N
	}
	return out, nil
}

// ConversationsByID loads the workspace's conversations with these ids, in one query.
func ConversationsByID(ctx context.Context, sc tenants.Scoped, ids []string) ([]Conversation, error) {
	var rows []Conversation
	if len(ids) == 0 {
		return rows, nil
	}
	err := sc.Select(&rows).Where("cv.id IN (?)", bun.List(ids)).Scan(ctx)
	return rows, err
}

// HeldTickets are the tickets userID holds in the workspace, at most MaxRecipients
// (for telling browsers when they are handed back).
func HeldTickets(ctx context.Context, sc tenants.Scoped, userID string) ([]Conversation, error) {
	var rows []Conversation
	err := sc.Select(&rows).Where("cv.kind = ? AND cv.assignee_id = ?", KindTicket, userID).Limit(MaxRecipients).Scan(ctx)
	return rows, err
}

// ChatWith finds the workspace's 1:1 chat conversation with a contact on a
// connection, the one with the latest activity; ok is false when there is none. A
// conversation with several recipients is never it: writing there reaches them all.
func ChatWith(ctx context.Context, sc tenants.Scoped, connectionID, contactID string) (Conversation, bool, error) {
	var c Conversation
	err := sc.Select(&c).Where("cv.kind = ? AND cv.connection_id = ? AND cv.contact_id = ? AND cv.recipients = 1", KindChat, connectionID, contactID).
		OrderExpr("cv.last_activity_at DESC, cv.id DESC").Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return c, false, nil
	}
	return c, err == nil, err
}

// ConversationMessage loads a message of one conversation: a message of another
// conversation is not found, like one that does not exist.
func ConversationMessage(ctx context.Context, sc tenants.Scoped, conversationID, messageID string) (Message, error) {
	var m Message
	err := sc.Select(&m).Where("m.id = ? AND m.conversation_id = ?", messageID, conversationID).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return m, ErrMessageNotFound
	}
	return m, err
}

// ThreadFilter narrows a thread.
type ThreadFilter struct {
	Pinned    bool   // pinned messages only
	StarredBy string // messages this user starred only
}

// Thread lists a conversation's messages oldest first (newest first when asked), one
// page at a time by id.
func Thread(ctx context.Context, sc tenants.Scoped, conversationID string, p storage.Page, newestFirst bool, f ThreadFilter) ([]Message, string, error) {
	var rows []Message
	q := sc.Select(&rows).Where("m.conversation_id = ?", conversationID)
	if f.Pinned {
		q = q.Where("m.pinned_at IS NOT NULL")
	}
	if f.StarredBy != "" {
		q = q.Where("EXISTS (SELECT 1 FROM message_stars AS ms WHERE ms.workspace_id = m.workspace_id AND ms.user_id = ? AND ms.message_id = m.id)", f.StarredBy)
	}
	if err := p.Apply(q, "m.id", newestFirst).Scan(ctx); err != nil {
		return nil, "", err
	}
	rows, next := storage.NextCursor(rows, p, func(m Message) string { return m.ID })
	return rows, next, nil
}
