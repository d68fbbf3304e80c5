// Package web serves the browser app. Until the app's build (web/dist) is embedded,
// the server answers the app's URLs with a page that says what runs and where the
// API is.
package web

import (
	_ "embed"
)

// Placeholder is the page served at / when the browser app is not built in.
//
//go:embed placeholder.html
var Placeholder []byte
