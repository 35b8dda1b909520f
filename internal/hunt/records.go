package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
)

// Records manages hunts as records: opening, running (as a background
// job the caller schedules), closing with a conclusion.
type Records struct {
	store Store
	hunts *Service
	o     RecordOptions
}

// RecordOptions configure Records.
type RecordOptions struct {
	Audit *audit.Log
	// Sigma compiles the rules of a Sigma hunt: the given ids among the
	// configured rules, or all of them when ids is empty.
	Sigma func(ids []string) (*detect.Engine, error)
	// SweepQuery returns the LogsQL filter selecting the candidates of the
	// active indicators of unit (of source, when not empty) and a function
	// naming the indicator an event really matches (ok false: none).
	SweepQuery func(ctx context.Context, unit int64, source string) (SweepSource, error)
	// OnClose is called after a hunt is closed (to record the obligation).
	OnClose func(ctx context.Context, h Hunt)
	Now     func() time.Time
}

// SweepSource is what an IOC sweep needs of the active indicators.
type SweepSource struct {
	// Query is the LogsQL filter selecting the candidates ("" when there is
	// no indicator).
	Query string
	// Fields are the event fields Which needs (those the indicators are
	// compared with): all a sweep reads of each candidate (Service.Sweep);
	// nil reads the candidates whole (slow).
	Fields []string
	// Exact says every candidate matches (see SweepSpec.Exact).
	Exact bool
	// Values are the values Query looks for in Fields, when that is all
	// it does (see SweepSpec.Values).
	Values []string
	// Which names the indicator an event really matches (ok false: none).
	Which func(event.Event) (key, label string, ok bool)
	// Sighting, when set, records n matches like e (a partial event: unit,
	// host, the indicator fields) of hunt huntID seen from first to last.
	Sighting func(ctx context.Context, huntID int64, e *event.Event, n int64, first, last time.Time) error
}

// NewRecords returns Records over store, running queries with hunts.
func NewRecords(store Store, hunts *Service, o RecordOptions) *Records {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Records{store: store, hunts: hunts, o: o}
}

func (r *Records) record(ctx context.Context, p *authz.Principal, action string, h Hunt, detail string) error {
	if r.o.Audit == nil {
		return nil
	}
	return r.o.Audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: h.UnitID,
		Action: action, Target: "hunt:" + strconv.FormatInt(h.ID, 10), Detail: detail})
}

// Open validates and stores a new hunt by p (permission hunt.write on its unit).
func (r *Records) Open(ctx context.Context, p *authz.Principal, h Hunt) (Hunt, error) {
	if err := p.Authorize(authz.PermHuntWrite, h.UnitID); err != nil {
		return Hunt{}, err
	}
	h.ID, h.Status, h.Progress, h.Matches, h.Error, h.Outcome, h.Conclusion = 0, Planned, 0, 0, "", "", ""
	h.StartedAt, h.FinishedAt, h.ClosedAt, h.JobID = time.Time{}, time.Time{}, time.Time{}, 0
	if err := h.Validate(); err != nil {
		return Hunt{}, err
	}
	if h.Kind != KindQuery && h.Query == "" {
		h.Query = ""
	}
	h.AnalystID, h.Analyst = p.UserID, p.Username
	now := r.o.Now()
	h.CreatedAt, h.UpdatedAt = now, now
	if err := r.store.CreateHunt(ctx, &h); err != nil {
		return Hunt{}, err
	}
	return h, r.record(ctx, p, "hunt.open", h, string(h.Kind)+": "+h.Title)
}

// Get returns a hunt p may see (event.read on its unit).
func (r *Records) Get(ctx context.Context, p *authz.Principal, id int64) (Hunt, error) {
	h, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return Hunt{}, err
	}
	return h, p.Authorize(authz.PermEventRead, h.UnitID)
}

// List returns the hunts of p's units that f selects.
func (r *Records) List(ctx context.Context, p *authz.Principal, f Filter) ([]Hunt, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return r.store.ListHunts(ctx, f)
}

// Results returns the kept results of a hunt p may see.
func (r *Records) Results(ctx context.Context, p *authz.Principal, id int64, offset, limit int) ([]Result, error) {
	if _, err := r.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return r.store.ListResults(ctx, id, offset, limit)
}

// Start marks a planned, done or failed hunt as running with job jobID
// (the caller submits the job that calls Execute).
func (r *Records) Start(ctx context.Context, p *authz.Principal, id int64, jobID int64) (Hunt, error) {
	cur, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return Hunt{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Hunt{}, err
	}
	h, err := r.store.UpdateHunt(ctx, id, func(h *Hunt) error {
		if h.Status == Running || h.Status == Closed {
			return errs.Public(errs.ErrConflict, "err.hunt_state")
		}
		h.Status, h.Progress, h.Error, h.JobID, h.StartedAt, h.FinishedAt = Running, 0, "", jobID, r.o.Now(), time.Time{}
		return nil
	})
	if err != nil {
		return Hunt{}, err
	}
	return h, r.record(ctx, p, "hunt.run", h, "")
}

