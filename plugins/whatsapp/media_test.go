package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

// photo is a customer's picture: not text, so a bytes mix-up shows.
var photo = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{0x00, 0xff, 0x7f}, 700)...)

// resolveMedia calls resolve_media for mediaURL.
func resolveMedia(ctx context.Context, ch sdk.Channel, conn sdk.Connection, mediaURL string) (sdk.MediaSource, error) {
	args, err := json.Marshal(sdk.ResolveMediaArgs{URL: mediaURL})
	if err != nil {
		return sdk.MediaSource{}, err
	}
	out, err := ch.Action(ctx, conn, sdk.ActionResolveMedia, args)
	if err != nil {
		return sdk.MediaSource{}, err
	}
	var src sdk.MediaSource
	if err := json.Unmarshal(out, &src); err != nil {
		return sdk.MediaSource{}, fmt.Errorf("resolve_media = %s: %v", out, err)
	}
	return src, nil
}

// fetch GETs u with headers, following redirects as the host does, and returns the
// status, Content-Type and body.
func fetch(t *testing.T, u string, headers map[string]string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET the media: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// inboundCloudImage has the fake's customer send data as an image and returns the
// media URL of the message event the plugin made of the webhook.
func inboundCloudImage(t *testing.T, ch *whatsapp.Channel, srv *cloudapitest.Server, conn sdk.Connection, data []byte) (sdk.Connection, string, string) {
	t.Helper()
	rc := newReceiver(t, ch, conn)
	srv.SetWebhookURL(rc.url)
	id := srv.AddMedia("image/jpeg", data)
	msgID, err := srv.Inject(ctx(t), cloudapitest.Inbound{From: customer, Type: "image",
		Fields: map[string]any{"image": srv.MediaObject(id, "my receipt")}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	events := rc.waitFor(t, "the image", func(es []sdk.Event) bool {
		return findMessage(es, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == msgID }) != nil
	})
	m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == msgID })
	if m.Type != "image" || m.Media == nil || m.Media.URL == "" || m.Media.MIMEType != "image/jpeg" {
		t.Fatalf("inbound image = %+v", m)
	}
	return rc.conn, m.Media.URL, id
}

// checkCloudMedia resolves mediaURL through ch and checks that the source gives data,
// with the token, and refuses without it.
func checkCloudMedia(t *testing.T, ch sdk.Channel, srv *cloudapitest.Server, conn sdk.Connection, mediaURL string, data []byte) sdk.MediaSource {
	t.Helper()
	src, err := resolveMedia(ctx(t), ch, conn, mediaURL)
	if err != nil {
		t.Fatalf("resolve_media: %v", err)
	}
	if want := "Bearer " + srv.Options().AccessToken; len(src.Headers) != 1 || src.Headers["Authorization"] != want {
		t.Errorf("headers = %v, want only Authorization: %s", src.Headers, want)
	}
	if src.MIMEType != "image/jpeg" || src.Size != int64(len(data)) {
		t.Errorf("mime_type %q size %d, want image/jpeg %d", src.MIMEType, src.Size, len(data))
	}
	if src.URL == mediaURL || !strings.HasPrefix(src.URL, srv.URL()+cloudapitest.LookasidePath) {
		t.Errorf("url = %s, want the fake's download URL", src.URL)
	}
	status, typ, body := fetch(t, src.URL, src.Headers)
	if status != http.StatusOK || typ != "image/jpeg" || !bytes.Equal(body, data) {
		t.Errorf("GET with the headers: %d %s, %d bytes equal %v; want 200 image/jpeg and the photo", status, typ, len(body), bytes.Equal(body, data))
	}
	if status, _, _ := fetch(t, src.URL, nil); status != http.StatusUnauthorized {
		t.Errorf("GET without the headers: %d, want 401", status)
	}
	return src
}

