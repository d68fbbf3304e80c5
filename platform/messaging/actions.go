package messaging

import (
	"context"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// What people do to a message in a thread besides sending it: pin it for the team,
// react to it, star it for themselves, forward it, delete it. None of these touches
// the message's status, and each is a conditional update, so a repeat changes nothing.

// Errors about per-message actions.
var (
	ErrMessageDeleted = failure.New(failure.Conflict, "message_deleted", "the message was deleted")
	ErrNoteReaction   = failure.New(failure.Conflict, "note_reaction", "internal notes are not sent, so they take no reaction")
	ErrStillSending   = failure.New(failure.Conflict, "still_sending",
		"the message is on its way to the provider; delete it once it is sent or failed")
)

// DeletedPreview stands in a conversation's preview for a deleted latest message.
const DeletedPreview = "This message was deleted"

// MaxReactionLength bounds a reaction in characters: enough for the longest emoji
// sequences (families, flags with modifiers), not for text.
const MaxReactionLength = 10

// ValidReaction reports whether s can be a reaction: empty (no reaction), or emoji
// only — symbols and their joiners, selectors and modifiers, no letters, digits or
// spaces.
func ValidReaction(s string) bool {
	if s == "" {
		return true
	}
	if utf8.RuneCountInString(s) > MaxReactionLength {
		return false
	}
	symbol := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r):
			symbol = true
		case r == 0x200D || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Variation_Selector, r):
			// zero-width joiner, variation selectors, keycap and skin-tone marks
		default:
			return false
		}
	}
	return symbol
}

// Deleted reports whether the message was deleted.
func (m Message) Deleted() bool { return m.DeletedAt != nil }

// Redacted is m as a thread shows it: a deleted message keeps its place, author and
// status, without its text or attachments (the row keeps them, for audit).
func (m Message) Redacted() Message {
	if m.Deleted() {
		m.Body, m.Content, m.Reaction = "", Content{}, ""
	}
	return m
}

// SetPinned pins the message for everyone in the workspace, or unpins it. It reports
// whether anything changed.
func SetPinned(ctx context.Context, sc tenants.Scoped, m *Message, pinned bool, by string, at time.Time) (bool, error) {
	if m.Deleted() {
		return false, ErrMessageDeleted
	}
	at = stored(at)
	q := sc.Update((*Message)(nil)).Set("updated_at = ?", at).Where("m.id = ? AND m.deleted_at IS NULL", m.ID)
	if pinned {
		q = q.Set("pinned_at = ?", at).Set("pinned_by = ?", nullable(by)).Where("m.pinned_at IS NULL")
	} else {
		q = q.Set("pinned_at = NULL").Set("pinned_by = NULL").Where("m.pinned_at IS NOT NULL")
	}
	if ok, err := applied(ctx, sc, m, q); !ok {
		return false, err
	}
	if pinned {
		m.PinnedAt, m.PinnedBy = &at, nullable(by)
	} else {
		m.PinnedAt, m.PinnedBy = nil, nil
	}
	m.UpdatedAt = at
	return true, nil
}

// SetReaction sets the business's reaction to the message ("" removes it). It reports
// whether the reaction changed. Internal notes take none: a reaction is for the
// customer to see.
func SetReaction(ctx context.Context, sc tenants.Scoped, m *Message, emoji string, at time.Time) (bool, error) {
	switch {
	case m.Deleted():
		return false, ErrMessageDeleted
	case m.Direction == DirectionNote:
		return false, ErrNoteReaction
	case !ValidReaction(emoji):
		return false, failure.Field("reaction", "must be a single emoji, or empty to remove it")
	}
	at = stored(at)
	q := sc.Update((*Message)(nil)).Set("reaction = ?", emoji).Set("updated_at = ?", at).
		Where("m.id = ? AND m.deleted_at IS NULL AND m.reaction <> ?", m.ID, emoji)
	if ok, err := applied(ctx, sc, m, q); !ok {
		return false, err
	}
	m.Reaction, m.UpdatedAt = emoji, at
	return true, nil
}

