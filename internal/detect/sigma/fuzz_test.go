package sigma_test

import (
	"errors"
	"testing"

	"khien.vn/khien/internal/detect/sigma"
)

// fuzzSeeds are rule files for the fuzzers to start from.
var fuzzSeeds = []string{
	rule("    selection:\n        Image|endswith: '\\whoami.exe'\n        CommandLine|contains|all:\n            - ' /priv'\n            - ' /all'\n    filter_main:\n        User|startswith: 'NT AUTHORITY'\n    condition: selection and not 1 of filter_*\n"),
	rule("    keywords:\n        - 'event::clear'\n        - 4688\n    '|contains': x\n    condition: keywords\n"),
	rule("    sel:\n        - A|re|i: '^a.*'\n        - B|cidr: 10.0.0.0/8\n          C|gte: 5\n          D|exists: true\n    condition:\n        - all of them\n        - sel\n    timeframe: 5m\n"),
	rule("    sel:\n        A|base64offset|contains: x\n        B|wide|base64offset|contains: y\n        C|fieldref: D\n        E|expand: '%Admins%'\n        F: null\n        G: ~\n    condition: sel | count() > 5\n"),
	"title: C\ncorrelation:\n    type: value_count\n    rules: [a, b]\n    group-by: [Host]\n    timespan: 1d\n    condition:\n        field: User\n        gt: 100\n    aliases:\n        ip:\n            a: src\n            b: dst\n",
	"title: A\nname: a\nlogsource: {product: x}\ndetection: {sel: {A: 1}, condition: sel}\n---\n---\ntitle: T\ncorrelation: {type: temporal_ordered, rules: [a], timespan: 5m}\ngenerate: true\n",
	"action: global\ntitle: x\n---\nlogsource: {product: y}\n",
	"title: &t x\nid: *t\nlogsource:\n  <<: {product: y}\ndetection:\n  sel: !!str 1\n  condition: sel\n",
	"description: |\n    text\n      more\n\nfoo: >\n  folded\n",
	"a: 'b''c'\nd: \"e\\tf\\\\\"\n- x\n",
}

// FuzzParse checks that Parse never panics and that what it returns is
// consistent: each rule has a Detection or a Correlation, conditions
// name only existing searches, and every error is an *Error.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := sigma.Parse(data, "fuzz.yml")
		for _, e := range unjoin(err) {
			var se *sigma.Error
			if !errors.As(e, &se) {
				t.Fatalf("error %v is not a *sigma.Error", e)
			}
			if se.Reason == "" {
				t.Fatalf("error without a reason: %#v", se)
			}
		}
		for _, r := range rules {
			if (r.Detection == nil) == (r.Correlation == nil) {
				t.Fatalf("rule %q: Detection %v, Correlation %v", r.Title, r.Detection, r.Correlation)
			}
			if r.Title == "" {
				t.Fatal("rule without a title")
			}
			if c := r.Correlation; c != nil {
				if len(c.Rules) == 0 || c.Timespan <= 0 || c.Type == "" {
					t.Fatalf("invalid correlation accepted: %+v", c)
				}
				continue
			}
			d := r.Detection
			if len(d.Conditions) == 0 {
				t.Fatal("detection without a condition")
			}
			for _, s := range d.Searches {
				if len(s.Alternatives) == 0 {
					t.Fatalf("search %q has no alternative", s.Name)
				}
				for _, alt := range s.Alternatives {
					if len(alt) == 0 {
						t.Fatalf("search %q has an empty alternative", s.Name)
					}
					for _, fm := range alt {
						if len(fm.Values) == 0 {
							t.Fatalf("search %q: field %q has no value", s.Name, fm.Field)
						}
					}
				}
			}
			for _, c := range d.Conditions {
				checkRefs(t, d, c)
			}
		}
	})
}

func checkRefs(t *testing.T, d *sigma.Detection, e sigma.Expr) {
	switch x := e.(type) {
	case *sigma.And:
		for _, c := range x.X {
			checkRefs(t, d, c)
		}
	case *sigma.Or:
		for _, c := range x.X {
			checkRefs(t, d, c)
		}
	case *sigma.Not:
		checkRefs(t, d, x.X)
	case *sigma.Ref:
		if d.Search(x.Name) == nil {
			t.Fatalf("condition names missing search %q", x.Name)
		}
	case *sigma.Of:
		if len(d.Match(x.Pattern)) == 0 {
			t.Fatalf("condition pattern %q matches nothing", x.Pattern)
		}
	default:
		t.Fatalf("unexpected node %T", e)
	}
}

// FuzzParseCondition checks that ParseCondition never panics and that a
// parsed condition, printed with FormatCondition, reads back the same.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"selection",
		"selection and not filter",
		"1 of selection_* and not 1 of filter_*",
		"all of them",
		"(a or b) and not (c and d) or e",
		"not not a",
		"ANY of x* or All OF them",
		"sel | count() by User > 5",
		"((((a))))",
		"a and (b and (c or d))",
		"sel-1 or sel.2 or _x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := sigma.ParseCondition(s)
		if err != nil {
			var se *sigma.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *sigma.Error", err)
			}
			return
		}
		out := sigma.FormatCondition(e)
		e2, err := sigma.ParseCondition(out)
		if err != nil {
			t.Fatalf("FormatCondition(ParseCondition(%q)) = %q does not parse: %v", s, out, err)
		}
		if a, b := sexpr(e), sexpr(e2); a != b {
			t.Fatalf("round trip of %q through %q: %s != %s", s, out, a, b)
		}
	})
}
