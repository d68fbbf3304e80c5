package media_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/platform/media"
)

// TestHeaders: what a customer sends is shown in the page only when it is a
// picture, sound or video; anything a browser could run (SVG, HTML) is downloaded
// as bytes, and a filename cannot break out of its header.
func TestHeaders(t *testing.T) {
	for _, tc := range []struct {
		mime, filename, wantType, wantDisposition string
	}{
		{"image/jpeg", "", "image/jpeg", "inline"},
		{"audio/ogg; codecs=opus", "", "audio/ogg", "inline"},
		{"video/mp4", "clip.mp4", "video/mp4", `inline; filename="clip.mp4"`},
		{"application/pdf", "invoice.pdf", "application/pdf", `attachment; filename="invoice.pdf"`},
		{"image/svg+xml", "x.svg", "application/octet-stream", `attachment; filename="x.svg"`},
		{"text/html", "", "application/octet-stream", "attachment"},
		{"text/plain", "", "text/plain; charset=utf-8", "attachment"},
		{"application/javascript", "", "application/octet-stream", "attachment"},
		{"application/xhtml+xml", "", "application/octet-stream", "attachment"},
		{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "q3.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", `attachment; filename="q3.xlsx"`},
		{"", "a\"b\r\nSet-Cookie: x.txt", "application/octet-stream", `attachment; filename="abSet-Cookie: x.txt"`},
		{"not a type", "résumé.pdf", "application/octet-stream", `attachment; filename="r_sum_.pdf"`},
	} {
		h := media.Headers(tc.mime, tc.filename)
		if h["Content-Type"] != tc.wantType || h["Content-Disposition"] != tc.wantDisposition {
			t.Errorf("%q %q: type %q, disposition %q; want %q, %q", tc.mime, tc.filename, h["Content-Type"], h["Content-Disposition"], tc.wantType, tc.wantDisposition)
		}
		if h["X-Content-Type-Options"] != "nosniff" || h["Content-Security-Policy"] == "" || h["Cross-Origin-Resource-Policy"] != "same-origin" {
			t.Errorf("%q: headers %v, want nosniff and a sandboxing policy", tc.mime, h)
		}
	}
}
