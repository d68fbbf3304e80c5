package messaging

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// A conversation carries tags (what it is about: "billing", "VIP") and labels (what
// it needs: Follow-up, Escalated …), both free words the team chooses, many to a
// conversation; the Team Inbox filters by them.
const (
	KindTag   = "tag"
	KindLabel = "label"
)

// Labels are the labels every workspace offers; any other may be added.
var Labels = []string{"Follow-up", "Escalated", "Bug", "Feature request"}

// Limits of a conversation's tags and labels.
const (
	MaxTags    = 20
	MaxLabels  = 10
	MaxTagName = 40
)

// Tag is one tag or label on a conversation.
type Tag struct {
	bun.BaseModel `bun:"table:conversation_tags,alias:ctg"`
	tenants.Owned

	ConversationID string `bun:"conversation_id,pk"`
	Kind           string `bun:"kind,pk"`
	// NameKey is Name lower-cased, by Go rather than the database (SQLite
	// lower-cases ASCII only): the name once per conversation, and the filter's key.
	NameKey string `bun:"name_key,pk"`
	Name    string `bun:"name,notnull"`
}

func nameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// Tags are a conversation's tags and labels.
type Tags struct {
	Tags   []string `json:"tags"`
	Labels []string `json:"labels"`
}

// TagNames checks the names of one kind, as the field is named in a request, and
// returns them trimmed, each once whatever its case (the first spelling kept), in
// the order given.
func TagNames(field, kind string, names []string) ([]string, error) {
	limit := MaxTags
	if kind == KindLabel {
		limit = MaxLabels
	}
	if len(names) > limit {
		return nil, failure.Field(field, fmt.Sprintf("at most %d", limit))
	}
	bad := failure.Fields{}
	out := make([]string, 0, len(names))
	for i, n := range names {
		n = strings.Join(strings.Fields(n), " ")
		switch {
		case n == "":
			bad.Add(fmt.Sprintf("%s[%d]", field, i), "is empty")
		case utf8.RuneCountInString(n) > MaxTagName:
			bad.Add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("must be at most %d characters", MaxTagName))
		case !slices.ContainsFunc(out, func(o string) bool { return nameKey(o) == nameKey(n) }):
			out = append(out, n)
		}
	}
	return out, bad.Err()
}

// TagChange replaces a conversation's tags, its labels, or both; nil leaves them.
// The names were checked with TagNames.
type TagChange struct {
	Tags, Labels *[]string
}

// SetTags applies a change in one transaction. Two changes at once leave one of them
// whole: the conversation's row is locked first on PostgreSQL (SQLite writes one at a
// time).
func SetTags(ctx context.Context, sc tenants.Scoped, conversationID string, ch TagChange) error {
	return storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		if storage.IsPostgres(sc.DB()) {
			if _, err := st.Select((*Conversation)(nil)).Column("cv.id").Where("cv.id = ?", conversationID).For("UPDATE").Exec(ctx); err != nil {
				return err
			}
		}
		for _, set := range []struct {
			kind  string
			names *[]string
		}{{KindTag, ch.Tags}, {KindLabel, ch.Labels}} {
			if set.names == nil {
				continue
			}
			if _, err := st.Delete((*Tag)(nil)).Where("ctg.conversation_id = ? AND ctg.kind = ?", conversationID, set.kind).Exec(ctx); err != nil {
				return err
			}
			if len(*set.names) == 0 {
				continue
			}
			rows := make([]Tag, len(*set.names))
			for i, n := range *set.names {
				rows[i] = Tag{ConversationID: conversationID, Kind: set.kind, NameKey: nameKey(n), Name: n}
			}
			if _, err := tenants.InsertAll(st, rows).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// TagsOf loads the tags and labels of the conversations with these ids, by id; each
// list by name.
func TagsOf(ctx context.Context, sc tenants.Scoped, ids []string) (map[string]Tags, error) {
	out := make(map[string]Tags, len(ids))
	for _, id := range ids {
		out[id] = Tags{Tags: []string{}, Labels: []string{}}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Tag
	if err := sc.Select(&rows).Where("ctg.conversation_id IN (?)", bun.List(ids)).OrderExpr("ctg.conversation_id, ctg.kind, ctg.name").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		t := out[r.ConversationID]
		if r.Kind == KindLabel {
			t.Labels = append(t.Labels, r.Name)
		} else {
			t.Tags = append(t.Tags, r.Name)
		}
		out[r.ConversationID] = t
	}
	return out, nil
}

// TagCount is a name in use and how many conversations carry it.
type TagCount struct {
	Name          string `bun:"name" json:"name"`
	Conversations int    `bun:"n" json:"conversations"`
}

// KnownTags are the names of one kind carried by the conversations a may see (chats
// only with chats), most used first; for labels, the offered ones too (Labels), even
// unused.
func KnownTags(ctx context.Context, sc tenants.Scoped, kind string, a Access, chats bool) ([]TagCount, error) {
	rows := []TagCount{}
	visible := a.where(sc.Select((*Conversation)(nil)).Column("cv.id"))
	if !chats {
		visible = visible.Where("cv.kind <> ?", KindChat)
	}
	// A name spelled several ways (VIP, vip) is listed once, in the spelling that sorts first.
	err := sc.Select((*Tag)(nil)).ColumnExpr("MIN(ctg.name) AS name, COUNT(*) AS n").Where("ctg.kind = ?", kind).
		Where("ctg.conversation_id IN (?)", visible).
		GroupExpr("ctg.name_key").OrderExpr("n DESC, MIN(ctg.name)").Limit(500).Scan(ctx, &rows)
	if err != nil || kind != KindLabel {
		return rows, err
	}
	for _, l := range Labels {
		if !slices.ContainsFunc(rows, func(r TagCount) bool { return nameKey(r.Name) == nameKey(l) }) {
			rows = append(rows, TagCount{Name: l})
		}
	}
	return rows, nil
}

// tagged is a list's condition: the conversation carries name (of kind), whatever
// its case. A subquery by the name's index, not a test of every conversation.
func tagged(q *bun.SelectQuery, workspaceID, kind, name string) *bun.SelectQuery {
	return q.Where(`cv.id IN (SELECT ctg.conversation_id FROM conversation_tags AS ctg
		WHERE ctg.workspace_id = ? AND ctg.kind = ? AND ctg.name_key = ?)`, workspaceID, kind, nameKey(name))
}
