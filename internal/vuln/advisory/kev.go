package advisory

import (
	"fmt"
	"io"
	"strings"
	"time"
)

type kevCatalog struct {
	Title           string     `json:"title"`
	CatalogVersion  string     `json:"catalogVersion"`
	DateReleased    string     `json:"dateReleased"`
	Count           *int       `json:"count"`
	Vulnerabilities *[]kevItem `json:"vulnerabilities"`
}

type kevItem struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

// ParseKEV reads CISA's Known Exploited Vulnerabilities catalogue
// (known_exploited_vulnerabilities.json) and returns its version, its
// release time and its entries in catalogue order.
//
// It requires catalogVersion and a vulnerabilities array; count, when
// present, must equal the number of entries (a cut or edited catalogue is
// refused). Each entry needs a cveID of the form CVE-YYYY-NNNN… and a
// dateAdded; dates are "YYYY-MM-DD" (an RFC 3339 timestamp is accepted
// too) and dateReleased is RFC 3339.
func ParseKEV(r io.Reader) (catalogVersion string, released time.Time, list []KEV, err error) {
	const format = "kev"
	data, err := readDocument(format, r)
	if err != nil {
		return "", time.Time{}, nil, err
	}
	var c kevCatalog
	if err := decodeJSON(format, data, &c, nil); err != nil {
		return "", time.Time{}, nil, err
	}
	f := fault{format: format, doc: c.CatalogVersion}
	if strings.TrimSpace(c.CatalogVersion) == "" {
		return "", time.Time{}, nil, f.at("$.catalogVersion", "missing catalogVersion")
	}
	if c.Vulnerabilities == nil {
		return "", time.Time{}, nil, f.at("$.vulnerabilities", "missing vulnerabilities")
	}
	items := *c.Vulnerabilities
	if c.Count != nil && *c.Count != len(items) {
		return "", time.Time{}, nil, f.at("$.count", "count %d but %d vulnerabilities", *c.Count, len(items))
	}
	if released, err = timeField(f, "$.dateReleased", c.DateReleased, parseRFC3339); err != nil {
		return "", time.Time{}, nil, err
	}
	list = make([]KEV, 0, len(items))
	for i, it := range items {
		p := fmt.Sprintf("$.vulnerabilities[%d]", i)
		if !validCVE(it.CVEID) {
			return "", time.Time{}, nil, f.at(p+".cveID", "bad CVE id %q", it.CVEID)
		}
		k := KEV{
			CVE:            it.CVEID,
			Vendor:         it.VendorProject,
			Product:        it.Product,
			Name:           it.VulnerabilityName,
			Description:    it.ShortDescription,
			RequiredAction: it.RequiredAction,
			Ransomware:     strings.EqualFold(strings.TrimSpace(it.KnownRansomwareCampaignUse), "Known"),
			Notes:          it.Notes,
			CWEs:           sortedSet(it.CWEs, ""),
		}
		if it.DateAdded == "" {
			return "", time.Time{}, nil, f.at(p+".dateAdded", "missing dateAdded for %s", it.CVEID)
		}
		if k.Added, err = timeField(f, p+".dateAdded", it.DateAdded, parseDate); err != nil {
			return "", time.Time{}, nil, err
		}
		if k.Due, err = timeField(f, p+".dueDate", it.DueDate, parseDate); err != nil {
			return "", time.Time{}, nil, err
		}
		list = append(list, k)
	}
	return c.CatalogVersion, released, list, nil
}

// parseDate parses "YYYY-MM-DD" as UTC midnight, or an RFC 3339 timestamp.
func parseDate(s string) (time.Time, error) {
	if dateOnlyRE.MatchString(s) {
		return plausible(time.Parse(time.DateOnly, s))
	}
	return parseRFC3339(s)
}
