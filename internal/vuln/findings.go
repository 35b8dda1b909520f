package vuln

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/cpe"
)

// Severity is how bad a vulnerability is, as the advisories rate it.
type Severity string

// The severities, worst first.
const (
	Critical        Severity = "critical"
	High            Severity = "high"
	Medium          Severity = "medium"
	Low             Severity = "low"
	UnknownSeverity Severity = "unknown"
)

// Severities lists every severity, worst first.
var Severities = []Severity{Critical, High, Medium, Low, UnknownSeverity}

// rank orders severities: Critical 4 … Low 1, unknown 0.
func (s Severity) rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Flags are what other sources say of vulnerabilities, by CVE id: CISA's
// Known Exploited Vulnerabilities and the national warnings register.
type Flags struct {
	KEV      map[string]advisory.KEV
	Warnings map[string]string // CVE → the warning's number
}

// Finding is one vulnerability of one installed package, merged across
// the advisories (and sources) that report it.
type Finding struct {
	// VulnID identifies the vulnerability: its CVE id when an advisory
	// gives one, else the advisory's id. Aliases are its other ids.
	VulnID  string   `json:"vuln_id"`
	Aliases []string `json:"aliases,omitempty"`
	// The package as installed, and the lowest version that fixes it
	// ("" when no advisory gives a fix).
	Ecosystem string   `json:"ecosystem"`
	Package   string   `json:"package"`
	Version   string   `json:"version"`
	Arch      string   `json:"arch,omitempty"`
	Fixed     string   `json:"fixed,omitempty"`
	Severity  Severity `json:"severity"`
	// Score is the highest CVSS base score stated (0: none stated).
	Score float64 `json:"score,omitempty"`
	// KEV: in CISA's catalogue (KEVDue its due date, Ransomware its known
	// use in ransomware campaigns); Warning: the national warning naming
	// it.
	KEV        bool      `json:"kev,omitempty"`
	KEVDue     time.Time `json:"kev_due,omitzero"`
	Ransomware bool      `json:"ransomware,omitempty"`
	Warning    string    `json:"warning,omitempty"`
	// EPSS is the vulnerability's current EPSS score (nil: none known). It
	// is not stored with the finding: Service fills it when reading, from
	// the latest scores imported.
	EPSS    *advisory.EPSS `json:"epss,omitempty"`
	Summary string         `json:"summary,omitempty"`
	// Evidence is the chain behind the finding: one entry per advisory.
	Evidence []Evidence `json:"evidence"`
}

// Evidence is one advisory's part in a finding: which advisory, from
// which source, for which ecosystem entry and package name, with which
// ranges and fix.
//
// For a match by CPE, Ecosystem is "CPE", Name the NVD criteria met, Ranges
// its version bounds (type "CPE") and CPE the package's name that met it.
type Evidence struct {
	Advisory  string           `json:"advisory"`
	Source    string           `json:"source"`
	Ecosystem string           `json:"ecosystem"`
	Name      string           `json:"name"`
	Ranges    []advisory.Range `json:"ranges,omitempty"`
	Fixed     string           `json:"fixed,omitempty"`
	CPE       string           `json:"cpe,omitempty"`
}

// vulnIDs returns the vulnerabilities an advisory is about: its CVE ids
// (itself when it is one; its aliases; the upstream CVEs a distribution
// advisory lists as related), else its own id. A distribution advisory
// that fixes three CVEs is about three vulnerabilities.
func vulnIDs(m Meta) []string {
	var out []string
	for _, id := range append(append([]string{m.ID}, m.Aliases...), m.Related...) {
		if strings.HasPrefix(id, "CVE-") && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		out = []string{m.ID}
	}
	slices.Sort(out)
	return out
}

