package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// MaxBytes is the largest file the platform keeps: WhatsApp's limit for video and
// sound, the largest of what the channels carry but documents. A channel may carry
// less of a class (sdk.Description.MediaLimits).
const MaxBytes int64 = 16 << 20

// partSize is how much of a file one row holds.
const partSize = 512 << 10

// maxFilenameLength bounds a kept file name, in characters.
const maxFilenameLength = 200

// ErrFileNotFound answers for a file that is not the workspace's.
var ErrFileNotFound = failure.New(failure.NotFound, "media_not_found", "media file not found")

// Bounds of what a workspace uploads. A file a message takes is paid for by the
// message's credit, one no message takes is not: MaxPendingBytes bounds what waits
// unsent, so the uploads route is no free storage. A file taken by a message later
// cancelled or deleted stays with it (the message keeps its record), so
// MaxDailyBytes bounds what any workspace adds in a day.
const (
	MaxPendingBytes int64 = 512 << 20
	MaxDailyBytes   int64 = 2 << 30
)

// Refusals of an upload over the bounds.
var (
	ErrTooMuchPending = failure.New(failure.TooManyRequests, "uploads_pending",
		"this workspace has 512 MB of uploads no message has taken yet; send or wait for them (unsent uploads are removed after a day)")
	ErrTooMuchToday = failure.New(failure.TooManyRequests, "uploads_daily",
		"this workspace uploaded 2 GB in the last 24 hours, the most a day allows; try again later")
)

// File is an uploaded file. Its bytes are kept apart, in parts.
type File struct {
	bun.BaseModel `bun:"table:media_files,alias:mf"`
	tenants.Owned

	ID       string `bun:"id,pk" json:"id"`
	Filename string `bun:"filename,notnull" json:"filename"`
	MIMEType string `bun:"mime_type,notnull" json:"mime_type"`
	Size     int64  `bun:"size,notnull" json:"size" doc:"bytes"`
	SHA256   string `bun:"sha256,notnull" json:"sha256" doc:"of the content, hex"`
	// CreatedBy is the member's user id, or empty for an API token.
	CreatedBy  *string    `bun:"created_by" json:"-"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"created_at"`
	AttachedAt *time.Time `bun:"attached_at" json:"-"`
}

// part is a slice of a file's bytes: the n-th partSize of it.
type part struct {
	bun.BaseModel `bun:"table:media_parts,alias:mp"`
	tenants.Owned

	FileID string `bun:"file_id,pk"`
	N      int    `bun:"n,pk"`
	Data   []byte `bun:"data,notnull"`
}

// Upload is a file as a member sends it.
type Upload struct {
	Filename string
	Body     io.Reader
	// Limit is the most bytes the file may have (at most MaxBytes; 0: MaxBytes), and
	// LimitNote what to say when it has more ("WhatsApp carries pictures up to 5 MB").
	Limit     int64
	LimitNote string
	CreatedBy string
}

// Save checks an upload and keeps it: its name must be one of Types' extensions, its
// first bytes what that extension says, its size within the limit. A refusal is a
// validation failure on the field "file" (or "filename") and keeps nothing.
func Save(ctx context.Context, sc tenants.Scoped, u Upload, now time.Time) (File, error) {
	name := CleanFilename(u.Filename)
	if name == "" {
		return File{}, failure.Field("filename", "is required")
	}
	typ, ok := TypeOf("", name, "")
	if !ok {
		return File{}, failure.Field("file", "must be a "+TypeList+" file")
	}
	limit := u.Limit
	if limit <= 0 || limit > MaxBytes {
		limit = MaxBytes
	}
	f := File{ID: storage.NewID(), Filename: name, MIMEType: typ, CreatedAt: now.UTC()}
	if u.CreatedBy != "" {
		f.CreatedBy = &u.CreatedBy
	}
	// Stored as it is read, a part at a time, in the transaction that checks the
	// bounds: one part of the file is in memory here, whatever its size, and a file
	// refused halfway (too large) leaves nothing.
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		tsc := sc.With(tx)
		// Uploads of one workspace at once take turns here, so the bounds hold.
		if err := tenants.LockWorkspace(ctx, tsc); err != nil {
			return err
		}
		var pending, today int64
		err := tsc.Select((*File)(nil)).
			ColumnExpr("COALESCE(SUM(CASE WHEN mf.attached_at IS NULL THEN mf.size ELSE 0 END), 0)").
			ColumnExpr("COALESCE(SUM(mf.size), 0)").
			Where("mf.created_at > ?", f.CreatedAt.Add(-24*time.Hour)).Scan(ctx, &pending, &today)
		if err != nil {
			return err
		}
		sum := sha256.New()
		body := io.LimitReader(u.Body, limit+1)
		buf := make([]byte, partSize)
		for n := 0; ; n++ {
			read, err := io.ReadFull(body, buf)
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("media: read upload: %w", err)
			}
			if n == 0 {
				switch {
				case read == 0:
					return failure.Field("file", "is empty")
				case !Holds(buf[:min(sniffLen, read)], typ):
					ext := strings.TrimPrefix(path.Ext(name), ".")
					return failure.Field("file", fmt.Sprintf("is named .%s but does not hold a %s file", ext, typ))
				}
				if _, err := tsc.Insert(&f).Exec(ctx); err != nil {
					return err
				}
			}
			if read == 0 {
				break
			}
			if f.Size += int64(read); f.Size > limit {
				return TooLarge(limit, u.LimitNote)
			}
			sum.Write(buf[:read])
			if _, err := tsc.Insert(&part{FileID: f.ID, N: n, Data: buf[:read]}).Exec(ctx); err != nil {
				return err
			}
			if read < partSize {
				break
			}
		}
		switch {
		case pending+f.Size > MaxPendingBytes:
			return ErrTooMuchPending
		case today+f.Size > MaxDailyBytes:
			return ErrTooMuchToday
		}
		f.SHA256 = hex.EncodeToString(sum.Sum(nil))
		_, err = tsc.Update(&f).Column("size", "sha256").WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return File{}, err
	}
	return f, nil
}

