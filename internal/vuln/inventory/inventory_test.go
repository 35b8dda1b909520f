package inventory_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/vuln/inventory"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fixture struct {
	format, file string
	opts         inventory.Options
	count        int
	tool         string
	distro       string
	release      string
	created      string // RFC 3339, "" for zero
	want         []inventory.Package
}

var fixtures = []fixture{
	{
		format: "cyclonedx-json", file: "cyclonedx-node-debian.json", count: 7,
		tool: "syft 1.4.1", distro: "debian", release: "12", created: "2024-06-03T08:15:30Z",
		want: cdxWant,
	},
	{
		format: "cyclonedx-xml", file: "cyclonedx-node-debian.xml", count: 7,
		tool: "syft 1.4.1", distro: "debian", release: "12", created: "2024-06-03T08:15:30Z",
		want: cdxWant,
	},
	{
		format: "spdx-json", file: "spdx-python-alpine.json", count: 6,
		tool: "syft-1.4.1", distro: "alpine", release: "3.20.1", created: "2024-06-03T09:00:00Z",
		want: []inventory.Package{
			{Name: "libcrypto3", Version: "3.3.1-r0", Ecosystem: "Alpine:v3.20", Arch: "x86_64", SourceName: "openssl",
				PURL: "pkg:apk/alpine/libcrypto3@3.3.1-r0?arch=x86_64&upstream=openssl&distro=alpine-3.20.1"},
			{Name: "musl", Version: "1.2.5-r0", Ecosystem: "Alpine:v3.20", Arch: "x86_64",
				PURL: "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.1"},
			{Name: "github.com/gin-gonic/gin", Version: "1.9.1", Ecosystem: "Go", PURL: "pkg:golang/github.com/gin-gonic/gin@v1.9.1"},
			{Name: "requests", Version: "2.31.0", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.31.0"},
			{Name: "busybox", Version: "1.36.1-r29", Ecosystem: "Alpine:v3.20", Arch: "x86_64",
				PURL: "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.1",
				CPE:  "cpe:2.3:a:busybox:busybox:1.36.1-r29:*:*:*:*:*:*:*"},
		},
	},
	{
		format: "spdx-tv", file: "spdx-java-ubuntu.spdx", count: 6,
		tool: "trivy-0.52.0", distro: "ubuntu", release: "22.04", created: "2024-06-04T01:02:03Z",
		want: []inventory.Package{
			{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
			{Name: "Newtonsoft.Json", Version: "13.0.1", Ecosystem: "NuGet", PURL: "pkg:nuget/Newtonsoft.Json@13.0.1"},
			{Name: "libssl3", Version: "3.0.2-0ubuntu1.15", Ecosystem: "Ubuntu:22.04:LTS", Arch: "amd64",
				PURL:       "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04",
				SourceName: "openssl", SourceVersion: "3.0.2-0ubuntu1.15"},
			{Name: "tzdata", Version: "2024a-0ubuntu0.22.04", Ecosystem: "Ubuntu:22.04:LTS", Arch: "all",
				PURL: "pkg:deb/ubuntu/tzdata@2024a-0ubuntu0.22.04?arch=all&distro=ubuntu-22.04"},
		},
	},
	{
		format: "dpkg", file: "dpkg-debian12.txt", opts: inventory.Options{Distro: "debian", Release: "12"}, count: 9,
		distro: "debian", release: "12",
		want: []inventory.Package{
			{Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: "Debian:12", Arch: "amd64",
				PURL:       "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
				SourceName: "glibc", SourceVersion: "2.36-9+deb12u4"},
			{Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: "Debian:12", Arch: "i386",
				PURL:       "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=i386&distro=debian-12",
				SourceName: "glibc", SourceVersion: "2.36-9+deb12u4"},
			{Name: "bash", Version: "5.2.15-2+b2", Ecosystem: "Debian:12", Arch: "amd64",
				PURL:       "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
				SourceName: "bash", SourceVersion: "5.2.15-2"},
			{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Ecosystem: "Debian:12", Arch: "amd64",
				PURL:       "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12",
				SourceName: "zlib", SourceVersion: "1:1.2.13.dfsg-1"},
			{Name: "tzdata", Version: "2024a-0+deb12u1", Ecosystem: "Debian:12", Arch: "all",
				PURL: "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12"},
		},
	},
	{
		format: "rpm", file: "rpm-qf-rocky9.txt", opts: inventory.Options{Distro: "rocky", Release: "9.4"}, count: 8,
		distro: "rocky", release: "9.4",
		want: []inventory.Package{
			{Name: "openssl-libs", Version: "1:3.0.7-27.el9", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9.4&epoch=1",
				SourceName: "openssl", SourceVersion: "3.0.7-27.el9"},
			{Name: "bash", Version: "5.1.8-9.el9", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64&distro=rocky-9.4",
				SourceName: "bash", SourceVersion: "5.1.8-9.el9"},
			{Name: "glibc", Version: "2.34-100.el9_4.2", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/glibc@2.34-100.el9_4.2?arch=x86_64&distro=rocky-9.4",
				SourceName: "glibc", SourceVersion: "2.34-100.el9_4.2"},
			{Name: "kernel-core", Version: "5.14.0-362.8.1.el9_3", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/kernel-core@5.14.0-362.8.1.el9_3?arch=x86_64&distro=rocky-9.4",
				SourceName: "kernel", SourceVersion: "5.14.0-362.8.1.el9_3"},
			{Name: "python3-libs", Version: "3.9.18-3.el9_4.1", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/python3-libs@3.9.18-3.el9_4.1?arch=x86_64&distro=rocky-9.4",
				SourceName: "python3.9", SourceVersion: "3.9.18-3.el9_4.1"},
		},
	},
	{
		format: "rpm", file: "rpm-qa-rhel9.txt", opts: inventory.Options{Distro: "rhel", Release: "9"}, count: 7,
		distro: "rhel", release: "9",
		want: []inventory.Package{
			{Name: "openssl-libs", Version: "3.0.7-27.el9", Ecosystem: "Red Hat", Arch: "x86_64",
				PURL: "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9"},
			{Name: "kernel-core", Version: "5.14.0-427.13.1.el9_4", Ecosystem: "Red Hat", Arch: "x86_64",
				PURL: "pkg:rpm/redhat/kernel-core@5.14.0-427.13.1.el9_4?arch=x86_64&distro=rhel-9"},
			{Name: "tzdata", Version: "2024a-1.el9", Ecosystem: "Red Hat", Arch: "noarch",
				PURL: "pkg:rpm/redhat/tzdata@2024a-1.el9?arch=noarch&distro=rhel-9"},
		},
	},
	{
		format: "windows-csv", file: "windows-programs.csv", count: 8,
		want: []inventory.Package{
			{Name: "7-Zip (x64)", Version: "23.01", Vendor: "Igor Pavlov"}, // the version left out of the name
			{Name: `Acme "Pro" Backup Agent, Server Edition`, Version: "5.2", Vendor: "Acme Software, Inc."},
			{Name: "Google Chrome", Version: "125.0.6422.142", Vendor: "Google LLC"},
			{Name: "KB5034441"},
			{Name: "Phần mềm Kế toán MISA SME 2024", Version: "27.1.0.12", Vendor: "Công ty Cổ phần MISA"},
		},
	},
	{
		format: "trivy-json", file: "trivy-node-debian.json", count: 8,
		tool: "trivy 0.52.0", distro: "debian", release: "12.5", created: "2024-06-05T10:20:30.123456789+07:00",
		want: []inventory.Package{
			{Name: "libssl3", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", Arch: "amd64",
				PURL:       "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5",
				SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2"},
			{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Ecosystem: "Debian:12", Arch: "amd64",
				PURL:       "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1",
				SourceName: "zlib", SourceVersion: "1:1.2.13.dfsg-1"},
			{Name: "bash", Version: "5.2.15-2+b2", Ecosystem: "Debian:12", Arch: "amd64", SourceName: "bash", SourceVersion: "5.2.15-2"},
			{Name: "express", Version: "4.18.2", Ecosystem: "npm", PURL: "pkg:npm/express@4.18.2",
				Location: "srv/portal/node_modules/express/package.json"},
			{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven",
				PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Location: "srv/portal/lib/reporting.jar"},
			{Name: "stdlib", Version: "1.21.5", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.21.5", Location: "usr/local/bin/healthcheck"},
		},
	},
	{
		format: "grype-json", file: "grype-rocky9.json", count: 5,
		tool: "grype 0.79.0", distro: "rocky", release: "9.3", created: "2024-06-06T03:04:05.678901234Z",
		want: []inventory.Package{
			{Name: "openssl-libs", Version: "1:3.0.7-24.el9", Ecosystem: "Rocky Linux:9", Arch: "x86_64",
				PURL:       "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rocky-9.3",
				SourceName: "openssl", SourceVersion: "3.0.7-24.el9"},
			{Name: "com.fasterxml.jackson.core:jackson-databind", Version: "2.13.0", Ecosystem: "Maven",
				PURL:     "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0",
				Location: "/opt/khien-agent/lib/jackson-databind-2.13.0.jar"},
			{Name: "golang.org/x/crypto", Version: "0.14.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/crypto@v0.14.0",
				Location: "/usr/local/bin/node-exporter"},
			{Name: "requests", Version: "2.25.1", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.25.1",
				Location: "/usr/lib/python3.9/site-packages/requests-2.25.1.dist-info/METADATA"},
		},
	},
}

var cdxWant = []inventory.Package{
	// No distro in its purl: takes the release of the operating-system component.
	{Name: "bash", Version: "5.2.15-2+b2", Ecosystem: "Debian:12", Arch: "amd64", PURL: "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64"},
	{Name: "libssl3", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", Arch: "amd64", SourceName: "openssl",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"},
	{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Ecosystem: "Debian:12", Arch: "amd64", SourceName: "zlib", SourceVersion: "1:1.2.13.dfsg-1",
		PURL: "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib%401%3A1.2.13.dfsg-1&distro=debian-12"},
	{Name: "@babel/core", Version: "7.24.0", Ecosystem: "npm", PURL: "pkg:npm/%40babel/core@7.24.0"},
	// Nested in express.
	{Name: "body-parser", Version: "1.20.1", Ecosystem: "npm", PURL: "pkg:npm/body-parser@1.20.1",
		Location: "/srv/portal/node_modules/body-parser/package.json"},
}

func TestParseFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			inv, err := inventory.Parse(f.format, bytes.NewReader(readFixture(t, f.file)), f.opts)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Format != f.format || inv.Tool != f.tool || inv.Distro != f.distro || inv.Release != f.release {
				t.Errorf("format, tool, distro, release = %q, %q, %q, %q; want %q, %q, %q, %q",
					inv.Format, inv.Tool, inv.Distro, inv.Release, f.format, f.tool, f.distro, f.release)
			}
			var created time.Time
			if f.created != "" {
				created, _ = time.Parse(time.RFC3339Nano, f.created)
			}
			if !inv.Created.Equal(created) {
				t.Errorf("Created = %v, want %v", inv.Created, created)
			}
			if len(inv.Packages) != f.count {
				t.Errorf("%d packages, want %d: %+v", len(inv.Packages), f.count, inv.Packages)
			}
			for _, w := range f.want {
				if !slices.Contains(inv.Packages, w) {
					t.Errorf("missing %+v; have:", w)
					for _, p := range inv.Packages {
						if p.Name == w.Name {
							t.Errorf("  %+v", p)
						}
					}
				}
			}
			checkInvariants(t, inv)
		})
	}
}

