package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// The number a recipient is written from, when a conversation sends from
			// several (a multi-device plan splits its recipients between them); NULL
			// is the conversation's own connection, which its recipients fall back to
			// when their number is removed.
			`ALTER TABLE conversation_recipients ADD COLUMN connection_id TEXT REFERENCES connections(id) ON DELETE SET NULL`,
			// The list's filter by number finds such conversations by it.
			`CREATE INDEX conversation_recipients_connection_idx ON conversation_recipients (workspace_id, connection_id) WHERE connection_id IS NOT NULL`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP INDEX conversation_recipients_connection_idx`, `ALTER TABLE conversation_recipients DROP COLUMN connection_id`)
	})
}
