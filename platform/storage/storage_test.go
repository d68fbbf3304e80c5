package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/storage/migrations"
)

const envPostgres = "SWITCHBOARD_TEST_POSTGRES_URL"

// engines are the databases to run on: SQLite always, PostgreSQL when the Makefile
// (or the developer) provided one.
func engines() []string {
	if os.Getenv(envPostgres) != "" {
		return []string{"postgres", "sqlite"}
	}
	return []string{"sqlite"}
}

var dbSeq atomic.Int64

// pgURL returns base with its database name replaced.
func pgURL(base, dbname string) string {
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.IndexByte(base[i:], '?'); j >= 0 {
		q = base[i+j:]
	}
	return base[:i+1] + dbname + q
}

// emptyDatabase returns the URL of a new, empty (unmigrated) database that is removed
// when the test ends.
func emptyDatabase(t *testing.T, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return filepath.Join(t.TempDir(), "nested", "switchboard.db")
	}
	base := os.Getenv(envPostgres)
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	name := fmt.Sprintf("sbstorage_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return pgURL(base, name)
}

func open(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recorder keeps the messages logged through it.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }
func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

var tables = []string{"plans", "workspaces", "users", "memberships", "invitations", "sessions", "api_tokens", "role_overrides"}

func appliedMigrations(t *testing.T, db *bun.DB) (applied, pending int) {
	t.Helper()
	ms, err := migrate.NewMigrator(db, migrations.All).MigrationsWithStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ms.Applied()), len(ms.Unapplied())
}

// onEachEngine runs test, in parallel, on an empty database of every engine.
func onEachEngine(t *testing.T, test func(t *testing.T, engine string, db *bun.DB)) {
	t.Helper()
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			test(t, engine, open(t, emptyDatabase(t, engine)))
		})
	}
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, engine string, db *bun.DB) {
		ctx := context.Background()
		if got := storage.Kind(db); got != engine {
			t.Errorf("Kind = %q, want %q", got, engine)
		}
		if storage.IsPostgres(db) != (engine == "postgres") {
			t.Errorf("IsPostgres = %v on %s", storage.IsPostgres(db), engine)
		}

		first := &recorder{}
		if err := storage.Migrate(ctx, db, slog.New(first)); err != nil {
			t.Fatalf("first Migrate: %v", err)
		}
		if !slices.Contains(first.messages(), "database migrated") {
			t.Errorf("first run logged %q, want \"database migrated\"", first.messages())
		}
		applied, pending := appliedMigrations(t, db)
		if applied == 0 || pending != 0 {
			t.Fatalf("after the first run %d applied, %d pending", applied, pending)
		}

		second := &recorder{}
		if err := storage.Migrate(ctx, db, slog.New(second)); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if msgs := second.messages(); slices.Contains(msgs, "database migrated") || !slices.Contains(msgs, "database schema is up to date") {
			t.Errorf("second run logged %q, want only \"database schema is up to date\"", msgs)
		}
		if a, p := appliedMigrations(t, db); a != applied || p != 0 {
			t.Errorf("after the second run %d applied, %d pending; want %d, 0", a, p, applied)
		}
		for _, table := range tables {
			n, err := db.NewSelect().TableExpr(table).Count(ctx)
			if err != nil || n != 0 {
				t.Errorf("table %s: count %d, err %v", table, n, err)
			}
		}
		// The lock is released after each run.
		n, err := db.NewSelect().TableExpr("bun_migration_locks").Count(ctx)
		if err != nil || n != 0 {
			t.Errorf("bun_migration_locks: %d rows, err %v", n, err)
		}
	})
}

