package compliance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
)

// Assessment methods (Circular 12 Art 11.3).
var Methods = []string{"black_box", "grey_box", "white_box"}

func engTarget(id int64) string { return "engagement:" + strconv.FormatInt(id, 10) }

// checkEngagement validates e and that p may assess it and see its systems.
func (s *Service) checkEngagement(ctx context.Context, p *authz.Principal, e *Engagement) error {
	if err := p.Authorize(authz.PermAssessmentWrite, e.UnitID); err != nil {
		return err
	}
	e.Title, e.Assessor = strings.TrimSpace(e.Title), strings.TrimSpace(e.Assessor)
	e.Scope, e.Summary = strings.TrimSpace(e.Scope), strings.TrimSpace(e.Summary)
	switch {
	case e.Title == "" || utf8.RuneCountInString(e.Title) > 300:
		return errs.Invalid("title", "err.engagement_title")
	case e.Start.IsZero() || e.End.IsZero() || e.End.Before(e.Start):
		return errs.Invalid("end", "err.engagement_dates")
	case e.Method != "" && !slices.Contains(Methods, e.Method):
		return errs.Invalid("method", "err.engagement_method")
	case !slices.Contains(EngagementStatuses, e.Status):
		return errs.Invalid("status", "err.engagement_status")
	case len(e.SystemIDs) == 0:
		return errs.Invalid("systems", "err.engagement_systems")
	case utf8.RuneCountInString(e.Scope) > 8000 || utf8.RuneCountInString(e.Summary) > 20000:
		return errs.Invalid("summary", "err.too_long")
	}
	for _, id := range e.SystemIDs {
		sys, err := s.systems.GetSystem(ctx, id)
		if err != nil {
			return errs.Invalid("systems", "err.engagement_systems")
		}
		if err := p.Authorize(authz.PermSystemRead, sys.UnitID); err != nil {
			return err
		}
	}
	return nil
}

// CreateEngagement opens an independent-assessment engagement.
func (s *Service) CreateEngagement(ctx context.Context, p *authz.Principal, e Engagement) (Engagement, error) {
	if e.Status == "" {
		e.Status = EngagementPlanned
	}
	if err := s.checkEngagement(ctx, p, &e); err != nil {
		return Engagement{}, err
	}
	e.ID, e.CreatedBy = 0, p.Username
	e.CreatedAt = s.now().UTC()
	e.UpdatedAt = e.CreatedAt
	if err := s.store.CreateEngagement(ctx, &e); err != nil {
		return Engagement{}, err
	}
	s.record(ctx, p, "engagement.create", e.UnitID, engTarget(e.ID), e.Title)
	return e, nil
}

// UpdateEngagement changes an engagement. Closing it records the periodic
// inspection of each system in the calendar, on the engagement's end date.
func (s *Service) UpdateEngagement(ctx context.Context, p *authz.Principal, e Engagement) (Engagement, error) {
	old, err := s.store.GetEngagement(ctx, e.ID)
	if err != nil {
		return Engagement{}, err
	}
	if err := p.Authorize(authz.PermAssessmentWrite, old.UnitID); err != nil {
		return Engagement{}, err
	}
	if err := s.checkEngagement(ctx, p, &e); err != nil {
		return Engagement{}, err
	}
	e.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateEngagement(ctx, &e); err != nil {
		return Engagement{}, err
	}
	if e.Status == EngagementClosed && old.Status != EngagementClosed {
		if err := s.creditInspections(ctx, p, e); err != nil {
			return Engagement{}, err
		}
	}
	s.record(ctx, p, "engagement.update", e.UnitID, engTarget(e.ID), e.Title+" status="+e.Status)
	return e, nil
}

// creditInspections records the inspection obligations that a closed
// engagement fulfils for its systems.
func (s *Service) creditInspections(ctx context.Context, p *authz.Principal, e Engagement) error {
	for _, id := range e.SystemIDs {
		sys, err := s.systems.GetSystem(ctx, id)
		if err != nil {
			return err
		}
		obs, err := s.Obligations(sys)
		if err != nil {
			return err
		}
		level, _ := Basis(sys)
		for _, o := range obs {
			if !o.AppliesTo(level) || !strings.HasPrefix(o.ID, "inspection_") {
				continue
			}
			c := Completion{SystemID: sys.ID, ObligationID: o.ID, DoneAt: e.End,
				Note:         fmt.Sprintf("Engagement #%d: %s (%s)", e.ID, e.Title, e.Assessor),
				RecordedByID: p.UserID, RecordedBy: p.Username, CreatedAt: s.now().UTC()}
			if err := s.store.CreateCompletion(ctx, &c); err != nil {
				return err
			}
		}
	}
	return nil
}

