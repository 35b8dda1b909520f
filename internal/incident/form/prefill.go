package form

import (
	"strings"
	"time"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// Sources of a field's value (Field.Source). A field Khiên cannot fill has
// no source ("") and is left for the user or for filling in by hand.
const (
	SourceCase       = "case"        // the case, its submissions, timeline, tasks, evidence
	SourceSystem     = "system"      // the affected systems and their parties
	SourceUnit       = "unit"        // the reporting unit
	SourceFocalPoint = "focal_point" // the unit's focal points
	SourceReporter   = "reporter"    // the user generating the form
	SourceUser       = "user"        // typed by the user (Input.Values)
)

// Person is a person named on a form: the user generating it.
type Person struct {
	Name, Title, Phone, Email string
}

// Input is what a form is filled from. Only Form is required; whatever
// else Khiên does not hold is left empty, never guessed.
type Input struct {
	// Form is the form to fill (see [Lookup]).
	Form incident.Form
	// Case is the case of a case form (Forms 03, 04, the personal-data
	// notices); the zero Case for Forms 01, 02 and 05.
	Case incident.Case
	// Cases are the cases of the period of a Form 05, as the caller
	// selected them; From and To bound the period (printed, not applied).
	Cases    []incident.Case
	From, To time.Time
	// Unit is the reporting unit; Governing its governing body (cơ quan
	// chủ quản), printed first in the masthead, empty when unknown.
	Unit      unit.Unit
	Governing string
	// Systems are the case's affected systems; for Forms 01 and 02 the
	// unit's systems. FocalPoints are the unit's focal points, the
	// primary first.
	Systems     []system.System
	FocalPoints []system.FocalPoint
	// Submissions, Timeline, Tasks and Evidence are the case's.
	Submissions []incident.Submission
	Timeline    []incident.Entry
	Tasks       []incident.Task
	Evidence    []incident.Evidence
	// Reporter is the user generating the form: the contact person and,
	// unless Signer is given, the signer.
	Reporter Person
	// Signer signs the form when given (a name or title). Otherwise a form
	// with a legal representative's signature (Form 04) is signed by the
	// representative of the unit's party on its systems, when known, and
	// any other form by the Reporter.
	Signer Person
	// Rules are the incident rules (nil: incident.DefaultRules()); they
	// tell which submissions were initial reports.
	Rules *incident.Rules
	// Serious is whether the case is a serious incident.
	Serious bool
	// Now is the date of the form (zero: left blank to fill in); Place
	// the place of the date line (empty: blank).
	Now   time.Time
	Place string
	// Recipients are the addressees ("Kính gửi"); empty: blank.
	Recipients []string
	// Values are values the user typed, by field key: a non-blank value
	// replaces the prefilled one. Keys not on the form are ignored.
	Values map[string]string
}

// Field is one filled field of a form.
type Field struct {
	Key   string
	Label incident.Text
	Hint  incident.Text
	// Value is the text to print; empty when nobody knows it yet (the
	// document then prints [Blank] to fill in by hand).
	Value string
	// Source says where Value came from: one of the Source constants, or
	// "" when Value is empty.
	Source string
	// Multiline values are printed as their own paragraphs under the label.
	Multiline bool
}

// Blank is printed in place of a value nobody has given, to be filled in
// by hand.
const Blank = "……………………"

// filler fills one field: its value and where it came from.
type filler func(*filling) (value, source string)

// filling is the state of one Prefill call.
type filling struct {
	in     Input
	labels *Labels
	rules  *incident.Rules
}

// Prefill fills the fields of in.Form from what Khiên holds: exactly one
// Field per key of in.Form.Fields, in the same order, labelled from
// [DefaultLabels]. Values the user typed (in.Values) win over the prefill.
// It never fails: a field it cannot fill is empty, with no Source.
func Prefill(in Input) []Field {
	st := &filling{in: in, labels: DefaultLabels(), rules: in.Rules}
	if st.rules == nil {
		st.rules = incident.DefaultRules()
	}
	out := make([]Field, 0, len(in.Form.Fields))
	for _, key := range in.Form.Fields {
		out = append(out, st.field(key))
	}
	return out
}

// field fills the field key.
func (st *filling) field(key string) Field {
	l := st.labels.field(key)
	f := Field{Key: key, Label: l.Text, Hint: l.Hint}
	if v := normalise(st.in.Values[key]); v != "" {
		f.Value, f.Source = v, SourceUser
	} else if fill, ok := fillers[key]; ok {
		if v, src := fill(st); normalise(v) != "" {
			f.Value, f.Source = normalise(v), src
		}
	}
	f.Multiline = l.Multiline || strings.Contains(f.Value, "\n")
	return f
}

// normalise trims s and turns CR LF and CR into LF.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(strings.ReplaceAll(s, "\r", "\n"))
}

