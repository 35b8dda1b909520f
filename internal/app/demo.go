package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/warning"
)

// DemoAccount is a seeded account and its one-time password.
type DemoAccount struct {
	Username string
	Role     authz.Role
	Unit     string
	Password string
}

// SeedDemo fills an empty database with a demo organisation: a parent unit
// with two member units and users of every role. It does nothing when
// accounts exist already (a demo restarted on the same data directory).
func (c *Core) SeedDemo(ctx context.Context) ([]DemoAccount, error) {
	n, err := c.Users.Count(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	sys := systemPrincipal()
	root, err := c.Units.Create(ctx, sys, unit.Unit{Code: "DEMO", Name: "Công ty Cổ phần Chứng khoán Demo"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	hn, err := c.Units.Create(ctx, sys, unit.Unit{ParentID: root.ID, Code: "DEMO-HN", Name: "Chi nhánh Hà Nội"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	hcm, err := c.Units.Create(ctx, sys, unit.Unit{ParentID: root.ID, Code: "DEMO-HCM", Name: "Chi nhánh TP. Hồ Chí Minh"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	people := []struct {
		username, name string
		role           authz.Role
		unit           unit.Unit
	}{
		{"admin", "Quản trị viên", authz.RoleAdmin, root},
		{"ciso", "Nguyễn Văn An", authz.RoleSecurityLead, root},
		{"soc.hn", "Trần Thị Bình", authz.RoleAnalyst, hn},
		{"soc.hcm", "Lê Minh Châu", authz.RoleAnalyst, hcm},
		{"owner.hn", "Phạm Quốc Dũng", authz.RoleSystemOwner, hn},
		{"owner.hcm", "Hoàng Thu Hà", authz.RoleSystemOwner, hcm},
		{"assessor", "Vũ Đức Khải", authz.RoleAssessor, root},
		{"viewer", "Đỗ Thanh Lan", authz.RoleViewer, hn},
	}
	var out []DemoAccount
	for _, p := range people {
		_, password, err := c.Users.Create(ctx, sys, user.NewUser{Username: p.username, DisplayName: p.name,
			Role: p.role, UnitID: p.unit.ID})
		if err != nil {
			return nil, fmt.Errorf("seed user %s: %w", p.username, err)
		}
		out = append(out, DemoAccount{Username: p.username, Role: p.role, Unit: p.unit.Name, Password: password})
	}
	if err := c.seedSystems(ctx, root, hn, hcm); err != nil {
		return nil, err
	}
	if err := c.seedIncident(ctx, root); err != nil {
		return nil, err
	}
	if err := c.seedWarning(ctx, root); err != nil {
		return nil, err
	}
	if err := c.seedVulns(ctx, root); err != nil {
		return nil, err
	}
	if err := c.seedBackups(ctx); err != nil {
		return nil, err
	}
	// One finished job, so the jobs page shows what a job looks like.
	if _, err := c.Jobs.Submit(ctx, job.Spec{Kind: JobAuditVerify}); err != nil {
		return nil, fmt.Errorf("seed job: %w", err)
	}
	return out, nil
}

// seedSystems registers a few systems of a securities company: one whose
// level is approved, one with a dossier under appraisal, one still a draft.
func (c *Core) seedSystems(ctx context.Context, root, hn, hcm unit.Unit) error {
	sys := systemPrincipal()
	owner := system.Party{Name: "Công ty Cổ phần Chứng khoán Demo", UnitID: root.ID, Representative: "Nguyễn Văn An", Title: "Tổng Giám đốc"}
	isUnit := system.Party{Name: "Phòng An toàn thông tin", UnitID: root.ID}
	opHN := system.Party{Name: "Phòng Công nghệ thông tin — Chi nhánh Hà Nội", UnitID: hn.ID}
	opHCM := system.Party{Name: "Phòng Công nghệ thông tin — Chi nhánh TP. Hồ Chí Minh", UnitID: hcm.ID}
	unanswered := []string{regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData}
	systems := []system.System{
		{UnitID: hcm.ID, Code: "TRADING", Name: "Hệ thống giao dịch chứng khoán trực tuyến", Status: system.Operating,
			Hosting: system.DataCentre, Owner: owner, Operator: opHCM, ISUnit: isUnit,
			Scope: "Khách hàng giao dịch trực tuyến trên toàn quốc",
			Profile: regulation.Profile{SystemType: "citizen_business", InfoTypes: []string{"private", "personal"}, DataSubjects: 250000,
				ConditionalBusinessLine: true, Requires24x7: false, Unanswered: unanswered},
			Layers: system.Layers{OnSiteTeam: "Tổ vận hành giao dịch", MonitoringBy: "provider", MonitoringProvider: "Nhà cung cấp SOC Demo"}},
		{UnitID: hn.ID, Code: "EMAIL", Name: "Hệ thống thư điện tử nội bộ", Status: system.Operating, Hosting: system.OnPremises,
			Owner: owner, Operator: opHN, ISUnit: isUnit,
			Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"private", "personal"}, DataSubjects: 600,
				Unanswered: []string{regulation.FieldConditionalBusinessLine, regulation.FieldRequires24x7,
					regulation.FieldUnplannedDowntimeAcceptable, regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData}},
			Layers: system.Layers{OnSiteTeam: "Phòng CNTT Hà Nội", MonitoringBy: "in_house", Assessor: "Công ty Kiểm định Demo", NationalConnected: true}},
		{UnitID: root.ID, Code: "PORTAL", Name: "Cổng thông tin điện tử", Status: system.Operating, Hosting: system.Cloud,
			Owner: owner, Operator: opHN, ISUnit: isUnit,
			Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"},
				Unanswered: []string{regulation.FieldConditionalBusinessLine, regulation.FieldRequires24x7,
					regulation.FieldUnplannedDowntimeAcceptable, regulation.FieldNationalEGovernment, regulation.FieldEspeciallyImportantNationalData}}},
	}
	var created []system.System
	for _, s := range systems {
		cs, err := c.Systems.Create(ctx, sys, s)
		if err != nil {
			return fmt.Errorf("seed system %s: %w", s.Code, err)
		}
		created = append(created, cs)
	}
	for _, a := range []asset.Asset{
		{UnitID: hcm.ID, Kind: asset.Application, Name: "Ứng dụng giao dịch trực tuyến", SystemIDs: []int64{created[0].ID},
			Identifiers: []asset.Identifier{{Type: asset.FQDN, Value: "trade.demo-securities.vn"}, {Type: asset.CIDR, Value: "10.20.0.0/24"}}},
		{UnitID: hcm.ID, Kind: asset.Database, Name: "CSDL lệnh giao dịch", SystemIDs: []int64{created[0].ID},
			Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "trade-db01"}, {Type: asset.IP, Value: "10.20.0.11"}}},
		{UnitID: hn.ID, Kind: asset.Host, Name: "Máy chủ thư điện tử", SystemIDs: []int64{created[1].ID},
			Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "mail01"}, {Type: asset.IP, Value: "10.10.1.25"}}},
	} {
		if _, err := c.Assets.Save(ctx, sys, a); err != nil {
			return fmt.Errorf("seed asset %s: %w", a.Name, err)
		}
	}
	for _, f := range []system.FocalPoint{
		{UnitID: root.ID, Name: "Nguyễn Văn An", Role: "Trưởng phòng An toàn thông tin", Phone: "024 3900 0001", Email: "attt@demo-securities.vn"},
		{UnitID: hcm.ID, Name: "Lê Minh Châu", Role: "Cán bộ giám sát an toàn thông tin", Phone: "028 3900 0002"},
	} {
		if _, err := c.Systems.SaveFocalPoint(ctx, sys, f); err != nil {
			return fmt.Errorf("seed focal point: %w", err)
		}
	}
	// EMAIL: approved at its proposed level; TRADING: under appraisal.
	step := func(id int64, act system.Action, in system.StepInput) error {
		_, err := c.Systems.Step(ctx, sys, id, act, in)
		return err
	}
	email, err := c.Systems.OpenDossier(ctx, sys, created[1].ID)
	if err != nil {
		return fmt.Errorf("seed dossier: %w", err)
	}
	decision := system.Decision{Number: "125/QĐ-CKD", Date: time.Date(2024, 8, 20, 0, 0, 0, 0, time.UTC), Signer: "Nguyễn Văn An"}
	for _, st := range []struct {
		act system.Action
		in  system.StepInput
	}{{system.ActSubmit, system.StepInput{}}, {system.ActAppraise, system.StepInput{}}, {system.ActApprove, system.StepInput{Decision: decision}}} {
		if err := step(email.ID, st.act, st.in); err != nil {
			return fmt.Errorf("seed dossier %s: %w", st.act, err)
		}
	}
	trading, err := c.Systems.OpenDossier(ctx, sys, created[0].ID)
	if err != nil {
		return fmt.Errorf("seed dossier: %w", err)
	}
	if err := step(trading.ID, system.ActSubmit, system.StepInput{}); err != nil {
		return fmt.Errorf("seed dossier submit: %w", err)
	}
	return c.seedCompliance(ctx, root, created[1], created[0])
}

