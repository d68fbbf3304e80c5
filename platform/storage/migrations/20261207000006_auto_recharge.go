package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// Auto-recharge: the pack it buys ('' off), the saved Stripe card it pays
		// with, how the card is shown and when the payment that saved it was made (a
		// late webhook of an older payment does not replace a card saved since), and
		// why it paused ('' when it did not).
		return exec(ctx, db,
			`ALTER TABLE wallets ADD COLUMN auto_recharge_pack TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE wallets ADD COLUMN stripe_payment_method_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE wallets ADD COLUMN card_label TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE wallets ADD COLUMN card_saved_at {ts}`,
			`ALTER TABLE wallets ADD COLUMN auto_recharge_error TEXT NOT NULL DEFAULT ''`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`ALTER TABLE wallets DROP COLUMN auto_recharge_error`,
			`ALTER TABLE wallets DROP COLUMN card_saved_at`,
			`ALTER TABLE wallets DROP COLUMN card_label`,
			`ALTER TABLE wallets DROP COLUMN stripe_payment_method_id`,
			`ALTER TABLE wallets DROP COLUMN auto_recharge_pack`)
	})
}
