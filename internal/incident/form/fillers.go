package form

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
)

// maxAlertsListed bounds the alert numbers written out in a detection
// method; the rest are counted.
const maxAlertsListed = 20

// moment formats t as "15:04 ngày 02/01/2006", Vietnam time; "" for zero.
func moment(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(incident.Vietnam).Format("15:04 ngày 02/01/2006")
}

// date formats t as "02/01/2006", Vietnam time; "" for zero.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(incident.Vietnam).Format("02/01/2006")
}

// oneLine joins the lines of s with spaces, for a one-line list item.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// lines joins the non-empty items with newlines.
func lines(items ...string) string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		if strings.TrimSpace(it) != "" {
			out = append(out, it)
		}
	}
	return strings.Join(out, "\n")
}

// bullets prints the non-empty items as a list, "- " before each.
func bullets(items []string) string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, "- "+it)
		}
	}
	return strings.Join(out, "\n")
}

// labelled is "label: value", or "" when value is empty.
func labelled(label, value string) string {
	if strings.TrimSpace(value) == "" {
		return ""
	}
	return label + ": " + value
}

// prefix is the first n runes of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// --- The reporting unit and its party.

func unitName(st *filling) (string, string) {
	if st.in.Unit.Name != "" {
		return st.in.Unit.Name, SourceUnit
	}
	if p, ok := st.party(); ok && p.Name != "" {
		return p.Name, SourceSystem
	}
	return "", ""
}

func governing(st *filling) (string, string) { return st.in.Governing, SourceUnit }

// party returns the party that stands for the reporting unit on its
// systems: a party linked to the unit (operator, then owner, then IS unit,
// system by system) or named as it; failing that, the first system's
// operator, else its owner. ok is false when there is none.
func (st *filling) party() (system.Party, bool) {
	u := st.in.Unit
	for _, s := range st.in.Systems {
		for _, p := range []system.Party{s.Operator, s.Owner, s.ISUnit} {
			if p.UnitID != 0 && p.UnitID == u.ID || u.Name != "" && strings.EqualFold(strings.TrimSpace(p.Name), strings.TrimSpace(u.Name)) {
				return p, true
			}
		}
	}
	if len(st.in.Systems) == 0 {
		return system.Party{}, false
	}
	s := st.in.Systems[0]
	if s.Operator.Name != "" {
		return s.Operator, true
	}
	return s.Owner, s.Owner.Name != ""
}

// partyField fills a field from the unit's party.
func partyField(get func(system.Party) string) filler {
	return func(st *filling) (string, string) {
		if p, ok := st.party(); ok {
			return get(p), SourceSystem
		}
		return "", ""
	}
}

// orgInfo is the unit's name, address, phone and e-mail, one per line.
func orgInfo(st *filling) (string, string) {
	name, src := unitName(st)
	p, _ := st.party()
	v := lines(labelled("Tên tổ chức", name), labelled("Địa chỉ", p.Address),
		labelled("Điện thoại", p.Phone), labelled("Thư điện tử", p.Email))
	if src == "" {
		src = SourceSystem
	}
	return v, src
}

func legalRepresentative(st *filling) (string, string) {
	p, ok := st.party()
	if !ok || p.Representative == "" {
		return "", ""
	}
	if p.Title != "" {
		return p.Representative + ", " + p.Title, SourceSystem
	}
	return p.Representative, SourceSystem
}

// --- People.

// focal fills a field from the i-th focal point.
func focal(i int, get func(system.FocalPoint) string) filler {
	return func(st *filling) (string, string) {
		if i < len(st.in.FocalPoints) {
			return get(st.in.FocalPoints[i]), SourceFocalPoint
		}
		return "", ""
	}
}

// contactPerson is the reporter, or else the primary focal point.
func (st *filling) contactPerson() (Person, string) {
	if r := st.in.Reporter; strings.TrimSpace(r.Name) != "" {
		return r, SourceReporter
	}
	if len(st.in.FocalPoints) > 0 {
		f := st.in.FocalPoints[0]
		return Person{Name: f.Name, Title: f.Role, Phone: f.Phone, Email: f.Email}, SourceFocalPoint
	}
	return Person{}, ""
}

func contact(get func(Person) string) filler {
	return func(st *filling) (string, string) {
		p, src := st.contactPerson()
		return get(p), src
	}
}

