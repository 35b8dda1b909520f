package advisory

import "testing"

func TestParsePURL(t *testing.T) {
	for _, c := range []struct {
		in                       string
		eco, name, version, base string
	}{
		{"pkg:npm/%40acme/query-lite@2.1.0", "npm", "@acme/query-lite", "2.1.0", "pkg:npm/%40acme/query-lite"},
		{"pkg:npm/@acme/query-lite@2.1.0", "npm", "@acme/query-lite", "2.1.0", "pkg:npm/@acme/query-lite"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core?type=jar"},
		{"pkg:golang/golang.org/x/net@v0.17.0", "Go", "golang.org/x/net", "v0.17.0", "pkg:golang/golang.org/x/net"},
		{"pkg:deb/debian/libexpat1@2.5.0-1%2Bdeb12u1?arch=amd64&distro=debian-12", "Debian", "libexpat1", "2.5.0-1+deb12u1", "pkg:deb/debian/libexpat1?arch=amd64&distro=debian-12"},
		{"pkg:rpm/redhat/expat@2.5.0-3.el9_5.1?arch=x86_64", "Red Hat", "expat", "2.5.0-3.el9_5.1", "pkg:rpm/redhat/expat?arch=x86_64"},
		{"pkg:apk/alpine/expat@2.6.4-r0?arch=x86_64#sub/dir", "Alpine", "expat", "2.6.4-r0", "pkg:apk/alpine/expat?arch=x86_64#sub/dir"},
		{"PKG:PyPI/Django@4.2.1", "PyPI", "Django", "4.2.1", "pkg:PyPI/Django"},
		{"pkg:cargo/smallvec", "crates.io", "smallvec", "", "pkg:cargo/smallvec"},
		{"pkg:generic/openssl@3.0.13", "", "openssl", "3.0.13", "pkg:generic/openssl"},
	} {
		p, ok := parsePURL(c.in)
		if !ok {
			t.Errorf("%s: not parsed", c.in)
			continue
		}
		eco, name := p.ecosystem()
		if eco != c.eco || name != c.name || p.Version != c.version || p.Base != c.base {
			t.Errorf("%s: got %q %q %q %q, want %q %q %q %q", c.in, eco, name, p.Version, p.Base, c.eco, c.name, c.version, c.base)
		}
	}
	for _, in := range []string{"", "npm/x@1", "pkg:", "pkg:npm", "pkg:npm/", "pkg:npm/%zz@1", "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"} {
		if p, ok := parsePURL(in); ok {
			t.Errorf("%q parsed as %+v", in, p)
		}
	}
}
