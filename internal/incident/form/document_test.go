package form_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/report"
)

const nsW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// docxText returns the text of word/document.xml: the w:t runs with
// tags stripped and XML unescaped, a newline after each paragraph and at
// each line break, a tab for each w:tab.
func docxText(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("not a zip: %w", err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		return "", fmt.Errorf("open document.xml: %w", err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	var b strings.Builder
	inT := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return "", fmt.Errorf("document.xml: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch {
			case tok.Name.Space != nsW:
			case tok.Name.Local == "t":
				inT = true
			case tok.Name.Local == "tab":
				b.WriteByte('\t')
			case tok.Name.Local == "br":
				b.WriteByte('\n')
			}
		case xml.EndElement:
			switch {
			case tok.Name.Space != nsW:
			case tok.Name.Local == "t":
				inT = false
			case tok.Name.Local == "p":
				b.WriteByte('\n')
			}
		case xml.CharData:
			if inT {
				b.Write(tok)
			}
		}
	}
}

// squash collapses runs of white space to one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func render(t *testing.T, format string, doc report.Document) []byte {
	t.Helper()
	data, _, err := report.Render(format, doc)
	if err != nil {
		t.Fatalf("render %s: %v", format, err)
	}
	return data
}

// pdfText extracts the text of a PDF with pdftotext, or skips the test.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not found: install poppler-utils to check the PDF text")
	}
	in := filepath.Join(t.TempDir(), "form.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// tabled reports whether a field is printed in Form 05's table.
func tabled(key string) bool { return strings.HasPrefix(key, "per_incident_type.") }

// expected are the texts a reader must find in the document of in: the
// masthead, form number, date line and title, every field's label and
// every non-empty value (for the table's fields, each row's category and
// cell), and the signer.
func expected(in form.Input, fields []form.Field) []string {
	want := []string{
		"SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH HÀ TĨNH", "ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		in.Form.Number, "Hà Tĩnh, ngày 16 tháng 3 năm 2026", strings.ToUpper(in.Form.Title.VI),
		"Kính gửi: Cục An toàn thông tin (VNCERT/CC).",
	}
	if slices.Contains(in.Form.Fields, "legal_rep_signature") {
		want = append(want, "GIÁM ĐỐC", "Nguyễn Văn An")
	} else {
		want = append(want, "PHÓ GIÁM ĐỐC", "Trần Thị Bình")
	}
	for _, f := range fields {
		want = append(want, f.Label.VI)
		if !tabled(f.Key) {
			want = append(want, f.Value)
			continue
		}
		for _, line := range strings.Split(f.Value, "\n") {
			row, cell, _ := strings.Cut(line, ": ")
			want = append(want, row, cell)
		}
	}
	return want
}

// TestDocument_docx renders every form of the rules, filled from the
// sample, to DOCX: every label and value is in the text.
func TestDocument_docx(t *testing.T) {
	for _, f := range forms() {
		t.Run(f.ID, func(t *testing.T) {
			in := sampleInput(f)
			fields := form.Prefill(in)
			text, err := docxText(render(t, "docx", form.Document(in, fields)))
			if err != nil {
				t.Fatal(err)
			}
			text = squash(text)
			for _, want := range expected(in, fields) {
				if !strings.Contains(text, squash(want)) {
					t.Errorf("DOCX text lacks %q", want)
				}
			}
			for _, fld := range fields {
				if fld.Value == "" && !tabled(fld.Key) && !strings.Contains(text, fld.Label.VI+": "+form.Blank) {
					t.Errorf("empty field %s: no dotted line after %q", fld.Key, fld.Label.VI)
				}
			}
		})
	}
}

// TestDocument_pdf renders every form to PDF and, with pdftotext, finds
// the title and the labels in it, diacritics intact.
func TestDocument_pdf(t *testing.T) {
	for _, f := range forms() {
		t.Run(f.ID, func(t *testing.T) {
			in := sampleInput(f)
			fields := form.Prefill(in)
			pdf := render(t, "pdf", form.Document(in, fields))
			text := squash(pdfText(t, pdf))
			unspaced := strings.ReplaceAll(text, " ", "")
			want := []string{strings.ToUpper(f.Title.VI), f.Number, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Hà Tĩnh, ngày 16 tháng 3 năm 2026"}
			for _, fld := range fields {
				if tabled(fld.Key) {
					// A column header wraps in a narrow cell and pdftotext
					// interleaves neighbouring cells' lines: look for
					// each word, spaces and line breaks ignored.
					for _, w := range strings.Fields(fld.Label.VI) {
						if !strings.Contains(unspaced, w) {
							t.Errorf("PDF text lacks %q of column %q", w, fld.Label.VI)
						}
					}
					continue
				}
				want = append(want, fld.Label.VI)
			}
			for _, w := range want {
				if !strings.Contains(text, squash(w)) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
		})
	}
}

// TestDocument_layout checks the frame of a form: masthead, the form
// number right-aligned above the title, blank lines for the unknown, the
// signature.
func TestDocument_layout(t *testing.T) {
	in := sampleInput(mustForm("tt20.form03"))
	doc := form.Document(in, form.Prefill(in))
	if got := doc.Header.Left; len(got) != 2 || got[0] != "ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH" || got[1] != "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH HÀ TĨNH" {
		t.Errorf("masthead left %q", got)
	}
	if got := doc.Header.Right; len(got) != 2 || got[0] != "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" || got[1] != "Độc lập - Tự do - Hạnh phúc" {
		t.Errorf("masthead right %q", got)
	}
	if doc.Meta.Language != "vi" {
		t.Errorf("language %q", doc.Meta.Language)
	}
	number, ok := doc.Blocks[0].(report.Paragraph)
	if !ok || number.Text != "Mẫu 03" || number.Align != report.AlignRight {
		t.Errorf("first block %#v, want the form number right-aligned", doc.Blocks[0])
	}
	title := -1
	for i, b := range doc.Blocks {
		if p, ok := b.(report.Paragraph); ok && p.Text == "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG" && p.Bold && p.Align == report.AlignCenter {
			title = i
		}
	}
	if title < 1 {
		t.Error("no centred bold title after the form number")
	}
	var texts []string
	for _, b := range doc.Blocks {
		if p, ok := b.(report.Paragraph); ok {
			texts = append(texts, p.Text)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"1. Tên tổ chức/cá nhân báo cáo sự cố: " + unitName,
		"12. Tên miền hoặc địa chỉ IP của hệ thống: " + form.Blank,
		"19. Thời gian phát hiện sự cố: 08:30 ngày 15/03/2026",
		"16. Mô tả sơ bộ về sự cố:\n" + caseTitle,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	sig, ok := doc.Blocks[len(doc.Blocks)-1].(report.Signature)
	if !ok || sig.Name != "Trần Thị Bình" || sig.Role != "PHÓ GIÁM ĐỐC" {
		t.Errorf("last block %#v, want the reporter's signature", doc.Blocks[len(doc.Blocks)-1])
	}
}

// TestDocument_blankFrame: with nothing known, the frame prints dotted
// lines: no unit, place, date or addressee is made up.
func TestDocument_blankFrame(t *testing.T) {
	in := form.Input{Form: mustForm("tt20.form04")}
	doc := form.Document(in, form.Prefill(in))
	if got := doc.Header.Left; len(got) != 1 || got[0] != "……" {
		t.Errorf("masthead left %q", got)
	}
	text, err := docxText(render(t, "docx", doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"……, ngày …… tháng …… năm ……", "Kính gửi: " + form.Blank, "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT",
		"1. Tổ chức/cá nhân báo cáo: " + form.Blank, "14. Người đại diện theo pháp luật (ký, ghi rõ họ tên, đóng dấu): " + form.Blank} {
		if !strings.Contains(text, want) {
			t.Errorf("DOCX text lacks %q", want)
		}
	}
	render(t, "pdf", doc)
}

// TestDocument_form05Table: the per-category fields make one table with a
// column per field, a row per category and totals; a typed value that is
// not "category: n" becomes a note.
func TestDocument_form05Table(t *testing.T) {
	in := sampleInput(mustForm("tt20.form05"))
	in.Values = map[string]string{
		"per_incident_type.helped_by_vncert": "Tấn công mã hóa dữ liệu (mã độc tống tiền): 1\nHỗ trợ phân tích mẫu mã độc",
	}
	doc := form.Document(in, form.Prefill(in))
	var tables []report.Table
	var notes []string
	for _, b := range doc.Blocks {
		switch b := b.(type) {
		case report.Table:
			tables = append(tables, b)
		case report.Paragraph:
			if strings.HasPrefix(b.Text, "Ghi chú") {
				notes = append(notes, b.Text)
			}
		}
	}
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	tb := tables[0]
	wantHeader := []string{"STT", "Loại sự cố", "Số lượng sự cố", "Tự xử lý", "Có sự hỗ trợ của tổ chức trong nước",
		"Có sự hỗ trợ của tổ chức nước ngoài", "Có sự hỗ trợ của Cơ quan điều phối quốc gia (VNCERT/CC)"}
	if strings.Join(tb.Header, "|") != strings.Join(wantHeader, "|") {
		t.Errorf("header %q\nwant   %q", tb.Header, wantHeader)
	}
	if len(tb.Rows) != 10 {
		t.Fatalf("%d rows, want 9 categories and a total", len(tb.Rows))
	}
	if got := strings.Join(tb.Rows[0], "|"); got != "1|Tấn công mã hóa dữ liệu (mã độc tống tiền)|1|0|……|……|1" {
		t.Errorf("first row %q", got)
	}
	if got := strings.Join(tb.Rows[9], "|"); got != "|Tổng cộng|2|1|……|……|……" {
		t.Errorf("total row %q", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Hỗ trợ phân tích mẫu mã độc") {
		t.Errorf("notes %q", notes)
	}
	if p, ok := doc.Blocks[3].(report.Paragraph); !ok || p.Text != "(Từ ngày 15/12/2025 đến ngày 14/06/2026)" {
		t.Errorf("block 3 %#v, want the period", doc.Blocks[3])
	}
}

// TestDocument_signer: the reporter signs, unless a signer is given; Form
// 04 is signed by the legal representative.
func TestDocument_signer(t *testing.T) {
	noParty := sampleInput(mustForm("tt20.form04"))
	noParty.Systems = nil
	signer := sampleInput(mustForm("tt20.form04"))
	signer.Signer = form.Person{Name: "Hoàng Văn Em", Title: "Phó Giám đốc phụ trách"}
	tests := []struct {
		name         string
		in           form.Input
		role, signer string
	}{
		{"form03", sampleInput(mustForm("tt20.form03")), "PHÓ GIÁM ĐỐC", "Trần Thị Bình"},
		{"form03 untitled reporter", func() form.Input {
			in := sampleInput(mustForm("tt20.form03"))
			in.Reporter.Title = ""
			return in
		}(), "NGƯỜI BÁO CÁO", "Trần Thị Bình"},
		{"form04", sampleInput(mustForm("tt20.form04")), "GIÁM ĐỐC", "Nguyễn Văn An"},
		{"form04 given signer", signer, "PHÓ GIÁM ĐỐC PHỤ TRÁCH", "Hoàng Văn Em"},
		{"form04 representative unknown", noParty, "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT", ""},
	}
	for _, tt := range tests {
		doc := form.Document(tt.in, form.Prefill(tt.in))
		sig, ok := doc.Blocks[len(doc.Blocks)-1].(report.Signature)
		if !ok || sig.Role != tt.role || sig.Name != tt.signer {
			t.Errorf("%s: signature %#v, want %q %q", tt.name, doc.Blocks[len(doc.Blocks)-1], tt.role, tt.signer)
		}
	}
}
