package detect

import (
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"khien.vn/khien/internal/detect/sigma"
)

// Mapping says which events a rule's logsource selects and under which
// event field names a Sigma field is found. It is versioned data
// (mapping/*.yaml, documented in docs/detection.md), not code.
type Mapping struct {
	Version string `yaml:"version"`
	// Products are keyed by the Sigma logsource product ("windows"…);
	// the entry "" applies to rules without a product.
	Products   map[string]ProductMapping `yaml:"products"`
	LogSources []LogSourceMapping        `yaml:"logsources"`
}

// ProductMapping holds what all rules of one product share.
type ProductMapping struct {
	// Guard selects the product's events (Sigma search syntax: field or
	// field|modifier keys, a value or a list), e.g. {Channel|exists: true}.
	Guard map[string]any `yaml:"guard"`
	// Fields gives, for a Sigma field name, the event field names to read,
	// in order of preference (the first present one is used).
	Fields map[string][]string `yaml:"fields"`
	// Fallback are prefixes tried, in order, for a Sigma field Fields does
	// not name ("" is the name itself), e.g. ["", "winlog.event_data."].
	Fallback []string `yaml:"fallback"`
}

// LogSourceMapping maps one logsource (each non-empty key must equal the
// rule's) to the events it selects: any of Variants.
type LogSourceMapping struct {
	Product  string    `yaml:"product"`
	Category string    `yaml:"category"`
	Service  string    `yaml:"service"`
	Variants []Variant `yaml:"variants"`
}

// Variant is one kind of event a logsource covers: Conditions select
// it, and Rename maps the rule's Sigma field names to this kind's own
// names (Security 4688 calls Sysmon's Image NewProcessName).
type Variant struct {
	Conditions map[string]any    `yaml:"conditions"`
	Rename     map[string]string `yaml:"rename"`
}

//go:embed mapping/*.yaml
var mappingFS embed.FS

// DefaultMapping returns the built-in mapping.
func DefaultMapping() (*Mapping, error) {
	data, err := mappingFS.ReadFile("mapping/khien.yaml")
	if err != nil {
		return nil, err
	}
	return ParseMapping(data)
}

// ParseMapping reads a mapping file.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	if err := yaml.UnmarshalWithOptions(data, &m, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("field mapping: %w", err)
	}
	if m.Version == "" {
		return nil, fmt.Errorf("field mapping: no version")
	}
	for i, ls := range m.LogSources {
		if ls.Product == "" && ls.Category == "" && ls.Service == "" {
			return nil, fmt.Errorf("field mapping: logsource %d names neither product, category nor service", i+1)
		}
		if len(ls.Variants) == 0 {
			return nil, fmt.Errorf("field mapping: logsource %s has no variants", ls.key())
		}
		for _, v := range ls.Variants {
			if _, err := conditionMatches(v.Conditions); err != nil {
				return nil, fmt.Errorf("field mapping: logsource %s: %w", ls.key(), err)
			}
		}
	}
	for name, p := range m.Products {
		if _, err := conditionMatches(p.Guard); err != nil {
			return nil, fmt.Errorf("field mapping: product %s: %w", name, err)
		}
	}
	return &m, nil
}

