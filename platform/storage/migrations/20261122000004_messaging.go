package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// A customer. address is what the channel calls them: an E.164 number, an
			// email address, a Messenger page-scoped id.
			`CREATE TABLE contacts (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				name TEXT NOT NULL DEFAULT '',
				phone TEXT NOT NULL DEFAULT '',
				email TEXT NOT NULL DEFAULT '',
				messenger_id TEXT NOT NULL DEFAULT '',
				attributes {json} NOT NULL,
				opted_out {bool} NOT NULL DEFAULT FALSE,
				whatsapp_consent {bool} NOT NULL DEFAULT FALSE,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE INDEX contacts_workspace_idx ON contacts (workspace_id, id)`,
			`CREATE UNIQUE INDEX contacts_phone_idx ON contacts (workspace_id, phone) WHERE phone <> ''`,
			`CREATE UNIQUE INDEX contacts_email_idx ON contacts (workspace_id, email) WHERE email <> ''`,
			`CREATE UNIQUE INDEX contacts_messenger_idx ON contacts (workspace_id, messenger_id) WHERE messenger_id <> ''`,
			// A thread with one contact over one connection. pill is the status rolled up
			// from its outbound messages; state is the Team Inbox lifecycle.
			`CREATE TABLE conversations (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
				contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
				kind TEXT NOT NULL,
				title TEXT NOT NULL DEFAULT '',
				pill TEXT NOT NULL DEFAULT 'pending',
				state TEXT NOT NULL DEFAULT 'active',
				assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
				unread {bool} NOT NULL DEFAULT FALSE,
				archived {bool} NOT NULL DEFAULT FALSE,
				last_message_preview TEXT NOT NULL DEFAULT '',
				last_activity_at {ts} NOT NULL,
				last_inbound_at {ts},
				created_at {ts} NOT NULL
			)`,
			`CREATE INDEX conversations_list_idx ON conversations (workspace_id, last_activity_at DESC, id)`,
			`CREATE INDEX conversations_route_idx ON conversations (workspace_id, connection_id, contact_id, last_activity_at DESC)`,
			`CREATE TABLE messages (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
				connection_id TEXT NOT NULL,
				direction TEXT NOT NULL,
				type TEXT NOT NULL,
				body TEXT NOT NULL DEFAULT '',
				content {json} NOT NULL,
				status TEXT NOT NULL,
				reason TEXT NOT NULL DEFAULT '',
				provider_message_id TEXT,
				attempt INTEGER NOT NULL DEFAULT 1,
				credits INTEGER NOT NULL DEFAULT 0,
				author_id TEXT,
				scheduled_at {ts},
				sent_at {ts},
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE INDEX messages_thread_idx ON messages (workspace_id, conversation_id, id)`,
			`CREATE UNIQUE INDEX messages_provider_idx ON messages (connection_id, provider_message_id) WHERE provider_message_id IS NOT NULL`,
			// Every status change of a message, for its info panel.
			`CREATE TABLE message_events (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
				status TEXT NOT NULL,
				reason TEXT NOT NULL DEFAULT '',
				source TEXT NOT NULL,
				at {ts} NOT NULL
			)`,
			`CREATE INDEX message_events_message_idx ON message_events (workspace_id, message_id, at)`,
			`ALTER TABLE channel_events ADD COLUMN processed_at {ts}`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE message_events`, `DROP TABLE messages`, `DROP TABLE conversations`, `DROP TABLE contacts`)
	})
}
