// Package vuln matches software inventories against vulnerability
// advisories with the version rules of each ecosystem, and explains every
// finding: which package, which installed version, which affected range,
// which fixed version, which advisory from which source.
//
// The parts live in subpackages: version (ecosystem version comparison
// and OSV range evaluation), inventory (SBOM and package-list importers)
// and advisory (OSV, CISA KEV, NVD and CSAF importers). This package
// compiles advisories into an Index and matches packages against it.
//
// Packages of an ecosystem match only ecosystem-specific advisories: a
// Debian package is matched against the Debian advisories of its release
// (which know the distribution's backported fixes), never against upstream
// version ranges such as NVD's CPE configurations — so a backported fix is
// never reported as a vulnerability. Software without an ecosystem (Windows
// programs, SBOM components known only by CPE) is matched against NVD's
// configurations by CPE (package cpe).
package vuln

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/cpe"
	"khien.vn/khien/internal/vuln/inventory"
	"khien.vn/khien/internal/vuln/version"
)

// Index is a set of advisories compiled for matching: each affected entry
// keyed by ecosystem (with its release for distributions) and package
// name, its ranges compiled once. Build it with NewIndex; it is then
// read-only and safe for concurrent use.
type Index struct {
	advisories []Meta
	byKey      map[key][]*entry
	entries    int
	// cpe holds the NVD records with configurations (nil when there are
	// none); nvd every NVD record's rating and summary by CVE (nil when
	// none), for Merge.
	cpe *cpeIndex
	nvd map[string]*Meta
}

// cpeIndex files NVD records by the vendor and product of their
// vulnerable cpeMatches.
type cpeIndex struct {
	records   []*cpeRecord
	byProduct map[vendorProduct][]int32
	matches   int
}

// vendorProduct is an unquoted, lower-case vendor and product.
type vendorProduct struct{ vendor, product string }

// cpeRecord is one NVD record; its configurations are compiled on first
// use.
type cpeRecord struct {
	meta Meta
	cpes []advisory.CPEMatch
	once sync.Once
	conf *cpe.Configurations
	err  error
}

// compiled returns the record's configurations, compiling them once.
func (r *cpeRecord) compiled() (*cpe.Configurations, error) {
	r.once.Do(func() {
		r.conf, r.err = cpe.Compile(r.cpes)
	})
	return r.conf, r.err
}

// Meta is what a finding says of its advisory.
type Meta struct {
	ID      string
	Source  string
	Aliases []string
	// Related are ids of connected records; distribution advisories list
	// the upstream CVEs they fix there.
	Related  []string
	Summary  string
	Severity []advisory.Severity
}

type key struct {
	eco  version.Ecosystem // base, or base:release for distributions
	name string            // normalised for the ecosystem
}

// entry is one affected entry of an advisory. Its ranges are compiled on
// first use: most entries of a large database never meet an installed
// package, and compiling them all would cost more than matching.
type entry struct {
	adv      int32
	eco      version.Ecosystem // as the advisory gives it
	name     string
	ranges   []advisory.Range
	versions []string
	once     sync.Once
	m        *version.Matcher
	fixed    []string // fixed versions of the entry's ranges, in order
}

// matcher returns the entry's compiled ranges, compiling them once.
func (en *entry) matcher() *version.Matcher {
	en.once.Do(func() {
		ranges := make([]version.Range, 0, len(en.ranges))
		for _, r := range en.ranges {
			vr := version.Range{Type: r.Type, Repo: r.Repo, Events: make([]version.Event, len(r.Events))}
			for i, ev := range r.Events {
				vr.Events[i] = version.Event(ev)
				if ev.Fixed != "" {
					en.fixed = append(en.fixed, ev.Fixed)
				}
			}
			ranges = append(ranges, vr)
		}
		en.m = version.NewMatcher(en.eco, ranges, en.versions)
	})
	return en.m
}

