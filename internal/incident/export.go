package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

// PackageFormat names the JSON export format of a case.
const PackageFormat = "khien-incident-package/1"

// Package is a case exported for a national platform or a response team:
// the case, its clocks, submissions, timeline, tasks, observables and its
// evidence with the SHA-256 of each item, each item verified on export,
// and its chain of custody.
type Package struct {
	Format      string    `json:"format"`
	GeneratedAt time.Time `json:"generated_at"`
	GeneratedBy string    `json:"generated_by"`
	// Unit is the name of the case's unit.
	Unit        string             `json:"unit"`
	Case        Case               `json:"case"`
	Serious     bool               `json:"serious"`
	Clocks      []ClockView        `json:"clocks"`
	Submissions []Submission       `json:"submissions"`
	Timeline    []Entry            `json:"timeline"`
	Tasks       []Task             `json:"tasks"`
	Observables []Observable       `json:"observables"`
	Evidence    []ExportedEvidence `json:"evidence"`
}

// ExportedEvidence is an evidence item in an export: its description and
// SHA-256, whether its content and chain of custody held when exported,
// and the chain, the export included. The content itself is not in the
// package.
type ExportedEvidence struct {
	Evidence
	Verified bool      `json:"verified"`
	Problem  string    `json:"problem,omitempty"`
	Custody  []Custody `json:"custody"`
}

// Export builds the package of case caseID for p, who must hold
// incident.evidence on its unit (the package lists the evidence). Each
// evidence item is verified and the export written to its chain of
// custody; an item that fails is exported with Verified false and its
// problem (and reported as tampered), so the recipient knows.
func (s *Service) Export(ctx context.Context, p *authz.Principal, caseID int64, unitName string) (Package, error) {
	c, err := s.evidenceCase(ctx, p, caseID)
	if err != nil {
		return Package{}, err
	}
	pkg := Package{Format: PackageFormat, GeneratedAt: s.now().UTC(), GeneratedBy: p.Username, Unit: unitName, Case: c}
	if pkg.Submissions, err = s.store.ListSubmissions(ctx, caseID); err != nil {
		return Package{}, err
	}
	if pkg.Clocks, pkg.Serious, err = s.Clocks(ctx, c, pkg.Submissions); err != nil {
		return Package{}, err
	}
	if pkg.Timeline, err = s.store.ListEntries(ctx, caseID); err != nil {
		return Package{}, err
	}
	if ts, err := s.tasks(); err == nil {
		if pkg.Tasks, err = ts.ListTasks(ctx, caseID); err != nil {
			return Package{}, err
		}
	}
	if st, err := s.observables(); err == nil {
		if pkg.Observables, err = st.ListObservables(ctx, caseID); err != nil {
			return Package{}, err
		}
	}
	es, err := s.evidence()
	if errors.Is(err, errs.ErrUnavailable) {
		return pkg, s.record(ctx, p, "incident.export", c, "no evidence store")
	}
	if err != nil {
		return Package{}, err
	}
	items, err := es.ListIncidentEvidence(ctx, caseID)
	if err != nil {
		return Package{}, err
	}
	bad := 0
	for _, e := range items {
		f, problem, err := s.check(ctx, p, es, c, e, Exported)
		if err != nil {
			return Package{}, err
		}
		if f != nil {
			f.Close()
		}
		chain, err := es.ListCustody(ctx, e.ID)
		if err != nil {
			return Package{}, err
		}
		if problem != "" {
			bad++
		}
		pkg.Evidence = append(pkg.Evidence, ExportedEvidence{Evidence: e, Verified: problem == "", Problem: problem, Custody: chain})
	}
	return pkg, s.record(ctx, p, "incident.export", c, fmt.Sprintf("%d evidence items, %d failed verification", len(items), bad))
}

// WriteJSON writes the package as indented JSON.
func (pkg Package) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pkg); err != nil {
		return fmt.Errorf("write incident package: %w", err)
	}
	return nil
}

// STIX 2.1 objects of an incident bundle.
type (
	stixObject struct {
		Type         string `json:"type"`
		SpecVersion  string `json:"spec_version,omitempty"`
		ID           string `json:"id"`
		CreatedByRef string `json:"created_by_ref,omitempty"`
		Created      string `json:"created,omitempty"`
		Modified     string `json:"modified,omitempty"`
	}
	stixIdentity struct {
		stixObject
		Name          string `json:"name"`
		IdentityClass string `json:"identity_class"`
	}
	stixIncident struct {
		stixObject
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		// Custom properties (STIX 2.1 §11.1): the case's classification and
		// the observables that are not indicators.
		Ref        string   `json:"x_khien_ref"`
		Category   Category `json:"x_khien_category"`
		Severity   Severity `json:"x_khien_severity"`
		Status     Status   `json:"x_khien_status"`
		Serious    bool     `json:"x_khien_serious"`
		DetectedAt string   `json:"x_khien_detected_at"`
		ClosedAt   string   `json:"x_khien_closed_at,omitempty"`
		Accounts   []string `json:"x_khien_accounts,omitempty"`
		Hosts      []string `json:"x_khien_hosts,omitempty"`
	}
	stixIndicator struct {
		stixObject
		Name           string   `json:"name"`
		Pattern        string   `json:"pattern"`
		PatternType    string   `json:"pattern_type"`
		PatternVersion string   `json:"pattern_version"`
		ValidFrom      string   `json:"valid_from"`
		IndicatorTypes []string `json:"indicator_types"`
	}
	stixFile struct {
		Type        string            `json:"type"`
		SpecVersion string            `json:"spec_version"`
		ID          string            `json:"id"`
		Name        string            `json:"name"`
		Size        int64             `json:"size"`
		Hashes      map[string]string `json:"hashes"`
	}
	stixRelationship struct {
		stixObject
		RelationshipType string `json:"relationship_type"`
		SourceRef        string `json:"source_ref"`
		TargetRef        string `json:"target_ref"`
	}
	stixBundle struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Objects []any  `json:"objects"`
	}
)

