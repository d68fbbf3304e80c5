package cloudapitest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
)

// get GETs u (a full URL) with a Bearer token when token is not empty.
func get(t *testing.T, u, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type mediaInfo struct {
	URL              string          `json:"url"`
	MIMEType         string          `json:"mime_type"`
	SHA256           string          `json:"sha256"`
	FileSize         json.RawMessage `json:"file_size"`
	ID               string          `json:"id"`
	MessagingProduct string          `json:"messaging_product"`
}

func TestMedia(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := cloudapitest.NewTest(t, cloudapitest.Options{Now: clock})
	voice := []byte("OggS\x00\x02voice note")
	id := srv.AddMedia("audio/ogg", voice)
	other := srv.AddMedia("application/pdf", []byte("%PDF-1.7"))
	if id == other || strings.Trim(id, "0123456789") != "" {
		t.Fatalf("media ids %q %q, want two distinct strings of digits", id, other)
	}
	sum := sha256.Sum256(voice)

	// The media object: its download URL on the lookaside path, with the token only.
	status, body := call(t, srv, "GET", "/v21.0/"+id, "", nil)
	wantGraphError(t, status, body, 401, 190)
	status, body = call(t, srv, "GET", "/v21.0/"+id, tok, nil)
	var m mediaInfo
	if status != 200 || json.Unmarshal(body, &m) != nil {
		t.Fatalf("GET the media: %d %s", status, body)
	}
	if m.ID != id || m.MIMEType != "audio/ogg" || m.SHA256 != hex.EncodeToString(sum[:]) || string(m.FileSize) != "16" || m.MessagingProduct != "whatsapp" {
		t.Errorf("media = %s", body)
	}
	if !strings.HasPrefix(m.URL, srv.URL()+cloudapitest.LookasidePath+"?") {
		t.Errorf("url = %s, want the fake's lookaside path", m.URL)
	}

	// The download: the bytes to the token, 401 without it, 403 for a forged URL.
	status, h, got := get(t, m.URL, tok)
	if status != 200 || !bytes.Equal(got, voice) || h.Get("Content-Type") != "audio/ogg" {
		t.Errorf("download: %d %q %q", status, h.Get("Content-Type"), got)
	}
	if status, _, _ := get(t, m.URL, ""); status != 401 {
		t.Errorf("download without the token: %d, want 401", status)
	}
	if status, _, _ := get(t, m.URL, "EAAwrong"); status != 401 {
		t.Errorf("download with another token: %d, want 401", status)
	}
	u, _ := url.Parse(m.URL)
	q := u.Query()
	q.Set("mid", other)
	u.RawQuery = q.Encode()
	if status, _, _ := get(t, u.String(), tok); status != 403 {
		t.Errorf("download of another media with this URL's hash: %d, want 403", status)
	}

	// MediaObject is the webhook's media object.
	obj := srv.MediaObject(id, "hi")
	if obj["id"] != id || obj["mime_type"] != "audio/ogg" || obj["sha256"] != hex.EncodeToString(sum[:]) || obj["caption"] != "hi" {
		t.Errorf("MediaObject = %v", obj)
	}

	// A download URL lasts five minutes.
	mu.Lock()
	now = now.Add(cloudapitest.MediaURLTTL + time.Second)
	mu.Unlock()
	if status, _, _ := get(t, m.URL, tok); status != 403 {
		t.Errorf("download after %v: %d, want 403", cloudapitest.MediaURLTTL, status)
	}
	status, body = call(t, srv, "GET", "/v21.0/"+id, tok, nil)
	if status != 200 || json.Unmarshal(body, &m) != nil {
		t.Fatalf("GET the media again: %d %s", status, body)
	}

	// Expired media: the object does not exist (100/33) and its URLs 404.
	srv.ExpireMedia(id)
	status, body = call(t, srv, "GET", "/v21.0/"+id, tok, nil)
	ge := wantGraphError(t, status, body, 400, 100)
	if ge.Error.Subcode != 33 || ge.Error.Type != "GraphMethodException" || !strings.Contains(ge.Error.Message, id) {
		t.Errorf("expired media: %s, want subcode 33 naming the id", body)
	}
	if status, _, _ := get(t, m.URL, tok); status != 404 {
		t.Errorf("download of expired media: %d, want 404", status)
	}
	if status, _ := call(t, srv, "GET", "/v21.0/"+other, tok, nil); status != 200 {
		t.Errorf("the other media: %d, want 200", status)
	}
}