func (ls LogSourceMapping) key() string {
	var parts []string
	for _, kv := range [][2]string{{"product", ls.Product}, {"category", ls.Category}, {"service", ls.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ",")
}

// conditionMatches turns a map of Sigma search entries into field
// matches, sorted by key for a stable compile.
func conditionMatches(cond map[string]any) ([]sigma.FieldMatch, error) {
	keys := make([]string, 0, len(cond))
	for k := range cond {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []sigma.FieldMatch
	for _, k := range keys {
		parts := strings.Split(k, "|")
		fm := sigma.FieldMatch{Field: parts[0]}
		for _, m := range parts[1:] {
			fm.Modifiers = append(fm.Modifiers, sigma.Modifier(m))
		}
		vals, ok := cond[k].([]any)
		if !ok {
			vals = []any{cond[k]}
		}
		for _, v := range vals {
			sv, err := yamlValue(v)
			if err != nil {
				return nil, fmt.Errorf("condition %s: %w", k, err)
			}
			fm.Values = append(fm.Values, sv)
		}
		if len(fm.Values) == 0 {
			return nil, fmt.Errorf("condition %s: no value", k)
		}
		out = append(out, fm)
	}
	return out, nil
}

func yamlValue(v any) (sigma.Value, error) {
	switch x := v.(type) {
	case nil:
		return sigma.Value{Kind: sigma.Null}, nil
	case string:
		return sigma.Value{Kind: sigma.String, Raw: x}, nil
	case bool:
		return sigma.Value{Kind: sigma.Bool, Raw: strconv.FormatBool(x)}, nil
	case int, int64, uint64, float64:
		return sigma.Value{Kind: sigma.Number, Raw: fmt.Sprint(x)}, nil
	}
	return sigma.Value{}, fmt.Errorf("value %v: not a scalar", v)
}

// resolve returns, for a rule's logsource, the variants of events it
// selects (each with its conditions: the product guard and the logsource
// entries'). No variants means the mapping recognises no such events: the
// note says why, and the rule is loaded but cannot fire.
func (m *Mapping) resolve(ls sigma.LogSource) (variants []resolvedVariant, note string) {
	product := ls.Product
	if product != "" {
		if _, ok := m.Products[product]; !ok {
			return nil, fmt.Sprintf("no events of product %q are recognised yet (no mapping): the rule is loaded but cannot fire", product)
		}
	}
	var entries []*LogSourceMapping
	for _, key := range [][2]string{{"category", ls.Category}, {"service", ls.Service}} {
		if key[1] == "" {
			continue
		}
		var entry *LogSourceMapping
		for i := range m.LogSources {
			e := &m.LogSources[i]
			if (key[0] == "category" && e.Category == key[1] && e.Service == "" ||
				key[0] == "service" && e.Service == key[1] && e.Category == "") &&
				(e.Product == "" || product == "" || e.Product == product) {
				entry = e
				break
			}
		}
		if entry == nil {
			return nil, fmt.Sprintf("logsource %s %s of %s is not mapped: the rule is loaded but cannot fire", key[0], key[1], productName(product))
		}
		if product == "" && entry.Product != "" {
			product = entry.Product // e.g. category antivirus: Windows Defender
		}
		entries = append(entries, entry)
	}
	base := resolvedVariant{product: product}
	if p, ok := m.Products[product]; ok {
		g, _ := conditionMatches(p.Guard)
		base.conds = g
	}
	variants = []resolvedVariant{base}
	for _, entry := range entries {
		var next []resolvedVariant
		for _, v := range variants {
			for _, ev := range entry.Variants {
				c, _ := conditionMatches(ev.Conditions)
				nv := resolvedVariant{product: v.product, conds: append(slices.Clip(v.conds), c...), rename: v.rename}
				if len(ev.Rename) > 0 {
					nv.rename = make(map[string]string, len(v.rename)+len(ev.Rename))
					for a, b := range v.rename {
						nv.rename[a] = b
					}
					for a, b := range ev.Rename {
						nv.rename[a] = b
					}
				}
				next = append(next, nv)
			}
		}
		variants = next
	}
	return variants, ""
}

func productName(p string) string {
	if p == "" {
		return "(any product)"
	}
	return p
}

// resolvedVariant is one kind of event a rule runs on.
type resolvedVariant struct {
	product string
	conds   []sigma.FieldMatch
	rename  map[string]string
}

// fieldNames returns the event field names a Sigma field is read from,
// in order of preference.
func (m *Mapping) fieldNames(product, field string, rename map[string]string) []string {
	if r, ok := rename[field]; ok {
		field = r
	}
	p, ok := m.Products[product]
	if !ok {
		p = m.Products[""]
	}
	if names, ok := p.Fields[field]; ok {
		return names
	}
	if len(p.Fallback) == 0 {
		return []string{field}
	}
	out := make([]string, 0, len(p.Fallback))
	for _, prefix := range p.Fallback {
		out = append(out, prefix+field)
	}
	return out
}
