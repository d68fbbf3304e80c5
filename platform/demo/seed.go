// Package demo seeds the demo workspace that `switchboard serve --demo` shows a
// newcomer: workspace "demo" with one user per role.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// WorkspaceSlug is the demo workspace's address.
const WorkspaceSlug = "demo"

// Users are the demo accounts, one per role.
var Users = []struct {
	Email string
	Name  string
	Role  policies.Role
}{
	{"admin@demo.local", "Ada Admin", policies.Admin},
	{"manager@demo.local", "Max Manager", policies.Manager},
	{"agent@demo.local", "Alex Agent", policies.Agent},
	{"viewer@demo.local", "Vic Viewer", policies.Viewer},
}

// Result says what Seed did.
type Result struct {
	Workspace tenants.Workspace
	// Password is the demo users' password when Seed set it (created the users, or
	// was given one), "" when existing users kept theirs.
	Password string
}

// Seed creates the demo workspace and users if missing. With a password, every demo
// user gets it; without, new users get a generated one (returned, to print once) and
// existing users keep theirs.
func Seed(ctx context.Context, db *bun.DB, accounts *auth.Accounts, password string) (Result, error) {
	var res Result
	generated := ""
	if password == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return res, err
		}
		generated = base64.RawURLEncoding.EncodeToString(b)
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ws, err := tenants.ByRef(ctx, tx, WorkspaceSlug)
		if errors.Is(err, tenants.ErrWorkspaceNotFound) {
			ws, err = tenants.CreateWorkspace(ctx, tx, tenants.NewWorkspace{Name: "Demo Company", Slug: WorkspaceSlug, PlanCode: "business"})
		}
		if err != nil {
			return fmt.Errorf("demo: workspace: %w", err)
		}
		res.Workspace = ws
		s := tenants.Scope(tx, ws.ID)
		for _, du := range Users {
			u, err := auth.UserByEmail(ctx, tx, du.Email)
			switch {
			case errors.Is(err, auth.ErrUserNotFound):
				pw := password
				if pw == "" {
					pw = generated
				}
				if u, err = accounts.CreateUser(ctx, tx, auth.NewUser{Email: du.Email, Name: du.Name, Password: pw}); err != nil {
					return fmt.Errorf("demo: user %s: %w", du.Email, err)
				}
				res.Password = pw
			case err != nil:
				return err
			case password != "":
				if err := accounts.SetPasswordTx(ctx, tx, u.ID, password); err != nil {
					return fmt.Errorf("demo: password %s: %w", du.Email, err)
				}
				res.Password = password
			}
			// Checked first: on PostgreSQL a failed insert would abort the transaction.
			member, err := s.Select((*tenants.Membership)(nil)).Where("m.user_id = ?", u.ID).Exists(ctx)
			if err != nil {
				return err
			}
			if !member {
				if _, err := tenants.AddMember(ctx, s, u.ID, du.Role); err != nil {
					return err
				}
			}
		}
		if err := seedCanned(ctx, s); err != nil {
			return err
		}
		return seedInboxRules(ctx, s)
	})
	return res, err
}

// SLA and AutoClose are the demo workspace's Team Inbox targets and closing rules,
// so its tickets show their clocks.
var (
	SLA       = messaging.SLAPolicy{FirstResponseMinutes: 15, NextResponseMinutes: 30, ResolutionMinutes: 8 * 60}
	AutoClose = messaging.AutoClose{ResolveAfterMinutes: 24 * 60}
)

// seedInboxRules gives a workspace that never set its SLA policy or auto-close rules
// the demo's; rules someone set are left as they are.
func seedInboxRules(ctx context.Context, s tenants.Scoped) error {
	if p, err := messaging.SLA(ctx, s); err != nil {
		return err
	} else if p.UpdatedAt.IsZero() {
		if _, err := messaging.SetSLA(ctx, s, SLA); err != nil {
			return fmt.Errorf("demo: SLA policy: %w", err)
		}
	}
	if r, err := messaging.AutoCloseRules(ctx, s); err != nil {
		return err
	} else if r.UpdatedAt.IsZero() {
		if _, err := messaging.SetAutoClose(ctx, s, AutoClose); err != nil {
			return fmt.Errorf("demo: auto-close rules: %w", err)
		}
	}
	return nil
}

// Canned are the demo workspace's canned responses, for agents to try "/" with.
var Canned = []struct{ Shortcut, Title, Category, Body string }{
	{"hello", "Greeting", "Opening", "Hi {{first_name}}, thanks for writing to us! I'm {{agent_name}}; how can I help?"},
	{"hours", "Opening hours", "Info", "We're here Monday to Friday, 9:00 to 17:00. Outside those hours we answer the next morning."},
	{"thanks", "Closing", "Closing", "Thank you, {{first_name}}! Is there anything else I can do for you?"},
}

// seedCanned gives a workspace without canned responses the demo ones; one that has
// some keeps them as they are.
func seedCanned(ctx context.Context, s tenants.Scoped) error {
	if has, err := s.Select((*messaging.CannedResponse)(nil)).Exists(ctx); err != nil || has {
		return err
	}
	for _, c := range Canned {
		if _, err := messaging.CreateCanned(ctx, s, messaging.CannedDraft{Shortcut: &c.Shortcut, Title: &c.Title, Category: &c.Category, Body: &c.Body}, ""); err != nil {
			return fmt.Errorf("demo: canned response %s: %w", c.Shortcut, err)
		}
	}
	return nil
}
