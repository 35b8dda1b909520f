package regulation

import (
	"fmt"
	"slices"
	"strings"
)

// Result is a proposed level and its explanation.
type Result struct {
	// Pack and PackVersion identify the pack that produced the result.
	Pack        string
	PackVersion string
	// System is Profile.System.
	System string
	// Level is the proposed level, 1–5; 0 when none is proposed.
	Level int
	// Summary explains the level in one sentence.
	Summary Text
	// Matches are the criteria the profile meets, highest level first.
	Matches []Match
	// Possible are the criteria that might apply but cannot be decided
	// because profile values are missing (Match.Missing names them).
	Possible []Match
	// NeedsReview is true when a person must review the result before it is
	// proposed: see Reasons.
	NeedsReview bool
	// Reasons say why no criterion matched and why the result needs review.
	Reasons []Text
	// Components are the component results of a composite system.
	Components []ComponentResult
}

// Match is one criterion and how it bears on a result.
type Match struct {
	CriterionID  string
	Level        int
	Source       Source
	Text         Text
	Confirmation Confirmation
	// Decisive is true when the criterion's level is the result's level.
	Decisive bool
	// Missing lists the profile fields that are needed to decide the
	// criterion (only in Result.Possible).
	Missing []string
}

// ComponentResult is the result of one component of a composite system.
type ComponentResult struct {
	Result
	// Decisive is true when the component's level is the composite level.
	Decisive bool
}

// tri is a three-valued truth.
type tri int8

const (
	no tri = iota
	unknown
	yes
)

// outcome is one condition of a criterion that does not hold, or cannot be
// decided.
type outcome struct {
	field      string
	state      tri
	want, have Text
}

// facts is the profile as the engine reads it.
type facts struct {
	pr         Profile
	unanswered map[string]bool
	graded     bool // the profile holds an information type that has grades
}

func (p *Pack) facts(pr Profile) facts {
	f := facts{pr: pr, unanswered: map[string]bool{}}
	for _, u := range pr.Unanswered {
		f.unanswered[u] = true
	}
	for _, t := range pr.InfoTypes {
		if it, ok := p.InfoType(t); ok && len(it.Grades) > 0 {
			f.graded = true
		}
	}
	return f
}

// known reports whether the profile gives a value for field.
func (f facts) known(field string) bool {
	if f.unanswered[field] {
		return false
	}
	switch field {
	case FieldSystemType:
		return f.pr.SystemType != ""
	case FieldInfoTypes:
		return len(f.pr.InfoTypes) > 0
	case FieldStateSecretGrade:
		// No graded information: the grade is known to be "none".
		return f.pr.StateSecretGrade != "" || (f.known(FieldInfoTypes) && !f.graded)
	case FieldDataSubjects:
		return f.pr.DataSubjects > 0
	case FieldInfrastructureScope:
		return f.pr.InfrastructureScope != ""
	case FieldWorksGrade:
		return f.pr.WorksGrade != ""
	}
	return true
}

// evaluation is how one criterion fares against a profile.
type evaluation struct {
	state    tri
	outcomes []outcome // conditions that fail or are unknown
}

func (e evaluation) missing() []string {
	var out []string
	for _, o := range e.outcomes {
		if o.state == unknown && !slices.Contains(out, o.field) {
			out = append(out, o.field)
		}
	}
	return out
}

