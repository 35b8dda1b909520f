package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// fullBackupPlan returns a plan of sys named name with every field set:
// durations with nanoseconds, asset ids out of order, copies with every
// field and text outside ASCII.
func fullBackupPlan(sys system.System, name string) backup.Plan {
	return backup.Plan{UnitID: sys.UnitID, SystemID: sys.ID, Name: name,
		Scope: "CSDL hộ tịch (PostgreSQL), tệp đính kèm\nvà cấu hình <máy chủ> & \"ứng dụng\"", AssetIDs: []int64{30, 10, 20},
		Every: 24*time.Hour + time.Nanosecond, RPO: 36 * time.Hour, RTO: 4*time.Hour + 30*time.Minute, RetentionDays: 90,
		RestoreEvery: 180 * 24 * time.Hour, Central: true,
		Copies: []backup.Copy{
			{Name: "NAS tại chỗ", Media: backup.NAS, Location: "Phòng máy tầng 3", RepositoryID: 77},
			{Name: "S3 Viettel", Media: backup.ObjectStorage, Location: "s3:hn.viettelcloud.vn/khien", Offsite: true,
				DistanceKM: 1200, Offline: false, Immutable: true},
			{Name: "Băng từ", Media: backup.Tape, Offsite: true, DistanceKM: 15, Offline: true},
		},
		CreatedAt: t0.Add(-48 * time.Hour)}
}

func mustBackupPlan(t *testing.T, b Backend, p backup.Plan) backup.Plan {
	t.Helper()
	ok(t, "create backup plan "+p.Name, b.CreateBackupPlan(t.Context(), &p))
	if p.ID <= 0 {
		t.Fatalf("CreateBackupPlan set ID %d", p.ID)
	}
	checkUTC(t, "written-back backup plan", p.CreatedAt, p.UpdatedAt)
	return p
}

func mustGetBackupPlan(t *testing.T, b Backend, id int64) backup.Plan {
	t.Helper()
	p, err := b.GetBackupPlan(t.Context(), id)
	ok(t, "get backup plan", err)
	checkUTC(t, "GetBackupPlan", p.CreatedAt, p.UpdatedAt)
	return p
}

func backupPlanNames(t *testing.T, b Backend, units []int64, systemID int64) []string {
	t.Helper()
	list, err := b.ListBackupPlans(t.Context(), units, systemID)
	ok(t, "list backup plans", err)
	var out []string
	for _, p := range list {
		checkUTC(t, "ListBackupPlans", p.CreatedAt, p.UpdatedAt)
		out = append(out, p.Name)
	}
	return out
}

func mustBackupRun(t *testing.T, b Backend, r backup.Run) backup.Run {
	t.Helper()
	ok(t, "add backup run", b.AddBackupRun(t.Context(), &r))
	if r.ID <= 0 {
		t.Fatalf("AddBackupRun set ID %d", r.ID)
	}
	checkUTC(t, "written-back run", r.StartedAt, r.FinishedAt)
	return r
}

func backupRunIDs(t *testing.T, b Backend, planID int64, limit int) []int64 {
	t.Helper()
	list, err := b.ListBackupRuns(t.Context(), planID, limit)
	ok(t, "list backup runs", err)
	var out []int64
	for _, r := range list {
		checkUTC(t, "ListBackupRuns", r.StartedAt, r.FinishedAt)
		out = append(out, r.ID)
	}
	return out
}

func mustIntegrityCheck(t *testing.T, b Backend, c backup.IntegrityCheck) backup.IntegrityCheck {
	t.Helper()
	ok(t, "add integrity check", b.AddIntegrityCheck(t.Context(), &c))
	if c.ID <= 0 {
		t.Fatalf("AddIntegrityCheck set ID %d", c.ID)
	}
	checkUTC(t, "written-back check", c.At)
	return c
}

func mustRestoreTest(t *testing.T, b Backend, r backup.RestoreTest) backup.RestoreTest {
	t.Helper()
	ok(t, "add restore test", b.AddRestoreTest(t.Context(), &r))
	if r.ID <= 0 {
		t.Fatalf("AddRestoreTest set ID %d", r.ID)
	}
	checkUTC(t, "written-back restore test", r.SnapshotTime, r.StartedAt)
	return r
}

func mustContentCheck(t *testing.T, b Backend, c backup.ContentCheck) backup.ContentCheck {
	t.Helper()
	ok(t, "add content check", b.AddContentCheck(t.Context(), &c))
	if c.ID <= 0 {
		t.Fatalf("AddContentCheck set ID %d", c.ID)
	}
	checkUTC(t, "written-back content check", c.At)
	return c
}

func listContentChecks(t *testing.T, b Backend, planID int64, limit int) []backup.ContentCheck {
	t.Helper()
	list, err := b.ListContentChecks(t.Context(), planID, limit)
	ok(t, "list content checks", err)
	for _, c := range list {
		checkUTC(t, "ListContentChecks", c.At)
	}
	return list
}

func contentCheckIDs(list []backup.ContentCheck) []int64 {
	var out []int64
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

// fullRepository returns a repository of plan p with every field set; the
// sealed fields are opaque text the store must keep byte for byte.
func fullRepository(p backup.Plan, copyName string) backup.Repository {
	return backup.Repository{UnitID: p.UnitID, PlanID: p.ID, Copy: copyName,
		Location:       "s3:https://hn.viettelcloud.vn/khien-backup/" + copyName,
		PasswordSealed: "v1:AAECAwQFBgcICQoLDA0ODw==:c2VhbGVkIHBhc3N3b3Jk+/=",
		EnvSealed:      "v1:EBESExQVFhcYGRobHB0eHw==:eyJBV1NfQUNDRVNTX0tFWV9JRCI6IkFLSUEifQ==\n",
		CheckSubset:    "1/20", LastCollected: t0.Add(-time.Hour), LastError: "Fatal: unable to open config file: Stat: 403 Forbidden",
		CreatedAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-2 * time.Hour)}
}

func mustRepository(t *testing.T, b Backend, r backup.Repository) backup.Repository {
	t.Helper()
	ok(t, "create backup repository", b.CreateBackupRepository(t.Context(), &r))
	if r.ID <= 0 {
		t.Fatalf("CreateBackupRepository set ID %d", r.ID)
	}
	checkUTC(t, "written-back repository", r.LastCollected, r.CreatedAt, r.UpdatedAt)
	return r
}

func repositoryIDs(t *testing.T, b Backend, units []int64, planID int64) []int64 {
	t.Helper()
	list, err := b.ListBackupRepositories(t.Context(), units, planID)
	ok(t, "list backup repositories", err)
	var out []int64
	for _, r := range list {
		checkUTC(t, "ListBackupRepositories", r.LastCollected, r.CreatedAt, r.UpdatedAt)
		out = append(out, r.ID)
	}
	return out
}

func mustSync(t *testing.T, b Backend, repoID int64, at time.Time, listed ...backup.Snapshot) []backup.Snapshot {
	t.Helper()
	gone, err := b.SyncSnapshots(t.Context(), repoID, listed, at)
	ok(t, "sync snapshots", err)
	for _, s := range gone {
		checkUTC(t, "gone snapshot", s.Time)
	}
	return gone
}

