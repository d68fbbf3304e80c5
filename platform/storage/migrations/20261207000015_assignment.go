package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// How the Team Inbox hands out tickets that enter its queue (see
			// messaging.AssignmentSettings); a workspace without a row keeps the queue.
			`CREATE TABLE assignment_settings (
				workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
				mode TEXT NOT NULL,
				assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
				capacity INTEGER NOT NULL DEFAULT 0,
				updated_at {ts} NOT NULL
			)`,
			// A member's own say (online, busy, offline), their capacity (NULL: the
			// workspace's), and when the queue last gave them a ticket (its turn order).
			`ALTER TABLE memberships ADD COLUMN availability TEXT NOT NULL DEFAULT 'online'`,
			`ALTER TABLE memberships ADD COLUMN capacity INTEGER`,
			`ALTER TABLE memberships ADD COLUMN last_assigned_at {ts}`,
			// The queue, oldest first, and each member's load: read on every pass.
			`CREATE INDEX conversations_queue_idx ON conversations (workspace_id, created_at, id) WHERE kind = 'ticket' AND state = 'queued' AND assignee_id IS NULL`,
			`CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, state) WHERE assignee_id IS NOT NULL`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`DROP INDEX conversations_assignee_idx`,
			`DROP INDEX conversations_queue_idx`,
			`ALTER TABLE memberships DROP COLUMN last_assigned_at`,
			`ALTER TABLE memberships DROP COLUMN capacity`,
			`ALTER TABLE memberships DROP COLUMN availability`,
			`DROP TABLE assignment_settings`,
		)
	})
}
