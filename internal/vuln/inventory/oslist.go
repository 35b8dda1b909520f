package inventory

import (
	"fmt"
	"strings"
)

// osOptions checks the Options a dpkg or rpm list needs and returns the
// normalised distribution and the ecosystem of its packages.
func osOptions(format string, o Options, examples string, allowed ...string) (distro, eco string, err error) {
	fail := func(msg string, args ...any) error {
		return fmt.Errorf("inventory: %s: %s: %w", format, fmt.Sprintf(msg, args...), ErrOptions)
	}
	if strings.TrimSpace(o.Distro) == "" || strings.TrimSpace(o.Release) == "" {
		return "", "", fail("a %s list does not say which distribution it is from: give Options.Distro and Options.Release, e.g. %s", format, examples)
	}
	distro = canonDistro(o.Distro)
	ok := false
	for _, a := range allowed {
		ok = ok || distro == a
	}
	if !ok {
		return "", "", fail("Options.Distro %q is not supported for %s lists (want one of %s)", o.Distro, format, strings.Join(allowed, ", "))
	}
	eco = ecosystemFor(distro, o.Release)
	if !strings.Contains(eco, ":") && (distro != "rhel" || majorRelease(strings.TrimSpace(o.Release)) == "") {
		return "", "", fail("Options.Release %q is not a release of %s (e.g. %s)", o.Release, distro, examples)
	}
	return distro, eco, nil
}

