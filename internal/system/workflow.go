package system

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
)

// Pack role ids (decree85-2016 roles) that Khiên maps to its own actors:
// the specialised IS unit acts in Khiên through its security lead; every
// other role is an outside authority whose step Khiên records.
const roleSpecialisedISUnit = "specialised_is_unit"

func dossierTarget(id int64) string { return "dossier:" + strconv.FormatInt(id, 10) }

// Dossiers lists dossiers in p's scope.
func (s *Service) Dossiers(ctx context.Context, p *authz.Principal, f DossierFilter) ([]Dossier, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return s.dossiers.ListDossiers(ctx, f)
}

// Dossier returns one dossier with its history and attachments.
func (s *Service) Dossier(ctx context.Context, p *authz.Principal, id int64) (Dossier, []Event, []Attachment, error) {
	d, err := s.dossiers.GetDossier(ctx, id)
	if err != nil {
		return Dossier{}, nil, nil, err
	}
	if err := p.Authorize(authz.PermSystemRead, d.UnitID); err != nil {
		return Dossier{}, nil, nil, err
	}
	evs, err := s.dossiers.ListEvents(ctx, id)
	if err != nil {
		return Dossier{}, nil, nil, err
	}
	atts, err := s.dossiers.ListAttachments(ctx, id)
	return d, evs, atts, err
}

