package media_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/secretbox"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// Files' first bytes, as their makers write them.
var heads = map[string]string{
	"photo.jpg": "\xff\xd8\xff\xe0\x00\x10JFIF", "logo.png": "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
	"a.gif": "GIF89a\x01\x00", "b.webp": "RIFF\x24\x00\x00\x00WEBPVP8 ", "clip.mp4": "\x00\x00\x00\x20ftypisom",
	"c.webm": "\x1a\x45\xdf\xa3\x9f\x42\x86", "song.mp3": "ID3\x04\x00", "raw.mp3": "\xff\xfb\x90\x64",
	"memo.wav": "RIFF\x24\x08\x00\x00WAVEfmt ", "invoice.pdf": "%PDF-1.7\n", "old.doc": "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00",
	"sheet.xls": "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "new.docx": "PK\x03\x04\x14\x00",
}

// TestHolds: each type is told by its first bytes, and another type's bytes, or a
// page, do not pass for it.
func TestHolds(t *testing.T) {
	for name, head := range heads {
		typ, ok := media.TypeOf("", name, "")
		if !ok {
			t.Fatalf("%s: no type", name)
		}
		if !media.Holds([]byte(head), typ) {
			t.Errorf("%s (%s): its own first bytes do not hold it", name, typ)
		}
		for other, itsType := range map[string]string{"<!doctype html><script>": "text/html", "%PDF-1.4": "application/pdf", "\x89PNG\r\n\x1a\n": "image/png", "": ""} {
			if itsType != typ && media.Holds([]byte(other), typ) {
				t.Errorf("%s (%s): %q passes for it", name, typ, other)
			}
		}
	}
}

// TestNameFor: a customer's media kept as a file keeps its name when the name says its
// type, and is named after its type otherwise; a type no channel carries has none.
func TestNameFor(t *testing.T) {
	for _, tc := range []struct{ filename, mime, want string }{
		{"invoice.pdf", "application/pdf", "invoice.pdf"},
		{"", "image/jpeg", "media.jpg"},
		{"scan.png", "image/jpeg", "scan.jpg"},
		{"IMG_1.JPEG", "image/jpeg", "IMG_1.JPEG"},
		{"", "audio/x-wav", "media.wav"},
		{"note.ogg", "audio/ogg", ""},
		{"x", "", ""},
	} {
		got, ok := media.NameFor(tc.filename, tc.mime)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("NameFor(%q, %q) = %q, %v; want %q", tc.filename, tc.mime, got, ok, tc.want)
		}
	}
}

func TestCleanFilename(t *testing.T) {
	long := strings.Repeat("é", 300) + ".pdf"
	for in, want := range map[string]string{
		"report.pdf": "report.pdf", "../../etc/passwd.png": "passwd.png", `C:\Users\ana\photo.JPG`: "photo.JPG",
		"a\x00b\nc.png": "abc.png", " spaced .png ": "spaced .png", "/": "", "": "", "..": "",
		long: strings.Repeat("é", 196) + ".pdf",
	} {
		if got := media.CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		header  string
		want    media.Span
		refused bool
	}{
		{"", media.Span{Length: 1000}, false},
		{"bytes=0-99", media.Span{Start: 0, Length: 100, Partial: true}, false},
		{"bytes=900-", media.Span{Start: 900, Length: 100, Partial: true}, false},
		{"bytes=900-5000", media.Span{Start: 900, Length: 100, Partial: true}, false},
		{"bytes=-10", media.Span{Start: 990, Length: 10, Partial: true}, false},
		{"bytes=-5000", media.Span{Start: 0, Length: 1000, Partial: true}, false},
		{"bytes=0-1,5-6", media.Span{Length: 1000}, false}, // several: the whole file
		{"items=0-1", media.Span{Length: 1000}, false},
		{"bytes=1000-", media.Span{}, true},
		{"bytes=1000-2000", media.Span{}, true},
		{"bytes=-0", media.Span{}, true},
		// Not well formed: ignored, the whole file.
		{"bytes=5-4", media.Span{Length: 1000}, false},
		{"bytes=x-", media.Span{Length: 1000}, false},
		{"bytes=+5-", media.Span{Length: 1000}, false},
		{"bytes=-+5", media.Span{Length: 1000}, false},
	} {
		got, err := media.ParseRange(tc.header, 1000)
		if tc.refused != errors.Is(err, media.ErrRange) || (!tc.refused && got != tc.want) {
			t.Errorf("ParseRange(%q) = %+v, %v; want %+v (refused %v)", tc.header, got, err, tc.want, tc.refused)
		}
	}
	if got := (media.Span{Start: 900, Length: 100}).ContentRange(1000); got != "bytes 900-999/1000" {
		t.Errorf("ContentRange = %q", got)
	}
}

