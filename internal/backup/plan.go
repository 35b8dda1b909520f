// Package backup is backup assurance: per information system, the backup
// plan (what is covered, how often, how long kept, which copies where),
// the runs that backup tools report or Khiên collects from restic
// repositories, their integrity checks and restore tests, and what they
// prove — the 3-2-1-1-0 rule, the level's expectations, freshness, signs
// of tampering or of encrypted data being backed up, and a ransomware
// readiness score with its reasons (docs/backups.md).
//
// This file holds plans and the rules they are checked against; they are
// pure: the service stores them and feeds them the facts.
package backup

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"

	"khien.vn/khien/internal/errs"
)

// Media is what a copy is kept on.
type Media string

// The media.
const (
	Disk          Media = "disk"           // disks of the production site or a backup server
	NAS           Media = "nas"            // a network share or NAS
	Tape          Media = "tape"           // tape
	ObjectStorage Media = "object_storage" // S3-compatible or other object storage
	Cloud         Media = "cloud"          // a cloud backup service
	Removable     Media = "removable"      // removable disks kept apart
)

// MediaList lists every medium.
var MediaList = []Media{Disk, NAS, Tape, ObjectStorage, Cloud, Removable}

// Copy is one backup copy of a plan's data.
type Copy struct {
	// Name identifies the copy within the plan ("NAS tại chỗ", "S3 Viettel").
	Name     string `json:"name"`
	Media    Media  `json:"media"`
	Location string `json:"location,omitempty"`
	// Offsite: kept in another place than the production data;
	// DistanceKM how far from the primary site (0: unknown).
	Offsite    bool `json:"offsite"`
	DistanceKM int  `json:"distance_km,omitempty"`
	// Offline: disconnected from the network (tape, removable disks kept
	// apart); Immutable: cannot be changed or deleted before its retention
	// ends (object lock, WORM, append-only repository). Either puts the
	// copy out of a ransomware operator's reach.
	Offline   bool `json:"offline"`
	Immutable bool `json:"immutable"`
	// RepositoryID is the restic repository Khiên watches as this copy (0:
	// none; runs are reported instead).
	RepositoryID int64 `json:"repository_id,omitempty"`
	// Job is the name the backup software gives the job that writes this
	// copy ("TRADING-DB-daily"): its syslog messages about that job are
	// recorded as runs of this copy ("": none are).
	Job string `json:"job,omitempty"`
}

