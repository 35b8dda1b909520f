package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/report/authority"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
)

// Report job kinds.
const (
	JobAnnualReport         = "report.annual"
	JobImplementationReport = "report.implementation"
)

// ReportFormats are the files every report job writes.
var ReportFormats = []string{"pdf", "docx", "xlsx"}

// ReportDeps are the other stores a report reads.
type ReportDeps struct {
	Units interface {
		Tree(ctx context.Context) (*unit.Tree, error)
	}
	Dossiers interface {
		ListDossiers(ctx context.Context, f system.DossierFilter) ([]system.Dossier, error)
	}
	FocalPoints interface {
		ListFocalPoints(ctx context.Context, units []int64) ([]system.FocalPoint, error)
	}
	Jobs *job.Runner
	// Dir receives one directory of files per report job.
	Dir string
}

// SetReportDeps enables report generation.
func (s *Service) SetReportDeps(d ReportDeps) error {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	s.reports = &d
	return nil
}

// ReportRequest asks for a report to the authority.
type ReportRequest struct {
	Kind string `json:"kind"` // "annual" or "implementation"
	// UnitID is the unit whose systems (with its sub-units) are reported.
	UnitID int64 `json:"unit_id"`
	// Year of the annual report (data period 15/12 of Year-1 to 14/12 of Year).
	Year int `json:"year,omitempty"`
	// From and To bound the implementation report's period (YYYY-MM-DD).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Letter details.
	Number     string `json:"number,omitempty"`
	Recipient  string `json:"recipient,omitempty"`
	Place      string `json:"place,omitempty"`
	SignerRole string `json:"signer_role,omitempty"`
	SignerName string `json:"signer_name,omitempty"`
}

// StartReport checks a request and submits it as a background job.
func (s *Service) StartReport(ctx context.Context, p *authz.Principal, req ReportRequest) (job.Job, error) {
	if s.reports == nil {
		return job.Job{}, errors.New("report generation is not configured")
	}
	if err := p.Authorize(authz.PermReportGenerate, req.UnitID); err != nil {
		return job.Job{}, err
	}
	kind, err := CheckReport(&req, s.now())
	if err != nil {
		return job.Job{}, err
	}
	params, _ := json.Marshal(req)
	j, err := s.reports.Jobs.Submit(ctx, job.Spec{Kind: kind, UnitID: req.UnitID, CreatedBy: p.UserID, Params: string(params)})
	if err != nil {
		return job.Job{}, err
	}
	s.record(ctx, p, "report.start", req.UnitID, fmt.Sprintf("job:%d", j.ID), string(params))
	return j, nil
}

// CheckReport validates a request (trimming its texts) and returns its job kind.
func CheckReport(req *ReportRequest, now time.Time) (string, error) {
	if req.UnitID <= 0 {
		return "", errs.Invalid("unit_id", "err.report_unit")
	}
	kind := ""
	switch req.Kind {
	case "annual":
		kind = JobAnnualReport
		if req.Year < 2016 || req.Year > now.Year()+1 {
			return "", errs.Invalid("year", "err.report_year")
		}
	case "implementation":
		kind = JobImplementationReport
		from, err1 := time.Parse(time.DateOnly, req.From)
		to, err2 := time.Parse(time.DateOnly, req.To)
		if err1 != nil || err2 != nil || to.Before(from) {
			return "", errs.Invalid("from", "err.report_period")
		}
	default:
		return "", errs.Invalid("kind", "err.report_kind")
	}
	for _, f := range []*string{&req.Number, &req.Recipient, &req.Place, &req.SignerRole, &req.SignerName} {
		*f = strings.TrimSpace(*f)
		if len(*f) > 500 {
			return "", errs.Invalid("number", "err.too_long")
		}
	}
	return kind, nil
}

// ReportResult is stored as the job result.
type ReportResult struct {
	Files   map[string]string `json:"files"` // format → file name
	Systems int               `json:"systems"`
}

// ReportOutput is a generated report: the document as PDF and DOCX and the
// XLSX annex, with the base of their file names.
type ReportOutput struct {
	Base    string
	Files   map[string][]byte // format → bytes
	Systems int
}

// FileName returns the file name of one format.
func (o ReportOutput) FileName(format string) string {
	if format == "xlsx" {
		return o.Base + "-phu-luc.xlsx"
	}
	return o.Base + "." + format
}

