package regulation

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/goccy/go-yaml/ast"
)

// RequirementGroup groups requirements: a top-level group (management,
// technical) or a sub-group of one (Parent set: network, server, …).
type RequirementGroup struct {
	ID string
	// Parent is the id of the top-level group; "" for a top-level group.
	Parent       string
	Name         Text
	Description  Text
	Source       Source
	Confirmation Confirmation
}

// Requirement is one item of the requirement catalogue (Circular 12/2022
// Art. 9 and Annexes I–V for the Decree 85 pack): it applies to every level
// from MinLevel to MaxLevel.
type Requirement struct {
	// ID is stable across levels, e.g. "mgmt.ops.incident".
	ID string
	// Group is the id of a RequirementGroup.
	Group    string
	Title    Text
	Guidance Text
	// MinLevel is the lowest level (1–5) that requires the item.
	MinLevel int
	// MaxLevel is the highest level that requires the item: 5 unless the
	// pack sets max_level (Circular 12 Art. 9.9 applies at level 3 only).
	// A zero MaxLevel, possible only in a value built by hand, means 5.
	MaxLevel int
	// TCVN maps a level to the clause of the technical standard that
	// details the item at that level ("7.1.5.8"); nil when none is cited.
	TCVN map[int]string
	// Notes maps a level to what the item requires at that level, where it
	// differs between levels; nil when it does not.
	Notes        map[int]Text
	Source       Source
	Confirmation Confirmation
}

// AppliesTo reports whether the requirement applies at level: MinLevel ≤
// level ≤ MaxLevel.
func (r Requirement) AppliesTo(level int) bool {
	hi := r.MaxLevel
	if hi == 0 {
		hi = 5
	}
	return r.MinLevel >= 1 && level >= r.MinLevel && level <= min(hi, 5)
}

func (r Requirement) clone() Requirement {
	r.TCVN = maps.Clone(r.TCVN)
	r.Notes = maps.Clone(r.Notes)
	return r
}

// RequirementGroups returns the requirement groups in pack order.
func (p *Pack) RequirementGroups() []RequirementGroup { return slices.Clone(p.reqGroups) }

// RequirementGroup returns the requirement group with the given id.
func (p *Pack) RequirementGroup(id string) (RequirementGroup, bool) {
	return find(p.reqGroups, func(g RequirementGroup) bool { return g.ID == id }, nil)
}

// Requirements returns the whole requirement catalogue in pack order.
func (p *Pack) Requirements() []Requirement { return cloneAll(p.reqs, Requirement.clone) }

// Requirement returns the requirement with the given id.
func (p *Pack) Requirement(id string) (Requirement, bool) {
	return find(p.reqs, func(r Requirement) bool { return r.ID == id }, Requirement.clone)
}

// RequirementsFor returns the requirements that apply at level (MinLevel ≤
// level ≤ MaxLevel), in pack order; nil for a level outside 1–5.
func (p *Pack) RequirementsFor(level int) []Requirement {
	var out []Requirement
	for _, r := range p.reqs {
		if r.AppliesTo(level) {
			out = append(out, r.clone())
		}
	}
	return out
}

var clausePattern = regexp.MustCompile(`^[0-9]{1,3}(?:\.[0-9]{1,3}){0,7}$`)

func (pd *packDecoder) requirementGroups(nodes []ast.Node) []RequirementGroup {
	var out []RequirementGroup
	pd.items(nodes, "requirement_groups", func(o *object) {
		var g RequirementGroup
		var n ast.Node
		g.ID, n = o.id("id", true)
		pd.define(kindReqGroup, g.ID, n, join(o.path, "id"))
		var pn ast.Node
		g.Parent, pn = o.id("parent", false)
		if g.Parent != "" {
			// The parent must be a top-level group listed earlier: groups
			// nest one level deep and cannot form cycles.
			i := slices.IndexFunc(out, func(x RequirementGroup) bool { return x.ID == g.Parent })
			switch {
			case i < 0:
				pd.errorf(pn, join(o.path, "parent"), "undefined requirement group %q (a parent must be listed before its sub-groups)", g.Parent)
				g.Parent = ""
			case out[i].Parent != "":
				pd.errorf(pn, join(o.path, "parent"), "requirement group %q is itself a sub-group; groups nest one level deep", g.Parent)
				g.Parent = ""
			}
		}
		g.Name = o.text("name", true)
		g.Description = o.text("description", false)
		g.Source, g.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, g)
	})
	return out
}

