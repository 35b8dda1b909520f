package version_test

import (
	"fmt"
	"testing"

	"khien.vn/khien/internal/vuln/version"
)

var (
	sinkInt  int
	sinkBool bool
)

func BenchmarkCompareDebian(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := version.Compare("Debian", "1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4")
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = c
	}
}

func BenchmarkParseDebian(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		v, err := version.Parse("Debian", "1.1.1n-0+deb11u5")
		if err != nil {
			b.Fatal(err)
		}
		sinkBool = v.IsZero()
	}
}

func BenchmarkVersionCompareDebian(b *testing.B) {
	x, _ := version.Parse("Debian", "1.1.1n-0+deb11u5")
	y, _ := version.Parse("Debian", "1.1.1n-0+deb11u4")
	b.ReportAllocs()
	for b.Loop() {
		c, err := x.Compare(y)
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = c
	}
}

// A typical distribution advisory entry (one range) and a typical language
// advisory entry (several ranges and a versions list).
var (
	benchDebianRanges = []version.Range{{Type: version.TypeEcosystem, Events: []version.Event{
		{Introduced: "0"}, {Fixed: "1.1.1n-0+deb11u4"},
	}}}
	benchMavenRanges = []version.Range{
		{Type: version.TypeEcosystem, Events: []version.Event{{Introduced: "2.0-beta9"}, {Fixed: "2.3.1"}}},
		{Type: version.TypeEcosystem, Events: []version.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}}},
		{Type: version.TypeEcosystem, Events: []version.Event{{Introduced: "2.13.0"}, {Fixed: "2.15.0"}}},
	}
	benchMavenVersions = []string{"2.0-beta9", "2.0-rc1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.4.1", "2.5", "2.6"}
)

func BenchmarkAffected(b *testing.B) {
	b.Run("Debian", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ok, err := version.Affected("Debian:11", "1.1.1n-0+deb11u5", benchDebianRanges, nil)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Maven", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ok, err := version.Affected("Maven", "2.17.1", benchMavenRanges, benchMavenVersions)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
}

func BenchmarkAffectedParsed(b *testing.B) {
	b.Run("Debian", func(b *testing.B) {
		v, _ := version.Parse("Debian:11", "1.1.1n-0+deb11u5")
		b.ReportAllocs()
		for b.Loop() {
			ok, err := version.AffectedParsed(v, benchDebianRanges, nil)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Maven", func(b *testing.B) {
		v, _ := version.Parse("Maven", "2.17.1")
		b.ReportAllocs()
		for b.Loop() {
			ok, err := version.AffectedParsed(v, benchMavenRanges, benchMavenVersions)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
}

func BenchmarkMatcher(b *testing.B) {
	b.Run("Debian", func(b *testing.B) {
		v, _ := version.Parse("Debian:11", "1.1.1n-0+deb11u5")
		m := version.NewMatcher("Debian:11", benchDebianRanges, nil)
		b.ReportAllocs()
		for b.Loop() {
			ok, err := m.Affected(v)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Maven", func(b *testing.B) {
		v, _ := version.Parse("Maven", "2.17.1")
		m := version.NewMatcher("Maven", benchMavenRanges, benchMavenVersions)
		b.ReportAllocs()
		for b.Loop() {
			ok, err := m.Affected(v)
			if err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// osv.dev enumerates every affected version of language packages; a record
// with a few hundred entries is common.
func benchLongList() ([]version.Range, []string) {
	var list []string
	for major := 0; major < 3; major++ {
		for minor := 0; minor < 10; minor++ {
			for patch := 0; patch < 10; patch++ {
				list = append(list, fmt.Sprintf("%d.%d.%d", major, minor, patch))
			}
		}
	}
	ranges := []version.Range{{Type: version.TypeSemver, Events: []version.Event{{Introduced: "0"}, {Fixed: "3.0.0"}}}}
	return ranges, list
}

func BenchmarkLongVersionsList(b *testing.B) {
	ranges, list := benchLongList()
	v, _ := version.Parse("npm", "3.1.0")
	b.Run("AffectedParsed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := version.AffectedParsed(v, ranges, list); err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Matcher", func(b *testing.B) {
		m := version.NewMatcher("npm", ranges, list)
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := m.Affected(v); err != nil || ok {
				b.Fatal(ok, err)
			}
		}
	})
}
