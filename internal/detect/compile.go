// Package detect is Khiên's Sigma engine: it compiles rules read by
// package sigma into one matcher for all of them, and matches events one
// at a time, allocation-free on the hot path.
//
// How it is fast: every string test of every rule on a field (equals,
// startswith, endswith, contains — after wildcards, windash, base64 and
// friends are expanded) becomes a needle of one Aho–Corasick automaton per
// field, so one pass over a field value decides all of them; a rule is
// evaluated only when one of its tests fired, unless its condition can be
// true with none firing (a "not filter" alone, a regular expression); and
// each rule's logsource is a guard evaluated at most once per event.
// Regular expressions, CIDR, numeric comparisons, field references and
// complex wildcards are evaluated lazily, only for rules being evaluated.
package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"khien.vn/khien/internal/detect/correlate"
	"khien.vn/khien/internal/detect/sigma"
)

// Options configure Compile.
type Options struct {
	// Mapping is the logsource and field mapping; nil means the built-in
	// one (DefaultMapping).
	Mapping *Mapping
	// Placeholders are the values of expand's %name% placeholders.
	Placeholders map[string][]string
}

// Problem is a rule Compile could not load (Loaded false: the reason says
// why) or loaded with a caveat (Loaded true: e.g. an unmapped logsource).
type Problem struct {
	Rule   *sigma.Rule
	Reason string
	Loaded bool
}

func (p Problem) String() string {
	state := "not loaded"
	if p.Loaded {
		state = "loaded"
	}
	return fmt.Sprintf("%s (%s, %s): %s", p.Rule.Title, p.Rule.ID, state, p.Reason)
}

// Engine holds compiled rules; it is immutable and safe for concurrent
// use. Each goroutine matches with its own Matcher.
type Engine struct {
	rules []*sigma.Rule // loaded rules; a match names its index
	// corrRules are the correlation rules that load (over rules).
	corrRules []*sigma.Rule
	mapping   *Mapping
	// fieldNames caches FieldNames for the fields correlation rules read.
	fieldNames map[string][]string

	// Event field names → the slots reading them; names and nameRefs
	// are the same as slices, for iterating.
	byName   map[string][]slotRef
	names    []string
	nameRefs [][]slotRef
	nslots   int
	slots    []slotInfo

	preds []pred
	// predRules lists, for each eager predicate, the compiled rules whose
	// own condition uses it (the triggers).
	predRules [][]int32

	compiled []compiledRule
	always   []int32 // compiled rules evaluated on every event
	// kwSlot is the pseudo-field of keyword needles (-1: none): its
	// automata run over every value of the event.
	kwSlot int32
	// kwGuards are the guards of the rules that have keyword needles, and
	// kwAlways says one of those rules has no guard: the keyword automata
	// run only on events that pass one of them.
	kwGuards []int32
	kwAlways bool
	guards   []node

	mem int // approximate bytes of the automata
}

// slotRef is one event field name's contribution to a slot: rank is its
// preference (0 first).
type slotRef struct {
	slot int32
	rank int32
}

// slotInfo holds the per-slot automata and eager predicates.
type slotInfo struct {
	names []string
	// fold is the case-insensitive automaton (values folded), cased the
	// case-sensitive one; uses[needle] are the predicates a needle decides.
	fold, cased         *automaton
	foldUses, casedUses [][]needleUse
	// foldAnch and casedAnch hold the needles only ever tested as a
	// prefix or a suffix (most "Image|endswith" values): they are looked
	// for in the first and last anchLen bytes of a value only.
	foldAnch, casedAnch *anchored
	// eqFold and eqCased are the predicates of whole-value literals, by
	// value (folded or not): a map lookup instead of a scan.
	eqFold, eqCased map[string][]int32
	// present fires when the field has a non-empty value, exists when it
	// has any value (-1: none).
	present, exists int32
	// needFold: some predicate on this slot reads the folded value.
	needFold bool
}

type needleUse struct {
	pred  int32
	shape shape
}

// compiledRule is one rule on one logsource variant.
type compiledRule struct {
	rule  int32 // index in Engine.rules
	guard int32 // index in Engine.guards, -1 for none
	cond  node
}

// node is a compiled condition.
type node struct {
	op   uint8
	pred int32
	kids []node
}

