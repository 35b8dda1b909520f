package regulation

import (
	"fmt"
	"slices"
	"strings"

	"khien.vn/khien/internal/errs"
)

// Profile holds every property of a system that the level criteria look
// at. Field names in packs, in Profile.Unanswered and in LevelRelevantChanged
// are the Field* constants. The engine never reads anything else.
type Profile struct {
	// System names the system (its register name or id). It is carried into
	// Result.System and names the component in composite explanations; it is
	// not level-relevant.
	System string `json:"system,omitempty"`

	// SystemType is a pack system_types id (Decree 85 Art. 6.2). Every
	// criterion looks at it. "" means not given.
	SystemType string `json:"system_type"`
	// InfoTypes are pack info_types ids: the information the system
	// processes (Art. 6.1). Used by 85-7, 85-8.1, 85-8.2c, 85-9.2c and the
	// state-secret criteria 85-9.1, 85-10.1, 85-11.1. Empty means not given.
	InfoTypes []string `json:"info_types"`
	// StateSecretGrade is the highest classification grade of the state
	// secrets processed ("mat", "toi_mat", "tuyet_mat"; Art. 6.1, criteria
	// 85-9.1, 85-10.1, 85-11.1). It must be "" unless InfoTypes holds the
	// graded type; "" with that type means not given.
	StateSecretGrade string `json:"state_secret_grade"`
	// DataSubjects is the number of users whose private or personal
	// information the system processes (85-8.2c below 10,000; 85-9.2c from
	// 10,000). A system processing such information has at least one, so 0
	// means not given.
	DataSubjects int `json:"data_subjects"`
	// OnlinePublicServiceLevel is the highest level (1–4) of online public
	// service provided; 0 means none (85-8.2a: 1–2; 85-9.2a: 3 or more).
	OnlinePublicServiceLevel int `json:"online_public_service_level"`
	// ConditionalBusinessLine: the online services belong to a business
	// line on the list of conditional business lines (85-8.2b false,
	// 85-9.2b true).
	ConditionalBusinessLine bool `json:"conditional_business_line"`
	// InfrastructureScope is a pack infrastructure_scopes id: whom an
	// information-infrastructure system serves (85-8.3 single_organisation,
	// 85-9.3 multiple_organisations, 85-10.3 national_or_shared_nationwide,
	// 85-11.3 national_international_interconnection). "" means not given.
	InfrastructureScope string `json:"infrastructure_scope"`
	// WorksGrade is a pack works_grades id: the grade of the construction
	// works an industrial control system controls (85-9.4 II–IV, 85-10.4 I,
	// 85-11.4 special or national_security_important). "" means not given.
	WorksGrade string `json:"works_grade"`
	// Requires24x7: the system must run 24/7 (85-10.2, 85-10.3).
	Requires24x7 bool `json:"requires_24x7"`
	// UnplannedDowntimeAcceptable: an unplanned stop is acceptable
	// (85-10.2 and 85-10.3 need false).
	UnplannedDowntimeAcceptable bool `json:"unplanned_downtime_acceptable"`
	// NationalEGovernment: a national information system serving
	// e-government (85-10.2).
	NationalEGovernment bool `json:"national_e_government"`
	// EspeciallyImportantNationalData: a national system or database storing
	// especially important data centrally (85-11.2).
	EspeciallyImportantNationalData bool `json:"especially_important_national_data"`

	// Unanswered lists the fields (Field* names) the owner has not answered
	// yet. The engine treats them as unknown instead of reading their zero
	// value; this matters for the yes/no fields, whose zero value is a
	// meaningful answer.
	Unanswered []string `json:"unanswered"`
}

// The profile field names.
const (
	FieldSystemType                      = "system_type"
	FieldInfoTypes                       = "info_types"
	FieldStateSecretGrade                = "state_secret_grade"
	FieldDataSubjects                    = "data_subjects"
	FieldOnlinePublicServiceLevel        = "online_public_service_level"
	FieldConditionalBusinessLine         = "conditional_business_line"
	FieldInfrastructureScope             = "infrastructure_scope"
	FieldWorksGrade                      = "works_grade"
	FieldRequires24x7                    = "requires_24x7"
	FieldUnplannedDowntimeAcceptable     = "unplanned_downtime_acceptable"
	FieldNationalEGovernment             = "national_e_government"
	FieldEspeciallyImportantNationalData = "especially_important_national_data"
)

