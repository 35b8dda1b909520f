package sigma

import (
	"fmt"
	"net/netip"
	"strings"
)

// modClass groups modifiers by what they do, for the combination rules.
type modClass uint8

const (
	classGeneric  modClass = iota // all, cased, neq
	classPosition                 // contains, startswith, endswith
	classEncoding                 // base64, base64offset
	classUTF16                    // utf16le, utf16be, utf16, wide
	classWindash                  // windash
	classRegexp                   // re
	classReFlag                   // i, m, s
	classNumeric                  // lt, lte, gt, gte
	classCIDR                     // cidr
	classExists                   // exists
	classFieldRef                 // fieldref
	classExpand                   // expand
)

var modifiers = map[string]modClass{
	string(ModAll):          classGeneric,
	string(ModCased):        classGeneric,
	string(ModNeq):          classGeneric,
	string(ModContains):     classPosition,
	string(ModStartsWith):   classPosition,
	string(ModEndsWith):     classPosition,
	string(ModBase64):       classEncoding,
	string(ModBase64Offset): classEncoding,
	string(ModUTF16LE):      classUTF16,
	string(ModUTF16BE):      classUTF16,
	string(ModUTF16):        classUTF16,
	string(ModWide):         classUTF16,
	string(ModWindash):      classWindash,
	string(ModRe):           classRegexp,
	string(ModReI):          classReFlag,
	string(ModReM):          classReFlag,
	string(ModReS):          classReFlag,
	string(ModLT):           classNumeric,
	string(ModLTE):          classNumeric,
	string(ModGT):           classNumeric,
	string(ModGTE):          classNumeric,
	string(ModCIDR):         classCIDR,
	string(ModExists):       classExists,
	string(ModFieldRef):     classFieldRef,
	string(ModExpand):       classExpand,
}

// unsupportedModifiers are modifiers of the specification (or of pySigma)
// that this package does not represent.
var unsupportedModifiers = map[string]string{
	"minute": "time modifier",
	"hour":   "time modifier",
	"day":    "time modifier",
	"week":   "time modifier",
	"month":  "time modifier",
	"year":   "time modifier",
}

// lookupModifier checks that name is a known modifier.
func lookupModifier(name string, line int, where string, p *problems) (Modifier, bool) {
	if _, ok := modifiers[name]; ok {
		return Modifier(name), true
	}
	if kind, ok := unsupportedModifiers[name]; ok {
		p.unsupported(line, "%s: %s %q is not supported", where, kind, name)
		return "", false
	}
	switch {
	case name == "":
		p.add(line, "%s: empty modifier (\"||\" or a trailing \"|\")", where)
	case isKnownModifier(strings.ToLower(name)):
		p.add(line, "%s: unknown modifier %q (modifiers are lower case: %q)", where, name, strings.ToLower(name))
	default:
		p.add(line, "%s: unknown modifier %q", where, name)
	}
	return "", false
}

func isKnownModifier(name string) bool {
	_, ok := modifiers[name]
	return ok
}

