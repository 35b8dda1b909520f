package oscal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/oscal"
	"khien.vn/khien/internal/regulation"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const decree85 = "decree85-2016"

// exportTime is the time of every export in the tests.
var exportTime = time.Date(2025, 7, 1, 2, 30, 15, 500_000_000, time.UTC)

// pack85 returns the embedded Decree 85 pack.
func pack85(t testing.TB) *regulation.Pack {
	t.Helper()
	r, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatalf("LoadEmbedded: %v", err)
	}
	p, ok := r.Pack(decree85)
	if !ok {
		t.Fatalf("embedded pack %s missing", decree85)
	}
	return p
}

// golden compares got with testdata/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the export (-want +got; run go test -update after review):\n%s",
			path, cmp.Diff(string(want), string(got)))
	}
}

// mustValidate fails the test for every schema problem of doc.
func mustValidate(t *testing.T, doc []byte, kind string) {
	t.Helper()
	for _, p := range validate(doc, kind) {
		t.Error(p)
	}
}

// uuids returns every value of a "uuid" key in doc.
func uuids(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, item := range x {
				if s, ok := item.(string); ok && k == "uuid" {
					out = append(out, s)
				}
				walk(item)
			}
		case []any:
			for _, item := range x {
				walk(item)
			}
		}
	}
	walk(v)
	return out
}

// checkUUIDs checks that every uuid in doc is a version 5 UUID and that
// none is used twice.
func checkUUIDs(t *testing.T, doc []byte) {
	t.Helper()
	seen := map[string]bool{}
	ids := uuids(t, doc)
	if len(ids) == 0 {
		t.Fatal("no uuid in document")
	}
	for _, u := range ids {
		if !uuidRe.MatchString(u) || u[14] != '5' {
			t.Errorf("uuid %q is not a version 5 UUID", u)
		}
		if seen[u] {
			t.Errorf("uuid %q used twice", u)
		}
		seen[u] = true
	}
}

// hrefsResolve checks that every "#uuid" href in doc names a back-matter
// resource.
func hrefsResolve(t *testing.T, doc []byte, resources []oscal.Resource) {
	t.Helper()
	have := map[string]bool{}
	for _, r := range resources {
		have[r.UUID] = true
	}
	for _, m := range regexpHref.FindAllSubmatch(doc, -1) {
		if !have[string(m[1])] {
			t.Errorf("href #%s names no back-matter resource", m[1])
		}
	}
}

var regexpHref = regexp.MustCompile(`"href": "#([^"]*)"`)

func TestExportCatalog_golden(t *testing.T) {
	p := pack85(t)
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			got, err := oscal.ExportCatalog(p, lang, exportTime)
			if err != nil {
				t.Fatalf("ExportCatalog: %v", err)
			}
			golden(t, "catalog-"+decree85+"-"+lang+".golden.json", got)
			mustValidate(t, got, "catalog-document")
			checkUUIDs(t, got)

			again, err := oscal.ExportCatalog(p, lang, exportTime)
			if err != nil || !bytes.Equal(got, again) {
				t.Errorf("second export differs (err %v): output is not deterministic", err)
			}

			var doc struct{ Catalog oscal.Catalog }
			if err := json.Unmarshal(got, &doc); err != nil {
				t.Fatal(err)
			}
			c := doc.Catalog
			if c.Metadata.OSCALVersion != "1.1.2" || c.Metadata.LastModified != "2025-07-01T02:30:15Z" || c.Metadata.Version != p.Version() {
				t.Errorf("metadata = %+v", c.Metadata)
			}
			hrefsResolve(t, got, c.BackMatter.Resources)
			if len(c.BackMatter.Resources) != len(p.Sources()) {
				t.Errorf("%d back-matter resources, want one per pack source (%d)", len(c.BackMatter.Resources), len(p.Sources()))
			}
		})
	}
}

