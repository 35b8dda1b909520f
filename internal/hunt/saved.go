package hunt

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// SavedQuery is a LogsQL query a hunter keeps to run again. It belongs to
// its owner; a shared one is also seen by every user whose units cover
// its unit.
type SavedQuery struct {
	ID          int64     `json:"id"`
	UnitID      int64     `json:"unit_id"`
	OwnerID     int64     `json:"owner_id"`
	Name        string    `json:"name"`
	Query       string    `json:"query"`
	Description string    `json:"description,omitempty"`
	Shared      bool      `json:"shared"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Limits on a saved query's texts, in bytes (the name is unique per unit
// and owner, an index key).
const (
	MaxSavedName        = 255
	MaxSavedDescription = 10000
)

// Validate checks and normalises a saved query a user supplies: the name
// is trimmed and one line, the query trimmed, non-empty and at most
// MaxQueryLen bytes.
func (q *SavedQuery) Validate() error {
	q.Name, q.Query, q.Description = strings.TrimSpace(q.Name), strings.TrimSpace(q.Query), strings.TrimSpace(q.Description)
	switch {
	case q.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case q.OwnerID <= 0:
		return errs.Invalid("owner_id", "err.invalid")
	case q.Name == "" || len(q.Name) > MaxSavedName || !utf8.ValidString(q.Name) ||
		strings.ContainsFunc(q.Name, unicode.IsControl):
		return errs.Invalid("name", "err.invalid")
	case q.Query == "":
		return errs.Invalid("query", "err.hunt_query_required")
	case len(q.Query) > MaxQueryLen || !utf8.ValidString(q.Query):
		return errs.Invalid("query", "err.query_too_long", MaxQueryLen)
	case len(q.Description) > MaxSavedDescription || !utf8.ValidString(q.Description):
		return errs.Invalid("description", "err.too_long")
	}
	return nil
}

// SavedFilter selects saved queries: those of Units (nil every unit,
// non-nil empty none) that UserID owns or that are shared (UserID 0:
// the shared ones only).
type SavedFilter struct {
	Units  []int64
	UserID int64
}

// SavedQueryStore persists saved queries. Its methods are safe for
// concurrent use.
//
// CreateSavedQuery stores q and writes the stored form back (ID, times
// UTC µs, zero CreatedAt and UpdatedAt now); an unknown unit or owner is
// errs.ErrInvalid, a name the owner already uses in the unit
// errs.ErrConflict. ListSavedQueries returns what f selects by name
// (bytewise), then id. UpdateSavedQuery writes Name, Query, Description,
// Shared and UpdatedAt (now when zero) of q.ID and writes the stored form
// back. Unknown ids are errs.ErrNotFound.
type SavedQueryStore interface {
	CreateSavedQuery(ctx context.Context, q *SavedQuery) error
	GetSavedQuery(ctx context.Context, id int64) (SavedQuery, error)
	ListSavedQueries(ctx context.Context, f SavedFilter) ([]SavedQuery, error)
	UpdateSavedQuery(ctx context.Context, q *SavedQuery) error
	DeleteSavedQuery(ctx context.Context, id int64) error
}

// SavedQueries manages saved queries with authorisation and auditing:
// reading needs event.read (as hunts do), saving hunt.write on the
// query's unit, and only the owner or an administrator may change or
// delete one.
type SavedQueries struct {
	store SavedQueryStore
	audit *audit.Log
	now   func() time.Time
}

// NewSavedQueries returns SavedQueries over store; log may be nil (tests).
func NewSavedQueries(store SavedQueryStore, log *audit.Log) *SavedQueries {
	return &SavedQueries{store: store, audit: log, now: time.Now}
}

func (s *SavedQueries) record(ctx context.Context, p *authz.Principal, action string, q SavedQuery) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: q.UnitID,
		Action: action, Target: "saved_query:" + strconv.FormatInt(q.ID, 10), Detail: q.Name})
}

// isAdmin reports whether p acts as an administrator (not narrowed by a
// token of a lesser role).
func isAdmin(p *authz.Principal) bool {
	return p != nil && p.Role == authz.RoleAdmin && (p.TokenRole == "" || p.TokenRole == authz.RoleAdmin)
}

// visible reports whether p may see q: its owner, anyone covering its
// unit when shared, an administrator covering its unit.
func visible(p *authz.Principal, q SavedQuery) bool {
	if p.UserID != 0 && q.OwnerID == p.UserID {
		return true
	}
	return (q.Shared || isAdmin(p)) && p.InScope(q.UnitID)
}

// nameTaken turns a conflict of the store into the user's message.
func nameTaken(err error) error {
	if errors.Is(err, errs.ErrConflict) {
		return &errs.PublicError{Kind: errs.ErrConflict, Key: "err.saved_query_name_taken", Field: "name"}
	}
	return err
}

// Create saves a query owned by p (hunt.write on its unit).
func (s *SavedQueries) Create(ctx context.Context, p *authz.Principal, q SavedQuery) (SavedQuery, error) {
	if err := p.Authorize(authz.PermHuntWrite, q.UnitID); err != nil {
		return SavedQuery{}, err
	}
	q.ID, q.OwnerID = 0, p.UserID
	if err := q.Validate(); err != nil {
		return SavedQuery{}, err
	}
	now := s.now()
	q.CreatedAt, q.UpdatedAt = now, now
	if err := s.store.CreateSavedQuery(ctx, &q); err != nil {
		return SavedQuery{}, nameTaken(err)
	}
	return q, s.record(ctx, p, "hunt.query_save", q)
}

// Get returns a saved query p may see (event.read on its unit); the
// private queries of others are errs.ErrNotFound.
func (s *SavedQueries) Get(ctx context.Context, p *authz.Principal, id int64) (SavedQuery, error) {
	q, err := s.store.GetSavedQuery(ctx, id)
	if err != nil {
		return SavedQuery{}, err
	}
	if err := p.Authorize(authz.PermEventRead, q.UnitID); err != nil {
		return SavedQuery{}, err
	}
	if !visible(p, q) {
		return SavedQuery{}, errs.NotFound("saved query", id)
	}
	return q, nil
}

// List returns p's own saved queries and the shared ones of p's units,
// by name.
func (s *SavedQueries) List(ctx context.Context, p *authz.Principal) ([]SavedQuery, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	f := SavedFilter{UserID: p.UserID}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.store.ListSavedQueries(ctx, f)
}

// editable returns saved query id if p may change it: hunt.write on its
// unit, and p its owner or an administrator.
func (s *SavedQueries) editable(ctx context.Context, p *authz.Principal, id int64) (SavedQuery, error) {
	q, err := s.Get(ctx, p, id)
	if err != nil {
		return SavedQuery{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, q.UnitID); err != nil {
		return SavedQuery{}, err
	}
	if q.OwnerID != p.UserID && !isAdmin(p) {
		return SavedQuery{}, errs.Public(errs.ErrForbidden, "err.forbidden")
	}
	return q, nil
}

// Update replaces the name, query, description and sharing of saved query
// id with those of in (its owner or an administrator, hunt.write on its
// unit).
func (s *SavedQueries) Update(ctx context.Context, p *authz.Principal, id int64, in SavedQuery) (SavedQuery, error) {
	q, err := s.editable(ctx, p, id)
	if err != nil {
		return SavedQuery{}, err
	}
	q.Name, q.Query, q.Description, q.Shared = in.Name, in.Query, in.Description, in.Shared
	if err := q.Validate(); err != nil {
		return SavedQuery{}, err
	}
	q.UpdatedAt = s.now()
	if err := s.store.UpdateSavedQuery(ctx, &q); err != nil {
		return SavedQuery{}, nameTaken(err)
	}
	return q, s.record(ctx, p, "hunt.query_update", q)
}

// Delete removes saved query id (its owner or an administrator,
// hunt.write on its unit).
func (s *SavedQueries) Delete(ctx context.Context, p *authz.Principal, id int64) error {
	q, err := s.editable(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSavedQuery(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, "hunt.query_delete", q)
}
