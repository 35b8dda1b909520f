package storagetest

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/system"
)

// newCase returns a case of unit detected at detected, as incident.Case.Check
// leaves it.
func newCase(unitID int64, title string, detected time.Time, systems ...int64) incident.Case {
	return incident.Case{UnitID: unitID, Title: title, Category: incident.Malware, Severity: incident.Medium,
		Status: incident.New, SystemIDs: systems, DetectedAt: detected, CreatedBy: 1, CreatedAt: t0, UpdatedAt: t0}
}

// mustCase creates c and returns it as written back.
func mustCase(t *testing.T, b Backend, c incident.Case) incident.Case {
	t.Helper()
	ok(t, "create case "+c.Title, b.CreateCase(t.Context(), &c))
	if c.ID <= 0 {
		t.Fatalf("CreateCase set ID %d", c.ID)
	}
	if want := fmt.Sprintf("SC-%d-%04d", c.DetectedAt.UTC().Year(), c.ID); c.Ref != want {
		t.Errorf("CreateCase set Ref %q, want %q", c.Ref, want)
	}
	checkCaseUTC(t, "written-back case", c)
	return c
}

func mustGetCase(t *testing.T, b Backend, id int64) incident.Case {
	t.Helper()
	c, err := b.GetCase(t.Context(), id)
	ok(t, "get case", err)
	checkCaseUTC(t, "GetCase", c)
	return c
}

func checkCaseUTC(t *testing.T, what string, c incident.Case) {
	t.Helper()
	checkUTC(t, what, c.StartedAt, c.DetectedAt, c.ResponseCompletedAt, c.ClosedAt, c.CreatedAt, c.UpdatedAt)
}

