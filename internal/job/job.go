// Package job runs background work (imports, hunts, reports, verification)
// with persisted status, progress and cancellation.
package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
)

// Status is the lifecycle state of a job.
type Status string

// The statuses. Queued and running are active; the others are final.
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
)

// Final reports whether s is a terminal status.
func (s Status) Final() bool { return s == Succeeded || s == Failed || s == Cancelled }

// Job is one unit of background work.
type Job struct {
	ID              int64     `json:"id"`
	Kind            string    `json:"kind"`
	UnitID          int64     `json:"unit_id,omitempty"`
	CreatedBy       int64     `json:"created_by,omitempty"`
	Status          Status    `json:"status"`
	Done            int64     `json:"done"`
	Total           int64     `json:"total"`
	Message         string    `json:"message,omitempty"`
	Error           string    `json:"error,omitempty"`
	Params          string    `json:"params,omitempty"`
	Result          string    `json:"result,omitempty"`
	CancelRequested bool      `json:"cancel_requested,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	StartedAt       time.Time `json:"started_at,omitzero"`
	FinishedAt      time.Time `json:"finished_at,omitzero"`
}

// Percent returns progress in percent, or -1 when the total is unknown.
func (j Job) Percent() int {
	if j.Total <= 0 {
		if j.Status == Succeeded {
			return 100
		}
		return -1
	}
	p := int(j.Done * 100 / j.Total)
	return min(max(p, 0), 100)
}

// Filter selects jobs. Units nil means all; jobs with UnitID 0 are included
// only when IncludeGlobal is set.
type Filter struct {
	Units         []int64
	IncludeGlobal bool
	Status        Status
	BeforeID      int64
	Limit         int
}

// Store persists jobs. UpdateJob writes every mutable field except
// CancelRequested, which only RequestJobCancel sets. ClaimJob atomically
// moves a queued job whose cancellation was not requested to Running with
// StartedAt = at, and reports whether it did: of two workers (or nodes)
// only one claims a job. FailActiveJobs marks every running job failed
// with reason (used at start-up, after a crash) and returns how many it
// changed.
type Store interface {
	CreateJob(ctx context.Context, j *Job) error
	GetJob(ctx context.Context, id int64) (Job, error)
	UpdateJob(ctx context.Context, j *Job) error
	ClaimJob(ctx context.Context, id int64, at time.Time) (bool, error)
	ListJobs(ctx context.Context, f Filter) ([]Job, error)
	RequestJobCancel(ctx context.Context, id int64) error
	FailActiveJobs(ctx context.Context, reason string, now time.Time) (int, error)
}

// Func does the work of a job. It reports progress through p and must
// return promptly once ctx is cancelled.
type Func func(ctx context.Context, p *Progress) error

// Spec describes a job to submit.
type Spec struct {
	Kind      string
	UnitID    int64
	CreatedBy int64
	Params    string
}

// Runner executes submitted jobs on a fixed number of workers.
// Submit, Cancel and Get may be called concurrently with Run.
type Runner struct {
	store    Store
	logger   *slog.Logger
	workers  int
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	funcs   map[string]Func
	cancels map[int64]context.CancelFunc
	queue   chan int64
}

// Options configure a Runner.
type Options struct {
	Workers int // default 2
	// FlushInterval bounds how often progress is written to the store (default 500ms).
	FlushInterval time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// NewRunner returns a runner over store.
func NewRunner(store Store, opts Options) *Runner {
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 500 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{
		store: store, logger: opts.Logger.With("component", "job"), workers: opts.Workers,
		interval: opts.FlushInterval, now: opts.Now,
		funcs: make(map[string]Func), cancels: make(map[int64]context.CancelFunc),
		queue: make(chan int64, 1024),
	}
}

// Register adds a job kind. It panics on a duplicate kind (a programmer error at start-up).
func (r *Runner) Register(kind string, fn Func) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[kind]; dup {
		panic("job: duplicate kind " + kind)
	}
	r.funcs[kind] = fn
}

// Known reports whether kind is registered.
func (r *Runner) Known(kind string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.funcs[kind]
	return ok
}

// Submit persists a queued job and schedules it.
func (r *Runner) Submit(ctx context.Context, s Spec) (Job, error) {
	if !r.Known(s.Kind) {
		return Job{}, errs.Invalid("kind", "err.job_kind", s.Kind)
	}
	j := Job{Kind: s.Kind, UnitID: s.UnitID, CreatedBy: s.CreatedBy, Params: s.Params,
		Status: Queued, CreatedAt: r.now().UTC()}
	if err := r.store.CreateJob(ctx, &j); err != nil {
		return Job{}, fmt.Errorf("create job: %w", err)
	}
	select {
	case r.queue <- j.ID:
	default:
		// The queue is full: the job stays queued in the store and is picked
		// up at the next start. Say so rather than lose it silently.
		r.logger.Warn("job queue full, job deferred", "job_id", j.ID)
	}
	return j, nil
}

// Cancel requests cancellation of a queued or running job.
func (r *Runner) Cancel(ctx context.Context, id int64) error {
	j, err := r.store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if j.Status.Final() {
		return errs.Public(errs.ErrConflict, "err.job_finished")
	}
	if err := r.store.RequestJobCancel(ctx, id); err != nil {
		return fmt.Errorf("request cancel: %w", err)
	}
	r.mu.Lock()
	cancel := r.cancels[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// Get returns a job.
func (r *Runner) Get(ctx context.Context, id int64) (Job, error) { return r.store.GetJob(ctx, id) }

// List returns jobs, newest first.
func (r *Runner) List(ctx context.Context, f Filter) ([]Job, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return r.store.ListJobs(ctx, f)
}

// Run executes jobs until ctx is cancelled. Jobs left running by a previous
// process are marked failed; jobs left queued are run.
func (r *Runner) Run(ctx context.Context) error {
	if _, err := r.store.FailActiveJobs(ctx, "interrupted by shutdown", r.now().UTC()); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("recover jobs: %w", err)
	}
	queued, err := r.store.ListJobs(ctx, Filter{Status: Queued, Limit: 10000, IncludeGlobal: true})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("list queued jobs: %w", err)
	}
	var wg sync.WaitGroup
	for range r.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-r.queue:
					r.execute(ctx, id)
				}
			}
		})
	}
	for i := len(queued) - 1; i >= 0; i-- {
		select {
		case r.queue <- queued[i].ID:
		case <-ctx.Done():
		}
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (r *Runner) execute(parent context.Context, id int64) {
	// Persisting the outcome must survive the cancellation of the job itself.
	store := context.WithoutCancel(parent)
	j, err := r.store.GetJob(store, id)
	if err != nil {
		r.logger.Error("load job", "job_id", id, "err", err)
		return
	}
	if j.Status != Queued {
		return
	}
	r.mu.Lock()
	fn := r.funcs[j.Kind]
	r.mu.Unlock()
	if fn == nil {
		j.Status, j.Error, j.FinishedAt = Failed, "unknown job kind", r.now().UTC()
		r.save(store, &j)
		return
	}
	// The cancel func is registered before the claim, so that a Cancel
	// arriving at any moment either stops the claim (the store refuses a job
	// whose cancellation was requested) or reaches the running job.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	r.mu.Lock()
	r.cancels[id] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.cancels, id)
		r.mu.Unlock()
	}()
	started := r.now().UTC()
	claimed, err := r.store.ClaimJob(store, id, started)
	if err != nil {
		r.logger.Error("claim job", "job_id", id, "err", err)
		return
	}
	if !claimed {
		// Another worker has it, or it was cancelled while queued.
		if j, err = r.store.GetJob(store, id); err == nil && j.Status == Queued && j.CancelRequested {
			j.Status, j.FinishedAt = Cancelled, r.now().UTC()
			r.save(store, &j)
		}
		return
	}
	j.Status, j.StartedAt = Running, started
	p := &Progress{r: r, job: &j, ctx: store, cancel: cancel}
	err = r.call(ctx, fn, p)

	p.mu.Lock()
	defer p.mu.Unlock()
	j.FinishedAt = r.now().UTC()
	switch {
	case err == nil:
		j.Status = Succeeded
	case parent.Err() != nil:
		j.Status, j.Error = Failed, "interrupted by shutdown"
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		j.Status = Cancelled
	default:
		j.Status, j.Error = Failed, err.Error()
	}
	r.logger.Info("job finished", "job_id", j.ID, "kind", j.Kind, "status", j.Status)
	r.save(store, &j)
}

// call runs fn, turning a panic into an error so one bad job cannot stop the runner.
func (r *Runner) call(ctx context.Context, fn Func, p *Progress) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job panicked: %v", v)
		}
	}()
	return fn(ctx, p)
}

func (r *Runner) save(ctx context.Context, j *Job) {
	if err := r.store.UpdateJob(ctx, j); err != nil {
		r.logger.Error("save job", "job_id", j.ID, "err", err)
	}
}

// Progress is handed to a running job to report progress. Its methods are
// safe for concurrent use; writes to the store are throttled.
type Progress struct {
	r       *Runner
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	job     *Job
	flushed time.Time
}

// Job returns a copy of the job as it stands.
func (p *Progress) Job() Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.job
}

// SetTotal sets the expected amount of work.
func (p *Progress) SetTotal(total int64) { p.update(func(j *Job) { j.Total = total }) }

// Add records n more units of work done.
func (p *Progress) Add(n int64) { p.update(func(j *Job) { j.Done += n }) }

// Set sets done and total at once.
func (p *Progress) Set(done, total int64) { p.update(func(j *Job) { j.Done, j.Total = done, total }) }

// Message sets a short human-readable status line.
func (p *Progress) Message(msg string) { p.update(func(j *Job) { j.Message = msg }) }

// SetResult records the job's result (a short text or JSON document).
func (p *Progress) SetResult(res string) { p.update(func(j *Job) { j.Result = res }) }

func (p *Progress) update(f func(*Job)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p.job)
	now := p.r.now()
	if now.Sub(p.flushed) >= p.r.interval {
		p.flushed = now
		p.r.save(p.ctx, p.job)
		// A cancellation requested through another node only reaches the
		// store: look for it at each flush.
		if cur, err := p.r.store.GetJob(p.ctx, p.job.ID); err == nil && cur.CancelRequested && p.cancel != nil {
			p.cancel()
		}
	}
}