// NewIndex indexes advs (their ranges are compiled when first needed).
// Withdrawn advisories and affected entries without an ecosystem the
// version package supports are left out. NVD records are kept apart: by the
// vendor and product of their vulnerable cpeMatches, for software without
// an ecosystem (see Match), and by CVE, to rate findings no advisory rates
// (see Merge). Other sources' CPEs (CSAF products known only by CPE) are not
// matched.
func NewIndex(advs []advisory.Advisory) *Index {
	ix := &Index{byKey: map[key][]*entry{}}
	for _, a := range advs {
		if !a.Withdrawn.IsZero() {
			continue
		}
		if a.Source == advisory.SourceNVD {
			ix.addNVD(a)
		}
		adv := int32(len(ix.advisories))
		added := false
		for _, af := range a.Affected {
			eco := version.Ecosystem(af.Ecosystem)
			if af.Name == "" || !version.Supported(eco) {
				continue
			}
			en := &entry{adv: adv, eco: eco, name: af.Name, ranges: af.Ranges, versions: af.Versions}
			k := key{eco: indexEcosystem(eco), name: normalName(eco, af.Name)}
			ix.byKey[k] = append(ix.byKey[k], en)
			if eco.Base() == "Red Hat" && k.eco != "Red Hat" {
				// An installed-package list cannot say which Red Hat
				// product stream a package came from (OSV keys them
				// "Red Hat:enterprise_linux:9::appstream"): its packages
				// are "Red Hat" and meet the advisories of every stream,
				// the el8/el9 release tags of the versions keeping them
				// apart.
				k.eco = "Red Hat"
				ix.byKey[k] = append(ix.byKey[k], en)
			}
			ix.entries++
			added = true
		}
		if added {
			ix.advisories = append(ix.advisories, Meta{ID: a.ID, Source: a.Source, Aliases: a.Aliases, Related: a.Related,
				Summary: a.Summary, Severity: a.Severity})
		}
	}
	return ix
}

// Len returns the number of advisories and of affected entries indexed by
// ecosystem; NVD records matched by CPE are counted by LenCPE.
func (ix *Index) Len() (advisories, entries int) { return len(ix.advisories), ix.entries }

// LenCPE returns the number of NVD records indexed for CPE matching and of
// their cpeMatches.
func (ix *Index) LenCPE() (records, matches int) {
	if ix.cpe == nil {
		return 0, 0
	}
	return len(ix.cpe.records), ix.cpe.matches
}

