package hunt

import (
	"context"
	"errors"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// RetroWindow is the first time window a retro-hunt reads at once; a
// window with more events than the store returns per query is halved.
const RetroWindow = time.Hour

// retroPage is how many events a retro-hunt asks the store for per window.
var retroPage = 50_000

// RetroMatch is one match of a retro-hunt: the rule and the event (nil
// for a correlation decided when its window closed).
type RetroMatch struct {
	Rule  *sigma.Rule
	Event *event.Event
}

// RetroStats says what a retro-hunt read.
type RetroStats struct {
	Events  int
	Matches int
	// Truncated counts the events of windows of one millisecond that still
	// held more than the store returns per query (not read).
	Truncated bool
}

// RetroHunt runs Sigma rules — compiled with the same engine as real-time
// detection, correlations included — over the stored events of q's units
// and range (q.Expr narrows the events read, "" reads all), oldest first,
// calling match for every match and progress with the fraction of the
// range done. It needs event.read on the units.
func (s *Service) RetroHunt(ctx context.Context, p *authz.Principal, eng *detect.Engine, q Query,
	match func(RetroMatch) error, progress func(done float64)) (RetroStats, error) {
	var cur *event.Event
	matches := 0
	sc := eng.NewScanner(func(r *sigma.Rule, _ int) error {
		matches++
		return match(RetroMatch{Rule: r, Event: cur})
	}, false)
	n := 0
	st, err := s.each(ctx, p, q, func(e *event.Event) error {
		cur = e
		n++
		return sc.Event(e, n-1)
	}, func(to time.Time) error {
		cur = nil
		return sc.Flush(to)
	}, progress)
	if err == nil {
		if _, err = sc.End(); errors.Is(err, context.Canceled) {
			err = nil
		}
	}
	st.Matches = matches
	return st, err
}

// Each calls fn for every event q matches, oldest first, reading the range
// window by window (an IOC sweep), and progress with the fraction done.
func (s *Service) Each(ctx context.Context, p *authz.Principal, q Query, fn func(*event.Event) error, progress func(done float64)) (RetroStats, error) {
	return s.each(ctx, p, q, fn, nil, progress)
}

func (s *Service) each(ctx context.Context, p *authz.Principal, q Query, fn func(*event.Event) error,
	windowEnd func(time.Time) error, progress func(done float64)) (RetroStats, error) {
	sq, err := s.prepare(ctx, p, q)
	if err != nil {
		return RetroStats{}, err
	}
	var st RetroStats
	total := sq.To.Sub(sq.From)
	window := RetroWindow
	for from := sq.From; from.Before(sq.To); {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		to := from.Add(window)
		if to.After(sq.To) {
			to = sq.To
		}
		wq := sq
		wq.From, wq.To, wq.Order, wq.Limit = from, to, eventstore.Oldest, retroPage
		var batch []event.Event
		err := s.store.Query(ctx, wq, func(e event.Event) error {
			batch = append(batch, e)
			return nil
		})
		if err != nil {
			return st, syntax(sq.Expr, err)
		}
		if len(batch) >= retroPage && to.Sub(from) > time.Millisecond {
			window = max(to.Sub(from)/2, time.Millisecond)
			continue // read this window again, in halves
		}
		if len(batch) >= retroPage {
			st.Truncated = true
		}
		for i := range batch {
			st.Events++
			if err := fn(&batch[i]); err != nil {
				return st, err
			}
		}
		if windowEnd != nil {
			if err := windowEnd(to); err != nil {
				return st, err
			}
		}
		if progress != nil {
			progress(float64(to.Sub(sq.From)) / float64(total))
		}
		from = to
		if len(batch) < retroPage/4 {
			window = min(window*2, 24*time.Hour)
		}
	}
	return st, nil
}
