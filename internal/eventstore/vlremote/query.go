package vlremote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// ErrSeveralUnits is returned (wrapped) by Query for a query over several
// units whose pipes are not row by row (stats, top, uniq, sort, limit,
// union, join …) or that has subqueries: VictoriaLogs v1.52.1 runs an HTTP
// query in one tenant, and such a query's results over several tenants are
// not the union of its results over each. The caller may ask one unit at a
// time.
var ErrSeveralUnits = fmt.Errorf("event query: the remote event store runs queries with aggregating pipes or subqueries in one unit at a time: %w", errs.ErrInvalid)

// Query runs a LogsQL query; see eventstore.Store.
//
// The query runs in each unit's tenant (the server takes one tenant a
// request); over several units, results are merged: by _time in the
// requested order when the query returns events, else concatenated. Only
// queries whose results over several tenants are the union of their
// results over each may name several units (see ErrSeveralUnits).
func (s *Store) Query(ctx context.Context, q eventstore.Query, fn func(event.Event) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()

	sh, units, err := checkQuery(q)
	if err != nil {
		return err
	}
	if len(units) > 1 && !sh.distributive {
		return fmt.Errorf("%w (units %v, pipes %v)", ErrSeveralUnits, units, sh.pipes)
	}
	ctx, cancel := s.limits.Context(ctx, s.done, q.Timeout)
	defer cancel()

	limit := s.limits.LimitFor(q.Limit)
	now := time.Now()
	keepStream := slices.Contains(q.Fields, eventstore.FieldStream) || slices.Contains(q.Fields, eventstore.FieldStreamID)
	sorted := q.Order != eventstore.Unordered && sh.keepsRows

	var fnErr error
	n := 0
	emit := func(ev event.Event) bool {
		if fnErr = fn(ev); fnErr != nil {
			return false
		}
		n++
		return n < limit
	}
	if len(units) > 1 && sorted {
		err = s.queryMerged(ctx, units, s.queryParams(q, sh, limit, now), keepStream, q.Order == eventstore.Oldest, emit)
	} else {
		// One unit, or results in no order: one unit after the other, each
		// asked for what the previous ones did not give.
		for _, u := range units {
			var more bool
			if more, err = s.queryUnit(ctx, u, s.queryParams(q, sh, limit-n, now), keepStream, emit); err != nil || !more {
				break
			}
		}
	}
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return s.queryError(ctx, q, err)
	}
	return nil
}

// checkQuery checks q and returns its shape and its distinct units.
func checkQuery(q eventstore.Query) (queryShape, []int64, error) {
	if err := q.Check(); err != nil {
		return queryShape{}, nil, err
	}
	sh := shapeOf(q.Expr)
	if sh.optionIgnoreTime {
		return sh, nil, fmt.Errorf("event query: option ignore_global_time_filter is not allowed: %w", errs.ErrInvalid)
	}
	units := make([]int64, 0, len(q.Units))
	for _, u := range q.Units {
		if !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	return sh, units, nil
}

// queryParams returns the arguments of /select/logsql/query for q: the
// expression with the pipes the embedded store adds (order, limit, fields),
// the time range — as start and end, and as an extra filter, which the
// server applies to the query and every subquery whatever their options —
// and the time-out.
func (s *Store) queryParams(q eventstore.Query, sh queryShape, limit int, now time.Time) url.Values {
	v := s.rangeParams(q, now)
	expr := exprOf(q)
	switch {
	case q.Order == eventstore.Newest:
		// The server adds "sort by (_time) desc" when the pipes keep rows
		// (as the embedded store does), then offset and limit.
		v.Set("limit", strconv.Itoa(limit))
	case q.Order == eventstore.Oldest && sh.keepsRows:
		expr += "\n| sort by (_time)\n| limit " + strconv.Itoa(limit)
	default:
		expr += "\n| limit " + strconv.Itoa(limit)
	}
	if len(q.Fields) > 0 {
		names := make([]string, 0, len(q.Fields)+1)
		names = append(names, strconv.Quote(eventstore.FieldTime))
		for _, f := range q.Fields {
			names = append(names, strconv.Quote(f))
		}
		expr += "\n| fields " + strings.Join(names, ", ")
	}
	v.Set("query", expr)
	return v
}

// exprOf returns q's expression, "*" when empty.
func exprOf(q eventstore.Query) string {
	if strings.TrimSpace(q.Expr) == "" {
		return "*"
	}
	return q.Expr
}

// rangeParams returns the time range and time-out arguments of q.
func (s *Store) rangeParams(q eventstore.Query, now time.Time) url.Values {
	from, to := q.From.UnixNano(), q.To.UnixNano()
	timeout := s.limits.TimeoutFor(q.Timeout)
	return url.Values{
		"start": {formatTime(from)},
		"end":   {formatTime(to)},
		// Relative filters (_time:5m) are relative to now, as in the
		// embedded store, not to end.
		"time":          {formatTime(now.UnixNano())},
		"extra_filters": {"_time:[" + formatTime(from) + "," + formatTime(to-1) + "]"},
		"timeout":       {strconv.FormatInt(max(timeout.Milliseconds(), 1), 10) + "ms"},
	}
}

// formatTime formats a time in nanoseconds as the server parses it
// exactly.
func formatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(timeLayout)
}