func TestCloudResolveMedia(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	// The host asks only plugins that declare it.
	if d, err := ch.Describe(ctx(t)); err != nil || !d.Has(sdk.CapMediaDownload) {
		t.Errorf("Describe = %v, %v; want %s among the capabilities", d.Capabilities, err, sdk.CapMediaDownload)
	}
	srv, conn := cloudSetup(t, cloudapitest.Options{})
	conn, mediaURL, id := inboundCloudImage(t, ch, srv, conn, photo)
	src := checkCloudMedia(t, ch, srv, conn, mediaURL, photo)

	t.Run("out_of_process", func(t *testing.T) {
		// Through the sdk's gRPC adapters: the result and errors keep their shape.
		checkCloudMedia(t, conformance.Connect(t, ch), srv, conn, mediaURL, photo)
	})
	t.Run("bad_token", func(t *testing.T) {
		bad := conn
		cfg := whatsapptest.CloudConfig(srv)
		cfg.AccessToken = "EAAexpired"
		bad.Config = cfg.JSON()
		_, err := resolveMedia(ctx(t), ch, bad, mediaURL)
		e := wantError(t, err, sdk.AuthFailed, "190", "access token")
		if strings.Contains(e.Error(), "EAAexpired") {
			t.Errorf("the error carries the token: %v", e)
		}
	})
	t.Run("gone", func(t *testing.T) {
		// Last: the media expire for every subtest after it.
		srv.ExpireMedia(id)
		_, err := resolveMedia(ctx(t), ch, conn, mediaURL)
		wantError(t, err, sdk.Permanent, sdk.CodeMediaGone, whatsapp.ReasonMediaGone)
		_, err = resolveMedia(ctx(t), conformance.Connect(t, ch), conn, mediaURL)
		wantError(t, err, sdk.Permanent, sdk.CodeMediaGone, whatsapp.ReasonMediaGone)
		if status, _, _ := fetch(t, src.URL, src.Headers); status != http.StatusNotFound {
			t.Errorf("GET a download URL of gone media: %d, want 404", status)
		}
	})
}

// recorder is an HTTP server that answers fn and keeps the Authorization header of
// every request it gets.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newRecorder(t *testing.T, fn http.HandlerFunc) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.auths = append(rec.auths, r.Header.Get("Authorization"))
		rec.mu.Unlock()
		if fn != nil {
			fn(w, r)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.auths...)
}

// TestCloudResolveMediaForeignURL: a URL that is not under the connection's
// api_base_url is refused before any request, so the token goes nowhere.
func TestCloudResolveMediaForeignURL(t *testing.T) {
	t.Parallel()
	const secret = "EAAG-do-not-leak"
	home := newRecorder(t, nil)      // the connection's api_base_url (a proxy path on it)
	elsewhere := newRecorder(t, nil) // anybody else
	conn := whatsapptest.CloudConnection(fixtureCloud)
	cfg := whatsapptest.CloudConfig(fixtureCloud)
	cfg.APIBaseURL, cfg.AccessToken = home.URL+"/graph", secret
	conn.Config = cfg.JSON()
	hostPort := strings.TrimPrefix(home.URL, "http://")
	for _, u := range []string{
		elsewhere.URL + "/v21.0/1037000000000001",                         // another host
		home.URL + "/v21.0/1037000000000001",                              // the host, not the base URL
		home.URL + "/graphx/v21.0/1037000000000001",                       // a base URL's lookalike
		home.URL + "/graph.evil.example/v21.0/1037000000000001",           // …
		"http://" + hostPort + ".evil.example/graph/v21.0/1037",           // a host's lookalike
		"http://user:pw@" + hostPort + "/graph/v21.0/1037000000000001",    // credentials
		"https://graph.facebook.com/v21.0/1037000000000001",               // the real API, not this connection's
		home.URL + "/graph/v21.0/1037000000000001?access_token=" + secret, // a query
		home.URL + "/graph/v21.0/1037000000000001#frag",
		home.URL + "/graph/v21.0/../../" + strings.TrimPrefix(elsewhere.URL, "http://"),
		home.URL + "/graph/v21.0/%2e%2e",
		home.URL + "/graph/v21.0/" + fixtureCloud.Options().PhoneNumberID + "/messages", // not a media object
		home.URL + "/graph/me/1037000000000001",                                         // not a version
		home.URL + "/graph/v21.0/",
		"1037000000000001",
		"ftp://example.com/v21.0/1037000000000001",
	} {
		_, err := resolveMedia(ctx(t), whatsapp.New(), conn, u)
		e := wantError(t, err, sdk.Permanent, whatsapp.CodeForeignMediaURL, "not a media URL of this connection's provider")
		if strings.Contains(e.Error(), secret) || strings.Contains(e.Error(), "pw@") {
			t.Errorf("%s: the error carries a credential: %v", u, e)
		}
	}
	_, err := resolveMedia(ctx(t), whatsapp.New(), conn, "")
	wantError(t, err, sdk.Permanent, whatsapp.CodeInvalidMessage, "url is required")
	if got := home.requests(); len(got) != 0 {
		t.Errorf("the API base URL got %d requests (%q), want none", len(got), got)
	}
	if got := elsewhere.requests(); len(got) != 0 {
		t.Errorf("the other host got %d requests (%q), want none", len(got), got)
	}
}

