package report_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/report"
)

// -out keeps the rendered sample documents for a person to look at:
// go test ./internal/report -run 'TestWrite(PDF|DOCX)_sample' -args -out=/tmp/report
var outDir = flag.String("out", "", "directory to keep the rendered sample documents in")

// diacritics is the test text: every tone mark and the letters
// ă â đ ê ô ơ ư in upper and lower case.
const diacritics = "Hệ thống thông tin cấp độ 3 — Đơn vị chuyên trách về an toàn thông tin; ĂÂĐÊÔƠƯ ăâđêôơư; Tiếng Việt: à á ả ã ạ"

// nfdLine is given decomposed (NFD), as text pasted from some systems
// arrives; the writers must output its NFC form.
var nfdLine = norm.NFD.String("Nghị định 85/2016/NĐ-CP về bảo đảm an toàn hệ thống thông tin theo cấp độ")

// specials are characters that need escaping in XML or in PDF strings
// (Ĩ is U+0128: its UTF-16 form holds the byte of "(").
const specials = `Ký hiệu: (ngoặc) [vuông] \\ Ĩĩ Ũũ Ỹỹ & < > " ' {nb}`

var created = time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC)

// sampleDocument is a realistic dossier explanation (Circular 12/2022
// Art. 8) using every block type, with a table long enough to continue
// on a second page.
func sampleDocument() report.Document {
	rows := make([][]string, 0, 40)
	for i := range 40 {
		rows = append(rows, []string{
			fmt.Sprint(i + 1),
			fmt.Sprintf("Yêu cầu %d.%d: bảo đảm an toàn thông tin mạng, quản lý nhật ký hệ thống và sao lưu dự phòng", i/10+1, i%10+1),
			[]string{"Đạt", "Chưa đạt", "Đạt một phần"}[i%3],
			"Nhật ký giám sát tập trung, kiểm tra " + report.DateVI(created.AddDate(0, 0, -i)),
		})
	}
	return report.Document{
		Header: report.Header{
			Left:  []string{"BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "CỤC AN TOÀN THÔNG TIN"},
			Right: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"},
		},
		Title:    "THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ",
		Subtitle: "Hệ thống thông tin quản lý văn bản và điều hành",
		Meta:     report.Meta{Author: "Nguyễn Văn Đức", Created: created, Language: "vi"},
		Blocks: []report.Block{
			report.Heading{Level: 1, Text: "1. Thông tin chung"},
			report.KeyValue{Pairs: [][2]string{
				{"Tên hệ thống", "Hệ thống thông tin quản lý văn bản và điều hành"},
				{"Chủ quản hệ thống", "Ủy ban nhân dân tỉnh Thừa Thiên Huế"},
				{"Đơn vị vận hành", "Sở Thông tin và Truyền thông"},
				{"Cấp độ đề xuất", "Cấp độ 3"},
			}},
			report.Paragraph{Text: diacritics, Align: report.AlignJustify},
			report.Paragraph{Text: nfdLine},
			report.Heading{Level: 2, Text: "1.1. Phạm vi và quy mô"},
			report.Paragraph{Text: "Hệ thống phục vụ trên 1.200 người dùng tại 45 cơ quan, đơn vị; xử lý thông tin riêng của tổ chức, cá nhân và thông tin không thuộc bí mật nhà nước. Việc phân loại căn cứ Điều 8 Nghị định số 85/2016/NĐ-CP và Thông tư số 12/2022/TT-BTTTT.", Align: report.AlignJustify},
			report.Paragraph{Text: "Ghi chú: số liệu tính đến hết quý I.", Italic: true},
			report.Paragraph{Text: specials},
			report.Heading{Level: 3, Text: "a) Thành phần hệ thống"},
			report.List{Items: []string{"Máy chủ ứng dụng và cơ sở dữ liệu", "Thiết bị tường lửa, chuyển mạch lõi", "Phần mềm quản lý văn bản"}},
			report.List{Ordered: true, Items: []string{"Rà soát hiện trạng", "Đánh giá rủi ro", "Đề xuất phương án bảo đảm an toàn thông tin theo cấp độ"}},
			report.Paragraph{Text: "Kết quả đánh giá các yêu cầu:", Bold: true},
			report.Table{
				Header: []string{"STT", "Yêu cầu", "Kết quả", "Bằng chứng"},
				Rows:   rows,
				Widths: []float64{0.6, 3.4, 1.2, 2.8},
			},
			report.Paragraph{Text: "Đề nghị Cục An toàn thông tin thẩm định hồ sơ đề xuất cấp độ.", Align: report.AlignJustify},
			report.Signature{Place: "Huế", Date: report.DateVI(created), Role: "GIÁM ĐỐC", Name: "Trần Thị Ánh Tuyết"},
		},
	}
}

// paragraphTexts lists the texts a reader must find in the output, in NFC:
// what sampleDocument holds, as the writers should print it.
func expectedTexts() []string {
	return []string{
		"BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ",
		"1. Thông tin chung",
		"Ủy ban nhân dân tỉnh Thừa Thiên Huế",
		diacritics,
		norm.NFC.String(nfdLine),
		"a) Thành phần hệ thống",
		"Thiết bị tường lửa, chuyển mạch lõi",
		specials,
		"Huế, ngày 05 tháng 3 năm 2026",
		"GIÁM ĐỐC",
		"Trần Thị Ánh Tuyết",
	}
}

// stripDiacritics removes every combining mark and turns đ into d: the
// same text with the Vietnamese marks taken off.
func stripDiacritics(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tool returns the path of an external program, or skips the test.
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s); skipping", name, pkg)
	}
	return p
}

// keep writes data to -out when it is set.
func keep(t testing.TB, name string, data []byte) {
	t.Helper()
	if *outDir == "" {
		return
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// squash collapses runs of white space to one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestDateVI(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC), "ngày 05 tháng 02 năm 2026"},
		{time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), "ngày 31 tháng 01 năm 2026"},
		{time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), "ngày 09 tháng 3 năm 2025"},
		{time.Date(2025, 12, 10, 0, 0, 0, 0, time.UTC), "ngày 10 tháng 12 năm 2025"},
	}
	for _, tt := range tests {
		if got := report.DateVI(tt.in); got != tt.want {
			t.Errorf("DateVI(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
