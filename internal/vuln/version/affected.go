package version

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"khien.vn/khien/internal/errs"
)

// OSV range types (affected[].ranges[].type).
const (
	TypeSemver    = "SEMVER"
	TypeEcosystem = "ECOSYSTEM"
	TypeGit       = "GIT"
)

// ErrInvalidRange is wrapped by errors for ranges that cannot be evaluated:
// unknown type, no introduced event, an event with no version. It wraps
// errs.ErrInvalid.
var ErrInvalidRange error = &kindError{"invalid OSV range", errs.ErrInvalid}

// Event is one entry of an OSV range's events array. The OSV schema allows
// exactly one field per event; an event with several fields set is treated
// as several events.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Range is an OSV affected[].ranges[] entry.
type Range struct {
	Type   string  `json:"type"` // TypeSemver, TypeEcosystem or TypeGit
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Affected reports whether version v of a package in ecosystem e is affected
// according to an OSV affected[] entry's ranges and versions, following the
// OSV schema's evaluation algorithm:
//
//   - v is affected if it equals an entry of versions, or lies in a range;
//   - ECOSYSTEM ranges compare by the ecosystem's rules, SEMVER ranges by
//     SemVer 2.0.0 precedence whatever the ecosystem (a leading "v" is
//     tolerated), and GIT ranges are skipped (no commit graph here);
//   - a range applies only if v is before one of its limit events (a limit
//     containing "*" is infinity; no limit means "*");
//   - the events are sorted by version, introduced "0" first and ties kept
//     in the order given, then walked: introduced ≤ v sets vulnerable,
//     fixed ≤ v and last_affected < v clear it.
//
// "Equals" for the versions list means the same text or, when the entry
// parses, Compare == 0 ("v1.2.3" and "1.2.3" in Go, "1.0" and "1.0.0" in
// PyPI). Entries that do not parse can only match textually.
//
// A version that does not parse is an error, never "not affected"; so is a
// range whose events do not parse or that cannot be evaluated (unknown type,
// no introduced event, an empty event: ErrInvalidRange), unless
// another range or the versions list shows v affected, in which case the
// answer is true with no error. When several ranges fail the errors are
// joined. An unsupported ecosystem (ErrUnsupported) can still be evaluated
// against SEMVER ranges and the versions list by text.
func Affected(e Ecosystem, v string, ranges []Range, versions []string) (bool, error) {
	if slices.Contains(versions, v) {
		return true, nil
	}
	base, k, ok := resolve(e)
	if !ok {
		base, k = e.Base(), kindNone
	}
	var subj Version
	if k == kindNone {
		// Only SEMVER ranges can be evaluated; ECOSYSTEM ranges report
		// ErrUnsupported from compileRange.
		subj = Version{eco: base, k: kindNone, raw: v, norm: strings.TrimSpace(v)}
	} else {
		var err error
		if subj, err = parseKind(base, k, v); err != nil {
			return false, err
		}
	}
	return evaluate(subj, compileRanges(base, k, ranges), func() bool {
		return versionListed(subj, versions)
	})
}

// AffectedParsed is Affected for a version parsed once with Parse, for
// callers that check one package against many advisories. The ranges are
// evaluated in v's ecosystem. Event versions and the versions list are
// parsed on every call; to check many packages against the same advisory,
// compile it once with NewMatcher.
func AffectedParsed(v Version, ranges []Range, versions []string) (bool, error) {
	if v.IsZero() {
		return false, errors.New("affected: zero Version")
	}
	if slices.Contains(versions, v.raw) {
		return true, nil
	}
	return evaluate(v, compileRanges(v.eco, v.k, ranges), func() bool {
		return versionListed(v, versions)
	})
}

// Matcher is an OSV affected[] entry compiled for repeated evaluation: event
// versions are parsed and sorted once, the versions list parsed once. Build
// one per advisory entry and call Affected for every installed version of
// the package. A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	eco      Ecosystem
	k        kind
	ranges   []compiledRange
	listed   map[string]struct{}
	versions []semantic.Version // entries of the versions list that parse
	sorted   bool               // versions is sorted: binary search applies
}

