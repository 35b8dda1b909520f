package authority

import "time"

// Party is an organisation named in a report: the system owner (chủ quản
// hệ thống thông tin), the specialised information-security unit (đơn vị
// chuyên trách về an toàn thông tin) or an operator (đơn vị vận hành). The
// fields are those Circular 12/2022 Art. 14 item 1 asks for; an empty field
// prints as "Chưa có dữ liệu".
type Party struct {
	// Name is the full name of the organisation.
	Name string
	// Functions summarises its functions, duties and powers (chức năng,
	// nhiệm vụ, quyền hạn), or cites the decision that sets them.
	Functions string
	// Representative is the person who represents it; Title is that
	// person's position (chức vụ).
	Representative string
	Title          string
	// Address, Phone and Email are its contact details.
	Address string
	Phone   string
	Email   string
}

// Signer is the person who signs a report.
type Signer struct {
	// Role is printed bold above the signature, in upper case by convention:
	// "GIÁM ĐỐC", or "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" when signing on behalf.
	Role string
	// Name is printed bold below the signature.
	Name string
}

// Letter is the administrative frame of a report (Decree 30/2020/NĐ-CP):
// masthead, number, place and date, addressee, signature and distribution.
type Letter struct {
	// Governing is the optional governing body printed in the masthead above
	// the reporting organisation (cơ quan chủ quản cấp trên).
	Governing string
	// Number is the document number and symbol without "Số:", for example
	// "125/BC-STTTT". Empty prints a blank for the clerk to fill in.
	Number string
	// Place is where the report is issued ("Hà Nội"); Date the day it is
	// signed. A zero Date prints "ngày … tháng … năm …" to fill in by hand.
	Place string
	Date  time.Time
	// Recipients are the addressees after "Kính gửi:", for example
	// "Bộ Công an (Cục An ninh mạng và phòng, chống tội phạm sử dụng công
	// nghệ cao)". The authority changed in 2025, so there is no default.
	Recipients []string
	// Signer signs the report.
	Signer Signer
	// CopyTo is the distribution list (Nơi nhận); empty means the usual
	// "Như trên" and "Lưu: VT".
	CopyTo []string
}

// PlanStatus is how far the approved security plan (phương án bảo đảm an
// toàn thông tin) of a system has been implemented. The zero value is
// PlanUnknown: no data recorded.
type PlanStatus int

// Plan implementation states (Circular 12/2022 Art. 14 item 4).
const (
	PlanUnknown PlanStatus = iota // chưa có dữ liệu
	PlanNone                      // chưa triển khai
	PlanPartial                   // mới triển khai một phần
	PlanFull                      // đã triển khai đầy đủ
)

// Answer is a yes/no fact that Khiên may not hold. The zero value is
// Unknown: no data recorded, which is printed as such and never as "no".
type Answer int

// Answers.
const (
	Unknown Answer = iota
	Yes
	No
)

// GroupResult is the assessment of one group of requirements of a system's
// approved plan (for example "Bảo đảm an toàn mạng", or a management group
// of Circular 12/2022 Art. 9.3): how many requirements are met, partly met,
// not met or not applicable, out of Total.
type GroupResult struct {
	// Name is the group's name, as printed.
	Name string
	// Met, Partial, NotMet and NotApplicable count requirements by result.
	Met, Partial, NotMet, NotApplicable int
	// Total is the number of requirements in the group at the system's
	// level. Requirements not counted above are not yet assessed (chưa
	// đánh giá). Zero means the sum of the four counts.
	Total int
}

// total is Total, or the sum of the counts when Total is zero.
func (g GroupResult) total() int {
	if g.Total == 0 {
		return g.Met + g.Partial + g.NotMet + g.NotApplicable
	}
	return g.Total
}

// unassessed is the number of requirements not yet assessed.
func (g GroupResult) unassessed() int {
	return max(g.total()-g.Met-g.Partial-g.NotMet-g.NotApplicable, 0)
}

// fullyMet reports whether every applicable requirement is met.
func (g GroupResult) fullyMet() bool {
	return g.Partial == 0 && g.NotMet == 0 && g.unassessed() == 0
}

// UnmetItem is a requirement of the approved plan not yet fully met, with the
// roadmap to meet it (Circular 12/2022 Art. 14 item 9).
type UnmetItem struct {
	// RequirementID is the requirement's stable ID in the catalogue (for
	// example "tt12.mgmt.1.5.4"); Title its text as printed.
	RequirementID string
	Title         string
	// Partial is true when the requirement is partly met; otherwise it is
	// not met at all.
	Partial bool
	// Action is the planned remediation (kế hoạch, biện pháp hoàn thiện).
	Action string
	// Due is the date it is to be met; zero when not planned yet.
	Due time.Time
	// Owner is the unit or person in charge (đơn vị chủ trì).
	Owner string
}

