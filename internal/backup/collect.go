package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup/restic"
)

// Restic is what the collector needs of restic (restic.Client).
type Restic interface {
	Snapshots(ctx context.Context, repo restic.Repo) ([]restic.Snapshot, error)
	Stats(ctx context.Context, repo restic.Repo, mode string, snapshotIDs ...string) (restic.Stats, error)
	Check(ctx context.Context, repo restic.Repo, readDataSubset string) (restic.CheckResult, error)
	Restore(ctx context.Context, repo restic.Repo, snapshotID, target string, include []string, verify bool) (restic.RestoreResult, error)
}

// repo returns the restic repository of r with its credentials opened.
func (s *Service) repo(r Repository) (restic.Repo, error) {
	pw, env, err := s.Credentials(r)
	if err != nil {
		return restic.Repo{}, err
	}
	return restic.Repo{Location: r.Location, Password: pw, Env: env}, nil
}

// watched returns repository id and its plan, for the system (collector
// jobs) or for p with backup.write.
func (s *Service) watched(ctx context.Context, p *authz.Principal, id int64) (Repository, Plan, error) {
	r, err := s.store.GetBackupRepository(ctx, id)
	if err != nil {
		return Repository{}, Plan{}, err
	}
	if err := p.Authorize(authz.PermBackupWrite, r.UnitID); err != nil {
		return Repository{}, Plan{}, err
	}
	plan, err := s.store.GetBackupPlan(ctx, r.PlanID)
	if err != nil {
		return Repository{}, Plan{}, err
	}
	return r, plan, nil
}

// Collected is what one collection of a repository found.
type Collected struct {
	// New are the snapshots not seen before (each recorded as a run),
	// Gone those seen before and missing now.
	New, Gone []Snapshot
}

// Collect lists the snapshots of repository id (backup.write; the
// collector job runs as the system): new ones are recorded as successful
// runs of the repository's copy, with the size they restore; those seen
// before and missing now are returned as gone (Evaluate reports the ones
// younger than the plan's retention as deleted outside the policy). The
// repository keeps when it was last collected and why that failed.
func (s *Service) Collect(ctx context.Context, p *authz.Principal, rc Restic, id int64) (Collected, error) {
	r, plan, err := s.watched(ctx, p, id)
	if err != nil {
		return Collected{}, err
	}
	out, err := s.collect(ctx, rc, r, plan)
	r.LastCollected, r.LastError = s.now(), ""
	if err != nil {
		r.LastError = truncate(err.Error(), 1000)
	}
	if uerr := s.store.UpdateBackupRepository(ctx, &r); uerr != nil {
		return out, errors.Join(err, uerr)
	}
	return out, err
}

