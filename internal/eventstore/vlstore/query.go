package vlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// Query runs a LogsQL query; see eventstore.Store.
func (s *Store) Query(ctx context.Context, q eventstore.Query, fn func(event.Event) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	defer s.recoverEngine("event query", false, &err)

	lq, tenants, err := s.parse(q)
	if err != nil {
		return err
	}
	ctx, cancel := s.limits.Context(ctx, s.done, q.Timeout)
	defer cancel()
	if lq, err = s.resolveRegexps(ctx, q.Expr, lq, tenants); err != nil {
		return s.queryError(ctx, q, err)
	}

	limit := s.limits.LimitFor(q.Limit)
	// Without pipes that reshape rows, results are events in q.Order.
	if sorted := q.Order != eventstore.Unordered && lq.CanReturnLastNResults(); sorted {
		if limit <= narrowMaxLimit {
			if lq, err = s.narrow(ctx, q, lq, tenants, limit); err != nil {
				return err
			}
			if lq == nil {
				return nil // nothing matches
			}
		}
		if q.Order == eventstore.Newest {
			lq.AddPipeSortByTimeDesc()
		} else if lq, err = reparse(lq, "sort by (_time)"); err != nil {
			return err
		}
	}
	lq.AddPipeOffsetLimit(0, uint64(limit))
	keepStream := false
	if len(q.Fields) > 0 {
		fields := append([]string{eventstore.FieldTime}, q.Fields...)
		lq.AddPipeFields(fields)
		keepStream = slices.Contains(q.Fields, eventstore.FieldStream) || slices.Contains(q.Fields, eventstore.FieldStreamID)
	}

	var (
		mu      sync.Mutex
		n       int
		full    bool
		fnErr   error
		convErr error
	)
	writeBlock := func(_ uint, db *logstorage.DataBlock) {
		events, err := blockEvents(db, keepStream)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && convErr == nil {
			convErr = err
			cancel()
		}
		for _, ev := range events {
			if fnErr != nil || convErr != nil || full || ctx.Err() != nil {
				return
			}
			if fnErr = fn(ev); fnErr != nil {
				cancel()
				return
			}
			if n++; n >= limit {
				full = true
				cancel()
			}
		}
	}
	qctx := logstorage.NewQueryContext(ctx, &logstorage.QueryStats{}, tenants, lq, false, nil)
	runErr := s.st.RunQuery(qctx, writeBlock)
	mu.Lock()
	defer mu.Unlock()
	switch {
	case fnErr != nil:
		return fnErr
	case convErr != nil:
		return convErr
	case full:
		return nil
	}
	return s.queryError(ctx, q, runErr)
}

// Hits counts events per interval; see eventstore.Store.
func (s *Store) Hits(ctx context.Context, q eventstore.Query, step time.Duration, by ...string) (h eventstore.Hits, err error) {
	if err := ctx.Err(); err != nil {
		return h, err
	}
	if err := s.begin(); err != nil {
		return h, err
	}
	defer s.mu.RUnlock()
	defer s.recoverEngine("event hits", false, &err)

	hb, err := eventstore.NewHitsBuilder(q, step, by)
	if err != nil {
		return h, err
	}
	lq, tenants, err := s.parse(q)
	if err != nil {
		return h, err
	}
	lq.AddCountByTimePipe(int64(step), hb.Offset(), by)
	hitsName := "hits"
	for slices.Contains(by, hitsName) {
		hitsName += "s"
	}

	ctx, cancel := s.limits.Context(ctx, s.done, q.Timeout)
	defer cancel()
	if lq, err = s.resolveRegexps(ctx, q.Expr, lq, tenants); err != nil {
		return h, s.queryError(ctx, q, err)
	}

	var (
		mu      sync.Mutex
		convErr error
	)
	writeBlock := func(_ uint, db *logstorage.DataBlock) {
		cols := db.GetColumns(false)
		timeCol := db.GetColumnByName(eventstore.FieldTime)
		hitsCol := db.GetColumnByName(hitsName)
		mu.Lock()
		defer mu.Unlock()
		if timeCol == nil || hitsCol == nil {
			if convErr == nil {
				convErr = fmt.Errorf("event hits: engine returned no %s or %s column", eventstore.FieldTime, hitsName)
				cancel()
			}
			return
		}
		for r := range db.RowsCount() {
			t, err := time.Parse(time.RFC3339Nano, timeCol.Values[r])
			if err != nil {
				convErr = fmt.Errorf("event hits: bucket time: %w", err)
				cancel()
				return
			}
			count, err := strconv.ParseUint(hitsCol.Values[r], 10, 64)
			if err != nil {
				convErr = fmt.Errorf("event hits: count: %w", err)
				cancel()
				return
			}
			hb.Add(t.UnixNano(), count, func(f string) string { return columnValue(cols, f, r) })
		}
	}
	qctx := logstorage.NewQueryContext(ctx, &logstorage.QueryStats{}, tenants, lq, false, nil)
	runErr := s.st.RunQuery(qctx, writeBlock)
	mu.Lock()
	defer mu.Unlock()
	if convErr != nil {
		return eventstore.Hits{}, convErr
	}
	if err := s.queryError(ctx, q, runErr); err != nil {
		return eventstore.Hits{}, err
	}
	return hb.Hits(s.limits.LimitFor(q.Limit)), nil
}

