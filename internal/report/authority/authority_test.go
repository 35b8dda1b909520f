package authority_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/report/authority"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; rerun with -update if intended):\n%s", name, diff)
	}
}

func TestAnnual_golden(t *testing.T) {
	d := sampleAnnual()
	if err := d.Validate(); err != nil {
		t.Fatalf("sample is invalid: %v", err)
	}
	golden(t, "annual.golden.txt", plainText(authority.Annual(d)))
}

func TestImplementation_golden(t *testing.T) {
	d := sampleImplementation()
	if err := d.Validate(); err != nil {
		t.Fatalf("sample is invalid: %v", err)
	}
	golden(t, "implementation.golden.txt", plainText(authority.Implementation(d)))
}

// TestAnnual_structure pins what the golden file could let slip: every Art.
// 14 item is a level-1 heading numbered 1–11 in order, and the frame is
// complete.
func TestAnnual_structure(t *testing.T) {
	doc := authority.Annual(sampleAnnual())
	var headings []string
	for _, b := range doc.Blocks {
		if h, ok := b.(report.Heading); ok && h.Level == 1 {
			headings = append(headings, h.Text)
		}
	}
	if len(headings) != 11 {
		t.Fatalf("%d sections, want the 11 items of Art. 14: %q", len(headings), headings)
	}
	for i, h := range headings {
		if want := strconv.Itoa(i+1) + ". "; !strings.HasPrefix(h, want) {
			t.Errorf("section %d is %q, want it numbered %q", i+1, h, want)
		}
	}
	text := plainText(doc)
	for _, want := range []string{
		"[masthead left] ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH",
		"[masthead right] CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"[masthead right] Độc lập - Tự do - Hạnh phúc",
		"Số: 215/BC-UBND",
		"[right italic] Hà Tĩnh, ngày 22 tháng 12 năm 2026",
		"[center bold] BÁO CÁO",
		"(Số liệu tính từ ngày 15/12/2025 đến ngày 14/12/2026)",
		"Kính gửi: Bộ Công an",
		"[signature]  |  | KT. CHỦ TỊCH / PHÓ CHỦ TỊCH | Nguyễn Thị Hồng Nhung",
		"[bold italic] Nơi nhận:",
		authority.NoData,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

// TestBuilders_pure: the same input gives the same document, and building
// does not change the input.
func TestBuilders_pure(t *testing.T) {
	a := sampleAnnual()
	if !reflect.DeepEqual(authority.Annual(a), authority.Annual(a)) {
		t.Error("Annual differs between two calls")
	}
	if !reflect.DeepEqual(a, sampleAnnual()) {
		t.Error("Annual changed its input")
	}
	im := sampleImplementation()
	if !reflect.DeepEqual(authority.Implementation(im), authority.Implementation(im)) {
		t.Error("Implementation differs between two calls")
	}
	if !reflect.DeepEqual(im, sampleImplementation()) {
		t.Error("Implementation changed its input")
	}
}

// TestNoData: facts not recorded print "Chưa có dữ liệu", never 0 or "no",
// and the document then explains what that means; with every fact known
// there is no such note.
func TestNoData(t *testing.T) {
	text := plainText(authority.Implementation(authority.ImplementationData{
		Org: authority.Party{Name: "Công ty Cổ phần Chứng khoán Đông Á"}, PeriodFrom: day(2026, 1, 1), PeriodTo: day(2026, 6, 30),
		Systems: []authority.System{{Code: "GD", Name: "Hệ thống giao dịch trực tuyến", ProposedLevel: 3}},
	}))
	for _, want := range []string{
		"# 5. Tình hình sự cố an toàn thông tin mạng\n" + authority.NoData + ":",
		"## 7.1. Săn lùng mối nguy hại\n" + authority.NoData + ".",
		"## 7.2. Rà quét lỗ hổng bảo mật\n" + authority.NoData + ".",
		"# 8. Đầu mối trao đổi, phối hợp nghiệp vụ\n" + authority.NoData + ".",
		"| 1 | Hệ thống giao dịch trực tuyến (GD) | " + authority.NoData + " | " + authority.NoData + " | " + authority.NoData + " | " + authority.NoData + " |",
		"[italic] Ghi chú: “Chưa có dữ liệu”",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("document lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Tổng số sự cố") {
		t.Error("unknown incidents printed as a count")
	}

	known := authority.Implementation(authority.ImplementationData{
		Org: authority.Party{Name: "Công ty Cổ phần Chứng khoán Đông Á"}, PeriodFrom: day(2026, 1, 1), PeriodTo: day(2026, 6, 30),
		Incidents:   authority.Incidents{Known: true},
		Hunts:       authority.Activity{Known: true},
		Scans:       authority.Activity{Known: true},
		FocalPoints: authority.FocalPoints{Known: true},
	})
	text = plainText(known)
	if strings.Contains(text, authority.NoData) {
		t.Errorf("a report with every fact known mentions %q:\n%s", authority.NoData, text)
	}
	for _, want := range []string{"không ghi nhận sự cố", "Không thực hiện trong kỳ báo cáo.", "Chưa chỉ định đầu mối."} {
		if !strings.Contains(text, want) {
			t.Errorf("known-empty facts: document lacks %q", want)
		}
	}
}

// TestEmptySystems: a report without systems still renders, and says so.
func TestEmptySystems(t *testing.T) {
	annual := sampleAnnual()
	annual.Systems, annual.Operators = nil, nil
	impl := sampleImplementation()
	impl.Systems = nil
	for name, doc := range map[string]report.Document{
		"annual":         authority.Annual(annual),
		"implementation": authority.Implementation(impl),
		"zero_annual":    authority.Annual(authority.AnnualData{}),
		"zero_impl":      authority.Implementation(authority.ImplementationData{}),
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(plainText(doc), "Không có hệ thống thông tin nào thuộc phạm vi quản lý") {
				t.Error("does not say there are no systems")
			}
			for _, format := range []string{"pdf", "docx"} {
				data, _, err := report.Render(format, doc)
				if err != nil || len(data) == 0 {
					t.Errorf("render %s: %d bytes, %v", format, len(data), err)
				}
			}
		})
	}
}

func TestAnnualPeriod(t *testing.T) {
	from, to := authority.AnnualPeriod(2026)
	if !from.Equal(day(2025, 12, 15)) || !to.Equal(day(2026, 12, 14)) {
		t.Errorf("AnnualPeriod(2026) = %v, %v", from, to)
	}
	d := authority.AnnualData{Year: 2026, PeriodFrom: day(2026, 1, 1), PeriodTo: day(2026, 6, 30)}
	if f, to := d.Period(); !f.Equal(day(2026, 1, 1)) || !to.Equal(day(2026, 6, 30)) {
		t.Error("an explicit period is not kept")
	}
}

func TestAnnualData_Validate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*authority.AnnualData)
		fields []string
	}{
		{"valid", func(*authority.AnnualData) {}, nil},
		{"valid_without_systems", func(d *authority.AnnualData) { d.Systems = nil }, nil},
		{"year_missing", func(d *authority.AnnualData) { d.Year = 0 }, []string{"year"}},
		{"period_reversed", func(d *authority.AnnualData) { d.PeriodFrom, d.PeriodTo = day(2026, 12, 14), day(2025, 12, 15) }, []string{"period"}},
		{"period_half", func(d *authority.AnnualData) { d.PeriodFrom = day(2025, 12, 15) }, []string{"period"}},
		{"org_name_missing", func(d *authority.AnnualData) { d.Org.Name = "  " }, []string{"org.name"}},
		{"empty_recipient", func(d *authority.AnnualData) { d.Letter.Recipients = []string{""} }, []string{"letter.recipients[0]"}},
		{"operator_without_name", func(d *authority.AnnualData) { d.Operators[1].Name = "" }, []string{"operators[1].name"}},
		{"system_without_name", func(d *authority.AnnualData) { d.Systems[2].Name = "" }, []string{"systems[2].name"}},
		{"level_out_of_range", func(d *authority.AnnualData) { d.Systems[0].ProposedLevel = 6 }, []string{"systems[0].proposed_level"}},
		{"approved_without_level", func(d *authority.AnnualData) { d.Systems[1].ApprovedLevel = 0 }, []string{"systems[1].approved_level"}},
		{"level_without_approval", func(d *authority.AnnualData) { d.Systems[2].ApprovedLevel = 4 }, []string{"systems[2].approved"}},
		{"duplicate_code", func(d *authority.AnnualData) { d.Systems[2].Code = "QLVB" }, []string{"systems[2].code"}},
		{"results_over_total", func(d *authority.AnnualData) { d.Systems[1].Groups[0].Met = 40 }, []string{"systems[1].groups[0]"}},
		{"negative_count", func(d *authority.AnnualData) { d.Systems[0].Groups[1].NotMet = -1 }, []string{"systems[0].groups[1]"}},
		{"bad_plan", func(d *authority.AnnualData) { d.Systems[0].Plan = 9 }, []string{"systems[0].plan"}},
		{"bad_answer", func(d *authority.AnnualData) { d.Systems[0].Compliant = -1 }, []string{"systems[0].compliant"}},
		{"unmet_without_id_or_title", func(d *authority.AnnualData) {
			d.Systems[1].Unmet[0].RequirementID, d.Systems[1].Unmet[0].Title = "", ""
		},
			[]string{"systems[1].unmet[0]"}},
		{"several", func(d *authority.AnnualData) { d.Year, d.Org.Name = 0, "" }, []string{"year", "org.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleAnnual()
			tt.edit(&d)
			checkProblems(t, d.Validate(), tt.fields)
		})
	}
}

