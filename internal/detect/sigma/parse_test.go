package sigma_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/errs"
)

// rule returns a minimal valid detection rule with the given detection
// section (indented by 4 spaces in the YAML below "detection:").
func rule(detection string) string {
	return "title: Test rule\nid: 7b4b4c66-1b0e-4d6f-8d6c-4e2a3c1c0001\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n" + detection
}

func str(s string) sigma.Value { return sigma.Value{Kind: sigma.String, Raw: s} }
func num(s string) sigma.Value { return sigma.Value{Kind: sigma.Number, Raw: s} }

func parseOne(t *testing.T, src string) *sigma.Rule {
	t.Helper()
	rules, err := sigma.Parse([]byte(src), "test.yml")
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	if len(rules) != 1 {
		t.Fatalf("Parse returned %d rules, want 1", len(rules))
	}
	return rules[0]
}

func TestParse_metadata(t *testing.T) {
	src := `title: Whoami Execution
id: 8a1c7c7e-0b2f-4a59-9d7e-000000000001
name: whoami_exec
status: test
description: |
    Detects whoami.
    Second line.
license: DRL-1.1
author: Someone, Someone Else
date: 2019-10-23
modified: 2024-01-02
references:
    - https://example.com/a
tags:
    - attack.discovery
    - attack.t1033
falsepositives: Admin activity
fields:
    - CommandLine
level: high
taxonomy: sigma
scope:
    - server
related:
    - id: 0f0b8b5b-7b3c-4c6b-9f6a-000000000002
      type: derived
logsource:
    product: windows
    category: process_creation
    service: security
    definition: Requires process auditing
    custom_attribute: kept out of LogSource
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
x_custom: 42
x_list: [a, 1, true, ~]
x_map:
    k: v
`
	r := parseOne(t, src)
	want := &sigma.Rule{
		Path:           "test.yml",
		ID:             "8a1c7c7e-0b2f-4a59-9d7e-000000000001",
		Name:           "whoami_exec",
		Title:          "Whoami Execution",
		Status:         "test",
		Description:    "Detects whoami.\nSecond line.\n",
		License:        "DRL-1.1",
		Author:         "Someone, Someone Else",
		Date:           "2019-10-23",
		Modified:       "2024-01-02",
		Level:          "high",
		Taxonomy:       "sigma",
		References:     []string{"https://example.com/a"},
		Tags:           []string{"attack.discovery", "attack.t1033"},
		FalsePositives: []string{"Admin activity"},
		Fields:         []string{"CommandLine"},
		Related:        []sigma.Related{{ID: "0f0b8b5b-7b3c-4c6b-9f6a-000000000002", Type: "derived"}},
		Scope:          []string{"server"},
		LogSource:      sigma.LogSource{Product: "windows", Category: "process_creation", Service: "security", Definition: "Requires process auditing"},
		Detection: &sigma.Detection{
			Searches: []*sigma.Search{{Name: "selection", Alternatives: [][]sigma.FieldMatch{{
				{Field: "Image", Modifiers: []sigma.Modifier{sigma.ModEndsWith}, Values: []sigma.Value{str(`\whoami.exe`)}},
			}}}},
			Conditions: []sigma.Expr{&sigma.Ref{Name: "selection"}},
		},
		Custom: map[string]any{
			"x_custom": int64(42),
			"x_list":   []any{"a", int64(1), true, nil},
			"x_map":    map[string]any{"k": "v"},
		},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("rule (-want +got):\n%s", diff)
	}
}