// addNVD indexes NVD record a: its rating and summary by CVE, and its
// configurations by the vendor and product of their vulnerable cpeMatches.
// A CVE's first record counts.
func (ix *Index) addNVD(a advisory.Advisory) {
	if ix.nvd[a.ID] != nil {
		return
	}
	summary := a.Summary
	if summary == "" {
		summary = a.Details // NVD's description
	}
	meta := Meta{ID: a.ID, Source: a.Source, Aliases: a.Aliases, Related: a.Related, Summary: summary, Severity: a.Severity}
	if ix.nvd == nil {
		ix.nvd = map[string]*Meta{}
	}
	ix.nvd[a.ID] = &meta
	var keys []vendorProduct
	for _, m := range a.CPEs {
		if !m.Vulnerable {
			continue
		}
		vendor, product, ok := cpe.VendorProduct(m.Criteria)
		if !ok {
			continue // NVD names the vendor and product of every criteria
		}
		if k := (vendorProduct{vendor, product}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	if ix.cpe == nil {
		ix.cpe = &cpeIndex{byProduct: map[vendorProduct][]int32{}}
	}
	n := int32(len(ix.cpe.records))
	ix.cpe.records = append(ix.cpe.records, &cpeRecord{meta: meta, cpes: a.CPEs})
	ix.cpe.matches += len(a.CPEs)
	for _, k := range keys {
		ix.cpe.byProduct[k] = append(ix.cpe.byProduct[k], n)
	}
}

// distro reports whether e is an operating-system ecosystem, whose
// advisories are per release.
func distro(e version.Ecosystem) bool {
	switch e.Base() {
	case "Debian", "Ubuntu", "Alpine", "Red Hat", "Rocky Linux", "AlmaLinux", "SUSE", "openSUSE", "Mageia", "Photon OS",
		"Wolfi", "Chainguard", "Alpaquita", "BellSoft Hardened Containers", "Azure Linux", "openEuler", "Echo":
		return true
	}
	return false
}

// indexEcosystem is the ecosystem part of a key: the base, with the
// release up to its first component that has a digit for distributions
// ("Ubuntu:22.04:LTS" → "Ubuntu:22.04"). Components before the number
// name a separate lineage and stay: "Ubuntu:Pro:22.04:LTS" →
// "Ubuntu:Pro:22.04", "Ubuntu:Pro:FIPS-updates:22.04:LTS" →
// "Ubuntu:Pro:FIPS-updates:22.04" — their fixed versions do not apply to
// the standard release.
func indexEcosystem(e version.Ecosystem) version.Ecosystem {
	base := e.Base()
	if !distro(base) {
		return base
	}
	parts := strings.Split(e.Release(), ":")
	for i, part := range parts {
		if strings.ContainsAny(part, "0123456789") {
			return base + ":" + version.Ecosystem(strings.Join(parts[:i+1], ":"))
		}
	}
	return base
}

// normalName normalises a package name as its ecosystem compares names:
// PyPI per PEP 503, NuGet and the distributions case-insensitively,
// crates.io with - and _ alike; others exactly.
func normalName(e version.Ecosystem, name string) string {
	switch b := e.Base(); {
	case b == "PyPI":
		name = strings.ToLower(name)
		var sb strings.Builder
		run := false
		for _, r := range name {
			if r == '-' || r == '_' || r == '.' {
				if !run {
					sb.WriteByte('-')
				}
				run = true
				continue
			}
			run = false
			sb.WriteRune(r)
		}
		return sb.String()
	case b == "crates.io":
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case b == "NuGet", distro(b):
		return strings.ToLower(name)
	}
	return name
}

// Match is one package affected by one advisory, with its evidence chain.
type Match struct {
	Package inventory.Package
	// Name is the name the advisory matched: the package's, or its
	// source package's for a distribution binary package.
	Name string
	// Ecosystem is the advisory's ecosystem entry ("Debian:12").
	Ecosystem string
	Advisory  Meta
	// Ranges are the advisory's affected ranges for the package; Fixed
	// the lowest fixed version above the installed one ("" when no fix is
	// known).
	Ranges []advisory.Range
	Fixed  string
	// CPE is, for a match by CPE (Ecosystem "CPE", Name the NVD criteria
	// met), the package's CPE name that met it: the file's, or the one
	// derived from a Windows program's name and publisher.
	CPE string
	// NVD holds the NVD records of the advisory's CVEs when the advisory
	// states no severity (nil otherwise, or when the index holds none):
	// Merge rates a finding no advisory rates by them.
	NVD []Meta
}

// Problem is a package or advisory entry that could not be evaluated (a
// version that does not parse): reported, never taken as "not affected"
// silently.
type Problem struct {
	Package  inventory.Package
	Advisory string
	Err      error
}

// Match matches pkgs, the software of one asset, against the index: for
// each package with an ecosystem, the advisories of its ecosystem (and
// release) naming it (or its source package) whose ranges contain its
// version; for each package without an ecosystem, the NVD records whose
// configurations its CPE names meet (see matchCPE). Results are sorted by
// package, then advisory id; one advisory matches a package once.
func (ix *Index) Match(pkgs []inventory.Package) ([]Match, []Problem) {
	var out []Match
	var problems []Problem
	for _, p := range pkgs {
		eco := version.Ecosystem(p.Ecosystem)
		if eco == "" || p.Version == "" || !version.Supported(eco) {
			continue
		}
		v, err := version.Parse(eco, p.Version)
		if err != nil {
			problems = append(problems, Problem{Package: p, Err: err})
			continue
		}
		names := []string{p.Name}
		if p.SourceName != "" && p.SourceName != p.Name {
			names = append(names, p.SourceName)
		}
		ecos := []version.Ecosystem{indexEcosystem(eco)}
		if distro(eco) && ecos[0] != eco.Base() {
			ecos = append(ecos, eco.Base()) // advisories for every release
		}
		seen := map[int32]bool{}
		for _, e := range ecos {
			for _, n := range names {
				for _, en := range ix.byKey[key{eco: e, name: normalName(eco, n)}] {
					if seen[en.adv] {
						continue
					}
					hit, err := en.matcher().Affected(v)
					if err != nil {
						problems = append(problems, Problem{Package: p, Advisory: ix.advisories[en.adv].ID, Err: err})
						continue
					}
					if !hit {
						continue
					}
					seen[en.adv] = true
					out = append(out, Match{Package: p, Name: n, Ecosystem: string(en.eco), Advisory: ix.advisories[en.adv],
						Ranges: en.ranges, Fixed: lowestFixAbove(v, en.fixed)})
				}
			}
		}
	}
	if ix.cpe != nil {
		out, problems = ix.matchCPE(pkgs, out, problems)
	}
	if ix.nvd != nil {
		for i := range out {
			out[i].NVD = ix.nvdRatings(out[i].Advisory)
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Package.Ecosystem, b.Package.Ecosystem), cmp.Compare(a.Package.Name, b.Package.Name),
			cmp.Compare(a.Package.Version, b.Package.Version), cmp.Compare(a.Package.Arch, b.Package.Arch), cmp.Compare(a.Advisory.ID, b.Advisory.ID))
	})
	return out, problems
}

