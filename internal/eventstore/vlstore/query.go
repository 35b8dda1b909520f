package vlstore

import (
	"cmp"
	"context"
	"errors"
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
	ctx, cancel := s.queryContext(ctx, q.Timeout)
	defer cancel()

	limit := s.limit(q.Limit)
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
		fields := append([]string{fieldTime}, q.Fields...)
		lq.AddPipeFields(fields)
		keepStream = slices.Contains(q.Fields, fieldStream) || slices.Contains(q.Fields, fieldStreamID)
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

	if err := q.Check(); err != nil {
		return h, err
	}
	if step <= 0 {
		return h, fmt.Errorf("event hits: step %s: %w", step, errs.ErrInvalid)
	}
	span := q.To.Sub(q.From)
	buckets := int((span + step - 1) / step)
	if buckets > eventstore.MaxHitsBuckets || buckets <= 0 {
		return h, fmt.Errorf("event hits: %s in steps of %s is more than %d intervals: %w", span, step, eventstore.MaxHitsBuckets, errs.ErrInvalid)
	}
	for _, f := range by {
		if f == "" || f == fieldTime {
			return h, fmt.Errorf("event hits: cannot group by %q: %w", f, errs.ErrInvalid)
		}
	}
	lq, tenants, err := s.parse(q)
	if err != nil {
		return h, err
	}
	start := q.From.UnixNano()
	// The library's buckets start at multiples of step minus offset.
	offset := (-start) % int64(step)
	if offset < 0 {
		offset += int64(step)
	}
	lq.AddCountByTimePipe(int64(step), offset, by)
	hitsName := "hits"
	for slices.Contains(by, hitsName) {
		hitsName += "s"
	}

	ctx, cancel := s.queryContext(ctx, q.Timeout)
	defer cancel()

	h = eventstore.Hits{Start: q.From, Step: step, Buckets: buckets}
	var (
		mu      sync.Mutex
		groups  = make(map[string]*eventstore.Series)
		convErr error
	)
	writeBlock := func(_ uint, db *logstorage.DataBlock) {
		cols := db.GetColumns(false)
		timeCol := db.GetColumnByName(fieldTime)
		hitsCol := db.GetColumnByName(hitsName)
		mu.Lock()
		defer mu.Unlock()
		if timeCol == nil || hitsCol == nil {
			if convErr == nil {
				convErr = fmt.Errorf("event hits: engine returned no %s or %s column", fieldTime, hitsName)
				cancel()
			}
			return
		}
		var key strings.Builder
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
			i := int((t.UnixNano() - start) / int64(step))
			if i < 0 || i >= buckets {
				continue
			}
			key.Reset()
			for _, f := range by {
				key.WriteString(columnValue(cols, f, r))
				key.WriteByte(0)
			}
			g := groups[key.String()]
			if g == nil {
				g = &eventstore.Series{Counts: make([]uint64, buckets)}
				if len(by) > 0 {
					g.Labels = make(map[string]string, len(by))
					for _, f := range by {
						g.Labels[f] = strings.Clone(columnValue(cols, f, r))
					}
				}
				groups[strings.Clone(key.String())] = g
			}
			g.Counts[i] += count
			g.Total += count
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
	h.Series = topSeries(groups, s.limit(q.Limit), buckets)
	return h, nil
}

// topSeries returns the series by decreasing total, the ones beyond limit
// summed into one marked Other.
func topSeries(groups map[string]*eventstore.Series, limit, buckets int) []eventstore.Series {
	all := make([]eventstore.Series, 0, len(groups))
	for _, g := range groups {
		all = append(all, *g)
	}
	slices.SortFunc(all, func(a, b eventstore.Series) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(labelsKey(a.Labels), labelsKey(b.Labels))
	})
	if len(all) <= limit {
		return all
	}
	other := eventstore.Series{Counts: make([]uint64, buckets), Other: true}
	for _, g := range all[limit:] {
		for i, c := range g.Counts {
			other.Counts[i] += c
		}
		other.Total += g.Total
	}
	return append(all[:limit], other)
}

func labelsKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
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
	if strings.Contains(lq.String(), "ignore_global_time_filter=true") {
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

// limit returns the number of results for a requested limit.
func (s *Store) limit(n int) int {
	switch {
	case n <= 0:
		return s.opts.DefaultLimit
	case n > s.opts.MaxLimit:
		return s.opts.MaxLimit
	}
	return n
}

// queryContext bounds ctx by the query timeout and the store's life.
func (s *Store) queryContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 || timeout > s.opts.QueryTimeout {
		timeout = s.opts.QueryTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, eventstore.ErrTimeout)
	stop := context.AfterFunc(s.done, cancel)
	return ctx, func() { stop(); cancel() }
}

// queryError returns the error of a query that ran to its end or was
// stopped by ctx.
func (s *Store) queryError(ctx context.Context, q eventstore.Query, runErr error) error {
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, eventstore.ErrTimeout):
			return fmt.Errorf("%w after %s: %w", eventstore.ErrTimeout, s.timeout(q.Timeout), context.DeadlineExceeded)
		case s.done.Err() != nil:
			return eventstore.ErrClosed
		default:
			return cause
		}
	}
	if runErr != nil {
		return fmt.Errorf("event query: %w", runErr)
	}
	return nil
}

func (s *Store) timeout(t time.Duration) time.Duration {
	if t <= 0 || t > s.opts.QueryTimeout {
		return s.opts.QueryTimeout
	}
	return t
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
			if err := setColumn(ev, names[c], v, keepStream); err != nil {
				return nil, err
			}
		}
	}
	return events, nil
}

// setColumn sets the event's part stored in column name.
func setColumn(ev *event.Event, name, v string, keepStream bool) error {
	switch name {
	case fieldTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("event query: result time %q: %w", v, err)
		}
		ev.Time = t.UTC()
		return nil
	case fieldMsg:
		ev.Message = strings.Clone(v)
		return nil
	case fieldStream, fieldStreamID:
		if !keepStream {
			return nil
		}
	case eventstore.FieldUnit:
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ev.UnitID = id
			return nil
		}
	case eventstore.FieldSourceKind:
		ev.Source.Kind = strings.Clone(v)
		return nil
	case eventstore.FieldSourceName:
		ev.Source.Name = strings.Clone(v)
		return nil
	case eventstore.FieldSourceAddr:
		ev.Source.Addr = strings.Clone(v)
		return nil
	case eventstore.FieldReceived:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			ev.Received = t.UTC()
			return nil
		}
	case eventstore.FieldParseError:
		ev.ParseError = strings.Clone(v)
		return nil
	}
	if strings.HasPrefix(name, eventstore.FieldEscapePrefix) {
		name = name[len(eventstore.FieldEscapePrefix):]
	}
	if ev.Fields == nil {
		ev.Fields = make(map[string]string)
	}
	ev.Fields[name] = strings.Clone(v)
	return nil
}