// profileFields lists the fields in declaration order, with their labels.
var profileFields = []struct {
	name  string
	label Text
}{
	{FieldSystemType, Text{VI: "loại hệ thống", EN: "system type"}},
	{FieldInfoTypes, Text{VI: "loại thông tin được xử lý", EN: "information processed"}},
	{FieldStateSecretGrade, Text{VI: "độ mật của thông tin bí mật nhà nước", EN: "state-secret classification"}},
	{FieldDataSubjects, Text{VI: "số người sử dụng có thông tin riêng, thông tin cá nhân được xử lý", EN: "number of users whose private or personal information is processed"}},
	{FieldOnlinePublicServiceLevel, Text{VI: "mức độ dịch vụ công trực tuyến", EN: "online public service level"}},
	{FieldConditionalBusinessLine, Text{VI: "thuộc ngành nghề kinh doanh có điều kiện", EN: "conditional business line"}},
	{FieldInfrastructureScope, Text{VI: "phạm vi phục vụ của hạ tầng", EN: "infrastructure scope"}},
	{FieldWorksGrade, Text{VI: "cấp công trình xây dựng được điều khiển", EN: "grade of the construction works controlled"}},
	{FieldRequires24x7, Text{VI: "yêu cầu vận hành 24/7", EN: "24/7 operation required"}},
	{FieldUnplannedDowntimeAcceptable, Text{VI: "chấp nhận ngừng vận hành không có kế hoạch", EN: "unplanned downtime acceptable"}},
	{FieldNationalEGovernment, Text{VI: "hệ thống quốc gia phục vụ Chính phủ điện tử", EN: "national e-government system"}},
	{FieldEspeciallyImportantNationalData, Text{VI: "lưu trữ dữ liệu quốc gia đặc biệt quan trọng", EN: "holds especially important national data"}},
}

// ProfileFields returns the names of every profile field, in declaration
// order.
func ProfileFields() []string {
	out := make([]string, len(profileFields))
	for i, f := range profileFields {
		out[i] = f.name
	}
	return out
}

// FieldLabel returns the label of a profile field, and false for an unknown
// name.
func FieldLabel(name string) (Text, bool) {
	for _, f := range profileFields {
		if f.name == name {
			return f.label, true
		}
	}
	return Text{}, false
}

func fieldLabel(name string) Text {
	if t, ok := FieldLabel(name); ok {
		return t
	}
	return Text{VI: name, EN: name}
}

func isProfileField(name string) bool {
	_, ok := FieldLabel(name)
	return ok
}

// ProfileError lists the values of a profile that the pack does not know.
// It matches errs.ErrInvalid.
type ProfileError struct {
	Problems []ProfileProblem
}

// ProfileProblem is one bad value of a profile.
type ProfileProblem struct {
	Field   string // a Field* name
	Value   string
	Message Text
}

// Error lists the bad values, in English.
func (e *ProfileError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = fmt.Sprintf("%s %q: %s", p.Field, p.Value, p.Message.EN)
	}
	return "invalid profile: " + strings.Join(parts, "; ")
}

// Unwrap returns errs.ErrInvalid.
func (e *ProfileError) Unwrap() error { return errs.ErrInvalid }