// matchCPE matches the packages without an ecosystem by CPE, NVD's way,
// appending to out and problems.
//
// The names known for the asset are: each such package's own CPE (the
// file's, with the package's version when the CPE gives none), or for a
// Windows program (a package with a Vendor, see inventory.Package) the
// names the curated dictionary gives it (cpe.Windows), else the guesses of
// cpe.Guess whose vendor and product NVD's indexed criteria name exactly;
// and the asset's platform, cpe.WindowsPlatform, when it has a Windows
// program. Packages of an ecosystem are never matched by CPE (the backport
// rule) nor contribute names; nor does a package without a version.
//
// Every NVD record with a vulnerable criteria of a vendor and product of
// those names is evaluated against all of them (cpe.Configurations.Evaluate);
// each package a hit names matches the record once, by its first hit. A
// criteria that does not parse makes the record a Problem.
func (ix *Index) matchCPE(pkgs []inventory.Package, out []Match, problems []Problem) ([]Match, []Problem) {
	var names []cpe.Name
	var owner []int // package of each name; -1 the platform
	windows := false
	for i, p := range pkgs {
		if p.Ecosystem != "" {
			continue
		}
		switch {
		case p.CPE != "":
			n, err := cpe.Parse(p.CPE)
			if err != nil {
				problems = append(problems, Problem{Package: p, Err: err})
				continue
			}
			if n.Version == cpe.Any {
				if p.Version == "" {
					continue
				}
				n.Version = cpe.Quote(p.Version)
			}
			names, owner = append(names, n), append(owner, i)
		case p.Vendor != "":
			windows = true
			prog := cpe.Program{Name: p.Name, Publisher: p.Vendor, Version: p.Version}
			found := cpe.Windows().Lookup(prog)
			if len(found) == 0 {
				for _, n := range cpe.Guess(prog) {
					if _, ok := ix.cpe.byProduct[vendorProduct{cpe.Unquote(n.Vendor), cpe.Unquote(n.Product)}]; ok {
						found = append(found, n)
					}
				}
			}
			for _, n := range found {
				names, owner = append(names, n), append(owner, i)
			}
		}
	}
	if len(names) == 0 {
		return out, problems
	}
	// The records meeting a package's vendor and product, in index order.
	var recs []int32
	firstOwner := map[int32]int{}
	for k, n := range names {
		for _, r := range ix.cpe.byProduct[vendorProduct{cpe.Unquote(n.Vendor), cpe.Unquote(n.Product)}] {
			if _, ok := firstOwner[r]; !ok {
				firstOwner[r] = owner[k]
				recs = append(recs, r)
			}
		}
	}
	if len(recs) == 0 {
		return out, problems
	}
	if windows {
		names, owner = append(names, cpe.WindowsPlatform()), append(owner, -1)
	}
	slices.Sort(recs)
	for _, r := range recs {
		rec := ix.cpe.records[r]
		conf, err := rec.compiled()
		if err != nil {
			problems = append(problems, Problem{Package: pkgs[firstOwner[r]], Advisory: rec.meta.ID, Err: err})
			continue
		}
		matched := map[int]bool{}
		for _, h := range conf.Evaluate(names) {
			pi := owner[h.Target]
			if pi < 0 || matched[pi] {
				continue
			}
			matched[pi] = true
			m := rec.cpes[h.Match]
			out = append(out, Match{Package: pkgs[pi], Name: m.Criteria, Ecosystem: EcosystemCPE, Advisory: rec.meta,
				Ranges: cpeRanges(conf.Criterion(h.Match)), Fixed: m.VersionEndExcluding, CPE: names[h.Target].String()})
		}
	}
	return out, problems
}

