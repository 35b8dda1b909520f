package form_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/system"
)

// TestPrefill_shape: for every form, one field per key, in order, each
// labelled in both languages, a value exactly when it has a source.
func TestPrefill_shape(t *testing.T) {
	for _, f := range forms() {
		for name, in := range map[string]form.Input{"sample": sampleInput(f), "empty": {Form: f}} {
			t.Run(f.ID+"/"+name, func(t *testing.T) {
				got := form.Prefill(in)
				if len(got) != len(f.Fields) {
					t.Fatalf("%d fields, want %d", len(got), len(f.Fields))
				}
				for i, fld := range got {
					if fld.Key != f.Fields[i] {
						t.Errorf("field %d is %q, want %q", i, fld.Key, f.Fields[i])
					}
					if strings.TrimSpace(fld.Label.VI) == "" || strings.TrimSpace(fld.Label.EN) == "" || fld.Label.VI == fld.Key {
						t.Errorf("%s: label %+v", fld.Key, fld.Label)
					}
					if (fld.Value == "") != (fld.Source == "") {
						t.Errorf("%s: value %q with source %q", fld.Key, fld.Value, fld.Source)
					}
				}
			})
		}
	}
}

// TestPrefill_emptyInput: with nothing but the form, a case form has no
// value at all.
func TestPrefill_emptyInput(t *testing.T) {
	for _, id := range []string{"tt20.form01", "tt20.form02", "tt20.form03", "tt20.form04", "pd13.form03", "pd91.form08"} {
		for _, f := range form.Prefill(form.Input{Form: mustForm(id)}) {
			if f.Value != "" {
				t.Errorf("%s %s = %q (%s) from an empty input", id, f.Key, f.Value, f.Source)
			}
		}
	}
}

// byKey indexes fields by key.
func byKey(fields []form.Field) map[string]form.Field {
	m := make(map[string]form.Field, len(fields))
	for _, f := range fields {
		m[f.Key] = f
	}
	return m
}

