package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// The Team Inbox's response and resolution targets (see
			// messaging.SLAPolicy); a workspace without a row has none.
			`CREATE TABLE sla_policies (
				workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
				first_response_minutes INTEGER NOT NULL DEFAULT 0,
				next_response_minutes INTEGER NOT NULL DEFAULT 0,
				resolution_minutes INTEGER NOT NULL DEFAULT 0,
				business_hours {bool} NOT NULL DEFAULT FALSE,
				updated_at {ts} NOT NULL
			)`,
			// A ticket's targets as they were set when its clocks started, and what
			// its team did: a breach is read from these and the time.
			`ALTER TABLE conversations ADD COLUMN first_response_due_at {ts}`,
			`ALTER TABLE conversations ADD COLUMN first_response_at {ts}`,
			`ALTER TABLE conversations ADD COLUMN next_response_due_at {ts}`,
			`ALTER TABLE conversations ADD COLUMN resolution_due_at {ts}`,
			// Verdicts a ticket's clocks reached before a new cycle started them again
			// (a reply answered, a ticket reopened): they stay missed.
			`ALTER TABLE conversations ADD COLUMN first_response_missed {bool} NOT NULL DEFAULT FALSE`,
			`ALTER TABLE conversations ADD COLUMN next_response_missed {bool} NOT NULL DEFAULT FALSE`,
			`ALTER TABLE conversations ADD COLUMN resolution_missed {bool} NOT NULL DEFAULT FALSE`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`ALTER TABLE conversations DROP COLUMN resolution_missed`,
			`ALTER TABLE conversations DROP COLUMN next_response_missed`,
			`ALTER TABLE conversations DROP COLUMN first_response_missed`,
			`ALTER TABLE conversations DROP COLUMN resolution_due_at`,
			`ALTER TABLE conversations DROP COLUMN next_response_due_at`,
			`ALTER TABLE conversations DROP COLUMN first_response_at`,
			`ALTER TABLE conversations DROP COLUMN first_response_due_at`,
			`DROP TABLE sla_policies`,
		)
	})
}
