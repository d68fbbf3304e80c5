package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/switchboardhq/switchboard/platform/storage/migrations"
)

// Migrate applies every pending migration in order. It is safe to run again and from
// several processes at once: bun's migration lock table serialises them.
func Migrate(ctx context.Context, db *bun.DB, log *slog.Logger) error {
	m := migrate.NewMigrator(db, migrations.All, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("storage: init migrations: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return fmt.Errorf("storage: lock migrations: %w", err)
	}
	defer m.Unlock(ctx) //nolint:errcheck // unlock failure leaves a lock row the next run reports
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("storage: migrate: %w", err)
	}
	if group.IsZero() {
		log.Debug("database schema is up to date")
		return nil
	}
	log.Info("database migrated", "group", group.ID, "migrations", group.Migrations.String())
	return nil
}