func caseIDs(list []incident.Case) []int64 {
	var out []int64
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func mustSubmissions(t *testing.T, b Backend, caseID int64) []incident.Submission {
	t.Helper()
	list, err := b.ListSubmissions(t.Context(), caseID)
	ok(t, "list submissions", err)
	for _, s := range list {
		checkUTC(t, "ListSubmissions", s.SentAt, s.CreatedAt)
	}
	return list
}

func mustEntries(t *testing.T, b Backend, caseID int64) []incident.Entry {
	t.Helper()
	list, err := b.ListEntries(t.Context(), caseID)
	ok(t, "list entries", err)
	for _, e := range list {
		checkUTC(t, "ListEntries", e.At, e.CreatedAt)
	}
	return list
}

// refRE is the format of a case's Ref.
var refRE = regexp.MustCompile(`^SC-[0-9]{4}-[0-9]{4,}$`)

func testIncidents(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		// Every field set. Detected on New Year's morning in Vietnam, which
		// is still the old year in UTC: the Ref takes the UTC year.
		detected := time.Date(2026, 1, 1, 3, 4, 5, 678901234, time.FixedZone("ICT", 7*3600))
		in := incident.Case{UnitID: u.ID, Ref: "ignored", Title: "Mã độc tống tiền trên máy chủ kế toán",
			Description: "Dòng 1\nDòng 2 <b>không phải html</b> & \"trích\"\ttab", Category: incident.Ransomware,
			Severity: incident.Critical, Status: incident.Contained, SystemIDs: []int64{s2.ID, s1.ID, s2.ID},
			AlertIDs: []int64{30, 7, 1000000, 7}, AssigneeID: 17, DetectedAt: detected,
			StartedAt:           detected.Add(-36*time.Hour - 999*time.Nanosecond),
			ResponseCompletedAt: t0.Add(48 * time.Hour), ClosedAt: t0.Add(72 * time.Hour),
			Impacts:          []string{"data_loss", "service_down"},
			NationalCritical: true, OwnerCannotControl: true, PersonalData: true, SubjectNotice: true,
			SupportRequested: true, Conclusion: "Khôi phục từ bản sao lưu", CreatedBy: 42, CreatedAt: t0,
			UpdatedAt: t0.Add(time.Second)}
		c := mustCase(t, b, in)
		if c.Ref != fmt.Sprintf("SC-2025-%04d", c.ID) || !refRE.MatchString(c.Ref) {
			t.Errorf("Ref of a case detected %v is %q, want SC-2025-%04d", detected, c.Ref, c.ID)
		}
		want := in
		want.ID, want.Ref = c.ID, c.Ref
		want.SystemIDs, want.AlertIDs = []int64{s1.ID, s2.ID}, []int64{7, 30, 1000000}
		want.DetectedAt, want.ResponseCompletedAt, want.ClosedAt = stored(detected), stored(in.ResponseCompletedAt), stored(in.ClosedAt)
		want.CreatedAt, want.UpdatedAt, want.StartedAt = stored(in.CreatedAt), stored(in.UpdatedAt), stored(in.StartedAt)
		if d := diff(want, c); d != "" {
			t.Errorf("CreateCase did not write back the stored form (-want +got):\n%s", d)
		}
		if d := diff(want, mustGetCase(t, b, c.ID)); d != "" {
			t.Errorf("GetCase (-want +got):\n%s", d)
		}

		// Nothing but the required fields: zero CreatedAt and UpdatedAt
		// become now; the other times stay zero and empty lists come back
		// nil.
		before := time.Now().Add(-time.Second)
		bare := mustCase(t, b, incident.Case{UnitID: u.ID, Title: "t", Category: incident.OtherCategory,
			Severity: incident.Low, Status: incident.New, DetectedAt: t0,
			SystemIDs: []int64{}, AlertIDs: []int64{}, Impacts: []string{}})
		got := mustGetCase(t, b, bare.ID)
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateCase(bare) did not write back the stored form (-want +got):\n%s", d)
		}
		if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) || !got.ResponseCompletedAt.IsZero() ||
			!got.ClosedAt.IsZero() || !got.StartedAt.IsZero() || got.SystemIDs != nil || got.AlertIDs != nil || got.Impacts != nil ||
			bare.SystemIDs != nil || bare.AlertIDs != nil || bare.Impacts != nil || got.NationalCritical ||
			got.AssigneeID != 0 || got.CreatedBy != 0 || got.Ref != fmt.Sprintf("SC-2025-%04d", got.ID) {
			t.Errorf("bare case stored as %+v; want times now or zero, nil lists", got)
		}
		if bare.ID <= c.ID {
			t.Errorf("second case got id %d after %d", bare.ID, c.ID)
		}

		_, err := b.GetCase(ctx, 999)
		wantKind(t, "GetCase(unknown)", err, errs.ErrNotFound)
		if _, err := b.UpdateCase(ctx, 999, func(*incident.Case) error {
			t.Error("update called for an unknown case")
			return nil
		}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("UpdateCase(unknown): got error %v, want ErrNotFound", err)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		for _, tc := range []struct {
			name string
			edit func(c *incident.Case)
		}{
			{"unknown_unit", func(c *incident.Case) { c.UnitID = 999 }},
			{"no_unit", func(c *incident.Case) { c.UnitID = 0 }},
			{"unknown_system", func(c *incident.Case) { c.SystemIDs = []int64{s.ID, 999} }},
			{"no_detected_at", func(c *incident.Case) { c.DetectedAt = time.Time{} }},
			{"started_after_detected", func(c *incident.Case) { c.StartedAt = c.DetectedAt.Add(time.Microsecond) }},
			{"title_nul", func(c *incident.Case) { c.Title = "a\x00b" }},
			{"description_not_utf8", func(c *incident.Case) { c.Description = "a\xffb" }},
			{"impact_nul", func(c *incident.Case) { c.Impacts = []string{"a\x00"} }},
		} {
			c := newCase(u.ID, tc.name, t0)
			tc.edit(&c)
			wantKind(t, "CreateCase("+tc.name+")", b.CreateCase(ctx, &c), errs.ErrInvalid)
			if c.ID != 0 || c.Ref != "" {
				t.Errorf("CreateCase(%s) failed but set ID %d, Ref %q", tc.name, c.ID, c.Ref)
			}
		}
		wantRows(t, b, 0, `incident_cases`)
		wantRows(t, b, 0, `incident_case_systems`)

		// The same in UpdateCase: nothing is written.
		c := mustCase(t, b, newCase(u.ID, "c", t0, s.ID))
		for name, edit := range map[string]func(c *incident.Case){
			"unknown_system":         func(c *incident.Case) { c.SystemIDs = []int64{999} },
			"no_detected_at":         func(c *incident.Case) { c.DetectedAt = time.Time{} },
			"started_after_detected": func(c *incident.Case) { c.StartedAt = c.DetectedAt.Add(time.Microsecond) },
			"title_nul":              func(c *incident.Case) { c.Title = "a\x00b" },
		} {
			_, err := b.UpdateCase(ctx, c.ID, func(c *incident.Case) error {
				c.Conclusion = name
				edit(c)
				return nil
			})
			wantKind(t, "UpdateCase("+name+")", err, errs.ErrInvalid)
		}
		if d := diff(c, mustGetCase(t, b, c.ID)); d != "" {
			t.Errorf("a refused update wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 1, `incident_case_systems`)
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u1.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u2.ID, 0, "S3", system.Operating)
		create := func(unitID int64, detected time.Time, status incident.Status, systems ...int64) incident.Case {
			c := newCase(unitID, "c", detected, systems...)
			c.Status = status
			return mustCase(t, b, c)
		}
		// Listed by DetectedAt, newest first, then by highest id: c3 was
		// entered after c2 but detected earlier; c1 and c4 were detected
		// together. o1 and o2 are another unit's, o2 with a system of u1.
		c1 := create(u1.ID, t0, incident.New, s1.ID)
		c2 := create(u1.ID, t0.Add(-time.Hour), incident.Closed, s1.ID, s2.ID)
		o1 := create(u2.ID, t0.Add(time.Hour), incident.Triage, s3.ID)
		c3 := create(u1.ID, t0.Add(-2*time.Hour), incident.Recovered)
		c4 := create(u1.ID, t0, incident.Contained, s2.ID)
		o2 := create(u2.ID, t0.Add(-time.Minute), incident.Closed, s1.ID)
		c5 := create(u1.ID, t0.Add(time.Microsecond), incident.Closed)
		all := []int64{c5.ID, c4.ID, c1.ID, c2.ID, c3.ID}
		yes, no := true, false
		both := []int64{u1.ID, u2.ID}

		for _, tc := range []struct {
			name  string
			f     incident.Filter
			want  []int64
			total int
		}{
			{"nil_units", incident.Filter{}, nil, 0},
			{"no_units", incident.Filter{Units: []int64{}}, nil, 0},
			{"unknown_unit", incident.Filter{Units: []int64{999}}, nil, 0},
			{"unit", incident.Filter{Units: []int64{u1.ID}}, all, 5},
			{"other_unit", incident.Filter{Units: []int64{u2.ID, 999}}, []int64{o1.ID, o2.ID}, 2},
			{"both_units", incident.Filter{Units: both},
				[]int64{o1.ID, c5.ID, c4.ID, c1.ID, o2.ID, c2.ID, c3.ID}, 7},
			{"open", incident.Filter{Units: []int64{u1.ID}, Open: &yes}, []int64{c4.ID, c1.ID, c3.ID}, 3},
			{"closed", incident.Filter{Units: []int64{u1.ID}, Open: &no}, []int64{c5.ID, c2.ID}, 2},
			{"system", incident.Filter{Units: []int64{u1.ID}, SystemID: s1.ID}, []int64{c1.ID, c2.ID}, 2},
			{"system_all_units", incident.Filter{Units: both, SystemID: s1.ID}, []int64{c1.ID, o2.ID, c2.ID}, 3},
			{"system_2", incident.Filter{Units: []int64{u1.ID}, SystemID: s2.ID}, []int64{c4.ID, c2.ID}, 2},
			{"system_of_other_unit", incident.Filter{Units: []int64{u1.ID}, SystemID: s3.ID}, nil, 0},
			{"unknown_system", incident.Filter{Units: both, SystemID: 999}, nil, 0},
			{"combined", incident.Filter{Units: both, Open: &no, SystemID: s1.ID}, []int64{o2.ID, c2.ID}, 2},
			{"limit", incident.Filter{Units: []int64{u1.ID}, Limit: 2}, all[:2], 5},
			{"page", incident.Filter{Units: []int64{u1.ID}, Limit: 2, Offset: 2}, all[2:4], 5},
			{"last_page", incident.Filter{Units: []int64{u1.ID}, Limit: 2, Offset: 4}, all[4:], 5},
			{"offset", incident.Filter{Units: []int64{u1.ID}, Offset: 3}, all[3:], 5},
			{"past_the_end", incident.Filter{Units: []int64{u1.ID}, Offset: 5}, nil, 5},
			{"far_past_the_end", incident.Filter{Units: []int64{u1.ID}, Limit: 2, Offset: 50}, nil, 5},
			{"exact_page", incident.Filter{Units: []int64{u1.ID}, Limit: 5}, all, 5},
			{"negative_offset", incident.Filter{Units: []int64{u1.ID}, Offset: -1}, all, 5},
			{"page_of_filter", incident.Filter{Units: []int64{u1.ID}, Open: &yes, Limit: 1, Offset: 1},
				[]int64{c1.ID}, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, total, err := b.ListCases(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, caseIDs(list)); d != "" {
					t.Errorf("ListCases(%+v) (-want +got):\n%s", tc.f, d)
				}
				if total != tc.total {
					t.Errorf("ListCases(%+v) total = %d, want %d", tc.f, total, tc.total)
				}
			})
		}

		// Listed cases are the stored ones.
		list, _, err := b.ListCases(ctx, incident.Filter{Units: []int64{u1.ID}})
		ok(t, "list", err)
		var want []incident.Case
		for _, id := range all {
			want = append(want, mustGetCase(t, b, id))
		}
		if d := diff(want, list); d != "" {
			t.Errorf("listed cases differ from the stored ones (-want +got):\n%s", d)
		}
		for _, c := range list {
			checkCaseUTC(t, "ListCases", c)
		}
	})

	t.Run("default_limit", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		var ids []int64
		for i := range 101 {
			ids = append(ids, mustCase(t, b, newCase(u.ID, "c", t0.Add(time.Duration(i)*time.Second))).ID)
		}
		slices.Reverse(ids)
		list, total, err := b.ListCases(t.Context(), incident.Filter{Units: []int64{u.ID}})
		ok(t, "list", err)
		if d := diff(ids[:100], caseIDs(list)); d != "" || total != 101 {
			t.Errorf("ListCases without Limit gave %d cases of %d, want the newest 100 of 101 (-want +got):\n%s",
				len(list), total, d)
		}
		list, total, err = b.ListCases(t.Context(), incident.Filter{Units: []int64{u.ID}, Offset: 100})
		ok(t, "list", err)
		if d := diff(ids[100:], caseIDs(list)); d != "" || total != 101 {
			t.Errorf("second page gave %d cases of %d (-want +got):\n%s", len(list), total, d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u, v := mustUnit(t, b, "u", 0), mustUnit(t, b, "v", 0)
		s1, s2 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		in := newCase(u.ID, "c", t0, s1.ID)
		in.AlertIDs, in.Impacts = []int64{5}, []string{"service_down"}
		c := mustCase(t, b, in)

		// update sees the stored case; every field it sets is written but
		// ID, UnitID, Ref, CreatedBy and CreatedAt, with UpdatedAt now. A
		// new DetectedAt does not renumber the case.
		before := time.Now().Add(-time.Second)
		calls := 0
		got, err := b.UpdateCase(ctx, c.ID, func(x *incident.Case) error {
			calls++
			if d := diff(c, *x); d != "" {
				t.Errorf("update was given (-want +got):\n%s", d)
			}
			x.ID, x.UnitID, x.Ref, x.CreatedBy = 999, v.ID, "SC-1999-0001", 77
			x.CreatedAt, x.UpdatedAt = t0.Add(-time.Hour), t0.Add(-time.Hour)
			x.Title, x.Description, x.Conclusion = "Đổi tên", "Mô tả\nmới", "Kết luận"
			x.Category, x.Severity, x.Status = incident.DataBreach, incident.High, incident.Closed
			x.SystemIDs, x.AlertIDs = []int64{s2.ID}, []int64{9, 3}
			x.AssigneeID, x.DetectedAt = 8, t0.AddDate(-2, 0, 0)
			x.StartedAt = t0.AddDate(-2, 0, -3).Add(1234567 * time.Nanosecond)
			x.ResponseCompletedAt, x.ClosedAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
			x.Impacts = []string{"data_loss", "reputation"}
			x.NationalCritical, x.OwnerCannotControl, x.PersonalData = true, true, true
			x.SubjectNotice, x.SupportRequested = true, true
			return nil
		})
		ok(t, "update", err)
		if calls != 1 {
			t.Errorf("update was called %d times, want once", calls)
		}
		want := c
		want.Title, want.Description, want.Conclusion = "Đổi tên", "Mô tả\nmới", "Kết luận"
		want.Category, want.Severity, want.Status = incident.DataBreach, incident.High, incident.Closed
		want.SystemIDs, want.AlertIDs = []int64{s2.ID}, []int64{3, 9}
		want.AssigneeID, want.DetectedAt = 8, stored(t0.AddDate(-2, 0, 0))
		want.StartedAt = stored(t0.AddDate(-2, 0, -3).Add(1234567 * time.Nanosecond))
		want.ResponseCompletedAt, want.ClosedAt = stored(t0.Add(time.Hour)), stored(t0.Add(2*time.Hour))
		want.Impacts = []string{"data_loss", "reputation"}
		want.NationalCritical, want.OwnerCannotControl, want.PersonalData = true, true, true
		want.SubjectNotice, want.SupportRequested = true, true
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateCase returned (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdateCase set UpdatedAt %v, want now", got.UpdatedAt)
		}
		checkCaseUTC(t, "UpdateCase", got)
		if d := diff(got, mustGetCase(t, b, c.ID)); d != "" {
			t.Errorf("GetCase after UpdateCase (-want +got):\n%s", d)
		}
		for _, tc := range []struct {
			f    incident.Filter
			want []int64
		}{
			{incident.Filter{Units: []int64{u.ID}, SystemID: s2.ID}, []int64{c.ID}},
			{incident.Filter{Units: []int64{u.ID}, SystemID: s1.ID}, nil},
			{incident.Filter{Units: []int64{v.ID}}, nil},
		} {
			list, _, err := b.ListCases(ctx, tc.f)
			ok(t, "list", err)
			if d := diff(tc.want, caseIDs(list)); d != "" {
				t.Errorf("after the update, ListCases(%+v) (-want +got):\n%s", tc.f, d)
			}
		}

		// Clearing fields clears them.
		cleared, err := b.UpdateCase(ctx, c.ID, func(x *incident.Case) error {
			x.SystemIDs, x.AlertIDs, x.Impacts = nil, []int64{}, nil
			x.ResponseCompletedAt, x.ClosedAt, x.Description, x.AssigneeID = time.Time{}, time.Time{}, "", 0
			x.StartedAt = time.Time{}
			x.NationalCritical, x.PersonalData = false, false
			return nil
		})
		ok(t, "clear", err)
		back := mustGetCase(t, b, c.ID)
		if d := diff(cleared, back); d != "" {
			t.Errorf("GetCase after clearing (-want +got):\n%s", d)
		}
		if back.SystemIDs != nil || back.AlertIDs != nil || back.Impacts != nil || !back.ResponseCompletedAt.IsZero() ||
			!back.ClosedAt.IsZero() || !back.StartedAt.IsZero() || back.Description != "" || back.AssigneeID != 0 || back.NationalCritical ||
			back.PersonalData || !back.OwnerCannotControl || back.Title != "Đổi tên" {
			t.Errorf("cleared case stored as %+v", back)
		}
		wantRows(t, b, 0, `incident_case_systems`)

		// An error from update is returned and nothing is written.
		errVeto := errors.New("veto")
		_, err = b.UpdateCase(ctx, c.ID, func(x *incident.Case) error {
			x.Title, x.SystemIDs, x.AlertIDs = "vetoed", []int64{s1.ID}, []int64{1}
			return errVeto
		})
		if !errors.Is(err, errVeto) {
			t.Errorf("UpdateCase returned %v, want update's error", err)
		}
		if d := diff(back, mustGetCase(t, b, c.ID)); d != "" {
			t.Errorf("a vetoed update wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 0, `incident_case_systems`)
	})

	t.Run("concurrent_update", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		// Every read-modify-write of concurrent updates lands.
		const workers = 10
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				if _, err := b.UpdateCase(t.Context(), c.ID, func(x *incident.Case) error {
					x.AlertIDs = append(x.AlertIDs, int64(100+i))
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent UpdateCase did not finish")
		}
		var want []int64
		for i := range workers {
			want = append(want, int64(100+i))
		}
		if d := diff(want, mustGetCase(t, b, c.ID).AlertIDs); d != "" {
			t.Errorf("after %d concurrent appends AlertIDs (-want +got):\n%s", workers, d)
		}
	})

	t.Run("submissions", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		if got := mustSubmissions(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListSubmissions of a case without submissions = %+v", got)
		}
		add := func(s incident.Submission) incident.Submission {
			t.Helper()
			ok(t, "add submission", b.AddSubmission(ctx, &s))
			if s.ID <= 0 {
				t.Fatalf("AddSubmission set ID %d", s.ID)
			}
			checkUTC(t, "written-back submission", s.SentAt, s.CreatedAt)
			return s
		}
		// Every field set; listed by SentAt, then id.
		full := incident.Submission{CaseID: c.ID, ClockID: "tt20.notification", What: "Thông báo sự cố",
			Recipient: "Cục A05", Channel: "portal", SentAt: t0.Add(time.Hour), SentBy: 9, Reference: "12/TB-CNTT",
			Acknowledgement: "Đã nhận\nsố 34", CreatedAt: t0.Add(2 * time.Hour)}
		s1 := add(full)
		want1 := full
		want1.ID, want1.SentAt, want1.CreatedAt = s1.ID, stored(full.SentAt), stored(full.CreatedAt)
		if d := diff(want1, s1); d != "" {
			t.Errorf("AddSubmission did not write back the stored form (-want +got):\n%s", d)
		}
		before := time.Now().Add(-time.Second)
		s2 := add(incident.Submission{CaseID: c.ID, What: "Báo cáo ban đầu", Recipient: "VNCERT", Channel: "e-mail",
			SentAt: t0})
		if s2.CreatedAt.Before(before) || s2.ClockID != "" || s2.SentBy != 0 {
			t.Errorf("bare submission stored as %+v; want CreatedAt now", s2)
		}
		s3 := add(incident.Submission{CaseID: c.ID, What: "Báo cáo bổ sung", Recipient: "VNCERT", Channel: "letter",
			SentAt: t0.Add(time.Hour)})
		add(incident.Submission{CaseID: other.ID, What: "x", Recipient: "y", Channel: "phone", SentAt: t0})
		if d := diff([]incident.Submission{s2, s1, s3}, mustSubmissions(t, b, c.ID)); d != "" {
			t.Errorf("ListSubmissions (-want +got):\n%s", d)
		}

		// An unknown case is not found and nothing is written.
		bad := incident.Submission{CaseID: 999, What: "x", Recipient: "y", Channel: "z", SentAt: t0}
		wantKind(t, "AddSubmission(unknown case)", b.AddSubmission(ctx, &bad), errs.ErrNotFound)
		bad = incident.Submission{CaseID: c.ID, What: "x", Recipient: "y", Channel: "z"}
		wantKind(t, "AddSubmission(no SentAt)", b.AddSubmission(ctx, &bad), errs.ErrInvalid)
		bad = incident.Submission{CaseID: c.ID, What: "x\x00", Recipient: "y", Channel: "z", SentAt: t0}
		wantKind(t, "AddSubmission(NUL)", b.AddSubmission(ctx, &bad), errs.ErrInvalid)
		if bad.ID != 0 {
			t.Errorf("a refused AddSubmission set ID %d", bad.ID)
		}
		wantRows(t, b, 4, `incident_submissions`)
		if got := mustSubmissions(t, b, 999); len(got) != 0 {
			t.Errorf("ListSubmissions(unknown case) = %+v", got)
		}
	})

	t.Run("entries", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		if got := mustEntries(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListEntries of a case without entries = %+v", got)
		}
		add := func(e incident.Entry) incident.Entry {
			t.Helper()
			ok(t, "add entry", b.AddEntry(ctx, &e))
			if e.ID <= 0 {
				t.Fatalf("AddEntry set ID %d", e.ID)
			}
			checkUTC(t, "written-back entry", e.At, e.CreatedAt)
			return e
		}
		// Listed by At, then id.
		full := incident.Entry{CaseID: c.ID, At: t0.Add(time.Hour), Kind: incident.EntryStatus,
			Text: "new → triage\nghi chú", By: 5, CreatedAt: t0.Add(2 * time.Hour)}
		e1 := add(full)
		want1 := full
		want1.ID, want1.At, want1.CreatedAt = e1.ID, stored(full.At), stored(full.CreatedAt)
		if d := diff(want1, e1); d != "" {
			t.Errorf("AddEntry did not write back the stored form (-want +got):\n%s", d)
		}
		before := time.Now().Add(-time.Second)
		e2 := add(incident.Entry{CaseID: c.ID, At: t0, Kind: incident.EntryCreated})
		if e2.CreatedAt.Before(before) || e2.Text != "" || e2.By != 0 {
			t.Errorf("bare entry stored as %+v; want CreatedAt now", e2)
		}
		e3 := add(incident.Entry{CaseID: c.ID, At: t0.Add(time.Hour), Kind: incident.EntryNote, Text: "n"})
		add(incident.Entry{CaseID: other.ID, At: t0, Kind: incident.EntryNote, Text: "other"})
		if d := diff([]incident.Entry{e2, e1, e3}, mustEntries(t, b, c.ID)); d != "" {
			t.Errorf("ListEntries (-want +got):\n%s", d)
		}

		// An unknown case is not found and nothing is written.
		bad := incident.Entry{CaseID: 999, At: t0, Kind: incident.EntryNote, Text: "x"}
		wantKind(t, "AddEntry(unknown case)", b.AddEntry(ctx, &bad), errs.ErrNotFound)
		bad = incident.Entry{CaseID: c.ID, Kind: incident.EntryNote, Text: "x"}
		wantKind(t, "AddEntry(no At)", b.AddEntry(ctx, &bad), errs.ErrInvalid)
		bad = incident.Entry{CaseID: c.ID, At: t0, Kind: incident.EntryNote, Text: "\xff"}
		wantKind(t, "AddEntry(not UTF-8)", b.AddEntry(ctx, &bad), errs.ErrInvalid)
		if bad.ID != 0 {
			t.Errorf("a refused AddEntry set ID %d", bad.ID)
		}
		wantRows(t, b, 4, `incident_entries`)
		if got := mustEntries(t, b, 999); len(got) != 0 {
			t.Errorf("ListEntries(unknown case) = %+v", got)
		}
	})
}