// evaluate applies the conditions of c to f.
func (p *Pack) evaluate(c *Criterion, f facts) evaluation {
	ev := evaluation{state: yes}
	check := func(field string, holds bool, want, have func() Text) {
		var st tri
		switch {
		case !f.known(field):
			st = unknown
		case holds:
			return
		default:
			st = no
		}
		o := outcome{field: field, state: st, want: want()}
		if st == no {
			o.have = have()
		}
		ev.outcomes = append(ev.outcomes, o)
		if st < ev.state {
			ev.state = st
		}
	}
	w, pr := c.When, f.pr
	if w.SystemTypes != nil {
		check(FieldSystemType, slices.Contains(w.SystemTypes, pr.SystemType),
			func() Text { return oneOf(p.names(kindSystem, w.SystemTypes)) },
			func() Text { return p.name(kindSystem, pr.SystemType) })
	}
	infoHave := func() Text { return p.list(kindInfo, pr.InfoTypes) }
	if w.InfoOnly != nil {
		only := !slices.ContainsFunc(pr.InfoTypes, func(t string) bool { return !slices.Contains(w.InfoOnly, t) })
		check(FieldInfoTypes, only,
			func() Text { return textf("chỉ gồm: %s", "only: %s", p.names(kindInfo, w.InfoOnly)) }, infoHave)
	}
	if w.InfoAnyOf != nil {
		check(FieldInfoTypes, slices.ContainsFunc(pr.InfoTypes, func(t string) bool { return slices.Contains(w.InfoAnyOf, t) }),
			func() Text {
				return textf("có ít nhất một trong: %s", "at least one of: %s", p.names(kindInfo, w.InfoAnyOf))
			}, infoHave)
	}
	if w.InfoNoneOf != nil {
		check(FieldInfoTypes, !slices.ContainsFunc(pr.InfoTypes, func(t string) bool { return slices.Contains(w.InfoNoneOf, t) }),
			func() Text { return textf("không gồm: %s", "none of: %s", p.names(kindInfo, w.InfoNoneOf)) }, infoHave)
	}
	if w.StateSecretGrades != nil {
		check(FieldStateSecretGrade, slices.Contains(w.StateSecretGrades, pr.StateSecretGrade),
			func() Text { return oneOf(p.names(kindGrade, w.StateSecretGrades)) },
			func() Text {
				if pr.StateSecretGrade == "" {
					return Text{VI: "không có thông tin được phân độ mật", EN: "no classified information"}
				}
				return p.name(kindGrade, pr.StateSecretGrade)
			})
	}
	if w.DataSubjects.set() {
		check(FieldDataSubjects, w.DataSubjects.Contains(pr.DataSubjects),
			func() Text { return describeRange(w.DataSubjects) },
			func() Text { return count(pr.DataSubjects) })
	}
	if w.OnlinePublicServiceLevel.set() {
		check(FieldOnlinePublicServiceLevel, w.OnlinePublicServiceLevel.Contains(pr.OnlinePublicServiceLevel),
			func() Text { return describeRange(w.OnlinePublicServiceLevel) },
			func() Text {
				if pr.OnlinePublicServiceLevel == 0 {
					return Text{VI: "không cung cấp dịch vụ công trực tuyến", EN: "no online public service"}
				}
				return count(pr.OnlinePublicServiceLevel)
			})
	}
	checkBool := func(field string, req Require, v bool) {
		if req == RequireAny {
			return
		}
		check(field, v == (req == RequireTrue),
			func() Text { return yesNo(req == RequireTrue) },
			func() Text { return yesNo(v) })
	}
	checkBool(FieldConditionalBusinessLine, w.ConditionalBusinessLine, pr.ConditionalBusinessLine)
	if w.InfrastructureScopes != nil {
		check(FieldInfrastructureScope, slices.Contains(w.InfrastructureScopes, pr.InfrastructureScope),
			func() Text { return oneOf(p.names(kindScope, w.InfrastructureScopes)) },
			func() Text { return p.name(kindScope, pr.InfrastructureScope) })
	}
	if w.WorksGrades != nil {
		check(FieldWorksGrade, slices.Contains(w.WorksGrades, pr.WorksGrade),
			func() Text { return oneOf(p.names(kindWorks, w.WorksGrades)) },
			func() Text { return p.name(kindWorks, pr.WorksGrade) })
	}
	checkBool(FieldRequires24x7, w.Requires24x7, pr.Requires24x7)
	checkBool(FieldUnplannedDowntimeAcceptable, w.UnplannedDowntimeAcceptable, pr.UnplannedDowntimeAcceptable)
	checkBool(FieldNationalEGovernment, w.NationalEGovernment, pr.NationalEGovernment)
	checkBool(FieldEspeciallyImportantNationalData, w.EspeciallyImportantNationalData, pr.EspeciallyImportantNationalData)
	return ev
}

// ownResult is a system's own result before components are combined, with
// what the explanation needs beyond the Result.
type ownResult struct {
	r Result
	// invalid: the profile has unknown values; nothing was evaluated.
	invalid bool
	// noCriterion explains why no criterion can apply at all (the pack has
	// none, or none for the system type).
	noCriterion []Text
	// nearMisses explain why each criterion naming the system type fails.
	nearMisses []Text
	// typeMissing: the system type is not given.
	typeMissing bool
}

