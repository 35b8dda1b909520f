package sigma

import (
	"fmt"
	"strings"
)

// parseDetection reads the "detection" section: its searches, in file
// order, the condition(s), and the deprecated timeframe.
func parseDetection(v *node, p *problems) *Detection {
	if v.kind != mapNode {
		p.add(v.line, "detection must be a map of searches and a condition, not %s", v.describe())
		return nil
	}
	d := &Detection{}
	var cond *node
	condLine := v.line
	for _, e := range v.entries {
		switch e.key {
		case "condition":
			cond, condLine = e.val, e.line
		case "timeframe":
			if e.val.kind != scalarNode || e.val.val.Kind != String {
				p.add(e.line, "detection: timeframe must be a time span such as 5m, not %s", e.val.describe())
				continue
			}
			dur, unsupported, reason := parseDuration(e.val.val.Raw)
			switch {
			case unsupported:
				p.unsupported(e.line, "detection: timeframe: %s", reason)
			case reason != "":
				p.add(e.line, "detection: timeframe: %s", reason)
			}
			d.Timeframe = dur
		default:
			d.Searches = append(d.Searches, parseSearch(e, p))
		}
	}
	if cond == nil {
		p.add(condLine, "detection: condition is missing")
		return d
	}
	var conds []*node
	switch {
	case cond.kind == seqNode:
		if len(cond.items) == 0 {
			p.add(condLine, "detection: condition is an empty list")
		}
		conds = cond.items
	default:
		conds = []*node{cond}
	}
	for _, c := range conds {
		if c.kind != scalarNode || c.val.Kind != String {
			p.add(c.line, "detection: condition must be a string or a list of strings, not %s", c.describe())
			continue
		}
		x, err := ParseCondition(c.val.Raw)
		if err != nil {
			e := err.(*Error)
			e.Line = c.line
			p.addErr(e, "detection")
			continue
		}
		if checkRefs(d, x, c.line, p) {
			d.Conditions = append(d.Conditions, x)
		}
	}
	return d
}

// checkRefs reports every identifier of x that names no search and every
// pattern that matches none. It returns whether x is fine.
func checkRefs(d *Detection, x Expr, line int, p *problems) bool {
	names := make(map[string]bool, len(d.Searches))
	for _, s := range d.Searches {
		names[s.Name] = true
	}
	ok := true
	var walk func(Expr)
	walk = func(x Expr) {
		switch y := x.(type) {
		case *And:
			for _, c := range y.X {
				walk(c)
			}
		case *Or:
			for _, c := range y.X {
				walk(c)
			}
		case *Not:
			walk(y.X)
		case *Ref:
			if !names[y.Name] {
				p.add(line, "detection: condition names %q, which is not a search of this rule", y.Name)
				ok = false
			}
		case *Of:
			if len(d.Match(y.Pattern)) == 0 {
				if y.Pattern == "them" {
					p.add(line, "detection: condition uses \"of them\" but the rule has no search (not starting with _)")
				} else {
					p.add(line, "detection: condition pattern %q matches no search of this rule", y.Pattern)
				}
				ok = false
			}
		}
	}
	walk(x)
	return ok
}

// parseSearch reads one search identifier: a map (one alternative), a
// list of maps (alternatives), or a list of values / a single value
// (keywords).
func parseSearch(e entry, p *problems) *Search {
	s := &Search{Name: e.key}
	where := "detection: " + e.key
	v := e.val
	switch v.kind {
	case mapNode:
		if alt, ok := parseAlternative(v, where, p); ok {
			s.Alternatives = [][]FieldMatch{alt}
		}
	case seqNode:
		if len(v.items) == 0 {
			p.add(e.line, "%s: empty list", where)
			return s
		}
		maps, scalars := 0, 0
		for _, it := range v.items {
			switch it.kind {
			case mapNode:
				maps++
			case scalarNode:
				scalars++
			default:
				p.add(it.line, "%s: a list inside a list is not valid here", where)
				return s
			}
		}
		switch {
		case maps > 0 && scalars > 0:
			p.add(e.line, "%s: list mixes maps and values; use a list of maps or a list of keywords", where)
		case maps > 0:
			for i, it := range v.items {
				alt, ok := parseAlternative(it, fmt.Sprintf("%s[%d]", where, i), p)
				if ok {
					s.Alternatives = append(s.Alternatives, alt)
				}
			}
		default:
			fm := FieldMatch{Values: make([]Value, 0, len(v.items))}
			for _, it := range v.items {
				fm.Values = append(fm.Values, it.val)
			}
			if checkFieldMatch(&fm, e.line, where, p) {
				s.Alternatives = [][]FieldMatch{{fm}}
			}
		}
	default: // a single keyword
		if v.val.Kind == Null {
			p.add(e.line, "%s: search is empty (null)", where)
			return s
		}
		fm := FieldMatch{Values: []Value{v.val}}
		if checkFieldMatch(&fm, e.line, where, p) {
			s.Alternatives = [][]FieldMatch{{fm}}
		}
	}
	return s
}

// parseAlternative reads a map of "field|modifiers: values" (all must
// match).
func parseAlternative(v *node, where string, p *problems) ([]FieldMatch, bool) {
	if len(v.entries) == 0 {
		p.add(v.line, "%s: empty map", where)
		return nil, false
	}
	out := make([]FieldMatch, 0, len(v.entries))
	ok := true
	for _, e := range v.entries {
		fm, good := parseFieldMatch(e, where, p)
		if good {
			out = append(out, fm)
		}
		ok = ok && good
	}
	return out, ok
}

// parseFieldMatch reads one "field|mod|mod: value(s)" entry.
func parseFieldMatch(e entry, where string, p *problems) (FieldMatch, bool) {
	field, mods, hasMods := strings.Cut(e.key, "|")
	fm := FieldMatch{Field: field}
	where = fmt.Sprintf("%s: %q", where, e.key)
	ok := true
	if hasMods {
		for _, m := range strings.Split(mods, "|") {
			mod, good := lookupModifier(m, e.line, where, p)
			if good {
				fm.Modifiers = append(fm.Modifiers, mod)
			}
			ok = ok && good
		}
	}
	switch v := e.val; v.kind {
	case scalarNode:
		fm.Values = []Value{v.val}
	case seqNode:
		if len(v.items) == 0 {
			p.add(e.line, "%s: empty list of values", where)
			return fm, false
		}
		fm.Values = make([]Value, 0, len(v.items))
		for _, it := range v.items {
			if it.kind != scalarNode {
				p.add(it.line, "%s: a value must be a scalar, not %s", where, it.describe())
				return fm, false
			}
			fm.Values = append(fm.Values, it.val)
		}
	default:
		p.add(e.line, "%s: value must be a scalar or a list of scalars, not %s", where, v.describe())
		return fm, false
	}
	if !ok {
		return fm, false
	}
	return fm, checkFieldMatch(&fm, e.line, where, p)
}
