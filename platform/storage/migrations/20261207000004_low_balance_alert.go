package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// When the wallet's low-balance alert last went out; cleared once credits
		// lift the balance clear of the threshold, so one low spell alerts once.
		return exec(ctx, db, `ALTER TABLE wallets ADD COLUMN low_balance_alerted_at {ts}`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE wallets DROP COLUMN low_balance_alerted_at`)
	})
}