// seedCompliance assesses part of the approved e-mail system's requirement
// set with evidence, records calendar obligations done, runs the automatic
// checks, and opens an independent assessment with findings.
func (c *Core) seedCompliance(ctx context.Context, root unit.Unit, email, trading system.System) error {
	sys := systemPrincipal()
	v, err := c.Compliance.Set(ctx, sys, email.ID)
	if err != nil {
		return fmt.Errorf("seed requirement set: %w", err)
	}
	items := map[string]int64{}
	for _, iv := range v.Items {
		items[iv.Item.RequirementID] = iv.Item.ID
	}
	due := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, a := range []struct {
		req    string
		status compliance.ItemStatus
		owner  string
		note   string
	}{
		{"mgmt.policy.document", compliance.ItemMet, "Phòng An toàn thông tin", "Quyết định 15/QĐ-CKD ban hành chính sách ATTT."},
		{"mgmt.policy.publish", compliance.ItemMet, "Phòng An toàn thông tin", ""},
		{"mgmt.policy.review", compliance.ItemPartial, "Phòng An toàn thông tin", "Rà soát năm 2026 đang thực hiện."},
		{"mgmt.ops.incident", compliance.ItemMet, "Phòng CNTT Hà Nội", "Quy trình ứng cứu sự cố và đội ứng cứu 5 người."},
		{"general.security_regulation", compliance.ItemMet, "Phòng An toàn thông tin", "Quy chế bảo đảm ATTT ban hành kèm Quyết định 16/QĐ-CKD."},
		{"tech.data.backup", compliance.ItemPartial, "Phòng CNTT Hà Nội", "Sao lưu hằng ngày; chưa diễn tập khôi phục."},
		{"tech.net.ips", compliance.ItemNotMet, "Phòng CNTT Hà Nội", "Chưa có IPS ở vùng biên; dự kiến đầu tư quý I/2027."},
		{"general.hosting_logical_separation", compliance.ItemNotApplicable, "", ""},
	} {
		id, ok := items[a.req]
		if !ok {
			continue
		}
		u := compliance.ItemUpdate{Status: a.status, Owner: a.owner, Notes: a.note}
		if a.status != compliance.ItemMet {
			u.Due = due
		}
		if a.status == compliance.ItemNotApplicable {
			u.Justification = "Hệ thống đặt tại phòng máy chủ của công ty, không thuê trung tâm dữ liệu."
		}
		if _, err := c.Compliance.UpdateItem(ctx, sys, id, u); err != nil {
			return fmt.Errorf("seed item %s: %w", a.req, err)
		}
	}
	if id, ok := items["mgmt.policy.document"]; ok {
		if _, err := c.Compliance.AddFile(ctx, sys, id, "Quyết định ban hành chính sách ATTT.txt", "Bản chụp quyết định",
			strings.NewReader("QUYẾT ĐỊNH số 15/QĐ-CKD về việc ban hành Chính sách an toàn thông tin (tệp minh họa của dữ liệu demo).\n")); err != nil {
			return fmt.Errorf("seed evidence: %w", err)
		}
		if _, err := c.Compliance.AddLink(ctx, sys, id, "Chính sách trên cổng văn bản nội bộ",
			"https://vanban.demo-securities.vn/chinh-sach-attt", ""); err != nil {
			return fmt.Errorf("seed evidence link: %w", err)
		}
	}
	for _, done := range []struct {
		id string
		at time.Time
	}{
		{compliance.ObligationVulnScan, time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)},
		{compliance.ObligationThreatHunt, time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := c.Compliance.RecordCompletion(ctx, sys, email.ID, done.id, done.at, "Dữ liệu demo"); err != nil {
			return fmt.Errorf("seed completion: %w", err)
		}
	}
	if _, err := c.Compliance.RunProbes(ctx, email); err != nil {
		return fmt.Errorf("seed probes: %w", err)
	}
	eng, err := c.Compliance.CreateEngagement(ctx, sys, compliance.Engagement{UnitID: root.ID,
		Title: "Kiểm tra, đánh giá ATTT định kỳ năm 2026", Assessor: "Công ty Kiểm định Demo", Method: "grey_box",
		Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC),
		SystemIDs: []int64{email.ID, trading.ID}, Status: compliance.EngagementReporting,
		Scope: "Hệ thống thư điện tử nội bộ và hệ thống giao dịch trực tuyến; kiểm thử hộp xám từ mạng nội bộ."})
	if err != nil {
		return fmt.Errorf("seed engagement: %w", err)
	}
	for _, f := range []compliance.Finding{
		{SystemID: email.ID, RequirementID: "tech.net.ips", Severity: "high", Title: "Không có hệ thống phòng chống xâm nhập ở vùng biên",
			Recommendation: "Triển khai tường lửa có IPS hoặc IPS mạng chuyên dụng (Phụ lục III, thiết kế hệ thống)."},
		{SystemID: trading.ID, RequirementID: "tech.app.authn", Severity: "medium", Title: "Tài khoản quản trị ứng dụng chưa bật xác thực hai yếu tố",
			Recommendation: "Bắt buộc xác thực đa yếu tố cho tài khoản quản trị."},
	} {
		if _, err := c.Compliance.AddFinding(ctx, sys, eng.ID, f); err != nil {
			return fmt.Errorf("seed finding: %w", err)
		}
	}
	return nil
}

