package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/failure"
)

// ErrorBody is every error response: {"error":{"code","message","fields"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong; Fields maps request fields to what is wrong with
// each.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var statusOf = map[failure.Kind]int{
	failure.Invalid:         http.StatusUnprocessableEntity,
	failure.NotFound:        http.StatusNotFound,
	failure.Conflict:        http.StatusConflict,
	failure.Gone:            http.StatusGone,
	failure.Unauthenticated: http.StatusUnauthorized,
	failure.Forbidden:       http.StatusForbidden,
	failure.TooManyRequests: http.StatusTooManyRequests,
	failure.Unavailable:     http.StatusServiceUnavailable,
}

// Malformed is a request the server could not read at all (bad JSON, wrong type).
func malformed(code, message string) *failure.Error {
	return &failure.Error{Kind: failure.Invalid, Code: code, Message: message}
}

// httpError carries an explicit status for edge-only failures (400, 413, 415).
type httpError struct {
	status int
	f      *failure.Error
}

func (e httpError) Error() string { return e.f.Error() }
func (e httpError) Unwrap() error { return e.f }

// errorHandler turns any error returned by a handler or middleware into the JSON
// error body. Internal errors are logged with the request id and shown as a generic
// message.
func errorHandler(log *slog.Logger, tls bool) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if requestID(c) == "" {
			// fasthttp refused the request before routing (body too large, malformed
			// request line), so no middleware ran: the answer still gets an id and
			// the security headers.
			setRequestID(c)
			setSecurityHeaders(c, tls)
		}
		status := http.StatusInternalServerError
		detail := ErrorDetail{Code: "internal", Message: "something went wrong; the request id in X-Request-ID helps support find it"}
		var he httpError
		var fe *fiber.Error
		var f *failure.Error
		var throttled auth.ErrThrottled
		switch {
		case errors.As(err, &he):
			status = he.status
			detail = ErrorDetail{Code: he.f.Code, Message: he.f.Message, Fields: he.f.Fields}
		case errors.As(err, &throttled):
			status = http.StatusTooManyRequests
			secs := int(throttled.RetryAfter.Round(time.Second) / time.Second)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(secs, 1)))
			detail = ErrorDetail{Code: "too_many_attempts", Message: throttled.Error()}
		case errors.As(err, &f) && f.Kind != failure.Internal:
			status = statusOf[f.Kind]
			detail = ErrorDetail{Code: f.Code, Message: f.Message, Fields: f.Fields}
		case errors.As(err, &fe):
			status = fe.Code
			detail = fiberDetail(fe)
		default:
			log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "error", err)
		}
		return c.Status(status).JSON(ErrorBody{Error: detail})
	}
}

func fiberDetail(fe *fiber.Error) ErrorDetail {
	switch fe.Code {
	case http.StatusNotFound:
		return ErrorDetail{Code: "not_found", Message: "not found"}
	case http.StatusMethodNotAllowed:
		return ErrorDetail{Code: "method_not_allowed", Message: "method not allowed"}
	case http.StatusRequestEntityTooLarge:
		return ErrorDetail{Code: "body_too_large", Message: "the request body is too large"}
	}
	return ErrorDetail{Code: http.StatusText(fe.Code), Message: fe.Message}
}
