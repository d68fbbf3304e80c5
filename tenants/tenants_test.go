package tenants_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // zone names resolve without the system's tzdata

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

func TestSlugify(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Acme Support", "acme-support"},
		{"Café Déjà Vu", "cafe-deja-vu"},
		{"ÅNGSTRÖM & Søns", "angstrom-s-ns"},
		{"  Hello,   World!!  ", "hello-world"},
		{"--Leading and trailing--", "leading-and-trailing"},
		{"Team #42 (EU)", "team-42-eu"},
		{"ﬁne ﬁsh", "fine-fish"}, // ligatures decompose under NFKD
		{"already-a-slug", "already-a-slug"},
		{"", "workspace"},
		{"   ", "workspace"},
		{"!!!", "workspace"},
		{"日本語", "workspace"},
		{strings.Repeat("a", 60), strings.Repeat("a", 40)},
		{strings.Repeat("a", 39) + " bcd", strings.Repeat("a", 39)},  // cut at 40 would end in a dash
		{strings.Repeat("ab ", 20), strings.Repeat("ab-", 13) + "a"}, // cut at 40 characters
	}
	for _, tt := range tests {
		got := tenants.Slugify(tt.in)
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > 40 || strings.HasSuffix(got, "-") || strings.HasPrefix(got, "-") {
			t.Errorf("Slugify(%q) = %q: too long or dash at an end", tt.in, got)
		}
		if why := tenants.ValidSlug(got); why != "" {
			t.Errorf("Slugify(%q) = %q, which ValidSlug refuses: %s", tt.in, got, why)
		}
	}
}

func TestValidSlug(t *testing.T) {
	t.Parallel()
	tests := []struct {
		slug string
		ok   bool
		why  string // part of the reason when !ok
	}{
		{"acme", true, ""},
		{"a", true, ""},
		{"7", true, ""},
		{"acme-support-2", true, ""},
		{strings.Repeat("a", 40), true, ""},
		{strings.Repeat("a", 41), false, "1–40"},
		{"", false, "1–40"},
		{"-acme", false, "dash"},
		{"acme-", false, "dash"},
		{"Acme", false, "lowercase"},
		{"acme_support", false, "lowercase"},
		{"acme support", false, "lowercase"},
		{"café", false, "lowercase"},
		{"admin", false, "reserved"},
		{"api", false, "reserved"},
		{"new", false, "reserved"},
		{"settings", false, "reserved"},
		{"operator", false, "reserved"},
		{"admins", true, ""},
	}
	for _, tt := range tests {
		why := tenants.ValidSlug(tt.slug)
		if (why == "") != tt.ok {
			t.Errorf("ValidSlug(%q) = %q, want ok=%v", tt.slug, why, tt.ok)
		}
		if !tt.ok && !strings.Contains(why, tt.why) {
			t.Errorf("ValidSlug(%q) = %q, want it to mention %q", tt.slug, why, tt.why)
		}
	}
}

func TestValidTimeZone(t *testing.T) {
	t.Parallel()
	for tz, want := range map[string]bool{
		"UTC": true, "Europe/Lisbon": true, "America/Argentina/Buenos_Aires": true, "Asia/Kolkata": true,
		"": false, "Local": false, "Mars/Olympus_Mons": false, "+01:00": false, "../../etc/passwd": false, "Europe/": false,
	} {
		if got := tenants.ValidTimeZone(tz); got != want {
			t.Errorf("ValidTimeZone(%q) = %v, want %v", tz, got, want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ada@example.com", "ada@example.com", true},
		{"  Ada.Lovelace+tag@Example.COM \n", "ada.lovelace+tag@example.com", true},
		{"a@b.co", "a@b.co", true},
		{"ada@localhost", "ada@localhost", false}, // no dot in the domain
		{"Ada <ada@example.com>", "", false},      // a display name is not an address
		{"ada", "", false},
		{"", "", false},
		{"@example.com", "", false},
		{"ada@", "", false},
		{"ada@@example.com", "", false},
		{"ada@exa mple.com", "", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "", false}, // 255 characters
	}
	for _, tt := range tests {
		got, ok := tenants.NormalizeEmail(tt.in)
		if ok != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if got != strings.ToLower(strings.TrimSpace(tt.in)) {
			t.Errorf("NormalizeEmail(%q) returned %q, not the trimmed lowercase input", tt.in, got)
		}
	}
}

func TestScopeEmptyWorkspacePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Scope with an empty workspace id did not panic")
		}
	}()
	tenants.Scope(nil, "")
}

