package api

import (
	"io"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// The server takes request bodies as streams (fasthttp's StreamRequestBody): a body
// is read when something reads it, not before the request is routed. readBodies
// reads it in one place, before any handler:
//
//   - A route that takes more than body_limit (an upload, see Route.BodyLimit) gets
//     its body as a stream, read by its handler after the route's guards passed:
//     a file goes to the database a part at a time, never whole in memory, and the
//     body of a caller who may not upload is never read at all.
//   - Every other body is read whole here, up to body_limit, and handed on as usual
//     (c.Body). Past body_limit the request is refused with 413 before its handler
//     runs, as fasthttp alone did before.
//
// A body not read to its end leaves the connection closed after the answer: fasthttp
// would otherwise read the rest of it as the next request.
func readBodies(limitOf func(method, path string) (limit int, streamed bool)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := c.Request()
		if !req.IsBodyStream() {
			return c.Next() // no body (a GET)
		}
		limit, streamed := limitOf(c.Method(), c.Path())
		if req.Header.ContentLength() > limit {
			c.Context().SetConnectionClose()
			return fiber.ErrRequestEntityTooLarge
		}
		if streamed {
			b := &streamedBody{r: io.LimitReader(c.Context().RequestBodyStream(), int64(limit)+1), left: limit}
			c.Locals(streamedBodyKey, b)
			// Deferred: a handler's panic, answered by the recover middleware, closes
			// the connection too.
			defer func() {
				if !b.ended {
					c.Context().SetConnectionClose()
				}
			}()
			return c.Next()
		}
		body, err := io.ReadAll(io.LimitReader(c.Context().RequestBodyStream(), int64(limit)+1))
		if err != nil {
			c.Context().SetConnectionClose()
			return fiber.NewError(fiber.StatusBadRequest, "the request body could not be read")
		}
		if len(body) > limit {
			c.Context().SetConnectionClose() // a chunked body: its length was not said up front
			return fiber.ErrRequestEntityTooLarge
		}
		req.SetBodyRaw(body)
		return c.Next()
	}
}

type bodyKey int

const streamedBodyKey bodyKey = 0

// streamedBody is the body of a route that reads its own: at most left bytes more;
// reading past them fails with 413.
type streamedBody struct {
	r     io.Reader
	left  int
	ended bool // read to its end
}

func (b *streamedBody) Read(p []byte) (int, error) {
	if b.ended {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	b.left -= n
	if b.left < 0 {
		// Longer than the route takes: a chunked body says no length up front.
		return 0, fiber.ErrRequestEntityTooLarge
	}
	if err == io.EOF {
		b.ended = true
	}
	return n, err
}

// requestBody is the body of a route with its own BodyLimit, as a stream.
func requestBody(c *fiber.Ctx) io.Reader {
	if b, ok := c.Locals(streamedBodyKey).(*streamedBody); ok {
		return b
	}
	return http.NoBody // the request had none
}
