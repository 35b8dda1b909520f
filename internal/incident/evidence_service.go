package incident

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/filestore"
)

// ErrTampered is wrapped by the error of an access to an evidence item
// whose stored content no longer has the SHA-256 taken when it arrived, or
// whose chain of custody was altered.
var ErrTampered = errors.New("evidence tampered with")

// EntryEvidence is the timeline entry of an evidence item added to a case.
const EntryEvidence = "evidence"

// SetEvidenceFiles gives the service the file store that keeps evidence
// contents; without one (and an EvidenceStore behind its Store) the
// evidence methods return errs.ErrUnavailable.
func (s *Service) SetEvidenceFiles(fs *filestore.Store) { s.files = fs }

// OnTamper sets a function called (once per access) when an evidence item
// is found tampered with, e.g. to notify the unit.
func (s *Service) OnTamper(f func(ctx context.Context, c Case, e Evidence, detail string)) {
	s.onTamper = f
}

// EvidenceFiles returns the evidence file store (nil when none).
func (s *Service) EvidenceFiles() *filestore.Store { return s.files }

func (s *Service) evidence() (EvidenceStore, error) {
	es, ok := s.store.(EvidenceStore)
	if !ok || s.files == nil {
		return nil, fmt.Errorf("incident evidence: %w", errs.ErrUnavailable)
	}
	return es, nil
}

func custodyBy(p *authz.Principal, a CustodyAction, detail string) Custody {
	return Custody{Action: a, ActorID: p.UserID, Actor: p.Username, IP: p.IP, Detail: detail}
}

// evidenceCase returns the case caseID for an evidence operation by p:
// p must see the case (incident.read) and hold incident.evidence on its
// unit.
func (s *Service) evidenceCase(ctx context.Context, p *authz.Principal, caseID int64) (Case, error) {
	c, err := s.store.GetCase(ctx, caseID)
	if err != nil {
		return Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentEvidence, c.UnitID); err != nil {
		return Case{}, err
	}
	return c, nil
}

// AddEvidence stores the content read from r as an evidence item of case
// caseID (incident.evidence on its unit): the SHA-256 is computed as it
// arrives, the item's chain of custody starts with its collection, and the
// case's timeline notes it.
func (s *Service) AddEvidence(ctx context.Context, p *authz.Principal, caseID int64, e Evidence, r io.Reader) (Evidence, error) {
	es, err := s.evidence()
	if err != nil {
		return Evidence{}, err
	}
	c, err := s.evidenceCase(ctx, p, caseID)
	if err != nil {
		return Evidence{}, err
	}
	if err := e.Check(); err != nil {
		return Evidence{}, err
	}
	st, err := s.files.Put(r)
	if errors.Is(err, filestore.ErrTooLarge) {
		return Evidence{}, errs.Invalid("file", "err.evidence_too_large", s.files.Max()>>20)
	}
	if err != nil {
		if errors.Is(err, errs.ErrInvalid) {
			return Evidence{}, errs.Invalid("file", "err.evidence_empty")
		}
		return Evidence{}, err
	}
	now := s.now()
	e.ID, e.CaseID, e.SHA256, e.Size, e.ContentType, e.AddedBy, e.CreatedAt = 0, caseID, st.SHA256, st.Size, st.ContentType, p.UserID, now
	if e.CollectedAt.IsZero() || e.CollectedAt.After(now) {
		e.CollectedAt = now
	}
	first := custodyBy(p, Collected, "sha256="+st.SHA256+" size="+strconv.FormatInt(st.Size, 10)+optional(" source=", e.Source)+optional(" by=", e.CollectedBy))
	first.At = now
	if err := es.AddIncidentEvidence(ctx, &e, &first); err != nil {
		return Evidence{}, err
	}
	if err := s.store.AddEntry(ctx, &Entry{CaseID: caseID, At: now, Kind: EntryEvidence, Text: e.Name + " (SHA-256 " + e.SHA256[:16] + "…)", By: p.UserID}); err != nil {
		return e, err
	}
	return e, s.record(ctx, p, "incident.evidence.add", c, e.Name+" sha256="+e.SHA256)
}