// checkFieldMatch validates the modifier chain of fm and its values
// against each other. It reports every problem and returns whether there
// was none.
func checkFieldMatch(fm *FieldMatch, line int, where string, p *problems) bool {
	before := len(p.list)
	bad := func(format string, args ...any) {
		p.add(line, "%s: %s", where, fmt.Sprintf(format, args...))
	}
	keyword := fm.Field == ""
	if len(fm.Modifiers) == 0 { // the usual case: any value but a null keyword
		for _, v := range fm.Values {
			if keyword && v.Kind == Null {
				bad("a keyword cannot be null")
				return false
			}
		}
		return true
	}

	// Positions of each modifier (-1 if absent) and counts per class.
	pos := map[Modifier]int{}
	var count [classExpand + 1]int
	for i, m := range fm.Modifiers {
		if _, dup := pos[m]; dup {
			bad("modifier %q appears twice", m)
			continue
		}
		pos[m] = i
		count[modifiers[string(m)]]++
	}
	if len(p.list) > before {
		return false
	}
	has := func(m Modifier) bool { _, ok := pos[m]; return ok }
	at := func(m Modifier) int {
		if i, ok := pos[m]; ok {
			return i
		}
		return -1
	}
	// others lists the modifiers of fm not in allowed.
	others := func(allowed ...Modifier) []string {
		var out []string
	next:
		for _, m := range fm.Modifiers {
			for _, a := range allowed {
				if m == a {
					continue next
				}
			}
			out = append(out, string(m))
		}
		return out
	}

	// Value kinds.
	var nulls, bools int
	for _, v := range fm.Values {
		switch v.Kind {
		case Null:
			nulls++
		case Bool:
			bools++
		}
	}
	if keyword && nulls > 0 {
		bad("a keyword cannot be null")
	}

	switch {
	case has(ModExists):
		if o := others(ModExists); len(o) > 0 {
			bad("exists cannot be combined with other modifiers (%s)", strings.Join(o, ", "))
		}
		if keyword {
			bad("exists needs a field name")
		}
		if len(fm.Values) != 1 || !isBoolValue(fm.Values[0]) {
			bad("exists takes a single value, true or false")
		}

	case count[classNumeric] > 0:
		if count[classNumeric] > 1 {
			bad("only one of lt, lte, gt, gte may be used")
		}
		if o := others(ModLT, ModLTE, ModGT, ModGTE, ModAll); len(o) > 0 {
			bad("numeric comparison cannot be combined with %s", strings.Join(o, ", "))
		}
		if keyword {
			bad("numeric comparison needs a field name")
		}
		for _, v := range fm.Values {
			if _, ok := v.Float(); !ok || v.Kind == Bool || v.Kind == Null {
				bad("numeric comparison needs numbers, got %q", v.Raw)
				break
			}
		}

	case has(ModCIDR):
		if o := others(ModCIDR, ModAll); len(o) > 0 {
			bad("cidr cannot be combined with %s", strings.Join(o, ", "))
		}
		if keyword {
			bad("cidr needs a field name")
		}
		for _, v := range fm.Values {
			if v.Kind != String {
				bad("cidr needs network strings such as 10.0.0.0/8, got %q", v.Raw)
				break
			}
			if !validCIDR(v.Raw) {
				bad("cidr: %q is not an IP network (such as 10.0.0.0/8 or fe80::/10) or address", v.Raw)
			}
		}

	case has(ModRe):
		if o := others(ModRe, ModReI, ModReM, ModReS, ModAll, ModNeq); len(o) > 0 {
			bad("re cannot be combined with %s", strings.Join(o, ", "))
		}
		if nulls+bools > 0 {
			bad("re needs regular expressions (strings)")
		}

	case has(ModFieldRef):
		if o := others(ModFieldRef, ModContains, ModStartsWith, ModEndsWith, ModAll, ModNeq, ModCased); len(o) > 0 {
			bad("fieldref cannot be combined with %s", strings.Join(o, ", "))
		}
		if keyword {
			bad("fieldref needs a field name")
		}
		for _, v := range fm.Values {
			if v.Kind != String || v.Raw == "" {
				bad("fieldref needs field names, got %q", v.Raw)
				break
			}
		}

	default:
		// String modifiers: position, encodings, windash, expand, plus
		// the generic all, cased, neq.
		stringMods := len(fm.Modifiers) - count[classGeneric] - count[classReFlag]
		if (stringMods > 0 || has(ModCased)) && nulls+bools > 0 {
			bad("modifiers %s need string values, not null or booleans", strings.Join(others(ModAll, ModNeq), ", "))
		}
		if keyword && has(ModNeq) {
			bad("neq needs a field name")
		}
		if has(ModExpand) {
			for _, v := range fm.Values {
				if v.Kind != String || !hasPlaceholder(v.Raw) {
					bad("expand: %q has no %%placeholder%%", v.Raw)
				}
			}
		}
	}

	// Rules on the chain that hold whatever the main modifier is.
	if count[classReFlag] > 0 {
		if !has(ModRe) {
			bad("regular expression flags (i, m, s) need the re modifier")
		} else {
			for _, f := range []Modifier{ModReI, ModReM, ModReS} {
				if has(f) && at(f) < at(ModRe) {
					bad("flag %q must come after re", f)
				}
			}
		}
	}
	if count[classPosition] > 1 {
		bad("only one of contains, startswith, endswith may be used")
	}
	if count[classEncoding] > 1 {
		bad("base64 and base64offset cannot be combined")
	}
	if count[classUTF16] > 1 {
		bad("only one of utf16le, utf16be, utf16, wide may be used")
	}
	enc := max(at(ModBase64), at(ModBase64Offset))
	if count[classUTF16] > 0 {
		for _, m := range fm.Modifiers {
			if modifiers[string(m)] == classUTF16 && (enc < 0 || at(m) > enc) {
				bad("%s must be followed by base64 or base64offset", m)
			}
		}
	}
	if has(ModBase64Offset) && !has(ModContains) {
		bad("base64offset needs contains (base64offset|contains)")
	}
	if enc >= 0 {
		for _, m := range []Modifier{ModContains, ModStartsWith, ModEndsWith} {
			if has(m) && at(m) < enc {
				bad("%s must come after %s", m, fm.Modifiers[enc])
			}
		}
		if has(ModWindash) && at(ModWindash) > enc {
			bad("windash must come before %s", fm.Modifiers[enc])
		}
		if has(ModExpand) && at(ModExpand) > enc {
			bad("expand must come before %s", fm.Modifiers[enc])
		}
	}
	return len(p.list) == before
}

// isBoolValue reports whether v is a boolean: YAML true/false, or the
// strings "true"/"false".
func isBoolValue(v Value) bool {
	switch v.Kind {
	case Bool:
		return true
	case String:
		return v.Raw == "true" || v.Raw == "false"
	}
	return false
}

// validCIDR reports whether s is an IP prefix (10.0.0.0/8, fe80::/10) or
// a single address.
func validCIDR(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// hasPlaceholder reports whether s holds a %name% placeholder that is
// not escaped with a backslash.
func hasPlaceholder(s string) bool {
	open := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped character
		case '%':
			if open >= 0 && i > open+1 {
				return true
			}
			open = i
		}
	}
	return false
}
