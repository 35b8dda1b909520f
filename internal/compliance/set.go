package compliance

import (
	"context"
	"time"
)

// ItemStatus is the state of one requirement of a system's requirement set.
type ItemStatus string

// The item statuses. Open means nobody has assessed the item yet.
const (
	ItemOpen          ItemStatus = "open"
	ItemMet           ItemStatus = "met"
	ItemPartial       ItemStatus = "partial"
	ItemNotMet        ItemStatus = "not_met"
	ItemNotApplicable ItemStatus = "not_applicable"
)

// ItemStatuses lists every item status in display order.
var ItemStatuses = []ItemStatus{ItemOpen, ItemMet, ItemPartial, ItemNotMet, ItemNotApplicable}

// Valid reports whether s is a defined item status.
func (s ItemStatus) Valid() bool {
	switch s {
	case ItemOpen, ItemMet, ItemPartial, ItemNotMet, ItemNotApplicable:
		return true
	}
	return false
}

// Who set an item's status.
const (
	SourceManual = "manual"
	SourceProbe  = "probe"
)

// Item is one requirement of the regulation pack in a system's requirement
// set. Items are never deleted: when a level change drops a requirement the
// item is retired, and it comes back with its history when the level needs
// it again.
type Item struct {
	ID            int64  `json:"id"`
	SystemID      int64  `json:"system_id"`
	RequirementID string `json:"requirement_id"`
	// GroupID is the requirement's top-level group in the pack (set by Sync).
	GroupID string     `json:"group_id,omitempty"`
	Status  ItemStatus `json:"status"`
	// StatusSource says who set Status: SourceManual (a person) or
	// SourceProbe (an automatic probe, whose result may go stale).
	StatusSource string `json:"status_source"`
	// ProbeID is the probe that set Status when StatusSource is SourceProbe.
	ProbeID string `json:"probe_id,omitempty"`
	// Justification is required for ItemNotApplicable.
	Justification string    `json:"justification,omitempty"`
	Owner         string    `json:"owner,omitempty"`
	Due           time.Time `json:"due,omitzero"`
	Notes         string    `json:"notes,omitempty"`
	Retired       bool      `json:"retired,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	UpdatedBy     string    `json:"updated_by,omitempty"`
}

// ItemEvent is one entry of an item's history.
type ItemEvent struct {
	ID       int64     `json:"id"`
	ItemID   int64     `json:"item_id"`
	SystemID int64     `json:"system_id"`
	At       time.Time `json:"at"`
	ActorID  int64     `json:"actor_id,omitempty"`
	Actor    string    `json:"actor"`
	// Action is one of the Event* constants.
	Action string `json:"action"`
	// Detail says what changed, e.g. "status: open → met".
	Detail string `json:"detail,omitempty"`
}

// The actions of item events.
const (
	EventAdded           = "added"
	EventRetired         = "retired"
	EventRestored        = "restored"
	EventUpdated         = "updated"
	EventEvidenceAdded   = "evidence_added"
	EventEvidenceRemoved = "evidence_removed"
	EventProbe           = "probe"
)

// ItemChange is an item to insert (ID 0) or update, with the history
// event that explains the change.
type ItemChange struct {
	Item  *Item
	Event ItemEvent
}

// Evidence kinds.
const (
	EvidenceFile = "file"
	EvidenceLink = "link"
)

// Evidence is a file or a link attached to an item of a requirement set.
// File contents live in a FileStore under their SHA-256; the database holds
// the metadata.
type Evidence struct {
	ID          int64     `json:"id"`
	SystemID    int64     `json:"system_id"`
	ItemID      int64     `json:"item_id"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	URL         string    `json:"url,omitempty"`
	Description string    `json:"description,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	Size        int64     `json:"size,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedByID int64     `json:"created_by_id,omitempty"`
	CreatedBy   string    `json:"created_by"`
}

// ProbeRecord is the latest result of one probe for one system.
type ProbeRecord struct {
	SystemID     int64             `json:"system_id"`
	ProbeID      string            `json:"probe_id"`
	Requirements []string          `json:"requirements"`
	Status       Status            `json:"status"`
	At           time.Time         `json:"at"`
	Freshness    time.Duration     `json:"freshness"`
	Proof        string            `json:"proof"`
	ProofVI      string            `json:"proof_vi"`
	Facts        map[string]string `json:"facts,omitempty"`
	Error        string            `json:"error,omitempty"`
}

// Result returns the record as a probe Result.
func (r ProbeRecord) Result() Result {
	return Result{Status: r.Status, At: r.At, Proof: r.Proof, ProofVI: r.ProofVI, Facts: r.Facts}
}