// forEngine runs f on a fresh app on every available engine, in parallel.
func forEngine(t *testing.T, f func(t *testing.T, ta *testapp.TestApp)) {
	t.Helper()
	for _, e := range testapp.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f(t, testapp.New(t, testapp.OnEngine(e)))
		})
	}
}

func newWorkspace(t *testing.T, ta *testapp.TestApp, name string) tenants.Workspace {
	t.Helper()
	ws, err := tenants.CreateWorkspace(ta.Ctx(), ta.App.DB, tenants.NewWorkspace{Name: name, PlanCode: "business"})
	if err != nil {
		t.Fatalf("CreateWorkspace(%q): %v", name, err)
	}
	return ws
}

func addMember(t *testing.T, ta *testapp.TestApp, ws tenants.Workspace, role policies.Role) tenants.Membership {
	t.Helper()
	u := ta.NewUser(string(role))
	m, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID), u.ID, role)
	if err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	return m
}

func TestCreateWorkspaceSlugs(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		var slugs []string
		for range 3 {
			slugs = append(slugs, newWorkspace(t, ta, "Acme Support").Slug)
		}
		if want := []string{"acme-support", "acme-support-2", "acme-support-3"}; !slices.Equal(slugs, want) {
			t.Errorf("slugs %q, want %q", slugs, want)
		}
		// A name whose slug is a prefix of an existing one is not suffixed.
		if got := newWorkspace(t, ta, "Acme").Slug; got != "acme" {
			t.Errorf("Acme → %q, want acme", got)
		}
		if got := newWorkspace(t, ta, "Admin").Slug; got != "admin-team" {
			t.Errorf("Admin → %q, want admin-team (admin is reserved)", got)
		}
		if got := newWorkspace(t, ta, "Admin").Slug; got != "admin-team-2" {
			t.Errorf("second Admin → %q, want admin-team-2", got)
		}
		// A long name fills the 40 characters; its duplicates must still be valid slugs.
		long := strings.Repeat("Long name ", 8)
		for range 3 {
			ws := newWorkspace(t, ta, long)
			if why := tenants.ValidSlug(ws.Slug); why != "" {
				t.Errorf("workspace %q got slug %q: %s", long, ws.Slug, why)
			}
		}

		// An explicit slug is checked and not suffixed.
		if _, err := tenants.CreateWorkspace(ctx, ta.App.DB, tenants.NewWorkspace{Name: "X", Slug: "acme"}); !errors.Is(err, tenants.ErrSlugTaken) {
			t.Errorf("explicit taken slug: %v, want ErrSlugTaken", err)
		}
		for _, bad := range []tenants.NewWorkspace{
			{Name: "X", Slug: "api"},
			{Name: "X", Slug: "Bad Slug"},
			{Name: "  "},
			{Name: "X", TimeZone: "Nowhere/Town"},
			{Name: strings.Repeat("x", 101)},
		} {
			if _, err := tenants.CreateWorkspace(ctx, ta.App.DB, bad); err == nil {
				t.Errorf("CreateWorkspace(%+v) succeeded", bad)
			}
		}
		if _, err := tenants.CreateWorkspace(ctx, ta.App.DB, tenants.NewWorkspace{Name: "X", PlanCode: "nope"}); !errors.Is(err, tenants.ErrPlanNotFound) {
			t.Errorf("unknown plan: %v", err)
		}
		ws, err := tenants.CreateWorkspace(ctx, ta.App.DB, tenants.NewWorkspace{Name: "Zoned", TimeZone: "Europe/Lisbon"})
		if err != nil || ws.TimeZone != "Europe/Lisbon" {
			t.Errorf("time zone: %+v %v", ws, err)
		}
	})
}

