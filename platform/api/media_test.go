package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// jpeg is a picture of n bytes, as far as its first bytes tell.
func jpeg(n int) []byte {
	b := make([]byte, n)
	copy(b, "\xff\xd8\xff\xe0\x00\x10JFIF")
	for i := 11; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// TestMediaUploads: a member uploads a file and sends it by id; the file is checked
// (type by name and content, size by the conversation's channel: loopback carries
// pictures up to 5 MB), kept, shown in the thread and, through a signed link that
// expires, given to the provider; nothing of it is another workspace's.
func TestMediaUploads(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			uploads := f.admin.WSPath("/media")
			photo := jpeg(700_000) // two parts
			var file media.File
			f.agent.Upload(uploads, "../shelf photo.jpg", photo, map[string]string{"connection_id": f.conn.ID}).
				Expect(http.StatusCreated).Decode(&file)
			if file.ID == "" || file.Filename != "shelf photo.jpg" || file.MIMEType != "image/jpeg" || file.Size != int64(len(photo)) {
				t.Fatalf("uploaded %+v", file)
			}
			res := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: uploads + "/" + file.ID})
			if res.Status != http.StatusOK || !bytes.Equal(res.Body, photo) || res.Header.Get("Content-Type") != "image/jpeg" ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Accept-Ranges") != "bytes" {
				t.Fatalf("the file: %d, %d bytes, headers %v", res.Status, len(res.Body), res.Header)
			}
			part := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: uploads + "/" + file.ID, Header: map[string]string{"Range": "bytes=524280-524299"}})
			if part.Status != http.StatusPartialContent || !bytes.Equal(part.Body, photo[524280:524300]) || part.Header.Get("Content-Range") != "bytes 524280-524299/700000" {
				t.Fatalf("a range across parts: %d, %d bytes, %q", part.Status, len(part.Body), part.Header.Get("Content-Range"))
			}
			if r := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: uploads + "/" + file.ID, Header: map[string]string{"Range": "bytes=700000-"}}); r.Status != http.StatusRequestedRangeNotSatisfiable ||
				r.Header.Get("Content-Range") != "bytes */700000" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("a range past the end: %d %v, want 416 with the size and nosniff", r.Status, r.Header)
			}
			if r := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: uploads + "/" + file.ID, Header: map[string]string{"Range": "bytes=9-5"}}); r.Status != http.StatusOK || len(r.Body) != len(photo) {
				t.Fatalf("a range not well formed: %d, %d bytes, want the whole file", r.Status, len(r.Body))
			}
			// Asked again with its ETag: 304; a range "if still this file" of another
			// one: the whole file.
			etag := res.Header.Get("ETag")
			if etag != `"`+file.SHA256+`"` {
				t.Fatalf("ETag %q, want the content's hash", etag)
			}
			for _, tc := range []struct {
				header map[string]string
				want   int
			}{
				{map[string]string{"If-None-Match": etag}, http.StatusNotModified},
				{map[string]string{"If-None-Match": `"x", W/` + etag}, http.StatusNotModified},
				{map[string]string{"If-None-Match": `"x"`}, http.StatusOK},
				{map[string]string{"Range": "bytes=0-9", "If-Range": etag}, http.StatusPartialContent},
				{map[string]string{"Range": "bytes=0-9", "If-Range": `"an older version"`}, http.StatusOK},
			} {
				r := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: uploads + "/" + file.ID, Header: tc.header})
				if r.Status != tc.want || (tc.want == http.StatusNotModified && len(r.Body) != 0) || (tc.want == http.StatusOK && len(r.Body) != len(photo)) {
					t.Errorf("%v: %d, %d bytes, want %d", tc.header, r.Status, len(r.Body), tc.want)
				}
			}

			// Refusals name the field and keep nothing.
			refused := func(r *testapp.Response, field, says string) {
				t.Helper()
				e := r.Expect(http.StatusUnprocessableEntity).Error()
				if !strings.Contains(e.Fields[field], says) {
					t.Errorf("fields %v, want %s saying %q", e.Fields, field, says)
				}
			}
			refused(f.agent.Upload(uploads, "big.jpg", jpeg(5<<20+1), map[string]string{"connection_id": f.conn.ID}),
				"file", "must be at most 5 MB: the loopback channel carries pictures up to 5 MB")
			refused(f.agent.Upload(uploads, "cat.png", []byte("<!doctype html><script>"), nil), "file", "does not hold a image/png file")
			refused(f.agent.Upload(uploads, "tool.exe", []byte("MZ"), nil), "file", "must be a jpg")
			refused(f.agent.Upload(uploads, "x.jpg", jpeg(100), map[string]string{"connection_id": other.conn.ID}), "connection_id", "is no connection of this workspace")
			// The connection may be named after the file: the file kept is checked then,
			// and removed when its channel does not take it.
			fileFirst := func(content []byte) *testapp.Response {
				var body bytes.Buffer
				w := multipart.NewWriter(&body)
				fw, _ := w.CreateFormFile("file", "late.jpg")
				_, _ = fw.Write(content)
				_ = w.WriteField("connection_id", f.conn.ID)
				_ = w.Close()
				return f.agent.Send(testapp.Request{Method: http.MethodPost, Path: uploads, ContentType: w.FormDataContentType(), Body: body.Bytes()})
			}
			refused(fileFirst(jpeg(5<<20+1)), "file", "must be at most 5 MB: the loopback channel carries pictures up to 5 MB")
			var late media.File
			fileFirst(jpeg(1000)).Expect(http.StatusCreated).Decode(&late)
			if late.Size != 1000 || late.Filename != "late.jpg" {
				t.Errorf("a file before its connection: %+v", late)
			}
			if e := f.agent.Do(http.MethodPost, uploads, map[string]string{"file": "x"}).Expect(http.StatusBadRequest).Error(); e.Code != "not_a_form" {
				t.Errorf("a JSON body: %+v, want not_a_form", e)
			}
			// Bodies over the route's limit are refused as they arrive (badinput_test's
			// partOversizeBody, on a real listener).
			if n, err := f.sc.Select((*media.File)(nil)).Count(f.ta.Ctx()); err != nil || n != 2 {
				t.Errorf("%d files kept (%v), want the two accepted", n, err)
			}

			// Sent by id: the message carries the file's type and name, and its caption.
			conv := f.ticket("Ines")
			msgs := f.path("/" + conv.ID + "/messages")
			var m messaging.Message
			f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "media", Media: &api.MessageMedia{FileID: file.ID, Caption: "the shelf"}}).
				Expect(http.StatusCreated).Decode(&m)
			md := m.Content.Media
			if m.Content.MediaFile != file.ID || md == nil || md.MIMEType != "image/jpeg" || md.Filename != "shelf photo.jpg" || md.Caption != "the shelf" || md.URL != "" {
				t.Fatalf("media message content %+v %+v", m.Content, md)
			}
			shown := f.viewer.Send(testapp.Request{Method: http.MethodGet, Path: msgs + "/" + m.ID + "/media"})
			if shown.Status != http.StatusOK || !bytes.Equal(shown.Body, photo) {
				t.Fatalf("the message's media: %d, %d bytes", shown.Status, len(shown.Body))
			}
			for _, tc := range []struct {
				media *api.MessageMedia
				field string
			}{
				{&api.MessageMedia{FileID: other.upload(t)}, "media.file_id"},                  // another workspace's
				{&api.MessageMedia{FileID: "no-such-file"}, "media.file_id"},                   // none
				{&api.MessageMedia{FileID: file.ID, URL: "https://x.test/a.jpg"}, "media.url"}, // both
				{&api.MessageMedia{}, "media.url"},
			} {
				e := f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "media", Media: tc.media}).Expect(http.StatusUnprocessableEntity).Error()
				if e.Fields[tc.field] == "" {
					t.Errorf("media %+v: fields %v, want %s", tc.media, e.Fields, tc.field)
				}
			}
			// A picture uploaded without a connection (checked against the platform's
			// 16 MB) is checked against the channel when it is sent.
			var large media.File
			f.agent.Upload(uploads, "poster.jpg", jpeg(6<<20), nil).Expect(http.StatusCreated).Decode(&large)
			refused(f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "media", Media: &api.MessageMedia{FileID: large.ID}}),
				"media.file_id", "is 6 MB; the loopback channel carries pictures up to 5 MB")

			// The provider's link opens the file, anonymously, until it expires; changed
			// in any part it opens nothing.
			now := time.Now()
			link := func(ws, id string, at time.Time) string {
				u, err := url.Parse(f.ta.App.MediaLinks.URL(ws, id, "shelf photo.jpg", at))
				if err != nil {
					t.Fatal(err)
				}
				return u.RequestURI()
			}
			anon := f.ta.Anonymous()
			ws := f.admin.Workspace.ID
			if r := anon.Send(testapp.Request{Method: http.MethodGet, Path: link(ws, file.ID, now)}); r.Status != http.StatusOK || !bytes.Equal(r.Body, photo) ||
				r.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("the provider's link: %d, %d bytes, %q", r.Status, len(r.Body), r.Header.Get("Content-Type"))
			}
			good := link(ws, file.ID, now)
			for name, path := range map[string]string{
				"expired":                   link(ws, file.ID, now.Add(-media.LinkTTL-time.Minute)),
				"another workspace's id":    strings.Replace(good, ws, other.admin.Workspace.ID, 1),
				"another file":              strings.Replace(good, file.ID, large.ID, 1),
				"a later expiry":            strings.Replace(good, "expires=", "expires=9", 1),
				"no signature":              strings.Split(good, "&signature=")[0],
				"signed for another tenant": link(other.admin.Workspace.ID, file.ID, now),
			} {
				if r := anon.Send(testapp.Request{Method: http.MethodGet, Path: path}); r.Status != http.StatusNotFound {
					t.Errorf("%s: %d, want 404", name, r.Status)
				}
			}
		})
	}
}