// Plan is the backup plan of an information system.
type Plan struct {
	ID       int64  `json:"id"`
	UnitID   int64  `json:"unit_id"`
	SystemID int64  `json:"system_id"`
	Name     string `json:"name"`
	// Scope says what is covered (data sets, databases, configurations);
	// AssetIDs the assets whose data it is.
	Scope    string  `json:"scope,omitempty"`
	AssetIDs []int64 `json:"asset_ids,omitempty"`
	// Every is how often a backup runs; RPO the most data the system may
	// lose (the age of the newest good backup); RTO how long a restore may
	// take; RetentionDays how long backups are kept; RestoreEvery how often
	// a restore is tested.
	Every         time.Duration `json:"every"`
	RPO           time.Duration `json:"rpo"`
	RTO           time.Duration `json:"rto"`
	RetentionDays int           `json:"retention_days"`
	RestoreEvery  time.Duration `json:"restore_every"`
	// Central: the backups are managed by a central backup product.
	Central   bool      `json:"central"`
	Copies    []Copy    `json:"copies"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits of a plan.
const (
	MaxCopies   = 20
	maxName     = 200
	maxScope    = 4000
	maxLocation = 500
)

// Validate trims p's texts and checks it: a name, positive intervals
// (RPO at least as long as the backup interval: a plan that backs up every
// 24 hours cannot promise a 1-hour RPO), at least one copy, each with a
// unique name and a known medium. Errors are errs.ErrInvalid naming the
// field.
func (p *Plan) Validate() error {
	p.Name, p.Scope = strings.TrimSpace(p.Name), strings.TrimSpace(p.Scope)
	switch {
	case p.Name == "" || utf8.RuneCountInString(p.Name) > maxName:
		return errs.Invalid("name", "err.required")
	case utf8.RuneCountInString(p.Scope) > maxScope:
		return errs.Invalid("scope", "err.too_long")
	case p.Every <= 0:
		return errs.Invalid("every", "err.backup_interval")
	case p.RPO < p.Every:
		return errs.Invalid("rpo", "err.backup_rpo")
	case p.RTO <= 0:
		return errs.Invalid("rto", "err.backup_interval")
	case p.RestoreEvery <= 0:
		return errs.Invalid("restore_every", "err.backup_interval")
	case p.RetentionDays <= 0 || p.RetentionDays > 100*366:
		return errs.Invalid("retention_days", "err.invalid")
	case len(p.Copies) == 0:
		return errs.Invalid("copies", "err.backup_copies")
	case len(p.Copies) > MaxCopies:
		return errs.Invalid("copies", "err.too_long")
	}
	seen := map[string]bool{}
	for i := range p.Copies {
		c := &p.Copies[i]
		c.Name, c.Location, c.Job = strings.TrimSpace(c.Name), strings.TrimSpace(c.Location), strings.TrimSpace(c.Job)
		switch {
		case c.Name == "" || utf8.RuneCountInString(c.Name) > maxName:
			return errs.Invalid("copies", "err.required")
		case seen[strings.ToLower(c.Name)]:
			return errs.Invalid("copies", "err.backup_copy_twice", c.Name)
		case !slices.Contains(MediaList, c.Media):
			return errs.Invalid("copies", "err.invalid")
		case utf8.RuneCountInString(c.Location) > maxLocation || utf8.RuneCountInString(c.Job) > maxName:
			return errs.Invalid("copies", "err.too_long")
		case strings.ContainsFunc(c.Job, unicode.IsControl):
			return errs.Invalid("copies", "err.invalid")
		case c.DistanceKM < 0 || c.DistanceKM > 40000:
			return errs.Invalid("copies", "err.invalid")
		}
		seen[strings.ToLower(c.Name)] = true
	}
	return nil
}

// Expectation is what a level expects of a system's backups (see
// rules/expectations.yaml).
type Expectation struct {
	Copies        int  `yaml:"copies"`
	Media         int  `yaml:"media"`
	Offsite       bool `yaml:"offsite"`
	Offline       bool `yaml:"offline"`
	MaxRPOHours   int  `yaml:"max_rpo_hours"`
	RestoreMonths int  `yaml:"restore_months"`
	Central       bool `yaml:"central"`
	GeoKM         int  `yaml:"geo_km"`
}

// Expectations are the expectations of every level, and the requirements
// they are evidence for.
type Expectations struct {
	Format       int                 `yaml:"format"`
	Levels       map[int]Expectation `yaml:"levels"`
	DefaultLevel int                 `yaml:"default_level"`
	Requirements struct {
		Backup  string `yaml:"backup"`
		Central string `yaml:"central"`
		Geo     string `yaml:"geo"`
	} `yaml:"requirements"`
}

// ErrInvalidExpectations is wrapped by the errors of ParseExpectations.
var ErrInvalidExpectations = errors.New("invalid backup expectations")

// ParseExpectations reads and checks a file of expectations: format 1,
// every level 1–5, counts and intervals positive, a default level.
func ParseExpectations(b []byte) (*Expectations, error) {
	var e Expectations
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidExpectations, err)
	}
	if e.Format != 1 {
		return nil, fmt.Errorf("%w: format %d, want 1", ErrInvalidExpectations, e.Format)
	}
	for l := 1; l <= 5; l++ {
		x, ok := e.Levels[l]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: level %d missing", ErrInvalidExpectations, l)
		case x.Copies < 1 || x.Media < 1 || x.MaxRPOHours < 1 || x.RestoreMonths < 1 || x.GeoKM < 0:
			return nil, fmt.Errorf("%w: level %d: copies, media, max_rpo_hours and restore_months must be positive", ErrInvalidExpectations, l)
		}
	}
	if len(e.Levels) != 5 {
		return nil, fmt.Errorf("%w: levels other than 1–5", ErrInvalidExpectations)
	}
	if e.DefaultLevel < 1 || e.DefaultLevel > 5 {
		return nil, fmt.Errorf("%w: default_level %d is not 1–5", ErrInvalidExpectations, e.DefaultLevel)
	}
	if e.Requirements.Backup == "" {
		return nil, fmt.Errorf("%w: requirements.backup missing", ErrInvalidExpectations)
	}
	return &e, nil
}

//go:embed rules/expectations.yaml
var embeddedExpectations []byte

// DefaultExpectations returns Khiên's expectations. It panics if the
// embedded file is broken, which its tests rule out.
func DefaultExpectations() *Expectations {
	e, err := ParseExpectations(embeddedExpectations)
	if err != nil {
		panic(err)
	}
	return e
}

// For returns the expectation of level (the default level's when level
// is not 1–5) and the level used.
func (e *Expectations) For(level int) (Expectation, int) {
	if level < 1 || level > 5 {
		level = e.DefaultLevel
	}
	return e.Levels[level], level
}

// Check is one rule a plan is checked against, with what it found in
// both languages.
type Check struct {
	// Code identifies the rule: "copies", "media", "offsite", "offline",
	// "zero_errors", "rpo", "restore_interval", "central", "geo".
	Code string `json:"code"`
	OK   bool   `json:"ok"`
	EN   string `json:"en"`
	VI   string `json:"vi"`
}

// Verification is what the latest integrity check and restore test of a
// plan's copies showed, for the "0" of 3-2-1-1-0: zero errors.
type Verification struct {
	// CheckedAt is when the last integrity check ran (zero: never),
	// CheckOK whether it found no error; RestoredAt when the last restore
	// test ran (zero: never), RestoreOK whether it verified without error.
	CheckedAt  time.Time
	CheckOK    bool
	RestoredAt time.Time
	RestoreOK  bool
}

// CheckPlan checks p against the 3-2-1-1-0 rule — three copies of the data
// (the production data and two backups), on two different media, one
// offsite, one offline or immutable, zero errors in the last integrity
// check and restore test — and against what the system's level expects
// (exp for level; see Expectations.For): the number of copies and media,
// the RPO, the restore-test interval, central management and a distant
// copy. The production data counts as one copy on disk.
func CheckPlan(p Plan, v Verification, exp Expectation, level int) []Check {
	media := map[Media]bool{Disk: true} // the production data
	offsite, offline := false, false
	farthest := 0
	for _, c := range p.Copies {
		media[c.Media] = true
		offsite = offsite || c.Offsite
		offline = offline || c.Offline || c.Immutable
		farthest = max(farthest, c.DistanceKM)
	}
	var out []Check
	add := func(code string, ok bool, en, vi string) {
		out = append(out, Check{Code: code, OK: ok, EN: en, VI: vi})
	}
	want := max(2, exp.Copies)
	add("copies", len(p.Copies) >= want,
		fmt.Sprintf("%d backup copies besides the production data (3-2-1-1-0 and level %d: at least %d).", len(p.Copies), level, want),
		fmt.Sprintf("%d bản sao lưu ngoài dữ liệu đang vận hành (quy tắc 3-2-1-1-0 và cấp độ %d: tối thiểu %d).", len(p.Copies), level, want))
	wantMedia := max(2, exp.Media)
	add("media", len(media) >= wantMedia,
		fmt.Sprintf("%d kinds of media, the production disks included (at least %d).", len(media), wantMedia),
		fmt.Sprintf("%d loại phương tiện lưu trữ, tính cả ổ đĩa của hệ thống đang vận hành (tối thiểu %d).", len(media), wantMedia))
	add("offsite", offsite,
		yesNo(offsite, "A copy is kept offsite.", "No copy is kept offsite."),
		yesNo(offsite, "Có bản sao lưu đặt ở nơi khác.", "Chưa có bản sao lưu nào đặt ở nơi khác."))
	add("offline", offline,
		yesNo(offline, "A copy is offline or immutable, out of a ransomware operator's reach.",
			"No copy is offline or immutable: ransomware that reaches the backups can destroy them all."),
		yesNo(offline, "Có bản sao lưu ngoại tuyến hoặc không thể sửa xóa, ngoài tầm với của mã độc tống tiền.",
			"Chưa có bản sao lưu ngoại tuyến hoặc không thể sửa xóa: mã độc tống tiền tiếp cận được hệ thống sao lưu có thể hủy toàn bộ bản sao."))
	zero := !v.CheckedAt.IsZero() && v.CheckOK && !v.RestoredAt.IsZero() && v.RestoreOK
	var zeroEN, zeroVI string
	switch {
	case zero:
		zeroEN, zeroVI = "The last integrity check and the last restore test found no error.",
			"Lần kiểm tra toàn vẹn và lần thử phục hồi gần nhất không phát hiện lỗi."
	case v.CheckedAt.IsZero() || v.RestoredAt.IsZero():
		zeroEN, zeroVI = "Zero errors is not shown: an integrity check and a restore test are both needed.",
			"Chưa chứng minh được không có lỗi: cần cả kiểm tra toàn vẹn và thử phục hồi."
	default:
		zeroEN, zeroVI = "The last integrity check or restore test found errors.",
			"Lần kiểm tra toàn vẹn hoặc thử phục hồi gần nhất phát hiện lỗi."
	}
	add("zero_errors", zero, zeroEN, zeroVI)
	maxRPO := time.Duration(exp.MaxRPOHours) * time.Hour
	add("rpo", p.RPO <= maxRPO,
		fmt.Sprintf("RPO %s (level %d: at most %s).", hours(p.RPO), level, hours(maxRPO)),
		fmt.Sprintf("RPO %s (cấp độ %d: tối đa %s).", hoursVI(p.RPO), level, hoursVI(maxRPO)))
	maxRestore := time.Duration(exp.RestoreMonths) * 30 * 24 * time.Hour
	add("restore_interval", p.RestoreEvery <= maxRestore,
		fmt.Sprintf("A restore test every %s (level %d: at least every %d months).", days(p.RestoreEvery), level, exp.RestoreMonths),
		fmt.Sprintf("Thử phục hồi %s một lần (cấp độ %d: tối thiểu %d tháng một lần).", daysVI(p.RestoreEvery), level, exp.RestoreMonths))
	if exp.Central {
		add("central", p.Central,
			yesNo(p.Central, "Backups are managed centrally.", fmt.Sprintf("Level %d expects centrally managed backup (design measure D14).", level)),
			yesNo(p.Central, "Sao lưu được quản lý tập trung.", fmt.Sprintf("Cấp độ %d yêu cầu sao lưu dự phòng tập trung (phương án D14).", level)))
	}
	if exp.GeoKM > 0 {
		ok := farthest >= exp.GeoKM
		add("geo", ok,
			fmt.Sprintf("The farthest copy is %d km from the primary site (level %d: at least %d km).", farthest, level, exp.GeoKM),
			fmt.Sprintf("Bản sao xa nhất cách hệ thống chính %d km (cấp độ %d: tối thiểu %d km).", farthest, level, exp.GeoKM))
	}
	return out
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// hours writes d in hours, or days when a whole number of them.
func hours(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return days(d)
	}
	return fmt.Sprintf("%g hours", d.Hours())
}

func hoursVI(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return daysVI(d)
	}
	return fmt.Sprintf("%g giờ", d.Hours())
}

func days(d time.Duration) string {
	n := d.Hours() / 24
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%g days", n)
}

func daysVI(d time.Duration) string { return fmt.Sprintf("%g ngày", d.Hours()/24) }
