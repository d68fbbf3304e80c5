package storage

import (
	"database/sql/driver"
	"strings"
)

// TextArray binds a list of strings as one PostgreSQL array parameter: written
// `$2::text[]` (or cast on to the element type, `$2::timestamptz[]`), a statement over
// a set of rows keeps one text, and one prepared plan, whatever the set's size.
type TextArray []string

// Value is the array's text form, every element quoted.
func (a TextArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
