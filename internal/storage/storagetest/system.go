package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// fullSystem returns a system with every field set, its times with
// nanoseconds in a zone other than UTC.
func fullSystem(unitID, parentID int64, code string) system.System {
	return system.System{
		UnitID: unitID, Code: code, Name: "Cổng dịch vụ công " + code, Description: "Một cửa điện tử",
		Status: system.Operating, Hosting: system.DataCentre, ParentID: parentID, PackID: "decree85-2016",
		Profile: regulation.Profile{
			System: code, SystemType: "information_system", InfoTypes: []string{"personal", "public"},
			DataSubjects: 15000, OnlinePublicServiceLevel: 3, ConditionalBusinessLine: true,
			InfrastructureScope: "single_organisation", Requires24x7: true,
			Unanswered: []string{regulation.FieldWorksGrade},
		},
		Scope:         "Toàn tỉnh, 15.000 người dùng",
		Owner:         system.Party{UnitID: unitID, Name: "UBND tỉnh", Representative: "Nguyễn Văn A", Title: "Chủ tịch", Address: "1 Lê Lợi", Phone: "0236 111", Email: "ubnd@example.vn"},
		Operator:      system.Party{Name: "Trung tâm CĐS", Phone: "0236 222"},
		ISUnit:        system.Party{UnitID: unitID, Name: "Sở TT&TT", Email: "attt@example.vn"},
		ProposedLevel: 3, NeedsReview: true, ApprovedLevel: 2, ApprovedAt: t0.Add(-24 * time.Hour),
		Redetermine: true, RedetermineFields: []string{regulation.FieldDataSubjects, regulation.FieldInfoTypes},
		Layers: system.Layers{
			OnSiteTeam: "Tổ ATTT", OnSiteContact: "0905 000 000",
			MonitoringBy: "provider", MonitoringProvider: "SOC X", MonitoringFrom: t0.Add(-time.Hour), MonitoringUntil: t0.Add(365 * 24 * time.Hour),
			Assessor: "Cục ATTT", LastAssessment: t0.Add(-48 * time.Hour), NextAssessment: t0.Add(48 * time.Hour),
			NationalConnected: true, NationalSince: t0.Add(-72 * time.Hour),
		},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

// storedSystem is s as every backend gives it back.
func storedSystem(s system.System) system.System {
	s.ApprovedAt, s.CreatedAt, s.UpdatedAt = stored(s.ApprovedAt), stored(s.CreatedAt), stored(s.UpdatedAt)
	l := &s.Layers
	l.MonitoringFrom, l.MonitoringUntil = stored(l.MonitoringFrom), stored(l.MonitoringUntil)
	l.LastAssessment, l.NextAssessment, l.NationalSince = stored(l.LastAssessment), stored(l.NextAssessment), stored(l.NationalSince)
	if len(s.RedetermineFields) == 0 {
		s.RedetermineFields = nil
	}
	return s
}

func systemTimes(s system.System) []time.Time {
	l := s.Layers
	return []time.Time{s.ApprovedAt, s.CreatedAt, s.UpdatedAt, l.MonitoringFrom, l.MonitoringUntil,
		l.LastAssessment, l.NextAssessment, l.NationalSince}
}

func mustSystem(t *testing.T, b Backend, unitID, parentID int64, code string, status system.Status) system.System {
	t.Helper()
	s := system.System{UnitID: unitID, ParentID: parentID, Code: code, Name: "System " + code, Status: status,
		Hosting: system.OnPremises, PackID: "decree85-2016", CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create system "+code, b.CreateSystem(t.Context(), &s))
	return s
}

func systemCodes(list []system.System) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Code)
	}
	return out
}

