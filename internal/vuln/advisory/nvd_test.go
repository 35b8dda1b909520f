package advisory

import (
	"strings"
	"testing"
)

func TestParseNVD(t *testing.T) {
	list, err := ParseNVD(openFixture(t, "nvd/cves-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "NVD page", list, []Advisory{
		{
			ID:      "CVE-2024-99010",
			Source:  "nvd",
			Details: "libexpat before 2.6.4 has an integer overflow in XML_ParseBuffer that can lead to a heap buffer overflow.",
			Severity: []Severity{
				{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Score: 9.3, Rating: "CRITICAL", Source: "cve@mitre.org"},
				{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: "CRITICAL", Source: "nvd@nist.gov"},
			},
			CWEs:      []string{"CWE-190"}, // NVD-CWE-noinfo dropped
			Published: ts(t, "2025-03-11T21:15:40.123Z"),
			Modified:  ts(t, "2025-03-19T14:02:05.997Z"),
			References: []string{
				"https://github.com/libexpat/libexpat/pull/9999",
				"https://www.debian.org/security/2025/dsa-5901",
			},
			CPEs: []CPEMatch{
				{Criteria: "cpe:2.3:a:libexpat_project:libexpat:*:*:*:*:*:*:*:*", MatchCriteriaID: "6E3A8C55-1F0B-4C8D-9D3E-2B7A4F1E0C11",
					Vulnerable: true, VersionEndExcluding: "2.6.4", Config: 0, Node: 0, NodeOperator: "OR"},
				{Criteria: "cpe:2.3:o:debian:debian_linux:11.0:*:*:*:*:*:*:*", MatchCriteriaID: "FA6FEEC2-9F11-4643-8827-749718254FED",
					Vulnerable: true, Config: 1, Node: 0, NodeOperator: "OR"},
				{Criteria: "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*", MatchCriteriaID: "46D69DCC-AE4D-4EA5-861C-D60951444C6C",
					Vulnerable: true, Config: 1, Node: 0, NodeOperator: "OR"},
			},
		},
		{
			ID:      "CVE-2023-990001",
			Source:  "nvd",
			Details: "An authentication bypass in Acme Edge Gateway firmware 4.x before 4.2.7 and 5.0 through 5.1.2 allows remote attackers to gain administrative access.",
			Severity: []Severity{
				{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Rating: "CRITICAL", Source: "psirt@acme.example"},
				{Type: "CVSS_V2", Vector: "AV:N/AC:L/Au:N/C:C/I:C/A:C", Score: 10, Rating: "HIGH", Source: "nvd@nist.gov"}, // v2 severity sits beside cvssData
			},
			CWEs:       []string{"CWE-288", "CWE-306"},
			Published:  ts(t, "2023-10-02T12:00:00Z"),
			Modified:   ts(t, "2025-02-27T19:30:11.02Z"),
			References: []string{"https://acme.example/psirt/ACME-SA-2023-0042"},
			CPEs: []CPEMatch{
				{Criteria: "cpe:2.3:o:acme:edge_gateway_firmware:*:*:*:*:*:*:*:*", MatchCriteriaID: "0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0",
					Vulnerable: true, VersionStartIncluding: "4.0", VersionEndExcluding: "4.2.7", Config: 0, Node: 0, ConfigOperator: "AND", NodeOperator: "OR"},
				{Criteria: "cpe:2.3:o:acme:edge_gateway_firmware:*:*:*:*:*:*:*:*", MatchCriteriaID: "1C2D3E4F-5061-7283-94A5-B6C7D8E9F0A1",
					Vulnerable: true, VersionStartIncluding: "5.0", VersionEndIncluding: "5.1.2", Config: 0, Node: 0, ConfigOperator: "AND", NodeOperator: "OR"},
				{Criteria: "cpe:2.3:h:acme:edge_gateway_eg200:-:*:*:*:*:*:*:*", MatchCriteriaID: "2D3E4F50-6172-8394-A5B6-C7D8E9F0A1B2",
					Vulnerable: false, Config: 0, Node: 1, ConfigOperator: "AND", NodeOperator: "OR"},
			},
		},
	})
}

