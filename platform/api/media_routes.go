package api

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// mediaArea keeps the files members attach to messages: uploaded here, then named
// by a media message's file_id.
type mediaArea struct{ s *Server }

// uploadBodyLimit is the largest upload request: the largest file and the form
// around it.
const uploadBodyLimit = int(media.MaxBytes) + 64<<10

// MediaUpload is the form of an upload.
type MediaUpload struct {
	File         string `json:"file" format:"binary" doc:"a jpg, jpeg, png, gif, webp, mp4, webm, mp3, wav, pdf, doc, docx or xls file of at most 16 MB, whose content must be what its name says"`
	ConnectionID string `json:"connection_id,omitempty" doc:"the connection it will be sent on: its channel's limits are checked now (WhatsApp: pictures up to 5 MB) rather than when the message is written"`
}

// errLinkInvalid answers a provider's fetch with a link that is not one the server
// made, or has expired: the same 404 as a file that does not exist.
var errLinkInvalid = failure.New(failure.NotFound, "media_not_found", "media file not found, or the link has expired")

func (a mediaArea) Register(r *Router) {
	p := WorkspacePrefix + "/media"
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.ConversationsReply,
		Summary: "Upload a file to send: then write a media message with its id as media.file_id (a file no message takes is removed after a day)", Tag: "conversations",
		Form: MediaUpload{}, BodyLimit: uploadBodyLimit, Response: media.File{}, Status: http.StatusCreated}, a.upload)
	r.Add(Route{Method: http.MethodGet, Path: p + "/:file", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "An uploaded file's content (one byte range, with Range)", Tag: "conversations", Raw: true}, a.file)
	r.Add(Route{Method: http.MethodGet, Path: media.LinkPath, Access: Public,
		Summary: "An uploaded file, for the provider that sends it: the signed link a send gives the provider, valid for a day", Tag: "conversations",
		Query: MediaLinkQuery{}, Raw: true}, a.link)
}

// MediaLinkQuery is a signed link's query.
type MediaLinkQuery struct {
	Expires   string `query:"expires" doc:"Unix time the link stops working at"`
	Signature string `query:"signature"`
}

// errUploadsBusy answers an upload past http.uploads_at_once: the uploads a server
// reads at once are bounded, and so the disk their files take while their forms are
// read (16 MB each at most), so a member's script opening hundreds cannot fill it.
var errUploadsBusy = failure.New(failure.TooManyRequests, "uploads_busy",
	"the server is reading as many uploads as it takes at once; try again in a few seconds")

// errNotAForm answers an upload that is not a multipart/form-data form.
var errNotAForm = httpError{http.StatusBadRequest, malformed("not_a_form", "send the file as multipart/form-data, in a field named file")}

// upload keeps the form's file. The body is read as it arrives (see readBodies), and
// the file is spooled to a temporary file, not memory, until the form has been read:
// then the file, whole and local, is stored (media.Save locks the workspace for its
// bounds, which must not wait on a slow client). The form's connection_id may come
// before the file or after it.
func (a mediaArea) upload(c *fiber.Ctx) error {
	boundary := string(c.Request().Header.MultipartFormBoundary())
	if boundary == "" {
		return errNotAForm
	}
	select {
	case a.s.uploads <- struct{}{}:
		defer func() { <-a.s.uploads }()
	default:
		c.Set(fiber.HeaderRetryAfter, "5")
		return errUploadsBusy
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	var (
		connID, filename string
		connNamed        bool
		spooled          *os.File
	)
	defer func() {
		if spooled != nil {
			spooled.Close()
			os.Remove(spooled.Name())
		}
	}()
	form := multipart.NewReader(requestBody(c), boundary)
	for {
		part, err := form.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return formError(err)
		}
		switch {
		case part.FormName() == "connection_id" && !connNamed:
			value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes))
			if err != nil {
				return formError(err)
			}
			connID, connNamed = strings.TrimSpace(string(value)), true
		case part.FormName() == "file" && spooled == nil:
			filename = part.FileName()
			if spooled, err = os.CreateTemp("", "switchboard-upload-*"); err != nil {
				return err
			}
			// One byte past the largest file: enough for Save to refuse it.
			if _, err := io.Copy(spooled, io.LimitReader(part, media.MaxBytes+1)); err != nil {
				return formError(err)
			}
		}
	}
	if spooled == nil {
		return failure.Field("file", "is required")
	}
	if _, err := spooled.Seek(0, io.SeekStart); err != nil {
		return err
	}
	u := media.Upload{Filename: filename, Body: spooled, CreatedBy: userID(c)}
	if connID != "" {
		conn, err := a.s.connections.Get(ctx, sc, connID)
		if errors.Is(err, connections.ErrNotFound) {
			return failure.Field("connection_id", "is no connection of this workspace")
		}
		if err != nil {
			return err
		}
		if typ, ok := media.TypeOf("", filename, ""); ok {
			if u.Limit, u.LimitNote, err = a.channelLimit(conn, typ); err != nil {
				return err
			}
		}
	}
	f, err := media.Save(ctx, sc, u, time.Now())
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(f)
}

