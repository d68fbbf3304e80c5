package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestClientIP(t *testing.T) {
	cases := []struct {
		name string
		hops int
		xff  []string
		want string
	}{
		{"no proxy ignores the header", 0, []string{"203.0.113.9"}, "0.0.0.0"},
		{"one proxy: its entry", 1, []string{"203.0.113.9"}, "203.0.113.9"},
		{"one proxy: a spoofed prefix is ignored", 1, []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies", 2, []string{"6.6.6.6, 203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"headers repeated", 2, []string{"203.0.113.9", "10.0.0.2"}, "203.0.113.9"},
		{"fewer entries than proxies: direct", 2, []string{"203.0.113.9"}, "0.0.0.0"},
		{"garbage entry", 1, []string{"not-an-ip"}, "0.0.0.0"},
		{"ipv6", 1, []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New()
			var got string
			app.Get("/", func(c *fiber.Ctx) error { got = clientIP(c, tc.hops); return nil })
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if _, err := app.Test(req); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}