// Engagements lists the engagements p may see.
func (s *Service) Engagements(ctx context.Context, p *authz.Principal) ([]Engagement, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	var units []int64
	if !p.All {
		units = p.ScopeList()
	}
	return s.store.ListEngagements(ctx, units, 0)
}

// Engagement returns an engagement p may see, with its findings.
func (s *Service) Engagement(ctx context.Context, p *authz.Principal, id int64) (Engagement, []Finding, error) {
	e, err := s.store.GetEngagement(ctx, id)
	if err != nil {
		return Engagement{}, nil, err
	}
	if err := p.Authorize(authz.PermSystemRead, e.UnitID); err != nil {
		return Engagement{}, nil, err
	}
	f, err := s.store.ListFindings(ctx, id)
	return e, f, err
}

func (s *Service) checkFinding(ctx context.Context, p *authz.Principal, e Engagement, f *Finding) error {
	if err := p.Authorize(authz.PermAssessmentWrite, e.UnitID); err != nil {
		return err
	}
	f.Title, f.RequirementID = strings.TrimSpace(f.Title), strings.TrimSpace(f.RequirementID)
	f.Description, f.Recommendation = strings.TrimSpace(f.Description), strings.TrimSpace(f.Recommendation)
	if f.Status == "" {
		f.Status = "open"
	}
	switch {
	case f.Title == "" || utf8.RuneCountInString(f.Title) > 300:
		return errs.Invalid("title", "err.finding_title")
	case !slices.Contains(Severities, f.Severity):
		return errs.Invalid("severity", "err.finding_severity")
	case !slices.Contains(FindingStatuses, f.Status):
		return errs.Invalid("status", "err.finding_status")
	case !slices.Contains(e.SystemIDs, f.SystemID):
		return errs.Invalid("system_id", "err.finding_system")
	case utf8.RuneCountInString(f.Description) > 20000 || utf8.RuneCountInString(f.Recommendation) > 20000:
		return errs.Invalid("description", "err.too_long")
	}
	if f.RequirementID != "" {
		sys, err := s.systems.GetSystem(ctx, f.SystemID)
		if err != nil {
			return err
		}
		pack, err := s.Pack(sys)
		if err != nil {
			return err
		}
		if _, ok := pack.Requirement(f.RequirementID); !ok {
			return errs.Invalid("requirement_id", "err.finding_requirement")
		}
	}
	return nil
}

// AddFinding records a finding of an engagement.
func (s *Service) AddFinding(ctx context.Context, p *authz.Principal, engagementID int64, f Finding) (Finding, error) {
	e, err := s.store.GetEngagement(ctx, engagementID)
	if err != nil {
		return Finding{}, err
	}
	f.EngagementID = e.ID
	if err := s.checkFinding(ctx, p, e, &f); err != nil {
		return Finding{}, err
	}
	f.ID, f.CreatedBy = 0, p.Username
	f.CreatedAt = s.now().UTC()
	f.UpdatedAt = f.CreatedAt
	if err := s.store.CreateFinding(ctx, &f); err != nil {
		return Finding{}, err
	}
	s.record(ctx, p, "engagement.finding", e.UnitID, engTarget(e.ID), f.Severity+": "+f.Title)
	return f, nil
}

// Finding returns a finding p may see.
func (s *Service) Finding(ctx context.Context, p *authz.Principal, id int64) (Finding, error) {
	f, err := s.store.GetFinding(ctx, id)
	if err != nil {
		return Finding{}, err
	}
	e, err := s.store.GetEngagement(ctx, f.EngagementID)
	if err != nil {
		return Finding{}, err
	}
	if err := p.Authorize(authz.PermSystemRead, e.UnitID); err != nil {
		return Finding{}, err
	}
	return f, nil
}

// UpdateFinding changes a finding (severity, text, status).
func (s *Service) UpdateFinding(ctx context.Context, p *authz.Principal, f Finding) (Finding, error) {
	old, err := s.store.GetFinding(ctx, f.ID)
	if err != nil {
		return Finding{}, err
	}
	e, err := s.store.GetEngagement(ctx, old.EngagementID)
	if err != nil {
		return Finding{}, err
	}
	f.EngagementID, f.SystemID = old.EngagementID, old.SystemID
	if err := s.checkFinding(ctx, p, e, &f); err != nil {
		return Finding{}, err
	}
	f.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateFinding(ctx, &f); err != nil {
		return Finding{}, err
	}
	s.record(ctx, p, "engagement.finding_update", e.UnitID, engTarget(e.ID), f.Severity+": "+f.Title+" status="+f.Status)
	return f, nil
}