// seedWarning enters a (sample) national warning about an exploited VPN
// vulnerability, naming two of the systems: its deadline is near, one
// system has acknowledged it, and its indicators are watched for.
func (c *Core) seedWarning(ctx context.Context, root unit.Unit) error {
	sys := systemPrincipal()
	systems, err := c.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		return fmt.Errorf("seed warning: %w", err)
	}
	var targets []int64
	for _, s := range systems[:min(2, len(systems))] {
		targets = append(targets, s.ID)
	}
	now := time.Now()
	w, err := c.Warnings.Create(ctx, sys, warning.Warning{UnitID: root.ID, Ref: "MẪU-001/NCSC", Issuer: "NCSC (mẫu)",
		Title:    "Cảnh báo mẫu: lỗ hổng CVE-2024-3400 trong cổng VPN đang bị khai thác",
		Summary:  "Dữ liệu minh hoạ của bản demo. Lỗ hổng cho phép thực thi mã từ xa không cần xác thực trên cổng VPN; đã ghi nhận khai thác có chủ đích vào tổ chức tài chính.",
		Severity: warning.Critical, IssuedAt: now.Add(-24 * time.Hour), ReceivedAt: now.Add(-20 * time.Hour),
		CVEs: []string{"CVE-2024-3400"}, Indicators: []string{"203.0.113.45", "198.51.100.23", "update-vpn.example"},
		Actions: []warning.Action{{Kind: warning.ActionPatch, Text: "Cập nhật phần mềm cổng VPN lên bản vá của hãng"},
			{Kind: warning.ActionBlock, Text: "Chặn các địa chỉ và tên miền trong danh sách dấu hiệu"},
			{Kind: warning.ActionHunt, Text: "Săn tìm dấu hiệu xâm nhập trên nhật ký 90 ngày gần nhất"}},
		ActionDue: now.Add(48 * time.Hour), ReportDue: now.Add(7 * 24 * time.Hour)}, targets)
	if err != nil {
		return fmt.Errorf("seed warning: %w", err)
	}
	if len(targets) > 0 {
		if _, err := c.Warnings.Transition(ctx, sys, w.ID, targets[0], warning.Acknowledged, "Đã giao bộ phận vận hành"); err != nil {
			return fmt.Errorf("seed warning: %w", err)
		}
	}
	return nil
}

