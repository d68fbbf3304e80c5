package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// What a partial take asked for when the balance held less (a Stripe refund
		// after the credits were spent): the refunds of a charge are settled against
		// what they asked, not against what was left to take.
		return exec(ctx, db, `ALTER TABLE ledger_entries ADD COLUMN requested BIGINT`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `ALTER TABLE ledger_entries DROP COLUMN requested`)
	})
}
