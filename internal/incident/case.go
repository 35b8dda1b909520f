package incident

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Category is the kind of incident.
type Category string

// The categories.
const (
	Ransomware        Category = "ransomware"
	Intrusion         Category = "intrusion"
	Malware           Category = "malware"
	DDoS              Category = "ddos"
	Defacement        Category = "defacement"
	DataBreach        Category = "data_breach"
	Phishing          Category = "phishing"
	AccountCompromise Category = "account_compromise"
	OtherCategory     Category = "other"
)

// Categories lists every category.
var Categories = []Category{Ransomware, Intrusion, Malware, DDoS, Defacement, DataBreach, Phishing, AccountCompromise, OtherCategory}

// Severity is how bad an incident is for the organisation.
type Severity string

// The severities.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists every severity, least first.
var Severities = []Severity{Low, Medium, High, Critical}

// Status is where a case's response stands.
type Status string

// The statuses, in the order a response goes through them.
const (
	New        Status = "new"
	Triage     Status = "triage"
	Contained  Status = "contained"
	Eradicated Status = "eradicated"
	Recovered  Status = "recovered"
	Closed     Status = "closed"
)

// Statuses lists every status in order.
var Statuses = []Status{New, Triage, Contained, Eradicated, Recovered, Closed}

// CheckTransition returns nil if a case may go from one status to the
// other: forward by any number of steps (a contained incident may be known
// eradicated at once), or back to triage or containment when it flares
// up again — but never out of Closed. An unknown status is
// errs.ErrInvalid; a step not allowed is errs.ErrConflict.
func CheckTransition(from, to Status) error {
	fi, ti := slices.Index(Statuses, from), slices.Index(Statuses, to)
	if fi < 0 || ti < 0 {
		return errs.Invalid("status", "err.invalid")
	}
	switch {
	case from == Closed, from == to:
	case ti > fi, to == Triage || to == Contained:
		return nil
	}
	return errs.Public(errs.ErrConflict, "err.incident_step", string(from), string(to))
}

// Limits on a case's contents.
const (
	MaxTitle       = 500   // runes
	MaxDescription = 20000 // runes
	MaxSystems     = 1000
	MaxAlerts      = 10000
	MaxText        = 4000 // runes of a timeline entry or submission text
)

