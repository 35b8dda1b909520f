package ransom_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/backup/ransom"
)

func FuzzLooks(f *testing.F) {
	r := newRand(5)
	f.Add([]byte{}, "")
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff"), "a.docx")
	f.Add([]byte("MZ"+string(make([]byte, 58))+"\xff\xff\xff\x7f"), "a.exe")
	f.Add([]byte{0xff, 0xfe, 'h', 0, 0xd8}, "u.txt")
	f.Add(prose(r, wordsVI, 2048), "vi.txt")
	f.Add(gzipOf(prose(r, wordsEN, 4096)), "a.gz")
	f.Add(encryptCTR(r, prose(r, wordsEN, 4096), nil, nil), "a.txt.lockbit")
	f.Add(noise(r, 9000), "x.hc")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		e := ransom.Entropy(data)
		if e < 0 || e > 8 || e != e {
			t.Fatalf("Entropy = %v, want within [0, 8]", e)
		}
		if x := ransom.ChiSquare(data); x < 0 || x != x {
			t.Fatalf("ChiSquare = %v", x)
		}
		v := ransom.Looks(data, name)
		if v.Bytes != len(data) || v.Class > ransom.EncryptedLike || v.Class.String() == "unknown" {
			t.Fatalf("Looks = %+v", v)
		}
		if v.Entropy < 0 || v.Entropy > 8 {
			t.Fatalf("Verdict.Entropy = %v", v.Entropy)
		}
		if v.Class == ransom.EncryptedLike && len(data) < ransom.DefaultOptions().MinSampleBytes {
			t.Fatalf("encrypted-like verdict on %d bytes", len(data))
		}
		s, err := ransom.Sample(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(s) > ransom.SampleSize || len(data) <= ransom.SampleSize && !bytes.Equal(s, data) {
			t.Fatalf("Sample = %d bytes, %v", len(s), err)
		}
	})
}

func BenchmarkLooks(b *testing.B) {
	r := newRand(6)
	inputs := []struct {
		name string
		data []byte
		file string
	}{
		{"text", prose(r, wordsVI, 1<<20), "a.txt"},
		{"gzip", gzipOf(prose(r, wordsEN, 4<<20))[:1<<20], "a.gz"},
		{"encrypted", encryptCTR(r, prose(r, wordsEN, 1<<20), nil, nil), "a.txt.lockbit"},
	}
	for _, in := range inputs {
		// The whole 1 MiB, as if a caller passed a file instead of a sample.
		b.Run(in.name+"/1MiB", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				_ = ransom.Entropy(in.data)
				_ = ransom.Looks(in.data, in.file)
			}
		})
		// What Compare does per file: Sample (3 × 16 KiB) then Looks.
		b.Run(in.name+"/sampled", func(b *testing.B) {
			b.ReportAllocs()
			rd := bytes.NewReader(in.data)
			for b.Loop() {
				s, err := ransom.Sample(rd, int64(len(in.data)))
				if err != nil {
					b.Fatal(err)
				}
				_ = ransom.Looks(s, in.file)
			}
		})
	}
}

// BenchmarkCompare measures the name heuristics on big file servers (no
// samples): a quiet night, and a night when 80 % of the files were
// renamed to .lockbit.
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		prev := make([]ransom.File, n)
		for i := range prev {
			prev[i] = ransom.File{Path: fmt.Sprintf("/srv/share/d%03d/file-%06d.docx", i%500, i), Size: int64(10_000 + i%5000), ModTime: lastNight}
		}
		slices.SortFunc(prev, func(a, b ransom.File) int { return strings.Compare(a.Path, b.Path) }) // as restic lists them
		quiet := slices.Clone(prev)
		for i := 0; i < n; i += 100 {
			quiet[i].Size++
			quiet[i].ModTime = tonight
		}
		attacked := slices.Clone(prev)
		for i := range attacked {
			if i%5 != 0 {
				attacked[i].Path += ".lockbit"
				attacked[i].Size += 512
			}
		}
		for name, cur := range map[string][]ransom.File{"quiet": quiet, "attacked": attacked} {
			b.Run(fmt.Sprintf("%s/%dk_files", name, n/1000), func(b *testing.B) {
				b.ReportAllocs()
				o := ransom.DefaultOptions()
				for b.Loop() {
					ransom.Compare(prev, cur, o)
				}
			})
		}
	}
}
