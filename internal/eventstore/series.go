package eventstore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// HitsBuilder builds the result of Store.Hits from the engine's counts per
// interval: it groups them in one series per combination of the grouping
// fields' values, and keeps the largest series. It is not safe for
// concurrent use.
type HitsBuilder struct {
	hits   Hits
	start  int64
	by     []string
	groups map[string]*Series
	key    []byte
}

// NewHitsBuilder checks the arguments of Store.Hits — q (Query.Check), a
// positive step, at most MaxHitsBuckets intervals, grouping fields other
// than "" and _time — and returns a builder of its result, wrapping
// errs.ErrInvalid when they are invalid.
func NewHitsBuilder(q Query, step time.Duration, by []string) (*HitsBuilder, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if step <= 0 {
		return nil, fmt.Errorf("event hits: step %s: %w", step, errs.ErrInvalid)
	}
	span := q.To.Sub(q.From)
	buckets := int((span + step - 1) / step)
	if buckets > MaxHitsBuckets || buckets <= 0 {
		return nil, fmt.Errorf("event hits: %s in steps of %s is more than %d intervals: %w", span, step, MaxHitsBuckets, errs.ErrInvalid)
	}
	for _, f := range by {
		if f == "" || f == FieldTime {
			return nil, fmt.Errorf("event hits: cannot group by %q: %w", f, errs.ErrInvalid)
		}
	}
	return &HitsBuilder{
		hits:   Hits{Start: q.From, Step: step, Buckets: buckets},
		start:  q.From.UnixNano(),
		by:     by,
		groups: make(map[string]*Series),
	}, nil
}

// Offset returns the offset, in nanoseconds, that makes the engine's
// intervals — which start at multiples of step minus offset — start at the
// query's From.
func (b *HitsBuilder) Offset() int64 {
	step := int64(b.hits.Step)
	offset := (-b.start) % step
	if offset < 0 {
		offset += step
	}
	return offset
}

// Add adds count to the interval that starts at t (in nanoseconds), in the
// series of the group whose values value returns for the grouping fields
// ("" when a row lacks the field); value's results are copied. Counts of
// intervals outside the query's range are ignored.
func (b *HitsBuilder) Add(t int64, count uint64, value func(field string) string) {
	i := int((t - b.start) / int64(b.hits.Step))
	if t < b.start || i >= b.hits.Buckets {
		return
	}
	b.key = b.key[:0]
	for _, f := range b.by {
		b.key = append(b.key, value(f)...)
		b.key = append(b.key, 0)
	}
	g := b.groups[string(b.key)]
	if g == nil {
		g = &Series{Counts: make([]uint64, b.hits.Buckets)}
		if len(b.by) > 0 {
			g.Labels = make(map[string]string, len(b.by))
			for _, f := range b.by {
				g.Labels[f] = strings.Clone(value(f))
			}
		}
		b.groups[string(b.key)] = g
	}
	g.Counts[i] += count
	g.Total += count
}

// Hits returns the result: the series by decreasing total (then by their
// labels), the ones beyond limit summed into one series with Other set.
func (b *HitsBuilder) Hits(limit int) Hits {
	h := b.hits
	h.Series = topSeries(b.groups, limit, h.Buckets)
	return h
}

// topSeries returns the series by decreasing total, the ones beyond limit
// summed into one marked Other.
func topSeries(groups map[string]*Series, limit, buckets int) []Series {
	all := make([]Series, 0, len(groups))
	for _, g := range groups {
		all = append(all, *g)
	}
	slices.SortFunc(all, func(a, b Series) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(labelsKey(a.Labels), labelsKey(b.Labels))
	})
	if len(all) <= limit {
		return all
	}
	other := Series{Counts: make([]uint64, buckets), Other: true}
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
