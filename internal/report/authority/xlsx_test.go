package authority_test

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"khien.vn/khien/internal/report/authority"
)

func openXLSX(t *testing.T, write func(*bytes.Buffer) error) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// header returns row 1 of a sheet.
func header(t *testing.T, f *excelize.File, sheet string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %q: no rows (%v)", sheet, err)
	}
	return rows[0]
}

// cellAt finds the cell of the column headed col in data row n (1-based).
func cellAt(t *testing.T, f *excelize.File, sheet, col string, n int) string {
	t.Helper()
	i := slices.Index(header(t, f, sheet), col)
	if i < 0 {
		t.Fatalf("sheet %q has no column %q", sheet, col)
	}
	cell, err := excelize.CoordinatesToCellName(i+1, n+1)
	if err != nil {
		t.Fatal(err)
	}
	return cell
}

// wantNumber checks that a cell holds a number (not text) equal to want.
func wantNumber(t *testing.T, f *excelize.File, sheet, cell string, want float64) {
	t.Helper()
	typ, err := f.GetCellType(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s!%s has type %v, want a number", sheet, cell, typ)
	}
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := strconv.ParseFloat(raw, 64); err != nil || v != want {
		t.Errorf("%s!%s = %q, want the number %v", sheet, cell, raw, want)
	}
}

// wantDate checks that a cell holds a date serial equal to want, shown as
// dd/mm/yyyy.
func wantDate(t *testing.T, f *excelize.File, sheet, cell string, want time.Time) {
	t.Helper()
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q: not a date serial", sheet, cell, raw)
	}
	if got, err := excelize.ExcelDateToTime(serial, false); err != nil || !got.Equal(want) {
		t.Errorf("%s!%s is %v, want %v", sheet, cell, got, want)
	}
	style, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil || *st.CustomNumFmt != "dd/mm/yyyy" {
		t.Errorf("%s!%s number format %v, want dd/mm/yyyy", sheet, cell, st.CustomNumFmt)
	}
	if shown, _ := f.GetCellValue(sheet, cell); shown != want.Format("02/01/2006") {
		t.Errorf("%s!%s shows %q, want %q", sheet, cell, shown, want.Format("02/01/2006"))
	}
}

func wantText(t *testing.T, f *excelize.File, sheet, cell, want string) {
	t.Helper()
	if got, _ := f.GetCellValue(sheet, cell); got != want {
		t.Errorf("%s!%s = %q, want %q", sheet, cell, got, want)
	}
}

