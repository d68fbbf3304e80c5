package storage

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/switchboardhq/switchboard/platform/storage/migrations"
)

// Migrate applies every pending migration in order. It is safe to run again and from
// several processes at once: bun's migration lock table serialises them.
func Migrate(ctx context.Context, db *bun.DB, log *slog.Logger) error {
	m := migrate.NewMigrator(db, migrations.All, migrate.WithMarkAppliedOnSuccess(true))
	// Processes starting together race to create bun's tables and to insert its lock
	// row; the losers fail and must wait for the winner rather than give up.
	if err := retry(ctx, 10, m.Init); err != nil {
		return fmt.Errorf("storage: init migrations: %w", err)
	}
	if err := retry(ctx, int(lockWait/retryEvery), m.Lock); err != nil {
		return fmt.Errorf("storage: lock migrations (if no other process is migrating, delete the row in bun_migration_locks): %w", err)
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

// How long Migrate waits for another process's migrations, and how often it checks.
const (
	lockWait   = 2 * time.Minute
	retryEvery = 100 * time.Millisecond
)

// retry calls fn until it succeeds, it has failed attempts times, or ctx ends.
func retry(ctx context.Context, attempts int, fn func(context.Context) error) error {
	for i := 1; ; i++ {
		err := fn(ctx)
		if err == nil || i >= attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(retryEvery):
		}
	}
}