// TestCloudResolveMediaAnswers: what the Graph API may answer about a media object.
func TestCloudResolveMediaAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, src sdk.MediaSource, err error)
	}{
		{
			name: "file_size_as_a_string", status: 200,
			body: `{"url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3","mime_type":"audio/ogg","sha256":"ab","file_size":"303833","id":"1037","messaging_product":"whatsapp"}`,
			check: func(t *testing.T, src sdk.MediaSource, err error) {
				if err != nil || src.Size != 303833 || src.MIMEType != "audio/ogg" || src.URL != "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3" {
					t.Errorf("source = %+v, %v", src, err)
				}
			},
		},
		{
			name: "no_size_or_type", status: 200,
			body: `{"url":"https://lookaside.fbsbx.com/x","id":"1037"}`,
			check: func(t *testing.T, src sdk.MediaSource, err error) {
				if err != nil || src.Size != 0 || src.MIMEType != "" || src.Headers["Authorization"] != "Bearer EAAtoken" {
					t.Errorf("source = %+v, %v", src, err)
				}
			},
		},
		{
			name: "download_url_off_https", status: 200,
			body: `{"url":"http://169.254.169.254/latest/meta-data/","id":"1037"}`,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Permanent, whatsapp.CodeBadResponse, "does not use https")
			},
		},
		{
			name: "no_download_url", status: 200, body: `{"id":"1037"}`,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Transient, whatsapp.CodeBadResponse, "no download URL")
			},
		},
		{
			name: "gone_as_404", status: 404,
			body: `{"error":{"message":"(#100) Object does not exist","type":"GraphMethodException","code":100,"fbtrace_id":"x"}}`,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Permanent, sdk.CodeMediaGone, whatsapp.ReasonMediaGone)
			},
		},
		{
			name: "bad_parameter_is_not_gone", status: 400,
			body: `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"x"}}`,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Permanent, "100", "invalid parameter")
			},
		},
		{
			name: "unavailable", status: 503,
			body: `{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"fbtrace_id":"x"}}`,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Transient, "2", "unavailable")
			},
		},
		{
			name: "server_error_without_a_body", status: 502, body: ``,
			check: func(t *testing.T, _ sdk.MediaSource, err error) {
				wantError(t, err, sdk.Transient, "", "provider unavailable")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/v21.0/1037" {
					t.Errorf("request %s %s, want GET /v21.0/1037", r.Method, r.URL.Path)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			conn := whatsapptest.CloudConnection(fixtureCloud)
			cfg := whatsapptest.CloudConfig(fixtureCloud)
			cfg.APIBaseURL, cfg.AccessToken = api.URL, "EAAtoken"
			conn.Config = cfg.JSON()
			// A URL from an older API version still names the media; the call uses the
			// connection's version.
			src, err := resolveMedia(ctx(t), whatsapp.New(), conn, api.URL+"/v19.0/1037")
			tc.check(t, src, err)
			if got := api.requests(); len(got) != 1 || got[0] != "Bearer EAAtoken" {
				t.Errorf("Authorization of the Graph calls = %q, want one with the token", got)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		srv := cloudapitest.New(cloudapitest.Options{}).Start()
		conn := whatsapptest.CloudConnection(srv)
		mediaURL := srv.URL() + "/v21.0/" + srv.AddMedia("image/png", photo)
		srv.Close()
		_, err := resolveMedia(ctx(t), whatsapp.New(), conn, mediaURL)
		wantError(t, err, sdk.Transient, "", "unreachable")
	})
}

