package regulation_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/regulation"
)

// TestPack_RequirementsFor checks the Decree 85 catalogue level by level:
// counts from Circular 12 Art. 9 and Annexes I–V (brief §2.2, §2.4, §2.6),
// and that a level's catalogue holds the one below it except for the items
// that stop at a max_level.
func TestPack_RequirementsFor(t *testing.T) {
	p := pack85(t)
	// Per level: 31/40/50/51/51 management, configuration and zone items;
	// 3/6/16/17/19 design measures (the annexes' i–iii … i–xix); 4/4/5/5/5
	// general requirements (9.9 at level 3 only, 9.10 from level 4).
	tests := []struct {
		level, want int
		has, lacks  []string
	}{
		{0, 0, nil, []string{"mgmt.policy.document"}},
		{1, 38, []string{"mgmt.policy.document", "mgmt.build.test_acceptance", "design.zone.dmz", "tech.data.backup", "mgmt.risk_plan", "design.measure.antimalware", "general.security_regulation"}, []string{"mgmt.ops.incident", "tech.net.int_access", "design.zone.internal_servers", "design.measure.waf", "general.hosting_logical_separation"}},
		{2, 50, []string{"mgmt.ops.incident", "mgmt.build.outsourced_dev", "tech.srv.handover", "design.zone.wireless", "design.measure.waf", "design.measure.antimalware"}, []string{"mgmt.ops.endpoint", "tech.data.integrity", "design.zone.database", "design.measure.database"}},
		{3, 71, []string{"mgmt.ops.vulnerability", "tech.app.non_repudiation", "tech.net.antimalware", "design.zone.admin", "design.measure.endpoint_central", "general.hosting_logical_separation"}, []string{"design.zone.device_mgmt", "design.measure.antimalware", "design.measure.pam", "general.hosting_physical_separation"}},
		{4, 73, []string{"design.zone.device_mgmt", "design.measure.pam", "general.hosting_physical_separation"}, []string{"general.hosting_logical_separation", "design.measure.geo_backup"}},
		{5, 75, []string{"design.measure.geo_backup", "design.measure.backup_links"}, []string{"design.measure.antimalware", "general.hosting_logical_separation"}},
		{6, 0, nil, []string{"mgmt.policy.document"}},
	}
	for _, tt := range tests {
		got := p.RequirementsFor(tt.level)
		ids := make([]string, len(got))
		for i, r := range got {
			ids[i] = r.ID
			if r.MinLevel > tt.level || r.MaxLevel < tt.level {
				t.Errorf("level %d: %s has levels %d–%d", tt.level, r.ID, r.MinLevel, r.MaxLevel)
			}
		}
		if len(got) != tt.want {
			t.Errorf("RequirementsFor(%d): %d requirements, want %d", tt.level, len(got), tt.want)
		}
		for _, id := range tt.has {
			if !slices.Contains(ids, id) {
				t.Errorf("RequirementsFor(%d) lacks %s", tt.level, id)
			}
		}
		for _, id := range tt.lacks {
			if slices.Contains(ids, id) {
				t.Errorf("RequirementsFor(%d) holds %s", tt.level, id)
			}
		}
	}
	// Level n ⊆ level n+1 but for the items whose max_level is n, in pack
	// order.
	all := p.Requirements()
	for l := 1; l < 5; l++ {
		lower, upper := p.RequirementsFor(l), p.RequirementsFor(l+1)
		for _, r := range lower {
			in := slices.ContainsFunc(upper, func(x regulation.Requirement) bool { return x.ID == r.ID })
			if want := r.MaxLevel > l; in != want {
				t.Errorf("%s (max_level %d) applies at level %d; at %d: %v, want %v", r.ID, r.MaxLevel, l, l+1, in, want)
			}
		}
		last := -1
		for _, r := range upper {
			i := slices.IndexFunc(all, func(x regulation.Requirement) bool { return x.ID == r.ID })
			if i <= last {
				t.Errorf("RequirementsFor(%d) is not in pack order at %s", l+1, r.ID)
			}
			last = i
		}
	}
	if n := len(all); n != 77 {
		t.Errorf("%d requirements, want 77", n)
	}
}

