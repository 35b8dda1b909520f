package intel_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/intel"
)

// updateSTIX rewrites testdata/stix/*.golden. Its name is its own so that
// other golden tests of the package may define theirs.
var updateSTIX = flag.Bool("update-stix", false, "rewrite testdata/stix golden files")

// patternCorpus returns the patterns of testdata/stix/patterns.txt.
func patternCorpus(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "stix", "patterns.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func formatPatternResult(pattern [][]intel.Comparison, err error) string {
	var b strings.Builder
	if err != nil {
		kind := "other"
		var se *intel.SyntaxError
		var ue *intel.UnsupportedError
		switch {
		case errors.As(err, &se):
			kind = "syntax"
		case errors.As(err, &ue):
			kind = "unsupported"
		}
		fmt.Fprintf(&b, "\t%s error: %v\n", kind, err)
		return b.String()
	}
	for _, conj := range pattern {
		parts := make([]string, len(conj))
		for i, c := range conj {
			parts[i] = string(c.Type) + " " + c.Value
		}
		fmt.Fprintf(&b, "\t%s\n", strings.Join(parts, " AND "))
	}
	return b.String()
}

func TestParsePattern_Golden(t *testing.T) {
	var b strings.Builder
	for _, p := range patternCorpus(t) {
		got, err := intel.ParsePattern(p)
		fmt.Fprintf(&b, "%s\n%s\n", p, formatPatternResult(got, err))
	}
	golden := filepath.Join("testdata", "stix", "patterns.golden")
	if *updateSTIX {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("ParsePattern over patterns.txt differs from patterns.golden (-want +got):\n%s", diff)
	}
}

