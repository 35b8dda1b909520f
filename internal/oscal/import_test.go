package oscal_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/oscal"
	"khien.vn/khien/internal/regulation"
)

// levels returns the levels at which r applies, as its lowest and highest.
func levels(r regulation.Requirement) (lo, hi int) {
	for l := 1; l <= 5; l++ {
		if r.AppliesTo(l) {
			if lo == 0 {
				lo = l
			}
			hi = l
		}
	}
	return lo, hi
}

// TestParseCatalog_roundTrip exports the built-in pack, reads it back and
// checks the framework against the pack.
func TestParseCatalog_roundTrip(t *testing.T) {
	p := pack85(t)
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			doc, err := oscal.ExportCatalog(p, lang, exportTime)
			if err != nil {
				t.Fatal(err)
			}
			c, err := oscal.ParseCatalog(bytes.NewReader(doc))
			if err != nil {
				t.Fatalf("ParseCatalog: %v", err)
			}
			f, err := c.Framework()
			if err != nil {
				t.Fatalf("Framework: %v", err)
			}
			if f.ID != p.ID() || f.Version != p.Version() || f.Title != p.Title().In(lang) || f.Lang != lang {
				t.Errorf("framework %q %q %q %q, want %q %q %q %q", f.ID, f.Version, f.Title, f.Lang,
					p.ID(), p.Version(), p.Title().In(lang), lang)
			}

			var wantGroups []oscal.FrameworkGroup
			for _, g := range p.RequirementGroups() {
				wantGroups = append(wantGroups, oscal.FrameworkGroup{ID: g.ID, Parent: g.Parent, Title: g.Name.EN, TitleVI: g.Name.VI})
			}
			// The catalog lists a top-level group's sub-groups right after
			// it, as the pack does.
			if diff := cmp.Diff(wantGroups, f.Groups); diff != "" {
				t.Errorf("groups (-pack +framework):\n%s", diff)
			}

			var wantControls []oscal.FrameworkControl
			for _, r := range p.Requirements() {
				lo, hi := levels(r)
				wantControls = append(wantControls, oscal.FrameworkControl{
					ID:        r.ID,
					Group:     r.Group,
					Title:     r.Title.EN,
					TitleVI:   r.Title.VI,
					Statement: r.Title.In(lang),
					Guidance:  r.Guidance.In(lang),
					MinLevel:  lo,
					MaxLevel:  hi,
					TCVN:      r.TCVN,
				})
			}
			// Controls come out group by group; sort both sides the same
			// way by comparing as a map.
			if diff := cmp.Diff(byID(wantControls), byID(f.Controls)); diff != "" {
				t.Errorf("controls (-pack +framework):\n%s", diff)
			}
			if len(f.Controls) != len(wantControls) {
				t.Errorf("%d controls, want %d", len(f.Controls), len(wantControls))
			}
		})
	}
}

func byID(cs []oscal.FrameworkControl) map[string]oscal.FrameworkControl {
	m := make(map[string]oscal.FrameworkControl, len(cs))
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}

