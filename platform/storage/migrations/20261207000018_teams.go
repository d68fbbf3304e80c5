package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			// The Team Inbox's teams (see messaging.Team): each its own queue.
			`CREATE TABLE teams (
				id TEXT PRIMARY KEY,
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				created_at {ts} NOT NULL,
				updated_at {ts} NOT NULL
			)`,
			`CREATE UNIQUE INDEX teams_name_idx ON teams (workspace_id, LOWER(name))`,
			// Who works a team's queue.
			`CREATE TABLE team_members (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				PRIMARY KEY (team_id, user_id)
			)`,
			`CREATE INDEX team_members_user_idx ON team_members (workspace_id, user_id)`,
			// Which team a connection's new customers go to: one team a connection.
			`CREATE TABLE team_connections (
				workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
				team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
				connection_id TEXT NOT NULL PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE
			)`,
			`CREATE INDEX team_connections_team_idx ON team_connections (team_id)`,
			// A ticket's team: NULL is the workspace's general queue.
			`ALTER TABLE conversations ADD COLUMN team_id TEXT REFERENCES teams(id) ON DELETE SET NULL`,
			`CREATE INDEX conversations_team_idx ON conversations (workspace_id, team_id) WHERE team_id IS NOT NULL`,
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return exec(ctx, db,
			`DROP INDEX conversations_team_idx`,
			`ALTER TABLE conversations DROP COLUMN team_id`,
			`DROP TABLE team_connections`,
			`DROP TABLE team_members`,
			`DROP TABLE teams`,
		)
	})
}
