package backup

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunStatus is how a backup run ended.
type RunStatus string

// The run statuses.
const (
	RunSuccess RunStatus = "success"
	RunWarning RunStatus = "warning" // done, with files skipped or retried
	RunFailed  RunStatus = "failed"
)

// Run is one backup run of a plan, as a backup tool reported it (webhook,
// syslog) or as Khiên found it in a restic repository (a new snapshot).
type Run struct {
	ID     int64 `json:"id"`
	PlanID int64 `json:"plan_id"`
	UnitID int64 `json:"unit_id"`
	// Copy names the plan's copy it wrote ("" when the report does not say).
	Copy string `json:"copy,omitempty"`
	// Source says how Khiên learnt of it: "webhook", "syslog", "restic".
	Source     string    `json:"source"`
	Tool       string    `json:"tool,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at"`
	Status     RunStatus `json:"status"`
	// SnapshotID is the backup the run made, when the tool names it; Bytes
	// and Files its size; Message what the tool said.
	SnapshotID string `json:"snapshot_id,omitempty"`
	Bytes      int64  `json:"bytes,omitempty"`
	Files      int64  `json:"files,omitempty"`
	Message    string `json:"message,omitempty"`
}

// IntegrityCheck is one check of a copy's integrity (restic check with a
// read of the data, or a tool's own verification).
type IntegrityCheck struct {
	ID     int64     `json:"id"`
	PlanID int64     `json:"plan_id"`
	Copy   string    `json:"copy,omitempty"`
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	// Subset is how much of the data was read ("100%", "1/10", "" for a
	// structure-only check); Errors what was found wrong.
	Subset string `json:"subset,omitempty"`
	Errors string `json:"errors,omitempty"`
}

// RestoreTest is one test restore of a backup into a scratch place,
// verified, timed: the actual RTO (Duration) and RPO (the age of the data
// restored when the incident would have struck: StartedAt − SnapshotTime).
type RestoreTest struct {
	ID           int64         `json:"id"`
	PlanID       int64         `json:"plan_id"`
	Copy         string        `json:"copy,omitempty"`
	SnapshotID   string        `json:"snapshot_id,omitempty"`
	SnapshotTime time.Time     `json:"snapshot_time"`
	StartedAt    time.Time     `json:"started_at"`
	Duration     time.Duration `json:"duration"`
	Files        int64         `json:"files"`
	Bytes        int64         `json:"bytes"`
	// Verified: the restored data was read back and matched; Errors what
	// did not.
	Verified bool   `json:"verified"`
	Errors   string `json:"errors,omitempty"`
}

// OK reports whether the test restored and verified without error.
func (t RestoreTest) OK() bool { return t.Verified && t.Errors == "" }

// DataAge is the actual RPO the test shows: how old the restored data was.
func (t RestoreTest) DataAge() time.Duration { return t.StartedAt.Sub(t.SnapshotTime) }

// Snapshot is a backup in a repository as Khiên saw it.
type Snapshot struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Size is the data the snapshot restores (restic's restore-size).
	Size int64 `json:"size"`
}

// ContentSignal is what the ransomware heuristics said of the newest
// snapshot against the one before (package ransom): whether it looks like
// encrypted data being backed up, with a score and reasons.
type ContentSignal struct {
	// SnapshotID is the snapshot examined.
	SnapshotID string   `json:"snapshot_id,omitempty"`
	Suspicious bool     `json:"suspicious"`
	Score      int      `json:"score"`
	EN         []string `json:"en,omitempty"`
	VI         []string `json:"vi,omitempty"`
}

// ContentCheck is the ransomware heuristics' verdict on a snapshot of a
// plan's copy against the one before it (package ransom).
type ContentCheck struct {
	ID         int64     `json:"id"`
	PlanID     int64     `json:"plan_id"`
	Copy       string    `json:"copy,omitempty"`
	SnapshotID string    `json:"snapshot_id"`
	PreviousID string    `json:"previous_id,omitempty"`
	At         time.Time `json:"at"`
	// Score (0–100) and Suspicious as the heuristics gave them; EN and VI
	// their reasons; Sampled how many files' contents were read; Files the
	// number of files in the snapshot.
	Score      int      `json:"score"`
	Suspicious bool     `json:"suspicious"`
	EN         []string `json:"en,omitempty"`
	VI         []string `json:"vi,omitempty"`
	Sampled    int      `json:"sampled"`
	Files      int      `json:"files"`
}