func testSystems(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		parent := mustSystem(t, b, u.ID, 0, "HTTT-00", system.Operating)
		in := fullSystem(u.ID, parent.ID, "HTTT-01")
		s := in
		ok(t, "create", b.CreateSystem(ctx, &s))
		if s.ID <= 0 || s.ID == parent.ID {
			t.Fatalf("CreateSystem set ID %d (parent %d)", s.ID, parent.ID)
		}
		want := storedSystem(in)
		want.ID = s.ID
		if d := cmp.Diff(want, s); d != "" {
			t.Errorf("CreateSystem did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetSystem (-want +got):\n%s", d)
		}
		checkUTC(t, "GetSystem", systemTimes(got)...)
		got, err = b.GetSystemByCode(ctx, "HTTT-01")
		ok(t, "get by code", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetSystemByCode (-want +got):\n%s", d)
		}
	})

	t.Run("created_at_defaults_to_now", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		before := time.Now().Add(-time.Second)
		s := system.System{UnitID: u.ID, Code: "c", Name: "C", Status: system.Planned, Hosting: system.Cloud}
		ok(t, "create", b.CreateSystem(t.Context(), &s))
		got, err := b.GetSystem(t.Context(), s.ID)
		ok(t, "get", err)
		if got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("zero CreatedAt/UpdatedAt stored as %v/%v, want about now and equal", got.CreatedAt, got.UpdatedAt)
		}
		if !got.ApprovedAt.IsZero() || !got.Layers.NationalSince.IsZero() {
			t.Errorf("zero times came back as %v, %v", got.ApprovedAt, got.Layers.NationalSince)
		}
	})

	// The profile and the layers come back exactly: no EquateEmpty, so nil
	// and empty slices must be kept apart.
	t.Run("profile_layers_round_trip", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		for i, tc := range []struct {
			name    string
			profile regulation.Profile
			layers  system.Layers
		}{
			{name: "zero"},
			{name: "empty_slices", profile: regulation.Profile{InfoTypes: []string{}, Unanswered: []string{}}},
			{name: "all_unanswered", profile: regulation.Profile{Unanswered: regulation.ProfileFields()}},
			{name: "full", profile: fullSystem(u.ID, 0, "x").Profile, layers: fullSystem(u.ID, 0, "x").Layers},
			{name: "state_secret", profile: regulation.Profile{SystemType: "information_system",
				InfoTypes: []string{"state_secret"}, StateSecretGrade: "toi_mat", EspeciallyImportantNationalData: true,
				NationalEGovernment: true, UnplannedDowntimeAcceptable: true, WorksGrade: "I"}},
			{name: "text", profile: regulation.Profile{System: "Hệ thống \"quản lý\" <văn bản> & điều hành \\ \u2028 \U0001F512"},
				layers: system.Layers{OnSiteTeam: "Đội ứng cứu\nsự cố", MonitoringBy: "in_house"}},
			{name: "layer_times_only", layers: system.Layers{NextAssessment: time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC),
				MonitoringUntil: time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.FixedZone("x", -5*3600))}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := system.System{UnitID: u.ID, Code: "S-" + string(rune('a'+i)), Name: tc.name, Status: system.Planned,
					Hosting: system.Hybrid, Profile: tc.profile, Layers: tc.layers, CreatedAt: t0, UpdatedAt: t0}
				ok(t, "create", b.CreateSystem(ctx, &s))
				got, err := b.GetSystem(ctx, s.ID)
				ok(t, "get", err)
				if d := cmp.Diff(tc.profile, got.Profile); d != "" {
					t.Errorf("Profile (-want +got):\n%s", d)
				}
				if d := cmp.Diff(storedSystem(system.System{Layers: tc.layers}).Layers, got.Layers); d != "" {
					t.Errorf("Layers (-want +got):\n%s", d)
				}
				checkUTC(t, "Layers", systemTimes(got)...)
			})
		}
	})

	// Every field of regulation.Profile survives the stored encoding; a
	// field added later with a type the encoding drops fails here.
	t.Run("every_profile_field", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		var p regulation.Profile
		v := reflect.ValueOf(&p).Elem()
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch {
			case f.Kind() == reflect.String:
				f.SetString("v-" + name)
			case f.Kind() == reflect.Int:
				f.SetInt(int64(1000 + i))
			case f.Kind() == reflect.Bool:
				f.SetBool(true)
			case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
				f.Set(reflect.ValueOf([]string{"a-" + name, "b-" + name}))
			default:
				t.Fatalf("regulation.Profile.%s has kind %s: extend this test and check that the stored encoding keeps it", name, f.Kind())
			}
		}
		s := system.System{UnitID: u.ID, Code: "all", Name: "All", Status: system.Planned, Hosting: system.Cloud, Profile: p}
		ok(t, "create", b.CreateSystem(t.Context(), &s))
		got, err := b.GetSystem(t.Context(), s.ID)
		ok(t, "get", err)
		if d := cmp.Diff(p, got.Profile); d != "" {
			t.Errorf("Profile with every field set (-want +got):\n%s", d)
		}
	})

	// The JSON columns have a fixed format, which data already stored
	// depends on: regulation.Profile keyed by its Go field names, Party and
	// Layers by their json tags, times as RFC 3339 strings. Changing the
	// encoding (a json tag added to Profile, say) fails here and needs a
	// migration of the stored rows.
	t.Run("stored_format", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "fmt", system.Planned)
		const (
			profile = `{"system":"fmt","system_type":"information_system","info_types":["personal"],"state_secret_grade":"",` +
				`"data_subjects":12000,"online_public_service_level":3,"conditional_business_line":true,"infrastructure_scope":"",` +
				`"works_grade":"","requires_24x7":true,"unplanned_downtime_acceptable":false,"national_e_government":false,` +
				`"especially_important_national_data":false,"unanswered":["works_grade"]}`
			owner  = `{"unit_id":7,"name":"Sở TT\u0026TT","email":"attt@example.vn"}`
			layers = `{"on_site_team":"Tổ ATTT","monitoring_by":"provider","monitoring_provider":"SOC X",` +
				`"monitoring_until":"2026-01-31T17:00:00.123456Z","national_connected":true}`
		)
		ok(t, "write stored JSON", b.Exec(ctx, `UPDATE systems SET profile = $1, owner = $2, layers = $3 WHERE id = $4`,
			profile, owner, layers, s.ID))
		got, err := b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		wantProfile := regulation.Profile{System: "fmt", SystemType: "information_system", InfoTypes: []string{"personal"},
			DataSubjects: 12000, OnlinePublicServiceLevel: 3, ConditionalBusinessLine: true, Requires24x7: true,
			Unanswered: []string{"works_grade"}}
		if d := cmp.Diff(wantProfile, got.Profile); d != "" {
			t.Errorf("Profile decoded from the stored format (-want +got):\n%s", d)
		}
		if d := cmp.Diff(system.Party{UnitID: 7, Name: "Sở TT&TT", Email: "attt@example.vn"}, got.Owner); d != "" {
			t.Errorf("Owner decoded from the stored format (-want +got):\n%s", d)
		}
		wantLayers := system.Layers{OnSiteTeam: "Tổ ATTT", MonitoringBy: "provider", MonitoringProvider: "SOC X",
			MonitoringUntil: time.Date(2026, 1, 31, 17, 0, 0, 123456000, time.UTC), NationalConnected: true}
		if d := cmp.Diff(wantLayers, got.Layers); d != "" {
			t.Errorf("Layers decoded from the stored format (-want +got):\n%s", d)
		}
		checkUTC(t, "Layers", got.Layers.MonitoringUntil)
		// And what is written decodes to the same values after a rewrite.
		ok(t, "update", b.UpdateSystem(ctx, &got))
		again, err := b.GetSystem(ctx, s.ID)
		ok(t, "get again", err)
		if d := cmp.Diff(got, again); d != "" {
			t.Errorf("after rewriting (-want +got):\n%s", d)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		p := mustSystem(t, b, u1.ID, 0, "P", system.Operating)
		s := mustSystem(t, b, u1.ID, 0, "S", system.Planned)
		upd := fullSystem(u2.ID, p.ID, "S2")
		upd.ID = s.ID
		upd.UpdatedAt = t0.Add(time.Hour)
		upd.CreatedAt = t0.Add(-time.Hour) // not written: creation time is fixed
		in := upd
		ok(t, "update", b.UpdateSystem(ctx, &upd))
		want := storedSystem(in)
		want.CreatedAt = stored(t0)
		// The approval is not written by UpdateSystem (only SetSystemApproval).
		want.ApprovedLevel, want.ApprovedAt = 0, time.Time{}
		if upd.ApprovedLevel != 0 || !upd.ApprovedAt.IsZero() {
			t.Errorf("UpdateSystem wrote back approval %d %v, want the stored 0 and zero", upd.ApprovedLevel, upd.ApprovedAt)
		}
		got, err := b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after UpdateSystem (-want +got):\n%s", d)
		}
		if !upd.UpdatedAt.Equal(stored(in.UpdatedAt)) || upd.UpdatedAt.Location() != time.UTC {
			t.Errorf("UpdateSystem wrote back UpdatedAt %v, want %v in UTC", upd.UpdatedAt, stored(in.UpdatedAt))
		}
		// Clearing: back to a root, no approval, no re-determination, empty profile.
		got.ParentID, got.ApprovedLevel, got.ApprovedAt, got.Redetermine, got.RedetermineFields = 0, 0, time.Time{}, false, nil
		got.Profile, got.Layers, got.Owner = regulation.Profile{}, system.Layers{}, system.Party{}
		got.UpdatedAt = time.Time{} // now
		before := time.Now().Add(-time.Second)
		ok(t, "update to cleared", b.UpdateSystem(ctx, &got))
		again, err := b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		if d := cmp.Diff(got, again); d != "" {
			t.Errorf("after clearing (-want +got):\n%s", d)
		}
		if again.UpdatedAt.Before(before) {
			t.Errorf("zero UpdatedAt stored as %v, want about now", again.UpdatedAt)
		}
	})

	t.Run("set_approval", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "A", system.Operating)
		s.Redetermine, s.RedetermineFields = true, []string{"info_types"}
		ok(t, "flag", b.UpdateSystem(ctx, &s))
		at := t0.Add(48 * time.Hour)
		ok(t, "approve", b.SetSystemApproval(ctx, s.ID, 3, at))
		got, err := b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		if got.ApprovedLevel != 3 || !got.ApprovedAt.Equal(stored(at)) || got.Redetermine || len(got.RedetermineFields) != 0 {
			t.Fatalf("after SetSystemApproval: level %d at %v redetermine %v %v", got.ApprovedLevel, got.ApprovedAt, got.Redetermine, got.RedetermineFields)
		}
		// A later edit (from a copy read before the approval) does not undo it.
		s.Name = "renamed"
		ok(t, "edit", b.UpdateSystem(ctx, &s))
		got, err = b.GetSystem(ctx, s.ID)
		ok(t, "get", err)
		if got.ApprovedLevel != 3 || got.Name != "renamed" || s.ApprovedLevel != 3 {
			t.Errorf("edit after approval: stored level %d name %q, written-back level %d", got.ApprovedLevel, got.Name, s.ApprovedLevel)
		}
		wantKind(t, "SetSystemApproval(unknown)", b.SetSystemApproval(ctx, 4242, 1, at), errs.ErrNotFound)
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		mustSystem(t, b, u.ID, 0, "HTTT-01", system.Planned)
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"GetSystem", func() error { _, err := b.GetSystem(t.Context(), 4242); return err }()},
			{"GetSystemByCode(unknown)", func() error { _, err := b.GetSystemByCode(t.Context(), "nope"); return err }()},
			{"GetSystemByCode(other case)", func() error { _, err := b.GetSystemByCode(t.Context(), "httt-01"); return err }()},
			{"GetSystemByCode(prefix)", func() error { _, err := b.GetSystemByCode(t.Context(), "HTTT"); return err }()},
			{"GetSystemByCode(pattern)", func() error { _, err := b.GetSystemByCode(t.Context(), "HTTT-0_"); return err }()},
			{"GetSystemByCode(space)", func() error { _, err := b.GetSystemByCode(t.Context(), "HTTT-01 "); return err }()},
			{"UpdateSystem", b.UpdateSystem(t.Context(), &system.System{ID: 4242, UnitID: u.ID, Code: "x", Name: "X",
				Status: system.Planned, Hosting: system.Cloud})},
		} {
			wantKind(t, tc.name, tc.err, errs.ErrNotFound)
		}
	})

	t.Run("duplicate_code", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		a := mustSystem(t, b, u.ID, 0, "A", system.Planned)
		c := mustSystem(t, b, u.ID, 0, "C", system.Planned)
		dup := system.System{UnitID: u.ID, Code: "A", Name: "Other", Status: system.Planned, Hosting: system.Cloud}
		wantKind(t, "CreateSystem(duplicate code)", b.CreateSystem(ctx, &dup), errs.ErrConflict)
		c.Code = a.Code
		wantKind(t, "UpdateSystem(duplicate code)", b.UpdateSystem(ctx, &c), errs.ErrConflict)
		list, err := b.ListSystems(ctx, system.Filter{})
		ok(t, "list", err)
		if d := diff([]string{"A", "C"}, systemCodes(list)); d != "" {
			t.Errorf("systems after refused writes (-want +got):\n%s", d)
		}
		// Codes differing in case only are different codes.
		lower := system.System{UnitID: u.ID, Code: "a", Name: "Lower", Status: system.Planned, Hosting: system.Cloud}
		ok(t, "create a", b.CreateSystem(ctx, &lower))
	})

	t.Run("unknown_references", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S", system.Planned)
		for _, tc := range []struct {
			name         string
			unit, parent int64
		}{
			{"unit", 999, 0},
			{"parent", u.ID, 999},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := system.System{UnitID: tc.unit, ParentID: tc.parent, Code: "new-" + tc.name, Name: "N",
					Status: system.Planned, Hosting: system.Cloud}
				wantKind(t, "CreateSystem", b.CreateSystem(ctx, &n), errs.ErrInvalid)
				upd := s
				upd.UnitID, upd.ParentID = tc.unit, tc.parent
				wantKind(t, "UpdateSystem", b.UpdateSystem(ctx, &upd), errs.ErrInvalid)
				got, err := b.GetSystem(ctx, s.ID)
				ok(t, "get", err)
				if got.UnitID != u.ID || got.ParentID != 0 {
					t.Errorf("refused update changed the system: unit %d parent %d", got.UnitID, got.ParentID)
				}
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		got, err := b.ListSystems(ctx, system.Filter{})
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListSystems on an empty database = %v, want none", got)
		}
		u1, u2, u3 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0), mustUnit(t, b, "u3", 0)
		// Created out of order; codes sort bytewise (upper case first).
		p := mustSystem(t, b, u1.ID, 0, "m-parent", system.Operating)
		mustSystem(t, b, u2.ID, p.ID, "b-child", system.Operating)
		mustSystem(t, b, u1.ID, p.ID, "a-child", system.Retired)
		mustSystem(t, b, u2.ID, 0, "Z-upper", system.Planned)
		mustSystem(t, b, u1.ID, 0, "z-lower", system.Operating)
		mustSystem(t, b, u3.ID, 0, "đ-vietnamese", system.Planned)
		for _, tc := range []struct {
			name string
			f    system.Filter
			want []string
		}{
			{"all", system.Filter{}, []string{"Z-upper", "a-child", "b-child", "m-parent", "z-lower", "đ-vietnamese"}},
			{"unit", system.Filter{Units: []int64{u1.ID}}, []string{"a-child", "m-parent", "z-lower"}},
			{"units", system.Filter{Units: []int64{u2.ID, u3.ID}}, []string{"Z-upper", "b-child", "đ-vietnamese"}},
			{"no_units", system.Filter{Units: []int64{}}, nil},
			{"unknown_unit", system.Filter{Units: []int64{999}}, nil},
			{"status", system.Filter{Status: system.Operating}, []string{"b-child", "m-parent", "z-lower"}},
			{"status_unit", system.Filter{Status: system.Operating, Units: []int64{u2.ID}}, []string{"b-child"}},
			{"parent", system.Filter{ParentID: p.ID}, []string{"a-child", "b-child"}},
			{"parent_unit", system.Filter{ParentID: p.ID, Units: []int64{u2.ID}}, []string{"b-child"}},
			{"parent_status", system.Filter{ParentID: p.ID, Status: system.Retired}, []string{"a-child"}},
			{"unknown_parent", system.Filter{ParentID: 999}, nil},
			{"limit", system.Filter{Limit: 2}, []string{"Z-upper", "a-child"}},
			{"limit_filtered", system.Filter{Units: []int64{u1.ID}, Limit: 1}, []string{"a-child"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListSystems(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, systemCodes(got)); d != "" {
					t.Errorf("ListSystems(%+v) codes (-want +got):\n%s", tc.f, d)
				}
			})
		}
		// Listed systems are complete.
		full := fullSystem(u3.ID, 0, "zz-full")
		ok(t, "create full", b.CreateSystem(ctx, &full))
		got, err = b.ListSystems(ctx, system.Filter{Units: []int64{u3.ID}})
		ok(t, "list", err)
		if len(got) != 2 {
			t.Fatalf("ListSystems(u3) = %d systems, want 2", len(got))
		}
		if d := cmp.Diff(full, got[0]); d != "" { // "zz-full" < "đ-vietnamese" bytewise
			t.Errorf("listed system (-want +got):\n%s", d)
		}
	})
}

