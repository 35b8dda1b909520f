package regulation

import (
	"slices"
	"time"
)

// Pack is one loaded regulation pack. It is immutable: every accessor
// returns a copy, so a Pack is safe for concurrent use.
type Pack struct {
	id          string
	version     string
	title       Text
	description Text
	regime      string
	inForce     InForce
	origin      string

	sources     []Document
	roles       []Role
	infoTypes   []InfoType
	systemTypes []SystemType
	scopes      []Choice
	worksGrades []Choice
	opsLevels   []ServiceLevel
	criteria    []Criterion
	composite   CompositeRule
	authorities []Authority
	rules       []IndependenceRule
	forms       []Form
	outline     []OutlineSection
	planParts   []PlanPart
	deadlines   []Deadline
	relevance   LevelRelevance
	reqGroups   []RequirementGroup
	reqs        []Requirement
	obligations []Obligation
}

// InForce is the period during which a pack's regime applies.
type InForce struct {
	// From is the first day (00:00 UTC of that calendar date).
	From time.Time
	// Until is the first day on which the regime no longer applies; zero
	// when open-ended.
	Until        time.Time
	Note         Text
	Source       Source
	Confirmation Confirmation
}

// Document is one legal (or secondary) source a pack cites.
type Document struct {
	ID string
	// Number is the official number ("85/2016/NĐ-CP"), "" for sources
	// without one.
	Number string
	// Short names the document in citations.
	Short Text
	Title Text
	// Issued is zero when not given.
	Issued       time.Time
	URLs         []string
	Confirmation Confirmation
}

// Role is a party that appears in the procedure: the system owner, the
// operator, the specialised information-security unit, an authority.
type Role struct {
	ID           string
	Name         Text
	Description  Text
	Source       Source
	Confirmation Confirmation
}

// InfoType is a kind of information a system processes (Decree 85 Art. 6.1).
type InfoType struct {
	ID          string
	Name        Text
	Description Text
	// Grades are the classification grades of the type (state secrets:
	// Mật, Tối mật, Tuyệt mật); nil for an ungraded type.
	Grades       []Grade
	Source       Source
	Confirmation Confirmation
}

// Grade is one classification grade of an information type.
type Grade struct {
	ID   string
	Name Text
}

// SystemType is a kind of information system (Decree 85 Art. 6.2).
type SystemType struct {
	ID          string
	Name        Text
	Description Text
	// Note is shown when no criterion covers a system of this type.
	Note         Text
	Source       Source
	Confirmation Confirmation
}

// Choice is one allowed value of an enumerated profile field
// (infrastructure scope, construction-works grade).
type Choice struct {
	ID           string
	Name         Text
	Description  Text
	Source       Source
	Confirmation Confirmation
}

// ServiceLevel is one level of online public service (1–4).
type ServiceLevel struct {
	Level        int
	Name         Text
	Source       Source
	Confirmation Confirmation
}

// Criterion is one level criterion: a system meeting its conditions is at
// least at Level.
type Criterion struct {
	// ID keeps the article/clause/point form: "85-8.2c".
	ID           string
	Level        int
	Text         Text
	Note         Text
	When         Conditions
	Source       Source
	Confirmation Confirmation
}

// Conditions are the profile conditions of a criterion; all of them must
// hold. A zero field places no condition.
type Conditions struct {
	// SystemTypes lists the system types the criterion covers; nil means
	// any type.
	SystemTypes []string
	// InfoOnly: every information type processed is in the list.
	InfoOnly []string
	// InfoAnyOf: at least one processed type is in the list.
	InfoAnyOf []string
	// InfoNoneOf: no processed type is in the list.
	InfoNoneOf []string
	// StateSecretGrades: the classification grade is one of these.
	StateSecretGrades        []string
	DataSubjects             IntRange
	OnlinePublicServiceLevel IntRange
	ConditionalBusinessLine  Require
	// InfrastructureScopes and WorksGrades: the profile value is one of these.
	InfrastructureScopes            []string
	WorksGrades                     []string
	Requires24x7                    Require
	UnplannedDowntimeAcceptable     Require
	NationalEGovernment             Require
	EspeciallyImportantNationalData Require
}

