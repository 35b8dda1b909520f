package regulation

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// FormatVersion is the pack format this package reads (the "format" key).
const FormatVersion = 1

// Kinds of ids, as named in messages.
const (
	kindDocument   = "source document"
	kindRole       = "role"
	kindInfo       = "info type"
	kindSystem     = "system type"
	kindGrade      = "classification grade"
	kindScope      = "infrastructure scope"
	kindWorks      = "works grade"
	kindCrit       = "criterion"
	kindSection    = "outline section"
	kindPlanPart   = "security plan part"
	kindDeadline   = "deadline"
	kindRule       = "independence rule"
	kindForm       = "form"
	kindRemedy     = "remedy"
	kindReqGroup   = "requirement group"
	kindReq        = "requirement"
	kindObligation = "obligation"
)

var (
	steps    = []string{StepAppraise, StepApprove}
	dayKinds = []string{"calendar", "working"}
	events   = []string{"dossier_received", "dossier_complete", "appraisal_opinion"}
)

// Parse reads one pack file. name is used in messages and must be the
// pack id followed by ".yaml" or ".yml". Every problem found is returned in
// a *ValidationError.
func Parse(name string, data []byte) (*Pack, error) {
	return parse(name, filepath.Base(name), data)
}

// parse reads one pack file; display names it in messages, file is its
// base name, which must be the pack id plus extension.
func parse(display, file string, data []byte) (*Pack, error) {
	name := display
	d := newDecoder(display)
	d.base = file
	p := d.pack(data)
	if len(d.problems) > 0 {
		sortProblems(d.problems)
		return nil, &ValidationError{Problems: d.problems}
	}
	p.origin = name
	return p, nil
}

// packDecoder reads one pack; docs holds the short names of the source
// documents for citations.
type packDecoder struct {
	*decoder
	docs       map[string]Text
	levelNodes []ast.Node // the level value of each criterion, for later checks
}

func (d *decoder) pack(data []byte) *Pack {
	root := d.parse(data)
	if root == nil {
		return nil
	}
	pd := &packDecoder{decoder: d, docs: map[string]Text{}}
	o := d.object(root, "")
	if !o.ok {
		return nil
	}
	p := &Pack{}
	if f, ok := o.integer("format", true); ok && f != FormatVersion {
		d.errorf(o.nodes["format"].Value, "format", "unsupported pack format %d; this version of Khiên reads format %d", f, FormatVersion)
	}
	var idNode ast.Node
	p.id, idNode = o.id("id", true)
	if p.id != "" {
		if !packIDPattern.MatchString(p.id) {
			d.errorf(idNode, "id", "pack id %q must be lower-case letters, digits, '_', '.', '-'", p.id)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(d.base, ".yaml"), ".yml")
		if base != p.id {
			d.errorf(idNode, "id", "pack id %q does not match the file name %q (want %s.yaml)", p.id, d.base, p.id)
		}
	}
	p.version = o.str("version", true)
	if p.version != "" && !semverPattern.MatchString(p.version) {
		if _, err := time.Parse(time.DateOnly, p.version); err != nil {
			d.errorf(o.nodes["version"].Value, "version", "version %q is neither semantic (1.2.3) nor a date (YYYY-MM-DD)", p.version)
		}
	}
	p.title = o.text("title", true)
	p.description = o.text("description", false)
	var regimeNode ast.Node
	p.regime, regimeNode = o.id("regime", true)
	if p.regime != "" && !packIDPattern.MatchString(p.regime) {
		d.errorf(regimeNode, "regime", "regime %q must be lower-case", p.regime)
	}

	// Sources first: every other item cites them.
	srcNodes := o.list("sources", true)
	if srcNodes != nil && len(srcNodes) == 0 {
		d.errorf(o.nodes["sources"].Value, "sources", "a pack needs at least one source document")
	}
	p.sources = pd.sources(srcNodes)
	p.inForce = pd.inForce(o.get("in_force", true))
	p.roles = pd.roles(o.list("roles", false))
	p.infoTypes = pd.infoTypes(o.list("info_types", false))
	p.systemTypes = pd.systemTypes(o.list("system_types", false))
	p.scopes = pd.choices(o.list("infrastructure_scopes", false), "infrastructure_scopes", kindScope)
	p.worksGrades = pd.choices(o.list("works_grades", false), "works_grades", kindWorks)
	p.opsLevels = pd.serviceLevels(o.list("online_public_service_levels", false))
	p.criteria = pd.criteria(o.list("criteria", false))
	if n := o.get("composite_rule", false); n != nil {
		p.composite = pd.compositeRule(n)
	}
	p.authorities = pd.authorities(o.list("authorities", false))
	p.rules = pd.independenceRules(o.list("independence_rules", false))
	p.forms = pd.forms(o.list("forms", false))
	p.outline = pd.outline(o.list("dossier_outline", false), "dossier_outline", 0)
	p.planParts = pd.planParts(o.list("security_plan_parts", false))
	p.deadlines = pd.deadlines(o.list("deadlines", false))
	p.reqGroups = pd.requirementGroups(o.list("requirement_groups", false))
	p.reqs = pd.requirements(o.list("requirements", false))
	p.obligations = pd.obligations(o.list("obligations", false))
	relevanceNode := o.get("level_relevant_fields", false)
	if relevanceNode != nil {
		p.relevance = pd.relevance(relevanceNode)
	}
	o.close()

	d.checkRefs()
	pd.crossCheck(p, o, relevanceNode)
	return p
}

