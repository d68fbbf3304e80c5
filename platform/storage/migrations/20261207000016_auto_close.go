package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// When the Team Inbox closes a ticket no one touched (see
			// messaging.AutoClose); a workspace without a row closes none.
			`CREATE TABLE auto_close_settings (
				workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
				resolve_after_minutes INTEGER NOT NULL DEFAULT 0,
				abandon_after_minutes INTEGER NOT NULL DEFAULT 0,
				updated_at {ts} NOT NULL
			)`,
			// When a conversation entered its state: a ticket just accepted or handed
			// over is not idle, however old its last message.
			`ALTER TABLE conversations ADD COLUMN state_changed_at {ts}`,
			`UPDATE conversations SET state_changed_at = last_activity_at`,
			// The open tickets by their last message: read by the sweep each minute in
			// a workspace that closes idle tickets.
			`CREATE INDEX conversations_open_tickets_idx ON conversations (workspace_id, last_activity_at) WHERE kind = 'ticket' AND state IN ('queued', 'active', 'pending')`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`DROP INDEX conversations_open_tickets_idx`,
			`ALTER TABLE conversations DROP COLUMN state_changed_at`,
			`DROP TABLE auto_close_settings`,
		)
	})
}