func (pd *packDecoder) requirements(nodes []ast.Node) []Requirement {
	var out []Requirement
	pd.items(nodes, "requirements", func(o *object) {
		var r Requirement
		var n ast.Node
		r.ID, n = o.id("id", true)
		pd.define(kindReq, r.ID, n, join(o.path, "id"))
		var gn ast.Node
		r.Group, gn = o.id("group", true)
		pd.refer(kindReqGroup, r.Group, gn, join(o.path, "group"))
		r.Title = o.text("title", true)
		r.Guidance = o.text("guidance", false)
		if ln := o.get("min_level", true); ln != nil {
			r.MinLevel, _ = pd.level(ln, join(o.path, "min_level"))
		}
		r.MaxLevel = 5
		if xn := o.get("max_level", false); xn != nil {
			p := join(o.path, "max_level")
			if l, ok := pd.level(xn, p); ok {
				if r.MinLevel > 0 && l < r.MinLevel {
					pd.errorf(xn, p, "max_level %d is below min_level %d", l, r.MinLevel)
				} else {
					r.MaxLevel = l
				}
			}
		}
		pd.levelMap(o, "tcvn", r.MinLevel, r.MaxLevel, func(level int, v ast.Node, path string) {
			c := pd.str(v, path)
			if c == "" {
				return
			}
			if !clausePattern.MatchString(c) {
				pd.errorf(v, path, "%q is not a clause number (digits separated by dots, e.g. \"7.1.5.8\")", c)
				return
			}
			if r.TCVN == nil {
				r.TCVN = map[int]string{}
			}
			r.TCVN[level] = c
		})
		pd.levelMap(o, "notes", r.MinLevel, r.MaxLevel, func(level int, v ast.Node, path string) {
			t := pd.object(v, path)
			tx := Text{VI: t.str("vi", true), EN: t.str("en", true)}
			t.close()
			if r.Notes == nil {
				r.Notes = map[int]Text{}
			}
			r.Notes[level] = tx
		})
		r.Source, r.Confirmation = pd.sourceAndConfirmation(o)
		out = append(out, r)
	})
	return out
}

// levelMap reads a mapping keyed by level ({3: …, 4: …}); each level must
// be 1–5, given once, not below minLevel (when minLevel is known) and not
// above maxLevel.
func (pd *packDecoder) levelMap(o *object, key string, minLevel, maxLevel int, read func(level int, v ast.Node, path string)) {
	n := o.get(key, false)
	if n == nil {
		return
	}
	path := join(o.path, key)
	var entries []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		entries = v.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{v}
	default:
		pd.errorf(n, path, "want a mapping of levels, got %s", describe(n))
		return
	}
	if len(entries) == 0 {
		pd.errorf(n, path, "empty mapping")
		return
	}
	seen := map[int]bool{}
	for _, e := range entries {
		if e == nil || e.Key == nil {
			continue
		}
		k := resolve(e.Key)
		if _, isInt := k.(*ast.IntegerNode); !isInt {
			pd.errorf(k, path, "keys must be levels 1–5, got %s", describe(k))
			continue
		}
		l, ok := pd.level(k, path)
		if !ok {
			continue
		}
		p := fmt.Sprintf("%s.%d", path, l)
		switch {
		case seen[l]:
			pd.errorf(k, p, "level %d is given twice", l)
			continue
		case minLevel > 0 && l < minLevel:
			pd.errorf(k, p, "level %d is below min_level %d", l, minLevel)
			continue
		case l > maxLevel:
			pd.errorf(k, p, "level %d is above max_level %d", l, maxLevel)
			continue
		}
		seen[l] = true
		v := resolve(e.Value)
		if v == nil {
			pd.errorf(k, p, "missing value")
			continue
		}
		if _, null := v.(*ast.NullNode); null {
			pd.errorf(k, p, "missing value")
			continue
		}
		read(l, v, p)
	}
}