// TestPack_designMeasures checks the design measures D1–D20 (brief
// §2.4.3): the lowest level of each, D3 stopping at level 2 (level 3 and
// above refer to D13), a note for every level it applies to and the D-id
// in the guidance.
func TestPack_designMeasures(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		d        int
		name     string
		min, max int
	}{
		{1, "remote_admin", 1, 5}, {2, "zone_access_ips", 1, 5}, {3, "antimalware", 1, 2}, {4, "waf", 2, 5},
		{5, "email", 2, 5}, {6, "network_redundancy", 2, 5}, {7, "database", 3, 5}, {8, "network_antimalware", 3, 5},
		{9, "ddos", 3, 5}, {10, "nac", 3, 5}, {11, "system_monitoring", 3, 5}, {12, "security_monitoring", 3, 5},
		{13, "endpoint_central", 3, 5}, {14, "central_backup", 3, 5}, {15, "dlp", 3, 5}, {16, "internet_redundancy", 3, 5},
		{17, "wireless", 3, 5}, {18, "pam", 4, 5}, {19, "geo_backup", 5, 5}, {20, "backup_links", 5, 5},
	}
	for _, tt := range tests {
		id := "design.measure." + tt.name
		t.Run(fmt.Sprintf("D%d", tt.d), func(t *testing.T) {
			r, ok := p.Requirement(id)
			if !ok {
				t.Fatalf("Requirement(%q) not found", id)
			}
			if r.Group != "technical.design_measures" || r.MinLevel != tt.min || r.MaxLevel != tt.max {
				t.Errorf("%s: group %s, levels %d–%d; want technical.design_measures, %d–%d", id, r.Group, r.MinLevel, r.MaxLevel, tt.min, tt.max)
			}
			ref := fmt.Sprintf("D%d.", tt.d)
			if !strings.Contains(r.Guidance.EN, ref) || !strings.Contains(r.Guidance.VI, ref) {
				t.Errorf("%s: guidance %+v does not name %s", id, r.Guidance, ref)
			}
			for l := 1; l <= 5; l++ {
				_, noted := r.Notes[l]
				if applies := r.AppliesTo(l); noted != applies {
					t.Errorf("%s: level %d: note %v, applies %v", id, l, noted, applies)
				}
			}
			if r.Source.Document != "tt12" || r.Source.Article != 9 || r.Source.Clause != 4 || r.Confirmation != regulation.Confirmed {
				t.Errorf("%s: source %+v, confirmation %s", id, r.Source, r.Confirmation)
			}
		})
	}
	var n int
	for _, r := range p.Requirements() {
		if r.Group == "technical.design_measures" {
			n++
		}
	}
	if n != len(tests) {
		t.Errorf("%d design measures, want %d", n, len(tests))
	}
}

