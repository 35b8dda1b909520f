package ransom_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"khien.vn/khien/internal/backup/ransom"
)

func TestEntropy(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	r := newRand(1)
	tests := []struct {
		name     string
		data     []byte
		min, max float64
	}{
		{"empty", nil, 0, 0},
		{"constant", bytes.Repeat([]byte{'a'}, 4096), 0, 0},
		{"two_symbols", bytes.Repeat([]byte("ab"), 512), 1, 1},
		{"every_byte_once", all, 8, 8},
		{"english_prose", prose(r, wordsEN, 64<<10), 4.0, 4.6},
		{"vietnamese_prose", prose(r, wordsVI, 64<<10), 4.6, 5.4},
		{"csv", csvData(r, 2000), 4.5, 5.5},
		{"go_source", goSource(r, 500), 4.0, 5.0},
		{"gzip", gzipOf(prose(r, wordsEN, 256<<10)), 7.9, 8},
		{"aes_ctr_64k", encryptCTR(r, prose(r, wordsEN, 64<<10), nil, nil), 7.99, 8},
		{"aes_ctr_1k", encryptCTR(r, prose(r, wordsEN, 1<<10), nil, nil), 7.7, 7.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ransom.Entropy(tt.data)
			if got < tt.min-1e-9 || got > tt.max+1e-9 {
				t.Errorf("Entropy = %.4f, want in [%.2f, %.2f]", got, tt.min, tt.max)
			}
		})
	}
}

func TestChiSquare(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	r := newRand(2)
	tests := []struct {
		name     string
		data     []byte
		min, max float64
	}{
		{"empty", nil, 0, 0},
		{"every_byte_once", all, 0, 0},
		// One bin holds 256 where 1 is expected: 255² + 255 × 1².
		{"constant_256", bytes.Repeat([]byte{7}, 256), 65280, 65280},
		{"aes_ctr_48k", encryptCTR(r, prose(r, wordsVI, 48<<10), nil, nil), 180, 350},
		{"prose_48k", prose(r, wordsEN, 48<<10), 100_000, math.Inf(1)},
		{"png_photo", photo(r, 256, 256), 400, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ransom.ChiSquare(tt.data)
			if got < tt.min-1e-9 || got > tt.max+1e-9 {
				t.Errorf("ChiSquare = %.1f, want in [%.0f, %.0f]", got, tt.min, tt.max)
			}
		})
	}
}

// positions returns n bytes whose value at i is a function of i, so that
// a sample shows where it was read from.
func positions(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i / ransom.BlockSize * 7)
	}
	return p
}

func TestSample(t *testing.T) {
	big := positions(10 * ransom.BlockSize)
	tests := []struct {
		name    string
		data    []byte
		size    int64
		want    []byte
		wantErr error
	}{
		{"empty", nil, 0, []byte{}, nil},
		{"small_whole", []byte("hello"), 5, []byte("hello"), nil},
		{"exactly_three_blocks", big[:ransom.SampleSize], ransom.SampleSize, big[:ransom.SampleSize], nil},
		{"big_head_middle_tail", big, int64(len(big)),
			concat(big[:ransom.BlockSize], big[4*ransom.BlockSize+ransom.BlockSize/2:5*ransom.BlockSize+ransom.BlockSize/2], big[9*ransom.BlockSize:]), nil},
		{"reader_shorter_than_size", []byte("hello"), 9, nil, io.ErrUnexpectedEOF},
		{"big_reader_short", big[:len(big)-1], int64(len(big)), nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ransom.Sample(bytes.NewReader(tt.data), tt.size)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Sample error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Sample = %d bytes %x…, want %d bytes %x…", len(got), head(got), len(tt.want), head(tt.want))
			}
		})
	}
	t.Run("negative_size", func(t *testing.T) {
		if _, err := ransom.Sample(bytes.NewReader(nil), -1); err == nil {
			t.Error("Sample(-1) succeeded")
		}
	})
}

