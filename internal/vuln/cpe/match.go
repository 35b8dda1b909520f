package cpe

import "strings"

// Relation is how a source attribute value relates to a target's (NISTIR
// 7696 §6.1.2, Table 6-2).
type Relation uint8

// The relations. A name matches when every attribute is Superset or Equal.
const (
	Disjoint Relation = iota
	Subset
	Superset
	Equal
	Undefined
)

// String returns NISTIR 7696's name of the relation ("SUPERSET").
func (r Relation) String() string {
	switch r {
	case Disjoint:
		return "DISJOINT"
	case Subset:
		return "SUBSET"
	case Superset:
		return "SUPERSET"
	case Equal:
		return "EQUAL"
	}
	return "UNDEFINED"
}

// Compare returns the relation of source attribute value src to target
// value tgt, both canonical values as Parse writes them. version makes
// two plain values compare with CompareVersion instead of as text.
//
//	source \ target   Any       NA        value     wildcards
//	Any               Equal     Superset  Superset  Undefined
//	NA                Subset    Equal     Disjoint  Undefined
//	value             Subset    Disjoint  Equal or Disjoint   Undefined
//	wildcards         Subset    Disjoint  Superset or Disjoint  Undefined
func Compare(src, tgt string, version bool) Relation {
	if src == "" {
		src = Any
	}
	if tgt == "" {
		tgt = Any
	}
	if tgt != Any && tgt != NA && wild(tgt) {
		return Undefined
	}
	switch src {
	case Any:
		if tgt == Any {
			return Equal
		}
		return Superset
	case NA:
		switch tgt {
		case Any:
			return Subset
		case NA:
			return Equal
		}
		return Disjoint
	}
	switch tgt {
	case Any:
		return Subset
	case NA:
		return Disjoint
	}
	if wild(src) {
		if globMatch(src, Unquote(tgt)) {
			return Superset
		}
		return Disjoint
	}
	if version {
		if CompareVersion(Unquote(src), Unquote(tgt)) == 0 {
			return Equal
		}
		return Disjoint
	}
	if src == tgt {
		return Equal
	}
	return Disjoint
}

// Match reports whether source matches target as NISTIR 7696's name
// comparison has it: every attribute of source Superset of or Equal to
// target's (versions compared with CompareVersion).
func Match(source, target Name) bool {
	s, t := source.attrs(), target.attrs()
	for i := range s {
		switch Compare(*s[i], *t[i], i == 3) {
		case Superset, Equal:
		default:
			return false
		}
	}
	return true
}

// pattern is a value with wildcards taken apart: "*" or n "?" before and
// after the unquoted body.
type pattern struct {
	preStar, postStar bool
	preQ, postQ       int
	body              string
}

// parsePattern takes v, a canonical value, apart.
func parsePattern(v string) pattern {
	var p pattern
	i := 0
	if strings.HasPrefix(v, "*") {
		p.preStar, i = true, 1
	} else {
		for i < len(v) && v[i] == '?' {
			p.preQ++
			i++
		}
	}
	end := len(v)
	// The body ends where an unquoted trailing wildcard run begins.
	var body strings.Builder
	for k := i; k < end; k++ {
		c := v[k]
		if c == '\\' && k+1 < end {
			k++
			body.WriteByte(v[k])
			continue
		}
		if c == '*' {
			p.postStar = true
			break
		}
		if c == '?' {
			p.postQ = end - k
			break
		}
		body.WriteByte(c)
	}
	p.body = body.String()
	return p
}

// wild reports whether v, a canonical value, has an unquoted wildcard.
func wild(v string) bool {
	if v == Any || v == NA {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// globMatch reports whether the wildcard value src matches text t: "*"
// any run of characters, each "?" exactly one (NISTIR 7696 §6.1.2).
func globMatch(src, t string) bool {
	p := parsePattern(src)
	for start := 0; start+len(p.body) <= len(t); start++ {
		if t[start:start+len(p.body)] != p.body {
			continue
		}
		before, after := start, len(t)-start-len(p.body)
		if (p.preStar && before >= p.preQ || !p.preStar && before == p.preQ) &&
			(p.postStar && after >= p.postQ || !p.postStar && after == p.postQ) {
			return true
		}
	}
	return false
}

// Criterion is one cpeMatch of an NVD configuration: match criteria and
// the version bounds NVD gives with it ("" when not given).
type Criterion struct {
	Name                  Name
	VersionStartIncluding string
	VersionStartExcluding string
	VersionEndIncluding   string
	VersionEndExcluding   string
}

// Bounded reports whether c has a version bound.
func (c Criterion) Bounded() bool {
	return c.VersionStartIncluding != "" || c.VersionStartExcluding != "" || c.VersionEndIncluding != "" ||
		c.VersionEndExcluding != ""
}

// Matches reports whether target meets c: c's name matches target (Match)
// and, when c has version bounds, target's version is a value within them
// (compared with CompareVersion; a target of Any or NA version is in no
// range).
func (c Criterion) Matches(target Name) bool {
	// The vendor and product first: they decide almost every comparison.
	if c.Name.Vendor != target.Vendor && Compare(c.Name.Vendor, target.Vendor, false) < Superset ||
		c.Name.Product != target.Product && Compare(c.Name.Product, target.Product, false) < Superset {
		return false
	}
	if !Match(c.Name, target) {
		return false
	}
	if !c.Bounded() {
		return true
	}
	v := target.Version
	if v == "" || v == Any || v == NA || wild(v) {
		return false
	}
	v = Unquote(v)
	switch {
	case c.VersionStartIncluding != "" && CompareVersion(v, c.VersionStartIncluding) < 0,
		c.VersionStartExcluding != "" && CompareVersion(v, c.VersionStartExcluding) <= 0,
		c.VersionEndIncluding != "" && CompareVersion(v, c.VersionEndIncluding) > 0,
		c.VersionEndExcluding != "" && CompareVersion(v, c.VersionEndExcluding) >= 0:
		return false
	}
	return true
}
