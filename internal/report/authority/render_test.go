package authority_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"flag"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/report/authority"
)

// tool returns the path of a poppler-utils program, or skips the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package poppler-utils); skipping the PDF check", name)
	}
	return p
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs a poppler program and returns its standard output.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), tool(t, name), args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
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

// reports are the two sample documents with the texts a reader must find in
// them.
func reports() []struct {
	name string
	doc  report.Document
	want []string
} {
	common := []string{
		"ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"Số: 215/BC-UBND",
		"Hà Tĩnh, ngày 22 tháng 12 năm 2026",
		"BÁO CÁO",
		"Kính gửi: Bộ Công an",
		"Hệ thống quản lý văn bản và điều hành (QLVB)",
		"Cổng dịch vụ công trực tuyến tỉnh (DVC)",
		"Trung tâm dữ liệu tỉnh Hà Tĩnh (TTDL)",
		"Nguyễn Thị Hồng Nhung",
		"Nơi nhận:",
	}
	return []struct {
		name string
		doc  report.Document
		want []string
	}{
		{"annual", authority.Annual(sampleAnnual()), append(common,
			"Tình hình bảo đảm an toàn hệ thống thông tin theo cấp độ năm 2026",
			"(Số liệu tính từ ngày 15/12/2025 đến ngày 14/12/2026)",
			"1. Thông tin chung về chủ quản hệ thống thông tin",
			"11. Các thông tin khác theo yêu cầu của cơ quan có thẩm quyền",
			"Quyết định số 2310/QĐ-UBND ngày 28/08/2024",
			"Xây dựng, phê duyệt kịch bản ứng cứu sự cố tấn công mã hóa dữ liệu",
		)},
		{"implementation", authority.Implementation(sampleImplementation()), append(common,
			"Kết quả triển khai các nhiệm vụ bảo đảm an toàn thông tin",
			"(Kỳ báo cáo từ ngày 01/07/2026 đến ngày 14/12/2026)",
			"4. Triển khai mô hình bảo vệ 4 lớp",
			"Đặng Văn Lâm, Phó Giám đốc",
			authority.NoData,
		)},
	}
}

// TestRender_pdfText renders both reports to PDF and reads them back with
// pdftotext: every key Vietnamese line is there, in NFC.
func TestRender_pdfText(t *testing.T) {
	for _, r := range reports() {
		t.Run(r.name, func(t *testing.T) {
			in := writeTemp(t, render(t, "pdf", r.doc))
			text := squash(string(run(t, "pdftotext", "-enc", "UTF-8", in, "-")))
			for _, want := range r.want {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q", want)
				}
			}
		})
	}
}

// TestRender_docxText renders both reports to DOCX: the document part is
// well-formed and holds every key line.
func TestRender_docxText(t *testing.T) {
	for _, r := range reports() {
		t.Run(r.name, func(t *testing.T) {
			data := render(t, "docx", r.doc)
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			f, err := zr.Open("word/document.xml")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Collect the text of each paragraph (w:t runs, w:br as a
			// space).
			dec := xml.NewDecoder(f)
			var paras []string
			var cur strings.Builder
			inText := false
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("document.xml: %v", err)
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					switch tok.Name.Local {
					case "t":
						inText = true
					case "br", "tab":
						cur.WriteString(" ")
					}
				case xml.EndElement:
					switch tok.Name.Local {
					case "t":
						inText = false
					case "p":
						paras = append(paras, squash(cur.String()))
						cur.Reset()
					}
				case xml.CharData:
					if inText {
						cur.Write(tok)
					}
				}
			}
			all := strings.Join(paras, "\n")
			for _, want := range r.want {
				if !strings.Contains(all, want) {
					t.Errorf("DOCX text lacks %q", want)
				}
			}
		})
	}
}

var wordBox = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// firstWord returns the box, in points, of the first occurrence of word on
// page 1, from pdftotext -bbox.
func firstWord(t *testing.T, pdf, word string) (x0, y0, x1, y1 float64) {
	t.Helper()
	out := run(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", "-enc", "UTF-8", pdf, "-")
	for _, m := range wordBox.FindAllStringSubmatch(string(out), -1) {
		if m[5] != word {
			continue
		}
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		return v[0], v[1], v[2], v[3]
	}
	t.Fatalf("page 1 has no word %q", word)
	return
}

// rasterPage1 renders page 1 of pdf at dpi as a grey image.
func rasterPage1(t *testing.T, pdf string, dpi int) *image.Gray {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", pdf, prefix)
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// ink is the sum of 255 − grey over r, and the top row with ink (r.Max.Y
// when none).
func ink(g *image.Gray, r image.Rectangle) (total, top int) {
	top = r.Max.Y
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if v := 255 - int(g.GrayAt(x, y).Y); v > 0 {
				total += v
				top = min(top, y)
			}
		}
	}
	return total, top
}

// TestRender_pdfRaster rasterises page 1 of each report with pdftoppm: the
// page is not blank, the title "BÁO CÁO" has ink where pdftotext places it,
// and the acute accent of its Á is drawn — the middle third of the word
// (Á) reaches higher than the first third (B), which it cannot without the
// mark.
func TestRender_pdfRaster(t *testing.T) {
	const dpi = 150
	for _, r := range reports() {
		t.Run(r.name, func(t *testing.T) {
			pdf := writeTemp(t, render(t, "pdf", r.doc))
			page := rasterPage1(t, pdf, dpi)
			if total, _ := ink(page, page.Bounds()); total < 255*5000 {
				t.Fatalf("page 1 has ink %d: blank or nearly so", total)
			}
			x0, y0, x1, y1 := firstWord(t, pdf, "BÁO")
			px := func(pt float64) int { return int(pt * dpi / 72) }
			box := image.Rect(px(x0), px(y0), px(x1)+1, px(y1)+1).Intersect(page.Bounds())
			total, _ := ink(page, box)
			if total < 255*50 {
				t.Fatalf("the title box %v has ink %d: the heading is not drawn", box, total)
			}
			third := box.Dx() / 3
			_, topB := ink(page, image.Rect(box.Min.X, box.Min.Y, box.Min.X+third, box.Max.Y))
			_, topA := ink(page, image.Rect(box.Min.X+third, box.Min.Y, box.Min.X+2*third, box.Max.Y))
			if topA >= topB {
				t.Errorf("Á starts at row %d, B at %d: the accent above Á is not drawn", topA, topB)
			}
		})
	}
}

// -out keeps the rendered sample reports for a person to look at:
// go test ./internal/report/authority -run TestRender_keep -args -out=/tmp/authority
var outDir = flag.String("out", "", "directory to keep the rendered sample reports in")

// TestRender_keep writes both reports as PDF, DOCX and XLSX to -out.
func TestRender_keep(t *testing.T) {
	if *outDir == "" {
		t.Skip("no -out directory")
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range reports() {
		for _, format := range []string{"pdf", "docx"} {
			if err := os.WriteFile(filepath.Join(*outDir, r.name+"."+format), render(t, format, r.doc), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var a, im bytes.Buffer
	if err := authority.AnnualAnnexXLSX(&a, sampleAnnual()); err != nil {
		t.Fatal(err)
	}
	if err := authority.ImplementationAnnexXLSX(&im, sampleImplementation()); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"annual.xlsx": a.Bytes(), "implementation.xlsx": im.Bytes()} {
		if err := os.WriteFile(filepath.Join(*outDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
