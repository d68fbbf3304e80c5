package migrations

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On PostgreSQL a message's timeline goes with the message through a trigger instead
// of a reference. The reference checked its message for every step written: two
// lookups and two row locks a send, on a row the same statement had just updated
// (measured: 4 % of the send rate). The steps are only ever written by the statement
// that moves their message (a CTE that inserts them for the rows its UPDATE returned),
// so a step cannot name a message that is not there; what the reference still did
// was remove the steps of deleted messages, which the trigger does once a statement,
// for all the messages that statement (or its cascade from a conversation, contact,
// connection or workspace) removed. SQLite keeps its reference: it checks in process.
func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return exec(ctx, db,
			`CREATE FUNCTION messages_drop_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				DELETE FROM message_events AS me USING gone WHERE me.message_id = gone.id;
				RETURN NULL;
			END
			$$`,
			`CREATE TRIGGER messages_drop_timeline AFTER DELETE ON messages
				REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION messages_drop_timeline()`,
			`ALTER TABLE message_events DROP CONSTRAINT message_events_message_id_fkey`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		if db.Dialect().Name() != dialect.PG {
			return nil
		}
		return exec(ctx, db,
			`DELETE FROM message_events AS me WHERE NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.id = me.message_id)`,
			`ALTER TABLE message_events ADD FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE CASCADE`,
			`DROP TRIGGER messages_drop_timeline ON messages`,
			`DROP FUNCTION messages_drop_timeline()`,
		)
	})
}
