package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// TokenPrefix starts every API token, so leaked tokens are easy to recognise.
const TokenPrefix = "sbt_"

// Errors about API tokens.
var (
	ErrTokenInvalid  = failure.New(failure.Unauthenticated, "invalid_token", "the API token is invalid, expired or revoked")
	ErrTokenNotFound = failure.New(failure.NotFound, "token_not_found", "API token not found")
)

// APIToken lets a program act in one workspace with one role. Only its hash is kept;
// the token is shown once, when created.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:t"`
	tenants.Owned

	ID         string        `bun:"id,pk" json:"id"`
	Name       string        `bun:"name,notnull" json:"name"`
	Role       policies.Role `bun:"role,notnull" json:"role"`
	TokenHash  string        `bun:"token_hash,notnull" json:"-"`
	Prefix     string        `bun:"prefix,notnull" json:"prefix"`
	CreatedBy  *string       `bun:"created_by" json:"created_by"`
	CreatedAt  time.Time     `bun:"created_at,notnull" json:"created_at"`
	LastUsedAt *time.Time    `bun:"last_used_at" json:"last_used_at"`
	ExpiresAt  *time.Time    `bun:"expires_at" json:"expires_at"`
	RevokedAt  *time.Time    `bun:"revoked_at" json:"revoked_at"`
}

// CreateToken issues a token in the scoped workspace. The role may not exceed the
// creator's own.
func CreateToken(ctx context.Context, s tenants.Scoped, name string, role policies.Role, creator tenants.Membership, ttl time.Duration) (APIToken, string, error) {
	fields := failure.Fields{}
	name = strings.TrimSpace(name)
	fields.Check(name == "", "name", "is required")
	fields.Check(len(name) > 100, "name", "must be at most 100 characters")
	fields.Check(!role.Valid(), "role", "must be admin, manager, agent or viewer")
	fields.Check(role.Valid() && !creator.Role.AtLeast(role), "role", "cannot exceed your own role")
	fields.Check(ttl < 0, "expires_in_days", "must not be negative")
	if err := fields.Err(); err != nil {
		return APIToken{}, "", err
	}
	secret := tenants.NewToken(TokenPrefix)
	now := time.Now().UTC()
	t := APIToken{ID: storage.NewID(), Name: name, Role: role, TokenHash: tenants.HashToken(secret), Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	if creator.UserID != "" {
		t.CreatedBy = &creator.UserID
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if _, err := s.Insert(&t).Exec(ctx); err != nil {
		return APIToken{}, "", fmt.Errorf("auth: create token: %w", err)
	}
	return t, secret, nil
}

// Tokens lists the workspace's tokens, newest first.
func Tokens(ctx context.Context, s tenants.Scoped, page storage.Page) ([]APIToken, string, error) {
	var rows []APIToken
	if err := page.Apply(s.Select(&rows), "t.id", true).Scan(ctx); err != nil {
		return nil, "", err
	}
	rows, next := storage.NextCursor(rows, page, func(t APIToken) string { return t.ID })
	return rows, next, nil
}

// RevokeToken stops a token from working.
func RevokeToken(ctx context.Context, s tenants.Scoped, id string) (APIToken, error) {
	var t APIToken
	if err := s.Get(ctx, &t, id, ErrTokenNotFound); err != nil {
		return t, err
	}
	if t.RevokedAt == nil {
		now := time.Now().UTC()
		t.RevokedAt = &now
		if _, err := s.Update(&t).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return t, err
		}
	}
	return t, nil
}

// TokenByValue finds the live token for a bearer value and records its use.
func (a *Accounts) TokenByValue(ctx context.Context, value string) (APIToken, error) {
	if !strings.HasPrefix(value, TokenPrefix) {
		return APIToken{}, ErrTokenInvalid
	}
	var t APIToken
	// Looked up by hash across workspaces: the token names its workspace itself.
	err := a.db.NewSelect().Model(&t).Where("token_hash = ?", tenants.HashToken(value)).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return t, ErrTokenInvalid
	}
	if err != nil {
		return t, err
	}
	now := time.Now().UTC()
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return APIToken{}, ErrTokenInvalid
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > touchEvery {
		t.LastUsedAt = &now
		if _, err := tenants.Scope(a.db, t.WorkspaceID).Update(&t).Column("last_used_at").WherePK().Exec(ctx); err != nil {
			return t, err
		}
	}
	return t, nil
}
