package authority_test

import (
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/report/authority"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

const (
	operatorOffice = "Văn phòng Ủy ban nhân dân tỉnh Hà Tĩnh"
	operatorCentre = "Trung tâm Chuyển đổi số tỉnh Hà Tĩnh"
	assessor       = "Công ty Cổ phần Kiểm định An toàn thông tin Sông Lam"
)

// sampleSystems are three systems at levels 2, 3 and 4 with mixed results:
// the level-2 one fully implemented, the level-3 one partly (overdue against
// Directive 09) with a roadmap, the level-4 one without an approved dossier
// and with many facts not recorded.
func sampleSystems() []authority.System {
	return []authority.System{
		{
			Code: "QLVB", Name: "Hệ thống quản lý văn bản và điều hành", Operator: operatorOffice,
			ProposedLevel: 2, Approved: true, ApprovedLevel: 2, DecisionNo: "1024/QĐ-UBND", DecisionDate: day(2024, 5, 15),
			Plan: authority.PlanFull,
			Groups: []authority.GroupResult{
				{Name: "Yêu cầu quản lý", Met: 18, NotApplicable: 2, Total: 20},
				{Name: "Bảo đảm an toàn mạng", Met: 8, Total: 8},
				{Name: "Bảo đảm an toàn máy chủ", Met: 7},
				{Name: "Bảo đảm an toàn ứng dụng", Met: 5, Total: 5},
				{Name: "Bảo đảm an toàn dữ liệu", Met: 2, Total: 2},
			},
			Regulation: authority.Yes, RegulationDecision: "1025/QĐ-UBND", RegulationDate: day(2024, 5, 15),
			Compliant: authority.Yes,
			Inspected: authority.Yes, LastInspection: day(2026, 10, 10), Inspector: operatorCentre,
			Layers: authority.Layers{
				OnSite:     authority.Layer{Status: authority.Yes, Provider: operatorCentre},
				Monitoring: authority.Layer{Status: authority.Yes, Provider: "Công ty TNHH Giám sát An ninh mạng Việt"},
				Inspection: authority.Layer{Status: authority.No},
				National:   authority.Layer{Status: authority.Yes, Provider: "Trung tâm An ninh mạng quốc gia"},
			},
			Backup: authority.Yes, LastBackup: day(2026, 12, 13), LastRestoreTest: day(2026, 9, 20),
		},
		{
			Code: "DVC", Name: "Cổng dịch vụ công trực tuyến tỉnh", Operator: operatorCentre,
			ProposedLevel: 3, Approved: true, ApprovedLevel: 3, DecisionNo: "2310/QĐ-UBND", DecisionDate: day(2024, 8, 28),
			Plan: authority.PlanPartial,
			Groups: []authority.GroupResult{
				{Name: "Yêu cầu quản lý", Met: 25, Partial: 3, NotMet: 2, Total: 32},
				{Name: "Bảo đảm an toàn mạng", Met: 10, Partial: 1, NotMet: 1, Total: 12},
				{Name: "Bảo đảm an toàn máy chủ", Met: 9, NotMet: 1, Total: 10},
				{Name: "Bảo đảm an toàn ứng dụng", Met: 6, Partial: 1, Total: 7},
				{Name: "Bảo đảm an toàn dữ liệu", Met: 3, NotMet: 1, Total: 4},
			},
			Unmet: []authority.UnmetItem{
				{RequirementID: "tt12.mgmt.1.5.4", Title: "Quản lý sự cố an toàn thông tin", Partial: true,
					Action: "Xây dựng, phê duyệt kịch bản ứng cứu sự cố tấn công mã hóa dữ liệu", Due: day(2027, 3, 31), Owner: operatorCentre},
				{RequirementID: "tt12.tech.1.4.2", Title: "Sao lưu dự phòng tại địa điểm khác", Partial: false,
					Action: "Thuê chỗ đặt máy chủ sao lưu cách trung tâm dữ liệu trên 30 km", Due: day(2027, 6, 30), Owner: "Phòng Hạ tầng số"},
				{RequirementID: "tt12.tech.1.1.3", Title: "Phòng chống xâm nhập", Partial: true},
			},
			Regulation: authority.Yes, RegulationDecision: "2311/QĐ-UBND", RegulationDate: day(2024, 8, 28),
			Compliant: authority.No,
			Inspected: authority.Yes, LastInspection: day(2026, 6, 5), Inspector: assessor,
			Layers: authority.Layers{
				OnSite:     authority.Layer{Status: authority.Yes, Provider: operatorCentre},
				Monitoring: authority.Layer{Status: authority.Yes, Provider: "Công ty TNHH Giám sát An ninh mạng Việt"},
				Inspection: authority.Layer{Status: authority.Yes, Provider: assessor},
			},
			Backup: authority.Yes, LastBackup: day(2026, 12, 14),
		},
		{
			Code: "TTDL", Name: "Trung tâm dữ liệu tỉnh Hà Tĩnh", Operator: operatorCentre,
			ProposedLevel: 4,
			Regulation:    authority.No,
			Inspected:     authority.No,
			Layers:        authority.Layers{OnSite: authority.Layer{Status: authority.Yes}},
		},
	}
}

func sampleLetter() authority.Letter {
	return authority.Letter{
		Number:     "215/BC-UBND",
		Place:      "Hà Tĩnh",
		Date:       day(2026, 12, 22),
		Recipients: []string{"Bộ Công an (Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao)"},
		Signer:     authority.Signer{Role: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", Name: "Nguyễn Thị Hồng Nhung"},
		CopyTo:     []string{"Như trên", "Sở Khoa học và Công nghệ", "Lưu: VT, KGVX"},
	}
}

func sampleAnnual() authority.AnnualData {
	return authority.AnnualData{
		Letter: sampleLetter(),
		Year:   2026,
		Org: authority.Party{
			Name:           "Ủy ban nhân dân tỉnh Hà Tĩnh",
			Functions:      "Cơ quan hành chính nhà nước ở địa phương; chủ quản các hệ thống thông tin dùng chung của tỉnh",
			Representative: "Trần Văn Đức", Title: "Chủ tịch",
			Address: "Số 01 đường Nguyễn Tất Thành, phường Thành Sen, tỉnh Hà Tĩnh",
			Phone:   "0239 3855 123", Email: "ubnd@hatinh.gov.vn",
		},
		SpecialisedUnit: authority.Party{
			Name:           "Sở Khoa học và Công nghệ tỉnh Hà Tĩnh",
			Functions:      "Đơn vị chuyên trách về an toàn thông tin của tỉnh (Quyết định số 512/QĐ-UBND ngày 03/3/2025)",
			Representative: "Lê Thị Thu Hà", Title: "Giám đốc",
			Address: "Số 08 đường Xuân Diệu, phường Thành Sen, tỉnh Hà Tĩnh",
			Phone:   "0239 3856 456", Email: "skhcn@hatinh.gov.vn",
		},
		Operators: []authority.Party{
			{Name: operatorOffice, Representative: "Phạm Quốc Hưng", Title: "Chánh Văn phòng",
				Address: "Số 01 đường Nguyễn Tất Thành, phường Thành Sen, tỉnh Hà Tĩnh", Phone: "0239 3855 200"},
			{Name: operatorCentre, Functions: "Vận hành hạ tầng, nền tảng số dùng chung của tỉnh",
				Representative: "Võ Minh Khôi", Title: "Giám đốc", Address: "Số 08 đường Xuân Diệu, phường Thành Sen, tỉnh Hà Tĩnh",
				Phone: "0239 3690 789", Email: "ttcds@hatinh.gov.vn"},
		},
		Systems: sampleSystems(),
		Other:   "Năm 2027, tỉnh dự kiến hoàn thành phê duyệt cấp độ cho Trung tâm dữ liệu tỉnh trong quý I.",
	}
}

func sampleImplementation() authority.ImplementationData {
	return authority.ImplementationData{
		Letter:     sampleLetter(),
		Org:        authority.Party{Name: "Ủy ban nhân dân tỉnh Hà Tĩnh"},
		PeriodFrom: day(2026, 7, 1),
		PeriodTo:   day(2026, 12, 14),
		Systems:    sampleSystems(),
		Incidents: authority.Incidents{
			Known:      true,
			BySeverity: []authority.SeverityCount{{Severity: "Thông thường", Count: 4}, {Severity: "Nghiêm trọng", Count: 1}},
			OnTime:     1, Late: 1,
		},
		Scans: authority.Activity{Known: true, Count: 2, Systems: 3, Findings: 17, Open: 4, Last: day(2026, 11, 15)},
		FocalPoints: authority.FocalPoints{Known: true, Contacts: []authority.Contact{
			{Name: "Đặng Văn Lâm", Title: "Phó Giám đốc", Unit: operatorCentre, Role: "Đầu mối tiếp nhận, xử lý sự cố", Phone: "0912 345 678", Email: "lamdv@hatinh.gov.vn"},
			{Name: "Hoàng Thị Yến", Title: "Chuyên viên", Unit: "Sở Khoa học và Công nghệ", Role: "Đầu mối trao đổi nghiệp vụ", Phone: "0987 654 321", Email: "yenht@hatinh.gov.vn"},
		}},
		Proposals: "Đề nghị cơ quan có thẩm quyền hỗ trợ kết nối Cổng dịch vụ công trực tuyến tỉnh với hệ thống giám sát quốc gia.",
	}
}

// plainText flattens a document to text lines for the golden files: the
// content and the structure (heading levels, emphasis and alignment, list
// and table shapes), not the layout.
func plainText(d report.Document) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	for _, l := range d.Header.Left {
		line("[masthead left] " + l)
	}
	for _, r := range d.Header.Right {
		line("[masthead right] " + r)
	}
	if d.Title != "" {
		line("[title] " + d.Title)
	}
	if d.Subtitle != "" {
		line("[subtitle] " + d.Subtitle)
	}
	row := func(cells []string) string { return "| " + strings.Join(cells, " | ") + " |" }
	for _, bl := range d.Blocks {
		switch bl := bl.(type) {
		case report.Heading:
			line("")
			line(strings.Repeat("#", bl.Level) + " " + bl.Text)
		case report.Paragraph:
			var style []string
			switch bl.Align {
			case report.AlignCenter:
				style = append(style, "center")
			case report.AlignRight:
				style = append(style, "right")
			}
			if bl.Bold {
				style = append(style, "bold")
			}
			if bl.Italic {
				style = append(style, "italic")
			}
			prefix := ""
			if len(style) > 0 {
				prefix = "[" + strings.Join(style, " ") + "] "
			}
			for l := range strings.SplitSeq(bl.Text, "\n") {
				line(prefix + l)
			}
		case report.List:
			for i, it := range bl.Items {
				if bl.Ordered {
					line(fmt.Sprintf("%d. %s", i+1, it))
				} else {
					line("– " + it)
				}
			}
		case report.Table:
			if len(bl.Header) > 0 {
				line(row(bl.Header))
				line("|---|")
			}
			for _, r := range bl.Rows {
				line(row(r))
			}
		case report.KeyValue:
			for _, kv := range bl.Pairs {
				line("  " + kv[0] + ": " + kv[1])
			}
		case report.PageBreak:
			line("[page break]")
		case report.Signature:
			line("[signature] " + strings.Join([]string{bl.Place, bl.Date, strings.ReplaceAll(bl.Role, "\n", " / "), bl.Name}, " | "))
		}
	}
	return b.String()
}
