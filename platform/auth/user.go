// Package auth signs people in: user accounts and passwords, browser sessions with
// CSRF protection, workspace API tokens, sign-in throttling and the platform operator.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Errors about accounts.
var (
	ErrInvalidCredentials = failure.New(failure.Unauthenticated, "invalid_credentials", "email or password is incorrect")
	ErrEmailTaken         = failure.New(failure.Conflict, "email_taken", "an account with this email already exists").WithField("email", "is already registered")
	ErrUserNotFound       = failure.New(failure.NotFound, "user_not_found", "user not found")
	ErrWrongPassword      = failure.Field("current_password", "is incorrect")
)

// User is a person who signs in. Users are platform-wide; their roles live in
// memberships, one per workspace.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID                string    `bun:"id,pk" json:"id"`
	Email             string    `bun:"email,notnull" json:"email"`
	Name              string    `bun:"name,notnull" json:"name"`
	PasswordHash      string    `bun:"password_hash,notnull" json:"-"`
	IsOperator        bool      `bun:"is_operator,notnull" json:"is_operator"`
	PasswordChangedAt time.Time `bun:"password_changed_at,notnull" json:"-"`
	CreatedAt         time.Time `bun:"created_at,notnull" json:"created_at"`
}

// DisplayName is how the team sees the user: their name, else their email.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// NewUser is an account to create.
type NewUser struct {
	Email    string
	Name     string
	Password string
	Operator bool
}

// validate checks a new account's fields without touching the database.
func (a *Accounts) validate(in NewUser) (email, name string, fields failure.Fields) {
	fields = failure.Fields{}
	email, ok := tenants.NormalizeEmail(in.Email)
	fields.Check(in.Email == "", "email", "is required")
	fields.Check(!ok, "email", "is not a valid email address")
	name = strings.TrimSpace(in.Name)
	fields.Check(name == "", "name", "is required")
	fields.Check(len(name) > 100, "name", "must be at most 100 characters")
	if why := a.hasher.CheckStrength(in.Password, email); why != "" {
		fields.Add("password", why)
	}
	return email, name, fields
}

// CreateUser validates and inserts an account. Field names in errors match the
// signup request.
func (a *Accounts) CreateUser(ctx context.Context, db bun.IDB, in NewUser) (User, error) {
	email, name, fields := a.validate(in)
	if err := fields.Err(); err != nil {
		return User{}, err
	}
	hash, err := a.hasher.Hash(in.Password)
	if err != nil {
		return User{}, err
	}
	now := time.Now().UTC()
	u := User{ID: storage.NewID(), Email: email, Name: name, PasswordHash: hash, IsOperator: in.Operator, PasswordChangedAt: now, CreatedAt: now}
	if _, err := db.NewInsert().Model(&u).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return User{}, ErrEmailTaken
		}
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	return u, nil
}

// UserByEmail loads an account by email.
func UserByEmail(ctx context.Context, db bun.IDB, email string) (User, error) {
	email, _ = tenants.NormalizeEmail(email)
	var u User
	err := db.NewSelect().Model(&u).Where("email = ?", email).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return u, ErrUserNotFound
	}
	return u, err
}

// UserByID loads an account by id.
func UserByID(ctx context.Context, db bun.IDB, id string) (User, error) {
	var u User
	err := db.NewSelect().Model(&u).Where("id = ?", id).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return u, ErrUserNotFound
	}
	return u, err
}

// Signup is what a new customer fills in.
type Signup struct {
	Email         string
	Password      string
	Name          string
	WorkspaceName string
}

// SignUp creates the user, their workspace and their admin membership in one
// transaction: either all three exist afterwards or none does.
func (a *Accounts) SignUp(ctx context.Context, in Signup) (User, tenants.Workspace, error) {
	var u User
	var ws tenants.Workspace
	_, _, fields := a.validate(NewUser{Email: in.Email, Name: in.Name, Password: in.Password})
	wsName := strings.TrimSpace(in.WorkspaceName)
	fields.Check(wsName == "", "workspace_name", "is required")
	fields.Check(len(wsName) > 100, "workspace_name", "must be at most 100 characters")
	if err := fields.Err(); err != nil {
		return u, ws, err
	}
	// The slug is derived from the name; two signups with the same name at once can
	// pick the same one, and the loser simply tries again with the next free slug.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if u, err = a.CreateUser(ctx, tx, NewUser{Email: in.Email, Name: in.Name, Password: in.Password}); err != nil {
				return err
			}
			if ws, err = tenants.CreateWorkspace(ctx, tx, tenants.NewWorkspace{Name: wsName}); err != nil {
				return err
			}
			_, err = tenants.AddMember(ctx, tenants.Scope(tx, ws.ID), u.ID, policies.Admin)
			return err
		})
		if !errors.Is(err, tenants.ErrSlugTaken) {
			break
		}
	}
	return u, ws, err
}

// SetPassword changes a user's password and signs them out everywhere: every
// session of theirs is deleted in the same transaction.
func (a *Accounts) SetPassword(ctx context.Context, userID, password string) error {
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return a.SetPasswordTx(ctx, tx, userID, password)
	})
}

// SetPasswordTx is SetPassword inside the caller's transaction.
func (a *Accounts) SetPasswordTx(ctx context.Context, tx bun.Tx, userID, password string) error {
	u, err := UserByID(ctx, tx, userID)
	if err != nil {
		return err
	}
	if why := a.hasher.CheckStrength(password, u.Email); why != "" {
		return failure.Field("password", why)
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*User)(nil)).
		Set("password_hash = ?", hash).Set("password_changed_at = ?", time.Now().UTC()).
		Where("id = ?", userID).Exec(ctx); err != nil {
		return err
	}
	_, err = tx.NewDelete().Model((*Session)(nil)).Where("user_id = ?", userID).Exec(ctx)
	return err
}

// ChangePassword checks the current password, then sets the new one.
func (a *Accounts) ChangePassword(ctx context.Context, userID, current, next string) error {
	// Someone holding a stolen session must not get unlimited guesses at the current
	// password: wrong answers count like failed sign-ins of the account.
	key := ThrottleKey{Name: "password:account:" + userID, Limit: a.cfg.LoginUserLimit}
	if wait, err := a.throttle.Blocked(ctx, key); err != nil {
		return err
	} else if wait > 0 {
		return ErrThrottled{RetryAfter: wait}
	}
	u, err := UserByID(ctx, a.db, userID)
	if err != nil {
		return err
	}
	if !a.hasher.Verify(u.PasswordHash, current) {
		if err := a.throttle.Fail(ctx, key); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	if err := a.throttle.Reset(ctx, key); err != nil {
		return err
	}
	return a.SetPassword(ctx, userID, next)
}

// SetOperator grants or removes platform-operator rights.
func SetOperator(ctx context.Context, db bun.IDB, userID string, on bool) error {
	_, err := db.NewUpdate().Model((*User)(nil)).Set("is_operator = ?", on).Where("id = ?", userID).Exec(ctx)
	return err
}
