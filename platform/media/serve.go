package media

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// ErrRange is a Range a file cannot satisfy (416).
var ErrRange = errors.New("media: range not satisfiable")

// Span is the part of a file a response carries.
type Span struct {
	Start, Length int64
	// Partial is set for a satisfied Range: 206, with ContentRange.
	Partial bool
}

// ContentRange is the Content-Range header of a partial response of a file of size.
func (s Span) ContentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", s.Start, s.Start+s.Length-1, size)
}

// ParseRange reads a Range header of a request for a file of size bytes: one range
// (bytes=a-b, a-, -n) gives that part; none, several (which players do not ask
// for), or one that is not well formed, the whole file, as RFC 9110 allows.
// ErrRange when the one range lies outside the file.
func ParseRange(header string, size int64) (Span, error) {
	whole := Span{Length: size}
	spec, ok := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return whole, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	number := func(s string) (int64, bool) {
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	if !ok {
		return whole, nil
	}
	if first == "" {
		n, ok := number(last)
		switch {
		case !ok:
			return whole, nil
		case n == 0 || size == 0:
			return Span{}, ErrRange
		}
		n = min(n, size)
		return Span{Start: size - n, Length: n, Partial: true}, nil
	}
	start, ok := number(first)
	if !ok {
		return whole, nil
	}
	end := size - 1
	if last != "" {
		if end, ok = number(last); !ok || end < start {
			return whole, nil
		}
		end = min(end, size-1)
	}
	if start >= size {
		return Span{}, ErrRange
	}
	return Span{Start: start, Length: end - start + 1, Partial: true}, nil
}

// LimitFor is the largest file of mimeType the channel d carries, and, when that is
// less than MaxBytes, a note saying so for a refusal ("whatsapp carries pictures up
// to 5 MB").
func LimitFor(d sdk.Description, mimeType string) (int64, string) {
	limit := d.MediaLimit(mimeType, MaxBytes)
	if limit >= MaxBytes {
		return MaxBytes, ""
	}
	return limit, fmt.Sprintf("the %s channel carries %s up to %s", d.Kind, classNames[sdk.MediaClass(mimeType)], FormatSize(limit))
}

// Refused says why the channel d does not carry a file of mimeType ("the whatsapp
// channel carries no image/gif files; it carries jpg, jpeg, png, …"), or "" when it
// does.
func Refused(d sdk.Description, mimeType string) string {
	if d.CarriesMedia(mimeType) {
		return ""
	}
	return fmt.Sprintf("the %s channel carries no %s files; it carries %s", d.Kind, mimeType, strings.Join(Carried(d), ", "))
}

// Carried are the extensions, of Types', of the files the channel d carries.
func Carried(d sdk.Description) []string {
	var exts []string
	for ext, typ := range Types {
		if d.CarriesMedia(typ) {
			exts = append(exts, ext)
		}
	}
	slices.Sort(exts)
	return exts
}

var classNames = map[string]string{
	sdk.MediaImage: "pictures", sdk.MediaVideo: "videos", sdk.MediaAudio: "sound files", sdk.MediaDocument: "documents",
}
