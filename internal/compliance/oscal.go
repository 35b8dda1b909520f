package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/oscal"
)

// OSCALCatalog exports the default pack's requirement catalogue as an
// OSCAL catalog with titles in lang ("vi" or "en").
func (s *Service) OSCALCatalog(p *authz.Principal, lang string) ([]byte, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	pack, ok := s.packs.Pack(s.pack)
	if !ok {
		return nil, fmt.Errorf("pack %s not loaded", s.pack)
	}
	if lang != "en" {
		lang = "vi"
	}
	return oscal.ExportCatalog(pack, lang, s.now())
}

// OSCALProfile exports the baseline of one level as an OSCAL profile that
// imports catalogHref.
func (s *Service) OSCALProfile(p *authz.Principal, level int, catalogHref string) ([]byte, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	if level < 1 || level > 5 {
		return nil, errs.Invalid("level", "err.level")
	}
	pack, ok := s.packs.Pack(s.pack)
	if !ok {
		return nil, fmt.Errorf("pack %s not loaded", s.pack)
	}
	return oscal.ExportProfile(pack, level, catalogHref, s.now())
}

// OSCALAssessmentResults exports a system's requirement set as OSCAL
// assessment results: one finding per item, evidence with its SHA-256 and
// the latest probe result.
func (s *Service) OSCALAssessmentResults(ctx context.Context, p *authz.Principal, systemID int64, lang string) ([]byte, error) {
	v, err := s.Set(ctx, p, systemID)
	if err != nil {
		return nil, err
	}
	if lang != "en" {
		lang = "vi"
	}
	in := oscal.AssessmentInput{SystemID: v.System.ID, SystemName: v.System.Code + " — " + v.System.Name, Level: v.Level,
		LevelApproved: !v.Provisional, PackID: v.Pack.ID(), PackVersion: v.Pack.Version(), Lang: lang,
		Start: v.System.CreatedAt, End: s.now(), ProfileHref: fmt.Sprintf("profile-level-%d.json", v.Level)}
	for _, iv := range v.Items {
		title := iv.Requirement.Title.VI
		if lang == "en" {
			title = iv.Requirement.Title.EN
		}
		ir := oscal.ItemResult{RequirementID: iv.Item.RequirementID, Title: title, Status: string(iv.Item.Status),
			Justification: iv.Item.Justification, Notes: iv.Item.Notes, Owner: iv.Item.Owner, Due: iv.Item.Due,
			UpdatedAt: iv.Item.UpdatedAt}
		for _, e := range iv.Evidence {
			ref := oscal.EvidenceRef{Name: e.Name, SHA256: e.SHA256, MediaType: e.ContentType, Size: e.Size, Href: e.URL}
			if e.Kind == EvidenceFile {
				ref.Href = fmt.Sprintf("/evidence/%d", e.ID)
			}
			ir.Evidence = append(ir.Evidence, ref)
		}
		if len(iv.Probes) > 0 {
			pv := iv.Probes[0]
			ir.Probe = &oscal.ProbeResult{ProbeID: pv.Record.ProbeID, Status: string(pv.Effective),
				Proof: pv.Record.Result().ProofIn(lang), At: pv.Record.At, Stale: pv.Stale}
		}
		in.Items = append(in.Items, ir)
	}
	return oscal.ExportAssessmentResults(in, s.now())
}

// ImportFramework reads an OSCAL catalog and stores it as a custom
// framework. It needs the compliance permission on the whole organisation.
func (s *Service) ImportFramework(ctx context.Context, p *authz.Principal, source string, r io.Reader) (Framework, error) {
	if err := p.AuthorizeGlobal(authz.PermComplianceWrite); err != nil {
		return Framework{}, err
	}
	cat, err := oscal.ParseCatalog(r)
	if err == nil {
		var fw oscal.Framework
		if fw, err = cat.Framework(); err == nil {
			body, _ := json.Marshal(fw)
			f := Framework{Key: fw.ID, Title: fw.Title, Version: fw.Version, Source: cleanName(source),
				Controls: len(fw.Controls), Body: body, ImportedAt: s.now().UTC(), ImportedBy: p.Username}
			if err := s.store.CreateFramework(ctx, &f); err != nil {
				if errors.Is(err, errs.ErrConflict) {
					return Framework{}, errs.Public(errs.ErrConflict, "err.framework_exists", fw.ID)
				}
				return Framework{}, err
			}
			s.record(ctx, p, "framework.import", 0, fmt.Sprintf("framework:%d", f.ID),
				fmt.Sprintf("%s %s controls=%d", f.Key, f.Version, f.Controls))
			return f, nil
		}
	}
	var pe *oscal.ParseError
	if errors.As(err, &pe) {
		return Framework{}, errs.Invalid("file", "err.oscal_invalid", strings.TrimSpace(pe.Error()))
	}
	return Framework{}, errs.Invalid("file", "err.oscal_invalid", err.Error())
}

// Frameworks lists the imported frameworks.
func (s *Service) Frameworks(ctx context.Context, p *authz.Principal) ([]Framework, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return nil, err
	}
	return s.store.ListFrameworks(ctx)
}

// FrameworkDetail returns an imported framework with its controls.
func (s *Service) FrameworkDetail(ctx context.Context, p *authz.Principal, id int64) (Framework, oscal.Framework, error) {
	if err := p.Authorize(authz.PermSystemRead, 0); err != nil {
		return Framework{}, oscal.Framework{}, err
	}
	f, err := s.store.GetFramework(ctx, id)
	if err != nil {
		return Framework{}, oscal.Framework{}, err
	}
	var fw oscal.Framework
	if err := json.Unmarshal(f.Body, &fw); err != nil {
		return Framework{}, oscal.Framework{}, fmt.Errorf("decode framework %d: %w", id, err)
	}
	return f, fw, nil
}
