// Package warning is the register of national warnings (cảnh báo): the
// notices in which the information-security authority (the MPS National
// Cybersecurity Center, AIS) or a sector CERT tells an organisation that
// something threatens it — an exploited vulnerability, a campaign, its
// indicators — what to do about it and by when, and when to report back.
//
// A Warning is received by one unit and names the information systems it
// affects as Targets. Each target goes forward one step at a time:
//
//	pending → acknowledged → applied → reported
//	pending, acknowledged → not_affected (with a note saying why)
//
// Each step records who took it and when. Before a target is applied its
// deadline is the warning's ActionDue, after that its ReportDue (see Due);
// Reminders picks the targets whose deadline is near or past for the job
// that sends reminders.
package warning

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Severity is how serious the issuer says a warning is.
type Severity string

// The severities.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists every severity, least serious first.
var Severities = []Severity{Low, Medium, High, Critical}

// ActionKind says what sort of thing a required action is.
type ActionKind string

// The action kinds.
const (
	ActionPatch  ActionKind = "patch"  // install an update
	ActionConfig ActionKind = "config" // change a configuration (a mitigation, a workaround)
	ActionHunt   ActionKind = "hunt"   // look for signs of a past intrusion
	ActionBlock  ActionKind = "block"  // block indicators at the perimeter
	ActionOther  ActionKind = "other"
)

// ActionKinds lists every action kind.
var ActionKinds = []ActionKind{ActionPatch, ActionConfig, ActionHunt, ActionBlock, ActionOther}

// Action is one thing a warning asks to be done.
type Action struct {
	Kind ActionKind `json:"kind"`
	Text string     `json:"text"`
}

// Sources of a warning: typed in, or read by ParseWarningJSON.
const (
	SourceManual = "manual"
	SourceImport = "import"
)

// Limits on a warning's contents.
const (
	MaxRef            = 255   // runes of Ref and of Issuer
	MaxTitle          = 500   // runes
	MaxSummary        = 20000 // runes
	MaxSource         = 64    // runes
	MaxCVEs           = 1000
	MaxIndicators     = 10000
	MaxIndicatorBytes = 2048
	MaxActions        = 100
	MaxActionText     = 2000 // runes
	MaxNote           = 4000 // runes of a target's note
)

