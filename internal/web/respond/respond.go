// Package respond is the HTTP leaf shared by the UI and the API: the
// func(w, r) error handler shape, the one mapping from error kinds to
// status codes, the JSON envelope, error IDs, and the per-request values
// (principal, language, CSP nonce) that middleware puts in the context.
package respond

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// HandlerFunc is the shape of every Khiên handler: it returns an error
// instead of writing one, and an adapter renders it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Status maps an error kind to its HTTP status code. This is the one place
// where that decision is made.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errs.ErrLocked), errors.Is(err, errs.ErrTooManyTokens):
		return http.StatusTooManyRequests
	case errors.Is(err, errs.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

// Kind is the machine-readable name of an error kind in the JSON envelope.
func Kind(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	}
	return "internal"
}

// NewErrorID returns a short random id that ties a message shown to a
// user to the log line with the cause.
func NewErrorID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Translator turns a message key into text in the request's language.
type Translator func(r *http.Request, key string, args ...any) string

// Message returns the text to show for err: its own user-facing message
// for public errors, otherwise a generic one for the status.
func Message(r *http.Request, tr Translator, err error, status int) (msg, field string) {
	if pe, ok := errs.AsPublic(err); ok {
		return tr(r, pe.Key, pe.Args...), pe.Field
	}
	switch status {
	case http.StatusBadRequest:
		return tr(r, "err.invalid"), ""
	case http.StatusUnauthorized:
		return tr(r, "err.unauthorized"), ""
	case http.StatusForbidden:
		return tr(r, "err.forbidden"), ""
	case http.StatusNotFound:
		return tr(r, "err.not_found"), ""
	case http.StatusConflict:
		return tr(r, "err.conflict"), ""
	case http.StatusTooManyRequests:
		return tr(r, "err.too_many"), ""
	case http.StatusRequestEntityTooLarge:
		return tr(r, "err.too_large"), ""
	}
	return tr(r, "err.internal"), ""
}

// Log records err once, at the boundary: server errors at Error with the
// id, client errors at Debug.
func Log(logger *slog.Logger, r *http.Request, err error, status int, id string) {
	if status >= 500 {
		logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("error_id", id), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
		return
	}
	logger.LogAttrs(r.Context(), slog.LevelDebug, "request refused",
		slog.String("error_id", id), slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
}

// ErrorBody is the JSON error envelope: {"error": {"kind", "message", "id"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of the envelope.
type ErrorDetail struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	ID      string `json:"id"`
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteJSONError writes the envelope for err and logs it.
func WriteJSONError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, tr Translator, err error) {
	status := Status(err)
	id := NewErrorID()
	Log(logger, r, err, status, id)
	msg, field := Message(r, tr, err, status)
	_ = WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Kind: Kind(status), Message: msg, Field: field, ID: id}})
}

// API adapts h to http.Handler, rendering errors as the JSON envelope.
func API(logger *slog.Logger, tr Translator, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteJSONError(w, r, logger, tr, err)
		}
	})
}

type ctxKey int

const (
	principalKey ctxKey = iota
	langKey
	nonceKey
	sessionKey
)

// WithPrincipal returns r with the authenticated principal attached.
func WithPrincipal(r *http.Request, p *authz.Principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey, p))
}

// Principal returns the request's principal, or nil.
func Principal(r *http.Request) *authz.Principal {
	p, _ := r.Context().Value(principalKey).(*authz.Principal)
	return p
}

// WithLang attaches the request's language.
func WithLang(r *http.Request, lang string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey, lang))
}

// Lang returns the request's language ("vi" when unset).
func Lang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey).(string); ok {
		return l
	}
	return "vi"
}

// WithNonce attaches the CSP nonce of the response.
func WithNonce(r *http.Request, nonce string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), nonceKey, nonce))
}

// Nonce returns the response's CSP nonce.
func Nonce(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey).(string)
	return n
}

// WithSessionToken attaches the raw session token of a browser request.
func WithSessionToken(r *http.Request, tok string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey, tok))
}

// SessionToken returns the raw session token, or "".
func SessionToken(r *http.Request) string {
	s, _ := r.Context().Value(sessionKey).(string)
	return s
}
