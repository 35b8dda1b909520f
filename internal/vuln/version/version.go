package version

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/osv-scalibr/semantic"

	"khien.vn/khien/internal/errs"
)

// ErrUnsupported is wrapped by errors for ecosystems whose versions cannot be
// compared (unknown names, or OSV ecosystems without ordering rules such as
// "GitHub Actions").
var ErrUnsupported = errors.New("unsupported ecosystem")

// ErrInvalid is wrapped by every ParseError. It wraps errs.ErrInvalid.
var ErrInvalid error = &kindError{"invalid version", errs.ErrInvalid}

// ErrIncomparable is returned when two parsed Versions of ecosystems with
// different ordering rules are compared.
var ErrIncomparable = errors.New("versions of different ecosystems")

// ParseError reports text that is not a valid version of an ecosystem.
type ParseError struct {
	Ecosystem Ecosystem // OSV base name
	Version   string    // the text as given
	Reason    string    // what is wrong with it
	Err       error     // underlying parser error, if any
}

// Error implements error.
func (e *ParseError) Error() string {
	msg := fmt.Sprintf("invalid %s version %q", e.Ecosystem, e.Version)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrInvalid and the underlying parser error.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// Version is a version parsed by the rules of its ecosystem. Parse once and
// compare many times; the zero value is not a valid Version.
type Version struct {
	eco  Ecosystem // OSV base name
	k    kind
	raw  string // as given to Parse
	norm string // as handed to semantic
	v    semantic.Version
}

// Parse parses s as a version of ecosystem e (any spelling Normalize
// accepts). The error wraps ErrUnsupported, or is a *ParseError wrapping
// ErrInvalid.
func Parse(e Ecosystem, s string) (Version, error) {
	base, k, ok := resolve(e)
	if !ok || k == kindNone {
		return Version{}, fmt.Errorf("parse version %q: %w %q", s, ErrUnsupported, e)
	}
	return parseKind(base, k, s)
}

// Ecosystem returns the OSV base name of the version's ecosystem.
func (v Version) Ecosystem() Ecosystem { return v.eco }

// String returns the version as given to Parse.
func (v Version) String() string { return v.raw }

// IsZero reports whether v is the zero Version.
func (v Version) IsZero() bool { return v.v == nil }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
// Versions of ecosystems with different ordering rules cannot be compared
// (ErrIncomparable); Debian and Ubuntu, or Red Hat and Rocky Linux, can.
func (v Version) Compare(w Version) (int, error) {
	if v.v == nil || w.v == nil {
		return 0, errors.New("compare versions: zero Version")
	}
	if v.k != w.k {
		return 0, fmt.Errorf("compare %s %q with %s %q: %w", v.eco, v.raw, w.eco, w.raw, ErrIncomparable)
	}
	c, err := cmpSemantic(v.v, w.v)
	if err != nil {
		return 0, fmt.Errorf("compare %s versions %q and %q: %w", v.eco, v.raw, w.raw, err)
	}
	return c, nil
}

// cmpSemantic compares two semantic versions of the same kind and
// returns -1, 0 or +1.
func cmpSemantic(a, b semantic.Version) (int, error) {
	c, err := a.Compare(b)
	if err != nil {
		return 0, err
	}
	return sign(c), nil
}

// Compare parses a and b as versions of ecosystem e and returns -1, 0 or +1
// as a is older than, equal to or newer than b. Errors wrap ErrUnsupported or
// are *ParseError values naming the offending text.
//
// Ordering is osv-scalibr/semantic's, with these additions: text that is
// not a version of the ecosystem is rejected (semantic orders most strings
// somewhere); RubyGems versions get Gem::Version's "-" → ".pre." rewrite,
// which semantic lacks; Go toolchain tags ("go1.21rc2") are read as the
// SemVer OSV uses for the standard library; Photon OS uses RPM ordering;
// Maven versions follow the current ComparableVersion ("_" a separator,
// ".qualifier" = "-qualifier"); an Alpine version that ends first is the
// older, as apk-tools has it.
func Compare(e Ecosystem, a, b string) (int, error) {
	base, k, ok := resolve(e)
	if !ok || k == kindNone {
		return 0, fmt.Errorf("compare %q and %q: %w %q", a, b, ErrUnsupported, e)
	}
	va, err := parseKind(base, k, a)
	if err != nil {
		return 0, err
	}
	vb, err := parseKind(base, k, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

// kindError is a sentinel error that wraps a more general one without
// repeating its text.
type kindError struct {
	msg    string
	parent error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.parent }

// joinedError joins errors on one line, for logs; errors.Is and errors.As
// see every one of them.
type joinedError []error

func (e joinedError) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e joinedError) Unwrap() []error { return e }

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// parseKind validates s against the syntax of kind k and parses it with
// semantic.
func parseKind(eco Ecosystem, k kind, s string) (Version, error) {
	norm := strings.TrimSpace(s)
	fail := func(reason string, err error) (Version, error) {
		return Version{}, &ParseError{Ecosystem: eco, Version: s, Reason: reason, Err: err}
	}
	if norm == "" {
		return fail("empty", nil)
	}
	if i := strings.IndexFunc(norm, isSpaceOrControl); i >= 0 {
		return fail("contains whitespace or control characters", nil)
	}

	var (
		sv  semantic.Version
		err error
	)
	switch k {
	case kindDebian:
		if reason := validDebian(norm); reason != "" {
			return fail(reason, nil)
		}
		sv, err = semantic.ParseDebianVersion(norm)
	case kindRPM:
		if reason := validRPM(norm); reason != "" {
			return fail(reason, nil)
		}
		sv = semantic.ParseRedHatVersion(norm)
	case kindAlpine:
		if !alpineRE.MatchString(norm) {
			return fail("not number{.number}[letter]{_suffix[number]}[~hash][-r#]", nil)
		}
		var av semantic.Version
		av, err = semantic.ParseAlpineVersion(norm)
		if err == nil {
			sv = alpineVersion{Version: av, norm: norm}
		}
	case kindGo:
		norm = goTagToSemver(norm)
		fallthrough
	case kindSemver:
		if !semverRE.MatchString(norm) {
			return fail("not a SemVer 2.0.0 version", nil)
		}
		sv = semantic.ParseSemverVersion(norm)
	case kindPyPI:
		if !pep440RE.MatchString(norm) {
			return fail("not a PEP 440 version", nil)
		}
		sv, err = semantic.ParsePyPIVersion(norm)
	case kindMaven:
		if !hasDigit(norm) {
			return fail("no digits", nil)
		}
		norm = mavenSeparators(norm)
		sv = semantic.ParseMavenVersion(norm)
	case kindNuGet:
		if !nugetRE.MatchString(norm) {
			return fail("not a NuGet version", nil)
		}
		sv = semantic.ParseNuGetVersion(norm)
	case kindRubyGems:
		if !gemRE.MatchString(norm) {
			return fail("not a Gem::Version", nil)
		}
		// Gem::Version#initialize rewrites "-" as ".pre." before splitting
		// into segments ("1.0.0-rc1" is "1.0.0.pre.rc1"); semantic does
		// not, and would order "1.0-b1" before "1.0.b1".
		norm = strings.ReplaceAll(norm, "-", ".pre.")
		sv = semantic.ParseRubyGemsVersion(norm)
	case kindPackagist:
		if !hasDigit(norm) {
			return fail("no digits (branch versions such as dev-main cannot be ordered)", nil)
		}
		sv = semantic.ParsePackagistVersion(norm)
	case kindLoose:
		if !hasDigit(norm) {
			return fail("no digits", nil)
		}
		sv, err = semantic.Parse(norm, string(eco))
	default:
		return Version{}, fmt.Errorf("parse version %q: %w %q", s, ErrUnsupported, eco)
	}
	if err != nil {
		return fail("", err)
	}
	return Version{eco: eco, k: k, raw: s, norm: norm, v: sv}, nil
}

// parseSemver parses s as a SemVer 2.0.0 version for a SEMVER range. A
// leading "v" is tolerated, as installed Go module versions carry one.
func parseSemver(eco Ecosystem, s string) (semantic.Version, error) {
	norm := strings.TrimSpace(s)
	if !semverRE.MatchString(norm) {
		return nil, &ParseError{Ecosystem: eco, Version: s, Reason: "not a SemVer 2.0.0 version"}
	}
	return semantic.ParseSemverVersion(norm), nil
}

func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

func hasDigit(s string) bool {
	return strings.IndexAny(s, "0123456789") >= 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// validDebian applies dpkg's parseversion checks (deb-version(7), Debian
// Policy §5.6.12) and returns what is wrong, or "".
func validDebian(s string) string {
	rest := s
	if epoch, after, ok := strings.Cut(s, ":"); ok {
		if epoch == "" || !allBytes(epoch, isDigit) {
			return "epoch is not a number"
		}
		if after == "" {
			return "nothing after colon"
		}
		rest = after
	}
	upstream, revision := rest, ""
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		upstream, revision = rest[:i], rest[i+1:]
		if revision == "" {
			return "empty revision"
		}
		if !allBytes(revision, func(c byte) bool { return isAlnum(c) || c == '+' || c == '.' || c == '~' }) {
			return "invalid character in revision"
		}
	}
	if upstream == "" {
		return "empty upstream version"
	}
	if !isDigit(upstream[0]) {
		return "upstream version does not start with a digit"
	}
	if !allBytes(upstream, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '+' || c == '~' || c == '-' || c == ':'
	}) {
		return "invalid character in upstream version"
	}
	return ""
}

// validRPM checks [epoch:]version[-release] with rpm's allowed characters
// (alphanumerics and . _ + ~ ^) and returns what is wrong, or "".
func validRPM(s string) string {
	rest := s
	if epoch, after, ok := strings.Cut(s, ":"); ok {
		if epoch == "" || !allBytes(epoch, isDigit) {
			return "epoch is not a number"
		}
		rest = after
	}
	ver, rel, hasRel := strings.Cut(rest, "-")
	okChar := func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^'
	}
	if ver == "" || !allBytes(ver, okChar) {
		return "invalid version part"
	}
	if !hasDigit(ver) {
		return "version part has no digits"
	}
	if hasRel && (rel == "" || !allBytes(rel, okChar)) {
		return "invalid release part"
	}
	return ""
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// goTagToSemver turns a Go toolchain tag into the SemVer form OSV uses for
// the Go standard library, as golang.org/x/vuln does: "go1.21.3" → "1.21.3",
// "go1.21" → "1.21.0", "go1.21rc2" → "1.21.0-rc.2", "go1.9beta1" →
// "1.9.0-beta.1". Other strings are returned unchanged.
func goTagToSemver(s string) string {
	if len(s) < 3 || s[:2] != "go" || !isDigit(s[2]) {
		return s
	}
	num, pre := s[2:], ""
	for _, p := range []string{"beta", "rc"} {
		if i := strings.Index(num, p); i > 0 {
			n := num[i+len(p):]
			if n == "" || !allBytes(n, isDigit) {
				return s
			}
			num, pre = num[:i], "-"+p+"."+n
			break
		}
	}
	if num == "" || !allBytes(num, func(c byte) bool { return isDigit(c) || c == '.' }) {
		return s
	}
	switch strings.Count(num, ".") {
	case 0:
		num += ".0.0"
	case 1:
		num += ".0"
	}
	return num + pre
}

var (
	// SemVer 2.0.0 with an optional leading "v" and the minor and patch
	// components optional (node-semver and golang.org/x/mod/semver accept
	// "v1.2"). Leading zeros are tolerated; they compare numerically.
	semverRE = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,2}` +
		`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` +
		`(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

	// NuGet: up to four numeric parts, SemVer 2.0 pre-release and metadata.
	nugetRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}` +
		`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` +
		`(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

	// PEP 440 Appendix B, case-insensitive.
	pep440RE = regexp.MustCompile(`(?i)^v?(?:(?:[0-9]+)!)?[0-9]+(?:\.[0-9]+)*` +
		`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?` +
		`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` +
		`(?:[-_.]?dev[-_.]?[0-9]*)?` +
		`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`)

	// Gem::Version::ANCHORED_VERSION_PATTERN.
	gemRE = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

	// apk-package(5): number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}
	alpineRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z]?` +
		`(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*` +
		`(~[0-9a-f]+)?(-r[0-9]+)?$`)
)

// mavenSeparators rewrites a Maven version as the current ComparableVersion
// reads it, where semantic follows Maven 3.x: "_" is a separator like "."
// ("1_0" = "1.0"), and a qualifier after "." is the same as after "-"
// ("1.foo" = "1-foo").
func mavenSeparators(s string) string {
	b := []byte(strings.ReplaceAll(s, "_", "."))
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '.' && (b[i+1] >= 'a' && b[i+1] <= 'z' || b[i+1] >= 'A' && b[i+1] <= 'Z') {
			b[i] = '-'
		}
	}
	return string(b)
}

// alpineVersion is an Alpine version ordered as apk-tools orders it where
// semantic does not: semantic pads a version that ends early with zeros
// (and a missing -r# with -r0) and calls "1.0" and "1.0.0" equal; apk's
// version.c takes the version that ends first as the older.
type alpineVersion struct {
	semantic.Version
	norm string
}

// Compare compares with another alpineVersion.
func (v alpineVersion) Compare(w semantic.Version) (int, error) {
	o, ok := w.(alpineVersion)
	if !ok {
		return 0, fmt.Errorf("compare Alpine version %q: %w", v.norm, ErrIncomparable)
	}
	c, err := v.Version.Compare(o.Version)
	if err != nil || c != 0 || v.norm == o.norm {
		return c, err
	}
	switch {
	case strings.HasPrefix(o.norm, v.norm):
		return -1, nil
	case strings.HasPrefix(v.norm, o.norm):
		return 1, nil
	}
	return 0, nil
}

// CompareStr parses str as an Alpine version and compares with it.
func (v alpineVersion) CompareStr(str string) (int, error) {
	w, err := semantic.ParseAlpineVersion(str)
	if err != nil {
		return 0, err
	}
	return v.Compare(alpineVersion{Version: w, norm: str})
}
