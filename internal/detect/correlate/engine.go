package correlate

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"time"

	"khien.vn/khien/internal/detect/sigma"
)

// Observation is one detection match fed to the Engine.
type Observation struct {
	// Base is the index of the matching detection rule in the bases given
	// to New.
	Base int
	// Time is the event's time; windows are measured in event time.
	Time time.Time
	// Ref is the caller's reference to the event (a sequence number, a
	// storage id), reported back in Firing.Events.
	Ref uint64
	// Field returns the event's value of a field, "" when it has none
	// (nil: every field is ""). It is called during Observe only and not
	// retained.
	Field func(name string) string
}

// Firing is a correlation rule matching for one group.
type Firing struct {
	Rule *sigma.Rule
	// Group are the group's values of Rule.Correlation.GroupBy, in order
	// ("" for an event without the field).
	Group []string
	// First and Last bound the observations the firing rests on.
	First, Last time.Time
	// Value is the measure the condition held for: the number of events
	// (event_count), of distinct values (value_count), of distinct
	// referred rules (temporal) or of referred rules matched in order
	// (temporal_ordered).
	Value int64
	// Events are the references (Observation.Ref) of the most recent
	// observations of the group between First and Last, oldest first, at
	// most Options.MaxEvents of them. For a rule fed by another
	// correlation rule they are the references of the observations that
	// completed the inner rule's firings.
	Events []uint64
	// Internal says the rule only feeds other correlation rules, none of
	// which has generate: true: per the specification only the outermost
	// rule of a chain produces results, so callers should not raise it.
	Internal bool
}

// Stats are an Engine's counters.
type Stats struct {
	// Groups are the groups tracked now, over all rules.
	Groups int
	// Evicted counts groups dropped to stay within Options.MaxGroups,
	// Late observations dropped for being older than a group's window,
	// Fired the firings.
	Evicted, Late, Fired uint64
	// Rules has the same per loaded rule.
	Rules []RuleStats
}

// RuleStats are one rule's counters (see Stats).
type RuleStats struct {
	Rule                 *sigma.Rule
	Groups               int
	Evicted, Late, Fired uint64
}

// Observe feeds one detection match and returns the firings it
// completes, including those of rules fed by other rules' firings
// (chains). The returned slice is reused by the next Observe or Flush;
// the Firing values in it (and their slices) belong to the caller.
// Observations of an unknown base are ignored.
func (e *Engine) Observe(o Observation) []Firing {
	clear(e.out)
	e.out = e.out[:0]
	if o.Base < 0 || o.Base >= len(e.byBase) {
		return nil
	}
	t := o.Time.UnixNano()
	ins := e.byBase[o.Base]
	for i := range ins {
		e.feed(&ins[i], t, o.Ref, o.Field)
	}
	return e.out
}

// Flush closes the windows that ended before now: rules whose condition
// bounds the count from above (lt, lte, eq, neq) are evaluated when
// their window closes, which an observation of a later time for the same
// group or Flush does. It also frees the state of groups idle for longer
// than their timespan. Call it periodically with the stream's current
// event time (or the wall clock when events are live). The returned
// slice is reused as Observe's.
func (e *Engine) Flush(now time.Time) []Firing {
	clear(e.out)
	e.out = e.out[:0]
	n := now.UnixNano()
	for _, c := range e.corrs { // children first: their firings reach parents flushed next
		gt := &c.groups
		for gt.head >= 0 {
			i := gt.head
			g := &gt.slots[i]
			if !c.deferred {
				if addSat(g.maxT, c.span) >= n {
					break
				}
				gt.remove(i)
				continue
			}
			if addSat(g.minT, c.span) >= n {
				break
			}
			f, ok := e.closing(c, g)
			gt.remove(i)
			if ok {
				e.emit(c, f, nil)
			}
		}
	}
	return e.out
}

// Generate reports whether base's own matches should still be raised:
// true unless every loaded correlation rule referring to it has generate
// false (the default), as the specification's generate attribute says.
func (e *Engine) Generate(base int) bool {
	if base < 0 || base >= len(e.generate) {
		return true
	}
	return e.generate[base]
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	var s Stats
	for _, c := range e.corrs {
		gt := &c.groups
		r := RuleStats{Rule: c.rule, Groups: gt.len(), Evicted: gt.evicted, Late: gt.late, Fired: gt.fired}
		s.Rules = append(s.Rules, r)
		s.Groups += r.Groups
		s.Evicted += r.Evicted
		s.Late += r.Late
		s.Fired += r.Fired
	}
	return s
}

