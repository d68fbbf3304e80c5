package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// Files members upload to send (media.File). attached_at is set when a
			// message takes the file; one never attached is removed after a day.
			`CREATE TABLE media_files (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				filename TEXT NOT NULL,
				mime_type TEXT NOT NULL,
				size BIGINT NOT NULL,
				sha256 TEXT NOT NULL,
				created_by TEXT,
				created_at {ts} NOT NULL,
				attached_at {ts}
			)`,
			// A workspace's uploads of the last day (the bounds on what it uploads, the
			// sweep), and the cascade when a workspace goes.
			`CREATE INDEX media_files_workspace_idx ON media_files (workspace_id, created_at)`,
			// A file's bytes, in parts of media.partSize: a range (a video seeked) reads
			// the parts it covers, and no row is larger than a part.
			`CREATE TABLE media_parts (
				file_id TEXT NOT NULL REFERENCES media_files(id) ON DELETE CASCADE,
				n INTEGER NOT NULL,
				workspace_id TEXT NOT NULL,
				data {bytes} NOT NULL,
				PRIMARY KEY (file_id, n)
			)`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE media_parts`, `DROP TABLE media_files`)
	})
}
