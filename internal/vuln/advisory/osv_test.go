package advisory

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestParseOSVDebian(t *testing.T) {
	a, err := ParseOSV(openFixture(t, "osv/DSA-5901-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "DSA-5901-1", a, Advisory{
		ID:        "DSA-5901-1",
		Source:    "osv",
		Related:   []string{"CVE-2024-99010", "CVE-2024-99011"}, // related and upstream merged, deduplicated
		Summary:   "libexpat - security update",
		Details:   "Two vulnerabilities were found in libexpat, an XML parsing library, which could result in denial of service or the execution of arbitrary code when parsing crafted documents.",
		Published: ts(t, "2025-03-12T00:00:00Z"),
		Modified:  ts(t, "2025-03-14T09:12:45Z"),
		Affected: []Affected{
			{
				Ecosystem: "Debian:11",
				Name:      "libexpat",
				PURL:      "pkg:deb/debian/libexpat?arch=source",
				Ranges:    []Range{introFixed("ECOSYSTEM", "2.2.10-2+deb11u7")},
				Versions:  []string{"2.2.10-2+deb11u5", "2.2.10-2+deb11u6"},
			},
			{
				Ecosystem: "Debian:12",
				Name:      "libexpat",
				PURL:      "pkg:deb/debian/libexpat?arch=source",
				Ranges:    []Range{introFixed("ECOSYSTEM", "2.5.0-1+deb12u2")},
			},
		},
		References: []string{ // the duplicate advisory link appears once
			"https://www.debian.org/security/2025/dsa-5901",
			"https://security-tracker.debian.org/tracker/CVE-2024-99010",
		},
	})
}

