package tenants_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestPreparedIsolation: a Prepared scope sees and changes only its own workspace,
// on a pool and in a transaction, and runs nothing that is not restricted to it.
func TestPreparedIsolation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		db := ta.App.DB
		wsA, wsB := newWorkspace(t, ta, "Alpha"), newWorkspace(t, ta, "Beta")
		a := addMember(t, ta, wsA, policies.Agent)
		b := addMember(t, ta, wsB, policies.Agent)
		pA := tenants.Scope(db, wsA.ID).Prepared()

		get := func(p tenants.Prepared, id string) (tenants.Membership, error) {
			var m tenants.Membership
			err := p.Scan(ctx, p.Select(&m).Where("m.id = ?", tenants.Arg(2)).Limit(1), id)
			return m, err
		}
		// The same statement built once and kept as text.
		text := pA.Select((*tenants.Membership)(nil)).Where("m.id = ?", tenants.Arg(2)).Limit(1).String()
		getText := func(p tenants.Prepared, id string) (tenants.Membership, error) {
			var m tenants.Membership
			err := p.Scan(ctx, p.Text(text, &m), id)
			return m, err
		}
		// Run twice: the second call uses the statement kept for the pool.
		for range 2 {
			for name, get := range map[string]func(tenants.Prepared, string) (tenants.Membership, error){"built": get, "text": getText} {
				if m, err := get(pA, a.ID); err != nil || m.ID != a.ID || m.Role != policies.Agent {
					t.Fatalf("%s: own row: %+v, %v", name, m, err)
				}
				if m, err := get(pA, b.ID); !errors.Is(err, sql.ErrNoRows) {
					t.Fatalf("%s: another workspace's row through a prepared scope: %+v, %v", name, m, err)
				}
			}
		}
		var leak tenants.Membership
		if err := pA.Scan(ctx, pA.Text(db.NewSelect().Model(&leak).Where("m.id = ?", b.ID).String(), &leak)); err == nil ||
			!strings.Contains(err.Error(), "does not restrict to the workspace") {
			t.Errorf("a text not restricted to the workspace ran: %+v, %v", leak, err)
		}
		var all []tenants.Membership
		if err := pA.Scan(ctx, pA.Select(&all).Order("m.id")); err != nil {
			t.Fatal(err)
		}
		for _, m := range all {
			if m.WorkspaceID != wsA.ID {
				t.Errorf("unrestricted select through A's prepared scope returned %+v", m)
			}
		}

		// An update aimed at B's row through A's prepared scope touches nothing.
		res, err := pA.Exec(ctx, pA.Update((*tenants.Membership)(nil)).Set("role = ?", tenants.Arg(2)).Where("m.id = ?", tenants.Arg(3)),
			string(policies.Admin), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("update of B's row through A's prepared scope affected %d rows", n)
		}
		if m, err := get(tenants.Scope(db, wsB.ID).Prepared(), b.ID); err != nil || m.Role != policies.Agent {
			t.Errorf("B's row after A's update: %+v, %v", m, err)
		}

		// In a transaction, and rolled back with it.
		errRollback := errors.New("roll back")
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			p := tenants.Scope(tx, wsA.ID).Prepared()
			res, err := p.Exec(ctx, p.Update((*tenants.Membership)(nil)).Set("role = ?", tenants.Arg(2)).Where("m.id = ?", tenants.Arg(3)),
				string(policies.Viewer), a.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Errorf("update in a transaction affected %d rows", n)
			}
			if m, err := get(p, a.ID); err != nil || m.Role != policies.Viewer {
				t.Errorf("read in the transaction: %+v, %v", m, err)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		if m, err := get(pA, a.ID); err != nil || m.Role != policies.Agent {
			t.Errorf("after rollback: %+v, %v", m, err)
		}

		// A statement that does not restrict to the workspace is refused.
		var everyone []tenants.Membership
		err = pA.Scan(ctx, db.NewSelect().Model(&everyone))
		if err == nil || !strings.Contains(err.Error(), "does not restrict to the workspace") {
			t.Errorf("unrestricted statement: %v, %d rows", err, len(everyone))
		}
	})
}

func TestArgStartsAfterTheWorkspace(t *testing.T) {
	t.Parallel()
	if got := tenants.Arg(2); got != "$2" {
		t.Errorf("Arg(2) = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Arg(1), the workspace's placeholder, did not panic")
		}
	}()
	tenants.Arg(1)
}

type probe struct {
	bun.BaseModel `bun:"table:prepared_probe,alias:pp"`
	tenants.Owned
	ID string `bun:"id,pk"`
	N  int64  `bun:"n"`
}

// TestPreparedAfterMigration: a statement kept prepared whose table changed under it
// (PostgreSQL then refuses the cached plan) is prepared again, not failed for ever.
func TestPreparedAfterMigration(t *testing.T) {
	t.Parallel()
	if os.Getenv(testapp.EnvPostgres) == "" {
		t.Skipf("%s is not set: this test changes a PostgreSQL table under a cached plan; `make test` starts a PostgreSQL", testapp.EnvPostgres)
	}
	ta := testapp.New(t, testapp.OnEngine(testapp.Postgres))
	ctx := ta.Ctx()
	db := ta.App.DB
	if _, err := db.ExecContext(ctx, `CREATE TABLE prepared_probe (workspace_id TEXT NOT NULL, id TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t, ta, "Probe")
	p := tenants.Scope(db, ws.ID).Prepared()
	if _, err := tenants.Scope(db, ws.ID).Insert(&probe{ID: "p1", N: 7}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	get := func() (probe, error) {
		var row probe
		err := p.Scan(ctx, p.Select(&row).Where("pp.id = ?", tenants.Arg(2)), "p1")
		return row, err
	}
	// The pool has a few connections: run it on several so each holds the statement.
	for range 5 {
		if row, err := get(); err != nil || row.N != 7 {
			t.Fatalf("before: %+v, %v", row, err)
		}
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE prepared_probe ALTER COLUMN n TYPE BIGINT`); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if row, err := get(); err != nil || row.N != 7 {
			t.Fatalf("after the table changed: %+v, %v", row, err)
		}
	}
}

// A Kept statement is built once, and runs like the statement it was built from.
func TestKeptBuildsOnce(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		ws := newWorkspace(t, ta, "Kept")
		a := addMember(t, ta, ws, policies.Agent)
		p := tenants.Scope(ta.App.DB, ws.ID).Prepared()
		var kept tenants.Kept
		builds := 0
		build := func(p tenants.Prepared) string {
			builds++
			return p.Select((*tenants.Membership)(nil)).Where("m.id = ?", tenants.Arg(2)).Limit(1).String()
		}
		for range 3 {
			var m tenants.Membership
			if err := p.Scan(ctx, p.Text(kept.Text(p, build), &m), a.ID); err != nil || m.ID != a.ID {
				t.Fatalf("kept statement: %+v, %v", m, err)
			}
		}
		if builds != 1 {
			t.Errorf("built %d times, want once", builds)
		}
	})
}
