package system

import (
	"context"
	"slices"
	"time"
)

// DossierState is where a level dossier is in its workflow.
type DossierState string

// The dossier states.
const (
	Draft          DossierState = "draft"
	Submitted      DossierState = "submitted"
	UnderAppraisal DossierState = "under_appraisal"
	Approved       DossierState = "approved"
	Returned       DossierState = "returned"
)

// DossierStates lists every state in workflow order.
var DossierStates = []DossierState{Draft, Submitted, UnderAppraisal, Approved, Returned}

// Action moves a dossier from one state to another.
type Action string

// The workflow actions.
const (
	ActSubmit   Action = "submit"   // draft or returned → submitted
	ActAppraise Action = "appraise" // submitted → under appraisal
	ActApprove  Action = "approve"  // under appraisal → approved (records the decision)
	ActReturn   Action = "return"   // submitted or under appraisal → returned (with a reason)
)

// transitions is the workflow: action → (from states, to state).
var transitions = map[Action]struct {
	from []DossierState
	to   DossierState
}{
	ActSubmit:   {[]DossierState{Draft, Returned}, Submitted},
	ActAppraise: {[]DossierState{Submitted}, UnderAppraisal},
	ActApprove:  {[]DossierState{UnderAppraisal}, Approved},
	ActReturn:   {[]DossierState{Submitted, UnderAppraisal}, Returned},
}

// Next returns the state action leads to from s, or false when the action
// is not allowed in s.
func (s DossierState) Next(a Action) (DossierState, bool) {
	t, ok := transitions[a]
	if !ok || !slices.Contains(t.from, s) {
		return "", false
	}
	return t.to, true
}

// Editable reports whether the dossier's content may still change.
func (s DossierState) Editable() bool { return s == Draft || s == Returned }

// Decision is the approval decision (quyết định phê duyệt, Decree 85 form 06).
type Decision struct {
	Number string    `json:"number"`
	Date   time.Time `json:"date,omitzero"`
	Signer string    `json:"signer"`
}

// Dossier is the level-proposal dossier of one system (hồ sơ đề xuất cấp độ).
type Dossier struct {
	ID       int64        `json:"id"`
	SystemID int64        `json:"system_id"`
	UnitID   int64        `json:"unit_id"`
	PackID   string       `json:"pack_id"`
	Level    int          `json:"level"`
	State    DossierState `json:"state"`
	// Rationale is the level-proposal explanation (Circular 12 Art 8.4).
	Rationale string `json:"rationale,omitempty"`
	// Appraiser names who appraises: the specialised IS unit, another
	// subordinate unit or an independent council (Circular 12 Art 6), or
	// the competent body for levels 4–5.
	Appraiser     string    `json:"appraiser,omitempty"`
	AppraiserUnit int64     `json:"appraiser_unit,omitempty"`
	Independence  string    `json:"independence,omitempty"` // "", other_unit, council
	Decision      Decision  `json:"decision"`
	ReturnReason  string    `json:"return_reason,omitempty"`
	CreatedBy     int64     `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	SubmittedAt   time.Time `json:"submitted_at,omitzero"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
}

// Attachment is a file kept with a dossier; its SHA-256 is computed on
// upload and checked on download.
type Attachment struct {
	ID          int64     `json:"id"`
	DossierID   int64     `json:"dossier_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedBy   int64     `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Event is one step of a dossier's history.
type Event struct {
	ID        int64        `json:"id"`
	DossierID int64        `json:"dossier_id"`
	Action    Action       `json:"action"`
	From      DossierState `json:"from"`
	To        DossierState `json:"to"`
	ActorID   int64        `json:"actor_id"`
	Actor     string       `json:"actor"`
	Note      string       `json:"note,omitempty"`
	At        time.Time    `json:"at"`
}

// DossierFilter selects dossiers. Units nil means all units.
type DossierFilter struct {
	Units    []int64
	SystemID int64
	State    DossierState
	Limit    int
}

// DossierStore persists dossiers, their attachments and history.
// TransitionDossier writes d (its new state and fields) only if the stored
// state is still from, and appends ev, atomically; otherwise it returns
// errs.ErrConflict. AttachmentData returns the stored bytes.
type DossierStore interface {
	CreateDossier(ctx context.Context, d *Dossier) error
	GetDossier(ctx context.Context, id int64) (Dossier, error)
	UpdateDossier(ctx context.Context, d *Dossier) error
	ListDossiers(ctx context.Context, f DossierFilter) ([]Dossier, error)
	TransitionDossier(ctx context.Context, d *Dossier, from DossierState, ev *Event) error
	ListEvents(ctx context.Context, dossierID int64) ([]Event, error)

	AddAttachment(ctx context.Context, a *Attachment, data []byte) error
	ListAttachments(ctx context.Context, dossierID int64) ([]Attachment, error)
	AttachmentData(ctx context.Context, id int64) (Attachment, []byte, error)
}