// EngagementReport builds the engagement report: scope, method, each
// system's requirement status, the findings by severity with their
// recommendations, and the conclusion.
func (s *Service) EngagementReport(ctx context.Context, p *authz.Principal, id int64) (report.Document, error) {
	e, findings, err := s.Engagement(ctx, p, id)
	if err != nil {
		return report.Document{}, err
	}
	doc := report.Document{
		Title:    "BÁO CÁO KẾT QUẢ KIỂM TRA, ĐÁNH GIÁ AN TOÀN HỆ THỐNG THÔNG TIN",
		Subtitle: e.Title,
		Meta:     report.Meta{Language: "vi", Created: s.now(), Author: "Khiên"},
	}
	method := map[string]string{"black_box": "hộp đen", "grey_box": "hộp xám", "white_box": "hộp trắng"}[e.Method]
	doc.Blocks = append(doc.Blocks,
		report.Heading{Level: 1, Text: "1. Thông tin chung"},
		report.KeyValue{Pairs: [][2]string{
			{"Tổ chức kiểm tra, đánh giá", orDash(e.Assessor)},
			{"Thời gian", report.DateVI(e.Start) + " – " + report.DateVI(e.End)},
			{"Phương thức kiểm thử (Điều 11.3 Thông tư 12/2022/TT-BTTTT)", orDash(method)},
			{"Phạm vi", orDash(e.Scope)},
			{"Trạng thái", map[string]string{EngagementPlanned: "Kế hoạch", EngagementFieldwork: "Đang kiểm tra",
				EngagementReporting: "Lập báo cáo", EngagementClosed: "Đã kết thúc"}[e.Status]},
		}},
		report.Heading{Level: 1, Text: "2. Hệ thống được kiểm tra, đánh giá"},
	)
	rows := [][]string{}
	for _, sid := range e.SystemIDs {
		sys, err := s.systems.GetSystem(ctx, sid)
		if err != nil {
			return report.Document{}, err
		}
		v, err := s.set(ctx, sys)
		if err != nil {
			return report.Document{}, err
		}
		level := "—"
		if v.Level > 0 {
			level = strconv.Itoa(v.Level)
			if v.Provisional {
				level += " (đề xuất)"
			}
		}
		rows = append(rows, []string{sys.Code + " — " + sys.Name, level, strconv.Itoa(v.Summary.Met),
			strconv.Itoa(v.Summary.Partial), strconv.Itoa(v.Summary.NotMet), strconv.Itoa(v.Summary.Open),
			strconv.Itoa(v.Summary.NotApplicable), strconv.Itoa(v.Summary.Total)})
	}
	doc.Blocks = append(doc.Blocks, report.Table{
		Header: []string{"Hệ thống", "Cấp độ", "Đáp ứng", "Một phần", "Chưa đáp ứng", "Chưa đánh giá", "Không áp dụng", "Tổng"},
		Rows:   rows, Widths: []float64{3, 1, 1, 1, 1, 1, 1, 1}})
	doc.Blocks = append(doc.Blocks, report.Heading{Level: 1, Text: "3. Phát hiện và khuyến nghị"})
	sev := map[string]string{"critical": "Nghiêm trọng", "high": "Cao", "medium": "Trung bình", "low": "Thấp"}
	st := map[string]string{"open": "Chưa khắc phục", "accepted": "Chấp nhận rủi ro", "resolved": "Đã khắc phục"}
	sorted := slices.Clone(findings)
	slices.SortStableFunc(sorted, func(a, b Finding) int {
		return slices.Index(Severities, b.Severity) - slices.Index(Severities, a.Severity)
	})
	if len(sorted) == 0 {
		doc.Blocks = append(doc.Blocks, report.Paragraph{Text: "Không có phát hiện."})
	} else {
		var frows [][]string
		for i, f := range sorted {
			code := strconv.FormatInt(f.SystemID, 10)
			if sys, err := s.systems.GetSystem(ctx, f.SystemID); err == nil {
				code = sys.Code
			}
			frows = append(frows, []string{strconv.Itoa(i + 1), code, sev[f.Severity], f.Title + descSuffix(f.Description),
				orDash(f.RequirementID), orDash(f.Recommendation), st[f.Status]})
		}
		doc.Blocks = append(doc.Blocks, report.Table{
			Header: []string{"STT", "Hệ thống", "Mức độ", "Phát hiện", "Yêu cầu", "Khuyến nghị", "Tình trạng"},
			Rows:   frows, Widths: []float64{0.5, 1, 1, 3, 1.5, 3, 1.2}})
	}
	doc.Blocks = append(doc.Blocks, report.Heading{Level: 1, Text: "4. Kết luận"},
		report.Paragraph{Text: orDash(e.Summary)},
		report.Signature{Role: "ĐẠI DIỆN TỔ CHỨC KIỂM TRA, ĐÁNH GIÁ", Name: e.Assessor, Date: report.DateVI(e.End)})
	return doc, nil
}

func descSuffix(d string) string {
	if d == "" {
		return ""
	}
	return "\n" + d
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