// checkInvariants: names set, sorted, no duplicates.
func checkInvariants(t testing.TB, inv inventory.Inventory) {
	t.Helper()
	for i, p := range inv.Packages {
		if p.Name == "" {
			t.Fatalf("package %d has no name: %+v", i, p)
		}
		if i > 0 {
			a, b := inv.Packages[i-1], p
			if a == b {
				t.Fatalf("duplicate package %+v", p)
			}
			if [4]string{a.Ecosystem, a.Name, a.Version, a.Arch} != [4]string{b.Ecosystem, b.Name, b.Version, b.Arch} &&
				!lessTuple(a, b) {
				t.Fatalf("not sorted: %+v before %+v", a, b)
			}
		}
	}
}

func lessTuple(a, b inventory.Package) bool {
	x := []string{a.Ecosystem, a.Name, a.Version, a.Arch}
	y := []string{b.Ecosystem, b.Name, b.Version, b.Arch}
	return slices.Compare(x, y) < 0
}

func TestDetect(t *testing.T) {
	for _, f := range fixtures {
		data := readFixture(t, f.file)
		if len(data) > 1024 {
			data = data[:1024]
		}
		if got, ok := inventory.Detect(data); !ok || got != f.format {
			t.Errorf("Detect(%s) = %q, %v; want %q", f.file, got, ok, f.format)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"\ufeff\"DisplayName\",\"DisplayVersion\"\r\n\"7-Zip\",\"23.01\"\r\n", "windows-csv"},
		{"#TYPE Selected.System.Management.Automation.PSCustomObject\r\n\"DisplayVersion\",\"DisplayName\"\r\n", "windows-csv"},
		{"Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files\n", "dpkg"},
		{"libc6 2.36-9 amd64\n", "dpkg"},
		{"openssl 1:3.0.7-27.el9 x86_64 openssl-3.0.7-27.el9.src.rpm\n", "rpm"},
		{"# comment\nSPDXVersion: SPDX-2.2\n", "spdx-tv"},
		{`{"matches": [], "source": {}}`, "grype-json"},
		{"<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" version=\"1\"/>", "cyclonedx-xml"},
	} {
		if got, ok := inventory.Detect([]byte(c.in)); !ok || got != c.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{"", "   ", "hello world", `{"a": 1}`, "<html></html>", "a,b,c\n1,2,3\n", "\xff\xfe"} {
		if got, ok := inventory.Detect([]byte(in)); ok {
			t.Errorf("Detect(%q) = %q, want not ok", in, got)
		}
	}
}

func TestDPKGList(t *testing.T) {
	const in = `Desired=Unknown/Install/Remove/Purge/Hold
| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend
|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)
||/ Name           Version          Architecture Description
+++-==============-================-============-=================================
ii  bash           5.2.15-2+b2      amd64        GNU Bourne Again SHell
rc  exim4-base     4.96-15+deb12u4  amd64        support files for all Exim MTA (v4) packages
ii  libssl3:amd64  3.0.11-1~deb12u2 amd64        Secure Sockets Layer toolkit - shared libraries
hi  openssl        3.0.11-1~deb12u2 amd64        Secure Sockets Layer toolkit - cryptographic utility
`
	inv, err := inventory.Parse("dpkg", strings.NewReader(in), inventory.Options{Distro: "ubuntu", Release: "jammy"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range inv.Packages {
		names = append(names, p.Name+" "+p.Version+" "+p.Ecosystem)
	}
	want := []string{"bash 5.2.15-2+b2 Ubuntu:22.04:LTS", "libssl3 3.0.11-1~deb12u2 Ubuntu:22.04:LTS", "openssl 3.0.11-1~deb12u2 Ubuntu:22.04:LTS"}
	if !slices.Equal(names, want) {
		t.Errorf("got %q, want %q", names, want)
	}
}

func TestDPKGOldSourceField(t *testing.T) {
	// ${Source} is "name (version)" when the versions differ.
	in := "libfoo1 1.2-3+b1 amd64 foo (1.2-3)\n"
	inv, err := inventory.Parse("dpkg", strings.NewReader(in), inventory.Options{Distro: "debian", Release: "12"})
	if err != nil {
		t.Fatal(err)
	}
	if p := inv.Packages[0]; p.SourceName != "foo" || p.SourceVersion != "1.2-3" {
		t.Errorf("source = %q %q", p.SourceName, p.SourceVersion)
	}
}

func TestUTF8CSV(t *testing.T) {
	in := "\ufeff\"Publisher\",\"DisplayName\",\"InstallDate\",\"DisplayVersion\"\r\n" +
		"\"Oracle Corporation\",\"Java 8 Update 411 (64-bit)\",\"20240420\",\"8.0.4110.9\"\r\n" +
		"\"\",\"\",\"\",\"\"\r\n"
	inv, err := inventory.Parse("windows-csv", strings.NewReader(in), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{{Name: "Java 8 Update 411 (64-bit)", Version: "8.0.4110.9", Vendor: "Oracle Corporation"}}
	if !reflect.DeepEqual(inv.Packages, want) {
		t.Errorf("got %+v", inv.Packages)
	}
}

// SBOM components known only by CPE (no package URL) are kept with their
// CPE and no ecosystem, for matching against NVD; those with a purl keep
// their CPE too but are matched by their ecosystem.
func TestParseCPE(t *testing.T) {
	cdx := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
	  {"type": "application", "name": "nginx", "version": "1.24.0", "cpe": "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*"},
	  {"type": "library", "name": "openssl", "cpe": " cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:* "},
	  {"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20",
	   "cpe": "cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:*:*:*"},
	  {"type": "library", "name": "nothing"}]}`
	spdx := `{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
	  "documentNamespace": "https://example.com/x", "creationInfo": {"created": "2024-06-03T09:00:00Z", "creators": ["Tool: test"]},
	  "packages": [
	    {"name": "nginx", "SPDXID": "SPDXRef-nginx", "versionInfo": "1.24.0", "downloadLocation": "NOASSERTION",
	     "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe22Type", "referenceLocator": "cpe:/a:f5:nginx:1.24.0"},
	       {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*"},
	       {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:nginx:nginx:1.24.0:*:*:*:*:*:*:*"}]},
	    {"name": "zlib", "SPDXID": "SPDXRef-zlib", "versionInfo": "NOASSERTION", "downloadLocation": "NOASSERTION",
	     "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:*"}]}]}`
	for _, tc := range []struct {
		name, format, in string
		want             []inventory.Package
	}{
		{"cyclonedx", "cyclonedx-json", cdx, []inventory.Package{
			{Name: "nginx", Version: "1.24.0", CPE: "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*"},
			{Name: "openssl", CPE: "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"},
			{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20",
				CPE: "cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:*:*:*"},
		}},
		{"spdx", "spdx-json", spdx, []inventory.Package{
			{Name: "nginx", Version: "1.24.0", CPE: "cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*"},
			{Name: "zlib", CPE: "cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:*"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := inventory.Parse(tc.format, strings.NewReader(tc.in), inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Packages) != len(tc.want) {
				t.Errorf("%d packages, want %d: %+v", len(inv.Packages), len(tc.want), inv.Packages)
			}
			for _, w := range tc.want {
				if !slices.Contains(inv.Packages, w) {
					t.Errorf("missing %+v; have %+v", w, inv.Packages)
				}
			}
		})
	}
}

func TestEmptyLists(t *testing.T) {
	inv, err := inventory.Parse("dpkg", strings.NewReader("\n"), inventory.Options{Distro: "debian", Release: "12"})
	if err != nil || inv.Packages == nil || len(inv.Packages) != 0 {
		t.Errorf("empty dpkg list: %+v, %v", inv, err)
	}
}

func TestMalformed(t *testing.T) {
	deb := inventory.Options{Distro: "debian", Release: "12"}
	rhel := inventory.Options{Distro: "rhel", Release: "9"}
	cdx := string(readFixture(t, "cyclonedx-node-debian.json"))
	spdxJSON := string(readFixture(t, "spdx-python-alpine.json"))
	trivy := string(readFixture(t, "trivy-node-debian.json"))
	grype := string(readFixture(t, "grype-rocky9.json"))
	for _, c := range []struct {
		name, format, in string
		opts             inventory.Options
		where            string // expected in the message
	}{
		{"truncated cyclonedx json", "cyclonedx-json", cdx[:len(cdx)/2], deb, "line "},
		{"cyclonedx json not an object", "cyclonedx-json", `[1, 2]`, deb, ""},
		{"cyclonedx json wrong bomFormat", "cyclonedx-json", `{"bomFormat": "SPDX", "specVersion": "1.5"}`, deb, "bomFormat"},
		{"cyclonedx json components not an array", "cyclonedx-json", `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "x"}`, deb, "components"},
		{"cyclonedx json component without name", "cyclonedx-json", `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "a", "version": "1"}, {"type": "library", "version": "1.0"}]}`, deb, "components[1]"},
		{"cyclonedx xml wrong root", "cyclonedx-xml", `<?xml version="1.0"?><sbom xmlns="http://cyclonedx.org/schema/bom/1.5"/>`, deb, ""},
		{"cyclonedx xml wrong namespace", "cyclonedx-xml", `<bom xmlns="urn:example"/>`, deb, ""},
		{"cyclonedx xml truncated", "cyclonedx-xml", string(readFixture(t, "cyclonedx-node-debian.xml"))[:900], deb, ""},
		{"spdx json truncated", "spdx-json", spdxJSON[:len(spdxJSON)-40], deb, "line "},
		{"spdx json no version", "spdx-json", `{"SPDXID": "SPDXRef-DOCUMENT", "packages": []}`, deb, ""},
		{"spdx json packages a string", "spdx-json", `{"spdxVersion": "SPDX-2.3", "packages": "x"}`, deb, ""},
		{"spdx tv line without colon", "spdx-tv", "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nthis is not a tag\n", deb, "line 3"},
		{"spdx tv unclosed text", "spdx-tv", "SPDXVersion: SPDX-2.3\nDocumentComment: <text>never closed\n", deb, "line 2"},
		{"spdx tv not spdx", "spdx-tv", "Name: x\n", deb, ""},
		{"dpkg two fields", "dpkg", "bash 5.2.15-2 amd64\nlibc6 2.36-9\n", deb, "line 2"},
		{"dpkg six fields", "dpkg", "bash 5.2.15-2 amd64 bash 5.2.15-2 extra\n", deb, "line 1"},
		{"dpkg bad name", "dpkg", "Bash! 5.2 amd64\n", deb, "line 1"},
		{"dpkg bad version", "dpkg", "bash 5.2(beta) amd64\n", deb, "line 1"},
		{"dpkg -l bad row", "dpkg", "Desired=Unknown\nii bash\n", deb, "line 2"},
		{"rpm without version", "rpm", "bash x86_64\n", rhel, "line 1"},
		{"rpm name only", "rpm", "bash-5.1.8-9.el9.x86_64\nopenssl\n", rhel, "line 2"},
		{"rpm version without release", "rpm", "bash 0:5.1.8 x86_64 bash-5.1.8-9.el9.src.rpm\n", rhel, "line 1"},
		{"rpm bad epoch", "rpm", "bash x:5.1.8-9.el9 x86_64\n", rhel, "line 1"},
		{"rpm bad sourcerpm", "rpm", "bash 0:5.1.8-9.el9 x86_64 bash.tar.gz\n", rhel, "line 1"},
		{"csv without DisplayName", "windows-csv", "\"Name\",\"Version\"\r\n\"7-Zip\",\"23.01\"\r\n", deb, "line 1"},
		{"csv empty", "windows-csv", "", deb, ""},
		{"csv ragged", "windows-csv", "\"DisplayName\",\"DisplayVersion\"\r\n\"7-Zip\",\"23.01\",\"x\"\r\n", deb, "line 2"},
		{"csv bad quote", "windows-csv", "\"DisplayName\",\"DisplayVersion\"\r\n\"7-Zip,\"23.01\r\n", deb, "line "},
		{"csv odd utf-16", "windows-csv", "\xff\xfeD\x00i\x00s", deb, ""},
		{"trivy results a string", "trivy-json", `{"SchemaVersion": 2, "ArtifactName": "x", "Results": "none"}`, deb, "Results"},
		{"trivy truncated", "trivy-json", trivy[:len(trivy)-100], deb, "line "},
		{"trivy not trivy", "trivy-json", `{"foo": 1}`, deb, ""},
		{"trivy package without name", "trivy-json", `{"SchemaVersion": 2, "Results": [{"Type": "npm", "Packages": [{"Version": "1.0.0"}]}]}`, deb, "Results[0].Packages[0]"},
		{"trivy epoch a string", "trivy-json", `{"SchemaVersion": 2, "Results": [{"Type": "debian", "Packages": [{"Name": "a", "Epoch": "1"}]}]}`, deb, "Epoch"},
		{"grype truncated", "grype-json", grype[:300], deb, "line "},
		{"grype no matches", "grype-json", `{"source": {}, "distro": {}}`, deb, ""},
		{"grype artifact without name", "grype-json", `{"matches": [{"artifact": {"version": "1", "type": "npm"}}]}`, deb, "matches[0].artifact"},
		{"grype matches an object", "grype-json", `{"matches": {}}`, deb, "matches"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv, err := inventory.Parse(c.format, strings.NewReader(c.in), c.opts)
			if !errors.Is(err, inventory.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !reflect.DeepEqual(inv, inventory.Inventory{}) {
				t.Errorf("inventory not zero: %+v", inv)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.format) || !strings.Contains(msg, c.where) {
				t.Errorf("message %q should name %q and %q", msg, c.format, c.where)
			}
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Format != c.format {
				t.Errorf("not a *ParseError for %s: %#v", c.format, err)
			}
		})
	}
}

func TestOptionsRequired(t *testing.T) {
	for _, c := range []struct {
		format string
		opts   inventory.Options
		says   string
	}{
		{"dpkg", inventory.Options{}, "Options.Distro"},
		{"dpkg", inventory.Options{Distro: "debian"}, "Options.Release"},
		{"dpkg", inventory.Options{Distro: "rhel", Release: "9"}, "not supported"},
		{"dpkg", inventory.Options{Distro: "ubuntu", Release: "focalx"}, "not a release"},
		{"rpm", inventory.Options{}, "Options.Distro"},
		{"rpm", inventory.Options{Distro: "debian", Release: "12"}, "not supported"},
		{"rpm", inventory.Options{Distro: "rocky", Release: "nine"}, "not a release"},
		{"rpm", inventory.Options{Distro: "rhel", Release: "x"}, "not a release"},
	} {
		inv, err := inventory.Parse(c.format, strings.NewReader("bash 5.2 amd64\n"), c.opts)
		if !errors.Is(err, inventory.ErrOptions) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s %+v: err = %v, want ErrOptions saying %q", c.format, c.opts, err, c.says)
		}
		if !reflect.DeepEqual(inv, inventory.Inventory{}) {
			t.Errorf("inventory not zero")
		}
	}
	// Aliases and code names are understood.
	for _, o := range []inventory.Options{{"Ubuntu", "noble"}, {"Debian", "bookworm"}} {
		if _, err := inventory.Parse("dpkg", strings.NewReader("bash 5.2 amd64\n"), o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []inventory.Options{{"redhat", "9.4"}, {"AlmaLinux", "9.4"}, {"Rocky Linux", "8"}} {
		if _, err := inventory.Parse("rpm", strings.NewReader("bash-5.1.8-9.el9.x86_64\n"), o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	_, err := inventory.Parse("apk", strings.NewReader(""), inventory.Options{})
	if !errors.Is(err, inventory.ErrUnknownFormat) {
		t.Errorf("err = %v", err)
	}
}

// Options fill in the release for an SBOM that names no operating system.
func TestOptionsFallback(t *testing.T) {
	in := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
	  {"type": "library", "name": "musl", "version": "1.2.5-r0", "purl": "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64"}]}`
	inv, err := inventory.Parse("cyclonedx-json", strings.NewReader(in), inventory.Options{Distro: "alpine", Release: "3.20"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Distro != "alpine" || inv.Packages[0].Ecosystem != "Alpine:v3.20" {
		t.Errorf("got %+v", inv)
	}
}

func TestDiff(t *testing.T) {
	deb := inventory.Options{Distro: "debian", Release: "12"}
	old, err := inventory.Parse("dpkg", bytes.NewReader(readFixture(t, "dpkg-debian12.txt")), deb)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := inventory.Parse("dpkg", strings.NewReader(`adduser 3.134 all adduser 3.134
base-files 12.4+deb12u5 amd64 base-files 12.4+deb12u5
bash 5.2.15-2+b2 amd64 bash 5.2.15-2
libc6:amd64 2.36-9+deb12u7 amd64 glibc 2.36-9+deb12u7
libc6:i386 2.36-9+deb12u7 i386 glibc 2.36-9+deb12u7
libssl3:amd64 3.0.13-1~deb12u1 amd64 openssl 3.0.13-1~deb12u1
curl 7.88.1-10+deb12u6 amd64 curl 7.88.1-10+deb12u6
tzdata 2024a-0+deb12u1 all
zlib1g:amd64 1:1.2.13.dfsg-1 amd64 zlib 1:1.2.13.dfsg-1
`), deb)
	if err != nil {
		t.Fatal(err)
	}
	added, removed, changed := inventory.Diff(old, cur)
	if len(added) != 1 || added[0].Name != "curl" {
		t.Errorf("added = %+v", added)
	}
	if len(removed) != 1 || removed[0].Name != "openssl" {
		t.Errorf("removed = %+v", removed)
	}
	want := []inventory.Change{
		{Name: "libc6", Ecosystem: "Debian:12", Arch: "amd64", From: "2.36-9+deb12u4", To: "2.36-9+deb12u7"},
		{Name: "libc6", Ecosystem: "Debian:12", Arch: "i386", From: "2.36-9+deb12u4", To: "2.36-9+deb12u7"},
		{Name: "libssl3", Ecosystem: "Debian:12", Arch: "amd64", From: "3.0.11-1~deb12u2", To: "3.0.13-1~deb12u1"},
	}
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("changed = %+v\nwant %+v", changed, want)
	}

	// No change against itself.
	if a, r, c := inventory.Diff(cur, cur); len(a)+len(r)+len(c) != 0 {
		t.Errorf("self diff: %v %v %v", a, r, c)
	}
	// Everything is added against nothing.
	if a, r, c := inventory.Diff(inventory.Inventory{}, cur); len(a) != len(cur.Packages) || len(r)+len(c) != 0 {
		t.Errorf("diff from empty: %d added, %v %v", len(a), r, c)
	}
}

