// Package sigma reads Sigma rules (Sigma specification 2.x): detection
// rules and correlation rules, from YAML, into the types below. It checks
// what a rule says — known modifiers in a valid order, a condition that
// parses and names only defined searches — and reports anything it cannot
// represent as an error naming the rule and the reason; it never drops
// part of a rule silently. It does not match events: package detect
// compiles these rules.
package sigma

import "time"

// Rule is one Sigma rule: a detection rule (Detection set) or a
// correlation rule (Correlation set).
type Rule struct {
	// Path is the file the rule was read from ("" when parsed from bytes),
	// and Doc its 0-based YAML document index in that file.
	Path string
	Doc  int

	ID          string
	Name        string // the rule's optional "name", used by correlation rules to refer to it
	Title       string
	Status      string // stable, test, experimental, deprecated, unsupported
	Description string
	License     string
	Author      string
	Date        string
	Modified    string
	Level       string // informational, low, medium, high, critical ("" if absent)
	// Taxonomy is the rule's "taxonomy" ("" means the default, sigma).
	Taxonomy   string
	References []string
	Tags       []string
	// FalsePositives are the rule's free-text false-positive notes.
	FalsePositives []string
	// Fields are the fields the rule's author suggests showing.
	Fields  []string
	Related []Related
	// Scope is the correlation rule "scope" list, if any.
	Scope []string

	LogSource LogSource

	// Detection is set for detection rules, Correlation for correlation
	// rules; exactly one of them is non-nil.
	Detection   *Detection
	Correlation *Correlation

	// Custom holds top-level keys the specification does not define, as
	// decoded YAML values (kept, never an error).
	Custom map[string]any
}

// Related is an entry of the rule's "related" list.
type Related struct {
	ID   string
	Type string // derived, obsolete, merged, renamed, similar
}

// LogSource is the rule's "logsource".
type LogSource struct {
	Product    string
	Category   string
	Service    string
	Definition string
}

// Detection is the rule's "detection" section.
type Detection struct {
	// Searches are the search identifiers (every key of "detection" but
	// "condition" and "timeframe"), in file order.
	Searches []*Search
	// Conditions are the rule's conditions: one, or several when
	// "condition" is a list (the rule matches when any does).
	Conditions []Expr
	// Timeframe is the deprecated "timeframe" value, 0 if absent.
	Timeframe time.Duration
}

// Search returns the search named name, or nil.
func (d *Detection) Search(name string) *Search {
	for _, s := range d.Searches {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Search is one search identifier. It matches when any of its
// alternatives does (a YAML list of maps is an OR of maps; a single map is
// one alternative); an alternative matches when all of its field matches
// do. A search written as a plain list of values (or a single value) is a
// keyword search: one alternative holding one FieldMatch with Field "".
type Search struct {
	Name         string
	Alternatives [][]FieldMatch
}

// FieldMatch is one "field|modifier|…: value(s)" entry of a search map, or a
// keyword list (Field "").
type FieldMatch struct {
	// Field is the Sigma field name as written, "" for keywords.
	Field string
	// Modifiers are the modifiers in the order written, validated: known
	// names (see the Mod constants), each at most once, in an order the
	// specification allows.
	Modifiers []Modifier
	// Values are the values; a YAML list gives several, a scalar one. The
	// field matches when any value matches, or all of them with ModAll.
	// An empty list is an error.
	Values []Value
}

// Has reports whether m has modifier mod.
func (m FieldMatch) Has(mod Modifier) bool {
	for _, x := range m.Modifiers {
		if x == mod {
			return true
		}
	}
	return false
}

// ValueKind is the YAML type of a value.
type ValueKind int

const (
	String ValueKind = iota
	Number           // an integer or a float, kept in Value.Raw as written
	Bool             // "true" or "false" in Value.Raw
	Null             // YAML null (~, null, or an empty value)
)

// Value is one value of a FieldMatch. Raw is the scalar as written in YAML
// after YAML unquoting: for strings, the Sigma escapes (\*, \?, \\) and
// wildcards are still in it — package detect interprets them, since their
// meaning depends on the modifiers (re, cased…).
type Value struct {
	Kind ValueKind
	Raw  string
}

// Modifier is a value modifier.
type Modifier string

// The modifiers of the Sigma specification.
const (
	ModContains     Modifier = "contains"
	ModStartsWith   Modifier = "startswith"
	ModEndsWith     Modifier = "endswith"
	ModAll          Modifier = "all"
	ModBase64       Modifier = "base64"
	ModBase64Offset Modifier = "base64offset"
	ModUTF16LE      Modifier = "utf16le"
	ModUTF16BE      Modifier = "utf16be"
	ModUTF16        Modifier = "utf16" // UTF-16 with a byte-order mark
	ModWide         Modifier = "wide"  // alias of utf16le
	ModWindash      Modifier = "windash"
	ModRe           Modifier = "re"
	ModReI          Modifier = "i" // re sub-modifier: case-insensitive
	ModReM          Modifier = "m" // re sub-modifier: multi-line
	ModReS          Modifier = "s" // re sub-modifier: dot matches newline
	ModCIDR         Modifier = "cidr"
	ModLT           Modifier = "lt"
	ModLTE          Modifier = "lte"
	ModGT           Modifier = "gt"
	ModGTE          Modifier = "gte"
	ModExists       Modifier = "exists"
	ModFieldRef     Modifier = "fieldref"
	ModCased        Modifier = "cased"
	ModExpand       Modifier = "expand"
	ModNeq          Modifier = "neq" // Sigma 2.1: not equal
)

// Expr is a node of a parsed condition: *And, *Or, *Not, *Ref or *Of.
type Expr interface{ isExpr() }

// And matches when all of X do.
type And struct{ X []Expr }

// Or matches when any of X does.
type Or struct{ X []Expr }

// Not matches when X does not.
type Not struct{ X Expr }

// Ref is a search identifier named in the condition.
type Ref struct{ Name string }

// Of is "1 of pattern", "all of pattern", "1 of them" or "all of them".
// Pattern is a search name with * wildcards, or "them" for every search
// (except those whose name starts with "_", per the specification). The
// parser checks that the pattern matches at least one search.
type Of struct {
	All     bool // "all of"; otherwise "1 of" (any)
	Pattern string
}

func (*And) isExpr() {}
func (*Or) isExpr()  {}
func (*Not) isExpr() {}
func (*Ref) isExpr() {}
func (*Of) isExpr()  {}

// CorrelationType is the "type" of a correlation rule.
type CorrelationType string

const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// Correlation is the "correlation" section of a correlation rule.
type Correlation struct {
	Type CorrelationType
	// Rules are the referred rules' ids or names, in order (the order
	// matters for temporal_ordered).
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	// Condition is the threshold; nil for temporal types without one
	// (which then require every rule to match).
	Condition *Threshold
	// Aliases maps an alias field name to, per referred rule (id or
	// name), the field of that rule's events it stands for.
	Aliases map[string]map[string]string
	// Generate is the "generate" flag: the referred rules also raise
	// their own matches.
	Generate bool
}

// Threshold is a correlation condition: Op one of gt, gte, lt, lte, eq,
// neq (several conditions in one map are all required, as a list); Field
// is the counted field of a value_count correlation.
type Threshold struct {
	Conds []ThresholdCond
	Field string
}

// ThresholdCond is one comparison of a Threshold.
type ThresholdCond struct {
	Op    string
	Value int64
}