const (
	opFalse uint8 = iota
	opTrue
	opPred
	opNot
	opAnd
	opOr
)

// predKind is a predicate's evaluation.
type predKind uint8

const (
	pNeedle   predKind = iota // eager: fired by an automaton
	pPresent                  // eager: field has a non-empty value
	pExists                   // eager: field is present
	pGlob                     // lazy: wildcard pattern
	pRegexp                   // lazy
	pCIDR                     // lazy
	pNumber                   // lazy: lt, lte, gt, gte
	pFieldRef                 // lazy: compare with another field
	pKeyword                  // lazy: any value of the event
)

// pred is one test on one slot.
type pred struct {
	kind   predKind
	slot   int32
	folded bool // reads the folded value
	// lazyNeedle: a needle no rule is triggered by, tested directly when
	// a rule being evaluated needs it rather than scanned for.
	lazyNeedle bool
	lit        string // pNeedle: the literal
	pat        pattern
	re         *regexp.Regexp
	prefix     netip.Prefix
	op         sigma.Modifier
	num        float64
	ref        int32 // pFieldRef: the other slot
	shape      shape // pFieldRef, pNeedle: how the values compare
}

func (p *pred) eager() bool { return p.kind <= pExists && !p.lazyNeedle }

// compiler builds an Engine.
type compiler struct {
	e       *Engine
	m       *Mapping
	opts    Options
	slotIDs map[string]int32
	predIDs map[string]int32
	keyBuf  []byte
	// needles per slot while compiling.
	foldNeedles, casedNeedles [][]string
	foldIDs, casedIDs         []map[string]int32
}

// Compile compiles rules. Rules it cannot load are left out and reported;
// the engine holds every other rule.
func Compile(rules []*sigma.Rule, opts Options) (*Engine, []Problem, error) {
	m := opts.Mapping
	if m == nil {
		var err error
		if m, err = DefaultMapping(); err != nil {
			return nil, nil, err
		}
	}
	c := &compiler{
		e:       &Engine{byName: make(map[string][]slotRef), kwSlot: -1, mapping: m},
		m:       m,
		opts:    opts,
		slotIDs: make(map[string]int32),
		predIDs: make(map[string]int32),
	}
	guardIDs := make(map[string]int32)
	var problems []Problem
	var corrs []*sigma.Rule
	for _, r := range rules {
		if r.Correlation != nil {
			corrs = append(corrs, r)
			continue
		}
		if r.Detection == nil {
			problems = append(problems, Problem{Rule: r, Reason: "no detection"})
			continue
		}
		variants, note := m.resolve(r.LogSource)
		ruleIdx := int32(len(c.e.rules))
		var built []compiledRule
		var notes []string
		if note != "" {
			notes = append(notes, note)
		}
		var err error
		for _, v := range variants {
			var cr compiledRule
			cr.rule = ruleIdx
			cr.guard = -1
			if len(v.conds) > 0 {
				g, err2 := c.search([]sigma.FieldMatch{}, v, v.conds, &notes)
				if err2 != nil {
					err = fmt.Errorf("logsource mapping: %w", err2)
					break
				}
				key := fmt.Sprint(g)
				id, ok := guardIDs[key]
				if !ok {
					id = int32(len(c.e.guards))
					c.e.guards = append(c.e.guards, g)
					guardIDs[key] = id
				}
				cr.guard = id
			}
			if cr.cond, err = c.detection(r.Detection, v, &notes); err != nil {
				break
			}
			built = append(built, cr)
		}
		if err != nil {
			problems = append(problems, Problem{Rule: r, Reason: err.Error()})
			continue
		}
		c.e.rules = append(c.e.rules, r)
		for _, cr := range built {
			c.e.compiled = append(c.e.compiled, cr)
		}
		for _, n := range notes {
			problems = append(problems, Problem{Rule: r, Reason: n, Loaded: true})
		}
	}
	c.finish()
	if len(corrs) > 0 {
		// Compiled once here to report the rules that cannot run; each
		// stream then gets its own state (NewCorrelator).
		_, cp := correlate.New(corrs, c.e.bases(), correlate.Options{})
		bad := make(map[*sigma.Rule]bool, len(cp))
		for _, p := range cp {
			bad[p.Rule] = true
			problems = append(problems, Problem{Rule: p.Rule, Reason: p.Reason})
		}
		c.e.fieldNames = make(map[string][]string)
		for _, r := range corrs {
			if bad[r] {
				continue
			}
			c.e.corrRules = append(c.e.corrRules, r)
			cr := r.Correlation
			fields := slices.Clone(cr.GroupBy)
			if cr.Condition != nil && cr.Condition.Field != "" {
				fields = append(fields, cr.Condition.Field)
			}
			for alias, perRule := range cr.Aliases {
				fields = append(fields, alias)
				for _, f := range perRule {
					fields = append(fields, f)
				}
			}
			for _, f := range fields {
				if _, ok := c.e.fieldNames[f]; !ok {
					c.e.fieldNames[f] = c.e.lookupNames(f)
				}
			}
		}
	}
	return c.e, problems, nil
}

