package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// Read state is each member's own: read_at is how far they read; a row without
			// it is a conversation marked unread for them (by themselves, or by an
			// assignment). Without a row, the conversation's unread flag speaks.
			`CREATE TABLE conversation_reads (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				read_at {ts},
				PRIMARY KEY (workspace_id, user_id, conversation_id)
			)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE conversation_reads`)
	})
}
