package cpe_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/cpe"
)

// cm builds a cpeMatch: "v" vulnerable or "p" platform, config, node, the
// operators, negation, criteria and an end-excluding bound.
func cm(kind string, config, node int, configOp, nodeOp string, negate bool, criteria, endExcl string) advisory.CPEMatch {
	return advisory.CPEMatch{Criteria: criteria, Vulnerable: kind == "v", Config: config, Node: node,
		ConfigOperator: configOp, NodeOperator: nodeOp, Negate: negate, VersionEndExcluding: endExcl}
}

const (
	zoomAny     = "cpe:2.3:a:zoom:meetings:*:*:*:*:*:*:*:*"
	windowsNA   = "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"
	macosNA     = "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*"
	firefoxAny  = "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*"
	firefoxESR  = "cpe:2.3:a:mozilla:firefox_esr:*:*:*:*:*:*:*:*"
	sevenZipAny = "cpe:2.3:a:7-zip:7-zip:*:*:*:*:*:*:*:*"
)

func TestEvaluate(t *testing.T) {
	zoom := "cpe:2.3:a:zoom:meetings:5.16.0:-:*:*:*:windows:*:*"
	firefox := "cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*"
	sevenZip := "cpe:2.3:a:7-zip:7-zip:23.01:-:*:*:*:windows:x64:*"
	platform := cpe.WindowsPlatform().String()
	for _, tc := range []struct {
		name  string
		ms    []advisory.CPEMatch
		names []string
		want  []string // "match index/name index"
	}{
		{"basic_or", []advisory.CPEMatch{
			cm("v", 0, 0, "", "OR", false, firefoxAny, "116.0"),
			cm("v", 0, 0, "", "OR", false, firefoxESR, "115.1"),
		}, []string{firefox, sevenZip}, []string{"0/0"}},
		{"out_of_range", []advisory.CPEMatch{
			cm("v", 0, 0, "", "OR", false, firefoxAny, "115.0"),
		}, []string{firefox}, nil},
		{"running_on_windows", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, zoomAny, "5.17.0"),
			cm("p", 0, 1, "AND", "OR", false, windowsNA, ""),
		}, []string{zoom, platform}, []string{"0/0"}},
		{"running_on_windows_unknown_platform", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, zoomAny, "5.17.0"),
			cm("p", 0, 1, "AND", "OR", false, windowsNA, ""),
		}, []string{zoom}, nil},
		{"running_on_macos", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, zoomAny, "5.17.0"),
			cm("p", 0, 1, "AND", "OR", false, macosNA, ""),
		}, []string{zoom, platform}, nil},
		{"second_configuration_applies", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, zoomAny, "5.17.0"),
			cm("p", 0, 1, "AND", "OR", false, macosNA, ""),
			cm("v", 1, 0, "AND", "OR", false, zoomAny, "5.16.5"),
			cm("p", 1, 1, "AND", "OR", false, windowsNA, ""),
		}, []string{zoom, platform}, []string{"2/0"}},
		{"negated_node_excludes", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, sevenZipAny, "24.0"),
			cm("p", 0, 1, "AND", "OR", true, "cpe:2.3:a:7-zip:7-zip:23.01:*:*:*:*:*:*:*", ""),
		}, []string{sevenZip}, nil},
		{"negated_node_other_version", []advisory.CPEMatch{
			cm("v", 0, 0, "AND", "OR", false, sevenZipAny, "24.0"),
			cm("p", 0, 1, "AND", "OR", true, "cpe:2.3:a:7-zip:7-zip:22.00:*:*:*:*:*:*:*", ""),
		}, []string{sevenZip}, []string{"0/0"}},
		{"and_node_needs_all", []advisory.CPEMatch{
			cm("v", 0, 0, "", "AND", false, firefoxAny, "116.0"),
			cm("v", 0, 0, "", "AND", false, sevenZipAny, "23.0"),
		}, []string{firefox, sevenZip}, nil},
		{"and_node_all_met", []advisory.CPEMatch{
			cm("v", 0, 0, "", "AND", false, firefoxAny, "116.0"),
			cm("v", 0, 0, "", "AND", false, sevenZipAny, "24.0"),
		}, []string{firefox, sevenZip}, []string{"0/0", "1/1"}},
		{"platform_match_is_no_hit", []advisory.CPEMatch{
			cm("p", 0, 0, "", "OR", false, firefoxAny, ""),
		}, []string{firefox}, nil},
		{"one_name_two_matches", []advisory.CPEMatch{
			cm("v", 0, 0, "", "OR", false, firefoxAny, "116.0"),
			cm("v", 1, 0, "", "OR", false, firefoxAny, "117.0"),
		}, []string{firefox}, []string{"0/0", "1/0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := cpe.Compile(tc.ms)
			if err != nil {
				t.Fatal(err)
			}
			var names []cpe.Name
			for _, s := range tc.names {
				names = append(names, mustParse(t, s))
			}
			var got []string
			for _, h := range conf.Evaluate(names) {
				got = append(got, strconv.Itoa(h.Match)+"/"+strconv.Itoa(h.Target))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("hits %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		ms   []advisory.CPEMatch
		want string
	}{
		{"bad_criteria", []advisory.CPEMatch{cm("v", 0, 2, "", "OR", false, "cpe:2.3:a:x", "")}, "configuration 0, node 2"},
		{"bad_operator", []advisory.CPEMatch{cm("v", 1, 0, "XOR", "OR", false, firefoxAny, "")}, `configuration 1: operator "XOR"`},
		{"bad_node_operator", []advisory.CPEMatch{cm("v", 0, 0, "", "NOT", false, firefoxAny, "")}, `operator "NOT"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cpe.Compile(tc.ms)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
