package compliance

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeBackupFacts struct {
	plans []BackupPlanFact
	err   error
}

func (f fakeBackupFacts) BackupPlans(context.Context, int64) ([]BackupPlanFact, error) {
	return f.plans, f.err
}

func TestBackupProbe(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	good := BackupPlanFact{Name: "CSDL", LastSuccess: now.Add(-3 * time.Hour), RPO: day, RestoredAt: now.Add(-10 * day), RestoreEvery: 90 * day}
	for _, c := range []struct {
		name   string
		plans  []BackupPlanFact
		status Status
		want   []string // in the English proof
	}{
		{"no plan", nil, StatusNotMet, []string{"no backup plan"}},
		{"good", []BackupPlanFact{good}, StatusMet, []string{"“CSDL”", "2026-11-28", "2026-11-18"}},
		{"never backed up", []BackupPlanFact{{Name: "A", RPO: day, RestoreEvery: day}}, StatusNotMet,
			[]string{"“A”: no successful backup; no verified restore test"}},
		{"stale backup", []BackupPlanFact{func() BackupPlanFact { p := good; p.LastSuccess = now.Add(-2 * day); return p }()}, StatusNotMet,
			[]string{"older than the RPO"}},
		{"old restore test", []BackupPlanFact{func() BackupPlanFact { p := good; p.RestoredAt = now.Add(-100 * day); return p }()}, StatusNotMet,
			[]string{"older than the plan's interval"}},
		{"critical issue", []BackupPlanFact{func() BackupPlanFact {
			p := good
			p.Critical, p.CriticalVI = []string{"2 snapshots disappeared"}, []string{"2 bản sao lưu biến mất"}
			return p
		}()}, StatusNotMet, []string{"2 snapshots disappeared"}},
		{"one of two short", []BackupPlanFact{good, {Name: "B", RPO: day, RestoreEvery: day}}, StatusNotMet, []string{"“B”"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewBackupProbe(fakeBackupFacts{plans: c.plans}, "tech.data.backup", func() time.Time { return now })
			res, err := p.Evaluate(context.Background(), Subject{SystemID: 4, Level: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.ProofVI == "" || res.ProofVI == res.Proof {
				t.Errorf("status %s, proofs %q / %q", res.Status, res.Proof, res.ProofVI)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Proof, w) {
					t.Errorf("proof %q lacks %q", res.Proof, w)
				}
			}
		})
	}
	p := NewBackupProbe(fakeBackupFacts{err: errors.New("db down")}, "tech.data.backup", func() time.Time { return now })
	if _, err := p.Evaluate(context.Background(), Subject{SystemID: 4}); err == nil || !strings.Contains(err.Error(), "db down") {
		t.Errorf("facts error: %v", err)
	}
	if p.ID() != BackupProbeID || p.Requirements()[0] != "tech.data.backup" {
		t.Error("id or requirements")
	}
}
