package hunt

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
)

// Kind is what a hunt runs.
type Kind string

// The hunt kinds.
const (
	KindQuery Kind = "query" // a LogsQL query
	KindIOC   Kind = "ioc"   // a sweep of the active indicators
	KindSigma Kind = "sigma" // a retro-hunt with Sigma rules
)

// Kinds lists every kind.
var Kinds = []Kind{KindQuery, KindIOC, KindSigma}

// Status is where a hunt is.
type Status string

// The statuses: planned → running → done → closed (with a conclusion); a
// run that fails is failed and may be run again.
const (
	Planned Status = "planned"
	Running Status = "running"
	Done    Status = "done"
	Failed  Status = "failed"
	Closed  Status = "closed"
)

// Statuses lists every status.
var Statuses = []Status{Planned, Running, Done, Failed, Closed}

// Outcome is what a closed hunt concluded.
type Outcome string

// The outcomes.
const (
	NoCompromise    Outcome = "no_compromise"    // the hypothesis was tested and no sign of intrusion found
	CompromiseFound Outcome = "compromise_found" // signs of intrusion found (link an incident)
	Inconclusive    Outcome = "inconclusive"     // the data did not allow a conclusion (gaps, retention)
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{NoCompromise, CompromiseFound, Inconclusive}

// Trigger says why a hunt was opened.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"      // the periodic hunt of a system (Directive 18/CT-TTg: every 6 months)
	TriggerVuln     = "vulnerability" // a serious vulnerability was fixed: look for an earlier intrusion
	TriggerWarning  = "warning"       // a national warning asked for it
)

// Hunt is a hunt as a record: what was looked for, where, what was found
// and what the analyst concluded. Closed hunts are the evidence of the
// "threat hunt in the last 6 months" compliance probe.
type Hunt struct {
	ID         int64  `json:"id"`
	UnitID     int64  `json:"unit_id"`
	Title      string `json:"title"`
	Hypothesis string `json:"hypothesis"`
	Kind       Kind   `json:"kind"`
	// Query is the LogsQL of a query hunt, or a filter narrowing the events
	// of an IOC or Sigma hunt ("" = all).
	Query string `json:"query,omitempty"`
	// RuleIDs are the Sigma rules of a Sigma hunt (empty: every rule
	// configured for detection).
	RuleIDs []string `json:"rule_ids,omitempty"`
	// IndicatorSource limits an IOC hunt to the indicators of one source
	// ("" = every active indicator of the unit).
	IndicatorSource string `json:"indicator_source,omitempty"`
	// SystemIDs are the information systems the hunt covers (its evidence
	// counts for them).
	SystemIDs []int64   `json:"system_ids,omitempty"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Status    Status    `json:"status"`
	// Progress is 0–1 while running.
	Progress float64 `json:"progress"`
	JobID    int64   `json:"job_id,omitempty"`
	// Matches is how many events matched the last run; Error why it failed.
	Matches    int64   `json:"matches"`
	Error      string  `json:"error,omitempty"`
	Outcome    Outcome `json:"outcome,omitempty"`
	Conclusion string  `json:"conclusion,omitempty"`
	// Trigger says why it was opened (TriggerManual …) and TriggerRef what
	// by ("CVE-2026-1234 on system 4", the warning number).
	Trigger    string    `json:"trigger"`
	TriggerRef string    `json:"trigger_ref,omitempty"`
	AnalystID  int64     `json:"analyst_id,omitempty"`
	Analyst    string    `json:"analyst,omitempty"`
	IncidentID int64     `json:"incident_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
}

// Result is one event a hunt found (up to MaxResults are kept per run).
type Result struct {
	HuntID int64 `json:"hunt_id"`
	Seq    int   `json:"seq"`
	// Key is what matched: a rule id, an indicator id ("ioc:12"), or "" for
	// a query hunt.
	Key    string    `json:"key,omitempty"`
	Label  string    `json:"label,omitempty"` // the rule title, the indicator value
	Time   time.Time `json:"time"`
	UnitID int64     `json:"unit_id"`
	Host   string    `json:"host,omitempty"`
	// Event is the whole event as JSON.
	Event string `json:"event"`
}

// MaxResults is how many matching events a run keeps with the hunt.
const MaxResults = 1000

// Limits on a hunt's texts.
const (
	MaxTitle      = 300
	MaxHypothesis = 10000
)

// Validate checks and normalises a hunt a user opens or edits.
func (h *Hunt) Validate() error {
	h.Title, h.Hypothesis, h.Query = strings.TrimSpace(h.Title), strings.TrimSpace(h.Hypothesis), strings.TrimSpace(h.Query)
	h.Conclusion = strings.TrimSpace(h.Conclusion)
	switch {
	case h.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case h.Title == "" || utf8.RuneCountInString(h.Title) > MaxTitle || strings.ContainsAny(h.Title, "\r\n"):
		return errs.Invalid("title", "err.invalid")
	case utf8.RuneCountInString(h.Hypothesis) > MaxHypothesis || utf8.RuneCountInString(h.Conclusion) > MaxHypothesis:
		return errs.Invalid("hypothesis", "err.too_long")
	case !slices.Contains(Kinds, h.Kind):
		return errs.Invalid("kind", "err.invalid")
	case h.Kind == KindQuery && h.Query == "":
		return errs.Invalid("query", "err.hunt_query_required")
	case len(h.Query) > MaxQueryLen:
		return errs.Invalid("query", "err.query_too_long", MaxQueryLen)
	case h.From.IsZero() || h.To.IsZero() || !h.From.Before(h.To):
		return errs.Invalid("from", "err.time_range")
	}
	if h.Trigger == "" {
		h.Trigger = TriggerManual
	}
	if h.Status == "" {
		h.Status = Planned
	}
	return nil
}

// Filter selects hunts. Units nil is every unit, non-nil empty none.
type Filter struct {
	Units    []int64
	Statuses []Status
	SystemID int64
	BeforeID int64
	Limit    int
}

// Store persists hunts and their results. Its methods are safe for
// concurrent use.
//
// CreateHunt stores h and writes the stored form back (ID, times UTC µs,
// now when zero); an unknown unit is errs.ErrInvalid. ListHunts returns
// what f selects, newest first. UpdateHunt reads hunt id, calls update on
// it and writes every field but ID, UnitID and CreatedAt back with
// UpdatedAt now, atomically (update must not call the Store); an unknown
// hunt is errs.ErrNotFound.
//
// ReplaceResults deletes the results of hunt id and stores list (Seq as
// given). ListResults returns a hunt's results by Seq, from offset, at
// most limit (<= 0: all).
//
// LastClosed returns the hunt closed most recently (by ClosedAt) among
// those covering system systemID, found false when none.
type Store interface {
	CreateHunt(ctx context.Context, h *Hunt) error
	GetHunt(ctx context.Context, id int64) (Hunt, error)
	ListHunts(ctx context.Context, f Filter) ([]Hunt, error)
	UpdateHunt(ctx context.Context, id int64, update func(*Hunt) error) (Hunt, error)
	ReplaceResults(ctx context.Context, id int64, list []Result) error
	ListResults(ctx context.Context, id int64, offset, limit int) ([]Result, error)
	LastClosed(ctx context.Context, systemID int64) (h Hunt, found bool, err error)
}
