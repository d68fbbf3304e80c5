package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// Pins and the business's reaction belong to the message, seen by the whole
			// team; a deleted message keeps its row (and content) for audit.
			`ALTER TABLE messages ADD COLUMN pinned_at {ts}`,
			`ALTER TABLE messages ADD COLUMN pinned_by TEXT`,
			`ALTER TABLE messages ADD COLUMN reaction TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE messages ADD COLUMN forwarded_from TEXT`,
			`ALTER TABLE messages ADD COLUMN deleted_at {ts}`,
			`ALTER TABLE messages ADD COLUMN deleted_by TEXT`,
			// Stars are personal: each member keeps their own.
			`CREATE TABLE message_stars (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				created_at {ts} NOT NULL,
				PRIMARY KEY (workspace_id, user_id, message_id)
			)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE message_stars`,
			`ALTER TABLE messages DROP COLUMN deleted_by`, `ALTER TABLE messages DROP COLUMN deleted_at`,
			`ALTER TABLE messages DROP COLUMN forwarded_from`, `ALTER TABLE messages DROP COLUMN reaction`,
			`ALTER TABLE messages DROP COLUMN pinned_by`, `ALTER TABLE messages DROP COLUMN pinned_at`)
	})
}
