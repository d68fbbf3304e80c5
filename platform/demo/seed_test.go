package demo_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/demo"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

func forEngine(t *testing.T, f func(t *testing.T, ta *testapp.TestApp)) {
	t.Helper()
	for _, e := range testapp.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f(t, testapp.New(t, testapp.OnEngine(e)))
		})
	}
}

var ipSeq atomic.Int64

// login signs in through Accounts.Login from an address of its own (the sign-in
// throttle's counters are shared through Redis).
func login(ta *testapp.TestApp, email, password string) (auth.User, error) {
	return ta.App.Accounts.Login(ta.Ctx(), email, password, fmt.Sprintf("demo-test-%d-%d", ipSeq.Add(1), ta.App.Config.Auth.LoginIPLimit))
}

// passwordIs checks a demo user's password without counting failed sign-ins.
func passwordIs(t *testing.T, ta *testapp.TestApp, email, password string) bool {
	t.Helper()
	u, err := auth.UserByEmail(ta.Ctx(), ta.App.DB, email)
	if err != nil {
		t.Fatal(err)
	}
	return ta.App.Accounts.Hasher().Verify(u.PasswordHash, password)
}

// checkSeeded asserts the database holds exactly the demo workspace, users and roles.
func checkSeeded(t *testing.T, ta *testapp.TestApp, res demo.Result) {
	t.Helper()
	ctx := context.Background()
	db := ta.App.DB
	if res.Workspace.Slug != demo.WorkspaceSlug || res.Workspace.ID == "" {
		t.Fatalf("result workspace %+v", res.Workspace)
	}
	var workspaces []tenants.Workspace
	if err := db.NewSelect().Model(&workspaces).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(workspaces) != 1 || workspaces[0].ID != res.Workspace.ID {
		t.Fatalf("workspaces %+v, want only the demo one", workspaces)
	}
	plan, err := tenants.PlanByID(ctx, db, workspaces[0].PlanID)
	if err != nil || plan.Code != "business" {
		t.Errorf("demo plan %+v %v, want business", plan, err)
	}
	canned, err := messaging.CannedResponses(ctx, tenants.Scope(db, res.Workspace.ID), messaging.CannedQuery{}, messaging.MaxCanned)
	if err != nil || len(canned) != len(demo.Canned) || canned[0].Shortcut != "hello" {
		t.Errorf("canned responses %+v (%v), want the %d demo ones once", canned, err, len(demo.Canned))
	}
	sc := tenants.Scope(db, res.Workspace.ID)
	if p, err := messaging.SLA(ctx, sc); err != nil || p.FirstResponseMinutes != demo.SLA.FirstResponseMinutes || p.ResolutionMinutes != demo.SLA.ResolutionMinutes {
		t.Errorf("SLA policy %+v (%v), want the demo's", p, err)
	}
	if r, err := messaging.AutoCloseRules(ctx, sc); err != nil || r.ResolveAfterMinutes != demo.AutoClose.ResolveAfterMinutes {
		t.Errorf("auto-close rules %+v (%v), want the demo's", r, err)
	}
	if n, err := db.NewSelect().Model((*auth.User)(nil)).Count(ctx); err != nil || n != len(demo.Users) {
		t.Errorf("%d users (%v), want %d", n, err, len(demo.Users))
	}
	members, _, err := tenants.Members(ctx, tenants.Scope(db, res.Workspace.ID), storage.Page{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]policies.Role{}
	for _, m := range members {
		got[m.Email] = m.Role
	}
	if len(members) != len(demo.Users) {
		t.Errorf("%d memberships, want %d: %+v", len(members), len(demo.Users), members)
	}
	for _, du := range demo.Users {
		if got[du.Email] != du.Role {
			t.Errorf("%s is %q in the demo workspace, want %q", du.Email, got[du.Email], du.Role)
		}
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		first, err := demo.Seed(ctx, ta.App.DB, ta.App.Accounts, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Password) < 12 {
			t.Fatalf("generated password %q", first.Password)
		}
		checkSeeded(t, ta, first)
		u, err := login(ta, "admin@demo.local", first.Password)
		if err != nil || u.Email != "admin@demo.local" || u.Name != "Ada Admin" {
			t.Fatalf("admin login with the generated password: %+v %v", u, err)
		}
		for _, du := range demo.Users {
			if !passwordIs(t, ta, du.Email, first.Password) {
				t.Errorf("%s does not have the generated password", du.Email)
			}
		}

		// Again without a password: nothing new, nobody's password changes.
		second, err := demo.Seed(ctx, ta.App.DB, ta.App.Accounts, "")
		if err != nil {
			t.Fatal(err)
		}
		if second.Password != "" || second.Workspace.ID != first.Workspace.ID {
			t.Errorf("second seed: password %q, workspace %s (first %s)", second.Password, second.Workspace.ID, first.Workspace.ID)
		}
		checkSeeded(t, ta, second)
		if _, err := login(ta, "manager@demo.local", first.Password); err != nil {
			t.Errorf("manager login with the first password after reseeding: %v", err)
		}

		// With a password: every existing user gets it.
		const chosen = "a chosen demo passphrase"
		third, err := demo.Seed(ctx, ta.App.DB, ta.App.Accounts, chosen)
		if err != nil {
			t.Fatal(err)
		}
		if third.Password != chosen {
			t.Errorf("third seed reports password %q, want the given one", third.Password)
		}
		checkSeeded(t, ta, third)
		for _, du := range demo.Users {
			if !passwordIs(t, ta, du.Email, chosen) || passwordIs(t, ta, du.Email, first.Password) {
				t.Errorf("%s: given password not set, or the old one still works", du.Email)
			}
		}
		if _, err := login(ta, "viewer@demo.local", chosen); err != nil {
			t.Errorf("viewer login with the given password: %v", err)
		}
	})
}

func TestSeedWithPasswordOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		res, err := demo.Seed(ta.Ctx(), ta.App.DB, ta.App.Accounts, "given from the environment")
		if err != nil {
			t.Fatal(err)
		}
		if res.Password != "given from the environment" {
			t.Errorf("password %q", res.Password)
		}
		checkSeeded(t, ta, res)
		if _, err := login(ta, "agent@demo.local", "given from the environment"); err != nil {
			t.Errorf("agent login: %v", err)
		}
	})
}

// A password the strength rules refuse fails the whole seed: nothing is left behind.
func TestSeedWeakPasswordRollsBack(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		if _, err := demo.Seed(ctx, ta.App.DB, ta.App.Accounts, "short"); err == nil {
			t.Fatal("Seed accepted a 5-character password")
		}
		for _, model := range []any{(*tenants.Workspace)(nil), (*auth.User)(nil), (*tenants.Membership)(nil)} {
			if n, err := ta.App.DB.NewSelect().Model(model).Count(ctx); err != nil || n != 0 {
				t.Errorf("%T: %d rows left (%v)", model, n, err)
			}
		}
	})
}

func TestDemoUsersCoverEveryRole(t *testing.T) {
	t.Parallel()
	var roles []policies.Role
	for _, u := range demo.Users {
		roles = append(roles, u.Role)
	}
	if !slices.Equal(roles, policies.Roles()) {
		t.Errorf("demo roles %v, want one user per role %v", roles, policies.Roles())
	}
}
