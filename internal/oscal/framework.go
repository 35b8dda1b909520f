package oscal

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Framework is a catalog flattened into a custom framework: its groups and
// controls in document order, each with the parent it was nested in.
type Framework struct {
	// ID is the Khiên pack id when the catalog carries one (a catalog
	// written by ExportCatalog), else the catalog UUID.
	ID      string
	Title   string
	Version string
	// Lang is the language of Statement and Guidance texts ("vi" or "en")
	// when the catalog says so in a Khiên prop, else "".
	Lang     string
	Groups   []FrameworkGroup
	Controls []FrameworkControl
}

// FrameworkGroup is a group of controls.
type FrameworkGroup struct {
	// ID is the group id; a group without one gets "_group-" and its
	// position ("_group-2.1" is the first sub-group of the second group).
	ID string
	// Parent is the id of the enclosing group, "" for a top-level group.
	Parent string
	// Title is the English (or only) title; TitleVI the Vietnamese one
	// when the catalog carries it.
	Title   string
	TitleVI string
}

// FrameworkControl is a control or a control enhancement.
type FrameworkControl struct {
	ID string
	// Group is the id of the group the control (or the control it
	// enhances) is in, "" for a control outside any group.
	Group string
	// Parent is the id of the control this one enhances, "" for a
	// control that is not an enhancement.
	Parent string
	// Title is the English (or only) title; TitleVI the Vietnamese one
	// when the catalog carries it.
	Title   string
	TitleVI string
	// Statement and Guidance are the prose of the statement and guidance
	// parts, sub-items on their own lines with their labels, parameters
	// replaced by their values or "[Assignment: …]"/"[Selection: …]".
	Statement string
	Guidance  string
	// MinLevel and MaxLevel bound the levels at which the control applies;
	// TCVN maps a level to a TCVN clause. They are read from Khiên props:
	// zero (and nil) for a catalog without them. A catalog with a
	// min-level and no max-level gives MaxLevel 5.
	MinLevel int
	MaxLevel int
	TCVN     map[int]string
}

// Framework flattens the catalog into a framework. It fails with an
// errs.ErrInvalid error when Khiên props (min-level, max-level, tcvn) have
// values it cannot use.
func (c *Catalog) Framework() (Framework, error) {
	if c == nil || c.Metadata == nil {
		return Framework{}, fmt.Errorf("oscal framework: %w", &ParseError{Path: "catalog.metadata", Msg: "missing"})
	}
	fc := frameworkConverter{params: map[string]Param{}, ids: map[string]bool{}}
	fc.lang, _ = khienValue(c.Metadata.Props, "lang", "")
	fc.collect(c.Params, c.Groups, c.Controls)
	f := Framework{
		ID:      c.UUID,
		Title:   c.Metadata.Title,
		Version: c.Metadata.Version,
	}
	if id, ok := khienValue(c.Metadata.Props, "pack-id", ""); ok {
		f.ID = id
	}
	if fc.lang == "vi" || fc.lang == "en" {
		f.Lang = fc.lang
	}
	for i := range c.Groups {
		fc.group(fmt.Sprintf("catalog.groups[%d]", i), &c.Groups[i], "", strconv.Itoa(i+1))
	}
	for i := range c.Controls {
		fc.control(fmt.Sprintf("catalog.controls[%d]", i), &c.Controls[i], "", "")
	}
	if len(fc.problems) > 0 {
		return Framework{}, fmt.Errorf("oscal framework: %w", joinProblems(fc.problems))
	}
	f.Groups, f.Controls = fc.groups, fc.controls
	return f, nil
}

func joinProblems(ps []error) error {
	if len(ps) > maxProblems {
		ps = append(ps[:maxProblems], &ParseError{Msg: "too many problems; stopped"})
	}
	return errors.Join(ps...)
}

type frameworkConverter struct {
	lang     string
	params   map[string]Param
	ids      map[string]bool // group and control ids, to keep synthesised ids unique
	groups   []FrameworkGroup
	controls []FrameworkControl
	problems []error
}

