package testapp

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/switchboardhq/switchboard/platform/storage"
)

// Environment variables the Makefile sets when it starts throwaway servers.
const (
	EnvPostgres = "SWITCHBOARD_TEST_POSTGRES_URL"
	EnvRedis    = "SWITCHBOARD_TEST_REDIS_URL"
)

// Engine selects the database a test app runs on.
type Engine string

const (
	Postgres Engine = "postgres"
	SQLite   Engine = "sqlite"
)

// Engines lists the engines available here: PostgreSQL when the Makefile (or the
// developer) provided one, and always SQLite.
func Engines() []Engine {
	if os.Getenv(EnvPostgres) != "" {
		return []Engine{Postgres, SQLite}
	}
	return []Engine{SQLite}
}

// DefaultEngine is PostgreSQL when available, else SQLite.
func DefaultEngine() Engine { return Engines()[0] }

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// pgURL returns the admin URL with the database name replaced.
func pgURL(base, dbname string) string {
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.IndexByte(base[i:], '?'); j >= 0 {
		q = base[i+j:]
	}
	return base[:i+1] + dbname + q
}

// migratedTemplate creates, once per test process, a database with every migration
// applied; each test database is a copy of it (CREATE DATABASE … TEMPLATE), which
// takes tens of milliseconds instead of re-running migrations.
func migratedTemplate(admin *sql.DB, base string) (string, error) {
	templateOnce.Do(func() {
		templateName = fmt.Sprintf("sbtest_tpl_%d", os.Getpid())
		ctx := context.Background()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+templateName); err != nil {
			templateErr = err
			return
		}
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+templateName); err != nil {
			templateErr = err
			return
		}
		db, err := storage.Open(ctx, pgURL(base, templateName))
		if err != nil {
			templateErr = err
			return
		}
		defer db.Close()
		templateErr = storage.Migrate(ctx, db, slog.New(slog.DiscardHandler))
	})
	return templateName, templateErr
}

var dbSeq struct {
	sync.Mutex
	n int
}

// newDatabaseURL returns the URL of a fresh, migrated database that is dropped when
// the test ends.
func newDatabaseURL(t testing.TB, engine Engine) string {
	t.Helper()
	if engine == SQLite {
		return filepath.Join(t.TempDir(), "switchboard.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("testapp: %s is not set; run the tests with `make test`, which starts PostgreSQL", EnvPostgres)
	}
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	tpl, err := migratedTemplate(admin, base)
	if err != nil {
		t.Fatalf("testapp: template database: %v", err)
	}
	dbSeq.Lock()
	dbSeq.n++
	name := fmt.Sprintf("sbtest_%d_%d", os.Getpid(), dbSeq.n)
	dbSeq.Unlock()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl); err != nil {
		t.Fatalf("testapp: create database: %v", err)
	}
	t.Cleanup(func() {
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testapp: drop database %s: %v", name, err)
		}
	})
	return pgURL(base, name)
}