func mustSeen(t *testing.T, b Backend, repoID int64) []backup.SeenSnapshot {
	t.Helper()
	list, err := b.ListSeenSnapshots(t.Context(), repoID)
	ok(t, "list seen snapshots", err)
	for _, s := range list {
		checkUTC(t, "ListSeenSnapshots", s.Time, s.FirstSeen, s.GoneAt)
	}
	return list
}

// seen is the record of snapshot s in repository repoID.
func seen(repoID int64, s backup.Snapshot, first, gone time.Time) backup.SeenSnapshot {
	s.Time = stored(s.Time)
	return backup.SeenSnapshot{RepositoryID: repoID, Snapshot: s, FirstSeen: stored(first), GoneAt: stored(gone)}
}

// storedSnapshots is list as the store gives it back.
func storedSnapshots(list ...backup.Snapshot) []backup.Snapshot {
	out := make([]backup.Snapshot, len(list))
	for i, s := range list {
		s.Time = stored(s.Time)
		out[i] = s
	}
	return out
}

// testBackup checks backup.Store. Beyond its doc comment the suite asks:
// create methods write the stored form back (times UTC microseconds, a
// zero CreatedAt or UpdatedAt now); plans keep their copies and asset ids
// in order, and ListBackupPlans orders names bytewise; a run's zero
// UnitID becomes its plan's; a zero FinishedAt, At or StartedAt (and a
// zero at or snapshot Time, an empty snapshot id) is errs.ErrInvalid, as
// is text with a NUL or invalid UTF-8, and nothing is written; history
// ties on time are broken by the highest id; an unknown repository or
// plan is errs.ErrInvalid in CreateBackupRepository, errs.ErrNotFound in
// SyncSnapshots, Get, Update and Delete; UpdateBackupRepository writes
// UpdatedAt as given (zero: now); SyncSnapshots returns gone snapshots by
// time, then id, as stored, counts an id listed twice once and gives a
// snapshot listed again its listed Time and Size; listing an unknown
// repository's snapshots gives none; a content check keeps its EN and VI
// reasons in order (nil when none, written back and listed).
func testBackup(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("plans", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "BU", 0)
		sys := mustSystem(t, b, u.ID, 0, "BK1", system.Operating)

		in := fullBackupPlan(sys, "Sao lưu cổng thông tin")
		before := time.Now().Add(-time.Second)
		p := mustBackupPlan(t, b, in)
		want := in
		want.ID, want.CreatedAt, want.UpdatedAt = p.ID, stored(in.CreatedAt), p.UpdatedAt
		if p.UpdatedAt.Before(before) || p.UpdatedAt.After(time.Now()) || p.UpdatedAt != stored(p.UpdatedAt) {
			t.Errorf("CreateBackupPlan set UpdatedAt %v, want now", p.UpdatedAt)
		}
		if d := diff(want, p); d != "" {
			t.Errorf("CreateBackupPlan wrote back (-want +got):\n%s", d)
		}
		got := mustGetBackupPlan(t, b, p.ID)
		if d := diff(want, got); d != "" {
			t.Errorf("GetBackupPlan (-want +got):\n%s", d)
		}
		if !slices.Equal(got.AssetIDs, []int64{30, 10, 20}) || len(got.Copies) != 3 || got.Copies[2].Name != "Băng từ" {
			t.Errorf("GetBackupPlan changed the order of asset ids or copies: %v %+v", got.AssetIDs, got.Copies)
		}
		_, err := b.GetBackupPlan(ctx, p.ID+1000)
		wantKind(t, "GetBackupPlan(unknown)", err, errs.ErrNotFound)

		// A given UpdatedAt is kept; an unknown unit or system, and text
		// with a NUL or invalid UTF-8, are refused.
		in2 := fullBackupPlan(sys, "Hai")
		in2.UpdatedAt, in2.Copies, in2.AssetIDs = t0, nil, nil
		p2 := mustBackupPlan(t, b, in2)
		if !p2.UpdatedAt.Equal(stored(t0)) || p2.Copies != nil || p2.AssetIDs != nil {
			t.Errorf("CreateBackupPlan wrote back %+v", p2)
		}
		if got := mustGetBackupPlan(t, b, p2.ID); len(got.Copies) != 0 || len(got.AssetIDs) != 0 {
			t.Errorf("a plan without copies or assets came back with %+v, %v", got.Copies, got.AssetIDs)
		}
		for name, mod := range map[string]func(*backup.Plan){
			"unknown_unit":   func(p *backup.Plan) { p.UnitID += 1000 },
			"unknown_system": func(p *backup.Plan) { p.SystemID += 1000 },
			"no_system":      func(p *backup.Plan) { p.SystemID = 0 },
			"nul_name":       func(p *backup.Plan) { p.Name = "a\x00b" },
			"bad_scope":      func(p *backup.Plan) { p.Scope = "\xff" },
			"bad_copy":       func(p *backup.Plan) { p.Copies[1].Location = "s3:\x00" },
		} {
			bad := fullBackupPlan(sys, "bad "+name)
			mod(&bad)
			wantKind(t, "CreateBackupPlan("+name+")", b.CreateBackupPlan(ctx, &bad), errs.ErrInvalid)
			if bad.ID != 0 {
				t.Errorf("CreateBackupPlan(%s) wrote back ID %d", name, bad.ID)
			}
		}
		wantRows(t, b, 2, `backup_plans`)

		// Update replaces every field but ID, UnitID, SystemID and
		// CreatedAt, with UpdatedAt now.
		u2 := mustUnit(t, b, "BU2", 0)
		sys2 := mustSystem(t, b, u2.ID, 0, "BK2", system.Operating)
		upd := got
		upd.UnitID, upd.SystemID, upd.CreatedAt, upd.UpdatedAt = u2.ID, sys2.ID, t0.Add(time.Hour), t0.Add(-time.Hour)
		upd.Name, upd.Scope, upd.AssetIDs = "Sao lưu cổng (sửa)", "", []int64{5}
		upd.Every, upd.RPO, upd.RTO, upd.RetentionDays, upd.RestoreEvery = time.Hour, 2*time.Hour, time.Minute, 30, 24*time.Hour
		upd.Central = false
		upd.Copies = []backup.Copy{{Name: "Ổ rời", Media: backup.Removable, Offline: true}}
		before = time.Now().Add(-time.Second)
		ok(t, "update backup plan", b.UpdateBackupPlan(ctx, &upd))
		want = got
		want.Name, want.Scope, want.AssetIDs = "Sao lưu cổng (sửa)", "", []int64{5}
		want.Every, want.RPO, want.RTO, want.RetentionDays, want.RestoreEvery = time.Hour, 2*time.Hour, time.Minute, 30, 24*time.Hour
		want.Central = false
		want.Copies = []backup.Copy{{Name: "Ổ rời", Media: backup.Removable, Offline: true}}
		want.UpdatedAt = upd.UpdatedAt
		if upd.UpdatedAt.Before(before) || upd.UpdatedAt.After(time.Now()) || upd.UpdatedAt != stored(upd.UpdatedAt) {
			t.Errorf("UpdateBackupPlan set UpdatedAt %v, want now", upd.UpdatedAt)
		}
		checkUTC(t, "written-back updated plan", upd.CreatedAt, upd.UpdatedAt)
		if d := diff(want, upd); d != "" {
			t.Errorf("UpdateBackupPlan wrote back (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetBackupPlan(t, b, p.ID)); d != "" {
			t.Errorf("GetBackupPlan after update (-want +got):\n%s", d)
		}
		unknown := want
		unknown.ID += 1000
		wantKind(t, "UpdateBackupPlan(unknown)", b.UpdateBackupPlan(ctx, &unknown), errs.ErrNotFound)
		bad := want
		bad.Copies = []backup.Copy{{Name: "\xfe"}}
		wantKind(t, "UpdateBackupPlan(bad copy)", b.UpdateBackupPlan(ctx, &bad), errs.ErrInvalid)
		if d := diff(want, mustGetBackupPlan(t, b, p.ID)); d != "" {
			t.Errorf("a refused update wrote (-want +got):\n%s", d)
		}

		wantKind(t, "DeleteBackupPlan(unknown)", b.DeleteBackupPlan(ctx, p.ID+1000), errs.ErrNotFound)
		ok(t, "delete backup plan", b.DeleteBackupPlan(ctx, p2.ID))
		_, err = b.GetBackupPlan(ctx, p2.ID)
		wantKind(t, "GetBackupPlan(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteBackupPlan(deleted)", b.DeleteBackupPlan(ctx, p2.ID), errs.ErrNotFound)
		mustGetBackupPlan(t, b, p.ID)
	})

	t.Run("list_plans", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "LU", 0)
		u2 := mustUnit(t, b, "LU2", 0)
		s1 := mustSystem(t, b, u.ID, 0, "L1", system.Operating)
		s2 := mustSystem(t, b, u.ID, 0, "L2", system.Operating)
		s3 := mustSystem(t, b, u2.ID, 0, "L3", system.Operating)
		// Created out of order; names compare bytewise ("Z" < "a" < "Đ").
		for _, x := range []struct {
			sys  system.System
			name string
		}{{s2, "c"}, {s1, "Đà Nẵng"}, {s1, "a"}, {s3, "d"}, {s1, "Z"}, {s1, "a"}} {
			mustBackupPlan(t, b, fullBackupPlan(x.sys, x.name))
		}
		for _, c := range []struct {
			name     string
			units    []int64
			systemID int64
			want     []string
		}{
			{"nil_units", nil, 0, nil},
			{"empty_units", []int64{}, 0, nil},
			{"one_unit", []int64{u.ID}, 0, []string{"Z", "a", "a", "Đà Nẵng", "c"}},
			{"both_units", []int64{u2.ID, u.ID}, 0, []string{"Z", "a", "a", "Đà Nẵng", "c", "d"}},
			{"unknown_unit", []int64{u2.ID + 1000}, 0, nil},
			{"system", []int64{u.ID, u2.ID}, s2.ID, []string{"c"}},
			{"system_of_other_unit", []int64{u.ID}, s3.ID, nil},
			{"nil_units_system", nil, s1.ID, nil},
		} {
			if d := diff(c.want, backupPlanNames(t, b, c.units, c.systemID)); d != "" {
				t.Errorf("%s: ListBackupPlans (-want +got):\n%s", c.name, d)
			}
		}
		// Equal names in one system come by id.
		list, err := b.ListBackupPlans(t.Context(), []int64{u.ID}, s1.ID)
		ok(t, "list plans of s1", err)
		if len(list) != 4 || list[1].Name != "a" || list[2].Name != "a" || list[1].ID >= list[2].ID {
			t.Errorf("ListBackupPlans of one system: %+v", list)
		}
	})

	t.Run("runs", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "RU", 0)
		sys := mustSystem(t, b, u.ID, 0, "R1", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		other := mustBackupPlan(t, b, fullBackupPlan(sys, "other"))

		in := backup.Run{PlanID: p.ID, Copy: "NAS tại chỗ", Source: "webhook", Tool: "restic 0.17.3",
			StartedAt: t0.Add(-time.Hour), FinishedAt: t0, Status: backup.RunWarning, SnapshotID: strings.Repeat("ab", 32),
			Bytes: 1 << 40, Files: 123456, Message: "2 tệp bị bỏ qua: permission denied"}
		r := mustBackupRun(t, b, in)
		want := in
		want.ID, want.UnitID, want.StartedAt, want.FinishedAt = r.ID, u.ID, stored(in.StartedAt), stored(in.FinishedAt)
		if d := diff(want, r); d != "" {
			t.Errorf("AddBackupRun wrote back (-want +got):\n%s", d)
		}
		list, err := b.ListBackupRuns(ctx, p.ID, 0)
		ok(t, "list runs", err)
		if len(list) != 1 {
			t.Fatalf("ListBackupRuns: %d runs, want 1", len(list))
		}
		checkUTC(t, "ListBackupRuns", list[0].StartedAt, list[0].FinishedAt)
		if d := diff(want, list[0]); d != "" {
			t.Errorf("ListBackupRuns (-want +got):\n%s", d)
		}
		// A given UnitID is kept; a zero StartedAt comes back zero.
		r2 := mustBackupRun(t, b, backup.Run{PlanID: p.ID, UnitID: 4242, Source: "syslog", FinishedAt: t0.Add(time.Hour),
			Status: backup.RunSuccess})
		if r2.UnitID != 4242 || !r2.StartedAt.IsZero() {
			t.Errorf("AddBackupRun wrote back %+v", r2)
		}

		wantKind(t, "AddBackupRun(unknown plan)", b.AddBackupRun(ctx, &backup.Run{PlanID: p.ID + 1000, Source: "webhook",
			FinishedAt: t0, Status: backup.RunSuccess}), errs.ErrNotFound)
		wantKind(t, "AddBackupRun(zero FinishedAt)", b.AddBackupRun(ctx, &backup.Run{PlanID: p.ID, Source: "webhook",
			Status: backup.RunSuccess}), errs.ErrInvalid)
		wantKind(t, "AddBackupRun(bad message)", b.AddBackupRun(ctx, &backup.Run{PlanID: p.ID, Source: "webhook",
			FinishedAt: t0, Status: backup.RunFailed, Message: "a\x00"}), errs.ErrInvalid)
		wantRows(t, b, 2, `backup_runs`)

		// Newest first: latest FinishedAt, then highest id.
		r3 := mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "restic", FinishedAt: t0.Add(time.Hour), Status: backup.RunFailed})
		r4 := mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "restic", FinishedAt: t0.Add(-time.Hour), Status: backup.RunSuccess})
		mustBackupRun(t, b, backup.Run{PlanID: other.ID, Source: "restic", FinishedAt: t0.Add(2 * time.Hour), Status: backup.RunSuccess})
		for _, c := range []struct {
			limit int
			want  []int64
		}{{0, []int64{r3.ID, r2.ID, r.ID, r4.ID}}, {-1, []int64{r3.ID, r2.ID, r.ID, r4.ID}}, {2, []int64{r3.ID, r2.ID}},
			{10, []int64{r3.ID, r2.ID, r.ID, r4.ID}}} {
			if d := diff(c.want, backupRunIDs(t, b, p.ID, c.limit)); d != "" {
				t.Errorf("ListBackupRuns(limit %d) (-want +got):\n%s", c.limit, d)
			}
		}
		if got := backupRunIDs(t, b, p.ID+1000, 0); len(got) != 0 {
			t.Errorf("ListBackupRuns(unknown plan) = %v", got)
		}

		// limit <= 0 means 100.
		many := mustBackupPlan(t, b, fullBackupPlan(sys, "many"))
		for i := range 101 {
			mustBackupRun(t, b, backup.Run{PlanID: many.ID, Source: "restic", FinishedAt: t0.Add(time.Duration(i) * time.Minute),
				Status: backup.RunSuccess})
		}
		for limit, n := range map[int]int{0: 100, -5: 100, 101: 101, 500: 101, 7: 7} {
			if got := backupRunIDs(t, b, many.ID, limit); len(got) != n {
				t.Errorf("ListBackupRuns(limit %d) gave %d runs, want %d", limit, len(got), n)
			}
		}
	})

	t.Run("last_runs", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "LR", 0)
		sys := mustSystem(t, b, u.ID, 0, "LR1", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		other := mustBackupPlan(t, b, fullBackupPlan(sys, "other"))
		mustBackupRun(t, b, backup.Run{PlanID: other.ID, Source: "restic", FinishedAt: t0.Add(time.Hour), Status: backup.RunSuccess})

		check := func(what string, wantLast *backup.Run, wantSuccess time.Time) {
			t.Helper()
			last, success, err := b.LastBackupRuns(ctx, p.ID)
			ok(t, "last backup runs", err)
			if last != nil {
				checkUTC(t, "LastBackupRuns run", last.StartedAt, last.FinishedAt)
			}
			checkUTC(t, "LastBackupRuns success", success)
			if d := diff(wantLast, last); d != "" {
				t.Errorf("%s: last run (-want +got):\n%s", what, d)
			}
			if !success.Equal(stored(wantSuccess)) {
				t.Errorf("%s: last success %v, want %v", what, success, stored(wantSuccess))
			}
		}
		check("no runs", nil, time.Time{})
		last, success, err := b.LastBackupRuns(ctx, p.ID+1000)
		if err != nil || last != nil || !success.IsZero() {
			t.Errorf("LastBackupRuns(unknown plan) = %v, %v, %v", last, success, err)
		}

		f1 := mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "webhook", Tool: "veeam", StartedAt: t0.Add(-time.Minute),
			FinishedAt: t0, Status: backup.RunFailed, Message: "mất kết nối"})
		check("one failed run", &f1, time.Time{})
		mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "webhook", FinishedAt: t0.Add(-2 * time.Hour), Status: backup.RunSuccess})
		check("an older success", &f1, t0.Add(-2*time.Hour))
		mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "webhook", FinishedAt: t0.Add(-time.Hour), Status: backup.RunWarning})
		check("a newer warning", &f1, t0.Add(-time.Hour))
		// Added last but older: neither the newest run nor the last success.
		mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "webhook", FinishedAt: t0.Add(-3 * time.Hour), Status: backup.RunSuccess})
		check("an older run added last", &f1, t0.Add(-time.Hour))
		f2 := mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "webhook", FinishedAt: t0.Add(time.Hour), Status: backup.RunFailed})
		check("a newer failure", &f2, t0.Add(-time.Hour))
		// Ties on FinishedAt: the highest id.
		s := mustBackupRun(t, b, backup.Run{PlanID: p.ID, Source: "restic", FinishedAt: t0.Add(time.Hour), Status: backup.RunSuccess})
		check("a success at the same time", &s, t0.Add(time.Hour))
	})

	t.Run("checks_and_restore_tests", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "CU", 0)
		sys := mustSystem(t, b, u.ID, 0, "C1", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		other := mustBackupPlan(t, b, fullBackupPlan(sys, "other"))

		in := backup.IntegrityCheck{PlanID: p.ID, Copy: "S3 Viettel", At: t0, OK: false, Subset: "5%",
			Errors: "pack 3f2a…: hash mismatch\nsnapshot 9c1e… references a missing blob"}
		c1 := mustIntegrityCheck(t, b, in)
		want := in
		want.ID, want.At = c1.ID, stored(in.At)
		if d := diff(want, c1); d != "" {
			t.Errorf("AddIntegrityCheck wrote back (-want +got):\n%s", d)
		}
		c2 := mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: p.ID, At: t0.Add(time.Hour), OK: true})
		c3 := mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: p.ID, At: t0.Add(time.Hour), OK: true, Subset: "100%"})
		c4 := mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: p.ID, At: t0.Add(-time.Hour), OK: true})
		mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: other.ID, At: t0.Add(2 * time.Hour), OK: true})
		wantKind(t, "AddIntegrityCheck(unknown plan)", b.AddIntegrityCheck(ctx, &backup.IntegrityCheck{PlanID: p.ID + 1000,
			At: t0}), errs.ErrNotFound)
		wantKind(t, "AddIntegrityCheck(zero At)", b.AddIntegrityCheck(ctx, &backup.IntegrityCheck{PlanID: p.ID}), errs.ErrInvalid)
		wantKind(t, "AddIntegrityCheck(bad errors)", b.AddIntegrityCheck(ctx, &backup.IntegrityCheck{PlanID: p.ID, At: t0,
			Errors: "\xc3"}), errs.ErrInvalid)
		wantRows(t, b, 5, `backup_checks`)
		checks, err := b.ListIntegrityChecks(ctx, p.ID, 0)
		ok(t, "list integrity checks", err)
		for _, c := range checks {
			checkUTC(t, "ListIntegrityChecks", c.At)
		}
		if d := diff([]backup.IntegrityCheck{c3, c2, want, c4}, checks); d != "" {
			t.Errorf("ListIntegrityChecks (-want +got):\n%s", d)
		}
		checks, err = b.ListIntegrityChecks(ctx, p.ID, 1)
		ok(t, "list integrity checks", err)
		if d := diff([]backup.IntegrityCheck{c3}, checks); d != "" {
			t.Errorf("ListIntegrityChecks(limit 1) (-want +got):\n%s", d)
		}
		checks, err = b.ListIntegrityChecks(ctx, p.ID+1000, 0)
		ok(t, "list integrity checks of an unknown plan", err)
		if len(checks) != 0 {
			t.Errorf("ListIntegrityChecks(unknown plan) = %+v", checks)
		}

		tin := backup.RestoreTest{PlanID: p.ID, Copy: "NAS tại chỗ", SnapshotID: "9c1e4f2a", SnapshotTime: t0.Add(-26 * time.Hour),
			StartedAt: t0, Duration: 2*time.Hour + 17*time.Minute + 3*time.Nanosecond, Files: 98765, Bytes: 53 << 30,
			Verified: true, Errors: ""}
		t1 := mustRestoreTest(t, b, tin)
		twant := tin
		twant.ID, twant.SnapshotTime, twant.StartedAt = t1.ID, stored(tin.SnapshotTime), stored(tin.StartedAt)
		if d := diff(twant, t1); d != "" {
			t.Errorf("AddRestoreTest wrote back (-want +got):\n%s", d)
		}
		t2 := mustRestoreTest(t, b, backup.RestoreTest{PlanID: p.ID, StartedAt: t0.Add(time.Hour), Duration: time.Minute,
			Errors: "checksum mismatch: /srv/data/hộ-tịch.db"})
		t3 := mustRestoreTest(t, b, backup.RestoreTest{PlanID: p.ID, StartedAt: t0.Add(time.Hour), Verified: true})
		t4 := mustRestoreTest(t, b, backup.RestoreTest{PlanID: p.ID, StartedAt: t0.Add(-time.Hour), Verified: true})
		mustRestoreTest(t, b, backup.RestoreTest{PlanID: other.ID, StartedAt: t0.Add(2 * time.Hour)})
		if !t2.SnapshotTime.IsZero() {
			t.Errorf("AddRestoreTest wrote back SnapshotTime %v for none", t2.SnapshotTime)
		}
		wantKind(t, "AddRestoreTest(unknown plan)", b.AddRestoreTest(ctx, &backup.RestoreTest{PlanID: p.ID + 1000,
			StartedAt: t0}), errs.ErrNotFound)
		wantKind(t, "AddRestoreTest(zero StartedAt)", b.AddRestoreTest(ctx, &backup.RestoreTest{PlanID: p.ID}), errs.ErrInvalid)
		wantKind(t, "AddRestoreTest(bad snapshot id)", b.AddRestoreTest(ctx, &backup.RestoreTest{PlanID: p.ID, StartedAt: t0,
			SnapshotID: "\x00"}), errs.ErrInvalid)
		wantRows(t, b, 5, `backup_restore_tests`)
		tests, err := b.ListRestoreTests(ctx, p.ID, 0)
		ok(t, "list restore tests", err)
		for _, x := range tests {
			checkUTC(t, "ListRestoreTests", x.SnapshotTime, x.StartedAt)
		}
		if d := diff([]backup.RestoreTest{t3, t2, twant, t4}, tests); d != "" {
			t.Errorf("ListRestoreTests (-want +got):\n%s", d)
		}
		tests, err = b.ListRestoreTests(ctx, p.ID, 2)
		ok(t, "list restore tests", err)
		if d := diff([]backup.RestoreTest{t3, t2}, tests); d != "" {
			t.Errorf("ListRestoreTests(limit 2) (-want +got):\n%s", d)
		}
	})

	t.Run("content_checks", func(t *testing.T) { testContentChecks(t, open) })

	t.Run("plan_states", func(t *testing.T) { testBackupPlanStates(t, open) })

	t.Run("repositories", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "PU", 0)
		u2 := mustUnit(t, b, "PU2", 0)
		sys := mustSystem(t, b, u.ID, 0, "P1", system.Operating)
		sys2 := mustSystem(t, b, u2.ID, 0, "P2", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		p2 := mustBackupPlan(t, b, fullBackupPlan(sys, "p2"))
		p3 := mustBackupPlan(t, b, fullBackupPlan(sys2, "p3"))

		in := fullRepository(p, "S3 Viettel")
		r := mustRepository(t, b, in)
		want := in
		want.ID, want.LastCollected, want.CreatedAt, want.UpdatedAt = r.ID, stored(in.LastCollected), stored(in.CreatedAt), stored(in.UpdatedAt)
		if d := diff(want, r); d != "" {
			t.Errorf("CreateBackupRepository wrote back (-want +got):\n%s", d)
		}
		got, err := b.GetBackupRepository(ctx, r.ID)
		ok(t, "get repository", err)
		checkUTC(t, "GetBackupRepository", got.LastCollected, got.CreatedAt, got.UpdatedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("GetBackupRepository (-want +got):\n%s", d)
		}
		if got.PasswordSealed != in.PasswordSealed || got.EnvSealed != in.EnvSealed {
			t.Errorf("sealed fields changed: %q %q", got.PasswordSealed, got.EnvSealed)
		}
		_, err = b.GetBackupRepository(ctx, r.ID+1000)
		wantKind(t, "GetBackupRepository(unknown)", err, errs.ErrNotFound)

		// Zero times: LastCollected stays zero, CreatedAt and UpdatedAt now.
		before := time.Now().Add(-time.Second)
		r2 := mustRepository(t, b, backup.Repository{UnitID: u.ID, PlanID: p2.ID, Copy: "NAS", Location: "/mnt/nas/restic"})
		if !r2.LastCollected.IsZero() || r2.CreatedAt.Before(before) || r2.UpdatedAt.Before(before) ||
			r2.CreatedAt.After(time.Now()) || r2.CreatedAt != stored(r2.CreatedAt) {
			t.Errorf("CreateBackupRepository wrote back %+v", r2)
		}
		r3 := mustRepository(t, b, fullRepository(p3, "Băng từ"))
		r4 := mustRepository(t, b, fullRepository(p, "NAS tại chỗ"))
		for name, mod := range map[string]func(*backup.Repository){
			"unknown_unit":    func(r *backup.Repository) { r.UnitID += 1000 },
			"unknown_plan":    func(r *backup.Repository) { r.PlanID += 1000 },
			"nul_location":    func(r *backup.Repository) { r.Location = "/a\x00" },
			"bad_password":    func(r *backup.Repository) { r.PasswordSealed = "\xff\xfe" },
			"bad_last_error":  func(r *backup.Repository) { r.LastError = "\x00" },
			"bad_check_subst": func(r *backup.Repository) { r.CheckSubset = "\xc0" },
		} {
			bad := fullRepository(p, "bad")
			mod(&bad)
			wantKind(t, "CreateBackupRepository("+name+")", b.CreateBackupRepository(ctx, &bad), errs.ErrInvalid)
		}
		wantRows(t, b, 4, `backup_repositories`)

		for _, c := range []struct {
			name   string
			units  []int64
			planID int64
			want   []int64
		}{
			{"nil_units", nil, 0, nil},
			{"empty_units", []int64{}, 0, nil},
			{"one_unit", []int64{u.ID}, 0, []int64{r.ID, r2.ID, r4.ID}},
			{"both_units", []int64{u2.ID, u.ID}, 0, []int64{r.ID, r2.ID, r3.ID, r4.ID}},
			{"plan", []int64{u.ID, u2.ID}, p.ID, []int64{r.ID, r4.ID}},
			{"plan_of_other_unit", []int64{u.ID}, p3.ID, nil},
			{"nil_units_plan", nil, p.ID, nil},
		} {
			if d := diff(c.want, repositoryIDs(t, b, c.units, c.planID)); d != "" {
				t.Errorf("%s: ListBackupRepositories (-want +got):\n%s", c.name, d)
			}
		}

		// Update writes every field but ID, UnitID, PlanID and CreatedAt.
		upd := got
		upd.UnitID, upd.PlanID, upd.CreatedAt = u2.ID, p3.ID, t0.Add(time.Hour)
		upd.Copy, upd.Location, upd.CheckSubset = "S3 dự phòng", "rest:https://backup.example.vn/khien", "10%"
		upd.PasswordSealed, upd.EnvSealed = "v1:bmV3:cGFzcw==", ""
		upd.LastCollected, upd.LastError, upd.UpdatedAt = t0.Add(time.Minute), "", t0.Add(2*time.Minute)
		ok(t, "update repository", b.UpdateBackupRepository(ctx, &upd))
		want = got
		want.Copy, want.Location, want.CheckSubset = "S3 dự phòng", "rest:https://backup.example.vn/khien", "10%"
		want.PasswordSealed, want.EnvSealed = "v1:bmV3:cGFzcw==", ""
		want.LastCollected, want.LastError, want.UpdatedAt = stored(t0.Add(time.Minute)), "", stored(t0.Add(2*time.Minute))
		checkUTC(t, "written-back updated repository", upd.LastCollected, upd.CreatedAt, upd.UpdatedAt)
		if d := diff(want, upd); d != "" {
			t.Errorf("UpdateBackupRepository wrote back (-want +got):\n%s", d)
		}
		got, err = b.GetBackupRepository(ctx, r.ID)
		ok(t, "get repository", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetBackupRepository after update (-want +got):\n%s", d)
		}
		// A zero LastCollected is kept zero, a zero UpdatedAt becomes now.
		upd2 := got
		upd2.LastCollected, upd2.UpdatedAt = time.Time{}, time.Time{}
		before = time.Now().Add(-time.Second)
		ok(t, "update repository", b.UpdateBackupRepository(ctx, &upd2))
		if !upd2.LastCollected.IsZero() || upd2.UpdatedAt.Before(before) || upd2.UpdatedAt.After(time.Now()) {
			t.Errorf("UpdateBackupRepository with zero times wrote back %+v", upd2)
		}
		unknown := got
		unknown.ID += 1000
		wantKind(t, "UpdateBackupRepository(unknown)", b.UpdateBackupRepository(ctx, &unknown), errs.ErrNotFound)
		bad := upd2
		bad.EnvSealed = "\x00"
		wantKind(t, "UpdateBackupRepository(bad env)", b.UpdateBackupRepository(ctx, &bad), errs.ErrInvalid)
		if g, err := b.GetBackupRepository(ctx, r.ID); err != nil || diff(upd2, g) != "" {
			t.Errorf("a refused update wrote: %+v, %v", g, err)
		}

		mustSync(t, b, r4.ID, t0, backup.Snapshot{ID: "aa", Time: t0, Size: 1})
		wantKind(t, "DeleteBackupRepository(unknown)", b.DeleteBackupRepository(ctx, r.ID+1000), errs.ErrNotFound)
		ok(t, "delete repository", b.DeleteBackupRepository(ctx, r4.ID))
		_, err = b.GetBackupRepository(ctx, r4.ID)
		wantKind(t, "GetBackupRepository(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteBackupRepository(deleted)", b.DeleteBackupRepository(ctx, r4.ID), errs.ErrNotFound)
		wantRows(t, b, 0, `backup_snapshots WHERE repository_id = $1`, r4.ID)
		if d := diff([]int64{r.ID}, repositoryIDs(t, b, []int64{u.ID}, p.ID)); d != "" {
			t.Errorf("ListBackupRepositories after delete (-want +got):\n%s", d)
		}
	})

	t.Run("delete_plan_cascades", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "DU", 0)
		sys := mustSystem(t, b, u.ID, 0, "D1", system.Operating)
		var plans [2]backup.Plan
		var repos [2]backup.Repository
		for i := range plans {
			plans[i] = mustBackupPlan(t, b, fullBackupPlan(sys, fmt.Sprint("p", i)))
			mustBackupRun(t, b, backup.Run{PlanID: plans[i].ID, Source: "restic", FinishedAt: t0, Status: backup.RunSuccess})
			mustIntegrityCheck(t, b, backup.IntegrityCheck{PlanID: plans[i].ID, At: t0, OK: true})
			mustRestoreTest(t, b, backup.RestoreTest{PlanID: plans[i].ID, StartedAt: t0, Verified: true})
			mustContentCheck(t, b, backup.ContentCheck{PlanID: plans[i].ID, SnapshotID: "s2", PreviousID: "s1", At: t0,
				Score: 90, Suspicious: true, EN: []string{"encrypted"}, VI: []string{"bị mã hoá"}})
			repos[i] = mustRepository(t, b, fullRepository(plans[i], "S3"))
			mustSync(t, b, repos[i].ID, t0, backup.Snapshot{ID: "s1", Time: t0, Size: 10}, backup.Snapshot{ID: "s2", Time: t0, Size: 20})
		}
		ok(t, "delete plan", b.DeleteBackupPlan(ctx, plans[0].ID))
		_, err := b.GetBackupPlan(ctx, plans[0].ID)
		wantKind(t, "GetBackupPlan(deleted)", err, errs.ErrNotFound)
		_, err = b.GetBackupRepository(ctx, repos[0].ID)
		wantKind(t, "GetBackupRepository(of a deleted plan)", err, errs.ErrNotFound)
		if got := backupRunIDs(t, b, plans[0].ID, 0); len(got) != 0 {
			t.Errorf("runs of a deleted plan: %v", got)
		}
		if got := mustSeen(t, b, repos[0].ID); len(got) != 0 {
			t.Errorf("snapshots of a deleted plan's repository: %+v", got)
		}
		last, success, err := b.LastBackupRuns(ctx, plans[0].ID)
		if err != nil || last != nil || !success.IsZero() {
			t.Errorf("LastBackupRuns of a deleted plan = %v, %v, %v", last, success, err)
		}
		if got := listContentChecks(t, b, plans[0].ID, 0); len(got) != 0 {
			t.Errorf("content checks of a deleted plan: %+v", got)
		}
		for table, n := range map[string]int{"backup_runs": 1, "backup_checks": 1, "backup_restore_tests": 1,
			"backup_repositories": 1, "backup_content_checks": 1} {
			wantRows(t, b, 0, table+` WHERE plan_id = $1`, plans[0].ID)
			wantRows(t, b, n, table+` WHERE plan_id = $1`, plans[1].ID)
		}
		wantRows(t, b, 0, `backup_snapshots WHERE repository_id = $1`, repos[0].ID)
		wantRows(t, b, 2, `backup_snapshots WHERE repository_id = $1`, repos[1].ID)
		wantKind(t, "AddBackupRun(deleted plan)", b.AddBackupRun(ctx, &backup.Run{PlanID: plans[0].ID, Source: "restic",
			FinishedAt: t0, Status: backup.RunSuccess}), errs.ErrNotFound)
		_, err = b.SyncSnapshots(ctx, repos[0].ID, nil, t0)
		wantKind(t, "SyncSnapshots(repository of a deleted plan)", err, errs.ErrNotFound)
		wantKind(t, "AddContentCheck(deleted plan)", b.AddContentCheck(ctx, &backup.ContentCheck{PlanID: plans[0].ID,
			At: t0}), errs.ErrNotFound)
	})

	t.Run("snapshots", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "SU", 0)
		sys := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		repo := mustRepository(t, b, fullRepository(p, "S3"))
		repo2 := mustRepository(t, b, fullRepository(p, "NAS"))

		_, err := b.SyncSnapshots(ctx, repo.ID+1000, nil, t0)
		wantKind(t, "SyncSnapshots(unknown repository)", err, errs.ErrNotFound)
		if got := mustSeen(t, b, repo.ID+1000); len(got) != 0 {
			t.Errorf("ListSeenSnapshots(unknown repository) = %+v", got)
		}
		good := backup.Snapshot{ID: "x", Time: t0, Size: 1}
		for name, c := range map[string]struct {
			at   time.Time
			list []backup.Snapshot
		}{
			"zero_at":   {time.Time{}, []backup.Snapshot{good}},
			"empty_id":  {t0, []backup.Snapshot{good, {Time: t0}}},
			"long_id":   {t0, []backup.Snapshot{good, {ID: strings.Repeat("f", 256), Time: t0}}},
			"bad_id":    {t0, []backup.Snapshot{good, {ID: "\xff", Time: t0}}},
			"zero_time": {t0, []backup.Snapshot{good, {ID: "y"}}},
		} {
			_, err := b.SyncSnapshots(ctx, repo.ID, c.list, c.at)
			wantKind(t, "SyncSnapshots("+name+")", err, errs.ErrInvalid)
		}
		wantRows(t, b, 0, `backup_snapshots`)

		// Times with nanoseconds and a zone: stored UTC microseconds. b2 and
		// a1 share a time: by id.
		a := backup.Snapshot{ID: strings.Repeat("a", 64), Time: t0.Add(-72 * time.Hour), Size: 5 << 30}
		b1 := backup.Snapshot{ID: "b1", Time: t0.Add(-48 * time.Hour), Size: 6 << 30}
		c := backup.Snapshot{ID: "c", Time: t0.Add(-24 * time.Hour), Size: 7 << 30}
		a1 := backup.Snapshot{ID: "a1", Time: t0.Add(-24 * time.Hour), Size: 0}
		at1, at2, at3, at4, at5 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour), t0.Add(4*time.Hour)

		// The first sync adds every snapshot, none gone.
		if gone := mustSync(t, b, repo.ID, at1, c, a, b1, a1); len(gone) != 0 {
			t.Errorf("first sync: gone %+v", gone)
		}
		want := []backup.SeenSnapshot{seen(repo.ID, a, at1, time.Time{}), seen(repo.ID, b1, at1, time.Time{}),
			seen(repo.ID, a1, at1, time.Time{}), seen(repo.ID, c, at1, time.Time{})}
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the first sync (-want +got):\n%s", d)
		}
		// The same listing again changes nothing.
		if gone := mustSync(t, b, repo.ID, at1.Add(time.Minute), a, b1, c, a1); len(gone) != 0 {
			t.Errorf("same listing: gone %+v", gone)
		}
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the same listing (-want +got):\n%s", d)
		}

		// Without b1: b1 is gone, returned with its Time and Size.
		gone := mustSync(t, b, repo.ID, at2, a, c, a1)
		if d := diff(storedSnapshots(b1), gone); d != "" {
			t.Errorf("second sync: gone (-want +got):\n%s", d)
		}
		want[1].GoneAt = stored(at2)
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the second sync (-want +got):\n%s", d)
		}

		// Without c either: only c is newly gone, b1 is not returned twice.
		gone = mustSync(t, b, repo.ID, at3, a, a1)
		if d := diff(storedSnapshots(c), gone); d != "" {
			t.Errorf("third sync: gone (-want +got):\n%s", d)
		}
		want[3].GoneAt = stored(at3)
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the third sync (-want +got):\n%s", d)
		}

		// b1 listed again is live again (FirstSeen kept); d is new; c stays
		// gone and is not returned.
		dd := backup.Snapshot{ID: "d", Time: t0, Size: 8 << 30}
		if gone := mustSync(t, b, repo.ID, at4, dd, a, a1, b1); len(gone) != 0 {
			t.Errorf("fourth sync: gone %+v", gone)
		}
		want[1].GoneAt = time.Time{}
		want = append(want, seen(repo.ID, dd, at4, time.Time{}))
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the fourth sync (-want +got):\n%s", d)
		}

		// An empty listing: every live one gone, by time, then id.
		gone = mustSync(t, b, repo.ID, at5)
		if d := diff(storedSnapshots(a, b1, a1, dd), gone); d != "" {
			t.Errorf("empty listing: gone (-want +got):\n%s", d)
		}
		for i := range want {
			if want[i].GoneAt.IsZero() {
				want[i].GoneAt = stored(at5)
			}
		}
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after the empty listing (-want +got):\n%s", d)
		}
		if gone := mustSync(t, b, repo.ID, at5.Add(time.Hour)); len(gone) != 0 {
			t.Errorf("a second empty listing: gone %+v", gone)
		}

		// A snapshot listed again takes the listed Time and Size; an id
		// listed twice counts once, the last wins.
		a2 := a
		a2.Size = 1234
		if gone := mustSync(t, b, repo.ID, at5.Add(2*time.Hour), a, a2); len(gone) != 0 {
			t.Errorf("sync of a listed twice: gone %+v", gone)
		}
		want[0].Size, want[0].GoneAt = 1234, time.Time{}
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("after listing a twice (-want +got):\n%s", d)
		}
		wantRows(t, b, 5, `backup_snapshots WHERE repository_id = $1`, repo.ID)

		// Repositories are apart: the same ids in another one.
		if gone := mustSync(t, b, repo2.ID, at1, a, c); len(gone) != 0 {
			t.Errorf("first sync of repo2: gone %+v", gone)
		}
		if gone := mustSync(t, b, repo2.ID, at2, c); len(gone) != 1 || gone[0].ID != a.ID {
			t.Errorf("second sync of repo2: gone %+v", gone)
		}
		if d := diff(want, mustSeen(t, b, repo.ID)); d != "" {
			t.Errorf("repo after syncs of repo2 (-want +got):\n%s", d)
		}
		want2 := []backup.SeenSnapshot{seen(repo2.ID, a, at1, at2), seen(repo2.ID, c, at1, time.Time{})}
		if d := diff(want2, mustSeen(t, b, repo2.ID)); d != "" {
			t.Errorf("repo2 (-want +got):\n%s", d)
		}
	})

	t.Run("sync_concurrency", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "CC", 0)
		sys := mustSystem(t, b, u.ID, 0, "CC1", system.Operating)
		p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
		repo := mustRepository(t, b, fullRepository(p, "S3"))
		var base []backup.Snapshot
		for i := range 20 {
			base = append(base, backup.Snapshot{ID: fmt.Sprintf("base-%02d", i), Time: t0.Add(time.Duration(i) * time.Hour), Size: int64(i)})
		}
		mustSync(t, b, repo.ID, t0, base...)

		// Each sync lists the base and its own snapshot: each own snapshot
		// is added once and marked gone by a later sync, at most once.
		const n = 8
		gone := make([][]backup.Snapshot, n)
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			listed := append(slices.Clone(base), backup.Snapshot{ID: fmt.Sprintf("own-%d", i), Time: t0.Add(100 * time.Hour), Size: 1})
			wg.Go(func() {
				var err error
				gone[i], err = b.SyncSnapshots(t.Context(), repo.ID, listed, t0.Add(time.Duration(i+1)*time.Minute))
				errc <- err
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent syncs did not finish")
		}
		close(errc)
		for err := range errc {
			ok(t, "concurrent sync", err)
		}
		returned := map[string]int{}
		for _, list := range gone {
			for _, s := range list {
				returned[s.ID]++
			}
		}
		list := mustSeen(t, b, repo.ID)
		if len(list) != len(base)+n {
			t.Fatalf("after concurrent syncs: %d snapshots, want %d", len(list), len(base)+n)
		}
		live := 0
		for _, s := range list {
			own := strings.HasPrefix(s.ID, "own-")
			switch {
			case !own && (!s.GoneAt.IsZero() || returned[s.ID] != 0):
				t.Errorf("base snapshot %s gone (at %v, returned %d times)", s.ID, s.GoneAt, returned[s.ID])
			case own && s.GoneAt.IsZero():
				live++
				if returned[s.ID] != 0 {
					t.Errorf("live snapshot %s returned gone %d times", s.ID, returned[s.ID])
				}
			case own && returned[s.ID] != 1:
				t.Errorf("gone snapshot %s returned %d times, want once", s.ID, returned[s.ID])
			}
		}
		if live != 1 {
			t.Errorf("after concurrent syncs %d own snapshots live, want the last synced one only", live)
		}
		wantRows(t, b, len(base)+n, `backup_snapshots`)
	})
}