// fillers fill the fields Khiên knows something about, by key. Keys not
// here are always left to the user.
var fillers = map[string]filler{
	// Mẫu 01.
	"org_name":                  unitName,
	"managing_body":             governing,
	"address":                   partyField(func(p system.Party) string { return p.Address }),
	"phone":                     partyField(func(p system.Party) string { return p.Phone }),
	"email":                     partyField(func(p system.Party) string { return p.Email }),
	"primary_focal_point.name":  focal(0, func(f system.FocalPoint) string { return f.Name }),
	"primary_focal_point.title": focal(0, func(f system.FocalPoint) string { return f.Role }),
	"primary_focal_point.phone": focal(0, func(f system.FocalPoint) string { return f.Phone }),
	"primary_focal_point.email": focal(0, func(f system.FocalPoint) string { return f.Email }),
	"backup_focal_point.name":   focal(1, func(f system.FocalPoint) string { return f.Name }),
	"backup_focal_point.title":  focal(1, func(f system.FocalPoint) string { return f.Role }),
	"backup_focal_point.phone":  focal(1, func(f system.FocalPoint) string { return f.Phone }),
	"backup_focal_point.email":  focal(1, func(f system.FocalPoint) string { return f.Email }),
	// Mẫu 02.
	"org_info":                          orgInfo,
	"systems_by_level.level_1..level_5": systemsByLevel,
	// Mẫu 03.
	"reporter_org.name":          unitName,
	"reporter_org.address":       partyField(func(p system.Party) string { return p.Address }),
	"reporter_org.phone":         partyField(func(p system.Party) string { return p.Phone }),
	"reporter_org.email":         partyField(func(p system.Party) string { return p.Email }),
	"contact_person.name":        contact(func(p Person) string { return p.Name }),
	"contact_person.title":       contact(func(p Person) string { return p.Title }),
	"contact_person.phone":       contact(func(p Person) string { return p.Phone }),
	"contact_person.email":       contact(func(p Person) string { return p.Email }),
	"operator_name":              systemsJoin(func(s system.System) string { return s.Operator.Name }),
	"owner_body":                 systemsJoin(func(s system.System) string { return s.Owner.Name }),
	"system_name":                systemsJoin(func(s system.System) string { return s.Name }),
	"system_level_1_5":           systemLevels,
	"security_service_provider":  systemsJoin(monitoringProvider),
	"incident_description":       description,
	"data_sensitivity":           sensitivity,
	"detected_at":                detectedAt,
	"current_status":             currentStatus,
	"detection_method":           detectionMethod,
	"parties_notified":           partiesNotified,
	"security_measures_deployed": securityMeasures,
	"system_purpose":             systemPurpose,
	"attachments":                attachments,
	"support_requested":          supportRequested,
	// Mẫu 04.
	"reporter_org":              orgInfo,
	"initial_report_ref_no":     initialReport(func(s incident.Submission) string { return s.Reference }),
	"initial_report_date":       initialReport(func(s incident.Submission) string { return date(s.SentAt) }),
	"incident_name":             incidentName,
	"handling_result_summary":   handlingSummary,
	"attachments.timeline":      timeline,
	"attachments.response_plan": responsePlan,
	"attachments.logs":          evidenceList,
	"legal_rep_signature":       legalRepresentative,
	// Mẫu 05.
	"per_incident_type.count":        countByCategory(func(incident.Case) bool { return true }),
	"per_incident_type.self_handled": countByCategory(func(c incident.Case) bool { return !c.SupportRequested }),
	// Personal-data breach notices.
	"nature.time":                       natureTime,
	"nature.place":                      naturePlace,
	"nature.act":                        description,
	"nature.organisation_or_individual": unitName,
	"contact_person_dpo":                contactLine,
	"pdp_contact":                       contactLine,
	"remediation_measures":              measuresTaken,
	"measures":                          measuresTaken,
}

// hasCase reports whether the input carries a case.
func (st *filling) hasCase() bool {
	c := st.in.Case
	return c.ID != 0 || c.Title != "" || !c.DetectedAt.IsZero()
}
