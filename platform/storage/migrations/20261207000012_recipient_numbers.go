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
			// is the conversation's own connection.
			`ALTER TABLE conversation_recipients ADD COLUMN connection_id TEXT`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE conversation_recipients DROP COLUMN connection_id`)
	})
}
