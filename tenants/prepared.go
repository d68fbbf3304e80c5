package tenants

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/storage"
)

// Prepared is a scope for the statements that run for every message sent (thousands a
// second). bun writes every value into the SQL text, so the database parses and plans
// each call anew; on PostgreSQL the send path's statements spent most of their time
// planning. A Prepared scope builds the same queries with parameters in place of
// values, the workspace always $1, and runs them as prepared statements kept for each
// connection of the pool, so each is planned once per connection.
//
// Select named columns (bun's model columns, or ?TableColumns), not "*": a statement
// kept prepared has a fixed result, and should a migration change a table under it
// anyway, the statement is prepared again on the error PostgreSQL then returns.
//
// The guarantee is Scoped's: Select and Update restrict to workspace_id = $1, Scan
// and Exec bind the scope's own workspace to $1 and refuse a statement that does not
// restrict by it, so a Prepared query cannot reach another workspace's rows either.
type Prepared struct{ s Scoped }

// Prepared returns the scope's builders for prepared statements.
func (s Scoped) Prepared() Prepared { return Prepared{s} }

// workspaceParam is the placeholder the workspace is bound to.
const workspaceParam = bun.Safe("$1")

// workspaceFilter is the restriction every Prepared statement must carry.
const workspaceFilter = `workspace_id = $1`

// Arg is the placeholder of the nth value: Scan and Exec bind their args to $2, $3, …
// in order ($1 is the workspace).
func Arg(n int) bun.Safe {
	if n < 2 {
		panic("tenants: Arg(" + strconv.Itoa(n) + "): $1 is the workspace, values start at $2")
	}
	return bun.Safe("$" + strconv.Itoa(n))
}

// Workspace is the placeholder of the workspace, for a statement that writes it (the
// INSERT of a row that belongs to the scope's workspace).
func (Prepared) Workspace() bun.Safe { return workspaceParam }

// DB is the handle the statements run on.
func (p Prepared) DB() bun.IDB { return p.s.db }

// Select starts a SELECT on model restricted to the workspace parameter.
func (p Prepared) Select(model any) *bun.SelectQuery {
	return p.s.db.NewSelect().Model(model).Where("?TableAlias.workspace_id = ?", workspaceParam)
}

// Update starts an UPDATE on model restricted to the workspace parameter.
func (p Prepared) Update(model any) *bun.UpdateQuery {
	return p.s.db.NewUpdate().Model(model).Where("?TableAlias.workspace_id = ?", workspaceParam)
}

// statement is a query built from a Prepared scope.
type statement interface {
	String() string
	GetModel() bun.Model
}

// Scan runs q with args and scans the rows into q's model. Like bun's Scan, a query
// for one struct that finds no row returns sql.ErrNoRows.
func (p Prepared) Scan(ctx context.Context, q statement, args ...any) error {
	return p.scan(ctx, q.String(), q.GetModel(), args)
}

