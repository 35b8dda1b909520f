package vlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

func TestTopLevelTerms(t *testing.T) {
	for _, c := range []struct {
		in    string
		terms []string
		pipes string
		ok    bool
	}{
		{`a:x "b c":~"(?i)y z" | stats count(*) as n`, []string{`a:x`, `"b c":~"(?i)y z"`}, ` | stats count(*) as n`, true},
		{`(a:x or b:y) c:~"(?i)q|r"`, []string{`(a:x or b:y)`, `c:~"(?i)q|r"`}, ``, true},
		{`a:"x\" | y" b:z`, []string{`a:"x\" | y"`, `b:z`}, ``, true},
		{`a:x or c:~"(?i)q"`, nil, ``, false},
		{`a:(x`, nil, ``, false},
		{`a:"x`, nil, ``, false},
	} {
		terms, pipes, ok := topLevelTerms(c.in)
		if ok != c.ok || (ok && (!slices.Equal(terms, c.terms) || pipes != c.pipes)) {
			t.Errorf("topLevelTerms(%q) = %q, %q, %v; want %q, %q, %v", c.in, terms, pipes, ok, c.terms, c.pipes, c.ok)
		}
	}
}

func TestFoldRegexpTerm(t *testing.T) {
	for _, c := range []struct {
		term, field string
		ok          bool
	}{
		{`"process.command_line":~"(?i)vssadmin"`, `"process.command_line"`, true},
		{`user.name:~"(?i)^adm"`, `user.name`, true},
		{`~"(?i)password"`, ``, true},
		{`"process.command_line":~"vssadmin"`, ``, false},      // case-sensitive: the engine is fast already
		{`!"process.command_line":~"(?i)vssadmin"`, ``, false}, // negated
		{`"process.command_line":~"(?i)x*"`, ``, false},        // matches the empty value
		{`"process.command_line":i("vssadmin")`, ``, false},
		{`(a:x b:~"(?i)y")`, ``, false},
	} {
		field, re, ok := foldRegexpTerm(c.term)
		if ok != c.ok || (ok && (field != c.field || re == nil)) {
			t.Errorf("foldRegexpTerm(%q) = %q, %v, %v; want %q, %v", c.term, field, re, ok, c.field, c.ok)
		}
	}
}

// TestResolveRegexpsSameResults checks that case-insensitive regexps give
// the same events whether the store resolves them to value lists or the
// engine checks them itself, with other filters, pipes, several regexps
// per field, on the message, and when too many values keep the regexp.
func TestResolveRegexpsSameResults(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir(), Options{MemoryBudget: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	cmds := []string{
		`"C:\Windows\system32\vssadmin.exe" Delete Shadows /All /Quiet`,
		`C:\Windows\System32\VSSADMIN.EXE list shadows`,
		`C:\Windows\System32\svchost.exe -k netsvcs`,
		`powershell.exe -NoProfile -enc SQBFAFgA`,
		`cmd.exe /c "del C:\temp\x.txt"`,
		`Ｖssadmin fullwidth`, // not a match: (?i) folds simple cases only
	}
	var events []event.Event
	for i := range 3000 {
		ev := event.Event{Time: t0.Add(time.Duration(i) * time.Second), UnitID: int64(1 + i%2),
			Source: event.Source{Kind: event.KindBulk, Name: "fold-test"}, Message: fmt.Sprintf("event %d Password for u%d", i, i%7)}
		ev.Set(event.FieldHostName, "host-"+strconv.Itoa(i%5))
		if i%4 != 0 {
			ev.Set(event.FieldProcessCmd, cmds[i%len(cmds)])
		}
		ev.Set("process.pid", strconv.Itoa(i)) // a field with many distinct values
		events = append(events, ev)
	}
	if _, err := s.Append(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func(d int) { resolveMaxDistinct = d }(resolveMaxDistinct)
	resolveMaxDistinct = 1000

	q := eventstore.Query{Units: []int64{1, 2}, From: t0.Add(-time.Minute), To: t0.Add(time.Hour), Limit: 10_000, Order: eventstore.Oldest}
	for _, c := range []struct {
		expr    string
		resolve bool // the store resolves it (else the engine runs the regexp)
	}{
		{`process.command_line:~"(?i)vssadmin"`, true},
		{`process.command_line:~"(?i)vssadmin" process.command_line:~"(?i)delete"`, true},
		{`host.name:="host-1" process.command_line:re("(?i)VSSADMIN\\.exe")`, true},
		{`process.command_line:~"(?i)vssadmin" | stats count() n`, true},
		{`process.command_line:~"(?i)nothing-like-this"`, true},
		{`~"(?i)password FOR u3"`, false},                          // messages: 3000 distinct values > 1000
		{`process.pid:~"(?i)^12"`, false},                          // 3000 distinct values
		{`host.name:~"(?i)HOST-[12]" process.pid:~"(?i)7$"`, true}, // one field resolved, the other not
		{`process.command_line:~"(?i)vssadmin" or host.name:="host-0"`, false},
		{`!process.command_line:~"(?i)vssadmin"`, false},
	} {
		t.Run(c.expr, func(t *testing.T) {
			q := q
			q.Expr = c.expr
			lq, tenants, err := s.parse(q)
			if err != nil {
				t.Fatal(err)
			}
			before := lq.String()
			resolved, err := s.resolveRegexps(t.Context(), q.Expr, lq, tenants)
			if err != nil {
				t.Fatal(err)
			}
			if did := resolved.String() != before; did != c.resolve {
				t.Errorf("resolved = %v, want %v: %s", did, c.resolve, resolved)
			}
			got := collect(t, s, q)
			resolveOff = true
			want := collect(t, s, q)
			resolveOff = false
			if len(want) == 0 && !strings.Contains(c.expr, "nothing") {
				t.Fatalf("the query matches nothing: the test does not exercise it")
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d results with resolution, %d without:\n%q\n%q", len(got), len(want), head(got), head(want))
			}
		})
	}
}

func collect(t *testing.T, s *Store, q eventstore.Query) []string {
	t.Helper()
	var out []string
	err := s.Query(context.Background(), q, func(e event.Event) error {
		out = append(out, e.Time.Format(time.RFC3339Nano)+" "+e.Fields[event.FieldProcessCmd]+" "+e.Fields["n"])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 3)] }
