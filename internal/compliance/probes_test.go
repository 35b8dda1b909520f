package compliance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
)

type fakeAccountFacts struct {
	without []string
	total   int
	err     error
	gotUnit int64
}

func (f *fakeAccountFacts) AdminsWithoutMFA(_ context.Context, unitID int64) ([]string, int, error) {
	f.gotUnit = unitID
	return f.without, f.total, f.err
}

type fakeResponsibilityFacts struct {
	isUnit    string
	isUnitErr error
	focal     int
	focalErr  error
}

func (f *fakeResponsibilityFacts) SystemISUnit(context.Context, int64) (string, error) {
	return f.isUnit, f.isUnitErr
}

func (f *fakeResponsibilityFacts) FocalPoints(context.Context, int64) (int, error) {
	return f.focal, f.focalErr
}

type fakeAssessmentFacts struct {
	last     time.Time
	assessor string
	err      error
}

func (f *fakeAssessmentFacts) LastAssessment(context.Context, int64) (time.Time, string, error) {
	return f.last, f.assessor, f.err
}

// probeCase is one row of a probe table test.
type probeCase struct {
	name    string
	subject compliance.Subject
	want    compliance.Result // At is always probeNow
	wantErr error
}

func checkProbe(t *testing.T, p compliance.Probe, tt probeCase) {
	t.Helper()
	got, err := p.Evaluate(t.Context(), tt.subject)
	if tt.wantErr != nil {
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("Evaluate error = %v, want %v", err, tt.wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	tt.want.At = probeNow
	// Every proof is given in Vietnamese too; the English text is compared exactly.
	if got.ProofVI == "" || got.ProofIn("vi") != got.ProofVI || got.ProofIn("en") != got.Proof {
		t.Errorf("proof in Vietnamese missing or not chosen by language: %q", got.ProofVI)
	}
	got.ProofVI = ""
	if diff := cmp.Diff(tt.want, got); diff != "" {
		t.Errorf("Evaluate (-want +got):\n%s", diff)
	}
}

func TestAdminMFAProbe(t *testing.T) {
	sys := compliance.Subject{SystemID: 3, UnitID: 9, Level: 3}
	tests := []struct {
		facts fakeAccountFacts
		probeCase
	}{
		{fakeAccountFacts{total: 4}, probeCase{name: "all have mfa", subject: sys, want: compliance.Result{
			Status: compliance.StatusMet,
			Proof:  "All 4 administrator accounts of unit 9 have MFA enabled.",
			Facts:  map[string]string{"unit_id": "9", "admins_total": "4", "admins_without_mfa": "0"},
		}}},
		{fakeAccountFacts{total: 4, without: []string{"vu", "an"}}, probeCase{name: "some lack mfa", subject: sys, want: compliance.Result{
			Status: compliance.StatusNotMet,
			Proof:  "2 of 4 administrator accounts of unit 9 have no MFA: an, vu.",
			Facts: map[string]string{"unit_id": "9", "admins_total": "4", "admins_without_mfa": "2",
				"without_mfa": "an,vu"},
		}}},
		{fakeAccountFacts{}, probeCase{name: "no administrators", subject: sys, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  "Unit 9 has no administrator accounts, so MFA for administrators cannot be shown.",
			Facts:  map[string]string{"unit_id": "9", "admins_total": "0", "admins_without_mfa": "0"},
		}}},
		{fakeAccountFacts{total: 1}, probeCase{name: "no unit", subject: compliance.Subject{SystemID: 3}, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  "System 3 has no unit, so its administrator accounts cannot be checked.",
			Facts:  map[string]string{"unit_id": "0"},
		}}},
		{fakeAccountFacts{err: errs.ErrUnavailable}, probeCase{name: "facts error", subject: sys, wantErr: errs.ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			p := compliance.NewAdminMFAProbe(&f, "tech.app.authn", probeClock)
			checkProbe(t, p, tt.probeCase)
			if tt.subject.UnitID != 0 && f.gotUnit != tt.subject.UnitID {
				t.Errorf("asked about unit %d, want %d", f.gotUnit, tt.subject.UnitID)
			}
		})
	}

	p := compliance.NewAdminMFAProbe(&fakeAccountFacts{}, "tech.app.authn", probeClock)
	if p.ID() != compliance.AdminMFAProbeID || !cmp.Equal(p.Requirements(), []string{"tech.app.authn"}) || p.Freshness() != 24*time.Hour {
		t.Errorf("metadata = %q %v %v", p.ID(), p.Requirements(), p.Freshness())
	}
}

