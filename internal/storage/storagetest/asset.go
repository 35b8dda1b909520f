package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

func assetNames(list []asset.Asset) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return out
}

func mustAsset(t *testing.T, b Backend, unitID int64, kind asset.Kind, name string, systems ...int64) asset.Asset {
	t.Helper()
	a := asset.Asset{UnitID: unitID, Kind: kind, Name: name, SystemIDs: systems, CreatedAt: t0, UpdatedAt: t0,
		Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: name}}}
	ok(t, "create asset "+name, b.CreateAsset(t.Context(), &a))
	return a
}

func testAssets(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1, s3 := mustSystem(t, b, u.ID, 0, "S1", system.Operating), mustSystem(t, b, u.ID, 0, "S3", system.Operating)
		// Identifiers keep their order; system ids come back sorted without duplicates.
		idents := []asset.Identifier{
			{Type: asset.FQDN, Value: "portal.example.vn"},
			{Type: asset.IP, Value: "10.0.0.5"},
			{Type: asset.CIDR, Value: "10.1.0.0/16"},
			{Type: asset.Hostname, Value: "web01"},
			{Type: asset.URL, Value: "https://dichvucong.example.vn/?a=1&b=Đ"},
			{Type: asset.CloudID, Value: "arn:aws:ec2:ap-southeast-1:123:instance/i-0abc"},
			{Type: asset.IP, Value: "2001:db8::1"},
		}
		in := asset.Asset{UnitID: u.ID, Kind: asset.Host, Name: "Máy chủ web", Description: "Cổng DVC",
			Identifiers: idents, SystemIDs: []int64{s3.ID, s1.ID, s3.ID}, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		a := in
		ok(t, "create", b.CreateAsset(ctx, &a))
		if a.ID <= 0 {
			t.Fatalf("CreateAsset set ID %d", a.ID)
		}
		want := in
		want.ID, want.SystemIDs = a.ID, []int64{s1.ID, s3.ID}
		want.CreatedAt, want.UpdatedAt = stored(t0), stored(t0.Add(time.Second))
		if d := cmp.Diff(want, a); d != "" {
			t.Errorf("CreateAsset did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetAsset(ctx, a.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetAsset (-want +got):\n%s", d)
		}
		checkUTC(t, "GetAsset", got.CreatedAt, got.UpdatedAt)

		// No identifiers and no systems; zero times become now.
		before := time.Now().Add(-time.Second)
		bare := asset.Asset{UnitID: u.ID, Kind: asset.Database, Name: "db", Identifiers: []asset.Identifier{}, SystemIDs: []int64{}}
		ok(t, "create bare", b.CreateAsset(ctx, &bare))
		got, err = b.GetAsset(ctx, bare.ID)
		ok(t, "get bare", err)
		if len(got.Identifiers) != 0 || len(got.SystemIDs) != 0 || got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("bare asset came back as %+v", got)
		}
		if d := diff(bare, got); d != "" {
			t.Errorf("CreateAsset(bare) did not write back the stored form (-want +got):\n%s", d)
		}
	})

	t.Run("unknown_references", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S", system.Operating)
		for _, tc := range []struct {
			name    string
			unit    int64
			systems []int64
		}{
			{"system", u.ID, []int64{999}},
			{"one_of_systems", u.ID, []int64{s.ID, 999}},
			{"unit", 999, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := asset.Asset{UnitID: tc.unit, Kind: asset.Host, Name: "h", SystemIDs: tc.systems,
					Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "h"}}}
				wantKind(t, "CreateAsset", b.CreateAsset(ctx, &a), errs.ErrInvalid)
			})
		}
		list, err := b.ListAssets(ctx, asset.Filter{})
		ok(t, "list", err)
		if len(list) != 0 {
			t.Errorf("refused creates left assets %v", list)
		}
		// A refused update changes nothing, links and identifiers included.
		a := mustAsset(t, b, u.ID, asset.Host, "h1", s.ID)
		upd := a
		upd.Name, upd.SystemIDs = "renamed", []int64{s.ID, 999}
		upd.Identifiers = []asset.Identifier{{Type: asset.IP, Value: "192.0.2.1"}}
		wantKind(t, "UpdateAsset(unknown system)", b.UpdateAsset(ctx, &upd), errs.ErrInvalid)
		got, err := b.GetAsset(ctx, a.ID)
		ok(t, "get", err)
		if d := cmp.Diff(a, got); d != "" {
			t.Errorf("refused update changed the asset (-want +got):\n%s", d)
		}
	})

	t.Run("update_replaces_links", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2, s3 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u1.ID, 0, "S2", system.Operating),
			mustSystem(t, b, u2.ID, 0, "S3", system.Operating)
		a := mustAsset(t, b, u1.ID, asset.Host, "h1", s1.ID, s2.ID)
		for _, tc := range []struct {
			name    string
			idents  []asset.Identifier
			systems []int64
		}{
			{"replace", []asset.Identifier{{Type: asset.IP, Value: "192.0.2.1"}, {Type: asset.Hostname, Value: "h1b"}}, []int64{s3.ID, s2.ID}},
			{"reorder", []asset.Identifier{{Type: asset.Hostname, Value: "h1b"}, {Type: asset.IP, Value: "192.0.2.1"}}, []int64{s2.ID, s3.ID}},
			{"clear", nil, nil},
			{"again", []asset.Identifier{{Type: asset.FQDN, Value: "h1.example.vn"}}, []int64{s1.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				upd := a
				upd.UnitID, upd.Kind, upd.Name, upd.Description = u2.ID, asset.Application, "app "+tc.name, tc.name
				upd.Identifiers, upd.SystemIDs = tc.idents, tc.systems
				upd.UpdatedAt = t0.Add(time.Hour)
				upd.CreatedAt = t0.Add(-time.Hour) // not written
				ok(t, "update", b.UpdateAsset(ctx, &upd))
				got, err := b.GetAsset(ctx, a.ID)
				ok(t, "get", err)
				want := asset.Asset{ID: a.ID, UnitID: u2.ID, Kind: asset.Application, Name: "app " + tc.name,
					Description: tc.name, Identifiers: tc.idents, SystemIDs: uniqueSorted(tc.systems),
					CreatedAt: stored(t0), UpdatedAt: stored(t0.Add(time.Hour))}
				if d := diff(want, got); d != "" {
					t.Errorf("after UpdateAsset (-want +got):\n%s", d)
				}
				if len(tc.idents) > 0 && cmp.Diff(tc.idents, got.Identifiers) != "" {
					t.Errorf("identifier order: got %v, want %v", got.Identifiers, tc.idents)
				}
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S", system.Operating)
		a := mustAsset(t, b, u.ID, asset.Host, "h1", s.ID)
		keep := mustAsset(t, b, u.ID, asset.Host, "h2", s.ID)
		ok(t, "delete", b.DeleteAsset(ctx, a.ID))
		_, err := b.GetAsset(ctx, a.ID)
		wantKind(t, "GetAsset(deleted)", err, errs.ErrNotFound)
		wantKind(t, "DeleteAsset(deleted)", b.DeleteAsset(ctx, a.ID), errs.ErrNotFound)
		wantKind(t, "UpdateAsset(deleted)", b.UpdateAsset(ctx, &a), errs.ErrNotFound)
		list, err := b.ListAssets(ctx, asset.Filter{SystemID: s.ID})
		ok(t, "list", err)
		if d := diff([]asset.Asset{keep}, list); d != "" {
			t.Errorf("assets of the system after delete (-want +got):\n%s", d)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		_, err := b.GetAsset(ctx, 4242)
		wantKind(t, "GetAsset", err, errs.ErrNotFound)
		wantKind(t, "UpdateAsset", b.UpdateAsset(ctx, &asset.Asset{ID: 4242, UnitID: u.ID, Kind: asset.Host, Name: "x"}), errs.ErrNotFound)
		wantKind(t, "DeleteAsset", b.DeleteAsset(ctx, 4242), errs.ErrNotFound)
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		got, err := b.ListAssets(ctx, asset.Filter{})
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListAssets on an empty database = %v", got)
		}
		u1, u2 := mustUnit(t, b, "u1", 0), mustUnit(t, b, "u2", 0)
		s1, s2 := mustSystem(t, b, u1.ID, 0, "S1", system.Operating), mustSystem(t, b, u2.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, u1.ID, 0, "S3", system.Planned)
		mustAsset(t, b, u1.ID, asset.Host, "web", s1.ID)
		mustAsset(t, b, u1.ID, asset.Database, "db", s1.ID, s2.ID)
		mustAsset(t, b, u2.ID, asset.Host, "Router", s2.ID)
		mustAsset(t, b, u2.ID, asset.NetworkDevice, "fw")
		mustAsset(t, b, u1.ID, asset.Host, "đ-host", s1.ID)
		mustAsset(t, b, u1.ID, asset.Host, "app") // no system
		for _, tc := range []struct {
			name string
			f    asset.Filter
			want []string
		}{
			{"all", asset.Filter{}, []string{"Router", "app", "db", "fw", "web", "đ-host"}},
			{"unit", asset.Filter{Units: []int64{u2.ID}}, []string{"Router", "fw"}},
			{"units", asset.Filter{Units: []int64{u2.ID, u1.ID}}, []string{"Router", "app", "db", "fw", "web", "đ-host"}},
			{"no_units", asset.Filter{Units: []int64{}}, nil},
			{"system", asset.Filter{SystemID: s1.ID}, []string{"db", "web", "đ-host"}},
			{"system_shared", asset.Filter{SystemID: s2.ID}, []string{"Router", "db"}},
			{"system_none", asset.Filter{SystemID: s3.ID}, nil},
			{"system_unit", asset.Filter{SystemID: s2.ID, Units: []int64{u1.ID}}, []string{"db"}},
			{"kind", asset.Filter{Kind: asset.Host}, []string{"Router", "app", "web", "đ-host"}},
			{"kind_unit", asset.Filter{Kind: asset.Host, Units: []int64{u2.ID}}, []string{"Router"}},
			{"kind_system", asset.Filter{Kind: asset.Host, SystemID: s1.ID}, []string{"web", "đ-host"}},
			{"kind_none", asset.Filter{Kind: asset.CloudResource}, nil},
			{"limit", asset.Filter{Limit: 2}, []string{"Router", "app"}},
			{"limit_system", asset.Filter{SystemID: s1.ID, Limit: 1}, []string{"db"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListAssets(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, assetNames(got)); d != "" {
					t.Errorf("ListAssets(%+v) names (-want +got):\n%s", tc.f, d)
				}
			})
		}
		// Listed assets are complete.
		got, err = b.ListAssets(ctx, asset.Filter{SystemID: s2.ID, Units: []int64{u1.ID}})
		ok(t, "list", err)
		if len(got) != 1 {
			t.Fatalf("got %d assets, want 1", len(got))
		}
		want, err := b.GetAsset(ctx, got[0].ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got[0]); d != "" || len(want.SystemIDs) != 2 || len(want.Identifiers) != 1 {
			t.Errorf("listed asset differs from GetAsset or lacks links (-get +list):\n%s", d)
		}
	})
}

// uniqueSorted returns ids sorted without duplicates, nil when empty.
func uniqueSorted(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}
