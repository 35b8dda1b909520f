// Package version compares package versions by the rules of each package
// ecosystem and evaluates OSV affected ranges.
//
// Comparison itself is delegated to github.com/google/osv-scalibr/semantic;
// this package adds what Khiên needs around it: ecosystem-name normalisation
// (OSV names, purl types, common aliases), strict validation so that text
// which is not a version of the ecosystem is reported as an error instead of
// being ordered somewhere arbitrary, a few corrections where semantic departs
// from an ecosystem's documented rule (see Compare), and the OSV range
// evaluation algorithm (see Affected).
package version

import (
	"strings"
)

// Ecosystem is an OSV ecosystem name ("Debian", "Ubuntu", "Red Hat",
// "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Alpine", "npm", "PyPI",
// "Maven", "Go", "NuGet", "RubyGems", "crates.io", "Packagist", …),
// optionally with a release suffix as OSV writes it ("Debian:12",
// "Alpine:v3.20", "Ubuntu:22.04:LTS", "Red Hat:enterprise_linux:9::baseos").
type Ecosystem string

// Base returns the ecosystem without its release suffix:
// "Debian:12" → "Debian", "Ubuntu:Pro:18.04:LTS" → "Ubuntu".
func (e Ecosystem) Base() Ecosystem {
	if i := strings.IndexByte(string(e), ':'); i >= 0 {
		return e[:i]
	}
	return e
}

// Release returns everything after the first colon, or "" when there is no
// release suffix: "Debian:12" → "12", "Ubuntu:22.04:LTS" → "22.04:LTS",
// "Maven:https://maven.google.com" → "https://maven.google.com".
func (e Ecosystem) Release() string {
	if i := strings.IndexByte(string(e), ':'); i >= 0 {
		return string(e[i+1:])
	}
	return ""
}

// kind selects the comparison rules and the validation applied to versions.
type kind uint8

const (
	kindNone      kind = iota // known name, no comparator
	kindDebian                // dpkg: deb-version(7), Debian Policy §5.6.12
	kindRPM                   // rpmvercmp, EVR
	kindAlpine                // apk-tools version.c
	kindSemver                // SemVer 2.0.0 (npm, crates.io)
	kindGo                    // SemVer with Go toolchain tags ("go1.21.3")
	kindPyPI                  // PEP 440
	kindMaven                 // Maven ComparableVersion
	kindNuGet                 // NuGet SemVer 2.0 with a fourth component
	kindRubyGems              // Gem::Version
	kindPackagist             // Composer / PHP version_compare
	kindLoose                 // other semantic-supported ecosystems
)

// ecosystems maps every OSV ecosystem name this package knows to its kind.
// Names with kindNone are recognised by Normalize but cannot be compared.
var ecosystems = map[Ecosystem]kind{
	"Debian": kindDebian,
	"Ubuntu": kindDebian,

	"Red Hat":     kindRPM,
	"Rocky Linux": kindRPM,
	"AlmaLinux":   kindRPM,
	"openSUSE":    kindRPM,
	"SUSE":        kindRPM,
	"Mageia":      kindRPM,
	"openEuler":   kindRPM,
	// Photon OS is RPM based (tdnf); semantic does not list it, but its
	// OSV ECOSYSTEM ranges are RPM EVR strings.
	"Photon OS": kindRPM,

	"Alpine":                       kindAlpine,
	"Alpaquita":                    kindAlpine,
	"BellSoft Hardened Containers": kindAlpine,
	"Chainguard":                   kindAlpine,
	"MinimOS":                      kindAlpine,
	"Wolfi":                        kindAlpine,

	"npm":       kindSemver,
	"crates.io": kindSemver,
	"Go":        kindGo,
	"PyPI":      kindPyPI,
	"Maven":     kindMaven,
	"NuGet":     kindNuGet,
	"RubyGems":  kindRubyGems,
	"Packagist": kindPackagist,

	"Bioconductor":           kindLoose,
	"Bitnami":                kindLoose,
	"ConanCenter":            kindLoose,
	"CRAN":                   kindLoose,
	"Docker Hardened Images": kindLoose,
	"GHC":                    kindLoose,
	"Hackage":                kindLoose,
	"Hex":                    kindLoose,
	"Julia":                  kindLoose,
	"Pub":                    kindLoose,
	"SwiftURL":               kindLoose,

	"Android":        kindNone,
	"CleanStart":     kindNone,
	"Echo":           kindNone,
	"FreeBSD":        kindNone,
	"GitHub Actions": kindNone,
	"Kubernetes":     kindNone,
	"Linux":          kindNone,
	"opam":           kindNone,
	"OSS-Fuzz":       kindNone,
	"Root":           kindNone,
	"VSCode":         kindNone,
}

