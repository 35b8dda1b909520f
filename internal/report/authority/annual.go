package authority

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/report"
)

// noSystems is printed in every section of a report without systems.
const noSystems = "Không có hệ thống thông tin nào thuộc phạm vi quản lý trong kỳ báo cáo."

// Annual builds the annual report of Circular 12/2022/TT-BTTTT Arts 13–14:
// the administrative frame, then one section per content item 1–11 of
// Art. 14, numbered as there. It does not validate d (see
// [AnnualData.Validate]); it prints whatever it is given.
func Annual(d AnnualData) report.Document {
	from, to := d.Period()
	if d.Year <= 0 && d.PeriodFrom.IsZero() && d.PeriodTo.IsZero() {
		from, to = time.Time{}, time.Time{}
	}
	org := orDots(d.Org.Name)
	var b builder
	annualParties(&b, d)
	annualSystems(&b, d.Systems)
	annualApproved(&b, d.Systems)
	annualPlans(&b, d.Systems)
	annualRegulation(&b, d.Systems)
	annualCompliance(&b, d.Systems)
	annualInspection(&b, d.Systems)
	annualAssessment(&b, d.Systems)
	annualPlanDetail(&b, d.Systems)
	annualRegulationDecisions(&b, d.Systems)
	b.h1("11. Các thông tin khác theo yêu cầu của cơ quan có thẩm quyền")
	b.p(orNone(d.Other))

	year := "……"
	if d.Year > 0 {
		year = strconv.Itoa(d.Year)
	}
	return frame{
		letter: d.Letter,
		org:    d.Org.Name,
		title:  []string{"Tình hình bảo đảm an toàn hệ thống thông tin theo cấp độ năm " + year},
		period: fmt.Sprintf("(Số liệu tính từ ngày %s đến ngày %s)", dmyOr(from, "……"), dmyOr(to, "……")),
		opening: "Thực hiện quy định tại Điều 13 và Điều 14 Thông tư số 12/2022/TT-BTTTT ngày 12/8/2022 " +
			"quy định chi tiết và hướng dẫn một số điều của Nghị định số 85/2016/NĐ-CP ngày 01/7/2016 của Chính phủ " +
			"về bảo đảm an toàn hệ thống thông tin theo cấp độ, " + org + " báo cáo tình hình bảo đảm an toàn " +
			"hệ thống thông tin theo cấp độ năm " + year + " như sau:",
		closing: "Trên đây là báo cáo tình hình bảo đảm an toàn hệ thống thông tin theo cấp độ năm " + year +
			" của " + org + "./.",
	}.document(b.blocks)
}

// Item 1: owner, specialised unit and operators.
func annualParties(b *builder, d AnnualData) {
	b.h1("1. Thông tin chung về chủ quản hệ thống thông tin, đơn vị chuyên trách về an toàn thông tin, đơn vị vận hành")
	b.h2("1.1. Chủ quản hệ thống thông tin")
	b.add(report.KeyValue{Pairs: partyPairs(d.Org)})
	b.h2("1.2. Đơn vị chuyên trách về an toàn thông tin")
	if d.SpecialisedUnit == (Party{}) {
		b.p(NoData + ".")
	} else {
		b.add(report.KeyValue{Pairs: partyPairs(d.SpecialisedUnit)})
	}
	b.h2("1.3. Đơn vị vận hành hệ thống thông tin")
	if len(d.Operators) == 0 {
		b.p(NoData + ".")
	}
	for i, op := range d.Operators {
		b.add(report.Heading{Level: 3, Text: fmt.Sprintf("%c) %s", 'a'+rune(i%26), orNoData(op.Name))})
		var ops []string
		for _, s := range d.Systems {
			if s.Operator == op.Name {
				ops = append(ops, systemName(s))
			}
		}
		pairs := partyPairs(op)
		if len(ops) > 0 {
			pairs = append(pairs, [2]string{"Hệ thống thông tin vận hành", strings.Join(ops, "; ")})
		}
		b.add(report.KeyValue{Pairs: pairs})
	}
}

