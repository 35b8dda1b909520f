package incident

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// PlanStatus is where a response plan stands.
type PlanStatus string

// The plan statuses: a draft is being written or amended; an approved
// plan was signed off by the head of the organisation (ApprovedBy).
const (
	PlanDraft    PlanStatus = "draft"
	PlanApproved PlanStatus = "approved"
)

// PlanStatuses lists every plan status.
var PlanStatuses = []PlanStatus{PlanDraft, PlanApproved}

// ResponsePlan is the incident-response plan (phương án ứng cứu sự cố) of
// one information system: the content Decision 05/2017/QĐ-TTg and Circular
// 20/2017/TT-BTTTT expect of an owner's plan, and Directive 18/CT-TTg's
// "approved plan and scenarios per system" — as text sections (see
// PlanSections). The section titles follow the outline seen in provincial
// plans; the exact legal headings are not confirmed (regulation brief §5.3).
type ResponsePlan struct {
	ID       int64 `json:"id"`
	SystemID int64 `json:"system_id"`
	// UnitID is the system's unit, set from the system on every save.
	UnitID  int64      `json:"unit_id"`
	Version string     `json:"version"`
	Status  PlanStatus `json:"status"`

	// The sections, in the order of PlanSections.
	Scope         string `json:"scope"`
	Scenarios     string `json:"scenarios"`
	Team          string `json:"team"`
	Contacts      string `json:"contacts"`
	Procedures    string `json:"procedures"`
	Resources     string `json:"resources"`
	Communication string `json:"communication"`
	Training      string `json:"training"`

	// ApprovedBy names who approved it (name and title, as on the
	// decision); ApprovedAt when. Both are empty on a draft.
	ApprovedBy string    `json:"approved_by,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	// NextReview is when the plan is next to be reviewed (zero: not set).
	NextReview time.Time `json:"next_review,omitzero"`
	UpdatedBy  int64     `json:"updated_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PlanSection describes one section of a response plan.
type PlanSection struct {
	// ID is the section's key: its JSON field and form field.
	ID    string
	Title Text
	// Hint says what the section is expected to hold.
	Hint Text
}

// PlanSections are the sections a response plan is expected to have, in
// order.
var PlanSections = []PlanSection{
	{ID: "scope", Title: Text{VI: "Phạm vi và hệ thống áp dụng", EN: "Scope and systems covered"},
		Hint: Text{VI: "Hệ thống thông tin, thành phần và dịch vụ mà phương án áp dụng; đánh giá hiện trạng, nguy cơ và tác động.",
			EN: "The information system, components and services the plan covers; current state, threats and impact."}},
	{ID: "scenarios", Title: Text{VI: "Các kịch bản sự cố", EN: "Incident scenarios"},
		Hint: Text{VI: "Các loại sự cố được tính đến, ví dụ mã độc tống tiền, tấn công từ chối dịch vụ (DDoS), lộ lọt dữ liệu, thay đổi giao diện trang web; phương án xử lý cho từng kịch bản.",
			EN: "The incident types considered, e.g. ransomware, DDoS, data breach, website defacement; the response option for each."}},
	{ID: "team", Title: Text{VI: "Đội ứng cứu sự cố: vai trò và trách nhiệm", EN: "Response team: roles and responsibilities"},
		Hint: Text{VI: "Thành viên đội ứng cứu, người chỉ huy, vai trò và trách nhiệm của từng người, đầu mối trực 24/7.",
			EN: "The response team members, who leads, each one's role and responsibilities, the 24/7 duty contact."}},
	{ID: "contacts", Title: Text{VI: "Đầu mối liên hệ trong và ngoài đơn vị", EN: "Internal and external contacts"},
		Hint: Text{VI: "Đầu mối nội bộ; đơn vị chuyên trách ứng cứu sự cố của bộ, tỉnh; cơ quan điều phối quốc gia; nhà cung cấp dịch vụ và thiết bị.",
			EN: "Internal contacts; the ministry's or province's specialised response unit; the national coordinator; service and equipment providers."}},
	{ID: "procedures", Title: Text{VI: "Quy trình ứng cứu", EN: "Response procedures"},
		Hint: Text{VI: "Phát hiện, phân loại, báo cáo theo các thời hạn pháp lý, ngăn chặn, loại bỏ nguyên nhân, khôi phục hoạt động.",
			EN: "Detection, classification, reporting within the legal deadlines, containment, eradication, recovery."}},
	{ID: "resources", Title: Text{VI: "Nguồn lực: công cụ, sao lưu, thiết bị dự phòng, kinh phí", EN: "Resources: tools, backups, spare equipment, budget"},
		Hint: Text{VI: "Công cụ ứng cứu, bản sao lưu và nơi lưu giữ, thiết bị dự phòng, kinh phí bảo đảm.",
			EN: "Response tools, backups and where they are kept, spare equipment, the budget."}},
	{ID: "communication", Title: Text{VI: "Thông tin và truyền thông", EN: "Communication"},
		Hint: Text{VI: "Ai thông báo cho ai, qua kênh nào: lãnh đạo, người dùng, cơ quan chức năng, báo chí; thông báo cho chủ thể dữ liệu khi cần.",
			EN: "Who informs whom, through which channel: management, users, the authorities, the press; notifying data subjects when needed."}},
	{ID: "training", Title: Text{VI: "Đào tạo và diễn tập", EN: "Training and drills"},
		Hint: Text{VI: "Kế hoạch đào tạo và diễn tập (hệ thống cấp độ 3 trở lên: ít nhất mỗi năm một lần).",
			EN: "The training and drill plan (level 3 and above: at least once a year)."}},
}

// PlanSectionByID returns the section with id.
func PlanSectionByID(id string) (PlanSection, bool) {
	i := slices.IndexFunc(PlanSections, func(s PlanSection) bool { return s.ID == id })
	if i < 0 {
		return PlanSection{}, false
	}
	return PlanSections[i], true
}

// Section returns a pointer to the text of section id (nil for an unknown
// id).
func (p *ResponsePlan) Section(id string) *string {
	switch id {
	case "scope":
		return &p.Scope
	case "scenarios":
		return &p.Scenarios
	case "team":
		return &p.Team
	case "contacts":
		return &p.Contacts
	case "procedures":
		return &p.Procedures
	case "resources":
		return &p.Resources
	case "communication":
		return &p.Communication
	case "training":
		return &p.Training
	}
	return nil
}

// Missing returns the IDs of the expected sections (PlanSections) that are
// empty or blank, in order; nil when none is.
func (p ResponsePlan) Missing() []string {
	var out []string
	for _, s := range PlanSections {
		if strings.TrimSpace(*p.Section(s.ID)) == "" {
			out = append(out, s.ID)
		}
	}
	return out
}

// sameContent reports whether a and b have the same version and sections.
func (p ResponsePlan) sameContent(o ResponsePlan) bool {
	if p.Version != o.Version {
		return false
	}
	for _, s := range PlanSections {
		if *p.Section(s.ID) != *o.Section(s.ID) {
			return false
		}
	}
	return true
}

// Limits on a response plan and a drill.
const (
	MaxPlanVersion  = 50    // runes
	MaxPlanSection  = 20000 // runes per section
	MaxApprovedBy   = 300   // runes
	MaxDrillText    = 20000 // runes of a drill's result or findings
	MaxDrillSystems = 1000
)

// Check validates and normalises a plan's contents: trims its texts and
// checks their lengths and characters, its status, system and unit. It
// does not require the sections: Missing says which are left empty.
func (p *ResponsePlan) Check() error {
	p.Version = strings.TrimSpace(p.Version)
	p.ApprovedBy = strings.TrimSpace(p.ApprovedBy)
	switch {
	case p.Version == "":
		return errs.Invalid("version", "err.required")
	case utf8.RuneCountInString(p.Version) > MaxPlanVersion || !cleanText(p.Version, false):
		return errs.Invalid("version", "err.too_long")
	case utf8.RuneCountInString(p.ApprovedBy) > MaxApprovedBy || !cleanText(p.ApprovedBy, false):
		return errs.Invalid("approved_by", "err.too_long")
	case !slices.Contains(PlanStatuses, p.Status):
		return errs.Invalid("status", "err.invalid")
	case p.SystemID <= 0:
		return errs.Invalid("system_id", "err.required")
	case p.UnitID <= 0:
		return errs.Invalid("unit_id", "err.required")
	case p.Status == PlanApproved && (p.ApprovedBy == "" || p.ApprovedAt.IsZero()):
		return errs.Invalid("approved_by", "err.required")
	}
	for _, s := range PlanSections {
		v := p.Section(s.ID)
		*v = strings.TrimSpace(*v)
		if utf8.RuneCountInString(*v) > MaxPlanSection || !cleanText(*v, true) {
			return errs.Invalid(s.ID, "err.too_long")
		}
	}
	return nil
}

// DrillKind is the kind of an incident-response drill.
type DrillKind string

// The drill kinds: a tabletop exercise walks through a scenario in a
// meeting; a live (real-fire) drill plays it on the systems with the
// response team; a technical drill tests one technical step (restoring a
// backup, failing over).
const (
	DrillTabletop  DrillKind = "tabletop"
	DrillLive      DrillKind = "live"
	DrillTechnical DrillKind = "technical"
)

// DrillKinds lists every drill kind.
var DrillKinds = []DrillKind{DrillTabletop, DrillLive, DrillTechnical}

// Drill is the record of one incident-response drill (diễn tập): when,
// which systems it covered, what was played, who took part, how it went
// and what was learned.
type Drill struct {
	ID     int64 `json:"id"`
	UnitID int64 `json:"unit_id"`
	// SystemIDs are the systems the drill covered, ascending; at least one.
	SystemIDs []int64   `json:"system_ids"`
	Date      time.Time `json:"date"`
	Kind      DrillKind `json:"kind"`
	// Scenario is what was played (e.g. "ransomware on the file server").
	Scenario     string `json:"scenario"`
	Participants string `json:"participants,omitempty"`
	Result       string `json:"result,omitempty"`
	// Findings are the lessons learned and what is to change.
	Findings string `json:"findings,omitempty"`
	// PlanID is the response plan it exercised (0: none named).
	PlanID    int64     `json:"plan_id,omitempty"`
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Check validates and normalises a drill's contents (trims texts, sorts
// and deduplicates its systems).
func (d *Drill) Check() error {
	d.Scenario = strings.TrimSpace(d.Scenario)
	d.Participants = strings.TrimSpace(d.Participants)
	d.Result = strings.TrimSpace(d.Result)
	d.Findings = strings.TrimSpace(d.Findings)
	switch {
	case d.UnitID <= 0:
		return errs.Invalid("unit_id", "err.required")
	case len(d.SystemIDs) == 0:
		return errs.Invalid("system_ids", "err.required")
	case len(d.SystemIDs) > MaxDrillSystems:
		return errs.Invalid("system_ids", "err.invalid")
	case d.Date.IsZero():
		return errs.Invalid("date", "err.required")
	case !slices.Contains(DrillKinds, d.Kind):
		return errs.Invalid("kind", "err.invalid")
	case d.Scenario == "":
		return errs.Invalid("scenario", "err.required")
	case utf8.RuneCountInString(d.Scenario) > MaxText || !cleanText(d.Scenario, true):
		return errs.Invalid("scenario", "err.too_long")
	case utf8.RuneCountInString(d.Participants) > MaxText || !cleanText(d.Participants, true):
		return errs.Invalid("participants", "err.too_long")
	case utf8.RuneCountInString(d.Result) > MaxDrillText || !cleanText(d.Result, true):
		return errs.Invalid("result", "err.too_long")
	case utf8.RuneCountInString(d.Findings) > MaxDrillText || !cleanText(d.Findings, true):
		return errs.Invalid("findings", "err.too_long")
	case d.PlanID < 0:
		return errs.Invalid("plan_id", "err.invalid")
	}
	for _, id := range d.SystemIDs {
		if id <= 0 {
			return errs.Invalid("system_ids", "err.invalid")
		}
	}
	slices.Sort(d.SystemIDs)
	d.SystemIDs = slices.Compact(d.SystemIDs)
	return nil
}

// DrillFilter selects drills.
type DrillFilter struct {
	// Units are the units whose drills to list: nil every unit, empty none.
	Units []int64
	// SystemID selects the drills covering that system (0: any).
	SystemID int64
	Limit    int // <= 0: no limit
}

// PlanStore persists the response plans of systems and the drill records.
// Its methods are safe for concurrent use and stop when ctx is done.
//
// GetResponsePlan returns the plan of system systemID (errs.ErrNotFound
// when it has none). SaveResponsePlan is the one write of a plan, atomic
// per system: it reads the system's plan (a zero ResponsePlan with its
// SystemID set when there is none), calls update on it and, when update
// returns nil, inserts or updates it — every field but ID, SystemID and
// CreatedAt (on insert as update set it, now when zero), with UpdatedAt
// now, times UTC to the microsecond — and returns it as stored. Saves of
// one system are serialised (concurrent read-modify-writes all land; of
// concurrent first saves one inserts); update may be called more than
// once, and nothing is written when it fails. An unknown system or unit,
// and text with a NUL or invalid UTF-8, are errs.ErrInvalid.
// ListResponsePlans returns the plans of units (nil: every unit; empty:
// none) by system id.
//
// AddDrill stores d (after d.Check by the caller) with its systems and
// writes the stored form back: ID, times UTC to the microsecond,
// CreatedAt/UpdatedAt now when zero, SystemIDs sorted without duplicates;
// an unknown unit or system is errs.ErrInvalid and nothing is written.
// ListDrills lists what f selects, latest Date first, then highest id.
type PlanStore interface {
	GetResponsePlan(ctx context.Context, systemID int64) (ResponsePlan, error)
	SaveResponsePlan(ctx context.Context, systemID int64, update func(*ResponsePlan) error) (ResponsePlan, error)
	ListResponsePlans(ctx context.Context, units []int64) ([]ResponsePlan, error)
	AddDrill(ctx context.Context, d *Drill) error
	ListDrills(ctx context.Context, f DrillFilter) ([]Drill, error)
}