// Several processes may start at once with migrate_on_start: each must succeed,
// and the migrations must be applied once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := emptyDatabase(t, engine)
			dbs := make([]*bun.DB, 4)
			for i := range dbs {
				dbs[i] = open(t, dsn)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(dbs))
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = storage.Migrate(context.Background(), db, slog.New(slog.DiscardHandler))
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("process %d: %v", i, err)
				}
			}
			if _, pending := appliedMigrations(t, dbs[0]); pending != 0 {
				t.Errorf("%d migrations still pending", pending)
			}
			var groups []int64
			if err := dbs[0].NewSelect().TableExpr("bun_migrations").Column("group_id").Scan(context.Background(), &groups); err != nil {
				t.Fatal(err)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(groups)))) != 1 {
				t.Errorf("migrations applied in groups %v, want one group", groups)
			}
		})
	}
}

func TestIsUniqueViolation(t *testing.T) {
	t.Parallel()
	if storage.IsUniqueViolation(nil) {
		t.Error("IsUniqueViolation(nil) = true")
	}
	if storage.IsUniqueViolation(errors.New("boom")) {
		t.Error("IsUniqueViolation(boom) = true")
	}
	onEachEngine(t, func(t *testing.T, engine string, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE things (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, n INTEGER NOT NULL CHECK (n > 0))`); err != nil {
			t.Fatal(err)
		}
		insert := func(id, code string, n int) error {
			_, err := db.ExecContext(ctx, `INSERT INTO things (id, code, n) VALUES (?, ?, ?)`, id, code, n)
			return err
		}
		if err := insert("1", "a", 1); err != nil {
			t.Fatal(err)
		}
		dupCode := insert("2", "a", 1)
		dupKey := insert("1", "b", 1)
		for name, err := range map[string]error{"duplicate unique column": dupCode, "duplicate primary key": dupKey} {
			if !storage.IsUniqueViolation(err) {
				t.Errorf("%s: IsUniqueViolation(%v) = false", name, err)
			}
			if !storage.IsUniqueViolation(fmt.Errorf("wrapped: %w", err)) {
				t.Errorf("%s: IsUniqueViolation(wrapped) = false", name)
			}
		}
		_, notNull := db.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ('3', 1)`)
		check := insert("4", "c", 0)
		_, syntax := db.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
		var s string
		noRows := db.QueryRowContext(ctx, `SELECT id FROM things WHERE id = 'x'`).Scan(&s)
		for name, err := range map[string]error{"not null": notNull, "check": check, "missing table": syntax, "no rows": noRows} {
			if err == nil {
				t.Errorf("%s: no error", name)
				continue
			}
			if storage.IsUniqueViolation(err) {
				t.Errorf("%s: IsUniqueViolation(%v) = true", name, err)
			}
		}
		if !storage.IsNotFound(noRows) || storage.IsNotFound(dupCode) {
			t.Errorf("IsNotFound: no rows %v, duplicate %v", storage.IsNotFound(noRows), storage.IsNotFound(dupCode))
		}
	})
}

type item struct {
	bun.BaseModel `bun:"table:items,alias:it"`
	ID            string `bun:"id,pk"`
	N             int    `bun:"n"`
}

// walk pages through items with limit until NextCursor says there is no more.
func walk(t *testing.T, db *bun.DB, limit int, newestFirst bool) (ids []string, sizes []int) {
	t.Helper()
	page := storage.Page{Limit: limit}
	for range 20 {
		var rows []item
		if err := page.Apply(db.NewSelect().Model(&rows), "it.id", newestFirst).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		rows, next := storage.NextCursor(rows, page, func(i item) string { return i.ID })
		sizes = append(sizes, len(rows))
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if next == "" {
			return ids, sizes
		}
		if _, ok := storage.DecodeCursor(next); !ok {
			t.Fatalf("NextCursor gave %q, which DecodeCursor refuses", next)
		}
		page.Cursor = next
	}
	t.Fatal("pagination did not end")
	return nil, nil
}