// crossCheck checks what spans sections.
func (pd *packDecoder) crossCheck(p *Pack, root *object, relevanceNode ast.Node) {
	// Every level a criterion can give has an authority.
	if len(p.authorities) > 0 {
		for i, c := range p.criteria {
			if _, ok := p.Authority(c.Level); !ok && c.Level > 0 {
				pd.errorf(pd.levelNodes[i], index("criteria", i)+".level", "no authority covers level %d (criterion %s)", c.Level, c.ID)
			}
		}
	}
	// Every field a criterion looks at is level-relevant (Art. 18).
	if len(p.criteria) > 0 {
		if relevanceNode == nil {
			pd.errorf(root.at, "", "missing required key %q (the pack has criteria)", "level_relevant_fields")
			return
		}
		var missing []string
		for _, c := range p.criteria {
			for _, f := range c.When.Fields() {
				if !slices.Contains(p.relevance.Fields, f) && !slices.Contains(missing, f) {
					missing = append(missing, f)
				}
			}
		}
		if len(missing) > 0 {
			pd.errorf(relevanceNode, "level_relevant_fields.fields", "fields used by criteria are not listed: %s", strings.Join(missing, ", "))
		}
	}
}

// items reads each element of a list as a mapping.
func (pd *packDecoder) items(nodes []ast.Node, path string, read func(o *object)) {
	for i, n := range nodes {
		o := pd.object(n, index(path, i))
		if o.ok {
			read(o)
		}
		o.close()
	}
}

// sourceAndConfirmation reads the two keys every item carries.
func (pd *packDecoder) sourceAndConfirmation(o *object) (Source, Confirmation) {
	c := o.confirmation()
	s := o.source(true, c)
	if doc, ok := pd.docs[s.Document]; ok {
		s.Citation = s.cite(doc)
	}
	return s, c
}

func (pd *packDecoder) sources(nodes []ast.Node) []Document {
	var out []Document
	pd.items(nodes, "sources", func(o *object) {
		var doc Document
		var n ast.Node
		doc.ID, n = o.id("id", true)
		pd.define(kindDocument, doc.ID, n, join(o.path, "id"))
		doc.Number = o.str("number", false)
		doc.Short = o.text("short", true)
		doc.Title = o.text("title", true)
		doc.Issued, _ = o.date("issued", false)
		for i, u := range o.list("urls", false) {
			if u == nil {
				continue
			}
			s := pd.str(u, index(join(o.path, "urls"), i))
			if s != "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
				pd.errorf(u, index(join(o.path, "urls"), i), "%q is not an http(s) URL", s)
			}
			doc.URLs = append(doc.URLs, s)
		}
		doc.Confirmation = o.confirmation()
		if doc.ID != "" {
			pd.docs[doc.ID] = doc.Short
		}
		out = append(out, doc)
	})
	return out
}

