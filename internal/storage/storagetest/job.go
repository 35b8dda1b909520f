package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/job"
)

func testJobs(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		in := job.Job{Kind: "import.evtx", UnitID: 4, CreatedBy: 9, Status: job.Queued, Total: 100,
			Message: "waiting", Params: `{"file":"Security.evtx"}`, CreatedAt: t0}
		j := in
		ok(t, "create", b.CreateJob(ctx, &j))
		if j.ID <= 0 {
			t.Fatalf("CreateJob set ID %d, want > 0", j.ID)
		}
		want := in
		want.ID, want.CreatedAt = j.ID, stored(t0)
		if d := diff(want, j); d != "" {
			t.Errorf("CreateJob did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetJob(ctx, j.ID)
		ok(t, "get", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetJob (-want +got):\n%s", d)
		}
		checkUTC(t, "GetJob", got.CreatedAt)
		if !got.StartedAt.IsZero() || !got.FinishedAt.IsZero() {
			t.Errorf("zero times came back as StartedAt=%v FinishedAt=%v", got.StartedAt, got.FinishedAt)
		}

		blank := job.Job{Kind: "noop"}
		ok(t, "create with defaults", b.CreateJob(ctx, &blank))
		got, err = b.GetJob(ctx, blank.ID)
		ok(t, "get", err)
		if got.Status != job.Queued || got.CreatedAt.IsZero() {
			t.Errorf("a job created without status or time came back as %q at %v, want queued at about now", got.Status, got.CreatedAt)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		_, err := b.GetJob(ctx, 123)
		wantKind(t, "GetJob", err, errs.ErrNotFound)
		wantKind(t, "UpdateJob", b.UpdateJob(ctx, &job.Job{ID: 123, Status: job.Running}), errs.ErrNotFound)
		wantKind(t, "RequestJobCancel", b.RequestJobCancel(ctx, 123), errs.ErrNotFound)
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		j := job.Job{Kind: "report", UnitID: 2, CreatedBy: 5, Status: job.Queued, Params: "p", CreatedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &j))
		upd := j
		upd.Status, upd.Done, upd.Total, upd.Message = job.Succeeded, 7, 7, "all done"
		upd.Error, upd.Result = "", `{"pages":7}`
		upd.StartedAt, upd.FinishedAt = t0.Add(time.Second), t0.Add(time.Minute+500)
		upd.CancelRequested = true // only RequestJobCancel sets it
		ok(t, "update", b.UpdateJob(ctx, &upd))
		got, err := b.GetJob(ctx, j.ID)
		ok(t, "get", err)
		want := upd
		want.CancelRequested = false
		want.StartedAt, want.FinishedAt = stored(upd.StartedAt), stored(upd.FinishedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("after UpdateJob (-want +got):\n%s", d)
		}
	})

	t.Run("request_cancel", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		j := job.Job{Kind: "hunt", Status: job.Running, CreatedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &j))
		ok(t, "request cancel", b.RequestJobCancel(ctx, j.ID))
		got, err := b.GetJob(ctx, j.ID)
		ok(t, "get", err)
		if !got.CancelRequested {
			t.Fatal("CancelRequested not set by RequestJobCancel")
		}
		// A progress write from the running job must not clear the request.
		j.Done = 3
		ok(t, "update", b.UpdateJob(ctx, &j))
		got, err = b.GetJob(ctx, j.ID)
		ok(t, "get", err)
		if !got.CancelRequested || got.Done != 3 {
			t.Errorf("after UpdateJob: CancelRequested=%v Done=%d, want true and 3", got.CancelRequested, got.Done)
		}
	})

	t.Run("claim", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		j := job.Job{Kind: "hunt", Status: job.Queued, CreatedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &j))
		// Of several concurrent claims exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				claimed, err := b.ClaimJob(ctx, j.ID, t0.Add(time.Second))
				if err != nil {
					t.Error(err)
				}
				if claimed {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d claims won, want 1", wins.Load())
		}
		got, err := b.GetJob(ctx, j.ID)
		ok(t, "get", err)
		if got.Status != job.Running || !got.StartedAt.Equal(t0.Add(time.Second).Truncate(time.Microsecond)) {
			t.Errorf("claimed job: status %s started %v", got.Status, got.StartedAt)
		}
		// A queued job whose cancellation was requested is not claimed.
		k := job.Job{Kind: "hunt", Status: job.Queued, CreatedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &k))
		ok(t, "request cancel", b.RequestJobCancel(ctx, k.ID))
		if claimed, err := b.ClaimJob(ctx, k.ID, t0); err != nil || claimed {
			t.Errorf("claim of a cancelled job = %v, %v", claimed, err)
		}
		if claimed, err := b.ClaimJob(ctx, 999999, t0); err != nil || claimed {
			t.Errorf("claim of an unknown job = %v, %v", claimed, err)
		}
	})

	t.Run("fail_active", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		ids := map[job.Status][]int64{}
		for _, s := range []job.Status{job.Queued, job.Running, job.Running, job.Succeeded, job.Failed, job.Cancelled} {
			j := job.Job{Kind: "k", Status: s, CreatedAt: t0}
			if s == job.Running {
				j.StartedAt = t0.Add(time.Second)
			}
			ok(t, "create", b.CreateJob(ctx, &j))
			ids[s] = append(ids[s], j.ID)
		}
		now := t0.Add(time.Hour)
		n, err := b.FailActiveJobs(ctx, "interrupted by shutdown", now)
		ok(t, "fail active", err)
		if n != 2 {
			t.Errorf("FailActiveJobs = %d, want 2 (the running jobs)", n)
		}
		for _, id := range ids[job.Running] {
			got, err := b.GetJob(ctx, id)
			ok(t, "get", err)
			if got.Status != job.Failed || got.Error != "interrupted by shutdown" || !got.FinishedAt.Equal(stored(now)) ||
				!got.StartedAt.Equal(stored(t0.Add(time.Second))) {
				t.Errorf("running job after FailActiveJobs: %+v", got)
			}
		}
		for _, s := range []job.Status{job.Queued, job.Succeeded, job.Failed, job.Cancelled} {
			got, err := b.GetJob(ctx, ids[s][0])
			ok(t, "get", err)
			if got.Status != s || got.Error != "" {
				t.Errorf("%s job changed by FailActiveJobs: %+v", s, got)
			}
		}
		n, err = b.FailActiveJobs(ctx, "again", now)
		ok(t, "fail active again", err)
		if n != 0 {
			t.Errorf("second FailActiveJobs = %d, want 0", n)
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		// id: unit, status
		for _, j := range []job.Job{
			{UnitID: 0, Status: job.Queued},    // 1
			{UnitID: 1, Status: job.Running},   // 2
			{UnitID: 2, Status: job.Queued},    // 3
			{UnitID: 1, Status: job.Succeeded}, // 4
			{UnitID: 0, Status: job.Running},   // 5
			{UnitID: 2, Status: job.Failed},    // 6
			{UnitID: 1, Status: job.Queued},    // 7
		} {
			j.Kind, j.CreatedAt = "k", t0
			ok(t, "create", b.CreateJob(ctx, &j))
		}
		all, err := b.ListJobs(ctx, job.Filter{IncludeGlobal: true})
		ok(t, "list all", err)
		if len(all) != 7 {
			t.Fatalf("ListJobs(all) returned %d jobs, want 7", len(all))
		}
		// ids are assigned in creation order; map positions to ids.
		id := make([]int64, 8)
		for i, j := range all {
			id[7-i] = j.ID
		}
		for i := 1; i < 7; i++ {
			if id[i] >= id[i+1] {
				t.Fatalf("ListJobs(all) is not newest first: ids %v", id[1:])
			}
		}
		for _, c := range []struct {
			name string
			f    job.Filter
			want []int
		}{
			{"everything", job.Filter{IncludeGlobal: true}, []int{7, 6, 5, 4, 3, 2, 1}},
			{"all_units_no_global", job.Filter{}, []int{7, 6, 4, 3, 2}},
			{"one_unit", job.Filter{Units: []int64{1}}, []int{7, 4, 2}},
			{"unit_and_global", job.Filter{Units: []int64{2}, IncludeGlobal: true}, []int{6, 5, 3, 1}},
			{"no_units_global_only", job.Filter{Units: []int64{}, IncludeGlobal: true}, []int{5, 1}},
			{"no_units_nothing", job.Filter{Units: []int64{}}, nil},
			{"status", job.Filter{Status: job.Queued, IncludeGlobal: true}, []int{7, 3, 1}},
			{"status_and_unit", job.Filter{Status: job.Running, Units: []int64{1, 2}}, []int{2}},
			{"before_id", job.Filter{BeforeID: id[5], IncludeGlobal: true}, []int{4, 3, 2, 1}},
			{"limit", job.Filter{Limit: 2, IncludeGlobal: true}, []int{7, 6}},
			{"page_two", job.Filter{BeforeID: id[6], Limit: 2}, []int{4, 3}},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := b.ListJobs(ctx, c.f)
				ok(t, "list", err)
				var want, gotIDs []int64
				for _, i := range c.want {
					want = append(want, id[i])
				}
				for _, j := range got {
					gotIDs = append(gotIDs, j.ID)
				}
				if d := diff(want, gotIDs); d != "" {
					t.Errorf("ListJobs(%+v) ids (-want +got):\n%s", c.f, d)
				}
			})
		}
	})

	t.Run("runner", func(t *testing.T) { testRunner(t, open) })
}

