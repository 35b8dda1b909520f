package advisory

import (
	"fmt"
	"io"
	"strings"
)

type csafDoc struct {
	Document        *csafDocument    `json:"document"`
	ProductTree     *csafProductTree `json:"product_tree"`
	Vulnerabilities []csafVuln       `json:"vulnerabilities"`
}

type csafDocument struct {
	Category    string        `json:"category"`
	CSAFVersion string        `json:"csaf_version"`
	Title       string        `json:"title"`
	Tracking    *csafTracking `json:"tracking"`
	Notes       []csafNote    `json:"notes"`
	References  []csafRef     `json:"references"`
}

type csafTracking struct {
	ID                 string   `json:"id"`
	Aliases            []string `json:"aliases"`
	CurrentReleaseDate string   `json:"current_release_date"`
	InitialReleaseDate string   `json:"initial_release_date"`
	Status             string   `json:"status"`
	Version            string   `json:"version"`
}

type csafNote struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title"`
}

type csafRef struct {
	URL string `json:"url"`
}

type csafProductTree struct {
	Branches         []csafBranch       `json:"branches"`
	FullProductNames []csafProduct      `json:"full_product_names"`
	Relationships    []csafRelationship `json:"relationships"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Branches []csafBranch `json:"branches"`
	Product  *csafProduct `json:"product"`
}

type csafProduct struct {
	Name      string      `json:"name"`
	ProductID string      `json:"product_id"`
	Helper    *csafHelper `json:"product_identification_helper"`
}

type csafHelper struct {
	CPE   string   `json:"cpe"`
	PURL  string   `json:"purl"`
	PURLs []string `json:"purls"` // CSAF 2.1
}

type csafRelationship struct {
	Category         string       `json:"category"`
	ProductReference string       `json:"product_reference"`
	RelatesTo        string       `json:"relates_to_product_reference"`
	FullProductName  *csafProduct `json:"full_product_name"`
}

type csafVuln struct {
	CVE   string `json:"cve"`
	Title string `json:"title"`
	IDs   []struct {
		SystemName string `json:"system_name"`
		Text       string `json:"text"`
	} `json:"ids"`
	Notes       []csafNote `json:"notes"`
	ReleaseDate string     `json:"release_date"`
	CWE         *struct {
		ID string `json:"id"`
	} `json:"cwe"`
	CWEs []struct { // CSAF 2.1
		ID string `json:"id"`
	} `json:"cwes"`
	ProductStatus *csafStatus `json:"product_status"`
	References    []csafRef   `json:"references"`
	Scores        []csafScore `json:"scores"`
}

type csafStatus struct {
	FirstAffected      []string `json:"first_affected"`
	FirstFixed         []string `json:"first_fixed"`
	Fixed              []string `json:"fixed"`
	KnownAffected      []string `json:"known_affected"`
	KnownNotAffected   []string `json:"known_not_affected"`
	LastAffected       []string `json:"last_affected"`
	Recommended        []string `json:"recommended"`
	UnderInvestigation []string `json:"under_investigation"`
}

type csafScore struct {
	Products []string  `json:"products"`
	CVSSv2   *csafCVSS `json:"cvss_v2"`
	CVSSv3   *csafCVSS `json:"cvss_v3"`
	CVSSv4   *csafCVSS `json:"cvss_v4"` // CSAF 2.1
}

type csafCVSS struct {
	Version      string   `json:"version"`
	VectorString string   `json:"vectorString"`
	BaseScore    *float64 `json:"baseScore"`
	BaseSeverity string   `json:"baseSeverity"`
}

// csafProductInfo is what the product tree says about one product id.
type csafProductInfo struct {
	name     string // full product name
	family   string // name of the nearest product_name branch above it
	version  string // name of its product_version branch, if any
	purl     string
	cpe      string
	platform string // for relationship products: CPE, else name, of the product it relates to
}

// ParseCSAF reads a CSAF 2.0 document (security advisory, VEX…) and
// returns one Advisory per vulnerability that has a CVE, in document
// order; vulnerabilities without one are skipped.
//
// It requires document.csaf_version "2.0", document.category and
// document.tracking.id, RFC 3339 dates, CVE ids of the form
// CVE-YYYY-NNNN…, and that every product id the product_status lists is
// defined in the product tree (CSAF mandatory test 6.1.1).
//
// Each Advisory has ID the tracking id and the CVE ("RHSA-2024:1234/
// CVE-2024-0001": several errata may cover one CVE, each for its product
// streams, and are stored apart; the CVE alone when it is the tracking id,
// as in a VEX document), Source "csaf", Aliases the CVE, the tracking id,
// the tracking aliases and the vulnerability's ids; Summary the
// vulnerability title (else the document title); Details its description
// notes; Severity its CVSS scores, whatever products they apply to;
// Published its release_date (else the document's initial release date);
// Modified the document's current release date.
//
// Product ids are resolved through the product tree (branches, full
// product names, relationships — a relationship product without its own
// identification takes the purl or CPE of its product_reference, and the
// product it relates to becomes its Platform).
// Affected is then built from purls:
//   - products whose status is first_affected, known_affected or
//     last_affected are grouped by purl without version (qualifiers kept)
//     and platform into one Affected each, with the purls' versions as
//     Versions;
//   - products whose status is first_fixed or fixed join the group of
//     their purl and platform and give Fixed versions; when a group has exactly one
//     fixed version v, it gets the range ECOSYSTEM introduced "0", fixed v
//     (every earlier version affected, as distribution advisories mean
//     it). Groups with several fixed versions (streams) get no range: the
//     order between streams is not derivable. Purl groups left with
//     neither a Version nor a Range are dropped;
//   - affected products without a purl but with a CPE go to CPEs (all in
//     configuration 0, node 0, OR: any of them);
//   - affected products with neither become an Affected with no
//     ecosystem or purl, Name the product family (else the product name)
//     and Versions its product_version branch: informative, not matchable.
//
// known_not_affected, recommended and under_investigation are not
// recorded.
func ParseCSAF(r io.Reader) ([]Advisory, error) {
	const format = "csaf"
	data, err := readDocument(format, r)
	if err != nil {
		return nil, err
	}
	var d csafDoc
	docID := func() string {
		if d.Document != nil && d.Document.Tracking != nil {
			return d.Document.Tracking.ID
		}
		return ""
	}
	if err := decodeJSON(format, data, &d, docID); err != nil {
		return nil, err
	}
	f := fault{format: format, doc: docID()}
	doc := d.Document
	switch {
	case doc == nil:
		return nil, f.at("$.document", "missing document")
	case doc.CSAFVersion == "":
		return nil, f.at("$.document.csaf_version", "missing csaf_version")
	case doc.CSAFVersion != "2.0":
		return nil, f.at("$.document.csaf_version", "csaf_version %q, want 2.0", doc.CSAFVersion)
	case strings.TrimSpace(doc.Category) == "":
		return nil, f.at("$.document.category", "missing category")
	case doc.Tracking == nil || strings.TrimSpace(doc.Tracking.ID) == "":
		return nil, f.at("$.document.tracking.id", "missing tracking id")
	}
	tr := doc.Tracking
	current, err := timeField(f, "$.document.tracking.current_release_date", tr.CurrentReleaseDate, parseRFC3339)
	if err != nil {
		return nil, err
	}
	initial, err := timeField(f, "$.document.tracking.initial_release_date", tr.InitialReleaseDate, parseRFC3339)
	if err != nil {
		return nil, err
	}
	products, err := csafProducts(f, d.ProductTree)
	if err != nil {
		return nil, err
	}
	var out []Advisory
	for i, v := range d.Vulnerabilities {
		p := fmt.Sprintf("$.vulnerabilities[%d]", i)
		if v.CVE == "" {
			continue
		}
		if !validCVE(v.CVE) {
			return nil, f.at(p+".cve", "bad CVE id %q", v.CVE)
		}
		// One document per errata may cover a CVE for one product stream,
		// another for another: the id names both, so that they are kept
		// apart (a VEX document, one per CVE, is the CVE itself).
		id := v.CVE
		if tr.ID != v.CVE {
			id = tr.ID + "/" + v.CVE
		}
		a := Advisory{ID: id, Source: SourceCSAF, Modified: current, Summary: v.Title}
		aliases := append([]string{tr.ID, v.CVE}, tr.Aliases...)
		for _, x := range v.IDs {
			aliases = append(aliases, x.Text)
		}
		a.Aliases = sortedSet(aliases, id)
		if a.Summary == "" {
			a.Summary = doc.Title
		}
		a.Details = csafDetails(v.Notes)
		if a.Published, err = timeField(f, p+".release_date", v.ReleaseDate, parseRFC3339); err != nil {
			return nil, err
		}
		if a.Published.IsZero() {
			a.Published = initial
		}
		if a.Severity, err = csafSeverities(f, p, v.Scores); err != nil {
			return nil, err
		}
		var cwes []string
		if v.CWE != nil {
			cwes = append(cwes, v.CWE.ID)
		}
		for _, c := range v.CWEs {
			cwes = append(cwes, c.ID)
		}
		a.CWEs = sortedSet(cwes, "")
		for _, ref := range v.References {
			a.References = appendUnique(a.References, strings.TrimSpace(ref.URL))
		}
		for _, ref := range doc.References {
			a.References = appendUnique(a.References, strings.TrimSpace(ref.URL))
		}
		if v.ProductStatus != nil {
			if a.Affected, a.CPEs, err = csafAffected(f, p+".product_status", v.ProductStatus, products); err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// csafProducts resolves the product tree into product id → product.
func csafProducts(f fault, t *csafProductTree) (map[string]csafProductInfo, error) {
	products := map[string]csafProductInfo{}
	if t == nil {
		return products, nil
	}
	add := func(path string, p *csafProduct, family, version string) error {
		if strings.TrimSpace(p.ProductID) == "" {
			return f.at(path+".product_id", "missing product_id")
		}
		info := csafProductInfo{name: p.Name, family: family, version: version}
		if h := p.Helper; h != nil {
			info.cpe = h.CPE
			info.purl = h.PURL
			if info.purl == "" && len(h.PURLs) > 0 {
				info.purl = h.PURLs[0]
			}
		}
		products[p.ProductID] = info
		return nil
	}
	var walk func(path string, bs []csafBranch, family, version string) error
	walk = func(path string, bs []csafBranch, family, version string) error {
		for i := range bs {
			b := &bs[i]
			bp := fmt.Sprintf("%s[%d]", path, i)
			fam, ver := family, version
			switch b.Category {
			case "product_name":
				fam = b.Name
			case "product_version":
				ver = b.Name
			}
			if b.Product != nil {
				if err := add(bp+".product", b.Product, fam, ver); err != nil {
					return err
				}
			}
			if err := walk(bp+".branches", b.Branches, fam, ver); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("$.product_tree.branches", t.Branches, "", ""); err != nil {
		return nil, err
	}
	for i := range t.FullProductNames {
		if err := add(fmt.Sprintf("$.product_tree.full_product_names[%d]", i), &t.FullProductNames[i], "", ""); err != nil {
			return nil, err
		}
	}
	for i, rel := range t.Relationships {
		p := fmt.Sprintf("$.product_tree.relationships[%d]", i)
		if rel.FullProductName == nil {
			return nil, f.at(p+".full_product_name", "missing full_product_name")
		}
		ref, ok := products[rel.ProductReference]
		if !ok {
			return nil, f.at(p+".product_reference", "undefined product id %q", rel.ProductReference)
		}
		to, ok := products[rel.RelatesTo]
		if !ok {
			return nil, f.at(p+".relates_to_product_reference", "undefined product id %q", rel.RelatesTo)
		}
		if err := add(p+".full_product_name", rel.FullProductName, ref.family, ref.version); err != nil {
			return nil, err
		}
		info := products[rel.FullProductName.ProductID]
		if info.purl == "" {
			info.purl = ref.purl
		}
		if info.cpe == "" {
			info.cpe = ref.cpe
		}
		info.platform = to.cpe
		if info.platform == "" {
			info.platform = to.name
		}
		products[rel.FullProductName.ProductID] = info
	}
	return products, nil
}

// csafDetails joins the description notes, else the summary notes.
func csafDetails(notes []csafNote) string {
	for _, cat := range []string{"description", "summary"} {
		var parts []string
		for _, n := range notes {
			if n.Category == cat && strings.TrimSpace(n.Text) != "" {
				parts = append(parts, n.Text)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, "\n\n")
		}
	}
	return ""
}

func csafSeverities(f fault, p string, scores []csafScore) ([]Severity, error) {
	var out []Severity
	for i, s := range scores {
		for _, c := range []struct {
			key, typ string
			cvss     *csafCVSS
		}{{"cvss_v4", SeverityCVSSv4, s.CVSSv4}, {"cvss_v3", SeverityCVSSv3, s.CVSSv3}, {"cvss_v2", SeverityCVSSv2, s.CVSSv2}} {
			if c.cvss == nil {
				continue
			}
			cp := fmt.Sprintf("%s.scores[%d].%s", p, i, c.key)
			if c.cvss.VectorString == "" {
				return nil, f.at(cp+".vectorString", "missing vectorString")
			}
			sev := Severity{Type: c.typ, Vector: c.cvss.VectorString, Rating: normRating(c.cvss.BaseSeverity)}
			if c.cvss.BaseScore != nil {
				sev.Score = *c.cvss.BaseScore
				if sev.Score < 0 || sev.Score > 10 {
					return nil, f.at(cp+".baseScore", "base score %v out of range", sev.Score)
				}
			}
			if !containsSeverity(out, sev) {
				out = append(out, sev)
			}
		}
	}
	return out, nil
}

func containsSeverity(list []Severity, s Severity) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// csafAffected builds Affected entries and CPE matches from a product
// status, as ParseCSAF describes.
func csafAffected(f fault, p string, st *csafStatus, products map[string]csafProductInfo) ([]Affected, []CPEMatch, error) {
	lists := []struct {
		key   string
		ids   []string
		fixed bool
	}{
		{"first_affected", st.FirstAffected, false},
		{"known_affected", st.KnownAffected, false},
		{"last_affected", st.LastAffected, false},
		{"first_fixed", st.FirstFixed, true},
		{"fixed", st.Fixed, true},
		{"known_not_affected", st.KnownNotAffected, false},
		{"recommended", st.Recommended, false},
		{"under_investigation", st.UnderInvestigation, false},
	}
	for _, l := range lists {
		for j, id := range l.ids {
			if _, ok := products[id]; !ok {
				return nil, nil, f.at(fmt.Sprintf("%s.%s[%d]", p, l.key, j), "undefined product id %q", id)
			}
		}
	}
	var groups []*Affected
	index := map[string]*Affected{}
	group := func(key string, init Affected) *Affected {
		if g, ok := index[key]; ok {
			return g
		}
		g := &init
		index[key] = g
		groups = append(groups, g)
		return g
	}
	var cpes []CPEMatch
	for _, l := range lists[:5] {
		for _, id := range l.ids {
			info := products[id]
			if pu, ok := parsePURL(info.purl); ok {
				eco, name := pu.ecosystem()
				g := group("purl:"+pu.Base+"\x00"+info.platform, Affected{Ecosystem: eco, Name: name, PURL: pu.Base, Platform: info.platform})
				g.ProductIDs = appendUnique(g.ProductIDs, id)
				if l.fixed {
					g.Fixed = appendUnique(g.Fixed, pu.Version)
				} else {
					g.Versions = appendUnique(g.Versions, pu.Version)
				}
				continue
			}
			if l.fixed {
				continue
			}
			if info.cpe != "" {
				if !containsCPE(cpes, info.cpe) {
					cpes = append(cpes, CPEMatch{Criteria: info.cpe, Vulnerable: true, NodeOperator: "OR"})
				}
				continue
			}
			name := info.family
			if name == "" {
				name = info.name
			}
			if name == "" {
				name = id
			}
			g := group("name:"+name+"\x00"+info.platform, Affected{Name: name, Platform: info.platform})
			g.ProductIDs = appendUnique(g.ProductIDs, id)
			g.Versions = appendUnique(g.Versions, info.version)
		}
	}
	var out []Affected
	for _, g := range groups {
		if len(g.Fixed) == 1 && g.PURL != "" {
			g.Ranges = []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: g.Fixed[0]}}}}
		}
		if len(g.Versions) == 0 && len(g.Ranges) == 0 && g.PURL != "" {
			continue
		}
		out = append(out, *g)
	}
	return out, cpes, nil
}

func containsCPE(list []CPEMatch, cpe string) bool {
	for _, c := range list {
		if c.Criteria == cpe {
			return true
		}
	}
	return false
}