// Fields returns the profile fields the conditions look at, in the order
// of ProfileFields.
func (c Conditions) Fields() []string {
	var out []string
	add := func(name string, used bool) {
		if used {
			out = append(out, name)
		}
	}
	add(FieldSystemType, c.SystemTypes != nil)
	add(FieldInfoTypes, c.InfoOnly != nil || c.InfoAnyOf != nil || c.InfoNoneOf != nil)
	add(FieldStateSecretGrade, c.StateSecretGrades != nil)
	add(FieldDataSubjects, c.DataSubjects.set())
	add(FieldOnlinePublicServiceLevel, c.OnlinePublicServiceLevel.set())
	add(FieldConditionalBusinessLine, c.ConditionalBusinessLine != RequireAny)
	add(FieldInfrastructureScope, c.InfrastructureScopes != nil)
	add(FieldWorksGrade, c.WorksGrades != nil)
	add(FieldRequires24x7, c.Requires24x7 != RequireAny)
	add(FieldUnplannedDowntimeAcceptable, c.UnplannedDowntimeAcceptable != RequireAny)
	add(FieldNationalEGovernment, c.NationalEGovernment != RequireAny)
	add(FieldEspeciallyImportantNationalData, c.EspeciallyImportantNationalData != RequireAny)
	return out
}

// IntRange is an inclusive range condition on a number. In YAML, "below: n"
// is stored as Max n-1.
type IntRange struct {
	Min, Max       int
	HasMin, HasMax bool
}

func (r IntRange) set() bool { return r.HasMin || r.HasMax }

// Contains reports whether v is in the range.
func (r IntRange) Contains(v int) bool {
	return (!r.HasMin || v >= r.Min) && (!r.HasMax || v <= r.Max)
}

// Require is a condition on a yes/no profile field.
type Require int8

// The yes/no conditions.
const (
	RequireAny   Require = iota // no condition
	RequireTrue                 // the field must be true
	RequireFalse                // the field must be false
)

// CompositeRule is the rule for systems made of component systems
// (Decree 85 Art. 5.2: the highest component level).
type CompositeRule struct {
	Text         Text
	Source       Source
	Confirmation Confirmation
}

// The steps of the level procedure that authorities, forms and time limits
// refer to.
const (
	StepAppraise = "appraise" // thẩm định
	StepApprove  = "approve"  // phê duyệt
)

// Authority says who appraises and who approves the dossier of a level.
type Authority struct {
	Levels []int
	// Appraise and Approve are role ids; more than one means alternatives
	// (see Note).
	Appraise []string
	Approve  []string
	Note     Text
	// TimeLimits are the legal time limits of the steps.
	TimeLimits []TimeLimit
	// Independence holds the independence rules that apply to these levels;
	// check an assignment with CheckIndependence.
	Independence []IndependenceRule
	Source       Source
	Confirmation Confirmation
}

// TimeLimit is the legal time limit of one step.
type TimeLimit struct {
	Step string // StepAppraise or StepApprove
	Days int
	// DayKind is "calendar" or "working".
	DayKind string
	// From is the event the limit counts from: "dossier_received",
	// "dossier_complete" or "appraisal_opinion".
	From         string
	Source       Source
	Confirmation Confirmation
}

// IndependenceRule requires the unit performing Step to be a different unit
// from every unit holding one of the IndependentOf roles (Circular 12
// Art. 6: the appraiser must not be the operator).
type IndependenceRule struct {
	ID            string
	Levels        []int
	Step          string
	IndependentOf []string
	Text          Text
	// Remedies are the lawful ways to restore independence.
	Remedies     []Remedy
	Source       Source
	Confirmation Confirmation
}

// Remedy is one lawful way to satisfy an independence rule.
type Remedy struct {
	ID     string
	Text   Text
	Source Source
}

// Form is a legal form of the procedure (Mẫu 04, Mẫu 06).
type Form struct {
	ID           string
	Number       string
	Name         Text
	Step         string
	Source       Source
	Confirmation Confirmation
}

// OutlineSection is one section of the dossier outline. Key is what the
// document generator fills.
type OutlineSection struct {
	Key      string
	Heading  Text
	Guidance Text
	// Levels limits the section to these levels; nil means every level.
	Levels []int
	// Criteria limits the section to results that matched one of these
	// criteria; nil means no such limit.
	Criteria     []string
	Sections     []OutlineSection
	Source       Source
	Confirmation Confirmation
}

// PlanPart is one part of the security plan (Decree 85 Art. 19).
type PlanPart struct {
	ID           string
	Name         Text
	Description  Text
	Source       Source
	Confirmation Confirmation
}

// Deadline is a dated obligation (Directive 09/CT-TTg).
type Deadline struct {
	ID   string
	Name Text
	// Date is a calendar date at 00:00 UTC.
	Date time.Time
	// Editable means an organisation may set its own date (Override).
	Editable bool
	// Overridden is true on a copy returned by Override.
	Overridden   bool
	Note         Text
	Source       Source
	Confirmation Confirmation
}