// SetJob records the job running hunt id.
func (r *Records) SetJob(ctx context.Context, id, jobID int64) (Hunt, error) {
	return r.store.UpdateHunt(ctx, id, func(h *Hunt) error {
		h.JobID = jobID
		return nil
	})
}

// Abort marks a hunt whose job could not be submitted as failed.
func (r *Records) Abort(ctx context.Context, id int64, cause error) {
	_, _ = r.store.UpdateHunt(ctx, id, func(h *Hunt) error {
		if h.Status == Running {
			h.Status, h.Error, h.FinishedAt = Failed, truncate(cause.Error(), 2000), r.o.Now()
		}
		return nil
	})
}

// CanStart checks, before a job is submitted, that p may run hunt id.
func (r *Records) CanStart(ctx context.Context, p *authz.Principal, id int64) (Hunt, error) {
	h, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return Hunt{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, h.UnitID); err != nil {
		return Hunt{}, err
	}
	if h.Status == Running || h.Status == Closed {
		return Hunt{}, errs.Public(errs.ErrConflict, "err.hunt_state")
	}
	return h, nil
}

// Execute runs hunt id (marked running by Start) as p, keeping up to
// MaxResults matching events, and records done or failed. progress gets
// the fraction done.
func (r *Records) Execute(ctx context.Context, p *authz.Principal, id int64, progress func(float64)) error {
	h, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return err
	}
	var results []Result
	var matches int64
	keep := func(key, label string, e *event.Event) {
		matches++
		if e == nil || len(results) >= MaxResults {
			return
		}
		b, _ := json.Marshal(e)
		results = append(results, Result{HuntID: id, Seq: len(results), Key: key, Label: label, Time: e.Time, UnitID: e.UnitID,
			Host: e.Fields[event.FieldHostName], Event: string(b)})
	}
	lastSave := time.Time{}
	report := func(f float64) {
		if progress != nil {
			progress(f)
		}
		if now := r.o.Now(); now.Sub(lastSave) > 2*time.Second {
			lastSave = now
			_, _ = r.store.UpdateHunt(context.WithoutCancel(ctx), id, func(h *Hunt) error { h.Progress = f; return nil })
		}
	}
	q := Query{Expr: h.Query, From: h.From, To: h.To, Units: []int64{h.UnitID}}
	switch h.Kind {
	case KindQuery:
		err = r.runQuery(ctx, p, q, keep, func(n int64) { matches += n }, report)
	case KindSigma:
		err = r.runSigma(ctx, p, h, q, keep, report)
	case KindIOC:
		err = r.runSweep(ctx, p, h, q, keep, func(n int64) { matches += n }, report)
	default:
		err = fmt.Errorf("hunt %d: unknown kind %q", id, h.Kind)
	}
	slices.SortStableFunc(results, func(a, b Result) int { return a.Time.Compare(b.Time) })
	for i := range results {
		results[i].Seq = i
	}
	bg := context.WithoutCancel(ctx)
	if err == nil {
		err = r.store.ReplaceResults(bg, id, results)
	}
	_, uerr := r.store.UpdateHunt(bg, id, func(h *Hunt) error {
		h.FinishedAt, h.Matches = r.o.Now(), matches
		if err != nil {
			h.Status, h.Error = Failed, truncate(publicText(err), 2000)
			return nil
		}
		h.Status, h.Progress, h.Error = Done, 1, ""
		return nil
	})
	return errors.Join(err, uerr)
}

