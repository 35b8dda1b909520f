package sigma

import "strings"

// Correlation types of the specification (or of pySigma) that this
// package does not represent.
var unsupportedCorrelationTypes = []string{
	"value_sum", "value_avg", "value_percentile", "value_median", "value_min", "value_max",
	"temporal_extended", "temporal_ordered_extended",
}

// Threshold operators.
var thresholdOps = []string{"gt", "gte", "lt", "lte", "eq", "neq"}

// parseCorrelation reads the "correlation" section. generate is the
// top-level "generate" key (the specification puts it there; pySigma
// reads it inside "correlation"; both are accepted).
func parseCorrelation(v *node, generate *node, p *problems) *Correlation {
	if v.kind != mapNode {
		p.add(v.line, "correlation must be a map, not %s", v.describe())
		return nil
	}
	c := &Correlation{}
	var typ, rules, timespan, cond, inGenerate *node
	for _, e := range v.entries {
		switch e.key {
		case "type":
			typ = e.val
		case "rules":
			rules = e.val
		case "group-by":
			c.GroupBy = p.strList(entry{key: "correlation: group-by", line: e.line, val: e.val})
		case "timespan":
			timespan = e.val
		case "condition":
			cond = e.val
		case "aliases":
			c.Aliases = p.aliases(e)
		case "generate":
			inGenerate = e.val
		default:
			p.add(e.line, "correlation: unknown key %q", e.key)
		}
	}

	// type
	switch {
	case typ == nil:
		p.add(v.line, "correlation: type is missing")
	case typ.kind != scalarNode || typ.val.Kind != String:
		p.add(typ.line, "correlation: type must be a string, not %s", typ.describe())
	default:
		t := CorrelationType(typ.val.Raw)
		switch t {
		case EventCount, ValueCount, Temporal, TemporalOrdered:
			c.Type = t
		default:
			if oneOf(typ.val.Raw, unsupportedCorrelationTypes) {
				p.unsupported(typ.line, "correlation type %q is not supported", typ.val.Raw)
			} else {
				p.add(typ.line, "correlation: unknown type %q (want event_count, value_count, temporal or temporal_ordered)", typ.val.Raw)
			}
		}
	}

	// rules
	if rules == nil {
		p.add(v.line, "correlation: rules is missing")
	} else {
		c.Rules = p.strList(entry{key: "correlation: rules", line: rules.line, val: rules})
		if len(c.Rules) == 0 && rules.kind != mapNode {
			p.add(rules.line, "correlation: rules is empty")
		}
		for i, r := range c.Rules {
			if r == "" {
				p.add(rules.line, "correlation: rules[%d] is empty", i)
			}
		}
	}

	// timespan
	switch {
	case timespan == nil:
		p.add(v.line, "correlation: timespan is missing")
	case timespan.kind != scalarNode || timespan.val.Kind != String:
		p.add(timespan.line, "correlation: timespan must be a time span such as 5m, not %s", timespan.describe())
	default:
		d, unsupported, reason := parseDuration(timespan.val.Raw)
		switch {
		case unsupported:
			p.unsupported(timespan.line, "correlation: timespan: %s", reason)
		case reason != "":
			p.add(timespan.line, "correlation: timespan: %s", reason)
		}
		c.Timespan = d
	}

	// condition
	if cond != nil {
		c.Condition = p.threshold(cond, c.Type)
	}
	switch c.Type {
	case EventCount, ValueCount:
		if cond == nil {
			p.add(v.line, "correlation: %s needs a condition (e.g. gte: 10)", c.Type)
		}
	}
	if c.Type == ValueCount && cond != nil && cond.kind == mapNode && cond.get("field") == nil {
		p.add(cond.line, "correlation: value_count needs condition.field (the field whose distinct values are counted)")
	}
	if c.Type != ValueCount && c.Type != "" && c.Condition != nil && c.Condition.Field != "" {
		p.add(cond.line, "correlation: condition.field is only for value_count")
	}

	// generate
	switch {
	case generate != nil && inGenerate != nil:
		p.add(inGenerate.line, "correlation: generate is given twice (top level and in correlation)")
	case generate != nil:
		c.Generate = p.boolean(generate, "generate")
	case inGenerate != nil:
		c.Generate = p.boolean(inGenerate, "correlation: generate")
	}
	return c
}

