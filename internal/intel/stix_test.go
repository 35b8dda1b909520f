package intel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

var stixImportNow = time.Date(2026, 3, 10, 1, 2, 3, 0, time.UTC)

func stixImportOptions() intel.ImportOptions {
	return intel.ImportOptions{UnitID: 7, Source: "VNCERT feed", DefaultTLP: intel.TLPGreen, DefaultConfidence: 50,
		Now: func() time.Time { return stixImportNow }}
}

func parseSTIXFixture(t *testing.T, name string) intel.Batch {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "stix", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := intel.ParseSTIXBundle(f, stixImportOptions())
	if err != nil {
		t.Fatalf("ParseSTIXBundle(%s): %v", name, err)
	}
	return b
}

func stixTS(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func oneComparison(t intel.Type, v string) [][]intel.Comparison {
	return [][]intel.Comparison{{{Type: t, Value: v}}}
}

func TestParseSTIXBundle(t *testing.T) {
	got := parseSTIXFixture(t, "bundle.json")
	sha := "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"
	want := []intel.Indicator{
		{
			UnitID: 7, Type: intel.IP, Value: "203.0.113.7", Pattern: oneComparison(intel.IP, "203.0.113.7"),
			Name:        "PlugX C2",
			Description: "Command and control server of a PlugX campaign against Vietnamese banks.",
			Source:      "VNCERT feed (VNCERT/CC)", ExternalID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			TLP: intel.TLPAmber, Confidence: 85, Labels: []string{"plugx", "apt", "malicious-activity"},
			ValidFrom: stixTS("2026-03-01T08:00:00Z"), ValidUntil: stixTS("2026-09-01T00:00:00Z"),
			CreatedAt: stixImportNow, UpdatedAt: stixImportNow,
		},
		{
			UnitID: 7, Type: intel.SHA256, Value: sha,
			Pattern: [][]intel.Comparison{{{Type: intel.SHA256, Value: sha}}, {{Type: intel.MD5, Value: "44d88612fea8a8f36de82e1278abb02f"}}},
			Name:    "PlugX loader", Source: "VNCERT feed (VNCERT/CC)", ExternalID: "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
			TLP: intel.TLPRed, Confidence: 50, ValidFrom: stixTS("2026-03-02T09:30:00Z"),
			CreatedAt: stixImportNow, UpdatedAt: stixImportNow,
		},
		{
			UnitID: 7, Type: intel.Domain, Value: "vietcombank-xacthuc.example",
			Pattern: [][]intel.Comparison{{{Type: intel.Domain, Value: "vietcombank-xacthuc.example"}},
				{{Type: intel.URL, Value: "https://vietcombank-xacthuc.example/login"}}},
			Name: "Phishing domain", Source: "VNCERT feed", ExternalID: "indicator--2f5b1a3e-9c7d-4e8f-a1b2-c3d4e5f60718",
			TLP: intel.TLPGreen, Confidence: 50, ValidFrom: stixTS("2026-03-02T10:00:00Z"), Revoked: true,
			CreatedAt: stixImportNow, UpdatedAt: stixImportNow,
		},
		{
			UnitID: 7, Type: intel.Email, Value: "invoice@hoadon-dientu.example", Pattern: oneComparison(intel.Email, "invoice@hoadon-dientu.example"),
			Source: "VNCERT feed", ExternalID: "indicator--5f607182-93a4-4c5d-86d7-e8f90a1b2c3d",
			TLP: intel.TLPClear, Confidence: 50, Labels: []string{"malicious-activity"}, ValidFrom: stixTS("2017-05-01T00:00:00Z"),
			CreatedAt: stixImportNow, UpdatedAt: stixImportNow,
		},
	}
	if diff := cmp.Diff(want, got.Indicators); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	wantSkipped := []struct{ ref, reason string }{
		{"indicator--0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", `pattern_type "sigma" is not supported`},
		{"indicator--1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9", "process:command_line"},
		{"indicator--2c3d4e5f-6071-4829-93a4-b5c6d7e8f90a", "syntax error at offset 33"},
		{"indicator--3d4e5f60-7182-4a3b-a4b5-c6d7e8f90a1b", "malformed indicator"},
		{"indicator--4e5f6071-8293-4b4c-b5c6-d7e8f90a1b2c", "valid_until is not after valid_from"},
		{"objects[16]", "not a STIX object"},
		{"objects[17]", "not an indicator id"},
	}
	if len(got.Skipped) != len(wantSkipped) {
		t.Fatalf("skipped %d: %+v, want %d", len(got.Skipped), got.Skipped, len(wantSkipped))
	}
	for i, w := range wantSkipped {
		if s := got.Skipped[i]; s.Ref != w.ref || !strings.Contains(s.Reason, w.reason) {
			t.Errorf("skipped[%d] = %+v, want ref %s and a reason with %q", i, s, w.ref, w.reason)
		}
	}
}

func TestParseSTIXBundle_Shapes(t *testing.T) {
	t.Run("taxii_envelope", func(t *testing.T) {
		b := parseSTIXFixture(t, "envelope.json")
		if len(b.Indicators) != 1 || b.Indicators[0].Type != intel.CIDR || b.Indicators[0].TLP != intel.TLPClear {
			t.Errorf("got %+v", b)
		}
	})
	t.Run("object_list", func(t *testing.T) {
		b := parseSTIXFixture(t, "objects.json")
		if len(b.Indicators) != 1 || b.Indicators[0].Type != intel.URL || b.Indicators[0].TLP != intel.TLPAmberStrict {
			t.Errorf("got %+v", b)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		in := `{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--6071a2b3-c4d5-4e6f-9788-99aabbccddee","pattern":"[domain-name:value='x.example']"}]}`
		b, err := intel.ParseSTIXBundle(strings.NewReader(in), intel.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Indicators) != 1 || b.Indicators[0].TLP != intel.TLPAmber || b.Indicators[0].Source != "STIX" || b.Indicators[0].CreatedAt.IsZero() {
			t.Errorf("got %+v", b)
		}
	})
	for _, tc := range []struct{ name, in string }{
		{"empty_envelope", `{}`},
		{"envelope_no_more", `{"more": false}`},
		{"bom", "\ufeff{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[]}"},
		{"empty_list", `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := intel.ParseSTIXBundle(strings.NewReader(tc.in), stixImportOptions())
			if err != nil || len(b.Indicators)+len(b.Skipped) != 0 {
				t.Errorf("ParseSTIXBundle(%q) = %+v, %v; want nothing and no error", tc.in, b, err)
			}
		})
	}
	for _, tc := range []struct{ name, in string }{
		{"not_json", `<html>502 Bad Gateway</html>`},
		{"truncated", `{"type":"bundle","objects":[{"type":"indicator"`},
		{"single_object", `{"type":"indicator","id":"indicator--6071a2b3-c4d5-4e6f-9788-99aabbccddee","pattern":"[domain-name:value='x.example']"}`},
		{"other_object", `{"title":"TAXII server","api_roots":[]}`},
		{"objects_not_list", `{"type":"bundle","objects":{"a":1}}`},
		{"trailing_data", `[] []`},
		{"number", `42`},
		{"too_many_objects", "[" + strings.Repeat("{},", intel.MaxBundleObjects) + "{}]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := intel.ParseSTIXBundle(strings.NewReader(tc.in), stixImportOptions())
			if err == nil {
				t.Fatalf("ParseSTIXBundle(%.60q) = %+v, want an error", tc.in, b)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("ParseSTIXBundle(%.60q): %v, want errs.ErrInvalid", tc.in, err)
			}
		})
	}
	t.Run("too_large", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("["), stixSpaces{})
		_, err := intel.ParseSTIXBundle(r, stixImportOptions())
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("ParseSTIXBundle(stixEndless) = %v, want too large", err)
		}
	})
}

// stixSpaces is a reader of spaces, forever.
type stixSpaces struct{}

var spaceBlock = bytes.Repeat([]byte{' '}, 64<<10)

func (stixSpaces) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], spaceBlock)
	}
	return n, nil
}

var stixExportNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func stixExportFixture() ([]intel.Indicator, []intel.Sighting) {
	created := time.Date(2026, 4, 1, 8, 30, 0, 0, time.UTC)
	inds := []intel.Indicator{
		{
			ID: 1, UnitID: 7, Type: intel.IP, Value: "203.0.113.7", Pattern: oneComparison(intel.IP, "203.0.113.7"),
			Name: "PlugX C2", Description: "C2 server", Source: "VNCERT feed (VNCERT/CC)",
			ExternalID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", TLP: intel.TLPAmber, Confidence: 85,
			Labels: []string{"plugx", "apt"}, ValidFrom: stixTS("2026-03-01T08:00:00Z"), ValidUntil: stixTS("2026-09-01T00:00:00.123456789Z"),
			CreatedAt: created, UpdatedAt: created.Add(time.Hour),
		},
		{
			ID: 2, UnitID: 7, Type: intel.URL, Value: `http://x.example/a'b\c`,
			Pattern: [][]intel.Comparison{
				{{Type: intel.URL, Value: `http://x.example/a'b\c`}},
				{{Type: intel.Domain, Value: "x.example"}, {Type: intel.IP, Value: "2001:db8::1"}, {Type: intel.Domain, Value: "y.example"}},
				{{Type: intel.CIDR, Value: "10.0.0.0/8"}},
			},
			Source: "MISP CIRCL", ExternalID: "5f4b3a2c-1d0e-4f9a-8b7c-6d5e4f3a2b1c", TLP: intel.TLPAmberStrict, Confidence: 60,
			ValidFrom: stixTS("2026-04-01T00:00:00Z"), CreatedAt: created, UpdatedAt: created,
		},
		{
			ID: 3, UnitID: 7, Type: intel.SHA512,
			Value:  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
			Source: "manual", TLP: intel.TLPRed, Revoked: true, CreatedAt: created, UpdatedAt: created,
		},
		{
			ID: 4, UnitID: 7, Type: intel.Email, Value: "ceo@bank-update.example",
			Pattern: [][]intel.Comparison{{{Type: intel.Email, Value: "ceo@bank-update.example"}, {Type: intel.FileName, Value: "hóa đơn.pdf.exe"},
				{Type: intel.SHA1, Value: "3395856ce81f2b7382dee72602f798b642f14140"}, {Type: intel.MD5, Value: "44d88612fea8a8f36de82e1278abb02f"}}},
			Source: "manual", TLP: intel.TLPClear, Confidence: 100, CreatedAt: created, UpdatedAt: created,
		},
	}
	sightings := []intel.Sighting{
		{ID: 10, IndicatorID: 1, UnitID: 7, Host: "web-01", Field: "destination.ip", Value: "203.0.113.7",
			FirstSeen: stixTS("2026-04-02T01:00:00Z"), LastSeen: stixTS("2026-04-03T02:00:00Z"), Count: 12, CreatedAt: stixTS("2026-04-02T01:00:05Z")},
		{ID: 11, IndicatorID: 2, UnitID: 7, HuntID: 3, Field: "url.full", Value: `http://x.example/a'b\c`,
			FirstSeen: stixTS("2026-04-05T00:00:00Z"), LastSeen: stixTS("2026-04-05T00:00:00Z"), Count: 1, CreatedAt: stixTS("2026-04-05T00:00:01Z")},
	}
	return inds, sightings
}

func TestWriteSTIXBundle_RoundTrip(t *testing.T) {
	inds, sightings := stixExportFixture()
	var buf bytes.Buffer
	o := intel.ExportOptions{Identity: "Ngân hàng Ví Dụ", Now: func() time.Time { return stixExportNow }}
	if err := intel.WriteSTIXBundle(&buf, inds, sightings, o); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "stix", "export.golden.json")
	if *updateSTIX {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil {
		t.Fatal(err)
	} else if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("export differs from %s (-want +got):\n%s", golden, diff)
	}

	var again bytes.Buffer
	if err := intel.WriteSTIXBundle(&again, inds, sightings, o); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("a second export differs (%v)", err)
	}

	b, err := intel.ParseSTIXBundle(bytes.NewReader(buf.Bytes()), intel.ImportOptions{UnitID: 7, Source: "partner"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Skipped) > 0 {
		t.Errorf("skipped on reimport: %+v", b.Skipped)
	}
	want := make([]intel.Indicator, len(inds))
	for i, ind := range inds {
		ind.ID, ind.CreatedAt, ind.UpdatedAt = 0, time.Time{}, time.Time{}
		ind.Source = "partner (Ngân hàng Ví Dụ)"
		if ind.Pattern == nil {
			ind.Pattern = oneComparison(ind.Type, ind.Value)
		}
		if ind.ValidFrom.IsZero() {
			ind.ValidFrom = inds[i].CreatedAt
		}
		want[i] = ind
	}
	stixID := regexp.MustCompile(`^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i, ind := range b.Indicators {
		if i > 0 && !stixID.MatchString(ind.ExternalID) {
			t.Errorf("indicator %d: id %q is not a UUIDv5 STIX id", i, ind.ExternalID)
		}
	}
	opts := []cmp.Option{cmpopts.IgnoreFields(intel.Indicator{}, "CreatedAt", "UpdatedAt")}
	if len(b.Indicators) == len(want) {
		want[0].ExternalID = inds[0].ExternalID // kept
		for i := 1; i < len(want); i++ {
			want[i].ExternalID = b.Indicators[i].ExternalID
		}
	}
	if diff := cmp.Diff(want, b.Indicators, opts...); diff != "" {
		t.Errorf("reimported indicators (-want +got):\n%s", diff)
	}
}

func TestWriteSTIXBundle_Shape(t *testing.T) {
	inds, sightings := stixExportFixture()
	var buf bytes.Buffer
	if err := intel.WriteSTIXBundle(&buf, inds, sightings, intel.ExportOptions{Identity: "Khiên SOC"}); err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	if bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") {
		t.Errorf("bundle type %q id %q", bundle.Type, bundle.ID)
	}
	count := map[string]int{}
	ids := map[string]string{}
	var identity string
	for _, o := range bundle.Objects {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		count[typ]++
		ids[id] = typ
		if o["spec_version"] != "2.1" {
			t.Errorf("%s: spec_version %v", id, o["spec_version"])
		}
		if !strings.HasPrefix(id, typ+"--") {
			t.Errorf("id %q of a %s", id, typ)
		}
		if typ == "identity" {
			identity = id
		}
	}
	if diff := cmp.Diff(map[string]int{"identity": 1, "marking-definition": 4, "indicator": 4, "sighting": 2}, count); diff != "" {
		t.Errorf("object counts (-want +got):\n%s", diff)
	}
	for _, o := range bundle.Objects {
		switch o["type"] {
		case "indicator":
			if o["pattern_type"] != "stix" || o["created_by_ref"] != identity || o["valid_from"] == nil {
				t.Errorf("indicator %v", o)
			}
			for _, ref := range o["object_marking_refs"].([]any) {
				if ids[ref.(string)] != "marking-definition" {
					t.Errorf("indicator %s: marking %v not in the bundle", o["id"], ref)
				}
			}
		case "sighting":
			if ids[o["sighting_of_ref"].(string)] != "indicator" {
				t.Errorf("sighting %s of %v, not an indicator of the bundle", o["id"], o["sighting_of_ref"])
			}
			if diff := cmp.Diff([]any{identity}, o["where_sighted_refs"]); diff != "" {
				t.Errorf("where_sighted_refs (-want +got):\n%s", diff)
			}
			if _, leaked := o["host"]; leaked || strings.Contains(buf.String(), "web-01") {
				t.Error("a sighting shares the host name")
			}
		}
	}
}

func TestWriteSTIXBundle_Errors(t *testing.T) {
	inds, sightings := stixExportFixture()
	for _, tc := range []struct {
		name      string
		inds      []intel.Indicator
		sightings []intel.Sighting
	}{
		{"unknown_indicator_of_sighting", inds[:1], sightings},
		{"no_pattern", []intel.Indicator{{ID: 9, TLP: intel.TLPGreen}}, nil},
		{"bad_tlp", []intel.Indicator{{ID: 9, Type: intel.IP, Value: "192.0.2.1", TLP: "white"}}, nil},
		{"unnormalised", []intel.Indicator{{ID: 9, Type: intel.Domain, Value: "X.Example", TLP: intel.TLPGreen}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := intel.WriteSTIXBundle(io.Discard, tc.inds, tc.sightings, intel.ExportOptions{}); err == nil {
				t.Error("WriteSTIXBundle succeeded, want an error")
			}
		})
	}
}