// lines splits text into lines without their line endings.
func lines(data []byte) []string {
	ls := strings.Split(string(data), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

func lineAt(n int) string { return fmt.Sprintf("line %d", n) }

// charset reports whether s is non-empty and made only of ASCII letters,
// digits and the bytes in extra.
func charset(s, extra string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// ---- dpkg ----

func debName(s string) bool    { return charset(s, "+.-") && s == strings.ToLower(s) }
func debVersion(s string) bool { return charset(s, ".+~:-") }
func debArch(s string) bool    { return charset(s, "-") }

func parseDPKG(b *builder, data []byte, o Options) error {
	distro, eco, err := osOptions(b.format, o, `{"debian", "12"} or {"ubuntu", "22.04"}`, "debian", "ubuntu")
	if err != nil {
		return err
	}
	b.inv.Distro, b.inv.Release = distro, strings.TrimSpace(o.Release)
	listing := false // dpkg -l output
	for i, line := range lines(data) {
		n := i + 1
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if strings.HasPrefix(t, "Desired=") {
			listing = true
			continue
		}
		f := strings.Fields(t)
		var name, version, arch, srcName, srcVersion string
		if listing {
			if strings.HasPrefix(t, "|") || strings.HasPrefix(t, "+++") {
				continue
			}
			if len(f) < 4 || len(f[0]) < 2 || len(f[0]) > 3 || !charset(f[0], "") {
				return malformed(b.format, lineAt(n), "want a dpkg -l row: STATUS NAME VERSION ARCHITECTURE DESCRIPTION")
			}
			if f[0][1] != 'i' {
				continue // not installed (removed, config files only, …)
			}
			name, version, arch = f[1], f[2], f[3]
		} else {
			if len(f) < 3 || len(f) > 5 {
				return malformed(b.format, lineAt(n), "want NAME VERSION ARCHITECTURE [SOURCE [SOURCE-VERSION]], got %d fields", len(f))
			}
			name, version, arch = f[0], f[1], f[2]
			if len(f) > 3 {
				srcName = f[3]
			}
			if len(f) > 4 {
				// ${source:Version}, or the "(version)" of ${Source}.
				srcVersion = strings.TrimSuffix(strings.TrimPrefix(f[4], "("), ")")
				if !debVersion(srcVersion) {
					return malformed(b.format, lineAt(n), "invalid source version %q", truncate(f[4], 60))
				}
			}
		}
		// ${binary:Package} adds ":arch" to multi-arch packages.
		if base, a, ok := strings.Cut(name, ":"); ok && debArch(a) {
			name = base
		}
		switch {
		case !debName(name):
			return malformed(b.format, lineAt(n), "invalid package name %q", truncate(name, 60))
		case !debVersion(version):
			return malformed(b.format, lineAt(n), "invalid version %q", truncate(version, 60))
		case !debArch(arch):
			return malformed(b.format, lineAt(n), "invalid architecture %q", truncate(arch, 60))
		case srcName != "" && !debName(srcName):
			return malformed(b.format, lineAt(n), "invalid source package name %q", truncate(srcName, 60))
		}
		p := Package{
			Name: name, Version: version, Arch: arch, Ecosystem: eco,
			SourceName: srcName, SourceVersion: srcVersion,
			PURL: purlFor("deb", distro, b.inv.Release, name, version, arch),
		}
		if err := b.add(lineAt(n), p); err != nil {
			return err
		}
	}
	return nil
}

// ---- rpm ----

// rpmArches are the architectures rpm's default NAME-VERSION-RELEASE.ARCH
// output is split at.
var rpmArches = map[string]bool{
	"x86_64": true, "noarch": true, "aarch64": true, "i686": true, "i586": true, "i486": true, "i386": true,
	"ppc64le": true, "ppc64": true, "ppc": true, "s390x": true, "s390": true, "armv7hl": true, "armv7l": true,
	"armhfp": true, "armv6hl": true, "riscv64": true, "ia64": true, "sparc64": true, "loongarch64": true,
	"x86_64_v2": true, "x86_64_v3": true, "athlon": true, "src": true, "nosrc": true,
}

func rpmName(s string) bool  { return charset(s, "._+-") }
func rpmField(s string) bool { return charset(s, "._+~^") } // VERSION or RELEASE
func rpmArch(s string) bool  { return charset(s, "_") }

func parseRPM(b *builder, data []byte, o Options) error {
	distro, eco, err := osOptions(b.format, o, `{"rhel", "9"}, {"rocky", "9"} or {"almalinux", "9"}`, "rhel", "rocky", "almalinux")
	if err != nil {
		return err
	}
	b.inv.Distro, b.inv.Release = distro, strings.TrimSpace(o.Release)
	for i, line := range lines(data) {
		n := i + 1
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		var name, epoch, version, release, arch, srcName, srcVersion string
		switch len(f) {
		case 1:
			// rpm -qa default: NAME-VERSION-RELEASE.ARCH; no epoch.
			if strings.HasPrefix(t, "gpg-pubkey-") {
				continue // an imported signing key, not software
			}
			var ok bool
			if name, version, release, arch, ok = splitNEVRA(t); !ok {
				return malformed(b.format, lineAt(n), "want NAME-VERSION-RELEASE.ARCH or NAME EPOCH:VERSION-RELEASE ARCH [SOURCERPM], got %q", truncate(t, 60))
			}
		case 3, 4:
			name, arch = f[0], f[2]
			if name == "gpg-pubkey" {
				continue
			}
			evr := f[1]
			if e, rest, ok := strings.Cut(evr, ":"); ok {
				if e != "(none)" && !isDigits(e) {
					return malformed(b.format, lineAt(n), "invalid epoch %q", truncate(e, 60))
				}
				epoch, evr = e, rest
			}
			var ok bool
			if version, release, ok = strings.Cut(evr, "-"); !ok || strings.Contains(release, "-") {
				return malformed(b.format, lineAt(n), "want EPOCH:VERSION-RELEASE, got %q", truncate(f[1], 60))
			}
			if len(f) == 4 && f[3] != "(none)" {
				if srcName, srcVersion, ok = splitSourceRPM(f[3]); !ok {
					return malformed(b.format, lineAt(n), "want a source rpm file name (NAME-VERSION-RELEASE.src.rpm), got %q", truncate(f[3], 60))
				}
			}
		default:
			return malformed(b.format, lineAt(n), "want NAME EPOCH:VERSION-RELEASE ARCH [SOURCERPM], got %d fields", len(f))
		}
		switch {
		case !rpmName(name):
			return malformed(b.format, lineAt(n), "invalid package name %q", truncate(name, 60))
		case !rpmField(version) || !rpmField(release):
			return malformed(b.format, lineAt(n), "invalid version %q", truncate(version+"-"+release, 60))
		case !rpmArch(arch):
			return malformed(b.format, lineAt(n), "invalid architecture %q", truncate(arch, 60))
		case srcName != "" && !rpmName(srcName):
			return malformed(b.format, lineAt(n), "invalid source package name %q", truncate(srcName, 60))
		}
		if epoch == "(none)" {
			epoch = ""
		}
		v := osVersion(strings.TrimLeft(epoch, "0"), version, release)
		p := Package{
			Name: name, Version: v, Arch: arch, Ecosystem: eco,
			SourceName: srcName, SourceVersion: srcVersion,
			PURL: purlFor("rpm", distro, b.inv.Release, name, v, arch),
		}
		if err := b.add(lineAt(n), p); err != nil {
			return err
		}
	}
	return nil
}

// splitNEVRA splits "openssl-libs-3.0.7-27.el9.x86_64".
func splitNEVRA(s string) (name, version, release, arch string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || !rpmArches[s[i+1:]] {
		return "", "", "", "", false
	}
	s, arch = s[:i], s[i+1:]
	i = strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", "", "", false
	}
	s, release = s[:i], s[i+1:]
	i = strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", "", "", false
	}
	return s[:i], s[i+1:], release, arch, true
}
