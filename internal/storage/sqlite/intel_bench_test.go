package sqlite_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/unit"
)

// feed returns n indicators as a feed import brings them: STIX ids, a
// mix of IPs, domains, URLs and SHA-256 hashes (one comparison each, every
// tenth with a second conjunction), labels and a validity window.
// Indicator i of one round r has external id and value of (r, i).
func feed(unitID int64, n, round int) []intel.Indicator {
	out := make([]intel.Indicator, n)
	now := time.Now()
	for i := range out {
		var c intel.Comparison
		switch i % 4 {
		case 0:
			c = intel.Comparison{Type: intel.IP, Value: fmt.Sprintf("10.%d.%d.%d", round%256, i/256%256, i%256)}
		case 1:
			c = intel.Comparison{Type: intel.Domain, Value: fmt.Sprintf("c2-%d-%d.example", round, i)}
		case 2:
			c = intel.Comparison{Type: intel.URL, Value: fmt.Sprintf("http://dl-%d.example/payload/%d/update.exe?id=%x", round, i, i*7919)}
		default:
			h := sha256.Sum256(fmt.Appendf(nil, "%d/%d", round, i))
			c = intel.Comparison{Type: intel.SHA256, Value: hex.EncodeToString(h[:])}
		}
		pattern := [][]intel.Comparison{{c}}
		if i%10 == 0 {
			pattern = append(pattern, []intel.Comparison{{Type: intel.Domain, Value: fmt.Sprintf("alt-%d-%d.example", round, i)}})
		}
		out[i] = intel.Indicator{UnitID: unitID, Type: c.Type, Value: c.Value, Pattern: pattern,
			Name: "Malicious " + string(c.Type), Source: "MISP CIRCL OSINT feed", TLP: intel.TLPGreen, Confidence: 75,
			ExternalID: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", round, i), Labels: []string{"malicious-activity"},
			ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(90 * 24 * time.Hour)}
	}
	return out
}

// BenchmarkUpsertIndicators measures one UpsertIndicators call of 10,000
// indicators: new ones (each round a new feed, on a growing table) and
// the same feed again (every one an update that rewrites its values).
func BenchmarkUpsertIndicators(b *testing.B) {
	const n = 10000
	for _, tc := range []struct {
		name   string
		update bool
	}{{"insert_10k", false}, {"update_10k", true}} {
		b.Run(tc.name, func(b *testing.B) {
			db := newDB(b)
			ctx := b.Context()
			u := unit.Unit{Code: "u", Name: "U"}
			if err := db.CreateUnit(ctx, &u); err != nil {
				b.Fatal(err)
			}
			if tc.update {
				if _, _, err := db.UpsertIndicators(ctx, feed(u.ID, n, 0)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				b.StopTimer()
				if !tc.update {
					round++
				}
				list := feed(u.ID, n, round)
				b.StartTimer()
				ins, upd, err := db.UpsertIndicators(ctx, list)
				if err != nil {
					b.Fatal(err)
				}
				if tc.update && upd != n || !tc.update && ins != n {
					b.Fatalf("UpsertIndicators = %d inserted, %d updated", ins, upd)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "indicators/s")
		})
	}
}
