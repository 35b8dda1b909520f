package detect_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/detect"
)

// TestBuiltinRules loads Khiên's own rule pack: every rule loads without
// a caveat, has golden tests, and passes them.
func TestBuiltinRules(t *testing.T) {
	rules, err := detect.BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 12 {
		t.Fatalf("%d built-in rules, want at least 12", len(rules))
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("built-in rule: %s", p)
	}
	results, untested := eng.RunRuleTests()
	for _, r := range untested {
		t.Errorf("built-in rule %s (%s) has no %s", r.Title, r.ID, detect.TestsKey)
	}
	var match, noMatch int
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
		if r.Want {
			match++
		} else {
			noMatch++
		}
	}
	t.Logf("%d rules, %d match and %d no-match golden events", len(rules), match, noMatch)
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		ids[r.ID] = true
		if r.Level == "" || !strings.Contains(r.Description, "/") && len(r.Description) < 40 {
			t.Errorf("%s: level and a bilingual description are required", r.Title)
		}
	}
}

// TestRuleTestsCatchFailures checks that a wrong golden test fails.
func TestRuleTestsCatchFailures(t *testing.T) {
	det := "    sel:\n        Image|endswith: '\\cmd.exe'"
	eng := compileOne(t, det, "sel\nkhien_tests:\n    match:\n        - {Image: 'C:\\notepad.exe'}\n    no_match:\n        - {Image: 'C:\\cmd.exe'}\n    bogus: []", detect.Options{})
	results, _ := eng.RunRuleTests()
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d failed results, want 3 (wrong match, wrong no_match, unknown key): %v", failed, results)
	}
}
