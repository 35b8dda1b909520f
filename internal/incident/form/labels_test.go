package form_test

import (
	"os"
	"strings"
	"testing"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
)

// TestLabelsCoverForms keeps labels.yaml and the forms of the rules in
// step: a form field without a label, or a label no form uses, fails.
func TestLabelsCoverForms(t *testing.T) {
	if err := form.DefaultLabels().Cover(incident.DefaultRules()); err != nil {
		t.Fatal(err)
	}
}

func TestLabels_everyFieldBilingual(t *testing.T) {
	l := form.DefaultLabels()
	for key, f := range l.Fields {
		if strings.TrimSpace(f.Text.VI) == "" || strings.TrimSpace(f.Text.EN) == "" {
			t.Errorf("%s: label %+v", key, f.Text)
		}
	}
	for _, c := range incident.Categories {
		if l.Categories[c].VI == "" {
			t.Errorf("category %s has no name", c)
		}
	}
	for _, s := range incident.Statuses {
		if l.Statuses[s].VI == "" {
			t.Errorf("status %s has no name", s)
		}
	}
}

func TestCover_reports(t *testing.T) {
	l, err := form.ParseLabels(validLabels("x.used", "x.unused"))
	if err != nil {
		t.Fatal(err)
	}
	r := &incident.Rules{Forms: []incident.Form{{ID: "f", Fields: []string{"x.used", "x.missing"}}}}
	err = l.Cover(r)
	if err == nil {
		t.Fatal("Cover: no error")
	}
	for _, want := range []string{`"x.missing" has no label`, `"x.unused" is used by no form`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Cover error %q lacks %q", err, want)
		}
	}
}

// validLabels is a minimal valid labels file with the given field keys.
func validLabels(keys ...string) []byte {
	var b strings.Builder
	b.WriteString("format: 1\nfields:\n")
	for _, k := range keys {
		b.WriteString("  " + k + ":\n    label: {vi: \"Nhãn\", en: \"Label\"}\n")
	}
	b.WriteString("categories:\n")
	for _, c := range incident.Categories {
		b.WriteString("  " + string(c) + ": {vi: \"loại\", en: \"kind\"}\n")
	}
	b.WriteString("statuses:\n")
	for _, s := range incident.Statuses {
		b.WriteString("  " + string(s) + ": {vi: \"trạng thái\", en: \"status\"}\n")
	}
	return []byte(b.String())
}

func TestParseLabels_strict(t *testing.T) {
	if _, err := form.ParseLabels(validLabels("a")); err != nil {
		t.Fatalf("valid labels: %v", err)
	}
	embedded, err := os.ReadFile("labels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := form.ParseLabels(embedded); err != nil {
		t.Fatalf("labels.yaml: %v", err)
	}
	valid := string(validLabels("a"))
	tests := []struct {
		name, yaml string
	}{
		{"unknown top-level key", valid + "extra: 1\n"},
		{"unknown field key", strings.Replace(valid, "    label:", "    colour: red\n    label:", 1)},
		{"repeated field", strings.Replace(valid, "fields:\n", "fields:\n  a:\n    label: {vi: \"X\", en: \"X\"}\n", 1)},
		{"label without en", strings.Replace(valid, `en: "Label"`, `en: ""`, 1)},
		{"hint without vi", strings.Replace(valid, "    label:", "    hint: {en: \"what\"}\n    label:", 1)},
		{"wrong format", strings.Replace(valid, "format: 1", "format: 2", 1)},
		{"no fields", strings.Replace(valid, "  a:\n    label: {vi: \"Nhãn\", en: \"Label\"}\n", "", 1)},
		{"unknown category", valid[:strings.Index(valid, "statuses:")] + "  worm: {vi: \"sâu\", en: \"worm\"}\n" + valid[strings.Index(valid, "statuses:"):]},
		{"missing status", strings.Replace(valid, "  closed: {vi: \"trạng thái\", en: \"status\"}\n", "", 1)},
		{"not yaml", "fields: [\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.yaml == valid {
				t.Fatal("test case did not change the input")
			}
			if _, err := form.ParseLabels([]byte(tt.yaml)); err == nil {
				t.Error("ParseLabels accepted it")
			}
		})
	}
}
