package correlate

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"khien.vn/khien/internal/detect/sigma"
)

// Base identifies a detection rule a correlation rule may refer to, by
// its id or its name. Its index in the slice given to New is the base
// index of Observe.
type Base struct{ ID, Name string }

// Options configure New. The zero value is valid.
type Options struct {
	// MaxGroups bounds the groups (distinct group-by values) tracked per
	// correlation rule: when a new group would exceed it, the oldest
	// group is evicted, its state dropped without evaluation and counted
	// in Stats. 0 means DefaultMaxGroups.
	MaxGroups int
	// MaxEvents bounds the observation references kept per group and
	// reported in Firing.Events (the most recent ones). 0 means
	// DefaultMaxEvents; a negative value keeps none.
	MaxEvents int
}

// Defaults of Options.
const (
	DefaultMaxGroups = 100_000
	DefaultMaxEvents = 10
)

// maxRefs is the most rules a correlation rule may refer to (temporal
// rules keep the rules seen in a 64-bit mask).
const maxRefs = 64

// Problem is a correlation rule New could not load, and why. Loaded
// rules have no problem: New either runs a rule as the specification
// says or reports it here.
type Problem struct {
	Rule   *sigma.Rule
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s (%s, not loaded): %s", p.Rule.Title, p.Rule.ID, p.Reason)
}

// Engine runs correlation rules over a stream of detection matches. It
// is not safe for concurrent use: one goroutine feeds it (or each
// partition of the stream has its own Engine).
type Engine struct {
	corrs    []*corr   // loaded correlation rules, children before parents
	byBase   [][]input // inputs fed by each base rule's matches
	generate []bool    // per base: its own matches are still raised
	seed     maphash.Seed
	out      []Firing
	key      []byte
}

// kind is a correlation type.
type kind uint8

const (
	eventCount kind = iota
	valueCount
	temporal
	ordered
)

// op is a threshold operator.
type op uint8

const (
	opGT op = iota
	opGTE
	opLT
	opLTE
	opEQ
	opNEQ
)

var ops = map[string]op{"gt": opGT, "gte": opGTE, "lt": opLT, "lte": opLTE, "eq": opEQ, "neq": opNEQ}

type cond struct {
	op op
	v  int64
}

// corr is a loaded correlation rule.
type corr struct {
	rule *sigma.Rule
	kind kind
	span int64 // timespan, ns
	// conds is the condition; deferred says it bounds the measure from
	// above (lt, lte, eq, neq), so it is evaluated when a window closes;
	// otherwise the rule fires as soon as the measure reaches need.
	conds    []cond
	deferred bool
	need     int64
	// distinctCap bounds the distinct values a deferred value_count
	// group keeps: beyond it no comparison of conds changes.
	distinctCap int
	// slots is the number of distinct referred rules (temporal) or of
	// positions in Rules (temporal_ordered); depth the chain lengths
	// kept per position (temporal_ordered).
	slots, depth int
	groupBy      []string
	maxEvents    int
	// parents are the inputs this rule's firings feed (chaining);
	// internal says none of those rules has generate: true.
	parents  []input
	internal bool
	groups   groupTable
}

// input is how matches of one referred rule feed a correlation rule.
type input struct {
	c *corr
	// fields are the event fields holding the group-by values for this
	// referred rule (aliases resolved), value the counted field of a
	// value_count rule.
	fields []string
	value  string
	slot   int   // temporal: the referred rule's bit
	pos    []int // temporal_ordered: its positions in Rules, descending
}