// EcosystemCPE is the Ecosystem of matches by CPE, and RangeCPE the type
// of their ranges.
const (
	EcosystemCPE = "CPE"
	RangeCPE     = "CPE"
)

// cpeRanges writes a criteria's version bounds as a range of type CPE for
// the evidence: introduced versionStartIncluding (">v" for
// versionStartExcluding, "0" when there is no lower bound), fixed
// versionEndExcluding, last_affected versionEndIncluding; an exact version
// in the criteria is introduced and last_affected; a criteria of any
// version without bounds is introduced "0" alone.
func cpeRanges(c cpe.Criterion) []advisory.Range {
	r := advisory.Range{Type: RangeCPE}
	if v := c.Name.Version; !c.Bounded() && v != cpe.Any && v != cpe.NA {
		v = cpe.Unquote(v)
		r.Events = []advisory.Event{{Introduced: v}, {LastAffected: v}}
		return []advisory.Range{r}
	}
	switch {
	case c.VersionStartIncluding != "":
		r.Events = append(r.Events, advisory.Event{Introduced: c.VersionStartIncluding})
	case c.VersionStartExcluding != "":
		r.Events = append(r.Events, advisory.Event{Introduced: ">" + c.VersionStartExcluding})
	default:
		r.Events = append(r.Events, advisory.Event{Introduced: "0"})
	}
	if c.VersionEndExcluding != "" {
		r.Events = append(r.Events, advisory.Event{Fixed: c.VersionEndExcluding})
	}
	if c.VersionEndIncluding != "" {
		r.Events = append(r.Events, advisory.Event{LastAffected: c.VersionEndIncluding})
	}
	return []advisory.Range{r}
}

// nvdRatings returns the NVD records of the CVEs of advisory m when m
// states no severity (nil otherwise): what Merge rates a finding by when no
// matched advisory rates it.
func (ix *Index) nvdRatings(m Meta) []Meta {
	if m.Source == advisory.SourceNVD {
		return nil
	}
	if sev, score := rate(m.Severity); sev != UnknownSeverity || score > 0 {
		return nil
	}
	var out []Meta
	for _, id := range vulnIDs(m) {
		if r := ix.nvd[id]; r != nil {
			out = append(out, Meta{ID: r.ID, Source: r.Source, Summary: r.Summary, Severity: r.Severity})
		}
	}
	return out
}

// lowestFixAbove returns the lowest of fixed that is above v ("" when
// none is, or none parses).
func lowestFixAbove(v version.Version, fixed []string) string {
	var best version.Version
	for _, f := range fixed {
		fv, err := version.Parse(v.Ecosystem(), f)
		if err != nil {
			continue
		}
		if c, err := fv.Compare(v); err != nil || c <= 0 {
			continue
		}
		if best.IsZero() {
			best = fv
			continue
		}
		if c, err := fv.Compare(best); err == nil && c < 0 {
			best = fv
		}
	}
	if best.IsZero() {
		return ""
	}
	return best.String()
}

// parseIn parses v in ecosystem eco.
func parseIn(eco, v string) (version.Version, error) {
	return version.Parse(version.Ecosystem(eco), v)
}
