package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// When the conversation last wrote to this recipient: a customer's reply
			// goes to the conversation that last wrote to them on that connection.
			`ALTER TABLE conversation_recipients ADD COLUMN last_outbound_at {ts}`,
			`UPDATE conversation_recipients SET last_outbound_at = (
				SELECT max(m.created_at) FROM messages AS m
				WHERE m.workspace_id = conversation_recipients.workspace_id
					AND m.conversation_id = conversation_recipients.conversation_id
					AND m.contact_id = conversation_recipients.contact_id AND m.direction = 'out')`,
			// The 24-hour window is the customer's with the business number, whichever
			// conversation they wrote in: every conversation of theirs on the
			// connection takes their latest message.
			`UPDATE conversation_recipients SET last_inbound_at = (
				SELECT max(o.last_inbound_at) FROM conversation_recipients AS o
				JOIN conversations AS ocv ON ocv.id = o.conversation_id
				JOIN conversations AS cv ON cv.id = conversation_recipients.conversation_id
				WHERE o.workspace_id = conversation_recipients.workspace_id
					AND o.contact_id = conversation_recipients.contact_id AND ocv.connection_id = cv.connection_id)`)
	}, func(ctx context.Context, db *bun.DB) error {
		// The windows shared across conversations stay: each is a real message of
		// the customer's on the connection.
		return exec(ctx, db, `ALTER TABLE conversation_recipients DROP COLUMN last_outbound_at`)
	})
}
