package oscal

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// The range of security levels Khiên's packs define.
const (
	minLevel = 1
	maxLevel = 5
)

// ExportCatalog writes the requirement catalogue of p as an OSCAL catalog.
// lang ("vi" or "en") chooses the language of titles and prose; the other
// language travels in Khiên props and parts. Requirement groups become
// nested groups, requirements become controls with a statement part (id
// "<requirement id>_smt", the target of assessment findings), a guidance
// part, Khiên props for the level range, TCVN clauses, confirmation status
// and per-level notes, and a link to the legal source in the back matter.
// now is the last-modified time; the same pack, lang and now give the same
// bytes.
func ExportCatalog(p *regulation.Pack, lang string, now time.Time) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("export oscal catalog: nil pack: %w", errs.ErrInvalid)
	}
	if lang != "vi" && lang != "en" {
		return nil, fmt.Errorf("export oscal catalog: language %q (want vi or en): %w", lang, errs.ErrInvalid)
	}
	ce := catalogExporter{pack: p, lang: lang, ids: map[string]bool{}, resources: map[string]string{}}
	c, err := ce.catalog(now)
	if err != nil {
		return nil, fmt.Errorf("export oscal catalog %s: %w", p.ID(), err)
	}
	return encode(struct {
		Catalog *Catalog `json:"catalog"`
	}{c})
}

type catalogExporter struct {
	pack *regulation.Pack
	lang string
	// ids holds every id given out, to catch a generated part id that
	// collides with a pack id.
	ids map[string]bool
	// resources maps a source document id to its back-matter UUID.
	resources map[string]string
}

func (ce *catalogExporter) catalog(now time.Time) (*Catalog, error) {
	p := ce.pack
	modified, err := stamp("last-modified", now)
	if err != nil {
		return nil, err
	}
	version := oneLine(p.Version())
	if version == "" {
		return nil, fmt.Errorf("pack has no version: %w", errs.ErrInvalid)
	}
	var mp props
	mp.k("pack-id", p.ID())
	mp.k("lang", ce.lang)
	mp.k("regime", p.Regime())
	mp.kc("title", otherLang(ce.lang), p.Title().In(otherLang(ce.lang)))
	c := &Catalog{
		UUID: uuidFor("catalog", p.ID(), p.Version(), ce.lang),
		Metadata: &Metadata{
			Title:        p.Title().In(ce.lang),
			LastModified: modified,
			Version:      version,
			OSCALVersion: Version,
			Props:        mp,
			Remarks:      p.Description().In(ce.lang),
		},
	}
	c.BackMatter = ce.backMatter()

	// Groups nest one level deep in a pack; a requirement sits in a
	// top-level group or in a sub-group.
	groups := p.RequirementGroups()
	reqs := p.Requirements()
	byGroup := map[string][]regulation.Requirement{}
	for _, r := range reqs {
		byGroup[r.Group] = append(byGroup[r.Group], r)
	}
	for _, g := range groups {
		if g.Parent != "" {
			continue
		}
		og, err := ce.group(g, byGroup[g.ID])
		if err != nil {
			return nil, err
		}
		for _, sub := range groups {
			if sub.Parent != g.ID {
				continue
			}
			osub, err := ce.group(sub, byGroup[sub.ID])
			if err != nil {
				return nil, err
			}
			og.Groups = append(og.Groups, osub)
		}
		c.Groups = append(c.Groups, og)
	}
	// A requirement whose group is unknown (impossible in a loaded pack)
	// would be lost; say so rather than export a partial catalogue.
	known := map[string]bool{}
	for _, g := range groups {
		known[g.ID] = true
	}
	for _, r := range reqs {
		if !known[r.Group] {
			return nil, fmt.Errorf("requirement %q: unknown group %q: %w", r.ID, r.Group, errs.ErrInvalid)
		}
	}
	return c, nil
}

// claim records id as used; it fails on a bad or repeated id.
func (ce *catalogExporter) claim(id string) error {
	if !IsToken(id) {
		return fmt.Errorf("id %q is not an OSCAL token: %w", id, errs.ErrInvalid)
	}
	if ce.ids[id] {
		return fmt.Errorf("id %q is used twice: %w", id, errs.ErrInvalid)
	}
	ce.ids[id] = true
	return nil
}

