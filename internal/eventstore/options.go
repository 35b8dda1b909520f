package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// QueryLimits are the bounds a store puts on Query and Hits: the
// QueryTimeout, DefaultLimit and MaxLimit of the stores' Options.
type QueryLimits struct {
	// Timeout is the longest a query may run.
	Timeout time.Duration
	// DefaultLimit is the number of Query results when Query.Limit is 0.
	DefaultLimit int
	// MaxLimit caps Query.Limit and the number of Hits series.
	MaxLimit int
}

// DefaultQueryLimits returns the defaults: 30 s, 1,000 results by default,
// 100,000 at most.
func DefaultQueryLimits() QueryLimits {
	return QueryLimits{Timeout: 30 * time.Second, DefaultLimit: 1_000, MaxLimit: 100_000}
}

// WithDefaults returns l with its zero fields set to those of
// DefaultQueryLimits and DefaultLimit lowered to MaxLimit. Negative fields
// are kept as they are, for the caller to report.
func (l QueryLimits) WithDefaults() QueryLimits {
	d := DefaultQueryLimits()
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.DefaultLimit == 0 {
		l.DefaultLimit = d.DefaultLimit
	}
	if l.MaxLimit == 0 {
		l.MaxLimit = d.MaxLimit
	}
	if l.DefaultLimit > l.MaxLimit {
		l.DefaultLimit = l.MaxLimit
	}
	return l
}

// LimitFor returns the number of results of a query that asks for n
// (Query.Limit): DefaultLimit when n <= 0, at most MaxLimit.
func (l QueryLimits) LimitFor(n int) int {
	switch {
	case n <= 0:
		return l.DefaultLimit
	case n > l.MaxLimit:
		return l.MaxLimit
	}
	return n
}

// TimeoutFor returns the time budget of a query that asks for t
// (Query.Timeout): Timeout when t <= 0 or longer.
func (l QueryLimits) TimeoutFor(t time.Duration) time.Duration {
	if t <= 0 || t > l.Timeout {
		return l.Timeout
	}
	return t
}

// Context returns ctx bounded by the time budget of a query that asks for
// timeout, ending with the cause ErrTimeout, and ended when done (the
// store's life) ends. The caller must call the returned cancel.
func (l QueryLimits) Context(ctx, done context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeoutCause(ctx, l.TimeoutFor(timeout), ErrTimeout)
	stop := context.AfterFunc(done, cancel)
	return ctx, func() { stop(); cancel() }
}

// StopError returns the error of a query whose ctx, from Context, ended:
// ErrTimeout (wrapping context.DeadlineExceeded) after the time budget of
// a query that asked for timeout, ErrClosed when done ended, else the
// cause of ctx. It returns nil while ctx has not ended.
func (l QueryLimits) StopError(ctx, done context.Context, timeout time.Duration) error {
	if ctx.Err() == nil {
		return nil
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, ErrTimeout):
		return fmt.Errorf("%w after %s: %w", ErrTimeout, l.TimeoutFor(timeout), context.DeadlineExceeded)
	case done.Err() != nil:
		return ErrClosed
	default:
		return cause
	}
}

// Logger returns the logger of a store: log, or one that discards when log
// is nil, with the attribute component=eventstore.
func Logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return log.With(slog.String("component", "eventstore"))
}
