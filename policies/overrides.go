package policies

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// OverrideRow is a row of role_overrides: one workspace's change to a role's
// permission. Access-control settings write these; the enforcer applies them.
type OverrideRow struct {
	bun.BaseModel `bun:"table:role_overrides,alias:ro"`

	ID          string     `bun:"id,pk"`
	WorkspaceID string     `bun:"workspace_id,notnull"`
	Role        Role       `bun:"role,notnull"`
	Permission  Permission `bun:"permission,notnull"`
	Effect      Effect     `bun:"effect,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
}

// LoadOverrides reads every workspace's overrides into the enforcer.
func (e *Enforcer) LoadOverrides(ctx context.Context, db bun.IDB) error {
	var rows []OverrideRow
	if err := db.NewSelect().Model(&rows).Order("workspace_id").Scan(ctx); err != nil {
		return fmt.Errorf("policies: load overrides: %w", err)
	}
	byWorkspace := map[string][]Override{}
	for _, r := range rows {
		byWorkspace[r.WorkspaceID] = append(byWorkspace[r.WorkspaceID], Override{WorkspaceID: r.WorkspaceID, Role: r.Role, Permission: r.Permission, Effect: r.Effect})
	}
	for ws, list := range byWorkspace {
		if err := e.SetOverrides(ws, list); err != nil {
			return err
		}
	}
	return nil
}