// bases lists the loaded detection rules for the correlation engine, in
// Rules order, so that a match's rule index is its base index.
func (e *Engine) bases() []correlate.Base {
	out := make([]correlate.Base, len(e.rules))
	for i, r := range e.rules {
		out[i] = correlate.Base{ID: r.ID, Name: r.Name}
	}
	return out
}

// CorrelationRules returns the correlation rules that loaded.
func (e *Engine) CorrelationRules() []*sigma.Rule { return e.corrRules }

// NewCorrelator returns fresh correlation state for one stream of
// matches (nil when no correlation rule loaded): feed it each match with
// Observation.Base = the match's rule index, and Flush it periodically.
func (e *Engine) NewCorrelator(opts correlate.Options) *correlate.Engine {
	if len(e.corrRules) == 0 {
		return nil
	}
	c, _ := correlate.New(e.corrRules, e.bases(), opts)
	return c
}

// FieldNames returns the event field names a Sigma field name may be
// found under, in order of preference, over every product of the
// mapping (for correlation group-by fields, which have no logsource).
func (e *Engine) FieldNames(field string) []string {
	if names, ok := e.fieldNames[field]; ok {
		return names
	}
	return e.lookupNames(field)
}

func (e *Engine) lookupNames(field string) []string {
	names := []string{field}
	products := make([]string, 0, len(e.mapping.Products))
	for p := range e.mapping.Products {
		products = append(products, p)
	}
	slices.Sort(products)
	for _, p := range products {
		for _, n := range e.mapping.fieldNames(p, field, nil) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// detection compiles a rule's conditions (any of them) on a variant.
func (c *compiler) detection(d *sigma.Detection, v resolvedVariant, notes *[]string) (node, error) {
	searches := make(map[string]node, len(d.Searches))
	for _, s := range d.Searches {
		n, err := c.searchNode(s, v, notes)
		if err != nil {
			return node{}, fmt.Errorf("search %s: %w", s.Name, err)
		}
		searches[s.Name] = n
	}
	if d.Timeframe > 0 {
		*notes = append(*notes, "timeframe is ignored (Sigma 1 aggregations are not supported; use a correlation rule)")
	}
	var alts []node
	for _, cond := range d.Conditions {
		n, err := c.expr(cond, d, searches)
		if err != nil {
			return node{}, err
		}
		alts = append(alts, n)
	}
	return or(alts), nil
}

func (c *compiler) expr(x sigma.Expr, d *sigma.Detection, searches map[string]node) (node, error) {
	switch x := x.(type) {
	case *sigma.And:
		var kids []node
		for _, k := range x.X {
			n, err := c.expr(k, d, searches)
			if err != nil {
				return node{}, err
			}
			kids = append(kids, n)
		}
		return and(kids), nil
	case *sigma.Or:
		var kids []node
		for _, k := range x.X {
			n, err := c.expr(k, d, searches)
			if err != nil {
				return node{}, err
			}
			kids = append(kids, n)
		}
		return or(kids), nil
	case *sigma.Not:
		n, err := c.expr(x.X, d, searches)
		if err != nil {
			return node{}, err
		}
		return not(n), nil
	case *sigma.Ref:
		n, ok := searches[x.Name]
		if !ok {
			return node{}, fmt.Errorf("condition names an unknown search %q", x.Name)
		}
		return n, nil
	case *sigma.Of:
		matched := d.Match(x.Pattern)
		if len(matched) == 0 {
			return node{}, fmt.Errorf("condition %q matches no search", x.Pattern)
		}
		var kids []node
		for _, s := range matched {
			kids = append(kids, searches[s.Name])
		}
		if x.All {
			return and(kids), nil
		}
		return or(kids), nil
	}
	return node{}, fmt.Errorf("unknown condition node %T", x)
}

// searchNode compiles one search identifier: any alternative, each all of
// its field matches.
func (c *compiler) searchNode(s *sigma.Search, v resolvedVariant, notes *[]string) (node, error) {
	var alts []node
	for _, alt := range s.Alternatives {
		n, err := c.search(nil, v, alt, notes)
		if err != nil {
			return node{}, err
		}
		alts = append(alts, n)
	}
	return or(alts), nil
}

// search compiles an AND of field matches.
func (c *compiler) search(_ []sigma.FieldMatch, v resolvedVariant, fms []sigma.FieldMatch, notes *[]string) (node, error) {
	var kids []node
	for _, fm := range fms {
		n, err := c.fieldMatch(fm, v, notes)
		if err != nil {
			return node{}, err
		}
		kids = append(kids, n)
	}
	return and(kids), nil
}

// fieldMatch compiles one field|modifiers: values entry.
func (c *compiler) fieldMatch(fm sigma.FieldMatch, v resolvedVariant, notes *[]string) (node, error) {
	slot := int32(-1)
	if fm.Field != "" {
		slot = c.slot(c.m.fieldNames(v.product, fm.Field, v.rename))
	}
	all := fm.Has(sigma.ModAll)
	var kids []node
	add := func(n node) { kids = append(kids, n) }
	for _, val := range fm.Values {
		switch {
		case fm.Has(sigma.ModExists):
			want, err := boolValue(val)
			if err != nil {
				return node{}, err
			}
			if slot < 0 {
				return node{}, errors.New("exists needs a field")
			}
			n := c.predNode(pred{kind: pExists, slot: slot})
			if !want {
				n = not(n)
			}
			add(n)
		case val.Kind == sigma.Null:
			if slot < 0 {
				return node{}, errors.New("null needs a field")
			}
			add(not(c.predNode(pred{kind: pPresent, slot: slot})))
		case fm.Has(sigma.ModRe):
			n, err := c.regexpPred(fm, slot, val)
			if err != nil {
				return node{}, err
			}
			add(n)
		case fm.Has(sigma.ModCIDR):
			pfx, err := netip.ParsePrefix(strings.TrimSpace(val.Raw))
			if err != nil {
				return node{}, fmt.Errorf("cidr %q: %w", val.Raw, err)
			}
			add(c.predNode(pred{kind: pCIDR, slot: slot, prefix: pfx.Masked()}))
		case fm.Has(sigma.ModLT) || fm.Has(sigma.ModLTE) || fm.Has(sigma.ModGT) || fm.Has(sigma.ModGTE):
			f, ok := val.Float()
			if !ok {
				return node{}, fmt.Errorf("comparison with %q: not a number", val.Raw)
			}
			op := sigma.ModLT
			for _, m := range []sigma.Modifier{sigma.ModLTE, sigma.ModGT, sigma.ModGTE} {
				if fm.Has(m) {
					op = m
				}
			}
			add(c.predNode(pred{kind: pNumber, slot: slot, op: op, num: f}))
		case fm.Has(sigma.ModFieldRef):
			if slot < 0 {
				return node{}, errors.New("fieldref needs a field")
			}
			ref := c.slot(c.m.fieldNames(v.product, val.Raw, v.rename))
			sh := shapeEqual
			switch {
			case fm.Has(sigma.ModContains):
				sh = shapeContains
			case fm.Has(sigma.ModStartsWith):
				sh = shapePrefix
			case fm.Has(sigma.ModEndsWith):
				sh = shapeSuffix
			}
			add(c.predNode(pred{kind: pFieldRef, slot: slot, ref: ref, shape: sh, folded: !fm.Has(sigma.ModCased)}))
		default:
			pats, note, err := expandValue(fm, val, c.opts.Placeholders)
			if err != nil {
				return node{}, err
			}
			if note != "" {
				*notes = append(*notes, note)
			}
			if len(pats) == 0 {
				add(node{op: opFalse})
				continue
			}
			var alts []node
			for _, p := range pats {
				alts = append(alts, c.stringPred(fm, slot, p))
			}
			add(or(alts))
		}
	}
	var n node
	if all {
		n = and(kids)
	} else {
		n = or(kids)
	}
	if fm.Has(sigma.ModNeq) {
		n = not(n)
	}
	return n, nil
}

func boolValue(v sigma.Value) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v.Raw)) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("exists takes true or false, not %q", v.Raw)
}

