package advisory

import (
	"net/url"
	"strings"
)

// purl is a parsed package URL (https://github.com/package-url/purl-spec).
type purl struct {
	Type      string // lower case
	Namespace string // decoded, segments joined by "/"
	Name      string // decoded
	Version   string // decoded
	Base      string // the purl without its version, qualifiers and subpath kept as written
}

// parsePURL parses s leniently: enough to group products by package and
// read their versions. It reports false for strings that are not purls.
func parsePURL(s string) (purl, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:4], "pkg:") {
		return purl{}, false
	}
	rest := strings.TrimLeft(s[4:], "/")
	tail := "" // "?qualifiers#subpath", kept in Base
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest, tail = rest[:i], rest[i:]
	}
	typ, p, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return purl{}, false
	}
	p = strings.Trim(p, "/")
	var ns, nameVer string
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		ns, nameVer = p[:i], p[i+1:]
	} else {
		nameVer = p
	}
	name, ver, hasVer := strings.Cut(nameVer, "@")
	out := purl{Type: strings.ToLower(typ)}
	var err error
	if out.Name, err = url.PathUnescape(name); err != nil || out.Name == "" {
		return purl{}, false
	}
	if hasVer {
		if out.Version, err = url.PathUnescape(ver); err != nil {
			return purl{}, false
		}
	}
	if ns != "" {
		segs := strings.Split(ns, "/")
		for i, seg := range segs {
			if segs[i], err = url.PathUnescape(seg); err != nil {
				return purl{}, false
			}
		}
		out.Namespace = strings.Join(segs, "/")
	}
	base := "pkg:" + typ + "/"
	if ns != "" {
		base += ns + "/"
	}
	out.Base = base + name + tail
	return out, true
}

// purlEcosystems maps purl types to OSV ecosystems.
var purlEcosystems = map[string]string{
	"npm":      "npm",
	"pypi":     "PyPI",
	"maven":    "Maven",
	"golang":   "Go",
	"cargo":    "crates.io",
	"gem":      "RubyGems",
	"nuget":    "NuGet",
	"composer": "Packagist",
	"hex":      "Hex",
	"pub":      "Pub",
	"hackage":  "Hackage",
	"cran":     "CRAN",
}

// purlDistros maps the namespaces of OS package purls to OSV ecosystems.
var purlDistros = map[string]map[string]string{
	"deb": {"debian": "Debian", "ubuntu": "Ubuntu"},
	"rpm": {"redhat": "Red Hat", "almalinux": "AlmaLinux", "rocky-linux": "Rocky Linux", "opensuse": "openSUSE", "suse": "SUSE"},
	"apk": {"alpine": "Alpine", "wolfi": "Wolfi", "chainguard": "Chainguard"},
}

// ecosystem returns the OSV ecosystem of p, "" when unknown, and the
// package name in that ecosystem's notation.
func (p purl) ecosystem() (eco, name string) {
	name = p.Name
	switch p.Type {
	case "npm":
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
	case "maven":
		if p.Namespace != "" {
			name = p.Namespace + ":" + p.Name
		}
	case "golang", "composer":
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
	}
	if eco, ok := purlEcosystems[p.Type]; ok {
		return eco, name
	}
	if m, ok := purlDistros[p.Type]; ok {
		return m[strings.ToLower(p.Namespace)], name
	}
	return "", name
}
