package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup/ransom"
	"khien.vn/khien/internal/backup/restic"
)

// Restic is what the collector needs of restic (restic.Client).
type Restic interface {
	Snapshots(ctx context.Context, repo restic.Repo) ([]restic.Snapshot, error)
	Stats(ctx context.Context, repo restic.Repo, mode string, snapshotIDs ...string) (restic.Stats, error)
	Check(ctx context.Context, repo restic.Repo, readDataSubset string) (restic.CheckResult, error)
	Restore(ctx context.Context, repo restic.Repo, snapshotID, target string, include []string, verify bool) (restic.RestoreResult, error)
	Ls(ctx context.Context, repo restic.Repo, snapshotID string, fn func(restic.Node) error) error
	Dump(ctx context.Context, repo restic.Repo, snapshotID, path string, w io.Writer, limit int64) error
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

// Examine compares the newest snapshot of repository id with the one
// before it for signs of ransomware (package ransom): both file lists, and
// the content of at most the heuristics' sample of changed files (read as
// ransom.Sample does: the start, middle and end of each); it records the
// verdict as a content check (backup.write; the collector job runs as the
// system). The sampled files are restored together into a fresh directory
// under scratch (one restic run per snapshot: each run costs the
// repository's key derivation) and removed; a file larger than
// MaxSampledFile is read from its start only, with restic dump.
// A repository with one snapshot is compared with nothing.
func (s *Service) Examine(ctx context.Context, p *authz.Principal, rc Restic, id int64, scratch string) (ContentCheck, error) {
	r, plan, err := s.watched(ctx, p, id)
	if err != nil {
		return ContentCheck{}, err
	}
	repo, err := s.repo(r)
	if err != nil {
		return ContentCheck{}, err
	}
	list, err := rc.Snapshots(ctx, repo)
	if err != nil {
		return ContentCheck{}, err
	}
	if len(list) == 0 {
		return ContentCheck{}, fmt.Errorf("repository %d has no snapshot to examine", r.ID)
	}
	slices.SortFunc(list, func(a, b restic.Snapshot) int { return b.Time.Compare(a.Time) })
	files := func(id string) ([]ransom.File, error) {
		var out []ransom.File
		err := rc.Ls(ctx, repo, id, func(n restic.Node) error {
			if n.Type == "file" {
				out = append(out, ransom.File{Path: n.Path, Size: n.Size, ModTime: n.MTime})
			}
			return nil
		})
		return out, err
	}
	cur, err := files(list[0].ID)
	if err != nil {
		return ContentCheck{}, err
	}
	var prev []ransom.File
	c := ContentCheck{PlanID: plan.ID, Copy: r.Copy, SnapshotID: list[0].ID, At: s.now(), Files: len(cur)}
	if len(list) > 1 {
		c.PreviousID = list[1].ID
		if prev, err = files(list[1].ID); err != nil {
			return ContentCheck{}, err
		}
	}
	opts := ransom.DefaultOptions()
	fromPrev, fromCur := ransom.Pick(prev, cur, opts)
	if err := s.sample(ctx, rc, repo, list[0].ID, cur, fromCur, scratch); err != nil {
		return ContentCheck{}, err
	}
	if c.PreviousID != "" {
		if err := s.sample(ctx, rc, repo, c.PreviousID, prev, fromPrev, scratch); err != nil {
			return ContentCheck{}, err
		}
	}
	rep := ransom.Compare(prev, cur, opts)
	c.Score, c.Suspicious, c.Sampled = rep.Score, rep.Suspicious, rep.Sampled
	for _, rs := range rep.Reasons() {
		c.EN, c.VI = append(c.EN, rs.EN), append(c.VI, rs.VI)
	}
	if err := s.store.AddContentCheck(ctx, &c); err != nil {
		return ContentCheck{}, err
	}
	return c, s.record(ctx, p, plan.UnitID, "backup.content_check", "backup_repository:"+strconv.FormatInt(r.ID, 10),
		fmt.Sprintf("snapshot %s score %d suspicious=%v sampled=%d", shortID(c.SnapshotID), c.Score, c.Suspicious, c.Sampled))
}

// MaxSampledFile is the largest file Examine restores to sample; larger
// ones are sampled from their first bytes with restic dump.
const MaxSampledFile = 256 << 20

// sample sets the Sample of the files of snapshot whose paths are listed.
func (s *Service) sample(ctx context.Context, rc Restic, repo restic.Repo, snapshot string, files []ransom.File, paths []string,
	scratch string) error {
	if len(paths) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	var small []string
	for i := range files {
		f := &files[i]
		switch {
		case !want[f.Path]:
		case f.Size <= MaxSampledFile:
			small = append(small, f.Path)
		default:
			var buf bytes.Buffer
			if err := rc.Dump(ctx, repo, snapshot, f.Path, &buf, ransom.SampleSize); err != nil {
				return fmt.Errorf("sample %s: %w", f.Path, err)
			}
			f.Sample = buf.Bytes()
		}
	}
	if len(small) == 0 {
		return nil
	}
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return err
	}
	target, err := os.MkdirTemp(scratch, "sample-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(target)
	if _, err := rc.Restore(ctx, repo, snapshot, target, small, false); err != nil {
		return fmt.Errorf("restore the sample of snapshot %s: %w", shortID(snapshot), err)
	}
	for i := range files {
		f := &files[i]
		if !want[f.Path] || f.Size > MaxSampledFile {
			continue
		}
		fh, err := os.Open(filepath.Join(target, filepath.FromSlash(f.Path)))
		if err != nil {
			continue // not restored (a special file, or gone): not sampled
		}
		info, err := fh.Stat()
		if err == nil {
			f.Sample, err = ransom.Sample(fh, info.Size())
		}
		fh.Close()
		if err != nil {
			return fmt.Errorf("sample %s: %w", f.Path, err)
		}
	}
	return nil
}