func TestResponsibilityProbe(t *testing.T) {
	sys := compliance.Subject{SystemID: 3, UnitID: 9, Level: 2}
	tests := []struct {
		facts fakeResponsibilityFacts
		probeCase
	}{
		{fakeResponsibilityFacts{isUnit: " Phòng CNTT ", focal: 2}, probeCase{name: "named with focal points", subject: sys, want: compliance.Result{
			Status: compliance.StatusMet,
			Proof:  `System 3 names "Phòng CNTT" as its specialised IS unit. Unit 9 has 2 focal point(s).`,
			Facts:  map[string]string{"is_unit": "Phòng CNTT", "unit_id": "9", "focal_points": "2"},
		}}},
		{fakeResponsibilityFacts{focal: 1}, probeCase{name: "no is unit", subject: sys, want: compliance.Result{
			Status: compliance.StatusNotMet,
			Proof:  "System 3 names no specialised IS unit. Unit 9 has 1 focal point(s).",
			Facts:  map[string]string{"is_unit": "", "unit_id": "9", "focal_points": "1"},
		}}},
		{fakeResponsibilityFacts{isUnit: "Phòng CNTT"}, probeCase{name: "no focal point", subject: sys, want: compliance.Result{
			Status: compliance.StatusNotMet,
			Proof:  `System 3 names "Phòng CNTT" as its specialised IS unit. Unit 9 has no focal point.`,
			Facts:  map[string]string{"is_unit": "Phòng CNTT", "unit_id": "9", "focal_points": "0"},
		}}},
		{fakeResponsibilityFacts{isUnit: "Phòng CNTT", focal: 1}, probeCase{name: "no unit", subject: compliance.Subject{SystemID: 3}, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  `System 3 names "Phòng CNTT" as its specialised IS unit. The system has no unit, so its focal points cannot be checked.`,
			Facts:  map[string]string{"is_unit": "Phòng CNTT"},
		}}},
		{fakeResponsibilityFacts{isUnitErr: errs.ErrNotFound}, probeCase{name: "system not found", subject: sys, wantErr: errs.ErrNotFound}},
		{fakeResponsibilityFacts{isUnit: "x", focalErr: errs.ErrUnavailable}, probeCase{name: "focal error", subject: sys, wantErr: errs.ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			checkProbe(t, compliance.NewResponsibilityProbe(&f, probeClock), tt.probeCase)
		})
	}

	p := compliance.NewResponsibilityProbe(&fakeResponsibilityFacts{}, probeClock)
	if p.ID() != compliance.ResponsibilityProbeID || !cmp.Equal(p.Requirements(), []string{compliance.RequirementISUnit}) {
		t.Errorf("metadata = %q %v", p.ID(), p.Requirements())
	}
}

