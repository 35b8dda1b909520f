package vlremote

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
)

// maxHitsBody bounds a /select/logsql/hits response.
const maxHitsBody = 256 << 20

// Hits counts events per interval; see eventstore.Store. It asks the
// server's /select/logsql/hits in each unit's tenant, with the offset that
// makes buckets start at q.From, and sums the counts over units (counts
// add up, so this is exact); the limit on series and the Other series are
// applied to the sum, as the embedded store does.
func (s *Store) Hits(ctx context.Context, q eventstore.Query, step time.Duration, by ...string) (h eventstore.Hits, err error) {
	if err := ctx.Err(); err != nil {
		return h, err
	}
	if err := s.begin(); err != nil {
		return h, err
	}
	defer s.mu.RUnlock()

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
		if f == "" || f == eventstore.FieldTime {
			return h, fmt.Errorf("event hits: cannot group by %q: %w", f, errs.ErrInvalid)
		}
	}
	sh, units, err := checkQuery(q)
	if err != nil {
		return h, err
	}
	if len(units) > 1 && !sh.hitsDistributive {
		return h, fmt.Errorf("%w (units %v)", ErrSeveralUnits, units)
	}

	start := q.From.UnixNano()
	// The server's buckets start at multiples of step minus offset.
	offset := (-start) % int64(step)
	if offset < 0 {
		offset += int64(step)
	}
	ctx, cancel := s.queryContext(ctx, q.Timeout)
	defer cancel()

	params := s.rangeParams(q, time.Now())
	params.Set("query", exprOf(q))
	params.Set("step", fmt.Sprintf("%dns", int64(step)))
	params.Set("offset", fmt.Sprintf("%dns", offset))
	for _, f := range by {
		params.Add("field", f)
	}

	h = eventstore.Hits{Start: q.From, Step: step, Buckets: buckets}
	groups := make(map[string]*eventstore.Series)
	for _, u := range units {
		if err := s.hitsUnit(ctx, u, params, start, step, buckets, by, groups); err != nil {
			return eventstore.Hits{}, s.queryError(ctx, q, err)
		}
	}
	h.Series = topSeries(groups, s.limit(q.Limit), buckets)
	return h, nil
}

// hitsResponse is the body of /select/logsql/hits.
type hitsResponse struct {
	Hits []struct {
		Fields     map[string]string `json:"fields"`
		Timestamps []string          `json:"timestamps"`
		Values     []uint64          `json:"values"`
	} `json:"hits"`
}

// hitsUnit adds one unit's counts to groups.
func (s *Store) hitsUnit(ctx context.Context, unit int64, params map[string][]string, start int64, step time.Duration, buckets int, by []string, groups map[string]*eventstore.Series) error {
	body, err := s.do(ctx, http.MethodPost, s.opts.SelectURL, "/select/logsql/hits", params, tenantHeader(unit), nil)
	if err != nil {
		return fmt.Errorf("event hits: %w", err)
	}
	defer body.Close()
	var resp hitsResponse
	dec := json.NewDecoder(&limitedReader{r: body, n: maxHitsBody})
	if err := dec.Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("event hits: response: %w: %w", errs.ErrUnavailable, err)
	}
	var key strings.Builder
	for _, hs := range resp.Hits {
		if len(hs.Timestamps) != len(hs.Values) {
			return fmt.Errorf("event hits: response: %d timestamps for %d values: %w", len(hs.Timestamps), len(hs.Values), errs.ErrUnavailable)
		}
		key.Reset()
		for _, f := range by {
			key.WriteString(hs.Fields[f])
			key.WriteByte(0)
		}
		var g *eventstore.Series
		for i, ts := range hs.Timestamps {
			count := hs.Values[i]
			if count == 0 {
				continue // the server's zero-filling
			}
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return fmt.Errorf("event hits: bucket time: %w: %w", errs.ErrUnavailable, err)
			}
			b := int((t.UnixNano() - start) / int64(step))
			if t.UnixNano() < start || b >= buckets {
				continue
			}
			if g == nil {
				if g = groups[key.String()]; g == nil {
					g = &eventstore.Series{Counts: make([]uint64, buckets)}
					if len(by) > 0 {
						g.Labels = make(map[string]string, len(by))
						for _, f := range by {
							g.Labels[f] = hs.Fields[f]
						}
					}
					groups[key.String()] = g
				}
			}
			g.Counts[b] += count
			g.Total += count
		}
	}
	return nil
}

// limitedReader fails beyond n bytes, rather than truncating silently.
type limitedReader struct {
	r    io.Reader
	n    int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.read >= l.n {
		return 0, fmt.Errorf("response larger than %d bytes", l.n)
	}
	if rest := l.n - l.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// topSeries returns the series by decreasing total, the ones beyond limit
// summed into one marked Other (vlstore's topSeries).
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
