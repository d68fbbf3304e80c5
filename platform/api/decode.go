package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// decode reads a JSON request body into v strictly: the content type must be JSON,
// unknown fields and trailing data are refused, and errors name the field.
func decode(c *fiber.Ctx, v any) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return httpError{http.StatusUnsupportedMediaType, malformed("unsupported_media_type", "send the body as application/json")}
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return httpError{http.StatusBadRequest, malformed("body_required", "a JSON body is required")}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return httpError{http.StatusBadRequest, malformed("malformed_json", "the body must be a single JSON object")}
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return httpError{http.StatusBadRequest, malformed("malformed_json", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return httpError{http.StatusBadRequest, malformed("malformed_json", "the JSON body ends too early")}
	case errors.As(err, &typ) && typ.Field == "":
		// The body itself is an array, string or number: there is no field to name.
		return httpError{http.StatusBadRequest, malformed("malformed_json", "the body must be a single JSON object")}
	case errors.As(err, &typ):
		f := malformed("validation_failed", "validation failed")
		f.Fields = map[string]string{typ.Field: "must be " + jsonKind(typ.Type.Kind().String())}
		return httpError{http.StatusUnprocessableEntity, f}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		f := malformed("unknown_field", fmt.Sprintf("unknown field %q", name))
		f.Fields = map[string]string{name: "is not a known field"}
		return httpError{http.StatusBadRequest, f}
	}
	return httpError{http.StatusBadRequest, malformed("malformed_json", "the body is not valid JSON")}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of the right type"
	}
	return "a number"
}
