package hunt_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/report"
)

var now = time.Now().UTC().Truncate(time.Second)

// newHunt stores events of units 1 and 2 in a real embedded store.
func newHunt(t *testing.T) *hunt.Service {
	t.Helper()
	st, err := vlstore.Open(t.Context(), t.TempDir(), vlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var evs []event.Event
	for i := range 30 {
		unit := int64(1 + i%2)
		host := []string{"ws01", "ws02", "dc01"}[i%3]
		cmd := "notepad.exe report.txt"
		if i == 7 {
			cmd = "vssadmin.exe Delete Shadows /All /Quiet"
		}
		if i == 8 {
			cmd = "=HYPERLINK(\"http://evil\")" // a spreadsheet formula in the data
		}
		evs = append(evs, event.Event{Time: now.Add(-time.Duration(30-i) * time.Minute), Received: now, UnitID: unit,
			Source: event.Source{Kind: event.KindSyslog, Name: "syslog-tcp"}, Message: "event " + host + " " + cmd,
			Fields: map[string]string{"host.name": host, "process.command_line": cmd, "user.name": "u" + string(rune('a'+i%4))}})
	}
	if _, err := st.Append(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	return hunt.New(st, hunt.Options{Units: func(context.Context) ([]int64, error) { return []int64{1, 2}, nil }})
}

var (
	analyst1 = &authz.Principal{UserID: 1, Username: "a1", Role: authz.RoleAnalyst, Units: map[int64]bool{1: true}}
	viewer   = &authz.Principal{UserID: 2, Username: "v", Role: authz.RoleViewer, Units: map[int64]bool{1: true, 2: true}}
)

// No query reaches another unit's events, whatever its expression says.
func TestSearch_unitScope(t *testing.T) {
	h := newHunt(t)
	ctx := t.Context()
	for _, expr := range []string{"*", "", `host.name:ws01`, `* | stats count() hits`, `{khien.unit=2} OR *`,
		`_tenant:2 OR *`, `options(ignore_global_time_filter=false) *`} {
		res, err := h.Search(ctx, analyst1, hunt.Query{Expr: expr, From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)})
		if err != nil {
			var se *hunt.SyntaxError
			if errors.As(err, &se) {
				continue // refused is fine too
			}
			t.Fatalf("%q: %v", expr, err)
		}
		for _, e := range res.Events {
			if e.UnitID != 1 && e.UnitID != 0 {
				t.Errorf("%q returned an event of unit %d", expr, e.UnitID)
			}
		}
		if expr == `* | stats count() hits` && (len(res.Events) != 1 || res.Events[0].Fields["hits"] != "15") {
			t.Errorf("stats over the analyst's unit: %+v", res.Events)
		}
	}
	if _, err := h.Search(ctx, analyst1, hunt.Query{Units: []int64{2}}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("asking for another unit: %v", err)
	}
	if _, err := h.Search(ctx, viewer, hunt.Query{}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("a viewer hunts: %v", err)
	}
	res, err := h.Search(ctx, authz.System(), hunt.Query{From: now.Add(-2 * time.Hour), To: now.Add(time.Minute), Limit: 100})
	if err != nil || len(res.Events) != 30 {
		t.Errorf("the system sees %d events, %v", len(res.Events), err)
	}
}

func TestSearch_pageHistogramFields(t *testing.T) {
	h := newHunt(t)
	res, err := h.Search(t.Context(), authz.System(), hunt.Query{Expr: `process.command_line:*notepad*`,
		From: now.Add(-time.Hour), To: now.Add(time.Minute), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 10 || !res.More || res.Events[0].Time.Before(res.Events[9].Time) {
		t.Errorf("page: %d events, more %v (newest first)", len(res.Events), res.More)
	}
	total := 0
	for _, s := range res.Histogram.Series {
		for _, c := range s.Counts {
			total += int(c)
		}
	}
	if total != 28 {
		t.Errorf("histogram counts %d events, want all 28 matching", total)
	}
	var host *hunt.FieldSummary
	for i := range res.Fields {
		if res.Fields[i].Name == "host.name" {
			host = &res.Fields[i]
		}
	}
	if host == nil || host.Events != 10 || len(host.Top) != 3 {
		t.Errorf("host.name summary %+v", host)
	}
}

func TestSearch_errors(t *testing.T) {
	h := newHunt(t)
	ctx := t.Context()
	_, err := h.Search(ctx, authz.System(), hunt.Query{Expr: `host.name:="ws01" and (`})
	var se *hunt.SyntaxError
	if !errors.As(err, &se) || se.Pos != len(`host.name:="ws01" and (`) || !strings.Contains(se.Msg, "expecting a filter") {
		t.Errorf("syntax error: %#v", err)
	}
	if pe := se.Public(); !errors.Is(pe, errs.ErrInvalid) {
		t.Errorf("public form %v", pe)
	}
	for name, q := range map[string]hunt.Query{
		"empty range":    {From: now, To: now},
		"range too long": {From: now.Add(-500 * 24 * time.Hour), To: now},
		"too long":       {Expr: strings.Repeat("a", hunt.MaxQueryLen+1)},
	} {
		if _, err := h.Search(ctx, authz.System(), q); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExport(t *testing.T) {
	h := newHunt(t)
	q := hunt.Query{Expr: `*`, From: now.Add(-time.Hour), To: now.Add(time.Minute)}
	var b bytes.Buffer
	n, err := h.Export(t.Context(), analyst1, q, hunt.CSV, []string{"host.name", "process.command_line"}, &b)
	if err != nil || n != 15 {
		t.Fatalf("CSV export: %d rows, %v", n, err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 16 || strings.Join(rows[0], ",") != "time,unit_id,host.name,process.command_line,message" {
		t.Fatalf("CSV %v %v", rows[:1], err)
	}
	for _, r := range rows[1:] {
		if strings.HasPrefix(r[3], "=") || r[1] != "1" {
			t.Errorf("row %v: a formula left as is, or another unit", r)
		}
	}
	b.Reset()
	n, err = h.Export(t.Context(), authz.System(), q, hunt.JSONL, nil, &b)
	if err != nil || n != 30 || bytes.Count(b.Bytes(), []byte("\n")) != 30 || !strings.Contains(b.String(), `"unit_id":1`) {
		t.Errorf("JSONL export: %d, %v", n, err)
	}
	if _, err := h.Export(t.Context(), authz.System(), q, "xml", nil, &b); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestAddFilter(t *testing.T) {
	for _, tc := range []struct{ expr, field, value, want string }{
		{"", "host.name", "ws01", `host.name:="ws01"`},
		{"*", "host.name", "ws01", `host.name:="ws01"`},
		{"error", "host.name", `a"b`, `(error) host.name:="a\"b"`},
		{`x:"a|b" | stats count()`, "user.name", "u", `(x:"a|b") user.name:="u" | stats count()`},
		{`a OR b`, "weird field", "v", `(a OR b) "weird field":="v"`},
	} {
		if got := hunt.AddFilter(tc.expr, tc.field, tc.value); got != tc.want {
			t.Errorf("AddFilter(%q, %q, %q) = %q, want %q", tc.expr, tc.field, tc.value, got, tc.want)
		}
	}
}

// A retro-hunt runs Sigma rules over the stored events of the hunter's
// units, in time order, with the real-time engine.
func TestRetroHunt(t *testing.T) {
	h := newHunt(t)
	rs, err := sigma.Parse([]byte(`
title: Shadow copies deleted
id: r-shadow
logsource: {}
detection:
    sel:
        process.command_line|contains|all: [vssadmin, delete]
    condition: sel
---
title: Any notepad
id: r-notepad
logsource: {}
detection:
    sel:
        process.command_line|contains: notepad
    condition: sel
`), "inline.yml")
	if err != nil {
		t.Fatal(err)
	}
	eng, _, err := detect.Compile(rs, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var last time.Time
	var fractions []float64
	st, err := h.RetroHunt(t.Context(), analyst1, eng, hunt.Query{From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)},
		func(m hunt.RetroMatch) error {
			count[m.Rule.ID]++
			if m.Event.UnitID != 1 || m.Event.Time.Before(last) {
				t.Errorf("match on unit %d at %v after %v", m.Event.UnitID, m.Event.Time, last)
			}
			last = m.Event.Time
			return nil
		}, func(f float64) { fractions = append(fractions, f) })
	if err != nil {
		t.Fatal(err)
	}
	// Unit 1 holds the even-numbered events; the vssadmin one (7) is in unit 2.
	if st.Events != 15 || count["r-shadow"] != 0 || count["r-notepad"] != 14 || len(fractions) == 0 || fractions[len(fractions)-1] != 1 {
		t.Errorf("stats %+v, matches %v, progress %v", st, count, fractions)
	}
	count = map[string]int{}
	if _, err := h.RetroHunt(t.Context(), authz.System(), eng, hunt.Query{From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)},
		func(m hunt.RetroMatch) error { count[m.Rule.ID]++; return nil }, nil); err != nil || count["r-shadow"] != 1 {
		t.Errorf("all units: %v %v", count, err)
	}
}

// Windows holding more events than one query returns are read in halves:
// every event is read once, in order.
func TestRetroHunt_windowHalving(t *testing.T) {
	h := newHunt(t)
	defer hunt.SetRetroPage(hunt.SetRetroPage(4))
	rs, err := sigma.Parse([]byte("title: all\nid: r-all\nlogsource: {}\ndetection:\n    sel:\n        host.name|exists: true\n    condition: sel\n"), "x.yml")
	if err != nil {
		t.Fatal(err)
	}
	eng, _, err := detect.Compile(rs, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var last time.Time
	st, err := h.RetroHunt(t.Context(), authz.System(), eng, hunt.Query{From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)},
		func(m hunt.RetroMatch) error {
			seen[m.Event.Message+m.Event.Time.String()]++
			if m.Event.Time.Before(last) {
				t.Errorf("out of order: %v after %v", m.Event.Time, last)
			}
			last = m.Event.Time
			return nil
		}, nil)
	if err != nil || st.Events != 30 || len(seen) != 30 || st.Truncated {
		t.Errorf("read %d events (%d distinct), %+v, %v", st.Events, len(seen), st, err)
	}
}

func TestReport(t *testing.T) {
	h := hunt.Hunt{ID: 4, UnitID: 1, Title: "Sweep for warning 42", Hypothesis: "The warned address reached us.", Kind: hunt.KindIOC,
		From: now.Add(-time.Hour), To: now, Status: hunt.Closed, Matches: 2, Outcome: hunt.CompromiseFound,
		Conclusion: "Two failed logins; blocked.", Trigger: hunt.TriggerWarning, TriggerRef: "42/CSO", Analyst: "lan.nguyen",
		StartedAt: now, FinishedAt: now, ClosedAt: now}
	doc := hunt.Report(h, hunt.ReportInput{Organisation: "Sở A", UnitName: "Sở A", Systems: []string{"PORTAL — Cổng"}, Now: now,
		Results: []hunt.Result{{Time: now, Host: "portal", Label: "ip 198.51.100.7"}, {Time: now, Host: "portal", Label: "ip 198.51.100.7"}}})
	for _, format := range []string{"pdf", "docx"} {
		b, _, err := report.Render(format, doc)
		if err != nil || len(b) < 1000 {
			t.Errorf("%s: %d bytes, %v", format, len(b), err)
		}
	}
	var text []string
	for _, b := range doc.Blocks {
		switch v := b.(type) {
		case report.KeyValue:
			for _, p := range v.Pairs {
				text = append(text, p[0]+": "+p[1])
			}
		case report.Table:
			for _, r := range v.Rows {
				text = append(text, strings.Join(r, " | "))
			}
		}
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"Hệ thống thông tin: PORTAL — Cổng", "Kết luận: Phát hiện dấu hiệu xâm nhập", "ip 198.51.100.7 | 2", "Lý do thực hiện: Theo cảnh báo của cơ quan chức năng — 42/CSO"} {
		if !strings.Contains(all, want) {
			t.Errorf("report lacks %q:\n%s", want, all)
		}
	}
}

// An IOC sweep's filter, built from the indicators, may be far longer than
// a typed query: Each takes up to MaxSweepLen, Search refuses it.
func TestEach_longSweep(t *testing.T) {
	h := newHunt(t)
	var b strings.Builder
	b.WriteString(`user.name:in("ua"`)
	for i := 0; b.Len() <= hunt.MaxQueryLen; i++ {
		fmt.Fprintf(&b, `,"nobody-%06d"`, i)
	}
	b.WriteString(")")
	q := hunt.Query{Expr: b.String(), From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)}
	n, steps := 0, []float64(nil)
	st, err := h.Each(t.Context(), authz.System(), q, func(e *event.Event) error {
		if e.Fields["user.name"] != "ua" {
			t.Errorf("event of user %q", e.Fields["user.name"])
		}
		n++
		return nil
	}, func(done float64) { steps = append(steps, done) })
	if err != nil || n != 8 || st.Events != 8 {
		t.Errorf("sweep of %d bytes: %d events (%+v), %v", b.Len(), n, st, err)
	}
	// Few matches: the whole range is read at once (one query per window
	// would parse the long lists again each time).
	if len(steps) != 1 || steps[0] != 1 {
		t.Errorf("progress %v, want one window", steps)
	}
	if _, err := h.Search(t.Context(), authz.System(), q); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("search of %d bytes: %v, want invalid", b.Len(), err)
	}
}

// Sweep counts every match from the fields it reads and keeps the oldest
// matches whole; the windowed path (more candidates than a page) agrees.
func TestSweep(t *testing.T) {
	h := newHunt(t)
	q := hunt.Query{Expr: `host.name:in("ws01","ws02")`, From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)}
	match := func(e *event.Event) bool { return e.Fields["host.name"] == "ws01" && e.Fields["user.name"] != "ud" }
	for _, page := range []int{50_000, 4} {
		old := hunt.SetRetroPage(page)
		var kept []event.Event
		var grouped int64
		st, err := h.Sweep(t.Context(), authz.System(), q, hunt.SweepSpec{Fields: []string{"host.name", "user.name"}, Match: match, Keep: 3,
			Found: func(e *event.Event) error {
				kept = append(kept, *e)
				return nil
			},
			Group: func(e *event.Event, n int64, _, _ time.Time) error {
				if e.Fields["host.name"] != "ws01" || e.UnitID == 0 || e.Fields["user.name"] == "ud" {
					t.Errorf("page %d: group %+v", page, e)
				}
				grouped += n
				return nil
			}}, nil)
		if grouped != 7 {
			t.Errorf("page %d: %d events in groups, want 7", page, grouped)
		}
		hunt.SetRetroPage(old)
		// ws01 is i%3==0 (10 events), ud is i%4==3: i in {3, 15, 27} → 7 match; ws02 adds 10 candidates.
		if err != nil || st.Selected != 20 || st.Matched != 7 || st.Kept != 3 || len(kept) != 3 {
			t.Fatalf("page %d: %+v, %d kept, %v", page, st, len(kept), err)
		}
		for i, e := range kept {
			if e.Message == "" || e.Fields["process.command_line"] == "" || (i > 0 && e.Time.Before(kept[i-1].Time)) {
				t.Errorf("page %d: kept event %d not whole or out of order: %+v", page, i, e)
			}
		}
		if kept[0].Time != now.Add(-30*time.Minute) {
			t.Errorf("page %d: oldest kept %v, want the oldest match %v", page, kept[0].Time, now.Add(-30*time.Minute))
		}
	}
}

// An exact sweep counts its candidates per interval and reads whole only
// those up to its oldest kept matches.
func TestSweep_exact(t *testing.T) {
	h := newHunt(t)
	q := hunt.Query{Expr: `host.name:="ws01"`, From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)}
	var kept []event.Event
	type key struct {
		unit       int64
		host, user string
	}
	groups := map[key]int64{}
	st, err := h.Sweep(t.Context(), authz.System(), q, hunt.SweepSpec{Exact: true, Keep: 4, Fields: []string{"user.name"},
		Match: func(e *event.Event) bool { return e.Fields["host.name"] == "ws01" },
		Found: func(e *event.Event) error { kept = append(kept, *e); return nil },
		Group: func(e *event.Event, n int64, first, last time.Time) error {
			if first.After(last) || first.Before(now.Add(-31*time.Minute)) || last.After(now) {
				t.Errorf("group %+v: times %v – %v", e, first, last)
			}
			groups[key{e.UnitID, e.Fields["host.name"], e.Fields["user.name"]}] += n
			return nil
		}}, nil)
	// ws01 is i%3==0; its unit is 1+i%2 and its user u(a+i%4).
	want := map[key]int64{}
	for i := 0; i < 30; i += 3 {
		want[key{int64(1 + i%2), "ws01", "u" + string(rune('a'+i%4))}]++
	}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("groups %v, want %v", groups, want)
	}
	if err != nil || st.Selected != 10 || st.Matched != 10 || st.Kept != 4 || len(kept) != 4 {
		t.Fatalf("%+v, %d kept, %v", st, len(kept), err)
	}
	for i, e := range kept {
		// ws01 is every third event from 30 minutes ago: the oldest four.
		if want := now.Add(-time.Duration(30-3*i) * time.Minute); !e.Time.Equal(want) || e.Message == "" {
			t.Errorf("kept %d: %v %q, want %v whole", i, e.Time, e.Message, want)
		}
	}
}

func TestFieldNames(t *testing.T) {
	h := newHunt(t)
	present := h.FieldNames(t.Context())
	if present == nil || !present("process.command_line") || !present("host.name") || present("source.ip") {
		t.Errorf("field names wrong")
	}
	if hunt.New(nil, hunt.Options{}).FieldNames(t.Context()) != nil {
		t.Errorf("without a unit list the names are not unknown")
	}
}

// An exact IP sweep with Values counts from the store's value index: the
// same counts, groups and kept events as the counting query, and never
// another unit's events.
func TestSweep_valueIndex(t *testing.T) {
	fields := []string{"source.ip", "destination.ip"}
	st, err := vlstore.Open(t.Context(), t.TempDir(), vlstore.Options{IndexFields: fields})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var evs []event.Event
	for i := range 40 {
		evs = append(evs, event.Event{Time: now.Add(-time.Duration(40-i) * time.Minute), Received: now, UnitID: int64(1 + i%2),
			Message: fmt.Sprint("flow ", i),
			Fields: map[string]string{"host.name": []string{"fw01", "fw02"}[i%4/2], "source.ip": fmt.Sprint("10.0.0.", i%5),
				"destination.ip": fmt.Sprint("192.0.2.", i%7)}})
	}
	if _, err := st.Append(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	h := hunt.New(cs, hunt.Options{Units: func(context.Context) ([]int64, error) { return []int64{1, 2}, nil }})
	values := []string{"10.0.0.1", "192.0.2.3", "198.51.100.9"}
	q := hunt.Query{Expr: `source.ip:in("10.0.0.1","192.0.2.3","198.51.100.9") or destination.ip:in("10.0.0.1","192.0.2.3","198.51.100.9")`,
		From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)}
	type result struct {
		st     hunt.SweepStats
		kept   []string
		groups map[string]int64
	}
	run := func(p *authz.Principal, index []string) result {
		t.Helper()
		r := result{groups: map[string]int64{}}
		var err error
		r.st, err = h.Sweep(t.Context(), p, q, hunt.SweepSpec{Exact: true, Keep: 5, Fields: fields, Values: index,
			Match: func(e *event.Event) bool {
				return slices.Contains(values, e.Fields["source.ip"]) || slices.Contains(values, e.Fields["destination.ip"])
			},
			Found: func(e *event.Event) error { r.kept = append(r.kept, e.Message); return nil },
			Group: func(e *event.Event, n int64, first, last time.Time) error {
				if first.After(last) {
					t.Errorf("group %+v: %v after %v", e, first, last)
				}
				// The query groups by every field's value, the index by
				// those that match: compare what matched.
				key := fmt.Sprint(e.UnitID, " ", e.Fields["host.name"])
				for _, f := range fields {
					if slices.Contains(values, e.Fields[f]) {
						key += " " + f + "=" + e.Fields[f]
					}
				}
				r.groups[key] += n
				return nil
			}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, p := range []*authz.Principal{authz.System(), analyst1} {
		cs.lookups, cs.stats = 0, 0
		indexed := run(p, values)
		if cs.lookups != 1 || cs.stats != 0 {
			t.Errorf("%s: with Values, %d index look-ups and %d stats queries, want 1 and 0", p.Username, cs.lookups, cs.stats)
		}
		cs.lookups, cs.stats = 0, 0
		queried := run(p, nil)
		if cs.lookups != 0 || cs.stats != 1 {
			t.Errorf("%s: without Values, %d index look-ups and %d stats queries, want 0 and 1", p.Username, cs.lookups, cs.stats)
		}
		if fmt.Sprint(indexed) != fmt.Sprint(queried) {
			t.Errorf("%s: from the index %+v\nfrom the query %+v", p.Username, indexed, queried)
		}
		// source.ip 10.0.0.1 is i%5==1, destination.ip 192.0.2.3 is i%7==3.
		want := 0
		for i := range 40 {
			if (i%5 == 1 || i%7 == 3) && (p != analyst1 || i%2 == 0) {
				want++
			}
		}
		if indexed.st.Matched != want || len(indexed.kept) != 5 {
			t.Errorf("%s: %+v, want %d matches and 5 kept", p.Username, indexed.st, want)
		}
		for g := range indexed.groups {
			if p == analyst1 && !strings.HasPrefix(g, "1 ") {
				t.Errorf("analyst of unit 1 sees group %s", g)
			}
		}
	}
}

// countingStore counts a store's value index look-ups and stats queries.
type countingStore struct {
	*vlstore.Store
	lookups, stats int
}

func (c *countingStore) Occurrences(ctx context.Context, q eventstore.Query, fields, values []string, fn func(eventstore.Occurrence) error) error {
	c.lookups++
	return c.Store.Occurrences(ctx, q, fields, values, fn)
}

func (c *countingStore) Query(ctx context.Context, q eventstore.Query, fn func(event.Event) error) error {
	if strings.Contains(q.Expr, "| stats") {
		c.stats++
	}
	return c.Store.Query(ctx, q, fn)
}
