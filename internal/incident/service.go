package incident

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/filestore"
	"khien.vn/khien/internal/system"
)

// Systems is what the Service needs of the register of information
// systems.
type Systems = system.Getter

// TreeSource gives the current tree of units (unit.Service does).
type TreeSource = system.TreeSource

// Service keeps incident cases with authorisation and auditing: seeing a
// case needs incident.read on its unit, changing it incident.write. It is
// safe for concurrent use.
type Service struct {
	store   Store
	systems Systems
	units   TreeSource
	audit   *audit.Log
	rules   *Rules
	now     func() time.Time

	// taskMu serialises SetTask within this process, so that a task's
	// prerequisites cannot reopen between their check and its update.
	taskMu sync.Mutex

	files    *filestore.Store // evidence contents
	onTamper func(ctx context.Context, c Case, e Evidence, detail string)
	onDrill  func(ctx context.Context, d Drill) // see OnDrill (plan_service.go)
}

// NewService returns a Service over store with the embedded rules. The
// affected systems must be of the case's unit or of a unit under it; log
// may be nil (tests).
func NewService(store Store, systems Systems, units TreeSource, log *audit.Log) *Service {
	return &Service{store: store, systems: systems, units: units, audit: log, rules: DefaultRules(), now: time.Now}
}

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Rules returns the rules the service applies.
func (s *Service) Rules() *Rules { return s.rules }

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, c Case, detail string) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: c.UnitID,
		Action: action, Target: "incident:" + strconv.FormatInt(c.ID, 10), Detail: detail})
}

// Create opens a case (incident.write on its unit). Its status is New
// unless given; it starts a timeline with the creation.
func (s *Service) Create(ctx context.Context, p *authz.Principal, c Case) (Case, error) {
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Case{}, err
	}
	if c.Status == "" {
		c.Status = New
	}
	if c.Severity == "" {
		c.Severity = Medium
	}
	if err := c.Check(); err != nil {
		return Case{}, err
	}
	if err := s.checkSystems(ctx, c.UnitID, c.SystemIDs); err != nil {
		return Case{}, err
	}
	now := s.now()
	if c.DetectedAt.After(now.Add(time.Minute)) {
		return Case{}, errs.Invalid("detected_at", "err.incident_future")
	}
	c.ID, c.Ref, c.CreatedBy, c.CreatedAt, c.UpdatedAt = 0, "", p.UserID, now, now
	c.ResponseCompletedAt, c.ClosedAt = time.Time{}, time.Time{}
	if c.Status == Recovered || c.Status == Closed {
		c.ResponseCompletedAt = now
	}
	if c.Status == Closed {
		c.ClosedAt = now
	}
	if err := s.store.CreateCase(ctx, &c); err != nil {
		return Case{}, err
	}
	if err := s.store.AddEntry(ctx, &Entry{CaseID: c.ID, At: now, Kind: EntryCreated, Text: c.Title, By: p.UserID}); err != nil {
		return c, err
	}
	for _, a := range c.AlertIDs {
		if err := s.store.AddEntry(ctx, &Entry{CaseID: c.ID, At: now, Kind: EntryAlert, Text: "#" + strconv.FormatInt(a, 10), By: p.UserID}); err != nil {
			return c, err
		}
	}
	return c, s.record(ctx, p, "incident.create", c, string(c.Category)+" "+string(c.Severity)+": "+c.Title)
}

// checkSystems checks that each of ids is a system of unit unitID or of a
// unit under it (else errs.ErrInvalid).
func (s *Service) checkSystems(ctx context.Context, unitID int64, ids []int64) error {
	bad, err := system.NotInUnit(ctx, s.systems, s.units, unitID, ids)
	if err != nil {
		return err
	}
	if bad != 0 {
		return errs.Invalid("system_ids", "err.incident_system", bad)
	}
	return nil
}

// Get returns a case p may see (incident.read on its unit).
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (Case, error) {
	c, err := s.store.GetCase(ctx, id)
	if err != nil {
		return Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentRead, c.UnitID); err != nil {
		return Case{}, err
	}
	return c, nil
}