func TestPagination(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, engine string, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.NewCreateTable().Model((*item)(nil)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 7 {
			it := item{ID: storage.NewID(), N: i}
			want = append(want, it.ID)
			if _, err := db.NewInsert().Model(&it).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.IsSorted(want) {
			t.Fatalf("NewID is not increasing: %q", want)
		}
		reversed := slices.Clone(want)
		slices.Reverse(reversed)

		tests := []struct {
			limit       int
			newestFirst bool
			want        []string
			sizes       []int
		}{
			{3, false, want, []int{3, 3, 1}},
			{3, true, reversed, []int{3, 3, 1}},
			{7, false, want, []int{7}},
			{6, true, reversed, []int{6, 1}},
			{1, false, want, []int{1, 1, 1, 1, 1, 1, 1}},
			{0, false, want, []int{7}}, // default page size
		}
		for _, tt := range tests {
			ids, sizes := walk(t, db, tt.limit, tt.newestFirst)
			if !slices.Equal(ids, tt.want) {
				t.Errorf("limit %d newestFirst %v: ids %q\nwant %q", tt.limit, tt.newestFirst, ids, tt.want)
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Errorf("limit %d newestFirst %v: page sizes %v, want %v", tt.limit, tt.newestFirst, sizes, tt.sizes)
			}
		}
	})
}

func TestNextCursorPageSizes(t *testing.T) {
	t.Parallel()
	rows := make([]int, 300)
	for i := range rows {
		rows[i] = i
	}
	id := func(i int) string { return fmt.Sprint(i) }
	tests := []struct {
		limit, have, wantLen int
		wantNext             bool
	}{
		{0, 51, storage.DefaultPageSize, true},
		{0, 50, storage.DefaultPageSize, false},
		{-5, 51, storage.DefaultPageSize, true},
		{1000, 300, storage.MaxPageSize, true},
		{1000, 200, storage.MaxPageSize, false},
		{3, 4, 3, true},
		{3, 3, 3, false},
		{3, 0, 0, false},
	}
	for _, tt := range tests {
		got, next := storage.NextCursor(rows[:tt.have], storage.Page{Limit: tt.limit}, id)
		if len(got) != tt.wantLen || (next != "") != tt.wantNext {
			t.Errorf("limit %d with %d rows: %d rows, next %q; want %d rows, next %v", tt.limit, tt.have, len(got), next, tt.wantLen, tt.wantNext)
		}
		if next != "" {
			if last, _ := storage.DecodeCursor(next); last != id(got[len(got)-1]) {
				t.Errorf("limit %d: cursor names %q, want the last row %q", tt.limit, last, id(got[len(got)-1]))
			}
		}
	}
}

func TestDecodeCursor(t *testing.T) {
	t.Parallel()
	id := storage.NewID()
	if got, ok := storage.DecodeCursor(storage.EncodeCursor(id)); !ok || got != id {
		t.Errorf("round trip: %q %v", got, ok)
	}
	for _, bad := range []string{
		"", "!!!!", "not base64 at all", "YQ==", // padded: not what EncodeCursor makes
		"a b", "%%%", storage.EncodeCursor(strings.Repeat("x", 65)),
	} {
		if got, ok := storage.DecodeCursor(bad); ok {
			t.Errorf("DecodeCursor(%q) = %q, true; want rejected", bad, got)
		}
	}
	if _, ok := storage.DecodeCursor(storage.EncodeCursor(strings.Repeat("x", 64))); !ok {
		t.Error("a 64-byte id should decode")
	}
}

func TestNewIDIsOrdered(t *testing.T) {
	t.Parallel()
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = storage.NewID()
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("id %d %q is not after %q", i, ids[i], ids[i-1])
		}
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		start := time.Now()
		db, err := storage.Open(context.Background(), "postgres://postgres@"+addr+"/x?sslmode=disable")
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded against a closed port")
		}
		if !strings.Contains(err.Error(), "storage: connect") || !strings.Contains(err.Error(), addr) {
			t.Errorf("error %q should say it could not connect to %s", err, addr)
		}
		if d := time.Since(start); d > 12*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("server never answers", func(t *testing.T) {
		t.Parallel()
		// Accepts connections and says nothing: Open must give up at its own deadline
		// (or the caller's) instead of hanging.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		db, err := storage.Open(ctx, "postgres://postgres@"+ln.Addr().String()+"/x?sslmode=disable")
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded against a silent server")
		}
		if !strings.Contains(err.Error(), "storage: connect") {
			t.Errorf("error %q should say it could not connect", err)
		}
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("Open took %v with a 2s deadline", d)
		}
	})
}

