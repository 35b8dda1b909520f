package advisory

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkErr fails unless err is nil or an *Error of a known kind: bad input
// must never surface as anything else (an I/O error cannot occur here).
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge)) {
		t.Fatalf("error %v (%T) is not a malformed or too-large *Error", err, err)
	}
	if e.Msg == "" && e.Err == nil {
		t.Fatalf("error without a reason: %v", err)
	}
}

func FuzzParseOSV(f *testing.F) {
	for _, name := range []string{"osv/DSA-5901-1.json", "osv/GHSA-7xq4-m2cf-9p3w.json", "osv/PYSEC-2024-901.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"id": "X", "modified": "2024-01-01T00:00:00Z", "related": [{"id": "Y"}], "affected": [{"ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "0"}, {"limit": "a"}]}]}]}`))
	f.Add([]byte(`{"id": "X", "modified": "2024-01-01T00:00:00Z", "database_specific": {"severity": 5, "cwe_ids": "CWE-1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseOSV(bytes.NewReader(data))
		checkErr(t, err)
		if err != nil {
			return
		}
		if a.ID == "" || a.Modified.IsZero() || a.Source != SourceOSV {
			t.Fatalf("accepted without id or modified: %+v", a)
		}
		for _, al := range a.Aliases {
			if al == a.ID {
				t.Fatalf("own id among aliases")
			}
		}
		for _, af := range a.Affected {
			for _, r := range af.Ranges {
				intro := false
				for _, e := range r.Events {
					intro = intro || e.Introduced != ""
				}
				if !intro {
					t.Fatalf("range without introduced accepted: %+v", r)
				}
			}
		}
	})
}

// FuzzParseModifiedCSV fuzzes ParseOSVModified. It is not named
// FuzzParseOSVModified so that -fuzz=FuzzParseOSV selects one target.
func FuzzParseModifiedCSV(f *testing.F) {
	f.Add(readFixture(f, "osv/modified_id.csv"))
	f.Add([]byte("2025-01-02T03:04:05Z,PyPI/PYSEC-2024-1\r\n\"2025-01-01T00:00:00Z\",\"A\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseOSVModified(bytes.NewReader(data))
		checkErr(t, err)
		for _, m := range list {
			if m.ID == "" || strings.Contains(m.ID, "/") {
				t.Fatalf("bad id accepted: %+v", m)
			}
		}
	})
}

func FuzzParseKEV(f *testing.F) {
	f.Add(readFixture(f, "kev/known_exploited_vulnerabilities.json"))
	f.Add([]byte(`{"catalogVersion": "1", "count": 1, "vulnerabilities": [{"cveID": "CVE-2024-12345", "dateAdded": "2024-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		version, _, list, err := ParseKEV(bytes.NewReader(data))
		checkErr(t, err)
		if err != nil {
			return
		}
		if version == "" {
			t.Fatal("accepted without catalogVersion")
		}
		for _, k := range list {
			if !validCVE(k.CVE) || k.Added.IsZero() {
				t.Fatalf("bad entry accepted: %+v", k)
			}
		}
	})
}

func FuzzParseNVD(f *testing.F) {
	f.Add(readFixture(f, "nvd/cves-page.json"))
	f.Add([]byte(`{"vulnerabilities": [{"cve": {"id": "CVE-2024-99050", "vulnStatus": "Rejected", "published": "2024-02-01T00:00:00"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseNVD(bytes.NewReader(data))
		checkErr(t, err)
		for _, a := range list {
			if !validCVE(a.ID) {
				t.Fatalf("bad id accepted: %q", a.ID)
			}
		}
	})
}

func FuzzParseCSAF(f *testing.F) {
	f.Add(readFixture(f, "csaf/exl-2025-0142.json"))
	f.Add([]byte(`{"document": {"category": "c", "csaf_version": "2.0", "tracking": {"id": "T"}},
		"product_tree": {"branches": [{"category": "product_name", "name": "n", "branches": [{"category": "product_version", "name": "1", "product": {"name": "n 1", "product_id": "P", "product_identification_helper": {"purls": ["pkg:npm/a@1"]}}}]}],
			"relationships": [{"product_reference": "P", "relates_to_product_reference": "P", "full_product_name": {"name": "x", "product_id": "X"}}]},
		"vulnerabilities": [{"cve": "CVE-2024-1234", "cwes": [{"id": "CWE-79"}], "product_status": {"known_affected": ["X"], "fixed": ["P"]}, "scores": [{"cvss_v4": {"vectorString": "CVSS:4.0/AV:N", "baseScore": 1}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseCSAF(bytes.NewReader(data))
		checkErr(t, err)
		for _, a := range list {
			// The id is the CVE, or the tracking id and the CVE.
			cve := a.ID[strings.LastIndexByte(a.ID, '/')+1:]
			if !validCVE(cve) || a.Source != SourceCSAF || cve != a.ID && !slices.Contains(a.Aliases, cve) {
				t.Fatalf("bad advisory accepted: %+v", a)
			}
		}
	})
}

func FuzzReadOSVZip(f *testing.F) {
	f.Add(fixtureZip(f))
	f.Add(buildZip(f, zipFile{"A-1.json", []byte(`{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}`)}, zipFile{"A-2.json", []byte(`{`)}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		calls := 0
		n, err := ReadOSVZip(bytes.NewReader(data), int64(len(data)), func(a Advisory) error {
			calls++
			if a.ID == "" {
				t.Fatal("record without id")
			}
			return nil
		})
		checkErr(t, err)
		if n != calls {
			t.Fatalf("n = %d after %d calls", n, calls)
		}
	})
}

func FuzzParseEPSS(f *testing.F) {
	f.Add([]byte(epssFile))
	f.Add(gzipBytes(f, []byte(epssFile)))
	f.Add([]byte("#model_version:v2023.03.01,score_date:2023-03-05T00:00:00+0000\ncve,epss,percentile\nCVE-2024-1234,1e-05,0.5\r\n\"CVE-2024-1235\",\"0.1\",\"1\"\n"))
	f.Add([]byte("cve,epss,percentile\nCVE-2024-1234,0.5,0.5\nCVE-2024-1234,0.5,0.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		model, date, list, err := ParseEPSS(bytes.NewReader(data))
		checkErr(t, err)
		if err != nil {
			if model != "" || !date.IsZero() || list != nil {
				t.Fatalf("partial result with error %v", err)
			}
			return
		}
		if list == nil {
			t.Fatal("nil list without error")
		}
		seen := map[string]bool{}
		for _, e := range list {
			if !validCVE(e.CVE) || seen[e.CVE] || !(e.Score >= 0 && e.Score <= 1) || !(e.Percentile >= 0 && e.Percentile <= 1) {
				t.Fatalf("bad entry accepted: %+v", e)
			}
			seen[e.CVE] = true
		}
		if !date.IsZero() && (date.Location() != time.UTC || date.Year() < 1900) {
			t.Fatalf("bad score date %v", date)
		}
	})
}
