package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// A customer's media (a photo, a voice note, a PDF) reach us as a provider URL that
// only the connection's credentials open: WhatsApp Cloud's Graph media URL needs the
// access token, Twilio's media URL its account's Basic auth. Browsers cannot fetch
// them, and must never hold the credentials, so the API fetches them for a member
// who may see the message: the connection's plugin says how (its resolve_media
// action: a URL and the headers to send), and the bytes are streamed through.

// MaxMediaBytes bounds what is fetched for one media: WhatsApp's largest (a document)
// is 100 MB.
const MaxMediaBytes = 100 << 20

// Errors of fetching media.
var (
	ErrMediaGone = failure.New(failure.Gone, "media_gone",
		"the provider no longer has this media (WhatsApp keeps a customer's media for 30 days)")
	ErrMediaUnsupported = failure.New(failure.NotFound, "media_not_available",
		"this channel does not let its media be fetched")
	ErrMediaTooLarge = failure.New(failure.Unavailable, "media_too_large",
		fmt.Sprintf("the media is larger than %d MB", MaxMediaBytes>>20))
)

// Media is an open media download: close Body when done.
type Media struct {
	Body     io.ReadCloser
	MIMEType string // as the provider says, "" when it does not
	Size     int64  // -1 when unknown
}

// mediaClient fetches media. No overall timeout: a large video may take a while, and
// the request's context ends it when the browser goes away; the dial and the
// provider's first byte are bounded instead.
var mediaClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	},
	// Twilio answers with a redirect to its storage; Go drops the Authorization
	// header when a redirect leaves the host, so the credentials stay with Twilio.
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
			return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
		}
		return nil
	},
}

// OpenMedia opens the media at mediaURL, which an inbound message on the
// workspace's connection connectionID carries. Plugins without resolve_media answer
// ErrMediaUnsupported; a provider that no longer has it, ErrMediaGone.
func (s *Service) OpenMedia(ctx context.Context, sc tenants.Scoped, connectionID, mediaURL string) (Media, error) {
	conn, err := s.Get(ctx, sc, connectionID)
	if err != nil {
		return Media{}, err
	}
	if d, ok := s.plugins.Describe(conn.PluginID); !ok || !d.Has(sdk.CapMediaDownload) {
		return Media{}, ErrMediaUnsupported
	}
	ch, err := s.plugins.Channel(conn.PluginID)
	if err != nil {
		return Media{}, failure.New(failure.Unavailable, "plugin_unavailable", fmt.Sprintf("the %s channel plugin is not running: %v", conn.PluginID, err))
	}
	pc, err := s.ForPlugin(conn)
	if err != nil {
		return Media{}, err
	}
	args, err := json.Marshal(sdk.ResolveMediaArgs{URL: mediaURL})
	if err != nil {
		return Media{}, err
	}
	raw, err := ch.Action(ctx, pc, sdk.ActionResolveMedia, args)
	var se *sdk.Error
	switch {
	case errors.As(err, &se) && se.Code == sdk.CodeMediaGone:
		return Media{}, ErrMediaGone
	case errors.As(err, &se):
		return Media{}, ErrProvider.WithMessage("The provider did not give the media: " + se.Reason)
	case err != nil:
		return Media{}, err
	}
	var src sdk.MediaSource
	if err := json.Unmarshal(raw, &src); err != nil {
		return Media{}, fmt.Errorf("connections: %s %s answered %d bytes that are not a media source: %w", conn.PluginID, sdk.ActionResolveMedia, len(raw), err)
	}
	u, err := url.Parse(src.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Media{}, fmt.Errorf("connections: %s %s gave an URL that cannot be fetched", conn.PluginID, sdk.ActionResolveMedia)
	}
	if src.Size > MaxMediaBytes {
		return Media{}, ErrMediaTooLarge
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return Media{}, err
	}
	for k, v := range src.Headers {
		req.Header.Set(k, v)
	}
	res, err := mediaClient.Do(req)
	if err != nil {
		// The URL may carry a signature; the error names only its host.
		return Media{}, ErrProvider.WithMessage("The provider's media could not be fetched from " + u.Host)
	}
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		res.Body.Close()
		return Media{}, ErrMediaGone
	case res.StatusCode != http.StatusOK:
		res.Body.Close()
		return Media{}, ErrProvider.WithMessage(fmt.Sprintf("The provider answered %d for the media", res.StatusCode))
	case res.ContentLength > MaxMediaBytes:
		res.Body.Close()
		return Media{}, ErrMediaTooLarge
	}
	typ := src.MIMEType
	if ct := res.Header.Get("Content-Type"); ct != "" {
		typ = ct
	}
	return Media{Body: limitedBody{io.LimitReader(res.Body, MaxMediaBytes), res.Body}, MIMEType: typ, Size: res.ContentLength}, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

// inlineMedia are the types a browser may show in the page: pictures, sound and
// video a phone sends. Anything else (SVG, HTML, a document) is downloaded, never
// rendered, so a customer cannot send script that runs on our origin.
var inlineMedia = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"video/mp4": true, "video/3gpp": true, "video/webm": true,
	"audio/ogg": true, "audio/mpeg": true, "audio/mp4": true, "audio/aac": true, "audio/amr": true, "audio/wav": true,
}

// MediaHeaders are the response headers that serve a media of type mimeType named
// filename safely: a type a browser shows inline only for pictures, sound and video,
// an attachment otherwise, never sniffed, sandboxed if opened on its own.
func MediaHeaders(mimeType, filename string) map[string]string {
	typ, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		typ = ""
	}
	h := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
		"Cache-Control":           "private, max-age=3600",
	}
	disposition := "attachment"
	if inlineMedia[typ] {
		disposition = "inline"
	}
	switch {
	case typ == "":
		typ = "application/octet-stream"
	case !inlineMedia[typ] && !strings.HasPrefix(typ, "application/") && !strings.HasPrefix(typ, "text/plain"):
		typ = "application/octet-stream" // e.g. image/svg+xml, text/html
	case strings.HasPrefix(typ, "text/"):
		typ = "text/plain; charset=utf-8"
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
	if r < 0x20 || r == '"' || r == '\\' || r == 0x7f || r > 0x7e {
		if r > 0x7e {
			return '_'
		}
		return -1
	}
	return r
}
