package authority

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/report"
)

// Implementation builds the implementation-results report (báo cáo kết quả
// triển khai) the 2024 post-ransomware dispatch asks organisations to send:
// the administrative frame, then sections on classification, level
// approval, plan implementation (with what is overdue against Directive
// 09/CT-TTg), the four protection layers, incidents, backups, threat hunts
// and vulnerability scans, focal points, and proposals. Deadlines are judged
// as of d.PeriodTo. It does not validate d (see
// [ImplementationData.Validate]).
func Implementation(d ImplementationData) report.Document {
	org := orDots(d.Org.Name)
	basis := strings.TrimSpace(d.Basis)
	if basis == "" {
		basis = directive09 + " và các văn bản hướng dẫn của cơ quan có thẩm quyền về tăng cường bảo đảm an toàn " +
			"thông tin, phòng, chống tấn công mã hóa dữ liệu (ransomware)"
	}
	asOf := civil(d.PeriodTo)
	var b builder
	implClassification(&b, d.Systems)
	implApproval(&b, d.Systems, asOf)
	implPlans(&b, d.Systems, asOf)
	implLayers(&b, d.Systems)
	implIncidents(&b, d.Incidents)
	implBackups(&b, d.Systems, civil(d.PeriodFrom), asOf)
	implActivities(&b, d.Hunts, d.Scans)
	implFocalPoints(&b, d.FocalPoints)
	b.h1("9. Đề xuất, kiến nghị và thông tin khác")
	b.p(orNone(d.Proposals))
	if strings.TrimSpace(d.Other) != "" {
		b.p(d.Other)
	}
	period := fmt.Sprintf("từ ngày %s đến ngày %s", dmyOr(d.PeriodFrom, "……"), dmyOr(d.PeriodTo, "……"))
	return frame{
		letter:  d.Letter,
		org:     d.Org.Name,
		title:   []string{"Kết quả triển khai các nhiệm vụ bảo đảm an toàn thông tin", "cho hệ thống thông tin thuộc phạm vi quản lý"},
		period:  "(Kỳ báo cáo " + period + ")",
		opening: "Thực hiện " + basis + ", " + org + " báo cáo kết quả triển khai trong kỳ " + period + " như sau:",
		closing: "Trên đây là báo cáo kết quả triển khai các nhiệm vụ bảo đảm an toàn thông tin của " + org + "./.",
	}.document(b.blocks)
}

