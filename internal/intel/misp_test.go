package intel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/intel"
)

var updateMISP = flag.Bool("update-misp", false, "rewrite testdata/misp golden files")

// importNow is the Now of the import tests.
var importNow = time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)

func importOptions() intel.ImportOptions {
	return intel.ImportOptions{
		UnitID:            7,
		Source:            "CIRCL OSINT",
		DefaultTLP:        intel.TLPAmber,
		DefaultConfidence: 60,
		Now:               func() time.Time { return importNow },
	}
}

// checkImportedBatch checks what every importer promises of its
// indicators: a valid type, a normalised value, a non-empty pattern of
// normalised comparisons whose first is Type/Value, a TLP, and a JSON
// form.
func checkImportedBatch(tb testing.TB, b intel.Batch) {
	tb.Helper()
	for i, ind := range b.Indicators {
		if !ind.Type.Valid() {
			tb.Fatalf("indicator %d: invalid type %q", i, ind.Type)
		}
		if n, err := intel.Normalize(ind.Type, ind.Value); err != nil || n != ind.Value {
			tb.Fatalf("indicator %d: value %q is not normalised (%q, %v)", i, ind.Value, n, err)
		}
		if len(ind.Pattern) == 0 || len(ind.Pattern[0]) == 0 {
			tb.Fatalf("indicator %d: empty pattern", i)
		}
		if ind.Pattern[0][0] != (intel.Comparison{Type: ind.Type, Value: ind.Value}) {
			tb.Fatalf("indicator %d: first comparison %v is not %s %q", i, ind.Pattern[0][0], ind.Type, ind.Value)
		}
		for _, conj := range ind.Pattern {
			if len(conj) == 0 {
				tb.Fatalf("indicator %d: empty conjunction in %v", i, ind.Pattern)
			}
			for _, c := range conj {
				if n, err := intel.Normalize(c.Type, c.Value); !c.Type.Valid() || err != nil || n != c.Value {
					tb.Fatalf("indicator %d: comparison %v is not valid and normalised", i, c)
				}
			}
		}
		if ind.TLP.Rank() == 0 {
			tb.Fatalf("indicator %d: no TLP", i)
		}
		if ind.Confidence < 0 || ind.Confidence > 100 {
			tb.Fatalf("indicator %d: confidence %d", i, ind.Confidence)
		}
		if _, err := json.Marshal(ind); err != nil {
			tb.Fatalf("indicator %d: %v", i, err)
		}
	}
}

// goldenJSON compares got, as indented JSON, with the file at path, or
// rewrites the file when update is set.
func goldenJSON(t *testing.T, path string, got any, update bool) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with the update flag to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(data)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func parseMISPFile(t *testing.T, name string) intel.Batch {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "misp", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := intel.ParseMISPEvent(f, importOptions())
	if err != nil {
		t.Fatalf("ParseMISPEvent(%s): %v", name, err)
	}
	checkImportedBatch(t, b)
	return b
}

func byExternalID(b intel.Batch) map[string]intel.Indicator {
	m := map[string]intel.Indicator{}
	for _, ind := range b.Indicators {
		m[ind.ExternalID] = ind
	}
	return m
}

func TestParseMISPEvent_Golden(t *testing.T) {
	for _, name := range []string{"event", "search"} {
		t.Run(name, func(t *testing.T) {
			b := parseMISPFile(t, name+".json")
			goldenJSON(t, filepath.Join("testdata", "misp", name+".golden.json"), b, *updateMISP)
		})
	}
}

