package detect

import (
	"net/netip"
	"strconv"
	"strings"
	"unsafe"

	"khien.vn/khien/internal/event"
)

// Matcher matches events against an Engine's rules. It is not safe for
// concurrent use; each goroutine has its own. Between Reset and Match it
// holds one event: Add (or AddBytes) its fields, then call Match.
type Matcher struct {
	e   *Engine
	gen uint32
	// naive evaluates every rule on every event, each test on its own
	// (no automata, no triggers): the baseline of the benchmarks and the
	// oracle of the tests.
	naive bool

	// Per slot: the value in force this event and its rank.
	slotGen  []uint32
	slotRank []int32
	slotVal  []string
	foldGen  []uint32
	foldVal  []string
	setSlots []int32

	// Per predicate: fired (eager) or evaluated (lazy) this event.
	predGen  []uint32
	lazyGen  []uint32
	lazyVal  []bool
	fired    []int32
	ruleGen  []uint32
	guardGen []uint32
	guardVal []bool

	// all are every value of the event (keywords search them), keys their
	// field names, allFold their folded forms, computed on first use.
	all        []string
	keys       []string
	allFold    []string
	allFoldGen uint32

	// src is the stored event being matched (MatchEvent), whose fields
	// are read from its map on demand; all then holds its values only
	// once keywords need them (allGen).
	src    *event.Event
	allGen uint32

	arena   []byte
	foldBuf []byte
	kwBuf   []byte
	out     []int
	cands   []int32
}

// NewMatcher returns a matcher for e.
func (e *Engine) NewMatcher() *Matcher {
	return &Matcher{
		e:        e,
		slotGen:  make([]uint32, e.nslots),
		slotRank: make([]int32, e.nslots),
		slotVal:  make([]string, e.nslots),
		foldGen:  make([]uint32, e.nslots),
		foldVal:  make([]string, e.nslots),
		predGen:  make([]uint32, len(e.preds)),
		lazyGen:  make([]uint32, len(e.preds)),
		lazyVal:  make([]bool, len(e.preds)),
		ruleGen:  make([]uint32, len(e.compiled)),
		guardGen: make([]uint32, len(e.guards)),
		guardVal: make([]bool, len(e.guards)),
	}
}

// NewNaiveMatcher returns a matcher that evaluates every rule on every
// event with each test on its own: slow, for comparison.
func (e *Engine) NewNaiveMatcher() *Matcher {
	m := e.NewMatcher()
	m.naive = true
	return m
}

// Reset starts a new event. size bounds the bytes AddBytes will copy for
// it (the length of the event's JSON line is enough); values added with
// AddBytes stay valid until the next Reset.
func (m *Matcher) Reset(size int) {
	m.gen++
	if m.gen == 0 {
		// Wrapped: clear the stamps so that no old one matches.
		clear(m.slotGen)
		clear(m.foldGen)
		clear(m.predGen)
		clear(m.lazyGen)
		clear(m.ruleGen)
		clear(m.guardGen)
		m.allFoldGen = 0
		m.gen = 1
	}
	m.setSlots = m.setSlots[:0]
	m.all = m.all[:0]
	m.keys = m.keys[:0]
	m.src = nil
	if cap(m.arena) < size {
		m.arena = make([]byte, 0, size)
	}
	m.arena = m.arena[:0]
	if cap(m.foldBuf) > 1<<20 {
		m.foldBuf = nil // one huge event does not pin its buffer
	}
	m.foldBuf = m.foldBuf[:0]
}

// AddBytes adds a field whose key and value are only valid during the
// call (as the flat JSON decoder gives them): the value is copied.
func (m *Matcher) AddBytes(key, value []byte) {
	refs, known := m.e.byName[string(key)]
	v := m.keep(value)
	m.all = append(m.all, v)
	m.keys = append(m.keys, m.keep(key))
	if known {
		m.set(refs, v)
	}
}

// keep copies b into the event's arena (or, beyond the size given to
// Reset, into a new string).
func (m *Matcher) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(m.arena)+len(b) <= cap(m.arena) {
		start := len(m.arena)
		m.arena = append(m.arena, b...)
		return unsafe.String(&m.arena[start], len(b))
	}
	return string(b)
}

