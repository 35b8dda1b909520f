package vuln_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
	"khien.vn/khien/internal/vuln/inventory"
)

// benchEcosystems are the ecosystems of the generated database, with a
// version maker each: realistic shapes (Debian revisions with security
// suffixes, Alpine -rN, Maven qualifiers, Go v-prefixes).
var benchEcosystems = []struct {
	eco     string
	version func(major, minor, patch int) string
}{
	{"npm", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d", a, b, c) }},
	{"PyPI", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d", a, b, c) }},
	{"Maven", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d.Final", a, b, c) }},
	{"Go", func(a, b, c int) string { return fmt.Sprintf("v%d.%d.%d", a, b, c) }},
	{"Debian:12", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d-1+deb12u%d", a, b, c, c%5+1) }},
	{"Ubuntu:22.04:LTS", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d-0ubuntu0.22.04.%d", a, b, c, c%4+1) }},
	{"Alpine:v3.20", func(a, b, c int) string { return fmt.Sprintf("%d.%d.%d-r%d", a, b, c, c%3) }},
}

// benchData generates n advisories (each one or two affected packages with
// one or two ranges) over a pool of names, and m installed packages drawn
// from the same pool: each package has about a candidate entry, and a
// few thousand are inside a range.
func benchData(n, m int) ([]advisory.Advisory, []inventory.Package) {
	r := rand.New(rand.NewPCG(1, 2))
	const names = 20000
	advs := make([]advisory.Advisory, n)
	for i := range advs {
		a := advisory.Advisory{ID: fmt.Sprintf("BENCH-%06d", i), Source: advisory.SourceOSV, Aliases: []string{fmt.Sprintf("CVE-2026-%05d", i)}}
		for range 1 + r.IntN(2) {
			e := benchEcosystems[r.IntN(len(benchEcosystems))]
			major, minor := r.IntN(3), r.IntN(5)
			af := advisory.Affected{Ecosystem: e.eco, Name: fmt.Sprintf("pkg-%05d", r.IntN(names))}
			for range 1 + r.IntN(2) {
				af.Ranges = append(af.Ranges, advisory.Range{Type: "ECOSYSTEM", Events: []advisory.Event{
					{Introduced: e.version(major, minor, 0)}, {Fixed: e.version(major, minor, 5+r.IntN(10))}}})
				minor++
			}
			a.Affected = append(a.Affected, af)
		}
		advs[i] = a
	}
	pkgs := make([]inventory.Package, m)
	for i := range pkgs {
		e := benchEcosystems[r.IntN(len(benchEcosystems))]
		pkgs[i] = inventory.Package{Ecosystem: e.eco, Name: fmt.Sprintf("pkg-%05d", r.IntN(names)),
			Version: e.version(r.IntN(3), r.IntN(6), r.IntN(20))}
		if e.eco == "Ubuntu:22.04:LTS" {
			pkgs[i].Ecosystem = "Ubuntu:22.04"
		}
	}
	return advs, pkgs
}

// BenchmarkMatch matches 10,000 installed packages against an index of
// 100,000 OSV advisories (issue 9: under 2 s), reporting the index's heap.
func BenchmarkMatch(b *testing.B) {
	advs, pkgs := benchData(100000, 10000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ix := vuln.NewIndex(advs)
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, entries := ix.Len()
	b.ResetTimer()
	var found int
	for b.Loop() {
		matches, problems := ix.Match(pkgs)
		if len(problems) != 0 {
			b.Fatalf("%d problems, first %v", len(problems), problems[0].Err)
		}
		found = len(matches)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "index-MiB")
	b.ReportMetric(float64(found), "findings")
	b.ReportMetric(float64(n), "advisories")
	b.ReportMetric(float64(entries), "entries")
	runtime.KeepAlive(advs)
}

// BenchmarkIndex compiles the 100,000 advisories (done once when the
// database loads or changes).
func BenchmarkIndex(b *testing.B) {
	advs, _ := benchData(100000, 0)
	for b.Loop() {
		vuln.NewIndex(advs)
	}
}

// BenchmarkIndexAndMatch is the whole of a cold run: index the 100,000
// advisories, then match the 10,000 packages (every candidate entry
// compiled on the way).
func BenchmarkIndexAndMatch(b *testing.B) {
	advs, pkgs := benchData(100000, 10000)
	var found int
	for b.Loop() {
		matches, problems := vuln.NewIndex(advs).Match(pkgs)
		if len(problems) != 0 {
			b.Fatalf("%d problems", len(problems))
		}
		found = len(matches)
	}
	b.ReportMetric(float64(found), "findings")
}
