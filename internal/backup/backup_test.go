package backup

import (
	"errors"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
)

const day = 24 * time.Hour

// goodPlan is a daily plan with a NAS copy, an offsite immutable object
// store and a tape kept offline, 40 km away.
func goodPlan() Plan {
	return Plan{Name: "Sao lưu CSDL giao dịch", Every: day, RPO: day, RTO: 4 * time.Hour, RetentionDays: 30, RestoreEvery: 90 * day,
		Central: true, Copies: []Copy{
			{Name: "NAS tại chỗ", Media: NAS},
			{Name: "S3 khóa đối tượng", Media: ObjectStorage, Offsite: true, Immutable: true, DistanceKM: 15},
			{Name: "Băng từ", Media: Tape, Offsite: true, Offline: true, DistanceKM: 40},
		}}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Plan)
		field string
	}{
		{"ok", func(*Plan) {}, ""},
		{"no name", func(p *Plan) { p.Name = "  " }, "name"},
		{"no interval", func(p *Plan) { p.Every = 0 }, "every"},
		{"rpo shorter than the interval", func(p *Plan) { p.RPO = time.Hour }, "rpo"},
		{"no rto", func(p *Plan) { p.RTO = 0 }, "rto"},
		{"no restore interval", func(p *Plan) { p.RestoreEvery = -day }, "restore_every"},
		{"no retention", func(p *Plan) { p.RetentionDays = 0 }, "retention_days"},
		{"no copy", func(p *Plan) { p.Copies = nil }, "copies"},
		{"copy twice", func(p *Plan) { p.Copies[1].Name = "nas TẠI CHỖ" }, "copies"},
		{"unknown medium", func(p *Plan) { p.Copies[0].Media = "floppy" }, "copies"},
		{"negative distance", func(p *Plan) { p.Copies[0].DistanceKM = -1 }, "copies"},
		{"job named", func(p *Plan) { p.Copies[0].Job = " TRADING-DB-daily " }, ""},
		{"job with a line break", func(p *Plan) { p.Copies[0].Job = "a\nb" }, "copies"},
		{"job too long", func(p *Plan) { p.Copies[0].Job = strings.Repeat("j", 201) }, "copies"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := goodPlan()
			c.edit(&p)
			err := p.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			pe, ok := errs.AsPublic(err)
			if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != c.field {
				t.Errorf("Validate = %v, want invalid %s", err, c.field)
			}
		})
	}
}

func TestExpectations(t *testing.T) {
	e := DefaultExpectations()
	if x, l := e.For(5); l != 5 || x.GeoKM != 30 || !x.Offline || x.MaxRPOHours != 12 {
		t.Errorf("level 5: %+v", x)
	}
	if _, l := e.For(0); l != 3 {
		t.Errorf("no level: held to %d, want 3", l)
	}
	if e.Requirements.Backup != "tech.data.backup" || e.Requirements.Geo != "design.measure.geo_backup" {
		t.Errorf("requirements %+v", e.Requirements)
	}
	for _, bad := range []string{
		"format: 2\n",
		"format: 1\nlevels:\n  1: {copies: 1, media: 1, max_rpo_hours: 1, restore_months: 1}\ndefault_level: 1\nrequirements: {backup: x}\n",
		strings.Replace(string(embeddedExpectations), "copies: 1,", "copies: 0,", 1),
		strings.Replace(string(embeddedExpectations), "default_level: 3", "default_level: 9", 1),
		strings.Replace(string(embeddedExpectations), "format: 1", "format: 1\nbogus: 1", 1),
	} {
		if _, err := ParseExpectations([]byte(bad)); !errors.Is(err, ErrInvalidExpectations) {
			t.Errorf("ParseExpectations accepted or failed wrongly (%v):\n%.80s", err, bad)
		}
	}
}

