// Package alert turns detections into work for a SOC: the events a Sigma
// rule matched are grouped into alerts by rule and key fields within a
// window, each with a severity from the rule's level and the security
// level of the information system it concerns, its ATT&CK tags and a link
// to the matching events; analysts assign, comment on and close them with
// a reason. The package also keeps the per-unit rule settings (a rule
// disabled for a unit) and the false-positive exceptions, each with a
// reason and an expiry. See docs/alerts.md.
package alert

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Severity is how urgent an alert is.
type Severity string

// The severities, least urgent first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists every severity, least urgent first.
var Severities = []Severity{Low, Medium, High, Critical}

// Rank orders severities: Low is 1, Critical 4, anything else 0.
func (s Severity) Rank() int { return slices.Index(Severities, s) + 1 }

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// Status is where an alert is in triage.
type Status string

// The statuses.
const (
	// Open: nobody has taken it yet.
	Open Status = "open"
	// Acknowledged: someone is working on it (assigning does this).
	Acknowledged Status = "acknowledged"
	// Closed: triage ended, with a CloseReason.
	Closed Status = "closed"
)

// Statuses lists every status.
var Statuses = []Status{Open, Acknowledged, Closed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// CloseReason says why an alert was closed.
type CloseReason string

// The close reasons.
const (
	TruePositive  CloseReason = "true_positive"  // a real attack or policy violation, handled
	FalsePositive CloseReason = "false_positive" // the rule fired on something it should not
	Benign        CloseReason = "benign"         // what the rule looks for, but expected here (an admin's maintenance)
	Duplicate     CloseReason = "duplicate"      // covered by another alert or incident
)

// CloseReasons lists every close reason.
var CloseReasons = []CloseReason{TruePositive, FalsePositive, Benign, Duplicate}

// Valid reports whether r is one of CloseReasons.
func (r CloseReason) Valid() bool { return slices.Contains(CloseReasons, r) }

// Field is one named value: a key field of an alert, a condition of an
// exception, a field of a sample event.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Alert is a group of events one rule matched, with the same key field
// values, within the grouping window of one another.
type Alert struct {
	ID     int64 `json:"id"`
	UnitID int64 `json:"unit_id"`
	// SystemID is the information system the events' asset belongs to (the
	// one with the highest security level when several); 0 when none.
	SystemID int64 `json:"system_id,omitempty"`
	// SystemLevel is that system's security level (1–5) when the alert
	// was raised; 0 when unknown.
	SystemLevel int    `json:"system_level,omitempty"`
	RuleID      string `json:"rule_id"`
	RuleTitle   string `json:"rule_title"`
	// RuleLevel is the Sigma level (informational … critical).
	RuleLevel string   `json:"rule_level"`
	Severity  Severity `json:"severity"`
	// Tags are the rule's tags (attack.t1490, attack.impact …).
	Tags []string `json:"tags,omitempty"`
	// GroupKey identifies the group within the rule and unit: the key
	// fields in a canonical text form (KeyString).
	GroupKey string  `json:"group_key"`
	Key      []Field `json:"key,omitempty"`
	// Sample is a selection of the first event's fields, for display.
	Sample []Field `json:"sample,omitempty"`
	// FirstSeen and LastSeen are the times of the first and last event.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Count is the number of matching events.
	Count       int64       `json:"count"`
	Status      Status      `json:"status"`
	AssigneeID  int64       `json:"assignee_id,omitempty"`
	CloseReason CloseReason `json:"close_reason,omitempty"`
	CloseNote   string      `json:"close_note,omitempty"`
	ClosedBy    int64       `json:"closed_by,omitempty"`
	ClosedAt    time.Time   `json:"closed_at,omitzero"`
	// IncidentID links the alert to the incident it was handed to; 0 when none.
	IncidentID int64     `json:"incident_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// KeyString is the canonical text form of key fields: name=value pairs in
// the given order, separated by the unit separator (U+001F).
func KeyString(key []Field) string {
	var b strings.Builder
	for i, f := range key {
		if i > 0 {
			b.WriteByte(0x1f)
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		b.WriteString(f.Value)
	}
	return b.String()
}

// Filter selects alerts. Zero fields select everything; Units nil means
// every unit and a non-nil empty Units none.
type Filter struct {
	Units       []int64
	Statuses    []Status
	MinSeverity Severity
	RuleID      string
	SystemID    int64
	AssigneeID  int64
	BeforeID    int64 // only ids below it (the next page); 0: from the newest
	Limit       int   // <= 0: no limit
}

// Comment is a note an analyst adds to an alert.
type Comment struct {
	ID      int64 `json:"id"`
	AlertID int64 `json:"alert_id"`
	UserID  int64 `json:"user_id,omitempty"`
	// Author is the user's name when the comment was written (kept for history).
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxComment is the longest comment, in runes.
const MaxComment = 10000

// RuleSetting is a unit's setting for one rule: Enabled false switches
// the rule off for the unit and its descendants (the events of those units
// neither carry the rule's tags nor raise alerts).
type RuleSetting struct {
	UnitID    int64     `json:"unit_id"`
	RuleID    string    `json:"rule_id"`
	Enabled   bool      `json:"enabled"`
	UpdatedBy int64     `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Exception suppresses the alerts of a rule (or of every rule, RuleID "")
// for the events of a unit (and its descendants) whose fields all equal
// Match (compared case-insensitively), until ExpiresAt. The events are
// still tagged and stored; only the alert is not raised.
type Exception struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	RuleID    string    `json:"rule_id,omitempty"`
	Match     []Field   `json:"match"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits on exceptions.
const (
	MaxExceptionFields = 8
	MaxReason          = 2000 // runes
	maxName            = 200  // bytes of a field name or rule id
	maxValue           = 1000 // bytes of a field value
	// MaxExceptionLife is the furthest an exception may expire.
	MaxExceptionLife = 366 * 24 * time.Hour
)

// Validate checks and normalises an exception a user gives: the reason is
// trimmed and required, there is at least one field condition, and the
// expiry is after now and within MaxExceptionLife of it.
func (e *Exception) Validate(now time.Time) error {
	if e.UnitID <= 0 {
		return errs.Invalid("unit_id", "err.unit_required")
	}
	e.RuleID = strings.TrimSpace(e.RuleID)
	if len(e.RuleID) > maxName || !printable(e.RuleID) {
		return errs.Invalid("rule_id", "err.invalid")
	}
	e.Reason = strings.TrimSpace(e.Reason)
	if e.Reason == "" || !utf8.ValidString(e.Reason) {
		return errs.Invalid("reason", "err.reason_required")
	}
	if utf8.RuneCountInString(e.Reason) > MaxReason {
		return errs.Invalid("reason", "err.too_long")
	}
	if len(e.Match) == 0 || len(e.Match) > MaxExceptionFields {
		return errs.Invalid("match", "err.invalid")
	}
	for i := range e.Match {
		f := &e.Match[i]
		f.Name, f.Value = strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
		if f.Name == "" || len(f.Name) > maxName || !printable(f.Name) || len(f.Value) > maxValue || !printable(f.Value) {
			return errs.Invalid("match", "err.invalid")
		}
	}
	if e.ExpiresAt.IsZero() || !e.ExpiresAt.After(now) || e.ExpiresAt.After(now.Add(MaxExceptionLife)) {
		return errs.Invalid("expires_at", "err.exception_expiry")
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Store persists alerts, their comments, rule settings and exceptions.
// Its methods are safe for concurrent use.
//
// RecordAlert adds a group of hits to the alert they belong to: the alert
// of a.UnitID, a.RuleID and a.GroupKey that is not closed and whose
// LastSeen is at or after a.FirstSeen minus window. When there is one, its
// Count grows by a.Count, its FirstSeen/LastSeen widen to cover a's, its
// UpdatedAt becomes now, and the stored alert is written back to a with
// created false; when there is none (or window <= 0), a is inserted (Status
// Open unless given, CreatedAt/UpdatedAt now when zero) and created is
// true. The look-up and the write are atomic. An unknown unit or system is
// errs.ErrInvalid.
//
// ListAlerts returns what f selects, newest (highest id) first;
// CountAlerts counts them (ignoring BeforeID and Limit). UpdateAlert
// reads alert id, calls update on it and writes back Status, AssigneeID,
// CloseReason, CloseNote, ClosedBy, ClosedAt, IncidentID and Severity (with
// UpdatedAt now), atomically; an error from update is returned and nothing
// is written. update runs inside the store's transaction and must not
// call the Store. An unknown alert is errs.ErrNotFound. RecordAlert
// refuses a zero FirstSeen or LastSeen (errs.ErrInvalid).
//
// AddComment stores c (an unknown alert is errs.ErrInvalid); ListComments
// returns an alert's comments oldest first.
//
// SetRuleSetting inserts or replaces the setting of (UnitID, RuleID);
// ListRuleSettings returns every setting by unit, then rule id.
//
// CreateException stores e; ListExceptions returns every exception by id
// (expired ones too: the caller ignores them); DeleteException removes one
// (an unknown id is errs.ErrNotFound).
type Store interface {
	RecordAlert(ctx context.Context, a *Alert, window time.Duration) (created bool, err error)
	GetAlert(ctx context.Context, id int64) (Alert, error)
	ListAlerts(ctx context.Context, f Filter) ([]Alert, error)
	CountAlerts(ctx context.Context, f Filter) (int, error)
	UpdateAlert(ctx context.Context, id int64, update func(*Alert) error) (Alert, error)

	AddComment(ctx context.Context, c *Comment) error
	ListComments(ctx context.Context, alertID int64) ([]Comment, error)

	SetRuleSetting(ctx context.Context, s *RuleSetting) error
	ListRuleSettings(ctx context.Context) ([]RuleSetting, error)

	CreateException(ctx context.Context, e *Exception) error
	ListExceptions(ctx context.Context) ([]Exception, error)
	DeleteException(ctx context.Context, id int64) error
}