// List returns the cases of p's units that f selects (f.Units narrows).
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Case, int, error) {
	if err := p.Authorize(authz.PermIncidentRead, 0); err != nil {
		return nil, 0, err
	}
	switch {
	case f.Units != nil:
		f.Units = slices.DeleteFunc(slices.Clone(f.Units), func(u int64) bool { return !p.InScope(u) })
	case !p.All:
		f.Units = p.ScopeList()
	case s.units != nil:
		tree, err := s.units.Tree(ctx)
		if err != nil {
			return nil, 0, err
		}
		for u := range tree.Expand(tree.Children(0)) {
			f.Units = append(f.Units, u)
		}
		slices.Sort(f.Units)
	}
	if len(f.Units) == 0 {
		return nil, 0, nil
	}
	return s.store.ListCases(ctx, f)
}

// Update changes a case's description, classification and facts
// (incident.write on its unit); not its status (Transition) nor its unit.
func (s *Service) Update(ctx context.Context, p *authz.Principal, id int64, edit func(*Case)) (Case, error) {
	cur, err := s.Get(ctx, p, id)
	if err != nil {
		return Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, cur.UnitID); err != nil {
		return Case{}, err
	}
	now := s.now()
	c, err := s.store.UpdateCase(ctx, id, func(c *Case) error {
		status, unitID := c.Status, c.UnitID
		edit(c)
		c.Status, c.UnitID = status, unitID
		if err := c.Check(); err != nil {
			return err
		}
		if c.DetectedAt.After(now.Add(time.Minute)) {
			return errs.Invalid("detected_at", "err.incident_future")
		}
		return s.checkSystems(ctx, c.UnitID, c.SystemIDs)
	})
	if err != nil {
		return Case{}, err
	}
	return c, s.record(ctx, p, "incident.update", c, c.Title)
}

