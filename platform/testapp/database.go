package testapp

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
	// owner holds this process's advisory lock (see claimDatabases) until it exits.
	owner *sql.DB
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
		if templateErr = claimDatabases(ctx, base); templateErr != nil {
			return
		}
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

// ownerLock is the advisory lock class whose object is a test process's pid.
const ownerLock = 0x5b7e57

// testDatabase matches the databases test processes make: sbtest_tpl_<pid>, their
// template, and sbtest_<pid>_<n>, one per test.
var testDatabase = regexp.MustCompile(`^sbtest_(?:tpl_)?(\d+)(?:_\d+)?$`)

// claimDatabases marks this process's databases as in use and drops those of test
// processes that are gone. A test binary has no hook at exit, and one killed by a
// timeout runs no cleanup at all, so their databases would pile up on a developer's
// long-lived server. Each process holds a session-level advisory lock named after its
// pid for as long as it runs; a lock anyone can take belongs to a process that ended.
func claimDatabases(ctx context.Context, base string) error {
	owner = sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	conn, err := owner.Conn(ctx) // never returned: the lock lives as long as it
	if err != nil {
		return err
	}
	pid := os.Getpid()
	// Blocking: another process's sweep may hold it for a moment, for a process that
	// had this pid before.
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", ownerLock, pid); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return dropLeftovers(ctx, conn, pid)
}

// dropLeftovers drops the test databases whose process is gone, on conn, the
// connection that holds the lock of process pid.
func dropLeftovers(ctx context.Context, conn *sql.Conn, pid int) error {
	rows, err := conn.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'sbtest%'")
	if err != nil {
		return err
	}
	byOwner := map[int][]string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		if m := testDatabase.FindStringSubmatch(name); m != nil {
			if p, err := strconv.Atoi(m[1]); err == nil && p != pid {
				byOwner[p] = append(byOwner[p], name)
			}
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for p, names := range byOwner {
		var gone bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerLock, p).Scan(&gone); err != nil {
			return err
		}
		if !gone {
			continue // still running
		}
		for _, name := range names {
			if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				return fmt.Errorf("drop %s, left by process %d: %w", name, p, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, $2)", ownerLock, p); err != nil {
			return err
		}
	}
	return nil
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
