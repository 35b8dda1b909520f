// Package system is the register of information systems: each system's
// profile (the facts the level criteria look at), its owner, operator and
// specialised information-security unit, status and hosting, the 4-layer
// protection status, the level proposed by the regulation pack's engine,
// and the dossier through which that level is appraised and approved
// (Decree 85/2016 Arts 12–18, Circular 12/2022 Arts 6 and 8).
package system

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// Status is where a system is in its life.
type Status string

// The statuses.
const (
	Planned   Status = "planned"
	Operating Status = "operating"
	Retired   Status = "retired"
)

// Statuses lists every status.
var Statuses = []Status{Planned, Operating, Retired}

// Hosting is where a system runs.
type Hosting string

// The hosting kinds.
const (
	OnPremises Hosting = "on_premises"
	DataCentre Hosting = "data_centre"
	Cloud      Hosting = "cloud"
	Hybrid     Hosting = "hybrid"
)

// Hostings lists every hosting kind.
var Hostings = []Hosting{OnPremises, DataCentre, Cloud, Hybrid}

// Party is an organisation with a role towards a system: its owner (chủ
// quản), operator (đơn vị vận hành) or specialised IS unit (đơn vị chuyên
// trách ATTT). UnitID links it to a Khiên unit when it is one (0 = outside
// body); the independence rule of Circular 12 Art 6 compares these.
type Party struct {
	UnitID int64  `json:"unit_id,omitempty"`
	Name   string `json:"name"`
	// Contact: representative, title, address, phone, e-mail (Circular 12 Art 8.3).
	Representative string `json:"representative,omitempty"`
	Title          string `json:"title,omitempty"`
	Address        string `json:"address,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Email          string `json:"email,omitempty"`
}

// System is one information system in the register.
type System struct {
	ID          int64   `json:"id"`
	UnitID      int64   `json:"unit_id"`
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Status      Status  `json:"status"`
	Hosting     Hosting `json:"hosting"`
	// ParentID makes this system a component of another (Art 5.2).
	ParentID int64 `json:"parent_id,omitempty"`
	// PackID is the regulation pack whose criteria apply.
	PackID  string             `json:"pack_id"`
	Profile regulation.Profile `json:"profile"`
	// Scope and scale, users and beneficiaries (Circular 12 Art 8.3 point c).
	Scope    string `json:"scope,omitempty"`
	Owner    Party  `json:"owner"`
	Operator Party  `json:"operator"`
	ISUnit   Party  `json:"is_unit"`
	// ProposedLevel is the engine's result at the last save; 0 = none.
	ProposedLevel int  `json:"proposed_level"`
	NeedsReview   bool `json:"needs_review"`
	// ApprovedLevel is the level of the last approved dossier; 0 = none.
	ApprovedLevel int       `json:"approved_level"`
	ApprovedAt    time.Time `json:"approved_at,omitzero"`
	// Redetermine is set when a level-relevant field of an approved system
	// changed (Decree 85 Art 18); RedetermineFields names them.
	Redetermine       bool      `json:"redetermine"`
	RedetermineFields []string  `json:"redetermine_fields,omitempty"`
	Layers            Layers    `json:"layers"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Layers is the status of the 4-layer protection model (MIC dispatch
// 1552/BTTTT-CATTT, 2020) for one system.
type Layers struct {
	// L1 on-site force: the in-house team responsible day to day.
	OnSiteTeam    string `json:"on_site_team,omitempty"`
	OnSiteContact string `json:"on_site_contact,omitempty"`
	// L2 professional monitoring and protection, in-house or a provider.
	MonitoringBy       string    `json:"monitoring_by,omitempty"` // "in_house" or "provider"
	MonitoringProvider string    `json:"monitoring_provider,omitempty"`
	MonitoringFrom     time.Time `json:"monitoring_from,omitzero"`
	MonitoringUntil    time.Time `json:"monitoring_until,omitzero"`
	// L3 independent periodic inspection.
	Assessor       string    `json:"assessor,omitempty"`
	LastAssessment time.Time `json:"last_assessment,omitzero"`
	NextAssessment time.Time `json:"next_assessment,omitzero"`
	// L4 connection to the national monitoring system.
	NationalConnected bool      `json:"national_connected"`
	NationalSince     time.Time `json:"national_since,omitzero"`
}

// Missing returns the layers (1–4) that are not in place at t: no on-site
// team; no monitoring, or a provider contract that has ended; no assessor,
// or a next assessment that is overdue; no national connection.
func (l Layers) Missing(t time.Time) []int {
	var out []int
	if strings.TrimSpace(l.OnSiteTeam) == "" {
		out = append(out, 1)
	}
	switch {
	case l.MonitoringBy == "":
		out = append(out, 2)
	case l.MonitoringBy == "provider" && (l.MonitoringProvider == "" || (!l.MonitoringUntil.IsZero() && l.MonitoringUntil.Before(t))):
		out = append(out, 2)
	}
	if strings.TrimSpace(l.Assessor) == "" || (!l.NextAssessment.IsZero() && l.NextAssessment.Before(t)) {
		out = append(out, 3)
	}
	if !l.NationalConnected {
		out = append(out, 4)
	}
	return out
}

// FocalPoint is a person the authority may contact for a unit (đầu mối).
type FocalPoint struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Phone     string    `json:"phone"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Filter selects systems. Units nil means all units.
type Filter struct {
	Units    []int64
	Status   Status
	ParentID int64 // components of this system
	Limit    int
}

// Store persists the register. Codes are unique across the register
// (errs.ErrConflict). GetSystemByCode matches exactly. UpdateSystem writes
// every field except the approval (ApprovedLevel, ApprovedAt), which only
// SetSystemApproval changes — atomically, also clearing Redetermine and
// RedetermineFields — so that an edit racing an approval cannot undo it.
type Store interface {
	CreateSystem(ctx context.Context, s *System) error
	GetSystem(ctx context.Context, id int64) (System, error)
	GetSystemByCode(ctx context.Context, code string) (System, error)
	UpdateSystem(ctx context.Context, s *System) error
	SetSystemApproval(ctx context.Context, id int64, level int, at time.Time) error
	ListSystems(ctx context.Context, f Filter) ([]System, error)

	CreateFocalPoint(ctx context.Context, f *FocalPoint) error
	UpdateFocalPoint(ctx context.Context, f *FocalPoint) error
	DeleteFocalPoint(ctx context.Context, id int64) error
	ListFocalPoints(ctx context.Context, units []int64) ([]FocalPoint, error)
	GetFocalPoint(ctx context.Context, id int64) (FocalPoint, error)
}

// Validate checks and trims the fields a caller supplies.
func (s *System) Validate() error {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.TrimSpace(s.Name)
	s.Description = strings.TrimSpace(s.Description)
	switch {
	case s.Code == "" || utf8.RuneCountInString(s.Code) > 64 || strings.ContainsAny(s.Code, " \t\r\n/"):
		return errs.Invalid("code", "err.system_code")
	case s.Name == "" || utf8.RuneCountInString(s.Name) > 300:
		return errs.Invalid("name", "err.system_name")
	case !slices.Contains(Statuses, s.Status):
		return errs.Invalid("status", "err.system_status", string(s.Status))
	case !slices.Contains(Hostings, s.Hosting):
		return errs.Invalid("hosting", "err.system_hosting", string(s.Hosting))
	case s.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case s.ParentID != 0 && s.ParentID == s.ID:
		return errs.Invalid("parent_id", "err.system_parent")
	case s.Layers.MonitoringBy != "" && s.Layers.MonitoringBy != "in_house" && s.Layers.MonitoringBy != "provider":
		return errs.Invalid("layers.monitoring_by", "err.system_monitoring_by")
	case utf8.RuneCountInString(s.Description) > 8000 || utf8.RuneCountInString(s.Scope) > 8000:
		return errs.Invalid("description", "err.too_long")
	}
	for _, p := range []Party{s.Owner, s.Operator, s.ISUnit} {
		if utf8.RuneCountInString(p.Name) > 300 {
			return errs.Invalid("owner", "err.too_long")
		}
	}
	return nil
}

// Validate checks a focal point.
func (f *FocalPoint) Validate() error {
	f.Name, f.Role, f.Phone, f.Email = strings.TrimSpace(f.Name), strings.TrimSpace(f.Role), strings.TrimSpace(f.Phone), strings.TrimSpace(f.Email)
	switch {
	case f.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case f.Name == "" || utf8.RuneCountInString(f.Name) > 200:
		return errs.Invalid("name", "err.focal_name")
	case f.Phone == "" && f.Email == "":
		return errs.Invalid("phone", "err.focal_contact")
	}
	return nil
}