// Determine proposes the level of a system from its profile (Decree 85
// Arts. 7–11): the highest level among the criteria the profile meets. It is
// a pure function. The result needs review when
//
//   - no criterion decides the level with the status "confirmed" (a deciding
//     criterion is one whose level is the result's level);
//   - a criterion of a higher level than the result might apply but the
//     profile lacks the values to decide it (Result.Possible);
//   - no criterion applies: no level is proposed, and Reasons say why —
//     Khiên proposes nothing rather than guess (system type "other" has no
//     criterion of its own in Decree 85);
//   - the profile holds values the pack does not know (see ValidateProfile):
//     nothing is evaluated, and Reasons list the values.
func (p *Pack) Determine(pr Profile) Result {
	own := p.determineOwn(pr)
	return p.combine(own, nil)
}

// DetermineComposite proposes the level of a system made of components
// (Decree 85 Art. 5.2): the highest of its own level and the levels of
// components, which are results of Determine or DetermineComposite for the
// component systems. Matches and Components are marked Decisive when their
// level is the composite level, and Summary names the deciding component.
// The result also needs review when a component needs review (its level
// may be wrong, in either direction) or was determined with another pack.
func (p *Pack) DetermineComposite(pr Profile, components []Result) Result {
	own := p.determineOwn(pr)
	return p.combine(own, components)
}

func (p *Pack) determineOwn(pr Profile) ownResult {
	own := ownResult{r: Result{Pack: p.id, PackVersion: p.version, System: pr.System}}
	if err := p.ValidateProfile(pr); err != nil {
		own.invalid = true
		for _, pb := range err.(*ProfileError).Problems {
			own.r.Reasons = append(own.r.Reasons, textf("Giá trị không hợp lệ của %s %q: %s", "Invalid value of %s %q: %s", fieldLabel(pb.Field), pb.Value, pb.Message))
		}
		return own
	}
	f := p.facts(pr)
	own.typeMissing = !f.known(FieldSystemType)
	specific := false // some criterion names this system type
	for i := range p.criteria {
		c := &p.criteria[i]
		ev := p.evaluate(c, f)
		m := Match{CriterionID: c.ID, Level: c.Level, Source: c.Source, Text: c.Text, Confirmation: c.Confirmation}
		names := c.When.SystemTypes != nil && slices.Contains(c.When.SystemTypes, pr.SystemType)
		specific = specific || names
		switch ev.state {
		case yes:
			own.r.Matches = append(own.r.Matches, m)
		case unknown:
			m.Missing = ev.missing()
			own.r.Possible = append(own.r.Possible, m)
		case no:
			if names {
				own.nearMisses = append(own.nearMisses, nearMiss(c, ev))
			}
		}
	}
	slices.SortStableFunc(own.r.Matches, func(a, b Match) int { return b.Level - a.Level })
	slices.SortStableFunc(own.r.Possible, func(a, b Match) int { return b.Level - a.Level })
	switch {
	case len(p.criteria) == 0:
		own.noCriterion = []Text{textf("Gói %s không có tiêu chí cấp độ.", "Pack %s has no level criteria.", p.id)}
	case len(own.r.Matches) == 0 && len(own.r.Possible) == 0 && !own.typeMissing && !specific:
		t, _ := p.SystemType(pr.SystemType)
		reason := textf("Gói %s không có tiêu chí cấp độ cho loại hệ thống \"%s\" và không tiêu chí chung nào được đáp ứng: Khiên không tự suy đoán cấp độ; cần xác định cấp độ và ghi rõ căn cứ.",
			"Pack %s has no level criterion for system type \"%s\" and no general criterion is met: Khiên proposes no level rather than guess; decide the level and record the rationale.",
			p.id, t.Name)
		own.noCriterion = append(own.noCriterion, reason)
		if !t.Note.IsZero() {
			own.noCriterion = append(own.noCriterion, t.Note)
		}
	}
	return own
}

// nearMiss explains why a criterion naming the system's type does not
// apply.
func nearMiss(c *Criterion, ev evaluation) Text {
	var parts []Text
	for _, o := range ev.outcomes {
		if o.state == no {
			parts = append(parts, textf("%s: yêu cầu %s; hồ sơ: %s", "%s: requires %s; profile: %s", fieldLabel(o.field), o.want, o.have))
		}
	}
	return textf("%s (cấp độ %d) không áp dụng — %s.", "%s (level %d) does not apply — %s.", c.ID, c.Level, joinTexts(parts, "; "))
}

