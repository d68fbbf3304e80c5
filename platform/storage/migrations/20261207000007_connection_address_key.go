package migrations

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		// A connection's address as providers' webhooks name it (sdk.AddressKey): one
		// Meta app's webhook carries every one of its numbers' events, and the host
		// finds the other numbers' connections by it.
		if err := exec(ctx, db,
			`ALTER TABLE connections ADD COLUMN address_key TEXT NOT NULL DEFAULT ''`,
			`CREATE INDEX connections_address_key_idx ON connections (plugin_id, address_key)`); err != nil {
			return err
		}
		var rows []struct {
			ID      string `bun:"id"`
			Address string `bun:"address"`
		}
		if err := db.NewSelect().Table("connections").Column("id", "address").Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := db.NewUpdate().Table("connections").Set("address_key = ?", sdk.AddressKey(r.Address)).
				Where("id = ?", r.ID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db, `DROP INDEX connections_address_key_idx`, `ALTER TABLE connections DROP COLUMN address_key`)
	})
}