func (s *Service) collect(ctx context.Context, rc Restic, r Repository, plan Plan) (Collected, error) {
	repo, err := s.repo(r)
	if err != nil {
		return Collected{}, err
	}
	list, err := rc.Snapshots(ctx, repo)
	if err != nil {
		return Collected{}, err
	}
	known, err := s.store.ListSeenSnapshots(ctx, r.ID)
	if err != nil {
		return Collected{}, err
	}
	sizes := map[string]int64{}
	for _, k := range known {
		sizes[k.ID] = k.Size
	}
	var out Collected
	listed := make([]Snapshot, 0, len(list))
	for _, sn := range list {
		size, seen := sizes[sn.ID]
		if !seen {
			st, err := rc.Stats(ctx, repo, restic.ModeRestoreSize, sn.ID)
			if err != nil {
				return Collected{}, fmt.Errorf("size of snapshot %s: %w", shortID(sn.ID), err)
			}
			size = st.TotalSize
		}
		x := Snapshot{ID: sn.ID, Time: sn.Time.UTC(), Size: size}
		listed = append(listed, x)
		if !seen {
			out.New = append(out.New, x)
		}
	}
	if out.Gone, err = s.store.SyncSnapshots(ctx, r.ID, listed, s.now()); err != nil {
		return Collected{}, err
	}
	for _, x := range out.New {
		run := Run{PlanID: plan.ID, UnitID: plan.UnitID, Copy: r.Copy, Source: "restic", Tool: "restic", FinishedAt: x.Time,
			Status: RunSuccess, SnapshotID: x.ID, Bytes: x.Size}
		if err := s.store.AddBackupRun(ctx, &run); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Check checks the integrity of repository id, reading its data subset
// (restic check --read-data-subset: a plain check does not read the data
// packs back and misses corrupted ones), and records the result
// (backup.write; the collector job runs as the system). A check that could
// not run (wrong password, repository unreachable) is an error, not a
// result.
func (s *Service) Check(ctx context.Context, p *authz.Principal, rc Restic, id int64) (IntegrityCheck, error) {
	r, plan, err := s.watched(ctx, p, id)
	if err != nil {
		return IntegrityCheck{}, err
	}
	repo, err := s.repo(r)
	if err != nil {
		return IntegrityCheck{}, err
	}
	res, err := rc.Check(ctx, repo, r.CheckSubset)
	if err != nil {
		return IntegrityCheck{}, err
	}
	c := IntegrityCheck{PlanID: plan.ID, Copy: r.Copy, At: s.now(), OK: res.OK, Subset: r.CheckSubset,
		Errors: truncate(strings.Join(res.Errors, "; "), maxReportText)}
	if !res.OK && c.Errors == "" {
		c.Errors = fmt.Sprintf("%d errors", res.ErrorCount)
	}
	if err := s.store.AddIntegrityCheck(ctx, &c); err != nil {
		return IntegrityCheck{}, err
	}
	return c, s.record(ctx, p, plan.UnitID, "backup.check", "backup_repository:"+strconv.FormatInt(r.ID, 10),
		fmt.Sprintf("ok=%v subset=%s", c.OK, c.Subset))
}

// RestoreTest restores the newest snapshot of repository id into a fresh
// directory under scratch, with restic's verification, times it, records
// the test (the actual RTO is its duration, the actual RPO the age of the
// data restored) and removes what it restored (backup.write; the collector
// job runs as the system).
func (s *Service) RestoreTest(ctx context.Context, p *authz.Principal, rc Restic, id int64, scratch string) (RestoreTest, error) {
	r, plan, err := s.watched(ctx, p, id)
	if err != nil {
		return RestoreTest{}, err
	}
	repo, err := s.repo(r)
	if err != nil {
		return RestoreTest{}, err
	}
	list, err := rc.Snapshots(ctx, repo)
	if err != nil {
		return RestoreTest{}, err
	}
	if len(list) == 0 {
		return RestoreTest{}, fmt.Errorf("repository %d has no snapshot to restore", r.ID)
	}
	newest := list[0]
	for _, sn := range list[1:] {
		if sn.Time.After(newest.Time) {
			newest = sn
		}
	}
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return RestoreTest{}, err
	}
	target, err := os.MkdirTemp(scratch, "restore-")
	if err != nil {
		return RestoreTest{}, err
	}
	defer os.RemoveAll(target)
	started := s.now()
	res, err := rc.Restore(ctx, repo, newest.ID, target, nil, true)
	if err != nil {
		return RestoreTest{}, err
	}
	t := RestoreTest{PlanID: plan.ID, Copy: r.Copy, SnapshotID: newest.ID, SnapshotTime: newest.Time.UTC(), StartedAt: started,
		Duration: res.Duration, Files: res.FilesVerified, Verified: res.OK && res.Verified,
		Errors: truncate(strings.Join(res.Errors, "; "), maxReportText)}
	if !t.Verified && t.Errors == "" {
		t.Errors = fmt.Sprintf("%d errors", res.ErrorCount)
	}
	if t.SnapshotTime.After(t.StartedAt) {
		t.SnapshotTime = t.StartedAt // a clock ahead on the backed-up host
	}
	if st, err := rc.Stats(ctx, repo, restic.ModeRestoreSize, newest.ID); err == nil {
		t.Bytes = st.TotalSize
	}
	if err := s.store.AddRestoreTest(ctx, &t); err != nil {
		return RestoreTest{}, err
	}
	return t, s.record(ctx, p, plan.UnitID, "backup.restore_test", "backup_repository:"+strconv.FormatInt(r.ID, 10),
		fmt.Sprintf("snapshot %s verified=%v files=%d in %s", shortID(newest.ID), t.Verified, t.Files, t.Duration.Round(time.Millisecond)))
}
