package oscal

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// The statuses of an assessment item.
const (
	StatusMet           = "met"
	StatusPartial       = "partial"
	StatusNotMet        = "not_met"
	StatusNotApplicable = "not_applicable"
	StatusOpen          = "open" // not assessed yet
)

// AssessmentInput is one assessment of a system against the requirements
// of its level, as ExportAssessmentResults writes it.
type AssessmentInput struct {
	SystemID   int64
	SystemName string
	// Level is the system's level (1–5); LevelApproved says whether the
	// level has been approved by the competent authority.
	Level         int
	LevelApproved bool
	PackID        string
	PackVersion   string
	// Lang chooses the language of the text the export writes itself
	// (titles, descriptions): "en" for English, anything else Vietnamese.
	Lang string
	// Start and End bound the evidence collection; End may be zero.
	Start, End time.Time
	// PlanHref is the href of an OSCAL assessment plan, if one exists;
	// when empty, import-ap points to a placeholder resource in the back
	// matter (see docs/oscal.md).
	PlanHref string
	// ProfileHref, when set, is linked from the placeholder plan: the level
	// baseline written by ExportProfile.
	ProfileHref string
	Items       []ItemResult
}

// ItemResult is the assessment of one requirement.
type ItemResult struct {
	RequirementID string
	Title         string
	// Status is one of StatusMet, StatusPartial, StatusNotMet,
	// StatusNotApplicable and StatusOpen.
	Status        string
	Justification string
	Notes         string
	Owner         string
	// Due is a date: its calendar day in its own location is written.
	// Due and UpdatedAt may be zero.
	Due       time.Time
	UpdatedAt time.Time
	Evidence  []EvidenceRef
	// Probe is the latest automatic check of the requirement, if any.
	Probe *ProbeResult
}

// EvidenceRef is an evidence file attached to an item.
type EvidenceRef struct {
	Name string
	// SHA256 is the hexadecimal SHA-256 digest of the file content.
	SHA256    string
	MediaType string
	Size      int64
	// Href locates the file: a URI reference (a URL or a relative path in
	// an export bundle, spaces percent-encoded); may be empty.
	Href string
}

// ProbeResult is the result of an automatic check.
type ProbeResult struct {
	ProbeID string
	// Status is the probe's status ("met", "not_met", "unknown").
	Status string
	Proof  string
	At     time.Time
	// Stale means the result is older than its freshness window.
	Stale bool
}

// statusMapping is how a Khiên status maps onto OSCAL's objective status,
// which knows only satisfied and not-satisfied, and onto the implementation
// status of the target.
type statusMapping struct {
	state, reason, implementation string
	vi, en                        string // the status in words
}

var statusMappings = map[string]statusMapping{
	StatusMet:           {"satisfied", "pass", "implemented", "đạt", "met"},
	StatusPartial:       {"not-satisfied", "other", "partial", "đạt một phần", "partially met"},
	StatusNotMet:        {"not-satisfied", "fail", "", "không đạt", "not met"},
	StatusNotApplicable: {"satisfied", "other", "not-applicable", "không áp dụng", "not applicable"},
	StatusOpen:          {"not-satisfied", "other", "", "chưa đánh giá", "not assessed yet"},
}

// ExportAssessmentResults writes an assessment as OSCAL assessment
// results: one result whose reviewed controls are the items' requirements,
// one finding per item targeting the requirement's statement
// ("<requirement id>_smt" in the catalog written by ExportCatalog), one
// EXAMINE observation per item with evidence files (each file a back-matter
// resource with its SHA-256 hash) and one TEST observation per probe result.
// now is the last-modified time; the same input gives the same bytes.
func ExportAssessmentResults(in AssessmentInput, now time.Time) ([]byte, error) {
	doc, err := assessmentDocument(in, now)
	if err != nil {
		return nil, fmt.Errorf("export oscal assessment results: %w", err)
	}
	return encode(doc)
}

// tr picks the Vietnamese or English variant of a generated text.
type tr string

func (t tr) s(vi, en string) string {
	if t == "en" {
		return en
	}
	return vi
}

func (t tr) f(vi, en string, args ...any) string { return fmt.Sprintf(t.s(vi, en), args...) }

