package asset_test

import (
	"errors"
	"testing"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/errs"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in   asset.Identifier
		want string
		ok   bool
	}{
		{asset.Identifier{Type: asset.Hostname, Value: " WEB01 "}, "web01", true},
		{asset.Identifier{Type: asset.FQDN, Value: "Portal.Example.VN."}, "portal.example.vn", true},
		{asset.Identifier{Type: asset.FQDN, Value: "nodot"}, "", false},
		{asset.Identifier{Type: asset.Hostname, Value: "bad host"}, "", false},
		{asset.Identifier{Type: asset.IP, Value: "10.0.0.5"}, "10.0.0.5", true},
		{asset.Identifier{Type: asset.IP, Value: "::ffff:10.0.0.5"}, "10.0.0.5", true},
		{asset.Identifier{Type: asset.IP, Value: "10.0.0.256"}, "", false},
		{asset.Identifier{Type: asset.CIDR, Value: "10.1.2.3/16"}, "10.1.0.0/16", true},
		{asset.Identifier{Type: asset.CIDR, Value: "10.1.2.3"}, "", false},
		{asset.Identifier{Type: asset.URL, Value: "https://dichvucong.example.vn/"}, "https://dichvucong.example.vn/", true},
		{asset.Identifier{Type: asset.URL, Value: "ftp://x"}, "", false},
		{asset.Identifier{Type: "mac", Value: "00:11"}, "", false},
	} {
		got, err := tc.in.Normalize()
		if (err == nil) != tc.ok || (tc.ok && got.Value != tc.want) {
			t.Errorf("Normalize(%+v) = %+v, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("error %v is not ErrInvalid", err)
		}
	}
}

func TestParseIdentifiersAndMatches(t *testing.T) {
	ids, err := asset.ParseIdentifiers("web01, 10.0.0.5\nportal.example.vn 192.168.10.0/24 https://x.example.vn cloud_id:i-0abc")
	if err != nil {
		t.Fatal(err)
	}
	want := []asset.IDType{asset.Hostname, asset.IP, asset.FQDN, asset.CIDR, asset.URL, asset.CloudID}
	if len(ids) != len(want) {
		t.Fatalf("got %+v", ids)
	}
	for i, w := range want {
		if ids[i].Type != w {
			t.Errorf("identifier %d: %s, want %s", i, ids[i].Type, w)
		}
	}
	a := asset.Asset{Identifiers: ids}
	for v, want := range map[string]bool{"WEB01": true, "192.168.10.77": true, "192.168.11.1": false, "10.0.0.5": true, "i-0abc": true, "other": false} {
		if a.Matches(v) != want {
			t.Errorf("Matches(%q) = %v", v, !want)
		}
	}
	if _, err := asset.ParseIdentifiers("10.0.0.999"); err == nil {
		t.Error("bad IP accepted")
	}
}

func TestValidate(t *testing.T) {
	a := asset.Asset{UnitID: 1, Kind: asset.Host, Name: " db01 ", SystemIDs: []int64{3, 1, 3},
		Identifiers: []asset.Identifier{{Type: asset.IP, Value: "10.0.0.1"}, {Type: asset.IP, Value: "10.0.0.1"}}}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Name != "db01" || len(a.Identifiers) != 1 || len(a.SystemIDs) != 2 {
		t.Errorf("normalised %+v", a)
	}
	for _, bad := range []asset.Asset{
		{UnitID: 1, Kind: "toaster", Name: "x"},
		{UnitID: 1, Kind: asset.Host, Name: ""},
		{UnitID: 0, Kind: asset.Host, Name: "x"},
	} {
		if err := bad.Validate(); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Validate(%+v) = %v", bad, err)
		}
	}
}

func FuzzParseIdentifiers(f *testing.F) {
	f.Add("web01, 10.0.0.5\nportal.example.vn 192.168.10.0/24")
	f.Add("cidr:::/0 ip:fe80::1%eth0")
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := asset.ParseIdentifiers(s)
		if err != nil {
			return
		}
		for _, id := range ids {
			if n, err := id.Normalize(); err != nil || n != id {
				t.Fatalf("parsed identifier %+v does not normalise to itself: %+v %v", id, n, err)
			}
		}
	})
}