// GenerateReport reads live data and renders a report (kind JobAnnualReport
// or JobImplementationReport). progress, if not nil, is told how far it got.
func (s *Service) GenerateReport(ctx context.Context, kind string, req ReportRequest, progress func(done, total int64, msg string)) (ReportOutput, error) {
	if progress == nil {
		progress = func(int64, int64, string) {}
	}
	systems, org, err := s.reportScope(ctx, req.UnitID)
	if err != nil {
		return ReportOutput{}, err
	}
	total := int64(len(systems) + 3)
	lines := make([]authority.System, 0, len(systems))
	for i, sys := range systems {
		if err := ctx.Err(); err != nil {
			return ReportOutput{}, err
		}
		progress(int64(i), total, sys.Code)
		line, err := s.reportLine(ctx, sys)
		if err != nil {
			return ReportOutput{}, fmt.Errorf("system %s: %w", sys.Code, err)
		}
		lines = append(lines, line)
	}
	letter := authority.Letter{Number: req.Number, Place: req.Place, Date: s.now().In(s.location()),
		Signer: authority.Signer{Role: req.SignerRole, Name: req.SignerName}}
	if req.Recipient != "" {
		letter.Recipients = []string{req.Recipient}
	}
	var (
		doc   report.Document
		annex bytes.Buffer
		out   = ReportOutput{Files: map[string][]byte{}, Systems: len(systems)}
	)
	switch kind {
	case JobAnnualReport:
		d := authority.AnnualData{Letter: letter, Year: req.Year, Org: org, SpecialisedUnit: s.specialisedUnit(systems),
			Operators: operators(systems), Systems: lines}
		if err := d.Validate(); err != nil {
			return ReportOutput{}, err
		}
		doc = authority.Annual(d)
		if err := authority.AnnualAnnexXLSX(&annex, d); err != nil {
			return ReportOutput{}, err
		}
		out.Base = fmt.Sprintf("bao-cao-dinh-ky-%d", req.Year)
	case JobImplementationReport:
		from, _ := time.Parse(time.DateOnly, req.From)
		to, _ := time.Parse(time.DateOnly, req.To)
		d := authority.ImplementationData{Letter: letter, Org: org, PeriodFrom: from, PeriodTo: to, Systems: lines}
		if fps, err := s.reports.FocalPoints.ListFocalPoints(ctx, s.scopeUnits(ctx, req.UnitID)); err == nil {
			d.FocalPoints.Known = true
			for _, f := range fps {
				d.FocalPoints.Contacts = append(d.FocalPoints.Contacts, authority.Contact{Name: f.Name, Role: f.Role,
					Phone: f.Phone, Email: f.Email})
			}
		}
		d.Scans, d.Hunts = s.activity(ctx, systems, ObligationVulnScan, from, to), s.activity(ctx, systems, ObligationThreatHunt, from, to)
		if err := d.Validate(); err != nil {
			return ReportOutput{}, err
		}
		doc = authority.Implementation(d)
		if err := authority.ImplementationAnnexXLSX(&annex, d); err != nil {
			return ReportOutput{}, err
		}
		out.Base = fmt.Sprintf("bao-cao-ket-qua-trien-khai-%s-%s", req.From, req.To)
	default:
		return ReportOutput{}, fmt.Errorf("unknown report kind %q", kind)
	}
	for i, format := range []string{"pdf", "docx"} {
		progress(int64(len(systems)+i), total, format)
		data, _, err := report.Render(format, doc)
		if err != nil {
			return ReportOutput{}, err
		}
		out.Files[format] = data
	}
	out.Files["xlsx"] = annex.Bytes()
	progress(total, total, "")
	return out, nil
}

// BuildReport is the job function of both report kinds: it generates the
// report and writes its files into the report directory, named in the job
// result.
func (s *Service) BuildReport(ctx context.Context, p *job.Progress) error {
	j := p.Job()
	var req ReportRequest
	if err := json.Unmarshal([]byte(j.Params), &req); err != nil {
		return fmt.Errorf("report parameters: %w", err)
	}
	out, err := s.GenerateReport(ctx, j.Kind, req, func(done, total int64, msg string) {
		p.Set(done, total)
		if msg != "" {
			p.Message(msg)
		}
	})
	if err != nil {
		return err
	}
	dir := filepath.Join(s.reports.Dir, fmt.Sprint(j.ID))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	res := ReportResult{Files: map[string]string{}, Systems: out.Systems}
	for _, format := range ReportFormats {
		name := out.FileName(format)
		if err := os.WriteFile(filepath.Join(dir, name), out.Files[format], 0o600); err != nil {
			return err
		}
		res.Files[format] = name
	}
	data, _ := json.Marshal(res)
	p.SetResult(string(data))
	return nil
}

func (s *Service) location() *time.Location { return calLoc(s.loc) }