func (pd *packDecoder) inForce(n ast.Node) InForce {
	var f InForce
	if n == nil {
		return f
	}
	o := pd.object(n, "in_force")
	f.From, _ = o.date("from", true)
	var untilNode ast.Node
	f.Until, untilNode = o.date("until", false)
	if !f.From.IsZero() && !f.Until.IsZero() && !f.Until.After(f.From) {
		pd.errorf(untilNode, "in_force.until", "until (%s) must be after from (%s)", f.Until.Format(time.DateOnly), f.From.Format(time.DateOnly))
	}
	f.Note = o.text("note", false)
	if o.has("source") || o.has("confirmation") {
		f.Source, f.Confirmation = pd.sourceAndConfirmation(o)
	}
	o.close()
	return f
}

func (pd *packDecoder) roles(nodes []ast.Node) []Role {
	var out []Role
	pd.items(nodes, "roles", func(o *object) {
		var r Role
		var n ast.Node
		r.ID, n = o.id("id", true)
		pd.define(kindRole, r.ID, n, join(o.path, "id"))
		r.Name = o.text("name", true)
		r.Description = o.text("description", false)
		r.Source, r.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, r)
	})
	return out
}

func (pd *packDecoder) infoTypes(nodes []ast.Node) []InfoType {
	var out []InfoType
	pd.items(nodes, "info_types", func(o *object) {
		var t InfoType
		var n ast.Node
		t.ID, n = o.id("id", true)
		pd.define(kindInfo, t.ID, n, join(o.path, "id"))
		t.Name = o.text("name", true)
		t.Description = o.text("description", false)
		pd.items(o.list("grades", false), join(o.path, "grades"), func(g *object) {
			var gr Grade
			var gn ast.Node
			gr.ID, gn = g.id("id", true)
			pd.define(kindGrade, gr.ID, gn, join(g.path, "id"))
			gr.Name = g.text("name", true)
			t.Grades = append(t.Grades, gr)
		})
		t.Source, t.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, t)
	})
	return out
}

func (pd *packDecoder) systemTypes(nodes []ast.Node) []SystemType {
	var out []SystemType
	pd.items(nodes, "system_types", func(o *object) {
		var t SystemType
		var n ast.Node
		t.ID, n = o.id("id", true)
		if t.ID == "any" {
			pd.errorf(n, join(o.path, "id"), "%q is reserved (criteria use it for every type)", t.ID)
		}
		pd.define(kindSystem, t.ID, n, join(o.path, "id"))
		t.Name = o.text("name", true)
		t.Description = o.text("description", false)
		t.Note = o.text("note", false)
		t.Source, t.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, t)
	})
	return out
}

func (pd *packDecoder) choices(nodes []ast.Node, path, kind string) []Choice {
	var out []Choice
	pd.items(nodes, path, func(o *object) {
		var c Choice
		var n ast.Node
		c.ID, n = o.id("id", true)
		pd.define(kind, c.ID, n, join(o.path, "id"))
		c.Name = o.text("name", true)
		c.Description = o.text("description", false)
		c.Source, c.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, c)
	})
	return out
}

func (pd *packDecoder) serviceLevels(nodes []ast.Node) []ServiceLevel {
	var out []ServiceLevel
	seen := map[int]bool{}
	pd.items(nodes, "online_public_service_levels", func(o *object) {
		var l ServiceLevel
		l.Level, _ = o.integer("level", true)
		if o.has("level") {
			switch {
			case l.Level < 1:
				pd.errorf(o.nodes["level"].Value, join(o.path, "level"), "online public service level must be 1 or more (0 means none and is implied)")
			case seen[l.Level]:
				pd.errorf(o.nodes["level"].Value, join(o.path, "level"), "online public service level %d is listed twice", l.Level)
			}
			seen[l.Level] = true
		}
		l.Name = o.text("name", true)
		l.Source, l.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, l)
	})
	return out
}