// members lists (id, role) of every membership row in the table, whatever the
// workspace, ordered by id.
func allMemberships(t *testing.T, db bun.IDB) []tenants.Membership {
	t.Helper()
	var rows []tenants.Membership
	if err := db.NewSelect().Model(&rows).Order("m.id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestScopedIsolation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		db := ta.App.DB
		wsA, wsB := newWorkspace(t, ta, "Alpha"), newWorkspace(t, ta, "Beta")
		var inA, inB []tenants.Membership
		for _, r := range []policies.Role{policies.Admin, policies.Agent, policies.Viewer} {
			inA = append(inA, addMember(t, ta, wsA, r))
			inB = append(inB, addMember(t, ta, wsB, r))
		}
		sA, sB := tenants.Scope(db, wsA.ID), tenants.Scope(db, wsB.ID)
		if sA.WorkspaceID() != wsA.ID {
			t.Fatalf("WorkspaceID = %q", sA.WorkspaceID())
		}

		// Select sees only its own workspace.
		for _, c := range []struct {
			s    tenants.Scoped
			want []tenants.Membership
		}{{sA, inA}, {sB, inB}} {
			var rows []tenants.Membership
			if err := c.s.Select(&rows).Order("m.id").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(c.want) {
				t.Fatalf("scope %s selected %d rows, want %d", c.s.WorkspaceID(), len(rows), len(c.want))
			}
			for i, r := range rows {
				if r.ID != c.want[i].ID || r.WorkspaceID != c.s.WorkspaceID() {
					t.Errorf("scope %s selected %+v", c.s.WorkspaceID(), r)
				}
			}
			if n, err := c.s.Select((*tenants.Membership)(nil)).Where("m.id = ?", otherOf(c.want, inA, inB)[0].ID).Count(ctx); err != nil || n != 0 {
				t.Errorf("scope %s counts another workspace's row by id: %d, %v", c.s.WorkspaceID(), n, err)
			}
		}
		before := allMemberships(t, db)

		// Get of another workspace's row is not found.
		var m tenants.Membership
		if err := sA.Get(ctx, &m, inB[0].ID, tenants.ErrMemberNotFound); !errors.Is(err, tenants.ErrMemberNotFound) {
			t.Errorf("Get across workspaces: %v, %+v", err, m)
		}

		// Update aimed at B's rows through A's scope touches nothing.
		res, err := sA.Update((*tenants.Membership)(nil)).Set("role = ?", policies.Admin).Where("m.id = ?", inB[1].ID).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("update of B's row through A's scope affected %d rows", n)
		}
		victim := inB[2]
		victim.Role = policies.Admin
		res, err = sA.Update(&victim).Column("role").WherePK().Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("WherePK update of B's model through A's scope affected %d rows", n)
		}
		// Delete aimed at A's rows through B's scope touches nothing.
		res, err = sB.Delete((*tenants.Membership)(nil)).Where("m.id IN (?)", bun.List([]string{inA[0].ID, inA[1].ID})).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("delete of A's rows through B's scope affected %d rows", n)
		}
		if after := allMemberships(t, db); !slices.EqualFunc(before, after, sameMembership) {
			t.Fatalf("cross-workspace writes changed rows:\nbefore %+v\nafter  %+v", before, after)
		}

		// An unrestricted update and delete through A's scope change only A.
		res, err = sA.Update((*tenants.Membership)(nil)).Set("role = ?", policies.Viewer).Where("1 = 1").Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(inA)) {
			t.Errorf("update of all of A affected %d rows, want %d", n, len(inA))
		}
		for _, r := range allMemberships(t, db) {
			if r.WorkspaceID == wsB.ID && r.Role == policies.Viewer && r.ID != inB[2].ID {
				t.Errorf("B's membership %s became a viewer through A's scope", r.ID)
			}
		}
		res, err = sA.Delete((*tenants.Membership)(nil)).Where("1 = 1").Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(inA)) {
			t.Errorf("delete of all of A affected %d rows, want %d", n, len(inA))
		}
		if left := allMemberships(t, db); !slices.EqualFunc(left, inB, sameMembership) {
			t.Errorf("after deleting A's memberships the table holds %+v, want B's %+v", left, inB)
		}

		// Insert stamps the scope's workspace whatever the model says.
		u := ta.NewUser("stamped")
		stamped := tenants.Membership{ID: "m-stamped", UserID: u.ID, Role: policies.Agent, CreatedAt: time.Now().UTC()}
		stamped.WorkspaceID = wsB.ID
		if _, err := sA.Insert(&stamped).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if stamped.WorkspaceID != wsA.ID {
			t.Errorf("model workspace after Insert = %q, want A", stamped.WorkspaceID)
		}
		var got tenants.Membership
		if err := db.NewSelect().Model(&got).Where("m.id = ?", "m-stamped").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if got.WorkspaceID != wsA.ID {
			t.Errorf("row inserted through A's scope is in workspace %q, want %q", got.WorkspaceID, wsA.ID)
		}
		if err := sB.Get(ctx, &got, "m-stamped", tenants.ErrMemberNotFound); !errors.Is(err, tenants.ErrMemberNotFound) {
			t.Errorf("B sees the row inserted through A: %v", err)
		}
	})
}

func otherOf(mine, a, b []tenants.Membership) []tenants.Membership {
	if mine[0].ID == a[0].ID {
		return b
	}
	return a
}

func sameMembership(a, b tenants.Membership) bool {
	return a.ID == b.ID && a.WorkspaceID == b.WorkspaceID && a.UserID == b.UserID && a.Role == b.Role
}

