package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// Other addresses a contact is known by (messaging.ContactAlias): the
			// provider's own form of the address the workspace writes to, which its
			// replies come from (WhatsApp's wa_id: +52 and 10 digits sent to, +521 and
			// the same 10 digits back). kind is the contact field the address stands
			// for (phone, email, messenger_id); an address is one contact's in a
			// workspace, and inbound lookups find it by the primary key.
			`CREATE TABLE contact_aliases (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				kind TEXT NOT NULL,
				address TEXT NOT NULL,
				contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL,
				PRIMARY KEY (workspace_id, kind, address)
			)`,
			// A contact's aliases, and the cascade when a contact goes.
			`CREATE INDEX contact_aliases_contact_idx ON contact_aliases (contact_id)`)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP TABLE contact_aliases`)
	})
}