// TestLimitFor: a channel's limit for a class, never above the platform's; a class it
// does not name gets the platform's, and only a lower limit is explained.
func TestLimitFor(t *testing.T) {
	d := sdk.Description{Kind: "whatsapp", MediaLimits: map[string]int64{"image": 5 << 20, "document": 100 << 20}}
	for mime, want := range map[string]int64{"image/png": 5 << 20, "application/pdf": media.MaxBytes, "video/mp4": media.MaxBytes} {
		got, note := media.LimitFor(d, mime)
		if got != want || (got < media.MaxBytes) != (note != "") {
			t.Errorf("LimitFor(%s) = %d %q, want %d", mime, got, note, want)
		}
	}
	if _, note := media.LimitFor(d, "image/jpeg"); note != "the whatsapp channel carries pictures up to 5 MB" {
		t.Errorf("note %q", note)
	}
	wa := sdk.Description{Kind: "whatsapp", MediaTypes: []string{"image/jpeg", "image/png", "application/pdf"}}
	if why := media.Refused(wa, "image/gif"); why != "the whatsapp channel carries no image/gif files; it carries jpeg, jpg, pdf, png" {
		t.Errorf("Refused(gif) = %q", why)
	}
	if why := media.Refused(wa, "image/png"); why != "" {
		t.Errorf("Refused(png) = %q", why)
	}
	if got := media.Carried(sdk.Description{}); len(got) != len(media.Types) {
		t.Errorf("a channel that lists no types carries %v, want all %d", got, len(media.Types))
	}
	for n, want := range map[int64]string{5 << 20: "5 MB", 1536 << 10: "1.5 MB", 300 << 10: "300 KB", 12: "12 bytes"} {
		if got := media.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLinks: a link opens its file until it expires, and changing any part of it
// (the workspace, the file, the expiry) opens nothing.
func TestLinks(t *testing.T) {
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := media.Links{Signer: box, BaseURL: "https://sb.example"}
	now := time.Unix(1_800_000_000, 0)
	raw := l.URL("ws-1", "file-1", "my photo.jpg", now)
	if !strings.HasPrefix(raw, "https://sb.example/media/ws-1/file-1/my%20photo.jpg?expires=") {
		t.Fatalf("URL = %s", raw)
	}
	_, query, _ := strings.Cut(raw, "?")
	var exp, sig string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "expires":
			exp = v
		case "signature":
			sig = v
		}
	}
	if !l.Check("ws-1", "file-1", exp, sig, now.Add(time.Hour)) {
		t.Fatal("a fresh link does not check")
	}
	for name, ok := range map[string]bool{
		"other workspace": l.Check("ws-2", "file-1", exp, sig, now),
		"other file":      l.Check("ws-1", "file-2", exp, sig, now),
		"later expiry":    l.Check("ws-1", "file-1", "9999999999", sig, now),
		"expired":         l.Check("ws-1", "file-1", exp, sig, now.Add(media.LinkTTL+time.Second)),
		"no signature":    l.Check("ws-1", "file-1", exp, "", now),
	} {
		if ok {
			t.Errorf("%s: the link checks", name)
		}
	}
}

