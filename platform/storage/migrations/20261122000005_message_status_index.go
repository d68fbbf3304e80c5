package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// The pill roll-up asks "is there an outbound message in this status?" after
			// every send; this index answers it without reading the conversation's
			// thread, which in a campaign holds thousands of messages.
			`CREATE INDEX messages_status_idx ON messages (workspace_id, conversation_id, direction, status)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP INDEX messages_status_idx`)
	})
}