func TestCheckPlan(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	verified := Verification{CheckedAt: now.Add(-day), CheckOK: true, RestoredAt: now.Add(-10 * day), RestoreOK: true}
	e := DefaultExpectations()
	for _, c := range []struct {
		name   string
		edit   func(*Plan)
		v      Verification
		level  int
		failed []string // the codes not OK, in order
	}{
		{"good at level 5", func(p *Plan) { p.Every, p.RPO = 12*time.Hour, 12*time.Hour }, verified, 5, nil},
		{"daily at level 5", func(*Plan) {}, verified, 5, []string{"rpo"}},
		{"not verified", func(*Plan) {}, Verification{CheckedAt: now, CheckOK: true}, 3, []string{"zero_errors"}},
		{"restore failed", func(*Plan) {}, Verification{CheckedAt: now, CheckOK: true, RestoredAt: now, RestoreOK: false}, 3, []string{"zero_errors"}},
		{"one NAS copy only", func(p *Plan) { p.Copies = p.Copies[:1] }, verified, 3,
			[]string{"copies", "offsite", "offline"}},
		{"one NAS copy only at level 1", func(p *Plan) { p.Copies = p.Copies[:1] }, verified, 1,
			[]string{"copies", "offsite", "offline"}}, // 3-2-1-1-0 holds at every level
		{"two copies on disk", func(p *Plan) {
			p.Copies = []Copy{{Name: "a", Media: Disk, Offsite: true, Immutable: true}, {Name: "b", Media: Disk}}
		}, verified, 3, []string{"media"}},
		{"weekly at level 3", func(p *Plan) { p.Every, p.RPO = 7*day, 7*day }, verified, 3, []string{"rpo"}},
		{"yearly restore at level 3", func(p *Plan) { p.RestoreEvery = 365 * day }, verified, 3, []string{"restore_interval"}},
		{"not central at level 4", func(p *Plan) { p.Central = false }, verified, 4, []string{"central"}},
		{"not central at level 2", func(p *Plan) { p.Central = false }, verified, 2, nil},
		{"copies too near at level 5", func(p *Plan) { p.Every, p.RPO, p.Copies[2].DistanceKM = 12*time.Hour, 12*time.Hour, 20 }, verified, 5,
			[]string{"geo"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := goodPlan()
			c.edit(&p)
			exp, level := e.For(c.level)
			var failed []string
			for _, ch := range CheckPlan(p, c.v, exp, level) {
				if ch.EN == "" || ch.VI == "" || ch.EN == ch.VI {
					t.Errorf("check %s without its texts: %+v", ch.Code, ch)
				}
				if !ch.OK {
					failed = append(failed, ch.Code)
				}
			}
			if strings.Join(failed, ",") != strings.Join(c.failed, ",") {
				t.Errorf("failed checks %v, want %v", failed, c.failed)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p := goodPlan()
	good := func() State {
		return State{
			LastRun:     &Run{Status: RunSuccess, FinishedAt: now.Add(-20 * time.Hour)},
			LastSuccess: now.Add(-20 * time.Hour),
			LastCheck:   &IntegrityCheck{At: now.Add(-day), OK: true, Subset: "100%"},
			LastRestore: &RestoreTest{StartedAt: now.Add(-30 * day), SnapshotTime: now.Add(-31 * day), Duration: time.Hour, Verified: true},
			Latest:      &Snapshot{ID: "bbbbbbbbbbbb", Time: now.Add(-20 * time.Hour), Size: 1000},
			Previous:    &Snapshot{ID: "aaaaaaaaaaaa", Time: now.Add(-44 * time.Hour), Size: 990},
		}
	}
	for _, c := range []struct {
		name  string
		edit  func(*State)
		kinds []IssueKind
		want  string // in the first issue's English text
		ref   string // the first issue's Ref
	}{
		{"all good", func(*State) {}, nil, "", ""},
		{"never backed up", func(s *State) { *s = State{} }, []IssueKind{IssueNoBackup, IssueRestoreOverdue}, "No successful backup", "never"},
		{"late but within grace", func(s *State) { s.LastSuccess = now.Add(-35 * time.Hour) }, nil, "", ""},
		{"missed", func(s *State) { s.LastSuccess = now.Add(-50 * time.Hour) }, []IssueKind{IssueMissed}, "50 hours ago", "since:2026-11-26T07:00:00Z"},
		{"failed run", func(s *State) {
			s.LastRun = &Run{ID: 7, Status: RunFailed, FinishedAt: now.Add(-time.Hour), Message: "disk full"}
		}, []IssueKind{IssueRunFailed}, "disk full", "run:7"},
		{"integrity", func(s *State) { s.LastCheck = &IntegrityCheck{ID: 3, At: now, Errors: "pack 3f2a… contains 1 error"} },
			[]IssueKind{IssueIntegrity}, "pack 3f2a", "check:3"},
		{"restore overdue", func(s *State) { s.LastRestore.StartedAt = now.Add(-100 * day) }, []IssueKind{IssueRestoreOverdue}, "90 days", "restore-due:0"},
		{"restore failed", func(s *State) { s.LastRestore.ID, s.LastRestore.Errors = 5, "2 files differ" }, []IssueKind{IssueRestoreFailed}, "2 files differ", "restore:5"},
		{"snapshot deleted early", func(s *State) {
			s.Gone = []Snapshot{{ID: "eeeeeeeeeeee", Time: now.Add(-3 * day)}, {ID: "cccccccccccc", Time: now.Add(-5 * day)}, {ID: "dddddddddddd", Time: now.Add(-40 * day)}}
		}, []IssueKind{IssueSnapshotDeleted}, "2 snapshots younger than the 30-day retention", "gone:cccccccc,eeeeeeee"},
		{"pruned by policy", func(s *State) { s.Gone = []Snapshot{{ID: "dddddddddddd", Time: now.Add(-40 * day)}} }, nil, "", ""},
		{"size drop", func(s *State) { s.Latest.Size = 400 }, []IssueKind{IssueSizeDrop}, "a drop of 60%", "snapshot:bbbbbbbbbbbb"},
		{"size down a little", func(s *State) { s.Latest.Size = 600 }, nil, "", ""},
		{"encrypted", func(s *State) {
			s.Content = &ContentSignal{SnapshotID: "bbbbbbbbbbbb", Suspicious: true, Score: 92, EN: []string{"1,204 files renamed to .lockbit"}, VI: []string{"1.204 tệp đổi đuôi .lockbit"}}
		}, []IssueKind{IssueEncrypted}, ".lockbit", "content:bbbbbbbbbbbb"},
		{"content looked at, fine", func(s *State) { s.Content = &ContentSignal{Score: 3} }, nil, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := good()
			c.edit(&s)
			issues := Evaluate(p, s, now)
			var kinds []IssueKind
			for _, is := range issues {
				kinds = append(kinds, is.Kind)
				if is.EN == "" || is.VI == "" {
					t.Errorf("issue without its texts: %+v", is)
				}
			}
			if len(kinds) != len(c.kinds) {
				t.Fatalf("issues %v, want %v", kinds, c.kinds)
			}
			for i := range kinds {
				if kinds[i] != c.kinds[i] {
					t.Fatalf("issues %v, want %v", kinds, c.kinds)
				}
			}
			if len(issues) > 0 && issues[0].Ref != c.ref {
				t.Errorf("ref %q, want %q", issues[0].Ref, c.ref)
			}
			if c.want != "" && !strings.Contains(issues[0].EN, c.want) {
				t.Errorf("issue text %q lacks %q", issues[0].EN, c.want)
			}
			critical := map[IssueKind]bool{IssueIntegrity: true, IssueRestoreFailed: true, IssueSnapshotDeleted: true, IssueSizeDrop: true, IssueEncrypted: true}
			for _, is := range issues {
				if is.Critical != critical[is.Kind] {
					t.Errorf("%s critical = %v", is.Kind, is.Critical)
				}
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p := goodPlan()
	s := State{LastSuccess: now.Add(-2 * time.Hour),
		LastRestore: &RestoreTest{StartedAt: now.Add(-30 * day), SnapshotTime: now.Add(-30*day - 6*time.Hour), Duration: 95 * time.Minute, Verified: true}}
	full := ReadinessOf(&p, s, ReadinessFacts{RansomwareRules: true}, now)
	if full.Score != 100 {
		t.Errorf("everything in place: %d, want 100 (%+v)", full.Score, full.Items)
	}
	if !strings.Contains(full.Items[3].EN, "restoring in 1h35m0s data 6 hours old") {
		t.Errorf("restore item: %q", full.Items[3].EN)
	}
	stale := s
	stale.LastSuccess = now.Add(-3 * day)
	stale.LastRestore = &RestoreTest{StartedAt: now.Add(-10 * day), Verified: false, Errors: "checksum mismatch"}
	r := ReadinessOf(&p, stale, ReadinessFacts{RansomwareRules: false, OpenCritical: 2}, now)
	if r.Score != weightPlan+weightOffline {
		t.Errorf("stale backup, failed restore, rules off, 2 critical: %d, want %d", r.Score, weightPlan+weightOffline)
	}
	for _, it := range r.Items {
		if it.Code == "critical" && !strings.Contains(it.EN, "2 open critical") {
			t.Errorf("critical item %q", it.EN)
		}
	}
	off := ReadinessOf(&p, stale, ReadinessFacts{RulesOff: []string{"Mass file encryption on one host"}}, now)
	for _, it := range off.Items {
		if it.Code == "rules" && (it.OK || !strings.Contains(it.EN, "1 ransomware detection rules are off") ||
			!strings.Contains(it.VI, "Mass file encryption on one host")) {
			t.Errorf("rules item with one rule off: %+v", it)
		}
	}
	none := ReadinessOf(nil, State{}, ReadinessFacts{RansomwareRules: true}, now)
	if none.Score != weightRules+weightCritical || len(none.Items) != 6 {
		t.Errorf("no plan: %d with %d items", none.Score, len(none.Items))
	}
	total := 0
	for _, it := range full.Items {
		total += it.Weight
	}
	if total != 100 {
		t.Errorf("weights add up to %d", total)
	}
}
