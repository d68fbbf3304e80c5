package tenants

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
)

// Owned is embedded by every tenant-owned model. Scoped.Insert sets it, so a row can
// only be written into the workspace the query was scoped to.
type Owned struct {
	WorkspaceID string `bun:"workspace_id,notnull" json:"-"`
}

func (o *Owned) setWorkspace(id string) { o.WorkspaceID = id }

// OwnedModel is a model with a workspace_id column.
type OwnedModel interface{ setWorkspace(string) }

// Scoped builds queries on tenant-owned tables that are always restricted to one
// workspace. It is the only way the code reads or writes tenant-owned rows.
type Scoped struct {
	db          bun.IDB
	workspaceID string
}

// Scope returns the query builder for workspaceID on db (a *bun.DB or a bun.Tx).
func Scope(db bun.IDB, workspaceID string) Scoped {
	if workspaceID == "" {
		// An empty id would match nothing and hide a wiring bug; fail loudly instead.
		panic("tenants: Scope with an empty workspace id")
	}
	return Scoped{db: db, workspaceID: workspaceID}
}

// ScopeFromContext scopes to the workspace the request resolved.
func ScopeFromContext(ctx context.Context, db bun.IDB) (Scoped, error) {
	ws, ok := FromContext(ctx)
	if !ok {
		return Scoped{}, fmt.Errorf("tenants: no workspace in context")
	}
	return Scope(db, ws.ID), nil
}

// WorkspaceID is the workspace the queries are scoped to.
func (s Scoped) WorkspaceID() string { return s.workspaceID }

// DB is the handle the scope runs on.
func (s Scoped) DB() bun.IDB { return s.db }

// With returns the same scope on another handle (typically a transaction).
func (s Scoped) With(db bun.IDB) Scoped { return Scoped{db: db, workspaceID: s.workspaceID} }

// Select starts a SELECT on model restricted to the workspace.
func (s Scoped) Select(model any) *bun.SelectQuery {
	return s.db.NewSelect().Model(model).Where("?TableAlias.workspace_id = ?", s.workspaceID)
}

// Update starts an UPDATE on model restricted to the workspace.
func (s Scoped) Update(model any) *bun.UpdateQuery {
	return s.db.NewUpdate().Model(model).Where("?TableAlias.workspace_id = ?", s.workspaceID)
}

// Delete starts a DELETE on model restricted to the workspace.
func (s Scoped) Delete(model any) *bun.DeleteQuery {
	return s.db.NewDelete().Model(model).Where("?TableAlias.workspace_id = ?", s.workspaceID)
}

// Insert starts an INSERT of model after stamping it with the workspace.
func (s Scoped) Insert(model OwnedModel) *bun.InsertQuery {
	model.setWorkspace(s.workspaceID)
	return s.db.NewInsert().Model(model)
}

// InsertAll starts one INSERT of rows after stamping each with the workspace.
func InsertAll[M any, P interface {
	*M
	OwnedModel
}](s Scoped, rows []M) *bun.InsertQuery {
	for i := range rows {
		P(&rows[i]).setWorkspace(s.workspaceID)
	}
	return s.db.NewInsert().Model(&rows)
}

// Get loads the row with id into model, or returns a NotFound failure when no such row
// exists in this workspace (whether or not it exists in another).
//
// It is the most frequent read, so on a pool it runs prepared (see Prepared); inside
// a transaction a statement would be prepared for one use, which costs more than it
// saves, so there it runs as a plain query.
func (s Scoped) Get(ctx context.Context, model any, id string, notFound *failure.Error) error {
	var err error
	if _, pooled := s.db.(*bun.DB); pooled {
		p := s.Prepared()
		err = p.Scan(ctx, p.Select(model).Where("?TableAlias.id = ?", Arg(2)).Limit(1), id)
	} else {
		err = s.Select(model).Where("?TableAlias.id = ?", id).Limit(1).Scan(ctx)
	}
	if storage.IsNotFound(err) {
		return notFound
	}
	return err
}
