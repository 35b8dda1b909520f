package inventory

import (
	"strconv"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// OSV ecosystem names.
const (
	ecoDebian     = "Debian"
	ecoUbuntu     = "Ubuntu"
	ecoAlpine     = "Alpine"
	ecoRedHat     = "Red Hat"
	ecoRocky      = "Rocky Linux"
	ecoAlma       = "AlmaLinux"
	ecoWolfi      = "Wolfi"
	ecoChainguard = "Chainguard"
	ecoNPM        = "npm"
	ecoPyPI       = "PyPI"
	ecoMaven      = "Maven"
	ecoGo         = "Go"
	ecoNuGet      = "NuGet"
	ecoRubyGems   = "RubyGems"
	ecoCrates     = "crates.io"
	ecoPackagist  = "Packagist"
	ecoHex        = "Hex"
	ecoPub        = "Pub"
	ecoCRAN       = "CRAN"
	ecoHackage    = "Hackage"
)

// canonDistro normalises an operating-system name as files and users write
// it ("Red Hat Enterprise Linux", "rockylinux", "alma") to the ids Inventory
// uses: debian, ubuntu, alpine, rhel, rocky, almalinux, wolfi, chainguard;
// anything else is lower-cased.
func canonDistro(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "rhel", "redhat", "red hat", "red hat enterprise linux", "redhat enterprise linux", "red-hat", "enterprise_linux":
		return "rhel"
	case "rocky", "rockylinux", "rocky linux", "rocky-linux":
		return "rocky"
	case "almalinux", "alma", "alma linux", "alma-linux":
		return "almalinux"
	case "debian gnu/linux":
		return "debian"
	case "alpine linux":
		return "alpine"
	}
	return s
}

var debianCodenames = map[string]string{
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15",
	"stretch": "9", "jessie": "8", "wheezy": "7",
}

var ubuntuCodenames = map[string]string{
	"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04",
	"groovy": "20.10", "hirsute": "21.04", "impish": "21.10", "jammy": "22.04",
	"kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04",
	"oracular": "24.10", "plucky": "25.04", "questing": "25.10", "resolute": "26.04",
}

// ecosystemFor returns the OSV ecosystem of a distribution's packages, with
// the release when OSV keys advisories by release and the release is
// understood; the bare family name without release; or "" for a
// distribution OSV does not cover (or whose naming needs what a package
// list cannot tell, see doc.go on Red Hat).
func ecosystemFor(distro, release string) string {
	release = strings.ToLower(strings.TrimSpace(release))
	switch canonDistro(distro) {
	case "debian":
		if r := debianRelease(release); r != "" {
			return ecoDebian + ":" + r
		}
		return ecoDebian
	case "ubuntu":
		if r := ubuntuRelease(release); r != "" {
			return ecoUbuntu + ":" + r
		}
		return ecoUbuntu
	case "alpine":
		if r := alpineRelease(release); r != "" {
			return ecoAlpine + ":" + r
		}
		return ecoAlpine
	case "rhel":
		return ecoRedHat
	case "rocky":
		if r := majorRelease(release); r != "" {
			return ecoRocky + ":" + r
		}
		return ecoRocky
	case "almalinux":
		if r := majorRelease(release); r != "" {
			return ecoAlma + ":" + r
		}
		return ecoAlma
	case "wolfi":
		return ecoWolfi
	case "chainguard":
		return ecoChainguard
	}
	return ""
}

// debianRelease: "12", "12.5", "bookworm" → "12".
func debianRelease(r string) string {
	if c, ok := debianCodenames[r]; ok {
		return c
	}
	return majorRelease(r)
}

// majorRelease: "9", "9.4" → "9"; "" when r does not start with a number.
func majorRelease(r string) string {
	major, _, _ := strings.Cut(r, ".")
	if !isDigits(major) {
		return ""
	}
	if major = strings.TrimLeft(major, "0"); major == "" {
		major = "0"
	}
	return major
}

