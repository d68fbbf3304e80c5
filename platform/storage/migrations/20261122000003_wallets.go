package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// One wallet per workspace. The CHECK is the last line of defence: the ledger's
			// conditional debit never lets the balance go below zero in the first place.
			`CREATE TABLE wallets (
				workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
				balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
				low_balance_threshold BIGINT NOT NULL DEFAULT 0,
				stripe_customer_id TEXT NOT NULL DEFAULT '',
				updated_at {ts} NOT NULL
			)`,
			// Append-only: rows are inserted, never updated or deleted. amount is signed
			// (credits in > 0, out < 0) and balance_after is the wallet's balance once the
			// entry applied, so the ledger can be audited row by row.
			`CREATE TABLE ledger_entries (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				kind TEXT NOT NULL,
				amount BIGINT NOT NULL,
				balance_after BIGINT NOT NULL,
				idempotency_key TEXT NOT NULL,
				actor TEXT NOT NULL DEFAULT '',
				reference TEXT NOT NULL DEFAULT '',
				refund_of TEXT REFERENCES ledger_entries(id),
				note TEXT NOT NULL DEFAULT '',
				created_at {ts} NOT NULL,
				UNIQUE (workspace_id, idempotency_key)
			)`,
			`CREATE UNIQUE INDEX ledger_entries_refund_idx ON ledger_entries (refund_of)`,
			`CREATE INDEX ledger_entries_workspace_idx ON ledger_entries (workspace_id, id)`,
			// Top-up packs the operator sells: credits for a price.
			`CREATE TABLE top_up_packs (
				id TEXT PRIMARY KEY,
				code TEXT NOT NULL UNIQUE,
				name TEXT NOT NULL,
				credits BIGINT NOT NULL CHECK (credits > 0),
				price_cents BIGINT NOT NULL CHECK (price_cents > 0),
				currency TEXT NOT NULL,
				active {bool} NOT NULL DEFAULT TRUE,
				created_at {ts} NOT NULL
			)`,
			// Every Stripe event is recorded once by id before it is acted on.
			`CREATE TABLE stripe_events (
				id TEXT PRIMARY KEY,
				type TEXT NOT NULL,
				workspace_id TEXT,
				received_at {ts} NOT NULL
			)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE stripe_events`, `DROP TABLE top_up_packs`, `DROP TABLE ledger_entries`, `DROP TABLE wallets`)
	})
}
