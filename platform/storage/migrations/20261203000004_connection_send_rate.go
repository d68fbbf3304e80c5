package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// A connection's own send rate, messages a second (a raised WhatsApp tier, an
		// SMS short code); NULL paces it at its channel's default for its engine.
		return exec(ctx, db, `ALTER TABLE connections ADD COLUMN send_rate DOUBLE PRECISION`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE connections DROP COLUMN send_rate`)
	})
}
