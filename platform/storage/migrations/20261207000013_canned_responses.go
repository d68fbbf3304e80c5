package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`CREATE TABLE canned_responses (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				id TEXT PRIMARY KEY,
				shortcut TEXT NOT NULL,
				title TEXT NOT NULL,
				category TEXT NOT NULL DEFAULT '',
				body TEXT NOT NULL,
				created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			// A shortcut names one response of the workspace; stored lower-cased.
			`CREATE UNIQUE INDEX canned_responses_shortcut_idx ON canned_responses (workspace_id, shortcut)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE canned_responses`)
	})
}