// Case is one incident case.
type Case struct {
	ID     int64 `json:"id"`
	UnitID int64 `json:"unit_id"`
	// Ref is the case's number as the unit shows it ("SC-2026-0007").
	Ref         string   `json:"ref"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Category    Category `json:"category"`
	Severity    Severity `json:"severity"`
	Status      Status   `json:"status"`
	// SystemIDs are the affected information systems (their levels decide
	// the serious-incident test), ascending.
	SystemIDs []int64 `json:"system_ids,omitempty"`
	// AlertIDs are the linked alerts, ascending.
	AlertIDs []int64 `json:"alert_ids,omitempty"`
	// AssigneeID is the user in charge (0: nobody).
	AssigneeID int64 `json:"assignee_id,omitempty"`

	// StartedAt is when the incident actually began, as the investigation
	// established it (zero: unknown); never after DetectedAt. It does not
	// move the legal clocks: it measures the time to detect.
	StartedAt time.Time `json:"started_at,omitzero"`
	// DetectedAt starts the legal clocks; ResponseCompletedAt is set when
	// the case first reaches Recovered (or Closed) and starts the final
	// report's clock.
	DetectedAt          time.Time `json:"detected_at"`
	ResponseCompletedAt time.Time `json:"response_completed_at,omitzero"`
	ClosedAt            time.Time `json:"closed_at,omitzero"`

	// The facts of the serious-incident test and the personal-data rules.
	Impacts            []string `json:"impacts,omitempty"`
	NationalCritical   bool     `json:"national_critical,omitempty"`
	OwnerCannotControl bool     `json:"owner_cannot_control,omitempty"`
	PersonalData       bool     `json:"personal_data,omitempty"`
	SubjectNotice      bool     `json:"subject_notice,omitempty"`
	SupportRequested   bool     `json:"support_requested,omitempty"`

	Conclusion string    `json:"conclusion,omitempty"`
	CreatedBy  int64     `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Facts returns the case's facts for its clocks, given whether it is
// serious.
func (c Case) Facts(serious bool) Facts {
	return Facts{Detected: c.DetectedAt, ResponseCompleted: c.ResponseCompletedAt, Serious: serious,
		PersonalData: c.PersonalData, SubjectNotice: c.SubjectNotice, SupportRequested: c.SupportRequested}
}

// Check validates and normalises a case's contents (trims texts, sorts
// and deduplicates its lists).
func (c *Case) Check() error {
	c.Title = strings.TrimSpace(c.Title)
	c.Description = strings.TrimSpace(c.Description)
	c.Conclusion = strings.TrimSpace(c.Conclusion)
	switch {
	case c.Title == "":
		return errs.Invalid("title", "err.required")
	case utf8.RuneCountInString(c.Title) > MaxTitle || !cleanText(c.Title, false):
		return errs.Invalid("title", "err.too_long")
	case utf8.RuneCountInString(c.Description) > MaxDescription || !cleanText(c.Description, true):
		return errs.Invalid("description", "err.too_long")
	case utf8.RuneCountInString(c.Conclusion) > MaxDescription || !cleanText(c.Conclusion, true):
		return errs.Invalid("conclusion", "err.too_long")
	case !slices.Contains(Categories, c.Category):
		return errs.Invalid("category", "err.invalid")
	case !slices.Contains(Severities, c.Severity):
		return errs.Invalid("severity", "err.invalid")
	case !slices.Contains(Statuses, c.Status):
		return errs.Invalid("status", "err.invalid")
	case c.UnitID <= 0:
		return errs.Invalid("unit_id", "err.required")
	case c.DetectedAt.IsZero():
		return errs.Invalid("detected_at", "err.required")
	case !c.StartedAt.IsZero() && c.StartedAt.After(c.DetectedAt):
		return errs.Invalid("started_at", "err.incident_started_after")
	case len(c.SystemIDs) > MaxSystems:
		return errs.Invalid("system_ids", "err.invalid")
	case len(c.AlertIDs) > MaxAlerts:
		return errs.Invalid("alert_ids", "err.invalid")
	}
	for _, id := range append(slices.Clone(c.SystemIDs), c.AlertIDs...) {
		if id <= 0 {
			return errs.Invalid("system_ids", "err.invalid")
		}
	}
	slices.Sort(c.SystemIDs)
	c.SystemIDs = slices.Compact(c.SystemIDs)
	slices.Sort(c.AlertIDs)
	c.AlertIDs = slices.Compact(c.AlertIDs)
	slices.Sort(c.Impacts)
	c.Impacts = slices.Compact(c.Impacts)
	for _, i := range c.Impacts {
		if i == "" || len(i) > 64 || !cleanText(i, false) {
			return errs.Invalid("impacts", "err.invalid")
		}
	}
	return nil
}

// cleanText reports whether s has no control characters (newlines and
// tabs allowed when multiline) and is valid UTF-8.
func cleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
	}
	return true
}

