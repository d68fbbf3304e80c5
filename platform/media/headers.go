package media

import (
	"mime"
	"strings"
)

// inlineMedia are the types a browser may show in the page: pictures, sound and
// video a phone sends. attachedMedia are the documents a customer may send, kept as
// their type to download. Anything else (SVG, HTML, script) is served as bytes,
// never rendered nor run, so a customer cannot send what runs on our origin.
var (
	inlineMedia = map[string]bool{
		"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
		"video/mp4": true, "video/3gpp": true, "video/webm": true,
		"audio/ogg": true, "audio/mpeg": true, "audio/mp4": true, "audio/aac": true, "audio/amr": true, "audio/wav": true,
	}
	attachedMedia = map[string]bool{
		"application/pdf": true, "text/plain": true, "text/csv": true, "application/zip": true,
		"application/msword": true, "application/vnd.ms-excel": true, "application/vnd.ms-powerpoint": true,
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
		"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	}
)

// Headers are the response headers that serve a media of type mimeType named
// filename safely: inline only for pictures, sound and video, an attachment
// otherwise, never sniffed, sandboxed if opened on its own, and not for other sites
// to embed.
func Headers(mimeType, filename string) map[string]string {
	typ, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		typ = ""
	}
	h := map[string]string{
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Cache-Control":                "private, max-age=3600",
	}
	disposition := "attachment"
	switch {
	case inlineMedia[typ]:
		disposition = "inline"
	case typ == "text/plain" || typ == "text/csv":
		typ += "; charset=utf-8"
	case !attachedMedia[typ]:
		typ = "application/octet-stream" // e.g. image/svg+xml, text/html, application/javascript
	}
	h["Content-Type"] = typ
	if filename = strings.Map(safeFilenameRune, filename); filename != "" {
		h["Content-Disposition"] = disposition + `; filename="` + filename + `"`
	} else {
		h["Content-Disposition"] = disposition
	}
	return h
}

// safeFilenameRune keeps a filename to what a header carries unambiguously.
func safeFilenameRune(r rune) rune {
	switch {
	case r > 0x7e:
		return '_'
	case r < 0x20 || r == '"' || r == '\\' || r == 0x7f:
		return -1
	}
	return r
}
