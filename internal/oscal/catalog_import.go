package oscal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// Limits of ParseCatalog.
const (
	// MaxCatalogBytes is the largest catalog document accepted (16 MiB).
	MaxCatalogBytes = 16 << 20
	// MaxDepth is the deepest nesting of groups and controls accepted: a
	// top-level group is at depth 1, a control in it at 2, an enhancement
	// of that control at 3. Parts may nest as deep within a control.
	MaxDepth = 8
	// MaxControls is the largest number of controls (enhancements
	// included) accepted.
	MaxControls = 10000
	// MaxGroups is the largest number of groups accepted.
	MaxGroups = 1000
	// maxProblems caps the problems one ParseCatalog call reports.
	maxProblems = 20
)

// ParseError is a problem in an OSCAL document, located by a JSON path
// such as "catalog.groups[0].controls[3].id". It unwraps to
// errs.ErrInvalid.
type ParseError struct {
	// Path is "" for a problem with the document as a whole.
	Path string
	Msg  string
}

// Error returns "path: message".
func (e *ParseError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns errs.ErrInvalid.
func (e *ParseError) Unwrap() error { return errs.ErrInvalid }

// otherModels are the root keys of the other OSCAL models, to say what a
// document is when it is not a catalog.
var otherModels = []string{
	"profile", "component-definition", "system-security-plan",
	"assessment-plan", "assessment-results", "plan-of-action-and-milestones",
}

// ParseCatalog reads an OSCAL catalog document ({"catalog": {…}}, any
// OSCAL 1.x version) from untrusted input. It checks what the rest of the
// package relies on and what the OSCAL schemas require of it: the catalog
// uuid, the metadata (title, last-modified, version, oscal-version), ids
// and titles of groups and controls, part names, prop names and values,
// unique group and control ids, and the limits MaxCatalogBytes, MaxDepth,
// MaxControls and MaxGroups. Unknown fields are ignored: OSCAL documents
// may carry extensions. The error, wrapping errs.ErrInvalid, joins up to 20
// *ParseError problems.
func ParseCatalog(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCatalogBytes+1))
	if err != nil {
		return nil, fmt.Errorf("parse oscal catalog: read: %w", err)
	}
	if len(data) > MaxCatalogBytes {
		return nil, fmt.Errorf("parse oscal catalog: %w", &ParseError{Msg: fmt.Sprintf("document larger than %d bytes", MaxCatalogBytes)})
	}
	var root struct {
		Catalog *Catalog `json:"catalog"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse oscal catalog: %w", jsonProblem(err))
	}
	if root.Catalog == nil {
		msg := `missing "catalog": not an OSCAL catalog document`
		if m := otherModel(data); m != "" {
			msg += fmt.Sprintf(" (it is an OSCAL %s)", m)
		}
		return nil, fmt.Errorf("parse oscal catalog: %w", &ParseError{Path: "catalog", Msg: msg})
	}
	cp := catalogParser{ids: map[string]string{}}
	cp.catalog(root.Catalog)
	if len(cp.problems) > 0 {
		return nil, fmt.Errorf("parse oscal catalog: %w", errors.Join(cp.problems...))
	}
	return root.Catalog, nil
}

// otherModel returns the OSCAL model whose root key data has, if any.
func otherModel(data []byte) string {
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) != nil {
		return ""
	}
	for _, m := range otherModels {
		if _, ok := keys[m]; ok {
			return m
		}
	}
	return ""
}

// jsonProblem turns an encoding/json error into a ParseError.
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &ParseError{Msg: fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			return &ParseError{Msg: fmt.Sprintf("want a JSON object, got %s", typ.Value)}
		}
		return &ParseError{Path: path, Msg: fmt.Sprintf("want %s, got %s", jsonType(typ.Type.Kind().String()), typ.Value)}
	}
	return &ParseError{Msg: fmt.Sprintf("invalid JSON: %v", err)}
}

func jsonType(kind string) string {
	switch kind {
	case "struct", "map", "ptr":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	}
	return "a " + kind
}

type catalogParser struct {
	problems []error
	// ids maps each group and control id to the path where it is defined.
	ids      map[string]string
	controls int
	groups   int
	// stop is set once a limit is exceeded: further walking is pointless.
	stop bool
}

func (cp *catalogParser) problem(path, format string, args ...any) {
	if len(cp.problems) == maxProblems {
		cp.problems = append(cp.problems, &ParseError{Msg: "too many problems; stopped"})
		cp.stop = true
	}
	if cp.stop {
		return
	}
	cp.problems = append(cp.problems, &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (cp *catalogParser) catalog(c *Catalog) {
	const path = "catalog"
	switch {
	case c.UUID == "":
		cp.problem(path+".uuid", "missing")
	case !anyUUIDPattern.MatchString(c.UUID):
		cp.problem(path+".uuid", "%q is not a UUID", c.UUID)
	}
	cp.metadata(path+".metadata", c.Metadata)
	cp.params(path+".params", c.Params)
	for i := range c.Groups {
		cp.group(fmt.Sprintf("%s.groups[%d]", path, i), &c.Groups[i], 1)
	}
	for i := range c.Controls {
		cp.control(fmt.Sprintf("%s.controls[%d]", path, i), &c.Controls[i], 1)
	}
	if c.BackMatter != nil {
		for i, r := range c.BackMatter.Resources {
			rp := fmt.Sprintf("%s.back-matter.resources[%d]", path, i)
			switch {
			case r.UUID == "":
				cp.problem(rp+".uuid", "missing")
			case !anyUUIDPattern.MatchString(r.UUID):
				cp.problem(rp+".uuid", "%q is not a UUID", r.UUID)
			}
			cp.props(rp+".props", r.Props)
		}
	}
}

func (cp *catalogParser) metadata(path string, m *Metadata) {
	if m == nil {
		cp.problem(path, "missing")
		return
	}
	if strings.TrimSpace(m.Title) == "" {
		cp.problem(path+".title", "missing")
	}
	switch {
	case m.LastModified == "":
		cp.problem(path+".last-modified", "missing")
	default:
		if _, err := time.Parse(time.RFC3339, m.LastModified); err != nil {
			cp.problem(path+".last-modified", "%q is not a date-time with time zone", m.LastModified)
		}
	}
	if strings.TrimSpace(m.Version) == "" {
		cp.problem(path+".version", "missing")
	}
	switch v := strings.TrimSpace(m.OSCALVersion); {
	case v == "":
		cp.problem(path+".oscal-version", "missing")
	case !strings.HasPrefix(v, "1."):
		cp.problem(path+".oscal-version", "%q is not an OSCAL 1.x version", m.OSCALVersion)
	}
	cp.props(path+".props", m.Props)
	cp.links(path+".links", m.Links)
}

// define records a group or control id.
func (cp *catalogParser) define(path, id string) {
	if first, dup := cp.ids[id]; dup {
		cp.problem(path, "duplicate id %q (first at %s)", id, first)
		return
	}
	cp.ids[id] = path
}

func (cp *catalogParser) group(path string, g *Group, depth int) {
	if cp.stop {
		return
	}
	if depth > MaxDepth {
		cp.problem(path, "groups and controls nest deeper than %d levels", MaxDepth)
		cp.stop = true
		return
	}
	cp.groups++
	if cp.groups > MaxGroups {
		cp.problem(path, "more than %d groups", MaxGroups)
		cp.stop = true
		return
	}
	if g.ID != "" {
		if IsToken(g.ID) {
			cp.define(path+".id", g.ID)
		} else {
			cp.problem(path+".id", "%q is not a valid id (a letter or '_', then letters, digits, '.', '-', '_')", g.ID)
		}
	}
	if g.Class != "" && !IsToken(g.Class) {
		cp.problem(path+".class", "%q is not a valid token", g.Class)
	}
	if strings.TrimSpace(g.Title) == "" {
		cp.problem(path+".title", "missing")
	}
	cp.params(path+".params", g.Params)
	cp.props(path+".props", g.Props)
	cp.links(path+".links", g.Links)
	cp.parts(path+".parts", g.Parts, 1)
	for i := range g.Groups {
		cp.group(fmt.Sprintf("%s.groups[%d]", path, i), &g.Groups[i], depth+1)
	}
	for i := range g.Controls {
		cp.control(fmt.Sprintf("%s.controls[%d]", path, i), &g.Controls[i], depth+1)
	}
}

func (cp *catalogParser) control(path string, c *Control, depth int) {
	if cp.stop {
		return
	}
	if depth > MaxDepth {
		cp.problem(path, "groups and controls nest deeper than %d levels", MaxDepth)
		cp.stop = true
		return
	}
	cp.controls++
	if cp.controls > MaxControls {
		cp.problem(path, "more than %d controls", MaxControls)
		cp.stop = true
		return
	}
	switch {
	case c.ID == "":
		cp.problem(path+".id", "missing")
	case !IsToken(c.ID):
		cp.problem(path+".id", "%q is not a valid id (a letter or '_', then letters, digits, '.', '-', '_')", c.ID)
	default:
		cp.define(path+".id", c.ID)
	}
	if c.Class != "" && !IsToken(c.Class) {
		cp.problem(path+".class", "%q is not a valid token", c.Class)
	}
	if strings.TrimSpace(c.Title) == "" {
		cp.problem(path+".title", "missing")
	}
	cp.params(path+".params", c.Params)
	cp.props(path+".props", c.Props)
	cp.links(path+".links", c.Links)
	cp.parts(path+".parts", c.Parts, 1)
	for i := range c.Controls {
		cp.control(fmt.Sprintf("%s.controls[%d]", path, i), &c.Controls[i], depth+1)
	}
}

func (cp *catalogParser) parts(path string, parts []Part, depth int) {
	for i := range parts {
		if cp.stop {
			return
		}
		p := &parts[i]
		pp := fmt.Sprintf("%s[%d]", path, i)
		if depth > MaxDepth {
			cp.problem(pp, "parts nest deeper than %d levels", MaxDepth)
			cp.stop = true
			return
		}
		switch {
		case p.Name == "":
			cp.problem(pp+".name", "missing")
		case !IsToken(p.Name):
			cp.problem(pp+".name", "%q is not a valid token", p.Name)
		}
		if p.ID != "" && !IsToken(p.ID) {
			cp.problem(pp+".id", "%q is not a valid id", p.ID)
		}
		if p.Class != "" && !IsToken(p.Class) {
			cp.problem(pp+".class", "%q is not a valid token", p.Class)
		}
		cp.props(pp+".props", p.Props)
		cp.links(pp+".links", p.Links)
		cp.parts(pp+".parts", p.Parts, depth+1)
	}
}

func (cp *catalogParser) params(path string, params []Param) {
	for i, p := range params {
		pp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case p.ID == "":
			cp.problem(pp+".id", "missing")
		case !IsToken(p.ID):
			cp.problem(pp+".id", "%q is not a valid id", p.ID)
		}
		cp.props(pp+".props", p.Props)
		cp.links(pp+".links", p.Links)
	}
}

func (cp *catalogParser) props(path string, props []Property) {
	for i, p := range props {
		pp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case p.Name == "":
			cp.problem(pp+".name", "missing")
		case !IsToken(p.Name):
			cp.problem(pp+".name", "%q is not a valid token", p.Name)
		}
		if strings.TrimSpace(p.Value) == "" {
			cp.problem(pp+".value", "missing")
		}
	}
}

func (cp *catalogParser) links(path string, links []Link) {
	for i, l := range links {
		if strings.TrimSpace(l.Href) == "" {
			cp.problem(fmt.Sprintf("%s[%d].href", path, i), "missing")
		}
	}
}