func TestLastAdmin(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		ws := newWorkspace(t, ta, "Acme")
		s := tenants.Scope(ta.App.DB, ws.ID)
		admin := addMember(t, ta, ws, policies.Admin)
		agent := addMember(t, ta, ws, policies.Agent)

		if _, err := tenants.ChangeRole(ctx, s, admin.ID, policies.Manager); !errors.Is(err, tenants.ErrLastAdmin) {
			t.Errorf("demoting the only admin: %v, want ErrLastAdmin", err)
		}
		if err := tenants.RemoveMember(ctx, s, admin.ID); !errors.Is(err, tenants.ErrLastAdmin) {
			t.Errorf("removing the only admin: %v, want ErrLastAdmin", err)
		}
		if m, err := tenants.ChangeRole(ctx, s, admin.ID, policies.Admin); err != nil || m.Role != policies.Admin {
			t.Errorf("admin → admin: %+v %v", m, err)
		}
		if _, err := tenants.ChangeRole(ctx, s, agent.ID, "owner"); err == nil {
			t.Error("ChangeRole to an unknown role succeeded")
		}
		// Another workspace's last admin does not count.
		other := newWorkspace(t, ta, "Other")
		addMember(t, ta, other, policies.Admin)
		if _, err := tenants.ChangeRole(ctx, s, admin.ID, policies.Viewer); !errors.Is(err, tenants.ErrLastAdmin) {
			t.Errorf("demoting the only admin while another workspace has one: %v", err)
		}

		m, err := tenants.ChangeRole(ctx, s, agent.ID, policies.Admin)
		if err != nil || m.Role != policies.Admin {
			t.Fatalf("promote agent: %+v %v", m, err)
		}
		if m, err := tenants.ChangeRole(ctx, s, admin.ID, policies.Manager); err != nil || m.Role != policies.Manager {
			t.Fatalf("demote the first admin with another admin left: %+v %v", m, err)
		}
		if err := tenants.RemoveMember(ctx, s, agent.ID); !errors.Is(err, tenants.ErrLastAdmin) {
			t.Errorf("removing the now only admin: %v, want ErrLastAdmin", err)
		}
		if err := tenants.RemoveMember(ctx, s, admin.ID); err != nil {
			t.Errorf("removing a manager: %v", err)
		}
		if err := tenants.RemoveMember(ctx, s, admin.ID); !errors.Is(err, tenants.ErrMemberNotFound) {
			t.Errorf("removing twice: %v, want ErrMemberNotFound", err)
		}
		var roles []policies.Role
		if err := s.Select((*tenants.Membership)(nil)).Column("role").Scan(ctx, &roles); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(roles, []policies.Role{policies.Admin}) {
			t.Errorf("roles left %v, want [admin]", roles)
		}
	})
}

// Two admins demoting each other at once must not leave the workspace without one.
func TestLastAdminConcurrent(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		for round := range 5 {
			ws := newWorkspace(t, ta, fmt.Sprintf("Race %d", round))
			s := tenants.Scope(ta.App.DB, ws.ID)
			a, b := addMember(t, ta, ws, policies.Admin), addMember(t, ta, ws, policies.Admin)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []string{a.ID, b.ID} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i == 0 {
						_, errs[i] = tenants.ChangeRole(ctx, s, id, policies.Agent)
					} else {
						errs[i] = tenants.RemoveMember(ctx, s, id)
					}
				}()
			}
			wg.Wait()
			n, err := s.Select((*tenants.Membership)(nil)).Where("m.role = ?", policies.Admin).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("round %d: %d admins left (errors %v), want 1", round, n, errs)
			}
			if errs[0] == nil == (errs[1] == nil) || !errors.Is(errors.Join(errs...), tenants.ErrLastAdmin) {
				t.Errorf("round %d: errors %v, want one success and one ErrLastAdmin", round, errs)
			}
		}
	})
}