func (ce *catalogExporter) backMatter() *BackMatter {
	var bm BackMatter
	other := otherLang(ce.lang)
	for _, d := range ce.pack.Sources() {
		id := uuidFor("source", ce.pack.ID(), ce.pack.Version(), d.ID)
		ce.resources[d.ID] = id
		var ps props
		ps.k("document-id", d.ID)
		ps.kc("title", other, d.Title.In(other))
		if !d.Issued.IsZero() {
			ps.k("issued", d.Issued.Format(time.DateOnly))
		}
		ps.k("confirmation", string(d.Confirmation))
		r := Resource{
			UUID:  id,
			Title: d.Title.In(ce.lang),
			Props: ps,
		}
		if n := oneLine(d.Number); n != "" {
			r.DocumentIDs = []DocumentID{{Identifier: n}}
		}
		if short := d.Short.In(ce.lang); short != "" {
			r.Citation = &Citation{Text: short}
		}
		for _, u := range d.URLs {
			r.RLinks = append(r.RLinks, RLink{Href: u})
		}
		bm.Resources = append(bm.Resources, r)
	}
	if len(bm.Resources) == 0 {
		return nil
	}
	return &bm
}

// sourceLinks links an item to the back-matter resource of its legal
// source, with the citation as the link text.
func (ce *catalogExporter) sourceLinks(s regulation.Source) []Link {
	id, ok := ce.resources[s.Document]
	if !ok {
		return nil
	}
	return []Link{{Href: "#" + id, Rel: "reference", Text: s.Citation.In(ce.lang)}}
}

func (ce *catalogExporter) group(g regulation.RequirementGroup, reqs []regulation.Requirement) (Group, error) {
	if err := ce.claim(g.ID); err != nil {
		return Group{}, fmt.Errorf("requirement group: %w", err)
	}
	other := otherLang(ce.lang)
	var ps props
	ps.kc("title", other, g.Name.In(other))
	ps.k("confirmation", string(g.Confirmation))
	og := Group{
		ID:    g.ID,
		Title: g.Name.In(ce.lang),
		Props: ps,
		Links: ce.sourceLinks(g.Source),
	}
	if d := g.Description.In(ce.lang); d != "" {
		id := g.ID + "_ovw"
		if err := ce.claim(id); err != nil {
			return Group{}, fmt.Errorf("requirement group %q: %w", g.ID, err)
		}
		og.Parts = append(og.Parts, Part{ID: id, Name: "overview", Prose: d})
	}
	if d := g.Description.In(other); d != "" {
		og.Parts = append(og.Parts, Part{Name: "overview", NS: Namespace, Class: other, Prose: d})
	}
	for _, r := range reqs {
		c, err := ce.control(r)
		if err != nil {
			return Group{}, err
		}
		og.Controls = append(og.Controls, c)
	}
	return og, nil
}

// levelRange returns the lowest and highest level at which r applies, or
// ok false when it applies at none. It asks r.AppliesTo rather than reading
// the level fields, so it follows the pack's own rule.
func levelRange(r regulation.Requirement) (lo, hi int, ok bool) {
	for l := minLevel; l <= maxLevel; l++ {
		if r.AppliesTo(l) {
			if !ok {
				lo, ok = l, true
			}
			hi = l
		}
	}
	return lo, hi, ok
}

func (ce *catalogExporter) control(r regulation.Requirement) (Control, error) {
	if err := ce.claim(r.ID); err != nil {
		return Control{}, fmt.Errorf("requirement: %w", err)
	}
	other := otherLang(ce.lang)
	var ps props
	ps.kc("title", other, r.Title.In(other))
	if lo, hi, ok := levelRange(r); ok {
		ps.kint("min-level", lo)
		if hi < maxLevel {
			ps.kint("max-level", hi)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(r.TCVN)) {
		ps.kc("tcvn", levelClass(l), r.TCVN[l])
	}
	ps.k("confirmation", string(r.Confirmation))

	c := Control{
		ID:    r.ID,
		Title: r.Title.In(ce.lang),
		Props: ps,
		Links: ce.sourceLinks(r.Source),
	}
	smt := r.ID + "_smt"
	if err := ce.claim(smt); err != nil {
		return Control{}, fmt.Errorf("requirement %q: %w", r.ID, err)
	}
	c.Parts = append(c.Parts, Part{ID: smt, Name: "statement", Prose: r.Title.In(ce.lang)})
	if g := r.Guidance.In(ce.lang); g != "" {
		id := r.ID + "_gdn"
		if err := ce.claim(id); err != nil {
			return Control{}, fmt.Errorf("requirement %q: %w", r.ID, err)
		}
		c.Parts = append(c.Parts, Part{ID: id, Name: "guidance", Prose: g})
	}
	if g := r.Guidance.In(other); g != "" {
		c.Parts = append(c.Parts, Part{Name: "guidance", NS: Namespace, Class: other, Prose: g})
	}
	for _, l := range slices.Sorted(maps.Keys(r.Notes)) {
		n := r.Notes[l]
		for _, lang := range []string{ce.lang, other} {
			if t := n.In(lang); t != "" {
				c.Parts = append(c.Parts, Part{
					Name:  "level-note",
					NS:    Namespace,
					Class: lang,
					Props: []Property{kprop("level", "", fmt.Sprint(l))},
					Prose: t,
				})
			}
		}
	}
	return c, nil
}
