package ransom_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
)

// The generators below make realistic plain, compressed and encrypted
// content. Everything is seeded, so tests are reproducible: keys are
// random (drawn from a seeded ChaCha8) but the same on every run.

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'k', 'h', 'i', 'e', 'n'}))
}

var (
	wordsEN = strings.Fields(`the backup of every system runs at night and the administrator checks
		the report in the morning before the office opens; a restore test proves that data can be
		recovered within the agreed time, and the auditor asks for evidence of each test, the retention
		policy, the off-site copy and the offline copy kept out of reach of an attacker who gained
		administrative access to the network`)
	wordsVI = strings.Fields(`hệ thống thông tin của đơn vị được sao lưu định kỳ hằng ngày vào ban đêm
		quản trị viên kiểm tra báo cáo vào buổi sáng trước giờ làm việc; việc khôi phục thử chứng minh
		rằng dữ liệu có thể được phục hồi trong thời gian đã cam kết, bản sao lưu ngoại tuyến phải được
		cất giữ tách biệt khỏi mạng để kẻ tấn công không thể mã hóa hoặc xóa`)
)

// prose returns about n bytes of sentences drawn from words.
func prose(r *rand.Rand, words []string, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		k := 6 + r.IntN(14)
		for i := range k {
			w := words[r.IntN(len(words))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			if i < k-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(".")
		if r.IntN(5) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()
}

func csvData(r *rand.Rand, rows int) []byte {
	var b bytes.Buffer
	b.WriteString("ma_nv,ho_ten,phong_ban,luong,ngay_vao\n")
	names := []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức"}
	depts := []string{"Kế toán", "Kỹ thuật", "Nhân sự", "Kinh doanh"}
	for i := range rows {
		fmt.Fprintf(&b, "NV%05d,%s,%s,%d,2024-%02d-%02d\n", i, names[r.IntN(len(names))],
			depts[r.IntN(len(depts))], 8_000_000+r.IntN(40_000_000), 1+r.IntN(12), 1+r.IntN(28))
	}
	return b.Bytes()
}

func goSource(r *rand.Rand, funcs int) []byte {
	var b bytes.Buffer
	b.WriteString("package inventory\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n")
	for i := range funcs {
		fmt.Fprintf(&b, "// Item%d returns the label of item %d.\nfunc Item%d(name string, n int) string {\n", i, i, i)
		fmt.Fprintf(&b, "\tif n > %d {\n\t\treturn strings.ToUpper(name)\n\t}\n", r.IntN(1000))
		fmt.Fprintf(&b, "\treturn fmt.Sprintf(\"%%s-%%d\", name, n+%d)\n}\n\n", r.IntN(100))
	}
	return b.Bytes()
}

func jsonData(r *rand.Rand, items int) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i := range items {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `  {"id": %d, "host": "srv-%03d.noibo.vn", "cpu": %.2f, "tags": ["prod", "hn"], "ok": %t}`,
			i, r.IntN(500), r.Float64()*100, r.IntN(2) == 0)
	}
	b.WriteString("\n]\n")
	return b.Bytes()
}

func utf16Text(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, c := range s {
		out = append(out, byte(c), byte(c>>8)) // BMP only
	}
	return out
}

func gzipOf(p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func rawDeflate(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// zipOf archives the named contents, in the given order.
func zipOf(entries ...zipEntry) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		if e.stored {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			panic(err)
		}
		f.Write(e.data)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

type zipEntry struct {
	name   string
	data   []byte
	stored bool // not compressed, as archivers do with compressed files
}

// docx makes a zip laid out as Word writes one.
func docx(r *rand.Rand, words []string, n int) []byte {
	body := prose(r, words, n)
	return zipOf(
		zipEntry{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		zipEntry{name: "_rels/.rels", data: []byte(`<?xml version="1.0"?><Relationships/>`)},
		zipEntry{name: "word/document.xml", data: append(append([]byte(`<w:document><w:body><w:p><w:r><w:t>`), body...), `</w:t></w:r></w:p></w:body></w:document>`...)},
	)
}

// photo makes a PNG of a noisy gradient, about as incompressible as a
// photograph: its IDAT stream is close to random.
func photo(r *rand.Rand, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := r.Uint32()
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x)+uint8(n&63), uint8(y)+uint8(n>>6&63), uint8(n>>12), 255
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func jpegOf(r *rand.Rand, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x^y), uint8(r.Uint32()), uint8(y), 255
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pdfOf makes a small PDF whose page content is a Flate stream, as real
// PDFs are: high entropy after the header.
func pdfOf(r *rand.Rand, n int) []byte {
	stream := rawDeflate(prose(r, wordsEN, n))
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", len(stream))
	b.Write(stream)
	b.WriteString("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// key draws an AES-256 key.
func key(r *rand.Rand) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return k
}

// encryptCTR encrypts p with AES-256-CTR under a fresh key, as most
// ransomware does (often with ChaCha20 or Salsa20, which look the same),
// and wraps it in header and footer, which stand for the family's marker
// and the wrapped file key.
func encryptCTR(r *rand.Rand, p, header, footer []byte) []byte {
	block, err := aes.NewCipher(key(r))
	if err != nil {
		panic(err)
	}
	iv := key(r)[:aes.BlockSize]
	out := append([]byte(nil), header...)
	ct := make([]byte, len(p))
	cipher.NewCTR(block, iv).XORKeyStream(ct, p)
	out = append(out, ct...)
	return append(out, footer...)
}

// encryptGCM encrypts p with AES-256-GCM, nonce first.
func encryptGCM(r *rand.Rand, p []byte) []byte {
	block, err := aes.NewCipher(key(r))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	nonce := key(r)[:aead.NonceSize()]
	return aead.Seal(nonce, nonce, p, nil)
}

// footer512 imitates a ransomware footer: 256 bytes of wrapped key, the
// original name in UTF-16 and a text marker, padded with zeros to 512.
func footer512(r *rand.Rand, name string) []byte {
	f := make([]byte, 0, 512)
	for range 256 {
		f = append(f, byte(r.Uint32()))
	}
	f = append(f, utf16Text(name)[2:]...)
	f = append(f, "LOCKED-BY-TEST"...)
	for len(f) < 512 {
		f = append(f, 0)
	}
	return f[:512]
}

// noise returns n random bytes.
func noise(r *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}
