package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
)

// fullPlan returns a plan of sys with every field set, as
// incident.ResponsePlan.Check leaves it.
func fullPlan(sys system.System) incident.ResponsePlan {
	return incident.ResponsePlan{ID: 999, SystemID: 12345, UnitID: sys.UnitID, Version: "2.1", Status: incident.PlanApproved,
		Scope: "Cổng thông tin điện tử\nvà CSDL", Scenarios: "Mã độc tống tiền; DDoS; lộ lọt dữ liệu <b>không phải html</b> & \"trích\"",
		Team: "Trưởng nhóm: Nguyễn Văn A\tđiều phối", Contacts: "VNCERT/CC; Trung tâm An ninh mạng quốc gia",
		Procedures: "Phát hiện → phân loại → báo cáo → ngăn chặn → loại bỏ → khôi phục", Resources: "Bản sao lưu hằng ngày",
		Communication: "Thông báo lãnh đạo trong 1 giờ", Training: "Diễn tập thực chiến hằng năm",
		ApprovedBy: "Giám đốc Sở — Trần Thị B", ApprovedAt: t0.Add(-24 * time.Hour), NextReview: t0.AddDate(1, 0, 0),
		UpdatedBy: 42, CreatedAt: t0.Add(-48 * time.Hour), UpdatedAt: t0}
}

// mustSavePlan saves plan as the whole new content of sys's plan and
// returns what SaveResponsePlan returned.
func mustSavePlan(t *testing.T, b Backend, systemID int64, plan incident.ResponsePlan) incident.ResponsePlan {
	t.Helper()
	got, err := b.SaveResponsePlan(t.Context(), systemID, func(p *incident.ResponsePlan) error {
		*p = plan
		return nil
	})
	ok(t, "save response plan", err)
	checkUTC(t, "saved plan", got.ApprovedAt, got.NextReview, got.CreatedAt, got.UpdatedAt)
	return got
}

func mustGetPlan(t *testing.T, b Backend, systemID int64) incident.ResponsePlan {
	t.Helper()
	p, err := b.GetResponsePlan(t.Context(), systemID)
	ok(t, "get response plan", err)
	checkUTC(t, "GetResponsePlan", p.ApprovedAt, p.NextReview, p.CreatedAt, p.UpdatedAt)
	return p
}

func mustListPlans(t *testing.T, b Backend, units []int64) []incident.ResponsePlan {
	t.Helper()
	list, err := b.ListResponsePlans(t.Context(), units)
	ok(t, "list response plans", err)
	return list
}

// newDrill returns a drill of unitID on date, as incident.Drill.Check
// leaves it.
func newDrill(unitID int64, scenario string, date time.Time, systems ...int64) incident.Drill {
	return incident.Drill{UnitID: unitID, SystemIDs: systems, Date: date, Kind: incident.DrillTabletop, Scenario: scenario,
		CreatedBy: 1, CreatedAt: t0, UpdatedAt: t0}
}

func mustDrill(t *testing.T, b Backend, d incident.Drill) incident.Drill {
	t.Helper()
	ok(t, "add drill "+d.Scenario, b.AddDrill(t.Context(), &d))
	if d.ID <= 0 {
		t.Fatalf("AddDrill set ID %d", d.ID)
	}
	checkUTC(t, "written-back drill", d.Date, d.CreatedAt, d.UpdatedAt)
	return d
}

func mustListDrills(t *testing.T, b Backend, f incident.DrillFilter) []incident.Drill {
	t.Helper()
	list, err := b.ListDrills(t.Context(), f)
	ok(t, "list drills", err)
	for _, d := range list {
		checkUTC(t, "ListDrills", d.Date, d.CreatedAt, d.UpdatedAt)
	}
	return list
}

func drillScenarios(list []incident.Drill) []string {
	var out []string
	for _, d := range list {
		out = append(out, d.Scenario)
	}
	return out
}

