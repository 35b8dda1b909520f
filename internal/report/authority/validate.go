package authority

import (
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// Problem is one thing wrong with the data of a report: the field at fault
// (a path such as "systems[2].approved_level") and the message in English
// and in Vietnamese, ready to show to the user.
type Problem struct {
	Field string
	EN    string
	VI    string
}

// ValidationError lists every problem Validate found. It matches
// errs.ErrInvalid; use errors.As to get the problems for display.
type ValidationError struct {
	Problems []Problem
}

// Error returns the English messages, each prefixed with its field.
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Field + ": " + p.EN
	}
	return "authority report: " + strings.Join(msgs, "; ")
}

// Unwrap returns errs.ErrInvalid, so that errors.Is(err, errs.ErrInvalid)
// holds.
func (e *ValidationError) Unwrap() error { return errs.ErrInvalid }

// problems collects Problems.
type problems []Problem

func (ps *problems) add(field, en, vi string) {
	*ps = append(*ps, Problem{Field: field, EN: en, VI: vi})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// Validate reports every problem of d as a *ValidationError, or nil: the
// year is set, the period (if given) is complete and ordered, the reporting
// organisation has a name, and every system is consistent.
func (d AnnualData) Validate() error {
	var ps problems
	if d.Year < 2016 || d.Year > 9999 {
		ps.add("year", fmt.Sprintf("report year %d is not set or before 2016", d.Year),
			fmt.Sprintf("Năm báo cáo (%d) chưa được nhập hoặc trước năm 2016", d.Year))
	}
	if !d.PeriodFrom.IsZero() || !d.PeriodTo.IsZero() {
		checkPeriod(&ps, d.PeriodFrom, d.PeriodTo)
	}
	checkCommon(&ps, d.Org, d.Letter, d.Systems)
	for i, op := range d.Operators {
		if strings.TrimSpace(op.Name) == "" {
			ps.add(fmt.Sprintf("operators[%d].name", i), "operator has no name", fmt.Sprintf("Đơn vị vận hành thứ %d chưa có tên", i+1))
		}
	}
	return ps.err()
}

// Validate reports every problem of d as a *ValidationError, or nil: the
// period is complete and ordered, the reporting organisation has a name,
// every system is consistent and the counts add up.
func (d ImplementationData) Validate() error {
	var ps problems
	checkPeriod(&ps, d.PeriodFrom, d.PeriodTo)
	checkCommon(&ps, d.Org, d.Letter, d.Systems)
	if d.Incidents.Known {
		in := d.Incidents
		for i, s := range in.BySeverity {
			if s.Count < 0 {
				ps.add(fmt.Sprintf("incidents.by_severity[%d].count", i), "incident count is negative", "Số sự cố không được âm")
			}
			if strings.TrimSpace(s.Severity) == "" {
				ps.add(fmt.Sprintf("incidents.by_severity[%d].severity", i), "severity has no label", "Mức độ sự cố chưa có tên")
			}
		}
		switch {
		case in.OnTime < 0 || in.Late < 0 || in.NotReported < 0:
			ps.add("incidents.reported", "reporting counts are negative", "Số sự cố đã báo cáo không được âm")
		case in.OnTime+in.Late+in.NotReported > in.total():
			ps.add("incidents.reported", fmt.Sprintf("%d incidents to report but only %d incidents in total", in.OnTime+in.Late+in.NotReported, in.total()),
				fmt.Sprintf("Số sự cố phải báo cáo (%d) lớn hơn tổng số sự cố (%d)", in.OnTime+in.Late+in.NotReported, in.total()))
		}
	}
	for _, a := range []struct {
		field, vi string
		act       Activity
	}{{"hunts", "săn lùng mối nguy hại", d.Hunts}, {"scans", "rà quét lỗ hổng", d.Scans}} {
		if !a.act.Known {
			continue
		}
		if a.act.Count < 0 || a.act.Systems < 0 || a.act.Findings < 0 || a.act.Open < 0 {
			ps.add(a.field, "counts are negative", "Số liệu "+a.vi+" không được âm")
		} else if a.act.Open > a.act.Findings {
			ps.add(a.field+".open", "more open findings than findings", "Số phát hiện chưa xử lý ("+a.vi+") lớn hơn tổng số phát hiện")
		}
	}
	for i, c := range d.FocalPoints.Contacts {
		if strings.TrimSpace(c.Name) == "" {
			ps.add(fmt.Sprintf("focal_points[%d].name", i), "focal point has no name", fmt.Sprintf("Đầu mối thứ %d chưa có họ tên", i+1))
		}
	}
	return ps.err()
}

func checkPeriod(ps *problems, from, to time.Time) {
	switch {
	case from.IsZero() || to.IsZero():
		ps.add("period", "the period needs both a first and a last day", "Kỳ báo cáo cần có cả ngày bắt đầu và ngày kết thúc")
	case civil(from).After(civil(to)):
		ps.add("period", fmt.Sprintf("the period starts (%s) after it ends (%s)", dmy(from), dmy(to)),
			fmt.Sprintf("Ngày bắt đầu kỳ báo cáo (%s) sau ngày kết thúc (%s)", dmy(from), dmy(to)))
	}
}

func checkCommon(ps *problems, org Party, l Letter, systems []System) {
	if strings.TrimSpace(org.Name) == "" {
		ps.add("org.name", "the reporting organisation has no name", "Chưa có tên cơ quan, tổ chức báo cáo")
	}
	for i, r := range l.Recipients {
		if strings.TrimSpace(r) == "" {
			ps.add(fmt.Sprintf("letter.recipients[%d]", i), "recipient is empty", "Nơi nhận báo cáo (Kính gửi) để trống")
		}
	}
	codes := map[string]int{}
	for i, s := range systems {
		f := func(name string) string { return fmt.Sprintf("systems[%d].%s", i, name) }
		who := fmt.Sprintf("Hệ thống thứ %d", i+1)
		if s.Name != "" {
			who = "Hệ thống " + s.Name
		}
		if strings.TrimSpace(s.Name) == "" {
			ps.add(f("name"), "system has no name", who+" chưa có tên")
		}
		if s.Code != "" {
			if j, dup := codes[s.Code]; dup {
				ps.add(f("code"), fmt.Sprintf("code %q is also used by system %d", s.Code, j+1),
					fmt.Sprintf("Mã hệ thống %q trùng với hệ thống thứ %d", s.Code, j+1))
			} else {
				codes[s.Code] = i
			}
		}
		if s.ProposedLevel < 0 || s.ProposedLevel > 5 {
			ps.add(f("proposed_level"), fmt.Sprintf("proposed level %d is not 1–5 (or 0 for not determined)", s.ProposedLevel),
				fmt.Sprintf("%s: cấp độ đề xuất %d không thuộc 1–5", who, s.ProposedLevel))
		}
		switch {
		case s.Approved && (s.ApprovedLevel < 1 || s.ApprovedLevel > 5):
			ps.add(f("approved_level"), fmt.Sprintf("approved, but approved level %d is not 1–5", s.ApprovedLevel),
				fmt.Sprintf("%s: đã phê duyệt nhưng cấp độ được phê duyệt (%d) không thuộc 1–5", who, s.ApprovedLevel))
		case !s.Approved && (s.ApprovedLevel != 0 || s.DecisionNo != ""):
			ps.add(f("approved"), "has an approved level or decision but is not marked approved",
				who+": có cấp độ hoặc quyết định phê duyệt nhưng chưa đánh dấu đã phê duyệt")
		}
		if s.Plan < PlanUnknown || s.Plan > PlanFull {
			ps.add(f("plan"), fmt.Sprintf("unknown plan status %d", s.Plan), fmt.Sprintf("%s: tình trạng triển khai phương án không hợp lệ (%d)", who, s.Plan))
		}
		for _, a := range []struct {
			name string
			val  Answer
		}{
			{"regulation", s.Regulation}, {"compliant", s.Compliant}, {"inspected", s.Inspected}, {"backup", s.Backup},
			{"layers.on_site", s.Layers.OnSite.Status}, {"layers.monitoring", s.Layers.Monitoring.Status},
			{"layers.inspection", s.Layers.Inspection.Status}, {"layers.national", s.Layers.National.Status},
		} {
			if a.val < Unknown || a.val > No {
				ps.add(f(a.name), fmt.Sprintf("unknown answer %d", a.val), fmt.Sprintf("%s: giá trị không hợp lệ (%d) ở mục %s", who, a.val, a.name))
			}
		}
		for j, g := range s.Groups {
			gf := f(fmt.Sprintf("groups[%d]", j))
			sum := g.Met + g.Partial + g.NotMet + g.NotApplicable
			switch {
			case g.Met < 0 || g.Partial < 0 || g.NotMet < 0 || g.NotApplicable < 0 || g.Total < 0:
				ps.add(gf, "counts are negative", fmt.Sprintf("%s, nhóm %q: số liệu không được âm", who, g.Name))
			case g.Total > 0 && sum > g.Total:
				ps.add(gf, fmt.Sprintf("%d results but only %d requirements", sum, g.Total),
					fmt.Sprintf("%s, nhóm %q: tổng kết quả (%d) lớn hơn số yêu cầu (%d)", who, g.Name, sum, g.Total))
			}
			if strings.TrimSpace(g.Name) == "" {
				ps.add(gf+".name", "group has no name", who+": nhóm yêu cầu chưa có tên")
			}
		}
		for j, u := range s.Unmet {
			if strings.TrimSpace(u.Title) == "" && strings.TrimSpace(u.RequirementID) == "" {
				ps.add(f(fmt.Sprintf("unmet[%d]", j)), "unmet requirement has neither ID nor title",
					who+": yêu cầu chưa đáp ứng thiếu cả mã và nội dung")
			}
		}
	}
}