// Transition moves a case to status to (incident.write), notes the step in
// its timeline, and starts the final report's clock when the response
// first completes (Recovered or Closed).
func (s *Service) Transition(ctx context.Context, p *authz.Principal, id int64, to Status, note string) (Case, error) {
	cur, err := s.Get(ctx, p, id)
	if err != nil {
		return Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, cur.UnitID); err != nil {
		return Case{}, err
	}
	e := Entry{CaseID: id, Kind: EntryStatus, By: p.UserID, Text: note}
	if err := e.check(); err != nil {
		return Case{}, err
	}
	var from Status
	now := s.now()
	c, err := s.store.UpdateCase(ctx, id, func(c *Case) error {
		from = c.Status
		if err := CheckTransition(c.Status, to); err != nil {
			return err
		}
		c.Status = to
		if (to == Recovered || to == Closed) && c.ResponseCompletedAt.IsZero() {
			c.ResponseCompletedAt = now
		}
		c.ClosedAt = time.Time{}
		if to == Closed {
			c.ClosedAt = now
		}
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	e.At = now
	e.Text = string(from) + " → " + string(to) + optional(": ", e.Text)
	if err := s.store.AddEntry(ctx, &e); err != nil {
		return c, err
	}
	return c, s.record(ctx, p, "incident.status", c, string(from)+" → "+string(to))
}

func optional(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// check trims a timeline entry's text and checks its length.
func (e *Entry) check() error {
	e.Text = strings.TrimSpace(e.Text)
	if utf8.RuneCountInString(e.Text) > MaxText || !cleanText(e.Text, true) {
		return errs.Invalid("text", "err.too_long")
	}
	return nil
}

// AddNote adds a note to a case's timeline (incident.write), dated at
// (now when zero).
func (s *Service) AddNote(ctx context.Context, p *authz.Principal, id int64, at time.Time, text string) (Entry, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Entry{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Entry{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	e := Entry{CaseID: id, At: at, Kind: EntryNote, Text: text, By: p.UserID}
	if err := e.check(); err != nil {
		return Entry{}, err
	}
	if e.Text == "" {
		return Entry{}, errs.Invalid("text", "err.required")
	}
	return e, s.store.AddEntry(ctx, &e)
}

// Submit records a submission to the authority (incident.write); one with
// a ClockID stops that clock.
func (s *Service) Submit(ctx context.Context, p *authz.Principal, id int64, sub Submission) (Submission, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Submission{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Submission{}, err
	}
	if err := sub.Check(); err != nil {
		return Submission{}, err
	}
	if sub.ClockID != "" && !s.rules.hasClock(sub.ClockID) {
		return Submission{}, errs.Invalid("clock_id", "err.invalid")
	}
	sub.ID, sub.CaseID, sub.SentBy = 0, id, p.UserID
	if err := s.store.AddSubmission(ctx, &sub); err != nil {
		return Submission{}, err
	}
	e := Entry{CaseID: id, At: sub.SentAt, Kind: EntrySubmission, Text: sub.What + " → " + sub.Recipient + " (" + sub.Channel + ")", By: p.UserID}
	if err := s.store.AddEntry(ctx, &e); err != nil {
		return sub, err
	}
	return sub, s.record(ctx, p, "incident.submit", c, sub.What+" → "+sub.Recipient)
}

func (r *Rules) hasClock(id string) bool {
	for _, g := range r.Regimes {
		for _, c := range g.Clocks {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}

// Submissions lists a case's submissions (incident.read).
func (s *Service) Submissions(ctx context.Context, p *authz.Principal, id int64) ([]Submission, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.ListSubmissions(ctx, id)
}

// Timeline lists a case's timeline (incident.read). The text of its
// evidence entries (an item's name and hash) is left out for those who
// may not handle the case's evidence (incident.evidence).
func (s *Service) Timeline(ctx context.Context, p *authz.Principal, id int64) ([]Entry, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListEntries(ctx, id)
	if err != nil || p.Authorize(authz.PermIncidentEvidence, c.UnitID) == nil {
		return list, err
	}
	for i := range list {
		if list[i].Kind == EntryEvidence {
			list[i].Text = ""
		}
	}
	return list, nil
}

// ClockView is a clock of a case with where it stands.
type ClockView struct {
	Clock
	State State
	// Done is the first submission for the clock (zero: none yet).
	Done Submission
}

// Serious applies the serious-incident test to a case: its highest
// affected system's level (approved, else proposed), and its facts.
func (s *Service) Serious(ctx context.Context, c Case) (bool, error) {
	level := 0
	for _, id := range c.SystemIDs {
		sys, err := s.systems.GetSystem(ctx, id)
		if err != nil {
			return false, err
		}
		l := sys.ApprovedLevel
		if l == 0 {
			l = sys.ProposedLevel
		}
		level = max(level, l)
	}
	return s.rules.IsSerious(level, c.NationalCritical, c.Impacts, c.OwnerCannotControl), nil
}

// Clocks returns the legal clocks of case c at now (c as Get returned it
// to p, so already authorised), each with its state and the submission
// that stopped it.
func (s *Service) Clocks(ctx context.Context, c Case, subs []Submission) ([]ClockView, bool, error) {
	serious, err := s.Serious(ctx, c)
	if err != nil {
		return nil, false, err
	}
	clocks, err := s.rules.Clocks(c.Facts(serious))
	if err != nil {
		return nil, serious, err
	}
	now := s.now()
	out := make([]ClockView, len(clocks))
	for i, k := range clocks {
		v := ClockView{Clock: k}
		for _, sub := range subs {
			if sub.ClockID == k.Rule.ID && (v.Done.ID == 0 || sub.SentAt.Before(v.Done.SentAt)) {
				v.Done = sub
			}
		}
		v.State = k.StateAt(now, v.Done.SentAt)
		out[i] = v
	}
	return out, serious, nil
}

func (s *Service) tasks() (TaskStore, error) {
	ts, ok := s.store.(TaskStore)
	if !ok {
		return nil, fmt.Errorf("incident tasks: %w", errs.ErrUnavailable)
	}
	return ts, nil
}

// ApplyPlaybook adds the steps of playbook id to case caseID as open tasks
// after its existing ones (incident.write on its unit). A playbook is
// applied to a case once (errs.ErrConflict the second time).
func (s *Service) ApplyPlaybook(ctx context.Context, p *authz.Principal, caseID int64, id string) ([]Task, error) {
	ts, err := s.tasks()
	if err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return nil, err
	}
	pb, ok := PlaybookFor(id)
	if !ok {
		return nil, errs.Invalid("playbook", "err.invalid")
	}
	cur, err := ts.ListTasks(ctx, caseID)
	if err != nil {
		return nil, err
	}
	seq := 0
	for _, t := range cur {
		seq = max(seq, t.Seq)
		if t.PlaybookID == pb.ID {
			return nil, errs.Public(errs.ErrConflict, "err.incident_playbook_applied")
		}
	}
	now := s.now()
	tasks := make([]Task, len(pb.Steps))
	for i, st := range pb.Steps {
		tasks[i] = Task{CaseID: caseID, Seq: seq + i + 1, PlaybookID: pb.ID, StepID: st.ID, Phase: st.Phase, Title: st.Title,
			Text: st.Text, After: st.After, Status: TaskOpen, CreatedAt: now, UpdatedAt: now}
	}
	if err := ts.AddTasks(ctx, caseID, tasks); err != nil {
		return nil, err
	}
	if err := s.store.AddEntry(ctx, &Entry{CaseID: caseID, At: now, Kind: EntryNote, Text: "Playbook: " + pb.Title.VI, By: p.UserID}); err != nil {
		return tasks, err
	}
	return tasks, s.record(ctx, p, "incident.playbook", c, pb.ID)
}

// Tasks lists a case's tasks (incident.read).
func (s *Service) Tasks(ctx context.Context, p *authz.Principal, caseID int64) ([]Task, error) {
	ts, err := s.tasks()
	if err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, p, caseID); err != nil {
		return nil, err
	}
	return ts.ListTasks(ctx, caseID)
}

// SetTask marks a task of case caseID done, skipped (a note is required)
// or open again (incident.write). A task is done only once the steps it
// comes after are done or skipped (errs.ErrConflict otherwise): backups
// are checked before a restore.
func (s *Service) SetTask(ctx context.Context, p *authz.Principal, caseID, taskID int64, to TaskStatus, note string) (Task, error) {
	ts, err := s.tasks()
	if err != nil {
		return Task{}, err
	}
	c, err := s.Get(ctx, p, caseID)
	if err != nil {
		return Task{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, c.UnitID); err != nil {
		return Task{}, err
	}
	if !slices.Contains(TaskStatuses, to) {
		return Task{}, errs.Invalid("status", "err.invalid")
	}
	e := Entry{Text: note}
	if err := e.check(); err != nil {
		return Task{}, err
	}
	note = e.Text
	if to == TaskSkipped && note == "" {
		return Task{}, errs.Invalid("note", "err.incident_skip_note")
	}
	s.taskMu.Lock()
	defer s.taskMu.Unlock()
	list, err := ts.ListTasks(ctx, caseID)
	if err != nil {
		return Task{}, err
	}
	var task *Task
	for i := range list {
		if list[i].ID == taskID {
			task = &list[i]
		}
	}
	if task == nil {
		return Task{}, fmt.Errorf("incident %d task %d: %w", caseID, taskID, errs.ErrNotFound)
	}
	if to == TaskDone {
		for _, before := range task.After {
			for _, o := range list {
				if o.PlaybookID == task.PlaybookID && o.StepID == before && o.Status == TaskOpen {
					return Task{}, errs.Public(errs.ErrConflict, "err.incident_task_blocked", o.Title.VI)
				}
			}
		}
	}
	now := s.now()
	t, err := ts.UpdateTask(ctx, taskID, func(t *Task) error {
		t.Status, t.Note = to, note
		t.DoneAt, t.DoneBy = time.Time{}, 0
		if to != TaskOpen {
			t.DoneAt, t.DoneBy = now, p.UserID
		}
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	text := t.Title.VI + ": " + string(to) + optional(" — ", note)
	if err := s.store.AddEntry(ctx, &Entry{CaseID: caseID, At: now, Kind: EntryTask, Text: text, By: p.UserID}); err != nil {
		return t, err
	}
	return t, s.record(ctx, p, "incident.task", c, text)
}

// EntryAssigned is the timeline entry of a case taken or released.
const EntryAssigned = "assigned"

// Take makes p the user in charge of case id (incident.write on its
// unit), replacing whoever was; release clears it when p is the one in
// charge or may change the case. The timeline notes it.
func (s *Service) Take(ctx context.Context, p *authz.Principal, id int64, release bool) (Case, error) {
	cur, err := s.Get(ctx, p, id)
	if err != nil {
		return Case{}, err
	}
	if err := p.Authorize(authz.PermIncidentWrite, cur.UnitID); err != nil {
		return Case{}, err
	}
	if p.UserID == 0 {
		return Case{}, errs.Invalid("assignee_id", "err.invalid")
	}
	to := p.UserID
	if release {
		to = 0
	}
	c, err := s.store.UpdateCase(ctx, id, func(c *Case) error {
		c.AssigneeID = to
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	text := "→ " + p.Username
	if release {
		text = "— " + p.Username
	}
	if err := s.store.AddEntry(ctx, &Entry{CaseID: id, At: s.now(), Kind: EntryAssigned, Text: text, By: p.UserID}); err != nil {
		return c, err
	}
	return c, s.record(ctx, p, "incident.assign", c, text)
}
