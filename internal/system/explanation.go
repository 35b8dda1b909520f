package system

import (
	"context"
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/report"
)

// Explanation builds the dossier explanation (thuyết minh hồ sơ đề xuất cấp
// độ) in Vietnamese, following the pack's outline (Circular 12/2022 Art 8),
// prefilled from the system's profile, parties, the level engine's result
// and the dossier. Sections Khiên holds no data for carry the outline's
// guidance for the author to complete.
func (s *Service) Explanation(ctx context.Context, p *authz.Principal, dossierID int64) (report.Document, error) {
	d, _, _, err := s.Dossier(ctx, p, dossierID)
	if err != nil {
		return report.Document{}, err
	}
	sys, err := s.store.GetSystem(ctx, d.SystemID)
	if err != nil {
		return report.Document{}, err
	}
	pack, err := s.Pack(d.PackID)
	if err != nil {
		return report.Document{}, err
	}
	res, err := s.Assess(ctx, sys)
	if err != nil {
		return report.Document{}, err
	}
	return buildExplanation(pack, sys, d, res, s.now()), nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "…"
	}
	return s
}

func partyPairs(pt Party) [][2]string {
	return [][2]string{
		{"Tên cơ quan, tổ chức", orDash(pt.Name)},
		{"Người đại diện", orDash(pt.Representative)},
		{"Chức vụ", orDash(pt.Title)},
		{"Địa chỉ", orDash(pt.Address)},
		{"Điện thoại", orDash(pt.Phone)},
		{"Thư điện tử", orDash(pt.Email)},
	}
}

var statusVI = map[Status]string{Planned: "Đang thiết kế, xây dựng", Operating: "Đang vận hành", Retired: "Đã dừng vận hành"}
var hostingVI = map[Hosting]string{OnPremises: "Tại trụ sở", DataCentre: "Trung tâm dữ liệu", Cloud: "Điện toán đám mây", Hybrid: "Kết hợp"}

func buildExplanation(pack *regulation.Pack, sys System, d Dossier, res regulation.Result, now time.Time) report.Document {
	doc := report.Document{
		Header: report.Header{
			Left:  []string{strings.ToUpper(orDash(sys.Owner.Name)), strings.ToUpper(orDash(sys.Operator.Name))},
			Right: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"},
		},
		Title:    "THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ",
		Subtitle: fmt.Sprintf("Hệ thống thông tin: %s (%s) — đề xuất cấp độ %d", sys.Name, sys.Code, d.Level),
		Meta:     report.Meta{Author: "Khiên", Created: now, Language: "vi"},
	}
	var walk func(secs []regulation.OutlineSection, depth int)
	walk = func(secs []regulation.OutlineSection, depth int) {
		for _, sec := range secs {
			doc.Blocks = append(doc.Blocks, report.Heading{Level: min(depth, 3), Text: sec.Heading.VI})
			if blocks := fillSection(pack, sec.Key, sys, d, res); len(blocks) > 0 {
				doc.Blocks = append(doc.Blocks, blocks...)
			} else if len(sec.Sections) == 0 && sec.Guidance.VI != "" {
				doc.Blocks = append(doc.Blocks, report.Paragraph{Text: "[Cần bổ sung] " + sec.Guidance.VI, Italic: true})
			}
			walk(sec.Sections, depth+1)
		}
	}
	walk(pack.DossierOutlineFor(res), 1)
	doc.Blocks = append(doc.Blocks, report.Paragraph{
		Text:   fmt.Sprintf("Căn cứ: %s. Tài liệu do Khiên lập ngày %s từ hồ sơ hệ thống; người lập kiểm tra, bổ sung trước khi trình.", pack.Title().VI, report.DateVI(now)),
		Italic: true,
	}, report.Signature{Place: "", Date: report.DateVI(now), Role: "ĐẠI DIỆN ĐƠN VỊ VẬN HÀNH", Name: ""})
	return doc
}

// fillSection returns the blocks Khiên can fill for an outline key.
func fillSection(pack *regulation.Pack, key string, sys System, d Dossier, res regulation.Result) []report.Block {
	switch key {
	case "owner_information":
		return []report.Block{report.KeyValue{Pairs: partyPairs(sys.Owner)}}
	case "operator_information":
		return []report.Block{report.KeyValue{Pairs: partyPairs(sys.Operator)}}
	case "system_description":
		st, _ := pack.SystemType(sys.Profile.SystemType)
		var infos []string
		for _, id := range sys.Profile.InfoTypes {
			if it, ok := pack.InfoType(id); ok {
				infos = append(infos, it.Name.VI)
			}
		}
		pairs := [][2]string{
			{"Tên hệ thống", sys.Name},
			{"Mã hệ thống", sys.Code},
			{"Loại hệ thống (Điều 6 khoản 2)", orDash(st.Name.VI)},
			{"Thông tin xử lý (Điều 6 khoản 1)", orDash(strings.Join(infos, "; "))},
			{"Trạng thái", statusVI[sys.Status]},
			{"Nơi đặt hệ thống", hostingVI[sys.Hosting]},
			{"Phạm vi, quy mô, đối tượng phục vụ", orDash(sys.Scope)},
		}
		if sys.Profile.DataSubjects > 0 {
			pairs = append(pairs, [2]string{"Số người sử dụng có thông tin riêng, thông tin cá nhân được xử lý", fmt.Sprint(sys.Profile.DataSubjects)})
		}
		blocks := []report.Block{report.KeyValue{Pairs: pairs}}
		if sys.Description != "" {
			blocks = append(blocks, report.Paragraph{Text: sys.Description, Align: report.AlignJustify})
		}
		return blocks
	case "system_level_list":
		var basis []string
		for _, m := range res.Matches {
			basis = append(basis, m.CriterionID+" ("+m.Source.Citation.VI+")")
		}
		return []report.Block{report.Table{
			Header: []string{"STT", "Hệ thống thông tin", "Cấp độ đề xuất", "Căn cứ"},
			Rows:   [][]string{{"1", sys.Name + " (" + sys.Code + ")", fmt.Sprint(d.Level), orDash(strings.Join(basis, "; "))}},
			Widths: []float64{1, 5, 2, 6},
		}}
	case "level_proposal_rationale":
		blocks := []report.Block{}
		if d.Rationale != "" {
			blocks = append(blocks, report.Paragraph{Text: d.Rationale, Align: report.AlignJustify})
		}
		var items []string
		for _, m := range res.Matches {
			items = append(items, fmt.Sprintf("%s — %s (cấp độ %d; %s)", m.Source.Citation.VI, m.Text.VI, m.Level, m.CriterionID))
		}
		if len(items) > 0 {
			blocks = append(blocks, report.Paragraph{Text: "Hệ thống đáp ứng các tiêu chí sau:"}, report.List{Items: items})
		}
		if res.NeedsReview {
			blocks = append(blocks, report.Paragraph{Text: "Lưu ý: kết quả dựa trên tiêu chí chưa được xác minh đầy đủ, cần rà soát trước khi trình.", Italic: true})
		}
		return blocks
	case "security_plan":
		var items []string
		for _, pp := range pack.SecurityPlanParts() {
			items = append(items, pp.Name.VI)
		}
		if len(items) == 0 {
			return nil
		}
		return []report.Block{report.Paragraph{Text: "Phương án bảo đảm an toàn hệ thống thông tin gồm các nội dung:"}, report.List{Items: items, Ordered: true}}
	}
	return nil
}
