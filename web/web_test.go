package web

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLookupWithoutBuild(t *testing.T) {
	for _, p := range []string{"/", "/signin", "/signup", "/invitations/accept", "/w/demo/chat", "/w/demo/inbox/123", "/operator/plugins"} {
		a, ok := lookup(nil, p)
		if !ok || string(a.Body) != string(Placeholder) || a.ContentType != htmlType {
			t.Errorf("%s: ok=%v type %q, want the placeholder", p, ok, a.ContentType)
		}
	}
	for _, p := range []string{"/assets/index-abc.js", "/api/v1/me", "/hooks/x", "/healthz", "/no/such/thing", "/etc/passwd", "/wx"} {
		if _, ok := lookup(nil, p); ok {
			t.Errorf("%s: answered by the app, want left to the API", p)
		}
	}
	if !strings.Contains(string(Placeholder), "make web") {
		t.Error("the placeholder does not say how to build the app")
	}
}

func TestLookupWithBuild(t *testing.T) {
	dist := fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><title>app</title>")},
		"favicon.svg":             {Data: []byte("<svg/>")},
		"assets/index-abc123.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc123.css": {Data: []byte("body{}")},
	}
	cases := []struct {
		path, body, ctype, cache string
	}{
		{"/", "<!doctype html><title>app</title>", htmlType, revalidate},
		{"/index.html", "", "", ""},
		{"/w/demo/chat/01abc", "<!doctype html><title>app</title>", htmlType, revalidate},
		{"/signin", "<!doctype html><title>app</title>", htmlType, revalidate},
		{"/assets/index-abc123.js", "console.log(1)", "text/javascript; charset=utf-8", immutable},
		{"/assets/index-abc123.css", "body{}", "text/css; charset=utf-8", immutable},
		{"/favicon.svg", "<svg/>", "image/svg+xml", revalidate},
		// A stale hashed name must not be answered with HTML that a script tag would run.
		{"/assets/index-old.js", "", "", ""},
		{"/assets/../../etc/passwd", "", "", ""},
		{"/api/v1/me", "", "", ""},
		{"/no/such/thing", "", "", ""},
	}
	for _, c := range cases {
		a, ok := lookup(dist, c.path)
		if c.body == "" {
			if ok {
				t.Errorf("%s: answered %q, want left to the API", c.path, a.Body)
			}
			continue
		}
		if !ok || string(a.Body) != c.body || a.ContentType != c.ctype || a.CacheControl != c.cache {
			t.Errorf("%s: ok=%v body %q type %q cache %q; want %q %q %q", c.path, ok, a.Body, a.ContentType, a.CacheControl, c.body, c.ctype, c.cache)
		}
	}
}
