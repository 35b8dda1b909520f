package form_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/incident/form"
)

func TestLookup(t *testing.T) {
	r := incident.DefaultRules()
	tests := []struct {
		regime, number string
		want           string // form id; "" for none
	}{
		{"tt20_2017", "Mẫu 03", "tt20.form03"},
		{"law116_2025", "Mẫu 03", "tt20.form03"},
		{"law116_2025", "Mẫu 04", "tt20.form04"},
		{"decree13_2023", "Mẫu 03 (Nghị định 13)", "pd13.form03"},
		{"pdpl91_2025", "Mẫu 08 (Nghị định 356)", "pd91.form08"},
		{"tt20_2017", " Mẫu 05 ", "tt20.form05"},
		{"law116_2025", norm.NFD.String("Mẫu 04"), "tt20.form04"},
		{"tt20_2017", "Mẫu 99", ""},
		{"tt20_2017", "", ""},
		{"unknown", "Mẫu 01", "tt20.form01"},
	}
	for _, tt := range tests {
		f, ok := form.Lookup(r, tt.regime, tt.number)
		if ok != (tt.want != "") || f.ID != tt.want {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q", tt.regime, tt.number, f.ID, ok, tt.want)
		}
	}
	if _, ok := form.Lookup(nil, "tt20_2017", "Mẫu 03"); ok {
		t.Error("Lookup on nil rules found a form")
	}
}

// TestLookup_prefersRegime: two forms with one number, the clock's
// regime's wins.
func TestLookup_prefersRegime(t *testing.T) {
	r := &incident.Rules{Forms: []incident.Form{
		{ID: "a", Regime: "old", Number: "Mẫu 03"},
		{ID: "b", Regime: "new", Number: "Mẫu 03"},
	}}
	if f, _ := form.Lookup(r, "new", "Mẫu 03"); f.ID != "b" {
		t.Errorf("got %q, want b", f.ID)
	}
	if f, _ := form.Lookup(r, "other", "Mẫu 03"); f.ID != "a" {
		t.Errorf("got %q, want a (the first)", f.ID)
	}
}

// TestForClock: every clock of the rules that names a form finds it.
func TestForClock(t *testing.T) {
	r := incident.DefaultRules()
	for _, g := range r.Regimes {
		for _, c := range g.Clocks {
			f, ok := form.ForClock(r, incident.Clock{Rule: c, Regime: g})
			if ok != (c.Form != "") {
				t.Errorf("clock %s (form %q): found %v", c.ID, c.Form, ok)
			}
			if ok && f.Number != c.Form {
				t.Errorf("clock %s: form %s numbered %q, want %q", c.ID, f.ID, f.Number, c.Form)
			}
		}
	}
}
