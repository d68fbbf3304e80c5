// Package media keeps the files members attach to messages: each is checked when it is
// uploaded (its type by its name and by its content, its size by what the channel
// carries), kept in the database in parts, shown to members and fetched by providers
// through signed links that expire.
package media

import (
	"bytes"
	"mime"
	"net/url"
	"path"
	"strings"
)

// Types are the attachments every channel can carry, by file extension, with the
// MIME type each is sent as. Anything else is refused when the message is written
// or the file uploaded, not when a provider rejects it minutes later.
var Types = map[string]string{
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
	"mp4": "video/mp4", "webm": "video/webm",
	"mp3": "audio/mpeg", "wav": "audio/wav",
	"pdf":  "application/pdf",
	"doc":  "application/msword",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls":  "application/vnd.ms-excel",
}

// TypeList is Types' extensions, for error messages.
const TypeList = "jpg, jpeg, png, gif, webp, mp4, webm, mp3, wav, pdf, doc, docx or xls"

// TypeOf resolves an attachment's MIME type from what the sender gave: the MIME type
// when set (it must be one of Types'), else the extension of the file name or of the
// URL's path. ok is false when the type is not one a channel carries.
func TypeOf(mimeType, filename, rawURL string) (string, bool) {
	if mimeType != "" {
		base, _, err := mime.ParseMediaType(mimeType)
		if err != nil {
			return "", false
		}
		for _, t := range Types {
			if t == base || (base == "audio/x-wav" && t == "audio/wav") {
				return t, true
			}
		}
		return "", false
	}
	name := filename
	if name == "" {
		if u, err := url.Parse(rawURL); err == nil {
			name = u.Path
		}
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	t, ok := Types[ext]
	return t, ok
}

// NameFor is the name a file of mimeType is kept under: filename when its extension
// says that type, else "media" with the type's extension. ok is false for a type no
// channel carries.
func NameFor(filename, mimeType string) (string, bool) {
	typ, ok := TypeOf(mimeType, "", "")
	if !ok {
		return "", false
	}
	if t, ok := TypeOf("", filename, ""); ok && t == typ {
		return filename, true
	}
	ext := ""
	for e, t := range Types {
		// The shortest extension of the type, and of those the first in order, so
		// a name does not change from one call to the next (jpg, not jpeg).
		if t == typ && (ext == "" || len(e) < len(ext) || (len(e) == len(ext) && e < ext)) {
			ext = e
		}
	}
	base := strings.TrimSuffix(CleanFilename(filename), path.Ext(filename))
	if base == "" {
		base = "media"
	}
	return base + "." + ext, true
}

// sniffLen is how much of a file's start holds what Holds checks.
const sniffLen = 12

// Holds reports whether head, a file's first bytes, is the start of a file of
// mimeType (one of Types'). The name says what a file should be; its first bytes
// say what it is: a page renamed photo.png is not sent as a photo.
func Holds(head []byte, mimeType string) bool {
	at := func(off int, sig string) bool {
		return len(head) >= off+len(sig) && string(head[off:off+len(sig)]) == sig
	}
	switch mimeType {
	case "image/jpeg":
		return at(0, "\xff\xd8\xff")
	case "image/png":
		return at(0, "\x89PNG\r\n\x1a\n")
	case "image/gif":
		return at(0, "GIF87a") || at(0, "GIF89a")
	case "image/webp":
		return at(0, "RIFF") && at(8, "WEBP")
	case "video/mp4":
		return at(4, "ftyp")
	case "video/webm":
		return at(0, "\x1a\x45\xdf\xa3") // EBML, the container of WebM
	case "audio/mpeg":
		// An ID3 tag, or straight into an MPEG audio frame (11 sync bits set).
		return at(0, "ID3") || (len(head) >= 2 && head[0] == 0xff && head[1]&0xe0 == 0xe0)
	case "audio/wav":
		return at(0, "RIFF") && at(8, "WAVE")
	case "application/pdf":
		// Readers accept a PDF whose header comes after some junk; senders' tools
		// write it first.
		return bytes.HasPrefix(head, []byte("%PDF-"))
	case "application/msword", "application/vnd.ms-excel":
		return at(0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") // an OLE compound file
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return at(0, "PK\x03\x04") // a ZIP package
	}
	return false
}