// Field returns the event's value of a Sigma field name (as
// Engine.FieldNames finds it), "" when it has none.
func (m *Matcher) Field(name string) string {
	if m.src != nil {
		for _, n := range m.e.FieldNames(name) {
			if v, ok := m.src.Fields[n]; ok {
				return v
			}
		}
		return ""
	}
	for _, n := range m.e.FieldNames(name) {
		for i, k := range m.keys {
			if k == n {
				return m.all[i]
			}
		}
	}
	return ""
}

// Add adds a field.
func (m *Matcher) Add(key, value string) {
	m.all = append(m.all, value)
	m.keys = append(m.keys, key)
	if refs, ok := m.e.byName[key]; ok {
		m.set(refs, value)
	}
}

// AddText adds text that keyword searches see but no field holds (an
// event's original message).
func (m *Matcher) AddText(value string) {
	m.all = append(m.all, value)
	m.keys = append(m.keys, "")
}

func (m *Matcher) set(refs []slotRef, v string) {
	for _, r := range refs {
		if m.slotGen[r.slot] != m.gen {
			m.slotGen[r.slot] = m.gen
			m.setSlots = append(m.setSlots, r.slot)
		} else if r.rank >= m.slotRank[r.slot] {
			continue
		}
		m.slotRank[r.slot] = r.rank
		m.slotVal[r.slot] = v
	}
}

// Match returns the indexes (in Engine.Rules) of the rules the event
// matches, in rule order; the slice is reused by the next call.
func (m *Matcher) Match() []int {
	e := m.e
	m.fired = m.fired[:0]
	if m.naive {
		m.out = m.out[:0]
		for i := range e.compiled {
			cr := &e.compiled[i]
			if cr.guard >= 0 && !m.guard(cr.guard) {
				continue
			}
			if m.eval(&cr.cond) {
				m.out = append(m.out, int(cr.rule))
			}
		}
		sortDedupe(&m.out)
		return m.out
	}
	for _, s := range m.setSlots {
		info := &e.slots[s]
		v := m.slotVal[s]
		if info.exists >= 0 {
			m.fire(info.exists)
		}
		if info.present >= 0 && v != "" {
			m.fire(info.present)
		}
		if info.cased != nil {
			m.scan(info.cased, info.casedUses, v)
		}
		if info.casedAnch != nil {
			m.scanAnchored(info.casedAnch, v)
		}
		if info.eqCased != nil {
			for _, p := range info.eqCased[v] {
				m.fire(p)
			}
		}
		if info.fold != nil || info.foldAnch != nil || info.eqFold != nil {
			fv := m.folded(s)
			if info.fold != nil {
				m.scan(info.fold, info.foldUses, fv)
			}
			if info.foldAnch != nil {
				m.scanAnchored(info.foldAnch, fv)
			}
			for _, p := range info.eqFold[fv] {
				m.fire(p)
			}
		}
	}
	if kw := e.kwSlot; kw >= 0 && m.keywordsApply() {
		info := &e.slots[kw]
		for _, v := range m.values() {
			if info.cased != nil {
				m.scan(info.cased, info.casedUses, v)
			}
			if info.casedAnch != nil {
				m.scanAnchored(info.casedAnch, v)
			}
			if info.fold != nil || info.foldAnch != nil {
				var changed bool
				m.kwBuf, changed = foldInto(m.kwBuf[:0], v)
				fv := v
				if changed {
					fv = unsafe.String(unsafe.SliceData(m.kwBuf), len(m.kwBuf))
				}
				if info.fold != nil {
					m.scan(info.fold, info.foldUses, fv)
				}
				if info.foldAnch != nil {
					m.scanAnchored(info.foldAnch, fv)
				}
			}
		}
	}
	m.cands = m.cands[:0]
	for _, p := range m.fired {
		for _, r := range e.predRules[p] {
			if m.ruleGen[r] != m.gen {
				m.ruleGen[r] = m.gen
				m.cands = append(m.cands, r)
			}
		}
	}
	m.cands = append(m.cands, e.always...)
	m.out = m.out[:0]
	for _, ci := range m.cands {
		cr := &e.compiled[ci]
		if len(m.out) > 0 && m.out[len(m.out)-1] == int(cr.rule) {
			continue
		}
		if cr.guard >= 0 && !m.guard(cr.guard) {
			continue
		}
		if m.eval(&cr.cond) {
			m.out = append(m.out, int(cr.rule))
		}
	}
	if len(m.out) > 1 {
		sortDedupe(&m.out)
	}
	return m.out
}