// State is what Khiên knows of a plan's backups at a moment.
type State struct {
	// LastRun is the newest run (nil: none), LastSuccess when the newest
	// successful (or warning) run finished (zero: never).
	LastRun     *Run
	LastSuccess time.Time
	LastCheck   *IntegrityCheck
	LastRestore *RestoreTest
	// Gone are snapshots seen before and missing now; Latest and Previous
	// the newest two snapshots (Latest nil: none seen).
	Gone             []Snapshot
	Latest, Previous *Snapshot
	// Content is the heuristics' verdict on Latest (nil: not examined).
	Content *ContentSignal
}

// IssueKind is what is wrong with a plan's backups.
type IssueKind string

// The issue kinds.
const (
	IssueNoBackup        IssueKind = "no_backup"        // no successful backup ever
	IssueMissed          IssueKind = "missed_backup"    // the last success is older than the interval allows
	IssueRunFailed       IssueKind = "run_failed"       // the last run failed
	IssueIntegrity       IssueKind = "integrity_failed" // the last integrity check found errors
	IssueRestoreOverdue  IssueKind = "restore_overdue"  // no restore test within the interval
	IssueRestoreFailed   IssueKind = "restore_failed"   // the last restore test failed
	IssueSnapshotDeleted IssueKind = "snapshot_deleted" // a snapshot younger than the retention disappeared
	IssueSizeDrop        IssueKind = "size_drop"        // the newest snapshot is much smaller than the one before
	IssueEncrypted       IssueKind = "encrypted_content"
)

// Issue is one thing wrong with a plan's backups, with its reason in both
// languages. Critical issues (tampering, encrypted content, failed
// integrity) are signs of an attack or of backups that will not restore.
type Issue struct {
	Kind     IssueKind `json:"kind"`
	Critical bool      `json:"critical"`
	EN       string    `json:"en"`
	VI       string    `json:"vi"`
	// Ref identifies the occurrence: the run, check, restore test or
	// snapshots it is about, the same across evaluations of the same
	// occurrence. An alert is raised once per issue and Ref.
	Ref string `json:"ref,omitempty"`
}

// Thresholds of Evaluate.
const (
	// MissedGrace is how much later than its interval a backup may come
	// before it counts as missed (a daily backup that ran at 01:00 and is
	// late by a few hours is not yet missed).
	MissedGrace = 0.5
	// SizeDropRatio: a newest snapshot restoring less than this fraction of
	// the one before is a sudden size drop (mass deletion, or data
	// replaced by something smaller).
	SizeDropRatio = 0.5
)