// NewMatcher compiles ranges and versions for ecosystem e. It does not fail:
// problems with the ranges (unsupported ecosystem, unparsable events) are
// reported by Affected, exactly as the one-shot Affected function would.
func NewMatcher(e Ecosystem, ranges []Range, versions []string) *Matcher {
	base, k, ok := resolve(e)
	if !ok {
		base, k = e.Base(), kindNone
	}
	m := &Matcher{eco: base, k: k, ranges: compileRanges(base, k, ranges)}
	if len(versions) > 0 {
		m.listed = make(map[string]struct{}, len(versions))
	}
	for _, s := range versions {
		m.listed[s] = struct{}{}
		if k == kindNone {
			continue
		}
		if pv, err := parseKind(base, k, s); err == nil {
			m.versions = append(m.versions, pv.v)
		}
	}
	// Sort the list so that Affected can binary-search it: osv.dev
	// enumerates hundreds of versions per record, and the list is consulted
	// for every version the ranges do not match. If the comparator turns
	// out not to order this list consistently, fall back to a linear scan.
	slices.SortStableFunc(m.versions, func(a, b semantic.Version) int {
		c, _ := cmpSemantic(a, b)
		return c
	})
	m.sorted = true
	for i := 1; i < len(m.versions); i++ {
		if c, err := cmpSemantic(m.versions[i-1], m.versions[i]); err != nil || c > 0 {
			m.sorted = false
			break
		}
	}
	return m
}

// Affected reports whether v is affected; see the package-level Affected for
// the rules and errors. v must come from Parse in an ecosystem with the same
// ordering rules as the Matcher's.
func (m *Matcher) Affected(v Version) (bool, error) {
	if v.IsZero() {
		return false, errors.New("affected: zero Version")
	}
	if m.k != kindNone && v.k != m.k {
		return false, fmt.Errorf("affected: %s version %q against %s advisory: %w", v.eco, v.raw, m.eco, ErrIncomparable)
	}
	if _, ok := m.listed[v.raw]; ok {
		return true, nil
	}
	return evaluate(v, m.ranges, func() bool {
		if m.sorted {
			_, found := slices.BinarySearchFunc(m.versions, v.v, func(w, target semantic.Version) int {
				c, _ := cmpSemantic(w, target)
				return c
			})
			return found
		}
		for _, w := range m.versions {
			if c, err := cmpSemantic(v.v, w); err == nil && c == 0 {
				return true
			}
		}
		return false
	})
}

// versionListed reports whether a versions-list entry other than v's exact
// text is equal to v by the ecosystem's rules.
func versionListed(v Version, versions []string) bool {
	if v.IsZero() {
		return false
	}
	for _, s := range versions {
		w, err := parseKind(v.eco, v.k, s)
		if err != nil {
			continue
		}
		if c, err := cmpSemantic(v.v, w.v); err == nil && c == 0 {
			return true
		}
	}
	return false
}

type eventKind uint8

const (
	evIntroduced eventKind = iota
	evFixed
	evLastAffected
)

func (k eventKind) String() string {
	switch k {
	case evIntroduced:
		return "introduced"
	case evFixed:
		return "fixed"
	}
	return "last_affected"
}

type compiledEvent struct {
	kind eventKind
	zero bool // introduced "0": before every version
	v    semantic.Version
}

type compiledRange struct {
	index     int
	typ       string // TypeSemver or TypeEcosystem; GIT ranges are dropped
	events    []compiledEvent
	limits    []semantic.Version
	unbounded bool  // a limit event containing "*"
	err       error // reported when the range is evaluated
}

// compileRanges parses and sorts the events of every non-GIT range.
func compileRanges(eco Ecosystem, k kind, ranges []Range) []compiledRange {
	out := make([]compiledRange, 0, len(ranges))
	for i, r := range ranges {
		typ := strings.ToUpper(strings.TrimSpace(r.Type))
		if typ == TypeGit {
			continue
		}
		out = append(out, compileRange(eco, k, i, typ, r.Events))
	}
	return out
}