// Warning is one received warning.
type Warning struct {
	ID int64 `json:"id"`
	// UnitID is the unit that received the warning and owns it.
	UnitID int64 `json:"unit_id"`
	// Ref is the issuer's document number ("1234/CATTT-NCSC").
	Ref string `json:"ref,omitempty"`
	// Issuer names who sent it ("NCSC", "VNCERT/CC", a sector CERT).
	Issuer   string   `json:"issuer,omitempty"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary,omitempty"`
	Severity Severity `json:"severity"`
	// IssuedAt is the date of the document (zero: unknown); ReceivedAt
	// when the unit received it.
	IssuedAt   time.Time `json:"issued_at,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
	// CVEs are the vulnerabilities the warning is about, upper-case, by
	// year and number, without duplicates.
	CVEs []string `json:"cves,omitempty"`
	// Indicators are the indicators of compromise as the issuer gave them
	// (addresses, domains, hashes, URLs), in order, without duplicates.
	Indicators []string `json:"indicators,omitempty"`
	Actions    []Action `json:"actions,omitempty"`
	// ActionDue is the deadline for applying the actions; ReportDue for
	// reporting back to the issuer (zero: no report asked for).
	ActionDue time.Time `json:"action_due"`
	ReportDue time.Time `json:"report_due,omitzero"`
	// Source says how the warning was entered (SourceManual, SourceImport).
	Source string `json:"source"`
	// CreatedBy is the id of the user who entered it (0: the system).
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Closed warnings ask nothing more of their targets.
	Closed   bool      `json:"closed"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// Status is where an affected system is in answering a warning.
type Status string

// The statuses of a target.
const (
	Pending      Status = "pending"      // named by the warning, nobody has taken it up yet
	Acknowledged Status = "acknowledged" // the system's people know and are on it
	Applied      Status = "applied"      // the required actions are done
	Reported     Status = "reported"     // reported back to the issuer (final)
	NotAffected  Status = "not_affected" // the system turned out not to be affected (final)
)

// Statuses lists every status in order.
var Statuses = []Status{Pending, Acknowledged, Applied, Reported, NotAffected}

// Final reports whether no step leads on from s.
func (s Status) Final() bool { return s == Reported || s == NotAffected }

// Target is a warning × an information system it affects.
type Target struct {
	WarningID int64  `json:"warning_id"`
	SystemID  int64  `json:"system_id"`
	Status    Status `json:"status"`
	// When each step was taken and by whom (user ids).
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy int64     `json:"acknowledged_by,omitempty"`
	AppliedAt      time.Time `json:"applied_at,omitzero"`
	AppliedBy      int64     `json:"applied_by,omitempty"`
	ReportedAt     time.Time `json:"reported_at,omitzero"`
	ReportedBy     int64     `json:"reported_by,omitempty"`
	NotAffectedAt  time.Time `json:"not_affected_at,omitzero"`
	NotAffectedBy  int64     `json:"not_affected_by,omitempty"`
	// Note is the last note given with a step (why a system is not
	// affected, what was applied, the number of the report).
	Note      string    `json:"note,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CheckTransition returns nil if a target may go from one status to the
// other in one step. An unknown status is errs.ErrInvalid; a step that is
// not allowed — skipping one, going back, leaving a final status — is
// errs.ErrConflict, since whether a step is allowed depends on the stored
// status, which may have moved on since the caller read it.
func CheckTransition(from, to Status) error {
	if !slices.Contains(Statuses, from) || !slices.Contains(Statuses, to) {
		return errs.Invalid("status", "err.invalid")
	}
	switch {
	case from == Pending && to == Acknowledged,
		from == Acknowledged && to == Applied,
		from == Applied && to == Reported,
		(from == Pending || from == Acknowledged) && to == NotAffected:
		return nil
	}
	return errs.Public(errs.ErrConflict, "err.warning_step", string(from), string(to))
}

// CheckNote checks and trims the note given with a step to to: at most
// MaxNote runes of text, and required for NotAffected.
func CheckNote(to Status, note string) (string, error) {
	note = strings.TrimSpace(note)
	switch {
	case utf8.RuneCountInString(note) > MaxNote || !cleanText(note, true):
		return "", errs.Invalid("note", "err.too_long")
	case to == NotAffected && note == "":
		return "", errs.Invalid("note", "err.warning_note_required")
	}
	return note, nil
}

// cveRE matches a CVE id as normalised: the year, then a sequence number
// of at least four digits.
var cveRE = regexp.MustCompile(`^CVE-(\d{4})-(\d{4,19})$`)

// NormalizeCVE returns id trimmed and upper-case if it is a CVE id
// (CVE-YYYY-NNNN, any number of digits from four), ok false otherwise.
func NormalizeCVE(id string) (string, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	return id, cveRE.MatchString(id)
}

// compareCVE orders normalised CVE ids by year, then number.
func compareCVE(a, b string) int {
	ya, na, _ := strings.Cut(a[len("CVE-"):], "-")
	yb, nb, _ := strings.Cut(b[len("CVE-"):], "-")
	return cmp.Or(strings.Compare(ya, yb), cmp.Compare(len(na), len(nb)), strings.Compare(na, nb))
}

// Validate checks and normalises a warning a user enters or edits: texts
// trimmed, CVEs normalised, sorted and without duplicates, indicators
// trimmed, without empty ones and duplicates (the first kept), an empty
// Source manual. It does not look at ID, CreatedBy, the times kept by the
// store or the closed state.
func (w *Warning) Validate() error {
	w.Ref, w.Issuer = strings.TrimSpace(w.Ref), strings.TrimSpace(w.Issuer)
	w.Title, w.Summary = strings.TrimSpace(w.Title), strings.TrimSpace(w.Summary)
	w.Source = strings.TrimSpace(w.Source)
	if w.Source == "" {
		w.Source = SourceManual
	}
	switch {
	case w.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case w.Title == "" || utf8.RuneCountInString(w.Title) > MaxTitle || !cleanText(w.Title, false):
		return errs.Invalid("title", "err.warning_title")
	case utf8.RuneCountInString(w.Ref) > MaxRef || !cleanText(w.Ref, false):
		return errs.Invalid("ref", "err.too_long")
	case utf8.RuneCountInString(w.Issuer) > MaxRef || !cleanText(w.Issuer, false):
		return errs.Invalid("issuer", "err.too_long")
	case utf8.RuneCountInString(w.Summary) > MaxSummary || !cleanText(w.Summary, true):
		return errs.Invalid("summary", "err.too_long")
	case utf8.RuneCountInString(w.Source) > MaxSource || !cleanText(w.Source, false):
		return errs.Invalid("source", "err.invalid")
	case !slices.Contains(Severities, w.Severity):
		return errs.Invalid("severity", "err.warning_severity")
	case w.ReceivedAt.IsZero():
		return errs.Invalid("received_at", "err.warning_received")
	case w.ActionDue.IsZero():
		return errs.Invalid("action_due", "err.warning_action_due")
	}
	cves, err := normalizeCVEs(w.CVEs)
	if err != nil {
		return err
	}
	indicators, err := normalizeIndicators(w.Indicators)
	if err != nil {
		return err
	}
	actions, err := normalizeActions(w.Actions)
	if err != nil {
		return err
	}
	w.CVEs, w.Indicators, w.Actions = cves, indicators, actions
	return nil
}

func normalizeCVEs(list []string) ([]string, error) {
	if len(list) > MaxCVEs {
		return nil, errs.Invalid("cves", "err.too_long")
	}
	var out []string
	for _, c := range list {
		id, ok := NormalizeCVE(c)
		if !ok {
			return nil, errs.Invalid("cves", "err.warning_cve", truncate(strings.TrimSpace(c), 40))
		}
		out = append(out, id)
	}
	slices.SortFunc(out, compareCVE)
	return slices.Compact(out), nil
}

func normalizeIndicators(list []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		if len(s) > MaxIndicatorBytes || !cleanText(s, false) || len(out) == MaxIndicators {
			return nil, errs.Invalid("indicators", "err.warning_indicators", MaxIndicators, MaxIndicatorBytes)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

func normalizeActions(list []Action) ([]Action, error) {
	if len(list) > MaxActions {
		return nil, errs.Invalid("actions", "err.too_long")
	}
	var out []Action
	for _, a := range list {
		a.Text = strings.TrimSpace(a.Text)
		if !slices.Contains(ActionKinds, a.Kind) || a.Text == "" || utf8.RuneCountInString(a.Text) > MaxActionText ||
			!cleanText(a.Text, true) {
			return nil, errs.Invalid("actions", "err.warning_actions")
		}
		out = append(out, a)
	}
	return out, nil
}

// cleanText reports whether s is valid UTF-8 without control characters
// (but line breaks and tabs when multiline).
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

// truncate returns s cut to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// What a target owes next, as Due names it.
const (
	DueAction = "action" // apply the actions, by ActionDue
	DueReport = "report" // report back, by ReportDue
)

// Due returns what target t of warning w owes next and by when, and
// whether that deadline has passed at now: until the actions are applied
// (pending, acknowledged), DueAction by w.ActionDue; once applied,
// DueReport by w.ReportDue. A final target, a closed warning or a zero
// deadline owe nothing: what is "" and due zero.
func Due(w Warning, t Target, now time.Time) (what string, due time.Time, overdue bool) {
	if w.Closed {
		return "", time.Time{}, false
	}
	switch t.Status {
	case Pending, Acknowledged:
		what, due = DueAction, w.ActionDue
	case Applied:
		what, due = DueReport, w.ReportDue
	}
	if due.IsZero() {
		return "", time.Time{}, false
	}
	return what, due, now.After(due)
}

// Item is a target with its warning, as dashboards and reminders need it.
type Item struct {
	Warning Warning `json:"warning"`
	Target  Target  `json:"target"`
}

// Reminder is an item whose deadline is near or past.
type Reminder struct {
	Item
	What    string    `json:"what"` // DueAction or DueReport
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
}

// Reminders returns the items of list whose deadline (see Due) is at most
// within after now, or past, by deadline, then warning and system id.
func Reminders(list []Item, now time.Time, within time.Duration) []Reminder {
	var out []Reminder
	limit := now.Add(within)
	for _, it := range list {
		what, due, overdue := Due(it.Warning, it.Target, now)
		if what == "" || due.After(limit) {
			continue
		}
		out = append(out, Reminder{Item: it, What: what, Due: due, Overdue: overdue})
	}
	slices.SortFunc(out, func(a, b Reminder) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Target.WarningID, b.Target.WarningID),
			cmp.Compare(a.Target.SystemID, b.Target.SystemID))
	})
	return out
}

// Filter selects warnings. Units nil is every unit, non-nil empty none.
// Open nil selects open and closed warnings alike, true open ones only,
// false closed ones only. SystemID selects the warnings targeting that
// system, CVE those naming that CVE (compared exactly: give it
// normalised). Limit <= 0 is no limit.
type Filter struct {
	Units    []int64
	Open     *bool
	SystemID int64
	CVE      string
	Limit    int
	Offset   int
}

// Store persists warnings and their targets. Its methods are safe for
// concurrent use and stop when ctx is done.
//
// CreateWarning stores w with a pending target for each of systems
// (duplicates ignored), all or nothing, and writes the stored form back
// (ID; times UTC µs; CreatedAt and UpdatedAt now when zero; empty lists
// nil); the targets' UpdatedAt is w's CreatedAt. CVEs and Indicators come
// back in the order given. An unknown unit or system, a zero ReceivedAt, a
// CVE given twice or over 255 bytes, more than MaxIndicators indicators or
// one over MaxIndicatorBytes, and text that is not valid UTF-8 or holds a
// NUL are errs.ErrInvalid. GetWarning of an unknown id is errs.ErrNotFound.
// ListWarnings returns what f selects, newest received first (then highest
// id). UpdateWarning reads warning id, calls update on it and writes every
// field but ID, UnitID and CreatedAt back with UpdatedAt now, atomically
// (update must not call the Store; when it fails nothing is written).
//
// AddTargets adds a pending target for each of systems not yet targeted,
// with UpdatedAt now, and leaves the others as they are; an unknown
// warning is errs.ErrNotFound, an unknown system errs.ErrInvalid, and
// nothing is written then. RemoveTarget removes a pending target: one that
// has taken a step is errs.ErrConflict (its history stays), a missing one
// errs.ErrNotFound. ListTargets returns a warning's targets by system id.
// ListOpenTargets returns the targets not in a final status of the open
// warnings of units (nil: all; empty: none), by warning id, then system id.
//
// TransitionTarget moves a target from status from to status to, which
// CheckTransition must allow (else its error), only while the stored
// status is still from: of concurrent transitions from one status exactly
// one succeeds and the others get errs.ErrConflict. It records by and at
// (now when zero) as the step's user and time and as UpdatedAt, and
// replaces the note when note is not empty; going to NotAffected needs a
// note (errs.ErrInvalid). A missing target is errs.ErrNotFound. It returns
// the stored target.
type Store interface {
	CreateWarning(ctx context.Context, w *Warning, systems []int64) error
	GetWarning(ctx context.Context, id int64) (Warning, error)
	ListWarnings(ctx context.Context, f Filter) ([]Warning, error)
	UpdateWarning(ctx context.Context, id int64, update func(*Warning) error) (Warning, error)

	AddTargets(ctx context.Context, warningID int64, systems []int64) error
	RemoveTarget(ctx context.Context, warningID, systemID int64) error
	ListTargets(ctx context.Context, warningID int64) ([]Target, error)
	ListOpenTargets(ctx context.Context, units []int64) ([]Target, error)
	TransitionTarget(ctx context.Context, warningID, systemID int64, from, to Status, by int64, at time.Time,
		note string) (Target, error)
}

// RemindWithin is how near a deadline must be for reminders (and the
// register's "due soon" list).
const RemindWithin = 3 * 24 * time.Hour

// IndicatorSource is the source under which a warning's indicators are
// imported as indicators of compromise (intel), so that live matching
// watches for them and an IOC hunt can sweep for exactly them.
func IndicatorSource(w Warning) string {
	if w.Ref != "" {
		return "Cảnh báo " + w.Ref
	}
	return "Cảnh báo #" + strconv.FormatInt(w.ID, 10)
}

// HuntRef is the trigger reference of the hunts opened for a warning.
func HuntRef(w Warning) string { return "warning:" + strconv.FormatInt(w.ID, 10) }
