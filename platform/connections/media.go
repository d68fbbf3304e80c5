package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
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
	ErrMediaRange    = failure.New(failure.Invalid, "range_not_satisfiable", "the range asked for is not in the media")
	ErrMediaDisabled = failure.New(failure.Unavailable, "connection_disabled",
		"the connection is disabled, so its provider is not asked for the media")
)

// Media is an open media download: close Body when done.
type Media struct {
	Body     io.ReadCloser
	MIMEType string // as the provider says, "" when it does not
	Size     int64  // of Body; -1 when unknown
	// Range is the provider's Content-Range when it served the part asked for (a
	// video player seeking), "" for the whole.
	Range string
}

// Bounds of one media download. The browser going away does not end the request
// (fasthttp gives the handler no such signal until a write fails), so a provider
// that stalls is cut off after mediaIdle without a byte, and any download after
// mediaTotal.
const (
	mediaIdle  = 30 * time.Second
	mediaTotal = 10 * time.Minute
)

// errPrivateAddress refuses a media URL, or a redirect, that leads to an address
// inside the network (loopback, private, link-local such as a cloud's metadata
// service): a connection's provider URL is its workspace admin's to set, and must not
// make the server read what only it can reach.
var errPrivateAddress = errors.New("the media's address is not a public one")

// publicOnly refuses, as the connection is dialled (so after DNS, whatever a name
// resolves to), any address that is not a public unicast one.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if inner, ok := embeddedIPv4(ip); ok {
		ip = inner // NAT64 and 6to4 reach the IPv4 address they carry
	}
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return errPrivateAddress
	}
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return errPrivateAddress
		}
	}
	return nil
}

// specialPurpose are ranges IANA keeps for other than the public internet that
// netip's predicates do not name: shared (carrier-grade NAT) space, "this network",
// IETF protocol assignments (a cloud's old metadata address among them), benchmarking,
// reserved, IPv4-compatible IPv6 and IPv6 site-local.
var specialPurpose = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"), netip.MustParsePrefix("fec0::/10"),
}

var (
	nat64  = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48")}
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 is the IPv4 address a NAT64 or 6to4 address leads to.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	for _, p := range nat64 {
		if p.Contains(ip) {
			return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
		}
	}
	if sixTo4.Contains(ip) {
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// newMediaClient fetches media; private allows addresses inside the network (the
// provider fakes of development and tests), and plain http redirects.
func newMediaClient(private bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	proxy := http.ProxyFromEnvironment
	if !private {
		dialer.Control = publicOnly
		proxy = nil // the address checked is the one dialled: a proxy would hide it
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 proxy,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		// Twilio answers with a redirect to its storage; Go drops the Authorization
		// header when a redirect leaves the host, so the credentials stay with
		// Twilio. A redirect is refused from https to http, where they would travel
		// in the clear.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && !(private && req.URL.Scheme == "http") {
				return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
			}
			return nil
		},
	}
}

var (
	publicMediaClient  = newMediaClient(false)
	privateMediaClient = newMediaClient(true)
)

func (s *Service) mediaClient() *http.Client {
	if s.privateMedia.Load() {
		return privateMediaClient
	}
	return publicMediaClient
}

