package inventory

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func withLimits(t *testing.T, bytes int64, pkgs int) {
	t.Helper()
	ob, op := maxBytes, maxPackages
	maxBytes, maxPackages = bytes, pkgs
	t.Cleanup(func() { maxBytes, maxPackages = ob, op })
}

func TestTooLarge(t *testing.T) {
	deb := Options{Distro: "debian", Release: "12"}
	list := "bash 5.2.15-2+b2 amd64\nlibc6 2.36-9 amd64\nzlib1g 1:1.2.13.dfsg-1 amd64\n"

	withLimits(t, 40, MaxPackages)
	inv, err := Parse(FormatDPKG, strings.NewReader(list), deb)
	if !errors.Is(err, ErrTooLarge) || !reflect.DeepEqual(inv, Inventory{}) {
		t.Errorf("bytes: %+v, %v", inv, err)
	}
	if !strings.Contains(err.Error(), "larger than 40 bytes") {
		t.Errorf("message: %v", err)
	}

	withLimits(t, MaxBytes, 2)
	inv, err = Parse(FormatDPKG, strings.NewReader(list), deb)
	if !errors.Is(err, ErrTooLarge) || !reflect.DeepEqual(inv, Inventory{}) {
		t.Errorf("packages: %+v, %v", inv, err)
	}
	// Duplicates do not count against the limit.
	inv, err = Parse(FormatDPKG, strings.NewReader("bash 5.2 amd64\nbash 5.2 amd64\nbash 5.2 amd64\n"), deb)
	if err != nil || len(inv.Packages) != 1 {
		t.Errorf("duplicates: %+v, %v", inv, err)
	}
	// Exactly at the limit is fine.
	if _, err = Parse(FormatDPKG, strings.NewReader("a 1 amd64\nb 1 amd64\n"), deb); err != nil {
		t.Errorf("at limit: %v", err)
	}

	// Grype repeats a package per vulnerability: counted once.
	withLimits(t, MaxBytes, 1)
	g := `{"matches": [{"artifact": {"name": "a", "version": "1", "type": "npm"}}, {"artifact": {"name": "a", "version": "1", "type": "npm"}}]}`
	if _, err = Parse(FormatGrypeJSON, strings.NewReader(g), Options{}); err != nil {
		t.Errorf("grype duplicates: %v", err)
	}
}

// UTF-16 text that grows past the limit when decoded.
func TestTooLargeUTF16(t *testing.T) {
	withLimits(t, 100, MaxPackages)
	in := "\xff\xfe" + strings.Repeat("\xac\x20", 40) // 40 × "€", 120 bytes in UTF-8
	_, err := Parse(FormatWindowsCSV, strings.NewReader(in), Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v", err)
	}
}

func TestEcosystemFor(t *testing.T) {
	for _, c := range []struct{ distro, release, want string }{
		{"debian", "12", "Debian:12"},
		{"debian", "12.5", "Debian:12"},
		{"Debian", "bookworm", "Debian:12"},
		{"debian", "", "Debian"},
		{"ubuntu", "22.04", "Ubuntu:22.04:LTS"},
		{"ubuntu", "22.04.4", "Ubuntu:22.04:LTS"},
		{"ubuntu", "jammy", "Ubuntu:22.04:LTS"},
		{"ubuntu", "24.10", "Ubuntu:24.10"},
		{"ubuntu", "23.04", "Ubuntu:23.04"},
		{"alpine", "3.20.1", "Alpine:v3.20"},
		{"alpine", "v3.19", "Alpine:v3.19"},
		{"alpine", "edge", "Alpine:edge"},
		{"rhel", "9.4", "Red Hat"},
		{"redhat", "8", "Red Hat"},
		{"rocky", "9.3", "Rocky Linux:9"},
		{"rockylinux", "8.10", "Rocky Linux:8"},
		{"alma", "9.4", "AlmaLinux:9"},
		{"almalinux", "", "AlmaLinux"},
		{"wolfi", "20230201", "Wolfi"},
		{"centos", "7", ""},
		{"amazon", "2023", ""},
		{"", "", ""},
	} {
		if got := ecosystemFor(c.distro, c.release); got != c.want {
			t.Errorf("ecosystemFor(%q, %q) = %q, want %q", c.distro, c.release, got, c.want)
		}
	}
}