// 1: inventory and classification by level.
func implClassification(b *builder, systems []System) {
	b.h1("1. Kết quả thống kê, phân loại hệ thống thông tin")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	var byLevel, approved [6]int
	for _, s := range systems {
		l := s.level()
		if l < 0 || l > 5 {
			l = 0
		}
		byLevel[l]++
		if s.Approved {
			approved[l]++
		}
	}
	b.p(fmt.Sprintf("Tổng số hệ thống thông tin thuộc phạm vi quản lý: %d; đã xác định cấp độ: %d; chưa xác định cấp độ: %d.",
		len(systems), len(systems)-byLevel[0], byLevel[0]))
	var rows [][]string
	for l := 1; l <= 5; l++ {
		rows = append(rows, []string{levelVI(l), strconv.Itoa(byLevel[l]), strconv.Itoa(approved[l])})
	}
	rows = append(rows,
		[]string{"Chưa xác định cấp độ", strconv.Itoa(byLevel[0]), strconv.Itoa(approved[0])},
		[]string{"Tổng cộng", strconv.Itoa(len(systems)), strconv.Itoa(sum(approved[:]))})
	b.add(report.Table{Header: []string{"Cấp độ", "Số hệ thống", "Đã được phê duyệt cấp độ"}, Rows: rows, Widths: []float64{3, 2, 3}})
	list := make([][]string, len(systems))
	for i, s := range systems {
		appr := "—"
		if s.Approved {
			appr = levelCell(s.ApprovedLevel)
		}
		list[i] = []string{systemName(s), orNoData(s.Operator), levelCell(s.ProposedLevel), appr}
	}
	b.table([]string{"Tên hệ thống thông tin", "Đơn vị vận hành", "Cấp độ đề xuất", "Cấp độ được phê duyệt"}, []float64{3.8, 3, 1.5, 1.7}, list)
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// 2: level approval against Directive 09's September 2024 target.
func implApproval(b *builder, systems []System, asOf time.Time) {
	b.h1("2. Kết quả phê duyệt cấp độ an toàn hệ thống thông tin")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	var pending []string
	for _, s := range systems {
		if !s.Approved {
			pending = append(pending, systemName(s)+" — đề xuất "+strings.ToLower(levelVI(s.ProposedLevel)))
		}
	}
	n := len(systems) - len(pending)
	b.p(fmt.Sprintf("Số hệ thống đã được phê duyệt cấp độ: %s (%s).", countOf(n, len(systems)), percentVI(n, len(systems))))
	text := directive09 + " yêu cầu 100% hệ thống thông tin đang vận hành được phê duyệt cấp độ chậm nhất trong tháng 9/2024."
	if len(pending) > 0 && asOf.After(approvalTarget) {
		text += fmt.Sprintf(" Đến ngày %s còn %d hệ thống chưa được phê duyệt cấp độ (quá thời hạn):", dmy(asOf), len(pending))
	} else if len(pending) > 0 {
		text += fmt.Sprintf(" Đến ngày %s còn %d hệ thống chưa được phê duyệt cấp độ:", dmy(asOf), len(pending))
	}
	b.p(text)
	b.list(pending...)
}

// planDue is when s's plan must be fully implemented.
func planDue(s System) time.Time {
	if s.PlanDue.IsZero() {
		return planTarget
	}
	return civil(s.PlanDue)
}

// overdue says whether the approved plan of s is overdue as of asOf: Yes
// when not fully implemented after its due date, Unknown when its state is
// not recorded and the date has passed.
func overdue(s System, asOf time.Time) Answer {
	if !s.Approved || s.Plan == PlanFull || !asOf.After(planDue(s)) {
		return No
	}
	if s.Plan == PlanUnknown {
		return Unknown
	}
	return Yes
}

// 3: plan implementation and what is overdue.
func implPlans(b *builder, systems []System, asOf time.Time) {
	b.h1("3. Kết quả triển khai phương án bảo đảm an toàn thông tin theo cấp độ được phê duyệt")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	count := map[PlanStatus]int{}
	late := map[Answer]int{}
	var rows [][]string
	for _, s := range systems {
		if !s.Approved {
			continue
		}
		count[s.Plan]++
		o := overdue(s, asOf)
		late[o]++
		rows = append(rows, []string{systemName(s), levelCell(s.ApprovedLevel), s.Plan.vi(), dmy(planDue(s)), o.say("Quá hạn", "Không")})
	}
	if len(rows) == 0 {
		b.p("Chưa có hệ thống nào được phê duyệt phương án bảo đảm an toàn thông tin theo cấp độ.")
		return
	}
	b.p(fmt.Sprintf("Trong số %d hệ thống đã được phê duyệt cấp độ:", len(rows)))
	items := []string{
		fmt.Sprintf("Đã triển khai đầy đủ phương án: %d hệ thống;", count[PlanFull]),
		fmt.Sprintf("Mới triển khai một phần: %d hệ thống;", count[PlanPartial]),
		fmt.Sprintf("Chưa triển khai: %d hệ thống;", count[PlanNone]),
	}
	if n := count[PlanUnknown]; n > 0 {
		items = append(items, fmt.Sprintf("%s về tình trạng triển khai: %d hệ thống;", NoData, n))
	}
	lateText := fmt.Sprintf("Chưa triển khai đầy đủ phương án và đã quá thời hạn (%s yêu cầu hoàn thành chậm nhất trong tháng 12/2024, "+
		"hoặc thời hạn riêng của hệ thống): %d hệ thống", directive09, late[Yes])
	if late[Unknown] > 0 {
		lateText += fmt.Sprintf("; %s để xác định: %d hệ thống", NoData, late[Unknown])
	}
	items = append(items, lateText+".")
	b.list(items...)
	b.table([]string{"Tên hệ thống thông tin", "Cấp độ", "Tình trạng triển khai", "Thời hạn hoàn thành", "Quá hạn"}, []float64{3.6, 1, 2.6, 1.6, 1.3}, rows)
}

var layerNames = [4]string{
	"Lớp 1 – Lực lượng tại chỗ",
	"Lớp 2 – Giám sát, bảo vệ chuyên nghiệp",
	"Lớp 3 – Kiểm tra, đánh giá độc lập định kỳ",
	"Lớp 4 – Kết nối, chia sẻ thông tin với hệ thống giám sát quốc gia",
}

func layerCell(l Layer) string {
	switch l.Status {
	case Yes:
		if p := strings.TrimSpace(l.Provider); p != "" {
			return "Có (" + p + ")"
		}
		return "Có"
	case No:
		return "Chưa có"
	}
	return NoData
}

// 4: the four protection layers per system.
func implLayers(b *builder, systems []System) {
	b.h1("4. Triển khai mô hình bảo vệ 4 lớp")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	var yes, unknown [4]int
	rows := make([][]string, len(systems))
	for i, s := range systems {
		rows[i] = []string{systemName(s)}
		for j, l := range s.Layers.all() {
			switch l.Status {
			case Yes:
				yes[j]++
			case Unknown:
				unknown[j]++
			}
			rows[i] = append(rows[i], layerCell(l))
		}
	}
	items := make([]string, 4)
	for j, name := range layerNames {
		items[j] = name + ": " + countOf(yes[j], len(systems))
		if unknown[j] > 0 {
			items[j] += fmt.Sprintf(" (%s: %d hệ thống)", strings.ToLower(NoData), unknown[j])
		}
		items[j] += ";"
	}
	items[3] = strings.TrimSuffix(items[3], ";") + "."
	b.p("Số hệ thống đã triển khai từng lớp bảo vệ:")
	b.list(items...)
	b.table([]string{"Tên hệ thống thông tin", "Lớp 1: Lực lượng tại chỗ", "Lớp 2: Giám sát, bảo vệ chuyên nghiệp",
		"Lớp 3: Kiểm tra, đánh giá độc lập", "Lớp 4: Kết nối giám sát quốc gia"}, []float64{2.6, 1.9, 1.9, 1.9, 1.9}, rows)
}

// 5: incidents.
func implIncidents(b *builder, in Incidents) {
	b.h1("5. Tình hình sự cố an toàn thông tin mạng")
	if !in.Known {
		b.p(NoData + ": số liệu về sự cố an toàn thông tin mạng trong kỳ chưa được ghi nhận trong Khiên " +
			"(không có nghĩa là không xảy ra sự cố).")
		return
	}
	total := in.total()
	if total == 0 {
		b.p("Trong kỳ báo cáo không ghi nhận sự cố an toàn thông tin mạng.")
		return
	}
	b.p(fmt.Sprintf("Tổng số sự cố an toàn thông tin mạng ghi nhận trong kỳ: %d.", total))
	rows := make([][]string, 0, len(in.BySeverity)+1)
	for _, s := range in.BySeverity {
		rows = append(rows, []string{s.Severity, strconv.Itoa(s.Count)})
	}
	rows = append(rows, []string{"Tổng cộng", strconv.Itoa(total)})
	b.add(report.Table{Header: []string{"Mức độ", "Số sự cố"}, Rows: rows, Widths: []float64{4, 2}})
	b.p(fmt.Sprintf("Báo cáo sự cố tới cơ quan có thẩm quyền: %d sự cố phải báo cáo; đúng hạn: %d; chậm: %d; chưa báo cáo: %d.",
		in.OnTime+in.Late+in.NotReported, in.OnTime, in.Late, in.NotReported))
}

// 6: backups and restore tests.
func implBackups(b *builder, systems []System, from, to time.Time) {
	b.h1("6. Sao lưu dự phòng dữ liệu, hệ thống")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	count := map[Answer]int{}
	tested := 0
	rows := make([][]string, len(systems))
	for i, s := range systems {
		count[s.Backup]++
		last, restore := "—", "—"
		if s.Backup != No {
			last, restore = dmyOr(s.LastBackup, NoData), dmyOr(s.LastRestoreTest, NoData)
		}
		if s.Backup == Yes && !s.LastRestoreTest.IsZero() {
			if t := civil(s.LastRestoreTest); !t.Before(from) && !t.After(to) {
				tested++
			}
		}
		rows[i] = []string{systemName(s), s.Backup.say("Có", "Chưa có"), last, restore}
	}
	text := fmt.Sprintf("Số hệ thống có sao lưu dự phòng: %s; đã thử khôi phục từ bản sao lưu trong kỳ: %d hệ thống", countOf(count[Yes], len(systems)), tested)
	if n := count[Unknown]; n > 0 {
		text += fmt.Sprintf("; %s: %d hệ thống", strings.ToLower(NoData), n)
	}
	b.p(text + ".")
	b.table([]string{"Tên hệ thống thông tin", "Sao lưu dự phòng", "Lần sao lưu gần nhất", "Lần thử khôi phục gần nhất"}, []float64{3.8, 1.8, 2, 2.2}, rows)
}

// 7: threat hunts and vulnerability scans.
func implActivities(b *builder, hunts, scans Activity) {
	b.h1("7. Săn lùng mối nguy hại và rà quét lỗ hổng bảo mật")
	b.p("Chỉ thị số 18/CT-TTg ngày 13/10/2022 của Thủ tướng Chính phủ yêu cầu săn lùng mối nguy hại, rà quét lỗ hổng tối thiểu 06 tháng/lần.")
	for i, a := range []struct {
		title, found string
		act          Activity
	}{
		{"Săn lùng mối nguy hại", "Dấu hiệu xâm nhập, mối nguy hại phát hiện", hunts},
		{"Rà quét lỗ hổng bảo mật", "Lỗ hổng, điểm yếu phát hiện", scans},
	} {
		b.h2(fmt.Sprintf("7.%d. %s", i+1, a.title))
		if !a.act.Known {
			b.p(NoData + ".")
			continue
		}
		if a.act.Count == 0 {
			b.p("Không thực hiện trong kỳ báo cáo.")
			continue
		}
		b.add(report.KeyValue{Pairs: [][2]string{
			{"Số lần thực hiện trong kỳ", strconv.Itoa(a.act.Count)},
			{"Số hệ thống được thực hiện", strconv.Itoa(a.act.Systems)},
			{a.found, strconv.Itoa(a.act.Findings)},
			{"Chưa xử lý xong đến cuối kỳ", strconv.Itoa(a.act.Open)},
			{"Lần thực hiện gần nhất", dmyOr(a.act.Last, NoData)},
		}})
	}
}

// 8: focal points.
func implFocalPoints(b *builder, fp FocalPoints) {
	b.h1("8. Đầu mối trao đổi, phối hợp nghiệp vụ")
	switch {
	case !fp.Known:
		b.p(NoData + ".")
		return
	case len(fp.Contacts) == 0:
		b.p("Chưa chỉ định đầu mối.")
		return
	}
	rows := make([][]string, len(fp.Contacts))
	for i, c := range fp.Contacts {
		who := c.Name
		if c.Title != "" {
			who += ", " + c.Title
		}
		rows[i] = []string{who, orDash(c.Unit), orDash(c.Role), orDash(c.Phone), orDash(c.Email)}
	}
	b.table([]string{"Họ và tên, chức vụ", "Đơn vị", "Nhiệm vụ đầu mối", "Điện thoại", "Thư điện tử"}, []float64{2.6, 2.2, 2.4, 1.6, 2.4}, rows)
}
