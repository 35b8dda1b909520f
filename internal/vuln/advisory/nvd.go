package advisory

import (
	"fmt"
	"io"
	"strings"
	"time"
)

type nvdPage struct {
	ResultsPerPage  int        `json:"resultsPerPage"`
	StartIndex      int        `json:"startIndex"`
	TotalResults    int        `json:"totalResults"`
	Format          string     `json:"format"`
	Version         string     `json:"version"`
	Timestamp       string     `json:"timestamp"`
	Vulnerabilities *[]nvdItem `json:"vulnerabilities"`
}

type nvdItem struct {
	CVE *nvdCVE `json:"cve"`
}

type nvdCVE struct {
	ID               string             `json:"id"`
	SourceIdentifier string             `json:"sourceIdentifier"`
	Published        string             `json:"published"`
	LastModified     string             `json:"lastModified"`
	VulnStatus       string             `json:"vulnStatus"`
	Descriptions     []nvdLangString    `json:"descriptions"`
	Metrics          nvdMetrics         `json:"metrics"`
	Weaknesses       []nvdWeakness      `json:"weaknesses"`
	Configurations   []nvdConfiguration `json:"configurations"`
	References       []nvdReference     `json:"references"`
}

type nvdLangString struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type nvdMetrics struct {
	V40 []nvdMetric `json:"cvssMetricV40"`
	V31 []nvdMetric `json:"cvssMetricV31"`
	V30 []nvdMetric `json:"cvssMetricV30"`
	V2  []nvdMetric `json:"cvssMetricV2"`
}

type nvdMetric struct {
	Source       string      `json:"source"`
	Type         string      `json:"type"`
	CVSSData     nvdCVSSData `json:"cvssData"`
	BaseSeverity string      `json:"baseSeverity"` // CVSS v2 keeps it here
}

type nvdCVSSData struct {
	Version      string   `json:"version"`
	VectorString string   `json:"vectorString"`
	BaseScore    *float64 `json:"baseScore"`
	BaseSeverity string   `json:"baseSeverity"`
}

type nvdWeakness struct {
	Source      string          `json:"source"`
	Type        string          `json:"type"`
	Description []nvdLangString `json:"description"`
}

type nvdConfiguration struct {
	Operator string    `json:"operator"`
	Negate   bool      `json:"negate"`
	Nodes    []nvdNode `json:"nodes"`
}

type nvdNode struct {
	Operator string        `json:"operator"`
	Negate   bool          `json:"negate"`
	CPEMatch []nvdCPEMatch `json:"cpeMatch"`
}