func assessmentDocument(in AssessmentInput, now time.Time) (*assessmentResultsDocument, error) {
	t := tr(in.Lang)
	if in.Level < minLevel || in.Level > maxLevel {
		return nil, fmt.Errorf("level %d outside %d–%d: %w", in.Level, minLevel, maxLevel, errs.ErrInvalid)
	}
	packID, packVersion := oneLine(in.PackID), oneLine(in.PackVersion)
	if packID == "" || packVersion == "" {
		return nil, fmt.Errorf("pack id and version are required: %w", errs.ErrInvalid)
	}
	if len(in.Items) == 0 {
		return nil, fmt.Errorf("no items: %w", errs.ErrInvalid)
	}
	modified, err := stamp("last-modified", now)
	if err != nil {
		return nil, err
	}
	start, err := stamp("start", in.Start)
	if err != nil {
		return nil, err
	}
	var end string
	if !in.End.IsZero() {
		if in.End.Before(in.Start) {
			return nil, fmt.Errorf("end %s is before start %s: %w", in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339), errs.ErrInvalid)
		}
		if end, err = stamp("end", in.End); err != nil {
			return nil, err
		}
	}
	name := oneLine(in.SystemName)
	if name == "" {
		name = t.f("hệ thống %d", "system %d", in.SystemID)
	}

	docUUID := uuidFor("assessment-results", strconv.FormatInt(in.SystemID, 10), packID, packVersion, strconv.Itoa(in.Level), modified)
	ax := assessmentExporter{t: t, docUUID: docUUID, now: modified, resourceIdx: map[string]int{}}

	imp := importAP{Href: in.PlanHref}
	if in.PlanHref != "" {
		if err := checkHref(in.PlanHref); err != nil {
			return nil, fmt.Errorf("plan href: %w", err)
		}
	} else {
		plan, err := ax.planPlaceholder(in, packID, packVersion)
		if err != nil {
			return nil, err
		}
		imp.Href = "#" + plan.UUID
		imp.Remarks = plan.Description
		ax.resources = append(ax.resources, plan)
	}

	var rp props
	rp.k("system-id", strconv.FormatInt(in.SystemID, 10))
	rp.k("system-name", name)
	rp.kint("level", in.Level)
	rp.k("level-approved", strconv.FormatBool(in.LevelApproved))
	rp.k("pack-id", packID)
	rp.k("pack-version", packVersion)
	approved := t.s("chưa được phê duyệt", "not yet approved")
	if in.LevelApproved {
		approved = t.s("đã được phê duyệt", "approved")
	}
	res := result{
		UUID:  uuidFor(docUUID, "result"),
		Title: t.f("Đánh giá tuân thủ: %s (cấp độ %d)", "Compliance assessment: %s (level %d)", name, in.Level),
		Description: t.f("Kết quả đánh giá hệ thống %s theo các yêu cầu cấp độ %d của gói %s phiên bản %s; cấp độ %s.",
			"Assessment of system %s against the level %d requirements of pack %s version %s; the level is %s.",
			name, in.Level, packID, packVersion, approved),
		Start: start,
		End:   end,
		Props: rp,
	}
	seen := map[string]bool{}
	var refs []controlRef
	for i, it := range in.Items {
		if !IsToken(it.RequirementID) {
			return nil, fmt.Errorf("item %d: requirement id %q is not an OSCAL token: %w", i, it.RequirementID, errs.ErrInvalid)
		}
		if seen[it.RequirementID] {
			return nil, fmt.Errorf("item %d: requirement %q is given twice: %w", i, it.RequirementID, errs.ErrInvalid)
		}
		seen[it.RequirementID] = true
		refs = append(refs, controlRef{ControlID: it.RequirementID})
		f, obs, err := ax.item(it)
		if err != nil {
			return nil, fmt.Errorf("item %d (%s): %w", i, it.RequirementID, err)
		}
		res.Observations = append(res.Observations, obs...)
		res.Findings = append(res.Findings, f)
	}
	res.ReviewedControls = reviewedControls{
		Description: t.f("Các yêu cầu áp dụng cho cấp độ %d", "Requirements that apply at level %d", in.Level),
		ControlSelections: []controlSelection{{
			IncludeControls: refs,
		}},
	}

	doc := &assessmentResultsDocument{AssessmentResults: assessmentResults{
		UUID: docUUID,
		Metadata: Metadata{
			Title:        res.Title,
			LastModified: modified,
			Version:      modified,
			OSCALVersion: Version,
		},
		ImportAP: imp,
		Results:  []result{res},
	}}
	if len(ax.resources) > 0 {
		doc.AssessmentResults.BackMatter = &BackMatter{Resources: ax.resources}
	}
	return doc, nil
}