func TestOpenSQLiteCreatesDirectory(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "sqlite://", "file:"} {
		path := filepath.Join(t.TempDir(), "a", "b", "switchboard.db")
		db, err := storage.Open(context.Background(), prefix+path+"?ignored=1")
		if err != nil {
			t.Fatalf("Open(%q): %v", prefix+path, err)
		}
		if _, err := db.ExecContext(context.Background(), "CREATE TABLE t (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not create the file: %v", prefix+path, err)
		}
	}
}

func TestInTx(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, engine string, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := storage.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if err := storage.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (2)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var xs []int
		if err := db.NewSelect().TableExpr("t").Column("x").Scan(ctx, &xs); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(xs, []int{2}) {
			t.Errorf("rows %v, want only the committed 2", xs)
		}
	})
}

// Every migration can be undone, newest first, and applied again: the way back from
// a release whose schema change went wrong.
func TestMigrationsRollBackAndReapply(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, engine string, db *bun.DB) {
		ctx := context.Background()
		quiet := slog.New(slog.DiscardHandler)
		if err := storage.Migrate(ctx, db, quiet); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		applied, _ := appliedMigrations(t, db)
		m := migrate.NewMigrator(db, migrations.All)
		group, err := m.Rollback(ctx)
		if err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if len(group.Migrations) != applied {
			t.Errorf("rolled back %d migrations, want all %d", len(group.Migrations), applied)
		}
		if a, p := appliedMigrations(t, db); a != 0 || p != applied {
			t.Errorf("after the rollback %d applied, %d pending; want 0, %d", a, p, applied)
		}
		if err := storage.Migrate(ctx, db, quiet); err != nil {
			t.Fatalf("Migrate after the rollback: %v", err)
		}
		if a, p := appliedMigrations(t, db); a != applied || p != 0 {
			t.Errorf("after migrating again %d applied, %d pending; want %d, 0", a, p, applied)
		}
	})
}

// A burst that takes every connection the pool may open leaves them all open for the
// next one: none is closed for want of room among the idle.
func TestPostgresPoolKeepsItsConnections(t *testing.T) {
	t.Parallel()
	if os.Getenv(envPostgres) == "" {
		t.Skipf("needs PostgreSQL (%s)", envPostgres)
	}
	db := open(t, emptyDatabase(t, "postgres"))
	ctx := context.Background()
	burst := func() map[int]bool {
		t.Helper()
		conns := make([]bun.Conn, storage.PostgresPool)
		pids := map[int]bool{}
		for i := range conns {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var pid int
			if err := c.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			conns[i], pids[pid] = c, true
		}
		for _, c := range conns {
			c.Close()
		}
		return pids
	}
	first, second := burst(), burst()
	if len(first) != storage.PostgresPool {
		t.Fatalf("%d backends in a burst of %d", len(first), storage.PostgresPool)
	}
	if !maps.Equal(first, second) {
		t.Errorf("the second burst did not reuse the first's connections: %d of %d were new", len(second)-countShared(first, second), len(second))
	}
	if s := db.Stats(); s.MaxIdleClosed != 0 || s.Idle != storage.PostgresPool {
		t.Errorf("pool after the bursts: %d idle, %d closed for want of idle room; want %d, 0", s.Idle, s.MaxIdleClosed, storage.PostgresPool)
	}
}

func countShared(a, b map[int]bool) int {
	n := 0
	for k := range b {
		if a[k] {
			n++
		}
	}
	return n
}
