package detect

import (
	"embed"
	"fmt"
	"slices"
	"strconv"

	"khien.vn/khien/internal/detect/sigma"
)

// builtinRules is Khiên's own rule pack: rules written for Khiên, aimed at
// ransomware and its precursors, each with golden test events.
//
//go:embed rules/khien/*.yml
var builtinRules embed.FS

// BuiltinRules returns Khiên's own rule pack.
func BuiltinRules() ([]*sigma.Rule, error) {
	return sigma.LoadFS(builtinRules, "rules/khien")
}

// TestsKey is the rule key holding a rule's golden test events (a custom
// Sigma attribute): {match: [event…], no_match: [event…]}, each event a map
// of field to value.
const TestsKey = "khien_tests"

// RuleTest is the outcome of one golden test event.
type RuleTest struct {
	Rule  *sigma.Rule
	Want  bool // the rule must fire (match) or must not (no_match)
	Event map[string]string
	Got   bool
	Err   string // a malformed test
}

// Passed reports whether the rule did what the test says.
func (t RuleTest) Passed() bool { return t.Err == "" && t.Got == t.Want }

func (t RuleTest) String() string {
	state := "PASS"
	if !t.Passed() {
		state = "FAIL"
	}
	want := "match"
	if !t.Want {
		want = "no match"
	}
	if t.Err != "" {
		return fmt.Sprintf("%s %s (%s): %s", state, t.Rule.Title, t.Rule.ID, t.Err)
	}
	return fmt.Sprintf("%s %s (%s): want %s on %v", state, t.Rule.Title, t.Rule.ID, want, t.Event)
}

// RunRuleTests runs the golden test events of every rule that has them
// against the engine (compiled from the same rules): each match event must
// fire its rule, each no_match event must not. Rules without tests are
// counted in untested.
func (e *Engine) RunRuleTests() (results []RuleTest, untested []*sigma.Rule) {
	m := e.NewMatcher()
	for idx, r := range e.rules {
		raw, ok := r.Custom[TestsKey]
		if !ok {
			untested = append(untested, r)
			continue
		}
		spec, ok := raw.(map[string]any)
		if !ok {
			results = append(results, RuleTest{Rule: r, Err: TestsKey + " is not a map of match and no_match lists"})
			continue
		}
		for _, k := range []string{"match", "no_match"} {
			list, _ := spec[k].([]any)
			if spec[k] != nil && list == nil {
				results = append(results, RuleTest{Rule: r, Err: TestsKey + "." + k + " is not a list"})
				continue
			}
			for _, item := range list {
				t := RuleTest{Rule: r, Want: k == "match"}
				fields, err := testEvent(item)
				if err != nil {
					t.Err = fmt.Sprintf("%s.%s: %v", TestsKey, k, err)
					results = append(results, t)
					continue
				}
				t.Event = fields
				m.Reset(0)
				for name, v := range fields {
					m.Add(name, v)
				}
				t.Got = slices.Contains(m.Match(), idx)
				results = append(results, t)
			}
		}
		for k := range spec {
			if k != "match" && k != "no_match" {
				results = append(results, RuleTest{Rule: r, Err: fmt.Sprintf("%s: unknown key %q (match, no_match)", TestsKey, k)})
			}
		}
	}
	return results, untested
}

// testEvent turns a YAML map into event fields (scalars as text).
func testEvent(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("an event must be a map of fields, not %T", v)
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch y := x.(type) {
		case string:
			out[k] = y
		case int64:
			out[k] = strconv.FormatInt(y, 10)
		case uint64:
			out[k] = strconv.FormatUint(y, 10)
		case int:
			out[k] = strconv.Itoa(y)
		case float64:
			out[k] = strconv.FormatFloat(y, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(y)
		case nil:
		default:
			return nil, fmt.Errorf("field %s: %T is not a scalar", k, x)
		}
	}
	return out, nil
}
