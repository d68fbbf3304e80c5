package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// A charged message sent from a conversation since deleted: the provider
			// may still report it failed, and its charge must then come back. Kept for
			// as long as such a report can come (see messaging.DeletedSendsKept).
			`CREATE TABLE deleted_sends (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				connection_id TEXT NOT NULL,
				provider_message_id TEXT NOT NULL,
				charge_key TEXT NOT NULL,
				deleted_at {ts} NOT NULL,
				PRIMARY KEY (workspace_id, connection_id, provider_message_id)
			)`,
			`CREATE INDEX deleted_sends_age_idx ON deleted_sends (workspace_id, deleted_at)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE deleted_sends`)
	})
}
