package messaging

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Access modes of an AccessRule.
const (
	// AccessAll: every conversation the role's permissions allow.
	AccessAll = "all"
	// AccessAssignee ("Match assignee"): only the conversations assigned to the
	// member, and the unassigned ones when the rule says so.
	AccessAssignee = "assignee"
)

// AccessRule narrows what the members of one role see of the workspace's
// conversations, beyond what the role's permissions allow: the access mode, and the
// inboxes (connections) it may see. Everything that shows conversations honours it:
// lists, counts, a conversation and its messages (another one answers 404, like one
// that does not exist), and realtime events. Admins see everything; a role without a
// rule sees every conversation its permissions allow.
type AccessRule struct {
	bun.BaseModel `bun:"table:access_rules,alias:ar"`
	tenants.Owned

	Role       policies.Role `bun:"role,pk" json:"role" enum:"admin,manager,agent,viewer" doc:"the role it narrows (an admin's is always all)"`
	Mode       string        `bun:"mode,notnull" json:"mode" enum:"all,assignee" doc:"all: every conversation; assignee: only those assigned to the member (and unassigned ones, with unassigned)"`
	Unassigned bool          `bun:"unassigned,notnull" json:"unassigned" doc:"with mode assignee, also the conversations assigned to no one (the queue)"`
	// ConnectionIDs is the inbox access: only conversations on these connections.
	ConnectionIDs []string  `bun:"connection_ids,notnull" json:"connection_ids" doc:"inbox access: only the conversations on these connections; empty: every connection"`
	UpdatedAt     time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// RulableRoles are the roles an access rule can narrow; admins see everything.
var RulableRoles = []policies.Role{policies.Manager, policies.Agent, policies.Viewer}

// openRule is the rule of a role without one: everything.
func openRule(role policies.Role) AccessRule {
	return AccessRule{Role: role, Mode: AccessAll, ConnectionIDs: []string{}}
}

// AccessRules are the workspace's rules, one per role in RulableRoles (the open rule
// where none was set).
func AccessRules(ctx context.Context, sc tenants.Scoped) ([]AccessRule, error) {
	var rows []AccessRule
	if err := sc.Select(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("messaging: access rules: %w", err)
	}
	out := make([]AccessRule, len(RulableRoles))
	for i, role := range RulableRoles {
		out[i] = openRule(role)
		for _, r := range rows {
			if r.Role == role {
				out[i] = r
			}
		}
	}
	return out, nil
}

// AccessRuleFor is role's rule in the workspace.
func AccessRuleFor(ctx context.Context, sc tenants.Scoped, role policies.Role) (AccessRule, error) {
	if !slices.Contains(RulableRoles, role) {
		return openRule(role), nil
	}
	var r AccessRule
	err := sc.Select(&r).Where("ar.role = ?", role).Scan(ctx)
	if storage.IsNotFound(err) {
		return openRule(role), nil
	}
	if err != nil {
		return r, fmt.Errorf("messaging: access rule: %w", err)
	}
	return r, nil
}

// SetAccessRule stores r for its role, replacing the one before. Its connections must
// be the workspace's own; a connection of another workspace is as unknown as one that
// does not exist.
func SetAccessRule(ctx context.Context, sc tenants.Scoped, r AccessRule) (AccessRule, error) {
	bad := failure.Fields{}
	bad.Check(!slices.Contains(RulableRoles, r.Role), "role", "must be manager, agent or viewer: admins see every conversation")
	bad.Check(r.Mode != AccessAll && r.Mode != AccessAssignee, "mode", "must be all or assignee")
	bad.Check(r.Mode == AccessAll && r.Unassigned, "unassigned", "only applies with mode assignee")
	if r.ConnectionIDs == nil {
		r.ConnectionIDs = []string{}
	}
	slices.Sort(r.ConnectionIDs)
	r.ConnectionIDs = slices.Compact(r.ConnectionIDs)
	if len(r.ConnectionIDs) > 0 {
		var found []string
		if err := sc.Select((*connections.Connection)(nil)).Column("c.id").Where("c.id IN (?)", bun.List(r.ConnectionIDs)).Scan(ctx, &found); err != nil {
			return r, err
		}
		for _, id := range r.ConnectionIDs {
			bad.Check(!slices.Contains(found, id), "connection_ids", fmt.Sprintf("%q is not a connection of this workspace", id))
		}
	}
	if err := bad.Err(); err != nil {
		return r, err
	}
	r.UpdatedAt = time.Now().UTC()
	var err error
	if r.Mode == AccessAll && len(r.ConnectionIDs) == 0 {
		_, err = sc.Delete((*AccessRule)(nil)).Where("ar.role = ?", r.Role).Exec(ctx) // the open rule is no rule
	} else {
		// One statement, so two admins saving the same role at once both succeed
		// (the last one stands).
		_, err = sc.Insert(&r).On("CONFLICT (workspace_id, role) DO UPDATE").
			Set("mode = EXCLUDED.mode").Set("unassigned = EXCLUDED.unassigned").
			Set("connection_ids = EXCLUDED.connection_ids").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	}
	if err != nil {
		return r, fmt.Errorf("messaging: set access rule: %w", err)
	}
	return r, nil
}

// Access is what one caller may see: their role's rule, and who they are (an API
// token has no user, so no assignments).
type Access struct {
	Rule   AccessRule
	UserID string
}

// Everything is the access of a caller no rule narrows.
func Everything() Access { return Access{Rule: openRule(policies.Admin)} }

// Allows reports whether the caller may see the conversation on connectionID assigned
// to assigneeID ("" for no one).
func (a Access) Allows(connectionID, assigneeID string) bool {
	if !a.AllowsConnection(connectionID) {
		return false
	}
	if a.Rule.Mode != AccessAssignee {
		return true
	}
	if assigneeID == "" {
		return a.Rule.Unassigned
	}
	return a.UserID != "" && assigneeID == a.UserID
}

// AllowsConnection reports whether the caller's inboxes include connectionID.
func (a Access) AllowsConnection(connectionID string) bool {
	return len(a.Rule.ConnectionIDs) == 0 || slices.Contains(a.Rule.ConnectionIDs, connectionID)
}

// AllowsConversation is Allows for c.
func (a Access) AllowsConversation(c Conversation) bool {
	assignee := ""
	if c.AssigneeID != nil {
		assignee = *c.AssigneeID
	}
	return a.Allows(c.ConnectionID, assignee)
}

// where narrows a query on conversations (alias cv) to what the caller may see.
func (a Access) where(q *bun.SelectQuery) *bun.SelectQuery {
	if len(a.Rule.ConnectionIDs) > 0 {
		q = q.Where("cv.connection_id IN (?)", bun.List(a.Rule.ConnectionIDs))
	}
	if a.Rule.Mode != AccessAssignee {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		switch {
		case a.UserID != "" && a.Rule.Unassigned:
			return q.Where("cv.assignee_id = ?", a.UserID).WhereOr("cv.assignee_id IS NULL")
		case a.UserID != "":
			return q.Where("cv.assignee_id = ?", a.UserID)
		case a.Rule.Unassigned:
			return q.Where("cv.assignee_id IS NULL")
		}
		return q.Where("1 = 0") // a token under Match assignee: nothing is assigned to it
	})
}
