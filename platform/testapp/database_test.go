package testapp

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"
)

// TestDropLeftovers: the databases of a test process that is gone are dropped, those
// of one still running (its lock held) are kept. The pids are above Linux's largest,
// so no real process owns them.
func TestDropLeftovers(t *testing.T) {
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("needs PostgreSQL (%s; `make test` starts it)", EnvPostgres)
	}
	ctx := context.Background()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	t.Cleanup(func() { db.Close() }) // after the drops below: cleanups run last first
	const gone, running = 90000001, 90000002
	names := map[string]bool{ // name: kept
		fmt.Sprintf("sbtest_tpl_%d", gone):    false,
		fmt.Sprintf("sbtest_%d_1", gone):      false,
		fmt.Sprintf("sbtest_%d_7", gone):      false,
		fmt.Sprintf("sbtest_tpl_%d", running): true,
		fmt.Sprintf("sbtest_%d_1", running):   true,
		"sbtest_notours":                      true, // not a name test processes make
	}
	for name := range names {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		})
	}
	alive, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer alive.Close()
	if _, err := alive.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", ownerLock, running); err != nil {
		t.Fatal(err)
	}

	sweeper, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sweeper.Close()
	if err := dropLeftovers(ctx, sweeper, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	for name, kept := range names {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != kept {
			t.Errorf("%s: exists %v, want %v", name, n == 1, kept)
		}
	}
	// The sweep gave back the lock it took for the gone process.
	var free bool
	if err := alive.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerLock, gone).Scan(&free); err != nil || !free {
		t.Errorf("lock of the gone process after the sweep: free %v (%v), want free", free, err)
	}
}