func TestImplementationData_Validate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*authority.ImplementationData)
		fields []string
	}{
		{"valid", func(*authority.ImplementationData) {}, nil},
		{"period_start_missing", func(d *authority.ImplementationData) { d.PeriodFrom = time.Time{} }, []string{"period"}},
		{"period_end_missing", func(d *authority.ImplementationData) { d.PeriodTo = time.Time{} }, []string{"period"}},
		{"period_reversed", func(d *authority.ImplementationData) { d.PeriodFrom = day(2027, 1, 1) }, []string{"period"}},
		{"org_name_missing", func(d *authority.ImplementationData) { d.Org.Name = "" }, []string{"org.name"}},
		{"reported_over_total", func(d *authority.ImplementationData) { d.Incidents.NotReported = 4 }, []string{"incidents.reported"}},
		{"negative_incidents", func(d *authority.ImplementationData) { d.Incidents.BySeverity[0].Count = -1 },
			[]string{"incidents.by_severity[0].count", "incidents.reported"}},
		{"unknown_incidents_not_checked", func(d *authority.ImplementationData) {
			d.Incidents = authority.Incidents{BySeverity: []authority.SeverityCount{{Count: -1}}}
		}, nil},
		{"open_over_findings", func(d *authority.ImplementationData) { d.Scans.Open = 18 }, []string{"scans.open"}},
		{"negative_hunts", func(d *authority.ImplementationData) { d.Hunts = authority.Activity{Known: true, Count: -1} }, []string{"hunts"}},
		{"contact_without_name", func(d *authority.ImplementationData) { d.FocalPoints.Contacts[1].Name = "" }, []string{"focal_points[1].name"}},
		{"bad_layer", func(d *authority.ImplementationData) { d.Systems[2].Layers.National.Status = 3 }, []string{"systems[2].layers.national"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleImplementation()
			tt.edit(&d)
			checkProblems(t, d.Validate(), tt.fields)
		})
	}
}

// checkProblems checks that err is nil when fields is empty, and otherwise
// an ErrInvalid *ValidationError naming exactly those fields, each with an
// English and a Vietnamese message.
func checkProblems(t *testing.T, err error, fields []string) {
	t.Helper()
	if len(fields) == 0 {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("Validate() = %v, want errs.ErrInvalid", err)
	}
	var ve *authority.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %T, want *authority.ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
		if p.EN == "" || p.VI == "" {
			t.Errorf("problem %q lacks a message: %+v", p.Field, p)
		}
		if !strings.Contains(err.Error(), p.Field) {
			t.Errorf("error text %q does not name %q", err, p.Field)
		}
	}
	if !slices.Equal(got, fields) {
		t.Errorf("problems at %q, want %q", got, fields)
	}
}
