package hunt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
// Its query may be up to MaxSweepLen long.
func (s *Service) Each(ctx context.Context, p *authz.Principal, q Query, fn func(*event.Event) error, progress func(done float64)) (RetroStats, error) {
	return s.each(ctx, p, q, fn, nil, progress)
}

func (s *Service) each(ctx context.Context, p *authz.Principal, q Query, fn func(*event.Event) error,
	windowEnd func(time.Time) error, progress func(done float64)) (RetroStats, error) {
	return s.eachFields(ctx, p, q, nil, fn, windowEnd, progress)
}

// eachFields is each reading only fields (nil: every field).
func (s *Service) eachFields(ctx context.Context, p *authz.Principal, q Query, fields []string, fn func(*event.Event) error,
	windowEnd func(time.Time) error, progress func(done float64)) (RetroStats, error) {
	sq, err := s.prepare(ctx, p, q, MaxSweepLen)
	if err != nil {
		return RetroStats{}, err
	}
	sq.Fields = fields
	var st RetroStats
	total := sq.To.Sub(sq.From)
	window := s.firstWindow(ctx, sq)
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

// firstWindow returns the time window each reads first: sized from the
// number of events q matches so that a window holds about half a page —
// the whole range at once for a selective hunt such as an IOC sweep, whose
// long in(…) lists the store parses again for every window — or
// RetroWindow when the count fails or q has pipes.
func (s *Service) firstWindow(ctx context.Context, q eventstore.Query) time.Duration {
	filters, pipes := splitPipes(q.Expr)
	if strings.TrimSpace(pipes) != "" {
		return RetroWindow
	}
	cq := q
	cq.Expr, cq.Order, cq.Limit = "("+filters+") | stats count() n", eventstore.Unordered, 1
	n := int64(-1)
	err := s.store.Query(ctx, cq, func(e event.Event) error {
		v, err := strconv.ParseInt(e.Fields["n"], 10, 64)
		if err == nil {
			n = v
		}
		return err
	})
	total := q.To.Sub(q.From)
	switch {
	case err != nil || n < 0:
		return RetroWindow
	case n < int64(retroPage)*3/4:
		return total
	}
	return max(time.Duration(float64(total)*float64(retroPage/2)/float64(n)), time.Millisecond)
}

// SweepStats says what a sweep read and found.
type SweepStats struct {
	// Selected counts the events the filter selected, Matched those that
	// match.
	Selected, Matched int
	// Kept counts the matching events read whole (at most Keep).
	Kept int
}

// SweepSpec is what Sweep looks for and keeps.
type SweepSpec struct {
	// Fields are the event fields Match needs: all a sweep reads of each
	// candidate.
	Fields []string
	// Match decides whether a candidate matches.
	Match func(*event.Event) bool
	// Exact says that every candidate matches (the filter compares exact
	// values only, as intel.Matcher.Exact tells): the sweep then counts
	// the candidates per time interval instead of reading them.
	Exact bool
	// Keep is how many of the oldest matches Found gets, whole.
	Keep  int
	Found func(*event.Event) error
	// Group, when set, gets the matches grouped by unit, host and the
	// values of Fields — a partial event (UnitID, host.name, Fields) — with
	// their number and first and last time: the sightings of the sweep.
	Group func(e *event.Event, n int64, first, last time.Time) error
	// Values, with Exact, are the values the filter looks for in Fields
	// (intel.Matcher.IndexValues): the candidates are exactly the events
	// with one of them in one of Fields. A store with a value index
	// (eventstore.ValueIndex) then counts them without reading events.
	Values []string
}

// sweepMaxGroups bounds the groups an exact sweep counts in one query; a
// sweep with more counts per interval only (and reports no groups).
const sweepMaxGroups = 100_000

// sweepMaxRead bounds the selected events a sweep reads whole to keep its
// oldest matches.
const sweepMaxRead = 10_000

// sweepBuckets is the number of intervals an exact sweep counts matches in
// to find how far back its oldest Keep matches lie.
const sweepBuckets = 720

// Sweep runs an IOC sweep: the filter of q selects candidates (a superset,
// such as intel.Matcher.SweepQuery), spec.Match decides which of them
// match. It reads only spec.Fields of every candidate — so the store
// decompresses little more than a count does — all at once when they fit
// in one page and window by window otherwise, noting when each match
// happened; an exact sweep only counts its candidates per interval. Then
// it reads whole the candidates up to the Keep-th oldest match (a short
// range when matches are many) and calls Found for the first Keep of them
// that match, oldest first. Reading every candidate whole instead costs as
// much as a scan of every column: 4–7 s on 10 million events
// (docs/BENCHMARKS.md).
func (s *Service) Sweep(ctx context.Context, p *authz.Principal, q Query, spec SweepSpec, progress func(done float64)) (SweepStats, error) {
	var st SweepStats
	sq, err := s.prepare(ctx, p, q, MaxSweepLen)
	if err != nil {
		return st, err
	}
	var (
		times   []time.Time // of the matches (the oldest Keep of them, in the windowed path)
		last    time.Time   // the Keep-th oldest match happened before this
		ordered bool
		groups  = map[string]*sweepGroup{}
	)
	count := func(e *event.Event) error {
		st.Selected++
		if spec.Match(e) {
			st.Matched++
			if !ordered || len(times) < spec.Keep {
				times = append(times, e.Time)
			}
			if spec.Group != nil && len(groups) < sweepMaxGroups {
				addGroup(groups, e, spec.Fields, 1, e.Time, e.Time)
			}
		}
		return nil
	}
	switch {
	case spec.Exact:
		step := max(sq.To.Sub(sq.From)/sweepBuckets, time.Second)
		buckets, total, ok, err := s.indexGroups(ctx, sq, spec, step)
		if err != nil {
			return st, err
		}
		if !ok {
			buckets, total, ok, err = s.sweepGroups(ctx, sq, spec, step)
			if err != nil {
				return st, err
			}
		}
		if !ok {
			h, err := s.store.Hits(ctx, sq, step)
			if err != nil {
				return st, syntax(sq.Expr, err)
			}
			buckets, total = map[time.Time]uint64{}, 0
			for i := range h.Buckets {
				for _, series := range h.Series {
					buckets[h.Start.Add(time.Duration(i)*h.Step)] += series.Counts[i]
					total += series.Counts[i]
				}
			}
		}
		starts := slices.Collect(maps.Keys(buckets))
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		var sum uint64
		for _, start := range starts {
			n := buckets[start]
			if sum < uint64(spec.Keep) && sum+n >= uint64(spec.Keep) {
				last = start.Add(step)
			}
			sum += n
		}
		if sum > 0 && last.IsZero() {
			last = sq.To // fewer matches than Keep
		}
		st.Selected, st.Matched = int(total), int(total)
	default:
		// All at once, in no particular order, when the candidates fit in a page.
		all := sq
		all.Fields, all.Order, all.Limit = spec.Fields, eventstore.Unordered, retroPage
		if spec.Group != nil {
			all.Fields = append([]string{eventstore.FieldUnit, event.FieldHostName}, spec.Fields...)
		}
		n := 0
		err = s.store.Query(ctx, all, func(e event.Event) error {
			n++
			return count(&e)
		})
		if err != nil {
			return st, syntax(sq.Expr, err)
		}
		if n >= retroPage {
			st, times, ordered, groups = SweepStats{}, nil, true, map[string]*sweepGroup{}
			if _, err := s.eachFields(ctx, p, q, all.Fields, count, nil, progress); err != nil {
				return st, err
			}
		}
		if len(times) > 0 {
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			last = times[min(spec.Keep, len(times))-1].Add(time.Nanosecond)
		}
		for _, g := range groups {
			if err := spec.Group(&g.e, g.n, g.first, g.last); err != nil {
				return st, err
			}
		}
	}
	if progress != nil {
		progress(0.9)
	}
	if spec.Keep > 0 && !last.IsZero() {
		head := sq
		if last.Before(head.To) {
			head.To = last
		}
		head.Order, head.Limit = eventstore.Unordered, sweepMaxRead
		var batch []event.Event
		if err := s.store.Query(ctx, head, func(e event.Event) error {
			batch = append(batch, e)
			return nil
		}); err != nil {
			return st, syntax(sq.Expr, err)
		}
		slices.SortStableFunc(batch, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
		for i := range batch {
			if st.Kept >= spec.Keep {
				break
			}
			if spec.Match(&batch[i]) {
				st.Kept++
				if err := spec.Found(&batch[i]); err != nil {
					return st, err
				}
			}
		}
	}
	if progress != nil {
		progress(1)
	}
	return st, nil
}

// sweepGroup is the matches of one unit, host and set of field values.
type sweepGroup struct {
	e           event.Event
	n           int64
	first, last time.Time
}

// addGroup counts n matches like e, from first to last, in their group
// (by unit, host and the values of fields).
func addGroup(groups map[string]*sweepGroup, e *event.Event, fields []string, n int64, first, last time.Time) {
	var key strings.Builder
	key.WriteString(strconv.FormatInt(e.UnitID, 10) + "\x00" + e.Fields[event.FieldHostName])
	for _, f := range fields {
		key.WriteString("\x00" + e.Fields[f])
	}
	g := groups[key.String()]
	if g == nil {
		g = &sweepGroup{e: event.Event{UnitID: e.UnitID, Fields: map[string]string{}}, first: first, last: last}
		for _, f := range append([]string{event.FieldHostName}, fields...) {
			if v := e.Fields[f]; v != "" {
				g.e.Fields[f] = v
			}
		}
		groups[key.String()] = g
	}
	g.n += n
	if first.Before(g.first) {
		g.first = first
	}
	if last.After(g.last) {
		g.last = last
	}
}

// indexMaxEvents bounds the matching events an exact sweep counts from
// the store's value index; with more, it counts them with a query.
const indexMaxEvents = 1_000_000

// indexGroups is sweepGroups from the store's value index, when spec
// has Values and the store indexes spec.Fields over the range: it reads
// no event. ok is false when it cannot answer.
func (s *Service) indexGroups(ctx context.Context, sq eventstore.Query, spec SweepSpec, step time.Duration) (buckets map[time.Time]uint64, total uint64, ok bool, err error) {
	vi, isIndex := s.store.(eventstore.ValueIndex)
	if len(spec.Values) == 0 || !isIndex {
		return nil, 0, false, nil
	}
	type key struct {
		unit int64
		host string
		t    int64
	}
	// One event may have several of the values (in different fields):
	// occurrences of one unit, host and nanosecond are one event.
	events := map[key]map[string]string{}
	errTooMany := errors.New("too many matches")
	err = vi.Occurrences(ctx, sq, spec.Fields, spec.Values, func(o eventstore.Occurrence) error {
		k := key{o.Unit, o.Host, o.Time.UnixNano()}
		f := events[k]
		if f == nil {
			if len(events) >= indexMaxEvents {
				return errTooMany
			}
			f = map[string]string{}
			events[k] = f
		}
		f[o.Field] = o.Value
		return nil
	})
	switch {
	case errors.Is(err, eventstore.ErrNotIndexed), errors.Is(err, errTooMany):
		return nil, 0, false, nil // the caller counts with a query
	case err != nil:
		return nil, 0, false, err
	}
	buckets = map[time.Time]uint64{}
	groups := map[string]*sweepGroup{}
	for k, f := range events {
		t := time.Unix(0, k.t).UTC()
		buckets[t.Truncate(step)]++
		if spec.Group != nil {
			f[event.FieldHostName] = k.host
			addGroup(groups, &event.Event{UnitID: k.unit, Fields: f}, spec.Fields, 1, t, t)
		}
	}
	for _, g := range groups {
		if err := spec.Group(&g.e, g.n, g.first, g.last); err != nil {
			return nil, 0, false, err
		}
	}
	return buckets, uint64(len(events)), true, nil
}

// sweepGroups counts the matches of an exact sweep per interval of step
// and, when spec.Group is set, per unit, host and values of spec.Fields,
// in one query; ok is false when there are more than sweepMaxGroups
// groups (the caller counts per interval only).
func (s *Service) sweepGroups(ctx context.Context, sq eventstore.Query, spec SweepSpec, step time.Duration) (buckets map[time.Time]uint64, total uint64, ok bool, err error) {
	if spec.Group == nil {
		return nil, 0, false, nil
	}
	by := []string{"_time:" + strconv.FormatInt(int64(step/time.Second), 10) + "s", eventstore.FieldUnit, QuoteField(event.FieldHostName)}
	for _, f := range spec.Fields {
		by = append(by, QuoteField(f))
	}
	gq := sq
	gq.Expr = "(" + sq.Expr + ") | stats by (" + strings.Join(by, ", ") + ") count() n, min(_time) tmin, max(_time) tmax"
	gq.Order, gq.Limit = eventstore.Unordered, sweepMaxGroups+1
	var rows []event.Event
	if err := s.store.Query(ctx, gq, func(e event.Event) error {
		rows = append(rows, e)
		return nil
	}); err != nil {
		return nil, 0, false, syntax(sq.Expr, err)
	}
	if len(rows) > sweepMaxGroups {
		return nil, 0, false, nil
	}
	buckets = map[time.Time]uint64{}
	groups := map[string]*sweepGroup{}
	for i := range rows {
		r := &rows[i]
		n, err := strconv.ParseUint(r.Fields["n"], 10, 64)
		if err != nil {
			return nil, 0, false, fmt.Errorf("sweep: count %q: %w", r.Fields["n"], err)
		}
		buckets[r.Time] += n
		total += n
		first, err1 := time.Parse(time.RFC3339Nano, r.Fields["tmin"])
		last, err2 := time.Parse(time.RFC3339Nano, r.Fields["tmax"])
		if err1 != nil || err2 != nil {
			first, last = r.Time, r.Time.Add(step)
		}
		addGroup(groups, r, spec.Fields, int64(n), first, last)
	}
	for _, g := range groups {
		if err := spec.Group(&g.e, g.n, g.first.UTC(), g.last.UTC()); err != nil {
			return nil, 0, false, err
		}
	}
	return buckets, total, true, nil
}