// columnValue returns the value of column name in row r, "" when absent.
func columnValue(cols []logstorage.BlockColumn, name string, r int) string {
	for i := range cols {
		if cols[i].Name == name {
			return cols[i].Values[r]
		}
	}
	return ""
}

// parse checks q and returns its LogsQL query bounded to q's time range,
// and q's tenants.
func (s *Store) parse(q eventstore.Query) (*logstorage.Query, []logstorage.TenantID, error) {
	if err := q.Check(); err != nil {
		return nil, nil, err
	}
	expr := q.Expr
	if strings.TrimSpace(expr) == "" {
		expr = "*"
	}
	lq, err := logstorage.ParseQuery(expr)
	if err != nil {
		return nil, nil, fmt.Errorf("event query: %w: %w", err, errs.ErrInvalid)
	}
	// Options are spelled with the keyword "options" (not quotable), so a
	// query without the word needs no look at its canonical form — a
	// costly one for the long in(…) lists of IOC sweeps.
	if strings.Contains(strings.ToLower(expr), "options") && strings.Contains(lq.String(), "ignore_global_time_filter=true") {
		// The option would let the query, or its subqueries, read outside
		// the time range Khiên enforces.
		return nil, nil, fmt.Errorf("event query: option ignore_global_time_filter is not allowed: %w", errs.ErrInvalid)
	}
	lq.AddTimeFilter(q.From.UnixNano(), q.To.UnixNano()-1)

	tenants := make([]logstorage.TenantID, 0, len(q.Units))
	for _, u := range q.Units {
		t := tenantID(u)
		if !slices.Contains(tenants, t) {
			tenants = append(tenants, t)
		}
	}
	return lq, tenants, nil
}

// reparse returns lq with pipes appended.
func reparse(lq *logstorage.Query, pipes string) (*logstorage.Query, error) {
	q, err := logstorage.ParseQueryAtTimestamp(lq.String()+"\n| "+pipes, lq.GetTimestamp())
	if err != nil {
		return nil, fmt.Errorf("event query: %w: %w", err, errs.ErrInvalid)
	}
	return q, nil
}

// queryError returns the error of a query that ran to its end or was
// stopped by ctx.
func (s *Store) queryError(ctx context.Context, q eventstore.Query, runErr error) error {
	if err := s.limits.StopError(ctx, s.done, q.Timeout); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("event query: %w", runErr)
	}
	return nil
}

// blockEvents converts a block of results to events, copying every string
// (the library reuses the block).
func blockEvents(db *logstorage.DataBlock, keepStream bool) ([]event.Event, error) {
	rows := db.RowsCount()
	if rows == 0 {
		return nil, nil
	}
	cols := db.GetColumns(false)
	names := make([]string, len(cols))
	for i := range cols {
		names[i] = strings.Clone(cols[i].Name)
	}
	events := make([]event.Event, rows)
	for r := range events {
		ev := &events[r]
		for c := range cols {
			v := cols[c].Values[r]
			if v == "" {
				continue
			}
			if err := eventstore.SetRowField(ev, names[c], v, keepStream, true); err != nil {
				return nil, fmt.Errorf("event query: result time %q: %w", v, err)
			}
		}
	}
	return events, nil
}