func (fc *frameworkConverter) problem(path, format string, args ...any) {
	fc.problems = append(fc.problems, &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// collect indexes parameters and ids before the walk.
func (fc *frameworkConverter) collect(params []Param, groups []Group, controls []Control) {
	for _, p := range params {
		if _, dup := fc.params[p.ID]; !dup {
			fc.params[p.ID] = p
		}
	}
	for i := range groups {
		if groups[i].ID != "" {
			fc.ids[groups[i].ID] = true
		}
		fc.collect(groups[i].Params, groups[i].Groups, groups[i].Controls)
	}
	for i := range controls {
		fc.ids[controls[i].ID] = true
		fc.collect(controls[i].Params, nil, controls[i].Controls)
	}
}

func (fc *frameworkConverter) group(path string, g *Group, parent, position string) {
	id := g.ID
	if id == "" {
		id = "_group-" + position
		for fc.ids[id] {
			id += "_"
		}
		fc.ids[id] = true
	}
	title, titleVI := fc.titles(g.Title, g.Props)
	fc.groups = append(fc.groups, FrameworkGroup{ID: id, Parent: parent, Title: title, TitleVI: titleVI})
	for i := range g.Groups {
		fc.group(fmt.Sprintf("%s.groups[%d]", path, i), &g.Groups[i], id, position+"."+strconv.Itoa(i+1))
	}
	for i := range g.Controls {
		fc.control(fmt.Sprintf("%s.controls[%d]", path, i), &g.Controls[i], id, "")
	}
}

func (fc *frameworkConverter) control(path string, c *Control, group, parent string) {
	title, titleVI := fc.titles(c.Title, c.Props)
	fcn := FrameworkControl{
		ID:        c.ID,
		Group:     group,
		Parent:    parent,
		Title:     title,
		TitleVI:   titleVI,
		Statement: fc.prose(c.Parts, "statement"),
		Guidance:  fc.prose(c.Parts, "guidance"),
	}
	fc.levels(path, c.Props, &fcn)
	fc.controls = append(fc.controls, fcn)
	for i := range c.Controls {
		fc.control(fmt.Sprintf("%s.controls[%d]", path, i), &c.Controls[i], group, c.ID)
	}
}

// titles returns the English (or only) title and the Vietnamese title: a
// catalog in Vietnamese carries the English title in a Khiên "title" prop
// of class "en", one in English the Vietnamese title in one of class "vi".
func (fc *frameworkConverter) titles(title string, props []Property) (string, string) {
	if fc.lang == "vi" {
		if en, ok := khienValue(props, "title", "en"); ok {
			return en, title
		}
		return title, title
	}
	vi, _ := khienValue(props, "title", "vi")
	return title, vi
}

// levels reads the Khiên level props of a control.
func (fc *frameworkConverter) levels(path string, props []Property, c *FrameworkControl) {
	for i, p := range props {
		if p.NS != Namespace {
			continue
		}
		pp := fmt.Sprintf("%s.props[%d]", path, i)
		switch p.Name {
		case "min-level", "max-level":
			l, ok := parseLevel(p.Value)
			if !ok {
				fc.problem(pp, "%s %q is not a level %d–%d", p.Name, p.Value, minLevel, maxLevel)
				continue
			}
			dst := &c.MinLevel
			if p.Name == "max-level" {
				dst = &c.MaxLevel
			}
			if *dst != 0 {
				fc.problem(pp, "%s given twice", p.Name)
				continue
			}
			*dst = l
		case "tcvn":
			l, ok := parseLevel(strings.TrimPrefix(p.Class, "level-"))
			if !ok || !strings.HasPrefix(p.Class, "level-") {
				fc.problem(pp, "tcvn class %q is not level-1 … level-5", p.Class)
				continue
			}
			if _, dup := c.TCVN[l]; dup {
				fc.problem(pp, "tcvn clause for level %d given twice", l)
				continue
			}
			if c.TCVN == nil {
				c.TCVN = map[int]string{}
			}
			c.TCVN[l] = strings.TrimSpace(p.Value)
		}
	}
	switch {
	case c.MinLevel == 0 && c.MaxLevel != 0:
		fc.problem(path+".props", "max-level without min-level")
	case c.MinLevel != 0 && c.MaxLevel == 0:
		c.MaxLevel = maxLevel
	case c.MaxLevel < c.MinLevel:
		fc.problem(path+".props", "max-level %d is below min-level %d", c.MaxLevel, c.MinLevel)
	}
	if c.MinLevel != 0 {
		for l := range c.TCVN {
			if l < c.MinLevel || l > c.MaxLevel {
				fc.problem(path+".props", "tcvn clause for level %d outside levels %d–%d", l, c.MinLevel, c.MaxLevel)
			}
		}
	}
}

func parseLevel(s string) (int, bool) {
	l, err := strconv.Atoi(strings.TrimSpace(s))
	return l, err == nil && l >= minLevel && l <= maxLevel
}

// khienValue returns the value of the first Khiên prop with name and
// class (any class when class is "").
func khienValue(props []Property, name, class string) (string, bool) {
	for _, p := range props {
		if p.NS == Namespace && p.Name == name && (class == "" || p.Class == class) {
			return p.Value, true
		}
	}
	return "", false
}

// standard reports whether a part or prop name is in OSCAL's own namespace.
func standard(ns string) bool { return ns == "" || ns == nistNamespace }

// prose renders the standard parts called name, separated by blank lines.
func (fc *frameworkConverter) prose(parts []Part, name string) string {
	var out []string
	for _, p := range parts {
		if p.Name == name && standard(p.NS) {
			var lines []string
			fc.render(p, 0, &lines)
			if s := strings.Join(lines, "\n"); s != "" {
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// render appends the lines of a part and its standard sub-parts; sub-parts
// are indented and start with their label.
func (fc *frameworkConverter) render(p Part, depth int, lines *[]string) {
	text := strings.TrimSpace(fc.insertParams(p.Prose, 0))
	if depth > 0 {
		label := ""
		for _, pr := range p.Props {
			if pr.Name == "label" && standard(pr.NS) {
				label = strings.TrimSpace(pr.Value)
				break
			}
		}
		text = strings.TrimSpace(label + " " + text)
		if text != "" {
			text = strings.Repeat("  ", depth-1) + text
		}
	}
	if text != "" {
		*lines = append(*lines, text)
	}
	for _, sub := range p.Parts {
		if standard(sub.NS) {
			fc.render(sub, depth+1, lines)
		}
	}
}

// insertPattern matches a parameter insertion in OSCAL markup.
var insertPattern = regexp.MustCompile(`\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}`)

// insertParams replaces parameter insertions by the parameter's values,
// selection or label. depth stops a selection whose choices insert
// parameters from recursing without end.
func (fc *frameworkConverter) insertParams(s string, depth int) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return insertPattern.ReplaceAllStringFunc(s, func(m string) string {
		id := insertPattern.FindStringSubmatch(m)[1]
		p, ok := fc.params[id]
		switch {
		case !ok || depth > 2:
			return "[" + id + "]"
		case len(p.Values) > 0:
			return strings.Join(p.Values, ", ")
		case p.Select != nil && len(p.Select.Choice) > 0:
			choices := make([]string, len(p.Select.Choice))
			for i, ch := range p.Select.Choice {
				choices[i] = fc.insertParams(ch, depth+1)
			}
			kind := "Selection"
			if p.Select.HowMany == "one-or-more" {
				kind = "Selection (one or more)"
			}
			return "[" + kind + ": " + strings.Join(choices, "; ") + "]"
		case p.Label != "":
			return "[Assignment: " + p.Label + "]"
		}
		return "[Assignment: " + id + "]"
	})
}