func (p Prepared) scan(ctx context.Context, query string, model bun.Model, args []any) error {
	if model == nil {
		return fmt.Errorf("tenants: prepared scan without a model")
	}
	return p.run(ctx, query, func(stmt *sql.Stmt) error {
		rows, err := stmt.QueryContext(ctx, p.bind(args)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		n, err := model.ScanRows(ctx, rows)
		if err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 && isStructModel(model) {
			return sql.ErrNoRows
		}
		return nil
	})
}

// Each is the placeholder of the current id in a ScanEach query.
const Each = bun.Safe("each.id")

// ScanEach runs q for every id of ids in one statement and scans all the rows into
// q's model (a slice). q is written for one id, Each in its place, and ends with
// Limit(1): Where("m.id = ?", tenants.Each).Limit(1). It runs as a LATERAL subquery
// over the ids (bound to $2 as one array; q's own values start at $3), so every id is
// looked up with its own probe of the primary key. Written as "id = ANY($2)" instead,
// a generic plan that believed the workspace small read the whole workspace once for
// every id (a campaign's workspace is exactly the one that is not small).
// PostgreSQL only.
func (p Prepared) ScanEach(ctx context.Context, q statement, ids []string, args ...any) error {
	text := "SELECT each_row.* FROM unnest($2::text[]) AS each (id) CROSS JOIN LATERAL (" + q.String() + ") AS each_row"
	return p.scan(ctx, text, q.GetModel(), append([]any{storage.TextArray(ids)}, args...))
}

// Text is a statement of text already built (by a Prepared builder, once, and
// kept) whose rows scan into model: the statements of the send path are the same
// every time, and building one again with bun on every call cost as much as running it.
func (p Prepared) Text(text string, model any) statement {
	return builtStatement{text, p.s.db.NewSelect().Model(model).GetModel()}
}

// Kept keeps a statement's text, built the first time it is asked for on each
// dialect. The zero value is ready; declare one per statement, at package level.
type Kept struct{ texts sync.Map }

// Text returns the statement's text for p's dialect, from build the first time.
func (k *Kept) Text(p Prepared, build func(Prepared) string) string {
	dialect := p.s.db.Dialect().Name()
	if t, ok := k.texts.Load(dialect); ok {
		return t.(string)
	}
	t := build(p)
	k.texts.Store(dialect, t)
	return t
}

type builtStatement struct {
	text  string
	model bun.Model
}

func (b builtStatement) String() string      { return b.text }
func (b builtStatement) GetModel() bun.Model { return b.model }

// ScanInto runs q with args and scans the rows into dest, for a raw statement, which
// has no model of its own.
func (p Prepared) ScanInto(ctx context.Context, q statement, dest any, args ...any) error {
	return p.scan(ctx, q.String(), p.s.db.NewSelect().Model(dest).GetModel(), args)
}

// Exec runs q with args.
func (p Prepared) Exec(ctx context.Context, q statement, args ...any) (sql.Result, error) {
	var res sql.Result
	err := p.run(ctx, q.String(), func(stmt *sql.Stmt) (err error) {
		res, err = stmt.ExecContext(ctx, p.bind(args)...)
		return err
	})
	return res, err
}

// run calls fn with query prepared, and once more with it prepared again when
// PostgreSQL refuses the cached plan (a table it reads changed since).
func (p Prepared) run(ctx context.Context, query string, fn func(*sql.Stmt) error) error {
	stmt, done, err := p.statement(ctx, query)
	if err != nil {
		return err
	}
	defer done()
	err = fn(stmt)
	if !storage.IsStalePlan(err) {
		return err
	}
	if stmt, err = p.reprepare(ctx, query); err != nil {
		return err
	}
	return fn(stmt)
}

// reprepare replaces the pool's statement for query after a stale-plan error. In a
// transaction the error has aborted it, so there is nothing to retry: it is returned.
func (p Prepared) reprepare(ctx context.Context, query string) (*sql.Stmt, error) {
	db, ok := p.s.db.(*bun.DB)
	if !ok {
		return nil, fmt.Errorf("tenants: prepared statement went stale in a transaction: %s", query)
	}
	statements.forget(db.DB, query)
	return statements.get(ctx, db.DB, query)
}

func (p Prepared) bind(args []any) []any {
	return append([]any{p.s.workspaceID}, args...)
}

// statement returns query prepared for the scope's handle and a func to call when it
// is no longer needed. On a *bun.DB the statement is kept for the pool; in a
// transaction it is prepared for that call.
func (p Prepared) statement(ctx context.Context, query string) (*sql.Stmt, func(), error) {
	if !strings.Contains(query, workspaceFilter) {
		return nil, nil, fmt.Errorf("tenants: prepared statement does not restrict to the workspace: %s", query)
	}
	switch h := p.s.db.(type) {
	case *bun.DB:
		stmt, err := statements.get(ctx, h.DB, query)
		return stmt, func() {}, err
	case bun.Tx:
		stmt, err := h.Tx.PrepareContext(ctx, query)
		if err != nil {
			return nil, nil, err
		}
		return stmt, func() { stmt.Close() }, nil
	default:
		return nil, nil, fmt.Errorf("tenants: prepared statements need a *bun.DB or a bun.Tx, not %T", h)
	}
}

// maxStatements bounds the statements kept per pool. The prepared queries are a
// fixed handful of texts; a query whose values leaked into its text would grow the
// cache with every call, and is refused instead.
const maxStatements = 64

// statementCache holds the prepared statements of each pool. database/sql prepares a
// statement on each connection the first time it runs there and again after a
// connection is replaced.
type statementCache struct {
	mu    sync.RWMutex
	pools map[*sql.DB]map[string]*sql.Stmt
}

var statements = statementCache{pools: map[*sql.DB]map[string]*sql.Stmt{}}

// get returns the pool's statement for query, preparing it on first use. Every send
// looks its statements up here, so the lookup takes only the read lock, and the
// round trip that prepares a new one happens outside the lock.
func (c *statementCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	stmt, ok := c.pools[db][query]
	n := len(c.pools[db])
	c.mu.RUnlock()
	if ok {
		return stmt, nil
	}
	if n >= maxStatements {
		return nil, fmt.Errorf("tenants: more than %d prepared statements; values must be parameters, not text: %s", maxStatements, query)
	}
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.pools[db][query]; ok {
		stmt.Close() // prepared at the same time by another caller
		return kept, nil
	}
	if c.pools[db] == nil {
		c.pools[db] = map[string]*sql.Stmt{}
	}
	c.pools[db][query] = stmt
	return stmt, nil
}

func (c *statementCache) forget(db *sql.DB, query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stmt, ok := c.pools[db][query]; ok {
		stmt.Close()
		delete(c.pools[db], query)
	}
}

// Forget drops the statements kept for db; call it when db is closed.
func Forget(db *bun.DB) {
	statements.mu.Lock()
	defer statements.mu.Unlock()
	for _, stmt := range statements.pools[db.DB] {
		stmt.Close()
	}
	delete(statements.pools, db.DB)
}

func isStructModel(m bun.Model) bool {
	v := reflect.ValueOf(m.Value())
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v.Kind() == reflect.Struct
}