func TestAcceptConcurrently(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		ws := newWorkspace(t, ta, "Acme")
		inviter := addMember(t, ta, ws, policies.Admin)
		s := tenants.Scope(ta.App.DB, ws.ID)
		user := ta.NewUser("invitee")
		inv, token, err := tenants.Invite(ctx, s, strings.ToUpper(user.Email), policies.Agent, inviter.UserID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Email != user.Email || inv.WorkspaceID != ws.ID || inv.Status(time.Now()) != "pending" {
			t.Fatalf("invitation %+v", inv)
		}

		const n = 10
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = ta.App.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					m, gotWS, err := tenants.Accept(ctx, tx, token, user.ID, user.Email)
					if err == nil && (m.Role != policies.Agent || gotWS.ID != ws.ID || m.WorkspaceID != ws.ID) {
						return fmt.Errorf("accepted into %+v as %+v", gotWS, m)
					}
					return err
				})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, tenants.ErrInvitationUsed):
			default:
				t.Errorf("accept %d: %v, want success or ErrInvitationUsed", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d accepts succeeded, want exactly 1", ok)
		}
		count, err := s.Select((*tenants.Membership)(nil)).Where("m.user_id = ?", user.ID).Count(ctx)
		if err != nil || count != 1 {
			t.Errorf("user has %d memberships (%v), want 1", count, err)
		}
		if _, _, err := tenants.PendingInvitation(ctx, ta.App.DB, token); !errors.Is(err, tenants.ErrInvitationUsed) {
			t.Errorf("PendingInvitation after accept: %v", err)
		}
	})
}

func TestAcceptRules(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		ws := newWorkspace(t, ta, "Acme")
		s := tenants.Scope(ta.App.DB, ws.ID)
		accept := func(token string, u auth.User) error {
			return ta.App.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				_, _, err := tenants.Accept(ctx, tx, token, u.ID, u.Email)
				return err
			})
		}
		invitee, stranger := ta.NewUser("invitee"), ta.NewUser("stranger")
		_, token, err := tenants.Invite(ctx, s, invitee.Email, policies.Viewer, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tenants.Invite(ctx, s, invitee.Email, policies.Agent, "", time.Hour); !errors.Is(err, tenants.ErrInvitationPending) {
			t.Errorf("second invitation to the same email: %v", err)
		}
		if err := accept(token, stranger); !errors.Is(err, tenants.ErrInvitationEmail) {
			t.Errorf("accept by another user: %v, want ErrInvitationEmail", err)
		}
		if err := accept("inv_nonsense", invitee); !errors.Is(err, tenants.ErrInvitationInvalid) {
			t.Errorf("unknown token: %v", err)
		}

		expired, expToken, err := tenants.Invite(ctx, s, "late@example.test", policies.Viewer, "", -time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if expired.Status(time.Now()) != "expired" {
			t.Errorf("status %q", expired.Status(time.Now()))
		}
		late := ta.NewUser("late")
		if err := accept(expToken, auth.User{ID: late.ID, Email: "late@example.test"}); !errors.Is(err, tenants.ErrInvitationExpired) {
			t.Errorf("expired token: %v", err)
		}

		revoked, revToken, err := tenants.Invite(ctx, s, stranger.Email, policies.Viewer, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tenants.Revoke(ctx, s, revoked.ID); err != nil {
			t.Fatal(err)
		}
		if err := accept(revToken, stranger); !errors.Is(err, tenants.ErrInvitationInvalid) {
			t.Errorf("revoked token: %v", err)
		}
		// Another workspace cannot revoke it.
		other := tenants.Scope(ta.App.DB, newWorkspace(t, ta, "Other").ID)
		if _, err := tenants.Revoke(ctx, other, revoked.ID); !errors.Is(err, tenants.ErrInvitationNotFound) {
			t.Errorf("revoke from another workspace: %v", err)
		}
		if err := accept(token, invitee); err != nil {
			t.Fatalf("accept: %v", err)
		}
		if _, _, err := tenants.Invite(ctx, s, invitee.Email, policies.Agent, "", time.Hour); !errors.Is(err, tenants.ErrAlreadyMember) {
			t.Errorf("inviting a member: %v, want ErrAlreadyMember", err)
		}
		if _, _, err := tenants.Invite(ctx, s, "not an email", policies.Agent, "", time.Hour); err == nil {
			t.Error("invitation to a bad email succeeded")
		}
	})
}

func TestResolve(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		ws := newWorkspace(t, ta, "Acme")
		m := addMember(t, ta, ws, policies.Manager)
		outsider := ta.NewUser("outsider")
		for _, ref := range []string{ws.Slug, ws.ID} {
			got, gm, err := tenants.Resolve(ctx, ta.App.DB, ref, m.UserID)
			if err != nil || got.ID != ws.ID || gm.ID != m.ID || gm.Role != policies.Manager || gm.WorkspaceID != ws.ID {
				t.Errorf("Resolve(%q) = %+v %+v %v", ref, got, gm, err)
			}
			if _, _, err := tenants.Resolve(ctx, ta.App.DB, ref, outsider.ID); !errors.Is(err, tenants.ErrWorkspaceNotFound) {
				t.Errorf("Resolve(%q) for a non-member: %v", ref, err)
			}
		}
	})
}