// WriteSTIX writes the package as a STIX 2.1 bundle: the unit as the
// identity that shares it, the case as an incident, each observable of an
// indicator type as an indicator that indicates it, and each evidence item
// as a file (name, size, SHA-256) related to it. Ids are deterministic:
// exporting the same case again gives the same ids.
func (pkg Package) WriteSTIX(w io.Writer) error {
	now := intel.STIXTime(pkg.GeneratedAt.Truncate(time.Millisecond))
	c := pkg.Case
	caseKey := strconv.FormatInt(c.UnitID, 10) + "/" + strconv.FormatInt(c.ID, 10) + "/" + c.Ref
	name := pkg.Unit
	if name == "" {
		name = "Khiên"
	}
	identity := stixIdentity{stixObject: stixObject{Type: "identity", SpecVersion: "2.1", ID: intel.STIXID("identity", name),
		Created: now, Modified: now}, Name: name, IdentityClass: "organization"}
	created, modified := intel.STIXTime(c.CreatedAt), intel.STIXTime(c.UpdatedAt)
	if c.UpdatedAt.Before(c.CreatedAt) {
		modified = created
	}
	inc := stixIncident{stixObject: stixObject{Type: "incident", SpecVersion: "2.1", ID: intel.STIXID("incident", caseKey),
		CreatedByRef: identity.ID, Created: created, Modified: modified}, Name: c.Title, Description: c.Description,
		Ref: c.Ref, Category: c.Category, Severity: c.Severity, Status: c.Status, Serious: pkg.Serious,
		DetectedAt: intel.STIXTime(c.DetectedAt)}
	if !c.ClosedAt.IsZero() {
		inc.ClosedAt = intel.STIXTime(c.ClosedAt)
	}
	var rest []any
	relate := func(kind, from, to string) {
		rest = append(rest, stixRelationship{stixObject: stixObject{Type: "relationship", SpecVersion: "2.1",
			ID: intel.STIXID("relationship", kind+"/"+from+"/"+to), CreatedByRef: identity.ID, Created: now, Modified: now},
			RelationshipType: kind, SourceRef: from, TargetRef: to})
	}
	for _, o := range pkg.Observables {
		switch o.Kind {
		case Account:
			inc.Accounts = append(inc.Accounts, o.Value)
			continue
		case Host:
			inc.Hosts = append(inc.Hosts, o.Value)
			continue
		}
		t := intel.Type(o.Kind)
		pattern, err := intel.FormatPattern([][]intel.Comparison{{{Type: t, Value: o.Value}}})
		if err != nil {
			return fmt.Errorf("write stix bundle: observable %d: %w", o.ID, err)
		}
		ind := stixIndicator{stixObject: stixObject{Type: "indicator", SpecVersion: "2.1", ID: intel.STIXID("indicator", caseKey+"/"+pattern),
			CreatedByRef: identity.ID, Created: intel.STIXTime(o.CreatedAt), Modified: intel.STIXTime(o.CreatedAt)},
			Name: string(o.Kind) + " " + o.Value + optional(" — ", o.Note), Pattern: pattern, PatternType: "stix", PatternVersion: "2.1",
			ValidFrom: intel.STIXTime(o.CreatedAt), IndicatorTypes: []string{"compromised"}}
		rest = append(rest, ind)
		relate("indicates", ind.ID, inc.ID)
	}
	files := map[string]bool{}
	for _, e := range pkg.Evidence {
		if files[e.SHA256] {
			continue // the same content twice is one file
		}
		files[e.SHA256] = true
		f := stixFile{Type: "file", SpecVersion: "2.1", ID: intel.STIXID("file", "sha256:"+e.SHA256), Name: e.Name, Size: e.Size,
			Hashes: map[string]string{"SHA-256": e.SHA256}}
		rest = append(rest, f)
		relate("related-to", f.ID, inc.ID)
	}
	b := stixBundle{Type: "bundle", ID: intel.STIXID("bundle", caseKey+"/"+now), Objects: append([]any{identity, inc}, rest...)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("write stix bundle: %w", err)
	}
	return nil
}
