package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// Defaults of Options.
const (
	DefaultWindow        = time.Hour
	DefaultFlushInterval = time.Second
	DefaultMaxPending    = 10000
	DefaultRefresh       = time.Minute
)

// DefaultKeyFields are the fields an alert is grouped by when its rule
// names none (khien_alert_group_by): the host, the account and the remote
// address, so that one alert stands for one rule firing on one machine
// for one user from one place.
var DefaultKeyFields = []string{"host.name", "user.name", "source.ip"}

// sampleFields are the event fields an alert keeps from its first event,
// in display order, when present.
var sampleFields = []string{
	"@timestamp", "host.name", "host.ip", "user.name", "source.ip", "source.port", "destination.ip", "destination.port",
	"event.code", "event.provider", "event.dataset", "event.action", "event.outcome",
	"process.name", "process.pid", "process.executable", "process.command_line", "process.parent.executable",
	"process.parent.command_line", "file.path", "registry.path", "url.original", "dns.question.name",
	"khien.asset.id", "khien.system.ids",
}

// maxSampleValue bounds each kept value (bytes).
const maxSampleValue = 2000

// FieldSystemIDs is the event field listing the ids of the information
// systems the event's asset belongs to (set by attribution).
const FieldSystemIDs = "khien.system.ids"

// Rule is what an alert needs of the rule that matched.
type Rule struct {
	ID, Title string
	// Level is the Sigma level.
	Level string
	Tags  []string
	// KeyFields are the fields alerts of the rule are grouped by;
	// DefaultKeyFields when empty or when an event has none of them.
	KeyFields []string
}

// Hit is one event a rule matched.
type Hit struct {
	Rule   *Rule
	UnitID int64
	Time   time.Time
	// Fields are the event's fields; Add reads them before it returns.
	Fields map[string]string
	// Message is the original message, kept in the sample (shortened).
	Message string
}

// Options configure a Service.
type Options struct {
	// Audit records triage and rule management; nil records nothing (tests).
	Audit *audit.Log
	// Window is how long after an alert's last event a matching event
	// still joins it (default DefaultWindow).
	Window time.Duration
	// FlushInterval is how often hits are written (default DefaultFlushInterval).
	FlushInterval time.Duration
	// MaxPending bounds the groups held between flushes (default
	// DefaultMaxPending); hits of new groups beyond it are dropped and
	// counted (Stats.Dropped). Their events are stored and tagged anyway.
	MaxPending int
	// Refresh is how often Run reloads the policy (default DefaultRefresh),
	// to see expiries, other processes' changes and new systems.
	Refresh time.Duration
	// Parents returns every unit's parent (0 for top-level units).
	Parents func(ctx context.Context) (map[int64]int64, error)
	// SystemLevels returns every information system's security level.
	SystemLevels func(ctx context.Context) (map[int64]int, error)
	// OnNew is called, from the flushing goroutine, for every new alert
	// (to notify). It should not block for long.
	OnNew  func(ctx context.Context, a Alert)
	Logger *slog.Logger
	Now    func() time.Time
}

// Stats are a Service's counters since start.
type Stats struct {
	Hits       uint64 // hits given to Add
	Excepted   uint64 // of them, suppressed by an exception
	Dropped    uint64 // dropped: MaxPending groups were waiting, the event had no unit, or the database refused the alert
	Raised     uint64 // alerts created
	WriteFails uint64 // flushes that could not write (the hits are kept for the next)
}

// Service raises alerts from hits and runs their triage, the rule
// settings and the exceptions. Its methods are safe for concurrent use.
type Service struct {
	store Store
	o     Options

	policy atomic.Pointer[Policy]
	mu     sync.Mutex
	pend   map[groupID]*Alert

	hits, excepted, dropped, raised, writeFails atomic.Uint64
}

type groupID struct {
	unit     int64
	rule     string
	groupKey string
}

// New returns a Service over store with an empty policy; call Reload
// before use.
func New(store Store, o Options) *Service {
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("component", "alert")
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{store: store, o: o, pend: make(map[groupID]*Alert)}
	s.policy.Store(NewPolicy(nil, nil, nil, nil))
	return s
}

// Window is the grouping window.
func (s *Service) Window() time.Duration { return s.o.Window }

// Policy returns the current policy snapshot.
func (s *Service) Policy() *Policy { return s.policy.Load() }

