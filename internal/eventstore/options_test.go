package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"khien.vn/khien/internal/eventstore"
)

func TestQueryLimits(t *testing.T) {
	l := eventstore.QueryLimits{DefaultLimit: 500_000}.WithDefaults()
	if want := (eventstore.QueryLimits{Timeout: 30 * time.Second, DefaultLimit: 100_000, MaxLimit: 100_000}); l != want {
		t.Errorf("WithDefaults = %+v, want %+v", l, want)
	}
	l = eventstore.QueryLimits{Timeout: time.Second, DefaultLimit: 10, MaxLimit: 100}
	for n, want := range map[int]int{-1: 10, 0: 10, 1: 1, 100: 100, 101: 100} {
		if got := l.LimitFor(n); got != want {
			t.Errorf("LimitFor(%d) = %d, want %d", n, got, want)
		}
	}
	for d, want := range map[time.Duration]time.Duration{-1: time.Second, 0: time.Second, time.Millisecond: time.Millisecond, time.Hour: time.Second} {
		if got := l.TimeoutFor(d); got != want {
			t.Errorf("TimeoutFor(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestQueryLimits_StopError(t *testing.T) {
	l := eventstore.QueryLimits{Timeout: time.Hour}

	t.Run("live", func(t *testing.T) {
		ctx, cancel := l.Context(t.Context(), context.Background(), 0)
		defer cancel()
		if err := l.StopError(ctx, context.Background(), 0); err != nil {
			t.Errorf("StopError = %v, want nil", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := l.Context(t.Context(), context.Background(), time.Nanosecond)
		defer cancel()
		<-ctx.Done()
		err := l.StopError(ctx, context.Background(), time.Nanosecond)
		if !errors.Is(err, eventstore.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("StopError = %v, want ErrTimeout and DeadlineExceeded", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		done, stop := context.WithCancel(context.Background())
		ctx, cancel := l.Context(t.Context(), done, 0)
		defer cancel()
		stop()
		<-ctx.Done()
		if err := l.StopError(ctx, done, 0); !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("StopError = %v, want ErrClosed", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		parent, stop := context.WithCancel(t.Context())
		ctx, cancel := l.Context(parent, context.Background(), 0)
		defer cancel()
		stop()
		if err := l.StopError(ctx, context.Background(), 0); !errors.Is(err, context.Canceled) {
			t.Errorf("StopError = %v, want context.Canceled", err)
		}
	})
}
