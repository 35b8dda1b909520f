package compliance_test

import (
	"context"
	"testing"
	"time"

	"khien.vn/khien/internal/compliance"
)

type huntFacts struct{ closed time.Time }

func (f huntFacts) LastHunt(context.Context, int64) (time.Time, int64, string, string, error) {
	return f.closed, 7, "Sweep", "no_compromise", nil
}

func TestHuntIntervalProbe(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, tc := range []struct {
		name   string
		closed time.Time
		want   compliance.Status
	}{
		{"none", time.Time{}, compliance.StatusNotMet},
		{"recent", now.AddDate(0, -2, 0), compliance.StatusMet},
		{"on the edge", now.Add(-183 * 24 * time.Hour), compliance.StatusMet},
		{"too old", now.AddDate(0, -7, 0), compliance.StatusNotMet},
	} {
		p := compliance.NewHuntIntervalProbe(huntFacts{tc.closed}, "mgmt.ops.monitoring", 183*24*time.Hour, clock)
		r, err := p.Evaluate(t.Context(), compliance.Subject{SystemID: 4})
		if err != nil || r.Status != tc.want || r.Proof == "" || r.ProofVI == "" {
			t.Errorf("%s: %+v %v", tc.name, r, err)
		}
	}
}