func TestExportCatalog_structure(t *testing.T) {
	p := pack85(t)
	got, err := oscal.ExportCatalog(p, "en", exportTime)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Catalog oscal.Catalog }
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	// Top-level groups hold the sub-groups, in pack order.
	var want, have []string
	for _, g := range p.RequirementGroups() {
		want = append(want, g.Parent+"/"+g.ID)
	}
	for _, g := range doc.Catalog.Groups {
		have = append(have, "/"+g.ID)
		for _, sub := range g.Groups {
			have = append(have, g.ID+"/"+sub.ID)
		}
	}
	// Pack order lists a top-level group before its sub-groups, so the
	// walk above gives the same order.
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("groups (-pack +catalog):\n%s", diff)
	}

	// Every control has a statement part named after it, the Khiên props
	// and a source link.
	controls := map[string]oscal.Control{}
	var walk func([]oscal.Group)
	walk = func(gs []oscal.Group) {
		for _, g := range gs {
			for _, c := range g.Controls {
				controls[c.ID] = c
			}
			walk(g.Groups)
		}
	}
	walk(doc.Catalog.Groups)
	reqs := p.Requirements()
	if len(controls) != len(reqs) {
		t.Fatalf("%d controls, want %d", len(controls), len(reqs))
	}
	for _, r := range reqs {
		c := controls[r.ID]
		if c.Title != r.Title.EN {
			t.Errorf("%s: title %q, want %q", r.ID, c.Title, r.Title.EN)
		}
		if len(c.Parts) == 0 || c.Parts[0].Name != "statement" || c.Parts[0].ID != r.ID+"_smt" {
			t.Errorf("%s: first part %+v, want the statement %s_smt", r.ID, c.Parts, r.ID)
		}
		var vi, confirmation string
		for _, pr := range c.Props {
			if pr.NS != oscal.Namespace {
				t.Errorf("%s: prop %s outside the Khiên namespace", r.ID, pr.Name)
			}
			switch pr.Name {
			case "title":
				vi = pr.Value
			case "confirmation":
				confirmation = pr.Value
			}
		}
		if vi != r.Title.VI || confirmation != string(r.Confirmation) {
			t.Errorf("%s: title vi %q confirmation %q, want %q %q", r.ID, vi, confirmation, r.Title.VI, r.Confirmation)
		}
		if len(c.Links) != 1 || c.Links[0].Rel != "reference" || c.Links[0].Text != r.Source.Citation.EN {
			t.Errorf("%s: links %+v, want the source citation %q", r.ID, c.Links, r.Source.Citation.EN)
		}
	}
}