// Reload reads the rule settings, exceptions, unit tree and system levels
// and replaces the policy.
func (s *Service) Reload(ctx context.Context) error {
	settings, err := s.store.ListRuleSettings(ctx)
	if err != nil {
		return fmt.Errorf("alert policy: %w", err)
	}
	exceptions, err := s.store.ListExceptions(ctx)
	if err != nil {
		return fmt.Errorf("alert policy: %w", err)
	}
	var parents map[int64]int64
	if s.o.Parents != nil {
		if parents, err = s.o.Parents(ctx); err != nil {
			return fmt.Errorf("alert policy: units: %w", err)
		}
	}
	var levels map[int64]int
	if s.o.SystemLevels != nil {
		if levels, err = s.o.SystemLevels(ctx); err != nil {
			return fmt.Errorf("alert policy: systems: %w", err)
		}
	}
	now := s.o.Now()
	live := exceptions[:0]
	for _, e := range exceptions {
		if now.Before(e.ExpiresAt) {
			live = append(live, e)
		}
	}
	s.policy.Store(NewPolicy(parents, settings, live, levels))
	return nil
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{Hits: s.hits.Load(), Excepted: s.excepted.Load(), Dropped: s.dropped.Load(),
		Raised: s.raised.Load(), WriteFails: s.writeFails.Load()}
}

// Add takes one hit: unless an exception suppresses it, it joins the
// pending group of its rule, unit and key fields, written at the next
// Flush. It never blocks on the database. It reports whether the hit was
// kept (false: excepted or dropped).
func (s *Service) Add(h Hit) bool {
	s.hits.Add(1)
	if h.UnitID <= 0 {
		s.dropped.Add(1) // an event no unit owns cannot be shown to anyone
		return false
	}
	if h.Time.IsZero() {
		h.Time = s.o.Now()
	}
	pol := s.policy.Load()
	if pol.Exception(h.UnitID, h.Rule.ID, h.Fields, s.o.Now()) != nil {
		s.excepted.Add(1)
		return false
	}
	key := keyOf(h.Rule.KeyFields, h.Fields)
	if key == nil {
		key = keyOf(DefaultKeyFields, h.Fields)
	}
	id := groupID{h.UnitID, h.Rule.ID, KeyString(key)}
	t := h.Time.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.pend[id]; a != nil {
		a.Count++
		a.FirstSeen, a.LastSeen = minTime(a.FirstSeen, t), maxTime(a.LastSeen, t)
		return true
	}
	if len(s.pend) >= s.o.MaxPending {
		s.dropped.Add(1)
		return false
	}
	sys, level := primarySystem(pol, h.Fields[FieldSystemIDs])
	s.pend[id] = &Alert{UnitID: h.UnitID, SystemID: sys, SystemLevel: level, RuleID: h.Rule.ID,
		RuleTitle: h.Rule.Title, RuleLevel: h.Rule.Level, Severity: SeverityFor(h.Rule.Level, level),
		Tags: slices.Clone(h.Rule.Tags), GroupKey: id.groupKey, Key: key, Sample: sample(h),
		FirstSeen: t, LastSeen: t, Count: 1, Status: Open}
	return true
}

// keyOf returns the named fields present in fields, in order.
func keyOf(names []string, fields map[string]string) []Field {
	var key []Field
	for _, n := range names {
		if v := fields[n]; v != "" {
			key = append(key, Field{Name: n, Value: truncate(v, maxValue)})
		}
	}
	return key
}

// primarySystem picks, of the comma-separated system ids, the one with
// the highest security level (the lowest id among equals).
func primarySystem(pol *Policy, ids string) (id int64, level int) {
	for f := range strings.SplitSeq(ids, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		if l := pol.SystemLevel(n); id == 0 || l > level || l == level && n < id {
			id, level = n, l
		}
	}
	return id, level
}