// queryUnit runs a query in one unit's tenant and passes each row to emit
// until it returns false. It returns whether emit wants more.
func (s *Store) queryUnit(ctx context.Context, unit int64, params url.Values, keepStream bool, emit func(event.Event) bool) (bool, error) {
	body, err := s.do(ctx, http.MethodPost, s.opts.SelectURL, "/select/logsql/query", params, tenantHeader(unit), nil)
	if err != nil {
		return false, fmt.Errorf("event query: %w", err)
	}
	defer body.Close()
	rr := newRowReader(body, keepStream, s.server.defaultMsg)
	for {
		ev, err := rr.next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !emit(ev) {
			return false, nil
		}
	}
}

// queryMerged runs a sorted query in each unit's tenant at once and merges
// the results by _time (oldest or newest first; ties in units order).
func (s *Store) queryMerged(ctx context.Context, units []int64, params url.Values, keepStream, oldest bool, emit func(event.Event) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type stream struct {
		body io.ReadCloser
		rr   *rowReader
		head event.Event
		live bool
	}
	streams := make([]stream, len(units))
	errList := make([]error, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Go(func() {
			body, err := s.do(ctx, http.MethodPost, s.opts.SelectURL, "/select/logsql/query", params, tenantHeader(u), nil)
			if err != nil {
				errList[i] = fmt.Errorf("event query: unit %d: %w", u, err)
				cancel()
				return
			}
			streams[i].body = body
			streams[i].rr = newRowReader(body, keepStream, s.server.defaultMsg)
		})
	}
	wg.Wait()
	defer func() {
		for i := range streams {
			if streams[i].body != nil {
				streams[i].body.Close()
			}
		}
	}()
	if err := errors.Join(errList...); err != nil {
		return err
	}
	advance := func(st *stream) error {
		ev, err := st.rr.next()
		if errors.Is(err, io.EOF) {
			st.live = false
			return nil
		}
		if err != nil {
			return err
		}
		st.head, st.live = ev, true
		return nil
	}
	for i := range streams {
		if err := advance(&streams[i]); err != nil {
			return err
		}
	}
	for {
		best := -1
		for i := range streams {
			st := &streams[i]
			if !st.live {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			t, bt := st.head.Time, streams[best].head.Time
			if oldest && t.Before(bt) || !oldest && t.After(bt) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		if !emit(streams[best].head) {
			return nil
		}
		if err := advance(&streams[best]); err != nil {
			return err
		}
	}
}
