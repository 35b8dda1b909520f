package respond_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/web/respond"
)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{errs.ErrInvalid, 400},
		{errs.Invalid("name", "err.unit_name"), 400},
		{fmt.Errorf("get unit 3: %w", errs.ErrNotFound), 404},
		{errs.Public(errs.ErrForbidden, "err.forbidden"), 403},
		{errs.ErrUnauthorized, 401},
		{errs.ErrConflict, 409},
		{errs.ErrLocked, 429},
		{errs.ErrUnavailable, 503},
		{context.Canceled, 499},
		{errors.New("disk on fire"), 500},
	} {
		if got := respond.Status(tc.err); got != tc.want {
			t.Errorf("Status(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestMessage(t *testing.T) {
	tr := func(_ *http.Request, key string, args ...any) string {
		return fmt.Sprint(append([]any{key}, args...)...)
	}
	r, _ := http.NewRequest("GET", "/", nil)
	msg, field := respond.Message(r, tr, errs.Invalid("code", "err.unit_code"), 400)
	if msg != "err.unit_code" || field != "code" {
		t.Errorf("public error: %q %q", msg, field)
	}
	// A private error's text never reaches the client.
	msg, _ = respond.Message(r, tr, errors.New("pq: password authentication failed for user khien"), 500)
	if msg != "err.internal" {
		t.Errorf("private error leaked: %q", msg)
	}
}
