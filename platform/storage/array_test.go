package storage_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/platform/storage"
)

// unnestArray binds a as $1::text[] and returns its elements in array order, on a
// plain query and on a prepared statement (the way tenants.Prepared runs them).
func unnestArray(t *testing.T, db *sql.DB, a storage.TextArray) (plain, prepared []string) {
	t.Helper()
	const query = `SELECT e, n FROM unnest($1::text[]) WITH ORDINALITY AS u (e, n) ORDER BY n`
	ctx := context.Background()
	read := func(rows *sql.Rows, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		defer rows.Close()
		out := []string{}
		for rows.Next() {
			var e sql.NullString
			var n int64
			if err := rows.Scan(&e, &n); err != nil {
				t.Fatal(err)
			}
			if !e.Valid {
				t.Errorf("%q: element %d came back as SQL NULL", a, n)
			}
			if n != int64(len(out)+1) {
				t.Errorf("%q: ordinality %d at position %d", a, n, len(out)+1)
			}
			out = append(out, e.String)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain = read(db.QueryContext(ctx, query, a))
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	prepared = read(stmt.QueryContext(ctx, a))
	return plain, prepared
}

// TestTextArrayRoundTrip: every string bound through TextArray comes back from
// PostgreSQL exactly, in order, whatever characters it holds.
func TestTextArrayRoundTrip(t *testing.T) {
	t.Parallel()
	if os.Getenv(envPostgres) == "" {
		t.Skipf("%s is not set: TextArray is a PostgreSQL array; `make test` starts a PostgreSQL", envPostgres)
	}
	db := open(t, emptyDatabase(t, "postgres"))
	awkward := []string{
		"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"",
		`"quoted"`,
		`"`,
		`back\slash`,
		`\`,
		`\\`,
		`\"`,
		`ends with a backslash\`,
		"a,b,c",
		",",
		"{braces}",
		"{",
		"}",
		"{}",
		`{"a","b"}`,
		"NULL",
		"null",
		" NULL ",
		"  leading and trailing spaces  ",
		" ",
		"\t",
		"line one\nline two",
		"\n",
		"\r\n",
		"emoji 🚀📨 and a ZWJ 👩‍💻",
		"Café déjà vu, Ångström, Ελληνικά, 日本語",
		"'single' quotes",
		"$1 ? :name",
		"semi;colon -- comment /* c */",
	}
	cases := [][]string{
		{"01J0000000000000000000001", "01J0000000000000000000002", "01J0000000000000000000003"},
		{""},
		{"", ""},
		{"NULL"},
		{`\`},
		awkward,
		append(slices.Clone(awkward), awkward...), // duplicates keep their places
	}
	for _, c := range cases {
		plain, prepared := unnestArray(t, db.DB, storage.TextArray(c))
		if !slices.Equal(plain, c) {
			t.Errorf("round trip of %q\n got %q", c, plain)
		}
		if !slices.Equal(prepared, c) {
			t.Errorf("prepared round trip of %q\n got %q", c, prepared)
		}
	}
	for name, empty := range map[string]storage.TextArray{"nil": nil, "empty": {}} {
		plain, prepared := unnestArray(t, db.DB, empty)
		if len(plain) != 0 || len(prepared) != 0 {
			t.Errorf("%s array: %q, %q; want no rows", name, plain, prepared)
		}
		var n sql.NullInt64
		if err := db.DB.QueryRowContext(context.Background(), `SELECT cardinality($1::text[])`, empty).Scan(&n); err != nil || !n.Valid || n.Int64 != 0 {
			t.Errorf("%s array: cardinality %v, %v; want 0 (an empty array, not NULL)", name, n, err)
		}
	}

	// Cast on to another element type, as the batched status update does.
	var got []string
	rows, err := db.DB.QueryContext(context.Background(),
		`SELECT (x + 1)::text FROM unnest($1::text[]::int[]) WITH ORDINALITY AS u (x, n) ORDER BY n`, storage.TextArray{"1", "-5", "41"})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"2", "-4", "42"}; !slices.Equal(got, want) {
		t.Errorf("text[] cast to int[]: %q, want %q", got, want)
	}
}

// TestTextArrayValue: the literal itself, every element quoted and " and \ escaped.
func TestTextArrayValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   storage.TextArray
		want string
	}{
		{nil, `{}`},
		{storage.TextArray{}, `{}`},
		{storage.TextArray{""}, `{""}`},
		{storage.TextArray{"a", "b"}, `{"a","b"}`},
		{storage.TextArray{"NULL"}, `{"NULL"}`},
		{storage.TextArray{`say "hi"`, `C:\dir`}, `{"say \"hi\"","C:\\dir"}`},
		{storage.TextArray{"{x,y}"}, `{"{x,y}"}`},
	} {
		v, err := tt.in.Value()
		if err != nil || v != tt.want {
			t.Errorf("%q.Value() = %v, %v; want %s", []string(tt.in), v, err, tt.want)
		}
	}
}