// combine applies Art. 5.2 to a system's own result and its components, and
// writes the explanation.
func (p *Pack) combine(own ownResult, components []Result) Result {
	r := own.r
	r.Components = make([]ComponentResult, len(components))
	for i, c := range components {
		r.Components[i] = ComponentResult{Result: c}
	}
	if len(components) == 0 {
		r.Components = nil
	}
	if own.invalid {
		r.NeedsReview = true
		r.Summary = Text{VI: "Không đề xuất cấp độ: hồ sơ hệ thống có giá trị không hợp lệ.", EN: "No level proposed: the profile has invalid values."}
		return r
	}

	ownLevel := 0
	if len(r.Matches) > 0 {
		ownLevel = r.Matches[0].Level
	}
	level := ownLevel
	for _, c := range components {
		level = max(level, c.Level)
	}
	r.Level = level

	var solid bool // some decider is confirmed (own) or reviewed (component)
	var weak []Text
	for i := range r.Matches {
		m := &r.Matches[i]
		m.Decisive = level > 0 && m.Level == level
		if !m.Decisive {
			continue
		}
		if m.Confirmation == Confirmed {
			solid = true
		} else {
			weak = append(weak, textf("%s (%s)", "%s (%s)", m.CriterionID, m.Confirmation.Label()))
		}
	}
	var deciders []Text
	for i := range r.Components {
		c := &r.Components[i]
		c.Decisive = level > 0 && c.Level == level
		if c.Decisive {
			deciders = append(deciders, textf("\"%s\" (cấp độ %d)", "\"%s\" (level %d)", componentName(c.Result, i), c.Level))
			if !c.NeedsReview {
				solid = true
			}
		}
	}

	var reasons []Text
	switch {
	case level == 0 && len(own.noCriterion) > 0:
		reasons = append(reasons, own.noCriterion...)
	case level == 0 && own.typeMissing:
		reasons = append(reasons, Text{VI: "Chưa có loại hệ thống: chưa thể xác định cấp độ.", EN: "The system type is not given: no level can be determined yet."})
	case level == 0 && len(r.Possible) > 0:
		reasons = append(reasons, Text{VI: "Chưa tiêu chí nào được đáp ứng với các giá trị đã có.", EN: "No criterion is met by the values given so far."})
		reasons = append(reasons, own.nearMisses...)
	case level == 0:
		reasons = append(reasons, textf("Không tiêu chí nào của gói %s được đáp ứng.", "No criterion of pack %s is met.", p.id))
		reasons = append(reasons, own.nearMisses...)
	case !solid && len(weak) > 0:
		reasons = append(reasons, textf("Cấp độ %d dựa trên tiêu chí chưa được xác nhận đầy đủ: %s; cần người có thẩm quyền rà soát trước khi đề xuất.",
			"Level %d rests on criteria that are not fully confirmed: %s; a person must review it before it is proposed.", level, joinTexts(weak, ", ")))
	}
	reasons = append(reasons, p.possibleReasons(r.Possible, level)...)
	for i, c := range r.Components {
		name := componentName(c.Result, i)
		if c.NeedsReview {
			reasons = append(reasons, textf("Hệ thống thành phần \"%s\" (cấp độ %d) cần rà soát.", "Component \"%s\" (level %d) needs review.", name, c.Level))
		}
		if c.Pack != "" && c.Pack != p.id {
			reasons = append(reasons, textf("Hệ thống thành phần \"%s\" được xác định theo gói %s, không phải %s.", "Component \"%s\" was determined with pack %s, not %s.", name, c.Pack, p.id))
		}
	}
	r.Reasons = reasons
	r.NeedsReview = len(reasons) > 0
	r.Summary = p.summary(r, ownLevel, deciders)
	return r
}

// possibleReasons groups the criteria above level that might apply by the
// fields they lack.
func (p *Pack) possibleReasons(possible []Match, level int) []Text {
	type group struct {
		missing []string
		ids     []string
		top     int
	}
	var groups []*group
	for _, m := range possible {
		if m.Level <= level {
			continue
		}
		key := strings.Join(m.Missing, ",")
		i := slices.IndexFunc(groups, func(g *group) bool { return strings.Join(g.missing, ",") == key })
		if i < 0 {
			groups = append(groups, &group{missing: m.Missing})
			i = len(groups) - 1
		}
		g := groups[i]
		g.ids = append(g.ids, m.CriterionID)
		g.top = max(g.top, m.Level)
	}
	out := make([]Text, 0, len(groups))
	for _, g := range groups {
		labels := make([]Text, len(g.missing))
		for i, f := range g.missing {
			labels[i] = fieldLabel(f)
		}
		out = append(out, textf("Thiếu thông tin (%s): tiêu chí %s (tới cấp độ %d) có thể áp dụng.",
			"Missing information (%s): criteria %s (up to level %d) might apply.", labels, strings.Join(g.ids, ", "), g.top))
	}
	return out
}