func testFocalPoints(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("crud", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		in := system.FocalPoint{UnitID: u1.ID, Name: "Trần Thị B", Role: "Trưởng phòng ATTT", Phone: "0905 111 222",
			Email: "b@example.vn", CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		f := in
		ok(t, "create", b.CreateFocalPoint(ctx, &f))
		if f.ID <= 0 {
			t.Fatalf("CreateFocalPoint set ID %d", f.ID)
		}
		want := in
		want.ID, want.CreatedAt, want.UpdatedAt = f.ID, stored(t0), stored(t0.Add(time.Second))
		if d := diff(want, f); d != "" {
			t.Errorf("CreateFocalPoint did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetFocalPoint(ctx, f.ID)
		ok(t, "get", err)
		if d := diff(want, got); d != "" {
			t.Errorf("GetFocalPoint (-want +got):\n%s", d)
		}
		checkUTC(t, "GetFocalPoint", got.CreatedAt, got.UpdatedAt)

		upd := got
		upd.UnitID, upd.Name, upd.Role, upd.Phone, upd.Email = u2.ID, "Lê Văn C", "", "", "c@example.vn"
		upd.UpdatedAt, upd.CreatedAt = t0.Add(time.Hour), t0.Add(-time.Hour)
		ok(t, "update", b.UpdateFocalPoint(ctx, &upd))
		got, err = b.GetFocalPoint(ctx, f.ID)
		ok(t, "get", err)
		want = system.FocalPoint{ID: f.ID, UnitID: u2.ID, Name: "Lê Văn C", Email: "c@example.vn",
			CreatedAt: stored(t0), UpdatedAt: stored(t0.Add(time.Hour))}
		if d := diff(want, got); d != "" {
			t.Errorf("after UpdateFocalPoint (-want +got):\n%s", d)
		}

		ok(t, "delete", b.DeleteFocalPoint(ctx, f.ID))
		_, err = b.GetFocalPoint(ctx, f.ID)
		wantKind(t, "GetFocalPoint(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteFocalPoint(deleted)", b.DeleteFocalPoint(ctx, f.ID), errs.ErrNotFound)
		wantKind(t, "UpdateFocalPoint(deleted)", b.UpdateFocalPoint(ctx, &upd), errs.ErrNotFound)
	})

	t.Run("defaults_and_references", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		before := time.Now().Add(-time.Second)
		f := system.FocalPoint{UnitID: u.ID, Name: "N", Phone: "1"}
		ok(t, "create", b.CreateFocalPoint(ctx, &f))
		if f.CreatedAt.Before(before) || !f.UpdatedAt.Equal(f.CreatedAt) {
			t.Errorf("zero CreatedAt/UpdatedAt became %v/%v, want about now and equal", f.CreatedAt, f.UpdatedAt)
		}
		bad := system.FocalPoint{UnitID: 999, Name: "N", Phone: "1"}
		wantKind(t, "CreateFocalPoint(unknown unit)", b.CreateFocalPoint(ctx, &bad), errs.ErrInvalid)
		f.UnitID = 999
		wantKind(t, "UpdateFocalPoint(unknown unit)", b.UpdateFocalPoint(ctx, &f), errs.ErrInvalid)
		_, err := b.GetFocalPoint(ctx, 4242)
		wantKind(t, "GetFocalPoint(unknown)", err, errs.ErrNotFound)
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		got, err := b.ListFocalPoints(ctx, nil)
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListFocalPoints on an empty database = %v", got)
		}
		u1, u2, u3 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0), mustUnit(t, b, "u3", 0)
		type key struct {
			unit int64
			name string
		}
		for _, k := range []key{{u2.ID, "Bình"}, {u1.ID, "Lan"}, {u1.ID, "An"}, {u2.ID, "An"}, {u3.ID, "Đức"}, {u3.ID, "Zoe"}, {u1.ID, "An"}} {
			f := system.FocalPoint{UnitID: k.unit, Name: k.name, Email: "x@example.vn", CreatedAt: t0}
			ok(t, "create", b.CreateFocalPoint(ctx, &f))
		}
		for _, tc := range []struct {
			name  string
			units []int64
			want  []key
		}{
			{"all", nil, []key{{u1.ID, "An"}, {u1.ID, "An"}, {u1.ID, "Lan"}, {u2.ID, "An"}, {u2.ID, "Bình"}, {u3.ID, "Zoe"}, {u3.ID, "Đức"}}},
			{"one_unit", []int64{u2.ID}, []key{{u2.ID, "An"}, {u2.ID, "Bình"}}},
			{"two_units", []int64{u3.ID, u1.ID}, []key{{u1.ID, "An"}, {u1.ID, "An"}, {u1.ID, "Lan"}, {u3.ID, "Zoe"}, {u3.ID, "Đức"}}},
			{"no_units", []int64{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListFocalPoints(ctx, tc.units)
				ok(t, "list", err)
				var keys []key
				for i, f := range got {
					keys = append(keys, key{f.UnitID, f.Name})
					if i > 0 && got[i-1].UnitID == f.UnitID && got[i-1].Name == f.Name && got[i-1].ID > f.ID {
						t.Errorf("equal unit and name not ordered by id: %d before %d", got[i-1].ID, f.ID)
					}
				}
				if d := cmp.Diff(tc.want, keys, cmp.AllowUnexported(key{})); d != "" {
					t.Errorf("ListFocalPoints(%v) (-want +got):\n%s", tc.units, d)
				}
			})
		}
	})
}
