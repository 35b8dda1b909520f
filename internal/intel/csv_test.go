package intel_test

import (
	"bytes"
	"flag"
	"io"
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

var updateCSV = flag.Bool("update-csv", false, "rewrite testdata/csv golden files")

func TestParseCSV_Golden(t *testing.T) {
	for _, name := range []string{"header.csv", "semicolon.csv", "tab.tsv", "plain.txt"} {
		t.Run(strings.ReplaceAll(name, ".", "_"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "csv", name))
			if err != nil {
				t.Fatal(err)
			}
			b, err := intel.ParseCSV(bytes.NewReader(data), importOptions())
			if err != nil {
				t.Fatal(err)
			}
			checkImportedBatch(t, b)
			for _, ind := range b.Indicators {
				if ind.ExternalID != "" || ind.Source != "CIRCL OSINT" || ind.UnitID != 7 {
					t.Errorf("%s: ExternalID %q, Source %q, UnitID %d", ind.Value, ind.ExternalID, ind.Source, ind.UnitID)
				}
			}
			goldenJSON(t, filepath.Join("testdata", "csv", strings.TrimSuffix(name, filepath.Ext(name))+".golden.json"), b, *updateCSV)
		})
	}
}

// csvSummary is what the table tests compare: "type value tlp
// confidence" per indicator, "Ref: Reason" per skip.
func csvSummary(b intel.Batch) (inds, skips []string) {
	for _, ind := range b.Indicators {
		s := string(ind.Type) + " " + ind.Value + " " + string(ind.TLP)
		if ind.Confidence != 60 {
			s += " " + strconv.Itoa(ind.Confidence)
		}
		inds = append(inds, s)
	}
	for _, s := range b.Skipped {
		skips = append(skips, s.Ref+": "+s.Reason)
	}
	return inds, skips
}

func TestParseCSV(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		inds      []string
		skipsHave []string // substrings of the skips, in order
	}{
		{
			name: "header_case_and_order",
			in:   "Value,TYPE,Tlp\n203.0.113.1,IPv4,Red\n",
			inds: []string{"ip 203.0.113.1 red"},
		},
		{
			name: "header_without_type_detects",
			in:   "indicator;comment\nevil.example;x\n203.0.113.0/24;y\nhxxp://evil[.]example/a;z\n",
			inds: []string{"domain evil.example amber", "cidr 203.0.113.0/24 amber", "url http://evil.example/a amber"},
		},
		{
			name: "tab",
			in:   "type\tvalue\ndomain\tEvil.Example\n",
			inds: []string{"domain evil.example amber"},
		},
		{
			name: "ip_declared_network",
			in:   "type,value\nip-dst,10.1.2.3/8\n",
			inds: []string{"cidr 10.0.0.0/8 amber"},
		},
		{
			name:      "hash_by_length",
			in:        "type,value\nhash,D41D8CD98F00B204E9800998ECF8427E\nhash,abc\n",
			inds:      []string{"md5 d41d8cd98f00b204e9800998ecf8427e amber"},
			skipsHave: []string{"line 3: \"abc\" is not an MD5"},
		},
		{
			name: "duplicates_merged_first_wins",
			in:   "type,value,tlp\ndomain,a.example,green\ndomain,A.EXAMPLE.,red\nfqdn,a.example,red\n",
			inds: []string{"domain a.example green"},
		},
		{
			name:      "confidence_words_and_numbers",
			in:        "type,value,confidence\nip,192.0.2.1,high\nip,192.0.2.2,low\nip,192.0.2.3,40%\nip,192.0.2.4,101\nip,192.0.2.5,maybe\n",
			inds:      []string{"ip 192.0.2.1 amber 85", "ip 192.0.2.2 amber 15", "ip 192.0.2.3 amber 40"},
			skipsHave: []string{"line 5: confidence \"101\"", "line 6: confidence \"maybe\""},
		},
		{
			name:      "bad_lines_reported_by_line",
			in:        "type,value\n\nurl,/relative\nregistry,HKLM\\Run\n,\nip,300.1.1.1\n# comment\ndomain,ok.example\n",
			inds:      []string{"domain ok.example amber"},
			skipsHave: []string{"line 3: \"/relative\" is not an absolute URL", "line 4: unknown type \"registry\"", "line 6: \"300.1.1.1\" is not an IP"},
		},
		{
			name: "plain_list",
			in:   "# feed\n203.0.113.5\r\n\r\nhxxps://bad[.]example/x\nbad[.]example\n0.0.0.0 ads.example\n127.0.0.1\n198.51.100.0/24 ; SBL1\nnot an indicator\n",
			inds: []string{"ip 203.0.113.5 amber", "url https://bad.example/x amber", "domain bad.example amber",
				"domain ads.example amber", "ip 127.0.0.1 amber", "cidr 198.51.100.0/24 amber"},
			skipsHave: []string{"line 9: cannot tell"},
		},
		{
			name: "plain_list_with_delimiter",
			in:   "203.0.113.5,botnet,2026-01-01\nevil.example,phishing\n",
			inds: []string{"ip 203.0.113.5 amber", "domain evil.example amber"},
		},
		{
			name: "bom_crlf_semicolon",
			in:   "\uFEFFtype;value;labels\r\ndomain;x.example;a|b;c\r\n",
			inds: []string{"domain x.example amber"},
		},
		{
			name:      "unknown_tlp_skipped",
			in:        "type,value,tlp\nip,192.0.2.9,purple\nip,192.0.2.10,white\nip,192.0.2.11,amber strict\n",
			inds:      []string{"ip 192.0.2.10 clear", "ip 192.0.2.11 amber+strict"},
			skipsHave: []string{"line 2: unknown TLP \"purple\""},
		},
		{
			name: "single_column_keeps_commas",
			in:   "Indicator\nhttp://evil.example/a,b\n\"http://evil.example/c\"\n",
			inds: []string{"url http://evil.example/a,b amber", "url http://evil.example/c amber"},
		},
		{
			name: "empty",
			in:   "# nothing here\n\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := intel.ParseCSV(strings.NewReader(tc.in), intel.ImportOptions{DefaultConfidence: 60})
			if err != nil {
				t.Fatal(err)
			}
			checkImportedBatch(t, b)
			inds, skips := csvSummary(b)
			if diff := cmp.Diff(tc.inds, inds); diff != "" {
				t.Errorf("indicators (-want +got):\n%s", diff)
			}
			if len(skips) != len(tc.skipsHave) {
				t.Errorf("skips = %q; want %d", skips, len(tc.skipsHave))
			}
			for i, want := range tc.skipsHave {
				if i < len(skips) && !strings.Contains(skips[i], want) {
					t.Errorf("skip %d = %q; want %q in it", i, skips[i], want)
				}
			}
		})
	}
}