func TestParseMISPEvent(t *testing.T) {
	b := parseMISPFile(t, "event.json")
	got := byExternalID(b)
	attr := func(n int) string { return fmt.Sprintf("6a1f0c2e-%04x-4d3b-8e5a-1c9f7b2d%04x", n, n) }
	type cmpList = [][]intel.Comparison
	c := func(t intel.Type, v string) intel.Comparison { return intel.Comparison{Type: t, Value: v} }
	for _, tc := range []struct {
		name, id   string
		pattern    cmpList
		tlp        intel.TLP
		confidence int
		revoked    bool
	}{
		{"ip", attr(1), cmpList{{c(intel.IP, "203.0.113.45")}}, intel.TLPGreen, 75, false},
		{"ip_network", attr(2), cmpList{{c(intel.CIDR, "198.51.100.0/24")}}, intel.TLPGreen, 75, false},
		{"ip_port_attribute_tlp", attr(3), cmpList{{c(intel.IP, "203.0.113.46")}}, intel.TLPAmber, 75, false},
		{"domain_normalised", attr(4), cmpList{{c(intel.Domain, "login-vietcombank-secure.example")}}, intel.TLPGreen, 75, false},
		{"hostname", attr(5), cmpList{{c(intel.Domain, "mail.ngan-hang-so.example")}}, intel.TLPGreen, 75, false},
		{"domain_ip_or", attr(6), cmpList{{c(intel.Domain, "cdn-update.example")}, {c(intel.IP, "192.0.2.10")}}, intel.TLPGreen, 75, false},
		{"deleted_revoked", attr(9), cmpList{{c(intel.MD5, "f519326188a710fa5dbd7e4b5a83a8d0")}}, intel.TLPGreen, 75, true},
		{"filename_hash_and", attr(11), cmpList{{c(intel.SHA256, "c146d5b4e5d26173bad34e70c74e76e08947d2a95a6bf36843ff9d477a3b3fbb"), c(intel.FileName, "hoa-don-thang3.pdf.exe")}}, intel.TLPGreen, 75, false},
		{"email_lower", attr(12), cmpList{{c(intel.Email, "phishing@ngan-hang-so.example")}}, intel.TLPGreen, 75, false},
		{"file_object_and", "7b2e9d41-5c3a-4f8e-b1d6-2a9c0e4f7d13", cmpList{{
			c(intel.SHA256, "50eb129535228a3ea5aed93a2c488b495c32219f63b7d62a0ab24da1f4658c2c"),
			c(intel.MD5, "38afb8f4a10c07446146497b030f53d9"),
			c(intel.FileName, "setup_vcb.exe"),
		}}, intel.TLPAmber, 75, false},
		{"domain_ip_object", "9c4d2f10-8e7b-4a3c-a5d1-6f0b3e2c9a87", cmpList{
			{c(intel.Domain, "c2.tinhte-update.example"), c(intel.IP, "203.0.113.77")},
			{c(intel.Domain, "c2.tinhte-update.example"), c(intel.IP, "203.0.113.78")},
		}, intel.TLPGreen, 75, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ind, ok := got[tc.id]
			if !ok {
				t.Fatalf("no indicator %s", tc.id)
			}
			if diff := cmp.Diff(tc.pattern, ind.Pattern); diff != "" {
				t.Errorf("pattern (-want +got):\n%s", diff)
			}
			if ind.TLP != tc.tlp || ind.Confidence != tc.confidence || ind.Revoked != tc.revoked {
				t.Errorf("TLP, confidence, revoked = %s, %d, %v; want %s, %d, %v",
					ind.TLP, ind.Confidence, ind.Revoked, tc.tlp, tc.confidence, tc.revoked)
			}
			if ind.Source != "CIRCL OSINT / CIRCL" || ind.Name != "Phishing campaign against Vietnamese banks (March 2026)" || ind.UnitID != 7 {
				t.Errorf("source, name, unit = %q, %q, %d", ind.Source, ind.Name, ind.UnitID)
			}
			if !slices.Contains(ind.Labels, `misp-galaxy:threat-actor="APT32"`) || slices.ContainsFunc(ind.Labels, func(l string) bool { return strings.HasPrefix(l, "tlp:") }) {
				t.Errorf("labels = %q", ind.Labels)
			}
			if !ind.CreatedAt.Equal(importNow) {
				t.Errorf("CreatedAt = %v", ind.CreatedAt)
			}
		})
	}

	t.Run("attribute_confidence_and_tlp", func(t *testing.T) {
		ind := got[attr(10)]
		if ind.TLP != intel.TLPRed || ind.Confidence != 70 {
			t.Errorf("TLP, confidence = %s, %d; want red, 70 (admiralty 2)", ind.TLP, ind.Confidence)
		}
	})
	t.Run("validity", func(t *testing.T) {
		url := got[attr(7)]
		if want := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC); !url.ValidFrom.Equal(want) {
			t.Errorf("ValidFrom = %v; want first_seen %v", url.ValidFrom, want)
		}
		if want := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC); !url.ValidUntil.Equal(want) {
			t.Errorf("ValidUntil = %v; want last_seen %v", url.ValidUntil, want)
		}
		ip := got[attr(1)]
		if want := time.Unix(1773100000, 0).UTC(); !ip.ValidFrom.Equal(want) || !ip.ValidUntil.IsZero() {
			t.Errorf("ValidFrom, ValidUntil = %v, %v; want timestamp %v and none", ip.ValidFrom, ip.ValidUntil, want)
		}
		if want := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC); !got["9c4d2f10-8e7b-4a3c-a5d1-6f0b3e2c9a87"].ValidFrom.Equal(want) {
			t.Errorf("object ValidFrom = %v; want %v", got["9c4d2f10-8e7b-4a3c-a5d1-6f0b3e2c9a87"].ValidFrom, want)
		}
	})
	t.Run("description", func(t *testing.T) {
		if d := got[attr(4)].Description; d != "credential phishing landing page" {
			t.Errorf("Description = %q", d)
		}
		if d := got["7b2e9d41-5c3a-4f8e-b1d6-2a9c0e4f7d13"].Description; d != "dropper delivered by the phishing mail" {
			t.Errorf("object Description = %q", d)
		}
	})
	t.Run("skipped", func(t *testing.T) {
		skipped := map[string]string{}
		for _, s := range b.Skipped {
			skipped[s.Ref] = s.Reason
		}
		for id, want := range map[string]string{
			attr(8):  "uri is not absolute",
			attr(13): "to_ids is false",
			attr(14): "unsupported MISP type ssdeep",
			attr(15): "not a domain name",
			attr(16): "to_ids is false",
			attr(23): "to_ids is false",
		} {
			if !strings.Contains(skipped[id], want) {
				t.Errorf("skip of %s = %q; want %q", id, skipped[id], want)
			}
		}
		if len(b.Indicators) != 14 || len(b.Skipped) != 7 {
			t.Errorf("%d indicators, %d skipped; want 14 (12 attributes, 2 objects) and 7", len(b.Indicators), len(b.Skipped))
		}
	})
}