// OpenDossier starts a draft dossier for a system, proposing the engine's
// level. A system has at most one dossier in progress.
func (s *Service) OpenDossier(ctx context.Context, p *authz.Principal, systemID int64) (Dossier, error) {
	sys, err := s.store.GetSystem(ctx, systemID)
	if err != nil {
		return Dossier{}, err
	}
	if err := p.Authorize(authz.PermSystemWrite, sys.UnitID); err != nil {
		return Dossier{}, err
	}
	open, err := s.dossiers.ListDossiers(ctx, DossierFilter{SystemID: systemID})
	if err != nil {
		return Dossier{}, err
	}
	for _, d := range open {
		if d.State != Approved {
			return Dossier{}, errs.Public(errs.ErrConflict, "err.dossier_open", d.ID)
		}
	}
	res, err := s.Assess(ctx, sys)
	if err != nil {
		return Dossier{}, err
	}
	now := s.now().UTC()
	d := Dossier{SystemID: sys.ID, UnitID: sys.UnitID, PackID: sys.PackID, Level: res.Level, State: Draft,
		Rationale: res.Summary.VI, Appraiser: sys.ISUnit.Name, AppraiserUnit: sys.ISUnit.UnitID,
		CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	if err := s.dossiers.CreateDossier(ctx, &d); err != nil {
		return Dossier{}, fmt.Errorf("create dossier: %w", err)
	}
	return d, s.record(ctx, p, "dossier.create", d.UnitID, dossierTarget(d.ID),
		fmt.Sprintf("system=%s level=%d", sys.Code, d.Level))
}

// UpdateDossier changes the proposed level and rationale of an editable dossier.
func (s *Service) UpdateDossier(ctx context.Context, p *authz.Principal, id int64, level int, rationale string) (Dossier, error) {
	d, err := s.dossiers.GetDossier(ctx, id)
	if err != nil {
		return Dossier{}, err
	}
	if err := p.Authorize(authz.PermSystemWrite, d.UnitID); err != nil {
		return Dossier{}, err
	}
	if !d.State.Editable() {
		return Dossier{}, errs.Public(errs.ErrConflict, "err.dossier_not_editable")
	}
	if level < 1 || level > 5 {
		return Dossier{}, errs.Invalid("level", "err.dossier_level")
	}
	d.Level, d.Rationale = level, strings.TrimSpace(rationale)
	d.UpdatedAt = s.now().UTC()
	if err := s.dossiers.UpdateDossier(ctx, &d); err != nil {
		return Dossier{}, err
	}
	return d, s.record(ctx, p, "dossier.update", d.UnitID, dossierTarget(d.ID), fmt.Sprintf("level=%d", level))
}

// StepInput carries what a workflow step needs.
type StepInput struct {
	Note string
	// Appraise: who appraises, and how independence is met when the
	// specialised IS unit also operates the system.
	Appraiser     string
	AppraiserUnit int64
	Independence  string // "", "other_subordinate_unit", "independent_council"
	// Approve: the decision.
	Decision Decision
}

// Step moves a dossier through the workflow. Who may take a step depends
// on the level: the regulation pack says whether the specialised IS unit
// (acting here through users with dossier.appraise / dossier.decide) or an
// outside authority (whose act an administrator records) appraises and
// approves; the independence rule of Circular 12 Art 6 is enforced at
// appraisal.
func (s *Service) Step(ctx context.Context, p *authz.Principal, id int64, act Action, in StepInput) (Dossier, error) {
	d, err := s.dossiers.GetDossier(ctx, id)
	if err != nil {
		return Dossier{}, err
	}
	if err := p.Authorize(authz.PermSystemRead, d.UnitID); err != nil {
		return Dossier{}, err
	}
	next, ok := d.State.Next(act)
	if !ok {
		return Dossier{}, errs.Public(errs.ErrConflict, "err.dossier_step", string(act), string(d.State))
	}
	sys, err := s.store.GetSystem(ctx, d.SystemID)
	if err != nil {
		return Dossier{}, err
	}
	pack, err := s.Pack(d.PackID)
	if err != nil {
		return Dossier{}, err
	}
	auth, ok := pack.Authority(d.Level)
	if !ok {
		return Dossier{}, errs.Invalid("level", "err.dossier_level")
	}
	in.Note = strings.TrimSpace(in.Note)
	now := s.now().UTC()
	from := d.State
	switch act {
	case ActSubmit:
		if err := p.Authorize(authz.PermDossierSubmit, d.UnitID); err != nil {
			return Dossier{}, err
		}
		if d.Level < 1 || d.Level > 5 {
			return Dossier{}, errs.Invalid("level", "err.dossier_level")
		}
		d.SubmittedAt, d.ReturnReason = now, ""
	case ActAppraise:
		if err := s.mayAct(p, d.UnitID, auth.Appraise, authz.PermDossierAppraise); err != nil {
			return Dossier{}, err
		}
		if err := applyAppraiser(&d, sys, auth, in); err != nil {
			return Dossier{}, err
		}
	case ActApprove:
		if err := s.mayAct(p, d.UnitID, auth.Approve, authz.PermDossierDecide); err != nil {
			return Dossier{}, err
		}
		dec := in.Decision
		dec.Number, dec.Signer = strings.TrimSpace(dec.Number), strings.TrimSpace(dec.Signer)
		if !validName(dec.Number, 100) || !validName(dec.Signer, 200) || dec.Date.IsZero() || dec.Date.After(now.Add(24*time.Hour)) {
			return Dossier{}, errs.Invalid("decision", "err.dossier_decision")
		}
		d.Decision, d.DecidedAt = dec, now
	case ActReturn:
		step := auth.Appraise
		if from == UnderAppraisal {
			step = auth.Approve
		}
		perm := authz.PermDossierAppraise
		if from == UnderAppraisal {
			perm = authz.PermDossierDecide
		}
		if err := s.mayAct(p, d.UnitID, step, perm); err != nil {
			return Dossier{}, err
		}
		if in.Note == "" {
			return Dossier{}, errs.Invalid("note", "err.dossier_return_reason")
		}
		d.ReturnReason = in.Note
	}
	d.State, d.UpdatedAt = next, now
	ev := Event{DossierID: d.ID, Action: act, From: from, To: next, ActorID: p.UserID, Actor: p.Username, Note: in.Note, At: now}
	if err := s.dossiers.TransitionDossier(ctx, &d, from, &ev); err != nil {
		if errors.Is(err, errs.ErrConflict) {
			return Dossier{}, errs.Public(errs.ErrConflict, "err.dossier_changed")
		}
		return Dossier{}, err
	}
	if act == ActApprove {
		if err := s.store.SetSystemApproval(ctx, sys.ID, d.Level, d.Decision.Date); err != nil {
			return Dossier{}, fmt.Errorf("record approval of system %d: %w", sys.ID, err)
		}
	}
	detail := fmt.Sprintf("system=%s level=%d %s→%s", sys.Code, d.Level, from, next)
	if act == ActApprove {
		detail += fmt.Sprintf(" decision=%s signer=%q", d.Decision.Number, d.Decision.Signer)
	}
	if in.Note != "" {
		detail += " note=" + strconvQuote(in.Note)
	}
	return d, s.record(ctx, p, "dossier."+string(act), d.UnitID, dossierTarget(d.ID), detail)
}

func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strconv.Quote(s)
}

// MayStep reports whether p may take act on d as far as roles and the
// pack's authorities go (the state machine and inputs are checked by Step).
// The UI uses it to offer only the steps a user can take.
func (s *Service) MayStep(p *authz.Principal, d Dossier, act Action) bool {
	pack, err := s.Pack(d.PackID)
	if err != nil {
		return false
	}
	auth, ok := pack.Authority(d.Level)
	switch act {
	case ActSubmit:
		return p.Authorize(authz.PermDossierSubmit, d.UnitID) == nil
	case ActAppraise:
		return ok && s.mayAct(p, d.UnitID, auth.Appraise, authz.PermDossierAppraise) == nil
	case ActApprove:
		return ok && s.mayAct(p, d.UnitID, auth.Approve, authz.PermDossierDecide) == nil
	case ActReturn:
		if d.State == UnderAppraisal {
			return ok && s.mayAct(p, d.UnitID, auth.Approve, authz.PermDossierDecide) == nil
		}
		return ok && s.mayAct(p, d.UnitID, auth.Appraise, authz.PermDossierAppraise) == nil
	}
	return false
}