func TestParseCSV_Fields(t *testing.T) {
	in := "type,value,valid_until,description,labels\n" +
		"ip,203.0.113.1,2026-12-31,\"C2, March\",apt32; phishing |apt32\n" +
		"ip,203.0.113.2,2026-06-30T12:00:00+07:00,,\n" +
		"ip,203.0.113.3,31/12/2026,,\n"
	b, err := intel.ParseCSV(strings.NewReader(in), importOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Indicators) != 2 || len(b.Skipped) != 1 || b.Skipped[0].Ref != "line 4" {
		t.Fatalf("got %d indicators, skipped %v", len(b.Indicators), b.Skipped)
	}
	a := b.Indicators[0]
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !a.ValidUntil.Equal(want) {
		t.Errorf("ValidUntil of a date = %v; want the end of that day %v", a.ValidUntil, want)
	}
	if a.Description != "C2, March" || !slices.Equal(a.Labels, []string{"apt32", "phishing"}) {
		t.Errorf("description %q, labels %q", a.Description, a.Labels)
	}
	if want := time.Date(2026, 6, 30, 5, 0, 0, 0, time.UTC); !b.Indicators[1].ValidUntil.Equal(want) {
		t.Errorf("ValidUntil = %v; want %v", b.Indicators[1].ValidUntil, want)
	}
	if !a.CreatedAt.Equal(importNow) || a.TLP != intel.TLPAmber || a.Confidence != 60 {
		t.Errorf("CreatedAt %v, TLP %s, confidence %d", a.CreatedAt, a.TLP, a.Confidence)
	}
}

func TestParseCSV_Errors(t *testing.T) {
	if _, err := intel.ParseCSV(strings.NewReader("203.0.113.1\n\xff\xfe\n"), importOptions()); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("not UTF-8: error = %v", err)
	}
	big := io.MultiReader(strings.NewReader("203.0.113.1\n"), io.LimitReader(infiniteA{}, 64<<20))
	if _, err := intel.ParseCSV(big, importOptions()); err == nil || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("too large: error = %v", err)
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"header.csv", "semicolon.csv", "tab.tsv", "plain.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "csv", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "\n", "value\n", "type,value\nip,\"1.2.3.4\n", "a\"b,c\nvalue\n",
		"value\n\"unterminated\n", "type;value\nemail;\"a b\"@example.com\n",
		"value,labels\nx.example,;|;\n", "\uFEFF#\n0.0.0.0\n",
	} {
		f.Add([]byte(s))
	}
	o := importOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := intel.ParseCSV(bytes.NewReader(data), o)
		if err != nil {
			return
		}
		checkImportedBatch(t, b)
		seen := map[intel.Comparison]bool{}
		for _, ind := range b.Indicators {
			k := intel.Comparison{Type: ind.Type, Value: ind.Value}
			if seen[k] {
				t.Fatalf("duplicate %v", k)
			}
			seen[k] = true
			if ind.ExternalID != "" || len(ind.Pattern) != 1 || len(ind.Pattern[0]) != 1 {
				t.Fatalf("indicator %+v", ind)
			}
		}
	})
}
