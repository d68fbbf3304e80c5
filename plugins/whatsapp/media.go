package whatsapp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// ReasonMediaGone is the reason of a resolve_media for media the provider no longer
// keeps (code sdk.CodeMediaGone).
const ReasonMediaGone = "the provider no longer has this media (WhatsApp keeps it 30 days)"

var (
	// cloudMediaIDPattern is a media id as cloudMediaURL puts it in a URL: one path
	// segment that needs no escaping (Meta's ids are digits).
	cloudMediaIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,128}$`)
	// twilioMediaPath is a media resource below /Accounts/{AccountSid}/, as MediaUrl0…
	// name it.
	twilioMediaPath = regexp.MustCompile(`^Messages/[A-Z]{2}[0-9a-fA-F]{32}/Media/ME[0-9a-fA-F]{32}$`)
)

// resolveMedia answers resolve_media for an inbound media URL of conn's engine: where
// to GET the bytes and with which headers. The URL must be one the plugin gave for
// this connection: the credentials go only to the provider it is configured for.
func (c *Channel) resolveMedia(ctx context.Context, engine string, cfg Config, raw string) (sdk.MediaSource, error) {
	if raw == "" {
		return sdk.MediaSource{}, invalidMessage("%s: url is required", sdk.ActionResolveMedia)
	}
	if engine == EngineCloud {
		return c.resolveCloudMedia(ctx, cfg, raw)
	}
	return resolveTwilioMedia(cfg, raw)
}

// foreignMedia refuses a media URL that is not the connection's provider's; the
// reason names the URL's host only (a URL can carry a credential).
func foreignMedia(raw, want string) *sdk.Error {
	where := "an unreadable URL"
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		where = "a URL on " + u.Host
	}
	return sdk.Errorf(sdk.Permanent, CodeForeignMediaURL, "%s: %s is not a media URL of this connection's provider (want %s); its credentials go nowhere else",
		sdk.ActionResolveMedia, where, want)
}

// resolveCloudMedia asks the Graph API for the media's download URL, which is
// fetched with the same access token. The Graph call is made to the configured
// api_base_url and version with the media id read from raw, never to raw itself.
func (c *Channel) resolveCloudMedia(ctx context.Context, cfg Config, raw string) (sdk.MediaSource, error) {
	id, ok := cloudMediaID(cfg, raw)
	if !ok {
		return sdk.MediaSource{}, foreignMedia(raw, cfg.APIBaseURL+"/{version}/{media id}")
	}
	resp, err := c.cloudCall(ctx, cfg, http.MethodGet, url.PathEscape(id), nil, nil)
	if err != nil {
		if resp.status != 0 {
			if _, ge := cloudFailure(resp); cloudMediaGone(resp.status, ge) {
				return sdk.MediaSource{}, sdk.Errorf(sdk.Permanent, sdk.CodeMediaGone, "%s", ReasonMediaGone)
			}
		}
		return sdk.MediaSource{}, err
	}
	var m struct {
		URL      string `json:"url"`
		MIMEType string `json:"mime_type"`
		// FileSize is a number, or a string of one (as Meta documents it).
		FileSize json.RawMessage `json:"file_size"`
	}
	if err := json.Unmarshal(resp.body, &m); err != nil {
		return sdk.MediaSource{}, badResponse(cloudProvider, resp.status, err)
	}
	if m.URL == "" {
		return sdk.MediaSource{}, sdk.Errorf(sdk.Transient, CodeBadResponse, "%s answered no download URL for media %s", cloudProvider, id)
	}
	// The host sends the token to this URL: it must be one the token may travel to
	// by the rules of api_base_url (https, or http on loopback for fakes).
	if err := checkDownloadURL(m.URL); err != nil {
		return sdk.MediaSource{}, sdk.Errorf(sdk.Permanent, CodeBadResponse, "%s answered a download URL for media %s that %v", cloudProvider, id, err)
	}
	return sdk.MediaSource{
		URL:      m.URL,
		Headers:  map[string]string{"Authorization": "Bearer " + cfg.AccessToken},
		MIMEType: m.MIMEType,
		Size:     fileSize(m.FileSize),
	}, nil
}

// fileSize reads a size given as a number or a string of one; 0 when it is neither.
func fileSize(raw json.RawMessage) int64 {
	n, err := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// cloudMediaID reads the media id from a URL cloudMediaURL built for cfg:
// {api_base_url}/{version}/{media id}, the version being any (the connection's may
// have changed since).
func cloudMediaID(cfg Config, raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, cfg.APIBaseURL+"/")
	if !ok {
		return "", false
	}
	version, id, ok := strings.Cut(rest, "/")
	if !ok || !versionPattern.MatchString(version) || !cloudMediaIDPattern.MatchString(id) {
		return "", false
	}
	return id, true
}

// cloudMediaGone reports whether a Graph error answer says the media object does not
// exist (any more): code 100 with subcode 33 ("Object with ID … does not exist"),
// which is what a media id answers once its 30 days are over.
func cloudMediaGone(status int, ge graphError) bool {
	if ge.Error.Code != 100 || (status != http.StatusBadRequest && status != http.StatusNotFound) {
		return false
	}
	// Recent API versions may leave the subcode out; a 404 says the same.
	return ge.Error.ErrorSubcode == 33 || status == http.StatusNotFound
}

// checkDownloadURL accepts an absolute https URL, or http on a loopback address,
// without credentials: where a download may take the access token.
func checkDownloadURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return errors.New("is not an absolute URL")
	case u.User != nil:
		return errors.New("carries credentials")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHost(u.Hostname()):
		return nil
	default:
		return errors.New("does not use https")
	}
}

// resolveTwilioMedia answers a media URL of this Twilio account (MediaUrl0… of an
// inbound message) with the account's HTTP Basic auth, as twilioCall sends it: Twilio
// asks for it when "HTTP Basic authentication for media URLs" is on, and redirects to
// its storage. No call is made.
func resolveTwilioMedia(cfg Config, raw string) (sdk.MediaSource, error) {
	rest, ok := strings.CutPrefix(raw, cfg.APIBaseURL+twilioAPIPath+"/Accounts/")
	sid, p, ok2 := strings.Cut(rest, "/")
	// The SID compares without case: Twilio writes its hex in lowercase, a config may
	// not.
	if !ok || !ok2 || !strings.EqualFold(sid, cfg.AccountSID) || !twilioMediaPath.MatchString(p) {
		return sdk.MediaSource{}, foreignMedia(raw, cfg.APIBaseURL+twilioAPIPath+"/Accounts/"+cfg.AccountSID+"/Messages/{sid}/Media/{sid}")
	}
	return sdk.MediaSource{
		URL:     raw,
		Headers: map[string]string{"Authorization": basicAuth(cfg.AccountSID, cfg.AuthToken)},
	}, nil
}

// basicAuth is the Authorization header of HTTP Basic auth (http.Request.SetBasicAuth's).
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