func TestAnnualAnnexXLSX(t *testing.T) {
	f := openXLSX(t, func(b *bytes.Buffer) error { return authority.AnnualAnnexXLSX(b, sampleAnnual()) })
	if got, want := f.GetSheetList(), []string{"Thông tin chung", "Hệ thống", "Kết quả theo nhóm", "Lộ trình khắc phục"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	h := header(t, f, "Hệ thống")
	for _, col := range []string{"STT", "Mã hệ thống", "Tên hệ thống", "Đơn vị vận hành", "Cấp độ đề xuất", "Cấp độ được phê duyệt",
		"Ngày quyết định phê duyệt", "Triển khai phương án", "Quy chế bảo đảm ATTT", "Tuân thủ Quy chế", "Lần kiểm tra gần nhất", "Tỷ lệ đạt"} {
		if !slices.Contains(h, col) {
			t.Errorf("sheet Hệ thống lacks column %q", col)
		}
	}
	if got := header(t, f, "Lộ trình khắc phục"); !slices.Equal(got, []string{"STT", "Mã hệ thống", "Tên hệ thống", "Mã yêu cầu",
		"Tiêu chí, yêu cầu", "Tình trạng", "Kế hoạch, lộ trình hoàn thiện", "Thời hạn", "Đơn vị chủ trì"}) {
		t.Errorf("roadmap header %q", got)
	}

	wantDate(t, f, "Thông tin chung", "B5", day(2025, 12, 15))
	wantDate(t, f, "Thông tin chung", "B6", day(2026, 12, 14))
	wantNumber(t, f, "Thông tin chung", "B4", 2026)

	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Tên hệ thống", 3), "Trung tâm dữ liệu tỉnh Hà Tĩnh")
	wantNumber(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Cấp độ đề xuất", 3), 4)
	wantNumber(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Cấp độ được phê duyệt", 2), 3)
	wantDate(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Ngày quyết định phê duyệt", 2), day(2024, 8, 28))
	wantNumber(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Chưa đạt", 2), 5)
	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Chưa đạt", 3), authority.NoData)
	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Tuân thủ Quy chế", 3), "Chưa có Quy chế")
	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Cấp độ được phê duyệt", 3), "")

	// 5 + 5 groups; the DVC management group is row 6.
	rows, _ := f.GetRows("Kết quả theo nhóm")
	if len(rows) != 11 {
		t.Errorf("Kết quả theo nhóm has %d rows, want a header and 10 groups", len(rows))
	}
	wantNumber(t, f, "Kết quả theo nhóm", cellAt(t, f, "Kết quả theo nhóm", "Chưa đánh giá", 6), 2)
	wantNumber(t, f, "Kết quả theo nhóm", cellAt(t, f, "Kết quả theo nhóm", "Tỷ lệ đạt", 6), 25.0/32)
	wantText(t, f, "Kết quả theo nhóm", cellAt(t, f, "Kết quả theo nhóm", "Tỷ lệ đạt", 6), "78.1%")

	wantDate(t, f, "Lộ trình khắc phục", cellAt(t, f, "Lộ trình khắc phục", "Thời hạn", 1), day(2027, 3, 31))
	wantText(t, f, "Lộ trình khắc phục", cellAt(t, f, "Lộ trình khắc phục", "Thời hạn", 3), "")
	wantText(t, f, "Lộ trình khắc phục", cellAt(t, f, "Lộ trình khắc phục", "Kế hoạch, lộ trình hoàn thiện", 3), authority.NoData)
}

func TestImplementationAnnexXLSX(t *testing.T) {
	f := openXLSX(t, func(b *bytes.Buffer) error { return authority.ImplementationAnnexXLSX(b, sampleImplementation()) })
	if got, want := f.GetSheetList(), []string{"Tổng hợp", "Hệ thống", "Kết quả theo nhóm", "Lộ trình khắc phục", "Sự cố", "Đầu mối"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	summary := map[string]string{}
	rows, _ := f.GetRows("Tổng hợp")
	for i, r := range rows[1:] {
		if len(r) == 2 {
			summary[r[0]] = excelizeCell(t, i+2)
		}
	}
	wantDate(t, f, "Tổng hợp", "B2", day(2026, 7, 1))
	for label, want := range map[string]float64{
		"Tổng số hệ thống thông tin":                        3,
		"Đã được phê duyệt cấp độ":                          2,
		"Phương án chưa triển khai đầy đủ, quá thời hạn":    1,
		"Tổng số sự cố an toàn thông tin mạng":              5,
		"Lỗ hổng, điểm yếu chưa xử lý xong":                 4,
		"Hệ thống đã thử khôi phục từ bản sao lưu trong kỳ": 1,
		"Lớp 4 – Kết nối, chia sẻ thông tin với hệ thống giám sát quốc gia: số hệ thống chưa có dữ liệu": 2,
	} {
		cell, ok := summary[label]
		if !ok {
			t.Errorf("Tổng hợp lacks %q", label)
			continue
		}
		wantNumber(t, f, "Tổng hợp", cell, want)
	}
	// Threat hunts are not recorded: text, not 0.
	wantText(t, f, "Tổng hợp", summary["Số lần săn lùng mối nguy hại"], authority.NoData)

	wantDate(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Thời hạn hoàn thành", 2), day(2024, 12, 31))
	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Quá hạn", 2), "Quá hạn")
	wantText(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Lần thử khôi phục gần nhất", 2), authority.NoData)
	wantDate(t, f, "Hệ thống", cellAt(t, f, "Hệ thống", "Lần thử khôi phục gần nhất", 1), day(2026, 9, 20))
	wantNumber(t, f, "Sự cố", "C3", 1)
	wantText(t, f, "Đầu mối", "B2", "Đặng Văn Lâm")

	// Unknown incidents and focal points: a "no data" row, not an empty
	// table that reads as "none".
	d := sampleImplementation()
	d.Incidents, d.FocalPoints = authority.Incidents{}, authority.FocalPoints{}
	f = openXLSX(t, func(b *bytes.Buffer) error { return authority.ImplementationAnnexXLSX(b, d) })
	wantText(t, f, "Sự cố", "B2", authority.NoData)
	wantText(t, f, "Đầu mối", "B2", authority.NoData)
}

// excelizeCell is the Giá trị cell of summary row n.
func excelizeCell(t *testing.T, n int) string {
	t.Helper()
	cell, err := excelize.CoordinatesToCellName(2, n)
	if err != nil {
		t.Fatal(err)
	}
	return cell
}

func TestAnnexXLSX_empty(t *testing.T) {
	openXLSX(t, func(b *bytes.Buffer) error { return authority.AnnualAnnexXLSX(b, authority.AnnualData{}) })
	openXLSX(t, func(b *bytes.Buffer) error {
		return authority.ImplementationAnnexXLSX(b, authority.ImplementationData{})
	})
}