func (pd *packDecoder) criteria(nodes []ast.Node) []Criterion {
	var out []Criterion
	pd.items(nodes, "criteria", func(o *object) {
		var c Criterion
		var n ast.Node
		c.ID, n = o.id("id", true)
		pd.define(kindCrit, c.ID, n, join(o.path, "id"))
		ln := o.get("level", true)
		if ln != nil {
			c.Level, _ = pd.level(ln, join(o.path, "level"))
		}
		pd.levelNodes = append(pd.levelNodes, ln)
		c.Text = o.text("text", true)
		c.Note = o.text("note", false)
		if wn := o.get("when", true); wn != nil {
			c.When = pd.conditions(wn, join(o.path, "when"))
		}
		c.Source, c.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, c)
	})
	return out
}

func (pd *packDecoder) conditions(n ast.Node, path string) Conditions {
	var c Conditions
	o := pd.object(n, path)
	if st := o.get(FieldSystemType, true); st != nil {
		p := join(path, FieldSystemType)
		if s, ok := st.(*ast.StringNode); ok {
			if s.Value != "any" {
				pd.errorf(st, p, "want a list of system type ids or \"any\", got %q", s.Value)
			}
		} else {
			c.SystemTypes = o.ids(FieldSystemType, true, kindSystem)
		}
	}
	if in := o.get(FieldInfoTypes, false); in != nil {
		p := join(path, FieldInfoTypes)
		io := pd.object(in, p)
		c.InfoOnly = io.ids("only", false, kindInfo)
		c.InfoAnyOf = io.ids("any_of", false, kindInfo)
		c.InfoNoneOf = io.ids("none_of", false, kindInfo)
		if io.ok {
			if c.InfoOnly == nil && c.InfoAnyOf == nil && c.InfoNoneOf == nil && !io.has("only") && !io.has("any_of") && !io.has("none_of") {
				pd.errorf(in, p, "want at least one of only, any_of, none_of")
			}
			for _, t := range c.InfoNoneOf {
				if slices.Contains(c.InfoOnly, t) || slices.Contains(c.InfoAnyOf, t) {
					pd.errorf(io.nodes["none_of"].Value, join(p, "none_of"), "%q is both required and excluded: the criterion can never match", t)
				}
			}
		}
		io.close()
	}
	c.StateSecretGrades = o.ids(FieldStateSecretGrade, false, kindGrade)
	c.DataSubjects = pd.intRange(o, FieldDataSubjects, path)
	c.OnlinePublicServiceLevel = pd.intRange(o, FieldOnlinePublicServiceLevel, path)
	c.ConditionalBusinessLine = require(o, FieldConditionalBusinessLine)
	c.InfrastructureScopes = o.ids(FieldInfrastructureScope, false, kindScope)
	c.WorksGrades = o.ids(FieldWorksGrade, false, kindWorks)
	c.Requires24x7 = require(o, FieldRequires24x7)
	c.UnplannedDowntimeAcceptable = require(o, FieldUnplannedDowntimeAcceptable)
	c.NationalEGovernment = require(o, FieldNationalEGovernment)
	c.EspeciallyImportantNationalData = require(o, FieldEspeciallyImportantNationalData)
	o.close()
	return c
}

func require(o *object, key string) Require {
	v, ok := o.boolean(key, false)
	switch {
	case !ok:
		return RequireAny
	case v:
		return RequireTrue
	default:
		return RequireFalse
	}
}

