// Package eventstoretest is the behavioural specification of an
// eventstore.Store: one suite that every implementation (the embedded
// vlstore, a future remote VictoriaLogs client) runs from its own tests.
//
// What it pins down beyond the interface:
//
//   - An event comes back as it was appended: Time in UTC to the
//     nanosecond, Received in UTC to the millisecond, every non-empty field
//     (including fields named like the store's own, _msg, _time, _stream or
//     "khien.*") under its own name, Unicode text unchanged.
//   - A query never returns events of units it did not name, whatever its
//     LogsQL says (filters on khien.unit, union subqueries).
//   - The time range is [From, To); Limit bounds the results; Newest and
//     Oldest order them.
//   - Events beyond the retention or the future skew, or beyond the
//     engine's limits, are counted in AppendResult, never dropped silently.
//   - Invalid queries (no unit, no time range, bad LogsQL, the
//     ignore_global_time_filter option) give errs.ErrInvalid; an error from
//     the callback is returned as is; after Close, eventstore.ErrClosed.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// Open opens a new, empty store with the given retention and registers its
// Close with t.Cleanup (ignoring eventstore.ErrClosed: some cases close the
// store themselves), as CloseAtCleanup does. It is called once per case.
type Open func(t *testing.T, r eventstore.Retention) eventstore.Store

// CloseAtCleanup registers s.Close with t.Cleanup; an error from Close other
// than eventstore.ErrClosed (the test closed s itself) fails the test.
func CloseAtCleanup(t testing.TB, s eventstore.Store) {
	t.Helper()
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
}