// maxFieldBytes is the most of a form's text field an upload reads.
const maxFieldBytes = 1 << 10

// formError answers a form that could not be read: too long (413), else malformed.
func formError(err error) error {
	if errors.Is(err, fiber.ErrRequestEntityTooLarge) {
		return fiber.ErrRequestEntityTooLarge
	}
	return errNotAForm
}

// channelLimit is what the connection's channel takes of a file of type typ: the
// largest, with the note a refusal gives, or the field error when it takes none.
func (a mediaArea) channelLimit(conn connections.Connection, typ string) (int64, string, error) {
	desc, ok := a.s.pipeline.Plugins.Describe(conn.PluginID)
	if !ok {
		return media.MaxBytes, "", nil // checked again when the message is written
	}
	if why := media.Refused(desc, typ); why != "" {
		return 0, "", failure.Field("file", "cannot go on this connection: "+why)
	}
	limit, note := media.LimitFor(desc, typ)
	return limit, note, nil
}

func (a mediaArea) file(c *fiber.Ctx) error {
	sc := scoped(c, a.s)
	f, err := media.Get(c.UserContext(), sc, c.Params("file"))
	if err != nil {
		return err
	}
	return sendFile(c, sc, f)
}

func (a mediaArea) link(c *fiber.Ctx) error {
	ws, id := c.Params("workspace_id"), c.Params("file")
	if !a.s.mediaLinks.Check(ws, id, c.Query("expires"), c.Query("signature"), time.Now()) {
		return errLinkInvalid
	}
	sc := tenants.Scope(a.s.db, ws)
	f, err := media.Get(c.UserContext(), sc, id)
	if errors.Is(err, media.ErrFileNotFound) {
		return errLinkInvalid
	}
	if err != nil {
		return err
	}
	return sendFile(c, sc, f)
}

// sendTimeout bounds how long an answer with a file may take to send: the reads
// outlive the request (see sendFile), and a client that stops reading must not keep
// them for ever.
const sendTimeout = 10 * time.Minute

// sendFile answers with an uploaded file, or the one byte range asked for.
func sendFile(c *fiber.Ctx, sc tenants.Scoped, f media.File) error {
	for k, v := range media.Headers(f.MIMEType, f.Filename) {
		c.Set(k, v)
	}
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	// A file never changes: its ETag is its content's hash. A browser asking again
	// with the one it has gets 304, and a range asked "if still this file" of another
	// (If-Range) gets the whole file.
	etag := `"` + f.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	if matchesETag(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	ranged := c.Get(fiber.HeaderRange)
	if ifRange := c.Get(fiber.HeaderIfRange); ifRange != "" && ifRange != etag {
		ranged = ""
	}
	span, err := media.ParseRange(ranged, f.Size)
	if errors.Is(err, media.ErrRange) {
		c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(f.Size, 10))
		return c.SendStatus(http.StatusRequestedRangeNotSatisfiable)
	}
	if span.Partial {
		c.Status(http.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, span.ContentRange(f.Size))
	}
	// Read as it is sent, a part at a time: fasthttp sends the body after the
	// handler returned, so the reads must outlive the request's context. Closing the
	// body (fasthttp does once it is sent, or the client went away) ends them.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), sendTimeout)
	return c.SendStream(media.Open(ctx, cancel, sc, f, span.Start, span.Length), int(span.Length))
}

// matchesETag reports whether an If-None-Match header names etag (weakly: W/ is
// ignored, as RFC 9110 compares for it) or is "*".
func matchesETag(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}