// testContentChecks checks AddContentCheck and ListContentChecks: the
// stored form written back and listed (EN and VI in order, nil when none),
// newest first with ties on At broken by the highest id, the limit, an
// unknown plan, and what is refused.
func testContentChecks(t *testing.T, open func(t *testing.T) Backend) {
	b := open(t)
	ctx := t.Context()
	u := mustUnit(t, b, "KU", 0)
	sys := mustSystem(t, b, u.ID, 0, "K1", system.Operating)
	p := mustBackupPlan(t, b, fullBackupPlan(sys, "p"))
	other := mustBackupPlan(t, b, fullBackupPlan(sys, "other"))

	// Reasons out of alphabetical order, with text JSON escapes.
	in := backup.ContentCheck{PlanID: p.ID, Copy: "S3 Viettel", SnapshotID: strings.Repeat("9c", 32),
		PreviousID: strings.Repeat("3f", 32), At: t0, Score: 87, Suspicious: true,
		EN: []string{"38 of 40 sampled files look encrypted (entropy > 7.9 bits/byte)",
			"1,204 files renamed to *.lockbit", "a note <README.txt> & \"HOW_TO_DECRYPT\" appeared\u2028in 12 folders"},
		VI: []string{"38/40 tệp lấy mẫu có vẻ đã bị mã hoá (entropy > 7,9 bit/byte)",
			"1.204 tệp bị đổi tên thành *.lockbit", "tệp <README.txt> & \"HOW_TO_DECRYPT\" xuất hiện\tở 12 thư mục"},
		Sampled: 40, Files: 123456}
	c1 := mustContentCheck(t, b, in)
	want := in
	want.ID, want.At = c1.ID, stored(in.At)
	if d := diff(want, c1); d != "" {
		t.Errorf("AddContentCheck wrote back (-want +got):\n%s", d)
	}
	// No reasons: nil when written back and when listed.
	c2 := mustContentCheck(t, b, backup.ContentCheck{PlanID: p.ID, SnapshotID: "b2", PreviousID: "b1",
		At: t0.Add(time.Hour), Score: 3, EN: []string{}, VI: []string{}, Sampled: 12, Files: 5000})
	if c2.EN != nil || c2.VI != nil {
		t.Errorf("AddContentCheck wrote back reasons %#v %#v for none", c2.EN, c2.VI)
	}
	c3 := mustContentCheck(t, b, backup.ContentCheck{PlanID: p.ID, SnapshotID: "b3", At: t0.Add(time.Hour)})
	c4 := mustContentCheck(t, b, backup.ContentCheck{PlanID: p.ID, Copy: "NAS tại chỗ", SnapshotID: "a1",
		At: t0.Add(-time.Hour), Score: 40, EN: []string{"only one"}, VI: []string{"chỉ một"}})
	mustContentCheck(t, b, backup.ContentCheck{PlanID: other.ID, SnapshotID: "o1", At: t0.Add(2 * time.Hour)})

	for name, c := range map[string]backup.ContentCheck{
		"zero_at":          {PlanID: p.ID, SnapshotID: "x"},
		"bad_copy":         {PlanID: p.ID, At: t0, Copy: "\xc3"},
		"nul_snapshot_id":  {PlanID: p.ID, At: t0, SnapshotID: "a\x00"},
		"bad_previous_id":  {PlanID: p.ID, At: t0, PreviousID: "\xff\xfe"},
		"bad_en_reason":    {PlanID: p.ID, At: t0, EN: []string{"ok", "\xc3"}},
		"nul_vi_reason":    {PlanID: p.ID, At: t0, VI: []string{"tệp\x00"}},
		"bad_unknown_plan": {PlanID: p.ID + 1000, At: t0, EN: []string{"\x00"}},
	} {
		wantKind(t, "AddContentCheck("+name+")", b.AddContentCheck(ctx, &c), errs.ErrInvalid)
	}
	wantKind(t, "AddContentCheck(unknown plan)", b.AddContentCheck(ctx, &backup.ContentCheck{PlanID: p.ID + 1000,
		At: t0, EN: []string{"x"}}), errs.ErrNotFound)
	wantRows(t, b, 5, `backup_content_checks`)

	// Newest first: latest At, then highest id.
	list := listContentChecks(t, b, p.ID, 0)
	if d := diff([]backup.ContentCheck{c3, c2, want, c4}, list); d != "" {
		t.Errorf("ListContentChecks (-want +got):\n%s", d)
	}
	for _, c := range list {
		if c.ID == c2.ID && (c.EN != nil || c.VI != nil) {
			t.Errorf("ListContentChecks gave reasons %#v %#v for none", c.EN, c.VI)
		}
	}
	for _, c := range []struct {
		limit int
		want  []int64
	}{{-1, []int64{c3.ID, c2.ID, c1.ID, c4.ID}}, {1, []int64{c3.ID}}, {2, []int64{c3.ID, c2.ID}},
		{10, []int64{c3.ID, c2.ID, c1.ID, c4.ID}}} {
		if d := diff(c.want, contentCheckIDs(listContentChecks(t, b, p.ID, c.limit))); d != "" {
			t.Errorf("ListContentChecks(limit %d) (-want +got):\n%s", c.limit, d)
		}
	}
	if got := listContentChecks(t, b, p.ID+1000, 0); len(got) != 0 {
		t.Errorf("ListContentChecks(unknown plan) = %+v", got)
	}

	// limit <= 0 means 100.
	many := mustBackupPlan(t, b, fullBackupPlan(sys, "many"))
	for i := range 101 {
		mustContentCheck(t, b, backup.ContentCheck{PlanID: many.ID, SnapshotID: fmt.Sprint("s", i),
			At: t0.Add(time.Duration(i) * time.Minute)})
	}
	for limit, n := range map[int]int{0: 100, -5: 100, 101: 101, 500: 101, 7: 7} {
		if got := listContentChecks(t, b, many.ID, limit); len(got) != n {
			t.Errorf("ListContentChecks(limit %d) gave %d checks, want %d", limit, len(got), n)
		}
	}

	// Deleting a plan deletes its content checks, and only its.
	ok(t, "delete plan", b.DeleteBackupPlan(ctx, p.ID))
	if got := listContentChecks(t, b, p.ID, 0); len(got) != 0 {
		t.Errorf("ListContentChecks(deleted plan) = %+v", got)
	}
	wantRows(t, b, 0, `backup_content_checks WHERE plan_id = $1`, p.ID)
	wantRows(t, b, 1, `backup_content_checks WHERE plan_id = $1`, other.ID)
	wantKind(t, "AddContentCheck(deleted plan)", b.AddContentCheck(ctx, &backup.ContentCheck{PlanID: p.ID, At: t0}),
		errs.ErrNotFound)
}