// New compiles correlation rules against the detection rules they refer
// to. Rules may also refer to other rules of correlations (chaining,
// as the specification allows); their firings then feed the referring
// rule. A rule that refers to an unknown or ambiguous rule, belongs to a
// reference cycle, refers to a rule that cannot run, or has a condition
// this package cannot run or that can never be met is returned as a
// Problem and not loaded; nil entries of correlations are skipped.
func New(correlations []*sigma.Rule, bases []Base, opts Options) (*Engine, []Problem) {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	switch {
	case opts.MaxEvents == 0:
		opts.MaxEvents = DefaultMaxEvents
	case opts.MaxEvents < 0:
		opts.MaxEvents = 0
	}
	var rules []*sigma.Rule
	for _, r := range correlations {
		if r != nil {
			rules = append(rules, r)
		}
	}
	nb := len(bases)

	// Nodes are the bases (0…nb-1) then the correlation rules; refs maps
	// an id or name to the nodes that carry it.
	refs := map[string][]int{}
	addRef := func(s string, n int) {
		if s != "" && !slices.Contains(refs[s], n) {
			refs[s] = append(refs[s], n)
		}
	}
	for i, b := range bases {
		addRef(b.ID, i)
		addRef(b.Name, i)
	}
	for i, r := range rules {
		addRef(r.ID, nb+i)
		addRef(r.Name, nb+i)
	}
	nodeName := func(n int) string {
		if n < nb {
			return cmp.Or(bases[n].Name, bases[n].ID)
		}
		r := rules[n-nb]
		return cmp.Or(r.Name, r.ID, r.Title)
	}

	var problems []Problem
	reason := make([]string, len(rules)) // "" while loadable
	targets := make([][]int, len(rules)) // per rule: node of each Rules entry
	for i, r := range rules {
		reason[i] = check(r)
		if reason[i] != "" {
			continue
		}
		for _, ref := range r.Correlation.Rules {
			ns := refs[ref]
			switch {
			case len(ns) == 0:
				reason[i] = fmt.Sprintf("refers to unknown rule %q", ref)
			case len(ns) > 1:
				names := make([]string, len(ns))
				for k, n := range ns {
					names[k] = nodeName(n)
				}
				reason[i] = fmt.Sprintf("reference %q is ambiguous: it names %s", ref, strings.Join(names, ", "))
			case ns[0] == nb+i:
				reason[i] = "refers to itself"
			}
			if reason[i] != "" {
				break
			}
			targets[i] = append(targets[i], ns[0])
		}
	}

	// Load in dependency order: a rule loads once the correlation rules
	// it refers to have; what remains is a cycle or depends on one.
	order := make([]int, 0, len(rules))
	state := make([]int8, len(rules)) // 0 pending, 1 loaded, -1 failed
	for i := range rules {
		if reason[i] != "" {
			state[i] = -1
		}
	}
	for progress := true; progress; {
		progress = false
		for i := range rules {
			if state[i] != 0 {
				continue
			}
			ready := true
			for _, n := range targets[i] {
				if n < nb {
					continue
				}
				switch state[n-nb] {
				case -1:
					reason[i] = fmt.Sprintf("refers to correlation rule %q, which cannot run", nodeName(n))
					state[i] = -1
				case 0:
					ready = false
				}
				if state[i] == -1 {
					break
				}
			}
			if state[i] == -1 {
				progress = true
			} else if ready {
				state[i] = 1
				order = append(order, i)
				progress = true
			}
		}
	}
	// What is still pending is in a cycle, or refers to a rule that is.
	for i := range rules {
		if state[i] != 0 {
			continue
		}
		if inCycle(i, nb, targets, state) {
			reason[i] = "is part of a reference cycle between correlation rules"
			continue
		}
		for _, n := range targets[i] {
			if n >= nb && state[n-nb] == 0 {
				reason[i] = fmt.Sprintf("refers to correlation rule %q, which cannot run", nodeName(n))
				break
			}
		}
	}
	for i := range rules {
		if state[i] == 0 {
			state[i] = -1
		}
	}

	e := &Engine{
		byBase:   make([][]input, nb),
		generate: make([]bool, nb),
		seed:     maphash.MakeSeed(),
	}
	loaded := make([]*corr, len(rules))
	for _, i := range order {
		r := rules[i]
		c, why := compile(r, targets[i], nodeIDs(targets[i], bases, rules), opts)
		if why != "" {
			reason[i] = why
			continue
		}
		// A rule referring to a correlation rule that failed here after
		// all (compile errors are found in order) cannot run either.
		for _, n := range targets[i] {
			if n >= nb && loaded[n-nb] == nil {
				c = nil
				reason[i] = fmt.Sprintf("refers to correlation rule %q, which cannot run", nodeName(n))
				break
			}
		}
		if c == nil {
			continue
		}
		loaded[i] = c
		e.corrs = append(e.corrs, c)
	}
	for i, r := range rules {
		if reason[i] != "" {
			problems = append(problems, Problem{Rule: r, Reason: reason[i]})
		}
	}

	// Wire inputs: base matches and child firings.
	for _, i := range order {
		c := loaded[i]
		if c == nil {
			continue
		}
		for _, in := range c.inputs(targets[i], nodeIDs(targets[i], bases, rules)) {
			n := in.node
			if n < nb {
				e.byBase[n] = append(e.byBase[n], in.input)
			} else {
				loaded[n-nb].parents = append(loaded[n-nb].parents, in.input)
			}
		}
	}

	// generate: a referred rule still raises its own matches (or
	// firings) unless every rule that refers to it says otherwise.
	for b, ins := range e.byBase {
		e.generate[b] = len(ins) == 0 || slices.ContainsFunc(ins, func(in input) bool { return in.c.rule.Correlation.Generate })
	}
	for _, c := range e.corrs {
		c.internal = len(c.parents) > 0 && !slices.ContainsFunc(c.parents, func(in input) bool { return in.c.rule.Correlation.Generate })
	}
	return e, problems
}

