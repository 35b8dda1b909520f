package cpe_test

import (
	"errors"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln/cpe"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     cpe.Name
		str      string // String(); "" for in
	}{
		{"nvd_criteria", "cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*",
			cpe.Name{Part: "a", Vendor: "mozilla", Product: "firefox", Version: "*", Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
		{"quoted_plus", `cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:*:*:*:*:windows:*:*`,
			cpe.Name{Part: "a", Vendor: "notepad-plus-plus", Product: `notepad\+\+`, Version: "8.5.2", Update: "*", Edition: "*",
				Language: "*", SWEdition: "*", TargetSW: "windows", TargetHW: "*", Other: "*"}, ""},
		{"na_and_upper_case", "cpe:2.3:O:Microsoft:Windows:-:*:*:*:*:*:*:*",
			cpe.Name{Part: "o", Vendor: "microsoft", Product: "windows", Version: "-", Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"},
		// NISTIR 7695 §6.2 example: quoted colon and needless quoting
		// of unreserved characters ("\." written ".").
		{"quoted_colon", `cpe:2.3:a:hp:insight_diagnostics:7\.4\.0\.1570:-:*:*:online:win2003:x64:*`,
			cpe.Name{Part: "a", Vendor: "hp", Product: "insight_diagnostics", Version: "7.4.0.1570", Update: "-", Edition: "*",
				Language: "*", SWEdition: "online", TargetSW: "win2003", TargetHW: "x64", Other: "*"},
			"cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*"},
		{"colon_in_value", `cpe:2.3:a:openssl-libs:openssl-libs:1\:3.0.7-24.el9:*:*:*:*:*:*:*`,
			cpe.Name{Part: "a", Vendor: "openssl-libs", Product: "openssl-libs", Version: `1\:3.0.7-24.el9`, Update: "*",
				Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
		{"wildcards", "cpe:2.3:a:vendor:product:8.5.*:*:*:*:*:*:*:*",
			cpe.Name{Part: "a", Vendor: "vendor", Product: "product", Version: "8.5.*", Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
		{"question_marks", "cpe:2.3:a:vendor:??oduct:1.?:*:*:*:*:*:*:*",
			cpe.Name{Part: "a", Vendor: "vendor", Product: "??oduct", Version: "1.?", Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
		{"quoted_hyphen_is_not_na", `cpe:2.3:a:vendor:product:\-:*:*:*:*:*:*:*`,
			cpe.Name{Part: "a", Vendor: "vendor", Product: "product", Version: `\-`, Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
		{"quoted_asterisk", `cpe:2.3:a:vendor:product:1.0\*:*:*:*:*:*:*:*`,
			cpe.Name{Part: "a", Vendor: "vendor", Product: "product", Version: `1.0\*`, Update: "*", Edition: "*", Language: "*",
				SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cpe.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
			str := tc.str
			if str == "" {
				str = tc.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			again, err := cpe.Parse(got.String())
			if err != nil || again != got {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", `want the prefix "cpe:2.3:"`},
		{"uri_binding", "cpe:/a:mozilla:firefox:115.0", "CPE 2.2 URI"},
		{"wrong_version", "cpe:2.2:a:mozilla:firefox:*:*:*:*:*:*:*:*", `want the prefix "cpe:2.3:"`},
		{"too_few", "cpe:2.3:a:mozilla:firefox:115.0", "4 attributes, want 11"},
		{"too_many", "cpe:2.3:a:b:c:*:*:*:*:*:*:*:*:*", "12 attributes, want 11"},
		{"bad_part", "cpe:2.3:x:mozilla:firefox:*:*:*:*:*:*:*:*", `part: "x", want a, o, h or *`},
		{"empty_value", "cpe:2.3:a::firefox:*:*:*:*:*:*:*:*", "vendor: empty value"},
		{"unquoted_special", "cpe:2.3:a:notepad-plus-plus:notepad++:*:*:*:*:*:*:*:*", `product: character '+' must be quoted`},
		{"space", "cpe:2.3:a:mozilla:fire fox:*:*:*:*:*:*:*:*", `product: character ' ' must be quoted`},
		{"inner_wildcard", "cpe:2.3:a:mozilla:fire*fox:*:*:*:*:*:*:*:*", `product: unquoted '*' inside the value`},
		{"double_star", "cpe:2.3:a:mozilla:**fox:*:*:*:*:*:*:*:*", `product: unquoted '*' inside the value`},
		{"only_wildcards", "cpe:2.3:a:mozilla:??:*:*:*:*:*:*:*:*", `product: "??" has only wildcards`},
		{"lone_backslash", `cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*\`, `lone "\"`},
		{"non_ascii", "cpe:2.3:a:mozilla:firefôx:*:*:*:*:*:*:*:*", "product: character"},
		{"quoted_control", "cpe:2.3:a:mozilla:fire\\\x01fox:*:*:*:*:*:*:*:*", "not printable ASCII"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cpe.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.in)
			}
			if !errors.Is(err, cpe.ErrMalformed) {
				t.Errorf("%v does not wrap ErrMalformed", err)
			}
			var pe *cpe.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("%T is not a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ text, quoted string }{
		{"Notepad++", `notepad\+\+`},
		{"Mozilla Firefox", "mozilla_firefox"},
		{"1.0", "1.0"},
		{"-", `\-`},
		{"", "*"},
		{"a:b", `a\:b`},
		{"3.0.7-24.el9", "3.0.7-24.el9"},
		{"node.js", "node.js"},
	} {
		if got := cpe.Quote(tc.text); got != tc.quoted {
			t.Errorf("Quote(%q) = %q, want %q", tc.text, got, tc.quoted)
		}
		if tc.text != "" && !strings.Contains(tc.text, " ") {
			if got := cpe.Unquote(tc.quoted); got != strings.ToLower(tc.text) {
				t.Errorf("Unquote(%q) = %q, want %q", tc.quoted, got, strings.ToLower(tc.text))
			}
		}
	}
}

func TestVendorProduct(t *testing.T) {
	for _, tc := range []struct {
		in              string
		vendor, product string
		ok              bool
	}{
		{"cpe:2.3:a:mozilla:firefox:*:*:*:*:*:*:*:*", "mozilla", "firefox", true},
		{`cpe:2.3:a:notepad-plus-plus:notepad\+\+:*:*:*:*:*:*:*:*`, "notepad-plus-plus", "notepad++", true},
		{`cpe:2.3:a:Vendor\:x:product:*:*:*:*:*:*:*:*`, "vendor:x", "product", true},
		{"cpe:2.3:a:*:firefox:*:*:*:*:*:*:*:*", "", "", false},
		{"cpe:2.3:a:mozilla:fire*:*:*:*:*:*:*:*", "", "", false},
		{"cpe:2.3:a:mozilla", "", "", false},
		{"cpe:/a:mozilla:firefox", "", "", false},
	} {
		v, p, ok := cpe.VendorProduct(tc.in)
		if v != tc.vendor || p != tc.product || ok != tc.ok {
			t.Errorf("VendorProduct(%q) = %q, %q, %v; want %q, %q, %v", tc.in, v, p, ok, tc.vendor, tc.product, tc.ok)
		}
	}
}
