package storage

import (
	"net/url"
	"testing"
)

func TestWithGenericPlans(t *testing.T) {
	t.Parallel()
	tests := []struct{ dsn, want string }{
		{"postgres://u:p@db:5432/sb?sslmode=disable", "force_generic_plan"},
		{"postgres://u:p@db:5432/sb?sslmode=disable&plan_cache_mode=auto", "auto"},
		{"postgresql://db/sb", "force_generic_plan"},
	}
	for _, tt := range tests {
		u, err := url.Parse(withGenericPlans(tt.dsn))
		if err != nil {
			t.Fatalf("%s: %v", tt.dsn, err)
		}
		if got := u.Query().Get("plan_cache_mode"); got != tt.want {
			t.Errorf("%s: plan_cache_mode=%q, want %q", tt.dsn, got, tt.want)
		}
		if u.Query().Has("sslmode") != (tt.dsn != "postgresql://db/sb") || u.User.String() != mustParse(t, tt.dsn).User.String() {
			t.Errorf("%s: the rest of the DSN changed: %s", tt.dsn, u)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
