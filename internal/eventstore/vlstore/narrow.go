package vlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/eventstore"
)

// narrowMaxLimit is the largest limit for which Query narrows a sorted
// query first: beyond it the list of streams gets long.
const narrowMaxLimit = 10_000

// narrow prepares a sorted query (newest or oldest first, limit rows): it
// finds the time stamps and streams of the rows to return, reading only
// those two columns, and returns lq restricted to that time range and those
// streams, so that the full rows — every column — are read for few blocks
// only. Sorting whole rows costs 3–5 times more on hunts that match many
// events. It returns nil when nothing matches, and lq unchanged when the
// query does not lend itself to narrowing: subqueries (whose meaning a
// narrower range would change) or pipes that drop _time or _stream_id.
func (s *Store) narrow(ctx context.Context, q eventstore.Query, lq *logstorage.Query, tenants []logstorage.TenantID, limit int) (*logstorage.Query, error) {
	if hasSubqueries(lq) {
		return lq, nil
	}
	order := "desc"
	if q.Order == eventstore.Oldest {
		order = ""
	}
	probe, err := reparse(lq, "fields _time, _stream_id | sort by (_time) "+order+" | limit "+strconv.Itoa(limit))
	if err != nil {
		return nil, err
	}
	var (
		mu         sync.Mutex
		rows       int
		minT, maxT int64
		ids        = make(map[string]struct{})
		incomplete bool
	)
	writeBlock := func(_ uint, db *logstorage.DataBlock) {
		timeCol := db.GetColumnByName(eventstore.FieldTime)
		idCol := db.GetColumnByName(eventstore.FieldStreamID)
		mu.Lock()
		defer mu.Unlock()
		n := db.RowsCount()
		if n == 0 {
			return
		}
		if timeCol == nil || idCol == nil {
			incomplete = true
			return
		}
		for r := range n {
			t, err := time.Parse(time.RFC3339Nano, timeCol.Values[r])
			id := idCol.Values[r]
			if err != nil || id == "" {
				incomplete = true
				return
			}
			ts := t.UnixNano()
			if rows == 0 || ts < minT {
				minT = ts
			}
			if rows == 0 || ts > maxT {
				maxT = ts
			}
			rows++
			if _, ok := ids[id]; !ok {
				ids[strings.Clone(id)] = struct{}{}
			}
		}
	}
	qctx := logstorage.NewQueryContext(ctx, &logstorage.QueryStats{}, tenants, probe, false, nil)
	runErr := s.st.RunQuery(qctx, writeBlock)
	if err := s.queryError(ctx, q, runErr); err != nil {
		return nil, err
	}
	switch {
	case incomplete:
		return lq, nil
	case rows == 0:
		return nil, nil
	}
	narrowed := lq.Clone(lq.GetTimestamp())
	narrowed.AddTimeFilter(minT, maxT)
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	f, err := logstorage.ParseFilter("_stream_id:in(" + strings.Join(list, ",") + ")")
	if err != nil {
		return lq, nil //nolint:nilerr // narrowing is an optimisation
	}
	narrowed.AddExtraFilters(f)
	return narrowed, nil
}

// subqueryProbe is a field name no query uses, to count subqueries.
const subqueryProbe = "khien_subquery_probe"

// hasSubqueries reports whether lq has subqueries (in(<query>), union,
// join…): AddExtraFilters adds a filter to the query and to each of them.
func hasSubqueries(lq *logstorage.Query) bool {
	f, err := logstorage.ParseFilter(subqueryProbe + ":=x")
	if err != nil {
		return true
	}
	probe := lq.Clone(lq.GetTimestamp())
	probe.AddExtraFilters(f)
	return strings.Count(probe.String(), subqueryProbe) > 1
}