func testResponsePlans(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("save_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		sys := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		_, err := b.GetResponsePlan(ctx, sys.ID)
		wantKind(t, "GetResponsePlan(no plan)", err, errs.ErrNotFound)

		// The first save sees a zero plan with the system's id, and inserts:
		// the ID and SystemID are the store's, CreatedAt as given, UpdatedAt
		// now.
		var seen incident.ResponsePlan
		in := fullPlan(sys)
		before := time.Now().Add(-time.Second)
		got, err := b.SaveResponsePlan(ctx, sys.ID, func(p *incident.ResponsePlan) error {
			seen = *p
			*p = in
			return nil
		})
		ok(t, "first save", err)
		if d := diff(incident.ResponsePlan{SystemID: sys.ID}, seen); d != "" {
			t.Errorf("first SaveResponsePlan passed (-want +got):\n%s", d)
		}
		want := in
		want.ID, want.SystemID = got.ID, sys.ID
		want.ApprovedAt, want.NextReview, want.CreatedAt = stored(in.ApprovedAt), stored(in.NextReview), stored(in.CreatedAt)
		want.UpdatedAt = got.UpdatedAt
		if got.ID <= 0 || got.ID == in.ID {
			t.Errorf("first save set ID %d", got.ID)
		}
		if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now()) || got.UpdatedAt != stored(got.UpdatedAt) {
			t.Errorf("first save set UpdatedAt %v, want now", got.UpdatedAt)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("SaveResponsePlan returned (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetPlan(t, b, sys.ID)); d != "" {
			t.Errorf("GetResponsePlan after the first save (-want +got):\n%s", d)
		}

		// A second save sees the stored plan and updates it: not its ID,
		// SystemID or CreatedAt; zero times and empty texts are kept as such.
		var seen2 incident.ResponsePlan
		got2, err := b.SaveResponsePlan(ctx, sys.ID, func(p *incident.ResponsePlan) error {
			seen2 = *p
			p.ID, p.SystemID, p.CreatedAt = 7, 8, t0.Add(time.Hour)
			p.Status, p.ApprovedBy, p.ApprovedAt, p.NextReview = incident.PlanDraft, "", time.Time{}, time.Time{}
			p.Scope, p.Version, p.UpdatedBy = "", "3", 43
			return nil
		})
		ok(t, "second save", err)
		if d := diff(want, seen2); d != "" {
			t.Errorf("second SaveResponsePlan passed (-want +got):\n%s", d)
		}
		want2 := want
		want2.Status, want2.ApprovedBy, want2.ApprovedAt, want2.NextReview = incident.PlanDraft, "", time.Time{}, time.Time{}
		want2.Scope, want2.Version, want2.UpdatedBy, want2.UpdatedAt = "", "3", 43, got2.UpdatedAt
		if got2.UpdatedAt.Before(got.UpdatedAt) {
			t.Errorf("second save set UpdatedAt %v before %v", got2.UpdatedAt, got.UpdatedAt)
		}
		if d := diff(want2, got2); d != "" {
			t.Errorf("second SaveResponsePlan returned (-want +got):\n%s", d)
		}
		if d := diff(want2, mustGetPlan(t, b, sys.ID)); d != "" {
			t.Errorf("GetResponsePlan after the second save (-want +got):\n%s", d)
		}

		// A failed update writes nothing and returns its error.
		boom := errors.New("boom")
		_, err = b.SaveResponsePlan(ctx, sys.ID, func(p *incident.ResponsePlan) error {
			p.Version = "lost"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("SaveResponsePlan with a failing update: %v, want boom", err)
		}
		if got := mustGetPlan(t, b, sys.ID); got.Version != "3" {
			t.Errorf("a failed update wrote version %q", got.Version)
		}
		// A zero CreatedAt on insert becomes now.
		other := mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		bare := mustSavePlan(t, b, other.ID, incident.ResponsePlan{UnitID: u.ID, Version: "1", Status: incident.PlanDraft})
		if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now()) {
			t.Errorf("bare plan CreatedAt %v, want now", bare.CreatedAt)
		}
		wantRows(t, b, 2, `response_plans`)
	})

	t.Run("save_refused", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		sys := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		refused := func(name string, systemID int64, edit func(p *incident.ResponsePlan)) {
			t.Helper()
			_, err := b.SaveResponsePlan(ctx, systemID, func(p *incident.ResponsePlan) error {
				*p = fullPlan(sys)
				edit(p)
				return nil
			})
			wantKind(t, "SaveResponsePlan("+name+")", err, errs.ErrInvalid)
		}
		refused("unknown system", 999, func(*incident.ResponsePlan) {})
		refused("unknown unit", sys.ID, func(p *incident.ResponsePlan) { p.UnitID = 999 })
		refused("no unit", sys.ID, func(p *incident.ResponsePlan) { p.UnitID = 0 })
		for name, edit := range map[string]func(p *incident.ResponsePlan){
			"version_nul":   func(p *incident.ResponsePlan) { p.Version = "1\x00" },
			"scope_utf8":    func(p *incident.ResponsePlan) { p.Scope = "\xff" },
			"training_nul":  func(p *incident.ResponsePlan) { p.Training = "a\x00b" },
			"approved_utf8": func(p *incident.ResponsePlan) { p.ApprovedBy = "ab\xc3" },
		} {
			refused(name, sys.ID, edit)
		}
		wantRows(t, b, 0, `response_plans`)
		// And on update too: the stored plan is left as it was.
		first := mustSavePlan(t, b, sys.ID, fullPlan(sys))
		refused("update_scope_nul", sys.ID, func(p *incident.ResponsePlan) { p.Scope = "\x00" })
		refused("update_unknown_unit", sys.ID, func(p *incident.ResponsePlan) { p.UnitID = 999 })
		if d := diff(first, mustGetPlan(t, b, sys.ID)); d != "" {
			t.Errorf("a refused update changed the plan (-want +got):\n%s", d)
		}
		wantRows(t, b, 1, `response_plans`)
	})

	t.Run("concurrent_save", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		sys := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		// Concurrent read-modify-writes, the first ones racing to insert,
		// all land: each appends one character to the scope.
		const workers = 8
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				_, err := b.SaveResponsePlan(t.Context(), sys.ID, func(p *incident.ResponsePlan) error {
					p.UnitID, p.Version, p.Status = u.ID, "1", incident.PlanDraft
					p.Scope += "x"
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent SaveResponsePlan did not finish")
		}
		if got := mustGetPlan(t, b, sys.ID); len(got.Scope) != workers {
			t.Errorf("after %d concurrent saves the scope is %q", workers, got.Scope)
		}
		wantRows(t, b, 1, `response_plans`)
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		u1, u2, u3 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0), mustUnit(t, b, "u3", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u2.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u1.ID, 0, "S3", system.Operating)
		mustSystem(t, b, u3.ID, 0, "S4", system.Operating)
		p3 := mustSavePlan(t, b, s3.ID, fullPlan(s3))
		p1 := mustSavePlan(t, b, s1.ID, fullPlan(s1))
		p2 := mustSavePlan(t, b, s2.ID, fullPlan(s2))
		for _, tc := range []struct {
			name  string
			units []int64
			want  []incident.ResponsePlan
		}{
			{"every unit", nil, []incident.ResponsePlan{p1, p2, p3}},
			{"none", []int64{}, nil},
			{"u1", []int64{u1.ID}, []incident.ResponsePlan{p1, p3}},
			{"u2 and u3", []int64{u2.ID, u3.ID}, []incident.ResponsePlan{p2}},
		} {
			if d := diff(tc.want, mustListPlans(t, b, tc.units)); d != "" {
				t.Errorf("ListResponsePlans(%s) (-want +got):\n%s", tc.name, d)
			}
		}
	})

	t.Run("drills", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u1.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u2.ID, 0, "S3", system.Operating)

		// Every field set, times in another zone with nanoseconds, systems
		// unsorted with a duplicate; the ID is the store's.
		in := incident.Drill{ID: 999, UnitID: u1.ID, SystemIDs: []int64{s2.ID, s1.ID, s2.ID}, Date: t0.Add(-30 * 24 * time.Hour),
			Kind: incident.DrillLive, Scenario: "Mã độc tống tiền mã hóa máy chủ tệp\nDòng 2 <b>không phải html</b>",
			Participants: "Đội ứng cứu\tVNCERT/CC", Result: "Khôi phục trong 4 giờ", Findings: "Bản sao lưu ngoại tuyến cần kiểm tra",
			PlanID: 77, CreatedBy: 42, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}
		d := mustDrill(t, b, in)
		want := in
		want.ID, want.SystemIDs = d.ID, []int64{s1.ID, s2.ID}
		want.Date, want.CreatedAt, want.UpdatedAt = stored(in.Date), stored(in.CreatedAt), stored(in.UpdatedAt)
		if diffs := diff(want, d); diffs != "" {
			t.Errorf("AddDrill did not write back the stored drill (-want +got):\n%s", diffs)
		}
		if diffs := diff([]incident.Drill{want}, mustListDrills(t, b, incident.DrillFilter{})); diffs != "" {
			t.Errorf("ListDrills after AddDrill (-want +got):\n%s", diffs)
		}

		// Nothing but the required fields: zero CreatedAt and UpdatedAt
		// become now, no systems come back nil.
		before := time.Now().Add(-time.Second)
		bare := mustDrill(t, b, incident.Drill{UnitID: u2.ID, Date: t0, Kind: incident.DrillTechnical, Scenario: "bare"})
		if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now()) || bare.UpdatedAt.Before(before) || bare.SystemIDs != nil {
			t.Errorf("bare drill written back as %+v", bare)
		}

		// Listed latest Date first, then highest id; by unit and system.
		old := mustDrill(t, b, newDrill(u1.ID, "old", t0.AddDate(-1, 0, 0), s1.ID))
		same := mustDrill(t, b, newDrill(u1.ID, "same day", t0.Add(-30*24*time.Hour), s2.ID))
		b3 := mustDrill(t, b, newDrill(u2.ID, "other unit", t0.Add(-time.Hour), s3.ID, s1.ID))
		for _, tc := range []struct {
			name string
			f    incident.DrillFilter
			want []string
		}{
			{"every unit", incident.DrillFilter{}, []string{"bare", b3.Scenario, same.Scenario, d.Scenario, old.Scenario}},
			{"none", incident.DrillFilter{Units: []int64{}}, nil},
			{"u1", incident.DrillFilter{Units: []int64{u1.ID}}, []string{same.Scenario, d.Scenario, old.Scenario}},
			{"limit", incident.DrillFilter{Units: []int64{u1.ID}, Limit: 2}, []string{same.Scenario, d.Scenario}},
			{"system s1", incident.DrillFilter{SystemID: s1.ID}, []string{b3.Scenario, d.Scenario, old.Scenario}},
			{"system s1 in u1", incident.DrillFilter{Units: []int64{u1.ID}, SystemID: s1.ID, Limit: 1}, []string{d.Scenario}},
			{"system s3", incident.DrillFilter{SystemID: s3.ID}, []string{b3.Scenario}},
			{"unknown system", incident.DrillFilter{SystemID: 999}, nil},
		} {
			if diffs := diff(tc.want, drillScenarios(mustListDrills(t, b, tc.f))); diffs != "" {
				t.Errorf("ListDrills(%s) (-want +got):\n%s", tc.name, diffs)
			}
		}
		wantRows(t, b, 5, `drills`)
		wantRows(t, b, 6, `drill_systems`)

		// Refused: an unknown unit or system, a zero date, text that cannot
		// be stored; nothing is written and the argument is left as it was.
		for name, edit := range map[string]func(d *incident.Drill){
			"unknown unit":   func(d *incident.Drill) { d.UnitID = 999 },
			"unknown system": func(d *incident.Drill) { d.SystemIDs = []int64{s1.ID, 999} },
			"zero date":      func(d *incident.Drill) { d.Date = time.Time{} },
			"scenario_nul":   func(d *incident.Drill) { d.Scenario = "a\x00" },
			"result_utf8":    func(d *incident.Drill) { d.Result = "\xff" },
			"findings_nul":   func(d *incident.Drill) { d.Findings = "\x00" },
			"kind_utf8":      func(d *incident.Drill) { d.Kind = "\xe0\x80" },
		} {
			dr := newDrill(u1.ID, "refused", t0, s1.ID)
			edit(&dr)
			was := dr
			wantKind(t, "AddDrill("+name+")", b.AddDrill(ctx, &dr), errs.ErrInvalid)
			if diffs := diff(was, dr); diffs != "" {
				t.Errorf("a refused AddDrill(%s) wrote back (-want +got):\n%s", name, diffs)
			}
		}
		wantRows(t, b, 5, `drills`)
		wantRows(t, b, 6, `drill_systems`)
	})
}