// inCycle reports whether correlation rule i reaches itself through
// pending (state 0) correlation rules.
func inCycle(i, nb int, targets [][]int, state []int8) bool {
	seen := make([]bool, len(targets))
	stack := []int{i}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range targets[r] {
			if n < nb || state[n-nb] != 0 {
				continue
			}
			if n-nb == i {
				return true
			}
			if !seen[n-nb] {
				seen[n-nb] = true
				stack = append(stack, n-nb)
			}
		}
	}
	return false
}

// nodeIDs returns, for each target node, the strings that name it (id
// and name), for alias resolution.
func nodeIDs(targets []int, bases []Base, rules []*sigma.Rule) [][2]string {
	out := make([][2]string, len(targets))
	for k, n := range targets {
		if n < len(bases) {
			out[k] = [2]string{bases[n].ID, bases[n].Name}
		} else {
			r := rules[n-len(bases)]
			out[k] = [2]string{r.ID, r.Name}
		}
	}
	return out
}

// check returns why r cannot run, judging r alone ("" if it can).
func check(r *sigma.Rule) string {
	c := r.Correlation
	switch {
	case c == nil:
		return "not a correlation rule"
	case len(c.Rules) == 0:
		return "refers to no rule"
	case len(c.Rules) > maxRefs:
		return fmt.Sprintf("refers to %d rules (at most %d)", len(c.Rules), maxRefs)
	case c.Timespan <= 0:
		return "timespan must be positive"
	}
	switch c.Type {
	case sigma.EventCount, sigma.ValueCount, sigma.Temporal, sigma.TemporalOrdered:
	default:
		return fmt.Sprintf("correlation type %q is not supported", c.Type)
	}
	if c.Condition != nil {
		for _, tc := range c.Condition.Conds {
			if _, ok := ops[tc.Op]; !ok {
				return fmt.Sprintf("unknown condition operator %q", tc.Op)
			}
		}
		if c.Condition.Field != "" && c.Type != sigma.ValueCount {
			return "condition.field is only for value_count"
		}
	}
	switch c.Type {
	case sigma.EventCount, sigma.ValueCount:
		if c.Condition == nil || len(c.Condition.Conds) == 0 {
			return fmt.Sprintf("%s needs a condition (e.g. gte: 10)", c.Type)
		}
	}
	if c.Type == sigma.ValueCount && c.Condition.Field == "" {
		return "value_count needs condition.field"
	}
	return ""
}

// compile builds the rule's runtime form; targets are the nodes of its
// Rules entries (resolved), ids their ids and names.
func compile(r *sigma.Rule, targets []int, ids [][2]string, opts Options) (*corr, string) {
	sc := r.Correlation
	c := &corr{
		rule:      r,
		span:      int64(sc.Timespan),
		groupBy:   sc.GroupBy,
		maxEvents: opts.MaxEvents,
	}
	if sc.Timespan > time.Duration(math.MaxInt64/4) {
		return nil, "timespan is too long"
	}
	// Aliases must name referred rules.
	for alias, m := range sc.Aliases {
		for ref := range m {
			if !slices.Contains(sc.Rules, ref) && !slices.ContainsFunc(ids, func(id [2]string) bool { return ref != "" && (id[0] == ref || id[1] == ref) }) {
				return nil, fmt.Sprintf("alias %q maps rule %q, which the correlation does not refer to", alias, ref)
			}
		}
	}

	// Range of the measure a group can have: lo (a group exists only
	// once it has an observation) to hi (math.MaxInt64: unbounded).
	lo, hi := int64(1), int64(math.MaxInt64)
	switch sc.Type {
	case sigma.EventCount:
		c.kind = eventCount
	case sigma.ValueCount:
		c.kind = valueCount
		lo = 0 // every observation may lack the field
	case sigma.Temporal:
		c.kind = temporal
		distinct := map[int]bool{}
		for _, n := range targets {
			distinct[n] = true
		}
		c.slots = len(distinct)
		hi = int64(c.slots)
	case sigma.TemporalOrdered:
		c.kind = ordered
		c.slots = len(targets)
		hi = int64(c.slots)
	}
	if sc.Condition == nil || len(sc.Condition.Conds) == 0 {
		// Temporal types without a condition: every referred rule (pySigma
		// defaults to gte: number of rules).
		c.conds = []cond{{opGTE, hi}}
	} else {
		for _, tc := range sc.Condition.Conds {
			c.conds = append(c.conds, cond{ops[tc.Op], tc.Value})
		}
	}

	var maxV int64
	for _, k := range c.conds {
		switch k.op {
		case opLT, opLTE, opEQ, opNEQ:
			c.deferred = true
		}
		maxV = max(maxV, k.v)
	}
	if !c.deferred {
		need := lo
		for _, k := range c.conds {
			switch k.op {
			case opGTE:
				need = max(need, k.v)
			case opGT:
				if k.v == math.MaxInt64 {
					return nil, "condition can never be met"
				}
				need = max(need, k.v+1)
			}
		}
		if need > hi {
			return nil, fmt.Sprintf("condition can never be met: it needs %d, the rule can count at most %d", need, hi)
		}
		if c.kind == eventCount && need > 1<<20 {
			return nil, fmt.Sprintf("event_count threshold %d is too large (at most %d)", need, 1<<20)
		}
		c.need = need
	} else {
		if !c.satisfiable(lo, hi) {
			return nil, "condition can never be met"
		}
		// Beyond maxV+1 no comparison changes.
		top := hi
		if maxV < math.MaxInt64 {
			top = min(hi, maxV+1)
		}
		if c.kind == valueCount {
			if top > 1<<20 {
				return nil, fmt.Sprintf("value_count condition %d is too large (at most %d)", maxV, 1<<20)
			}
			c.distinctCap = int(top)
		}
	}
	if c.kind == ordered {
		if c.deferred {
			c.depth = c.slots
		} else {
			c.depth = int(c.need)
		}
	}
	c.groups.init(opts.MaxGroups)
	return c, ""
}

