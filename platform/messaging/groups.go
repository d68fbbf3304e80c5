package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Group is a named list of contacts, for sending one message to all of them.
type Group struct {
	bun.BaseModel `bun:"table:contact_groups,alias:cg"`
	tenants.Owned

	ID        string    `bun:"id,pk" json:"id"`
	Name      string    `bun:"name,notnull" json:"name"`
	Members   int       `bun:"members,scanonly" json:"members"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// GroupMember puts a contact in a group.
type GroupMember struct {
	bun.BaseModel `bun:"table:contact_group_members,alias:cgm"`
	tenants.Owned

	GroupID   string    `bun:"group_id,pk"`
	ContactID string    `bun:"contact_id,pk"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// Errors about groups.
var (
	ErrGroupNotFound  = failure.New(failure.NotFound, "group_not_found", "group not found")
	ErrGroupNameTaken = failure.New(failure.Conflict, "group_name_taken", "another group has this name").WithField("name", "is taken by another group")
)

// MaxGroupName bounds a group's name in characters.
const MaxGroupName = 100

func groupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", failure.Field("name", "is required")
	case utf8.RuneCountInString(name) > MaxGroupName:
		return "", failure.Field("name", fmt.Sprintf("must be at most %d characters", MaxGroupName))
	}
	return name, nil
}

// membersColumn counts a group's members in the same query that reads it.
const membersColumn = "(SELECT COUNT(*) FROM contact_group_members AS cgm WHERE cgm.workspace_id = cg.workspace_id AND cgm.group_id = cg.id) AS members"

// CreateGroup makes a group named name.
func CreateGroup(ctx context.Context, sc tenants.Scoped, name string) (Group, error) {
	name, err := groupName(name)
	if err != nil {
		return Group{}, err
	}
	now := time.Now().UTC()
	g := Group{ID: storage.NewID(), Name: name, CreatedAt: now, UpdatedAt: now}
	if _, err := sc.Insert(&g).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return g, ErrGroupNameTaken
		}
		return g, err
	}
	return g, nil
}

// GetGroup loads a group with its member count.
func GetGroup(ctx context.Context, sc tenants.Scoped, id string) (Group, error) {
	var g Group
	err := sc.Select(&g).Column("cg.*").ColumnExpr(membersColumn).Where("cg.id = ?", id).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return g, ErrGroupNotFound
	}
	return g, err
}

// Groups lists the workspace's groups in the order they were made, one page at a time.
func Groups(ctx context.Context, sc tenants.Scoped, p storage.Page) ([]Group, string, error) {
	var rows []Group
	q := sc.Select(&rows).Column("cg.*").ColumnExpr(membersColumn)
	if err := p.Apply(q, "cg.id", false).Scan(ctx); err != nil {
		return nil, "", err
	}
	rows, next := storage.NextCursor(rows, p, func(g Group) string { return g.ID })
	return rows, next, nil
}

// RenameGroup gives a group a new name.
func RenameGroup(ctx context.Context, sc tenants.Scoped, g Group, name string) (Group, error) {
	name, err := groupName(name)
	if err != nil {
		return g, err
	}
	g.Name, g.UpdatedAt = name, time.Now().UTC()
	if _, err := sc.Update(&g).Column("name", "updated_at").WherePK().Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return g, ErrGroupNameTaken
		}
		return g, err
	}
	return g, nil
}

// DeleteGroup removes a group; its contacts stay.
func DeleteGroup(ctx context.Context, sc tenants.Scoped, id string) error {
	ok, err := storage.Changed(sc.Delete((*Group)(nil)).Where("cg.id = ?", id).Exec(ctx))
	if err == nil && !ok {
		return ErrGroupNotFound
	}
	return err
}

// AddToGroup puts contacts in a group; those already in it stay once. Every id must be
// a contact of the workspace: the first that is not is named, and none is added.
func AddToGroup(ctx context.Context, sc tenants.Scoped, groupID string, contactIDs []string) error {
	if len(contactIDs) == 0 {
		return failure.Field("contact_ids", "is required")
	}
	if len(contactIDs) > MaxRecipients {
		return failure.Field("contact_ids", fmt.Sprintf("at most %d at a time", MaxRecipients))
	}
	known, err := ContactsByID(ctx, sc, contactIDs)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	seen := make(map[string]bool, len(contactIDs))
	rows := make([]GroupMember, 0, len(contactIDs))
	for i, id := range contactIDs {
		if _, ok := known[id]; !ok {
			return failure.Field(fmt.Sprintf("contact_ids[%d]", i), "is not a contact of this workspace")
		}
		if !seen[id] {
			seen[id] = true
			rows = append(rows, GroupMember{GroupID: groupID, ContactID: id, CreatedAt: now})
		}
	}
	_, err = tenants.InsertAll(sc, rows).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// RemoveFromGroup takes a contact out of a group.
func RemoveFromGroup(ctx context.Context, sc tenants.Scoped, groupID, contactID string) error {
	ok, err := storage.Changed(sc.Delete((*GroupMember)(nil)).Where("cgm.group_id = ? AND cgm.contact_id = ?", groupID, contactID).Exec(ctx))
	if err == nil && !ok {
		return ErrContactNotFound
	}
	return err
}

// GroupContactIDs lists a group's contacts (at most limit), oldest member first.
func GroupContactIDs(ctx context.Context, sc tenants.Scoped, groupID string, limit int) ([]string, error) {
	var ids []string
	err := sc.Select((*GroupMember)(nil)).Column("cgm.contact_id").Where("cgm.group_id = ?", groupID).
		OrderExpr("cgm.created_at, cgm.contact_id").Limit(limit).Scan(ctx, &ids)
	return ids, err
}