// Layer is the state of one layer of the 4-layer protection model (mô hình
// bảo vệ 4 lớp, MIC dispatch 1552/BTTTT-CATTT of 2020) for a system.
type Layer struct {
	// Status says whether the layer is in place; Unknown when Khiên has no
	// record of it.
	Status Answer
	// Provider names who provides it: the in-house team, the monitoring
	// provider, the independent assessor or the national centre connected to.
	Provider string
}

// Layers are the four protection layers of a system.
type Layers struct {
	// OnSite is layer 1: the on-site protection force (lực lượng tại chỗ).
	OnSite Layer
	// Monitoring is layer 2: professional monitoring and protection (tổ
	// chức, doanh nghiệp giám sát, bảo vệ chuyên nghiệp).
	Monitoring Layer
	// Inspection is layer 3: periodic independent inspection and assessment
	// (tổ chức, doanh nghiệp độc lập kiểm tra, đánh giá định kỳ).
	Inspection Layer
	// National is layer 4: connection and information sharing with the
	// national monitoring centre (kết nối, chia sẻ thông tin với hệ thống
	// giám sát quốc gia).
	National Layer
}

func (l Layers) all() [4]Layer { return [4]Layer{l.OnSite, l.Monitoring, l.Inspection, l.National} }

// System is one information system as both reports see it. Each report uses
// the fields it needs; the comments say which.
type System struct {
	// Code is the system's short code in the register; Name its full name;
	// Operator the name of the unit that operates it (a [Party] of
	// AnnualData.Operators when described there).
	Code     string
	Name     string
	Operator string
	// ProposedLevel is the security level (1–5) proposed in the dossier or
	// determined by the level engine; 0 means not determined yet.
	ProposedLevel int

	// Approved is true when the level dossier (hồ sơ đề xuất cấp độ) has
	// been approved; ApprovedLevel (1–5) is the level approved by decision
	// DecisionNo of DecisionDate.
	Approved      bool
	ApprovedLevel int
	DecisionNo    string
	DecisionDate  time.Time

	// Plan is how far the approved security plan is implemented.
	Plan PlanStatus
	// PlanDue is the date by which the plan must be fully implemented. Zero
	// means Directive 09/CT-TTg's target, 31/12/2024.
	// Implementation report only.
	PlanDue time.Time
	// Groups are the assessment results of the plan's requirements, group by
	// group (Art. 14 items 8 and 9); empty when no assessment is recorded.
	Groups []GroupResult
	// Unmet are the requirements not fully met, with their roadmap.
	Unmet []UnmetItem

	// Regulation says whether the system has a security regulation (Quy
	// chế bảo đảm an toàn thông tin), issued by decision
	// RegulationDecision of RegulationDate (Art. 14 items 5 and 10).
	Regulation         Answer
	RegulationDecision string
	RegulationDate     time.Time
	// Compliant says whether operation complies with that regulation
	// (Art. 14 item 6).
	Compliant Answer

	// Inspected says whether the system was inspected or assessed in the
	// period (Art. 14 item 7); LastInspection is the date of the latest
	// inspection and Inspector who carried it out.
	Inspected      Answer
	LastInspection time.Time
	Inspector      string

	// Layers are the four protection layers. Implementation report only.
	Layers Layers
	// Backup says whether the system is backed up; LastBackup is the latest
	// backup and LastRestoreTest the latest test restore (zero: none
	// recorded). Implementation report only.
	Backup          Answer
	LastBackup      time.Time
	LastRestoreTest time.Time
}

// level is the system's level for classification: the approved level when
// approved, else the proposed one; 0 when not determined.
func (s System) level() int {
	if s.Approved && s.ApprovedLevel > 0 {
		return s.ApprovedLevel
	}
	return s.ProposedLevel
}

// AnnualData is the input of the annual report (Circular 12/2022/TT-BTTTT
// Arts 13–14).
type AnnualData struct {
	// Letter is the administrative frame: number, date, addressee, signer.
	Letter Letter
	// Year is the reporting year.
	Year int
	// PeriodFrom and PeriodTo are the first and last day of the data period,
	// inclusive. Both zero means the period of Art. 13.3, [AnnualPeriod]:
	// 15/12 of Year−1 to 14/12 of Year.
	PeriodFrom time.Time
	PeriodTo   time.Time
	// Org is the reporting organisation: the system owner (chủ quản hệ
	// thống thông tin), Art. 14 item 1.
	Org Party
	// SpecialisedUnit is the owner's specialised information-security unit.
	SpecialisedUnit Party
	// Operators are the units operating the systems.
	Operators []Party
	// Systems are the information systems within the owner's remit, in the
	// order to print.
	Systems []System
	// Other is any other information the authority asked for (item 11);
	// empty prints "Không có".
	Other string
}