// LevelRelevance lists the profile fields whose change calls for a new
// level determination (Decree 85 Art. 18).
type LevelRelevance struct {
	Fields       []string
	Note         Text
	Source       Source
	Confirmation Confirmation
}

// ID returns the pack id, e.g. "decree85-2016".
func (p *Pack) ID() string { return p.id }

// Version returns the pack version (semver or YYYY-MM-DD).
func (p *Pack) Version() string { return p.version }

// Title returns the pack title.
func (p *Pack) Title() Text { return p.title }

// Description returns the pack description (may be zero).
func (p *Pack) Description() Text { return p.description }

// Regime returns the id of the legal regime the pack describes.
func (p *Pack) Regime() string { return p.regime }

// InForce returns the period the regime applies.
func (p *Pack) InForce() InForce { return p.inForce }

// Origin says where the pack was loaded from: a file path, or a path
// inside the embedded packs prefixed with "embedded:".
func (p *Pack) Origin() string { return p.origin }

// Sources returns the documents the pack cites.
func (p *Pack) Sources() []Document { return cloneAll(p.sources, Document.clone) }

// Document returns the source document with the given id.
func (p *Pack) Document(id string) (Document, bool) {
	return find(p.sources, func(d Document) bool { return d.ID == id }, Document.clone)
}

// Roles returns the parties of the procedure.
func (p *Pack) Roles() []Role { return slices.Clone(p.roles) }

// Role returns the role with the given id.
func (p *Pack) Role(id string) (Role, bool) {
	return find(p.roles, func(r Role) bool { return r.ID == id }, nil)
}

// InfoTypes returns the information types.
func (p *Pack) InfoTypes() []InfoType { return cloneAll(p.infoTypes, InfoType.clone) }

// InfoType returns the information type with the given id.
func (p *Pack) InfoType(id string) (InfoType, bool) {
	return find(p.infoTypes, func(t InfoType) bool { return t.ID == id }, InfoType.clone)
}

// SystemTypes returns the system types.
func (p *Pack) SystemTypes() []SystemType { return slices.Clone(p.systemTypes) }

// SystemType returns the system type with the given id.
func (p *Pack) SystemType(id string) (SystemType, bool) {
	return find(p.systemTypes, func(t SystemType) bool { return t.ID == id }, nil)
}

// InfrastructureScopes returns the allowed values of Profile.InfrastructureScope.
func (p *Pack) InfrastructureScopes() []Choice { return slices.Clone(p.scopes) }

// WorksGrades returns the allowed values of Profile.WorksGrade.
func (p *Pack) WorksGrades() []Choice { return slices.Clone(p.worksGrades) }

// OnlinePublicServiceLevels returns the allowed non-zero values of
// Profile.OnlinePublicServiceLevel.
func (p *Pack) OnlinePublicServiceLevels() []ServiceLevel { return slices.Clone(p.opsLevels) }

// Criteria returns the level criteria in pack order.
func (p *Pack) Criteria() []Criterion { return cloneAll(p.criteria, Criterion.clone) }

// Criterion returns the criterion with the given id.
func (p *Pack) Criterion(id string) (Criterion, bool) {
	return find(p.criteria, func(c Criterion) bool { return c.ID == id }, Criterion.clone)
}

// CompositeRule returns the rule for composite systems.
func (p *Pack) CompositeRule() CompositeRule { return p.composite }

// Authorities returns who appraises and approves, per level group, each
// with the independence rules that apply to any of its levels.
func (p *Pack) Authorities() []Authority {
	out := cloneAll(p.authorities, Authority.clone)
	for i := range out {
		out[i].Independence = p.rulesFor(out[i].Levels)
	}
	return out
}

// Authority returns who appraises and approves the dossier of a system at
// level, with the independence rules that apply to that level.
func (p *Pack) Authority(level int) (Authority, bool) {
	a, ok := find(p.authorities, func(a Authority) bool { return slices.Contains(a.Levels, level) }, Authority.clone)
	if ok {
		a.Independence = p.rulesFor([]int{level})
	}
	return a, ok
}

// rulesFor returns copies of the independence rules that apply to any of
// levels.
func (p *Pack) rulesFor(levels []int) []IndependenceRule {
	var out []IndependenceRule
	for _, r := range p.rules {
		if slices.ContainsFunc(levels, func(l int) bool { return slices.Contains(r.Levels, l) }) {
			out = append(out, r.clone())
		}
	}
	return out
}