func sample(h Hit) []Field {
	var out []Field
	for _, n := range sampleFields {
		if v := h.Fields[n]; v != "" {
			out = append(out, Field{Name: n, Value: truncate(v, maxSampleValue)})
		}
	}
	if h.Message != "" {
		out = append(out, Field{Name: "message", Value: truncate(h.Message, maxSampleValue)})
	}
	return out
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Flush writes the pending groups: each joins its open alert within the
// window or becomes a new one (OnNew is then called). Groups that cannot
// be written stay pending for the next Flush. It returns the number of
// new alerts.
func (s *Service) Flush(ctx context.Context) (int, error) {
	s.mu.Lock()
	batch := s.pend
	s.pend = make(map[groupID]*Alert, len(batch))
	s.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	ids := make([]groupID, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	// Oldest first, so that alert ids follow the events' order.
	slices.SortFunc(ids, func(a, b groupID) int { return batch[a].FirstSeen.Compare(batch[b].FirstSeen) })
	created := 0
	for i, id := range ids {
		a := batch[id]
		isNew, err := s.store.RecordAlert(ctx, a, s.o.Window)
		if errors.Is(err, errs.ErrInvalid) && a.SystemID != 0 {
			// The system was deleted since attribution: keep the alert without it.
			a.SystemID, a.SystemLevel = 0, 0
			isNew, err = s.store.RecordAlert(ctx, a, s.o.Window)
		}
		if errors.Is(err, errs.ErrInvalid) {
			// Refused for good (its unit was deleted meanwhile): retrying
			// would block every later group.
			s.dropped.Add(uint64(a.Count))
			s.o.Logger.Error("alert refused by the database; dropped", "rule_id", a.RuleID, "unit_id", a.UnitID,
				"system_id", a.SystemID, "count", a.Count, "err", err)
			continue
		}
		if err != nil {
			s.writeFails.Add(1)
			s.requeue(batch, ids[i:])
			return created, fmt.Errorf("record alerts: %w", err)
		}
		if isNew {
			created++
			s.raised.Add(1)
			if s.o.OnNew != nil {
				s.o.OnNew(ctx, *a)
			}
		}
	}
	return created, nil
}

// requeue puts groups that were not written back in front of the hits
// that arrived meanwhile.
func (s *Service) requeue(batch map[groupID]*Alert, ids []groupID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		old := batch[id]
		if cur := s.pend[id]; cur != nil {
			cur.Count += old.Count
			cur.FirstSeen, cur.LastSeen = minTime(cur.FirstSeen, old.FirstSeen), maxTime(cur.LastSeen, old.LastSeen)
			cur.Sample = old.Sample
			continue
		}
		s.pend[id] = old
	}
}

// Run flushes every FlushInterval and reloads the policy every Refresh
// until ctx is done; it then flushes once more (within 10 s) and returns.
func (s *Service) Run(ctx context.Context) error {
	flush := time.NewTicker(s.o.FlushInterval)
	defer flush.Stop()
	refresh := time.NewTicker(s.o.Refresh)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, err := s.Flush(fctx); err != nil {
				s.o.Logger.Error("alerts lost at shutdown", "err", err)
			}
			return nil
		case <-flush.C:
			if _, err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("cannot write alerts; retrying", "err", err)
			}
		case <-refresh.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("cannot reload the alert policy", "err", err)
			}
		}
	}
}

// --- triage ---

func (s *Service) record(ctx context.Context, p *authz.Principal, action string, unitID int64, target, detail string) error {
	if s.o.Audit == nil {
		return nil
	}
	return s.o.Audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID,
		Action: action, Target: target, Detail: detail})
}

func alertTarget(id int64) string { return "alert:" + strconv.FormatInt(id, 10) }

// List returns the alerts f selects among those p may see.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Alert, error) {
	if err := p.Authorize(authz.PermAlertRead, 0); err != nil {
		return nil, err
	}
	f.Units = scope(p, f.Units)
	return s.store.ListAlerts(ctx, f)
}

// Count counts the alerts f selects among those p may see.
func (s *Service) Count(ctx context.Context, p *authz.Principal, f Filter) (int, error) {
	if err := p.Authorize(authz.PermAlertRead, 0); err != nil {
		return 0, err
	}
	f.Units = scope(p, f.Units)
	return s.store.CountAlerts(ctx, f)
}

// scope narrows units to p's scope (units nil: all of p's scope).
func scope(p *authz.Principal, units []int64) []int64 {
	if p.All {
		return units
	}
	if units == nil {
		return p.ScopeList()
	}
	out := []int64{}
	for _, u := range units {
		if p.InScope(u) {
			out = append(out, u)
		}
	}
	return out
}

// Get returns an alert p may see.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (Alert, error) {
	a, err := s.store.GetAlert(ctx, id)
	if err != nil {
		return Alert{}, err
	}
	if err := p.Authorize(authz.PermAlertRead, a.UnitID); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// Comments returns the comments of an alert p may see.
func (s *Service) Comments(ctx context.Context, p *authz.Principal, id int64) ([]Comment, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.ListComments(ctx, id)
}

// triage checks that p may triage alert id and applies fn to it.
func (s *Service) triage(ctx context.Context, p *authz.Principal, id int64, action, detail string, fn func(*Alert) error) (Alert, error) {
	cur, err := s.store.GetAlert(ctx, id)
	if err != nil {
		return Alert{}, err
	}
	if err := p.Authorize(authz.PermAlertTriage, cur.UnitID); err != nil {
		return Alert{}, err
	}
	a, err := s.store.UpdateAlert(ctx, id, fn)
	if err != nil {
		return Alert{}, err
	}
	return a, s.record(ctx, p, action, a.UnitID, alertTarget(id), detail)
}