// keywordsApply reports whether some rule with keyword needles can apply
// to the event (its logsource guard holds).
func (m *Matcher) keywordsApply() bool {
	if m.e.kwAlways {
		return true
	}
	for _, g := range m.e.kwGuards {
		if m.guard(g) {
			return true
		}
	}
	return false
}

func sortDedupe(s *[]int) {
	a := *s
	if len(a) < 2 {
		return
	}
	// Insertion sort: matches per event are few.
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	w := 1
	for i := 1; i < len(a); i++ {
		if a[i] != a[w-1] {
			a[w] = a[i]
			w++
		}
	}
	*s = a[:w]
}

func (m *Matcher) fire(p int32) {
	if m.predGen[p] != m.gen {
		m.predGen[p] = m.gen
		m.fired = append(m.fired, p)
	}
}

// scan runs an automaton over v and fires the predicates whose shape the
// occurrence satisfies.
func (m *Matcher) scan(a *automaton, uses [][]needleUse, v string) {
	m.scanRange(a, uses, v, 0, len(v))
}

// scanAnchored looks for prefix and suffix needles: in the first and last
// an.max bytes of v (all of v when those overlap).
func (m *Matcher) scanAnchored(an *anchored, v string) {
	n := len(v)
	if n <= 2*an.max {
		m.scanRange(an.a, an.uses, v, 0, n)
		return
	}
	m.scanRange(an.a, an.uses, v, 0, an.max)
	m.scanRange(an.a, an.uses, v, n-an.max, n)
}

// scanRange runs an automaton over v[from:to]; offsets are v's.
func (m *Matcher) scanRange(a *automaton, uses [][]needleUse, v string, from, to int) {
	st := int32(0)
	n := len(v)
	for i := from; i < to; i++ {
		if st == 0 {
			// Skip the bytes that start no needle: from the root they
			// lead back to the root.
			for i < to && a.root[v[i]] == 0 {
				i++
			}
			if i == to {
				break
			}
		}
		st = a.step(st, v[i])
		if !a.report[st] {
			continue
		}
		for x := st; x != 0; x = a.dict[x] {
			for _, nd := range a.outs[a.outStart[x]:a.outStart[x+1]] {
				end := i + 1
				start := end - int(a.lens[nd])
				for _, u := range uses[nd] {
					switch u.shape {
					case shapeContains:
					case shapePrefix:
						if start != 0 {
							continue
						}
					case shapeSuffix:
						if end != n {
							continue
						}
					case shapeEqual:
						if start != 0 || end != n {
							continue
						}
					}
					m.fire(u.pred)
				}
			}
		}
	}
}

// folded returns the folded value of slot s, computed once per event.
func (m *Matcher) folded(s int32) string {
	if m.foldGen[s] == m.gen {
		return m.foldVal[s]
	}
	v := m.slotVal[s]
	start := len(m.foldBuf)
	var changed bool
	m.foldBuf, changed = foldInto(m.foldBuf, v)
	if changed {
		// Strings into foldBuf stay valid: a grown buffer leaves the old
		// one to the strings that point into it.
		v = unsafe.String(&m.foldBuf[start], len(m.foldBuf)-start)
	} else {
		m.foldBuf = m.foldBuf[:start]
	}
	m.foldGen[s] = m.gen
	m.foldVal[s] = v
	return v
}

func (m *Matcher) guard(g int32) bool {
	if m.guardGen[g] == m.gen {
		return m.guardVal[g]
	}
	v := m.eval(&m.e.guards[g])
	m.guardGen[g] = m.gen
	m.guardVal[g] = v
	return v
}

func (m *Matcher) eval(n *node) bool {
	switch n.op {
	case opFalse:
		return false
	case opTrue:
		return true
	case opPred:
		return m.pred(n.pred)
	case opNot:
		return !m.eval(&n.kids[0])
	case opAnd:
		for i := range n.kids {
			if !m.eval(&n.kids[i]) {
				return false
			}
		}
		return true
	case opOr:
		for i := range n.kids {
			if m.eval(&n.kids[i]) {
				return true
			}
		}
		return false
	}
	return false
}

