package advisory

import (
	"strings"
	"testing"
)

func TestParseCSAF(t *testing.T) {
	list, err := ParseCSAF(openFixture(t, "csaf/exl-2025-0142.json"))
	if err != nil {
		t.Fatal(err)
	}
	modified := ts(t, "2025-03-19T10:00:00Z")
	initial := ts(t, "2025-03-12T08:30:00Z")
	self := "https://linux.example/csaf/vex/2025/exl-2025-0142.json"
	el8 := "cpe:/o:example:linux:8::baseos"
	el9 := "cpe:/o:example:linux:9::baseos"
	same(t, "CSAF", list, []Advisory{
		{
			ID:        "EXL-2025-0142/CVE-2024-99010",
			Source:    "csaf",
			Aliases:   []string{"CVE-2024-99010", "EXBZ#2345678", "EXL-2025-0142", "EXLSA-2025:0142"},
			Summary:   "expat: integer overflow in XML_ParseBuffer",
			Details:   "An integer overflow in XML_ParseBuffer of expat can lead to a heap buffer overflow when parsing crafted XML.",
			Severity:  []Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Rating: "HIGH"}},
			CWEs:      []string{"CWE-190"},
			Published: ts(t, "2025-03-11T00:00:00Z"),
			Modified:  modified,
			Affected: []Affected{
				{ // known_affected on Example Linux 8, no fix: the exact version only
					Name: "expat", PURL: "pkg:rpm/example/expat?arch=x86_64", Platform: el8,
					Versions:   []string{"2.2.5-11.el8"},
					ProductIDs: []string{"EXL-8-BaseOS:expat-0:2.2.5-11.el8.x86_64"},
				},
				{ // fixed on Example Linux 9: everything before the fixed build
					Name: "expat", PURL: "pkg:rpm/example/expat?arch=x86_64", Platform: el9,
					Ranges:     []Range{introFixed("ECOSYSTEM", "2.5.0-3.el9_5.1")},
					ProductIDs: []string{"EXL-9-BaseOS:expat-0:2.5.0-3.el9_5.1.x86_64"},
					Fixed:      []string{"2.5.0-3.el9_5.1"},
				},
				{
					Name: "expat", PURL: "pkg:rpm/example/expat?arch=src", Platform: el9,
					Ranges:     []Range{introFixed("ECOSYSTEM", "2.5.0-3.el9_5.1")},
					ProductIDs: []string{"EXL-9-BaseOS:expat-0:2.5.0-3.el9_5.1.src"},
					Fixed:      []string{"2.5.0-3.el9_5.1"},
				},
			},
			References: []string{
				"https://linux.example/security/cve/CVE-2024-99010",
				"https://github.com/libexpat/libexpat/pull/9999",
				self,
			},
		},
		{
			ID:      "EXL-2025-0142/CVE-2024-99020",
			Source:  "csaf",
			Aliases: []string{"CVE-2024-99020", "EXL-2025-0142", "EXLSA-2025:0142"},
			// No title: the document's. No description note: the summary
			// note. The same score given twice appears once.
			Summary:   "Example Linux security update: expat and query-lite",
			Details:   "Prototype pollution in parse().",
			Severity:  []Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", Score: 9.1, Rating: "CRITICAL"}},
			Published: initial,
			Modified:  modified,
			Affected: []Affected{{
				Ecosystem:  "npm",
				Name:       "@acme/query-lite",
				PURL:       "pkg:npm/%40acme/query-lite",
				Ranges:     []Range{introFixed("ECOSYSTEM", "2.1.1")},
				Versions:   []string{"2.0.3", "2.1.0"},
				ProductIDs: []string{"CSAFPID-0201", "CSAFPID-0202", "CSAFPID-0203"},
				Fixed:      []string{"2.1.1"},
			}},
			References: []string{self},
		},
		{
			ID:        "EXL-2025-0142/CVE-2023-990001",
			Source:    "csaf",
			Aliases:   []string{"CVE-2023-990001", "EXL-2025-0142", "EXLSA-2025:0142"},
			Summary:   "Authentication bypass in Acme products",
			Published: initial,
			Modified:  modified,
			Affected: []Affected{{ // no purl, no CPE: named from the branches
				Name:       "Acme Widget Server",
				Versions:   []string{"7.3"},
				ProductIDs: []string{"CSAFPID-0101"},
			}},
			References: []string{self},
			CPEs: []CPEMatch{{ // CPE only
				Criteria: "cpe:2.3:o:acme:edge_gateway_firmware:5.1.2:*:*:*:*:*:*:*", Vulnerable: true, NodeOperator: "OR",
			}},
		},
		// The fourth vulnerability has no CVE and is skipped.
	})
}