// TestPack_generalRequirements checks the general requirements of Circular
// 12 Art. 9.5–9.10: 9.9 (logical separation in a rented data centre or
// cloud) applies at level 3 only, 9.10 (physical separation) at 4 and 5.
func TestPack_generalRequirements(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		id     string
		clause int
		levels []int
	}{
		{"general.design_principle", 5, []int{1, 2, 3, 4, 5}},
		{"general.plan_before_go_live", 6, []int{1, 2, 3, 4, 5}},
		{"general.security_regulation", 7, []int{1, 2, 3, 4, 5}},
		{"general.secure_development", 8, []int{1, 2, 3, 4, 5}},
		{"general.hosting_logical_separation", 9, []int{3}},
		{"general.hosting_physical_separation", 10, []int{4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r, ok := p.Requirement(tt.id)
			if !ok {
				t.Fatalf("Requirement(%q) not found", tt.id)
			}
			var got []int
			for l := 0; l <= 6; l++ {
				if r.AppliesTo(l) {
					got = append(got, l)
				}
				if in := slices.ContainsFunc(p.RequirementsFor(l), func(x regulation.Requirement) bool { return x.ID == tt.id }); in != r.AppliesTo(l) {
					t.Errorf("level %d: RequirementsFor holds it: %v, AppliesTo: %v", l, in, r.AppliesTo(l))
				}
			}
			if !slices.Equal(got, tt.levels) {
				t.Errorf("applies at %v, want %v", got, tt.levels)
			}
			if r.Group != "general" || r.Source.Document != "tt12" || r.Source.Article != 9 || r.Source.Clause != tt.clause || r.Confirmation != regulation.Confirmed {
				t.Errorf("group %s, source %+v, confirmation %s", r.Group, r.Source, r.Confirmation)
			}
		})
	}
	// Art. 9.5: sharing at levels 1–3, availability and segregation at 4–5.
	r, _ := p.Requirement("general.design_principle")
	if !strings.Contains(r.Notes[3].EN, "sharing") || !strings.Contains(r.Notes[4].EN, "segregation") {
		t.Errorf("design principle notes %+v", r.Notes)
	}
	// Items that may not fit a system say how to mark them not applicable.
	for _, id := range []string{"general.plan_before_go_live", "general.secure_development", "general.hosting_logical_separation", "general.hosting_physical_separation"} {
		r, _ := p.Requirement(id)
		if !strings.Contains(r.Guidance.EN, "not applicable") || !strings.Contains(r.Guidance.VI, "không áp dụng") {
			t.Errorf("%s: guidance %+v does not say when it is not applicable", id, r.Guidance)
		}
	}
}