type nvdCPEMatch struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	MatchCriteriaID       string `json:"matchCriteriaId"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

type nvdReference struct {
	URL string `json:"url"`
}

// ParseNVD reads one response of the NVD CVE API 2.0 (or a JSON 2.0 data
// feed file, which has the same shape) and returns one Advisory per CVE,
// in page order, Source "nvd".
//
// It requires a vulnerabilities array (an unrelated JSON document is not
// an empty page), format "NVD_CVE" and a 2.x version when given, and for
// every CVE an id of the form CVE-YYYY-NNNN…. Timestamps are NVD's
// "2024-01-01T00:00:00.000", without a zone, read as UTC (RFC 3339 is
// accepted too).
//
// Details is the English description (Summary stays empty). Severity
// lists the CVSS metrics in the order v4.0, v3.1, v3.0, v2, each with the
// base score and severity NVD gives and the scoring source. CWEs come from
// the weaknesses ("NVD-CWE-Other" and "NVD-CWE-noinfo" are dropped). CPEs
// flattens the configurations, keeping version bounds and the AND/OR
// structure (see CPEMatch). A rejected CVE gets Withdrawn = lastModified.
func ParseNVD(r io.Reader) ([]Advisory, error) {
	const format = "nvd"
	data, err := readDocument(format, r)
	if err != nil {
		return nil, err
	}
	var p nvdPage
	if err := decodeJSON(format, data, &p, nil); err != nil {
		return nil, err
	}
	f := fault{format: format}
	if p.Format != "" && p.Format != "NVD_CVE" {
		return nil, f.at("$.format", "format %q, want NVD_CVE", p.Format)
	}
	if p.Version != "" && !strings.HasPrefix(p.Version, "2.") {
		return nil, f.at("$.version", "version %q, want 2.x", p.Version)
	}
	if p.Vulnerabilities == nil {
		return nil, f.at("$.vulnerabilities", "missing vulnerabilities")
	}
	if _, err := timeField(f, "$.timestamp", p.Timestamp, parseNVDTime); err != nil {
		return nil, err
	}
	items := *p.Vulnerabilities
	out := make([]Advisory, 0, len(items))
	for i, it := range items {
		a, err := nvdAdvisory(fmt.Sprintf("$.vulnerabilities[%d].cve", i), it.CVE)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func nvdAdvisory(p string, c *nvdCVE) (Advisory, error) {
	f := fault{format: "nvd"}
	if c == nil {
		return Advisory{}, f.at(p, "missing cve")
	}
	if c.ID == "" {
		return Advisory{}, f.at(p+".id", "missing id")
	}
	if !validCVE(c.ID) {
		return Advisory{}, f.at(p+".id", "bad CVE id %q", c.ID)
	}
	f.doc = c.ID
	a := Advisory{ID: c.ID, Source: SourceNVD}
	var err error
	if a.Published, err = timeField(f, p+".published", c.Published, parseNVDTime); err != nil {
		return Advisory{}, err
	}
	if a.Modified, err = timeField(f, p+".lastModified", c.LastModified, parseNVDTime); err != nil {
		return Advisory{}, err
	}
	if strings.EqualFold(c.VulnStatus, "Rejected") {
		a.Withdrawn = a.Modified
		if a.Withdrawn.IsZero() {
			a.Withdrawn = a.Published
		}
	}
	for _, d := range c.Descriptions {
		if strings.EqualFold(d.Lang, "en") || strings.HasPrefix(strings.ToLower(d.Lang), "en-") {
			a.Details = d.Value
			break
		}
	}
	groups := []struct {
		name, typ string
		list      []nvdMetric
	}{
		{"cvssMetricV40", SeverityCVSSv4, c.Metrics.V40},
		{"cvssMetricV31", SeverityCVSSv3, c.Metrics.V31},
		{"cvssMetricV30", SeverityCVSSv3, c.Metrics.V30},
		{"cvssMetricV2", SeverityCVSSv2, c.Metrics.V2},
	}
	for _, g := range groups {
		for i, m := range g.list {
			mp := fmt.Sprintf("%s.metrics.%s[%d].cvssData", p, g.name, i)
			if m.CVSSData.VectorString == "" {
				return Advisory{}, f.at(mp+".vectorString", "missing vectorString")
			}
			s := Severity{Type: g.typ, Vector: m.CVSSData.VectorString, Source: m.Source,
				Rating: normRating(m.CVSSData.BaseSeverity)}
			if s.Rating == "" {
				s.Rating = normRating(m.BaseSeverity)
			}
			if m.CVSSData.BaseScore != nil {
				s.Score = *m.CVSSData.BaseScore
				if s.Score < 0 || s.Score > 10 {
					return Advisory{}, f.at(mp+".baseScore", "base score %v out of range", s.Score)
				}
			}
			a.Severity = append(a.Severity, s)
		}
	}
	var cwes []string
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") {
				cwes = append(cwes, d.Value)
			}
		}
	}
	a.CWEs = sortedSet(cwes, "")
	for ci, cfg := range c.Configurations {
		cp := fmt.Sprintf("%s.configurations[%d]", p, ci)
		if err := checkOperator(f, cp+".operator", cfg.Operator); err != nil {
			return Advisory{}, err
		}
		for ni, node := range cfg.Nodes {
			np := fmt.Sprintf("%s.nodes[%d]", cp, ni)
			if err := checkOperator(f, np+".operator", node.Operator); err != nil {
				return Advisory{}, err
			}
			for mi, m := range node.CPEMatch {
				if !strings.HasPrefix(m.Criteria, "cpe:") {
					return Advisory{}, f.at(fmt.Sprintf("%s.cpeMatch[%d].criteria", np, mi), "bad CPE %q", m.Criteria)
				}
				a.CPEs = append(a.CPEs, CPEMatch{
					Criteria:              m.Criteria,
					MatchCriteriaID:       m.MatchCriteriaID,
					Vulnerable:            m.Vulnerable,
					VersionStartIncluding: m.VersionStartIncluding,
					VersionStartExcluding: m.VersionStartExcluding,
					VersionEndIncluding:   m.VersionEndIncluding,
					VersionEndExcluding:   m.VersionEndExcluding,
					Config:                ci,
					Node:                  ni,
					ConfigOperator:        strings.ToUpper(cfg.Operator),
					NodeOperator:          strings.ToUpper(node.Operator),
					Negate:                node.Negate,
				})
			}
		}
	}
	for _, ref := range c.References {
		a.References = appendUnique(a.References, strings.TrimSpace(ref.URL))
	}
	return a, nil
}

// checkOperator accepts an empty, AND or OR configuration operator.
func checkOperator(f fault, path, op string) error {
	switch strings.ToUpper(op) {
	case "", "AND", "OR":
		return nil
	}
	return f.at(path, "operator %q is not AND or OR", op)
}

// parseNVDTime parses NVD's zone-less timestamps as UTC, and RFC 3339.
func parseNVDTime(s string) (time.Time, error) {
	if localTSRE.MatchString(s) {
		return plausible(time.Parse("2006-01-02T15:04:05", s)) // fractional seconds are accepted
	}
	return parseRFC3339(s)
}
