// Package usererr separates what may be shown to an API user from internal
// detail. Components return an *Error for anything the caller did wrong (bad
// field, missing object, conflict); the gateway turns it into an RFC 9457
// problem. Every other error is internal: logged with its full chain and
// answered with a bare 500 that leaks nothing.
package usererr

import (
	"errors"
	"fmt"
)

// Kind says which class of caller mistake an Error is; the gateway maps each
// to one HTTP status.
type Kind int

const (
	BadRequest         Kind = iota + 1 // malformed request: 400
	Unauthenticated                    // missing or invalid credentials: 401
	Forbidden                          // authenticated, not allowed: 403
	NotFound                           // no such object in this tenant: 404
	Conflict                           // clashes with existing state: 409
	PreconditionFailed                 // stale If-Match: 412
	TooLarge                           // body over the limit: 413
	UnsupportedMedia                   // not JSON: 415
	Invalid                            // well-formed but invalid values: 422
)

// FieldError names one offending field, by its JSON path, and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a user-facing error. Msg and Fields are shown to the caller as is.
type Error struct {
	Kind   Kind
	Msg    string
	Fields []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Msg
	}
	s := e.Msg
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f.Field, f.Message)
	}
	return s
}

// New returns an Error of kind with message msg.
func New(kind Kind, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Field returns an Error of kind about one field.
func Field(kind Kind, field, msg string) *Error {
	return &Error{Kind: kind, Msg: "invalid request", Fields: []FieldError{{field, msg}}}
}

// As returns the user-facing error in err's chain, if any.
func As(err error) (*Error, bool) {
	var ue *Error
	ok := errors.As(err, &ue)
	return ue, ok
}

// Is reports whether err's chain holds a user-facing error of kind.
func Is(err error, kind Kind) bool {
	ue, ok := As(err)
	return ok && ue.Kind == kind
}

// Fields collects field errors, to validate a whole request at once and
// report every bad field rather than only the first.
type Fields []FieldError

// Add records that field is invalid for reason msg.
func (f *Fields) Add(field, msg string) { *f = append(*f, FieldError{field, msg}) }

// Err returns nil if nothing was added, else an Invalid error listing all.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Msg: "invalid request", Fields: f}
}