func TestSampleHead(t *testing.T) {
	big := positions(10 * ransom.BlockSize)
	tests := []struct {
		name string
		data []byte
		want []byte
	}{
		{"empty", nil, []byte{}},
		{"short", []byte("hello"), []byte("hello")},
		{"long", big, big[:ransom.SampleSize]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ransom.SampleHead(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("SampleHead = %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
	t.Run("read_error", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := ransom.SampleHead(io.MultiReader(strings.NewReader("abc"), errReader{boom})); !errors.Is(err, boom) {
			t.Errorf("SampleHead error = %v, want %v", err, boom)
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func head(p []byte) []byte { return p[:min(len(p), 8)] }

// sampleOf samples data as the caller of Looks would.
func sampleOf(t testing.TB, data []byte) []byte {
	t.Helper()
	s, err := ransom.Sample(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLooks(t *testing.T) {
	r := newRand(3)
	text := prose(r, wordsEN, 200<<10)
	textVI := prose(r, wordsVI, 200<<10)
	archive := zipOf(
		zipEntry{name: "notes.txt", data: prose(r, wordsEN, 40<<10)},
		zipEntry{name: "photo.png", data: photo(r, 200, 200)},
		zipEntry{name: "data.csv", data: csvData(r, 3000)},
	)
	png := photo(r, 300, 300)
	bigJPEG := jpegOf(r, 1600, 1200)
	headOnly := concat(encryptCTR(r, text[:ransom.HeadWindow], nil, nil), text[ransom.HeadWindow:])
	ransomHeader := concat([]byte("LOCKBIT3\x00\x00\x00\x01"), noise(r, 240))

	tests := []struct {
		name     string
		data     []byte
		file     string
		class    ransom.Class
		format   string
		headOnly bool
		mismatch bool
		opaque   bool
	}{
		// Plain text of every kind the tests generate.
		{"english_prose", text, "report.txt", ransom.PlainText, "utf-8", false, false, false},
		{"vietnamese_prose", textVI, "bao-cao.txt", ransom.PlainText, "utf-8", false, false, false},
		{"csv", csvData(r, 5000), "nhan-su.csv", ransom.PlainText, "utf-8", false, false, false},
		{"go_source", goSource(r, 800), "inventory.go", ransom.PlainText, "utf-8", false, false, false},
		{"json", jsonData(r, 2000), "hosts.json", ransom.PlainText, "utf-8", false, false, false},
		{"utf16_text", utf16Text(string(textVI[:8000])), "export.txt", ransom.PlainText, "utf-16", false, false, false},
		// Compressed and media formats: high entropy, known magic.
		{"gzip", gzipOf(text), "report.txt.gz", ransom.KnownFormat, "gzip", false, false, false},
		{"zip", archive, "archive.zip", ransom.KnownFormat, "zip", false, false, false},
		{"docx", docx(r, wordsVI, 120<<10), "hop-dong.docx", ransom.KnownFormat, "ooxml", false, false, false},
		{"png", png, "scan.png", ransom.KnownFormat, "png", false, false, false},
		{"jpeg", jpegOf(r, 400, 300), "photo.jpg", ransom.KnownFormat, "jpeg", false, false, false},
		{"pdf", pdfOf(r, 300<<10), "invoice.pdf", ransom.KnownFormat, "pdf", false, false, false},
		{"png_named_docx", png, "scan.docx", ransom.KnownFormat, "png", false, true, false},
		// Encrypted copies of the same files.
		{"aes_ctr_text", encryptCTR(r, text, nil, nil), "report.txt", ransom.EncryptedLike, "", false, true, false},
		{"aes_ctr_zip", encryptCTR(r, archive, nil, nil), "archive.zip.lockbit", ransom.EncryptedLike, "", false, false, false},
		{"aes_ctr_png", encryptCTR(r, png, nil, nil), "scan.png", ransom.EncryptedLike, "", false, true, false},
		{"aes_gcm_csv", encryptGCM(r, csvData(r, 5000)), "nhan-su.csv.encrypted", ransom.EncryptedLike, "", false, false, false},
		{"header_and_footer", encryptCTR(r, text, ransomHeader, footer512(r, "report.txt")), "report.txt.phobos", ransom.EncryptedLike, "", false, false, false},
		{"small_with_footer", encryptCTR(r, text[:3000], nil, footer512(r, "memo.txt")), "memo.txt.akira", ransom.EncryptedLike, "", false, false, false},
		{"head_only", headOnly, "big.log", ransom.EncryptedLike, "", true, true, false},
		{"veracrypt_volume", noise(r, 1<<20), "vault.hc", ransom.EncryptedLike, "", false, false, true},
		// Compressed data without its container's header: χ² tells 48 KiB
		// of image data from ciphertext (about 450 here, against 255 ± 23)…
		{"png_without_header", png[64:], "blob.bin", ransom.Dense, "", false, false, false},
		{"jpeg_without_header", jpegOf(r, 400, 300)[64:], "blob.bin", ransom.Dense, "", false, false, false},
		// …but not a raw Deflate stream, which is as uniform as ciphertext
		// over a few KiB (and on the threshold at 48 KiB): a known limit,
		// see the package documentation.
		{"raw_deflate_limit", rawDeflate(prose(r, wordsVI, 16<<10))[:4096], "blob.bin", ransom.EncryptedLike, "", false, false, false},
		// A fast mode that encrypted the first 64 KiB of big files: the
		// magic is gone. The rest of an archive is as uniform as the
		// ciphertext; the rest of a photo is not, which leaves a Dense
		// verdict whose Mismatch Compare counts.
		{"zip_head_encrypted", concat(encryptCTR(r, archive[:64<<10], nil, nil), archive[64<<10:]), "archive.zip", ransom.EncryptedLike, "", false, true, false},
		{"jpeg_head_encrypted", concat(encryptCTR(r, bigJPEG[:64<<10], nil, nil), bigJPEG[64<<10:]), "photo.jpg", ransom.Dense, "", false, true, false},
		// Too short, or ordinary binary.
		{"too_short", encryptCTR(r, text[:600], nil, nil), "a.txt.locked", ransom.Undecided, "", false, false, false},
		{"zeros", make([]byte, 64<<10), "disk.img", ransom.Binary, "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ransom.Looks(sampleOf(t, tt.data), tt.file)
			if v.Class != tt.class || v.Format != tt.format || v.HeadOnly != tt.headOnly || v.Mismatch != tt.mismatch || v.Opaque != tt.opaque {
				t.Errorf("Looks = %s %q headOnly=%t mismatch=%t opaque=%t (H=%.3f χ²=%.0f n=%d), want %s %q headOnly=%t mismatch=%t opaque=%t",
					v.Class, v.Format, v.HeadOnly, v.Mismatch, v.Opaque, v.Entropy, v.ChiSquare, v.Bytes,
					tt.class, tt.format, tt.headOnly, tt.mismatch, tt.opaque)
			}
			if tt.class == ransom.EncryptedLike && (v.Entropy < 7.5 || v.ChiSquare > 350) && !v.HeadOnly {
				t.Errorf("encrypted-like with H=%.3f χ²=%.0f outside the thresholds", v.Entropy, v.ChiSquare)
			}
		})
	}
}