// seedIncident opens a (sample) ransomware case detected 30 hours ago on
// the first system: under the Law 116 regime its 72-hour report is
// running, the ransomware playbook is applied and its first step done.
func (c *Core) seedIncident(ctx context.Context, root unit.Unit) error {
	sys := systemPrincipal()
	systems, err := c.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		return fmt.Errorf("seed incident: %w", err)
	}
	var affected []int64
	if len(systems) > 0 {
		affected = []int64{systems[0].ID}
	}
	cs, err := c.Incidents.Create(ctx, sys, incident.Case{UnitID: root.ID, Title: "Sự cố mẫu: mã độc tống tiền mã hóa máy chủ tệp",
		Description: "Dữ liệu minh hoạ của bản demo. Người dùng phát hiện tệp bị đổi đuôi và thư đòi tiền chuộc trên máy chủ tệp.",
		Category:    incident.Ransomware, Severity: incident.Critical, SystemIDs: affected, DetectedAt: time.Now().Add(-30 * time.Hour),
		Impacts: []string{"service_disruption"}})
	if err != nil {
		return fmt.Errorf("seed incident: %w", err)
	}
	if _, err := c.Incidents.Transition(ctx, sys, cs.ID, incident.Contained, "Đã cô lập máy chủ tệp khỏi mạng"); err != nil {
		return fmt.Errorf("seed incident: %w", err)
	}
	tasks, err := c.Incidents.ApplyPlaybook(ctx, sys, cs.ID, "ransomware")
	if err != nil {
		return fmt.Errorf("seed incident: %w", err)
	}
	if len(tasks) > 0 {
		if _, err := c.Incidents.SetTask(ctx, sys, cs.ID, tasks[0].ID, incident.TaskDone, "Máy chủ tệp đã ngắt mạng"); err != nil {
			return fmt.Errorf("seed incident: %w", err)
		}
	}
	for _, o := range []incident.Observable{
		{Kind: "ip", Value: "203.0.113.66", Note: "Máy chủ điều khiển (C2) trong thư đòi tiền chuộc (minh hoạ)"},
		{Kind: "file_name", Value: "README_GIAI_MA.txt", Note: "Thư đòi tiền chuộc"},
		{Kind: incident.Host, Value: "fs01", Note: "Máy chủ tệp bị mã hoá"},
	} {
		if _, err := c.Incidents.AddObservable(ctx, sys, cs.ID, o); err != nil {
			return fmt.Errorf("seed incident: %w", err)
		}
	}
	note := "TẤT CẢ TỆP CỦA BẠN ĐÃ BỊ MÃ HOÁ.\nLiên hệ để nhận công cụ giải mã (dữ liệu minh hoạ của bản demo).\n"
	if _, err := c.Incidents.AddEvidence(ctx, sys, cs.ID, incident.Evidence{Name: "README_GIAI_MA.txt",
		Description: "Thư đòi tiền chuộc để lại trên máy chủ tệp", Source: "fs01:D:\\Share\\README_GIAI_MA.txt",
		CollectedBy: "Tổ ứng cứu sự cố"}, strings.NewReader(note)); err != nil {
		return fmt.Errorf("seed incident: %w", err)
	}
	return nil
}