// OpenMedia opens the media at mediaURL, which an inbound message on the
// workspace's connection connectionID carries; byteRange, when set, is a browser's
// Range header, passed on (a provider that ignores it sends the whole). Plugins
// without resolve_media answer ErrMediaUnsupported; a provider that no longer has it,
// ErrMediaGone.
func (s *Service) OpenMedia(ctx context.Context, sc tenants.Scoped, connectionID, mediaURL, byteRange string) (Media, error) {
	conn, err := s.Get(ctx, sc, connectionID)
	if err != nil {
		return Media{}, err
	}
	if conn.Status == StatusDisabled {
		return Media{}, ErrMediaDisabled
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
	case errors.As(err, &se) && se.Class == sdk.AuthFailed:
		// Said, but the connection is left as it is: a read by any member must not
		// stop a workspace's sends, and a provider may refuse one old media (another
		// business's since the token changed) while the credentials still send. A
		// send that is refused marks the connection.
		return Media{}, ErrProvider.WithMessage("The provider rejected the connection's credentials for this media: " + se.Reason)
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
	if u.Scheme == "http" && !s.privateMedia.Load() {
		// In production credentials do not travel in the clear.
		return Media{}, ErrProvider.WithMessage("The provider's media could not be fetched from " + u.Hostname() + ": it is not an https URL")
	}
	if src.Size > MaxMediaBytes {
		return Media{}, ErrMediaTooLarge
	}
	fetch, cancel := context.WithTimeout(ctx, mediaTotal)
	req, err := http.NewRequestWithContext(fetch, http.MethodGet, src.URL, nil)
	if err != nil {
		cancel()
		return Media{}, err
	}
	for k, v := range src.Headers {
		req.Header.Set(k, v)
	}
	if r := strings.TrimSpace(byteRange); oneRange.MatchString(r) {
		req.Header.Set("Range", r)
	}
	stall := time.AfterFunc(mediaIdle, cancel)
	res, err := s.mediaClient().Do(req)
	if err == nil {
		stall.Reset(mediaIdle) // the provider answered; from now on it is the body's pace
	}
	if err != nil {
		stall.Stop()
		cancel()
		if errors.Is(err, errPrivateAddress) {
			s.log().Warn("media refused: its address is inside the network", "connection", conn.ID, "host", u.Host)
		}
		// The URL may carry a signature; the error names only its host.
		return Media{}, ErrProvider.WithMessage("The provider's media could not be fetched from " + u.Host)
	}
	body := &mediaBody{r: io.LimitReader(res.Body, MaxMediaBytes), c: res.Body, stall: stall, cancel: cancel}
	defer func() {
		if body != nil {
			body.Close()
		}
	}()
	part := ""
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		return Media{}, ErrMediaGone
	case res.StatusCode == http.StatusPartialContent && res.Header.Get("Content-Range") != "":
		part = res.Header.Get("Content-Range")
		// A part is served only of media within the bound, as the whole would be.
		if total := rangeTotal(part); total > MaxMediaBytes {
			return Media{}, ErrMediaTooLarge
		}
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return Media{}, ErrMediaRange
	case res.StatusCode != http.StatusOK:
		return Media{}, ErrProvider.WithMessage(fmt.Sprintf("The provider answered %d for the media", res.StatusCode))
	}
	if res.ContentLength > MaxMediaBytes {
		return Media{}, ErrMediaTooLarge
	}
	typ := src.MIMEType
	if ct := res.Header.Get("Content-Type"); ct != "" {
		typ = ct
	}
	out := Media{Body: body, MIMEType: typ, Size: res.ContentLength, Range: part}
	body = nil // the caller closes it
	return out, nil
}

// oneRange is the one byte range a browser's media player asks for ("bytes=100-",
// "bytes=100-199", "bytes=-500"); anything else is not passed on, and the whole is
// served.
var oneRange = regexp.MustCompile(`^bytes=(\d{1,19}-\d{0,19}|-\d{1,19})$`)

// rangeTotal is the whole size a Content-Range names ("bytes 0-99/12345"), -1 when it
// does not say.
func rangeTotal(contentRange string) int64 {
	_, total, ok := strings.Cut(contentRange, "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// mediaBody is a download being streamed: at most MaxMediaBytes, cut off when the
// provider stalls for mediaIdle, and closed (its request ended) with Close.
type mediaBody struct {
	r      io.Reader
	c      io.Closer
	stall  *time.Timer
	cancel context.CancelFunc
}

func (b *mediaBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.stall.Reset(mediaIdle)
	}
	return n, err
}

func (b *mediaBody) Close() error {
	b.stall.Stop()
	err := b.c.Close() // before cancelling, so a body read to its end keeps its connection
	b.cancel()
	return err
}
