package sigma

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Parse reads the Sigma rules in data, a YAML file of one or more
// documents ("---"), each a detection rule (with "detection") or a
// correlation rule (with "correlation"). Empty documents are skipped.
// path names the file in rules and errors ("" if none).
//
// Parse returns every rule that is valid, in file order, and an error
// joining an *Error for each problem of the documents that are not: one
// bad document does not stop the others. A file that is a Sigma 1 rule
// collection ("action: global" …) yields no rules and one unsupported
// *Error.
func Parse(data []byte, path string) ([]*Rule, error) {
	docs := parseDocuments(data)
	var errs []error
	fail := func(e *Error) {
		e.Path = path
		errs = append(errs, e)
	}

	// Sigma 1 collections change the meaning of the documents that
	// follow "action: global", so none of them can be read alone.
	for _, d := range docs {
		if d.root == nil || d.root.kind != mapNode {
			continue
		}
		if a := d.root.get("action"); a != nil && a.kind == scalarNode {
			switch a.val.Raw {
			case "global", "reset", "repeat":
				e := &Error{Doc: d.index, Line: a.line, Unsupported: true,
					Reason: fmt.Sprintf("Sigma 1 rule collection (action: %s) is not supported; write each rule as a document of its own", a.val.Raw)}
				e.Title, e.RuleID = docNames(d.root)
				fail(e)
				return nil, errors.Join(errs...)
			}
		}
	}

	var rules []*Rule
	for _, d := range docs {
		if d.err != nil {
			d.err.Doc = d.index
			fail(d.err)
			continue
		}
		if d.root == nil {
			continue // empty document
		}
		r, probs := parseRule(d.root)
		if len(probs) > 0 {
			title, id := docNames(d.root)
			for _, e := range probs {
				e.Doc, e.Title, e.RuleID = d.index, title, id
				fail(e)
			}
			continue
		}
		r.Path, r.Doc = path, d.index
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

// docNames returns the title and id of a document, when they are
// strings, to name it in errors.
func docNames(root *node) (title, id string) {
	if root.kind != mapNode {
		return "", ""
	}
	if t := root.get("title"); t != nil && t.kind == scalarNode && t.val.Kind != Null {
		title = t.val.Raw
	}
	if i := root.get("id"); i != nil && i.kind == scalarNode && i.val.Kind != Null {
		id = i.val.Raw
	}
	return title, id
}

// Values allowed for the "status", "level" and related "type" keys.
var (
	validStatus      = []string{"stable", "test", "experimental", "deprecated", "unsupported"}
	validLevel       = []string{"informational", "low", "medium", "high", "critical"}
	validRelatedType = []string{"derived", "obsolete", "merged", "renamed", "similar"}
)

func oneOf(s string, valid []string) bool {
	for _, v := range valid {
		if s == v {
			return true
		}
	}
	return false
}

// parseRule reads one document.
func parseRule(root *node) (*Rule, []*Error) {
	var p problems
	if root.kind != mapNode {
		p.add(root.line, "document is %s, not a map of rule attributes", root.describe())
		return nil, p.list
	}
	r := &Rule{}
	var det, corr, logsource, generate *node
	for _, e := range root.entries {
		v := e.val
		switch e.key {
		case "title":
			r.Title = p.str(e, true)
			if r.Title == "" && v.kind == scalarNode {
				p.add(e.line, "title is empty")
			}
		case "id":
			r.ID = p.str(e, true)
		case "name":
			r.Name = p.str(e, true)
		case "status":
			r.Status = p.str(e, true)
			if r.Status != "" && !oneOf(r.Status, validStatus) {
				p.add(e.line, "status %q is not one of %s", r.Status, strings.Join(validStatus, ", "))
			}
		case "description":
			r.Description = p.str(e, false)
		case "license":
			r.License = p.str(e, false)
		case "author":
			r.Author = p.str(e, false)
		case "date":
			r.Date = p.str(e, true)
		case "modified":
			r.Modified = p.str(e, true)
		case "level":
			r.Level = p.str(e, true)
			if r.Level != "" && !oneOf(r.Level, validLevel) {
				p.add(e.line, "level %q is not one of %s", r.Level, strings.Join(validLevel, ", "))
			}
		case "taxonomy":
			r.Taxonomy = p.str(e, true)
		case "references":
			r.References = p.strList(e)
		case "tags":
			r.Tags = p.strList(e)
		case "falsepositives":
			r.FalsePositives = p.strList(e)
		case "fields":
			r.Fields = p.strList(e)
		case "scope":
			r.Scope = p.strList(e)
		case "related":
			r.Related = p.related(e)
		case "logsource":
			logsource = v
		case "detection":
			det = v
		case "correlation":
			corr = v
		case "generate":
			generate = v
		default:
			budget := maxExpandedNodes
			val, err := toAny(v, &budget)
			if err != nil {
				p.add(e.line, "%s: %v", e.key, err)
				continue
			}
			if r.Custom == nil {
				r.Custom = map[string]any{}
			}
			r.Custom[e.key] = val
		}
	}
	if root.get("title") == nil {
		p.add(root.line, "title is missing")
	}
	if logsource != nil {
		r.LogSource = p.logSource(logsource)
	}
	switch {
	case det != nil && corr != nil:
		p.add(root.line, "a rule has either detection or correlation, not both")
	case det != nil:
		if logsource == nil {
			p.add(root.line, "logsource is missing")
		}
		if generate != nil {
			// Not a detection rule attribute: keep it as a custom key.
			budget := maxExpandedNodes
			if val, err := toAny(generate, &budget); err == nil {
				if r.Custom == nil {
					r.Custom = map[string]any{}
				}
				r.Custom["generate"] = val
			}
		}
		r.Detection = parseDetection(det, &p)
	case corr != nil:
		r.Correlation = parseCorrelation(corr, generate, &p)
	case root.get("filter") != nil:
		p.unsupported(root.line, "Sigma filter documents (filter:) are not supported")
	default:
		p.add(root.line, "neither detection nor correlation: not a Sigma rule")
	}
	if len(p.list) > 0 {
		return nil, p.list
	}
	return r, nil
}

// str returns the scalar value of e as text ("" for null). A number or
// boolean is kept as written unless strict, where only strings and
// numbers are accepted.
func (p *problems) str(e entry, strict bool) string {
	v := e.val
	if v.kind != scalarNode {
		p.add(e.line, "%s must be a string, not %s", e.key, v.describe())
		return ""
	}
	if strict && v.val.Kind == Bool {
		p.add(e.line, "%s must be a string, not %s", e.key, v.describe())
		return ""
	}
	if v.val.Kind == Null {
		return ""
	}
	return v.val.Raw
}

// strList returns a list of strings: a YAML list of scalars, or a single
// scalar as a list of one (null gives none).
func (p *problems) strList(e entry) []string {
	v := e.val
	switch v.kind {
	case scalarNode:
		if v.val.Kind == Null {
			return nil
		}
		return []string{v.val.Raw}
	case seqNode:
		out := make([]string, 0, len(v.items))
		for i, it := range v.items {
			if it.kind != scalarNode {
				p.add(it.line, "%s[%d] must be a string, not %s", e.key, i, it.describe())
				continue
			}
			if it.val.Kind == Null {
				p.add(it.line, "%s[%d] is null", e.key, i)
				continue
			}
			out = append(out, it.val.Raw)
		}
		return out
	}
	p.add(e.line, "%s must be a list of strings, not %s", e.key, v.describe())
	return nil
}

func (p *problems) related(e entry) []Related {
	v := e.val
	if v.isNull() {
		return nil
	}
	if v.kind != seqNode {
		p.add(e.line, "related must be a list of {id, type} maps, not %s", v.describe())
		return nil
	}
	out := make([]Related, 0, len(v.items))
	for i, it := range v.items {
		if it.kind != mapNode {
			p.add(it.line, "related[%d] must be a map with id and type, not %s", i, it.describe())
			continue
		}
		var rel Related
		for _, f := range it.entries {
			switch f.key {
			case "id":
				rel.ID = p.str(f, true)
			case "type":
				rel.Type = p.str(f, true)
			default:
				p.add(f.line, "related[%d]: unknown key %q (want id, type)", i, f.key)
			}
		}
		if rel.ID == "" {
			p.add(it.line, "related[%d]: id is missing", i)
		}
		if !oneOf(rel.Type, validRelatedType) {
			p.add(it.line, "related[%d]: type %q is not one of %s", i, rel.Type, strings.Join(validRelatedType, ", "))
		}
		out = append(out, rel)
	}
	return out
}

// logSource reads "logsource": product, category, service and
// definition; other keys (custom log source attributes) are ignored.
func (p *problems) logSource(v *node) LogSource {
	var ls LogSource
	if v.kind != mapNode {
		p.add(v.line, "logsource must be a map, not %s", v.describe())
		return ls
	}
	for _, e := range v.entries {
		switch e.key {
		case "product":
			ls.Product = p.str(e, true)
		case "category":
			ls.Category = p.str(e, true)
		case "service":
			ls.Service = p.str(e, true)
		case "definition":
			ls.Definition = p.str(e, false)
		}
	}
	return ls
}

// parseDuration reads a Sigma time span: a positive integer followed by
// s, m, h, d or w (seconds, minutes, hours, days, weeks). It returns the
// reason when s is invalid, and whether the unit is a known but
// unsupported calendar unit (M, y).
func parseDuration(s string) (d time.Duration, unsupported bool, reason string) {
	if len(s) < 2 {
		return 0, false, fmt.Sprintf("%q is not a time span (number and unit s, m, h, d or w, e.g. 5m)", s)
	}
	num, unit := s[:len(s)-1], s[len(s)-1]
	if !isDecimal(num) || num[0] == '+' || num[0] == '-' {
		return 0, false, fmt.Sprintf("%q is not a time span (number and unit s, m, h, d or w, e.g. 5m)", s)
	}
	var per time.Duration
	switch unit {
	case 's':
		per = time.Second
	case 'm':
		per = time.Minute
	case 'h':
		per = time.Hour
	case 'd':
		per = 24 * time.Hour
	case 'w':
		per = 7 * 24 * time.Hour
	case 'M', 'y':
		return 0, true, fmt.Sprintf("time span %q: calendar units (M, y) have no fixed length", s)
	default:
		return 0, false, fmt.Sprintf("%q is not a time span (number and unit s, m, h, d or w, e.g. 5m)", s)
	}
	var n int64
	for i := 0; i < len(num); i++ {
		n = n*10 + int64(num[i]-'0')
		if n > int64(1<<62)/int64(per) {
			return 0, false, fmt.Sprintf("time span %q is too long", s)
		}
	}
	if n == 0 {
		return 0, false, fmt.Sprintf("time span %q must be greater than zero", s)
	}
	return time.Duration(n) * per, false, ""
}