// intRange reads {min, max, below}: min and max inclusive, below exclusive.
func (pd *packDecoder) intRange(parent *object, key, path string) IntRange {
	var r IntRange
	n := parent.get(key, false)
	if n == nil {
		return r
	}
	p := join(path, key)
	o := pd.object(n, p)
	if !o.ok {
		return r
	}
	r.Min, r.HasMin = o.integer("min", false)
	r.Max, r.HasMax = o.integer("max", false)
	below, hasBelow := o.integer("below", false)
	switch {
	case hasBelow && r.HasMax:
		pd.errorf(o.nodes["below"].Key, join(p, "below"), "give max or below, not both")
	case hasBelow && below < 1:
		pd.errorf(o.nodes["below"].Value, join(p, "below"), "below must be 1 or more")
	case hasBelow:
		r.Max, r.HasMax = below-1, true
	}
	if !r.HasMin && !r.HasMax && !hasBelow && !o.has("min") && !o.has("max") && !o.has("below") {
		pd.errorf(n, p, "want at least one of min, max, below")
	}
	if r.HasMin && r.HasMax && r.Min > r.Max {
		pd.errorf(n, p, "empty range: min %d is above the largest allowed value %d", r.Min, r.Max)
	}
	o.close()
	return r
}

func (pd *packDecoder) compositeRule(n ast.Node) CompositeRule {
	var r CompositeRule
	o := pd.object(n, "composite_rule")
	if o.ok {
		r.Text = o.text("text", true)
		r.Source, r.Confirmation = pd.sourceAndConfirmation(o)
	}
	o.close()
	return r
}

func (pd *packDecoder) authorities(nodes []ast.Node) []Authority {
	var out []Authority
	covered := map[int]ast.Node{}
	pd.items(nodes, "authorities", func(o *object) {
		var a Authority
		a.Levels = o.levels("levels", true)
		for _, l := range a.Levels {
			if first, dup := covered[l]; dup {
				line, col := position(first)
				pd.errorf(o.nodes["levels"].Value, join(o.path, "levels"), "level %d already has an authority (line %d, column %d)", l, line, col)
				continue
			}
			covered[l] = o.nodes["levels"].Value
		}
		a.Appraise = o.ids("appraise", true, kindRole)
		a.Approve = o.ids("approve", true, kindRole)
		a.Note = o.text("note", false)
		pd.items(o.list("time_limits", false), join(o.path, "time_limits"), func(t *object) {
			var tl TimeLimit
			tl.Step = pd.enum(t, "step", true, steps)
			tl.Days, _ = t.integer("days", true)
			if t.has("days") && tl.Days < 1 {
				pd.errorf(t.nodes["days"].Value, join(t.path, "days"), "days must be 1 or more")
			}
			tl.DayKind = pd.enum(t, "day_kind", true, dayKinds)
			tl.From = pd.enum(t, "from", true, events)
			tl.Source, tl.Confirmation = pd.sourceAndConfirmation(t)
			a.TimeLimits = append(a.TimeLimits, tl)
		})
		a.Source, a.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, a)
	})
	return out
}

// enum reads a string that must be one of allowed.
func (pd *packDecoder) enum(o *object, key string, required bool, allowed []string) string {
	n := o.get(key, required)
	if n == nil {
		return ""
	}
	p := join(o.path, key)
	s := pd.str(n, p)
	if s != "" && !slices.Contains(allowed, s) {
		msg := fmt.Sprintf("unknown value %q; want one of %s", s, strings.Join(allowed, ", "))
		if sg := suggest(s, allowed); sg != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sg)
		}
		pd.errorf(n, p, "%s", msg)
		return ""
	}
	return s
}

func (pd *packDecoder) independenceRules(nodes []ast.Node) []IndependenceRule {
	var out []IndependenceRule
	pd.items(nodes, "independence_rules", func(o *object) {
		var r IndependenceRule
		var n ast.Node
		r.ID, n = o.id("id", true)
		pd.define(kindRule, r.ID, n, join(o.path, "id"))
		r.Levels = o.levels("levels", true)
		r.Step = pd.enum(o, "step", true, steps)
		r.IndependentOf = o.ids("independent_of", true, kindRole)
		r.Text = o.text("text", true)
		pd.items(o.list("remedies", false), join(o.path, "remedies"), func(m *object) {
			var rm Remedy
			var mn ast.Node
			rm.ID, mn = m.id("id", true)
			pd.define(kindRemedy+" of "+r.ID, rm.ID, mn, join(m.path, "id"))
			rm.Text = m.text("text", true)
			rm.Source = m.source(true, "")
			if doc, ok := pd.docs[rm.Source.Document]; ok {
				rm.Source.Citation = rm.Source.cite(doc)
			}
			r.Remedies = append(r.Remedies, rm)
		})
		r.Source, r.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, r)
	})
	return out
}

