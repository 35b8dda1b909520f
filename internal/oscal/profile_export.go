package oscal

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// ExportProfile writes the baseline of one level as an OSCAL profile: it
// imports the catalog at catalogHref (a URI reference, e.g. the file name
// of the catalog written by ExportCatalog) and includes, by id, exactly the
// requirements of p that apply at level, keeping the catalog's grouping.
// now is the last-modified time; the same input gives the same bytes.
func ExportProfile(p *regulation.Pack, level int, catalogHref string, now time.Time) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("export oscal profile: nil pack: %w", errs.ErrInvalid)
	}
	if level < minLevel || level > maxLevel {
		return nil, fmt.Errorf("export oscal profile: level %d outside %d–%d: %w", level, minLevel, maxLevel, errs.ErrInvalid)
	}
	if err := checkHref(catalogHref); err != nil {
		return nil, fmt.Errorf("export oscal profile: catalog href: %w", err)
	}
	modified, err := stamp("last-modified", now)
	if err != nil {
		return nil, fmt.Errorf("export oscal profile: %w", err)
	}
	version := oneLine(p.Version())
	if version == "" {
		return nil, fmt.Errorf("export oscal profile %s: pack has no version: %w", p.ID(), errs.ErrInvalid)
	}
	var ids []string
	for _, r := range p.RequirementsFor(level) {
		if !IsToken(r.ID) {
			return nil, fmt.Errorf("export oscal profile %s: requirement id %q is not an OSCAL token: %w", p.ID(), r.ID, errs.ErrInvalid)
		}
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("export oscal profile %s: no requirement applies at level %d: %w", p.ID(), level, errs.ErrInvalid)
	}
	var mp props
	mp.k("pack-id", p.ID())
	mp.kint("level", level)
	title := p.Title()
	doc := profileDocument{Profile: profile{
		UUID: uuidFor("profile", p.ID(), p.Version(), fmt.Sprint(level)),
		Metadata: Metadata{
			Title:        fmt.Sprintf("Level %d baseline: %s", level, title.EN),
			LastModified: modified,
			Version:      version,
			OSCALVersion: Version,
			Props:        mp,
			Remarks:      fmt.Sprintf("Yêu cầu áp dụng cho hệ thống cấp độ %d: %s", level, title.VI),
		},
		Imports: []profileImport{{
			Href:            catalogHref,
			IncludeControls: []profileSelection{{WithIDs: ids}},
		}},
		Merge: &profileMerge{AsIs: true},
	}}
	return encode(doc)
}

// checkHref checks that href is a usable URI reference: not empty, no
// white space or control characters.
func checkHref(href string) error {
	if href == "" {
		return fmt.Errorf("empty: %w", errs.ErrInvalid)
	}
	if strings.ContainsFunc(href, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q contains white space or control characters: %w", href, errs.ErrInvalid)
	}
	if _, err := url.Parse(href); err != nil {
		return fmt.Errorf("%q is not a URI reference: %w", href, errs.ErrInvalid)
	}
	return nil
}