func TestParseOSVGitHub(t *testing.T) {
	a, err := ParseOSV(openFixture(t, "osv/GHSA-7xq4-m2cf-9p3w.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "GHSA-7xq4-m2cf-9p3w", a, Advisory{
		ID:      "GHSA-7xq4-m2cf-9p3w",
		Source:  "osv",
		Aliases: []string{"CVE-2024-99020"}, // own id and duplicate dropped
		Summary: "Prototype pollution in @acme/query-lite",
		Details: "`parse()` in @acme/query-lite assigns keys such as `__proto__` onto the result object, so attacker-controlled query strings can pollute `Object.prototype`.",
		Severity: []Severity{
			// OSV gives vectors only: Score stays 0.
			{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"},
			{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N"},
			{Type: SeverityDatabase, Rating: "HIGH"}, // database_specific.severity
		},
		CWEs:      []string{"CWE-1321", "CWE-915"},
		Published: ts(t, "2024-06-03T18:22:41Z"),
		Modified:  ts(t, "2024-11-20T16:05:31.874Z"),
		Affected: []Affected{{
			Ecosystem: "npm",
			Name:      "@acme/query-lite",
			PURL:      "pkg:npm/%40acme/query-lite",
			Ranges: []Range{
				introFixed("SEMVER", "1.4.2"),
				{Type: "SEMVER", Events: []Event{{Introduced: "2.0.0"}, {LastAffected: "2.1.0"}}},
			},
		}},
		References: []string{"https://nvd.nist.gov/vuln/detail/CVE-2024-99020", "https://github.com/acme/query-lite"},
	})
}

func TestParseOSVPyPI(t *testing.T) {
	a, err := ParseOSV(openFixture(t, "osv/PYSEC-2024-901.json"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "PYSEC-2024-901", a, Advisory{
		ID:        "PYSEC-2024-901",
		Source:    "osv",
		Aliases:   []string{"CVE-2024-99030", "GHSA-9c2v-p4hr-5wqm"}, // sorted
		Details:   "tarsafe before 3.1.4 follows symbolic links when extracting archives, allowing files to be written outside the destination directory.",
		Published: ts(t, "2024-08-30T21:15:10Z"),
		Modified:  ts(t, "2024-09-02T07:30:00.123456Z"),
		Affected: []Affected{{
			Ecosystem: "PyPI",
			Name:      "tarsafe",
			PURL:      "pkg:pypi/tarsafe",
			Ranges: []Range{
				introFixed("ECOSYSTEM", "3.1.4"),
				{Type: "GIT", Repo: "https://github.com/example/tarsafe", Events: []Event{
					{Introduced: "0"}, {Fixed: "4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a"}}},
			},
			Versions: []string{"3.0.0", "3.0.1", "3.1.0", "3.1.3"},
		}},
		// the reference without a URL is skipped
		References: []string{"https://github.com/example/tarsafe/commit/4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a"},
	})
}

func TestParseOSVMinimal(t *testing.T) {
	a, err := ParseOSV(strings.NewReader(`{
		"id": "UBUNTU-CVE-2024-99040", "modified": "2024-05-01T10:00:00+07:00",
		"withdrawn": "2024-05-02T00:00:00Z",
		"related": [{"type": "DUPLICATE_OF", "id": "CVE-2024-99040"}],
		"severity": [{"type": "Ubuntu", "score": "medium"}],
		"affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "expat"},
			"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"}],
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"limit": "2.4.7-1ubuntu0.4"}]}]}],
		"future_field": {"anything": [1, 2, 3]}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "minimal", a, Advisory{
		ID:        "UBUNTU-CVE-2024-99040",
		Source:    "osv",
		Related:   []string{"CVE-2024-99040"},
		Severity:  []Severity{{Type: "Ubuntu", Rating: "MEDIUM"}},
		Modified:  ts(t, "2024-05-01T03:00:00Z"), // converted to UTC
		Withdrawn: ts(t, "2024-05-02T00:00:00Z"),
		Affected: []Affected{{
			Ecosystem: "Ubuntu:22.04:LTS",
			Name:      "expat",
			Ranges:    []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Limit: "2.4.7-1ubuntu0.4"}}}},
			Severity:  []Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"}},
		}},
	})
}

func TestParseOSVMalformed(t *testing.T) {
	const head = `"id": "GHSA-test", "modified": "2024-01-01T00:00:00Z"`
	aff := func(s string) string { return `{` + head + `, "affected": [` + s + `]}` }
	rng := func(s string) string {
		return aff(`{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [` + s + `]}`)
	}
	for _, c := range []struct {
		name, doc string
		parts     []string
	}{
		{"empty", ``, []string{"invalid JSON at byte 0: unexpected end of JSON input"}},
		{"syntax", `{"id": "X",}`, []string{"invalid JSON at byte"}},
		{"truncated", `{"id": "X", "modified": "2024`, []string{"unexpected end of JSON input"}},
		{"array", `[]`, []string{"at $:", "JSON array where an object expected"}},
		{"trailing", `{` + head + `} {}`, []string{"invalid JSON"}},
		{"no id", `{"modified": "2024-01-01T00:00:00Z"}`, []string{"at $.id", "missing id"}},
		{"bad id", `{"id": "a b", "modified": "2024-01-01T00:00:00Z"}`, []string{"at $.id", `bad id "a b"`}},
		{"no modified", `{"id": "GHSA-test"}`, []string{`"GHSA-test" at $.modified`, "missing modified"}},
		{"bad modified", `{"id": "GHSA-test", "modified": "2024-01-01"}`, []string{"at $.modified", `bad timestamp "2024-01-01"`}},
		{"bad published", `{` + head + `, "published": "yesterday"}`, []string{"at $.published"}},
		{"one-digit hour", `{"id": "GHSA-test", "modified": "2024-01-01T0:00:00Z"}`, []string{"at $.modified"}},
		{"no zone", `{"id": "GHSA-test", "modified": "2024-01-01T00:00:00"}`, []string{"at $.modified"}},
		{"zero time", `{"id": "GHSA-test", "modified": "0001-01-01T00:00:00Z"}`, []string{"at $.modified"}},
		{"id type", `{"id": 7, "modified": "2024-01-01T00:00:00Z"}`, []string{"at $.id", "JSON number where a string expected"}},
		{"aliases type", `{` + head + `, "aliases": "CVE-2024-1234"}`, []string{`"GHSA-test" at $.aliases`, "JSON string where an array expected"}},
		{"severity no score", `{` + head + `, "severity": [{"type": "CVSS_V3"}]}`, []string{"at $.severity[0].score"}},
		{"severity no type", `{` + head + `, "severity": [{"score": "x"}]}`, []string{"at $.severity[0].type"}},
		{"database_specific type", `{` + head + `, "database_specific": []}`, []string{"at $.database_specific", "JSON array where an object expected"}},
		{"related type", `{` + head + `, "related": [1]}`, []string{"at $.related", "JSON number"}},
		{"no ecosystem", aff(`{"package": {"name": "x"}}`), []string{"at $.affected[0].package.ecosystem"}},
		{"no name", aff(`{"package": {"ecosystem": "npm"}}`), []string{"at $.affected[0].package.name"}},
		{"empty version", aff(`{"versions": ["1.0", ""]}`), []string{"at $.affected[0].versions[1]"}},
		{"range type", rng(`{"type": "SEMVER", "events": [{"introduced": "0"}]}, {"type": "RPM", "events": [{"introduced": "0"}]}`), []string{"at $.affected[0].ranges[1].type", `"RPM"`}},
		{"no range type", rng(`{"events": [{"introduced": "0"}]}`), []string{"at $.affected[0].ranges[0].type", "missing range type"}},
		{"git no repo", rng(`{"type": "GIT", "events": [{"introduced": "0"}]}`), []string{"at $.affected[0].ranges[0].repo"}},
		{"no events", rng(`{"type": "SEMVER", "events": []}`), []string{"at $.affected[0].ranges[0].events", "without events"}},
		{"no introduced", rng(`{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}`), []string{"at $.affected[0].ranges[0].events", "without an introduced event"}},
		{"two keys", rng(`{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]}`), []string{"at $.affected[0].ranges[0].events[0]", "has 2"}},
		{"no key", rng(`{"type": "SEMVER", "events": [{"introduced": "0"}, {}]}`), []string{"at $.affected[0].ranges[0].events[1]", "has 0"}},
		{"empty event", rng(`{"type": "SEMVER", "events": [{"introduced": ""}]}`), []string{"at $.affected[0].ranges[0].events[0]", "empty event version"}},
		{"event type", rng(`{"type": "SEMVER", "events": [{"introduced": 0}]}`), []string{"at $.affected.ranges.events.introduced", "JSON number where a string expected"}},
		{"ranges type", aff(`{"ranges": {}}`), []string{"at $.affected.ranges", "JSON object where an array expected"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseOSV(strings.NewReader(c.doc))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed osv"}, c.parts...)...)
			same(t, "result", a, Advisory{})
		})
	}
}

func TestParseOSVTooLarge(t *testing.T) {
	doc := io.MultiReader(strings.NewReader(`{"id": "X", "modified": "2024-01-01T00:00:00Z", "details": "`),
		io.LimitReader(repeatReader('a'), MaxDocument), strings.NewReader(`"}`))
	_, err := ParseOSV(doc)
	wantErr(t, err, ErrTooLarge, fmt.Sprint(MaxDocument))
}

// repeatReader reads an endless run of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestParseOSVModified(t *testing.T) {
	list, err := ParseOSVModified(openFixture(t, "osv/modified_id.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Modified{
		{ID: "DSA-5901-1", Modified: ts(t, "2025-03-14T09:12:45Z")},
		{ID: "GHSA-7xq4-m2cf-9p3w", Modified: ts(t, "2024-11-20T16:05:31.874Z")},
		{ID: "PYSEC-2024-901", Modified: ts(t, "2024-09-02T07:30:00.123456Z")},
		{ID: "PYSEC-2024-777", Modified: ts(t, "2024-09-02T07:30:00Z")},
	}
	same(t, "modified_id.csv", list, want)

	same(t, "changed since", ChangedSince(list, ts(t, "2024-09-02T07:30:00Z")), want[:3])
	if got := ChangedSince(list, ts(t, "2025-03-14T09:12:45Z")); got != nil {
		t.Errorf("nothing changed after the newest, got %v", got)
	}

	// The bucket's top-level file prefixes the ecosystem; CRLF, quoting
	// and blank lines are tolerated.
	list, err = ParseOSVModified(strings.NewReader("\ufeff2025-01-02T03:04:05Z,PyPI/PYSEC-2024-1\r\n\r\n\"2025-01-01T00:00:00Z\",\"Rocky Linux/RLSA-2024:1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "top-level", list, []Modified{
		{ID: "PYSEC-2024-1", Ecosystem: "PyPI", Modified: ts(t, "2025-01-02T03:04:05Z")},
		{ID: "RLSA-2024:1", Ecosystem: "Rocky Linux", Modified: ts(t, "2025-01-01T00:00:00Z")},
	})

	list, err = ParseOSVModified(strings.NewReader(""))
	if err != nil || list != nil {
		t.Errorf("empty file: %v, %v", list, err)
	}
}

func TestParseOSVModifiedMalformed(t *testing.T) {
	for _, c := range []struct{ name, csv, part string }{
		{"one field", "2025-01-01T00:00:00Z\n", "line 1: want 2 comma-separated fields, have 1"},
		{"three fields", "2025-01-01T00:00:00Z,A,B\n", "have 3"},
		{"bad time", "2025-01-01T00:00:00Z,A-1\n2025-13-01T00:00:00Z,A-2\n", `line 2: bad timestamp "2025-13-01T00:00:00Z"`},
		{"header", "modified,id\n2025-01-01T00:00:00Z,A-1\n", `line 1: bad timestamp "modified"`},
		{"empty id", "2025-01-01T00:00:00Z,\n", `line 1: bad id ""`},
		{"space in id", "2025-01-01T00:00:00Z,A 1\n", `bad id "A 1"`},
		{"empty ecosystem", "2025-01-01T00:00:00Z,/A-1\n", "bad ecosystem"},
		{"nested path", "2025-01-01T00:00:00Z,PyPI/x/A-1\n", "bad id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ParseOSVModified(strings.NewReader(c.csv))
			wantErr(t, err, ErrMalformed, "osv modified_id.csv", c.part)
			if list != nil {
				t.Errorf("partial result %v", list)
			}
		})
	}
	_, err := ParseOSVModified(strings.NewReader("2025-01-01T00:00:00Z," + strings.Repeat("A", MaxModifiedLine) + "\n"))
	wantErr(t, err, ErrTooLarge, "line 1")
}

func TestParseOSVModifiedTooLarge(t *testing.T) {
	// Whole blank lines of 4001 bytes after the first record, then 500
	// bytes short of the limit: the bad line below crosses it.
	lowerLimit(t, &maxModifiedCSV, 2000*4001+int64(len("2025-01-01T00:00:00Z,GHSA-aaaa-bbbb-cccc\n"))+500)
	// One record, then blank lines (skipped, so cheap) past the limit.
	r := io.MultiReader(strings.NewReader("2025-01-01T00:00:00Z,GHSA-aaaa-bbbb-cccc\n"),
		&lineReader{line: strings.Repeat(" ", 4000) + "\n"})
	_, err := ParseOSVModified(r)
	wantErr(t, err, ErrTooLarge, "larger than")

	// A bad line cut by the limit is reported as too large, not malformed.
	blank := strings.Repeat(" ", 4000) + "\n"
	r = io.MultiReader(strings.NewReader("2025-01-01T00:00:00Z,GHSA-aaaa-bbbb-cccc\n"),
		io.LimitReader(&lineReader{line: blank}, maxModifiedCSV/int64(len(blank))*int64(len(blank))),
		strings.NewReader("2025-01-01T00:00:00Z,GHSA-"+strings.Repeat("x", 1000)+"\n"))
	_, err = ParseOSVModified(r)
	wantErr(t, err, ErrTooLarge, "larger than")
}

// lineReader repeats one line forever.
type lineReader struct {
	line string
	off  int
}

func (r *lineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}
