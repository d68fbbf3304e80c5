// Package web serves the browser app: the build of web/ (web/dist, made by `make web`)
// embedded in the binary, or, in a binary built without it, a page that says how to
// build it.
//
// `make web` writes embed_dist.go (not committed) beside this file; it embeds web/dist
// and sets built. A fresh clone has neither, so `go build ./...` and `go vet ./...`
// work before any Node tooling has run, and the server then answers the app's URLs
// with the placeholder.
package web

import (
	_ "embed"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// Placeholder is the page served at the app's URLs when the app is not built in.
//
//go:embed placeholder.html
var Placeholder []byte

// built is the app's build (the contents of web/dist), nil when not built in.
var built fs.FS

// Built reports whether the binary carries the browser app.
func Built() bool { return built != nil }

// The app's own URLs, which the server answers with the app's index page so that a
// reload or a shared link lands in the app. They are the client router's routes
// (src/router.ts); every other path stays the API's, so an unknown URL still gets the
// API's JSON 404.
var (
	appPages    = []string{"/", "/signin", "/signup", "/invitations/accept"}
	appPrefixes = []string{"/w/", "/operator/"}
)

// IsAppURL reports whether urlPath is one of the app's pages.
func IsAppURL(urlPath string) bool {
	for _, p := range appPages {
		if urlPath == p {
			return true
		}
	}
	for _, p := range appPrefixes {
		if strings.HasPrefix(urlPath, p) || urlPath == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}

// Asset is a response of the app.
type Asset struct {
	Body         []byte
	ContentType  string
	CacheControl string
}

const (
	htmlType = "text/html; charset=utf-8"
	// Vite puts a content hash in every file name under assets/, so they never change.
	immutable = "public, max-age=31536000, immutable"
	// index.html names the current hashed files: the browser must check it each time.
	revalidate = "no-cache"
)

// Lookup answers a GET of urlPath: a file of the build, the index page for an app URL,
// or the placeholder for an app URL when the app is not built in. ok is false for
// anything else, which is then not the app's to answer.
func Lookup(urlPath string) (a Asset, ok bool) {
	return lookup(built, urlPath)
}

func lookup(dist fs.FS, urlPath string) (Asset, bool) {
	if dist == nil {
		if IsAppURL(urlPath) {
			return Asset{Body: Placeholder, ContentType: htmlType, CacheControl: revalidate}, true
		}
		return Asset{}, false
	}
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name != "" && name != "index.html" && !strings.HasSuffix(urlPath, "/") {
		if body, err := fs.ReadFile(dist, name); err == nil {
			cache := revalidate
			if strings.HasPrefix(name, "assets/") {
				cache = immutable
			}
			return Asset{Body: body, ContentType: contentType(name), CacheControl: cache}, true
		}
	}
	if !IsAppURL(urlPath) {
		return Asset{}, false
	}
	body, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		return Asset{Body: Placeholder, ContentType: htmlType, CacheControl: revalidate}, true
	}
	return Asset{Body: body, ContentType: htmlType, CacheControl: revalidate}, true
}

func contentType(name string) string {
	ext := path.Ext(name)
	switch ext {
	// Spelled out: mime's table comes partly from the host's files, which vary.
	case ".html":
		return htmlType
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".map":
		return "application/json"
	case ".woff2":
		return "font/woff2"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
