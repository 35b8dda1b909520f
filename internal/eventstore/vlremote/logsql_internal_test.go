package vlremote

import (
	"testing"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"
	"github.com/google/go-cmp/cmp"
)

// The library is the reference for which queries keep rows (the tests
// only: the package itself does not import it).

var shapeCases = []struct {
	expr                      string
	keeps, distrib, hitsDistr bool
	pipes                     []string
}{
	{"", true, true, true, nil},
	{"*", true, true, true, nil},
	{`host.name:web01 AND event.code:4625`, true, true, true, nil},
	{`"a | b" | fields _time, host.name`, true, true, true, []string{"fields"}},
	{`'x|y' error`, true, true, true, nil},
	{"error # | stats count()\n| fields _time", true, true, true, []string{"fields"}},
	{`* | fields host.name`, false, true, true, []string{"fields"}},
	{`* | fields _ti*`, true, true, true, []string{"fields"}},
	{`* | keep *`, true, true, true, []string{"keep"}},
	{`* | delete _time`, false, true, true, []string{"delete"}},
	{`* | rm host.name, user.name`, true, true, true, []string{"rm"}},
	{`* | copy _time as t`, true, true, true, []string{"copy"}},
	{`* | copy t as _time`, false, true, true, []string{"copy"}},
	{`* | rename _time as t`, false, true, true, []string{"rename"}},
	{`* | format "<_time> x" as msg2`, true, true, true, []string{"format"}},
	{`* | format "<x>" as _time`, false, true, true, []string{"format"}},
	{`* | len(_msg) as n`, true, true, true, []string{"len"}},
	{`* | unpack_json | math x*2 as y | extract "a <b>" from _msg`, true, true, true, []string{"unpack_json", "math", "extract"}},
	{`* | host.name:web01`, true, true, true, []string{"filter"}},
	{`* | not error`, true, true, true, []string{"filter"}},
	{`* | "quoted phrase"`, true, true, true, []string{"filter"}},
	{`* | where x:>5`, true, true, true, []string{"where"}},
	{`* | stats by (host.name) count() n`, false, false, true, []string{"stats"}},
	{`* | count()`, false, false, true, []string{"stats"}},
	{`* | by (host.name) count()`, false, false, true, []string{"stats"}},
	{`* | STATS count()`, false, false, true, []string{"stats"}},
	{`* | top 10 by (user.name)`, false, false, true, []string{"top"}},
	{`* | uniq by (source.ip)`, false, false, true, []string{"uniq"}},
	{`* | sort by (_time)`, false, false, true, []string{"sort"}},
	{`* | limit 10`, false, false, true, []string{"limit"}},
	{`* | head 10`, false, false, true, []string{"head"}},
	{`* | union (host.name:x)`, false, false, false, []string{"union"}},
	{`* | join by (x) (y:z | fields x)`, false, false, false, []string{"join"}},
	{`host.name:in(* | fields host.name)`, true, false, false, nil},
	{`* | filter x:in(y | fields x)`, true, false, false, []string{"filter"}},
	{`* | stats count() n | filter x:in(y | fields x)`, false, false, true, []string{"stats", "filter"}},
	{`options(concurrency=2) error | fields _time`, true, true, true, []string{"fields"}},
	{`* | fields _time | sort by (x) | union (y)`, false, false, true, []string{"fields", "sort", "union"}},
}

func TestShapeOf(t *testing.T) {
	for _, tc := range shapeCases {
		sh := shapeOf(tc.expr)
		got := []bool{sh.keepsRows, sh.distributive, sh.hitsDistributive}
		want := []bool{tc.keeps, tc.distrib, tc.hitsDistr}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: keepsRows, distributive, hitsDistributive (-want +got):\n%s", tc.expr, diff)
		}
		if diff := cmp.Diff(tc.pipes, sh.pipes); diff != "" {
			t.Errorf("%q: pipes (-want +got):\n%s", tc.expr, diff)
		}
		// The library agrees on keepsRows.
		expr := tc.expr
		if expr == "" {
			expr = "*"
		}
		q, err := logstorage.ParseQuery(expr)
		if err != nil {
			t.Errorf("%q: the library cannot parse it: %v", tc.expr, err)
			continue
		}
		if lib := q.CanReturnLastNResults(); lib != sh.keepsRows {
			t.Errorf("%q: keepsRows = %v, library's CanReturnLastNResults = %v", tc.expr, sh.keepsRows, lib)
		}
	}
}

func TestIgnoreTimeOption(t *testing.T) {
	for expr, want := range map[string]bool{
		`options(ignore_global_time_filter=true) *`:      true,
		`options(ignore_global_time_filter = 1) *`:       true,
		`options(ignore_global_time_filter=false) *`:     false,
		`x:in(options(ignore_global_time_filter=true) *`: true,
		`options("ignore_global_time_filter"=true) *`:    true,
		`"ignore_global_time_filter=true"`:               false,
		`ignore_global_time_filter`:                      false,
		`options(ignore_global_time_filter=) *`:          true,
		`error`:                                          false,
	} {
		if got := shapeOf(expr).optionIgnoreTime; got != want {
			t.Errorf("%q: optionIgnoreTime = %v, want %v", expr, got, want)
		}
	}
}

func FuzzShapeOf(f *testing.F) {
	for _, tc := range shapeCases {
		f.Add(tc.expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sh := shapeOf(expr) // must not panic
		q, err := logstorage.ParseQuery(expr)
		if err != nil {
			return
		}
		if lib := q.CanReturnLastNResults(); lib != sh.keepsRows {
			t.Errorf("%q: keepsRows = %v, library's CanReturnLastNResults = %v", expr, sh.keepsRows, lib)
		}
	})
}
