package form_test

import (
	"time"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// vn is a time in Vietnam.
func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, incident.Vietnam)
}

const (
	unitName     = "Sở Khoa học và Công nghệ tỉnh Hà Tĩnh"
	governing    = "Ủy ban nhân dân tỉnh Hà Tĩnh"
	operatorAddr = "Số 1 đường Trần Phú, phường Thành Sen, tỉnh Hà Tĩnh"
	systemName   = "Cổng dịch vụ công trực tuyến tỉnh Hà Tĩnh"
	caseTitle    = "Mã độc tống tiền mã hóa máy chủ cơ sở dữ liệu của Cổng dịch vụ công"
	caseDesc     = "Các tệp dữ liệu trên máy chủ CSDL bị đổi đuôi thành .lockbit; có thư đòi tiền chuộc trên màn hình quản trị."
	conclusion   = "Đã cô lập máy chủ bị nhiễm, khôi phục dữ liệu từ bản sao lưu ngày 14/3 và vá lỗ hổng VPN bị khai thác."
	evidenceSHA  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// sampleSystem is the level-3 system hit by the ransomware.
func sampleSystem() system.System {
	return system.System{
		ID: 11, UnitID: 7, Code: "DVC", Name: systemName,
		Description:   "Cung cấp dịch vụ công trực tuyến toàn trình cho người dân và doanh nghiệp trên địa bàn tỉnh.",
		Status:        system.Operating,
		Hosting:       system.DataCentre,
		ApprovedLevel: 3, ProposedLevel: 3,
		Owner: system.Party{Name: governing},
		Operator: system.Party{UnitID: 7, Name: unitName, Representative: "Nguyễn Văn An", Title: "Giám đốc",
			Address: operatorAddr, Phone: "0239 3855 555", Email: "skhcn@hatinh.gov.vn"},
		Layers: system.Layers{OnSiteTeam: "Phòng Công nghệ thông tin", MonitoringBy: "provider",
			MonitoringProvider: "Công ty Cổ phần An ninh mạng Ví Dụ", NationalConnected: true},
	}
}

// sampleCase is a contained ransomware case on sampleSystem.
func sampleCase() incident.Case {
	return incident.Case{
		ID: 42, UnitID: 7, Ref: "SC-2026-0042", Title: caseTitle, Description: caseDesc,
		Category: incident.Ransomware, Severity: incident.Critical, Status: incident.Contained,
		SystemIDs: []int64{11}, AlertIDs: []int64{1201, 1205},
		DetectedAt:          vn(2026, 3, 15, 8, 30),
		ResponseCompletedAt: vn(2026, 3, 18, 17, 0),
		PersonalData:        true, SupportRequested: true,
		Conclusion: conclusion,
	}
}

// sampleInput is the input of a case form for sampleCase.
func sampleInput(f incident.Form) form.Input {
	c := sampleCase()
	return form.Input{
		Form:      f,
		Case:      c,
		Cases:     []incident.Case{c, {ID: 43, Title: "Tấn công từ chối dịch vụ vào cổng thông tin", Category: incident.DDoS, Status: incident.Closed}},
		From:      vn(2025, 12, 15, 0, 0),
		To:        vn(2026, 6, 14, 0, 0),
		Unit:      unit.Unit{ID: 7, Code: "SKHCN-HT", Name: unitName},
		Governing: governing,
		Systems:   []system.System{sampleSystem()},
		FocalPoints: []system.FocalPoint{
			{ID: 1, UnitID: 7, Name: "Lê Minh Cường", Role: "Trưởng phòng Công nghệ thông tin", Phone: "0988 111 222", Email: "cuong.lm@hatinh.gov.vn"},
			{ID: 2, UnitID: 7, Name: "Phạm Thu Dung", Role: "Chuyên viên an toàn thông tin", Phone: "0988 333 444", Email: "dung.pt@hatinh.gov.vn"},
		},
		Submissions: []incident.Submission{
			{ID: 1, CaseID: 42, ClockID: "tt20.notification", What: "Thông báo sự cố", Recipient: governing,
				Channel: "e-mail", SentAt: vn(2026, 3, 15, 11, 0)},
			{ID: 2, CaseID: 42, ClockID: "tt20.initial_report", What: "Báo cáo ban đầu sự cố (Mẫu 03)",
				Recipient: "Cục An toàn thông tin (VNCERT/CC)", Channel: "portal", SentAt: vn(2026, 3, 16, 9, 0), Reference: "15/BC-SKHCN"},
		},
		Timeline: []incident.Entry{
			{ID: 1, CaseID: 42, At: vn(2026, 3, 15, 8, 30), Kind: incident.EntryCreated, Text: "Mở vụ việc từ cảnh báo số 1201"},
			{ID: 2, CaseID: 42, At: vn(2026, 3, 15, 9, 10), Kind: incident.EntryStatus, Text: "Đã cô lập máy chủ CSDL khỏi mạng"},
		},
		Tasks: []incident.Task{
			{ID: 1, CaseID: 42, Seq: 1, PlaybookID: "ransomware", StepID: "isolate", Title: incident.Text{VI: "Cô lập các máy bị nhiễm", EN: "Isolate the infected hosts"},
				Status: incident.TaskDone, DoneAt: vn(2026, 3, 15, 9, 10)},
			{ID: 2, CaseID: 42, Seq: 2, PlaybookID: "ransomware", StepID: "preserve_evidence", Title: incident.Text{VI: "Bảo toàn chứng cứ", EN: "Preserve evidence"},
				Status: incident.TaskDone, DoneAt: vn(2026, 3, 15, 10, 0)},
			{ID: 3, CaseID: 42, Seq: 3, PlaybookID: "ransomware", StepID: "eradicate", Title: incident.Text{VI: "Loại bỏ mã độc và điểm bám trụ", EN: "Remove the malware"},
				Status: incident.TaskOpen},
		},
		Evidence: []incident.Evidence{
			{ID: 1, CaseID: 42, Name: "ransom-note.txt", Description: "Thư đòi tiền chuộc", SHA256: evidenceSHA, Size: 2048},
		},
		Reporter:   form.Person{Name: "Trần Thị Bình", Title: "Phó Giám đốc", Phone: "0912 345 678", Email: "binh.tt@hatinh.gov.vn"},
		Now:        vn(2026, 3, 16, 14, 0),
		Place:      "Hà Tĩnh",
		Recipients: []string{"Cục An toàn thông tin (VNCERT/CC)"},
	}
}

// forms are the forms of the default rules.
func forms() []incident.Form { return incident.DefaultRules().Forms }

func mustForm(id string) incident.Form {
	f, ok := incident.DefaultRules().Form(id)
	if !ok {
		panic("no form " + id)
	}
	return f
}