// Item 2: the systems, their operator and proposed level.
func annualSystems(b *builder, systems []System) {
	b.h1("2. Danh sách các hệ thống thông tin thuộc phạm vi quản lý")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	b.p(fmt.Sprintf("Tổng số: %d hệ thống thông tin.", len(systems)))
	rows := make([][]string, len(systems))
	for i, s := range systems {
		rows[i] = []string{systemName(s), orNoData(s.Operator), levelCell(s.ProposedLevel)}
	}
	b.table([]string{"Tên hệ thống thông tin", "Đơn vị vận hành", "Cấp độ đề xuất"}, []float64{4, 3.5, 1.6}, rows)
}

// Item 3: systems whose level dossier is approved.
func annualApproved(b *builder, systems []System) {
	b.h1("3. Danh sách hệ thống thông tin được phê duyệt Hồ sơ đề xuất cấp độ")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	var rows [][]string
	var pending []string
	for _, s := range systems {
		if s.Approved {
			rows = append(rows, []string{systemName(s), levelCell(s.ApprovedLevel), decisionVI(s.DecisionNo, s.DecisionDate)})
		} else {
			pending = append(pending, systemName(s)+" — đề xuất "+strings.ToLower(levelVI(s.ProposedLevel)))
		}
	}
	b.p("Số hệ thống đã được phê duyệt Hồ sơ đề xuất cấp độ: " + countOf(len(rows), len(systems)) + ".")
	if len(rows) > 0 {
		b.table([]string{"Tên hệ thống thông tin", "Cấp độ được phê duyệt", "Quyết định phê duyệt"}, []float64{4, 1.8, 3.5}, rows)
	}
	if len(pending) > 0 {
		b.p("Hệ thống chưa được phê duyệt Hồ sơ đề xuất cấp độ:")
		b.list(pending...)
	}
}

// Item 4: implementation of the approved plans.
func annualPlans(b *builder, systems []System) {
	b.h1("4. Danh sách hệ thống thông tin đã triển khai đầy đủ, mới triển khai một phần hoặc chưa triển khai " +
		"các biện pháp bảo vệ theo phương án bảo đảm an toàn thông tin theo cấp độ đã được phê duyệt")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	count := map[PlanStatus]int{}
	var rows [][]string
	for _, s := range systems {
		if !s.Approved {
			continue
		}
		count[s.Plan]++
		rows = append(rows, []string{systemName(s), levelCell(s.ApprovedLevel), s.Plan.vi()})
	}
	if len(rows) == 0 {
		b.p("Chưa có hệ thống nào được phê duyệt phương án bảo đảm an toàn thông tin theo cấp độ.")
		return
	}
	b.p(fmt.Sprintf("Trong số %d hệ thống đã được phê duyệt Hồ sơ đề xuất cấp độ:", len(rows)))
	items := []string{
		fmt.Sprintf("Đã triển khai đầy đủ: %d hệ thống;", count[PlanFull]),
		fmt.Sprintf("Mới triển khai một phần: %d hệ thống;", count[PlanPartial]),
		fmt.Sprintf("Chưa triển khai: %d hệ thống.", count[PlanNone]),
	}
	if n := count[PlanUnknown]; n > 0 {
		items[2] = strings.TrimSuffix(items[2], ".") + ";"
		items = append(items, fmt.Sprintf("%s về tình trạng triển khai: %d hệ thống.", NoData, n))
	}
	b.list(items...)
	b.table([]string{"Tên hệ thống thông tin", "Cấp độ", "Tình trạng triển khai phương án"}, []float64{4, 1.2, 3.5}, rows)
}

// Item 5: systems with a security regulation.
func annualRegulation(b *builder, systems []System) {
	b.h1("5. Danh sách hệ thống thông tin có Quy chế bảo đảm an toàn thông tin theo quy định")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	rows := make([][]string, len(systems))
	n := 0
	for i, s := range systems {
		if s.Regulation == Yes {
			n++
		}
		rows[i] = []string{systemName(s), s.Regulation.say("Đã có Quy chế", "Chưa có Quy chế")}
	}
	b.p("Số hệ thống có Quy chế bảo đảm an toàn thông tin: " + countOf(n, len(systems)) + ".")
	b.table([]string{"Tên hệ thống thông tin", "Quy chế bảo đảm an toàn thông tin"}, []float64{5, 3.5}, rows)
}