// Submission records that what a clock asks for was sent: what, to whom,
// when, how, by whom, and the acknowledgement.
type Submission struct {
	ID     int64 `json:"id"`
	CaseID int64 `json:"case_id"`
	// ClockID is the clock rule it answers ("tt20.notification"); "" for a
	// submission no clock asks for.
	ClockID   string    `json:"clock_id,omitempty"`
	What      string    `json:"what"`
	Recipient string    `json:"recipient"`
	Channel   string    `json:"channel"` // e-mail, portal, letter, phone…
	SentAt    time.Time `json:"sent_at"`
	SentBy    int64     `json:"sent_by,omitempty"`
	// Reference is the document number or message id; Acknowledgement
	// what the recipient answered (number, date), when known.
	Reference       string    `json:"reference,omitempty"`
	Acknowledgement string    `json:"acknowledgement,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// Check validates and trims a submission.
func (s *Submission) Check() error {
	for _, f := range []struct {
		name  string
		v     *string
		need  bool
		limit int
	}{{"what", &s.What, true, 500}, {"recipient", &s.Recipient, true, 500}, {"channel", &s.Channel, true, 100},
		{"reference", &s.Reference, false, 500}, {"acknowledgement", &s.Acknowledgement, false, MaxText}, {"clock_id", &s.ClockID, false, 100}} {
		*f.v = strings.TrimSpace(*f.v)
		switch {
		case f.need && *f.v == "":
			return errs.Invalid(f.name, "err.required")
		case utf8.RuneCountInString(*f.v) > f.limit || !cleanText(*f.v, f.name == "acknowledgement"):
			return errs.Invalid(f.name, "err.too_long")
		}
	}
	if s.SentAt.IsZero() {
		return errs.Invalid("sent_at", "err.required")
	}
	return nil
}

// Entry is one entry of a case's timeline: a step of the response, a
// linked alert, a note.
type Entry struct {
	ID     int64     `json:"id"`
	CaseID int64     `json:"case_id"`
	At     time.Time `json:"at"`
	// Kind: one of EntryKinds.
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	By        int64     `json:"by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Kinds of timeline entries.
const (
	EntryCreated    = "created"
	EntryStatus     = "status"
	EntryAlert      = "alert"
	EntryNote       = "note"
	EntrySubmission = "submission"
	EntryTask       = "task"
)

// EntryKinds lists every kind of timeline entry.
var EntryKinds = []string{EntryCreated, EntryStatus, EntryAlert, EntryNote, EntrySubmission, EntryTask, EntryEvidence, EntryObservable, EntryAssigned}

// Filter selects cases.
type Filter struct {
	// Units are the units whose cases to list (nil: none).
	Units []int64
	// Open, when set, selects the cases not closed (true) or the closed
	// ones (false), by Status.
	Open     *bool
	SystemID int64
	Limit    int // 0: 100
	Offset   int
}

// Store persists cases, their submissions and timelines. Its methods are
// safe for concurrent use and stop when ctx is done.
//
// CreateCase stores c (after c.Check by the caller) and writes the stored
// form back: ID, Ref "SC-<year of DetectedAt>-<id, 4 digits or more>",
// times UTC to the microsecond, CreatedAt/UpdatedAt now when zero, empty
// lists nil. GetCase returns errs.ErrNotFound for an unknown id.
// ListCases returns the cases of f.Units, newest detection first, then
// highest id, and the total matching f without Limit/Offset. UpdateCase
// reads the case, calls update on it and, when update returns nil, writes
// every field but ID, UnitID, Ref, CreatedBy and CreatedAt, with UpdatedAt
// now — atomically: concurrent updates of one case are serialised.
// AddSubmission and AddEntry store one row (ID and CreatedAt written back;
// an unknown case is errs.ErrNotFound); ListSubmissions lists a case's
// by SentAt then id, ListEntries by At then id.
type Store interface {
	CreateCase(ctx context.Context, c *Case) error
	GetCase(ctx context.Context, id int64) (Case, error)
	ListCases(ctx context.Context, f Filter) ([]Case, int, error)
	UpdateCase(ctx context.Context, id int64, update func(*Case) error) (Case, error)

	AddSubmission(ctx context.Context, s *Submission) error
	ListSubmissions(ctx context.Context, caseID int64) ([]Submission, error)
	AddEntry(ctx context.Context, e *Entry) error
	ListEntries(ctx context.Context, caseID int64) ([]Entry, error)
}
