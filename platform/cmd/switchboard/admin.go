package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/app"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

const adminUsage = `usage: switchboard admin <command> [flags]

  create-operator  --email E --name N [--password P]        a platform operator account
  create-workspace --name N --admin-email E [--slug S] [--plan CODE]
  reset-password   --email E [--password P]                 also signs the user out everywhere
  grant-role       --email E --workspace SLUG --role R      add or change a membership
  reseal-connections                                        after a key rotation: seal every
                                                            connection's credentials with the
                                                            current secret key

Without --password the password is read from SWITCHBOARD_ADMIN_PASSWORD or, failing
that, from the first line of standard input.
`

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return errors.New("admin: no command given")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	email := fs.String("email", "", "user's email")
	name := fs.String("name", "", "user's or workspace's name")
	password := fs.String("password", "", "password (prefer SWITCHBOARD_ADMIN_PASSWORD or stdin)")
	slug := fs.String("slug", "", "workspace slug")
	ws := fs.String("workspace", "", "workspace slug or id")
	role := fs.String("role", "", "admin, manager, agent or viewer")
	adminEmail := fs.String("admin-email", "", "email of the new workspace's admin (must exist)")
	plan := fs.String("plan", "", "plan code")
	cfg, _, err := load(fs, args[1:])
	if err != nil {
		return err
	}
	// Administration never uses Redis; an embedded one spares needing a server.
	cfg.RedisURL = ""
	log := newLogger(cfg, stderr)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	readPassword := func() string {
		if *password != "" {
			return *password
		}
		if p := os.Getenv("SWITCHBOARD_ADMIN_PASSWORD"); p != "" {
			return p
		}
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		return strings.TrimRight(line, "\r\n")
	}
	switch cmd {
	case "create-operator":
		u, err := a.Accounts.CreateUser(ctx, a.DB, auth.NewUser{Email: *email, Name: *name, Password: readPassword(), Operator: true})
		if errors.Is(err, auth.ErrEmailTaken) {
			existing, lerr := auth.UserByEmail(ctx, a.DB, *email)
			if lerr != nil {
				return lerr
			}
			if err := auth.SetOperator(ctx, a.DB, existing.ID, true); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s is now a platform operator\n", existing.Email)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created operator %s (%s)\n", u.Email, u.ID)
	case "create-workspace":
		owner, err := auth.UserByEmail(ctx, a.DB, *adminEmail)
		if err != nil {
			return fmt.Errorf("--admin-email: %w", err)
		}
		var w tenants.Workspace
		err = a.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if w, err = tenants.CreateWorkspace(ctx, tx, tenants.NewWorkspace{Name: *name, Slug: *slug, PlanCode: *plan}); err != nil {
				return err
			}
			_, err = tenants.AddMember(ctx, tenants.Scope(tx, w.ID), owner.ID, policies.Admin)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created workspace %s (%s) with admin %s\n", w.Slug, w.ID, owner.Email)
	case "reset-password":
		u, err := auth.UserByEmail(ctx, a.DB, *email)
		if err != nil {
			return err
		}
		if err := a.Accounts.SetPassword(ctx, u.ID, readPassword()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password reset for %s; all their sessions ended\n", u.Email)
	case "grant-role":
		u, err := auth.UserByEmail(ctx, a.DB, *email)
		if err != nil {
			return err
		}
		w, err := tenants.ByRef(ctx, a.DB, *ws)
		if err != nil {
			return err
		}
		r := policies.Role(*role)
		s := tenants.Scope(a.DB, w.ID)
		if _, err := tenants.AddMember(ctx, s, u.ID, r); errors.Is(err, tenants.ErrAlreadyMember) {
			m, err := tenants.MembershipOf(ctx, s, u.ID)
			if err != nil {
				return err
			}
			if _, err := tenants.ChangeRole(ctx, s, m.ID, r); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is %s in %s\n", u.Email, r, w.Slug)
	case "reseal-connections":
		total := 0
		after := ""
		for {
			var ids []string
			if err := a.DB.NewSelect().Model((*tenants.Workspace)(nil)).Column("id").Where("id > ?", after).
				Order("id").Limit(500).Scan(ctx, &ids); err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			for _, id := range ids {
				n, err := a.Connections.Reseal(ctx, tenants.Scope(a.DB, id))
				if err != nil {
					return err
				}
				total += n
			}
			after = ids[len(ids)-1]
		}
		fmt.Fprintf(stdout, "resealed %d connection(s) with key %s; the retired keys can now be removed\n", total, a.Box.CurrentKeyID())
	default:
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	return nil
}
