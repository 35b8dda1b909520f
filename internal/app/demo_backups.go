package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/system"
)

// demoNote marks the demo's backup records where they have free text.
const demoNote = "Dữ liệu minh hoạ của bản demo."

// seedBackups writes the demo's backup plans through the backup service,
// with times relative to now (nightly jobs at night, Vietnam time):
//
//   - the trading system: a healthy plan — nightly runs to a local NAS, an
//     immutable object store in Hà Nội and a weekly offline tape for the
//     last two weeks, an integrity check passed yesterday, a restore test
//     verified 20 days ago; no issue, high readiness;
//   - the e-mail system: a weak plan for mail01 — one NAS copy in the same
//     room, no offline or immutable copy, last night's run failed, the
//     last restore test 14 months ago; and the file server fs01 (the
//     demo's ransomware case, detected 30 hours ago) whose last backup
//     before the case the ransomware heuristics found encrypted;
//   - the portal: no plan, so readiness overviews show a system without one.
//
// No restic repository is watched (the hourly collection would try to
// reach it). It does nothing when a backup plan exists already.
func (c *Core) seedBackups(ctx context.Context) error { return c.seedBackupsAt(ctx, time.Now()) }

// seedBackupsAt is seedBackups as at now.
func (c *Core) seedBackupsAt(ctx context.Context, now time.Time) error {
	sys := authz.System()
	// From the store: Service.Plans lists a principal's units, and the
	// system principal, allowed everywhere, lists none.
	units, err := c.Backend.ListUnits(ctx)
	if err != nil {
		return fmt.Errorf("seed backups: %w", err)
	}
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	existing, err := c.Backend.ListBackupPlans(ctx, ids, 0)
	if err != nil {
		return fmt.Errorf("seed backups: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	systems, err := c.Systems.List(ctx, sys, system.Filter{})
	if err != nil {
		return fmt.Errorf("seed backups: %w", err)
	}
	byCode := map[string]system.System{}
	for _, s := range systems {
		byCode[s.Code] = s
	}
	assets, err := c.Assets.List(ctx, sys, asset.Filter{})
	if err != nil {
		return fmt.Errorf("seed backups: %w", err)
	}
	assetIDs := func(names ...string) []int64 {
		var out []int64
		for _, a := range assets {
			if slices.Contains(names, a.Name) {
				out = append(out, a.ID)
			}
		}
		return out
	}
	d := &demoBackups{c: c, p: sys, now: now, rng: rand.New(rand.NewPCG(3, 2110))}
	if s, ok := byCode["TRADING"]; ok {
		if err := d.trading(ctx, s, assetIDs("CSDL lệnh giao dịch", "Ứng dụng giao dịch trực tuyến")); err != nil {
			return fmt.Errorf("seed backups of %s: %w", s.Code, err)
		}
	}
	if s, ok := byCode["EMAIL"]; ok {
		if err := d.mail(ctx, s, assetIDs("Máy chủ thư điện tử")); err != nil {
			return fmt.Errorf("seed backups of %s: %w", s.Code, err)
		}
		if err := d.fileServer(ctx, s); err != nil {
			return fmt.Errorf("seed backups of %s: %w", s.Code, err)
		}
	}
	return nil
}

// demoBackups writes the demo's plans and their histories as at now.
type demoBackups struct {
	c   *Core
	p   *authz.Principal
	now time.Time
	rng *rand.Rand
}

const (
	demoDay   = 24 * time.Hour
	demoGiB   = int64(1) << 30
	demoVeeam = "veeam 12.1"
)

// last returns the latest hour:minute of a day in Vietnam that is at least
// ago before now.
func (d *demoBackups) last(hour, minute int, ago time.Duration) time.Time {
	t := d.now.Add(-ago).In(vietnam)
	at := time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, vietnam)
	if at.After(t) {
		at = at.AddDate(0, 0, -1)
	}
	return at
}

// snapshotID is a made-up backup id, hexadecimal like a real tool's.
func (d *demoBackups) snapshotID() string { return fmt.Sprintf("%016x", d.rng.Uint64()) }

// run reports a run of copyName that started at start and took took.
func (d *demoBackups) run(ctx context.Context, plan backup.Plan, copyName, tool string, start time.Time, took time.Duration,
	status backup.RunStatus, bytes, files int64, msg string) (backup.Run, error) {
	return d.c.Backups.ReportRun(ctx, d.p, backup.Run{PlanID: plan.ID, Copy: copyName, Source: "webhook", Tool: tool,
		StartedAt: start, FinishedAt: start.Add(took), Status: status, SnapshotID: d.snapshotID(), Bytes: bytes, Files: files,
		Message: msg})
}

// trading is the healthy plan of the trading system (level 3): a backup
// every night after the market closes (RPO 24 hours, the level's most),
// three copies — a NAS in the data centre, object storage with Object Lock
// 1,140 km away in Hà Nội, a weekly tape kept offline in a vault — managed
// centrally by Veeam.
func (d *demoBackups) trading(ctx context.Context, s system.System, assets []int64) error {
	const nas, s3, tape = "NAS tại chỗ", "Lưu trữ đối tượng bất biến (Hà Nội)", "Băng từ ngoại tuyến"
	plan, err := d.c.Backups.SavePlan(ctx, d.p, backup.Plan{SystemID: s.ID, Name: "Sao lưu CSDL lệnh giao dịch",
		Scope:    "CSDL lệnh và sổ lệnh (trade-db01), cấu hình ứng dụng giao dịch trực tuyến. " + demoNote,
		AssetIDs: assets, Every: demoDay, RPO: demoDay, RTO: 4 * time.Hour, RetentionDays: 90, RestoreEvery: 90 * demoDay, Central: true,
		Copies: []backup.Copy{
			{Name: nas, Media: backup.NAS, Location: "NAS sao lưu, phòng máy chủ TTDL TP. Hồ Chí Minh", Job: "TRADING-DB-daily"},
			{Name: s3, Media: backup.ObjectStorage, Location: "Kho S3 tại TTDL Hà Nội, bucket trading-backup, Object Lock 30 ngày",
				Offsite: true, DistanceKM: 1140, Immutable: true, Job: "TRADING-DB-offsite-copy"},
			{Name: tape, Media: backup.Tape, Location: "Két chống cháy tại Hội sở, thay băng hằng tuần",
				Offsite: true, DistanceKM: 8, Offline: true, Job: "TRADING-DB-tape-weekly"},
		}})
	if err != nil {
		return err
	}
	// Every night for two weeks from 01:00: the backup to the NAS, then its
	// copy to object storage, done at 02:20; a tape every seventh night.
	// The newest night is the latest whose copy is done, so the newest
	// good backup is always less than a day old.
	const done = 80 * time.Minute
	night := d.last(1, 0, done)
	for i := 13; i >= 0; i-- {
		start := night.AddDate(0, 0, -i)
		took := 38*time.Minute + time.Duration(d.rng.IntN(9))*time.Minute
		size := 182*demoGiB + int64(13-i)*demoGiB/3
		if _, err := d.run(ctx, plan, nas, demoVeeam, start, took, backup.RunSuccess, size, 1284,
			"Hoàn tất, 0 cảnh báo. "+demoNote); err != nil {
			return err
		}
		if _, err := d.run(ctx, plan, s3, demoVeeam, start.Add(took), done-took, backup.RunSuccess, size, 1284,
			"Đã sao chép sang kho bất biến. "+demoNote); err != nil {
			return err
		}
		if i%7 == 1 {
			if _, err := d.run(ctx, plan, tape, demoVeeam, start.Add(2*time.Hour), 95*time.Minute, backup.RunSuccess, size, 1284,
				"Đã ghi ra băng LTO-8, băng đã đưa vào két. "+demoNote); err != nil {
				return err
			}
		}
	}
	// The data of the object-storage copy read back (10%) at 04:00.
	check := night.Add(3 * time.Hour)
	if check.After(d.now) {
		check = check.AddDate(0, 0, -1)
	}
	if _, err := d.c.Backups.RecordCheck(ctx, d.p, backup.IntegrityCheck{PlanID: plan.ID, Copy: s3,
		At: check, OK: true, Subset: "10%"}); err != nil {
		return err
	}
	// Twenty days ago at 14:00, that night's backup restored into the test
	// environment in 1 h 52 min (RTO 4 h), its data 12 hours old.
	started := d.last(14, 0, 0).AddDate(0, 0, -20)
	_, err = d.c.Backups.RecordRestoreTest(ctx, d.p, backup.RestoreTest{PlanID: plan.ID, Copy: nas, SnapshotID: d.snapshotID(),
		SnapshotTime: started.Add(-12*time.Hour - 18*time.Minute), StartedAt: started, Duration: 112 * time.Minute, Files: 1284,
		Bytes: 176 * demoGiB, Verified: true})
	return err
}

// mail is the weak plan of the e-mail server: one copy on a NAS in the same
// server room, nothing offline or immutable, not centrally managed; the
// nightly Bacula job at 22:00 ran for two weeks and failed last night; the
// plan says a restore test every six months, the last was 14 months ago.
func (d *demoBackups) mail(ctx context.Context, s system.System, assets []int64) error {
	const nas, bacula = "NAS tại chỗ", "bacula 13"
	plan, err := d.c.Backups.SavePlan(ctx, d.p, backup.Plan{SystemID: s.ID, Name: "Sao lưu máy chủ thư điện tử mail01",
		Scope:    "Hộp thư (/var/mail), cấu hình Exim và Dovecot của mail01. " + demoNote,
		AssetIDs: assets, Every: demoDay, RPO: demoDay, RTO: 8 * time.Hour, RetentionDays: 30, RestoreEvery: 180 * demoDay,
		Copies: []backup.Copy{{Name: nas, Media: backup.NAS, Location: "NAS trong phòng máy chủ Hà Nội, cùng tủ rack với mail01",
			Job: "MAIL01-daily"}}})
	if err != nil {
		return err
	}
	night := d.last(22, 0, time.Hour)
	for i := 14; i >= 1; i-- {
		if _, err := d.run(ctx, plan, nas, bacula, night.AddDate(0, 0, -i), 52*time.Minute, backup.RunSuccess,
			412*demoGiB+int64(14-i)*demoGiB/2, 1_906_000+int64(14-i)*2100, "Backup OK. "+demoNote); err != nil {
			return err
		}
	}
	if _, err := d.run(ctx, plan, nas, bacula, night, 17*time.Minute, backup.RunFailed, 0, 0,
		"Fatal error: nas01-sd: write error on /backup/mail01: No space left on device. "+demoNote); err != nil {
		return err
	}
	started := d.last(9, 0, 0).AddDate(0, -14, 0)
	_, err = d.c.Backups.RecordRestoreTest(ctx, d.p, backup.RestoreTest{PlanID: plan.ID, Copy: nas, SnapshotID: d.snapshotID(),
		SnapshotTime: started.Add(-10*time.Hour - 8*time.Minute), StartedAt: started, Duration: 3*time.Hour + 10*time.Minute,
		Files: 1_650_000, Bytes: 355 * demoGiB, Verified: true})
	return err
}

// fileServer is the plan of fs01, the file server of the demo's
// ransomware case (detected 30 hours ago): a sound plan (a NAS and an
// immutable cloud copy, a restore verified 40 days ago), but its last
// backup before the case — made after the encryption began, before users
// noticed — holds encrypted files, as the ransomware heuristics said half
// an hour later. The server has been isolated since: no backup ran after.
func (d *demoBackups) fileServer(ctx context.Context, s system.System) error {
	const nas, cloud = "NAS tại chỗ", "Đám mây bất biến"
	plan, err := d.c.Backups.SavePlan(ctx, d.p, backup.Plan{SystemID: s.ID, Name: "Sao lưu máy chủ tệp fs01",
		Scope: "Thư mục dùng chung D:\\Share của máy chủ tệp fs01. " + demoNote,
		Every: demoDay, RPO: demoDay, RTO: 8 * time.Hour, RetentionDays: 30, RestoreEvery: 180 * demoDay, Central: true,
		Copies: []backup.Copy{
			{Name: nas, Media: backup.NAS, Location: "NAS trong phòng máy chủ Hà Nội", Job: "FS01-daily"},
			{Name: cloud, Media: backup.Cloud, Location: "Dịch vụ sao lưu đám mây, khoá bất biến 30 ngày", Offsite: true,
				DistanceKM: 15, Immutable: true, Job: "FS01-cloud-copy"},
		}})
	if err != nil {
		return err
	}
	// Nightly at 23:00; the last night is the latest whose runs (done at
	// 00:30) and content check came before the case was detected.
	night := d.last(23, 0, 32*time.Hour)
	var runs []backup.Run
	for i := 13; i >= 0; i-- {
		start := night.AddDate(0, 0, -i)
		size := 640*demoGiB + int64(13-i)*demoGiB
		r, err := d.run(ctx, plan, nas, demoVeeam, start, 44*time.Minute, backup.RunSuccess, size, 48_210, "Hoàn tất. "+demoNote)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if _, err := d.run(ctx, plan, cloud, demoVeeam, start.Add(50*time.Minute), 40*time.Minute, backup.RunSuccess, size, 48_210,
			"Đã sao chép lên đám mây. "+demoNote); err != nil {
			return err
		}
	}
	if _, err := d.c.Backups.RecordCheck(ctx, d.p, backup.IntegrityCheck{PlanID: plan.ID, Copy: cloud,
		At: night.AddDate(0, 0, -3).Add(5 * time.Hour), OK: true, Subset: "5%"}); err != nil {
		return err
	}
	started := d.last(10, 0, 0).AddDate(0, 0, -40)
	if _, err := d.c.Backups.RecordRestoreTest(ctx, d.p, backup.RestoreTest{PlanID: plan.ID, Copy: nas, SnapshotID: d.snapshotID(),
		SnapshotTime: started.Add(-10*time.Hour - 16*time.Minute), StartedAt: started, Duration: 2*time.Hour + 25*time.Minute,
		Files: 47_300, Bytes: 628 * demoGiB, Verified: true}); err != nil {
		return err
	}
	// The heuristics' verdict on the last backup (made up for the demo: no
	// snapshot was examined), in their words.
	last, prev := runs[len(runs)-1], runs[len(runs)-2]
	cc := backup.ContentCheck{PlanID: plan.ID, Copy: nas, SnapshotID: last.SnapshotID, PreviousID: prev.SnapshotID,
		At: last.FinishedAt.Add(30 * time.Minute), Score: 94, Suspicious: true, Sampled: 200, Files: 48_210,
		EN: []string{
			"Demo data: a made-up verdict, no snapshot was examined",
			"3412 changed files now look encrypted (high entropy, no known format) where their previous version was readable: 93% of the 200 files sampled; previously .docx, .xlsx, .pdf",
			"3398 files (7.0% of the previous snapshot) were renamed with a new extension (.lockbit) and kept their size",
			"41 files named like ransom notes appeared in 41 folders: README_GIAI_MA.txt",
		},
		VI: []string{
			"Dữ liệu minh hoạ của bản demo: kết luận giả lập, không có bản sao lưu nào được phân tích thật",
			"3412 tệp thay đổi nay trông như đã bị mã hóa (entropy cao, không thuộc định dạng đã biết) trong khi phiên bản trước đọc được: 93% trong 200 tệp được lấy mẫu; trước đây là .docx, .xlsx, .pdf",
			"3398 tệp (7,0% bản sao lưu trước) bị đổi tên sang phần mở rộng mới (.lockbit) mà vẫn giữ nguyên kích thước",
			"41 tệp có tên giống thư đòi tiền chuộc xuất hiện trong 41 thư mục: README_GIAI_MA.txt",
		}}
	return d.c.Backend.AddContentCheck(ctx, &cc)
}