// scopeUnits returns unitID and its descendants.
func (s *Service) scopeUnits(ctx context.Context, unitID int64) []int64 {
	tree, err := s.reports.Units.Tree(ctx)
	if err != nil {
		return []int64{unitID}
	}
	var out []int64
	for id := range tree.Expand([]int64{unitID}) {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// reportScope returns the systems of a unit and its sub-units that have a
// level and are not retired, and the unit as the reporting organisation.
func (s *Service) reportScope(ctx context.Context, unitID int64) ([]system.System, authority.Party, error) {
	tree, err := s.reports.Units.Tree(ctx)
	if err != nil {
		return nil, authority.Party{}, err
	}
	u, ok := tree.Get(unitID)
	if !ok {
		return nil, authority.Party{}, errs.NotFound("unit", unitID)
	}
	list, err := s.systems.ListSystems(ctx, system.Filter{Units: s.scopeUnits(ctx, unitID)})
	if err != nil {
		return nil, authority.Party{}, err
	}
	var out []system.System
	org := authority.Party{Name: u.Name}
	for _, sys := range list {
		if sys.Status != system.Retired && sys.ParentID == 0 {
			out = append(out, sys)
			// The owner's details as the register has them, when the
			// reporting unit is the owner.
			if sys.Owner.UnitID == unitID && sys.Owner.Name != "" && org.Representative == "" {
				org = partyOf(sys.Owner)
			}
		}
	}
	return out, org, nil
}

func (s *Service) specialisedUnit(systems []system.System) authority.Party {
	for _, sys := range systems {
		if sys.ISUnit.Name != "" {
			return partyOf(sys.ISUnit)
		}
	}
	return authority.Party{}
}

func partyOf(p system.Party) authority.Party {
	return authority.Party{Name: p.Name, Representative: p.Representative, Title: p.Title, Address: p.Address,
		Phone: p.Phone, Email: p.Email}
}

func operators(systems []system.System) []authority.Party {
	var out []authority.Party
	seen := map[string]bool{}
	for _, sys := range systems {
		if n := sys.Operator.Name; n != "" && !seen[n] {
			seen[n] = true
			out = append(out, partyOf(sys.Operator))
		}
	}
	return out
}

// reportLine turns a system, its approved dossier and its requirement set
// into one line of a report.
func (s *Service) reportLine(ctx context.Context, sys system.System) (authority.System, error) {
	line := authority.System{Code: sys.Code, Name: sys.Name, Operator: sys.Operator.Name, ProposedLevel: sys.ProposedLevel}
	if sys.ApprovedLevel > 0 {
		line.Approved, line.ApprovedLevel = true, sys.ApprovedLevel
		ds, err := s.reports.Dossiers.ListDossiers(ctx, system.DossierFilter{SystemID: sys.ID, State: system.Approved})
		if err != nil {
			return line, err
		}
		if len(ds) > 0 { // newest first
			line.DecisionNo, line.DecisionDate = ds[0].Decision.Number, ds[0].Decision.Date
		}
	}
	v, err := s.set(ctx, sys)
	if err != nil {
		return line, err
	}
	if v.Level > 0 {
		line.Plan = planStatus(v.Summary)
		for _, g := range v.Groups {
			line.Groups = append(line.Groups, authority.GroupResult{Name: g.Group.Name.VI, Met: g.Met, Partial: g.Partial,
				NotMet: g.NotMet, NotApplicable: g.NotApplicable, Total: g.Total})
		}
		for _, iv := range v.Items {
			switch iv.Item.Status {
			case ItemPartial, ItemNotMet, ItemOpen:
				line.Unmet = append(line.Unmet, authority.UnmetItem{RequirementID: iv.Item.RequirementID,
					Title: iv.Requirement.Title.VI, Partial: iv.Item.Status == ItemPartial, Action: iv.Item.Notes,
					Due: iv.Item.Due, Owner: iv.Item.Owner})
			}
			if iv.Item.RequirementID == "general.security_regulation" {
				line.Regulation = answerOf(iv.Item.Status)
			}
		}
		line.Compliant = compliantOf(v)
	}
	// Inspection: the 4-layer record, else a closed engagement.
	if !sys.Layers.LastAssessment.IsZero() {
		line.Inspected, line.LastInspection, line.Inspector = authority.Yes, sys.Layers.LastAssessment, sys.Layers.Assessor
	}
	if es, err := s.store.ListEngagements(ctx, nil, sys.ID); err == nil {
		for _, e := range es {
			if e.Status == EngagementClosed && e.End.After(line.LastInspection) {
				line.Inspected, line.LastInspection, line.Inspector = authority.Yes, e.End, e.Assessor
			}
		}
	}
	if line.Inspected == authority.Unknown {
		line.Inspected = authority.No
	}
	missing := sys.Layers.Missing(s.now())
	layer := func(n int, provider string) authority.Layer {
		if slices.Contains(missing, n) {
			return authority.Layer{Status: authority.No, Provider: provider}
		}
		return authority.Layer{Status: authority.Yes, Provider: provider}
	}
	line.Layers = authority.Layers{OnSite: layer(1, sys.Layers.OnSiteTeam),
		Monitoring: layer(2, sys.Layers.MonitoringProvider), Inspection: layer(3, sys.Layers.Assessor)}
	if sys.Layers.NationalConnected {
		line.Layers.National = authority.Layer{Status: authority.Yes}
	}
	return line, nil
}

func planStatus(sm Summary) authority.PlanStatus {
	switch PlanOf(sm) {
	case PlanFull:
		return authority.PlanFull
	case PlanPartial:
		return authority.PlanPartial
	case PlanNone:
		return authority.PlanNone
	}
	return authority.PlanUnknown
}

// How far a system's security plan is implemented, judged from its
// requirement set (Circular 12 Art 14 item 4; Directive 09).
const (
	PlanFull    = "full"    // every applicable item met
	PlanPartial = "partial" // some met or partly met
	PlanNone    = "none"    // assessed, nothing met
	PlanUnknown = "unknown" // nothing assessed yet
)

// PlanOf returns the plan state of a requirement set's summary.
func PlanOf(sm Summary) string {
	applicable := sm.Total - sm.NotApplicable
	switch {
	case applicable <= 0 || sm.Open == applicable:
		return PlanUnknown
	case sm.Met == applicable:
		return PlanFull
	case sm.Met == 0 && sm.Partial == 0:
		return PlanNone
	}
	return PlanPartial
}

func answerOf(st ItemStatus) authority.Answer {
	switch st {
	case ItemMet:
		return authority.Yes
	case ItemNotMet:
		return authority.No
	}
	return authority.Unknown
}

// compliantOf says whether the system follows its security regulation: yes
// when the regulation is issued and no management requirement is unmet, no
// when the regulation is missing or a management requirement is not met.
func compliantOf(v SetView) authority.Answer {
	reg := authority.Unknown
	mgmtBad, mgmtOpen := false, false
	for _, iv := range v.Items {
		if iv.Item.RequirementID == "general.security_regulation" {
			reg = answerOf(iv.Item.Status)
		}
		if iv.TopGroup.ID == "management" {
			mgmtBad = mgmtBad || iv.Item.Status == ItemNotMet
			mgmtOpen = mgmtOpen || iv.Item.Status == ItemOpen
		}
	}
	switch {
	case reg == authority.No || (reg == authority.Yes && mgmtBad):
		return authority.No
	case reg == authority.Yes && !mgmtOpen:
		return authority.Yes
	}
	return authority.Unknown
}

// activity counts the completions of an obligation recorded in a period.
func (s *Service) activity(ctx context.Context, systems []system.System, obligation string, from, to time.Time) authority.Activity {
	a := authority.Activity{Known: true}
	end := to.AddDate(0, 0, 1)
	for _, sys := range systems {
		done, err := s.store.ListCompletions(ctx, sys.ID)
		if err != nil {
			return authority.Activity{}
		}
		counted := false
		for _, c := range done {
			if c.ObligationID != obligation || c.DoneAt.Before(from) || !c.DoneAt.Before(end) {
				continue
			}
			a.Count++
			if !counted {
				a.Systems++
				counted = true
			}
			if c.DoneAt.After(a.Last) {
				a.Last = c.DoneAt
			}
		}
	}
	if a.Count == 0 {
		// Nothing recorded in Khiên is "no data", not "none done".
		return authority.Activity{}
	}
	return a
}

// ReportFile returns the path and name of a generated report file that p may read.
func (s *Service) ReportFile(ctx context.Context, p *authz.Principal, j job.Job, format string) (path, name string, err error) {
	if j.Kind != JobAnnualReport && j.Kind != JobImplementationReport {
		return "", "", errs.NotFound("report", j.ID)
	}
	if err := p.Authorize(authz.PermJobRead, j.UnitID); err != nil {
		return "", "", err
	}
	if j.Status != job.Succeeded {
		return "", "", errs.NotFound("report", j.ID)
	}
	var res ReportResult
	if err := json.Unmarshal([]byte(j.Result), &res); err != nil {
		return "", "", errs.NotFound("report", j.ID)
	}
	name, ok := res.Files[format]
	if !ok || strings.ContainsAny(name, `/\`) {
		return "", "", errs.NotFound("report file", format)
	}
	s.record(ctx, p, "report.download", j.UnitID, fmt.Sprintf("job:%d", j.ID), name)
	return filepath.Join(s.reports.Dir, fmt.Sprint(j.ID), name), name, nil
}