func TestParsePattern(t *testing.T) {
	type cmps = [][]intel.Comparison
	ip := func(v string) intel.Comparison { return intel.Comparison{Type: intel.IP, Value: v} }
	dom := func(v string) intel.Comparison { return intel.Comparison{Type: intel.Domain, Value: v} }
	for _, tc := range []struct {
		name, in string
		want     cmps
	}{
		{"double_equals", "[ipv4-addr:value == '192.0.2.1']", cmps{{ip("192.0.2.1")}}},
		{"lower_case_keywords", "[ipv4-addr:value = '192.0.2.1' or domain-name:value = 'a.example'] and [domain-name:value = 'b.example']",
			cmps{{ip("192.0.2.1"), dom("b.example")}, {dom("a.example"), dom("b.example")}}},
		{"escapes", `[url:value = 'http://x.example/a\\b\'c']`, cmps{{{Type: intel.URL, Value: `http://x.example/a\b'c`}}}},
		{"unknown_escape_kept", `[url:value = 'http://x.example/\d']`, cmps{{{Type: intel.URL, Value: `http://x.example/\d`}}}},
		{"and_precedence", "[domain-name:value = 'a.example' OR domain-name:value = 'b.example' AND ipv4-addr:value = '192.0.2.1']",
			cmps{{dom("a.example")}, {dom("b.example"), ip("192.0.2.1")}}},
		{"observation_precedence", "[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example'] AND [ipv4-addr:value = '192.0.2.1']",
			cmps{{dom("a.example")}, {dom("b.example"), ip("192.0.2.1")}}},
		{"followedby_loosest", "[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.1']",
			cmps{{dom("a.example"), ip("192.0.2.1")}, {dom("b.example"), ip("192.0.2.1")}}},
		{"duplicates_merged", "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '::ffff:192.0.2.1']",
			cmps{{ip("192.0.2.1")}}},
		{"in_with_unsupported_member", "[ipv4-addr:value IN ('192.0.2.1', 7)]", cmps{{ip("192.0.2.1")}}},
		{"hash_key_case", "[file:hashes.'sha-1' = '3395856CE81F2B7382DEE72602F798B642F14140']",
			cmps{{{Type: intel.SHA1, Value: "3395856ce81f2b7382dee72602f798b642f14140"}}}},
		{"issubset_single_address", "[network-traffic:dst_ref.value ISSUBSET '192.0.2.1/32']", cmps{{ip("192.0.2.1")}}},
		{"unicode_space", "[ipv4-addr:value\u00a0=\u3000'192.0.2.1']", cmps{{ip("192.0.2.1")}}},
		{"qualifiers_chained", "([ipv4-addr:value = '192.0.2.1'] REPEATS 2 TIMES) WITHIN 1.5 SECONDS START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
			cmps{{ip("192.0.2.1")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := intel.ParsePattern(tc.in)
			if err != nil {
				t.Fatalf("ParsePattern(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePattern(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParsePattern_Errors(t *testing.T) {
	many := func(n int, sep string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("'10.0.%d.%d'", i/256, i%256)
		}
		return strings.Join(parts, sep)
	}
	for _, tc := range []struct {
		name, in string
		pos      int // for syntax errors; -1: unsupported
		what     string
	}{
		{"empty", "", 0, "end of the pattern"},
		{"no_bracket", "ipv4-addr:value = '1.2.3.4'", 0, "'[' or '('"},
		{"unclosed", "[ipv4-addr:value = '1.2.3.4'", 28, "']'"},
		{"bare_value", "[ipv4-addr:value = 1.2.3.4]", 22, "']'"},
		{"unterminated_string", "[url:value = 'http://x]", 13, "unterminated string"},
		{"bad_timestamp", "[file:created = t'2024-13-01T00:00:00Z']", 16, "not a timestamp"},
		{"bad_hex", "[file:x = h'abc']", 10, "not hex"},
		{"bad_base64", "[file:x = b'@@@']", 10, "not base64"},
		{"bang", "[file:x ! 'a']", 8, "'!'"},
		{"trailing_and", "[domain-name:value = 'a.example'] AND", 37, "'[' or '('"},
		{"no_operator", "[domain-name:value 'a.example']", 19, "comparison operator"},
		{"qualifier_unit", "[domain-name:value = 'a.example'] WITHIN 5 FORTNIGHTS", 43, "SECONDS"},
		{"bad_char", "[domain-name:value = 'a.example'] ; DROP", 34, "unexpected character"},
		{"unterminated_comment", "[domain-name:value = 'a.example'] /* x", 34, "unterminated comment"},
		{"too_deep", strings.Repeat("(", 200) + "[domain-name:value = 'a.example']" + strings.Repeat(")", 200), 100, "nested"},
		{"bool_in_order", "[file:size > true]", 13, "a literal"},
		{"unsupported_only", "[network-traffic:dst_port = 4444]", -1, "network-traffic:dst_port"},
		{"not_equal", "[ipv4-addr:value != '1.2.3.4']", -1, "!= on ipv4-addr:value"},
		{"negated", "[domain-name:value NOT IN ('a.example')]", -1, "NOT IN on domain-name:value"},
		{"invalid_value", "[ipv4-addr:value = '300.1.2.3']", -1, "not an IP address"},
		{"empty_set", "[ipv4-addr:value IN ()]", -1, "empty set"},
		{"only_type", "[network-traffic:dst_ref.type = 'ipv4-addr']", -1, "only constrains object types"},
		{"too_many_in", "[ipv4-addr:value IN (" + many(1001, ",") + ")]", -1, "more than 1000 conjunctions"},
		{"too_many_product", "[ipv4-addr:value IN (" + many(40, ",") + ")] AND [ipv4-addr:value IN (" + many(30, ",") + ")]", -1, "more than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := intel.ParsePattern(tc.in)
			if err == nil {
				t.Fatalf("ParsePattern(%q) = %v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.what) {
				t.Errorf("ParsePattern(%q): %v, want it to mention %q", tc.in, err, tc.what)
			}
			var se *intel.SyntaxError
			var ue *intel.UnsupportedError
			switch {
			case tc.pos >= 0 && !errors.As(err, &se):
				t.Errorf("ParsePattern(%q): %T, want *SyntaxError", tc.in, err)
			case tc.pos >= 0 && se.Pos != tc.pos:
				t.Errorf("ParsePattern(%q): error at %d, want %d", tc.in, se.Pos, tc.pos)
			case tc.pos < 0 && !errors.As(err, &ue):
				t.Errorf("ParsePattern(%q): %T, want *UnsupportedError", tc.in, err)
			}
		})
	}
}

func TestFormatPattern(t *testing.T) {
	for _, p := range patternCorpus(t) {
		want, err := intel.ParsePattern(p)
		if err != nil {
			continue
		}
		text, err := intel.FormatPattern(want)
		if err != nil {
			t.Errorf("FormatPattern(%v): %v", want, err)
			continue
		}
		got, err := intel.ParsePattern(text)
		if err != nil {
			t.Errorf("ParsePattern(FormatPattern(%q) = %q): %v", p, text, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q → %q reads back differently (-want +got):\n%s", p, text, diff)
		}
	}
	for _, bad := range [][][]intel.Comparison{
		nil,
		{{}},
		{{{Type: "hostname", Value: "x"}}},
		{{{Type: intel.Domain, Value: "Not.Normalised.example"}}},
	} {
		if got, err := intel.FormatPattern(bad); err == nil {
			t.Errorf("FormatPattern(%v) = %q, want an error", bad, got)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, p := range patternCorpus(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := intel.ParsePattern(s)
		if err != nil {
			var se *intel.SyntaxError
			var ue *intel.UnsupportedError
			switch {
			case errors.As(err, &se):
				if se.Pos < 0 || se.Pos > len(s) {
					t.Fatalf("ParsePattern(%q): error offset %d outside the pattern", s, se.Pos)
				}
			case errors.As(err, &ue):
				if len(ue.What) == 0 {
					t.Fatalf("ParsePattern(%q): UnsupportedError names nothing", s)
				}
			default:
				t.Fatalf("ParsePattern(%q): error of type %T", s, err)
			}
			if got != nil {
				t.Fatalf("ParsePattern(%q) = %v with error %v", s, got, err)
			}
			return
		}
		if len(got) == 0 || len(got) > intel.MaxConjunctions {
			t.Fatalf("ParsePattern(%q): %d conjunctions", s, len(got))
		}
		for _, conj := range got {
			if len(conj) == 0 {
				t.Fatalf("ParsePattern(%q): empty conjunction in %v", s, got)
			}
			for _, c := range conj {
				if !c.Type.Valid() {
					t.Fatalf("ParsePattern(%q): invalid type %q", s, c.Type)
				}
				if n, err := intel.Normalize(c.Type, c.Value); err != nil || n != c.Value {
					t.Fatalf("ParsePattern(%q): %s %q is not normalised (%q, %v)", s, c.Type, c.Value, n, err)
				}
			}
		}
		// What it returns, it can write and read back.
		text, err := intel.FormatPattern(got)
		if err != nil {
			t.Fatalf("FormatPattern(%v): %v", got, err)
		}
		back, err := intel.ParsePattern(text)
		if err != nil {
			t.Fatalf("ParsePattern(%q) (from %q): %v", text, s, err)
		}
		if diff := cmp.Diff(got, back); diff != "" {
			t.Fatalf("%q → %q reads back differently (-want +got):\n%s", s, text, diff)
		}
	})
}

func BenchmarkParsePattern(b *testing.B) {
	corpus := patternCorpus(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range corpus {
			_, _ = intel.ParsePattern(p)
		}
	}
}