func TestAssessmentIntervalProbe(t *testing.T) {
	const twoYears = 2 * 365 * 24 * time.Hour
	sys := compliance.Subject{SystemID: 3, UnitID: 9, Level: 3}
	edge := probeNow.Add(-twoYears) // 2024-03-15 10:00 UTC
	tests := []struct {
		facts fakeAssessmentFacts
		probeCase
	}{
		{fakeAssessmentFacts{last: probeNow.AddDate(0, -6, 0), assessor: "VNCERT"}, probeCase{name: "recent", subject: sys, want: compliance.Result{
			Status: compliance.StatusMet,
			Proof:  "System 3 was assessed on 2025-09-15 by VNCERT; valid until 2027-09-15.",
			Facts:  map[string]string{"last_assessment": "2025-09-15", "assessor": "VNCERT", "valid_until": "2027-09-15"},
		}}},
		{fakeAssessmentFacts{last: edge, assessor: "VNCERT"}, probeCase{name: "exactly at interval", subject: sys, want: compliance.Result{
			Status: compliance.StatusMet,
			Proof:  "System 3 was assessed on 2024-03-15 by VNCERT; valid until 2026-03-15.",
			Facts:  map[string]string{"last_assessment": "2024-03-15", "assessor": "VNCERT", "valid_until": "2026-03-15"},
		}}},
		{fakeAssessmentFacts{last: edge.Add(-time.Second), assessor: "VNCERT"}, probeCase{name: "just past interval", subject: sys, want: compliance.Result{
			Status: compliance.StatusNotMet,
			Proof:  "System 3 was last assessed on 2024-03-15 by VNCERT; the assessment expired on 2026-03-15.",
			Facts:  map[string]string{"last_assessment": "2024-03-15", "assessor": "VNCERT", "valid_until": "2026-03-15"},
		}}},
		{fakeAssessmentFacts{}, probeCase{name: "none recorded", subject: sys, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  "System 3 records no independent assessment.",
			Facts:  map[string]string{},
		}}},
		{fakeAssessmentFacts{last: probeNow.AddDate(0, -1, 0), assessor: "  "}, probeCase{name: "no assessor", subject: sys, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  "System 3 was assessed on 2026-02-15 but the assessor is not recorded, so independence cannot be shown.",
			Facts:  map[string]string{"last_assessment": "2026-02-15", "assessor": "", "valid_until": "2028-02-15"},
		}}},
		{fakeAssessmentFacts{last: probeNow.AddDate(0, 0, 1), assessor: "VNCERT"}, probeCase{name: "future date", subject: sys, want: compliance.Result{
			Status: compliance.StatusUnknown,
			Proof:  "System 3 records an assessment dated 2026-03-16, which is in the future.",
			Facts:  map[string]string{"last_assessment": "2026-03-16", "assessor": "VNCERT", "valid_until": "2028-03-15"},
		}}},
		{fakeAssessmentFacts{err: errs.ErrNotFound}, probeCase{name: "system not found", subject: sys, wantErr: errs.ErrNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			checkProbe(t, compliance.NewAssessmentIntervalProbe(&f, "mgmt.policy.review", twoYears, probeClock), tt.probeCase)
		})
	}

	t.Run("non-positive interval panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		compliance.NewAssessmentIntervalProbe(&fakeAssessmentFacts{}, "x", 0, probeClock)
	})
}

// TestBuiltinProbesRegister wires the three probes into a registry, as app does.
func TestBuiltinProbesRegister(t *testing.T) {
	r := compliance.NewRegistry()
	r.Register(compliance.NewAdminMFAProbe(&fakeAccountFacts{total: 1}, compliance.RequirementServerAuthn, probeClock))
	r.Register(compliance.NewResponsibilityProbe(&fakeResponsibilityFacts{isUnit: "IS", focal: 1}, probeClock))
	r.Register(compliance.NewAssessmentIntervalProbe(&fakeAssessmentFacts{err: errs.ErrUnavailable}, "mgmt.policy.review", time.Hour, probeClock))

	got := map[string]compliance.Status{}
	for _, o := range r.Run(t.Context(), compliance.Subject{SystemID: 1, UnitID: 2, Level: 3}, probeClock) {
		got[o.ProbeID] = o.Result.Status
	}
	want := map[string]compliance.Status{
		compliance.AdminMFAProbeID:           compliance.StatusMet,
		compliance.ResponsibilityProbeID:     compliance.StatusMet,
		compliance.AssessmentIntervalProbeID: compliance.StatusUnknown,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}