func TestExportCatalog_errors(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		name string
		pack *regulation.Pack
		lang string
		now  time.Time
	}{
		{"nil_pack", nil, "vi", exportTime},
		{"bad_lang", p, "fr", exportTime},
		{"empty_lang", p, "", exportTime},
		{"zero_time", p, "vi", time.Time{}},
		{"far_future", p, "vi", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oscal.ExportCatalog(tt.pack, tt.lang, tt.now)
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestExportProfile(t *testing.T) {
	p := pack85(t)
	const href = "catalog-decree85-2016-vi.json"
	seen := map[string]int{}
	for level := 1; level <= 5; level++ {
		got, err := oscal.ExportProfile(p, level, href, exportTime)
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		mustValidate(t, got, "profile-document")
		checkUUIDs(t, got)
		var doc struct {
			Profile struct {
				UUID    string
				Imports []struct {
					Href            string
					IncludeControls []struct {
						WithIDs []string `json:"with-ids"`
					} `json:"include-controls"`
				}
				Merge struct {
					AsIs bool `json:"as-is"`
				}
			}
		}
		if err := json.Unmarshal(got, &doc); err != nil {
			t.Fatal(err)
		}
		pr := doc.Profile
		if len(pr.Imports) != 1 || pr.Imports[0].Href != href || len(pr.Imports[0].IncludeControls) != 1 {
			t.Fatalf("level %d: imports %+v", level, pr.Imports)
		}
		var want []string
		for _, r := range p.RequirementsFor(level) {
			want = append(want, r.ID)
		}
		ids := pr.Imports[0].IncludeControls[0].WithIDs
		if len(ids) != len(p.RequirementsFor(level)) {
			t.Errorf("level %d: %d controls, want len(RequirementsFor) = %d", level, len(ids), len(want))
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("level %d: with-ids (-want +got):\n%s", level, diff)
		}
		if !pr.Merge.AsIs {
			t.Errorf("level %d: merge as-is not set", level)
		}
		if prev, dup := seen[pr.UUID]; dup {
			t.Errorf("level %d: same uuid as level %d", level, prev)
		}
		seen[pr.UUID] = level
	}
}

func TestExportProfile_errors(t *testing.T) {
	p := pack85(t)
	tests := []struct {
		name  string
		pack  *regulation.Pack
		level int
		href  string
		now   time.Time
	}{
		{"nil_pack", nil, 3, "c.json", exportTime},
		{"level_0", p, 0, "c.json", exportTime},
		{"level_6", p, 6, "c.json", exportTime},
		{"empty_href", p, 3, "", exportTime},
		{"href_with_space", p, 3, "my catalog.json", exportTime},
		{"bad_href", p, 3, "%zz", exportTime},
		{"zero_time", p, 3, "c.json", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oscal.ExportProfile(tt.pack, tt.level, tt.href, tt.now)
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

const (
	sumA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sumB = "60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752"
)

// sampleAssessment covers every status, evidence with and without an
// href, a file attached to two items, and fresh and stale probe results.
func sampleAssessment() oscal.AssessmentInput {
	at := time.Date(2025, 6, 30, 8, 0, 0, 0, time.UTC)
	ict := time.FixedZone("ICT", 7*3600)
	return oscal.AssessmentInput{
		SystemID:      42,
		SystemName:    "Cổng dịch vụ công",
		Level:         3,
		LevelApproved: true,
		PackID:        decree85,
		PackVersion:   "1.0.0",
		Lang:          "en",
		Start:         time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		End:           time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC),
		ProfileHref:   "profile-decree85-2016-level-3.json",
		Items: []oscal.ItemResult{
			{
				RequirementID: "mgmt.policy.document", Title: "IS policy document", Status: oscal.StatusMet,
				Justification: "Policy approved by decision 12/QĐ.", Owner: "Phòng CNTT", UpdatedAt: at,
				Evidence: []oscal.EvidenceRef{
					{Name: "chinh-sach-attt.pdf", SHA256: sumA, MediaType: "application/pdf", Size: 123456, Href: "evidence/chinh-sach-attt.pdf"},
					{Name: "quyet-dinh.pdf", SHA256: sumB, MediaType: "application/pdf", Size: 2048},
				},
			},
			{
				RequirementID: "mgmt.policy.publish", Status: oscal.StatusPartial, Notes: "Published internally only.",
				Owner: "Phòng CNTT", Due: time.Date(2025, 9, 1, 0, 0, 0, 0, ict),
				Evidence: []oscal.EvidenceRef{
					{Name: "chinh-sach-attt.pdf", SHA256: sumA, MediaType: "application/pdf", Size: 123456, Href: "evidence/chinh-sach-attt.pdf"},
				},
			},
			{
				RequirementID: "mgmt.policy.review", Title: "Review and amendment of the IS policy", Status: oscal.StatusNotMet,
				Probe: &oscal.ProbeResult{ProbeID: "policy_review_age", Status: "not_met", Proof: "Last review 2023-01-10, older than 12 months.", At: at},
			},
			{
				RequirementID: "mgmt.org.is_unit", Title: "Specialised IS unit", Status: oscal.StatusNotApplicable,
				Justification: "Handled by the ministry's unit.",
			},
			{
				RequirementID: "mgmt.org.authority_coop", Status: oscal.StatusOpen,
				Probe: &oscal.ProbeResult{ProbeID: "contact_list", Status: "met", At: at.Add(-400 * 24 * time.Hour), Stale: true},
			},
		},
	}
}

// arDoc is the part of an assessment-results document the tests read.
type arDoc struct {
	AssessmentResults struct {
		UUID     string
		ImportAP struct{ Href string } `json:"import-ap"`
		Results  []struct {
			Props            []oscal.Property
			ReviewedControls struct {
				ControlSelections []struct {
					IncludeControls []struct {
						ControlID string `json:"control-id"`
					} `json:"include-controls"`
				} `json:"control-selections"`
			} `json:"reviewed-controls"`
			Observations []struct {
				UUID             string
				Methods          []string
				Props            []oscal.Property
				Collected        string
				RelevantEvidence []struct{ Href string } `json:"relevant-evidence"`
			}
			Findings []struct {
				Title  string
				Props  []oscal.Property
				Target struct {
					Type     string
					TargetID string `json:"target-id"`
					Status   struct {
						State, Reason string
					}
					ImplementationStatus *struct{ State string } `json:"implementation-status"`
				}
				RelatedObservations []struct {
					ObservationUUID string `json:"observation-uuid"`
				} `json:"related-observations"`
			}
		}
		BackMatter oscal.BackMatter `json:"back-matter"`
	} `json:"assessment-results"`
}

func TestExportAssessmentResults(t *testing.T) {
	in := sampleAssessment()
	got, err := oscal.ExportAssessmentResults(in, exportTime)
	if err != nil {
		t.Fatalf("ExportAssessmentResults: %v", err)
	}
	golden(t, "assessment-results.golden.json", got)
	mustValidate(t, got, "assessment-results-document")
	checkUUIDs(t, got)
	again, _ := oscal.ExportAssessmentResults(in, exportTime)
	if !bytes.Equal(got, again) {
		t.Error("second export differs: output is not deterministic")
	}

	var doc arDoc
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	ar := doc.AssessmentResults
	hrefsResolve(t, got, ar.BackMatter.Resources)
	if !strings.HasPrefix(ar.ImportAP.Href, "#") {
		t.Errorf("import-ap href %q, want the placeholder resource", ar.ImportAP.Href)
	}
	if len(ar.Results) != 1 {
		t.Fatalf("%d results, want 1", len(ar.Results))
	}
	res := ar.Results[0]

	var reviewed []string
	for _, c := range res.ReviewedControls.ControlSelections[0].IncludeControls {
		reviewed = append(reviewed, c.ControlID)
	}
	var items []string
	for _, it := range in.Items {
		items = append(items, it.RequirementID)
	}
	if diff := cmp.Diff(items, reviewed); diff != "" {
		t.Errorf("reviewed controls (-items +got):\n%s", diff)
	}

	type status struct{ State, Reason, Implementation, Khien string }
	wantStatus := map[string]status{
		"mgmt.policy.document":    {"satisfied", "pass", "implemented", "met"},
		"mgmt.policy.publish":     {"not-satisfied", "other", "partial", "partial"},
		"mgmt.policy.review":      {"not-satisfied", "fail", "", "not_met"},
		"mgmt.org.is_unit":        {"satisfied", "other", "not-applicable", "not_applicable"},
		"mgmt.org.authority_coop": {"not-satisfied", "other", "", "open"},
	}
	if len(res.Findings) != len(in.Items) {
		t.Fatalf("%d findings, want one per item (%d)", len(res.Findings), len(in.Items))
	}
	obs := map[string]int{} // observation uuid → index
	for i, o := range res.Observations {
		obs[o.UUID] = i
	}
	for i, f := range res.Findings {
		id := in.Items[i].RequirementID
		if f.Target.Type != "statement-id" || f.Target.TargetID != id+"_smt" {
			t.Errorf("%s: target %s %s", id, f.Target.Type, f.Target.TargetID)
		}
		st := status{State: f.Target.Status.State, Reason: f.Target.Status.Reason}
		if f.Target.ImplementationStatus != nil {
			st.Implementation = f.Target.ImplementationStatus.State
		}
		for _, p := range f.Props {
			if p.Name == "status" && p.NS == oscal.Namespace {
				st.Khien = p.Value
			}
		}
		if st != wantStatus[id] {
			t.Errorf("%s: status %+v, want %+v", id, st, wantStatus[id])
		}
		for _, ro := range f.RelatedObservations {
			if _, ok := obs[ro.ObservationUUID]; !ok {
				t.Errorf("%s: related observation %s not in the result", id, ro.ObservationUUID)
			}
		}
	}
	// Evidence: EXAMINE with one relevant-evidence per file; probes: TEST.
	var methods []string
	for _, o := range res.Observations {
		methods = append(methods, strings.Join(o.Methods, ","))
	}
	if diff := cmp.Diff([]string{"EXAMINE", "EXAMINE", "TEST", "TEST"}, methods); diff != "" {
		t.Errorf("observation methods (-want +got):\n%s", diff)
	}
	if n := len(res.Observations[0].RelevantEvidence); n != 2 {
		t.Errorf("first observation has %d relevant-evidence, want 2", n)
	}
	// The shared file is listed once; the file with an href carries its
	// hash in an rlink.
	var files, hashed int
	for _, r := range ar.BackMatter.Resources {
		for _, rl := range r.RLinks {
			for _, h := range rl.Hashes {
				if h.Algorithm == "SHA-256" && h.Value == sumA {
					hashed++
				}
			}
		}
		for _, p := range r.Props {
			if p.Name == "sha256" {
				files++
			}
		}
	}
	if files != 2 || hashed != 1 {
		t.Errorf("%d evidence resources (want 2), %d with a SHA-256 rlink hash (want 1)", files, hashed)
	}
}

// TestExportAssessmentResults_targetsCatalog checks that every finding
// targets a statement part of the exported catalog.
func TestExportAssessmentResults_targetsCatalog(t *testing.T) {
	cat, err := oscal.ExportCatalog(pack85(t), "vi", exportTime)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := oscal.ExportAssessmentResults(sampleAssessment(), exportTime)
	if err != nil {
		t.Fatal(err)
	}
	var doc arDoc
	if err := json.Unmarshal(ar, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.AssessmentResults.Results[0].Findings {
		if !bytes.Contains(cat, []byte(`"id": "`+f.Target.TargetID+`"`)) {
			t.Errorf("finding target %q is not a part id of the catalog", f.Target.TargetID)
		}
	}
}

func TestExportAssessmentResults_planHref(t *testing.T) {
	in := sampleAssessment()
	in.PlanHref = "https://example.org/ap.json"
	got, err := oscal.ExportAssessmentResults(in, exportTime)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, got, "assessment-results-document")
	var doc arDoc
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AssessmentResults.ImportAP.Href != in.PlanHref {
		t.Errorf("import-ap href %q, want %q", doc.AssessmentResults.ImportAP.Href, in.PlanHref)
	}
}

// A link (no stored file) is evidence too: it has an href and no digest.
func TestExportAssessmentResults_link(t *testing.T) {
	in := sampleAssessment()
	in.Items[0].Evidence = append(in.Items[0].Evidence, oscal.EvidenceRef{Name: "Văn bản trên cổng nội bộ",
		Href: "https://vanban.example.vn/qd/15"})
	got, err := oscal.ExportAssessmentResults(in, exportTime)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, got, "assessment-results-document")
	if !strings.Contains(string(got), "https://vanban.example.vn/qd/15") {
		t.Error("the link is not in the document")
	}
	in.Items[0].Evidence = []oscal.EvidenceRef{{Name: "nothing"}}
	if _, err := oscal.ExportAssessmentResults(in, exportTime); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("evidence with neither digest nor href: %v", err)
	}
}

func TestExportAssessmentResults_errors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*oscal.AssessmentInput)
	}{
		{"level_0", func(in *oscal.AssessmentInput) { in.Level = 0 }},
		{"no_pack", func(in *oscal.AssessmentInput) { in.PackID = " " }},
		{"no_items", func(in *oscal.AssessmentInput) { in.Items = nil }},
		{"zero_start", func(in *oscal.AssessmentInput) { in.Start = time.Time{} }},
		{"end_before_start", func(in *oscal.AssessmentInput) { in.End = in.Start.Add(-time.Hour) }},
		{"bad_status", func(in *oscal.AssessmentInput) { in.Items[0].Status = "done" }},
		{"bad_requirement_id", func(in *oscal.AssessmentInput) { in.Items[0].RequirementID = "1.bad id" }},
		{"duplicate_item", func(in *oscal.AssessmentInput) { in.Items[1].RequirementID = in.Items[0].RequirementID }},
		{"bad_sha256", func(in *oscal.AssessmentInput) { in.Items[0].Evidence[0].SHA256 = "abc" }},
		{"negative_size", func(in *oscal.AssessmentInput) { in.Items[0].Evidence[1].Size = -1 }},
		{"bad_evidence_href", func(in *oscal.AssessmentInput) { in.Items[0].Evidence[0].Href = "a b" }},
		{"probe_without_id", func(in *oscal.AssessmentInput) { in.Items[2].Probe.ProbeID = "" }},
		{"bad_plan_href", func(in *oscal.AssessmentInput) { in.PlanHref = "a\nb" }},
		{"bad_profile_href", func(in *oscal.AssessmentInput) { in.ProfileHref = "a b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sampleAssessment()
			tt.modify(&in)
			_, err := oscal.ExportAssessmentResults(in, exportTime)
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
