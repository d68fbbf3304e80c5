package twiliotest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
)

// getMedia GETs u with Basic auth when user is not empty, not following redirects.
func getMedia(t *testing.T, u, user, pass string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestMedia(t *testing.T) {
	t.Parallel()
	forms := make(chan url.Values, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		forms <- r.PostForm
	}))
	defer hook.Close()
	srv := twiliotest.NewTest(t, twiliotest.Options{InboundURL: hook.URL})
	const sid, token = twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken
	photo := []byte("\x89PNG\r\n\x1a\nphoto")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// An inbound message with a kept attachment after a plain link.
	msgSID, err := srv.Inject(ctx, twiliotest.Inbound{From: "+15550100001", Text: "look",
		MediaURLs: []string{"https://example.com/a.pdf"},
		Media:     []twiliotest.Media{{ContentType: "image/png", Data: photo}}})
	if err != nil {
		t.Fatal(err)
	}
	f := <-forms
	mediaURL := f.Get("MediaUrl1")
	wantURL := regexp.MustCompile(`^` + regexp.QuoteMeta(srv.URL()+"/2010-04-01/Accounts/"+sid+"/Messages/"+msgSID+"/Media/") + `ME[0-9a-f]{32}$`)
	if !strings.HasPrefix(msgSID, "MM") || f.Get("NumMedia") != "2" || f.Get("MediaUrl0") != "https://example.com/a.pdf" ||
		f.Get("MediaContentType0") != "application/octet-stream" || f.Get("MediaContentType1") != "image/png" || !wantURL.MatchString(mediaURL) {
		t.Fatalf("inbound form = %v (sid %s)", f, msgSID)
	}

	// Basic auth, then a 307 to storage, which needs none.
	resp, body := getMedia(t, mediaURL, "", "")
	wantTwilioError(t, resp.StatusCode, body, 401, 20003)
	resp, body = getMedia(t, mediaURL, sid, "wrong")
	wantTwilioError(t, resp.StatusCode, body, 401, 20003)
	resp, _ = getMedia(t, mediaURL, sid, token)
	storage := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(storage, srv.URL()+twiliotest.StoragePath) {
		t.Fatalf("GET the media: %d Location %q, want 307 to storage", resp.StatusCode, storage)
	}
	resp, body = getMedia(t, storage, "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, photo) {
		t.Errorf("GET the storage URL: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := getMedia(t, srv.URL()+twiliotest.StoragePath+"nope", "", ""); resp.StatusCode != 404 {
		t.Errorf("GET an unknown storage key: %d, want 404", resp.StatusCode)
	}

	// AddMedia alone, then deleted: 404 (20404), storage too.
	other := srv.AddMedia("", "audio/ogg", []byte("OggS"))
	if !regexp.MustCompile(`/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$`).MatchString(other) {
		t.Errorf("AddMedia = %s", other)
	}
	srv.DeleteMedia(mediaURL)
	resp, body = getMedia(t, mediaURL, sid, token)
	wantTwilioError(t, resp.StatusCode, body, 404, 20404)
	if resp, _ := getMedia(t, storage, "", ""); resp.StatusCode != 404 {
		t.Errorf("GET the storage URL of deleted media: %d, want 404", resp.StatusCode)
	}
	// DELETE through the API.
	p := strings.TrimPrefix(other, srv.URL())
	if status, body := call(t, srv, "DELETE", p, sid, token, nil); status != http.StatusNoContent {
		t.Errorf("DELETE the media: %d %s", status, body)
	}
	resp, body = getMedia(t, other, sid, token)
	wantTwilioError(t, resp.StatusCode, body, 404, 20404)
}