// Run runs the suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Open)
	}{
		{"round_trip", testRoundTrip},
		{"tenant_isolation", testTenantIsolation},
		{"time_range", testTimeRange},
		{"logsql_filter", testLogsQLFilter},
		{"stats_aggregate", testStatsAggregate},
		{"order_limit_fields", testOrderLimitFields},
		{"order_many_streams", testOrderManyStreams},
		{"hits", testHits},
		{"retention_counted", testRetentionCounted},
		{"invalid_counted", testInvalidCounted},
		{"invalid_queries", testInvalidQueries},
		{"callback_error", testCallbackError},
		{"closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

// base is a time well inside any retention, on a whole minute.
func base() time.Time { return time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute) }

func openDefault(t *testing.T, open Open) eventstore.Store {
	t.Helper()
	s := open(t, eventstore.DefaultRetention())
	return s
}

// appendFlush appends events, checks all were stored, and flushes.
func appendFlush(t *testing.T, s eventstore.Store, events []event.Event) {
	t.Helper()
	res, err := s.Append(t.Context(), events)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if res.Stored != len(events) || res.Dropped() != 0 {
		t.Fatalf("Append = %+v, want %d stored", res, len(events))
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// collect runs q and returns the results.
func collect(t *testing.T, s eventstore.Store, q eventstore.Query) []event.Event {
	t.Helper()
	var out []event.Event
	if err := s.Query(t.Context(), q, func(ev event.Event) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		t.Fatalf("Query(%q): %v", q.Expr, err)
	}
	return out
}

func around(units []int64, t0 time.Time, expr string) eventstore.Query {
	return eventstore.Query{Units: units, From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Expr: expr}
}

// securityEvent returns a Windows-like logon event.
func securityEvent(t0 time.Time, unit int64, i int, host, code string) event.Event {
	ev := event.Event{
		Time:     t0.Add(time.Duration(i) * time.Second),
		Received: t0.Add(time.Duration(i)*time.Second + 1500*time.Millisecond),
		UnitID:   unit,
		Source:   event.Source{Kind: event.KindEVTX, Name: "evtx:Security.evtx", Addr: "10.0.0.5"},
		Message:  fmt.Sprintf("Tài khoản %d đăng nhập thất bại trên máy %s", i, host),
	}
	ev.Set(event.FieldHostName, host)
	ev.Set(event.FieldEventCode, code)
	ev.Set(event.FieldEventProvider, "Microsoft-Windows-Security-Auditing")
	ev.Set(event.FieldEventOutcome, "failure")
	ev.Set(event.FieldUserName, "nguyễn.văn."+strconv.Itoa(i%7))
	ev.Set(event.FieldSourceIP, fmt.Sprintf("192.168.%d.%d", i%3, i%250+1))
	ev.Set("winlog.event_data.LogonType", "3")
	return ev
}

func testRoundTrip(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	ev := event.Event{
		Time:       t0.Add(123456789 * time.Nanosecond),
		Received:   t0.Add(2*time.Second + 345678901*time.Nanosecond),
		UnitID:     42,
		Source:     event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "203.0.113.7"},
		Message:    "<34>1 2026-01-02T03:04:05Z web01 sshd 1234 - - Đăng nhập thất bại cho người dùng quản_trị từ 203.0.113.7 — “lỗi mật khẩu” 🔒",
		ParseError: "trường thiếu: event.code",
	}
	ev.Set(event.FieldHostName, "máy-chủ-web01")
	for i := range 60 {
		ev.Set(fmt.Sprintf("winlog.event_data.Field%02d", i), fmt.Sprintf("giá trị %d — ư ơ đ", i))
	}
	ev.Set(event.FieldUserName, "Nguyễn Văn Ánh")
	ev.Set(event.FieldProcessCmd, `C:\Windows\System32\vssadmin.exe delete shadows /all /quiet`)
	ev.Set("syslog.sd.origin@1.ip", "203.0.113.7")
	// Names that clash with the store's own or the engine's.
	ev.Set("_msg", "a field named _msg")
	ev.Set("_time", "not a time")
	ev.Set("_stream", "{x=1}")
	ev.Set("_stream_id", "abc")
	ev.Set("khien.unit", "spoofed")
	ev.Set("khien.field.x", "nested escape")
	ev.Set("message", "ecs message field")
	appendFlush(t, s, []event.Event{ev})

	got := collect(t, s, around([]int64{42}, t0, `"quản_trị"`))
	want := ev
	want.Received = want.Received.Truncate(time.Millisecond)
	if diff := cmp.Diff([]event.Event{want}, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// Every field is a field: an exact match on a Vietnamese value, a
	// phrase in the message, a field with a reserved name.
	for _, expr := range []string{
		`user.name:="Nguyễn Văn Ánh"`,
		`"Đăng nhập thất bại"`,
		`i("đăng NHẬP thất bại")`,
		`process.command_line:vssadmin AND process.command_line:delete`,
		`khien.source.kind:syslog khien.source.addr:"203.0.113.7"`,
		`khien.parse_error:"trường thiếu"`,
		`khien.field._time:"not a time"`,
		`winlog.event_data.Field59:"giá trị 59"`,
	} {
		if got := collect(t, s, around([]int64{42}, t0, expr)); len(got) != 1 {
			t.Errorf("Query(%s) = %d events, want 1", expr, len(got))
		}
	}
}

func testTenantIsolation(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 30 {
		events = append(events, securityEvent(t0, 1, i, "web01", "4625"))
		events = append(events, securityEvent(t0, 2, i, "web01", "4625"))
	}
	events = append(events, securityEvent(t0, 3, 0, "secret-host", "4625"))
	appendFlush(t, s, events)

	for _, tc := range []struct {
		units []int64
		expr  string
		want  map[int64]int
	}{
		{[]int64{1}, "", map[int64]int{1: 30}},
		{[]int64{2}, `host.name:web01`, map[int64]int{2: 30}},
		{[]int64{1, 2}, "", map[int64]int{1: 30, 2: 30}},
		{[]int64{1}, `khien.unit:2`, map[int64]int{}},
		{[]int64{1}, `host.name:"secret-host"`, map[int64]int{}},
		{[]int64{1}, `* | union (host.name:"secret-host")`, map[int64]int{1: 30}},
		{[]int64{1}, `host.name:in(* | fields host.name)`, map[int64]int{1: 30}},
		{[]int64{4}, "", map[int64]int{}},
	} {
		q := around(tc.units, t0, tc.expr)
		q.Limit = 1000
		got := make(map[int64]int)
		for _, ev := range collect(t, s, q) {
			got[ev.UnitID]++
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("units %v %q: events per unit (-want +got):\n%s", tc.units, tc.expr, diff)
		}
	}

	h, err := s.Hits(t.Context(), around([]int64{3}, t0, ""), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Series) != 1 || h.Series[0].Total != 1 {
		t.Errorf("Hits for unit 3 = %+v, want a total of 1", h.Series)
	}
}

func testTimeRange(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 10 {
		ev := securityEvent(t0, 1, 0, "web01", "4624")
		ev.Time = t0.Add(time.Duration(i) * time.Minute)
		ev.Set("seq", strconv.Itoa(i))
		events = append(events, ev)
	}
	appendFlush(t, s, events)

	q := eventstore.Query{Units: []int64{1}, From: t0.Add(3 * time.Minute), To: t0.Add(6 * time.Minute), Order: eventstore.Oldest}
	var seqs []string
	for _, ev := range collect(t, s, q) {
		seqs = append(seqs, ev.Get("seq"))
	}
	if diff := cmp.Diff([]string{"3", "4", "5"}, seqs); diff != "" {
		t.Errorf("[3m, 6m) (-want +got):\n%s", diff)
	}
	// A time filter in the expression narrows the range, never widens it.
	q.Expr = fmt.Sprintf("_time:>=%s", t0.Format(time.RFC3339))
	if got := collect(t, s, q); len(got) != 3 {
		t.Errorf("with a wider _time filter: %d events, want 3", len(got))
	}
}

func testLogsQLFilter(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 100 {
		host := []string{"web01", "web02", "db01"}[i%3]
		code := []string{"4625", "4624"}[i%2]
		events = append(events, securityEvent(t0, 5, i, host, code))
	}
	appendFlush(t, s, events)

	want := 0
	for _, ev := range events {
		if ev.Get("event.code") == "4625" && ev.Get("host.name") == "web01" {
			want++
		}
	}
	q := around([]int64{5}, t0, `event.code:4625 AND host.name:"web01"`)
	got := collect(t, s, q)
	if len(got) != want {
		t.Fatalf("%s: %d events, want %d", q.Expr, len(got), want)
	}
	for _, ev := range got {
		if ev.Get("event.code") != "4625" || ev.Get("host.name") != "web01" {
			t.Errorf("%s matched %v", q.Expr, ev.Fields)
		}
	}
	// Case-insensitive substring, as hunts use it.
	q.Expr = `i("THẤT BẠI") AND user.name:~"nguyễn"`
	if got := collect(t, s, q); len(got) != 100 {
		t.Errorf("%s: %d events, want 100", q.Expr, len(got))
	}
}

func testStatsAggregate(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 60 {
		host := []string{"web01", "web02", "db01"}[i%3]
		if i >= 45 {
			host = "web01"
		}
		events = append(events, securityEvent(t0, 1, i, host, "4625"))
	}
	events = append(events, securityEvent(t0, 2, 0, "web02", "4625"))
	appendFlush(t, s, events)

	got := make(map[string]string)
	for _, row := range collect(t, s, around([]int64{1}, t0, `* | stats by (host.name) count() n`)) {
		if !row.Time.IsZero() || row.Message != "" {
			t.Errorf("stats row with event parts: %+v", row)
		}
		got[row.Get("host.name")] = row.Get("n")
	}
	want := map[string]string{"web01": "30", "web02": "15", "db01": "15"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats by host (-want +got):\n%s", diff)
	}

	var top []string
	for _, row := range collect(t, s, around([]int64{1}, t0, `* | stats by (host.name) count() n | sort by (n desc, host.name) | limit 2`)) {
		top = append(top, row.Get("host.name")+"="+row.Get("n"))
	}
	if diff := cmp.Diff([]string{"web01=30", "db01=15"}, top); diff != "" {
		t.Errorf("top 2 hosts (-want +got):\n%s", diff)
	}
}

func testOrderLimitFields(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 50 {
		events = append(events, securityEvent(t0, 1, i, "web01", "4625"))
	}
	appendFlush(t, s, events)

	q := around([]int64{1}, t0, "")
	q.Limit = 5
	got := collect(t, s, q)
	if len(got) != 5 {
		t.Fatalf("Limit 5: %d events", len(got))
	}
	for i, ev := range got {
		if want := t0.Add(time.Duration(49-i) * time.Second); !ev.Time.Equal(want) {
			t.Errorf("Newest[%d].Time = %s, want %s", i, ev.Time, want)
		}
	}
	q.Order = eventstore.Oldest
	got = collect(t, s, q)
	for i, ev := range got {
		if want := t0.Add(time.Duration(i) * time.Second); !ev.Time.Equal(want) {
			t.Errorf("Oldest[%d].Time = %s, want %s", i, ev.Time, want)
		}
	}
	q.Order = eventstore.Unordered
	q.Limit = 0
	if got := collect(t, s, q); len(got) != 50 {
		t.Errorf("Unordered, default limit: %d events, want 50", len(got))
	}

	q = around([]int64{1}, t0, "")
	q.Limit = 1
	q.Fields = []string{event.FieldHostName, eventstore.FieldUnit}
	got = collect(t, s, q)
	want := []event.Event{{Time: t0.Add(49 * time.Second), UnitID: 1, Fields: map[string]string{"host.name": "web01"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}

// testOrderManyStreams checks Newest and Oldest with a limit against the
// events' own order, over many streams and shuffled times.
func testOrderManyStreams(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	rng := rand.New(rand.NewPCG(7, 7))
	var events []event.Event
	for i := range 600 {
		ev := securityEvent(t0, 1, 0, fmt.Sprintf("host%02d", rng.IntN(25)), "4625")
		ev.Time = t0.Add(time.Duration(rng.IntN(int(time.Hour))))
		ev.Set("seq", strconv.Itoa(i))
		events = append(events, ev)
	}
	appendFlush(t, s, events)
	byTime := slices.Clone(events)
	slices.SortFunc(byTime, func(a, b event.Event) int { return a.Time.Compare(b.Time) })

	for _, tc := range []struct {
		name  string
		order eventstore.Order
		expr  string
		limit int
	}{
		{"newest", eventstore.Newest, "", 25},
		{"oldest", eventstore.Oldest, "", 25},
		{"newest_filtered", eventstore.Newest, `host.name:~"host0[0-4]"`, 40},
		{"oldest_pipe", eventstore.Oldest, `* | fields _time, seq, host.name`, 10},
		{"newest_subquery", eventstore.Newest, `host.name:in(host.name:~"host1" | fields host.name)`, 30},
	} {
		var want []string
		for i := range byTime {
			ev := byTime[i]
			if tc.order == eventstore.Newest {
				ev = byTime[len(byTime)-1-i]
			}
			h := ev.Get("host.name")
			if tc.name == "newest_filtered" && h > "host04" || tc.name == "newest_subquery" && !strings.HasPrefix(h, "host1") {
				continue
			}
			if len(want) < tc.limit {
				want = append(want, ev.Get("seq"))
			}
		}
		q := eventstore.Query{Units: []int64{1}, From: t0, To: t0.Add(time.Hour), Expr: tc.expr, Order: tc.order, Limit: tc.limit}
		var got []string
		for _, ev := range collect(t, s, q) {
			got = append(got, ev.Get("seq"))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func testHits(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 30 {
		ev := securityEvent(t0, 1, 0, "web01", "4625")
		ev.Time = t0.Add(time.Duration(i) * time.Minute)
		ev.Source.Name = []string{"a", "b", "b", "c", "c", "c"}[i%6]
		events = append(events, ev)
	}
	appendFlush(t, s, events)

	// Buckets start at From, whatever its alignment: [t0-3m, t0+7m), ...
	q := eventstore.Query{Units: []int64{1}, From: t0.Add(-3 * time.Minute), To: t0.Add(32 * time.Minute)}
	h, err := s.Hits(t.Context(), q, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := eventstore.Hits{Start: q.From, Step: 10 * time.Minute, Buckets: 4,
		Series: []eventstore.Series{{Counts: []uint64{7, 10, 10, 3}, Total: 30}}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Hits (-want +got):\n%s", diff)
	}

	q.Limit = 2
	h, err = s.Hits(t.Context(), q, 10*time.Minute, eventstore.FieldSourceName)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sr := range h.Series {
		got = append(got, fmt.Sprintf("%s=%d other=%v %v", sr.Labels[eventstore.FieldSourceName], sr.Total, sr.Other, sr.Counts))
	}
	// Expected counts, computed from the events: c has 15, b 10, a 5
	// (summed as Other).
	counts := map[string][]uint64{"a": make([]uint64, 4), "b": make([]uint64, 4), "c": make([]uint64, 4)}
	for _, ev := range events {
		counts[ev.Source.Name][int(ev.Time.Sub(q.From)/(10*time.Minute))]++
	}
	wantSeries := []string{
		fmt.Sprintf("c=15 other=false %v", counts["c"]),
		fmt.Sprintf("b=10 other=false %v", counts["b"]),
		fmt.Sprintf("=5 other=true %v", counts["a"]),
	}
	if diff := cmp.Diff(wantSeries, got); diff != "" {
		t.Errorf("Hits by source name, limit 2 (-want +got):\n%s", diff)
	}

	q.Expr = `khien.source.name:nothing`
	if h, err = s.Hits(t.Context(), q, time.Minute); err != nil || len(h.Series) != 0 || h.Buckets != 35 {
		t.Errorf("Hits with no match = %+v, %v; want no series, 35 buckets", h, err)
	}
	if _, err := s.Hits(t.Context(), q, time.Millisecond); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Hits with too many buckets: %v, want ErrInvalid", err)
	}
}

func testRetentionCounted(t *testing.T, open Open) {
	s := open(t, eventstore.Retention{Days: 1})
	now := time.Now().UTC()
	ok := securityEvent(now.Add(-time.Hour), 1, 0, "web01", "4625")
	old := securityEvent(now.Add(-49*time.Hour), 1, 1, "web01", "4625")
	older := securityEvent(now.AddDate(-1, 0, 0), 1, 2, "web01", "4625")
	future := securityEvent(now.Add(5*24*time.Hour), 1, 3, "web01", "4625")
	res, err := s.Append(t.Context(), []event.Event{ok, old, older, future})
	if err != nil {
		t.Fatal(err)
	}
	if want := (eventstore.AppendResult{Stored: 1, TooOld: 2, TooNew: 1}); res != want {
		t.Errorf("Append = %+v, want %+v", res, want)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := eventstore.Query{Units: []int64{1}, From: now.AddDate(-2, 0, 0), To: now.AddDate(0, 0, 10)}
	if got := collect(t, s, q); len(got) != 1 || !got[0].Time.Equal(ok.Time) {
		t.Errorf("stored = %v, want only the recent event", got)
	}
}

func testInvalidCounted(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	good := securityEvent(t0, 1, 0, "web01", "4625")
	badUnit := securityEvent(t0, -1, 1, "web01", "4625")
	hugeUnit := securityEvent(t0, eventstore.MaxUnitID+1, 2, "web01", "4625")
	longName := securityEvent(t0, 1, 3, "web01", "4625")
	longName.Set(strings.Repeat("x", 200), "v")
	manyFields := securityEvent(t0, 1, 4, "web01", "4625")
	for i := range 2100 {
		manyFields.Set("f"+strconv.Itoa(i), "v")
	}
	huge := securityEvent(t0, 1, 5, "web01", "4625")
	huge.Message = strings.Repeat("ă", 2<<20)
	maxUnit := securityEvent(t0, eventstore.MaxUnitID, 6, "web01", "4625")
	res, err := s.Append(t.Context(), []event.Event{good, badUnit, hugeUnit, longName, manyFields, huge, maxUnit})
	if err != nil {
		t.Fatal(err)
	}
	if want := (eventstore.AppendResult{Stored: 2, Invalid: 5}); res != want {
		t.Errorf("Append = %+v, want %+v", res, want)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s, around([]int64{eventstore.MaxUnitID}, t0, "")); len(got) != 1 || got[0].UnitID != eventstore.MaxUnitID {
		t.Errorf("largest unit: %+v", got)
	}
}

func testInvalidQueries(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	appendFlush(t, s, []event.Event{securityEvent(t0, 1, 0, "web01", "4625")})
	good := around([]int64{1}, t0, "")
	for name, q := range map[string]eventstore.Query{
		"no_unit":        {From: good.From, To: good.To},
		"negative_unit":  {Units: []int64{-1}, From: good.From, To: good.To},
		"no_from":        {Units: []int64{1}, To: good.To},
		"empty_range":    {Units: []int64{1}, From: good.To, To: good.To},
		"bad_logsql":     {Units: []int64{1}, From: good.From, To: good.To, Expr: `host.name:(`},
		"unknown_pipe":   {Units: []int64{1}, From: good.From, To: good.To, Expr: `* | frobnicate`},
		"ignore_time":    {Units: []int64{1}, From: good.From, To: good.To, Expr: `options(ignore_global_time_filter=true) *`},
		"ignore_time_uc": {Units: []int64{1}, From: good.From, To: good.To, Expr: `OPTIONS(ignore_global_time_filter=true) *`},
		"ignore_time_sub": {Units: []int64{1}, From: good.From, To: good.To,
			Expr: `host.name:in(options(ignore_global_time_filter=true) * | fields host.name)`},
		"negative_limit": {Units: []int64{1}, From: good.From, To: good.To, Limit: -1},
	} {
		err := s.Query(t.Context(), q, func(event.Event) error { return nil })
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: Query error %v, want ErrInvalid", name, err)
		}
		if _, err := s.Hits(t.Context(), q, time.Minute); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: Hits error %v, want ErrInvalid", name, err)
		}
	}
}

func testCallbackError(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	var events []event.Event
	for i := range 100 {
		events = append(events, securityEvent(t0, 1, i, "web01", "4625"))
	}
	appendFlush(t, s, events)
	stop := errors.New("stop")
	for _, order := range []eventstore.Order{eventstore.Newest, eventstore.Unordered} {
		q := around([]int64{1}, t0, "")
		q.Order = order
		calls := 0
		err := s.Query(t.Context(), q, func(event.Event) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 3 {
			t.Errorf("order %d: Query = %v after %d calls, want %v after 3", order, err, calls, stop)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Query(ctx, around([]int64{1}, t0, ""), func(event.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Query: %v, want context.Canceled", err)
	}
}

func testClosed(t *testing.T, open Open) {
	s := openDefault(t, open)
	t0 := base()
	appendFlush(t, s, []event.Event{securityEvent(t0, 1, 0, "web01", "4625")})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	errsAfter := []error{
		func() error {
			_, err := s.Append(ctx, []event.Event{securityEvent(t0, 1, 1, "web01", "4625")})
			return err
		}(),
		s.Query(ctx, around([]int64{1}, t0, ""), func(event.Event) error { return nil }),
		func() error { _, err := s.Hits(ctx, around([]int64{1}, t0, ""), time.Minute); return err }(),
		s.Flush(ctx),
		s.Close(),
	}
	for i, err := range errsAfter {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("call %d after Close: %v, want ErrClosed", i, err)
		}
	}
}