// mayAct decides whether p may take a step that the pack gives to roles:
// the specialised IS unit's steps need perm; an outside authority's step
// may only be recorded, by a principal holding dossier.record_external.
func (s *Service) mayAct(p *authz.Principal, unitID int64, roles []string, perm authz.Permission) error {
	if slices.Contains(roles, roleSpecialisedISUnit) {
		return p.Authorize(perm, unitID)
	}
	if err := p.Authorize(authz.PermDossierRecord, unitID); err != nil {
		return errs.Public(errs.ErrForbidden, "err.dossier_external", strings.Join(roles, ", "))
	}
	return nil
}

// applyAppraiser records who appraises and checks the independence rule.
func applyAppraiser(d *Dossier, sys System, auth regulation.Authority, in StepInput) error {
	d.Appraiser = strings.TrimSpace(in.Appraiser)
	d.AppraiserUnit = in.AppraiserUnit
	d.Independence = in.Independence
	if d.Appraiser == "" {
		d.Appraiser, d.AppraiserUnit = sys.ISUnit.Name, sys.ISUnit.UnitID
	}
	if d.Appraiser == "" {
		return errs.Invalid("appraiser", "err.dossier_appraiser")
	}
	units := map[string]string{}
	switch d.Independence {
	case "independent_council":
		units["appraise"] = "council:" + d.Appraiser
	case "", "other_subordinate_unit":
		if d.AppraiserUnit != 0 {
			units["appraise"] = "unit:" + strconv.FormatInt(d.AppraiserUnit, 10)
		} else {
			units["appraise"] = "name:" + strings.ToLower(d.Appraiser)
		}
	default:
		return errs.Invalid("independence", "err.dossier_independence_kind")
	}
	if sys.Operator.UnitID != 0 {
		units["operator"] = "unit:" + strconv.FormatInt(sys.Operator.UnitID, 10)
	} else if sys.Operator.Name != "" {
		units["operator"] = "name:" + strings.ToLower(strings.TrimSpace(sys.Operator.Name))
	}
	if err := auth.CheckIndependence(units); err != nil {
		var ie *regulation.IndependenceError
		if errors.As(err, &ie) {
			for _, v := range ie.Violations {
				if len(v.Conflicts) > 0 {
					return &errs.PublicError{Kind: errs.ErrInvalid, Key: "err.dossier_independence", Field: "appraiser"}
				}
			}
			return &errs.PublicError{Kind: errs.ErrInvalid, Key: "err.dossier_operator_missing", Field: "appraiser"}
		}
		return err
	}
	return nil
}

// AddAttachment stores a file with a dossier, with its SHA-256.
func (s *Service) AddAttachment(ctx context.Context, p *authz.Principal, dossierID int64, name, contentType string, data []byte) (Attachment, error) {
	d, err := s.dossiers.GetDossier(ctx, dossierID)
	if err != nil {
		return Attachment{}, err
	}
	if err := p.Authorize(authz.PermSystemWrite, d.UnitID); err != nil {
		return Attachment{}, err
	}
	name = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(name, "/", "_"), "\\", "_"))
	if !validName(name, 255) {
		return Attachment{}, errs.Invalid("file", "err.attachment_name")
	}
	if len(data) == 0 || len(data) > MaxAttachment {
		return Attachment{}, errs.Invalid("file", "err.attachment_size", MaxAttachment>>20)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	a := Attachment{DossierID: d.ID, Name: name, ContentType: contentType, Size: int64(len(data)),
		SHA256: sha256Hex(data), CreatedBy: p.UserID, CreatedAt: s.now().UTC()}
	if err := s.dossiers.AddAttachment(ctx, &a, data); err != nil {
		return Attachment{}, err
	}
	return a, s.record(ctx, p, "dossier.attach", d.UnitID, dossierTarget(d.ID),
		fmt.Sprintf("file=%q sha256=%s size=%d", a.Name, a.SHA256, a.Size))
}

// Attachment returns a file after checking that its bytes still match the
// SHA-256 recorded at upload.
func (s *Service) Attachment(ctx context.Context, p *authz.Principal, id int64) (Attachment, []byte, error) {
	a, data, err := s.dossiers.AttachmentData(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	d, err := s.dossiers.GetDossier(ctx, a.DossierID)
	if err != nil {
		return Attachment{}, nil, err
	}
	if err := p.Authorize(authz.PermSystemRead, d.UnitID); err != nil {
		return Attachment{}, nil, err
	}
	if sha256Hex(data) != a.SHA256 {
		return Attachment{}, nil, fmt.Errorf("attachment %d: content does not match its sha256: %w", id, errs.ErrConflict)
	}
	return a, data, nil
}