// ListEvidence lists the evidence items of case caseID (incident.evidence
// on its unit): their descriptions and hashes, not their contents.
func (s *Service) ListEvidence(ctx context.Context, p *authz.Principal, caseID int64) ([]Evidence, error) {
	es, err := s.evidence()
	if err != nil {
		return nil, err
	}
	if _, err := s.evidenceCase(ctx, p, caseID); err != nil {
		return nil, err
	}
	return es.ListIncidentEvidence(ctx, caseID)
}

// item returns evidence item id of case caseID for p. When p may not
// handle the case's evidence and the item exists, the refusal is written
// to the item's chain of custody (and the audit log) before ErrForbidden
// is returned.
func (s *Service) item(ctx context.Context, p *authz.Principal, es EvidenceStore, caseID, id int64, what CustodyAction) (Case, Evidence, error) {
	e, err := es.GetIncidentEvidence(ctx, id)
	if err != nil {
		return Case{}, Evidence{}, err
	}
	if e.CaseID != caseID {
		return Case{}, Evidence{}, errs.NotFound("evidence", id)
	}
	c, err := s.store.GetCase(ctx, caseID)
	if err != nil {
		return Case{}, Evidence{}, err
	}
	if aerr := p.Authorize(authz.PermIncidentEvidence, c.UnitID); aerr != nil {
		d := custodyBy(p, Denied, string(what))
		d.EvidenceID = id
		if err := es.AppendCustody(ctx, &d); err != nil {
			return Case{}, Evidence{}, errors.Join(aerr, err)
		}
		if err := s.recordEvidence(ctx, p, c, e, "incident.evidence.denied", string(what)); err != nil {
			return Case{}, Evidence{}, errors.Join(aerr, err)
		}
		return Case{}, Evidence{}, aerr
	}
	return c, e, nil
}

func (s *Service) recordEvidence(ctx context.Context, p *authz.Principal, c Case, e Evidence, action, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: c.UnitID,
		Action: action, Target: "incident:" + strconv.FormatInt(c.ID, 10) + "/evidence:" + strconv.FormatInt(e.ID, 10),
		Detail: e.Name + optional(": ", detail)})
}

// EvidenceView is an evidence item with its chain of custody and whether
// that chain holds.
type EvidenceView struct {
	Evidence Evidence  `json:"evidence"`
	Custody  []Custody `json:"custody"`
	// Broken is the index of the first custody entry whose hash or link
	// does not hold (-1: the chain is intact).
	Broken int `json:"broken"`
}

// GetEvidence returns evidence item id of case caseID with its chain of
// custody (incident.evidence on the case's unit); the viewing is itself
// an entry of the chain.
func (s *Service) GetEvidence(ctx context.Context, p *authz.Principal, caseID, id int64) (EvidenceView, error) {
	es, err := s.evidence()
	if err != nil {
		return EvidenceView{}, err
	}
	_, e, err := s.item(ctx, p, es, caseID, id, Viewed)
	if err != nil {
		return EvidenceView{}, err
	}
	v := custodyBy(p, Viewed, "")
	v.EvidenceID = id
	if err := es.AppendCustody(ctx, &v); err != nil {
		return EvidenceView{}, err
	}
	chain, err := es.ListCustody(ctx, id)
	if err != nil {
		return EvidenceView{}, err
	}
	return EvidenceView{Evidence: e, Custody: chain, Broken: VerifyCustody(chain)}, nil
}