// Assign gives alert id to user userID (0: nobody). An open alert becomes
// acknowledged. The caller checks that the user exists and may see the
// alert's unit.
func (s *Service) Assign(ctx context.Context, p *authz.Principal, id, userID int64) (Alert, error) {
	if userID < 0 {
		return Alert{}, errs.Invalid("assignee_id", "err.invalid")
	}
	return s.triage(ctx, p, id, "alert.assign", "assignee="+strconv.FormatInt(userID, 10), func(a *Alert) error {
		a.AssigneeID = userID
		if a.Status == Open && userID != 0 {
			a.Status = Acknowledged
		}
		return nil
	})
}

// LinkIncident records that alert id was handed to incident case
// incidentID (alert.triage on its unit); an open alert becomes
// acknowledged. An alert already handed to another case is
// errs.ErrConflict: one alert, one case.
func (s *Service) LinkIncident(ctx context.Context, p *authz.Principal, id, incidentID int64) (Alert, error) {
	if incidentID <= 0 {
		return Alert{}, errs.Invalid("incident_id", "err.invalid")
	}
	return s.triage(ctx, p, id, "alert.incident", "incident="+strconv.FormatInt(incidentID, 10), func(a *Alert) error {
		if a.IncidentID != 0 && a.IncidentID != incidentID {
			return errs.Public(errs.ErrConflict, "err.alert_has_incident", a.IncidentID)
		}
		a.IncidentID = incidentID
		if a.Status == Open {
			a.Status = Acknowledged
		}
		return nil
	})
}

// Acknowledge marks an open alert as being worked on.
func (s *Service) Acknowledge(ctx context.Context, p *authz.Principal, id int64) (Alert, error) {
	return s.triage(ctx, p, id, "alert.acknowledge", "", func(a *Alert) error {
		if a.Status == Closed {
			return errs.Public(errs.ErrConflict, "err.alert_closed")
		}
		a.Status = Acknowledged
		return nil
	})
}

// Close closes alert id with a reason and an optional note.
func (s *Service) Close(ctx context.Context, p *authz.Principal, id int64, reason CloseReason, note string) (Alert, error) {
	if !p.Can(authz.PermAlertTriage) {
		return Alert{}, p.Authorize(authz.PermAlertTriage, 0)
	}
	if !reason.Valid() {
		return Alert{}, errs.Invalid("reason", "err.close_reason")
	}
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxReason {
		return Alert{}, errs.Invalid("note", "err.too_long")
	}
	return s.triage(ctx, p, id, "alert.close", string(reason), func(a *Alert) error {
		if a.Status == Closed {
			return errs.Public(errs.ErrConflict, "err.alert_closed")
		}
		a.Status, a.CloseReason, a.CloseNote, a.ClosedBy, a.ClosedAt = Closed, reason, note, p.UserID, s.o.Now().UTC()
		return nil
	})
}

// Reopen reopens a closed alert; it is open again, or acknowledged when
// assigned. Later events join it again only while it is within the window.
func (s *Service) Reopen(ctx context.Context, p *authz.Principal, id int64) (Alert, error) {
	return s.triage(ctx, p, id, "alert.reopen", "", func(a *Alert) error {
		if a.Status != Closed {
			return errs.Public(errs.ErrConflict, "err.alert_not_closed")
		}
		a.Status, a.CloseReason, a.CloseNote, a.ClosedBy, a.ClosedAt = Open, "", "", 0, time.Time{}
		if a.AssigneeID != 0 {
			a.Status = Acknowledged
		}
		return nil
	})
}

// Comment adds a comment by p to alert id.
func (s *Service) Comment(ctx context.Context, p *authz.Principal, id int64, body string) (Comment, error) {
	if !p.Can(authz.PermAlertTriage) {
		return Comment{}, p.Authorize(authz.PermAlertTriage, 0)
	}
	body = strings.TrimSpace(body)
	if body == "" || !utf8.ValidString(body) {
		return Comment{}, errs.Invalid("body", "err.comment_required")
	}
	if utf8.RuneCountInString(body) > MaxComment {
		return Comment{}, errs.Invalid("body", "err.too_long")
	}
	a, err := s.store.GetAlert(ctx, id)
	if err != nil {
		return Comment{}, err
	}
	if err := p.Authorize(authz.PermAlertTriage, a.UnitID); err != nil {
		return Comment{}, err
	}
	c := Comment{AlertID: id, UserID: p.UserID, Author: p.Username, Body: body, CreatedAt: s.o.Now()}
	if err := s.store.AddComment(ctx, &c); err != nil {
		return Comment{}, err
	}
	return c, s.record(ctx, p, "alert.comment", a.UnitID, alertTarget(id), "")
}