// aliases maps lower-case spellings (OSV names, purl types, common
// abbreviations) to OSV ecosystem names. Lower-cased OSV names are added in
// init.
var aliases = map[string]Ecosystem{
	"deb":                 "Debian",
	"redhat":              "Red Hat",
	"red_hat":             "Red Hat",
	"red-hat":             "Red Hat",
	"rhel":                "Red Hat",
	"rpm":                 "Red Hat", // comparison is the same for every RPM distribution
	"rocky":               "Rocky Linux",
	"rockylinux":          "Rocky Linux",
	"rocky-linux":         "Rocky Linux",
	"alma":                "AlmaLinux",
	"alma linux":          "AlmaLinux",
	"opensuse-leap":       "openSUSE",
	"opensuse-tumbleweed": "openSUSE",
	"sles":                "SUSE",
	"sle":                 "SUSE",
	"photon":              "Photon OS",
	"photonos":            "Photon OS",
	"apk":                 "Alpine",
	"pip":                 "PyPI",
	"python":              "PyPI",
	"mvn":                 "Maven",
	"golang":              "Go",
	"gem":                 "RubyGems",
	"gems":                "RubyGems",
	"cargo":               "crates.io",
	"crates":              "crates.io",
	"crate":               "crates.io",
	"composer":            "Packagist",
	"conan":               "ConanCenter",
	"swift":               "SwiftURL",
	"githubactions":       "GitHub Actions",
	"github-actions":      "GitHub Actions",
	"oss-fuzz":            "OSS-Fuzz",
	"ossfuzz":             "OSS-Fuzz",
}

// distroTypes are the purl types whose namespace names the distribution
// ("deb/ubuntu", "rpm/rocky", "apk/wolfi").
var distroTypes = map[string]kind{
	"deb": kindDebian,
	"rpm": kindRPM,
	"apk": kindAlpine,
}

func init() {
	for name := range ecosystems {
		aliases[strings.ToLower(string(name))] = name
	}
}

// Normalize maps an ecosystem name to its OSV spelling. It accepts OSV names
// in any case, purl types ("deb", "apk", "pypi", "golang", "cargo", "gem",
// "nuget", "maven", "npm", "composer", …), purl type/namespace pairs for
// distributions ("deb/ubuntu", "rpm/rocky", "apk/wolfi", optionally with a
// "pkg:" prefix), and common aliases ("rhel", "pip"). A release suffix after
// the first colon is kept; for Alpine the mandatory "v" is added
// ("alpine:3.20" → "Alpine:v3.20"). Plain "rpm" maps to "Red Hat": RPM
// comparison is the same for all RPM distributions, but callers that know
// the distribution should say so ("rpm/rocky").
//
// The second result is false when the name is not recognised.
func Normalize(s string) (Ecosystem, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "pkg:")
	if s == "" {
		return "", false
	}
	base, release, hasRelease := strings.Cut(s, ":")
	base = strings.ToLower(strings.TrimSpace(base))

	var name Ecosystem
	if typ, ns, ok := strings.Cut(base, "/"); ok {
		k, distro := distroTypes[typ]
		if !distro {
			// Language purl types: the namespace is part of the package
			// name ("maven/org.apache", "golang/github.com/x"), not of
			// the ecosystem.
			n, ok := aliases[typ]
			if !ok {
				return "", false
			}
			name = n
		} else {
			n, ok := aliases[ns]
			if !ok || ecosystems[n] != k {
				return "", false
			}
			name = n
		}
	} else {
		n, ok := aliases[base]
		if !ok {
			return "", false
		}
		name = n
	}
	if !hasRelease || release == "" {
		return name, true
	}
	if name == "Alpine" && release[0] >= '0' && release[0] <= '9' {
		release = "v" + release
	}
	return name + ":" + Ecosystem(release), true
}

// Supported reports whether versions of e can be compared: whether e, after
// Normalize, names an ecosystem with known ordering rules.
func Supported(e Ecosystem) bool {
	_, k, ok := resolve(e)
	return ok && k != kindNone
}

// resolve returns the OSV base name and kind of e, accepting any spelling
// Normalize accepts. The exact-name lookup is tried first so that the hot
// path does no allocation.
func resolve(e Ecosystem) (Ecosystem, kind, bool) {
	b := e.Base()
	if k, ok := ecosystems[b]; ok {
		return b, k, true
	}
	n, ok := Normalize(string(e))
	if !ok {
		return "", kindNone, false
	}
	b = n.Base()
	return b, ecosystems[b], true
}