type assessmentExporter struct {
	t       tr
	docUUID string
	now     string // the document time, formatted
	// resources are the back-matter resources; resourceIdx finds an
	// evidence file already listed (the same file attached to two items).
	resources   []Resource
	resourceIdx map[string]int
}

// planPlaceholder describes the assessment plan that Khiên does not export:
// the level baseline.
func (ax *assessmentExporter) planPlaceholder(in AssessmentInput, packID, packVersion string) (Resource, error) {
	t := ax.t
	r := Resource{
		UUID: uuidFor(ax.docUUID, "assessment-plan"),
		Title: t.f("Kế hoạch đánh giá (không xuất): yêu cầu cấp độ %d của gói %s",
			"Assessment plan (not exported): level %d requirements of pack %s", in.Level, packID),
		Description: t.f("Khiên không xuất kế hoạch đánh giá OSCAL; kế hoạch là bộ yêu cầu cấp độ %d của gói %s phiên bản %s.",
			"Khiên does not export an OSCAL assessment plan; the plan is the level %d baseline of pack %s version %s.",
			in.Level, packID, packVersion),
	}
	var ps props
	ps.k("pack-id", packID)
	ps.k("pack-version", packVersion)
	ps.kint("level", in.Level)
	r.Props = ps
	if in.ProfileHref != "" {
		if err := checkHref(in.ProfileHref); err != nil {
			return Resource{}, fmt.Errorf("profile href: %w", err)
		}
		r.RLinks = []RLink{{Href: in.ProfileHref, MediaType: "application/json"}}
	}
	return r, nil
}

func (ax *assessmentExporter) item(it ItemResult) (finding, []observation, error) {
	t := ax.t
	m, ok := statusMappings[it.Status]
	if !ok {
		return finding{}, nil, fmt.Errorf("status %q (want met, partial, not_met, not_applicable or open): %w", it.Status, errs.ErrInvalid)
	}
	label := t.s(m.vi, m.en)
	title := it.RequirementID
	if tt := oneLine(it.Title); tt != "" {
		title += ": " + tt
	}

	var obs []observation
	if len(it.Evidence) > 0 {
		o, err := ax.evidence(it, title)
		if err != nil {
			return finding{}, nil, err
		}
		obs = append(obs, o)
	}
	if it.Probe != nil {
		o, err := ax.probe(it)
		if err != nil {
			return finding{}, nil, err
		}
		obs = append(obs, o)
	}

	var ps props
	ps.k("status", it.Status)
	ps.k("owner", it.Owner)
	if !it.Due.IsZero() {
		ps.k("due", it.Due.Format(time.DateOnly))
	}
	if !it.UpdatedAt.IsZero() {
		u, err := stamp("updated", it.UpdatedAt)
		if err != nil {
			return finding{}, nil, err
		}
		ps.k("updated", u)
	}
	desc := strings.TrimSpace(it.Justification)
	if desc == "" {
		desc = t.f("Trạng thái: %s.", "Status: %s.", label)
	}
	target := findingTarget{
		Type:     "statement-id",
		TargetID: it.RequirementID + "_smt",
		Status:   objectiveStatus{State: m.state, Reason: m.reason},
	}
	if m.reason == "other" {
		target.Status.Remarks = t.f("Trạng thái Khiên: %s (%s).", "Khiên status: %s (%s).", it.Status, label)
	}
	if m.implementation != "" {
		target.ImplementationStatus = &implementationStatus{State: m.implementation}
	}
	f := finding{
		UUID:        uuidFor(ax.docUUID, "finding", it.RequirementID),
		Title:       title,
		Description: desc,
		Props:       ps,
		Target:      target,
		Remarks:     strings.TrimSpace(it.Notes),
	}
	for _, o := range obs {
		f.RelatedObservations = append(f.RelatedObservations, relatedObservation{ObservationUUID: o.UUID})
	}
	return f, obs, nil
}

