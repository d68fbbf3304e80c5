package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// A conversation's tags and labels (kind), many to a conversation.
			// name_key is the name lower-cased (by the server, alike on both
			// engines): a name is once on a conversation whatever its case, and
			// found so.
			`CREATE TABLE conversation_tags (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
				kind TEXT NOT NULL,
				name_key TEXT NOT NULL,
				name TEXT NOT NULL,
				PRIMARY KEY (conversation_id, kind, name_key)
			)`,
			// The Team Inbox's filter, and the names in use.
			`CREATE INDEX conversation_tags_name_idx ON conversation_tags (workspace_id, kind, name_key)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE conversation_tags`)
	})
}
