package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// A workspace's business hours (hours.Schedule): days holds each weekday's
			// open intervals, in the workspace's time zone. No row: always open.
			`CREATE TABLE business_hours (
				workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
				enabled {bool} NOT NULL,
				days {json} NOT NULL,
				updated_at {ts} NOT NULL
			)`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE business_hours`)
	})
}