// TooLarge refuses a file over limit, saying why when note does ("the whatsapp
// channel carries pictures up to 5 MB").
func TooLarge(limit int64, note string) error {
	msg := "must be at most " + FormatSize(limit)
	if note != "" {
		msg += ": " + note
	}
	return failure.Field("file", msg)
}

// CleanFilename is the name a file is kept under: its last path element, without
// control characters, at most maxFilenameLength characters (the extension kept).
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimSpace(name))
	if name == "." || name == ".." || name == "/" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > maxFilenameLength {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(name, ext))
		name = string(runes[:maxFilenameLength-utf8.RuneCountInString(ext)]) + ext
	}
	return strings.TrimSpace(name)
}

// FormatSize writes a size for people: 5 MB, 1.5 MB, 300 KB.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20:
		s := fmt.Sprintf("%.1f", float64(n)/(1<<20))
		return strings.TrimSuffix(s, ".0") + " MB"
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Get loads a file of the workspace.
func Get(ctx context.Context, sc tenants.Scoped, id string) (File, error) {
	var f File
	err := sc.Get(ctx, &f, id, ErrFileNotFound)
	return f, err
}

// Attach marks a file as taken by a message, so the sweep of unattached uploads
// leaves it, and reports whether this call took it (it was unattached); the file
// taken by an earlier message stays taken. ErrFileNotFound when it is gone (swept as
// the message was written).
func Attach(ctx context.Context, sc tenants.Scoped, id string, now time.Time) (bool, error) {
	res, err := sc.Update((*File)(nil)).Set("attached_at = ?", now.UTC()).
		Where("mf.id = ? AND mf.attached_at IS NULL", id).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n > 0, err
	}
	_, err = Get(ctx, sc, id)
	return false, err
}

// Detach gives back a file Attach took for a message that was then not stored: it
// is an unsent upload again, swept in its turn.
func Detach(ctx context.Context, sc tenants.Scoped, id string) error {
	_, err := sc.Update((*File)(nil)).Set("attached_at = NULL").Where("mf.id = ?", id).Exec(ctx)
	return err
}

// Remove deletes files whether a message took them or not: the files of a deleted
// conversation that no message carries any more.
func Remove(ctx context.Context, sc tenants.Scoped, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := sc.Delete((*File)(nil)).Where("mf.id IN (?)", bun.List(ids)).Exec(ctx)
	return err
}

// unattachedFor is how long an upload no message took is kept: a member may attach,
// then write the message for a while.
const unattachedFor = 24 * time.Hour

// SweepUnattached removes the workspace's uploads no message took within a day (a
// file picked, then not sent), at most limit of them, and reports how many.
func SweepUnattached(ctx context.Context, sc tenants.Scoped, now time.Time, limit int) (int, error) {
	var ids []string
	err := sc.Select((*File)(nil)).Column("mf.id").
		Where("mf.attached_at IS NULL AND mf.created_at < ?", now.Add(-unattachedFor).UTC()).
		OrderExpr("mf.created_at").Limit(limit).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	// Its parts go with it (ON DELETE CASCADE). One attached meanwhile (a message
	// sent as the sweep ran) is kept.
	res, err := sc.Delete((*File)(nil)).Where("mf.id IN (?) AND mf.attached_at IS NULL", bun.List(ids)).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Open returns a reader of the file's bytes from offset, length of them, which reads
// one part at a time as it is read, with ctx; closing it calls done (ctx's cancel,
// or nil).
func Open(ctx context.Context, done context.CancelFunc, sc tenants.Scoped, f File, offset, length int64) io.ReadCloser {
	return &reader{ctx: ctx, done: done, sc: sc, id: f.ID, at: offset, left: min(length, max(f.Size-offset, 0))}
}

type reader struct {
	ctx  context.Context
	done context.CancelFunc
	sc   tenants.Scoped
	id   string
	at   int64 // the next byte's offset in the file
	left int64
	buf  *bytes.Reader // what is left of the part read last
}

func (r *reader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if r.buf == nil || r.buf.Len() == 0 {
		n := int(r.at / partSize)
		var pt part
		err := r.sc.Select(&pt).Where("mp.file_id = ? AND mp.n = ?", r.id, n).Limit(1).Scan(r.ctx)
		if err != nil {
			return 0, fmt.Errorf("media: read part %d of %s: %w", n, r.id, err)
		}
		skip := r.at - int64(n)*partSize
		if skip >= int64(len(pt.Data)) {
			return 0, io.ErrUnexpectedEOF
		}
		r.buf = bytes.NewReader(pt.Data[skip:])
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, _ := r.buf.Read(p)
	r.at += int64(n)
	r.left -= int64(n)
	return n, nil
}

func (r *reader) Close() error {
	if r.done != nil {
		r.done()
	}
	return nil
}