// Item 6: systems whose operation complies with their regulation.
func annualCompliance(b *builder, systems []System) {
	b.h1("6. Danh sách hệ thống thông tin tuân thủ các quy định, quy trình trong Quy chế bảo đảm an toàn thông tin " +
		"trong quá trình vận hành, khai thác, kết thúc hoặc hủy bỏ hệ thống thông tin")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	rows := make([][]string, len(systems))
	n := 0
	for i, s := range systems {
		cell := s.Compliant.say("Tuân thủ", "Chưa tuân thủ đầy đủ")
		switch {
		case s.Regulation == No:
			cell = "Chưa có Quy chế"
		case s.Compliant == Yes:
			n++
		}
		rows[i] = []string{systemName(s), cell}
	}
	b.p("Số hệ thống tuân thủ Quy chế bảo đảm an toàn thông tin: " + countOf(n, len(systems)) + ".")
	b.table([]string{"Tên hệ thống thông tin", "Tuân thủ Quy chế"}, []float64{5, 3.5}, rows)
}

// Item 7: systems inspected or assessed.
func annualInspection(b *builder, systems []System) {
	b.h1("7. Danh sách hệ thống thông tin được kiểm tra, đánh giá theo quy định")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	rows := make([][]string, len(systems))
	n := 0
	for i, s := range systems {
		if s.Inspected == Yes {
			n++
		}
		last, by := "—", "—"
		if s.Inspected != No {
			last, by = dmyOr(s.LastInspection, "—"), orDash(s.Inspector)
		}
		rows[i] = []string{systemName(s), s.Inspected.say("Đã kiểm tra, đánh giá", "Chưa kiểm tra, đánh giá"), last, by}
	}
	b.p("Số hệ thống được kiểm tra, đánh giá trong kỳ: " + countOf(n, len(systems)) + ".")
	b.table([]string{"Tên hệ thống thông tin", "Kiểm tra, đánh giá", "Lần gần nhất", "Đơn vị thực hiện"}, []float64{3.6, 2.2, 1.6, 2.6}, rows)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// totals sums a system's group results; ok is false when it has none.
func totals(s System) (g GroupResult, ok bool) {
	for _, r := range s.Groups {
		g.Met += r.Met
		g.Partial += r.Partial
		g.NotMet += r.NotMet
		g.NotApplicable += r.NotApplicable
		g.Total += r.total()
	}
	return g, len(s.Groups) > 0
}

// resultCells are the counts of a group result and its share met out of the
// applicable requirements.
func resultCells(g GroupResult) []string {
	return []string{
		strconv.Itoa(g.Met), strconv.Itoa(g.Partial), strconv.Itoa(g.NotMet),
		strconv.Itoa(g.NotApplicable), strconv.Itoa(g.unassessed()), strconv.Itoa(g.total()),
		percentVI(g.Met, g.total()-g.NotApplicable),
	}
}

var resultHeader = []string{"Đạt", "Đạt một phần", "Chưa đạt", "Không áp dụng", "Chưa đánh giá", "Tổng số", "Tỷ lệ đạt"}

// Item 8: the assessment of plan implementation, requirement group by group.
func annualAssessment(b *builder, systems []System) {
	b.h1("8. Đánh giá về việc triển khai các biện pháp bảo đảm an toàn thông tin theo phương án được phê duyệt " +
		"trong Hồ sơ đề xuất cấp độ theo từng tiêu chí, yêu cầu")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	b.p("Tổng hợp kết quả đánh giá các yêu cầu (số yêu cầu; tỷ lệ đạt tính trên số yêu cầu áp dụng):")
	rows := make([][]string, len(systems))
	for i, s := range systems {
		if t, ok := totals(s); ok {
			rows[i] = append([]string{systemName(s)}, resultCells(t)...)
		} else {
			rows[i] = []string{systemName(s), NoData}
		}
	}
	widths := []float64{3.2, 1, 1.2, 1.1, 1.2, 1.2, 1, 1.1}
	b.table(append([]string{"Hệ thống thông tin"}, resultHeader...), widths, rows)
	n := 0
	for _, s := range systems {
		if len(s.Groups) == 0 {
			continue
		}
		n++
		b.h2(fmt.Sprintf("8.%d. %s — %s", n, systemName(s), strings.ToLower(levelVI(s.level()))))
		gr := make([][]string, len(s.Groups))
		for j, g := range s.Groups {
			gr[j] = append([]string{g.Name}, resultCells(g)...)
		}
		b.table(append([]string{"Nhóm tiêu chí, yêu cầu"}, resultHeader...), widths, gr)
	}
}

// Item 9: the approval decision and the plan requirement by requirement,
// with the roadmap for what is not met.
func annualPlanDetail(b *builder, systems []System) {
	b.h1("9. Thông tin Quyết định phê duyệt Hồ sơ đề xuất cấp độ, phương án bảo đảm an toàn thông tin " +
		"được phê duyệt theo từng tiêu chí, yêu cầu")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	n := 0
	for _, s := range systems {
		if !s.Approved {
			continue
		}
		n++
		b.h2(fmt.Sprintf("9.%d. %s", n, systemName(s)))
		t, ok := totals(s)
		overall := NoData
		if ok {
			if t.fullyMet() {
				overall = "Đã đáp ứng đầy đủ"
			} else {
				overall = fmt.Sprintf("Chưa đáp ứng đầy đủ (%d chưa đạt, %d đạt một phần, %d chưa đánh giá)", t.NotMet, t.Partial, t.unassessed())
			}
		}
		b.add(report.KeyValue{Pairs: [][2]string{
			{"Quyết định phê duyệt", decisionVI(s.DecisionNo, s.DecisionDate)},
			{"Cấp độ được phê duyệt", levelVI(s.ApprovedLevel)},
			{"Tình trạng triển khai phương án", s.Plan.vi()},
			{"Mức độ đáp ứng các tiêu chí, yêu cầu", overall},
		}})
		if ok {
			rows := make([][]string, len(s.Groups))
			for j, g := range s.Groups {
				state := "Đã đáp ứng đầy đủ"
				if !g.fullyMet() {
					state = "Chưa đáp ứng đầy đủ"
				}
				rows[j] = []string{g.Name, state}
			}
			b.table([]string{"Nhóm tiêu chí, yêu cầu", "Kết quả"}, []float64{5, 3}, rows)
		}
		switch {
		case len(s.Unmet) > 0:
			b.p("Kế hoạch, lộ trình hoàn thiện các tiêu chí, yêu cầu chưa đáp ứng:")
			b.table(unmetHeader, []float64{1.6, 3.4, 1.5, 3, 1.4, 1.8}, unmetRows(s.Unmet))
		case ok && !t.fullyMet():
			b.p("Kế hoạch, lộ trình hoàn thiện các tiêu chí, yêu cầu chưa đáp ứng: " + NoData + ".")
		}
	}
	if n == 0 {
		b.p("Chưa có hệ thống nào được phê duyệt Hồ sơ đề xuất cấp độ.")
	}
}

var unmetHeader = []string{"Mã yêu cầu", "Tiêu chí, yêu cầu", "Tình trạng", "Kế hoạch, lộ trình hoàn thiện", "Thời hạn", "Đơn vị chủ trì"}

func unmetRows(items []UnmetItem) [][]string {
	rows := make([][]string, len(items))
	for i, u := range items {
		rows[i] = []string{orDash(u.RequirementID), orDash(u.Title), unmetStatus(u), orNoData(u.Action), dmyOr(u.Due, NoData), orNoData(u.Owner)}
	}
	return rows
}

func unmetStatus(u UnmetItem) string {
	if u.Partial {
		return "Đáp ứng một phần"
	}
	return "Chưa đáp ứng"
}

// Item 10: the decisions issuing the security regulations.
func annualRegulationDecisions(b *builder, systems []System) {
	b.h1("10. Thông tin Quyết định ban hành và Quy chế bảo đảm an toàn thông tin")
	if len(systems) == 0 {
		b.p(noSystems)
		return
	}
	var rows [][]string
	for _, s := range systems {
		if s.Regulation == Yes {
			rows = append(rows, []string{systemName(s), decisionVI(s.RegulationDecision, s.RegulationDate)})
		}
	}
	if len(rows) == 0 {
		b.p("Chưa có hệ thống nào được ghi nhận đã ban hành Quy chế bảo đảm an toàn thông tin.")
		return
	}
	b.table([]string{"Tên hệ thống thông tin", "Quyết định ban hành Quy chế"}, []float64{4.5, 4}, rows)
}
