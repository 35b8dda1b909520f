package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
)

func renderPDF(t testing.TB, d report.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WritePDF(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pageObject = regexp.MustCompile(`/Type /Page\b[^s]`)

// pageCount counts the page objects of a PDF written by WritePDF.
func pageCount(pdf []byte) int { return len(pageObject.FindAll(pdf, -1)) }

// pdfText extracts the text of page (all pages when 0) with pdftotext in
// layout mode.
func pdfText(t testing.TB, pdf []byte, page int) string {
	t.Helper()
	bin := tool(t, "pdftotext", "poppler-utils")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-layout", "-enc", "UTF-8"}
	if page > 0 {
		args = append(args, "-f", strconv.Itoa(page), "-l", strconv.Itoa(page))
	}
	out, err := exec.CommandContext(t.Context(), bin, append(args, in, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// rasterise renders every page of pdf with pdftoppm at dpi, as grey PNGs
// cropped to the rectangle crop (in pixels; the whole page when empty).
func rasterise(t testing.TB, pdf []byte, dpi int, crop image.Rectangle) []*image.Gray {
	t.Helper()
	bin := tool(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", strconv.Itoa(dpi), "-gray", "-png"}
	if !crop.Empty() {
		args = append(args, "-x", strconv.Itoa(crop.Min.X), "-y", strconv.Itoa(crop.Min.Y),
			"-W", strconv.Itoa(crop.Dx()), "-H", strconv.Itoa(crop.Dy()))
	}
	if out, err := exec.CommandContext(t.Context(), bin, append(args, in, filepath.Join(dir, "page"))...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	names, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil || len(names) == 0 {
		t.Fatalf("pdftoppm wrote no page: %v", err)
	}
	slices.Sort(names) // page numbers are zero-padded to one width
	pages := make([]*image.Gray, len(names))
	for i, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, ok := img.(*image.Gray)
		if !ok {
			g = image.NewGray(img.Bounds())
			draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
		}
		pages[i] = g
	}
	return pages
}

// inkBox is the ink (the sum of 255 − grey over all pixels) of an image and
// the bounding box of its non-white pixels.
type inkBox struct {
	ink  int
	box  image.Rectangle
	seen bool
}

func measureInk(g *image.Gray) inkBox {
	var m inkBox
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := 255 - int(g.GrayAt(x, y).Y)
			if v == 0 {
				continue
			}
			m.ink += v
			px := image.Rect(x, y, x+1, y+1)
			if m.seen {
				m.box = m.box.Union(px)
			} else {
				m.box, m.seen = px, true
			}
		}
	}
	return m
}

// inkBelow is the ink of the rows of g below row y.
func inkBelow(g *image.Gray, y int) int {
	b := g.Bounds()
	return measureInk(g.SubImage(image.Rect(b.Min.X, y+1, b.Max.X, b.Max.Y)).(*image.Gray)).ink
}

// diffBox is the bounding box of the pixels where a and b differ.
func diffBox(a, b *image.Gray) image.Rectangle {
	var r image.Rectangle
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			if a.GrayAt(x, y) != b.GrayAt(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// vietnameseLetters lists every letter of Vietnamese that carries a
// diacritic — the 12 vowels (a ă â e ê i o ô ơ u ư y) with each of the five
// tone marks or none, and đ — in lower then upper case: 134 letters.
func vietnameseLetters() []string {
	var lower []string
	for _, v := range []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"} {
		for _, tone := range []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"} {
			l := norm.NFC.String(v + tone)
			if stripDiacritics(l) != l {
				lower = append(lower, l)
			}
		}
	}
	lower = append(lower, "đ")
	letters := slices.Clone(lower)
	for _, l := range lower {
		letters = append(letters, strings.ToUpper(l))
	}
	return letters
}

func TestWritePDF_sample(t *testing.T) {
	pdf := renderPDF(t, sampleDocument())
	keep(t, "sample.pdf", pdf)
	if n := pageCount(pdf); n < 3 {
		t.Fatalf("sample has %d pages, want the table to continue over several", n)
	}
	if again := renderPDF(t, sampleDocument()); !bytes.Equal(again, pdf) {
		t.Error("two renderings of the same document differ")
	}
}

// TestWritePDF_text extracts the text with pdftotext: every Vietnamese string
// of the document, including the one given in NFD, comes back in NFC.
func TestWritePDF_text(t *testing.T) {
	pdf := renderPDF(t, sampleDocument())
	raw := pdfText(t, pdf, 0)
	if !norm.NFC.IsNormalString(raw) {
		t.Error("extracted text is not NFC")
	}
	text := squash(raw)
	for _, want := range expectedTexts() {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	if strings.Contains(text, nfdLine) {
		t.Error("extracted text holds the NFD form")
	}
}

// TestWritePDF_tableAcrossPages checks that the table continues over pages
// with its header repeated, loses and repeats no row, and that every page
// is numbered.
func TestWritePDF_tableAcrossPages(t *testing.T) {
	pdf := renderPDF(t, sampleDocument())
	n := pageCount(pdf)
	all := ""
	for p := 1; p <= n; p++ {
		text := squash(pdfText(t, pdf, p))
		all += text + " "
		if !strings.Contains(text, "Trang "+strconv.Itoa(p)) {
			t.Errorf("page %d has no page number", p)
		}
		if p > 1 && !strings.Contains(text, "STT Yêu cầu Kết quả Bằng chứng") {
			t.Errorf("page %d does not repeat the table header:\n%s", p, text)
		}
	}
	for i := range 40 {
		row := fmt.Sprintf("Yêu cầu %d.%d:", i/10+1, i%10+1)
		if c := strings.Count(all, row+" "); c != 1 {
			t.Errorf("row %q printed %d times", row, c)
		}
	}
}

// TestWritePDF_longCells: a cell taller than a page is split between pages
// (header repeated), and a word wider than its column is broken, losing
// nothing.
func TestWritePDF_longCells(t *testing.T) {
	var words []string
	for i := range 1200 {
		words = append(words, fmt.Sprintf("từ%04d", i))
	}
	hash := strings.Repeat("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 2)
	pdf := renderPDF(t, report.Document{Blocks: []report.Block{
		report.Table{
			Header: []string{"Mục", "Nội dung"},
			Rows:   [][]string{{"1", strings.Join(words, " ")}, {"2", hash}},
			Widths: []float64{1, 3},
		},
	}})
	if n := pageCount(pdf); n < 2 {
		t.Fatalf("%d pages, want the long row split over several", n)
	}
	var all strings.Builder
	for p := 1; p <= pageCount(pdf); p++ {
		text := pdfText(t, pdf, p)
		if !strings.Contains(squash(text), "Mục Nội dung") {
			t.Errorf("page %d lacks the table header", p)
		}
		all.WriteString(text)
	}
	got := strings.Fields(all.String())
	var found []string
	for _, w := range got {
		if strings.HasPrefix(w, "từ") {
			found = append(found, w)
		}
	}
	if !slices.Equal(found, words) {
		t.Errorf("words of the long cell: got %d, want %d in order", len(found), len(words))
	}
	if !strings.Contains(strings.Join(got, ""), hash) {
		t.Error("the long word was not printed whole across lines")
	}
}

// TestWritePDF_fonts: only the embedded Noto Serif faces are used, so no
// viewer substitutes a font without Vietnamese glyphs.
func TestWritePDF_fonts(t *testing.T) {
	bin := tool(t, "pdffonts", "poppler-utils")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, renderPDF(t, sampleDocument()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, in).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")[2:]
	if len(lines) != 4 {
		t.Errorf("%d fonts, want the 4 Noto Serif faces:\n%s", len(lines), out)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if !strings.HasPrefix(strings.ToLower(f[0]), "utf8notoserif") || !slices.Contains(f, "Identity-H") || f[len(f)-5] != "yes" {
			t.Errorf("font not an embedded Noto Serif face: %s", l)
		}
	}
}

// TestWritePDF_nfd: decomposed input prints exactly as composed input does.
func TestWritePDF_nfd(t *testing.T) {
	nfd := norm.NFD.String(diacritics)
	if nfd == diacritics {
		t.Fatal("NFD form equals NFC: the test proves nothing")
	}
	doc := func(s string) report.Document {
		return report.Document{Meta: report.Meta{Created: created}, Blocks: []report.Block{report.Paragraph{Text: s}}}
	}
	a, b := renderPDF(t, doc(nfd)), renderPDF(t, doc(diacritics))
	if !bytes.Equal(a, b) {
		t.Error("PDF of the NFD text differs from the PDF of the NFC text")
	}
	ra, rb := rasterise(t, a, 100, image.Rectangle{}), rasterise(t, b, 100, image.Rectangle{})
	if r := diffBox(ra[0], rb[0]); !r.Empty() {
		t.Errorf("rasterised NFD and NFC pages differ in %v", r)
	}
}

// bareLetter is the letter l without its diacritics, as the font draws it:
// a Vietnamese i takes its tone mark in place of its dot, so the bare form
// of ì í ỉ ĩ ị is the dotless ı.
func bareLetter(l string) string {
	b := stripDiacritics(l)
	if b == "i" {
		return "ı"
	}
	return b
}

// TestWritePDF_diacriticsRaster is the check that the marks are really
// drawn, and in the right place: each Vietnamese letter with a diacritic is
// printed alone on a page, and the same page is printed with the bare base
// letter. Rasterised with pdftoppm at 100 dpi, the letter must have more ink
// than its base letter; a mark above must raise the top of the ink, the dot
// below (nặng) must add ink only below the baseline; and every pixel that
// differs must lie over the base letter, not beside it (as a mark printed as
// a separate glyph would).
func TestWritePDF_diacriticsRaster(t *testing.T) {
	letters := vietnameseLetters()
	if len(letters) != 134 {
		t.Fatalf("%d letters, want 134", len(letters))
	}
	// Page 0 of the bare document is the reference "x": its bottom row is
	// the baseline.
	real := []report.Block{report.Paragraph{Text: "x"}}
	bare := []report.Block{report.Paragraph{Text: "x"}}
	for _, l := range letters {
		real = append(real, report.PageBreak{}, report.Paragraph{Text: l})
		bare = append(bare, report.PageBreak{}, report.Paragraph{Text: bareLetter(l)})
	}
	const dpi = 100
	mm := func(v float64) int { return int(v / 25.4 * dpi) }
	crop := image.Rect(mm(25), mm(15), mm(60), mm(35)) // around the first line
	realPDF := renderPDF(t, report.Document{Blocks: real, Meta: report.Meta{Created: created}})
	keep(t, "letters.pdf", realPDF)
	rp := rasterise(t, realPDF, dpi, crop)
	bp := rasterise(t, renderPDF(t, report.Document{Blocks: bare, Meta: report.Meta{Created: created}}), dpi, crop)
	if len(rp) != len(letters)+1 || len(bp) != len(letters)+1 {
		t.Fatalf("rasterised %d and %d pages, want %d", len(rp), len(bp), len(letters)+1)
	}
	x := measureInk(bp[0])
	if !x.seen {
		t.Fatal("the reference x printed nothing")
	}
	baseline := x.box.Max.Y - 1
	slack := mm(12*25.4/72) / 3 // a third of the type size
	for i, l := range letters {
		rimg, bimg := rp[i+1], bp[i+1]
		r, b := measureInk(rimg), measureInk(bimg)
		if !b.seen {
			t.Errorf("%s: base letter %s printed nothing", l, bareLetter(l))
			continue
		}
		// At least the ink of two black pixels more than the base.
		if r.ink < b.ink+2*255 {
			t.Errorf("%s (%U): ink %d, base letter %d: the diacritic is not drawn", l, []rune(l)[0], r.ink, b.ink)
		}
		d := diffBox(rimg, bimg)
		marks := norm.NFD.String(l)
		if strings.ContainsAny(marks, "\u0300\u0301\u0303\u0309\u0302\u0306") && r.box.Min.Y >= b.box.Min.Y {
			t.Errorf("%s: ink starts at row %d, base letter at %d: no mark above", l, r.box.Min.Y, b.box.Min.Y)
		}
		if rb, bb := inkBelow(rimg, baseline), inkBelow(bimg, baseline); strings.Contains(marks, "\u0323") && rb < bb+2*255 {
			t.Errorf("%s: ink below the baseline %d, base letter %d: no dot below", l, rb, bb)
		}
		if d.Min.X < b.box.Min.X-slack || d.Max.X > b.box.Max.X+slack {
			t.Errorf("%s: pixels change over columns %d–%d, base letter spans %d–%d: mark not over its letter",
				l, d.Min.X, d.Max.X, b.box.Min.X, b.box.Max.X)
		}
	}
}

func TestWritePDF_missingGlyph(t *testing.T) {
	tests := []struct {
		name  string
		doc   report.Document
		r     rune
		font  string
		where string
	}{
		{"cjk_in_paragraph", report.Document{Blocks: []report.Block{report.Paragraph{Text: "Hệ thống 漢字"}}}, '漢', "Noto Serif Regular", "block 0"},
		{"emoji_in_table_header", report.Document{Blocks: []report.Block{
			report.Paragraph{Text: "ổn"},
			report.Table{Header: []string{"Khiên 🛡"}},
		}}, '🛡', "Noto Serif Bold", "block 1"},
		{"thai_in_title", report.Document{Title: "ไทย"}, 'ไ', "Noto Serif Bold", "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := report.WritePDF(&buf, tt.doc)
			var ge *report.GlyphError
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want a *GlyphError", err)
			}
			if ge.Rune != tt.r || ge.Font != tt.font {
				t.Errorf("GlyphError{%q, %q}, want {%q, %q}", ge.Rune, ge.Font, tt.r, tt.font)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Error("a GlyphError is not errs.ErrInvalid")
			}
			if !strings.Contains(err.Error(), tt.where) || !strings.Contains(err.Error(), fmt.Sprintf("%U", tt.r)) {
				t.Errorf("error %q does not name %s and %U", err, tt.where, tt.r)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

func TestWritePDF_concurrent(t *testing.T) {
	want := renderPDF(t, sampleDocument())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var buf bytes.Buffer
			if err := report.WritePDF(&buf, sampleDocument()); err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Error("concurrent rendering differs")
			}
		})
	}
	wg.Wait()
}

func TestWritePDF_pages(t *testing.T) {
	for _, n := range []int{1, 10} {
		if got := pageCount(renderPDF(t, pagesDocument(n))); got != n {
			t.Errorf("pagesDocument(%d) has %d pages", n, got)
		}
	}
}

// pagesDocument is n pages of typical report content, each a section with a
// heading, two justified paragraphs, a list and an eight-row table.
func pagesDocument(n int) report.Document {
	d := report.Document{Title: "BÁO CÁO KẾT QUẢ TRIỂN KHAI", Meta: report.Meta{Created: created}}
	para := "Trong kỳ báo cáo, đơn vị đã triển khai giám sát an toàn thông tin tập trung cho các hệ thống thông tin cấp độ 3, " +
		"thu thập nhật ký từ máy chủ, thiết bị mạng và ứng dụng; phát hiện, xử lý kịp thời các sự cố và lỗ hổng bảo mật nghiêm trọng."
	for i := range n {
		if i > 0 {
			d.Blocks = append(d.Blocks, report.PageBreak{})
		}
		rows := make([][]string, 8)
		for j := range rows {
			rows[j] = []string{strconv.Itoa(j + 1), "Máy chủ ứng dụng số " + strconv.Itoa(j+1), "Đã vá lỗ hổng CVE-2025-" + strconv.Itoa(1000+j), "Hoàn thành"}
		}
		d.Blocks = append(d.Blocks,
			report.Heading{Level: 1, Text: fmt.Sprintf("%d. Kết quả mục %d", i+1, i+1)},
			report.Paragraph{Text: para, Align: report.AlignJustify},
			report.Paragraph{Text: para + " " + para, Align: report.AlignJustify},
			report.List{Items: []string{"Rà soát cấu hình", "Kiểm tra sao lưu", "Diễn tập ứng cứu sự cố"}},
			report.Table{Header: []string{"STT", "Tài sản", "Biện pháp", "Trạng thái"}, Rows: rows, Widths: []float64{1, 4, 5, 3}},
		)
	}
	return d
}

func FuzzWritePDF(f *testing.F) {
	f.Add("Hệ thống thông tin", norm.NFD.String("Đơn vị chuyên trách"))
	f.Add("\x00\xff\r\n\t", strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, a, b string) {
		d := report.Document{
			Header: report.Header{Left: []string{a}, Right: []string{b}},
			Title:  a,
			Blocks: []report.Block{
				report.Heading{Level: 2, Text: b},
				report.Paragraph{Text: a + " " + b, Align: report.AlignJustify},
				report.List{Items: []string{b}, Ordered: true},
				report.Table{Header: []string{a, b}, Rows: [][]string{{b}, {a, b}}},
				report.Signature{Name: a},
			},
		}
		var buf bytes.Buffer
		err := report.WritePDF(&buf, d)
		var ge *report.GlyphError
		switch {
		case err == nil:
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
		case errors.As(err, &ge):
		default:
			t.Fatal(err)
		}
	})
}

func BenchmarkWritePDF(b *testing.B) {
	b.Run("10_pages", func(b *testing.B) {
		d := pagesDocument(10)
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			if err := report.WritePDF(&buf, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