// regexpPred compiles a re value. Go's RE2 syntax lacks look-arounds and
// back-references: such a rule is reported, not loaded.
func (c *compiler) regexpPred(fm sigma.FieldMatch, slot int32, val sigma.Value) (node, error) {
	flags := ""
	if fm.Has(sigma.ModReI) {
		flags += "i"
	}
	if fm.Has(sigma.ModReM) {
		flags += "m"
	}
	if fm.Has(sigma.ModReS) {
		flags += "s"
	}
	expr := val.Raw
	if flags != "" {
		expr = "(?" + flags + ")" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return node{}, fmt.Errorf("regular expression %q: %w (Go's RE2 syntax has no look-arounds or back-references)", val.Raw, err)
	}
	rp := c.predNode(pred{kind: pRegexp, slot: slot, re: re})
	if slot < 0 {
		return rp, nil
	}
	// Literals of which one must occur for the expression to match: a
	// prefilter of needles that also triggers the rule.
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return rp, nil
	}
	lits, ok := requiredLiterals(parsed.Simplify())
	if !ok || len(lits) == 0 {
		return rp, nil
	}
	var alts []node
	for _, l := range lits {
		alts = append(alts, c.needle(slot, l.fold, shapeContains, l.text))
	}
	return and([]node{or(alts), rp}), nil
}