// IndependenceRules returns every independence rule of the pack.
func (p *Pack) IndependenceRules() []IndependenceRule {
	return cloneAll(p.rules, IndependenceRule.clone)
}

// Forms returns the legal forms of the procedure.
func (p *Pack) Forms() []Form { return slices.Clone(p.forms) }

// DossierOutline returns the full dossier outline.
func (p *Pack) DossierOutline() []OutlineSection {
	return cloneAll(p.outline, OutlineSection.clone)
}

// DossierOutlineFor returns the outline for a determined result: sections
// limited to other levels, or to criteria the result did not match, are
// left out.
func (p *Pack) DossierOutlineFor(r Result) []OutlineSection {
	matched := make(map[string]bool, len(r.Matches))
	for _, m := range r.Matches {
		matched[m.CriterionID] = true
	}
	var filter func([]OutlineSection) []OutlineSection
	filter = func(in []OutlineSection) []OutlineSection {
		var out []OutlineSection
		for _, s := range in {
			if s.Levels != nil && !slices.Contains(s.Levels, r.Level) {
				continue
			}
			if s.Criteria != nil && !slices.ContainsFunc(s.Criteria, func(id string) bool { return matched[id] }) {
				continue
			}
			c := s.clone()
			c.Sections = filter(s.Sections)
			out = append(out, c)
		}
		return out
	}
	return filter(p.outline)
}

// SecurityPlanParts returns the parts of the security plan.
func (p *Pack) SecurityPlanParts() []PlanPart { return slices.Clone(p.planParts) }

// Deadlines returns the deadlines with the pack's dates.
func (p *Pack) Deadlines() []Deadline { return slices.Clone(p.deadlines) }

// Deadline returns the deadline with the given id.
func (p *Pack) Deadline(id string) (Deadline, bool) {
	return find(p.deadlines, func(d Deadline) bool { return d.ID == id }, nil)
}

// LevelRelevantFields returns the profile fields whose change calls for a
// new level determination.
func (p *Pack) LevelRelevantFields() LevelRelevance {
	r := p.relevance
	r.Fields = slices.Clone(r.Fields)
	return r
}

// Override returns a copy of d with an organisation's own date. It fails
// with an ErrInvalid error when the deadline is not editable.
func (d Deadline) Override(date time.Time) (Deadline, error) {
	if !d.Editable {
		return d, invalidf("deadline %q is not editable", d.ID)
	}
	d.Date = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	d.Overridden = true
	return d, nil
}

func cloneAll[T any](in []T, clone func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = clone(v)
	}
	return out
}

func find[T any](in []T, match func(T) bool, clone func(T) T) (T, bool) {
	for _, v := range in {
		if match(v) {
			if clone != nil {
				v = clone(v)
			}
			return v, true
		}
	}
	var zero T
	return zero, false
}

func (d Document) clone() Document {
	d.URLs = slices.Clone(d.URLs)
	return d
}

func (t InfoType) clone() InfoType {
	t.Grades = slices.Clone(t.Grades)
	return t
}

func (c Criterion) clone() Criterion {
	c.When = c.When.clone()
	return c
}

func (c Conditions) clone() Conditions {
	c.SystemTypes = slices.Clone(c.SystemTypes)
	c.InfoOnly = slices.Clone(c.InfoOnly)
	c.InfoAnyOf = slices.Clone(c.InfoAnyOf)
	c.InfoNoneOf = slices.Clone(c.InfoNoneOf)
	c.StateSecretGrades = slices.Clone(c.StateSecretGrades)
	c.InfrastructureScopes = slices.Clone(c.InfrastructureScopes)
	c.WorksGrades = slices.Clone(c.WorksGrades)
	return c
}

func (a Authority) clone() Authority {
	a.Levels = slices.Clone(a.Levels)
	a.Appraise = slices.Clone(a.Appraise)
	a.Approve = slices.Clone(a.Approve)
	a.TimeLimits = slices.Clone(a.TimeLimits)
	a.Independence = nil // filled per level by the accessors
	return a
}

func (r IndependenceRule) clone() IndependenceRule {
	r.Levels = slices.Clone(r.Levels)
	r.IndependentOf = slices.Clone(r.IndependentOf)
	r.Remedies = slices.Clone(r.Remedies)
	return r
}

func (s OutlineSection) clone() OutlineSection {
	s.Levels = slices.Clone(s.Levels)
	s.Criteria = slices.Clone(s.Criteria)
	s.Sections = cloneAll(s.Sections, OutlineSection.clone)
	return s
}
