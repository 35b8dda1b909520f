package inventory

import (
	"bytes"
	"strings"
)

// dpkgArches are Debian architecture names; some are also rpm's.
var dpkgArches = map[string]bool{
	"amd64": true, "arm64": true, "armhf": true, "armel": true, "i386": true, "all": true,
	"ppc64el": true, "s390x": true, "mips64el": true, "mipsel": true, "riscv64": true,
	"loong64": true, "x32": true, "powerpc": true, "ppc64": true, "sparc64": true, "hurd-i386": true,
}

// Detect guesses the format of a file from its first KiB (more is
// ignored). ok is false when it cannot tell.
func Detect(head []byte) (format string, ok bool) {
	const kib = 1024
	full := len(head) >= kib
	if len(head) > kib {
		head = head[:kib]
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		if len(head)%2 != 0 {
			head = head[:len(head)-1]
		}
	}
	text, err := decodeText("", head)
	if err != nil {
		return "", false
	}
	s := strings.TrimLeft(string(text), " \t\r\n")
	if s == "" {
		return "", false
	}
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	switch s[0] {
	case '{':
		switch {
		case has(`"bomFormat"`) && has(`"CycloneDX"`):
			return FormatCycloneDXJSON, true
		case has(`"spdxVersion"`):
			return FormatSPDXJSON, true
		case has(`"SchemaVersion"`) && has(`"ArtifactName"`, `"Results"`, `"CreatedAt"`, `"ArtifactType"`):
			return FormatTrivyJSON, true
		case has(`"matches"`) && has(`"vulnerability"`, `"artifact"`, `"descriptor"`, `"distro"`, `"source"`):
			return FormatGrypeJSON, true
		}
		return "", false
	case '<':
		if has("<bom") && has("cyclonedx.org/schema/bom") {
			return FormatCycloneDXXML, true
		}
		return "", false
	}
	ls := lines([]byte(s))
	if full && !strings.HasSuffix(s, "\n") && len(ls) > 1 {
		ls = ls[:len(ls)-1] // the last line is cut off
	}
	dpkg, rpm := 0, 0
	first := true
	for _, l := range ls {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "SPDXVersion:") {
			return FormatSPDXTV, true
		}
		if t[0] == '#' {
			continue // comments, and Windows PowerShell's "#TYPE" line
		}
		if first {
			first = false
			if strings.HasPrefix(t, "Desired=") {
				return FormatDPKG, true
			}
			for _, h := range strings.Split(t, ",") {
				if strings.EqualFold(strings.Trim(strings.TrimSpace(h), `"`), "DisplayName") {
					return FormatWindowsCSV, true
				}
			}
		}
		f := strings.Fields(t)
		switch {
		case len(f) == 1:
			if _, _, _, _, ok := splitNEVRA(t); ok {
				rpm++
			}
		case len(f) >= 3 && len(f) <= 5:
			arch := f[2]
			switch {
			case len(f) == 4 && (strings.HasSuffix(f[3], ".rpm") || f[3] == "(none)"):
				rpm++
			case dpkgArches[arch] && !rpmArches[arch]:
				dpkg++
			case rpmArches[arch] && !dpkgArches[arch]:
				rpm++
			}
		}
	}
	switch {
	case dpkg > rpm:
		return FormatDPKG, true
	case rpm > dpkg:
		return FormatRPM, true
	}
	// A tag-value document may start with comments or other tags.
	for _, l := range ls {
		if tag, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && (tag == "SPDXID" || tag == "DataLicense" || tag == "DocumentNamespace") {
			return FormatSPDXTV, true
		}
	}
	return "", false
}
