package twiliotest

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// Customers' media, as Twilio keeps them with "HTTP Basic authentication for media
// URLs" on: an inbound message's MediaUrl0… is
// {base}/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid};
// GET with the account's Basic auth answers 307 to the file in storage (S3 at Twilio,
// StoragePath on the fake), which needs no credentials; without them, 401 (20003).
// A deleted media answers 404 (20404).

// StoragePath is where the fake keeps media files, as Twilio's S3 bucket: a GET of
// StoragePath + key needs no credentials (the key is unguessable).
const StoragePath = "/media-storage/"

// defaultMediaType is the type of media that do not say theirs.
const defaultMediaType = "application/octet-stream"

// Media is an attachment of an inbound message (Inbound.Media): the fake keeps it
// and gives its URL as MediaUrlN.
type Media struct {
	ContentType string
	Data        []byte
}

// storedMedia is a kept attachment.
type storedMedia struct {
	Media
	storageKey string
	deleted    bool
}

// mediaResourcePath is a media's path on the API.
func (s *Server) mediaResourcePath(messageSID, mediaSID string) string {
	return "/" + APIVersion + "/Accounts/" + s.opts.AccountSID + "/Messages/" + messageSID + "/Media/" + mediaSID
}

// AddMedia keeps data, of type contentType, as an attachment of message messageSID
// (a new MM… sid when empty) and returns its media URL, as MediaUrlN carry it.
// Inject does this for Inbound.Media.
func (s *Server) AddMedia(messageSID, contentType string, data []byte) string {
	if messageSID == "" {
		messageSID = "MM" + randomHex(16)
	}
	if contentType == "" {
		contentType = defaultMediaType
	}
	mediaSID := "ME" + randomHex(16)
	p := s.mediaResourcePath(messageSID, mediaSID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[p] = &storedMedia{Media: Media{ContentType: contentType, Data: append([]byte(nil), data...)}, storageKey: randomHex(20)}
	return s.URL() + p
}

// DeleteMedia deletes the media at mediaURL (AddMedia's), as DELETE on the media
// resource does: it and its storage URL then answer 404.
func (s *Server) DeleteMedia(mediaURL string) {
	p := strings.TrimPrefix(mediaURL, s.URL())
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.media[p]; ok {
		m.deleted = true
	}
}

// serveMedia answers a media resource (Basic auth checked): GET with a 307 to
// storage, DELETE by deleting it. It reports false when the path is not a media
// resource of the account.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, notFound Error) bool {
	s.mu.Lock()
	m, ok := s.media[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		return false
	}
	switch {
	case m.deleted:
		notFound.write(w)
		return true
	case r.Method == http.MethodDelete:
		s.mu.Lock()
		m.deleted = true
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return true
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		Failure(CodeMethodNotAllowed).write(w)
		return true
	}
	w.Header().Set("Location", s.URL()+StoragePath+m.storageKey)
	w.WriteHeader(http.StatusTemporaryRedirect)
	return true
}

// serveStorage answers GET StoragePath + key, without credentials.
func (s *Server) serveStorage(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, StoragePath)
	var found *storedMedia
	s.mu.Lock()
	for _, m := range s.media {
		if m.storageKey == key && !m.deleted {
			found = m
		}
	}
	s.mu.Unlock()
	if found == nil || key == "" {
		http.Error(w, "NoSuchKey: The specified key does not exist.", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", found.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(found.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(found.Data)
	}
}

// maxMediaSize is the largest media Twilio sends over WhatsApp.
const maxMediaSize = 16 << 20

// Fetched is what the fake downloaded for the sent message sid, a media URL each
// (with Options.FetchLinks).
func (s *Server) Fetched(sid string) []fakeprovider.Fetched {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fakeprovider.Fetched(nil), s.fetched[sid]...)
}

// fetchMedia downloads m's media URLs as Twilio does and reports whether all came.
func (s *Server) fetchMedia(ctx context.Context, m Message) bool {
	ok := true
	for _, u := range m.MediaURLs {
		got, err := s.courier.Fetch(ctx, u, maxMediaSize)
		s.mu.Lock()
		s.fetched[m.SID] = append(s.fetched[m.SID], got)
		s.mu.Unlock()
		if err != nil || len(got.Data) > maxMediaSize {
			ok = false
		}
	}
	return ok
}
