package authority

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// percent is a cell value shown as a percentage (0.25 is 25.0%). The cell
// values of an annex sheet are string, int, percent, time.Time (a date; the
// zero time leaves the cell empty) or nil (empty).
type percent float64

// sheet is one table of an annex workbook.
type sheet struct {
	name   string
	header []string
	widths []float64 // column widths in characters; missing ones get 14
	rows   [][]any
}

// dateFormat is the number format of date cells: dd/mm/yyyy, as dates are
// written in Vietnam.
const dateFormat = "dd/mm/yyyy"

// writeWorkbook writes sheets as an XLSX workbook: a bold, frozen, filtered
// header row and typed cells (numbers as numbers, dates as date serials
// formatted dd/mm/yyyy).
func writeWorkbook(w io.Writer, sheets []sheet) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
	})
	if err != nil {
		return fmt.Errorf("write annex: %w", err)
	}
	dateFmt := dateFormat
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return fmt.Errorf("write annex: %w", err)
	}
	pctFmt := "0.0%"
	pct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt})
	if err != nil {
		return fmt.Errorf("write annex: %w", err)
	}
	for i, sh := range sheets {
		if i == 0 {
			err = f.SetSheetName("Sheet1", sh.name)
		} else {
			_, err = f.NewSheet(sh.name)
		}
		if err != nil {
			return fmt.Errorf("write annex: sheet %q: %w", sh.name, err)
		}
		if err := writeSheet(f, sh, head, date, pct); err != nil {
			return fmt.Errorf("write annex: sheet %q: %w", sh.name, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write annex: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, sh sheet, head, date, pct int) error {
	for c, h := range sh.header {
		cell, _ := excelize.CoordinatesToCellName(c+1, 1)
		if err := f.SetCellStr(sh.name, cell, h); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(max(len(sh.header), 1), 1)
	if err := f.SetCellStyle(sh.name, "A1", last, head); err != nil {
		return err
	}
	for r, row := range sh.rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			var err error
			switch v := v.(type) {
			case nil:
			case time.Time:
				if v.IsZero() {
					break
				}
				if err = f.SetCellValue(sh.name, cell, civil(v)); err == nil {
					err = f.SetCellStyle(sh.name, cell, cell, date)
				}
			case percent:
				if err = f.SetCellFloat(sh.name, cell, float64(v), -1, 64); err == nil {
					err = f.SetCellStyle(sh.name, cell, cell, pct)
				}
			default:
				err = f.SetCellValue(sh.name, cell, v)
			}
			if err != nil {
				return err
			}
		}
	}
	for c := range sh.header {
		width := 14.0
		if c < len(sh.widths) {
			width = sh.widths[c]
		}
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := f.SetColWidth(sh.name, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sh.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if len(sh.rows) > 0 {
		end, _ := excelize.CoordinatesToCellName(len(sh.header), len(sh.rows)+1)
		if err := f.AutoFilter(sh.name, "A1:"+end, nil); err != nil {
			return err
		}
	}
	return nil
}

// levelValue is a level as a number, or "Chưa xác định" for 0.
func levelValue(n int) any {
	if n == 0 {
		return "Chưa xác định"
	}
	return n
}

// share is n/d as a percent cell, or nil when d is 0.
func share(n, d int) any {
	if d <= 0 {
		return nil
	}
	return percent(float64(n) / float64(d))
}

func yesNo(b bool) string {
	if b {
		return "Có"
	}
	return "Chưa"
}

// orNoDataCell is v, or NoData when ok is false.
func orNoDataCell(v any, ok bool) any {
	if !ok {
		return NoData
	}
	return v
}

func groupSheet(systems []System) sheet {
	sh := sheet{
		name: "Kết quả theo nhóm",
		header: []string{"STT", "Mã hệ thống", "Tên hệ thống", "Cấp độ", "Nhóm tiêu chí, yêu cầu", "Đạt", "Đạt một phần",
			"Chưa đạt", "Không áp dụng", "Chưa đánh giá", "Tổng số", "Tỷ lệ đạt", "Kết quả"},
		widths: []float64{6, 12, 36, 8, 36, 8, 10, 10, 10, 10, 10, 10, 20},
	}
	for _, s := range systems {
		for _, g := range s.Groups {
			state := "Đã đáp ứng đầy đủ"
			if !g.fullyMet() {
				state = "Chưa đáp ứng đầy đủ"
			}
			sh.rows = append(sh.rows, []any{len(sh.rows) + 1, s.Code, s.Name, levelValue(s.level()), g.Name,
				g.Met, g.Partial, g.NotMet, g.NotApplicable, g.unassessed(), g.total(),
				share(g.Met, g.total()-g.NotApplicable), state})
		}
	}
	return sh
}

func unmetSheet(systems []System) sheet {
	sh := sheet{
		name: "Lộ trình khắc phục",
		header: []string{"STT", "Mã hệ thống", "Tên hệ thống", "Mã yêu cầu", "Tiêu chí, yêu cầu", "Tình trạng",
			"Kế hoạch, lộ trình hoàn thiện", "Thời hạn", "Đơn vị chủ trì"},
		widths: []float64{6, 12, 36, 18, 40, 16, 40, 12, 24},
	}
	for _, s := range systems {
		for _, u := range s.Unmet {
			sh.rows = append(sh.rows, []any{len(sh.rows) + 1, s.Code, s.Name, u.RequirementID, u.Title, unmetStatus(u),
				orNoData(u.Action), u.Due, orNoData(u.Owner)})
		}
	}
	return sh
}

// AnnualAnnexXLSX writes the tables of the annual report as an XLSX
// workbook, one sheet per table, with Vietnamese headers and typed cells:
// "Thông tin chung" (the report's identification), "Hệ thống" (every
// system with the facts of Art. 14 items 2–7 and 10 and its totals),
// "Kết quả theo nhóm" (items 8–9, per system per requirement group) and
// "Lộ trình khắc phục" (item 9, unmet requirements with their roadmap).
// Counts and levels are numbers, dates are dates (dd/mm/yyyy), rates are
// percentages; facts Khiên does not hold read "Chưa có dữ liệu". It does not
// validate d.
func AnnualAnnexXLSX(w io.Writer, d AnnualData) error {
	from, to := d.Period()
	info := sheet{
		name:   "Thông tin chung",
		header: []string{"Nội dung", "Giá trị"},
		widths: []float64{36, 60},
		rows: [][]any{
			{"Cơ quan, tổ chức báo cáo (chủ quản hệ thống thông tin)", d.Org.Name},
			{"Đơn vị chuyên trách về an toàn thông tin", orNoData(d.SpecialisedUnit.Name)},
			{"Năm báo cáo", d.Year},
			{"Số liệu từ ngày", from},
			{"Số liệu đến ngày", to},
			{"Số văn bản", d.Letter.Number},
			{"Ngày báo cáo", d.Letter.Date},
			{"Căn cứ", "Điều 13, Điều 14 Thông tư số 12/2022/TT-BTTTT"},
		},
	}
	systems := sheet{
		name: "Hệ thống",
		header: []string{"STT", "Mã hệ thống", "Tên hệ thống", "Đơn vị vận hành", "Cấp độ đề xuất", "Đã phê duyệt HSĐXCĐ",
			"Cấp độ được phê duyệt", "Số quyết định phê duyệt", "Ngày quyết định phê duyệt", "Triển khai phương án",
			"Quy chế bảo đảm ATTT", "Số quyết định ban hành Quy chế", "Ngày ban hành Quy chế", "Tuân thủ Quy chế",
			"Kiểm tra, đánh giá", "Lần kiểm tra gần nhất", "Đơn vị kiểm tra, đánh giá",
			"Đạt", "Đạt một phần", "Chưa đạt", "Không áp dụng", "Chưa đánh giá", "Tổng số yêu cầu", "Tỷ lệ đạt"},
		widths: []float64{6, 12, 36, 30, 10, 12, 10, 18, 14, 22, 16, 20, 14, 18, 18, 14, 28, 8, 10, 10, 10, 10, 10, 10},
	}
	for i, s := range d.Systems {
		var approvedLevel any
		if s.Approved {
			approvedLevel = s.ApprovedLevel
		}
		t, ok := totals(s)
		compliant := s.Compliant.say("Tuân thủ", "Chưa tuân thủ đầy đủ")
		if s.Regulation == No {
			compliant = "Chưa có Quy chế"
		}
		systems.rows = append(systems.rows, []any{i + 1, s.Code, s.Name, orNoData(s.Operator), levelValue(s.ProposedLevel),
			yesNo(s.Approved), approvedLevel, s.DecisionNo, s.DecisionDate, approvedPlan(s),
			s.Regulation.say("Có", "Chưa có"), s.RegulationDecision, s.RegulationDate, compliant,
			s.Inspected.say("Đã kiểm tra, đánh giá", "Chưa kiểm tra, đánh giá"), s.LastInspection, s.Inspector,
			orNoDataCell(t.Met, ok), orNoDataCell(t.Partial, ok), orNoDataCell(t.NotMet, ok), orNoDataCell(t.NotApplicable, ok),
			orNoDataCell(t.unassessed(), ok), orNoDataCell(t.Total, ok), orNoDataCell(share(t.Met, t.Total-t.NotApplicable), ok)})
	}
	return writeWorkbook(w, []sheet{info, systems, groupSheet(d.Systems), unmetSheet(d.Systems)})
}

// approvedPlan is the plan state of an approved system, or a dash.
func approvedPlan(s System) string {
	if !s.Approved {
		return "—"
	}
	return s.Plan.vi()
}

// ImplementationAnnexXLSX writes the tables of the implementation-results
// report as an XLSX workbook, one sheet per table: "Tổng hợp" (the
// indicators, a number each or "Chưa có dữ liệu"), "Hệ thống" (per system:
// level, approval, plan and deadline, the four layers, backups), "Kết quả
// theo nhóm", "Lộ trình khắc phục", "Sự cố" (by severity) and "Đầu mối".
// Cells are typed as in [AnnualAnnexXLSX]. It does not validate d.
func ImplementationAnnexXLSX(w io.Writer, d ImplementationData) error {
	asOf := civil(d.PeriodTo)
	from := civil(d.PeriodFrom)
	var byLevel [6]int
	approved := 0
	plan := map[PlanStatus]int{}
	late := map[Answer]int{}
	var layers [4]map[Answer]int
	for j := range layers {
		layers[j] = map[Answer]int{}
	}
	backup := map[Answer]int{}
	tested := 0
	sys := sheet{
		name: "Hệ thống",
		header: []string{"STT", "Mã hệ thống", "Tên hệ thống", "Đơn vị vận hành", "Cấp độ đề xuất", "Đã phê duyệt cấp độ",
			"Cấp độ được phê duyệt", "Số quyết định phê duyệt", "Ngày quyết định phê duyệt", "Triển khai phương án",
			"Thời hạn hoàn thành", "Quá hạn", layerNames[0], layerNames[1], layerNames[2], layerNames[3],
			"Sao lưu dự phòng", "Lần sao lưu gần nhất", "Lần thử khôi phục gần nhất"},
		widths: []float64{6, 12, 36, 30, 10, 12, 10, 18, 14, 22, 14, 10, 24, 24, 24, 24, 12, 14, 14},
	}
	for i, s := range d.Systems {
		l := s.level()
		if l < 0 || l > 5 {
			l = 0
		}
		byLevel[l]++
		var approvedLevel, due any
		overdueCell := "—"
		if s.Approved {
			approved++
			approvedLevel = s.ApprovedLevel
			plan[s.Plan]++
			o := overdue(s, asOf)
			late[o]++
			due, overdueCell = planDue(s), o.say("Quá hạn", "Không")
		}
		row := []any{i + 1, s.Code, s.Name, orNoData(s.Operator), levelValue(s.ProposedLevel), yesNo(s.Approved),
			approvedLevel, s.DecisionNo, s.DecisionDate, approvedPlan(s), due, overdueCell}
		for j, ly := range s.Layers.all() {
			layers[j][ly.Status]++
			row = append(row, layerCell(ly))
		}
		backup[s.Backup]++
		var lastBackup, lastRestore any = "—", "—"
		if s.Backup != No {
			lastBackup, lastRestore = dateOrNoData(s.LastBackup), dateOrNoData(s.LastRestoreTest)
		}
		if s.Backup == Yes && !s.LastRestoreTest.IsZero() {
			if t := civil(s.LastRestoreTest); !t.Before(from) && !t.After(asOf) {
				tested++
			}
		}
		sys.rows = append(sys.rows, append(row, s.Backup.say("Có", "Chưa có"), lastBackup, lastRestore))
	}

	n := len(d.Systems)
	in, hunts, scans := d.Incidents, d.Hunts, d.Scans
	summary := sheet{
		name:   "Tổng hợp",
		header: []string{"Chỉ tiêu", "Giá trị"},
		widths: []float64{70, 18},
		rows: [][]any{
			{"Kỳ báo cáo từ ngày", d.PeriodFrom},
			{"Kỳ báo cáo đến ngày", d.PeriodTo},
			{"Tổng số hệ thống thông tin", n},
			{"Đã xác định cấp độ", n - byLevel[0]},
		},
	}
	for l := 1; l <= 5; l++ {
		summary.rows = append(summary.rows, []any{"– " + levelVI(l), byLevel[l]})
	}
	summary.rows = append(summary.rows,
		[]any{"Đã được phê duyệt cấp độ", approved},
		[]any{"Phương án đã triển khai đầy đủ", plan[PlanFull]},
		[]any{"Phương án mới triển khai một phần", plan[PlanPartial]},
		[]any{"Phương án chưa triển khai", plan[PlanNone]},
		[]any{"Phương án chưa có dữ liệu về tình trạng triển khai", plan[PlanUnknown]},
		[]any{"Phương án chưa triển khai đầy đủ, quá thời hạn", late[Yes]},
	)
	for j, name := range layerNames {
		summary.rows = append(summary.rows, []any{name + ": số hệ thống đã triển khai", layers[j][Yes]},
			[]any{name + ": số hệ thống chưa có dữ liệu", layers[j][Unknown]})
	}
	summary.rows = append(summary.rows,
		[]any{"Hệ thống có sao lưu dự phòng", backup[Yes]},
		[]any{"Hệ thống chưa có dữ liệu về sao lưu", backup[Unknown]},
		[]any{"Hệ thống đã thử khôi phục từ bản sao lưu trong kỳ", tested},
		[]any{"Tổng số sự cố an toàn thông tin mạng", orNoDataCell(in.total(), in.Known)},
		[]any{"Sự cố báo cáo đúng hạn", orNoDataCell(in.OnTime, in.Known)},
		[]any{"Sự cố báo cáo chậm", orNoDataCell(in.Late, in.Known)},
		[]any{"Sự cố chưa báo cáo", orNoDataCell(in.NotReported, in.Known)},
		[]any{"Số lần săn lùng mối nguy hại", orNoDataCell(hunts.Count, hunts.Known)},
		[]any{"Dấu hiệu xâm nhập, mối nguy hại phát hiện", orNoDataCell(hunts.Findings, hunts.Known)},
		[]any{"Số lần rà quét lỗ hổng", orNoDataCell(scans.Count, scans.Known)},
		[]any{"Lỗ hổng, điểm yếu phát hiện", orNoDataCell(scans.Findings, scans.Known)},
		[]any{"Lỗ hổng, điểm yếu chưa xử lý xong", orNoDataCell(scans.Open, scans.Known)},
		[]any{"Số đầu mối được chỉ định", orNoDataCell(len(d.FocalPoints.Contacts), d.FocalPoints.Known)},
	)

	incidents := sheet{name: "Sự cố", header: []string{"STT", "Mức độ", "Số sự cố"}, widths: []float64{6, 30, 12}}
	if !in.Known {
		incidents.rows = [][]any{{nil, NoData}}
	}
	for i, s := range in.BySeverity {
		incidents.rows = append(incidents.rows, []any{i + 1, s.Severity, s.Count})
	}

	contacts := sheet{
		name:   "Đầu mối",
		header: []string{"STT", "Họ và tên", "Chức vụ", "Đơn vị", "Nhiệm vụ đầu mối", "Điện thoại", "Thư điện tử"},
		widths: []float64{6, 26, 20, 28, 30, 16, 28},
	}
	if !d.FocalPoints.Known {
		contacts.rows = [][]any{{nil, NoData}}
	}
	for i, c := range d.FocalPoints.Contacts {
		contacts.rows = append(contacts.rows, []any{i + 1, c.Name, c.Title, c.Unit, c.Role, c.Phone, c.Email})
	}
	return writeWorkbook(w, []sheet{summary, sys, groupSheet(d.Systems), unmetSheet(d.Systems), incidents, contacts})
}

// dateOrNoData is t, or NoData for the zero time.
func dateOrNoData(t time.Time) any {
	if t.IsZero() {
		return NoData
	}
	return t
}
