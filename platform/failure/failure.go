// Package failure names the kinds of error the domain reports, so that the HTTP edge
// can translate them into status codes without knowing every domain package.
//
// Domain packages declare their own sentinel errors and wrap a kind:
//
//	var ErrInvitationExpired = failure.New(failure.Gone, "invitation_expired", "the invitation has expired")
//
// and callers test them with errors.Is as usual.
package failure

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind is the category of a failure; it decides the HTTP status at the edge.
type Kind int

const (
	Internal Kind = iota
	Invalid       // the request is malformed or a field is wrong
	NotFound      // the thing does not exist, or belongs to another workspace
	Conflict      // the request collides with existing state (duplicate email…)
	Gone          // the thing existed but can no longer be used (expired invitation…)
	Unauthenticated
	Forbidden
	TooManyRequests
	Unavailable // a dependency is down or not configured
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not_found"
	case Conflict:
		return "conflict"
	case Gone:
		return "gone"
	case Unauthenticated:
		return "unauthenticated"
	case Forbidden:
		return "forbidden"
	case TooManyRequests:
		return "too_many_requests"
	case Unavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// Error is a failure with a stable machine-readable code, a human message and,
// for validation failures, messages per field.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string
}

// New returns a sentinel-style failure.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// Is makes errors.Is match two failures with the same code, so a sentinel matches
// the copies made by WithField and friends.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Kind == e.Kind
}

// WithField returns a copy of e that names the offending field.
func (e *Error) WithField(field, message string) *Error {
	c := *e
	c.Fields = map[string]string{field: message}
	return &c
}

// WithMessage returns a copy of e worded for this occurrence (a provider's reason).
func (e *Error) WithMessage(message string) *Error {
	c := *e
	c.Message = message
	return &c
}

// Field is a validation failure on one field.
func Field(field, message string) *Error {
	return &Error{Kind: Invalid, Code: "validation_failed", Message: "validation failed", Fields: map[string]string{field: message}}
}

// Fields collects validation messages; its Err is nil when nothing was added.
type Fields map[string]string

// Add records message for field unless the field already has one, so the first
// (usually most basic) problem is what the user sees.
func (f Fields) Add(field, message string) {
	if _, ok := f[field]; !ok {
		f[field] = message
	}
}

// Check records message for field when bad is true.
func (f Fields) Check(bad bool, field, message string) {
	if bad {
		f.Add(field, message)
	}
}

// Err returns the collected validation failure, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Message: "validation failed", Fields: f}
}

// KindOf reports the kind of err, Internal when err carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Wrapf adds context to a failure while keeping it matchable.
func Wrapf(err error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))
}