// Period returns the data period: PeriodFrom and PeriodTo, or
// [AnnualPeriod] of Year when both are zero.
func (d AnnualData) Period() (from, to time.Time) {
	if d.PeriodFrom.IsZero() && d.PeriodTo.IsZero() {
		return AnnualPeriod(d.Year)
	}
	return d.PeriodFrom, d.PeriodTo
}

// AnnualPeriod returns the data period of the annual report for year
// (Circular 12/2022 Art. 13.3): 15/12 of year−1 to 14/12 of year, both
// inclusive, as calendar dates at 00:00 UTC.
func AnnualPeriod(year int) (from, to time.Time) {
	return time.Date(year-1, time.December, 15, 0, 0, 0, 0, time.UTC),
		time.Date(year, time.December, 14, 0, 0, 0, 0, time.UTC)
}

// Directive 09/CT-TTg (23/2/2024) targets: every operating system has an
// approved level by September 2024 and its approved plan fully implemented by
// December 2024. The last day of each month is the cut-off. Never modified.
var (
	approvalTarget = time.Date(2024, time.September, 30, 0, 0, 0, 0, time.UTC)
	planTarget     = time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// SeverityCount is the number of incidents of one severity.
type SeverityCount struct {
	// Severity is the label as printed, for example "Nghiêm trọng".
	Severity string
	Count    int
}

// Incidents summarises the information-security incidents of the period.
// The zero value (Known false) means no incident data is recorded in Khiên,
// which is not the same as no incidents.
type Incidents struct {
	// Known is true when the counts below are Khiên's records; with Known
	// true and no counts, there were no incidents.
	Known bool
	// BySeverity counts incidents by severity, in the order to print; the
	// total is their sum.
	BySeverity []SeverityCount
	// OnTime, Late and NotReported count the incidents that had to be
	// reported to the authority (Circular 20/2017/TT-BTTTT): reported within
	// the deadline, after it, or not (yet) at all.
	OnTime, Late, NotReported int
}

func (in Incidents) total() int {
	n := 0
	for _, s := range in.BySeverity {
		n += s.Count
	}
	return n
}

// Activity summarises a recurring security activity of the period: threat
// hunting (săn lùng mối nguy hại) or vulnerability scanning (rà quét lỗ
// hổng). The zero value (Known false) means no data recorded in Khiên.
type Activity struct {
	// Known is true when the figures below are Khiên's records.
	Known bool
	// Count is the number of times it was carried out in the period, and
	// Systems the number of distinct systems covered.
	Count   int
	Systems int
	// Findings is what was found (vulnerabilities for scans, signs of
	// compromise for hunts) and Open how many of them remain unresolved at
	// the end of the period.
	Findings int
	Open     int
	// Last is the date of the latest run; zero if none.
	Last time.Time
}

// Contact is a person designated as a focal point (đầu mối).
type Contact struct {
	Name  string
	Title string // position (chức vụ)
	Unit  string // unit (đơn vị)
	// Role says what the contact is the focal point for, for example "Đầu
	// mối tiếp nhận, xử lý sự cố".
	Role  string
	Phone string
	Email string
}

// FocalPoints are the contacts designated for exchanges with the authority.
// The zero value (Known false) means no data recorded; Known with no
// contacts means none has been designated.
type FocalPoints struct {
	Known    bool
	Contacts []Contact
}

// ImplementationData is the input of the implementation-results report that
// the 2024 post-ransomware dispatch asks organisations to send.
type ImplementationData struct {
	// Letter is the administrative frame: number, date, addressee, signer.
	Letter Letter
	// Org is the reporting organisation.
	Org Party
	// PeriodFrom and PeriodTo are the first and last day of the reporting
	// period, inclusive. Deadlines are judged as of PeriodTo.
	PeriodFrom time.Time
	PeriodTo   time.Time
	// Basis is the request being answered, printed after "Thực hiện", for
	// example "Công văn số …/CATTT-ATHTTT ngày 30/3/2024 của Cục An toàn
	// thông tin". Empty cites Directive 09/CT-TTg.
	Basis string
	// Systems are the organisation's information systems, in the order to
	// print.
	Systems []System
	// Incidents, Hunts and Scans are the period's incidents, threat hunts
	// and vulnerability scans.
	Incidents Incidents
	Hunts     Activity
	Scans     Activity
	// FocalPoints are the designated contacts.
	FocalPoints FocalPoints
	// Proposals are the organisation's proposals and requests (đề xuất,
	// kiến nghị); Other is any other information. Empty prints "Không có".
	Proposals string
	Other     string
}