// OpenEvidence returns the content of evidence item id of case caseID
// (incident.evidence), after checking it against its SHA-256 and its
// chain of custody: a mismatch is written to the chain as Tampered,
// reported through OnTamper and returned as ErrTampered (with
// errs.ErrConflict), and nothing is read. The download is in the chain.
// The caller closes the reader.
func (s *Service) OpenEvidence(ctx context.Context, p *authz.Principal, caseID, id int64) (Evidence, io.ReadSeekCloser, error) {
	es, err := s.evidence()
	if err != nil {
		return Evidence{}, nil, err
	}
	c, e, err := s.item(ctx, p, es, caseID, id, Downloaded)
	if err != nil {
		return Evidence{}, nil, err
	}
	f, problem, err := s.check(ctx, p, es, c, e, Downloaded)
	if err != nil {
		return Evidence{}, nil, err
	}
	if problem != "" {
		return Evidence{}, nil, fmt.Errorf("evidence %d: %s: %w: %w", e.ID, problem, ErrTampered, errs.Public(errs.ErrConflict, "err.evidence_tampered", e.Name))
	}
	if err := s.recordEvidence(ctx, p, c, e, "incident.evidence.download", ""); err != nil {
		f.Close()
		return Evidence{}, nil, err
	}
	return e, f, nil
}

// check verifies item e's content and chain of custody, then appends
// action to its chain and returns the open content. On a mismatch it
// appends Tampered instead, reports it and returns what does not hold.
func (s *Service) check(ctx context.Context, p *authz.Principal, es EvidenceStore, c Case, e Evidence, action CustodyAction) (io.ReadSeekCloser, string, error) {
	chain, err := es.ListCustody(ctx, e.ID)
	if err != nil {
		return nil, "", err
	}
	problem := ""
	if i := VerifyCustody(chain); i >= 0 {
		problem = "custody entry " + strconv.Itoa(i+1) + " altered"
	}
	f, ferr := s.files.Open(e.SHA256)
	switch {
	case errors.Is(ferr, filestore.ErrCorrupt):
		problem = joinProblem(problem, "content does not match sha256="+e.SHA256)
	case errors.Is(ferr, errs.ErrNotFound):
		problem = joinProblem(problem, "content missing")
	case ferr != nil:
		return nil, "", ferr
	}
	if problem != "" {
		if f != nil {
			f.Close()
		}
		t := custodyBy(p, Tampered, string(action)+": "+problem)
		t.EvidenceID = e.ID
		if err := es.AppendCustody(ctx, &t); err != nil {
			return nil, "", err
		}
		if err := s.recordEvidence(ctx, p, c, e, "incident.evidence.tampered", problem); err != nil {
			return nil, "", err
		}
		if s.onTamper != nil {
			s.onTamper(ctx, c, e, problem)
		}
		return nil, problem, nil
	}
	a := custodyBy(p, action, "sha256 verified")
	a.EvidenceID = e.ID
	if err := es.AppendCustody(ctx, &a); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, "", nil
}

func joinProblem(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Verification is the result of checking one evidence item.
type Verification struct {
	Evidence Evidence `json:"evidence"`
	OK       bool     `json:"ok"`
	// Problem says what does not hold (empty when OK).
	Problem string `json:"problem,omitempty"`
}

// VerifyEvidence checks every evidence item of case caseID against its
// SHA-256 and its chain of custody (incident.evidence), writing Verified
// or Tampered to each chain. It stops only on errors other than
// tampering.
func (s *Service) VerifyEvidence(ctx context.Context, p *authz.Principal, caseID int64) ([]Verification, error) {
	return s.verifyAll(ctx, p, caseID, Verified)
}

func (s *Service) verifyAll(ctx context.Context, p *authz.Principal, caseID int64, action CustodyAction) ([]Verification, error) {
	es, err := s.evidence()
	if err != nil {
		return nil, err
	}
	c, err := s.evidenceCase(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	items, err := es.ListIncidentEvidence(ctx, caseID)
	if err != nil {
		return nil, err
	}
	out := make([]Verification, 0, len(items))
	for _, e := range items {
		f, problem, err := s.check(ctx, p, es, c, e, action)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			out = append(out, Verification{Evidence: e, Problem: problem})
			continue
		}
		f.Close()
		out = append(out, Verification{Evidence: e, OK: true})
	}
	if err := s.record(ctx, p, "incident.evidence."+string(action), c, strconv.Itoa(len(out))+" items"); err != nil {
		return nil, err
	}
	return out, nil
}