// Completion records that an obligation of the calendar was done.
type Completion struct {
	ID           int64     `json:"id"`
	SystemID     int64     `json:"system_id"`
	ObligationID string    `json:"obligation_id"`
	DoneAt       time.Time `json:"done_at"`
	Note         string    `json:"note,omitempty"`
	RecordedByID int64     `json:"recorded_by_id,omitempty"`
	RecordedBy   string    `json:"recorded_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// Engagement statuses.
const (
	EngagementPlanned   = "planned"
	EngagementFieldwork = "fieldwork"
	EngagementReporting = "reporting"
	EngagementClosed    = "closed"
)

// EngagementStatuses lists the engagement statuses in order.
var EngagementStatuses = []string{EngagementPlanned, EngagementFieldwork, EngagementReporting, EngagementClosed}

// Engagement is an independent inspection or assessment (layer 3 of the
// 4-layer model) of chosen systems over a period.
type Engagement struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Title     string    `json:"title"`
	Assessor  string    `json:"assessor"`
	Method    string    `json:"method,omitempty"` // black_box, grey_box, white_box or empty
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	SystemIDs []int64   `json:"system_ids"`
	Status    string    `json:"status"`
	Scope     string    `json:"scope,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by"`
}

// Finding severities, least severe first.
var Severities = []string{"low", "medium", "high", "critical"}

// Finding statuses.
var FindingStatuses = []string{"open", "accepted", "resolved"}

// Finding is what an assessor found about one system in an engagement.
type Finding struct {
	ID             int64     `json:"id"`
	EngagementID   int64     `json:"engagement_id"`
	SystemID       int64     `json:"system_id"`
	RequirementID  string    `json:"requirement_id,omitempty"`
	Severity       string    `json:"severity"`
	Title          string    `json:"title"`
	Description    string    `json:"description,omitempty"`
	Recommendation string    `json:"recommendation,omitempty"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	CreatedBy      string    `json:"created_by"`
}

// Store persists requirement sets, evidence metadata, probe results,
// obligation completions and assessment engagements.
//
// SaveItems writes every change in one transaction: an Item with ID 0 is
// inserted (its ID written back), others are updated; each change's Event
// is appended with the item's ID, unless its Action is empty (a change
// that is not part of the item's history, such as its group moving). A second item for the same system and
// requirement is errs.ErrConflict. Items come back ordered by ID, events
// oldest first, evidence oldest first, probe records by probe ID,
// completions newest first (by DoneAt, then ID), engagements newest first,
// findings by ID. SaveProbeRecord replaces the record of the same system
// and probe.
type Store interface {
	ListItems(ctx context.Context, systemID int64) ([]Item, error)
	GetItem(ctx context.Context, id int64) (Item, error)
	SaveItems(ctx context.Context, changes []ItemChange) error
	ListItemEvents(ctx context.Context, itemID int64) ([]ItemEvent, error)

	CreateEvidence(ctx context.Context, e *Evidence) error
	GetEvidence(ctx context.Context, id int64) (Evidence, error)
	ListEvidence(ctx context.Context, systemID int64) ([]Evidence, error)
	DeleteEvidence(ctx context.Context, id int64) error
	// EvidenceRefs counts the evidence rows that point at a file hash.
	EvidenceRefs(ctx context.Context, sha256 string) (int, error)

	SaveProbeRecord(ctx context.Context, r ProbeRecord) error
	ListProbeRecords(ctx context.Context, systemID int64) ([]ProbeRecord, error)

	CreateCompletion(ctx context.Context, c *Completion) error
	ListCompletions(ctx context.Context, systemID int64) ([]Completion, error)

	CreateEngagement(ctx context.Context, e *Engagement) error
	UpdateEngagement(ctx context.Context, e *Engagement) error
	GetEngagement(ctx context.Context, id int64) (Engagement, error)
	// ListEngagements lists the engagements of units (nil: all units)
	// or, when systemID is not 0, those covering the system.
	ListEngagements(ctx context.Context, units []int64, systemID int64) ([]Engagement, error)
	CreateFinding(ctx context.Context, f *Finding) error
	UpdateFinding(ctx context.Context, f *Finding) error
	GetFinding(ctx context.Context, id int64) (Finding, error)
	ListFindings(ctx context.Context, engagementID int64) ([]Finding, error)

	// SummarizeItems counts the current (not retired) items of the given
	// systems (nil: every system) by system, group and status. Stale counts
	// the items whose status a probe set and whose latest result from that
	// probe is missing or older than its freshness at now.
	SummarizeItems(ctx context.Context, systemIDs []int64, now time.Time) ([]ItemCount, error)
	// LatestCompletions returns, for each system (nil: every system) and
	// obligation, the completion with the latest DoneAt (ID, Note and
	// RecordedBy are not set).
	LatestCompletions(ctx context.Context, systemIDs []int64) ([]Completion, error)
	// SetSyncBasis records what a system's requirement set was last synced
	// for; SyncBases returns them by system.
	SetSyncBasis(ctx context.Context, systemID int64, basis string) error
	SyncBases(ctx context.Context) (map[int64]string, error)

	// CreateFramework stores an imported framework; a second one with the
	// same Key is errs.ErrConflict. ListFrameworks orders by Key and
	// leaves Body empty.
	CreateFramework(ctx context.Context, f *Framework) error
	GetFramework(ctx context.Context, id int64) (Framework, error)
	ListFrameworks(ctx context.Context) ([]Framework, error)
}

// ItemCount is one row of SummarizeItems.
type ItemCount struct {
	SystemID int64
	GroupID  string
	Status   ItemStatus
	Count    int
	Stale    int
}

// Framework is a requirement catalogue imported from an OSCAL catalog.
type Framework struct {
	ID         int64     `json:"id"`
	Key        string    `json:"key"`
	Title      string    `json:"title"`
	Version    string    `json:"version"`
	Source     string    `json:"source,omitempty"` // file name it came from
	Controls   int       `json:"controls"`
	Body       []byte    `json:"-"` // JSON of oscal.Framework
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// TitleIn returns the obligation's title in lang ("vi" or "en").
func (o Obligation) TitleIn(lang string) string {
	if lang == "vi" && o.TitleVI != "" {
		return o.TitleVI
	}
	return o.Title
}

// SourceIn returns the obligation's legal basis in lang ("vi" or "en").
func (o Obligation) SourceIn(lang string) string {
	if lang == "vi" && o.SourceVI != "" {
		return o.SourceVI
	}
	return o.Source
}