// Evaluate says what is wrong with plan p's backups in state s at now.
func Evaluate(p Plan, s State, now time.Time) []Issue {
	var out []Issue
	var ref string // the occurrence of the issue added next
	add := func(kind IssueKind, critical bool, en, vi string) {
		out = append(out, Issue{Kind: kind, Critical: critical, EN: en, VI: vi, Ref: ref})
		ref = ""
	}
	vn := func(t time.Time) string { return t.In(vietnam).Format("2006-01-02 15:04") }
	limit := p.Every + time.Duration(float64(p.Every)*MissedGrace)
	switch {
	case s.LastSuccess.IsZero():
		ref = "never"
		add(IssueNoBackup, false, "No successful backup is recorded.", "Chưa ghi nhận lần sao lưu thành công nào.")
	case now.Sub(s.LastSuccess) > limit:
		ref = "since:" + s.LastSuccess.UTC().Format(time.RFC3339)
		add(IssueMissed, false,
			fmt.Sprintf("The last successful backup finished %s, %s ago; the plan backs up every %s.", vn(s.LastSuccess), hours(now.Sub(s.LastSuccess).Truncate(time.Hour)), hours(p.Every)),
			fmt.Sprintf("Lần sao lưu thành công gần nhất kết thúc lúc %s, cách đây %s; kế hoạch sao lưu %s một lần.", vn(s.LastSuccess), hoursVI(now.Sub(s.LastSuccess).Truncate(time.Hour)), hoursVI(p.Every)))
	}
	if r := s.LastRun; r != nil && r.Status == RunFailed {
		ref = fmt.Sprintf("run:%d", r.ID)
		add(IssueRunFailed, false,
			fmt.Sprintf("The last backup run (%s) failed: %s", vn(r.FinishedAt), orDash(r.Message)),
			fmt.Sprintf("Lần sao lưu gần nhất (%s) thất bại: %s", vn(r.FinishedAt), orDash(r.Message)))
	}
	if c := s.LastCheck; c != nil && !c.OK {
		ref = fmt.Sprintf("check:%d", c.ID)
		add(IssueIntegrity, true,
			fmt.Sprintf("The integrity check of %s found errors: %s", vn(c.At), orDash(c.Errors)),
			fmt.Sprintf("Lần kiểm tra toàn vẹn lúc %s phát hiện lỗi: %s", vn(c.At), orDash(c.Errors)))
	}
	switch t := s.LastRestore; {
	case t == nil:
		ref = "restore-due:none"
		add(IssueRestoreOverdue, false, "No restore test is recorded.", "Chưa ghi nhận lần thử phục hồi nào.")
	case !t.OK():
		ref = fmt.Sprintf("restore:%d", t.ID)
		add(IssueRestoreFailed, true,
			fmt.Sprintf("The restore test of %s failed: %s", vn(t.StartedAt), orDash(t.Errors)),
			fmt.Sprintf("Lần thử phục hồi lúc %s thất bại: %s", vn(t.StartedAt), orDash(t.Errors)))
	case now.Sub(t.StartedAt) > p.RestoreEvery:
		ref = fmt.Sprintf("restore-due:%d", t.ID)
		add(IssueRestoreOverdue, false,
			fmt.Sprintf("The last restore test was on %s; the plan tests every %s.", vn(t.StartedAt), days(p.RestoreEvery)),
			fmt.Sprintf("Lần thử phục hồi gần nhất là %s; kế hoạch thử phục hồi %s một lần.", vn(t.StartedAt), daysVI(p.RestoreEvery)))
	}
	retention := time.Duration(p.RetentionDays) * 24 * time.Hour
	var early []Snapshot
	for _, g := range s.Gone {
		if now.Sub(g.Time) < retention {
			early = append(early, g)
		}
	}
	if len(early) > 0 {
		slices.SortFunc(early, func(a, b Snapshot) int { return a.Time.Compare(b.Time) })
		ids := make([]string, len(early))
		for i, g := range early {
			ids[i] = shortID(g.ID)
		}
		ref = "gone:" + strings.Join(ids, ",")
		add(IssueSnapshotDeleted, true,
			fmt.Sprintf("%d snapshots younger than the %d-day retention disappeared (the oldest %s of %s): deleted or pruned outside the policy.",
				len(early), p.RetentionDays, shortID(early[0].ID), vn(early[0].Time)),
			fmt.Sprintf("%d bản sao lưu chưa hết thời hạn lưu giữ %d ngày đã biến mất (cũ nhất là %s lúc %s): bị xóa hoặc dọn ngoài chính sách.",
				len(early), p.RetentionDays, shortID(early[0].ID), vn(early[0].Time)))
	}
	if s.Latest != nil && s.Previous != nil && s.Previous.Size > 0 && float64(s.Latest.Size) < SizeDropRatio*float64(s.Previous.Size) {
		ref = "snapshot:" + s.Latest.ID
		add(IssueSizeDrop, true,
			fmt.Sprintf("The newest snapshot (%s) restores %d bytes, against %d in the one before: a drop of %.0f%%.",
				vn(s.Latest.Time), s.Latest.Size, s.Previous.Size, 100*(1-float64(s.Latest.Size)/float64(s.Previous.Size))),
			fmt.Sprintf("Bản sao lưu mới nhất (%s) có %d byte, so với %d byte của bản trước: giảm %.0f%%.",
				vn(s.Latest.Time), s.Latest.Size, s.Previous.Size, 100*(1-float64(s.Latest.Size)/float64(s.Previous.Size))))
	}
	if c := s.Content; c != nil && c.Suspicious {
		ref = "content:" + c.SnapshotID
		add(IssueEncrypted, true,
			fmt.Sprintf("The newest snapshot looks like encrypted data being backed up (score %d): %s", c.Score, joinOr(c.EN, "see the report")),
			fmt.Sprintf("Bản sao lưu mới nhất có dấu hiệu dữ liệu đã bị mã hóa (điểm %d): %s", c.Score, joinOr(c.VI, "xem báo cáo")))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func joinOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	out := list[0]
	for _, s := range list[1:] {
		out += "; " + s
	}
	return out
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// vietnam is the zone dates are written in.
var vietnam = time.FixedZone("ICT", 7*3600)