// feed applies one observation (time t, reference ref, fields field) of
// a referred rule to in's correlation rule.
func (e *Engine) feed(in *input, t int64, ref uint64, field func(string) string) {
	c := in.c
	gt := &c.groups
	e.key = appendKey(e.key[:0], in.fields, field)
	var vh uint64
	hasVal := false
	if c.kind == valueCount && field != nil {
		if v := field(in.value); v != "" {
			vh, hasVal = maphash.String(e.seed, v), true
		}
	}

	i, ok := gt.index[string(e.key)]
	if !ok {
		i = gt.add(string(e.key))
		c.start(&gt.slots[i], t)
	} else {
		g := &gt.slots[i]
		if t < subSat(g.maxT, c.span) {
			gt.late++
			return
		}
		switch {
		case !c.deferred:
			gt.moveBack(i)
		case t > addSat(g.minT, c.span):
			// The window is over: evaluate it, then open the next one with
			// this observation.
			f, ok := e.closing(c, g)
			c.start(g, t)
			gt.moveBack(i)
			if ok {
				e.emit(c, f, nil) // feeds other rules only: i stays valid
			}
		}
	}
	g := &gt.slots[i]
	g.minT, g.maxT = min(g.minT, t), max(g.maxT, t)
	if c.maxEvents > 0 {
		if len(g.refs) < c.maxEvents {
			g.refs = append(g.refs, seenRef{t, ref})
		} else {
			copy(g.refs, g.refs[1:])
			g.refs[len(g.refs)-1] = seenRef{t, ref}
		}
	}

	var fire bool
	var first, last, value int64
	switch c.kind {
	case eventCount:
		if c.deferred {
			g.count++
			return
		}
		fire, first, last = c.countEager(g, t)
		value = c.need
	case valueCount:
		c.addValue(g, t, vh, hasVal)
		if c.deferred {
			return
		}
		fire, first, value = c.valuesEager(g)
		last = g.maxT
	case temporal:
		if c.deferred {
			g.mask |= 1 << in.slot
			return
		}
		g.times[in.slot] = max(g.times[in.slot], t)
		fire, first, value = c.temporalEager(g)
		last = g.maxT
	case ordered:
		lo := int64(math.MinInt64 + 1)
		if !c.deferred {
			lo = subSat(g.maxT, c.span)
		}
		fire, first = c.chain(g, in.pos, t, lo)
		if c.deferred {
			return
		}
		last, value = t, c.need
	}
	if fire {
		f := e.firing(c, g, first, last, value)
		gt.remove(i) // a group starts afresh after firing
		e.emit(c, f, field)
	}
}

// start (re)opens g with an observation at t.
func (c *corr) start(g *group, t int64) {
	g.minT, g.maxT = t, t
	g.count, g.mask, g.head = 0, 0, 0
	g.vals, g.refs = g.vals[:0], g.refs[:0]
	switch c.kind {
	case temporal:
		g.times = fill(g.times, c.slots)
	case ordered:
		g.times = fill(g.times, 2*c.slots*c.depth)
	default:
		g.times = g.times[:0]
	}
}

// fill returns s resized to n elements, all unset.
func fill(s []int64, n int) []int64 {
	s = slices.Grow(s[:0], n)[:n]
	for i := range s {
		s[i] = unset
	}
	return s
}

// countEager adds t to g's ring of the need most recent timestamps
// (sorted) and reports whether they fit in the timespan, with the
// oldest and newest.
func (c *corr) countEager(g *group, t int64) (fire bool, first, last int64) {
	need := int(c.need)
	ts := g.times
	if len(ts) < need {
		j := len(ts)
		for j > 0 && ts[j-1] > t {
			j--
		}
		ts = slices.Insert(ts, j, t)
		g.times = ts
		if len(ts) < need {
			return false, 0, 0
		}
		g.head = 0
	} else {
		h := g.head
		switch {
		case t >= ts[(h+need-1)%need]: // in order: replace the oldest
			ts[h] = t
			g.head = (h + 1) % need
		case t <= ts[h]: // older than every kept timestamp
			return false, 0, 0
		default: // drop the oldest, insert t in order
			k := 1
			for k < need && ts[(h+k)%need] <= t {
				ts[(h+k-1)%need] = ts[(h+k)%need]
				k++
			}
			ts[(h+k-1)%need] = t
		}
	}
	first, last = ts[g.head], ts[(g.head+need-1)%need]
	return last-first <= c.span, first, last
}

// addValue records the hashed value h of an observation at t.
func (c *corr) addValue(g *group, t int64, h uint64, has bool) {
	if !has {
		return
	}
	for k := range g.vals {
		if g.vals[k].h == h {
			g.vals[k].t = max(g.vals[k].t, t)
			return
		}
	}
	if c.deferred && len(g.vals) >= c.distinctCap {
		return // more values change no comparison
	}
	g.vals = append(g.vals, seenVal{h, t})
}

// valuesEager reports whether g has need distinct values within the
// timespan before its latest observation; values older than that are
// dropped when the set is full.
func (c *corr) valuesEager(g *group) (fire bool, first, value int64) {
	if int64(len(g.vals)) < c.need {
		return false, 0, 0
	}
	lo := subSat(g.maxT, c.span)
	first = g.maxT
	n := 0
	for _, v := range g.vals {
		if v.t >= lo {
			g.vals[n] = v
			n++
			first = min(first, v.t)
		}
	}
	g.vals = g.vals[:n]
	return int64(n) >= c.need, first, int64(n)
}