func compileRange(eco Ecosystem, k kind, index int, typ string, events []Event) compiledRange {
	cr := compiledRange{index: index, typ: typ}
	fail := func(err error) compiledRange {
		cr.err = fmt.Errorf("range %d (%s): %w", index, typ, err)
		return cr
	}
	var parse func(string) (semantic.Version, error)
	switch typ {
	case TypeSemver:
		parse = func(s string) (semantic.Version, error) { return parseSemver(eco, s) }
	case TypeEcosystem:
		if k == kindNone {
			return fail(fmt.Errorf("%w %q", ErrUnsupported, eco))
		}
		parse = func(s string) (semantic.Version, error) {
			v, err := parseKind(eco, k, s)
			return v.v, err
		}
	default:
		return fail(fmt.Errorf("%w: unknown type %q", ErrInvalidRange, typ))
	}

	introduced := false
	for j, e := range events {
		if e == (Event{}) {
			return fail(fmt.Errorf("event %d: %w: no version", j, ErrInvalidRange))
		}
		for _, f := range [...]struct {
			kind eventKind
			s    string
		}{{evIntroduced, e.Introduced}, {evFixed, e.Fixed}, {evLastAffected, e.LastAffected}} {
			if f.s == "" {
				continue
			}
			if f.kind == evIntroduced {
				introduced = true
				if f.s == "0" {
					cr.events = append(cr.events, compiledEvent{kind: f.kind, zero: true})
					continue
				}
			}
			v, err := parse(f.s)
			if err != nil {
				return fail(fmt.Errorf("event %d %s: %w", j, f.kind, err))
			}
			cr.events = append(cr.events, compiledEvent{kind: f.kind, v: v})
		}
		switch {
		case e.Limit == "":
		case strings.Contains(e.Limit, "*"):
			cr.unbounded = true
		default:
			v, err := parse(e.Limit)
			if err != nil {
				return fail(fmt.Errorf("event %d limit: %w", j, err))
			}
			cr.limits = append(cr.limits, v)
		}
	}
	if !introduced {
		return fail(fmt.Errorf("%w: no introduced event", ErrInvalidRange))
	}

	var sortErr error
	slices.SortStableFunc(cr.events, func(a, b compiledEvent) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		c, err := cmpSemantic(a.v, b.v)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c
	})
	if sortErr != nil {
		return fail(fmt.Errorf("sort events: %w", sortErr))
	}
	return cr
}

// subject is the version under evaluation, with its SemVer parse computed on
// first use by a SEMVER range.
type subject struct {
	v       Version
	sem     semantic.Version
	semErr  error
	semDone bool
}

func (s *subject) semver() (semantic.Version, error) {
	if !s.semDone {
		s.semDone = true
		if s.v.k == kindSemver || s.v.k == kindGo {
			s.sem = s.v.v
		} else {
			s.sem, s.semErr = parseSemver(s.v.eco, s.v.norm)
		}
	}
	return s.sem, s.semErr
}

// evaluate applies the OSV evaluation to compiled ranges; listed is
// consulted only when no range shows v affected.
func evaluate(v Version, ranges []compiledRange, listed func() bool) (bool, error) {
	subj := subject{v: v}
	var failures []error
	for i := range ranges {
		ok, err := ranges[i].contains(&subj)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		if ok {
			return true, nil
		}
	}
	if listed() {
		return true, nil
	}
	if len(failures) > 0 {
		var err error = joinedError(failures)
		if len(failures) == 1 {
			err = failures[0]
		}
		return false, fmt.Errorf("affected: %s version %q: %w", v.eco, v.raw, err)
	}
	return false, nil
}

// contains is IncludedInRanges from the OSV schema for one range.
func (r *compiledRange) contains(s *subject) (bool, error) {
	if r.err != nil {
		return false, r.err
	}
	v := s.v.v
	if r.typ == TypeSemver {
		var err error
		if v, err = s.semver(); err != nil {
			return false, fmt.Errorf("range %d (%s): %w", r.index, r.typ, err)
		}
	}
	cmp := func(w semantic.Version) (int, error) {
		c, err := cmpSemantic(v, w)
		if err != nil {
			return 0, fmt.Errorf("range %d (%s): %w", r.index, r.typ, err)
		}
		return c, nil
	}

	// BeforeLimits.
	if !r.unbounded && len(r.limits) > 0 {
		before := false
		for _, l := range r.limits {
			c, err := cmp(l)
			if err != nil {
				return false, err
			}
			if c < 0 {
				before = true
				break
			}
		}
		if !before {
			return false, nil
		}
	}

	vulnerable := false
	for _, e := range r.events {
		if e.zero {
			vulnerable = true
			continue
		}
		c, err := cmp(e.v)
		if err != nil {
			return false, err
		}
		switch e.kind {
		case evIntroduced:
			if c >= 0 {
				vulnerable = true
			}
		case evFixed:
			if c >= 0 {
				vulnerable = false
			}
		case evLastAffected:
			if c > 0 {
				vulnerable = false
			}
		}
	}
	return vulnerable, nil
}