// ubuntuRelease: "22.04", "22.04.4", "jammy", "22.04 LTS" → "22.04:LTS";
// "24.10" → "24.10".
func ubuntuRelease(r string) string {
	r, _, _ = strings.Cut(r, " ")
	if c, ok := ubuntuCodenames[r]; ok {
		r = c
	}
	parts := strings.Split(r, ".")
	if len(parts) < 2 || len(parts[0]) != 2 || len(parts[1]) != 2 || !isDigits(parts[0]) || !isDigits(parts[1]) {
		return ""
	}
	v := parts[0] + "." + parts[1]
	if yy, _ := strconv.Atoi(parts[0]); yy%2 == 0 && parts[1] == "04" {
		v += ":LTS"
	}
	return v
}

// alpineRelease: "3.20.1", "v3.20" → "v3.20"; "edge" → "edge".
func alpineRelease(r string) string {
	if r == "edge" {
		return r
	}
	parts := strings.Split(strings.TrimPrefix(r, "v"), ".")
	if len(parts) < 2 || !isDigits(parts[0]) || !isDigits(parts[1]) {
		return ""
	}
	return "v" + parts[0] + "." + parts[1]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isRPMEcosystem reports whether eco compares versions the rpm way.
func isRPMEcosystem(eco string) bool {
	base, _, _ := strings.Cut(eco, ":")
	return base == ecoRedHat || base == ecoRocky || base == ecoAlma
}

// normaliseVersion writes versions as OSV does in eco: Go without the
// leading "v", rpm without a zero epoch.
func normaliseVersion(eco, v string) string {
	switch {
	case eco == ecoGo:
		if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
			return v[1:]
		}
	case isRPMEcosystem(eco):
		if e, rest, ok := strings.Cut(v, ":"); ok && (e == "0" || e == "(none)" || e == "") && rest != "" {
			return rest
		}
	}
	return v
}

// purlTypeEcosystem maps package-URL types of language ecosystems.
var purlTypeEcosystem = map[string]string{
	"npm":      ecoNPM,
	"pypi":     ecoPyPI,
	"maven":    ecoMaven,
	"golang":   ecoGo,
	"nuget":    ecoNuGet,
	"gem":      ecoRubyGems,
	"cargo":    ecoCrates,
	"composer": ecoPackagist,
	"hex":      ecoHex,
	"pub":      ecoPub,
	"cran":     ecoCRAN,
	"hackage":  ecoHackage,
}

// purlInfo is what a package URL says about a package.
type purlInfo struct {
	ok        bool // the URL parsed
	typ       string
	namespace string
	name      string
	version   string
	quals     map[string]string
	// eco is the OSV ecosystem ("" when the type has none); distro and
	// release the operating system of an OS package, when it says.
	eco, distro, release string
}

func parsePURL(s string) purlInfo {
	s = strings.TrimSpace(s)
	if s == "" {
		return purlInfo{}
	}
	p, err := packageurl.FromString(s)
	if err != nil {
		return purlInfo{}
	}
	pi := purlInfo{ok: true, typ: p.Type, namespace: p.Namespace, name: p.Name, version: p.Version, quals: p.Qualifiers.Map()}
	if eco, ok := purlTypeEcosystem[p.Type]; ok {
		pi.eco = eco
		return pi
	}
	var family string
	switch p.Type {
	case "deb", "rpm", "apk":
		family = canonDistro(p.Namespace)
	default:
		return pi
	}
	qFamily, release := splitDistroQualifier(pi.quals["distro"])
	if family == "" || (p.Type == "rpm" && qFamily != "") {
		// rpm namespaces name the vendor ("redhat", "fedora"); the distro
		// qualifier is more precise.
		if qFamily != "" {
			family = qFamily
		}
	}
	switch {
	case p.Type == "deb" && family != "debian" && family != "ubuntu":
		return pi
	case p.Type == "apk" && family != "alpine" && family != "wolfi" && family != "chainguard":
		return pi
	case p.Type == "rpm" && family != "rhel" && family != "rocky" && family != "almalinux":
		return pi
	}
	pi.eco = ecosystemFor(family, release)
	pi.distro, pi.release = family, release
	return pi
}

