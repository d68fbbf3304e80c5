package messaging

import (
	"mime"
	"net/url"
	"path"
	"strings"
)

// MediaTypes are the attachments every channel can carry, by file extension, with
// the MIME type each is sent as. Anything else is refused when the message is
// written, not when a provider rejects it minutes later.
var MediaTypes = map[string]string{
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
	"mp4": "video/mp4", "webm": "video/webm",
	"mp3": "audio/mpeg", "wav": "audio/wav",
	"pdf":  "application/pdf",
	"doc":  "application/msword",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls":  "application/vnd.ms-excel",
}

// MediaTypeList is MediaTypes' extensions, for error messages.
const MediaTypeList = "jpg, jpeg, png, gif, webp, mp4, webm, mp3, wav, pdf, doc, docx or xls"

// MediaType resolves an attachment's MIME type from what the sender gave: the MIME
// type when set (it must be one of MediaTypes'), else the extension of the file name
// or of the URL's path. ok is false when the type is not one a channel carries.
func MediaType(mimeType, filename, rawURL string) (string, bool) {
	if mimeType != "" {
		base, _, err := mime.ParseMediaType(mimeType)
		if err != nil {
			return "", false
		}
		for _, t := range MediaTypes {
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
	t, ok := MediaTypes[ext]
	return t, ok
}