func TestParseMISPEvent_Shapes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "misp", "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := intel.ParseMISPEvent(bytes.NewReader(data), importOptions())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Event json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"bare":     doc.Event,
		"response": []byte(`{"response": [{"Event": ` + string(doc.Event) + `}]}`),
		"list":     []byte(`[{"Event": ` + string(doc.Event) + `}]`),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := intel.ParseMISPEvent(bytes.NewReader(in), importOptions())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wrapped, got); diff != "" {
				t.Errorf("differs from {\"Event\": …} (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("search_result", func(t *testing.T) {
		b := parseMISPFile(t, "search.json")
		got := byExternalID(b)
		if ind := got["c3000000-0000-4000-8000-000000000003"]; ind.Value != "2001:db8::7" || ind.TLP != intel.TLPAmberStrict || ind.Source != "CIRCL OSINT / VNCERT/CC" {
			t.Errorf("ip-src|port: %+v", ind)
		}
		if ind := got["d4000000-0000-4000-8000-000000000001"]; ind.Value != "static.portal-tinh.example" || ind.TLP != intel.TLPClear || ind.Confidence != 50 {
			t.Errorf("hostname|port: %+v", ind)
		}
		var broken bool
		for _, s := range b.Skipped {
			broken = broken || (s.Ref == "response[1]" && strings.Contains(s.Reason, "malformed event"))
		}
		if !broken {
			t.Errorf("the broken event is not skipped: %v", b.Skipped)
		}
		// An attribute without UUID gets a stable one.
		again := parseMISPFile(t, "search.json")
		if diff := cmp.Diff(b, again); diff != "" {
			t.Errorf("not deterministic:\n%s", diff)
		}
	})
}