func TestDiffSeveralVersions(t *testing.T) {
	rocky := inventory.Options{Distro: "rocky", Release: "9"}
	old, _ := inventory.Parse("rpm", strings.NewReader(
		"kernel-core 0:5.14.0-362.8.1.el9_3 x86_64\nkernel-core 0:5.14.0-427.13.1.el9_4 x86_64\n"), rocky)
	cur, _ := inventory.Parse("rpm", strings.NewReader(
		"kernel-core 0:5.14.0-427.13.1.el9_4 x86_64\nkernel-core 0:5.14.0-503.14.1.el9_5 x86_64\nkernel-core 0:5.14.0-503.15.1.el9_5 x86_64\n"), rocky)
	added, removed, changed := inventory.Diff(old, cur)
	if len(removed) != 0 || len(changed) != 1 || changed[0].From != "5.14.0-362.8.1.el9_3" || changed[0].To != "5.14.0-503.14.1.el9_5" ||
		len(added) != 1 || added[0].Version != "5.14.0-503.15.1.el9_5" {
		t.Errorf("added %+v removed %+v changed %+v", added, removed, changed)
	}

	// Same version in two places counts once.
	a := inventory.Inventory{Packages: []inventory.Package{
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Location: "a/package.json"},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Location: "b/package.json"},
	}}
	b := inventory.Inventory{Packages: []inventory.Package{
		{Name: "lodash", Version: "4.17.21", Ecosystem: "npm", Location: "a/package.json"},
	}}
	added, removed, changed = inventory.Diff(a, b)
	if len(added)+len(removed) != 0 || len(changed) != 1 {
		t.Errorf("added %+v removed %+v changed %+v", added, removed, changed)
	}
}
