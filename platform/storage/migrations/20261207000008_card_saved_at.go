package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// When the payment that saved the wallet's card was made: a late webhook of
		// an older payment does not replace a card saved since.
		return exec(ctx, db, `ALTER TABLE wallets ADD COLUMN card_saved_at {ts}`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE wallets DROP COLUMN card_saved_at`)
	})
}
