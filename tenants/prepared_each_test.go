package tenants_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

func membershipIDs(ms []tenants.Membership) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// TestPreparedScanEach: ScanEach looks every id up in one statement and returns only
// the scope's own rows: another workspace's ids and unknown ids find nothing, an id
// given twice is found twice, no ids find nothing.
func TestPreparedScanEach(t *testing.T) {
	t.Parallel()
	if os.Getenv(testapp.EnvPostgres) == "" {
		t.Skipf("%s is not set: ScanEach binds a PostgreSQL array; `make test` starts a PostgreSQL", testapp.EnvPostgres)
	}
	ta := testapp.New(t, testapp.OnEngine(testapp.Postgres))
	ctx := ta.Ctx()
	db := ta.App.DB
	wsA, wsB := newWorkspace(t, ta, "Each Alpha"), newWorkspace(t, ta, "Each Beta")
	a1, a2 := addMember(t, ta, wsA, policies.Agent), addMember(t, ta, wsA, policies.Viewer)
	a3 := addMember(t, ta, wsA, policies.Agent)
	b1, b2 := addMember(t, ta, wsB, policies.Agent), addMember(t, ta, wsB, policies.Admin)
	unknown := storage.NewID()

	each := func(p tenants.Prepared, ids []string) ([]tenants.Membership, error) {
		var out []tenants.Membership
		err := p.ScanEach(ctx, p.Select(&out).Where("m.id = ?", tenants.Each).Limit(1), ids)
		return out, err
	}
	pA, pB := tenants.Scope(db, wsA.ID).Prepared(), tenants.Scope(db, wsB.ID).Prepared()
	cases := []struct {
		name string
		ws   string
		p    tenants.Prepared
		ids  []string
		want []string
	}{
		{"own", wsA.ID, pA, []string{a1.ID, a2.ID, a3.ID}, sorted(a1.ID, a2.ID, a3.ID)},
		{"mixed", wsA.ID, pA, []string{b1.ID, a1.ID, unknown, a3.ID, b2.ID, "", `"x"`, "NULL"}, sorted(a1.ID, a3.ID)},
		{"duplicates", wsA.ID, pA, []string{a2.ID, a1.ID, a2.ID, b1.ID, b1.ID, a2.ID}, sorted(a1.ID, a2.ID, a2.ID, a2.ID)},
		{"other workspace only", wsA.ID, pA, []string{b1.ID, b2.ID}, nil},
		{"unknown only", wsA.ID, pA, []string{unknown}, nil},
		{"no ids", wsA.ID, pA, []string{}, nil},
		{"nil ids", wsA.ID, pA, nil, nil},
		{"B's view of the mix", wsB.ID, pB, []string{b1.ID, a1.ID, unknown, a3.ID, b2.ID}, sorted(b1.ID, b2.ID)},
	}
	// Twice: the second round runs on the statements kept for the pool.
	for round := range 2 {
		for _, c := range cases {
			got, err := each(c.p, c.ids)
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, c.name, err)
			}
			for _, m := range got {
				if m.WorkspaceID != c.ws {
					t.Errorf("round %d, %s: row of workspace %q", round, c.name, m.WorkspaceID)
				}
			}
			if ids := membershipIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("round %d, %s: got %q, want %q", round, c.name, ids, c.want)
			}
		}
	}
	// Every row scanned in full, and only the scope's.
	got, err := each(pA, []string{a2.ID, b2.ID})
	if err != nil || len(got) != 1 {
		t.Fatalf("one own row: %+v, %v", got, err)
	}
	if m := got[0]; m.ID != a2.ID || m.WorkspaceID != wsA.ID || m.Role != policies.Viewer || m.UserID != a2.UserID {
		t.Errorf("scanned row %+v, want %+v", m, a2)
	}

	// q's own values start at $3.
	var agents []tenants.Membership
	if err := pA.ScanEach(ctx, pA.Select(&agents).Where("m.id = ? AND m.role = ?", tenants.Each, tenants.Arg(3)).Limit(1),
		[]string{a1.ID, a2.ID, a3.ID, b1.ID}, string(policies.Agent)); err != nil {
		t.Fatal(err)
	}
	if ids, want := membershipIDs(agents), sorted(a1.ID, a3.ID); !slices.Equal(ids, want) {
		t.Errorf("with an argument: %q, want %q", ids, want)
	}

	// In a transaction, which sees its own uncommitted rows and only its workspace's.
	errRollback := errors.New("roll back")
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m := tenants.Membership{ID: storage.NewID(), UserID: ta.NewUser("tx").ID, Role: policies.Agent}
		if _, err := tenants.Scope(tx, wsA.ID).Insert(&m).Exec(ctx); err != nil {
			return err
		}
		p := tenants.Scope(tx, wsA.ID).Prepared()
		var out []tenants.Membership
		if err := p.ScanEach(ctx, p.Select(&out).Where("m.id = ?", tenants.Each).Limit(1), []string{m.ID, b1.ID, a1.ID}); err != nil {
			return err
		}
		if ids, want := membershipIDs(out), sorted(m.ID, a1.ID); !slices.Equal(ids, want) {
			t.Errorf("in a transaction: %q, want %q", ids, want)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// TestPreparedScanEachRefusesUnrestricted: like Scan and Exec, ScanEach runs nothing
// that does not restrict to the workspace.
func TestPreparedScanEachRefusesUnrestricted(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		db := ta.App.DB
		wsA, wsB := newWorkspace(t, ta, "Refuse Alpha"), newWorkspace(t, ta, "Refuse Beta")
		a, b := addMember(t, ta, wsA, policies.Agent), addMember(t, ta, wsB, policies.Agent)
		pA := tenants.Scope(db, wsA.ID).Prepared()
		for name, q := range map[string]func(*[]tenants.Membership) *bun.SelectQuery{
			"no workspace": func(out *[]tenants.Membership) *bun.SelectQuery {
				return db.NewSelect().Model(out).Where("m.id = ?", tenants.Each).Limit(1)
			},
			"a literal workspace": func(out *[]tenants.Membership) *bun.SelectQuery {
				return db.NewSelect().Model(out).Where("m.workspace_id = ?", wsB.ID).Where("m.id = ?", tenants.Each).Limit(1)
			},
		} {
			var out []tenants.Membership
			err := pA.ScanEach(ctx, q(&out), []string{a.ID, b.ID})
			if err == nil || !strings.Contains(err.Error(), "does not restrict to the workspace") {
				t.Errorf("%s: %v, %d rows", name, err, len(out))
			}
		}
	})
}