func TestParseNVDRejectedAndEmpty(t *testing.T) {
	list, err := ParseNVD(strings.NewReader(`{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [
		{"cve": {"id": "CVE-2024-99050", "published": "2024-02-01T00:00:00", "lastModified": "2024-03-01T10:00:00.000", "vulnStatus": "Rejected",
		 "descriptions": [{"lang": "en", "value": "Rejected reason: duplicate of CVE-2024-99010."}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "rejected", list, []Advisory{{
		ID: "CVE-2024-99050", Source: "nvd", Details: "Rejected reason: duplicate of CVE-2024-99010.",
		Published: ts(t, "2024-02-01T00:00:00Z"), Modified: ts(t, "2024-03-01T10:00:00Z"), Withdrawn: ts(t, "2024-03-01T10:00:00Z"),
	}})

	list, err = ParseNVD(strings.NewReader(`{"resultsPerPage": 0, "startIndex": 0, "totalResults": 0, "format": "NVD_CVE", "version": "2.0", "timestamp": "2025-01-01T00:00:00.000", "vulnerabilities": []}`))
	if err != nil || len(list) != 0 {
		t.Errorf("empty page: %v %v", list, err)
	}
}

func TestParseNVDMalformed(t *testing.T) {
	cve := func(s string) string {
		return `{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [{"cve": {"id": "CVE-2024-1000"}}, {"cve": {` + s + `}}]}`
	}
	node := func(s string) string {
		return cve(`"id": "CVE-2024-1001", "configurations": [{"nodes": [` + s + `]}]`)
	}
	for _, c := range []struct {
		name, doc string
		parts     []string
	}{
		{"syntax", `{"vulnerabilities": [}`, []string{"invalid JSON"}},
		{"no list", `{"format": "NVD_CVE", "version": "2.0"}`, []string{"at $.vulnerabilities", "missing vulnerabilities"}},
		{"other json", `{"hello": "world"}`, []string{"missing vulnerabilities"}},
		{"format", `{"format": "NVD_CPE", "vulnerabilities": []}`, []string{"at $.format"}},
		{"version", `{"format": "NVD_CVE", "version": "1.0", "vulnerabilities": []}`, []string{"at $.version"}},
		{"timestamp", `{"timestamp": "now", "vulnerabilities": []}`, []string{"at $.timestamp"}},
		{"no cve", `{"vulnerabilities": [{}]}`, []string{"at $.vulnerabilities[0].cve", "missing cve"}},
		{"no id", cve(`"published": "2024-01-01T00:00:00.000"`), []string{"at $.vulnerabilities[1].cve.id", "missing id"}},
		{"bad id", cve(`"id": "GHSA-xxxx-yyyy-zzzz"`), []string{"at $.vulnerabilities[1].cve.id", "bad CVE id"}},
		{"id type", cve(`"id": 2024`), []string{"at $.vulnerabilities.cve.id", "JSON number where a string expected"}},
		{"published", cve(`"id": "CVE-2024-1001", "published": "2024-01-01"`), []string{`"CVE-2024-1001" at $.vulnerabilities[1].cve.published`}},
		{"last modified", cve(`"id": "CVE-2024-1001", "lastModified": "2024-01-01T25:00:00.000"`), []string{"at $.vulnerabilities[1].cve.lastModified"}},
		{"score type", cve(`"id": "CVE-2024-1001", "metrics": {"cvssMetricV31": [{"cvssData": {"vectorString": "CVSS:3.1/AV:N", "baseScore": "9.8"}}]}`), []string{"at $.vulnerabilities.cve.metrics.cvssMetricV31.cvssData.baseScore", "JSON string where a number expected"}},
		{"score range", cve(`"id": "CVE-2024-1001", "metrics": {"cvssMetricV31": [{"cvssData": {"vectorString": "CVSS:3.1/AV:N", "baseScore": 11}}]}`), []string{"at $.vulnerabilities[1].cve.metrics.cvssMetricV31[0].cvssData.baseScore"}},
		{"no vector", cve(`"id": "CVE-2024-1001", "metrics": {"cvssMetricV40": [{"cvssData": {"baseScore": 5}}]}`), []string{"at $.vulnerabilities[1].cve.metrics.cvssMetricV40[0].cvssData.vectorString"}},
		{"operator", node(`{"operator": "XOR", "cpeMatch": []}`), []string{"at $.vulnerabilities[1].cve.configurations[0].nodes[0].operator"}},
		{"criteria", node(`{"operator": "OR", "cpeMatch": [{"vulnerable": true}]}`), []string{"at $.vulnerabilities[1].cve.configurations[0].nodes[0].cpeMatch[0].criteria"}},
		{"vulnerable type", node(`{"operator": "OR", "cpeMatch": [{"vulnerable": "yes", "criteria": "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"}]}`), []string{"cpeMatch.vulnerable", "JSON string where a boolean expected"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ParseNVD(strings.NewReader(c.doc))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed nvd"}, c.parts...)...)
			if list != nil {
				t.Errorf("partial result %v", list)
			}
		})
	}
}
