package sheet

import (
	"testing"

	"khien.vn/khien/internal/regulation"
)

// TestAliasesUnique checks that every header and alias folds to a form that
// names one column only, and every value id or name to one value of its
// column: the parser keeps the first of two equal forms, which would make
// the second silently unreachable.
func TestAliasesUnique(t *testing.T) {
	reg, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Pack("decree85-2016")
	cols := Columns(p)
	owner := map[string]string{}
	for _, c := range cols {
		for _, a := range append([]string{c.Key, c.Header.VI, c.Header.EN}, aliases[c.Key]...) {
			f := fold(a)
			if f == "" {
				t.Errorf("column %s: header %q folds to nothing", c.Key, a)
			}
			if o, ok := owner[f]; ok && o != c.Key {
				t.Errorf("%q names both %s and %s", a, o, c.Key)
			}
			owner[f] = c.Key
		}
		values := map[string]string{}
		for _, v := range c.Values {
			for _, n := range []string{v.ID, v.Name.VI, v.Name.EN} {
				f := fold(n)
				if o, ok := values[f]; ok && o != v.ID {
					t.Errorf("column %s: %q names both %s and %s", c.Key, n, o, v.ID)
				}
				values[f] = v.ID
			}
		}
	}
	for key := range aliases {
		if _, ok := owner[fold(key)]; !ok {
			t.Errorf("aliases for unknown column %s", key)
		}
	}
}

func TestTextRefCoversTextColumns(t *testing.T) {
	reg, err := regulation.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Pack("decree85-2016")
	seen := map[*string]string{}
	var r Row
	for _, c := range Columns(p) {
		if c.Kind != KindText {
			continue
		}
		ref := textRef(&r, c.Key)
		if ref == nil {
			t.Errorf("text column %s has no field", c.Key)
			continue
		}
		if o, ok := seen[ref]; ok {
			t.Errorf("columns %s and %s read into the same field", o, c.Key)
		}
		seen[ref] = c.Key
	}
}