func publicText(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// runQuery keeps the events of a LogsQL hunt (the newest MaxResults) and
// counts all matches with the histogram.
func (r *Records) runQuery(ctx context.Context, p *authz.Principal, q Query, keep func(string, string, *event.Event), more func(int64), report func(float64)) error {
	q.Limit = MaxResults
	page, err := r.hunts.Search(ctx, p, q)
	if err != nil {
		return err
	}
	var total uint64
	for _, s := range page.Histogram.Series {
		total += s.Total
	}
	for i := range page.Events {
		keep("", "", &page.Events[i])
	}
	// Count the matches beyond the kept page, from the histogram.
	if extra := int64(total) - int64(len(page.Events)); extra > 0 {
		more(extra)
	}
	report(1)
	return nil
}

func (r *Records) runSigma(ctx context.Context, p *authz.Principal, h Hunt, q Query, keep func(string, string, *event.Event), report func(float64)) error {
	if r.o.Sigma == nil {
		return errors.New("Sigma retro-hunts are not available")
	}
	eng, err := r.o.Sigma(h.RuleIDs)
	if err != nil {
		return err
	}
	_, err = r.hunts.RetroHunt(ctx, p, eng, q, func(m RetroMatch) error {
		id := m.Rule.ID
		if id == "" {
			id = m.Rule.Title
		}
		keep(id, m.Rule.Title, m.Event)
		return nil
	}, report)
	return err
}

func (r *Records) runSweep(ctx context.Context, p *authz.Principal, h Hunt, q Query, keep func(string, string, *event.Event),
	add func(int64), report func(float64)) error {
	if r.o.SweepQuery == nil {
		return errors.New("IOC sweeps are not available")
	}
	src, err := r.o.SweepQuery(ctx, h.UnitID, h.IndicatorSource)
	if err != nil {
		return err
	}
	if src.Query == "" {
		report(1)
		return nil // no active indicator: nothing can match
	}
	q.Expr = src.Query
	if strings.TrimSpace(h.Query) != "" {
		q.Expr = "(" + src.Query + ") (" + h.Query + ")"
	}
	if src.Fields == nil {
		_, err = r.hunts.Each(ctx, p, q, func(e *event.Event) error {
			if key, label, ok := src.Which(*e); ok {
				keep(key, label, e)
			}
			return nil
		}, report)
		return err
	}
	var group func(*event.Event, int64, time.Time, time.Time) error
	if src.Sighting != nil && h.FinishedAt.IsZero() { // the first run only: a re-run would count the same events again
		group = func(e *event.Event, n int64, first, last time.Time) error {
			return src.Sighting(ctx, h.ID, e, n, first, last)
		}
	}
	values := src.Values
	if strings.TrimSpace(h.Query) != "" {
		values = nil // the hunt's own filter narrows the candidates
	}
	st, err := r.hunts.Sweep(ctx, p, q, SweepSpec{Fields: src.Fields, Exact: src.Exact, Keep: MaxResults, Group: group, Values: values,
		Match: func(e *event.Event) bool {
			_, _, ok := src.Which(*e)
			return ok
		},
		Found: func(e *event.Event) error {
			key, label, _ := src.Which(*e)
			keep(key, label, e)
			return nil
		}}, report)
	if err == nil {
		add(int64(st.Matched - st.Kept)) // keep counted the kept ones
	}
	return err
}

// Close closes a done hunt with an outcome and a conclusion (hunt.write).
func (r *Records) Close(ctx context.Context, p *authz.Principal, id int64, outcome Outcome, conclusion string) (Hunt, error) {
	cur, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return Hunt{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Hunt{}, err
	}
	conclusion = strings.TrimSpace(conclusion)
	if !slices.Contains(Outcomes, outcome) {
		return Hunt{}, errs.Invalid("outcome", "err.invalid")
	}
	if conclusion == "" || utf8.RuneCountInString(conclusion) > MaxHypothesis {
		return Hunt{}, errs.Invalid("conclusion", "err.hunt_conclusion")
	}
	h, err := r.store.UpdateHunt(ctx, id, func(h *Hunt) error {
		if h.Status != Done {
			return errs.Public(errs.ErrConflict, "err.hunt_state")
		}
		h.Status, h.Outcome, h.Conclusion, h.ClosedAt = Closed, outcome, conclusion, r.o.Now()
		return nil
	})
	if err != nil {
		return Hunt{}, err
	}
	if r.o.OnClose != nil {
		r.o.OnClose(ctx, h)
	}
	return h, r.record(ctx, p, "hunt.close", h, string(outcome))
}

// LinkIncident records that incident case caseID was opened from hunt id
// (hunt.write on its unit). A hunt leads to one case: linking it again to
// another is errs.ErrConflict.
func (r *Records) LinkIncident(ctx context.Context, p *authz.Principal, id, caseID int64) (Hunt, error) {
	cur, err := r.store.GetHunt(ctx, id)
	if err != nil {
		return Hunt{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Hunt{}, err
	}
	if caseID <= 0 {
		return Hunt{}, errs.Invalid("incident_id", "err.invalid")
	}
	h, err := r.store.UpdateHunt(ctx, id, func(h *Hunt) error {
		if h.IncidentID != 0 && h.IncidentID != caseID {
			return errs.Public(errs.ErrConflict, "err.hunt_has_incident")
		}
		h.IncidentID = caseID
		return nil
	})
	if err != nil {
		return Hunt{}, err
	}
	return h, r.record(ctx, p, "hunt.incident", h, "incident:"+strconv.FormatInt(caseID, 10))
}
