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
// Only ecosystem-specific advisories match: a Debian package is matched
// against the Debian advisories of its release (which know the
// distribution's backported fixes), never against upstream version ranges
// such as NVD's CPE configurations — so a backported fix is never reported
// as a vulnerability.
package vuln

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"khien.vn/khien/internal/vuln/advisory"
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

// NewIndex indexes advs (their ranges are compiled when first needed). Withdrawn advisories and affected entries
// without an ecosystem the version package supports are left out (NVD
// and CPE-only records match nothing here).
func NewIndex(advs []advisory.Advisory) *Index {
	ix := &Index{byKey: map[key][]*entry{}}
	for _, a := range advs {
		if !a.Withdrawn.IsZero() {
			continue
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

// Len returns the number of advisories and of affected entries indexed.
func (ix *Index) Len() (advisories, entries int) { return len(ix.advisories), ix.entries }

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
}

// Problem is a package or advisory entry that could not be evaluated (a
// version that does not parse): reported, never taken as "not affected"
// silently.
type Problem struct {
	Package  inventory.Package
	Advisory string
	Err      error
}

// Match matches pkgs against the index: for each package with an
// ecosystem, the advisories of its ecosystem (and release) naming it (or
// its source package) whose ranges contain its version. Results are
// sorted by package, then advisory id; one advisory matches a package
// once.
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
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Package.Ecosystem, b.Package.Ecosystem), cmp.Compare(a.Package.Name, b.Package.Name),
			cmp.Compare(a.Package.Version, b.Package.Version), cmp.Compare(a.Package.Arch, b.Package.Arch), cmp.Compare(a.Advisory.ID, b.Advisory.ID))
	})
	return out, problems
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
