package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Every send writes two timeline rows and a ledger entry, so what each row costs to
// insert bounds the send rate.
//
//   - The timeline's key becomes (message_id, id): the one index that both keeps ids
//     unique and lists a message's steps in order, where there were two. Its
//     workspace reference goes: the message reference already removes a workspace's
//     steps with its messages, and on PostgreSQL checking the workspace took a share
//     lock on that one workspace row for every step, which concurrent sends turned
//     into multixacts (a quarter of the status write's time, measured).
//   - A charge has no refund_of: indexing only refunds spares every charge one entry.
func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		refunds := []string{
			`DROP INDEX ledger_entries_refund_idx`,
			`CREATE UNIQUE INDEX ledger_entries_refund_idx ON ledger_entries (refund_of) WHERE refund_of IS NOT NULL`,
		}
		if db.Dialect().Name() == dialect.PG {
			return exec(ctx, db, append([]string{
				`ALTER TABLE message_events DROP CONSTRAINT message_events_workspace_id_fkey`,
				`ALTER TABLE message_events DROP CONSTRAINT message_events_pkey`,
				`ALTER TABLE message_events ADD PRIMARY KEY (message_id, id)`,
				`DROP INDEX message_events_message_idx`,
			}, refunds...)...)
		}
		// SQLite changes a key or a reference only by rebuilding the table.
		return exec(ctx, db, append([]string{
			`CREATE TABLE message_events_new (
				id TEXT NOT NULL,
				workspace_id TEXT NOT NULL,
				message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
				status TEXT NOT NULL,
				reason TEXT NOT NULL DEFAULT '',
				source TEXT NOT NULL,
				at {ts} NOT NULL,
				PRIMARY KEY (message_id, id)
			)`,
			`INSERT INTO message_events_new (id, workspace_id, message_id, status, reason, source, at)
				SELECT id, workspace_id, message_id, status, reason, source, at FROM message_events`,
			`DROP TABLE message_events`,
			`ALTER TABLE message_events_new RENAME TO message_events`,
		}, refunds...)...)
	}, func(ctx context.Context, db *bun.DB) error {
		refunds := []string{
			`DROP INDEX ledger_entries_refund_idx`,
			`CREATE UNIQUE INDEX ledger_entries_refund_idx ON ledger_entries (refund_of)`,
		}
		if db.Dialect().Name() == dialect.PG {
			return exec(ctx, db, append([]string{
				`ALTER TABLE message_events DROP CONSTRAINT message_events_pkey`,
				`ALTER TABLE message_events ADD PRIMARY KEY (id)`,
				`ALTER TABLE message_events ADD FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE`,
				`CREATE INDEX message_events_message_idx ON message_events (workspace_id, message_id, at)`,
			}, refunds...)...)
		}
		return exec(ctx, db, append([]string{
			`CREATE TABLE message_events_old (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
				status TEXT NOT NULL,
				reason TEXT NOT NULL DEFAULT '',
				source TEXT NOT NULL,
				at {ts} NOT NULL
			)`,
			`INSERT INTO message_events_old (id, workspace_id, message_id, status, reason, source, at)
				SELECT id, workspace_id, message_id, status, reason, source, at FROM message_events`,
			`DROP TABLE message_events`,
			`ALTER TABLE message_events_old RENAME TO message_events`,
			`CREATE INDEX message_events_message_idx ON message_events (workspace_id, message_id, at)`,
		}, refunds...)...)
	})
}
