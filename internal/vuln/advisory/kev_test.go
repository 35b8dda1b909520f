package advisory

import (
	"strings"
	"testing"
)

func TestParseKEV(t *testing.T) {
	version, released, list, err := ParseKEV(openFixture(t, "kev/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	if version != "2025.03.18" {
		t.Errorf("catalogVersion %q", version)
	}
	same(t, "released", released, ts(t, "2025-03-18T17:02:14.5123Z"))
	same(t, "KEV", list, []KEV{
		{
			CVE:            "CVE-2024-99010",
			Vendor:         "libexpat",
			Product:        "libexpat",
			Name:           "libexpat Integer Overflow Vulnerability",
			Description:    "libexpat contains an integer overflow that can lead to a heap buffer overflow when parsing crafted XML.",
			RequiredAction: "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
			Added:          ts(t, "2025-03-18T00:00:00Z"),
			Due:            ts(t, "2025-04-08T00:00:00Z"),
			Notes:          "https://www.debian.org/security/2025/dsa-5901 ; https://nvd.nist.gov/vuln/detail/CVE-2024-99010",
			CWEs:           []string{"CWE-190"},
		},
		{
			CVE:            "CVE-2023-990001",
			Vendor:         "Acme",
			Product:        "Edge Gateway",
			Name:           "Acme Edge Gateway Authentication Bypass Vulnerability",
			Description:    "Acme Edge Gateway contains an authentication bypass that allows a remote attacker to obtain administrative access.",
			RequiredAction: "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.",
			Added:          ts(t, "2025-02-27T00:00:00Z"),
			Due:            ts(t, "2025-03-20T00:00:00Z"),
			Ransomware:     true,
			CWEs:           []string{"CWE-288", "CWE-306"},
		},
		{
			CVE:            "CVE-2021-99099",
			Vendor:         "Example Corp",
			Product:        "Intranet Portal",
			Name:           "Example Corp Intranet Portal Path Traversal Vulnerability",
			Description:    "Example Corp Intranet Portal allows reading arbitrary files via a crafted path.",
			RequiredAction: "Apply updates per vendor instructions.",
			Added:          ts(t, "2021-11-03T00:00:00Z"),
			Due:            ts(t, "2022-05-03T00:00:00Z"),
		},
	})

	// No count, no dates beyond dateAdded, an empty catalogue entry list.
	version, released, list, err = ParseKEV(strings.NewReader(`{"catalogVersion": "1", "vulnerabilities": []}`))
	if err != nil || version != "1" || !released.IsZero() || len(list) != 0 {
		t.Errorf("minimal catalogue: %q %v %v %v", version, released, list, err)
	}
}

func TestParseKEVMalformed(t *testing.T) {
	entry := func(s string) string {
		return `{"catalogVersion": "2025.01.01", "vulnerabilities": [{"cveID": "CVE-2024-1234", "dateAdded": "2025-01-01"}, {` + s + `}]}`
	}
	for _, c := range []struct {
		name, doc string
		parts     []string
	}{
		{"syntax", `{"catalogVersion": `, []string{"invalid JSON"}},
		{"not object", `"KEV"`, []string{"JSON string where an object expected"}},
		{"no version", `{"vulnerabilities": []}`, []string{"at $.catalogVersion"}},
		{"no list", `{"catalogVersion": "2025.01.01"}`, []string{`"2025.01.01" at $.vulnerabilities`}},
		{"list type", `{"catalogVersion": "2025.01.01", "vulnerabilities": {}}`, []string{"at $.vulnerabilities", "JSON object where an array expected"}},
		{"count", `{"catalogVersion": "2025.01.01", "count": 2, "vulnerabilities": []}`, []string{"at $.count", "count 2 but 0"}},
		{"count type", `{"catalogVersion": "2025.01.01", "count": "0", "vulnerabilities": []}`, []string{"at $.count", "JSON string where an integer expected"}},
		{"released", `{"catalogVersion": "2025.01.01", "dateReleased": "2025-01-01 10:00", "vulnerabilities": []}`, []string{"at $.dateReleased"}},
		{"no cve", entry(`"dateAdded": "2025-01-01"`), []string{"at $.vulnerabilities[1].cveID", `bad CVE id ""`}},
		{"bad cve", entry(`"cveID": "CVE-2024-123", "dateAdded": "2025-01-01"`), []string{"at $.vulnerabilities[1].cveID", `"CVE-2024-123"`}},
		{"lower cve", entry(`"cveID": "cve-2024-1234", "dateAdded": "2025-01-01"`), []string{"at $.vulnerabilities[1].cveID"}},
		{"no added", entry(`"cveID": "CVE-2024-12345"`), []string{"at $.vulnerabilities[1].dateAdded", "missing dateAdded for CVE-2024-12345"}},
		{"bad added", entry(`"cveID": "CVE-2024-12345", "dateAdded": "01/02/2025"`), []string{"at $.vulnerabilities[1].dateAdded", `bad timestamp "01/02/2025"`}},
		{"bad due", entry(`"cveID": "CVE-2024-12345", "dateAdded": "2025-01-01", "dueDate": "2025-02-30"`), []string{"at $.vulnerabilities[1].dueDate"}},
		{"cwes type", entry(`"cveID": "CVE-2024-12345", "dateAdded": "2025-01-01", "cwes": "CWE-79"`), []string{"at $.vulnerabilities.cwes", "JSON string where an array expected"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			version, _, list, err := ParseKEV(strings.NewReader(c.doc))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed kev"}, c.parts...)...)
			if version != "" || list != nil {
				t.Errorf("partial result %q %v", version, list)
			}
		})
	}
}
