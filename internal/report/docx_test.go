package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
)

const nsW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// docxPackage is an unzipped DOCX whose XML parts are all well-formed.
type docxPackage map[string][]byte

// openDOCX unzips data and checks that every part is well-formed XML, that
// [Content_Types].xml gives each part a content type and that every
// relationship points at a part that exists.
func openDOCX(data []byte) (docxPackage, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip: %w", err)
	}
	pkg := docxPackage{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		pkg[f.Name] = b
		if err := wellFormed(b); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	var types struct {
		Defaults []struct {
			Extension string `xml:",attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName string `xml:",attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(pkg["[Content_Types].xml"], &types); err != nil {
		return nil, fmt.Errorf("content types: %w", err)
	}
	typed := map[string]bool{}
	for _, o := range types.Overrides {
		name := strings.TrimPrefix(o.PartName, "/")
		if pkg[name] == nil {
			return nil, fmt.Errorf("content type for missing part %s", name)
		}
		typed[name] = true
	}
	defaults := map[string]bool{}
	for _, d := range types.Defaults {
		defaults["."+d.Extension] = true
	}
	for name := range pkg {
		// Only relationship parts may rely on a default content type:
		// every other part is a specific kind of XML.
		if name == "[Content_Types].xml" || typed[name] || path.Ext(name) == ".rels" && defaults[".rels"] {
			continue
		}
		return nil, fmt.Errorf("part %s has no content type override", name)
	}
	for name, b := range pkg {
		if path.Ext(name) != ".rels" {
			continue
		}
		var rels struct {
			Rels []struct {
				Target string `xml:",attr"`
			} `xml:"Relationship"`
		}
		if err := xml.Unmarshal(b, &rels); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		base := path.Dir(path.Dir(name)) // the source part's folder
		for _, r := range rels.Rels {
			target := path.Join(base, r.Target)
			if pkg[target] == nil {
				return nil, fmt.Errorf("%s: relationship to missing part %s", name, target)
			}
		}
	}
	for _, want := range []string{"word/document.xml", "word/styles.xml", "docProps/core.xml", "_rels/.rels"} {
		if pkg[want] == nil {
			return nil, fmt.Errorf("missing part %s", want)
		}
	}
	return pkg, nil
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// docxParagraph is one w:p of document.xml: its style and its text, with
// w:tab as a tab and w:br as a newline (page breaks excluded).
type docxParagraph struct {
	Style string
	Text  string
}

func paragraphs(documentXML []byte) ([]docxParagraph, error) {
	d := xml.NewDecoder(bytes.NewReader(documentXML))
	var (
		out  []docxParagraph
		cur  *docxParagraph
		inT  bool
		text strings.Builder
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != nsW {
				continue
			}
			switch tok.Name.Local {
			case "p":
				cur = &docxParagraph{}
				text.Reset()
			case "pStyle":
				if cur != nil {
					cur.Style = attr(tok, "val")
				}
			case "t":
				inT = true
			case "tab":
				text.WriteByte('\t')
			case "br":
				if attr(tok, "type") == "" {
					text.WriteByte('\n')
				}
			}
		case xml.EndElement:
			switch {
			case tok.Name.Space == nsW && tok.Name.Local == "t":
				inT = false
			case tok.Name.Space == nsW && tok.Name.Local == "p" && cur != nil:
				cur.Text = text.String()
				out = append(out, *cur)
				cur = nil
			}
		case xml.CharData:
			if inT {
				text.Write(tok)
			}
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func renderDOCX(t testing.TB, d report.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteDOCX(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteDOCX_sample(t *testing.T) {
	data := renderDOCX(t, sampleDocument())
	keep(t, "sample.docx", data)
	pkg, err := openDOCX(data)
	if err != nil {
		t.Fatal(err)
	}
	paras, err := paragraphs(pkg["word/document.xml"])
	if err != nil {
		t.Fatal(err)
	}
	byText := map[string]docxParagraph{}
	for _, p := range paras {
		if !norm.NFC.IsNormalString(p.Text) {
			t.Errorf("paragraph %q is not NFC", p.Text)
		}
		byText[p.Text] = p
	}

	t.Run("texts_round_trip", func(t *testing.T) {
		if nfdLine == norm.NFC.String(nfdLine) {
			t.Fatal("test input nfdLine is not decomposed")
		}
		for _, want := range expectedTexts() {
			if _, ok := byText[want]; !ok {
				t.Errorf("no paragraph with text %q (byte-exact, NFC)", want)
			}
		}
	})

	t.Run("styles", func(t *testing.T) {
		for text, style := range map[string]string{
			"THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ": "Title",
			"1. Thông tin chung":               "Heading1",
			"1.1. Phạm vi và quy mô":           "Heading2",
			"a) Thành phần hệ thống":           "Heading3",
			"Rà soát hiện trạng":               "ListParagraph",
			"STT":                              "TableText",
		} {
			if got := byText[text].Style; got != style {
				t.Errorf("paragraph %q has style %q, want %q", text, got, style)
			}
		}
		styles := string(pkg["word/styles.xml"])
		for _, want := range []string{`w:styleId="Heading1"`, `w:styleId="Heading2"`, `w:styleId="Heading3"`, `w:ascii="Times New Roman"`, `w:lang w:val="vi-VN"`} {
			if !strings.Contains(styles, want) {
				t.Errorf("styles.xml lacks %s", want)
			}
		}
	})

	t.Run("layout", func(t *testing.T) {
		doc := string(pkg["word/document.xml"])
		for _, want := range []string{
			`<w:tblHeader/>`,                    // header row repeats on each page
			`<w:top w:val="single"`,             // bordered table
			`<w:pgSz w:w="11906" w:h="16838"/>`, // A4
			`w:top="1134" w:right="850" w:bottom="1134" w:left="1701"`,
			`<w:jc w:val="both"/>`, // justified paragraph
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("document.xml lacks %s", want)
			}
		}
		if !strings.Contains(string(pkg["word/footer1.xml"]), "PAGE") {
			t.Error("footer has no page number field")
		}
	})

	t.Run("metadata", func(t *testing.T) {
		core := string(pkg["docProps/core.xml"])
		for _, want := range []string{"<dc:title>THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ</dc:title>", "<dc:creator>Nguyễn Văn Đức</dc:creator>", "2026-03-05T09:30:00Z", "<dc:language>vi-VN</dc:language>"} {
			if !strings.Contains(core, want) {
				t.Errorf("core.xml lacks %s", want)
			}
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		if again := renderDOCX(t, sampleDocument()); !bytes.Equal(again, data) {
			t.Error("two renderings of the same document differ")
		}
	})
}

func TestWriteDOCX_escaping(t *testing.T) {
	texts := []string{
		`<w:p>&amp; "quoted" 'single' ]]> <!-- -->`,
		"  leading and trailing spaces  ",
		"line one\nline two\twith tab",
		"a\x00b\x1bc\uFFFEd \xff",
	}
	var blocks []report.Block
	for _, s := range texts {
		blocks = append(blocks, report.Paragraph{Text: s}, report.Table{Header: []string{s}, Rows: [][]string{{s}}})
	}
	data := renderDOCX(t, report.Document{Title: texts[0], Meta: report.Meta{Author: texts[0]}, Blocks: blocks})
	pkg, err := openDOCX(data)
	if err != nil {
		t.Fatal(err)
	}
	paras, err := paragraphs(pkg["word/document.xml"])
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		want := report.Clean(s)
		n := 0
		for _, p := range paras {
			if p.Text == want {
				n++
			}
		}
		// A paragraph and two table cells; the first text is also the title.
		if wantN := 3 + btoi(i == 0); n != wantN {
			t.Errorf("text %q found in %d paragraphs, want %d", want, n, wantN)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWriteDOCX_invalid(t *testing.T) {
	tests := []struct {
		name string
		doc  report.Document
	}{
		{"heading_level_0", report.Document{Blocks: []report.Block{report.Heading{Level: 0, Text: "x"}}}},
		{"heading_level_4", report.Document{Blocks: []report.Block{report.Heading{Level: 4, Text: "x"}}}},
		{"widths_count", report.Document{Blocks: []report.Block{report.Table{Header: []string{"a", "b"}, Widths: []float64{1}}}}},
		{"widths_negative", report.Document{Blocks: []report.Block{report.Table{Header: []string{"a", "b"}, Widths: []float64{1, -1}}}}},
		{"nil_block", report.Document{Blocks: []report.Block{nil}}},
		{"language", report.Document{Meta: report.Meta{Language: "fr"}}},
		{"align", report.Document{Blocks: []report.Block{report.Paragraph{Align: 9}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, write := range map[string]func(io.Writer, report.Document) error{"docx": report.WriteDOCX, "pdf": report.WritePDF} {
				var buf bytes.Buffer
				err := write(&buf, tt.doc)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Errorf("%s: err = %v, want errs.ErrInvalid", name, err)
				}
				if buf.Len() != 0 {
					t.Errorf("%s: wrote %d bytes on error", name, buf.Len())
				}
			}
		})
	}
}

// TestWriteDOCX_libreoffice converts the sample with LibreOffice, which must
// open it, and checks the Vietnamese text of the resulting PDF.
func TestWriteDOCX_libreoffice(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: starts LibreOffice")
	}
	soffice := ""
	for _, name := range []string{"libreoffice", "soffice"} {
		if p, err := exec.LookPath(name); err == nil {
			soffice = p
			break
		}
	}
	if soffice == "" {
		t.Skip("libreoffice not installed (Debian package libreoffice-writer); skipping the conversion test")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "sample.docx")
	if err := os.WriteFile(in, renderDOCX(t, sampleDocument()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--convert-to", "pdf", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("libreoffice: %v\n%s", err, out)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "sample.pdf"))
	if err != nil {
		t.Fatalf("libreoffice produced no PDF: %v", err)
	}
	keep(t, "sample-docx-libreoffice.pdf", pdf)
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (Debian package poppler-utils); converted, text not checked")
	}
	text := squash(pdfText(t, pdf, 0))
	for _, want := range []string{
		diacritics,
		norm.NFC.String(nfdLine),
		"1. Thông tin chung",
		"a) Thành phần hệ thống",
		"Thiết bị tường lửa, chuyển mạch lõi",
		"Trần Thị Ánh Tuyết",
		"Trang 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("LibreOffice's PDF lacks %q", want)
		}
	}
}

func FuzzWriteDOCX(f *testing.F) {
	f.Add("Hệ thống thông tin cấp độ 3", "ĂÂĐÊÔƠƯ ăâđêôơư", false)
	f.Add(norm.NFD.String("Tiếng Việt"), "<&>\"'", true)
	f.Add("\x00\x01\r\n\t", "\xff\xfe\uFFFF", false)
	f.Add("]]>", "<![CDATA[ x ]]>", true)
	f.Fuzz(func(t *testing.T, a, b string, ordered bool) {
		d := report.Document{
			Header:   report.Header{Left: []string{a}, Right: []string{b}},
			Title:    a,
			Subtitle: b,
			Meta:     report.Meta{Author: b, Created: created},
			Blocks: []report.Block{
				report.Heading{Level: 1, Text: a},
				report.Paragraph{Text: b, Bold: ordered, Align: report.AlignJustify},
				report.List{Items: []string{a, b}, Ordered: ordered},
				report.Table{Header: []string{a}, Rows: [][]string{{b, a}, {}}},
				report.KeyValue{Pairs: [][2]string{{a, b}}},
				report.PageBreak{},
				report.Signature{Place: a, Date: b, Role: a, Name: b},
			},
		}
		var buf bytes.Buffer
		if err := report.WriteDOCX(&buf, d); err != nil {
			t.Fatal(err)
		}
		pkg, err := openDOCX(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		paras, err := paragraphs(pkg["word/document.xml"])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{a, b} {
			want := report.Clean(s)
			if !slices.ContainsFunc(paras, func(p docxParagraph) bool { return p.Text == want }) {
				t.Errorf("no paragraph with text %q", want)
			}
		}
	})
}

func BenchmarkWriteDOCX(b *testing.B) {
	b.Run("10_pages", func(b *testing.B) {
		d := pagesDocument(10)
		b.ReportAllocs()
		for b.Loop() {
			if err := report.WriteDOCX(io.Discard, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