func TestParseMISPEvent_Errors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"not_json":       "<html>502 Bad Gateway</html>",
		"no_event":       `{"name": "x"}`,
		"event_string":   `{"Event": "x"}`,
		"response_shape": `{"response": {"Attribute": []}}`,
		"truncated":      `{"Event": {"uuid": "x", "Attribute": [`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := intel.ParseMISPEvent(strings.NewReader(in), importOptions()); err == nil {
				t.Error("no error")
			}
		})
	}
	t.Run("too_large", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(`{"Event": {"info": "`), io.LimitReader(infiniteA{}, 64<<20))
		if _, err := intel.ParseMISPEvent(r, importOptions()); err == nil || !strings.Contains(err.Error(), "64 MiB") {
			t.Errorf("error = %v", err)
		}
	})
}

type infiniteA struct{}

func (infiniteA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

var exportNow = time.Date(2026, 3, 20, 10, 30, 0, 0, time.UTC)

func exportIndicators() []intel.Indicator {
	c := func(t intel.Type, v string) intel.Comparison { return intel.Comparison{Type: t, Value: v} }
	one := func(id string, t intel.Type, v string, tlp intel.TLP) intel.Indicator {
		return intel.Indicator{ExternalID: id, Type: t, Value: v, Pattern: [][]intel.Comparison{{c(t, v)}}, TLP: tlp}
	}
	inds := []intel.Indicator{
		one("11111111-1111-4111-8111-111111111111", intel.IP, "203.0.113.45", intel.TLPGreen),
		one("22222222-2222-4222-8222-222222222222", intel.CIDR, "198.51.100.0/24", intel.TLPClear),
		one("indicator--33333333-3333-4333-8333-333333333333", intel.Domain, "login-vietcombank-secure.example", intel.TLPAmber),
		one("", intel.URL, "https://login-vietcombank-secure.example/xac-thuc?id=1&lang=vi", intel.TLPGreen),
		one("", intel.SHA512, strings.Repeat("ab", 64), intel.TLPGreen),
		one("", intel.FileName, "hoa-don-thang3.pdf.exe", intel.TLPGreen),
		one("", intel.Email, "phishing@ngan-hang-so.example", intel.TLPAmberStrict),
		{
			ExternalID: "44444444-4444-4444-8444-444444444444", Type: intel.SHA256,
			Value: "50eb129535228a3ea5aed93a2c488b495c32219f63b7d62a0ab24da1f4658c2c",
			Pattern: [][]intel.Comparison{{
				c(intel.SHA256, "50eb129535228a3ea5aed93a2c488b495c32219f63b7d62a0ab24da1f4658c2c"),
				c(intel.FileName, "setup_vcb.exe"),
			}},
			TLP: intel.TLPAmber, Description: "dropper", Labels: []string{"apt32", "tlp:white"},
			ValidFrom:  time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
			ValidUntil: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			ExternalID: "55555555-5555-4555-8555-555555555555", Type: intel.FileName, Value: "setup_vcb.exe",
			Pattern: [][]intel.Comparison{{
				c(intel.FileName, "setup_vcb.exe"),
				c(intel.MD5, "38afb8f4a10c07446146497b030f53d9"),
				c(intel.SHA256, "50eb129535228a3ea5aed93a2c488b495c32219f63b7d62a0ab24da1f4658c2c"),
			}},
			TLP: intel.TLPRed,
		},
		{
			ExternalID: "66666666-6666-4666-8666-666666666666", Type: intel.Domain, Value: "cdn-update.example",
			Pattern: [][]intel.Comparison{{c(intel.Domain, "cdn-update.example")}, {c(intel.IP, "192.0.2.10")}},
			TLP:     intel.TLPGreen, Revoked: true,
		},
		{
			ExternalID: "77777777-7777-4777-8777-777777777777", Type: intel.URL, Value: "http://203.0.113.101/bins/mips",
			Pattern: [][]intel.Comparison{
				{c(intel.URL, "http://203.0.113.101/bins/mips"), c(intel.IP, "203.0.113.101")},
				{c(intel.Domain, "c2.tinhte-update.example"), c(intel.IP, "203.0.113.77")},
				{c(intel.Email, "a@b.example"), c(intel.FileName, "x.js")},
				{c(intel.MD5, "0cc175b9c0f1b6a831c399e269772661")},
			},
			TLP: intel.TLPGreen,
		},
	}
	for i := range inds {
		inds[i].UpdatedAt = exportNow.Add(-time.Hour)
	}
	return inds
}

func TestWriteMISPEvent(t *testing.T) {
	inds := exportIndicators()
	o := intel.ExportOptions{Identity: "VNCERT/CC", Now: func() time.Time { return exportNow }}
	var buf bytes.Buffer
	if err := intel.WriteMISPEvent(&buf, "Indicators shared with the banking ISAC", inds, nil, o); err != nil {
		t.Fatal(err)
	}
	if *updateMISP {
		if err := os.WriteFile(filepath.Join("testdata", "misp", "written.golden.json"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(filepath.Join("testdata", "misp", "written.golden.json")); err != nil {
		t.Fatal(err)
	} else if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("written.golden.json differs (-want +got):\n%s", diff)
	}

	t.Run("event", func(t *testing.T) {
		var doc struct {
			Event struct {
				UUID, Info, Date, Timestamp, Distribution string
				ThreatLevelID                             string `json:"threat_level_id"`
				Analysis                                  string
				Orgc                                      struct{ Name, UUID string }
				Tag                                       []struct{ Name string }
				Attribute                                 []struct{ Type, Category, Value, UUID string }
				Object                                    []struct {
					Name      string
					Attribute []struct{ Type, Value, ObjectRelation string } `json:"Attribute"`
				}
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		ev := doc.Event
		if len(ev.UUID) != 36 || ev.Info != "Indicators shared with the banking ISAC" || ev.Date != "2026-03-20" ||
			ev.Orgc.Name != "VNCERT/CC" || ev.ThreatLevelID == "" || ev.Analysis == "" || ev.Distribution != "0" {
			t.Errorf("event = %+v", ev)
		}
		if len(ev.Tag) != 1 || ev.Tag[0].Name != "tlp:red" {
			t.Errorf("event tags = %v; want the most restrictive, tlp:red", ev.Tag)
		}
		types := map[string]string{}
		for _, a := range ev.Attribute {
			types[a.Value] = a.Type + "/" + a.Category
		}
		for v, want := range map[string]string{
			"203.0.113.45":                     "ip-dst/Network activity",
			"198.51.100.0/24":                  "ip-dst/Network activity",
			"login-vietcombank-secure.example": "domain/Network activity",
			"hoa-don-thang3.pdf.exe":           "filename/Payload delivery",
			"phishing@ngan-hang-so.example":    "email-src/Payload delivery",
			"setup_vcb.exe|50eb129535228a3ea5aed93a2c488b495c32219f63b7d62a0ab24da1f4658c2c": "filename|sha256/Payload delivery",
			"cdn-update.example|192.0.2.10":    "domain|ip/Network activity",
			"0cc175b9c0f1b6a831c399e269772661": "md5/Payload delivery",
		} {
			if types[v] != want {
				t.Errorf("attribute %s: %q; want %q", v, types[v], want)
			}
		}
		var names []string
		for _, o := range ev.Object {
			names = append(names, o.Name)
		}
		if want := []string{"file", "url", "domain-ip", "indicator"}; !slices.Equal(names, want) {
			t.Errorf("objects = %v; want %v", names, want)
		}
		if u := ev.Attribute[slices.IndexFunc(ev.Attribute, func(a struct{ Type, Category, Value, UUID string }) bool {
			return a.Value == "login-vietcombank-secure.example"
		})].UUID; u != "33333333-3333-4333-8333-333333333333" {
			t.Errorf("STIX ExternalID → attribute uuid %q", u)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		var again bytes.Buffer
		rev := slices.Clone(inds)
		slices.Reverse(rev)
		if err := intel.WriteMISPEvent(&again, "x", rev, nil, o); err != nil {
			t.Fatal(err)
		}
		var a, b struct{ Event struct{ UUID string } }
		_ = json.Unmarshal(buf.Bytes(), &a)
		_ = json.Unmarshal(again.Bytes(), &b)
		if a.Event.UUID != b.Event.UUID || a.Event.UUID == "" {
			t.Errorf("event uuids %q, %q; want equal", a.Event.UUID, b.Event.UUID)
		}
	})

	t.Run("round_trip", func(t *testing.T) {
		back, err := intel.ParseMISPEvent(bytes.NewReader(buf.Bytes()), importOptions())
		if err != nil {
			t.Fatal(err)
		}
		checkImportedBatch(t, back)
		if len(back.Skipped) != 0 {
			t.Errorf("skipped: %v", back.Skipped)
		}
		sorted := func(conj []intel.Comparison) []intel.Comparison {
			return slices.SortedFunc(slices.Values(conj), func(a, b intel.Comparison) int {
				return strings.Compare(string(a.Type)+a.Value, string(b.Type)+b.Value)
			})
		}
		type conjTLP struct {
			Conj []intel.Comparison
			TLP  intel.TLP
		}
		flatten := func(inds []intel.Indicator) []conjTLP {
			var out []conjTLP
			for _, ind := range inds {
				pattern := ind.Pattern
				if len(pattern) == 2 && pattern[0][0].Type == intel.Domain && len(pattern[0]) == 1 && len(pattern[1]) == 1 {
					pattern = [][]intel.Comparison{slices.Concat(pattern...)} // domain|ip: one attribute
				}
				for _, conj := range pattern {
					out = append(out, conjTLP{sorted(conj), ind.TLP})
				}
			}
			slices.SortFunc(out, func(a, b conjTLP) int {
				return strings.Compare(a.Conj[0].Value+a.Conj[len(a.Conj)-1].Value, b.Conj[0].Value+b.Conj[len(b.Conj)-1].Value)
			})
			return out
		}
		if diff := cmp.Diff(flatten(inds), flatten(back.Indicators)); diff != "" {
			t.Errorf("comparisons and TLPs (-wrote +read):\n%s", diff)
		}
		got := byExternalID(back)
		for _, want := range inds {
			id := strings.TrimPrefix(want.ExternalID, "indicator--")
			if id == "" {
				continue
			}
			ind, ok := got[id]
			if !ok {
				t.Errorf("%s not read back", id)
				continue
			}
			if len(want.Pattern) == 1 || want.Pattern[0][0].Type == intel.Domain {
				if diff := cmp.Diff(want.Pattern, ind.Pattern, cmp.Transformer("sorted", sorted)); diff != "" {
					t.Errorf("%s pattern (-wrote +read):\n%s", id, diff)
				}
			}
			if ind.TLP != want.TLP || ind.Revoked != want.Revoked || ind.Description != want.Description ||
				!ind.ValidUntil.Equal(want.ValidUntil) || (!want.ValidFrom.IsZero() && !ind.ValidFrom.Equal(want.ValidFrom)) {
				t.Errorf("%s read back as %+v", id, ind)
			}
		}
		if l := got["44444444-4444-4444-8444-444444444444"].Labels; !slices.Equal(l, []string{"apt32"}) {
			t.Errorf("labels = %q; want [apt32] (tlp:* labels are not tags)", l)
		}
	})

	t.Run("errors", func(t *testing.T) {
		if err := intel.WriteMISPEvent(io.Discard, " ", inds, nil, o); err == nil {
			t.Error("empty info: no error")
		}
		bad := []intel.Indicator{{Type: "registry", Value: "x", TLP: intel.TLPGreen}}
		if err := intel.WriteMISPEvent(io.Discard, "x", bad, nil, o); err == nil {
			t.Error("invalid type: no error")
		}
	})
}

// feedServer serves testdata/misp/feed, with overrides by path.
func feedServer(t *testing.T, override map[string]int) *httptest.Server {
	t.Helper()
	files := http.FileServer(http.Dir(filepath.Join("testdata", "misp", "feed")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, ok := override[r.URL.Path]; ok {
			http.Error(w, http.StatusText(code), code)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMISPFeed_Fetch(t *testing.T) {
	const (
		e1      = "3f6b1c2a-0d4e-4b8a-9c7f-1e2d3a4b5c6d" // timestamp 1772000000
		missing = "c0ffee00-1111-4222-8333-444455556666" // 1772500000, no file
		e2      = "8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d" // 1773000000
	)
	srv := feedServer(t, nil)
	feed := intel.MISPFeed{BaseURL: srv.URL + "/", HTTP: srv.Client()}

	fetch := func(t *testing.T, f intel.MISPFeed, since time.Time) ([]intel.Batch, error) {
		var got []intel.Batch
		err := f.Fetch(t.Context(), since, importOptions(), func(b intel.Batch) error {
			checkImportedBatch(t, b)
			got = append(got, b)
			return nil
		})
		return got, err
	}

	t.Run("all", func(t *testing.T) {
		got, err := fetch(t, feed, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d batches; want 3", len(got))
		}
		// Oldest first: e1, the missing event (a skip), e2.
		if n := len(got[0].Indicators); n != 3 || got[0].Indicators[0].Source != "CIRCL OSINT / CIRCL" || got[0].Indicators[0].TLP != intel.TLPClear {
			t.Errorf("first batch: %d indicators, %+v", n, got[0].Indicators)
		}
		if s := got[1].Skipped; len(got[1].Indicators) != 0 || len(s) != 1 || s[0].Ref != missing || !strings.Contains(s[0].Reason, "404") {
			t.Errorf("second batch: %+v", got[1])
		}
		if n := len(got[2].Indicators); n != 2 || got[2].Indicators[0].Name != "OSINT - Banking trojan distributed via fake invoices" {
			t.Errorf("third batch: %+v", got[2])
		}
	})
	t.Run("since", func(t *testing.T) {
		got, err := fetch(t, feed, time.Unix(1772500000, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Indicators) != 2 || got[0].Indicators[0].ExternalID != "b2000000-0000-4000-8000-000000000001" {
			t.Errorf("got %+v; want only %s", got, e2)
		}
	})
	t.Run("manifest_error", func(t *testing.T) {
		srv := feedServer(t, map[string]int{"/manifest.json": http.StatusServiceUnavailable})
		_, err := fetch(t, intel.MISPFeed{BaseURL: srv.URL, HTTP: srv.Client()}, time.Time{})
		u, _ := url.Parse(srv.URL)
		if err == nil || !strings.Contains(err.Error(), u.Host) || !strings.Contains(err.Error(), "503") {
			t.Errorf("error = %v; want the host and 503", err)
		}
	})
	t.Run("event_error", func(t *testing.T) {
		srv := feedServer(t, map[string]int{"/" + e2 + ".json": http.StatusInternalServerError})
		got, err := fetch(t, intel.MISPFeed{BaseURL: srv.URL, HTTP: srv.Client()}, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), e2) {
			t.Errorf("error = %v", err)
		}
		if len(got) != 2 {
			t.Errorf("%d batches before the error; want 2", len(got))
		}
	})
	t.Run("fn_error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := feed.Fetch(t.Context(), time.Time{}, importOptions(), func(intel.Batch) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("error = %v after %d calls; want stop after 1", err, n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := feed.Fetch(ctx, time.Time{}, importOptions(), func(intel.Batch) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v; want context.Canceled", err)
		}
	})
	t.Run("bad_base_url", func(t *testing.T) {
		if err := (intel.MISPFeed{BaseURL: "file:///etc"}).Fetch(t.Context(), time.Time{}, importOptions(), nil); err == nil {
			t.Error("no error")
		}
	})
}

func FuzzParseMISPEvent(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds
	// interesting, which takes long on the larger fixtures.
	for _, name := range []string{"search.json",
		"feed/3f6b1c2a-0d4e-4b8a-9c7f-1e2d3a4b5c6d.json", "feed/8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "misp", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{}`, `[]`, `{"Event": {}}`, `{"response": []}`,
		`{"Event": {"Attribute": [{"type": "domain|ip", "value": "a.example|10.0.0.1", "to_ids": true}]}}`,
		`{"Event": {"Object": [{"Attribute": [{"type": "ip-dst", "value": "10.0.0.1", "to_ids": 1}, {"type": "ip-dst", "value": "10.0.0.2", "to_ids": "1"}, {"type": "domain", "value": "x.example", "to_ids": true}]}]}}`,
		`{"Event": {"Attribute": [{"type": "email-src", "value": "\"a b\"@example.com", "to_ids": true, "first_seen": "99999999999999999999"}]}}`,
		`{"Event": {"info": "i", "Orgc": {"name": "o"}, "Tag": [{"name": "tlp:red"}, {"name": "misp:confidence-level=\"unconfident\""}],
		  "Attribute": [{"uuid": "u1", "type": "filename|sha1", "value": "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709", "to_ids": true, "deleted": true,
		    "first_seen": "2026-01-01T00:00:00+07:00", "last_seen": "1767225600000000", "Tag": [{"name": "tlp:white"}, {"name": "admiralty-scale:information-credibility=\"4\""}]},
		    {"type": "uri", "value": "http://x.example/a", "to_ids": true}, {"type": "ip-dst|port", "value": "::ffff:10.0.0.1|80", "to_ids": true}],
		  "Object": [{"uuid": "o1", "deleted": false, "first_seen": "2026-01-01", "Attribute": [
		    {"type": "url", "value": "https://x.example/", "to_ids": true, "Tag": [{"name": "tlp:amber"}]},
		    {"type": "sha512", "value": "` + strings.Repeat("0f", 64) + `", "to_ids": true, "deleted": true},
		    {"type": "email-dst", "value": "A@X.example", "to_ids": true, "comment": "c"}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	o := importOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := intel.ParseMISPEvent(bytes.NewReader(data), o)
		if err != nil {
			return
		}
		checkImportedBatch(t, b)
		if len(b.Indicators) == 0 {
			return
		}
		// What was read can be written, and read again.
		var buf bytes.Buffer
		if err := intel.WriteMISPEvent(&buf, "fuzz", b.Indicators, nil, intel.ExportOptions{Now: func() time.Time { return exportNow }}); err != nil {
			t.Fatalf("WriteMISPEvent: %v", err)
		}
		back, err := intel.ParseMISPEvent(&buf, o)
		if err != nil {
			t.Fatalf("ParseMISPEvent of written event: %v", err)
		}
		checkImportedBatch(t, back)
	})
}

// Sightings go with the first attribute of their indicator, dated by
// their last time; those of other indicators are left out.
func TestWriteMISPEventSightings(t *testing.T) {
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	inds := []intel.Indicator{
		{ID: 7, Type: intel.IP, Value: "203.0.113.7", Pattern: [][]intel.Comparison{{{Type: intel.IP, Value: "203.0.113.7"}}}, TLP: intel.TLPGreen},
		{ID: 8, Type: intel.Domain, Value: "evil.example", Pattern: [][]intel.Comparison{{{Type: intel.Domain, Value: "evil.example"}}}, TLP: intel.TLPGreen},
	}
	sgs := []intel.Sighting{
		{ID: 1, IndicatorID: 7, UnitID: 1, Host: "web01", Field: "source.ip", Value: "203.0.113.7", FirstSeen: seen.Add(-time.Hour), LastSeen: seen, Count: 3},
		{ID: 2, IndicatorID: 99, UnitID: 1, FirstSeen: seen, LastSeen: seen, Count: 1},
	}
	var buf bytes.Buffer
	if err := intel.WriteMISPEvent(&buf, "Shared", inds, sgs, intel.ExportOptions{Now: func() time.Time { return seen }}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Event struct {
			Attribute []struct {
				Value    string
				Sighting []struct {
					Type         string `json:"type"`
					DateSighting string `json:"date_sighting"`
					Source       string `json:"source"`
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range doc.Event.Attribute {
		got[a.Value] = len(a.Sighting)
		for _, s := range a.Sighting {
			if s.Type != "0" || s.DateSighting != strconv.FormatInt(seen.Unix(), 10) || !strings.Contains(s.Source, "3 events") {
				t.Errorf("sighting %+v", s)
			}
		}
	}
	if got["203.0.113.7"] != 1 || got["evil.example"] != 0 || len(got) != 2 {
		t.Errorf("sightings per attribute %v", got)
	}
	if strings.Contains(buf.String(), "web01") || strings.Contains(buf.String(), "source.ip") {
		t.Errorf("the export leaks the host or field:\n%s", buf.String())
	}
	// The importer reads the event back, sightings and all.
	if b, err := intel.ParseMISPEvent(bytes.NewReader(buf.Bytes()), intel.ImportOptions{UnitID: 1, Source: "x"}); err != nil || len(b.Indicators) != 2 {
		t.Errorf("re-import: %d indicators, %v", len(b.Indicators), err)
	}
}