func TestParseCSAFStreams(t *testing.T) {
	// Two fixed versions of one package (two streams): no range is
	// derived, the fixed versions are kept.
	list, err := ParseCSAF(strings.NewReader(`{
		"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "t",
			"tracking": {"id": "SA-1", "current_release_date": "2025-01-01T00:00:00Z", "initial_release_date": "2025-01-01T00:00:00Z"}},
		"product_tree": {"full_product_names": [
			{"name": "a 1.1.1w", "product_id": "A1", "product_identification_helper": {"purl": "pkg:generic/openssl@1.1.1w"}},
			{"name": "a 3.0.13", "product_id": "A3", "product_identification_helper": {"purl": "pkg:generic/openssl@3.0.13"}},
			{"name": "a 3.0.12", "product_id": "B3", "product_identification_helper": {"purl": "pkg:generic/openssl@3.0.12"}},
			{"name": "no version", "product_id": "C", "product_identification_helper": {"purl": "pkg:pypi/other"}}
		]},
		"vulnerabilities": [{"cve": "CVE-2024-99060", "product_status": {"fixed": ["A1", "A3", "C"], "known_affected": ["B3"]}}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d advisories", len(list))
	}
	same(t, "streams", list[0].Affected, []Affected{{
		Name: "openssl", PURL: "pkg:generic/openssl",
		Versions:   []string{"3.0.12"},
		ProductIDs: []string{"B3", "A1", "A3"},
		Fixed:      []string{"1.1.1w", "3.0.13"},
	}}) // pkg:pypi/other: fixed, no version, nothing to say: dropped
}

func TestParseCSAFMalformed(t *testing.T) {
	doc := func(document, tree, vulns string) string {
		return `{"document": ` + document + `, "product_tree": ` + tree + `, "vulnerabilities": ` + vulns + `}`
	}
	const good = `{"category": "csaf_vex", "csaf_version": "2.0", "title": "t", "tracking": {"id": "SA-1", "current_release_date": "2025-01-01T00:00:00Z"}}`
	const tree = `{"full_product_names": [{"name": "p", "product_id": "P1"}]}`
	for _, c := range []struct {
		name, doc string
		parts     []string
	}{
		{"syntax", `{"document": `, []string{"invalid JSON"}},
		{"no document", `{"vulnerabilities": []}`, []string{"at $.document", "missing document"}},
		{"no version", doc(`{"category": "csaf_vex", "tracking": {"id": "SA-1"}}`, tree, `[]`), []string{`"SA-1" at $.document.csaf_version`, "missing csaf_version"}},
		{"version 1.2", doc(`{"category": "csaf_vex", "csaf_version": "1.2", "tracking": {"id": "SA-1"}}`, tree, `[]`), []string{"at $.document.csaf_version", `"1.2", want 2.0`}},
		{"version type", doc(`{"category": "csaf_vex", "csaf_version": 2.0, "tracking": {"id": "SA-1"}}`, tree, `[]`), []string{"at $.document.csaf_version", "JSON number where a string expected"}},
		{"no category", doc(`{"csaf_version": "2.0", "tracking": {"id": "SA-1"}}`, tree, `[]`), []string{"at $.document.category"}},
		{"no tracking", doc(`{"category": "csaf_vex", "csaf_version": "2.0"}`, tree, `[]`), []string{"at $.document.tracking.id"}},
		{"bad date", doc(`{"category": "csaf_vex", "csaf_version": "2.0", "tracking": {"id": "SA-1", "current_release_date": "2025-01-01"}}`, tree, `[]`), []string{"at $.document.tracking.current_release_date"}},
		{"no product id", doc(good, `{"branches": [{"category": "vendor", "name": "v", "branches": [{"category": "product_name", "name": "n", "product": {"name": "n"}}]}]}`, `[]`), []string{"at $.product_tree.branches[0].branches[0].product.product_id"}},
		{"relationship ref", doc(good, `{"full_product_names": [{"name": "p", "product_id": "P1"}], "relationships": [{"category": "default_component_of", "product_reference": "P9", "relates_to_product_reference": "P1", "full_product_name": {"name": "x", "product_id": "X"}}]}`, `[]`), []string{"at $.product_tree.relationships[0].product_reference", `undefined product id "P9"`}},
		{"relationship to", doc(good, `{"full_product_names": [{"name": "p", "product_id": "P1"}], "relationships": [{"category": "default_component_of", "product_reference": "P1", "relates_to_product_reference": "P9", "full_product_name": {"name": "x", "product_id": "X"}}]}`, `[]`), []string{"at $.product_tree.relationships[0].relates_to_product_reference"}},
		{"relationship product", doc(good, `{"full_product_names": [{"name": "p", "product_id": "P1"}], "relationships": [{"category": "default_component_of", "product_reference": "P1", "relates_to_product_reference": "P1"}]}`, `[]`), []string{"at $.product_tree.relationships[0].full_product_name"}},
		{"branches type", doc(good, `{"branches": {}}`, `[]`), []string{"at $.product_tree.branches", "JSON object where an array expected"}},
		{"bad cve", doc(good, tree, `[{"cve": "CVE-24-1"}]`), []string{"at $.vulnerabilities[0].cve", `bad CVE id "CVE-24-1"`}},
		{"undefined product", doc(good, tree, `[{"cve": "CVE-2024-1234", "product_status": {"known_affected": ["P1", "P2"]}}]`), []string{"at $.vulnerabilities[0].product_status.known_affected[1]", `undefined product id "P2"`}},
		{"undefined not affected", doc(good, tree, `[{"cve": "CVE-2024-1234", "product_status": {"known_not_affected": ["P7"]}}]`), []string{"at $.vulnerabilities[0].product_status.known_not_affected[0]"}},
		{"status type", doc(good, tree, `[{"cve": "CVE-2024-1234", "product_status": {"fixed": "P1"}}]`), []string{"at $.vulnerabilities.product_status.fixed", "JSON string where an array expected"}},
		{"release date", doc(good, tree, `[{"cve": "CVE-2024-1234", "release_date": "soon"}]`), []string{"at $.vulnerabilities[0].release_date"}},
		{"score", doc(good, tree, `[{"cve": "CVE-2024-1234", "scores": [{"products": ["P1"], "cvss_v3": {"baseScore": 5}}]}]`), []string{"at $.vulnerabilities[0].scores[0].cvss_v3.vectorString"}},
		{"score range", doc(good, tree, `[{"cve": "CVE-2024-1234", "scores": [{"products": ["P1"], "cvss_v3": {"vectorString": "CVSS:3.1/AV:N", "baseScore": -1}}]}]`), []string{"at $.vulnerabilities[0].scores[0].cvss_v3.baseScore"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ParseCSAF(strings.NewReader(c.doc))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed csaf"}, c.parts...)...)
			if list != nil {
				t.Errorf("partial result %v", list)
			}
		})
	}
}
