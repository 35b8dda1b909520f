package regulation_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"khien.vn/khien/internal/regulation"
)

// FuzzParse feeds arbitrary bytes to the pack loader: it must never panic,
// must report problems only as *ValidationError with a message, and a pack
// it accepts must be usable by the engine.
func FuzzParse(f *testing.F) {
	for _, name := range []string{
		filepath.Join("packs", "decree85-2016.yaml"),
		filepath.Join("testdata", "bad", "bad-pack.yaml"),
		filepath.Join("testdata", "bad", "broken-syntax.yaml"),
		filepath.Join("testdata", "override", "extra-pack.yaml"),
	} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("format: 1\nid: decree85-2016\n"))
	f.Add([]byte("- a\n- b: [1, 2\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("criteria:\n  - when: {data_subjects: {below: 0}}\n"))
	f.Add([]byte("obligations:\n  - {id: x, levels: [1], every_months: 6, annual: {period_start: \"02-29\", due: \"13-40\"}, evidence: [r]}\n"))
	f.Add([]byte("requirements:\n  - {id: r, min_level: 3, max_level: 2, notes: {4: {vi: a, en: a}}}\n"))

	const name = "decree85-2016.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := regulation.Parse(name, data)
		if err != nil {
			var ve *regulation.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error %v (%T) is not a non-empty *ValidationError", err, err)
			}
			for _, pb := range ve.Problems {
				if pb.File != name || pb.Message == "" || pb.Line < 0 || pb.Column < 0 {
					t.Fatalf("malformed problem %+v", pb)
				}
			}
			return
		}
		profiles := []regulation.Profile{
			{},
			{SystemType: "internal", InfoTypes: []string{"public"}},
			{SystemType: "citizen_business", InfoTypes: []string{"personal"}, DataSubjects: 10000, Unanswered: []string{"conditional_business_line"}},
		}
		if ts := p.SystemTypes(); len(ts) > 0 {
			pr := regulation.Profile{SystemType: ts[len(ts)-1].ID}
			for _, it := range p.InfoTypes() {
				pr.InfoTypes = append(pr.InfoTypes, it.ID)
				if len(it.Grades) > 0 {
					pr.StateSecretGrade = it.Grades[0].ID
				}
			}
			profiles = append(profiles, pr)
		}
		var results []regulation.Result
		for _, pr := range profiles {
			r := p.Determine(pr)
			if r.Level < 0 || r.Level > 5 || (r.Level == 0 && !r.NeedsReview) {
				t.Fatalf("Determine(%+v) = level %d, review %v", pr, r.Level, r.NeedsReview)
			}
			_ = p.DossierOutlineFor(r)
			results = append(results, r)
		}
		c := p.DetermineComposite(profiles[0], results)
		for _, r := range results {
			if c.Level < r.Level {
				t.Fatalf("composite level %d below component level %d", c.Level, r.Level)
			}
		}
		_ = p.LevelRelevantChanged(profiles[1], profiles[2])
		for _, o := range p.Obligations() {
			if (o.EveryMonths == 0) == (o.Annual == nil) || len(o.Levels) == 0 {
				t.Fatalf("accepted obligation %+v has no single recurrence or no levels", o)
			}
		}
		for l := range 7 {
			for _, r := range p.RequirementsFor(l) {
				if !r.AppliesTo(l) || r.MaxLevel < r.MinLevel {
					t.Fatalf("RequirementsFor(%d) holds %s (levels %d–%d)", l, r.ID, r.MinLevel, r.MaxLevel)
				}
			}
			if a, ok := p.Authority(l); ok {
				_ = a.CheckIndependence(map[string]string{"appraise": "x", "operator": "x"})
			}
		}
	})
}