func TestPrefill_values(t *testing.T) {
	type want struct {
		key, value, source string
	}
	proposed := sampleInput(mustForm("tt20.form03"))
	proposed.Systems[0].ApprovedLevel, proposed.Systems[0].ProposedLevel = 0, 2
	typed := sampleInput(mustForm("tt20.form03"))
	typed.Values = map[string]string{
		"keep_confidential":   "Có",
		"system_domain_or_ip": "  dichvucong.hatinh.gov.vn\r\n",
		"detected_at":         "08:00 ngày 15/03/2026",
		"recommendations":     "   ", // blank: no override
		"not_on_the_form":     "ignored",
	}
	twoSystems := sampleInput(mustForm("tt20.form03"))
	other := sampleSystem()
	other.Name, other.ApprovedLevel, other.ProposedLevel = "Hệ thống thư điện tử công vụ", 0, 2
	other.Operator = system.Party{Name: "Trung tâm Công nghệ thông tin và Truyền thông"}
	twoSystems.Systems = append(twoSystems.Systems, other)
	serious := sampleInput(mustForm("tt20.form03"))
	serious.Serious = true
	noReporter := sampleInput(mustForm("tt20.form03"))
	noReporter.Reporter = form.Person{}
	byWhat := sampleInput(mustForm("tt20.form04"))
	byWhat.Submissions = []incident.Submission{
		{What: "Thông báo vi phạm dữ liệu cá nhân (Mẫu 03 (Nghị định 13))", Recipient: "A05", SentAt: vn(2026, 3, 15, 12, 0), Reference: "PD-1"},
		{What: "Báo cáo ban đầu theo mẫu 03", Recipient: "VNCERT/CC", SentAt: vn(2026, 3, 17, 12, 0), Reference: "20/BC"},
	}

	tests := []struct {
		name string
		in   form.Input
		want []want
	}{
		{"form03", sampleInput(mustForm("tt20.form03")), []want{
			{"reporter_org.name", unitName, form.SourceUnit},
			{"reporter_org.address", operatorAddr, form.SourceSystem},
			{"reporter_org.phone", "0239 3855 555", form.SourceSystem},
			{"reporter_org.email", "skhcn@hatinh.gov.vn", form.SourceSystem},
			{"contact_person.name", "Trần Thị Bình", form.SourceReporter},
			{"contact_person.title", "Phó Giám đốc", form.SourceReporter},
			{"contact_person.phone", "0912 345 678", form.SourceReporter},
			{"operator_name", unitName, form.SourceSystem},
			{"owner_body", governing, form.SourceSystem},
			{"system_name", systemName, form.SourceSystem},
			{"system_domain_or_ip", "", ""},
			{"system_level_1_5", "3", form.SourceSystem},
			{"security_service_provider", "Công ty Cổ phần An ninh mạng Ví Dụ", form.SourceSystem},
			{"connectivity_provider", "", ""},
			{"incident_description", caseTitle + "\n" + caseDesc + "\nLoại sự cố: Tấn công mã hóa dữ liệu (mã độc tống tiền).", form.SourceCase},
			{"data_sensitivity", "Có liên quan đến dữ liệu cá nhân.", form.SourceCase},
			{"affected_parties", "", ""},
			{"detected_at", "08:30 ngày 15/03/2026", form.SourceCase},
			{"current_status", "Đã ngăn chặn", form.SourceCase},
			{"detection_method", "Phát hiện qua cảnh báo giám sát (Khiên), cảnh báo số 1201, 1205", form.SourceCase},
			{"parties_notified", "- " + governing + " (ngày 15/03/2026)\n- Cục An toàn thông tin (VNCERT/CC) (ngày 16/03/2026)", form.SourceCase},
			{"os_and_version", "", ""},
			{"security_measures_deployed", "- Lực lượng tại chỗ: Phòng Công nghệ thông tin\n" +
				"- Giám sát, bảo vệ chuyên nghiệp: thuê dịch vụ của Công ty Cổ phần An ninh mạng Ví Dụ\n" +
				"- Đã kết nối, chia sẻ thông tin với hệ thống giám sát quốc gia", form.SourceSystem},
			{"system_purpose", sampleSystem().Description, form.SourceSystem},
			{"attachments", "- ransom-note.txt – Thư đòi tiền chuộc (SHA-256: 9f86d081884c7d65…)\n" +
				"- Diễn biến xử lý sự cố trích từ nhật ký vụ việc (2 mục)", form.SourceCase},
			{"keep_confidential", "", ""},
			{"support_requested", "Có", form.SourceCase},
			{"recommendations", "", ""},
		}},
		{"form03 proposed level", proposed, []want{{"system_level_1_5", "2 (đề xuất)", form.SourceSystem}}},
		{"form03 two systems", twoSystems, []want{
			{"system_name", systemName + "; Hệ thống thư điện tử công vụ", form.SourceSystem},
			{"operator_name", unitName + "; Trung tâm Công nghệ thông tin và Truyền thông", form.SourceSystem},
			{"owner_body", governing, form.SourceSystem},
			{"system_level_1_5", systemName + ": 3; Hệ thống thư điện tử công vụ: 2 (đề xuất)", form.SourceSystem},
			{"reporter_org.address", operatorAddr, form.SourceSystem},
		}},
		{"form03 serious", serious, []want{
			{"incident_description", caseTitle + "\n" + caseDesc + "\nLoại sự cố: Tấn công mã hóa dữ liệu (mã độc tống tiền).\n" +
				"Sự cố được đánh giá là sự cố nghiêm trọng.", form.SourceCase},
		}},
		{"form03 typed values", typed, []want{
			{"keep_confidential", "Có", form.SourceUser},
			{"system_domain_or_ip", "dichvucong.hatinh.gov.vn", form.SourceUser},
			{"detected_at", "08:00 ngày 15/03/2026", form.SourceUser},
			{"recommendations", "", ""},
			{"system_name", systemName, form.SourceSystem},
		}},
		{"form03 contact from focal point", noReporter, []want{
			{"contact_person.name", "Lê Minh Cường", form.SourceFocalPoint},
			{"contact_person.title", "Trưởng phòng Công nghệ thông tin", form.SourceFocalPoint},
			{"contact_person.email", "cuong.lm@hatinh.gov.vn", form.SourceFocalPoint},
		}},
		{"form04", sampleInput(mustForm("tt20.form04")), []want{
			{"reporter_org", "Tên tổ chức: " + unitName + "\nĐịa chỉ: " + operatorAddr +
				"\nĐiện thoại: 0239 3855 555\nThư điện tử: skhcn@hatinh.gov.vn", form.SourceUnit},
			{"initial_report_ref_no", "15/BC-SKHCN", form.SourceCase},
			{"initial_report_date", "16/03/2026", form.SourceCase},
			{"system_name", systemName, form.SourceSystem},
			{"system_level_1_5", "3", form.SourceSystem},
			{"incident_name", caseTitle, form.SourceCase},
			{"incident_description", caseDesc + "\nLoại sự cố: Tấn công mã hóa dữ liệu (mã độc tống tiền).", form.SourceCase},
			{"detected_at", "08:30 ngày 15/03/2026", form.SourceCase},
			{"handling_result_summary", conclusion + "\nThời điểm kết thúc ứng phó: 17:00 ngày 18/03/2026\n" +
				"Các công việc đã thực hiện:\n- Cô lập các máy bị nhiễm (15/03/2026)\n- Bảo toàn chứng cứ (15/03/2026)", form.SourceCase},
			{"lessons_learned_and_proposals", "", ""},
			{"attachments.timeline", "- 15/03/2026 08:30 – Mở vụ việc từ cảnh báo số 1201\n" +
				"- 15/03/2026 09:10 – Đã cô lập máy chủ CSDL khỏi mạng", form.SourceCase},
			{"attachments.response_plan", "1. Cô lập các máy bị nhiễm – đã thực hiện\n2. Bảo toàn chứng cứ – đã thực hiện\n" +
				"3. Loại bỏ mã độc và điểm bám trụ – chưa thực hiện", form.SourceCase},
			{"attachments.logs", "- ransom-note.txt – Thư đòi tiền chuộc (SHA-256: 9f86d081884c7d65…)", form.SourceCase},
			{"legal_rep_signature", "Nguyễn Văn An, Giám đốc", form.SourceSystem},
		}},
		{"form04 initial report by what", byWhat, []want{
			{"initial_report_ref_no", "20/BC", form.SourceCase},
			{"initial_report_date", "17/03/2026", form.SourceCase},
		}},
		{"form04 no initial report", func() form.Input {
			in := sampleInput(mustForm("tt20.form04"))
			in.Submissions = in.Submissions[:1]
			return in
		}(), []want{{"initial_report_ref_no", "", ""}, {"initial_report_date", "", ""}}},
		{"form05", sampleInput(mustForm("tt20.form05")), []want{
			{"org_name", unitName, form.SourceUnit},
			{"member_code", "", ""},
			{"per_incident_type.count", "Tấn công mã hóa dữ liệu (mã độc tống tiền): 1\nXâm nhập trái phép: 0\nMã độc: 0\n" +
				"Tấn công từ chối dịch vụ (DDoS): 1\nTấn công thay đổi giao diện: 0\nLộ, lọt dữ liệu: 0\n" +
				"Lừa đảo trực tuyến (phishing): 0\nChiếm đoạt tài khoản: 0\nLoại khác: 0", form.SourceCase},
			{"per_incident_type.helped_by_domestic_org", "", ""},
			{"per_incident_type.helped_by_foreign_org", "", ""},
			{"per_incident_type.helped_by_vncert", "", ""},
			{"estimated_damage", "", ""},
		}},
		{"form01", sampleInput(mustForm("tt20.form01")), []want{
			{"org_name", unitName, form.SourceUnit},
			{"managing_body", governing, form.SourceUnit},
			{"address", operatorAddr, form.SourceSystem},
			{"phone", "0239 3855 555", form.SourceSystem},
			{"fax", "", ""},
			{"website", "", ""},
			{"security_leader", "", ""},
			{"primary_focal_point.name", "Lê Minh Cường", form.SourceFocalPoint},
			{"primary_focal_point.title", "Trưởng phòng Công nghệ thông tin", form.SourceFocalPoint},
			{"primary_focal_point.phone", "0988 111 222", form.SourceFocalPoint},
			{"backup_focal_point.name", "Phạm Thu Dung", form.SourceFocalPoint},
			{"backup_focal_point.email", "dung.pt@hatinh.gov.vn", form.SourceFocalPoint},
		}},
		{"form02", sampleInput(mustForm("tt20.form02")), []want{
			{"systems_by_level.level_1..level_5", "- Cấp độ 1: 0 hệ thống\n- Cấp độ 2: 0 hệ thống\n- Cấp độ 3: 1 hệ thống\n" +
				"- Cấp độ 4: 0 hệ thống\n- Cấp độ 5: 0 hệ thống", form.SourceSystem},
			{"activities_and_response_capability", "", ""},
		}},
		{"form08", sampleInput(mustForm("pd91.form08")), []want{
			{"nature.time", "08:30 ngày 15/03/2026 (thời điểm phát hiện)", form.SourceCase},
			{"nature.place", "Hệ thống thông tin: " + systemName, form.SourceSystem},
			{"nature.organisation_or_individual", unitName, form.SourceUnit},
			{"nature.data_types", "", ""},
			{"nature.data_volume", "", ""},
			{"pdp_contact", "Trần Thị Bình, Phó Giám đốc; điện thoại: 0912 345 678; thư điện tử: binh.tt@hatinh.gov.vn", form.SourceReporter},
			{"consequences", "", ""},
			{"measures", "- Cô lập các máy bị nhiễm (15/03/2026)\n- Bảo toàn chứng cứ (15/03/2026)", form.SourceCase},
		}},
		{"pd13 form03", sampleInput(mustForm("pd13.form03")), []want{
			{"contact_person_dpo", "Trần Thị Bình, Phó Giám đốc; điện thoại: 0912 345 678; thư điện tử: binh.tt@hatinh.gov.vn", form.SourceReporter},
			{"likely_consequences_and_damage", "", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := byKey(form.Prefill(tt.in))
			for _, w := range tt.want {
				f, ok := got[w.key]
				if !ok {
					t.Errorf("no field %s", w.key)
					continue
				}
				if f.Value != w.value || f.Source != w.source {
					t.Errorf("%s = %q (%q)\nwant  %q (%q)", w.key, f.Value, f.Source, w.value, w.source)
				}
			}
		})
	}
}

func TestPrefill_selfHandled(t *testing.T) {
	got := byKey(form.Prefill(sampleInput(mustForm("tt20.form05"))))["per_incident_type.self_handled"].Value
	for _, want := range []string{"Tấn công mã hóa dữ liệu (mã độc tống tiền): 0", "Tấn công từ chối dịch vụ (DDoS): 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("self_handled %q lacks %q", got, want)
		}
	}
}

func TestPrefill_multiline(t *testing.T) {
	got := byKey(form.Prefill(sampleInput(mustForm("tt20.form03"))))
	for key, want := range map[string]bool{"incident_description": true, "parties_notified": true, "reporter_org.name": false, "detected_at": false} {
		if got[key].Multiline != want {
			t.Errorf("%s: Multiline %v, want %v", key, got[key].Multiline, want)
		}
	}
}

// TestPrefill_manyAlerts: the detection method names the first alerts and
// counts the rest.
func TestPrefill_manyAlerts(t *testing.T) {
	in := sampleInput(mustForm("tt20.form03"))
	in.Case.AlertIDs = nil
	for i := range 25 {
		in.Case.AlertIDs = append(in.Case.AlertIDs, int64(100+i))
	}
	got := byKey(form.Prefill(in))["detection_method"].Value
	if !strings.Contains(got, "119") || strings.Contains(got, "120") || !strings.HasSuffix(got, "(tổng số 25 cảnh báo)") {
		t.Errorf("detection_method = %q", got)
	}
}
