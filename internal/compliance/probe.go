package compliance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
)

// Status is the verdict of a probe on its requirements.
type Status string

// The statuses a Result may carry.
const (
	// StatusMet means the data shows the requirements are satisfied.
	StatusMet Status = "met"
	// StatusNotMet means the data shows the requirements are not satisfied.
	StatusNotMet Status = "not_met"
	// StatusUnknown means the data is missing, stale or not conclusive.
	StatusUnknown Status = "unknown"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusMet, StatusNotMet, StatusUnknown:
		return true
	}
	return false
}

// Subject is what a probe evaluates: one information system, the unit that
// owns it and the system's security level.
type Subject struct {
	SystemID int64
	UnitID   int64
	Level    int
}

// Result is what a probe found for a subject.
type Result struct {
	// Status is the verdict.
	Status Status
	// At is when the facts were observed. Registry.Run sets it to its clock
	// when a probe leaves it zero.
	At time.Time
	// Proof says in plain words what was checked and what was found, in
	// English; ProofVI says the same in Vietnamese.
	Proof   string
	ProofVI string
	// Facts holds machine-readable findings (snake_case keys). It belongs
	// to the receiver of the Result.
	Facts map[string]string
}

// ProofIn returns the proof in lang ("vi" or "en"), falling back to English.
func (r Result) ProofIn(lang string) string {
	if lang == "vi" && r.ProofVI != "" {
		return r.ProofVI
	}
	return r.Proof
}

// Probe evaluates requirements of a regulation pack from Khiên's own data.
//
// Concurrency: all methods must be safe for concurrent use; Evaluate may be
// called for several subjects at the same time.
//
// Ownership: ID, Requirements and Freshness must return the same values for
// the life of the probe. The slice returned by Requirements belongs to the
// probe and callers must not modify it. The Result returned by Evaluate,
// including its Facts map, belongs to the caller; the probe must not retain
// or modify it after returning.
//
// Cancellation: Evaluate must honour ctx and return promptly, with an error
// wrapping ctx.Err(), when it is cancelled. It must not start goroutines that
// outlive the call.
//
// Errors: Evaluate returns an error only when it could not look at the data
// (storage down, subject not found); missing or inconclusive data is a
// Result with StatusUnknown, not an error.
type Probe interface {
	// ID is a stable, unique identifier such as "admin_mfa".
	ID() string
	// Requirements lists the requirement IDs the probe gives evidence for.
	Requirements() []string
	// Freshness is how long a Result stays valid; older results are stale.
	Freshness() time.Duration
	// Evaluate inspects the data for s and returns the verdict.
	Evaluate(ctx context.Context, s Subject) (Result, error)
}

// Outcome is the result of running one probe in Registry.Run. When Err is not
// nil, Result has StatusUnknown and says why in its Proof.
type Outcome struct {
	ProbeID string
	Result  Result
	Err     error
}

// Registry holds the probes known to the application. Register probes at
// start-up; all methods are safe for concurrent use. The zero value is an
// empty registry ready to use.
type Registry struct {
	mu     sync.RWMutex
	probes map[string]Probe    // by probe ID
	byReq  map[string][]string // requirement ID -> sorted probe IDs
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{}
}

// Register adds p. It panics when p is nil, has an empty ID, an ID already
// registered, no requirements or a non-positive freshness: these are
// programmer errors found at start-up.
func (r *Registry) Register(p Probe) {
	if p == nil {
		panic("compliance: register nil probe")
	}
	id := p.ID()
	if id == "" {
		panic("compliance: register probe with empty ID")
	}
	reqs := slices.Clone(p.Requirements())
	if len(reqs) == 0 {
		panic(fmt.Sprintf("compliance: probe %q has no requirements", id))
	}
	if slices.Contains(reqs, "") {
		panic(fmt.Sprintf("compliance: probe %q has an empty requirement ID", id))
	}
	if p.Freshness() <= 0 {
		panic(fmt.Sprintf("compliance: probe %q has non-positive freshness %v", id, p.Freshness()))
	}
	slices.Sort(reqs)
	reqs = slices.Compact(reqs)

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.probes[id]; dup {
		panic(fmt.Sprintf("compliance: duplicate probe ID %q", id))
	}
	if r.probes == nil {
		r.probes = make(map[string]Probe)
		r.byReq = make(map[string][]string)
	}
	r.probes[id] = p
	for _, req := range reqs {
		ids := append(r.byReq[req], id)
		slices.Sort(ids)
		r.byReq[req] = ids
	}
}

