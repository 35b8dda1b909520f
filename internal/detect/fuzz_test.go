package detect_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
)

// fuzzModifiers are the modifier chains FuzzMatcher tries.
var fuzzModifiers = []string{
	"", "|contains", "|startswith", "|endswith", "|contains|all", "|cased", "|contains|cased",
	"|re", "|re|i", "|contains|windash", "|base64offset|contains", "|wide|base64offset|contains",
	"|base64", "|neq", "|endswith|cased",
}

// FuzzMatcher compiles a one-field rule from a fuzzed value and modifier
// chain and checks the engine (automata, triggers, prefilters) against the
// naive evaluator on a fuzzed event value, alone and as a keyword.
func FuzzMatcher(f *testing.F) {
	f.Add(uint8(1), `vssadmin*delete`, `cmd /c VSSADMIN.exe delete shadows`)
	f.Add(uint8(7), `(?i)invoke-\w+`, `Invoke-Mimikatz`)
	f.Add(uint8(8), `Get-[A-Z]+Item`, `get-childitem`)
	f.Add(uint8(9), ` -enc `, ` /enc `)
	f.Add(uint8(0), `*\cmd.exe`, `C:\cmd.exe`)
	f.Add(uint8(3), `ſystem`, `SYSTEM`)
	mapping := testMapping(f)
	f.Fuzz(func(t *testing.T, mod uint8, value, ev string) {
		if len(value) > 200 || len(ev) > 1000 {
			return
		}
		mods := fuzzModifiers[int(mod)%len(fuzzModifiers)]
		for _, field := range []string{"Field", ""} {
			fm := sigma.FieldMatch{Field: field}
			for _, m := range splitMods(mods) {
				fm.Modifiers = append(fm.Modifiers, sigma.Modifier(m))
			}
			fm.Values = []sigma.Value{{Kind: sigma.String, Raw: value}}
			rule := &sigma.Rule{Title: "fuzz", LogSource: sigma.LogSource{Product: "test"},
				Detection: &sigma.Detection{
					Searches:   []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{fm}}}},
					Conditions: []sigma.Expr{&sigma.Ref{Name: "sel"}},
				}}
			eng, problems, err := detect.Compile([]*sigma.Rule{rule}, detect.Options{Mapping: mapping})
			if err != nil {
				t.Fatal(err)
			}
			if len(eng.Rules()) == 0 {
				_ = problems // a value the modifiers cannot take (bad regexp …)
				continue
			}
			fast, naive := eng.NewMatcher(), eng.NewNaiveMatcher()
			for _, m := range []*detect.Matcher{fast, naive} {
				m.Reset(0)
				m.Add("Field", ev)
				m.Add("Other", strconv.Itoa(len(ev)))
			}
			if got, want := fast.Match(), naive.Match(); !slices.Equal(got, want) {
				t.Fatalf("field %q%s: %q on %q: engine %v, naive %v", field, mods, value, ev, got, want)
			}
		}
	})
}

func splitMods(s string) []string {
	var out []string
	for _, m := range bytesSplit(s) {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

func bytesSplit(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '|' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

var _ = fmt.Sprint