// Merge turns matches into findings: one per installed package and
// vulnerability, however many advisories (OSV, GitHub, the distribution,
// NVD by CPE) report it, each advisory kept as evidence. Severity is the
// worst any advisory states, Fixed the lowest fix; flags add KEV and
// national warnings. Findings are sorted by package, then vulnerability id.
//
// When none of a finding's advisories states a severity (a Debian DSA
// states none), the finding takes the rating and score of the NVD record
// of its CVE that the index holds (Match.NVD), and its summary when it has
// none: the distribution's own rating wins whenever it gives one. The NVD
// record is not evidence unless it matched itself.
func Merge(matches []Match, flags Flags) []Finding {
	type fkey struct{ eco, name, version, arch, vuln string }
	byKey := map[fkey]*Finding{}
	var order []fkey
	var nvd map[string]Meta // CVE → NVD record, from the matches
	for _, m := range matches {
		for _, r := range m.NVD {
			if nvd == nil {
				nvd = map[string]Meta{}
			}
			nvd[r.ID] = r
		}
		for _, id := range vulnIDs(m.Advisory) {
			k := fkey{m.Package.Ecosystem, m.Package.Name, m.Package.Version, m.Package.Arch, id}
			f, ok := byKey[k]
			if !ok {
				f = &Finding{VulnID: id, Ecosystem: m.Package.Ecosystem, Package: m.Package.Name, Version: m.Package.Version,
					Arch: m.Package.Arch, Severity: UnknownSeverity}
				byKey[k] = f
				order = append(order, k)
			}
			f.Evidence = append(f.Evidence, Evidence{Advisory: m.Advisory.ID, Source: m.Advisory.Source, Ecosystem: m.Ecosystem,
				Name: m.Name, Ranges: m.Ranges, Fixed: m.Fixed, CPE: m.CPE})
			for _, a := range append([]string{m.Advisory.ID}, m.Advisory.Aliases...) {
				if a != id && !slices.Contains(f.Aliases, a) {
					f.Aliases = append(f.Aliases, a)
				}
			}
			if m.Fixed != "" && (f.Fixed == "" || lowerFix(m.Package.Ecosystem, m.Fixed, f.Fixed)) {
				f.Fixed = m.Fixed
			}
			sev, score := rate(m.Advisory.Severity)
			if sev.rank() > f.Severity.rank() {
				f.Severity = sev
			}
			f.Score = max(f.Score, score)
			if f.Summary == "" {
				f.Summary = m.Advisory.Summary
			}
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		f := byKey[k]
		slices.Sort(f.Aliases)
		if kev, ok := flags.KEV[f.VulnID]; ok {
			f.KEV, f.KEVDue, f.Ransomware = true, kev.Due, kev.Ransomware
		}
		f.Warning = flags.Warnings[f.VulnID]
		if r, ok := nvd[f.VulnID]; ok && f.Severity == UnknownSeverity && f.Score == 0 {
			f.Severity, f.Score = rate(r.Severity)
			if f.Summary == "" {
				f.Summary = r.Summary
			}
		}
		if f.Severity == UnknownSeverity && f.Score > 0 {
			f.Severity = fromScore(f.Score)
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Package, b.Package), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.VulnID, b.VulnID))
	})
	return out
}

// lowerFix reports whether fix a is below fix b in ecosystem eco (false
// when they do not compare). Software without an ecosystem, matched by
// CPE, compares fixes as NVD versions (cpe.CompareVersion).
func lowerFix(eco, a, b string) bool {
	if eco == "" {
		return cpe.CompareVersion(a, b) < 0
	}
	va, err := parseIn(eco, a)
	if err != nil {
		return false
	}
	vb, err := parseIn(eco, b)
	if err != nil {
		return false
	}
	c, err := va.Compare(vb)
	return err == nil && c < 0
}

// rate returns the worst rating among an advisory's severity statements
// and its highest stated score.
func rate(list []advisory.Severity) (Severity, float64) {
	sev, score := UnknownSeverity, 0.0
	for _, s := range list {
		score = max(score, s.Score)
		var r Severity
		switch strings.ToUpper(s.Rating) {
		case "CRITICAL":
			r = Critical
		case "HIGH":
			r = High
		case "MEDIUM", "MODERATE":
			r = Medium
		case "LOW", "NEGLIGIBLE":
			r = Low
		default:
			continue
		}
		if r.rank() > sev.rank() {
			sev = r
		}
	}
	return sev, score
}

// fromScore rates a CVSS base score by the CVSS v3 bands.
func fromScore(s float64) Severity {
	switch {
	case s >= 9:
		return Critical
	case s >= 7:
		return High
	case s >= 4:
		return Medium
	case s > 0:
		return Low
	}
	return UnknownSeverity
}
