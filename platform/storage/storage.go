// Package storage opens Switchboard's database — PostgreSQL in production and tests,
// SQLite (pure Go) as the embedded default — and applies its migrations.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// PostgresPool is how many connections to PostgreSQL a process opens at most.
const PostgresPool = 40

// Open connects to the database named by dsn: a postgres:// or postgresql:// URL, or
// an SQLite file path (optionally prefixed sqlite:// or file:).
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	var db *bun.DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		conn := pgdriver.NewConnector(pgdriver.WithDSN(withGenericPlans(dsn)))
		sqldb := sql.OpenDB(conn)
		sqldb.SetMaxOpenConns(PostgresPool)
		// As many kept as may be open: a worker's tasks come in bursts, and a pool that
		// closed what it could not keep idle opened a new backend (a fork and a cold
		// catalog cache, several milliseconds of the database's CPU) for the next
		// burst. Applying a campaign's receipts opened about 20 a second that way.
		sqldb.SetMaxIdleConns(PostgresPool)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		// A connection keeps the plans of its prepared statements (generic ones, see
		// withGenericPlans), made from the statistics of the moment it prepared them;
		// replacing connections now and then lets the plans follow the data.
		sqldb.SetConnMaxLifetime(30 * time.Minute)
		db = bun.NewDB(sqldb, pgdialect.New())
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("storage: %w", err)
			}
		}
		// WAL lets readers proceed during a write; busy_timeout makes concurrent writers
		// wait for the lock instead of failing with SQLITE_BUSY; foreign keys are off in
		// SQLite unless asked for.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
		sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		// SQLite has one writer; a small pool avoids piling up goroutines on its lock.
		sqldb.SetMaxOpenConns(4)
		db = bun.NewDB(sqldb, sqlitedialect.New())
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: connect: %w", err)
	}
	return db, nil
}

// withGenericPlans asks PostgreSQL to plan each prepared statement once per connection
// unless the DSN says otherwise. The prepared statements are the send path's lookups
// by id (tenants.Prepared), whose best plan does not depend on the values; left to
// choose, PostgreSQL kept planning some of them again on every call.
func withGenericPlans(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // pgdriver reports the malformed DSN
	}
	q := u.Query()
	if q.Has("plan_cache_mode") {
		return dsn
	}
	q.Set("plan_cache_mode", "force_generic_plan")
	u.RawQuery = q.Encode()
	return u.String()
}

// IsPostgres reports whether db talks to PostgreSQL.
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// Kind names the database engine for readiness reports.
func Kind(db bun.IDB) string {
	if IsPostgres(db) {
		return "postgres"
	}
	return "sqlite"
}

// NewID returns a new primary key: a UUIDv7, so ids sort by creation time (which keeps
// B-tree inserts local and makes id-ordered cursors follow creation order).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// IsStalePlan reports whether err is PostgreSQL refusing to run a prepared statement
// whose result columns changed since it was prepared (a migration altered a table it
// reads); preparing it again fixes it.
func IsStalePlan(err error) bool {
	var pgErr pgdriver.Error
	return errors.As(err, &pgErr) && pgErr.Field('C') == "0A000" && strings.Contains(pgErr.Field('M'), "cached plan")
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either
// engine, so callers can turn a race into a clean conflict.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsNotFound reports whether err means a query found no row.
func IsNotFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// InTx runs fn in a transaction that commits when fn returns nil.
func InTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.RunInTx(ctx, nil, fn)
}

// Changed reports whether a conditional update or delete matched a row, passing its
// error through: Changed(q.Exec(ctx)).
func Changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