func TestParsePURL(t *testing.T) {
	for _, c := range []struct{ purl, eco, name string }{
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "Debian:12", "openssl"},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=bookworm", "Debian:12", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.15?distro=ubuntu-22.04", "Ubuntu:22.04:LTS", "openssl"},
		{"pkg:deb/ubuntu/openssl@3.0.2?distro=jammy", "Ubuntu:22.04:LTS", "openssl"},
		{"pkg:deb/debian/openssl@3.0.11", "Debian", "openssl"},
		{"pkg:apk/alpine/musl@1.2.5-r0?distro=3.20.1", "Alpine:v3.20", "musl"},
		{"pkg:apk/alpine/musl@1.2.5-r0?distro=alpine-3.20.1", "Alpine:v3.20", "musl"},
		{"pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=1&distro=redhat-9.4", "Red Hat", "openssl"},
		{"pkg:rpm/rhel/openssl@3.0.7-27.el9?distro=rhel-9.4", "Red Hat", "openssl"},
		{"pkg:rpm/rocky/openssl@3.0.7-27.el9?distro=rocky-9.3", "Rocky Linux:9", "openssl"},
		{"pkg:rpm/almalinux/openssl@3.0.7-27.el9?distro=almalinux-9.4", "AlmaLinux:9", "openssl"},
		{"pkg:rpm/fedora/openssl@3.1.1-4.fc39?distro=fedora-39", "", "openssl"},
		{"pkg:npm/%40babel/core@7.24.0", "npm", "@babel/core"},
		{"pkg:pypi/requests@2.31.0", "PyPI", "requests"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven", "org.apache.logging.log4j:log4j-core"},
		{"pkg:golang/github.com/gin-gonic/gin@v1.9.1", "Go", "github.com/gin-gonic/gin"},
		{"pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet", "Newtonsoft.Json"},
		{"pkg:gem/rails@7.1.3", "RubyGems", "rails"},
		{"pkg:cargo/serde@1.0.197", "crates.io", "serde"},
		{"pkg:composer/laravel/framework@10.0.0", "Packagist", "laravel/framework"},
		{"pkg:oci/alpine@sha256%3Aabc", "", "alpine"},
		{"not a purl", "", ""},
	} {
		pi := parsePURL(c.purl)
		if pi.eco != c.eco || fullName("", "", pi.eco, pi) != c.name {
			t.Errorf("parsePURL(%q): eco %q name %q, want %q %q", c.purl, pi.eco, fullName("", "", pi.eco, pi), c.eco, c.name)
		}
	}
}

func TestSplitNEVRA(t *testing.T) {
	for _, c := range []struct{ in, name, version, release, arch string }{
		{"openssl-libs-3.0.7-27.el9.x86_64", "openssl-libs", "3.0.7", "27.el9", "x86_64"},
		{"kernel-core-5.14.0-427.13.1.el9_4.x86_64", "kernel-core", "5.14.0", "427.13.1.el9_4", "x86_64"},
		{"python3.11-pip-22.3.1-4.el9.noarch", "python3.11-pip", "22.3.1", "4.el9", "noarch"},
	} {
		n, v, r, a, ok := splitNEVRA(c.in)
		if !ok || n != c.name || v != c.version || r != c.release || a != c.arch {
			t.Errorf("splitNEVRA(%q) = %q %q %q %q %v", c.in, n, v, r, a, ok)
		}
	}
	for _, in := range []string{"openssl", "openssl.x86_64", "openssl-3.0.7.x86_64", "openssl-3.0.7-27.el9.tar"} {
		if _, _, _, _, ok := splitNEVRA(in); ok {
			t.Errorf("splitNEVRA(%q) ok", in)
		}
	}
}