// Star is a member's personal mark on a message.
type Star struct {
	bun.BaseModel `bun:"table:message_stars,alias:ms"`
	tenants.Owned

	MessageID string    `bun:"message_id,pk"`
	UserID    string    `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// SetStarred stars the message for userID, or takes the star off.
func SetStarred(ctx context.Context, sc tenants.Scoped, m *Message, userID string, starred bool, at time.Time) error {
	if m.Deleted() {
		return ErrMessageDeleted
	}
	if starred {
		s := Star{MessageID: m.ID, UserID: userID, CreatedAt: at}
		if _, err := sc.Insert(&s).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	} else if _, err := sc.Delete((*Star)(nil)).Where("ms.message_id = ? AND ms.user_id = ?", m.ID, userID).Exec(ctx); err != nil {
		return err
	}
	m.Starred = starred
	return nil
}

// MarkStarred fills in Starred on msgs for userID, in one query.
func MarkStarred(ctx context.Context, sc tenants.Scoped, userID string, msgs []Message) error {
	if userID == "" || len(msgs) == 0 {
		return nil
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	var starred []string
	err := sc.Select((*Star)(nil)).Column("ms.message_id").
		Where("ms.user_id = ? AND ms.message_id IN (?)", userID, bun.List(ids)).Scan(ctx, &starred)
	if err != nil {
		return err
	}
	set := make(map[string]bool, len(starred))
	for _, id := range starred {
		set[id] = true
	}
	for i := range msgs {
		msgs[i].Starred = set[msgs[i].ID]
	}
	return nil
}

// MarkDeleted soft-deletes the message: it stays in the thread, without content, and
// its row keeps everything for audit. Pins, the reaction and stars go with it. A
// message still on its way to the provider cannot be deleted (it would be sent all
// the same); a scheduled one is cancelled first by the caller.
func MarkDeleted(ctx context.Context, sc tenants.Scoped, m *Message, by string, at time.Time) (bool, error) {
	if m.Deleted() {
		return false, nil
	}
	if m.Direction == DirectionOut && (m.Status == StatusPending || m.Status == StatusQueued || m.Status == StatusScheduled) {
		return false, ErrStillSending
	}
	at = stored(at)
	q := sc.Update((*Message)(nil)).Set("deleted_at = ?", at).Set("deleted_by = ?", nullable(by)).
		Set("pinned_at = NULL").Set("pinned_by = NULL").Set("updated_at = ?", at).
		Where("m.id = ? AND m.deleted_at IS NULL", m.ID).
		Where("NOT (m.direction = ? AND m.status IN (?))", DirectionOut, bun.List([]string{StatusPending, StatusQueued, StatusScheduled}))
	if ok, err := storage.Changed(q.Exec(ctx)); err != nil {
		return false, err
	} else if !ok {
		if err := reloadInto(ctx, sc, m); err != nil {
			return false, err
		}
		if m.Deleted() {
			return false, nil
		}
		return false, ErrStillSending
	}
	if _, err := sc.Delete((*Star)(nil)).Where("ms.message_id = ?", m.ID).Exec(ctx); err != nil {
		return false, err
	}
	if m.Direction != DirectionNote {
		// The conversation list previews the latest message: if it was this one, its
		// text goes from there too.
		// A copy of a send to several is the preview's only once every copy is deleted.
		q := sc.Update((*Conversation)(nil)).Set("last_message_preview = ?", DeletedPreview).
			Where("cv.id = ?", m.ConversationID).
			Where(`NOT EXISTS (SELECT 1 FROM messages AS later WHERE later.workspace_id = cv.workspace_id
				AND later.conversation_id = cv.id AND later.id > ? AND later.direction <> ?)`, m.ID, DirectionNote)
		if m.SendID != nil {
			q = q.Where(`NOT EXISTS (SELECT 1 FROM messages AS sib WHERE sib.workspace_id = cv.workspace_id
				AND sib.send_id = ? AND sib.deleted_at IS NULL)`, *m.SendID)
		}
		_, err := q.Exec(ctx)
		if err != nil {
			return false, err
		}
	}
	m.DeletedAt, m.DeletedBy, m.PinnedAt, m.PinnedBy, m.Starred, m.UpdatedAt = &at, nullable(by), nil, nil, false, at
	return true, nil
}

// applied runs a conditional update of m; when it matched nothing, m is read again.
func applied(ctx context.Context, sc tenants.Scoped, m *Message, q *bun.UpdateQuery) (bool, error) {
	ok, err := storage.Changed(q.Exec(ctx))
	if err != nil || ok {
		return ok, err
	}
	return false, reloadInto(ctx, sc, m)
}

// reloadInto reads m again after a conditional update matched nothing: someone else
// got there first, and the caller answers with the message as it now is.
func reloadInto(ctx context.Context, sc tenants.Scoped, m *Message) error {
	fresh, err := GetMessage(ctx, sc, m.ID)
	if err != nil {
		return err
	}
	fresh.Starred = m.Starred
	*m = fresh
	return nil
}

// stored is t as the database keeps it (microseconds, UTC), so what an action
// returns equals what a later read finds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