// ValidateProfile checks every value of pr against the pack's enumerations
// and ranges. It returns nil or a *ProfileError listing all problems.
func (p *Pack) ValidateProfile(pr Profile) error {
	var e ProfileError
	bad := func(field, value string, msg Text) {
		e.Problems = append(e.Problems, ProfileProblem{Field: field, Value: value, Message: msg})
	}
	if pr.SystemType != "" {
		if _, ok := p.SystemType(pr.SystemType); !ok {
			bad(FieldSystemType, pr.SystemType, textf("loại hệ thống không có trong gói %s (có: %s)", "not a system type of pack %s (known: %s)", p.id, strings.Join(p.systemTypeIDs(), ", ")))
		}
	}
	for _, t := range pr.InfoTypes {
		if _, ok := p.InfoType(t); !ok {
			bad(FieldInfoTypes, t, textf("loại thông tin không có trong gói %s (có: %s)", "not an information type of pack %s (known: %s)", p.id, strings.Join(p.infoTypeIDs(), ", ")))
		}
	}
	if pr.StateSecretGrade != "" {
		owner, ok := p.gradeOwner(pr.StateSecretGrade)
		switch {
		case !ok:
			bad(FieldStateSecretGrade, pr.StateSecretGrade, textf("độ mật không có trong gói %s", "not a classification grade of pack %s", p.id))
		case !slices.Contains(pr.InfoTypes, owner):
			bad(FieldStateSecretGrade, pr.StateSecretGrade, textf("có độ mật nhưng loại thông tin không gồm %s", "a grade is given but the information processed does not include %s", owner))
		}
	}
	if pr.DataSubjects < 0 {
		bad(FieldDataSubjects, fmt.Sprint(pr.DataSubjects), Text{VI: "không được âm", EN: "must not be negative"})
	}
	if pr.OnlinePublicServiceLevel != 0 && !slices.ContainsFunc(p.opsLevels, func(l ServiceLevel) bool { return l.Level == pr.OnlinePublicServiceLevel }) {
		bad(FieldOnlinePublicServiceLevel, fmt.Sprint(pr.OnlinePublicServiceLevel), textf("mức độ không có trong gói %s (0 = không cung cấp)", "not a level of pack %s (0 = none)", p.id))
	}
	if pr.InfrastructureScope != "" && !hasChoice(p.scopes, pr.InfrastructureScope) {
		bad(FieldInfrastructureScope, pr.InfrastructureScope, textf("phạm vi không có trong gói %s (có: %s)", "not an infrastructure scope of pack %s (known: %s)", p.id, strings.Join(choiceIDs(p.scopes), ", ")))
	}
	if pr.WorksGrade != "" && !hasChoice(p.worksGrades, pr.WorksGrade) {
		bad(FieldWorksGrade, pr.WorksGrade, textf("cấp công trình không có trong gói %s (có: %s)", "not a works grade of pack %s (known: %s)", p.id, strings.Join(choiceIDs(p.worksGrades), ", ")))
	}
	for _, f := range pr.Unanswered {
		if !isProfileField(f) {
			bad("unanswered", f, Text{VI: "không phải tên trường hồ sơ", EN: "not a profile field name"})
		}
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

// LevelRelevantChanged returns the names of the pack's level-relevant
// fields that differ between before and after (Decree 85 Art. 18), in the
// pack's order. A field that becomes answered or unanswered counts as
// changed; InfoTypes are compared as sets.
func (p *Pack) LevelRelevantChanged(before, after Profile) []string {
	var out []string
	for _, f := range p.relevance.Fields {
		b, bOK := fieldValue(before, f)
		a, aOK := fieldValue(after, f)
		if bOK != aOK || (bOK && a != b) {
			out = append(out, f)
		}
	}
	return out
}

// fieldValue returns a comparable form of one field, and false when the
// field is unanswered.
func fieldValue(pr Profile, field string) (string, bool) {
	if slices.Contains(pr.Unanswered, field) {
		return "", false
	}
	switch field {
	case FieldSystemType:
		return pr.SystemType, true
	case FieldInfoTypes:
		ts := slices.Clone(pr.InfoTypes)
		slices.Sort(ts)
		return strings.Join(slices.Compact(ts), "\x00"), true
	case FieldStateSecretGrade:
		return pr.StateSecretGrade, true
	case FieldDataSubjects:
		return fmt.Sprint(pr.DataSubjects), true
	case FieldOnlinePublicServiceLevel:
		return fmt.Sprint(pr.OnlinePublicServiceLevel), true
	case FieldConditionalBusinessLine:
		return fmt.Sprint(pr.ConditionalBusinessLine), true
	case FieldInfrastructureScope:
		return pr.InfrastructureScope, true
	case FieldWorksGrade:
		return pr.WorksGrade, true
	case FieldRequires24x7:
		return fmt.Sprint(pr.Requires24x7), true
	case FieldUnplannedDowntimeAcceptable:
		return fmt.Sprint(pr.UnplannedDowntimeAcceptable), true
	case FieldNationalEGovernment:
		return fmt.Sprint(pr.NationalEGovernment), true
	case FieldEspeciallyImportantNationalData:
		return fmt.Sprint(pr.EspeciallyImportantNationalData), true
	}
	return "", false
}

func (p *Pack) systemTypeIDs() []string {
	out := make([]string, len(p.systemTypes))
	for i, t := range p.systemTypes {
		out[i] = t.ID
	}
	return out
}

func (p *Pack) infoTypeIDs() []string {
	out := make([]string, len(p.infoTypes))
	for i, t := range p.infoTypes {
		out[i] = t.ID
	}
	return out
}

// gradeOwner returns the information type that has the grade.
func (p *Pack) gradeOwner(grade string) (string, bool) {
	for _, t := range p.infoTypes {
		for _, g := range t.Grades {
			if g.ID == grade {
				return t.ID, true
			}
		}
	}
	return "", false
}

func hasChoice(cs []Choice, id string) bool {
	return slices.ContainsFunc(cs, func(c Choice) bool { return c.ID == id })
}

func choiceIDs(cs []Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