func TestTwilioResolveMedia(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv := twiliotest.NewTest(t, twiliotest.Options{})
	rc := newReceiver(t, ch, whatsapptest.TwilioConnection(srv))
	srv.SetInboundURL(rc.url)
	sid, err := srv.Inject(ctx(t), twiliotest.Inbound{From: customer, Text: "my receipt",
		Media: []twiliotest.Media{{ContentType: "image/jpeg", Data: photo}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	events := rc.waitFor(t, "the image", func(es []sdk.Event) bool {
		return findMessage(es, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == sid }) != nil
	})
	m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == sid })
	if m.Type != "image" || m.Media == nil || m.Media.MIMEType != "image/jpeg" {
		t.Fatalf("inbound image = %+v", m)
	}
	mediaURL := m.Media.URL
	o := srv.Options()
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(o.AccountSID+":"+o.AuthToken))

	for name, ch := range map[string]sdk.Channel{"in_process": ch, "out_of_process": conformance.Connect(t, ch)} {
		src, err := resolveMedia(ctx(t), ch, rc.conn, mediaURL)
		if err != nil {
			t.Fatalf("%s: resolve_media: %v", name, err)
		}
		if src.URL != mediaURL || len(src.Headers) != 1 || src.Headers["Authorization"] != wantAuth || src.MIMEType != "" || src.Size != 0 {
			t.Errorf("%s: source = %+v, want the media URL with Authorization %s", name, src, wantAuth)
		}
	}
	src, _ := resolveMedia(ctx(t), ch, rc.conn, mediaURL)
	// Twilio answers 307 to its storage, which the host follows.
	if status, typ, body := fetch(t, src.URL, src.Headers); status != http.StatusOK || typ != "image/jpeg" || !bytes.Equal(body, photo) {
		t.Errorf("GET with the headers: %d %s, %d bytes; want 200 image/jpeg and the photo", status, typ, len(body))
	}
	if status, _, _ := fetch(t, src.URL, nil); status != http.StatusUnauthorized {
		t.Errorf("GET without the headers: %d, want 401", status)
	}

	t.Run("sid_in_capitals", func(t *testing.T) {
		// A config may spell the SID's hex in capitals; Twilio's URLs do not.
		conn := rc.conn
		cfg := whatsapptest.TwilioConfig(srv)
		cfg.AccountSID = "AC" + strings.ToUpper(cfg.AccountSID[2:])
		conn.Config = cfg.JSON()
		if _, err := resolveMedia(ctx(t), ch, conn, mediaURL); err != nil {
			t.Errorf("resolve_media: %v", err)
		}
	})
	t.Run("foreign", func(t *testing.T) {
		const other = "AC" + "ffffffffffffffffffffffffffffffff"
		rest := strings.TrimPrefix(mediaURL, srv.URL()+"/2010-04-01/Accounts/"+o.AccountSID)
		for _, u := range []string{
			srv.URL() + "/2010-04-01/Accounts/" + other + rest,                          // another account
			"https://api.twilio.com/2010-04-01/Accounts/" + o.AccountSID + rest,         // not the configured base URL
			strings.Replace(mediaURL, "127.0.0.1", "127.0.0.1.evil.example", 1),         // a host's lookalike
			srv.URL() + "/2010-04-01/Accounts/" + o.AccountSID + "/Messages.json",       // not a media
			srv.URL() + "/2010-04-01/Accounts/" + o.AccountSID + ".json",                // …
			mediaURL + "/../../../Messages.json",                                        // …
			mediaURL + "?x=1",                                                           // a query
			srv.URL() + "/2010-04-01/Accounts/" + o.AccountSID + "/Calls/CA1/Media/ME1", // …
		} {
			_, err := resolveMedia(ctx(t), ch, rc.conn, u)
			e := wantError(t, err, sdk.Permanent, whatsapp.CodeForeignMediaURL, "not a media URL of this connection's provider")
			if strings.Contains(e.Error(), o.AuthToken) {
				t.Errorf("the error carries the auth token: %v", e)
			}
		}
	})
	t.Run("deleted", func(t *testing.T) {
		srv.DeleteMedia(mediaURL)
		if status, _, _ := fetch(t, src.URL, src.Headers); status != http.StatusNotFound {
			t.Errorf("GET a deleted media: %d, want 404", status)
		}
	})
}

// TestResolveMediaUnknownEngine: resolve_media is for the engines the plugin has.
func TestResolveMediaUnknownEngine(t *testing.T) {
	t.Parallel()
	_, err := resolveMedia(ctx(t), whatsapp.New(), sdk.Connection{Engine: "unofficial", Config: json.RawMessage(`{}`)}, "https://graph.facebook.com/v21.0/1")
	wantError(t, err, sdk.Permanent, whatsapp.CodeUnknownEngine, "no engine")
}
