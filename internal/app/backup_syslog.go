package app

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/backup/syslogrun"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/syslog"
	"khien.vn/khien/internal/unit"
)

// RunSourceSyslog is the Source of the backup runs read from syslog
// messages.
const RunSourceSyslog = "syslog"

// Timings of BackupRuns.
const (
	// backupJobsRefresh is how old the index of the plans' jobs may get
	// before a recognised message rebuilds it.
	backupJobsRefresh = time.Minute
	// backupJobsRetry: a job no plan names rebuilds an index older than
	// this once more, so that a plan saved a moment ago is found.
	backupJobsRetry = 10 * time.Second
	// backupNoteEvery is how often one job's problem (unknown, ambiguous,
	// not recorded) is logged.
	backupNoteEvery = time.Hour
	// maxBackupNotes bounds the job names remembered for that.
	maxBackupNotes = 1000
	// maxReportLag: a message whose own end time is this much older than
	// the message is not believed (a wrong clock or zone); the message's
	// time is used instead.
	maxReportLag = 7 * 24 * time.Hour
)

// BackupRuns records the job results backup software writes to syslog
// (package syslogrun: Veeam, Bacula and Bareos, vzdump, the khien-backup
// key=value form) as runs of the plan copies whose Job names those jobs
// (docs/backups.md, "Runs from syslog"). Its Stage runs in the ingest
// pipeline after detection; every event passes through it, and all but
// backup results leave after a program-name and literal check.
//
// A job is looked up in an index of the plans' copies, rebuilt when a
// result arrives and the index is older than a minute (or older than ten
// seconds and the job is not in it). Among the copies naming the job
// (any case) it takes, in order, those of the systems of the event's
// asset; of the event's unit; of its ancestors; and, for an event an asset
// claimed, of the units below its unit (a central backup server): the
// first group that holds any must hold exactly one, or the result is
// skipped as ambiguous. Results are counted (Stats); unknown and ambiguous
// jobs are logged at debug level once an hour per job. It is safe for
// concurrent use.
type BackupRuns struct {
	core   *Core
	logger *slog.Logger
	forms  *syslogrun.Recognizer
	zones  *syslog.TimeZones
	now    func() time.Time

	ix    atomic.Pointer[backupJobIndex]
	build sync.Mutex // one rebuild at a time

	mu    sync.Mutex
	noted map[string]time.Time // kind and job → when last logged

	recognised, recorded, duplicates, unknown, ambiguous, failed atomic.Uint64
}

// BackupRunStats counts what BackupRuns did with the results it
// recognised.
type BackupRunStats struct {
	// Recognised results; Recorded as runs; Duplicates already recorded (a
	// message delivered twice, a batch read again after a crash).
	Recognised, Recorded, Duplicates uint64
	// UnknownJob: no plan copy within the event's reach names the job;
	// Ambiguous: several do and none is preferred; Failed: not recorded
	// because storage failed.
	UnknownJob, Ambiguous, Failed uint64
}

// backupJobIndex maps the lower-case jobs of the plans' copies to them.
type backupJobIndex struct {
	built time.Time
	jobs  map[string][]backupJob
}

// backupJob is one plan copy naming a job.
type backupJob struct {
	planID, unitID, systemID int64
	copy                     string
}

func (c *Core) newBackupRuns() (*BackupRuns, error) {
	zones, err := syslogZones(c.Config)
	if err != nil {
		return nil, err
	}
	return &BackupRuns{core: c, logger: c.Logger.With("component", "backup-syslog"), forms: syslogrun.Default(), zones: zones,
		now: time.Now, noted: map[string]time.Time{}}, nil
}

// Stats returns the counters.
func (b *BackupRuns) Stats() BackupRunStats {
	return BackupRunStats{Recognised: b.recognised.Load(), Recorded: b.recorded.Load(), Duplicates: b.duplicates.Load(),
		UnknownJob: b.unknown.Load(), Ambiguous: b.ambiguous.Load(), Failed: b.failed.Load()}
}

