package regulation_test

import (
	"os"
	"path/filepath"
	"testing"

	"khien.vn/khien/internal/regulation"
)

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("packs", "decree85-2016.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := regulation.Parse("decree85-2016.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetermine(b *testing.B) {
	p := pack85(b)
	pr := citizen(personalUsers(10000))
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Determine(pr)
	}
}
