package sigma_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"khien.vn/khien/internal/detect/sigma"
)

// sexpr prints a condition tree with its structure explicit:
// and(a, not(b)), or(…), 1of(sel*), allof(them).
func sexpr(e sigma.Expr) string {
	switch x := e.(type) {
	case *sigma.And:
		return "and(" + sexprs(x.X) + ")"
	case *sigma.Or:
		return "or(" + sexprs(x.X) + ")"
	case *sigma.Not:
		return "not(" + sexpr(x.X) + ")"
	case *sigma.Ref:
		return x.Name
	case *sigma.Of:
		if x.All {
			return "allof(" + x.Pattern + ")"
		}
		return "1of(" + x.Pattern + ")"
	}
	return fmt.Sprintf("?%T", e)
}

func sexprs(xs []sigma.Expr) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = sexpr(x)
	}
	return strings.Join(s, ", ")
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		cond   string
		tree   string
		format string // FormatCondition output; "" if same as cond
	}{
		{"selection", "selection", ""},
		{"a and b", "and(a, b)", ""},
		{"a or b", "or(a, b)", ""},
		{"not a", "not(a)", ""},
		{"a or b and c", "or(a, and(b, c))", ""},
		{"a and b or c", "or(and(a, b), c)", ""},
		{"not a and b", "and(not(a), b)", ""},
		{"not a or not b", "or(not(a), not(b))", ""},
		{"a and not b or c", "or(and(a, not(b)), c)", ""},
		{"(a or b) and c", "and(or(a, b), c)", ""},
		{"a and (b or c)", "and(a, or(b, c))", ""},
		{"not (a and b)", "not(and(a, b))", ""},
		{"not not a", "not(not(a))", ""},
		{"((a))", "a", "a"},
		{"a and b and c", "and(a, b, c)", ""},
		{"a and (b and c)", "and(a, b, c)", "a and b and c"},
		{"(a and b) and (c and d)", "and(a, b, c, d)", "a and b and c and d"},
		{"a or (b or (c or d))", "or(a, b, c, d)", "a or b or c or d"},
		{"(a or b) or (c and d)", "or(a, b, and(c, d))", "a or b or c and d"},
		{"1 of selection*", "1of(selection*)", ""},
		{"all of selection_*", "allof(selection_*)", ""},
		{"1 of them", "1of(them)", ""},
		{"all of them", "allof(them)", ""},
		{"any of sel*", "1of(sel*)", "1 of sel*"},
		{"ALL OF THEM", "allof(them)", "all of them"},
		{"sel AND NOT filter", "and(sel, not(filter))", "sel and not filter"},
		{"selection and not 1 of filter_*", "and(selection, not(1of(filter_*)))", ""},
		{"1 of selection_* and not 1 of filter_main_* and not 1 of filter_optional_*",
			"and(1of(selection_*), not(1of(filter_main_*)), not(1of(filter_optional_*)))", ""},
		{"selection_parent and (1 of selection_generic_* or selection_specific_cmd and not filter_main or all of selection_specific_* and not 1 of filter_main_cli_*)",
			"and(selection_parent, or(1of(selection_generic_*), and(selection_specific_cmd, not(filter_main)), and(allof(selection_specific_*), not(1of(filter_main_cli_*)))))", ""},
		{"  sel\n    and\tfilter  ", "and(sel, filter)", "sel and filter"},
		{"sel-1 and sel.2", "and(sel-1, sel.2)", ""},
		{"1 of *", "1of(*)", ""},
		{"all of *_x*", "allof(*_x*)", ""},
		{"all", "all", ""},
		{"all and them", "and(all, them)", ""},
		{"1", "1", ""},
		{"sélection", "sélection", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			e, err := sigma.ParseCondition(tt.cond)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			if got := sexpr(e); got != tt.tree {
				t.Errorf("tree = %s, want %s", got, tt.tree)
			}
			want := tt.format
			if want == "" {
				want = tt.cond
			}
			if got := sigma.FormatCondition(e); got != want {
				t.Errorf("FormatCondition = %q, want %q", got, want)
			}
		})
	}
}

func TestParseCondition_errors(t *testing.T) {
	tests := []struct {
		cond        string
		want        string
		unsupported bool
	}{
		{"", "empty condition at column 1", false},
		{"   ", "empty condition at column 4", false},
		{"a and", "unexpected end of condition at column 6", false},
		{"and a", `unexpected "and" at column 1`, false},
		{"a b", `unexpected "b" at column 3`, false},
		{"(a", `missing ")" to close "(" at column 1`, false},
		{"a)", `unexpected ")" at column 2`, false},
		{"()", `unexpected ")" at column 2`, false},
		{"(a b)", `unexpected "b", expected ")" at column 4`, false},
		{"not", "unexpected end of condition at column 4", false},
		{"2 of sel*", `"2" before "of": expected "1", "any" or "all" at column 1`, false},
		{"1 of", `missing pattern after "of" at column 5`, false},
		{"1 of (a)", `expected a search pattern or "them" after "of" at column 6`, false},
		{"1 of and", `expected a search pattern or "them" after "of" at column 6`, false},
		{"sel*", `wildcard in "sel*" outside "1 of"/"all of" at column 1`, false},
		{"a & b", `unexpected character '&' at column 3`, false},
		{"é and $", `unexpected character '$' at column 7`, false},
		{"a or of", `unexpected "of" at column 6`, false},
		{"selection | count() > 5", `Sigma 1 aggregation ("| …") is not supported; use a correlation rule at column 11`, true},
		{"selection | near other", "Sigma 1 aggregation", true},
		{"a\xff", "invalid UTF-8 at column 2", false},
		{strings.Repeat("(", 65) + "a" + strings.Repeat(")", 65), "nested more than 64 levels deep at column 65", false},
		{strings.Repeat("not ", 65) + "a", "nested more than 64 levels deep at column 257", false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			_, err := sigma.ParseCondition(tt.cond)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var se *sigma.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *sigma.Error", err)
			}
			if !strings.Contains(se.Reason, tt.want) {
				t.Errorf("error %q does not contain %q", se.Reason, tt.want)
			}
			if se.Unsupported != tt.unsupported {
				t.Errorf("Unsupported = %v, want %v", se.Unsupported, tt.unsupported)
			}
		})
	}
	// 64 levels are fine.
	if _, err := sigma.ParseCondition(strings.Repeat("(", 64) + "a" + strings.Repeat(")", 64)); err != nil {
		t.Errorf("64 levels: %v", err)
	}
}

func TestDetection_Match(t *testing.T) {
	d := &sigma.Detection{}
	for _, n := range []string{"selection_img", "selection_cli", "filter_main_x", "filter_optional_y", "_hidden", "_filter_z", "keywords"} {
		d.Searches = append(d.Searches, &sigma.Search{Name: n})
	}
	tests := []struct {
		pattern string
		want    string
	}{
		{"them", "selection_img selection_cli filter_main_x filter_optional_y keywords"},
		{"selection_*", "selection_img selection_cli"},
		{"*", "selection_img selection_cli filter_main_x filter_optional_y keywords"},
		{"filter_*_x", "filter_main_x"},
		{"*_*_*", "filter_main_x filter_optional_y"},
		{"*filter*", "filter_main_x filter_optional_y"},
		{"_*", "_hidden _filter_z"},
		{"_hidden", "_hidden"},
		{"keywords", "keywords"},
		{"keyword", ""},
		{"selection", ""},
		{"**s**", "selection_img selection_cli keywords"},
	}
	for _, tt := range tests {
		var names []string
		for _, s := range d.Match(tt.pattern) {
			names = append(names, s.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}
