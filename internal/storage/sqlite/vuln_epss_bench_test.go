package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

// epssScores returns n EPSS scores as FIRST's daily file has them (about
// 300,000 CVEs from 1999 on), in a shuffled order; round changes the
// scores, not the CVEs.
func epssScores(n, round int) []advisory.EPSS {
	r := rand.New(rand.NewPCG(uint64(round), 2))
	out := make([]advisory.EPSS, n)
	for i := range out {
		out[i] = advisory.EPSS{CVE: fmt.Sprintf("CVE-%d-%04d", 1999+i%27, 1000+i/27),
			Score: float64(r.IntN(100000)) / 100000, Percentile: float64(r.IntN(100000)) / 100000}
	}
	r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// BenchmarkReplaceEPSS measures one ReplaceEPSS of a full day's file:
// into an empty table (the first fetch) and over the previous day's
// scores (every later one).
func BenchmarkReplaceEPSS(b *testing.B) {
	const n = 300000
	date := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		empty bool
	}{{"empty_300k", true}, {"replace_300k", false}} {
		b.Run(tc.name, func(b *testing.B) {
			db := newDB(b)
			ctx := b.Context()
			if err := db.ReplaceEPSS(ctx, "v2025.03.14", date, epssScores(n, 0)); err != nil {
				b.Fatal(err)
			}
			list := epssScores(n, 1)
			b.ReportAllocs()
			for b.Loop() {
				if tc.empty {
					b.StopTimer()
					if err := db.Exec(ctx, `DELETE FROM vuln_epss`); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if err := db.ReplaceEPSS(ctx, "v2025.03.14", date, list); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEPSSScores measures one EPSSScores lookup of the CVEs of a
// large estate's findings (5,000, a fifth of them unscored) among 300,000
// scores.
func BenchmarkEPSSScores(b *testing.B) {
	const n, k = 300000, 5000
	db := newDB(b)
	ctx := b.Context()
	list := epssScores(n, 0)
	if err := db.ReplaceEPSS(ctx, "v2025.03.14", time.Now(), list); err != nil {
		b.Fatal(err)
	}
	cves := make([]string, k)
	for i := range cves {
		if i%5 == 0 {
			cves[i] = fmt.Sprintf("CVE-2030-%05d", i)
		} else {
			cves[i] = list[i*(n/k)].CVE
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.EPSSScores(ctx, cves)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != k-k/5 {
			b.Fatalf("EPSSScores found %d, want %d", len(got), k-k/5)
		}
	}
}