// TestParse_searches covers every accepted form of a search.
func TestParse_searches(t *testing.T) {
	tests := []struct {
		name      string
		detection string
		want      []*sigma.Search
	}{
		{
			name:      "map_is_one_alternative",
			detection: "    sel:\n        EventID: 4688\n        Image|endswith:\n            - '\\a.exe'\n            - '\\b.exe'\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "EventID", Values: []sigma.Value{num("4688")}},
				{Field: "Image", Modifiers: []sigma.Modifier{sigma.ModEndsWith}, Values: []sigma.Value{str(`\a.exe`), str(`\b.exe`)}},
			}}}},
		},
		{
			name:      "list_of_maps_is_or",
			detection: "    sel:\n        - Image|endswith: '\\a.exe'\n        - Description|contains: test\n          Product: x\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{
				{{Field: "Image", Modifiers: []sigma.Modifier{sigma.ModEndsWith}, Values: []sigma.Value{str(`\a.exe`)}}},
				{
					{Field: "Description", Modifiers: []sigma.Modifier{sigma.ModContains}, Values: []sigma.Value{str("test")}},
					{Field: "Product", Values: []sigma.Value{str("x")}},
				},
			}}},
		},
		{
			name:      "keyword_list",
			detection: "    keywords:\n        - 'event::clear'\n        - 4688\n    condition: keywords\n",
			want: []*sigma.Search{{Name: "keywords", Alternatives: [][]sigma.FieldMatch{{
				{Values: []sigma.Value{str("event::clear"), num("4688")}},
			}}}},
		},
		{
			name:      "single_keyword",
			detection: "    keyword: mimikatz\n    condition: keyword\n",
			want: []*sigma.Search{{Name: "keyword", Alternatives: [][]sigma.FieldMatch{{
				{Values: []sigma.Value{str("mimikatz")}},
			}}}},
		},
		{
			name:      "keywords_with_modifiers",
			detection: "    kw:\n        '|contains|all':\n            - foo\n            - bar\n    condition: kw\n",
			want: []*sigma.Search{{Name: "kw", Alternatives: [][]sigma.FieldMatch{{
				{Modifiers: []sigma.Modifier{sigma.ModContains, sigma.ModAll}, Values: []sigma.Value{str("foo"), str("bar")}},
			}}}},
		},
		{
			name:      "null_values",
			detection: "    sel:\n        A: null\n        B: ~\n        C:\n        D: ''\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "A", Values: []sigma.Value{{Kind: sigma.Null, Raw: "null"}}},
				{Field: "B", Values: []sigma.Value{{Kind: sigma.Null, Raw: "~"}}},
				{Field: "C", Values: []sigma.Value{{Kind: sigma.Null}}},
				{Field: "D", Values: []sigma.Value{str("")}},
			}}}},
		},
		{
			name:      "numbers_and_booleans_as_written",
			detection: "    sel:\n        A: 0x10\n        B: 1.50\n        C: '4688'\n        D: true\n        E: -3\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "A", Values: []sigma.Value{num("0x10")}},
				{Field: "B", Values: []sigma.Value{num("1.50")}},
				{Field: "C", Values: []sigma.Value{str("4688")}},
				{Field: "D", Values: []sigma.Value{{Kind: sigma.Bool, Raw: "true"}}},
				{Field: "E", Values: []sigma.Value{num("-3")}},
			}}}},
		},
		{
			name:      "escapes_kept",
			detection: "    sel:\n        A: 'C:\\Windows\\*'\n        B: \"tab\\there\"\n        C: 'a\\*b'\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "A", Values: []sigma.Value{str(`C:\Windows\*`)}},
				{Field: "B", Values: []sigma.Value{str("tab\there")}},
				{Field: "C", Values: []sigma.Value{str(`a\*b`)}},
			}}}},
		},
		{
			name:      "file_order_kept",
			detection: "    zeta: a\n    alpha: b\n    mid: c\n    condition: 1 of them\n",
			want: []*sigma.Search{
				{Name: "zeta", Alternatives: [][]sigma.FieldMatch{{{Values: []sigma.Value{str("a")}}}}},
				{Name: "alpha", Alternatives: [][]sigma.FieldMatch{{{Values: []sigma.Value{str("b")}}}}},
				{Name: "mid", Alternatives: [][]sigma.FieldMatch{{{Values: []sigma.Value{str("c")}}}}},
			},
		},
		{
			name: "modifier_chains",
			detection: "    sel:\n" +
				"        A|base64offset|contains: x\n" +
				"        B|wide|base64offset|contains: y\n" +
				"        C|re|i|m: '^a.*b$'\n" +
				"        D|cidr: 10.0.0.0/8\n" +
				"        E|gte: 5\n" +
				"        F|lt: '2.5'\n" +
				"        G|exists: false\n" +
				"        H|fieldref: TargetUser\n" +
				"        I|fieldref|contains: SourceUser\n" +
				"        J|contains|expand: '%Admins%'\n" +
				"        K|contains|windash: ' -enc '\n" +
				"        L|neq: x\n" +
				"        M|cased|startswith: Foo\n" +
				"        N|all: single\n" +
				"        O|utf16le|base64: z\n" +
				"        P|neq: null\n" +
				"        Q|windash|base64offset|contains: -e\n" +
				"        R|cidr: '::1'\n" +
				"    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "A", Modifiers: []sigma.Modifier{sigma.ModBase64Offset, sigma.ModContains}, Values: []sigma.Value{str("x")}},
				{Field: "B", Modifiers: []sigma.Modifier{sigma.ModWide, sigma.ModBase64Offset, sigma.ModContains}, Values: []sigma.Value{str("y")}},
				{Field: "C", Modifiers: []sigma.Modifier{sigma.ModRe, sigma.ModReI, sigma.ModReM}, Values: []sigma.Value{str("^a.*b$")}},
				{Field: "D", Modifiers: []sigma.Modifier{sigma.ModCIDR}, Values: []sigma.Value{str("10.0.0.0/8")}},
				{Field: "E", Modifiers: []sigma.Modifier{sigma.ModGTE}, Values: []sigma.Value{num("5")}},
				{Field: "F", Modifiers: []sigma.Modifier{sigma.ModLT}, Values: []sigma.Value{str("2.5")}},
				{Field: "G", Modifiers: []sigma.Modifier{sigma.ModExists}, Values: []sigma.Value{{Kind: sigma.Bool, Raw: "false"}}},
				{Field: "H", Modifiers: []sigma.Modifier{sigma.ModFieldRef}, Values: []sigma.Value{str("TargetUser")}},
				{Field: "I", Modifiers: []sigma.Modifier{sigma.ModFieldRef, sigma.ModContains}, Values: []sigma.Value{str("SourceUser")}},
				{Field: "J", Modifiers: []sigma.Modifier{sigma.ModContains, sigma.ModExpand}, Values: []sigma.Value{str("%Admins%")}},
				{Field: "K", Modifiers: []sigma.Modifier{sigma.ModContains, sigma.ModWindash}, Values: []sigma.Value{str(" -enc ")}},
				{Field: "L", Modifiers: []sigma.Modifier{sigma.ModNeq}, Values: []sigma.Value{str("x")}},
				{Field: "M", Modifiers: []sigma.Modifier{sigma.ModCased, sigma.ModStartsWith}, Values: []sigma.Value{str("Foo")}},
				{Field: "N", Modifiers: []sigma.Modifier{sigma.ModAll}, Values: []sigma.Value{str("single")}},
				{Field: "O", Modifiers: []sigma.Modifier{sigma.ModUTF16LE, sigma.ModBase64}, Values: []sigma.Value{str("z")}},
				{Field: "P", Modifiers: []sigma.Modifier{sigma.ModNeq}, Values: []sigma.Value{{Kind: sigma.Null, Raw: "null"}}},
				{Field: "Q", Modifiers: []sigma.Modifier{sigma.ModWindash, sigma.ModBase64Offset, sigma.ModContains}, Values: []sigma.Value{str("-e")}},
				{Field: "R", Modifiers: []sigma.Modifier{sigma.ModCIDR}, Values: []sigma.Value{str("::1")}},
			}}}},
		},
		{
			name:      "underscore_search_excluded_from_them",
			detection: "    sel: a\n    _private: b\n    condition: all of them and not _private\n",
			want: []*sigma.Search{
				{Name: "sel", Alternatives: [][]sigma.FieldMatch{{{Values: []sigma.Value{str("a")}}}}},
				{Name: "_private", Alternatives: [][]sigma.FieldMatch{{{Values: []sigma.Value{str("b")}}}}},
			},
		},
		{
			name:      "anchors_and_aliases",
			detection: "    sel:\n        A: &v [x, y]\n        B: *v\n    condition: sel\n",
			want: []*sigma.Search{{Name: "sel", Alternatives: [][]sigma.FieldMatch{{
				{Field: "A", Values: []sigma.Value{str("x"), str("y")}},
				{Field: "B", Values: []sigma.Value{str("x"), str("y")}},
			}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseOne(t, rule(tt.detection))
			if diff := cmp.Diff(tt.want, r.Detection.Searches); diff != "" {
				t.Errorf("searches (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_conditions(t *testing.T) {
	r := parseOne(t, rule("    sel: a\n    filter: b\n    condition:\n        - sel and not filter\n        - filter\n    timeframe: 30m\n"))
	want := []sigma.Expr{
		&sigma.And{X: []sigma.Expr{&sigma.Ref{Name: "sel"}, &sigma.Not{X: &sigma.Ref{Name: "filter"}}}},
		&sigma.Ref{Name: "filter"},
	}
	if diff := cmp.Diff(want, r.Detection.Conditions); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if r.Detection.Timeframe != 30*time.Minute {
		t.Errorf("timeframe = %v, want 30m", r.Detection.Timeframe)
	}
}

func TestParse_multiDocument(t *testing.T) {
	src := "---\n" + rule("    sel: a\n    condition: sel\n") + "---\n# an empty document\n---\n" +
		strings.Replace(rule("    sel: b\n    condition: sel\n"), "Test rule", "Second", 1) + "...\n"
	rules, err := sigma.Parse([]byte(src), "multi.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("got %d rules, want 2", len(rules))
	}
	if rules[0].Doc != 0 || rules[1].Doc != 2 || rules[1].Title != "Second" || rules[1].Path != "multi.yml" {
		t.Errorf("docs = %d %d, second = %q %q", rules[0].Doc, rules[1].Doc, rules[1].Title, rules[1].Path)
	}
}

// TestParse_badDocumentKeepsOthers checks that a bad document is
// reported and the good ones are still returned.
func TestParse_badDocumentKeepsOthers(t *testing.T) {
	good := rule("    sel: a\n    condition: sel\n")
	src := good + "---\ntitle: Broken\ndetection:\n    sel: a\n    condition: sel\n---\nfoo: [unclosed\n---\n" + good
	rules, err := sigma.Parse([]byte(src), "mixed.yml")
	if len(rules) != 2 {
		t.Fatalf("got %d rules, want 2", len(rules))
	}
	var got []string
	for _, e := range unjoin(err) {
		var se *sigma.Error
		if !errors.As(e, &se) {
			t.Fatalf("error %v is not a *sigma.Error", e)
		}
		got = append(got, se.Error())
	}
	want := []string{
		`mixed.yml:10: rule "Broken": logsource is missing`,
		`mixed.yml:15: document 2: invalid YAML: `,
	}
	if len(got) != len(want) {
		t.Fatalf("errors = %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestParse_emptyAndCommentOnly(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# just a comment\n", "---\n---\n", "---\n...\n"} {
		rules, err := sigma.Parse([]byte(src), "")
		if err != nil || len(rules) != 0 {
			t.Errorf("Parse(%q) = %d rules, %v; want none, no error", src, len(rules), err)
		}
	}
}

// TestParse_goccyEmptyDocumentBug checks that the documents after an
// empty one are read (goccy/go-yaml v1.19.2 drops them).
func TestParse_goccyEmptyDocumentBug(t *testing.T) {
	src := "---\n---\n" + rule("    sel: a\n    condition: sel\n")
	rules, err := sigma.Parse([]byte(src), "")
	if err != nil || len(rules) != 1 || rules[0].Doc != 1 {
		t.Fatalf("got %d rules, %v; want the rule of document 1", len(rules), err)
	}
}

func TestParse_correlation(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *sigma.Correlation
	}{
		{
			name: "event_count",
			src:  "title: Many failed logins\ncorrelation:\n    type: event_count\n    rules:\n        - failed_login\n    group-by:\n        - ComputerName\n    timespan: 1h\n    condition:\n        gte: 100\n",
			want: &sigma.Correlation{Type: sigma.EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"ComputerName"},
				Timespan: time.Hour, Condition: &sigma.Threshold{Conds: []sigma.ThresholdCond{{Op: "gte", Value: 100}}}},
		},
		{
			name: "value_count_range",
			src:  "title: Many users\ncorrelation:\n    type: value_count\n    rules: [a, b]\n    group-by: [Host]\n    timespan: 1d\n    condition:\n        field: User\n        gt: 100\n        lte: 200\n",
			want: &sigma.Correlation{Type: sigma.ValueCount, Rules: []string{"a", "b"}, GroupBy: []string{"Host"},
				Timespan: 24 * time.Hour, Condition: &sigma.Threshold{Field: "User", Conds: []sigma.ThresholdCond{{Op: "gt", Value: 100}, {Op: "lte", Value: 200}}}},
		},
		{
			name: "temporal_with_aliases_and_generate",
			src: "title: Recon\ngenerate: true\ncorrelation:\n    type: temporal\n    rules:\n        - internal_error\n        - new_network_connection\n    group-by:\n        - internal_ip\n    timespan: 10s\n" +
				"    aliases:\n        internal_ip:\n            internal_error: destination.ip\n            new_network_connection: source.ip\n",
			want: &sigma.Correlation{Type: sigma.Temporal, Rules: []string{"internal_error", "new_network_connection"}, GroupBy: []string{"internal_ip"},
				Timespan: 10 * time.Second, Generate: true,
				Aliases: map[string]map[string]string{"internal_ip": {"internal_error": "destination.ip", "new_network_connection": "source.ip"}}},
		},
		{
			name: "temporal_ordered_generate_inside",
			src:  "title: Brute force then success\ncorrelation:\n    type: temporal_ordered\n    rules: [many_failed, success]\n    group-by: [User]\n    timespan: 2w\n    generate: false\n    condition:\n        eq: 2\n",
			want: &sigma.Correlation{Type: sigma.TemporalOrdered, Rules: []string{"many_failed", "success"}, GroupBy: []string{"User"},
				Timespan: 14 * 24 * time.Hour, Condition: &sigma.Threshold{Conds: []sigma.ThresholdCond{{Op: "eq", Value: 2}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseOne(t, tt.src)
			if r.Detection != nil {
				t.Error("Detection set on a correlation rule")
			}
			if diff := cmp.Diff(tt.want, r.Correlation); diff != "" {
				t.Errorf("correlation (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParse_correlationWithRules parses a file holding a correlation
// and the rules it refers to, as the specification's examples do.
func TestParse_correlationWithRules(t *testing.T) {
	src := "title: Failed logon\nname: failed_logon\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4625\n    condition: sel\n" +
		"---\ntitle: Many failed logons\ncorrelation:\n    type: event_count\n    rules: failed_logon\n    group-by: TargetUserName\n    timespan: 5m\n    condition:\n        gte: 10\nlevel: high\n"
	rules, err := sigma.Parse([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Detection == nil || rules[1].Correlation == nil {
		t.Fatalf("got %d rules", len(rules))
	}
	if c := rules[1].Correlation; c.Rules[0] != "failed_logon" || c.GroupBy[0] != "TargetUserName" || rules[1].Level != "high" {
		t.Errorf("correlation = %+v", c)
	}
}

// TestParse_errors covers every validation error. want is a substring of
// the error; unsupported says whether it is an unsupported feature.
func TestParse_errors(t *testing.T) {
	det := func(d string) string { return rule(d) }
	corr := func(c string) string { return "title: C\ncorrelation:\n" + c }
	tests := []struct {
		name        string
		src         string
		want        string
		unsupported bool
	}{
		// Documents and metadata.
		{"not_a_map", "- a\n- b\n", "document is a list, not a map", false},
		{"no_title", "logsource: {product: x}\ndetection:\n    sel: a\n    condition: sel\n", "title is missing", false},
		{"empty_title", strings.Replace(det("    sel: a\n    condition: sel\n"), "Test rule", "''", 1), "title is empty", false},
		{"title_list", strings.Replace(det("    sel: a\n    condition: sel\n"), "title: Test rule", "title: [a]", 1), "title must be a string, not a list", false},
		{"neither", "title: x\nlogsource: {product: x}\n", "neither detection nor correlation", false},
		{"both", det("    sel: a\n    condition: sel\n") + "correlation:\n    type: temporal\n", "either detection or correlation, not both", false},
		{"bad_status", det("    sel: a\n    condition: sel\n") + "status: beta\n", `status "beta" is not one of`, false},
		{"bad_level", det("    sel: a\n    condition: sel\n") + "level: severe\n", `level "severe" is not one of`, false},
		{"bad_related_type", det("    sel: a\n    condition: sel\n") + "related:\n    - id: x\n      type: cousin\n", `related[0]: type "cousin"`, false},
		{"related_no_id", det("    sel: a\n    condition: sel\n") + "related:\n    - type: derived\n", "related[0]: id is missing", false},
		{"tags_nested", det("    sel: a\n    condition: sel\n") + "tags:\n    - [a]\n", "tags[0] must be a string", false},
		{"no_logsource", "title: x\ndetection:\n    sel: a\n    condition: sel\n", "logsource is missing", false},
		{"logsource_scalar", "title: x\nlogsource: windows\ndetection:\n    sel: a\n    condition: sel\n", "logsource must be a map", false},
		{"legacy_collection", "action: global\ntitle: x\nlogsource: {product: windows}\n---\ndetection:\n    sel: a\n    condition: sel\n", "Sigma 1 rule collection (action: global)", true},
		{"filter_document", "title: f\nlogsource: {product: windows}\nfilter:\n    rules: [x]\n    selection: {User: a}\n    condition: not selection\n", "Sigma filter documents", true},
		{"invalid_yaml", "title: x\n  bad: indentation\n", "invalid YAML", false},
		{"duplicate_key", "title: x\ntitle: y\n", "invalid YAML", false},
		{"unknown_alias", "title: *nope\n", "alias *nope refers to no anchor", false},
		{"unsupported_tag", "title: !custom x\n", `unsupported YAML tag "!custom"`, false},

		// Detection structure.
		{"detection_list", "title: x\nlogsource: {product: x}\ndetection:\n    - a\n", "detection must be a map", false},
		{"no_condition", det("    sel: a\n"), "condition is missing", false},
		{"condition_number", det("    sel: a\n    condition: 5\n"), "condition must be a string or a list of strings, not a number", false},
		{"condition_empty_list", det("    sel: a\n    condition: []\n"), "condition is an empty list", false},
		{"condition_syntax", det("    sel: a\n    condition: sel and\n"), `condition "sel and": unexpected end of condition at column 8`, false},
		{"condition_unknown_ref", det("    sel: a\n    condition: sel and filter\n"), `condition names "filter", which is not a search`, false},
		{"condition_pattern_no_match", det("    sel: a\n    condition: sel and not 1 of filter*\n"), `pattern "filter*" matches no search`, false},
		{"condition_them_only_underscore", det("    _sel: a\n    condition: 1 of them\n"), `"of them" but the rule has no search`, false},
		{"aggregation", det("    sel: a\n    condition: sel | count() by User > 5\n    timeframe: 5m\n"), "Sigma 1 aggregation", true},
		{"timeframe_bad", det("    sel: a\n    condition: sel\n    timeframe: 5 minutes\n"), `timeframe: "5 minutes" is not a time span`, false},
		{"timeframe_zero", det("    sel: a\n    condition: sel\n    timeframe: 0s\n"), "must be greater than zero", false},
		{"timeframe_month", det("    sel: a\n    condition: sel\n    timeframe: 1M\n"), "calendar units", true},
		{"search_null", det("    sel:\n    condition: sel\n"), "sel: search is empty (null)", false},
		{"search_empty_list", det("    sel: []\n    condition: sel\n"), "sel: empty list", false},
		{"search_empty_map", det("    sel: {}\n    condition: sel\n"), "sel: empty map", false},
		{"search_mixed_list", det("    sel:\n        - a\n        - B: c\n    condition: sel\n"), "list mixes maps and values", false},
		{"search_nested_list", det("    sel:\n        - [a, b]\n    condition: sel\n"), "a list inside a list", false},
		{"keyword_null", det("    sel:\n        - a\n        - ~\n    condition: sel\n"), "a keyword cannot be null", false},
		{"value_empty_list", det("    sel:\n        A: []\n    condition: sel\n"), "empty list of values", false},
		{"value_nested_list", det("    sel:\n        A:\n            - [a]\n    condition: sel\n"), "a value must be a scalar, not a list", false},
		{"value_map", det("    sel:\n        A:\n            B: c\n    condition: sel\n"), "value must be a scalar or a list of scalars, not a map", false},

		// Modifiers.
		{"unknown_modifier", det("    sel:\n        A|contain: x\n    condition: sel\n"), `unknown modifier "contain"`, false},
		{"modifier_case", det("    sel:\n        A|Contains: x\n    condition: sel\n"), `modifiers are lower case: "contains"`, false},
		{"empty_modifier", det("    sel:\n        A||contains: x\n    condition: sel\n"), "empty modifier", false},
		{"trailing_pipe", det("    sel:\n        A|: x\n    condition: sel\n"), "empty modifier", false},
		{"time_modifier", det("    sel:\n        A|hour: 3\n    condition: sel\n"), `time modifier "hour"`, true},
		{"duplicate_modifier", det("    sel:\n        A|contains|contains: x\n    condition: sel\n"), `modifier "contains" appears twice`, false},
		{"two_positions", det("    sel:\n        A|contains|endswith: x\n    condition: sel\n"), "only one of contains, startswith, endswith", false},
		{"re_flag_without_re", det("    sel:\n        A|i: x\n    condition: sel\n"), "need the re modifier", false},
		{"re_flag_before_re", det("    sel:\n        A|i|re: x\n    condition: sel\n"), `flag "i" must come after re`, false},
		{"re_with_contains", det("    sel:\n        A|re|contains: x\n    condition: sel\n"), "re cannot be combined with contains", false},
		{"re_with_cased", det("    sel:\n        A|re|cased: x\n    condition: sel\n"), "re cannot be combined with cased", false},
		{"re_with_windash", det("    sel:\n        A|windash|re: x\n    condition: sel\n"), "re cannot be combined with windash", false},
		{"re_null", det("    sel:\n        A|re: ~\n    condition: sel\n"), "re needs regular expressions", false},
		{"base64offset_without_contains", det("    sel:\n        A|base64offset: x\n    condition: sel\n"), "base64offset needs contains", false},
		{"contains_before_base64", det("    sel:\n        A|contains|base64: x\n    condition: sel\n"), "contains must come after base64", false},
		{"base64_and_offset", det("    sel:\n        A|base64|base64offset|contains: x\n    condition: sel\n"), "base64 and base64offset cannot be combined", false},
		{"utf16_without_base64", det("    sel:\n        A|utf16le: x\n    condition: sel\n"), "utf16le must be followed by base64", false},
		{"wide_after_base64", det("    sel:\n        A|base64|wide: x\n    condition: sel\n"), "wide must be followed by base64", false},
		{"two_utf16", det("    sel:\n        A|utf16le|wide|base64: x\n    condition: sel\n"), "only one of utf16le, utf16be, utf16, wide", false},
		{"windash_after_base64", det("    sel:\n        A|base64offset|windash|contains: x\n    condition: sel\n"), "windash must come before base64offset", false},
		{"numeric_string", det("    sel:\n        A|gt: abc\n    condition: sel\n"), `numeric comparison needs numbers, got "abc"`, false},
		{"numeric_bool", det("    sel:\n        A|gt: true\n    condition: sel\n"), "numeric comparison needs numbers", false},
		{"numeric_with_contains", det("    sel:\n        A|gt|contains: 5\n    condition: sel\n"), "numeric comparison cannot be combined with contains", false},
		{"two_numeric", det("    sel:\n        A|gt|lt: 5\n    condition: sel\n"), "only one of lt, lte, gt, gte", false},
		{"numeric_keyword", det("    sel:\n        '|gt': 5\n    condition: sel\n"), "numeric comparison needs a field name", false},
		{"exists_with_other", det("    sel:\n        A|exists|contains: true\n    condition: sel\n"), "exists cannot be combined with other modifiers (contains)", false},
		{"exists_not_bool", det("    sel:\n        A|exists: yes\n    condition: sel\n"), "exists takes a single value, true or false", false},
		{"exists_list", det("    sel:\n        A|exists: [true, false]\n    condition: sel\n"), "exists takes a single value", false},
		{"exists_keyword", det("    sel:\n        '|exists': true\n    condition: sel\n"), "exists needs a field name", false},
		{"cidr_invalid", det("    sel:\n        A|cidr: 10.0.0/33\n    condition: sel\n"), `"10.0.0/33" is not an IP network`, false},
		{"cidr_number", det("    sel:\n        A|cidr: 10\n    condition: sel\n"), "cidr needs network strings", false},
		{"cidr_with_contains", det("    sel:\n        A|cidr|contains: 10.0.0.0/8\n    condition: sel\n"), "cidr cannot be combined with contains", false},
		{"fieldref_with_re", det("    sel:\n        A|fieldref|re: B\n    condition: sel\n"), "re cannot be combined with fieldref", false},
		{"fieldref_with_windash", det("    sel:\n        A|fieldref|windash: B\n    condition: sel\n"), "fieldref cannot be combined with windash", false},
		{"fieldref_number", det("    sel:\n        A|fieldref: 5\n    condition: sel\n"), "fieldref needs field names", false},
		{"fieldref_keyword", det("    sel:\n        '|fieldref': B\n    condition: sel\n"), "fieldref needs a field name", false},
		{"expand_no_placeholder", det("    sel:\n        A|expand: plain\n    condition: sel\n"), `expand: "plain" has no %placeholder%`, false},
		{"expand_escaped_placeholder", det("    sel:\n        A|expand: '\\%x%'\n    condition: sel\n"), "has no %placeholder%", false},
		{"contains_null", det("    sel:\n        A|contains: ~\n    condition: sel\n"), "need string values, not null or booleans", false},
		{"cased_bool", det("    sel:\n        A|cased: true\n    condition: sel\n"), "need string values", false},
		{"neq_keyword", det("    sel:\n        '|neq': x\n    condition: sel\n"), "neq needs a field name", false},

		// Correlations.
		{"corr_not_map", corr("    - a\n"), "correlation must be a map", false},
		{"corr_no_type", corr("    rules: [a]\n    timespan: 5m\n    condition: {gte: 1}\n"), "type is missing", false},
		{"corr_unknown_type", corr("    type: event_sum\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 1}\n"), `unknown type "event_sum"`, false},
		{"corr_metric_type", corr("    type: value_avg\n    rules: [a]\n    timespan: 5m\n    condition: {field: x, gte: 1}\n"), `correlation type "value_avg" is not supported`, true},
		{"corr_no_rules", corr("    type: temporal\n    timespan: 5m\n"), "rules is missing", false},
		{"corr_empty_rules", corr("    type: temporal\n    rules: []\n    timespan: 5m\n"), "rules is empty", false},
		{"corr_no_timespan", corr("    type: temporal\n    rules: [a]\n"), "timespan is missing", false},
		{"corr_zero_timespan", corr("    type: temporal\n    rules: [a]\n    timespan: 0m\n"), "greater than zero", false},
		{"corr_bad_timespan", corr("    type: temporal\n    rules: [a]\n    timespan: 5\n"), "timespan must be a time span", false},
		{"corr_bad_unit", corr("    type: temporal\n    rules: [a]\n    timespan: 5x\n"), `"5x" is not a time span`, false},
		{"corr_count_no_condition", corr("    type: event_count\n    rules: [a]\n    timespan: 5m\n"), "event_count needs a condition", false},
		{"corr_value_count_no_field", corr("    type: value_count\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 3}\n"), "value_count needs condition.field", false},
		{"corr_field_not_value_count", corr("    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {field: x, gte: 3}\n"), "condition.field is only for value_count", false},
		{"corr_unknown_op", corr("    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {more: 3}\n"), `unknown condition key "more"`, false},
		{"corr_no_op", corr("    type: value_count\n    rules: [a]\n    timespan: 5m\n    condition: {field: x}\n"), "condition has no comparison", false},
		{"corr_float", corr("    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 1.5}\n"), `condition gte must be an integer, not "1.5"`, false},
		{"corr_negative", corr("    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {gte: -1}\n"), "must not be negative", false},
		{"corr_unknown_key", corr("    type: temporal\n    rules: [a]\n    timespan: 5m\n    timeframe: 5m\n"), `correlation: unknown key "timeframe"`, false},
		{"corr_generate_twice", "title: C\ngenerate: true\ncorrelation:\n    type: temporal\n    rules: [a]\n    timespan: 5m\n    generate: true\n", "generate is given twice", false},
		{"corr_generate_string", "title: C\ngenerate: 'yes'\ncorrelation:\n    type: temporal\n    rules: [a]\n    timespan: 5m\n", "generate must be true or false", false},
		{"corr_extended_condition", corr("    type: temporal\n    rules: [a, b]\n    timespan: 5m\n    condition: a and not b\n"), "extended (boolean expression) conditions", true},
		{"corr_alias_scalar", corr("    type: temporal\n    rules: [a]\n    timespan: 5m\n    aliases:\n        ip: x\n"), "aliases: ip must map rule ids or names to fields", false},
		{"corr_several_fields", corr("    type: value_count\n    rules: [a]\n    timespan: 5m\n    condition: {field: [x, y], gte: 2}\n"), "several fields", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := sigma.Parse([]byte(tt.src), "bad.yml")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if len(rules) != 0 {
				t.Errorf("got %d rules with the error", len(rules))
			}
			var found *sigma.Error
			for _, e := range unjoin(err) {
				var se *sigma.Error
				if !errors.As(e, &se) {
					t.Fatalf("error %v is not a *sigma.Error", e)
				}
				if se.Path != "bad.yml" {
					t.Errorf("Path = %q", se.Path)
				}
				if strings.Contains(se.Reason, tt.want) {
					found = se
				}
			}
			if found == nil {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if found.Unsupported != tt.unsupported {
				t.Errorf("Unsupported = %v, want %v", found.Unsupported, tt.unsupported)
			}
			if tt.unsupported != errors.Is(found, errors.ErrUnsupported) || tt.unsupported == errors.Is(found, errs.ErrInvalid) {
				t.Errorf("errors.Is does not match Unsupported = %v", tt.unsupported)
			}
		})
	}
}

func TestError_Error(t *testing.T) {
	tests := []struct {
		err  sigma.Error
		want string
	}{
		{sigma.Error{Path: "r.yml", Line: 12, Title: "T", RuleID: "abc", Reason: "bad"}, `r.yml:12: rule "T" (id abc): bad`},
		{sigma.Error{Path: "r.yml", Title: "T", Reason: "bad"}, `r.yml: rule "T": bad`},
		{sigma.Error{Path: "r.yml", Doc: 3, RuleID: "abc", Reason: "bad"}, `r.yml: rule id abc: bad`},
		{sigma.Error{Path: "r.yml", Doc: 3, Reason: "bad"}, `r.yml: document 3: bad`},
		{sigma.Error{Line: 2, Reason: "bad", Unsupported: true}, `line 2: unsupported: bad`},
		{sigma.Error{Reason: "bad"}, `bad`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestValue_numbers(t *testing.T) {
	tests := []struct {
		v       sigma.Value
		i       int64
		iOK     bool
		f       float64
		fOK     bool
		comment string
	}{
		{num("4688"), 4688, true, 4688, true, "decimal"},
		{num("0x10"), 16, true, 16, true, "hex"},
		{num("0o17"), 15, true, 15, true, "octal"},
		{num("1_000"), 1000, true, 1000, true, "separators"},
		{num("-3"), -3, true, -3, true, "negative"},
		{num("1.5"), 0, false, 1.5, true, "float"},
		{str("42"), 42, true, 42, true, "numeric string"},
		{str("2.5e3"), 0, false, 2500, true, "float string"},
		{str("0x10"), 0, false, 0, false, "hex string is not a number"},
		{str("inf"), 0, false, 0, false, "inf string is not a number"},
		{str(""), 0, false, 0, false, "empty"},
		{sigma.Value{Kind: sigma.Bool, Raw: "true"}, 0, false, 0, false, "bool"},
	}
	for _, tt := range tests {
		i, iOK := tt.v.Int()
		f, fOK := tt.v.Float()
		if i != tt.i || iOK != tt.iOK || f != tt.f || fOK != tt.fOK {
			t.Errorf("%s: Int() = %d, %v; Float() = %g, %v", tt.comment, i, iOK, f, fOK)
		}
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// TestParse_hostileNesting checks that deeply nested YAML is refused
// (quickly: goccy/go-yaml's parser is quadratic in the nesting depth).
func TestParse_hostileNesting(t *testing.T) {
	var deepBlock, manyKeys strings.Builder
	for i := range 100 {
		deepBlock.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	for i := range 50000 {
		fmt.Fprintf(&manyKeys, "k%d: v\n", i)
	}
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"flow_70", "title: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n", "YAML nested more than 64 levels deep"},
		{"flow_100000", "title: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n", "more than 2048 flow collections"},
		{"flow_many_documents", strings.Repeat("a: "+strings.Repeat("{", 60)+strings.Repeat("}", 60)+"\n---\n", 100), "more than 2048 flow collections"},
		{"compact_lists", strings.Repeat("- ", 100000) + "x\n", "more than 64 nested list or key indicators"},
		{"indentation", "a:\n" + strings.Repeat(" ", 300) + "b: [1]\n", "indentation of more than 256 columns"},
		{"block_100", deepBlock.String(), "YAML nested more than 64 levels deep"},
		{"many_keys", "title: {a: 1}\n" + manyKeys.String(), "too many map keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := sigma.Parse([]byte(tt.src), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
			t.Logf("%d bytes in %v", len(tt.src), time.Since(start))
		})
	}
}