// contactLine is "Name, Title; điện thoại: …; thư điện tử: …".
func contactLine(st *filling) (string, string) {
	p, src := st.contactPerson()
	who := strings.Join(slices.DeleteFunc([]string{p.Name, p.Title}, func(s string) bool { return s == "" }), ", ")
	parts := slices.DeleteFunc([]string{who, labelled("điện thoại", p.Phone), labelled("thư điện tử", p.Email)},
		func(s string) bool { return s == "" })
	return strings.Join(parts, "; "), src
}

// --- Systems.

// systemsJoin joins the distinct non-empty values of get over the systems
// with "; ".
func systemsJoin(get func(system.System) string) filler {
	return func(st *filling) (string, string) {
		var vals []string
		for _, s := range st.in.Systems {
			if v := strings.TrimSpace(get(s)); v != "" && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		return strings.Join(vals, "; "), SourceSystem
	}
}

func monitoringProvider(s system.System) string {
	if s.Layers.MonitoringBy == "provider" {
		return s.Layers.MonitoringProvider
	}
	return ""
}

// level is the approved level ("3"), else the proposed one marked as such
// ("3 (đề xuất)"), else "".
func level(s system.System) string {
	switch {
	case s.ApprovedLevel > 0:
		return strconv.Itoa(s.ApprovedLevel)
	case s.ProposedLevel > 0:
		return strconv.Itoa(s.ProposedLevel) + " (đề xuất)"
	}
	return ""
}

// systemLevels is the level of the one system, or "Name: level" for each
// of several.
func systemLevels(st *filling) (string, string) {
	if len(st.in.Systems) == 1 {
		return level(st.in.Systems[0]), SourceSystem
	}
	var parts []string
	for _, s := range st.in.Systems {
		if l := level(s); l != "" {
			parts = append(parts, s.Name+": "+l)
		}
	}
	return strings.Join(parts, "; "), SourceSystem
}

// systemsByLevel counts the systems by approved level, and those without
// an approved level.
func systemsByLevel(st *filling) (string, string) {
	if len(st.in.Systems) == 0 {
		return "", ""
	}
	var count [6]int
	for _, s := range st.in.Systems {
		if s.ApprovedLevel >= 1 && s.ApprovedLevel <= 5 {
			count[s.ApprovedLevel]++
		} else {
			count[0]++
		}
	}
	var out []string
	for l := 1; l <= 5; l++ {
		out = append(out, fmt.Sprintf("Cấp độ %d: %d hệ thống", l, count[l]))
	}
	if count[0] > 0 {
		out = append(out, fmt.Sprintf("Chưa được phê duyệt cấp độ: %d hệ thống", count[0]))
	}
	return bullets(out), SourceSystem
}

// perSystem prefixes each system's text with its name when there are
// several systems.
func (st *filling) perSystem(text func(system.System) string) string {
	var out []string
	for _, s := range st.in.Systems {
		t := strings.TrimSpace(text(s))
		switch {
		case t == "":
		case len(st.in.Systems) == 1:
			out = append(out, t)
		default:
			out = append(out, s.Name+":\n"+t)
		}
	}
	return strings.Join(out, "\n")
}

// securityMeasures are the systems' 4-layer protection facts.
func securityMeasures(st *filling) (string, string) {
	return st.perSystem(func(s system.System) string {
		l := s.Layers
		var monitoring string
		switch l.MonitoringBy {
		case "in_house":
			monitoring = "Giám sát, bảo vệ chuyên nghiệp: đơn vị tự thực hiện"
		case "provider":
			monitoring = "Giám sát, bảo vệ chuyên nghiệp: thuê dịch vụ"
			if p := strings.TrimSpace(l.MonitoringProvider); p != "" {
				monitoring += " của " + p
			}
		}
		assessor := labelled("Kiểm tra, đánh giá an toàn thông tin độc lập", l.Assessor)
		if assessor != "" && !l.LastAssessment.IsZero() {
			assessor += " (lần gần nhất ngày " + date(l.LastAssessment) + ")"
		}
		national := ""
		if l.NationalConnected {
			national = "Đã kết nối, chia sẻ thông tin với hệ thống giám sát quốc gia"
		}
		return bullets(strings.Split(lines(labelled("Lực lượng tại chỗ", l.OnSiteTeam), monitoring, assessor, national), "\n"))
	}), SourceSystem
}

func systemPurpose(st *filling) (string, string) {
	return st.perSystem(func(s system.System) string { return s.Description }), SourceSystem
}

// --- The case.

// description is the case's title and description, its category and, when
// serious, that it is. A form that has the incident's name separately
// (Form 04) gets the description without the title.
func description(st *filling) (string, string) {
	if !st.hasCase() {
		return "", ""
	}
	c := st.in.Case
	title := c.Title
	if slices.Contains(st.in.Form.Fields, "incident_name") {
		title = ""
	}
	category := ""
	if c.Category != "" {
		category = "Loại sự cố: " + st.labels.category(c.Category).VI + "."
	}
	serious := ""
	if st.in.Serious {
		serious = "Sự cố được đánh giá là sự cố nghiêm trọng."
	}
	return lines(title, c.Description, category, serious), SourceCase
}

func incidentName(st *filling) (string, string) { return st.in.Case.Title, SourceCase }

func detectedAt(st *filling) (string, string) { return moment(st.in.Case.DetectedAt), SourceCase }

func natureTime(st *filling) (string, string) {
	if m := moment(st.in.Case.DetectedAt); m != "" {
		return m + " (thời điểm phát hiện)", SourceCase
	}
	return "", ""
}

func naturePlace(st *filling) (string, string) {
	names, src := systemsJoin(func(s system.System) string { return s.Name })(st)
	return labelled("Hệ thống thông tin", names), src
}

func currentStatus(st *filling) (string, string) {
	if !st.hasCase() {
		return "", ""
	}
	return st.labels.status(st.in.Case.Status), SourceCase
}

// sensitivity states what the case records about the data at stake:
// personal data, a likely disclosure of secrets. Nothing otherwise.
func sensitivity(st *filling) (string, string) {
	c := st.in.Case
	var out []string
	if c.PersonalData {
		out = append(out, "Có liên quan đến dữ liệu cá nhân.")
	}
	if slices.Contains(c.Impacts, "secret_disclosure_likely") {
		out = append(out, "Có khả năng lộ bí mật nhà nước.")
	}
	return lines(out...), SourceCase
}

func detectionMethod(st *filling) (string, string) {
	ids := st.in.Case.AlertIDs
	if len(ids) == 0 {
		return "", ""
	}
	shown := ids[:min(len(ids), maxAlertsListed)]
	nums := make([]string, len(shown))
	for i, id := range shown {
		nums[i] = strconv.FormatInt(id, 10)
	}
	v := "Phát hiện qua cảnh báo giám sát (Khiên), cảnh báo số " + strings.Join(nums, ", ")
	if len(ids) > len(shown) {
		v += fmt.Sprintf(", … (tổng số %d cảnh báo)", len(ids))
	}
	return v, SourceCase
}

func supportRequested(st *filling) (string, string) {
	switch {
	case !st.hasCase():
		return "", ""
	case st.in.Case.SupportRequested:
		return "Có", SourceCase
	}
	return "Không", SourceCase
}

// partiesNotified lists the submissions' recipients with their dates.
func partiesNotified(st *filling) (string, string) {
	var out []string
	for _, s := range st.in.Submissions {
		line := oneLine(s.Recipient)
		if d := date(s.SentAt); d != "" {
			line += " (ngày " + d + ")"
		}
		if strings.TrimSpace(s.Recipient) != "" && !slices.Contains(out, line) {
			out = append(out, line)
		}
	}
	return bullets(out), SourceCase
}

// initialReport fills a field from the case's first initial report (Form
// 03): the submission answering a clock whose form is "Mẫu 03", or else
// one whose What names "Mẫu 03" (not the personal-data notice's).
func initialReport(get func(incident.Submission) string) filler {
	return func(st *filling) (string, string) {
		if s, ok := st.initialReport(); ok {
			return get(s), SourceCase
		}
		return "", ""
	}
}

func (st *filling) initialReport() (incident.Submission, bool) {
	const number = "Mẫu 03"
	clocks := map[string]bool{}
	for _, g := range st.rules.Regimes {
		for _, c := range g.Clocks {
			if sameNumber(c.Form, number) {
				clocks[c.ID] = true
			}
		}
	}
	var best incident.Submission
	found := false
	for _, s := range st.in.Submissions {
		if (clocks[s.ClockID] || namesInitialReport(s.What)) && (!found || s.SentAt.Before(best.SentAt)) {
			best, found = s, true
		}
	}
	return best, found
}

// namesInitialReport reports whether a submission's What names Form 03 of
// Circular 20/2017 ("Báo cáo ban đầu (Mẫu 03)"), not Decree 13's.
func namesInitialReport(what string) bool {
	w := strings.ToLower(nfc(what))
	w = strings.ReplaceAll(w, "mẫu 03 (nghị định 13", "")
	return strings.Contains(w, "mẫu 03") || strings.Contains(w, "mẫu số 03")
}

// timeline is the case's timeline, one entry a line.
func timeline(st *filling) (string, string) {
	out := make([]string, 0, len(st.in.Timeline))
	for _, e := range st.in.Timeline {
		at := ""
		if !e.At.IsZero() {
			at = e.At.In(incident.Vietnam).Format("02/01/2006 15:04") + " – "
		}
		if t := oneLine(e.Text); t != "" {
			out = append(out, at+t)
		}
	}
	return bullets(out), SourceCase
}

// evidenceLines are the evidence items: name, description and a short
// SHA-256.
func (st *filling) evidenceLines() []string {
	out := make([]string, 0, len(st.in.Evidence))
	for _, e := range st.in.Evidence {
		line := oneLine(e.Name)
		if d := oneLine(e.Description); d != "" {
			line += " – " + d
		}
		if h := strings.TrimSpace(e.SHA256); h != "" {
			line += " (SHA-256: " + prefix(h, 16) + "…)"
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

func evidenceList(st *filling) (string, string) {
	return bullets(st.evidenceLines()), SourceCase
}

// attachments are the evidence items and, when there is one, the timeline.
func attachments(st *filling) (string, string) {
	out := st.evidenceLines()
	if n := len(st.in.Timeline); n > 0 {
		out = append(out, fmt.Sprintf("Diễn biến xử lý sự cố trích từ nhật ký vụ việc (%d mục)", n))
	}
	return bullets(out), SourceCase
}

// doneTasks are the titles of the tasks done, with their dates.
func (st *filling) doneTasks() []string {
	var out []string
	for _, t := range st.in.Tasks {
		if t.Status != incident.TaskDone {
			continue
		}
		line := "- " + oneLine(t.Title.In("vi"))
		if d := date(t.DoneAt); d != "" {
			line += " (" + d + ")"
		}
		out = append(out, line)
	}
	return out
}

// handlingSummary is the case's conclusion, when the response ended, and
// the tasks done.
func handlingSummary(st *filling) (string, string) {
	if !st.hasCase() {
		return "", ""
	}
	c := st.in.Case
	done := ""
	if tasks := st.doneTasks(); len(tasks) > 0 {
		done = "Các công việc đã thực hiện:\n" + strings.Join(tasks, "\n")
	}
	return lines(c.Conclusion, labelled("Thời điểm kết thúc ứng phó", moment(c.ResponseCompletedAt)), done), SourceCase
}

func measuresTaken(st *filling) (string, string) {
	return strings.Join(st.doneTasks(), "\n"), SourceCase
}

// taskStatus says where a task stands on the response plan.
var taskStatus = map[incident.TaskStatus]string{
	incident.TaskOpen:    "chưa thực hiện",
	incident.TaskDone:    "đã thực hiện",
	incident.TaskSkipped: "không áp dụng",
}

// responsePlan is the case's tasks, numbered, with where each stands.
func responsePlan(st *filling) (string, string) {
	out := make([]string, 0, len(st.in.Tasks))
	for i, t := range st.in.Tasks {
		line := fmt.Sprintf("%d. %s", i+1, oneLine(t.Title.In("vi")))
		if s := taskStatus[t.Status]; s != "" {
			line += " – " + s
		}
		if n := oneLine(t.Note); n != "" {
			line += " (" + n + ")"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), SourceCase
}

// countByCategory counts the period's cases that match, by category: one
// line "category: n" per category, in incident.Categories order.
func countByCategory(match func(incident.Case) bool) filler {
	return func(st *filling) (string, string) {
		n := map[incident.Category]int{}
		for _, c := range st.in.Cases {
			if !match(c) {
				continue
			}
			if slices.Contains(incident.Categories, c.Category) {
				n[c.Category]++
			} else {
				n[incident.OtherCategory]++
			}
		}
		out := make([]string, 0, len(incident.Categories))
		for _, cat := range incident.Categories {
			out = append(out, st.labels.category(cat).VI+": "+strconv.Itoa(n[cat]))
		}
		return strings.Join(out, "\n"), SourceCase
	}
}
