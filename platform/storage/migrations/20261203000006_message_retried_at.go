package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// When a failed message was last sent again: its new attempt is due from
		// then, not from when the message was written (see Message.Due).
		return exec(ctx, db, `ALTER TABLE messages ADD COLUMN retried_at {ts}`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE messages DROP COLUMN retried_at`)
	})
}
