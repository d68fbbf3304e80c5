package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// What a role sees of the workspace's conversations (messaging.AccessRule):
		// the access mode and the connections (inboxes) it may see. A role without
		// a row sees every conversation its permissions allow.
		return exec(ctx, db, `CREATE TABLE access_rules (
			workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
			role TEXT NOT NULL,
			mode TEXT NOT NULL,
			unassigned {bool} NOT NULL DEFAULT FALSE,
			connection_ids {json} NOT NULL,
			updated_at {ts} NOT NULL,
			PRIMARY KEY (workspace_id, role)
		)`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE access_rules`)
	})
}