func (m *Matcher) pred(id int32) bool {
	p := &m.e.preds[id]
	if p.eager() && !m.naive {
		return m.predGen[id] == m.gen
	}
	if m.lazyGen[id] == m.gen {
		return m.lazyVal[id]
	}
	v := m.lazy(p)
	m.lazyGen[id] = m.gen
	m.lazyVal[id] = v
	return v
}

// value returns a slot's value, folded when the predicate reads it so.
func (m *Matcher) value(s int32, folded bool) (string, bool) {
	if m.slotGen[s] != m.gen {
		return "", false
	}
	if folded {
		return m.folded(s), true
	}
	return m.slotVal[s], true
}

func (m *Matcher) lazy(p *pred) bool {
	if p.slot < 0 || p.slot == m.e.kwSlot {
		return m.keyword(p)
	}
	v, ok := m.value(p.slot, p.folded)
	switch p.kind {
	case pExists:
		return ok
	case pPresent:
		return ok && v != ""
	}
	if !ok {
		return false
	}
	return m.test(p, v)
}

// test evaluates a lazy predicate on one value.
func (m *Matcher) test(p *pred, v string) bool {
	switch p.kind {
	case pNeedle:
		lit := p.lit
		switch p.shape {
		case shapeContains:
			return strings.Contains(v, lit)
		case shapePrefix:
			return strings.HasPrefix(v, lit)
		case shapeSuffix:
			return strings.HasSuffix(v, lit)
		}
		return v == lit
	case pGlob, pKeyword:
		return p.pat.match(v)
	case pRegexp:
		return p.re.MatchString(v)
	case pCIDR:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return false
		}
		return p.prefix.Contains(a.Unmap())
	case pNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		switch p.op {
		case "lt":
			return f < p.num
		case "lte":
			return f <= p.num
		case "gt":
			return f > p.num
		default:
			return f >= p.num
		}
	case pFieldRef:
		r, ok := m.value(p.ref, p.folded)
		if !ok {
			return false
		}
		switch p.shape {
		case shapeContains:
			return strings.Contains(v, r)
		case shapePrefix:
			return strings.HasPrefix(v, r)
		case shapeSuffix:
			return strings.HasSuffix(v, r)
		}
		return v == r
	}
	return false
}

// keyword evaluates a predicate without a field over every value.
func (m *Matcher) keyword(p *pred) bool {
	vals := m.values()
	if p.folded {
		if m.allFoldGen != m.gen {
			m.allFold = m.allFold[:0]
			for _, v := range vals {
				m.allFold = append(m.allFold, fold(v))
			}
			m.allFoldGen = m.gen
		}
		vals = m.allFold
	}
	for _, v := range vals {
		if m.test(p, v) {
			return true
		}
	}
	return false
}

// MatchEvent matches a stored event: its fields and its original message
// (for keyword searches).
func (m *Matcher) MatchEvent(ev *event.Event) []int {
	m.loadEvent(ev)
	return m.Match()
}

// loadEvent makes ev the event being matched: the fields rules read are
// set from its map (iterating over the shorter of the map and the
// engine's field names); the rest is read on demand.
func (m *Matcher) loadEvent(ev *event.Event) {
	m.Reset(0)
	m.src = ev
	e := m.e
	if len(e.names) < len(ev.Fields) {
		for i, name := range e.names {
			if v, ok := ev.Fields[name]; ok {
				m.set(e.nameRefs[i], v)
			}
		}
		return
	}
	for k, v := range ev.Fields {
		if refs, ok := e.byName[k]; ok {
			m.set(refs, v)
		}
	}
}

// values returns every value of the event (keyword searches), filling
// them from the stored event on first use.
func (m *Matcher) values() []string {
	if m.src != nil && m.allGen != m.gen {
		m.allGen = m.gen
		m.all = m.all[:0]
		for _, v := range m.src.Fields {
			m.all = append(m.all, v)
		}
		if m.src.Message != "" {
			m.all = append(m.all, m.src.Message)
		}
	}
	return m.all
}
