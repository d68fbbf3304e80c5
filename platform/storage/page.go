package storage

import (
	"encoding/base64"

	"github.com/uptrace/bun"
)

// Page asks for one page of a list ordered by id. Cursor is opaque to clients: the
// next_cursor of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// Page sizes: a list without a limit returns DefaultPageSize items; MaxPageSize caps
// what a client may ask for.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

func (p Page) size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// EncodeCursor makes an opaque cursor from the last id of a page.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// DecodeCursor reverses EncodeCursor; ok is false for a cursor this server did not make.
func DecodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", false
	}
	return string(b), true
}

// Apply orders q by column (ids are UUIDv7, so this is creation order), starts after
// the cursor and fetches one row more than the page so NextCursor can tell whether
// another page follows. The cursor must have been checked with DecodeCursor.
func (p Page) Apply(q *bun.SelectQuery, column string, newestFirst bool) *bun.SelectQuery {
	if after, ok := DecodeCursor(p.Cursor); ok {
		if newestFirst {
			q = q.Where("? < ?", bun.Ident(column), after)
		} else {
			q = q.Where("? > ?", bun.Ident(column), after)
		}
	}
	if newestFirst {
		q = q.OrderExpr("? DESC", bun.Ident(column))
	} else {
		q = q.OrderExpr("? ASC", bun.Ident(column))
	}
	return q.Limit(p.size() + 1)
}

// NextCursor trims the extra row Apply fetched and returns the cursor of the next page,
// or "" on the last page.
func NextCursor[T any](rows []T, p Page, id func(T) string) ([]T, string) {
	if len(rows) <= p.size() {
		return rows, ""
	}
	rows = rows[:p.size()]
	return rows, EncodeCursor(id(rows[len(rows)-1]))
}