func TestParseCatalog_foreign(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "nist-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := oscal.ParseCatalog(f)
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	got, err := c.Framework()
	if err != nil {
		t.Fatalf("Framework: %v", err)
	}
	want := oscal.Framework{
		ID:      "2f7d1b0e-8c5a-4e3b-9f1d-6a2c4b8e0d13",
		Title:   "Access control and audit excerpt (NIST SP 800-53 style, hand-written test data)",
		Version: "5.1.1+test",
		Groups: []oscal.FrameworkGroup{
			{ID: "ac", Title: "Access Control"},
			{ID: "au", Title: "Audit and Accountability"},
			{ID: "_group-2.1", Parent: "au", Title: "Event logging (a group without an id)"},
		},
		Controls: []oscal.FrameworkControl{
			{
				ID: "ac-1", Group: "ac", Title: "Policy and Procedures",
				Statement: "a. Develop, document, and disseminate to [Assignment: organization-defined personnel or roles]:\n" +
					"  1. [Selection (one or more): organization-level; mission/business process-level; system-level] access control policy; and\n" +
					"  2. Procedures to facilitate the implementation of the policy;\n" +
					"b. Review and update the policy annually.",
				Guidance: "Policy and procedures address the controls of the family.",
			},
			{
				ID: "ac-2", Group: "ac", Title: "Account Management",
				Statement: "Manage system accounts.",
				Guidance:  "Account types include individual, shared and service accounts.",
			},
			{
				ID: "ac-2.1", Group: "ac", Parent: "ac-2", Title: "Automated System Account Management",
				Statement: "Support the management of system accounts using [Assignment: automated mechanisms].",
			},
			{
				ID: "ac-2.2", Group: "ac", Parent: "ac-2", Title: "Automated Temporary and Emergency Account Management",
				Statement: "Remove temporary accounts after [ac-02.02_odp].",
			},
			{
				ID: "au-2", Group: "_group-2.1", Title: "Event Logging",
				Statement: "Identify the types of events that the system is capable of logging.",
			},
			{ID: "pm-1", Title: "Information Security Program Plan"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("framework (-want +got):\n%s", diff)
	}
}

// TestParseCatalog_khienExcerpt reads a hand-trimmed Khiên catalog (one
// group, three controls, one of them limited to levels 1–2) as a tool
// other than Khiên would have left it.
func TestParseCatalog_khienExcerpt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "khien-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := oscal.ParseCatalog(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	f, err := c.Framework()
	if err != nil {
		t.Fatalf("Framework: %v", err)
	}
	mustValidate(t, data, "catalog-document")
	if f.ID != decree85 || f.Lang != "vi" || len(f.Groups) != 2 || len(f.Controls) != 3 {
		t.Fatalf("framework %s %s: %d groups, %d controls; want %s vi, 2, 3", f.ID, f.Lang, len(f.Groups), len(f.Controls), decree85)
	}
	got := f.Controls[2]
	want := oscal.FrameworkControl{
		ID:        "design.measure.antimalware",
		Group:     "management.policy",
		Title:     "Anti-malware for servers and workstations",
		TitleVI:   "Phòng chống mã độc cho máy chủ và máy trạm",
		Statement: "Phòng chống mã độc cho máy chủ và máy trạm",
		Guidance:  got.Guidance,
		MinLevel:  1,
		MaxLevel:  2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("control (-want +got):\n%s", diff)
	}
	if got.Guidance == "" {
		t.Error("guidance lost")
	}
}

// catalogDoc builds a catalog document around the given JSON members of
// the catalog object (after uuid and metadata).
func catalogDoc(members string) string {
	doc := `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11",` +
		`"metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}`
	if members != "" {
		doc += "," + members
	}
	return doc + "}}"
}

// nested returns depth groups nested in one another, the innermost holding
// a control.
func nested(depth int) string {
	s := `{"id":"c","title":"C"}`
	s = `"controls":[` + s + `]`
	for i := depth; i >= 1; i-- {
		s = fmt.Sprintf(`{"id":"g%d","title":"G",%s}`, i, s)
		if i > 1 {
			s = `"groups":[` + s + `]`
		}
	}
	return `"groups":[` + s + `]`
}

func manyControls(n int) string {
	var b strings.Builder
	b.WriteString(`"controls":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"c%d","title":"C"}`, i)
	}
	b.WriteByte(']')
	return b.String()
}