// splitDistroQualifier reads a purl distro qualifier: "debian-12",
// "ubuntu-22.04", "rhel-9.4", "alpine-3.20.1", "rocky-linux-9", "3.20.1",
// "bookworm".
func splitDistroQualifier(q string) (family, release string) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return "", ""
	}
	if i := strings.LastIndexByte(q, '-'); i > 0 && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
		return canonDistro(q[:i]), q[i+1:]
	}
	if _, ok := debianCodenames[q]; ok {
		return "debian", q
	}
	if _, ok := ubuntuCodenames[q]; ok {
		return "ubuntu", q
	}
	return "", q
}

// fullName is the name a package goes by in its ecosystem: Maven
// "group:artifact", npm "@scope/name", Go and Packagist full paths, built
// from a record's name, its group (CycloneDX), and its package URL.
func fullName(name, group string, eco string, pi purlInfo) string {
	name, group = strings.TrimSpace(name), strings.TrimSpace(group)
	if name == "" && pi.ok {
		name = pi.name
		if group == "" {
			group = pi.namespace
		}
	}
	if group != "" {
		if eco == ecoMaven {
			return group + ":" + name
		}
		if eco == ecoNPM || eco == ecoGo || eco == ecoPackagist {
			return group + "/" + name
		}
		return name
	}
	if pi.ok && pi.namespace != "" {
		switch {
		case eco == ecoMaven && !strings.Contains(name, ":"):
			return pi.namespace + ":" + name
		case eco == ecoNPM && !strings.HasPrefix(name, "@") && strings.HasPrefix(pi.namespace, "@"):
			return pi.namespace + "/" + name
		case eco == ecoPackagist && !strings.Contains(name, "/"):
			return pi.namespace + "/" + name
		}
	}
	return name
}

// withEpoch prefixes an rpm version that lacks its epoch with the purl's
// epoch qualifier, when non-zero.
func withEpoch(version string, pi purlInfo) string {
	if pi.typ != "rpm" || version == "" || strings.Contains(version, ":") {
		return version
	}
	if e := pi.quals["epoch"]; e != "" && e != "0" && isDigits(e) {
		return e + ":" + version
	}
	return version
}

// upstream reads a syft-style purl "upstream" qualifier: "openssl",
// "glibc@2.36-9", or an rpm "openssl-3.0.7-27.el9.src.rpm".
func upstream(pi purlInfo) (name, version string) {
	u := pi.quals["upstream"]
	if u == "" {
		return "", ""
	}
	if pi.typ == "rpm" {
		if n, v, ok := splitSourceRPM(u); ok {
			return n, v
		}
	}
	name, version, _ = strings.Cut(u, "@")
	return name, version
}

// splitSourceRPM splits "openssl-3.0.7-27.el9.src.rpm" into "openssl",
// "3.0.7-27.el9".
func splitSourceRPM(s string) (name, version string, ok bool) {
	s = strings.TrimSpace(s)
	for _, suf := range []string{".src.rpm", ".nosrc.rpm"} {
		if strings.HasSuffix(s, suf) {
			s = strings.TrimSuffix(s, suf)
			i := strings.LastIndexByte(s, '-')
			if i <= 0 {
				return "", "", false
			}
			j := strings.LastIndexByte(s[:i], '-')
			if j <= 0 {
				return "", "", false
			}
			return s[:j], s[j+1:], true
		}
	}
	return "", "", false
}

// purlFor builds the package URL of a distribution package from a dpkg or
// rpm list.
func purlFor(typ, distro, release, name, version, arch string) string {
	ns := distro
	var quals []packageurl.Qualifier
	if arch != "" {
		quals = append(quals, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	distroQ := distro + "-" + release
	if typ == "rpm" {
		if distro == "rhel" {
			ns = "redhat"
		}
		quals = append(quals, packageurl.Qualifier{Key: "distro", Value: distroQ})
		if e, rest, ok := strings.Cut(version, ":"); ok {
			version = rest
			if e != "0" {
				quals = append(quals, packageurl.Qualifier{Key: "epoch", Value: e})
			}
		}
	} else {
		quals = append(quals, packageurl.Qualifier{Key: "distro", Value: distroQ})
	}
	return packageurl.NewPackageURL(typ, ns, name, version, quals, "").ToString()
}
