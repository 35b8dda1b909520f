// Package errs defines the error kinds that cross package boundaries.
//
// Domain packages and storage backends wrap these sentinels with context
// (fmt.Errorf("get unit %d: %w", id, errs.ErrNotFound)); the web layer maps
// them to status codes in one place. A kind may carry a message that is safe
// to show to a user, given as a message-catalogue key with arguments, so that
// the delivery layer can translate it (see Public).
package errs

import (
	"errors"
	"fmt"
)

// The error kinds.
var (
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrInvalid       = errors.New("invalid")
	ErrUnauthorized  = errors.New("unauthorized")
	ErrForbidden     = errors.New("forbidden")
	ErrLocked        = errors.New("locked")
	ErrUnavailable   = errors.New("unavailable")
	ErrTooManyTokens = errors.New("too many tokens")
)

// PublicError is an error whose message may be shown to a user. Key is a
// message-catalogue key ("err.username_taken"); Args fill its placeholders.
// Kind is one of the sentinels above and decides the HTTP status.
type PublicError struct {
	Kind error
	Key  string
	Args []any
	// Field names the input field at fault, if any.
	Field string
}

// Error returns the key and arguments; user-facing text comes from the catalogue.
func (e *PublicError) Error() string {
	if len(e.Args) == 0 {
		return fmt.Sprintf("%v: %s", e.Kind, e.Key)
	}
	return fmt.Sprintf("%v: %s %v", e.Kind, e.Key, e.Args)
}

// Unwrap returns the kind so that errors.Is(err, errs.ErrInvalid) works.
func (e *PublicError) Unwrap() error { return e.Kind }

// Invalid returns an ErrInvalid error with a user-facing message key.
func Invalid(field, key string, args ...any) error {
	return &PublicError{Kind: ErrInvalid, Key: key, Args: args, Field: field}
}

// Public returns an error of the given kind with a user-facing message key.
func Public(kind error, key string, args ...any) error {
	return &PublicError{Kind: kind, Key: key, Args: args}
}

// AsPublic returns the first PublicError in err's chain.
func AsPublic(err error) (*PublicError, bool) {
	var pe *PublicError
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// NotFound wraps ErrNotFound with what was looked for.
func NotFound(what string, id any) error {
	return fmt.Errorf("%s %v: %w", what, id, ErrNotFound)
}