func (p *problems) boolean(v *node, what string) bool {
	if v.kind != scalarNode || v.val.Kind != Bool {
		p.add(v.line, "%s must be true or false, not %s", what, v.describe())
		return false
	}
	return v.val.Raw == "true"
}

// threshold reads a correlation condition map: one or more of gt, gte,
// lt, lte, eq, neq with integer values, and "field" for value_count.
func (p *problems) threshold(v *node, typ CorrelationType) *Threshold {
	if v.kind == scalarNode && v.val.Kind == String && (typ == Temporal || typ == TemporalOrdered) {
		p.unsupported(v.line, "correlation: extended (boolean expression) conditions are not supported")
		return nil
	}
	if v.kind != mapNode {
		p.add(v.line, "correlation: condition must be a map such as {gte: 10}, not %s", v.describe())
		return nil
	}
	t := &Threshold{}
	for _, e := range v.entries {
		switch {
		case e.key == "field":
			switch e.val.kind {
			case scalarNode:
				if e.val.val.Kind != String || e.val.val.Raw == "" {
					p.add(e.line, "correlation: condition.field must be a field name, not %s", e.val.describe())
					continue
				}
				t.Field = e.val.val.Raw
			case seqNode:
				fields := p.strList(entry{key: "correlation: condition.field", line: e.line, val: e.val})
				switch len(fields) {
				case 0:
					p.add(e.line, "correlation: condition.field is an empty list")
				case 1:
					t.Field = fields[0]
				default:
					p.unsupported(e.line, "correlation: condition.field with several fields is not supported")
				}
			default:
				p.add(e.line, "correlation: condition.field must be a field name, not %s", e.val.describe())
			}
		case oneOf(e.key, thresholdOps):
			val := e.val
			if val.kind != scalarNode {
				p.add(e.line, "correlation: condition %s must be an integer, not %s", e.key, val.describe())
				continue
			}
			n, ok := val.val.Int()
			if !ok || val.val.Kind == Bool {
				p.add(e.line, "correlation: condition %s must be an integer, not %q", e.key, val.val.Raw)
				continue
			}
			if n < 0 {
				p.add(e.line, "correlation: condition %s must not be negative", e.key)
				continue
			}
			t.Conds = append(t.Conds, ThresholdCond{Op: e.key, Value: n})
		case e.key == "percentile":
			p.unsupported(e.line, "correlation: condition.percentile is not supported")
		default:
			p.add(e.line, "correlation: unknown condition key %q (want %s, field)", e.key, strings.Join(thresholdOps, ", "))
		}
	}
	if len(t.Conds) == 0 && len(v.entries) > 0 && !hasOp(v) {
		p.add(v.line, "correlation: condition has no comparison (%s)", strings.Join(thresholdOps, ", "))
	}
	if len(v.entries) == 0 {
		p.add(v.line, "correlation: condition is empty")
	}
	return t
}

// hasOp reports whether the condition map v has an operator key.
func hasOp(v *node) bool {
	for _, e := range v.entries {
		if oneOf(e.key, thresholdOps) {
			return true
		}
	}
	return false
}

// aliases reads "aliases": alias → {rule id or name → field}.
func (p *problems) aliases(e entry) map[string]map[string]string {
	v := e.val
	if v.isNull() {
		return nil
	}
	if v.kind != mapNode {
		p.add(e.line, "correlation: aliases must be a map, not %s", v.describe())
		return nil
	}
	out := make(map[string]map[string]string, len(v.entries))
	for _, a := range v.entries {
		if a.val.kind != mapNode || len(a.val.entries) == 0 {
			p.add(a.line, "correlation: aliases: %s must map rule ids or names to fields, not %s", a.key, a.val.describe())
			continue
		}
		m := make(map[string]string, len(a.val.entries))
		for _, f := range a.val.entries {
			if f.val.kind != scalarNode || f.val.val.Kind != String || f.val.val.Raw == "" {
				p.add(f.line, "correlation: aliases: %s: %s must be a field name, not %s", a.key, f.key, f.val.describe())
				continue
			}
			m[f.key] = f.val.val.Raw
		}
		out[a.key] = m
	}
	return out
}