func (p *Pack) summary(r Result, ownLevel int, deciders []Text) Text {
	if r.Level == 0 {
		return Text{VI: "Không đề xuất cấp độ: cần người có thẩm quyền xác định (xem lý do).", EN: "No level proposed: a person must decide (see the reasons)."}
	}
	var own []Text
	for _, m := range r.Matches {
		if m.Decisive {
			own = append(own, textf("tiêu chí %s (%s)", "criterion %s (%s)", m.CriterionID, m.Source.Citation))
		}
	}
	if len(own) > 0 {
		s := textf("Đề xuất cấp độ %d theo %s.", "Proposed level %d under %s.", r.Level, joinTexts(own, "; "))
		if len(deciders) > 0 {
			s = textf("%s Hệ thống thành phần cùng cấp độ: %s.", "%s Components at the same level: %s.", s, joinTexts(deciders, ", "))
		}
		return s
	}
	rule := p.composite.Source.Citation
	if rule.IsZero() {
		rule = Text{VI: "quy tắc hệ thống gồm nhiều thành phần", EN: "the composite-system rule"}
	}
	ownText := textf("cấp độ %d", "level %d", ownLevel)
	if ownLevel == 0 {
		ownText = Text{VI: "không tiêu chí nào được đáp ứng", EN: "no criterion met"}
	}
	return textf("Đề xuất cấp độ %d theo %s: cấp độ cao nhất của các hệ thống thành phần, do hệ thống thành phần %s quyết định; bản thân hệ thống: %s.",
		"Proposed level %d under %s: the highest level of the component systems, decided by component %s; the system's own: %s.",
		r.Level, rule, joinTexts(deciders, ", "), ownText)
}

func componentName(r Result, i int) string {
	if r.System != "" {
		return r.System
	}
	return fmt.Sprintf("#%d", i+1)
}

// names returns the names of ids of a kind, in the given order.
func (p *Pack) names(kind string, ids []string) []Text {
	out := make([]Text, len(ids))
	for i, id := range ids {
		out[i] = p.name(kind, id)
	}
	return out
}

// list names the ids, or says "none".
func (p *Pack) list(kind string, ids []string) Text {
	if len(ids) == 0 {
		return Text{VI: "không có", EN: "none"}
	}
	return joinTexts(p.names(kind, ids), ", ")
}

// name returns the name of an id of a kind; the id itself when unknown.
func (p *Pack) name(kind, id string) Text {
	var t Text
	switch kind {
	case kindSystem:
		if v, ok := p.SystemType(id); ok {
			t = v.Name
		}
	case kindInfo:
		if v, ok := p.InfoType(id); ok {
			t = v.Name
		}
	case kindGrade:
		for _, it := range p.infoTypes {
			for _, g := range it.Grades {
				if g.ID == id {
					t = g.Name
				}
			}
		}
	case kindScope:
		if i := slices.IndexFunc(p.scopes, func(c Choice) bool { return c.ID == id }); i >= 0 {
			t = p.scopes[i].Name
		}
	case kindWorks:
		if i := slices.IndexFunc(p.worksGrades, func(c Choice) bool { return c.ID == id }); i >= 0 {
			t = p.worksGrades[i].Name
		}
	}
	if t.IsZero() {
		return Text{VI: id, EN: id}
	}
	return t
}

func oneOf(names []Text) Text {
	if len(names) == 1 {
		return names[0]
	}
	return textf("một trong: %s", "one of: %s", names)
}

func yesNo(v bool) Text {
	if v {
		return Text{VI: "có", EN: "yes"}
	}
	return Text{VI: "không", EN: "no"}
}

func describeRange(r IntRange) Text {
	switch {
	case r.HasMin && r.HasMax && r.Min == r.Max:
		return count(r.Min)
	case r.HasMin && r.HasMax:
		return textf("từ %s đến %s", "from %s to %s", count(r.Min), count(r.Max))
	case r.HasMin:
		return textf("từ %s trở lên", "%s or more", count(r.Min))
	default:
		return textf("không quá %s", "at most %s", count(r.Max))
	}
}