// watched wraps a job store and reports every final state written, so that
// tests wait on the runner without sleeping.
type watched struct {
	job.Store
	final chan job.Job
}

func (w *watched) UpdateJob(ctx context.Context, j *job.Job) error {
	err := w.Store.UpdateJob(ctx, j)
	if err == nil && j.Status.Final() {
		w.final <- *j
	}
	return err
}

// startRunner runs a one-worker runner over b until the test ends.
func startRunner(t *testing.T, b Backend, register func(r *job.Runner)) (*job.Runner, *watched) {
	t.Helper()
	w := &watched{Store: b, final: make(chan job.Job, 16)}
	r := job.NewRunner(w, job.Options{Workers: 1, FlushInterval: time.Nanosecond})
	register(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Runner.Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("Runner.Run did not return after cancellation")
		}
	})
	return r, w
}

func waitFinal(t *testing.T, w *watched, id int64) job.Job {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case j := <-w.final:
			if j.ID == id {
				return j
			}
		case <-timeout:
			t.Fatalf("job %d did not finish within %v", id, waitTimeout)
		}
	}
}

func testRunner(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("progress_and_success", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		r, w := startRunner(t, b, func(r *job.Runner) {
			r.Register("count", func(ctx context.Context, p *job.Progress) error {
				p.Set(1, 3)
				// Progress reaches the store while the job runs.
				mid, err := b.GetJob(ctx, p.Job().ID)
				if err != nil {
					return err
				}
				if mid.Status != job.Running || mid.Done != 1 || mid.Total != 3 || mid.StartedAt.IsZero() {
					return fmt.Errorf("stored job while running: %+v", mid)
				}
				p.Add(2)
				p.Message("counted")
				p.SetResult(`{"n":3}`)
				return nil
			})
		})
		sub, err := r.Submit(ctx, job.Spec{Kind: "count", UnitID: 1, CreatedBy: 2, Params: "x"})
		ok(t, "submit", err)
		fin := waitFinal(t, w, sub.ID)
		if fin.Status != job.Succeeded {
			t.Fatalf("job finished %s (%s), want succeeded", fin.Status, fin.Error)
		}
		got, err := b.GetJob(ctx, sub.ID)
		ok(t, "get", err)
		if got.Status != job.Succeeded || got.Done != 3 || got.Total != 3 || got.Message != "counted" ||
			got.Result != `{"n":3}` || got.Percent() != 100 || got.StartedAt.IsZero() || got.FinishedAt.IsZero() ||
			got.Kind != "count" || got.UnitID != 1 || got.CreatedBy != 2 || got.Params != "x" {
			t.Errorf("stored job after success: %+v", got)
		}
	})

	t.Run("cancel_running", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		started := make(chan int64, 1)
		r, w := startRunner(t, b, func(r *job.Runner) {
			r.Register("wait", func(ctx context.Context, p *job.Progress) error {
				started <- p.Job().ID
				<-ctx.Done()
				return ctx.Err()
			})
		})
		sub, err := r.Submit(ctx, job.Spec{Kind: "wait"})
		ok(t, "submit", err)
		select {
		case <-started:
		case <-time.After(waitTimeout):
			t.Fatal("job did not start")
		}
		ok(t, "cancel", r.Cancel(ctx, sub.ID))
		fin := waitFinal(t, w, sub.ID)
		if fin.Status != job.Cancelled {
			t.Fatalf("job finished %s (%s), want cancelled", fin.Status, fin.Error)
		}
		got, err := b.GetJob(ctx, sub.ID)
		ok(t, "get", err)
		if got.Status != job.Cancelled || !got.CancelRequested || got.FinishedAt.IsZero() {
			t.Errorf("stored job after cancel: %+v", got)
		}
		err = r.Cancel(ctx, sub.ID)
		if !errors.Is(err, errs.ErrConflict) {
			t.Errorf("Cancel(finished job) = %v, want ErrConflict", err)
		}
	})

	t.Run("recover_after_crash", func(t *testing.T) {
		// Jobs left by a previous process: running ones are failed, queued
		// ones are run.
		b := open(t)
		ctx := t.Context()
		crashed := job.Job{Kind: "noop", Status: job.Running, CreatedAt: t0, StartedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &crashed))
		waiting := job.Job{Kind: "noop", Status: job.Queued, CreatedAt: t0}
		ok(t, "create", b.CreateJob(ctx, &waiting))
		_, w := startRunner(t, b, func(r *job.Runner) {
			r.Register("noop", func(context.Context, *job.Progress) error { return nil })
		})
		fin := waitFinal(t, w, waiting.ID)
		if fin.Status != job.Succeeded {
			t.Errorf("queued job left by a previous process finished %s, want succeeded", fin.Status)
		}
		got, err := b.GetJob(ctx, crashed.ID)
		ok(t, "get", err)
		if got.Status != job.Failed || got.Error == "" {
			t.Errorf("running job left by a previous process: %+v, want failed with a reason", got)
		}
	})
}