func TestParseCatalog_errors(t *testing.T) {
	const meta = `"metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}`
	tests := []struct {
		name string
		doc  string
		want string // substring of the error
	}{
		{"empty", ``, "invalid JSON"},
		{"bad_json", `{"catalog":`, "invalid JSON"},
		{"trailing_data", catalogDoc("") + ` x`, "invalid JSON"},
		{"not_an_object", `[]`, "want a JSON object"},
		{"missing_catalog", `{}`, `catalog: missing "catalog"`},
		{"profile_document", `{"profile":{"uuid":"x"}}`, "it is an OSCAL profile"},
		{"null_catalog", `{"catalog":null}`, `missing "catalog"`},
		{"missing_uuid", `{"catalog":{` + meta + `}}`, "catalog.uuid: missing"},
		{"bad_uuid", `{"catalog":{"uuid":"not-a-uuid",` + meta + `}}`, `catalog.uuid: "not-a-uuid" is not a UUID`},
		{"missing_metadata", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11"}}`, "catalog.metadata: missing"},
		{"missing_title", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`, "catalog.metadata.title: missing"},
		{"missing_version", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","oscal-version":"1.1.2"}}}`, "catalog.metadata.version: missing"},
		{"bad_last_modified", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"T","last-modified":"yesterday","version":"1","oscal-version":"1.1.2"}}}`, "catalog.metadata.last-modified"},
		{"oscal_version_2", `{"catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"2.0.0"}}}`, "not an OSCAL 1.x version"},
		{"title_not_string", catalogDoc(`"controls":[{"id":"a","title":5}]`), "catalog.controls.title: want a string, got number"},
		{"control_without_id", catalogDoc(`"controls":[{"title":"A"}]`), "catalog.controls[0].id: missing"},
		{"control_bad_id", catalogDoc(`"controls":[{"id":"1abc","title":"A"}]`), `catalog.controls[0].id: "1abc" is not a valid id`},
		{"control_id_with_space", catalogDoc(`"controls":[{"id":"a b","title":"A"}]`), `"a b" is not a valid id`},
		{"control_without_title", catalogDoc(`"controls":[{"id":"a"}]`), "catalog.controls[0].title: missing"},
		{"group_bad_id", catalogDoc(`"groups":[{"id":"-g","title":"G"}]`), `catalog.groups[0].id: "-g" is not a valid id`},
		{"group_without_title", catalogDoc(`"groups":[{"id":"g"}]`), "catalog.groups[0].title: missing"},
		{"duplicate_control", catalogDoc(`"groups":[{"id":"g","title":"G","controls":[{"id":"a","title":"A"},{"id":"a","title":"B"}]}]`),
			`catalog.groups[0].controls[1].id: duplicate id "a" (first at catalog.groups[0].controls[0].id)`},
		{"duplicate_enhancement", catalogDoc(`"controls":[{"id":"a","title":"A","controls":[{"id":"a","title":"B"}]}]`), `duplicate id "a"`},
		{"group_and_control_same_id", catalogDoc(`"groups":[{"id":"a","title":"G","controls":[{"id":"a","title":"A"}]}]`), `duplicate id "a"`},
		{"part_without_name", catalogDoc(`"controls":[{"id":"a","title":"A","parts":[{"prose":"x"}]}]`), "catalog.controls[0].parts[0].name: missing"},
		{"prop_without_value", catalogDoc(`"controls":[{"id":"a","title":"A","props":[{"name":"label"}]}]`), "catalog.controls[0].props[0].value: missing"},
		{"prop_bad_name", catalogDoc(`"controls":[{"id":"a","title":"A","props":[{"name":"a b","value":"v"}]}]`), `catalog.controls[0].props[0].name: "a b"`},
		{"link_without_href", catalogDoc(`"controls":[{"id":"a","title":"A","links":[{"rel":"reference"}]}]`), "catalog.controls[0].links[0].href: missing"},
		{"resource_without_uuid", catalogDoc(`"back-matter":{"resources":[{"title":"R"}]}`), "catalog.back-matter.resources[0].uuid: missing"},
		{"too_deep", catalogDoc(nested(8)), "nest deeper than 8"},
		{"too_many_controls", catalogDoc(manyControls(oscal.MaxControls + 1)), "more than 10000 controls"},
		{"too_many_problems", catalogDoc(`"controls":[` + strings.Repeat(`{"id":"1"},`, 30) + `{"id":"a","title":"A"}]`), "too many problems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := oscal.ParseCatalog(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("ParseCatalog = %+v, want an error containing %q", c, tt.want)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			var pe *oscal.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("err = %v, want a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCatalog_limitsAccepted(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		// Seven nested groups and their control: depth 8.
		{"depth_8", catalogDoc(nested(7))},
		{"max_controls", catalogDoc(manyControls(oscal.MaxControls))},
		// OSCAL allows extensions; unknown fields are ignored.
		{"unknown_fields", `{"$schema":"x","catalog":{"uuid":"7b6f6a1e-36e5-4d7c-9d3b-0c2f5f1b1a11","x-vendor":{"a":[1]},` +
			`"metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.0.4","locations":[]},` +
			`"controls":[{"id":"a","title":"A","x":true,"parts":[{"name":"statement","x":1}]}]}}`},
		// Older tools write UUIDs of other versions.
		{"uuid_version_1", `{"catalog":{"uuid":"7b6f6a1e-36e5-11d7-9d3b-0c2f5f1b1a11",` +
			`"metadata":{"title":"T","last-modified":"2024-01-02T03:04:05Z","version":"1","oscal-version":"1.1.2"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := oscal.ParseCatalog(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatalf("ParseCatalog: %v", err)
			}
			if _, err := c.Framework(); err != nil {
				t.Fatalf("Framework: %v", err)
			}
		})
	}
}

func TestParseCatalog_tooLarge(t *testing.T) {
	// A valid document padded with white space past the limit.
	doc := catalogDoc("") + strings.Repeat(" ", oscal.MaxCatalogBytes)
	_, err := oscal.ParseCatalog(strings.NewReader(doc))
	if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a too-large ErrInvalid error", err)
	}
	// At the limit it is accepted.
	doc = doc[:oscal.MaxCatalogBytes]
	if _, err := oscal.ParseCatalog(strings.NewReader(doc)); err != nil {
		t.Fatalf("document of exactly MaxCatalogBytes: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseCatalog_readError(t *testing.T) {
	_, err := oscal.ParseCatalog(failingReader{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v, want the read error, not ErrInvalid", err)
	}
}

func TestCatalog_Framework_errors(t *testing.T) {
	control := func(props string) string {
		return catalogDoc(`"controls":[{"id":"a","title":"A","props":[` + props + `]}]`)
	}
	const ns = `"ns":"https://khien.vn/ns/oscal"`
	tests := []struct {
		name, doc, want string
	}{
		{"min_level_not_a_number", control(`{"name":"min-level",` + ns + `,"value":"three"}`), `catalog.controls[0].props[0]: min-level "three" is not a level 1–5`},
		{"min_level_6", control(`{"name":"min-level",` + ns + `,"value":"6"}`), "is not a level"},
		{"min_level_twice", control(`{"name":"min-level",` + ns + `,"value":"1"},{"name":"min-level",` + ns + `,"value":"2"}`), "min-level given twice"},
		{"max_without_min", control(`{"name":"max-level",` + ns + `,"value":"3"}`), "max-level without min-level"},
		{"max_below_min", control(`{"name":"min-level",` + ns + `,"value":"4"},{"name":"max-level",` + ns + `,"value":"3"}`), "max-level 3 is below min-level 4"},
		{"tcvn_bad_class", control(`{"name":"tcvn",` + ns + `,"class":"lvl-3","value":"7.1"}`), `tcvn class "lvl-3"`},
		{"tcvn_twice", control(`{"name":"tcvn",` + ns + `,"class":"level-3","value":"7.1"},{"name":"tcvn",` + ns + `,"class":"level-3","value":"7.2"}`), "given twice"},
		{"tcvn_outside_levels", control(`{"name":"min-level",` + ns + `,"value":"3"},{"name":"tcvn",` + ns + `,"class":"level-2","value":"6.1"}`), "outside levels 3–5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := oscal.ParseCatalog(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatalf("ParseCatalog: %v", err)
			}
			_, err = c.Framework()
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	// A prop with the same names outside the Khiên namespace is ignored.
	c, err := oscal.ParseCatalog(strings.NewReader(control(`{"name":"min-level","value":"nine"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if f, err := c.Framework(); err != nil || f.Controls[0].MinLevel != 0 {
		t.Errorf("Framework = %+v, %v; want MinLevel 0 and no error", f, err)
	}
	var nilCatalog *oscal.Catalog
	if _, err := nilCatalog.Framework(); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("nil catalog: err = %v, want ErrInvalid", err)
	}
}