// For returns the probes that give evidence for requirementID, ordered by
// probe ID. It returns nil when none does. The slice belongs to the caller.
func (r *Registry) For(requirementID string) []Probe {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := r.byReq[requirementID]
	if len(ids) == 0 {
		return nil
	}
	out := make([]Probe, len(ids))
	for i, id := range ids {
		out[i] = r.probes[id]
	}
	return out
}

// Probes returns every registered probe, ordered by probe ID. The slice
// belongs to the caller.
func (r *Registry) Probes() []Probe {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Probe, 0, len(r.probes))
	for _, p := range r.probes {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Probe) int { return strings.Compare(a.ID(), b.ID()) })
	return out
}

// Run evaluates every registered probe for s, one after another in probe-ID
// order, and returns one Outcome per probe in that order. now stamps results
// that leave At zero and the outcomes of failed probes.
//
// A probe that returns an error, returns an invalid status or panics yields
// an Outcome with Err set and StatusUnknown; the other probes still run.
// When ctx is cancelled, the probes not yet run yield outcomes whose Err
// wraps ctx.Err().
func (r *Registry) Run(ctx context.Context, s Subject, now func() time.Time) []Outcome {
	probes := r.Probes()
	out := make([]Outcome, 0, len(probes))
	for _, p := range probes {
		out = append(out, runOne(ctx, p, s, now))
	}
	return out
}

func runOne(ctx context.Context, p Probe, s Subject, now func() time.Time) Outcome {
	id := p.ID()
	fail := func(err error, proof string) Outcome {
		return Outcome{
			ProbeID: id,
			Result:  Result{Status: StatusUnknown, At: now(), Proof: proof},
			Err:     err,
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(fmt.Errorf("run probe %s: %w", id, err), "Not evaluated: the run was cancelled.")
	}
	res, err := evaluateSafely(ctx, p, s)
	switch {
	case err != nil:
		return fail(fmt.Errorf("run probe %s: %w", id, err), "Not evaluated: the probe failed.")
	case !res.Status.Valid():
		return fail(fmt.Errorf("run probe %s: status %q: %w", id, res.Status, errs.ErrInvalid),
			"Not evaluated: the probe returned an invalid status.")
	}
	if res.At.IsZero() {
		res.At = now()
	}
	return Outcome{ProbeID: id, Result: res}
}

// ErrProbePanic is wrapped by the Err of an Outcome whose probe panicked.
var ErrProbePanic = errors.New("probe panicked")

func evaluateSafely(ctx context.Context, p Probe, s Subject) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = Result{}, fmt.Errorf("%w: %v", ErrProbePanic, v)
		}
	}()
	return p.Evaluate(ctx, s)
}

// Stale reports whether r is too old to be trusted at now: its age exceeds
// freshness. A result exactly freshness old is still fresh. A result with a
// zero At, or a non-positive freshness, is always stale.
func Stale(r Result, freshness time.Duration, now time.Time) bool {
	if r.At.IsZero() || freshness <= 0 {
		return true
	}
	return now.Sub(r.At) > freshness
}

// Effective is the status to show for r at now: StatusUnknown when r is
// stale or carries an invalid status, otherwise r.Status. A met item thus
// turns unknown by itself when its evidence is not refreshed.
func Effective(r Result, freshness time.Duration, now time.Time) Status {
	if Stale(r, freshness, now) || !r.Status.Valid() {
		return StatusUnknown
	}
	return r.Status
}