// --- rule management ---

// RuleSettings returns the rule settings of the units p may see.
func (s *Service) RuleSettings(ctx context.Context, p *authz.Principal) ([]RuleSetting, error) {
	if err := p.Authorize(authz.PermAlertRead, 0); err != nil {
		return nil, err
	}
	all, err := s.store.ListRuleSettings(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r RuleSetting) bool { return !p.InScope(r.UnitID) }), nil
}

// SetRuleEnabled switches rule ruleID on or off for unit (and its
// descendants without their own setting), then reloads the policy.
func (s *Service) SetRuleEnabled(ctx context.Context, p *authz.Principal, unit int64, ruleID string, enabled bool) error {
	if !p.Can(authz.PermRuleManage) {
		return p.Authorize(authz.PermRuleManage, 0)
	}
	ruleID = strings.TrimSpace(ruleID)
	if ruleID == "" || len(ruleID) > maxName || !printable(ruleID) {
		return errs.Invalid("rule_id", "err.invalid")
	}
	if unit <= 0 {
		return errs.Invalid("unit_id", "err.unit_required")
	}
	if err := p.Authorize(authz.PermRuleManage, unit); err != nil {
		return err
	}
	r := RuleSetting{UnitID: unit, RuleID: ruleID, Enabled: enabled, UpdatedBy: p.UserID, UpdatedAt: s.o.Now()}
	if err := s.store.SetRuleSetting(ctx, &r); err != nil {
		return err
	}
	if err := s.record(ctx, p, "rule.set", unit, "rule:"+ruleID, "enabled="+strconv.FormatBool(enabled)); err != nil {
		return err
	}
	return s.Reload(ctx)
}

// Exceptions returns the exceptions of the units p may see, expired ones
// included, by id.
func (s *Service) Exceptions(ctx context.Context, p *authz.Principal) ([]Exception, error) {
	if err := p.Authorize(authz.PermAlertRead, 0); err != nil {
		return nil, err
	}
	all, err := s.store.ListExceptions(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(e Exception) bool { return !p.InScope(e.UnitID) }), nil
}

// AddException validates and stores an exception by p, then reloads the
// policy.
func (s *Service) AddException(ctx context.Context, p *authz.Principal, e Exception) (Exception, error) {
	if !p.Can(authz.PermRuleManage) {
		return Exception{}, p.Authorize(authz.PermRuleManage, 0)
	}
	if err := e.Validate(s.o.Now()); err != nil {
		return Exception{}, err
	}
	if err := p.Authorize(authz.PermRuleManage, e.UnitID); err != nil {
		return Exception{}, err
	}
	e.ID, e.CreatedBy, e.CreatedAt = 0, p.UserID, s.o.Now()
	if err := s.store.CreateException(ctx, &e); err != nil {
		return Exception{}, err
	}
	var cond []string
	for _, f := range e.Match {
		cond = append(cond, f.Name+"="+f.Value)
	}
	detail := fmt.Sprintf("rule=%s match=%s expires=%s reason=%s", e.RuleID, strings.Join(cond, ","),
		e.ExpiresAt.UTC().Format(time.RFC3339), e.Reason)
	if err := s.record(ctx, p, "rule.exception_add", e.UnitID, "exception:"+strconv.FormatInt(e.ID, 10), detail); err != nil {
		return e, err
	}
	return e, s.Reload(ctx)
}

// DeleteException removes exception id, then reloads the policy.
func (s *Service) DeleteException(ctx context.Context, p *authz.Principal, id int64) error {
	all, err := s.store.ListExceptions(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(e Exception) bool { return e.ID == id })
	if i < 0 {
		return fmt.Errorf("exception %d: %w", id, errs.ErrNotFound)
	}
	if err := p.Authorize(authz.PermRuleManage, all[i].UnitID); err != nil {
		return err
	}
	if err := s.store.DeleteException(ctx, id); err != nil {
		return err
	}
	if err := s.record(ctx, p, "rule.exception_delete", all[i].UnitID, "exception:"+strconv.FormatInt(id, 10), ""); err != nil {
		return err
	}
	return s.Reload(ctx)
}