// temporalEager counts the referred rules seen within the timespan
// before g's latest observation.
func (c *corr) temporalEager(g *group) (fire bool, first, value int64) {
	lo := subSat(g.maxT, c.span)
	first = g.maxT
	for _, s := range g.times {
		if s != unset && s >= lo {
			value++
			first = min(first, s)
		}
	}
	return value >= c.need, first, value
}

// chain extends g's temporal_ordered chains with an observation at t of
// the rule at positions pos (descending, so one observation never fills
// two steps of a chain). Per position j and length k, g keeps the chain
// of k rules, in the order of Rules and ending at j, with the latest
// start no earlier than lo (and its end): the best to extend later. It
// reports whether a chain reached c.depth (eager rules) and its start.
func (c *corr) chain(g *group, pos []int, t, lo int64) (full bool, first int64) {
	d := c.depth
	ts := g.times
	for _, j := range pos {
		for k := min(j+1, d); k >= 1; k-- {
			start := t
			if k > 1 {
				start = unset
				for i := k - 2; i < j; i++ { // a chain of k-1 rules ends at position k-2 or later
					p := 2 * (i*d + k - 2)
					if s := ts[p]; s != unset && s >= lo && ts[p+1] <= t && s > start {
						start = s
					}
				}
				if start == unset {
					continue
				}
			}
			p := 2 * (j*d + k - 1)
			if ts[p] == unset || ts[p] < lo || start > ts[p] || (start == ts[p] && t < ts[p+1]) {
				ts[p], ts[p+1] = start, t
			}
			if k == d && !c.deferred {
				return true, start
			}
		}
	}
	return false, 0
}

// orderedValue is the longest chain g holds (deferred temporal_ordered).
func (c *corr) orderedValue(g *group) int64 {
	var best int64
	d := c.depth
	for j := 0; j < c.slots; j++ {
		for k := 1; k <= min(j+1, d); k++ {
			if g.times[2*(j*d+k-1)] != unset {
				best = max(best, int64(k))
			}
		}
	}
	return best
}

// closing evaluates a deferred group's window and returns its firing, if
// the condition holds.
func (e *Engine) closing(c *corr, g *group) (Firing, bool) {
	var v int64
	switch c.kind {
	case eventCount:
		v = g.count
	case valueCount:
		v = int64(len(g.vals))
	case temporal:
		v = int64(bits.OnesCount64(g.mask))
	case ordered:
		v = c.orderedValue(g)
	}
	if !c.holds(v) {
		return Firing{}, false
	}
	return e.firing(c, g, g.minT, g.maxT, v), true
}

// firing builds c's firing for g; it owns its slices.
func (e *Engine) firing(c *corr, g *group, first, last, value int64) Firing {
	f := Firing{
		Rule:     c.rule,
		Group:    decodeKey(g.key, len(c.groupBy)),
		First:    time.Unix(0, first).UTC(),
		Last:     time.Unix(0, last).UTC(),
		Value:    value,
		Internal: c.internal,
	}
	for _, r := range g.refs {
		if r.t >= first && r.t <= last {
			f.Events = append(f.Events, r.ref)
		}
	}
	return f
}

// emit records f and feeds it to the rules that refer to c. trigger is
// the field accessor of the observation that completed it (nil if none):
// the referring rules read the group-by values of f, then its fields.
func (e *Engine) emit(c *corr, f Firing, trigger func(string) string) {
	c.groups.fired++
	e.out = append(e.out, f)
	if len(c.parents) == 0 {
		return
	}
	cf := &chainFields{names: c.groupBy, values: f.Group, next: trigger}
	var ref uint64
	if n := len(f.Events); n > 0 {
		ref = f.Events[n-1]
	}
	t := f.Last.UnixNano()
	for i := range c.parents {
		e.feed(&c.parents[i], t, ref, cf.get)
	}
}

// chainFields are the fields of a firing fed to a referring rule: its
// group-by values, then the fields of the observation that completed it.
type chainFields struct {
	names, values []string
	next          func(string) string
}

func (cf *chainFields) get(name string) string {
	for i, n := range cf.names {
		if n == name {
			return cf.values[i]
		}
	}
	if cf.next != nil {
		return cf.next(name)
	}
	return ""
}

// appendKey appends the group key of an observation: each group-by
// value, preceded by its length.
func appendKey(b []byte, fields []string, field func(string) string) []byte {
	for _, f := range fields {
		var v string
		if field != nil {
			v = field(f)
		}
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// decodeKey returns the n values of a group key.
func decodeKey(key string, n int) []string {
	out := make([]string, n)
	for i := range out {
		l, w := binary.Uvarint([]byte(key[:min(len(key), binary.MaxVarintLen64)]))
		if w <= 0 || uint64(len(key)-w) < l {
			break
		}
		out[i] = key[w : w+int(l)]
		key = key[w+int(l):]
	}
	return out
}

func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func subSat(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
