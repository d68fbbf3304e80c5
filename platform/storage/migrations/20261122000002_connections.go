package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`CREATE TABLE connections (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				public_id TEXT NOT NULL UNIQUE,
				plugin_id TEXT NOT NULL,
				kind TEXT NOT NULL,
				engine TEXT NOT NULL,
				display_name TEXT NOT NULL,
				address TEXT NOT NULL,
				config_sealed TEXT NOT NULL,
				config_public {json} NOT NULL,
				status TEXT NOT NULL,
				status_reason TEXT NOT NULL DEFAULT '',
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL,
				UNIQUE (workspace_id, kind, engine, address)
			)`,
			`CREATE INDEX connections_workspace_idx ON connections (workspace_id, id)`,
			// Events from webhooks and sessions, kept until the message pipeline consumes
			// them; dedup_key makes a replayed webhook a no-op.
			`CREATE TABLE channel_events (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
				type TEXT NOT NULL,
				dedup_key TEXT NOT NULL,
				payload {json} NOT NULL,
				received_at {ts} NOT NULL,
				UNIQUE (connection_id, dedup_key)
			)`,
			`CREATE INDEX channel_events_workspace_idx ON channel_events (workspace_id, id)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE channel_events`, `DROP TABLE connections`)
	})
}