// upload stores a small PDF in the fixture's workspace and returns its id.
func (f *convFixture) upload(t *testing.T) string {
	t.Helper()
	var file media.File
	f.admin.Upload(f.admin.WSPath("/media"), "terms.pdf", []byte("%PDF-1.4 terms"), nil).Expect(http.StatusCreated).Decode(&file)
	return file.ID
}

// pickyLoopback is loopback carrying no GIF, as WhatsApp.
type pickyLoopback struct{ *loopback.Loopback }

func (p pickyLoopback) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := p.Loopback.Describe(ctx)
	d.MediaTypes = []string{"image/jpeg", "image/png", "application/pdf"}
	return d, err
}

// TestMediaTypesOfTheChannel: a file of a type the connection's channel does not
// carry is refused when it is uploaded for that connection, naming what it carries.
func TestMediaTypesOfTheChannel(t *testing.T) {
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": pickyLoopback{loopback.New()}}))
	f := convFixtureOn(t, ta)
	e := f.agent.Upload(f.admin.WSPath("/media"), "dance.gif", []byte("GIF89a dance"), map[string]string{"connection_id": f.conn.ID}).
		Expect(http.StatusUnprocessableEntity).Error()
	if e.Fields["file"] != "cannot go on this connection: the loopback channel carries no image/gif files; it carries jpeg, jpg, pdf, png" {
		t.Errorf("a GIF for a channel without GIFs: %v", e.Fields)
	}
	f.agent.Upload(f.admin.WSPath("/media"), "dance.gif", []byte("GIF89a dance"), nil).Expect(http.StatusCreated)
	var catalog api.List[connections.ChannelOption]
	f.admin.Do(http.MethodGet, f.admin.WSPath("/channels"), nil).Expect(http.StatusOK).Decode(&catalog)
	if channels := catalog.Items; len(channels) != 1 || strings.Join(channels[0].MediaTypes, ",") != "jpeg,jpg,pdf,png" || channels[0].MediaLimits["image"] != 5<<20 {
		t.Errorf("the catalog: %+v", catalog.Items)
	}
}