// TestStore: an upload is kept in parts and read back whole or by range; a file that
// is not what its name says, empty, too large or of a type no channel carries is
// refused naming the field and keeps nothing; files are the workspace's own; a file
// no message took is swept after a day, an attached one is kept.
func TestStore(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			sc := tenants.Scope(ta.App.DB, ta.NewWorkspace("Media").Workspace.ID)
			other := tenants.Scope(ta.App.DB, ta.NewWorkspace("Elsewhere").Workspace.ID)
			now := time.Now().UTC()

			// 1.3 MB: three parts, the last one short.
			content := []byte(heads["clip.mp4"] + strings.Repeat("0123456789abcdef", 85_000))
			f, err := media.Save(ctx, sc, media.Upload{Filename: "videos/clip.mp4", Body: bytes.NewReader(content), CreatedBy: "u1"}, now)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(content)
			if f.Filename != "clip.mp4" || f.MIMEType != "video/mp4" || f.Size != int64(len(content)) || f.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("saved %+v", f)
			}
			got, err := media.Get(ctx, sc, f.ID)
			if err != nil || got.Size != f.Size {
				t.Fatalf("Get = %+v, %v", got, err)
			}
			read := func(off, n int64) []byte {
				t.Helper()
				b, err := io.ReadAll(media.Open(ctx, nil, sc, got, off, n))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			if !bytes.Equal(read(0, f.Size), content) {
				t.Error("the file read whole differs from what was uploaded")
			}
			// Across a part's end, and the last bytes.
			for _, r := range [][2]int64{{524_000, 2_000}, {f.Size - 10, 10}, {5, 1}, {f.Size - 1, 100}} {
				want := content[r[0]:min(r[0]+r[1], f.Size)]
				if got := read(r[0], r[1]); !bytes.Equal(got, want) {
					t.Errorf("range %v: %d bytes, want %d equal ones", r, len(got), len(want))
				}
			}
			if _, err := media.Get(ctx, other, f.ID); !errors.Is(err, media.ErrFileNotFound) {
				t.Errorf("another workspace's Get = %v, want ErrFileNotFound", err)
			}
			if _, err := media.Attach(ctx, other, f.ID, now); !errors.Is(err, media.ErrFileNotFound) {
				t.Errorf("another workspace's Attach = %v, want ErrFileNotFound", err)
			}

			refused := func(u media.Upload, field, says string) {
				t.Helper()
				_, err := media.Save(ctx, sc, u, now)
				var fe *failure.Error
				if !errors.As(err, &fe) || !strings.Contains(fe.Fields[field], says) {
					t.Errorf("upload %q: %v, want %s refused saying %q", u.Filename, err, field, says)
				}
			}
			page := strings.NewReader("<!doctype html><script>alert(1)</script>")
			refused(media.Upload{Filename: "cat.png", Body: page}, "file", "does not hold a image/png file")
			refused(media.Upload{Filename: "page.html", Body: strings.NewReader("<html>")}, "file", "must be a jpg")
			refused(media.Upload{Filename: "empty.pdf", Body: strings.NewReader("")}, "file", "is empty")
			refused(media.Upload{Filename: "", Body: strings.NewReader("%PDF-")}, "filename", "is required")
			big := io.MultiReader(strings.NewReader(heads["photo.jpg"]), bytes.NewReader(make([]byte, 5<<20)))
			refused(media.Upload{Filename: "big.jpg", Body: big, Limit: 5 << 20, LimitNote: "the whatsapp channel carries pictures up to 5 MB"},
				"file", "must be at most 5 MB: the whatsapp channel carries pictures up to 5 MB")
			huge := io.MultiReader(strings.NewReader(heads["invoice.pdf"]), bytes.NewReader(make([]byte, media.MaxBytes)))
			refused(media.Upload{Filename: "huge.pdf", Body: huge, Limit: 1 << 40}, "file", "must be at most 16 MB")
			if n, err := sc.Select((*media.File)(nil)).Count(ctx); err != nil || n != 1 {
				t.Errorf("%d files kept (%v), want the one accepted", n, err)
			}

			// The sweep: a day-old unattached file goes (with its parts); the attached
			// one and a fresh one stay; another workspace's is not touched.
			pdf := func(sc tenants.Scoped, at time.Time) media.File {
				t.Helper()
				f, err := media.Save(ctx, sc, media.Upload{Filename: "x.pdf", Body: strings.NewReader(heads["invoice.pdf"] + "body")}, at)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			old, fresh, othersOld := pdf(sc, now.Add(-25*time.Hour)), pdf(sc, now), pdf(other, now.Add(-25*time.Hour))
			if _, err := sc.DB().NewUpdate().Table("media_files").Set("created_at = ?", now.Add(-25*time.Hour)).Where("id = ?", f.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if took, err := media.Attach(ctx, sc, f.ID, now); err != nil || !took {
				t.Fatalf("attaching an unsent upload: %v, %v", took, err)
			}
			// Taken again (a resend of it): still taken, and this call took nothing.
			if took, err := media.Attach(ctx, sc, f.ID, now); err != nil || took {
				t.Fatalf("attaching a taken file: %v, %v", took, err)
			}
			n, err := media.SweepUnattached(ctx, sc, now, 100)
			if err != nil || n != 1 {
				t.Fatalf("sweep removed %d (%v), want 1", n, err)
			}
			for _, tc := range []struct {
				sc   tenants.Scoped
				f    media.File
				kept bool
			}{{sc, old, false}, {sc, fresh, true}, {sc, f, true}, {other, othersOld, true}} {
				if _, err := media.Get(ctx, tc.sc, tc.f.ID); (err == nil) != tc.kept {
					t.Errorf("file %s after the sweep: %v, want kept %v", tc.f.Filename, err, tc.kept)
				}
			}
			parts, err := sc.DB().NewSelect().Table("media_parts").Where("file_id = ?", old.ID).Count(ctx)
			if err != nil || parts != 0 {
				t.Errorf("%d parts of the swept file left (%v)", parts, err)
			}
			if _, err := media.Attach(ctx, sc, old.ID, now); !errors.Is(err, media.ErrFileNotFound) {
				t.Errorf("attaching a swept file = %v, want ErrFileNotFound", err)
			}

			// Uploads no message took are bounded: past MaxPendingBytes the next one is
			// refused until some are sent (or swept).
			if _, err := sc.DB().NewUpdate().Table("media_files").Set("size = ?", media.MaxPendingBytes).Where("id = ?", fresh.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := media.Save(ctx, sc, media.Upload{Filename: "y.pdf", Body: strings.NewReader(heads["invoice.pdf"])}, now); !errors.Is(err, media.ErrTooMuchPending) {
				t.Errorf("an upload past the pending bound: %v, want ErrTooMuchPending", err)
			}
			if _, err := media.Save(ctx, other, media.Upload{Filename: "y.pdf", Body: strings.NewReader(heads["invoice.pdf"])}, now); err != nil {
				t.Errorf("another workspace's upload: %v", err)
			}
			if _, err := media.Attach(ctx, sc, fresh.ID, now); err != nil {
				t.Fatal(err)
			}
			if _, err := media.Save(ctx, sc, media.Upload{Filename: "y.pdf", Body: strings.NewReader(heads["invoice.pdf"])}, now); err != nil {
				t.Errorf("an upload once the pending ones were sent: %v", err)
			}
			// Uploads at once take turns: with room for one more file, one of eight
			// gets in.
			var others int64
			if err := sc.Select((*media.File)(nil)).ColumnExpr("COALESCE(SUM(mf.size), 0)").Where("mf.attached_at IS NULL AND mf.id <> ?", fresh.ID).Scan(ctx, &others); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.DB().NewUpdate().Table("media_files").Set("size = ?, attached_at = NULL", media.MaxPendingBytes-others-700_000).Where("id = ?", fresh.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var accepted atomic.Int32
			for range 8 {
				wg.Go(func() {
					body := io.MultiReader(strings.NewReader(heads["invoice.pdf"]), bytes.NewReader(make([]byte, 600_000)))
					if _, err := media.Save(ctx, sc, media.Upload{Filename: "r.pdf", Body: body}, now); err == nil {
						accepted.Add(1)
					} else if !errors.Is(err, media.ErrTooMuchPending) {
						t.Errorf("a concurrent upload: %v", err)
					}
				})
			}
			wg.Wait()
			if n := accepted.Load(); n != 1 {
				t.Errorf("%d of 8 concurrent uploads accepted with room for one", n)
			}
			if _, err := media.Attach(ctx, sc, fresh.ID, now); err != nil {
				t.Fatal(err)
			}

			// What a day adds is bounded too, sent or not.
			if _, err := sc.DB().NewUpdate().Table("media_files").Set("size = ?", media.MaxDailyBytes).Where("id = ?", fresh.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := media.Save(ctx, sc, media.Upload{Filename: "z.pdf", Body: strings.NewReader(heads["invoice.pdf"])}, now); !errors.Is(err, media.ErrTooMuchToday) {
				t.Errorf("an upload past the day's bound: %v, want ErrTooMuchToday", err)
			}
			if _, err := media.Save(ctx, sc, media.Upload{Filename: "z.pdf", Body: strings.NewReader(heads["invoice.pdf"])}, now.Add(25*time.Hour)); err != nil {
				t.Errorf("an upload the next day: %v", err)
			}
		})
	}
}