func (pd *packDecoder) forms(nodes []ast.Node) []Form {
	var out []Form
	pd.items(nodes, "forms", func(o *object) {
		var f Form
		var n ast.Node
		f.ID, n = o.id("id", true)
		pd.define(kindForm, f.ID, n, join(o.path, "id"))
		f.Number = o.str("number", false)
		f.Name = o.text("name", true)
		f.Step = pd.enum(o, "step", true, steps)
		f.Source, f.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, f)
	})
	return out
}

// maxOutlineDepth bounds the nesting of dossier sections.
const maxOutlineDepth = 5

func (pd *packDecoder) outline(nodes []ast.Node, path string, depth int) []OutlineSection {
	var out []OutlineSection
	pd.items(nodes, path, func(o *object) {
		var s OutlineSection
		var n ast.Node
		s.Key, n = o.id("key", true)
		pd.define(kindSection, s.Key, n, join(o.path, "key"))
		s.Heading = o.text("heading", true)
		s.Guidance = o.text("guidance", false)
		s.Levels = o.levels("levels", false)
		s.Criteria = o.ids("criteria", false, kindCrit)
		sub := o.list("sections", false)
		if len(sub) > 0 && depth+1 >= maxOutlineDepth {
			pd.errorf(o.nodes["sections"].Key, join(o.path, "sections"), "sections nest deeper than %d levels", maxOutlineDepth)
		} else {
			s.Sections = pd.outline(sub, join(o.path, "sections"), depth+1)
		}
		s.Source, s.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, s)
	})
	return out
}

func (pd *packDecoder) planParts(nodes []ast.Node) []PlanPart {
	var out []PlanPart
	pd.items(nodes, "security_plan_parts", func(o *object) {
		var pp PlanPart
		var n ast.Node
		pp.ID, n = o.id("id", true)
		pd.define(kindPlanPart, pp.ID, n, join(o.path, "id"))
		pp.Name = o.text("name", true)
		pp.Description = o.text("description", false)
		pp.Source, pp.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, pp)
	})
	return out
}

func (pd *packDecoder) deadlines(nodes []ast.Node) []Deadline {
	var out []Deadline
	pd.items(nodes, "deadlines", func(o *object) {
		var dl Deadline
		var n ast.Node
		dl.ID, n = o.id("id", true)
		pd.define(kindDeadline, dl.ID, n, join(o.path, "id"))
		dl.Name = o.text("name", true)
		dl.Date, _ = o.date("date", true)
		dl.Editable, _ = o.boolean("editable", false)
		dl.Note = o.text("note", false)
		dl.Source, dl.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, dl)
	})
	return out
}

func (pd *packDecoder) relevance(n ast.Node) LevelRelevance {
	var r LevelRelevance
	o := pd.object(n, "level_relevant_fields")
	if !o.ok {
		return r
	}
	path := join(o.path, "fields")
	for i, fn := range o.list("fields", true) {
		p := index(path, i)
		if fn == nil {
			continue
		}
		f := pd.str(fn, p)
		switch {
		case f == "":
		case !isProfileField(f):
			msg := fmt.Sprintf("unknown profile field %q", f)
			if s := suggest(f, ProfileFields()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			pd.errorf(fn, p, "%s", msg)
		case slices.Contains(r.Fields, f):
			pd.errorf(fn, p, "%q is listed twice", f)
		default:
			r.Fields = append(r.Fields, f)
		}
	}
	r.Note = o.text("note", false)
	r.Source, r.Confirmation = pd.sourceAndConfirmation(o)
	o.close()
	return r
}
