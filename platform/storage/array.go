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
	// Sized once: the send path binds a few of these to every batch it writes.
	n := 2
	for _, s := range a {
		n += len(s) + 3
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		if !strings.ContainsAny(s, `"\`) {
			b.WriteString(s)
		} else {
			// Byte by byte: neither byte to escape occurs inside a UTF-8 sequence.
			for j := range len(s) {
				if s[j] == '"' || s[j] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(s[j])
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
