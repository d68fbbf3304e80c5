package cloudapitest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// Customers' media, as the Cloud API keeps them: an inbound image carries a media id;
// GET /{version}/{media-id} (Bearer token) answers {url, mime_type, sha256, file_size,
// id, messaging_product}, and url, on Meta's lookaside host
// (https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…&ext=…&hash=…),
// gives the bytes to the same Bearer token for MediaURLTTL. After 30 days the media
// are gone: the id answers code 100, subcode 33 (HTTP 400), and its download URLs 404.

// MediaURLTTL is how long a download URL works, as Meta's: five minutes.
const MediaURLTTL = 5 * time.Minute

// LookasidePath is where the fake serves media downloads, on its own host: the path
// of Meta's lookaside URLs.
const LookasidePath = "/whatsapp_business/attachments/"

// storedMedia is a customer's upload.
type storedMedia struct {
	mimeType string
	data     []byte
	sha256   string // lowercase hex
	gone     bool
}

// AddMedia keeps data as a customer's upload of type mimeType and returns its media
// id (digits, like Meta's), for an inbound message:
//
//	id := srv.AddMedia("image/jpeg", jpeg)
//	srv.Inject(ctx, cloudapitest.Inbound{From: n, Type: "image",
//		Fields: map[string]any{"image": srv.MediaObject(id, "the caption")}})
func (s *Server) AddMedia(mimeType string, data []byte) string {
	sum := sha256.Sum256(data)
	m := &storedMedia{mimeType: mimeType, data: append([]byte(nil), data...), sha256: hex.EncodeToString(sum[:])}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := strconv.Itoa(1037000000000000 + s.seq)
	s.media[id] = m
	return id
}

// ExpireMedia makes media id gone, as Meta's are 30 days after the customer sent
// them: the id then answers code 100 with subcode 33 (HTTP 400) and its download
// URLs, also ones already given, 404.
func (s *Server) ExpireMedia(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.media[id]; ok {
		m.gone = true
	}
}

// MediaObject is the media object of an inbound message for media id, as webhooks
// carry it: id, mime_type, sha256 and caption when not empty. Add "filename" for a
// document. An unknown id gives just the id.
func (s *Server) MediaObject(id, caption string) map[string]any {
	obj := map[string]any{"id": id}
	s.mu.Lock()
	if m, ok := s.media[id]; ok {
		obj["mime_type"], obj["sha256"] = m.mimeType, m.sha256
	}
	s.mu.Unlock()
	if caption != "" {
		obj["caption"] = caption
	}
	return obj
}

// liveMedia is media id unless it is unknown or gone.
func (s *Server) liveMedia(id string) (*storedMedia, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok || m.gone {
		return nil, false
	}
	return m, true
}

// mediaHash signs a download URL of media id valid until ext (Unix seconds).
func (s *Server) mediaHash(id string, ext int64) string {
	mac := hmac.New(sha256.New, s.mediaKey)
	mac.Write([]byte(id + "." + strconv.FormatInt(ext, 10)))
	return "AT" + hex.EncodeToString(mac.Sum(nil))[:30]
}

// describeMedia answers GET /{version}/{media-id}.
func (s *Server) describeMedia(w http.ResponseWriter, id string, m *storedMedia) {
	ext := s.now().Add(MediaURLTTL).Unix()
	q := url.Values{"mid": {id}, "ext": {strconv.FormatInt(ext, 10)}, "hash": {s.mediaHash(id, ext)}}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":               s.URL() + LookasidePath + "?" + q.Encode(),
		"mime_type":         m.mimeType,
		"sha256":            m.sha256,
		"file_size":         len(m.data),
		"id":                id,
		"messaging_product": "whatsapp",
	})
}

// download serves a download URL (the Bearer token was checked): the bytes, or 403
// for a URL that was not given or has expired, 404 once the media are gone.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	id := q.Get("mid")
	ext, err := strconv.ParseInt(q.Get("ext"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("hash")), []byte(s.mediaHash(id, ext))) {
		http.Error(w, "Bad URL hash", http.StatusForbidden)
		return
	}
	if s.now().Unix() > ext {
		http.Error(w, "URL signature expired", http.StatusForbidden)
		return
	}
	m, ok := s.liveMedia(id)
	if !ok {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", m.mimeType)
	w.Header().Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	// Meta's CDN serves byte ranges, as a video player seeking asks for them.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(m.data))
}

// FetchedMedia is what the fake downloaded from a sent message's media link (with
// Options.FetchLinks).
type FetchedMedia = fakeprovider.Fetched

// Fetched is what the fake downloaded for the sent message id.
func (s *Server) Fetched(id string) (FetchedMedia, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.fetched[id]
	return f, ok
}

// linkTypes are the types the Cloud API takes for media by kind, and the largest
// file of each kind (a document may be of any type).
var linkTypes = map[string]struct {
	types []string
	limit int64
}{
	"image":    {[]string{"image/jpeg", "image/png"}, 5 << 20},
	"video":    {[]string{"video/mp4", "video/3gpp"}, 16 << 20},
	"audio":    {[]string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, 16 << 20},
	"sticker":  {[]string{"image/webp"}, 500 << 10},
	"document": {nil, 100 << 20},
}

// mediaLink is the link of a media message's media, if it is sent by link.
func (r SendRequest) mediaLink() string {
	for _, m := range []*MediaObject{r.Image, r.Video, r.Audio, r.Document, r.Sticker} {
		if m != nil {
			return m.Link
		}
	}
	return ""
}

// fetchLink downloads msg's media from link as Meta does, keeps what it got, and
// returns the error the message then fails with, if any.
func (s *Server) fetchLink(ctx context.Context, msg Message, link string) *Error {
	fail := func(format string, args ...any) *Error {
		e := Failure(CodeMediaUpload).WithDetails(format, args...)
		return &e
	}
	kind := linkTypes[msg.Type]
	got, err := s.courier.Fetch(ctx, link, kind.limit)
	s.mu.Lock()
	s.fetched[msg.ID] = got
	s.mu.Unlock()
	typ, _, _ := mime.ParseMediaType(got.ContentType)
	switch {
	case err != nil:
		return fail("Unable to download the media from the link: %v.", err)
	case int64(len(got.Data)) > kind.limit:
		return fail("Media file size too big. Max file size we currently support: %d bytes.", kind.limit)
	case kind.types != nil && !slices.Contains(kind.types, typ):
		return fail("Media type %s is not supported for %s messages.", typ, msg.Type)
	}
	return nil
}
