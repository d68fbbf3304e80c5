package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`CREATE TABLE plans (
				id TEXT PRIMARY KEY,
				code TEXT NOT NULL UNIQUE,
				name TEXT NOT NULL,
				features {json} NOT NULL,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE TABLE workspaces (
				id TEXT PRIMARY KEY,
				slug TEXT NOT NULL UNIQUE,
				name TEXT NOT NULL,
				time_zone TEXT NOT NULL,
				plan_id TEXT NOT NULL REFERENCES plans(id),
				whatsapp_engine TEXT,
				suspended_at {ts},
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE TABLE users (
				id TEXT PRIMARY KEY,
				email TEXT NOT NULL UNIQUE,
				name TEXT NOT NULL,
				password_hash TEXT NOT NULL,
				is_operator {bool} NOT NULL DEFAULT FALSE,
				password_changed_at {ts} NOT NULL,
				created_at {ts} NOT NULL
			)`,
			`CREATE TABLE memberships (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				role TEXT NOT NULL,
				created_at {ts} NOT NULL,
				UNIQUE (workspace_id, user_id)
			)`,
			`CREATE INDEX memberships_user_idx ON memberships (user_id)`,
			`CREATE TABLE invitations (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				email TEXT NOT NULL,
				role TEXT NOT NULL,
				token_hash TEXT NOT NULL UNIQUE,
				invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,
				expires_at {ts} NOT NULL,
				accepted_at {ts},
				revoked_at {ts},
				created_at {ts} NOT NULL
			)`,
			`CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, id)`,
			`CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				token_hash TEXT NOT NULL UNIQUE,
				csrf_token TEXT NOT NULL,
				ip TEXT NOT NULL DEFAULT '',
				user_agent TEXT NOT NULL DEFAULT '',
				created_at {ts} NOT NULL,
				last_seen_at {ts} NOT NULL,
				expires_at {ts} NOT NULL
			)`,
			`CREATE INDEX sessions_user_idx ON sessions (user_id)`,
			`CREATE TABLE api_tokens (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				role TEXT NOT NULL,
				token_hash TEXT NOT NULL UNIQUE,
				prefix TEXT NOT NULL,
				created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
				created_at {ts} NOT NULL,
				last_used_at {ts},
				expires_at {ts},
				revoked_at {ts}
			)`,
			`CREATE INDEX api_tokens_workspace_idx ON api_tokens (workspace_id, id)`,
			`CREATE TABLE role_overrides (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				role TEXT NOT NULL,
				permission TEXT NOT NULL,
				effect TEXT NOT NULL,
				created_at {ts} NOT NULL,
				UNIQUE (workspace_id, role, permission)
			)`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`DROP TABLE role_overrides`, `DROP TABLE api_tokens`, `DROP TABLE sessions`,
			`DROP TABLE invitations`, `DROP TABLE memberships`, `DROP TABLE users`,
			`DROP TABLE workspaces`, `DROP TABLE plans`)
	})
}