// satisfiable reports whether some measure in [lo, hi] meets the
// condition.
func (c *corr) satisfiable(lo, hi int64) bool {
	for _, k := range c.conds {
		switch k.op {
		case opGT:
			if k.v == math.MaxInt64 {
				return false
			}
			lo = max(lo, k.v+1)
		case opGTE:
			lo = max(lo, k.v)
		case opLT:
			if k.v == math.MinInt64 {
				return false
			}
			hi = min(hi, k.v-1)
		case opLTE:
			hi = min(hi, k.v)
		case opEQ:
			lo, hi = max(lo, k.v), min(hi, k.v)
		}
	}
	// Only neq conditions remain to check: one of the first len(conds)+1
	// values of [lo, hi] escapes them all.
	for i, v := 0, lo; i <= len(c.conds) && v <= hi; i, v = i+1, v+1 {
		if c.holds(v) {
			return true
		}
		if v == math.MaxInt64 {
			break
		}
	}
	return false
}

// holds reports whether the measure v meets the condition.
func (c *corr) holds(v int64) bool {
	for _, k := range c.conds {
		var ok bool
		switch k.op {
		case opGT:
			ok = v > k.v
		case opGTE:
			ok = v >= k.v
		case opLT:
			ok = v < k.v
		case opLTE:
			ok = v <= k.v
		case opEQ:
			ok = v == k.v
		case opNEQ:
			ok = v != k.v
		}
		if !ok {
			return false
		}
	}
	return true
}

type nodeInput struct {
	node int
	input
}

// inputs returns one input per distinct referred node.
func (c *corr) inputs(targets []int, ids [][2]string) []nodeInput {
	sc := c.rule.Correlation
	var out []nodeInput
	slotOf := map[int]int{}
	for k, n := range targets {
		idx := slices.IndexFunc(out, func(ni nodeInput) bool { return ni.node == n })
		if idx < 0 {
			in := input{c: c, slot: len(slotOf)}
			slotOf[n] = in.slot
			ref := sc.Rules[k]
			field := func(name string) string {
				if m, ok := sc.Aliases[name]; ok {
					for _, key := range []string{ref, ids[k][1], ids[k][0]} {
						if f, ok := m[key]; ok && key != "" {
							return f
						}
					}
				}
				return name // not an alias, or the alias does not map this rule
			}
			in.fields = make([]string, len(sc.GroupBy))
			for g, name := range sc.GroupBy {
				in.fields[g] = field(name)
			}
			if c.kind == valueCount {
				in.value = field(sc.Condition.Field)
			}
			out = append(out, nodeInput{node: n, input: in})
			idx = len(out) - 1
		}
		out[idx].pos = append(out[idx].pos, k)
	}
	for i := range out {
		sort.Sort(sort.Reverse(sort.IntSlice(out[i].pos)))
	}
	return out
}