// Stage is the pipeline stage: it records the runs the batch's backup
// results report. It stops when ctx ends.
func (b *BackupRuns) Stage(ctx context.Context, batch []event.Event) {
	for i := range batch {
		e := &batch[i]
		text := e.Fields[event.FieldMessage]
		if text == "" && e.Source.Kind == event.KindSyslog {
			text = e.Message // a message the syslog parser could not split
		}
		program := e.Fields[event.FieldProcessName]
		if !b.forms.Candidate(program, text) {
			continue
		}
		res, ok := b.forms.Parse(program, text, b.location(e))
		if !ok {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		b.recognised.Add(1)
		b.record(ctx, e, res)
	}
}

// location is the time zone of the sender's times without a zone: the one
// its RFC 3164 timestamps are read in.
func (b *BackupRuns) location(e *event.Event) *time.Location {
	addr, err := netip.ParseAddr(e.Source.Addr)
	if err != nil {
		return b.zones.Lookup(netip.Addr{})
	}
	return b.zones.Lookup(addr)
}

func (b *BackupRuns) record(ctx context.Context, e *event.Event, res syslogrun.Result) {
	ix, err := b.index(ctx, false)
	if err != nil {
		b.failed.Add(1)
		b.note(ctx, slog.LevelWarn, "index", "", "cannot read the backup plans for a backup message", slog.Any("err", err))
		return
	}
	tree, err := b.core.Units.Tree(ctx)
	if err != nil {
		b.failed.Add(1)
		b.note(ctx, slog.LevelWarn, "index", "", "cannot read the units for a backup message", slog.Any("err", err))
		return
	}
	job, n := ix.find(res.Job, e, tree)
	if n == 0 && b.now().Sub(ix.built) > backupJobsRetry {
		if fresh, err := b.index(ctx, true); err == nil {
			job, n = fresh.find(res.Job, e, tree)
		}
	}
	switch {
	case n == 0:
		b.unknown.Add(1)
		b.note(ctx, slog.LevelDebug, "unknown", res.Job, "backup job in no plan within the event's units",
			slog.String("job", res.Job), slog.String("form", res.Form), slog.Int64("unit_id", e.UnitID),
			slog.String("host", e.Fields[event.FieldHostName]))
		return
	case n > 1:
		b.ambiguous.Add(1)
		b.note(ctx, slog.LevelDebug, "ambiguous", res.Job, "backup job in several plan copies; message skipped",
			slog.String("job", res.Job), slog.Int("copies", n), slog.Int64("unit_id", e.UnitID),
			slog.String("host", e.Fields[event.FieldHostName]))
		return
	}
	run := b.run(e, res, job)
	if dup, err := b.recordedBefore(ctx, run); err != nil || dup {
		if err != nil {
			b.failed.Add(1)
			b.note(ctx, slog.LevelWarn, "failed", res.Job, "cannot record a backup run from syslog",
				slog.String("job", res.Job), slog.Int64("plan_id", job.planID), slog.Any("err", err))
		} else {
			b.duplicates.Add(1)
		}
		return
	}
	if _, err := b.core.Backups.ReportRun(ctx, authz.System(), run); err != nil {
		// The plan may have been deleted or its copy renamed since the
		// index was built: the next result rebuilds it.
		b.ix.Store(nil)
		b.failed.Add(1)
		b.note(ctx, slog.LevelWarn, "failed", res.Job, "cannot record a backup run from syslog",
			slog.String("job", res.Job), slog.Int64("plan_id", job.planID), slog.Any("err", err))
		return
	}
	b.recorded.Add(1)
}

// run makes the run of copy job from result res of event e: when the
// message does not say (or says something unbelievable), the run
// finished when the message was written, and started its duration before.
func (b *BackupRuns) run(e *event.Event, res syslogrun.Result, job backupJob) backup.Run {
	now := b.now()
	finished := res.FinishedAt
	if finished.IsZero() || finished.After(now.Add(time.Hour)) || finished.Before(e.Time.Add(-maxReportLag)) {
		finished = e.Time
	}
	if finished.IsZero() || finished.After(now.Add(time.Hour)) {
		finished = now
	}
	started := res.StartedAt
	if started.IsZero() && res.Duration > 0 {
		started = finished.Add(-res.Duration)
	}
	if started.After(finished) {
		started = time.Time{}
	}
	return backup.Run{PlanID: job.planID, Copy: job.copy, Source: RunSourceSyslog, Tool: res.Tool,
		StartedAt: started.UTC(), FinishedAt: finished.UTC(), Status: res.Status, SnapshotID: res.SnapshotID,
		Bytes: res.Bytes, Files: res.Files, Message: res.Message}
}

// recordedBefore reports whether the plan already has this run from
// syslog: same copy, end (to the second), status and snapshot.
func (b *BackupRuns) recordedBefore(ctx context.Context, r backup.Run) (bool, error) {
	recent, err := b.core.Backend.ListBackupRuns(ctx, r.PlanID, 50)
	if err != nil {
		return false, err
	}
	end := r.FinishedAt.Truncate(time.Second)
	for _, x := range recent {
		if x.Source == RunSourceSyslog && strings.EqualFold(x.Copy, r.Copy) && x.FinishedAt.Truncate(time.Second).Equal(end) &&
			x.Status == r.Status && x.SnapshotID == r.SnapshotID {
			return true, nil
		}
	}
	return false, nil
}

// index returns the index of the plans' jobs, rebuilt when older than
// backupJobsRefresh or when force is set. A failed rebuild keeps the
// previous index when there is one.
func (b *BackupRuns) index(ctx context.Context, force bool) (*backupJobIndex, error) {
	cur := b.ix.Load()
	if cur != nil && !force && b.now().Sub(cur.built) < backupJobsRefresh {
		return cur, nil
	}
	b.build.Lock()
	defer b.build.Unlock()
	if latest := b.ix.Load(); latest != cur && latest != nil { // built meanwhile
		return latest, nil
	}
	ix, err := b.buildIndex(ctx)
	if err != nil {
		if cur != nil {
			b.note(ctx, slog.LevelWarn, "index", "", "cannot refresh the backup plans' jobs; using the previous list", slog.Any("err", err))
			return cur, nil
		}
		return nil, err
	}
	b.ix.Store(ix)
	return ix, nil
}

func (b *BackupRuns) buildIndex(ctx context.Context) (*backupJobIndex, error) {
	built := b.now()
	units, err := b.core.Backend.ListUnits(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	ix := &backupJobIndex{built: built, jobs: map[string][]backupJob{}}
	if len(ids) == 0 {
		return ix, nil
	}
	plans, err := b.core.Backend.ListBackupPlans(ctx, ids, 0)
	if err != nil {
		return nil, err
	}
	for _, p := range plans {
		for _, c := range p.Copies {
			if k := strings.ToLower(strings.TrimSpace(c.Job)); k != "" {
				ix.jobs[k] = append(ix.jobs[k], backupJob{planID: p.ID, unitID: p.UnitID, systemID: p.SystemID, copy: c.Name})
			}
		}
	}
	return ix, nil
}

// find returns the copy naming job that event e reports on, and how many
// copies were equally likely (0: none; more than 1: ambiguous).
func (ix *backupJobIndex) find(job string, e *event.Event, tree *unit.Tree) (backupJob, int) {
	cands := ix.jobs[strings.ToLower(strings.TrimSpace(job))]
	if len(cands) == 0 {
		return backupJob{}, 0
	}
	var systems []int64
	for s := range strings.SplitSeq(e.Fields[attribute.FieldSystemIDs], ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			systems = append(systems, id)
		}
	}
	claimed := e.Fields[attribute.FieldAssetID] != ""
	tiers := []func(backupJob) bool{
		func(c backupJob) bool { return slices.Contains(systems, c.systemID) },
		func(c backupJob) bool { return c.unitID == e.UnitID },
		func(c backupJob) bool { return c.unitID != e.UnitID && tree.IsAncestor(c.unitID, e.UnitID) },
		func(c backupJob) bool { return claimed && c.unitID != e.UnitID && tree.IsAncestor(e.UnitID, c.unitID) },
	}
	for _, in := range tiers {
		var found backupJob
		n := 0
		for _, c := range cands {
			if in(c) {
				found = c
				n++
			}
		}
		if n > 0 {
			return found, n
		}
	}
	return backupJob{}, 0
}

// note logs one problem with a job at most once per backupNoteEvery
// (kind "index": one problem with the plans, whatever the job).
func (b *BackupRuns) note(ctx context.Context, level slog.Level, kind, job, msg string, attrs ...slog.Attr) {
	if !b.logger.Enabled(ctx, level) {
		return
	}
	key := kind + "\x00" + strings.ToLower(job)
	now := b.now()
	b.mu.Lock()
	last, seen := b.noted[key]
	if seen && now.Sub(last) < backupNoteEvery {
		b.mu.Unlock()
		return
	}
	if !seen && len(b.noted) >= maxBackupNotes {
		for k, t := range b.noted {
			if now.Sub(t) >= backupNoteEvery {
				delete(b.noted, k)
			}
		}
		if len(b.noted) >= maxBackupNotes {
			b.mu.Unlock()
			return
		}
	}
	b.noted[key] = now
	b.mu.Unlock()
	b.logger.LogAttrs(ctx, level, msg, attrs...)
}
