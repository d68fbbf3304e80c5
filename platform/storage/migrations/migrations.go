// Package migrations holds the ordered schema changes. Each file is one migration,
// named YYYYMMDDHHMMSS_what.go; each must run on PostgreSQL and SQLite, so SQL goes
// through the small dialect table in this file rather than engine-specific types.
package migrations

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// All is every migration, registered by the files of this package.
var All = migrate.NewMigrations()

// exec runs statements with dialect placeholders expanded:
// {ts} a timestamp with time zone, {json} a JSON document, {bool} a boolean,
// {bytes} binary data.
func exec(ctx context.Context, db *bun.DB, statements ...string) error {
	pg := db.Dialect().Name() == dialect.PG
	r := strings.NewReplacer(
		"{ts}", pick(pg, "TIMESTAMPTZ", "TIMESTAMP"),
		"{json}", pick(pg, "JSONB", "TEXT"),
		"{bool}", "BOOLEAN",
		"{bytes}", pick(pg, "BYTEA", "BLOB"),
	)
	for _, s := range statements {
		if _, err := db.ExecContext(ctx, r.Replace(s)); err != nil {
			return fmt.Errorf("%w\n%s", err, r.Replace(s))
		}
	}
	return nil
}

func pick(pg bool, a, b string) string {
	if pg {
		return a
	}
	return b
}