// reLiteral is a literal a regular expression requires, folded when the
// expression matches it in any case.
type reLiteral struct {
	text string
	fold bool
}

// requiredLiterals returns literals of which at least one occurs in every
// match of re (false: none found).
func requiredLiterals(re *syntax.Regexp) ([]reLiteral, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, false
		}
		text := string(re.Rune)
		fold := re.Flags&syntax.FoldCase != 0
		if fold {
			text = fold2(text)
		}
		return []reLiteral{{text, fold}}, true
	case syntax.OpCapture:
		return requiredLiterals(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []reLiteral
		bestLen := 0
		for _, sub := range re.Sub {
			lits, ok := requiredLiterals(sub)
			if !ok {
				continue
			}
			shortest := -1
			for _, l := range lits {
				if shortest < 0 || len(l.text) < shortest {
					shortest = len(l.text)
				}
			}
			if shortest > bestLen {
				best, bestLen = lits, shortest
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []reLiteral
		for _, sub := range re.Sub {
			lits, ok := requiredLiterals(sub)
			if !ok {
				return nil, false
			}
			all = append(all, lits...)
		}
		return all, true
	}
	return nil, false
}

// fold2 folds a literal as case-insensitive matching does.
func fold2(s string) string { return fold(s) }

// stringPred compiles one expanded string pattern on a slot (slot -1:
// keywords).
func (c *compiler) stringPred(fm sigma.FieldMatch, slot int32, p pattern) node {
	folded := !fm.Has(sigma.ModCased)
	if folded {
		p = p.lower()
	}
	if slot < 0 {
		// Keywords: plain values match anywhere in any value. Those of
		// one literal are needles of the keyword pseudo-field.
		if !fm.Has(sigma.ModStartsWith) && !fm.Has(sigma.ModEndsWith) && !fm.Has(sigma.ModContains) {
			p = p.wrap(true, true)
		}
		if sh, _ := p.shape(); sh != shapeContains && sh != shapePrefix && sh != shapeSuffix && sh != shapeEqual {
			return c.predNode(pred{kind: pKeyword, slot: -1, pat: p, folded: folded})
		}
		if c.e.kwSlot < 0 {
			c.e.kwSlot = c.slot([]string{"\x00keywords"})
		}
		slot = c.e.kwSlot
	}
	sh, lit := p.shape()
	switch sh {
	case shapeAny:
		return c.predNode(pred{kind: pExists, slot: slot})
	case shapeEmpty:
		// '' matches an empty or absent value.
		return not(c.predNode(pred{kind: pPresent, slot: slot}))
	case shapeGlob:
		g := c.predNode(pred{kind: pGlob, slot: slot, pat: p, folded: folded})
		// The longest literal of the pattern must occur: a needle that
		// triggers the rule before the glob is tried.
		longest := ""
		for _, x := range p.parts {
			if len(x.lit) > len(longest) {
				longest = x.lit
			}
		}
		if longest == "" {
			return g
		}
		return and([]node{c.needle(slot, folded, shapeContains, longest), g})
	}
	return c.needle(slot, folded, sh, lit)
}

// needle returns the predicate "the slot's value (folded or not) equals,
// starts with, ends with or contains lit".
func (c *compiler) needle(slot int32, folded bool, sh shape, lit string) node {
	c.keyBuf = append(strconv.AppendInt(append(c.keyBuf[:0], 'n'), int64(slot), 10), byte('0'+sh))
	if folded {
		c.keyBuf = append(c.keyBuf, 'f')
	}
	c.keyBuf = append(append(c.keyBuf, '|'), lit...)
	id, ok := c.predIDs[string(c.keyBuf)]
	key := ""
	if !ok {
		key = string(c.keyBuf)
	}
	if !ok && sh == shapeEqual && slot != c.e.kwSlot {
		id = c.newPred(key, pred{kind: pNeedle, slot: slot, folded: folded, shape: sh, lit: lit})
		info := &c.e.slots[slot]
		eq := &info.eqCased
		if folded {
			eq = &info.eqFold
			info.needFold = true
		}
		if *eq == nil {
			*eq = make(map[string][]int32)
		}
		(*eq)[lit] = append((*eq)[lit], id)
	} else if !ok {
		id = c.newPred(key, pred{kind: pNeedle, slot: slot, folded: folded, shape: sh, lit: lit})
		c.growNeedles(slot)
		needles, ids := &c.casedNeedles[slot], c.casedIDs[slot]
		uses := &c.e.slots[slot].casedUses
		if folded {
			needles, ids = &c.foldNeedles[slot], c.foldIDs[slot]
			uses = &c.e.slots[slot].foldUses
			c.e.slots[slot].needFold = true
		}
		nid, ok := ids[lit]
		if !ok {
			nid = int32(len(*needles))
			*needles = append(*needles, lit)
			ids[lit] = nid
			*uses = append(*uses, nil)
		}
		(*uses)[nid] = append((*uses)[nid], needleUse{pred: id, shape: sh})
	}
	return node{op: opPred, pred: id}
}

func (c *compiler) growNeedles(slot int32) {
	for int(slot) >= len(c.foldNeedles) {
		c.foldNeedles = append(c.foldNeedles, nil)
		c.casedNeedles = append(c.casedNeedles, nil)
		c.foldIDs = append(c.foldIDs, make(map[string]int32))
		c.casedIDs = append(c.casedIDs, make(map[string]int32))
	}
}

// predNode returns the node of a (shared) predicate.
func (c *compiler) predNode(p pred) node {
	key := predKey(p)
	id, ok := c.predIDs[key]
	if !ok {
		id = c.newPred(key, p)
		if p.kind == pPresent {
			c.e.slots[p.slot].present = id
		}
		if p.kind == pExists {
			c.e.slots[p.slot].exists = id
		}
		if p.folded && p.slot >= 0 {
			c.e.slots[p.slot].needFold = true
		}
	}
	return node{op: opPred, pred: id}
}

func predKey(p pred) string {
	re := ""
	if p.re != nil {
		re = p.re.String()
	}
	return fmt.Sprintf("%d|%d|%t|%s|%s|%s|%s|%g|%d|%d", p.kind, p.slot, p.folded, p.pat.String(), re, p.prefix, p.op, p.num, p.ref, p.shape)
}

func (c *compiler) newPred(key string, p pred) int32 {
	id := int32(len(c.e.preds))
	c.e.preds = append(c.e.preds, p)
	c.e.predRules = append(c.e.predRules, nil)
	c.predIDs[key] = id
	return id
}

// slot returns the slot reading names (in order of preference).
func (c *compiler) slot(names []string) int32 {
	key := strings.Join(names, "\x00")
	if id, ok := c.slotIDs[key]; ok {
		return id
	}
	id := int32(c.e.nslots)
	c.e.nslots++
	c.slotIDs[key] = id
	c.e.slots = append(c.e.slots, slotInfo{names: names, present: -1, exists: -1})
	for rank, n := range names {
		c.e.byName[n] = append(c.e.byName[n], slotRef{slot: id, rank: int32(rank)})
	}
	return id
}

// finish builds the automata and the trigger lists.
func (c *compiler) finish() {
	e := c.e
	for name, refs := range e.byName {
		e.names = append(e.names, name)
		e.nameRefs = append(e.nameRefs, refs)
	}
	// Popularity of each predicate: how many compiled rules use it. A
	// popular one (EventID 4688, Image ending in \powershell.exe) is a
	// poor trigger.
	pop := make([]int, len(e.preds))
	for i := range e.compiled {
		var ids []int32
		collectAll(e.compiled[i].cond, &ids)
		slices.Sort(ids)
		for _, p := range slices.Compact(ids) {
			pop[p]++
		}
	}
	for i := range e.compiled {
		cr := &e.compiled[i]
		if e.kwSlot >= 0 && usesSlot(cr.cond, e.preds, e.kwSlot) {
			if cr.guard < 0 {
				e.kwAlways = true
			} else if !slices.Contains(e.kwGuards, cr.guard) {
				e.kwGuards = append(e.kwGuards, cr.guard)
			}
		}
		ids, ok := triggers(cr.cond, e.preds, pop)
		if !ok {
			e.always = append(e.always, int32(i))
			continue
		}
		slices.Sort(ids)
		for _, p := range slices.Compact(ids) {
			e.predRules[p] = append(e.predRules[p], int32(i))
		}
	}
	// Only trigger needles are scanned for: the others (filters, the
	// other side of an AND) are tested directly, and only for the rules
	// being evaluated.
	for p := range e.preds {
		if e.preds[p].kind == pNeedle && len(e.predRules[p]) == 0 {
			e.preds[p].lazyNeedle = true
		}
	}
	for s := range e.slots {
		info := &e.slots[s]
		for _, eq := range []map[string][]int32{info.eqFold, info.eqCased} {
			for k, ids := range eq {
				ids = slices.DeleteFunc(ids, func(p int32) bool { return e.preds[p].lazyNeedle })
				if len(ids) == 0 {
					delete(eq, k)
				} else {
					eq[k] = ids
				}
			}
		}
		if len(info.eqFold) == 0 {
			info.eqFold = nil
		}
		if len(info.eqCased) == 0 {
			info.eqCased = nil
		}
		if s < len(c.foldNeedles) {
			info.fold, info.foldUses, info.foldAnch = c.triggerAutomaton(c.foldNeedles[s], info.foldUses)
			info.cased, info.casedUses, info.casedAnch = c.triggerAutomaton(c.casedNeedles[s], info.casedUses)
		}
	}
}

// triggers returns eager predicates of which one must fire for n to be
// true (false: there is no such set — n can be true with none firing, or
// depends on lazy tests only). For an AND, one conjunct's set is enough:
// the cheapest, rarest one (by popularity); an OR needs all of its
// alternatives' sets.
func triggers(n node, preds []pred, pop []int) ([]int32, bool) {
	switch n.op {
	case opFalse:
		return nil, true
	case opPred:
		if preds[n.pred].eager() {
			return []int32{n.pred}, true
		}
		return nil, false
	case opAnd:
		var best []int32
		bestCost, found := 0, false
		for _, k := range n.kids {
			t, ok := triggers(k, preds, pop)
			if !ok {
				continue
			}
			cost := 0
			for _, p := range t {
				cost += 1 + pop[p]
			}
			if !found || cost < bestCost {
				best, bestCost, found = t, cost, true
			}
		}
		return best, found
	case opOr:
		var all []int32
		for _, k := range n.kids {
			t, ok := triggers(k, preds, pop)
			if !ok {
				return nil, false
			}
			all = append(all, t...)
		}
		return all, true
	}
	return nil, false // true, not
}

func usesSlot(n node, preds []pred, slot int32) bool {
	if n.op == opPred && preds[n.pred].slot == slot {
		return true
	}
	for _, k := range n.kids {
		if usesSlot(k, preds, slot) {
			return true
		}
	}
	return false
}

func collectAll(n node, out *[]int32) {
	if n.op == opPred {
		*out = append(*out, n.pred)
	}
	for _, k := range n.kids {
		collectAll(k, out)
	}
}

// anchored is an automaton of needles tested only as prefixes or
// suffixes, and their longest length.
type anchored struct {
	a    *automaton
	uses [][]needleUse
	max  int
}

// triggerAutomaton builds the automaton of the needles that have a
// trigger use, with those uses only: scanned over the whole value when
// some needle is looked for anywhere (contains), otherwise (only
// prefixes and suffixes) over the value's ends (anchored).
func (c *compiler) triggerAutomaton(needles []string, uses [][]needleUse) (*automaton, [][]needleUse, *anchored) {
	var keep []string
	var keepUses [][]needleUse
	maxLen, contains := 0, false
	for i, n := range needles {
		u := slices.DeleteFunc(slices.Clone(uses[i]), func(x needleUse) bool { return c.e.preds[x.pred].lazyNeedle })
		if len(u) == 0 {
			continue
		}
		keep = append(keep, n)
		keepUses = append(keepUses, u)
		maxLen = max(maxLen, len(n))
		contains = contains || slices.ContainsFunc(u, func(x needleUse) bool { return x.shape == shapeContains })
	}
	if len(keep) == 0 {
		return nil, nil, nil
	}
	a := buildAutomaton(keep)
	c.e.mem += a.bytes()
	if contains {
		// The value is scanned whole anyway.
		return a, keepUses, nil
	}
	return nil, nil, &anchored{a: a, uses: keepUses, max: maxLen}
}

// and and or build a simplified AND/OR node: nested ones of the same kind
// are flattened, the identity (true for AND, false for OR) is dropped, the
// absorbing value short-circuits.
func and(kids []node) node { return combine(opAnd, opTrue, opFalse, kids) }

func or(kids []node) node { return combine(opOr, opFalse, opTrue, kids) }

func combine(op, identity, absorbing uint8, kids []node) node {
	var out []node
	for _, k := range kids {
		switch k.op {
		case identity:
			continue
		case absorbing:
			return node{op: absorbing}
		case op:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		return node{op: identity}
	case 1:
		return out[0]
	}
	return node{op: op, kids: out}
}

func not(n node) node {
	switch n.op {
	case opTrue:
		return node{op: opFalse}
	case opFalse:
		return node{op: opTrue}
	case opNot:
		return n.kids[0]
	}
	return node{op: opNot, kids: []node{n}}
}

// Rules returns the loaded rules; a match's Rule indexes this slice.
func (e *Engine) Rules() []*sigma.Rule { return e.rules }

// Stats describe a compiled engine.
type Stats struct {
	Rules, Correlations, Compiled, Always, Predicates, Slots, Guards int
	AutomataBytes                                                    int
}

// Stats returns the engine's statistics.
func (e *Engine) Stats() Stats {
	return Stats{Rules: len(e.rules), Correlations: len(e.corrRules), Compiled: len(e.compiled), Always: len(e.always), Predicates: len(e.preds),
		Slots: e.nslots, Guards: len(e.guards), AutomataBytes: e.mem}
}

// RuleStatus describes a rule for listings: whether it runs, why not,
// and (filled by the caller) how often it matched.
type RuleStatus struct {
	Rule *sigma.Rule
	// Correlation marks a correlation rule.
	Correlation bool
	// Loaded is false for a rule Compile left out; Reason says why. A
	// loaded rule may have notes (a logsource that cannot fire …).
	Loaded bool
	Reason string
	Hits   uint64
}

// Statuses lists every rule given to Compile with its state, from the
// engine and the problems Compile returned.
func (e *Engine) Statuses(problems []Problem) []RuleStatus {
	notes := make(map[*sigma.Rule][]string)
	var out []RuleStatus
	for _, p := range problems {
		if p.Loaded {
			notes[p.Rule] = append(notes[p.Rule], p.Reason)
		} else {
			out = append(out, RuleStatus{Rule: p.Rule, Correlation: p.Rule.Correlation != nil, Reason: p.Reason})
		}
	}
	for _, r := range e.rules {
		out = append(out, RuleStatus{Rule: r, Loaded: true, Reason: strings.Join(notes[r], "; ")})
	}
	for _, r := range e.corrRules {
		out = append(out, RuleStatus{Rule: r, Correlation: true, Loaded: true})
	}
	return out
}
