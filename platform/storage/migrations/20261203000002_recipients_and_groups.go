package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// A conversation's recipients: one for a 1:1 chat or a ticket, many for a send
			// to a list or a group. The 24-hour window is each recipient's own, so the
			// customer's last message is kept per recipient.
			`CREATE TABLE conversation_recipients (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
				contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
				last_inbound_at {ts},
				created_at {ts} NOT NULL,
				PRIMARY KEY (workspace_id, conversation_id, contact_id)
			)`,
			// Inbound routing asks which conversations a contact is a recipient of.
			`CREATE INDEX conversation_recipients_contact_idx ON conversation_recipients (workspace_id, contact_id)`,
			`INSERT INTO conversation_recipients (workspace_id, conversation_id, contact_id, last_inbound_at, created_at)
				SELECT workspace_id, id, contact_id, last_inbound_at, created_at FROM conversations`,
			`ALTER TABLE conversations ADD COLUMN recipients INTEGER NOT NULL DEFAULT 1`,
			// Whom a message went to or came from (notes: nobody), and the send it is a
			// copy of when one message went to several recipients.
			`ALTER TABLE messages ADD COLUMN contact_id TEXT`,
			`ALTER TABLE messages ADD COLUMN send_id TEXT`,
			`UPDATE messages SET contact_id = (SELECT cv.contact_id FROM conversations AS cv WHERE cv.id = messages.conversation_id)
				WHERE direction <> 'note'`,
			`CREATE INDEX messages_send_idx ON messages (workspace_id, send_id) WHERE send_id IS NOT NULL`,
			// Contact groups: named lists of contacts to send to.
			`CREATE TABLE contact_groups (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE UNIQUE INDEX contact_groups_name_idx ON contact_groups (workspace_id, lower(name))`,
			`CREATE TABLE contact_group_members (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				group_id TEXT NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
				contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
				created_at {ts} NOT NULL,
				PRIMARY KEY (workspace_id, group_id, contact_id)
			)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE contact_group_members`, `DROP TABLE contact_groups`,
			`DROP INDEX messages_send_idx`, `ALTER TABLE messages DROP COLUMN send_id`, `ALTER TABLE messages DROP COLUMN contact_id`,
			`ALTER TABLE conversations DROP COLUMN recipients`, `DROP TABLE conversation_recipients`)
	})
}