func TestRequirement_AppliesTo(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		want     []int
	}{
		{"from_2", 2, 5, []int{2, 3, 4, 5}},
		{"level_3_only", 3, 3, []int{3}},
		{"zero_max_means_5", 4, 0, []int{4, 5}},
		{"zero_min_never", 0, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := regulation.Requirement{MinLevel: tt.min, MaxLevel: tt.max}
			var got []int
			for l := -1; l <= 7; l++ {
				if r.AppliesTo(l) {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("applies at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPack_Requirement(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		id       string
		group    string
		minLevel int
		tcvn     map[int]string
	}{
		{"mgmt.ops.incident", "management.operations", 2, map[int]string{2: "6.1.5.4", 3: "7.1.5.8", 4: "8.1.5.8", 5: "9.1.5.8"}},
		{"mgmt.build.test_acceptance", "management.build", 1, map[int]string{1: "5.1.4.2", 2: "6.1.4.3", 3: "7.1.4.3", 4: "8.1.4.3", 5: "9.1.4.3"}},
		{"tech.net.device_protection", "technical.network", 1, map[int]string{1: "5.2.1.5", 2: "6.2.1.6", 3: "7.2.1.7", 4: "8.2.1.7", 5: "9.2.1.7"}},
		{"tech.data.integrity", "technical.data", 3, map[int]string{3: "7.2.4.1", 4: "8.2.4.1", 5: "9.2.4.1"}},
		{"mgmt.risk_plan", "management.risk", 1, nil},
		{"design.zone.device_mgmt", "technical.design_zones", 4, nil},
	}
	for _, tt := range tests {
		r, ok := p.Requirement(tt.id)
		if !ok {
			t.Errorf("Requirement(%q) not found", tt.id)
			continue
		}
		if r.Group != tt.group || r.MinLevel != tt.minLevel || !equalMaps(r.TCVN, tt.tcvn) {
			t.Errorf("Requirement(%q) = group %s, min %d, tcvn %v; want %s, %d, %v", tt.id, r.Group, r.MinLevel, r.TCVN, tt.group, tt.minLevel, tt.tcvn)
		}
		if r.Source.Document != "tt12" || r.Confirmation != regulation.Confirmed {
			t.Errorf("Requirement(%q): source %+v, confirmation %s", tt.id, r.Source, r.Confirmation)
		}
	}
	if _, ok := p.Requirement("mgmt.nothing"); ok {
		t.Error("Requirement(mgmt.nothing) found")
	}
	// Copies: changing a result does not change the pack.
	r, _ := p.Requirement("mgmt.ops.incident")
	r.TCVN[2] = "x"
	p.Requirements()[0].TCVN[1] = "x"
	p.RequirementsFor(3)[0].TCVN[3] = "x"
	if r2, _ := p.Requirement("mgmt.ops.incident"); r2.TCVN[2] != "6.1.5.4" {
		t.Error("Requirement returned shared state")
	}
	if r0 := p.Requirements()[0]; r0.TCVN[1] != "5.1.1.1" || r0.TCVN[3] != "7.1.1.1" {
		t.Errorf("Requirements returned shared state: %v", r0.TCVN)
	}
}

func equalMaps(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEmbedded_requirementsComplete checks every group and requirement of
// every embedded pack: both languages, a source with a citation, a valid
// confirmation, a known group, a TCVN clause only at applicable levels.
func TestEmbedded_requirementsComplete(t *testing.T) {
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Packs() {
		groups := map[string]regulation.RequirementGroup{}
		hasSub := map[string]bool{}
		for _, g := range p.RequirementGroups() {
			groups[g.ID] = g
			hasSub[g.Parent] = true
			if g.Name.VI == "" || g.Name.EN == "" || g.Source.Citation.VI == "" || g.Source.Citation.EN == "" || !g.Confirmation.Valid() {
				t.Errorf("%s group %s: %+v", p.ID(), g.ID, g)
			}
		}
		for _, x := range p.Requirements() {
			if x.Title.VI == "" || x.Title.EN == "" {
				t.Errorf("%s %s: title %+v lacks a language", p.ID(), x.ID, x.Title)
			}
			if (x.Guidance.VI == "") != (x.Guidance.EN == "") {
				t.Errorf("%s %s: guidance %+v lacks a language", p.ID(), x.ID, x.Guidance)
			}
			if _, ok := p.Document(x.Source.Document); !ok || x.Source.Citation.VI == "" || x.Source.Citation.EN == "" || !x.Confirmation.Valid() {
				t.Errorf("%s %s: source %+v, confirmation %q", p.ID(), x.ID, x.Source, x.Confirmation)
			}
			// A requirement sits in a sub-group, or in a top-level group
			// without sub-groups (general).
			if g, ok := groups[x.Group]; !ok || (g.Parent == "" && hasSub[g.ID]) {
				t.Errorf("%s %s: group %q is not a sub-group", p.ID(), x.ID, x.Group)
			}
			if x.MinLevel < 1 || x.MinLevel > 5 || x.MaxLevel < x.MinLevel || x.MaxLevel > 5 {
				t.Errorf("%s %s: levels %d–%d", p.ID(), x.ID, x.MinLevel, x.MaxLevel)
			}
			for l, c := range x.TCVN {
				// TCVN 11930:2017: chapter 5 is level 1 … chapter 9 is level 5.
				if !x.AppliesTo(l) || !strings.HasPrefix(c, string(rune('0'+l+4))+".") {
					t.Errorf("%s %s: TCVN clause %q at level %d", p.ID(), x.ID, c, l)
				}
			}
			for l, n := range x.Notes {
				if !x.AppliesTo(l) || n.VI == "" || n.EN == "" {
					t.Errorf("%s %s: note %+v at level %d", p.ID(), x.ID, n, l)
				}
			}
		}
	}
}

func TestParse_requirementProblems(t *testing.T) {
	const head = `format: 1
id: t
version: "2026-01-01"
title: {vi: "Thử", en: "Test"}
regime: test
in_force: {from: "2026-01-01"}
sources:
  - {id: doc, short: {vi: "VB", en: "Doc"}, title: {vi: "VB", en: "Doc"}, confirmation: confirmed}
requirement_groups:
  - {id: mgmt, name: {vi: "QL", en: "Mgmt"}, source: {document: doc, article: 9}, confirmation: confirmed}
  - {id: mgmt.ops, parent: mgmt, name: {vi: "VH", en: "Ops"}, source: {document: doc, article: 9}, confirmation: confirmed}
requirements:
`
	// req builds one requirement line (line 13 of the file) from its parts.
	req := func(fields string) string {
		return "  - {" + fields + "}\n"
	}
	const ok = `id: r1, group: mgmt.ops, title: {vi: "A", en: "A"}, min_level: 2, source: {document: doc, article: 9}, confirmation: confirmed`
	tests := []struct {
		name, body string
		want       []string // whole problems, in order
	}{
		{"valid", req(ok) + "  - id: r2\n    group: mgmt\n    title: {vi: \"B\", en: \"B\"}\n    guidance: {vi: \"G\", en: \"G\"}\n    min_level: 1\n    tcvn: {1: \"5.1.1\", 2: \"6.1.1\"}\n    notes:\n      3: {vi: \"N\", en: \"N\"}\n    source: {document: doc}\n    confirmation: secondary\n", nil},
		{"unknown_key", req(ok + `, minlevel: 3`), []string{`t.yaml:13:134: requirements[0].minlevel: unknown key "minlevel" (did you mean "min_level"?)`}},
		{"duplicate_id", req(ok) + req(ok), []string{`t.yaml:14:10: requirements[1].id: duplicate requirement id "r1" (first defined at line 13, column 10)`}},
		{"unknown_group", req(strings.Replace(ok, "group: mgmt.ops", "group: mgmt.opz", 1)), []string{`t.yaml:13:21: requirements[0].group: undefined requirement group "mgmt.opz" (did you mean "mgmt.ops"?)`}},
		{"min_level_6", req(strings.Replace(ok, "min_level: 2", "min_level: 6", 1)), []string{`t.yaml:13:69: requirements[0].min_level: level 6 is outside 1–5`}},
		{"min_level_0", req(strings.Replace(ok, "min_level: 2", "min_level: 0", 1)), []string{`t.yaml:13:69: requirements[0].min_level: level 0 is outside 1–5`}},
		{"missing_min_level", req(strings.Replace(ok, "min_level: 2, ", "", 1)), []string{`t.yaml:13:6: requirements[0]: missing required key "min_level"`}},
		{"missing_en", req(strings.Replace(ok, `title: {vi: "A", en: "A"}`, `title: {vi: "A"}`, 1)), []string{`t.yaml:13:39: requirements[0].title: missing required key "en"`}},
		{"missing_vi_guidance", req(ok + `, guidance: {en: "G"}`), []string{`t.yaml:13:145: requirements[0].guidance: missing required key "vi"`}},
		{"missing_source", req(strings.Replace(ok, "source: {document: doc, article: 9}, ", "", 1)), []string{`t.yaml:13:6: requirements[0]: missing required key "source"`}},
		{"missing_confirmation", req(strings.Replace(ok, ", confirmation: confirmed", "", 1)), []string{`t.yaml:13:6: requirements[0]: missing required key "confirmation"`}},
		{"tcvn_below_min_level", req(ok + `, tcvn: {1: "5.1", 2: "6.1"}`), []string{`t.yaml:13:141: requirements[0].tcvn.1: level 1 is below min_level 2`}},
		{"tcvn_level_7", req(ok + `, tcvn: {7: "5.1"}`), []string{`t.yaml:13:141: requirements[0].tcvn: level 7 is outside 1–5`}},
		{"tcvn_key_word", req(ok + `, tcvn: {two: "5.1"}`), []string{`t.yaml:13:141: requirements[0].tcvn: keys must be levels 1–5, got a string`}},
		{"tcvn_bad_clause", req(ok + `, tcvn: {2: "6.1a"}`), []string{`t.yaml:13:144: requirements[0].tcvn.2: "6.1a" is not a clause number (digits separated by dots, e.g. "7.1.5.8")`}},
		{"tcvn_twice", req(ok + `, tcvn: {2: "6.1", 2: "6.2"}`), []string{`t.yaml:13:151: requirements[0].tcvn.2: level 2 is given twice`}},
		{"tcvn_not_mapping", req(ok + `, tcvn: "6.1"`), []string{`t.yaml:13:140: requirements[0].tcvn: want a mapping of levels, got a string`}},
		{"note_missing_en", req(ok + `, notes: {3: {vi: "N"}}`), []string{`t.yaml:13:146: requirements[0].notes.3: missing required key "en"`}},
		{"valid_max_level", req(ok + `, max_level: 3, tcvn: {2: "6.1", 3: "7.1"}, notes: {3: {vi: "N", en: "N"}}`), nil},
		{"max_level_below_min_level", req(ok + `, max_level: 1`), []string{`t.yaml:13:145: requirements[0].max_level: max_level 1 is below min_level 2`}},
		{"max_level_6", req(ok + `, max_level: 6`), []string{`t.yaml:13:145: requirements[0].max_level: level 6 is outside 1–5`}},
		{"max_level_word", req(ok + `, max_level: three`), []string{`t.yaml:13:145: requirements[0].max_level: want an integer, got a string`}},
		{"notes_above_max_level", req(ok + `, max_level: 3, notes: {4: {vi: "N", en: "N"}}`), []string{`t.yaml:13:156: requirements[0].notes.4: level 4 is above max_level 3`}},
		{"tcvn_above_max_level", req(ok + `, max_level: 2, tcvn: {2: "6.1", 3: "7.1"}`), []string{`t.yaml:13:165: requirements[0].tcvn.3: level 3 is above max_level 2`}},
		{"undefined_parent", "  - {id: r1, group: tech, title: {vi: \"A\", en: \"A\"}, min_level: 1, source: {document: doc, article: 9}, confirmation: confirmed}\n", nil},
	}
	rawFiles := map[string]string{
		"undefined_parent": strings.Replace(head, "requirements:\n", "  - {id: tech.net, parent: tech, name: {vi: \"M\", en: \"N\"}, source: {document: doc, article: 9}, confirmation: confirmed}\n  - {id: x, parent: mgmt.ops, name: {vi: \"X\", en: \"X\"}, source: {document: doc, article: 9}, confirmation: confirmed}\nrequirements:\n", 1),
	}
	wantRaw := map[string][]string{
		"undefined_parent": {
			`t.yaml:12:28: requirement_groups[2].parent: undefined requirement group "tech" (a parent must be listed before its sub-groups)`,
			`t.yaml:13:21: requirement_groups[3].parent: requirement group "mgmt.ops" is itself a sub-group; groups nest one level deep`,
			`t.yaml:15:21: requirements[0].group: undefined requirement group "tech"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, want := head+tt.body, tt.want
			if raw, ok := rawFiles[tt.name]; ok {
				data, want = raw+tt.body, wantRaw[tt.name]
			}
			p, err := regulation.Parse("t.yaml", []byte(data))
			if want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				rs := p.Requirements()
				if len(rs) == 0 {
					t.Fatal("no requirements")
				}
				if want := map[bool]int{true: 3, false: 5}[tt.name == "valid_max_level"]; rs[0].MaxLevel != want {
					t.Errorf("MaxLevel = %d, want %d", rs[0].MaxLevel, want)
				}
				return
			}
			var ve *regulation.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			got := make([]string, len(ve.Problems))
			for i, pr := range ve.Problems {
				got[i] = pr.Error()
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