// evidence returns the EXAMINE observation of an item's evidence files and
// lists each file in the back matter.
func (ax *assessmentExporter) evidence(it ItemResult, title string) (observation, error) {
	t := ax.t
	collected := ax.now
	if !it.UpdatedAt.IsZero() {
		var err error
		if collected, err = stamp("updated", it.UpdatedAt); err != nil {
			return observation{}, err
		}
	}
	o := observation{
		UUID:  uuidFor(ax.docUUID, "evidence", it.RequirementID),
		Title: t.f("Bằng chứng cho %s", "Evidence for %s", title),
		Description: t.f("%d tệp bằng chứng đính kèm yêu cầu %s.", "%d evidence file(s) attached to requirement %s.",
			len(it.Evidence), it.RequirementID),
		Props:     []Property{kprop("requirement-id", "", it.RequirementID)},
		Methods:   []string{"EXAMINE"},
		Collected: collected,
	}
	for i, e := range it.Evidence {
		r, err := ax.evidenceResource(e)
		if err != nil {
			return observation{}, fmt.Errorf("evidence %d: %w", i, err)
		}
		var ps props
		if e.SHA256 != "" {
			ps.k("sha256", strings.ToLower(e.SHA256))
		}
		o.RelevantEvidence = append(o.RelevantEvidence, relevantEvidence{
			Href:        "#" + r.UUID,
			Description: r.Title,
			Props:       ps,
		})
	}
	return o, nil
}

// evidenceResource returns the back-matter resource of an evidence file,
// adding it on first use.
func (ax *assessmentExporter) evidenceResource(e EvidenceRef) (Resource, error) {
	sum := strings.ToLower(e.SHA256)
	// A link (no stored file) has no digest but must have an href.
	if sum == "" && e.Href == "" {
		return Resource{}, fmt.Errorf("evidence without a SHA-256 needs an href: %w", errs.ErrInvalid)
	}
	if sum != "" && !sha256Pattern.MatchString(sum) {
		return Resource{}, fmt.Errorf("sha256 %q is not a hexadecimal SHA-256 digest: %w", e.SHA256, errs.ErrInvalid)
	}
	if e.Size < 0 {
		return Resource{}, fmt.Errorf("negative size %d: %w", e.Size, errs.ErrInvalid)
	}
	if e.Href != "" {
		if err := checkHref(e.Href); err != nil {
			return Resource{}, fmt.Errorf("href: %w", err)
		}
	}
	name := oneLine(e.Name)
	if name == "" {
		name = sum
	}
	if name == "" {
		name = e.Href
	}
	mediaType := oneLine(e.MediaType)
	key := strings.Join([]string{sum, name, mediaType, e.Href}, "\x1f")
	if i, ok := ax.resourceIdx[key]; ok {
		return ax.resources[i], nil
	}
	var ps props
	ps.k("sha256", sum)
	if sum != "" {
		ps.k("size", strconv.FormatInt(e.Size, 10))
	}
	ps.k("media-type", mediaType)
	r := Resource{
		UUID:  uuidFor(ax.docUUID, "file", key),
		Title: name,
		Props: ps,
	}
	if e.Href != "" {
		r.RLinks = []RLink{{Href: e.Href, MediaType: mediaType}}
		if sum != "" {
			r.RLinks[0].Hashes = []Hash{{Algorithm: "SHA-256", Value: sum}}
		}
	}
	ax.resourceIdx[key] = len(ax.resources)
	ax.resources = append(ax.resources, r)
	return r, nil
}

// probe returns the TEST observation of an item's automatic check.
func (ax *assessmentExporter) probe(it ItemResult) (observation, error) {
	t := ax.t
	pr := it.Probe
	id := oneLine(pr.ProbeID)
	if id == "" {
		return observation{}, fmt.Errorf("probe without id: %w", errs.ErrInvalid)
	}
	collected := ax.now
	if !pr.At.IsZero() {
		var err error
		if collected, err = stamp("probe time", pr.At); err != nil {
			return observation{}, err
		}
	}
	status := oneLine(pr.Status)
	desc := strings.TrimSpace(pr.Proof)
	if desc == "" {
		desc = t.f("Kết quả kiểm tra tự động %s: %s.", "Automatic check %s reported %s.", id, status)
	}
	var ps props
	ps.k("requirement-id", it.RequirementID)
	ps.k("probe-id", id)
	ps.k("probe-status", status)
	ps.k("stale", strconv.FormatBool(pr.Stale))
	o := observation{
		UUID:        uuidFor(ax.docUUID, "probe", it.RequirementID),
		Title:       t.f("Kiểm tra tự động %s", "Automatic check %s", id),
		Description: desc,
		Props:       ps,
		Methods:     []string{"TEST"},
		Collected:   collected,
	}
	if pr.Stale {
		o.Remarks = t.s("Kết quả đã cũ (quá thời hạn làm mới); không dùng làm căn cứ.",
			"The result is stale (older than its freshness window) and is not relied on.")
	}
	return o, nil
}
