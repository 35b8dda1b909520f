package sources_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/sources"
)

// t0 starts a one-minute bucket.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// clock is a fake clock safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTracker(c *clock, opts sources.Options) *sources.Tracker {
	opts.Now = c.Now
	return sources.New(opts)
}

// ev returns an event of a syslog listener from host (or, when host is
// empty, from addr), received at.
func ev(host, addr string, at time.Time) event.Event {
	e := event.Event{
		Received: at,
		Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: addr},
		Message:  "hello",
	}
	e.Set(event.FieldHostName, host)
	return e
}

func repeat(e event.Event, n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = e
	}
	return out
}

func mustGet(t *testing.T, tr *sources.Tracker, k sources.Key) sources.Source {
	t.Helper()
	s, ok := tr.Get(k)
	if !ok {
		t.Fatalf("no source %+v; have %+v", k, keys(tr.List()))
	}
	return s
}

func keys(list []sources.Source) []sources.Key {
	out := make([]sources.Key, len(list))
	for i, s := range list {
		out[i] = s.Key
	}
	return out
}

func syslogKey(host string) sources.Key {
	return sources.Key{Kind: event.KindSyslog, Name: "syslog-tcp", Host: host}
}

func TestKeyOf(t *testing.T) {
	tests := []struct {
		name       string
		host, addr string
		want       string
	}{
		{"host_name_lowered", "WEB-01.Example.COM", "10.0.0.1", "web-01.example.com"},
		{"ipv4", "", "10.0.0.1", "10.0.0.1"},
		{"ipv4_port", "", "10.0.0.1:514", "10.0.0.1"},
		{"ipv6", "", "2001:db8::1", "2001:db8::1"},
		{"ipv6_port", "", "[2001:db8::1]:514", "2001:db8::1"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ev(tt.host, tt.addr, t0)
			want := syslogKey(tt.want)
			if got := sources.KeyOf(&e); got != want {
				t.Errorf("KeyOf = %+v, want %+v", got, want)
			}
			// Observe must agree with KeyOf.
			tr := newTracker(newClock(), sources.Options{})
			tr.Observe([]event.Event{e})
			if got := keys(tr.List()); !cmp.Equal(got, []sources.Key{want}) {
				t.Errorf("Observe keys = %+v, want %+v", got, want)
			}
		})
	}
}

func TestTracker_Observe(t *testing.T) {
	c := newClock()
	c.Add(30 * time.Second)
	tr := newTracker(c, sources.Options{})

	a := func(unit int64, asset, perr string, at time.Time) event.Event {
		e := ev("Web-01", "10.0.0.1", at)
		e.UnitID, e.ParseError, e.Message = unit, perr, "0123456789"
		e.Set(attribute.FieldAssetID, asset)
		return e
	}
	batch := []event.Event{
		a(3, "7", "", t0.Add(10*time.Second)),
		a(0, "", "bad", t0.Add(5*time.Second)),
		ev("", "192.0.2.9:601", time.Time{}),  // no receive time: now
		a(4, "8", "", t0.Add(20*time.Second)), // last unit and asset win
		a(0, "", "", t0.Add(time.Hour)),       // from the future: now
		a(0, "", "worse", t0.Add(15*time.Second)),
	}
	tr.Observe(batch)
	tr.Observe(nil)

	got := mustGet(t, tr, syslogKey("web-01"))
	if got.Events != 5 || got.ParseErrors != 2 || got.Bytes != 50 {
		t.Errorf("events, parse errors, bytes = %d, %d, %d, want 5, 2, 50", got.Events, got.ParseErrors, got.Bytes)
	}
	if got.UnitID != 4 || got.AssetID != "8" {
		t.Errorf("unit, asset = %d, %q, want 4, \"8\"", got.UnitID, got.AssetID)
	}
	if !got.FirstSeen.Equal(t0.Add(5*time.Second)) || !got.LastSeen.Equal(c.Now()) {
		t.Errorf("first, last seen = %v, %v, want %v, %v", got.FirstSeen, got.LastSeen, t0.Add(5*time.Second), c.Now())
	}
	if got.Silent {
		t.Error("a new source is silent")
	}
	other := mustGet(t, tr, syslogKey("192.0.2.9"))
	if other.Events != 1 || !other.LastSeen.Equal(c.Now()) || other.UnitID != 0 || other.AssetID != "" {
		t.Errorf("sender by address = %+v", other)
	}

	// A second batch adds up and keeps the last unit and asset when its
	// events have none.
	c.Add(time.Minute)
	tr.Observe([]event.Event{a(0, "", "", c.Now())})
	got = mustGet(t, tr, syslogKey("web-01"))
	if got.Events != 6 || got.UnitID != 4 || got.AssetID != "8" || !got.LastSeen.Equal(c.Now()) || !got.FirstSeen.Equal(t0.Add(5*time.Second)) {
		t.Errorf("after a second batch: %+v", got)
	}
	if _, ok := tr.Get(syslogKey("nobody")); ok {
		t.Error("Get of an unknown key found something")
	}
}

func TestTracker_List_sorted(t *testing.T) {
	tr := newTracker(newClock(), sources.Options{})
	var batch []event.Event
	for _, k := range []sources.Key{{"syslog", "b", "h1"}, {"bulk", "z", "h2"}, {"syslog", "a", "h9"}, {"syslog", "a", "h1"}, {"syslog", "a", ""}} {
		batch = append(batch, event.Event{Source: event.Source{Kind: k.Kind, Name: k.Name}, Fields: map[string]string{event.FieldHostName: k.Host}})
	}
	tr.Observe(batch)
	want := []sources.Key{{"bulk", "z", "h2"}, {"syslog", "a", ""}, {"syslog", "a", "h1"}, {"syslog", "a", "h9"}, {"syslog", "b", "h1"}}
	if diff := cmp.Diff(want, keys(tr.List())); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
}

func TestTracker_Rate(t *testing.T) {
	const n = 60 // buckets
	type step struct {
		advance time.Duration
		ago     []time.Duration // one event received this long before now, each
	}
	tests := []struct {
		name  string
		steps []step
		want  map[int]float64 // index in Rate → events/s; the others are 0
	}{
		{
			name:  "current_bucket",
			steps: []step{{ago: []time.Duration{0, 0, 0}}},
			want:  map[int]float64{n - 1: 3.0 / 60},
		},
		{
			name:  "received_in_earlier_buckets",
			steps: []step{{advance: 5 * time.Minute, ago: []time.Duration{0, time.Minute, time.Minute, 3*time.Minute + time.Second}}},
			want:  map[int]float64{n - 1: 1.0 / 60, n - 2: 2.0 / 60, n - 5: 1.0 / 60},
		},
		{
			name: "rolls_over",
			steps: []step{
				{ago: []time.Duration{0, 0}},
				{advance: 10 * time.Minute, ago: []time.Duration{0}},
			},
			want: map[int]float64{n - 11: 2.0 / 60, n - 1: 1.0 / 60},
		},
		{
			name:  "no_events_since",
			steps: []step{{ago: []time.Duration{0, 0}}, {advance: 59 * time.Minute}},
			want:  map[int]float64{0: 2.0 / 60},
		},
		{
			name:  "out_of_the_window",
			steps: []step{{ago: []time.Duration{0, 0}}, {advance: 60 * time.Minute}},
			want:  map[int]float64{},
		},
		{
			name: "gap_longer_than_the_window",
			steps: []step{
				{ago: []time.Duration{0, 0}},
				{advance: 30 * time.Minute, ago: []time.Duration{0}},
				{advance: 3 * time.Hour, ago: []time.Duration{0, 0, 0, 0}},
			},
			want: map[int]float64{n - 1: 4.0 / 60},
		},
		{
			name: "gap_a_little_shorter_than_the_window",
			steps: []step{
				{ago: []time.Duration{0}},
				{advance: 59 * time.Minute, ago: []time.Duration{0, 0}},
			},
			want: map[int]float64{0: 1.0 / 60, n - 1: 2.0 / 60},
		},
		{
			name:  "received_before_the_window",
			steps: []step{{advance: 2 * time.Hour, ago: []time.Duration{time.Hour, 61 * time.Minute, 0}}},
			want:  map[int]float64{n - 1: 1.0 / 60},
		},
		{
			name: "late_event_after_the_ring_moved",
			steps: []step{
				{ago: []time.Duration{0}},
				{advance: 2 * time.Minute, ago: []time.Duration{0, 60 * time.Second}},
			},
			want: map[int]float64{n - 3: 1.0 / 60, n - 2: 1.0 / 60, n - 1: 1.0 / 60},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tr := newTracker(c, sources.Options{})
			var total uint64
			for _, s := range tt.steps {
				c.Add(s.advance)
				var batch []event.Event
				for _, ago := range s.ago {
					batch = append(batch, ev("h", "", c.Now().Add(-ago)))
				}
				tr.Observe(batch)
				total += uint64(len(batch))
			}
			got := mustGet(t, tr, syslogKey("h"))
			want := make([]float64, n)
			for i, v := range tt.want {
				want[i] = v
			}
			if diff := cmp.Diff(want, got.Rate); diff != "" {
				t.Errorf("Rate (-want +got):\n%s", diff)
			}
			if got.Events != total {
				t.Errorf("Events = %d, want %d", got.Events, total)
			}
		})
	}
}

func TestTracker_Rate_buckets(t *testing.T) {
	tests := []struct {
		name           string
		bucket, window time.Duration
		want           int
	}{
		{"defaults", 0, 0, 60},
		{"five_minutes_a_day", 5 * time.Minute, 24 * time.Hour, 288},
		{"window_shorter_than_bucket", time.Minute, time.Second, 1},
		{"too_many", time.Second, 24 * time.Hour, 1440},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(newClock(), sources.Options{Bucket: tt.bucket, Window: tt.window})
			tr.Observe([]event.Event{ev("h", "", t0)})
			if got := len(mustGet(t, tr, syslogKey("h")).Rate); got != tt.want {
				t.Errorf("len(Rate) = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTracker_Samples(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{})
	bad := func(i int) event.Event {
		e := ev("h", "", c.Now())
		e.ParseError, e.Message = fmt.Sprintf("error %d", i), fmt.Sprintf("message %d", i)
		return e
	}
	tr.Observe([]event.Event{bad(1), bad(2), ev("h", "", c.Now()), bad(3)})
	c.Add(time.Second)
	tr.Observe([]event.Event{bad(4), bad(5), bad(6), ev("h", "", c.Now()), bad(7)})

	got := mustGet(t, tr, syslogKey("h"))
	var reasons []string
	for _, s := range got.Samples {
		reasons = append(reasons, s.Reason)
		wantTime := c.Now()
		if s.Reason == "error 3" {
			wantTime = t0 // from the first batch
		}
		if !s.Time.Equal(wantTime) || s.Message != "message"+strings.TrimPrefix(s.Reason, "error") {
			t.Errorf("sample %+v", s)
		}
	}
	want := []string{"error 7", "error 6", "error 5", "error 4", "error 3"}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("samples, newest first (-want +got):\n%s", diff)
	}
	if got.ParseErrors != 7 {
		t.Errorf("ParseErrors = %d, want 7", got.ParseErrors)
	}

	t.Run("none_kept", func(t *testing.T) {
		tr := newTracker(newClock(), sources.Options{Samples: -1})
		tr.Observe([]event.Event{bad(1)})
		if s := mustGet(t, tr, syslogKey("h")); len(s.Samples) != 0 || s.ParseErrors != 1 {
			t.Errorf("samples %+v, parse errors %d; want none, 1", s.Samples, s.ParseErrors)
		}
	})
}

func TestTracker_Samples_truncation(t *testing.T) {
	tests := []struct {
		name          string
		reason, msg   string
		wantReason    string
		wantMsgPrefix string
		wantMsgLen    int
	}{
		{
			name:   "short",
			reason: "no PRI", msg: "<x>hello",
			wantReason: "no PRI", wantMsgPrefix: "<x>hello", wantMsgLen: 8,
		},
		{
			name:   "ascii",
			reason: strings.Repeat("r", 1000), msg: strings.Repeat("m", 1000),
			wantReason: strings.Repeat("r", 300), wantMsgPrefix: strings.Repeat("m", 500), wantMsgLen: 500,
		},
		{
			name:   "two_byte_characters",
			reason: "x", msg: strings.Repeat("é", 400), // 800 bytes
			wantReason: "x", wantMsgPrefix: strings.Repeat("é", 250), wantMsgLen: 500,
		},
		{
			name:   "three_byte_character_across_the_limit",
			reason: "x", msg: "a" + strings.Repeat("ệ", 200), // 1 + 600 bytes; 1+3*166 = 499
			wantReason: "x", wantMsgPrefix: "a" + strings.Repeat("ệ", 166), wantMsgLen: 499,
		},
		{
			name:   "reason_cut_in_a_character",
			reason: strings.Repeat("ab", 149) + "🙂🙂", msg: "m", // 298 + 8 bytes
			wantReason: strings.Repeat("ab", 149), wantMsgPrefix: "m", wantMsgLen: 1,
		},
		{
			name:   "invalid_utf8",
			reason: "bad\xffbyte", msg: "\xfe\xffok",
			wantReason: "bad\uFFFDbyte", wantMsgPrefix: "\uFFFD\uFFFDok", wantMsgLen: 8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(newClock(), sources.Options{})
			e := ev("h", "", t0)
			e.ParseError, e.Message = tt.reason, tt.msg
			tr.Observe([]event.Event{e})
			s := mustGet(t, tr, syslogKey("h")).Samples
			if len(s) != 1 {
				t.Fatalf("%d samples, want 1", len(s))
			}
			if s[0].Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", s[0].Reason, tt.wantReason)
			}
			if !strings.HasPrefix(s[0].Message, tt.wantMsgPrefix) || len(s[0].Message) != tt.wantMsgLen {
				t.Errorf("Message = %q (%d bytes), want %q… (%d bytes)", s[0].Message, len(s[0].Message), tt.wantMsgPrefix, tt.wantMsgLen)
			}
			if !utf8.ValidString(s[0].Reason) || !utf8.ValidString(s[0].Message) {
				t.Error("sample is not valid UTF-8")
			}
			if len(s[0].Reason) > sources.MaxSampleReason || len(s[0].Message) > sources.MaxSampleMessage {
				t.Error("sample over the limits")
			}
		})
	}
}

func TestTracker_CheckSilent(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{}) // 10 events, 15 minutes
	send := func(host string, n int) { tr.Observe(repeat(ev(host, "", c.Now()), n)) }
	reported := func() []string {
		var hosts []string
		for _, s := range tr.CheckSilent() {
			if !s.Silent || !s.SilentSince.Equal(s.LastSeen) {
				t.Errorf("reported %+v: not marked silent since last seen", s.Key)
			}
			hosts = append(hosts, s.Host)
		}
		return hosts
	}
	check := func(step string, want ...string) {
		t.Helper()
		if diff := cmp.Diff(want, reported()); diff != "" {
			t.Errorf("%s: CheckSilent (-want +got):\n%s", step, diff)
		}
	}

	send("steady", 10)
	send("other", 12)
	send("sparse", 9) // never sent enough to count
	check("at once")

	c.Add(15 * time.Minute)
	check("15 minutes: not older than SilentAfter yet")
	last := c.Now().Add(-15 * time.Minute)

	c.Add(time.Second)
	check("just after", "other", "steady")
	check("reported once")
	if s := mustGet(t, tr, syslogKey("steady")); !s.Silent || !s.SilentSince.Equal(last) {
		t.Errorf("List: silent, since = %v, %v; want true, %v", s.Silent, s.SilentSince, last)
	}
	if s := mustGet(t, tr, syslogKey("sparse")); s.Silent {
		t.Error("a source with fewer than MinEvents events is silent")
	}

	c.Add(time.Hour)
	check("still silent an hour later")

	send("steady", 1) // re-arms
	if s := mustGet(t, tr, syslogKey("steady")); s.Silent || !s.SilentSince.IsZero() {
		t.Errorf("a source that sent again: silent, since = %v, %v", s.Silent, s.SilentSince)
	}
	check("sent again")
	c.Add(10 * time.Minute)
	check("10 minutes after")
	c.Add(6 * time.Minute)
	check("silent again", "steady")
	check("reported once again")

	t.Run("options", func(t *testing.T) {
		c := newClock()
		tr := newTracker(c, sources.Options{SilentAfter: time.Minute, MinEvents: 1})
		tr.Observe([]event.Event{ev("h", "", c.Now())})
		c.Add(61 * time.Second)
		if got := tr.CheckSilent(); len(got) != 1 || got[0].Host != "h" {
			t.Errorf("CheckSilent = %+v, want h", keys(got))
		}
	})
}

func TestTracker_MaxSources(t *testing.T) {
	tr := newTracker(newClock(), sources.Options{MaxSources: 2})
	tr.Observe(append(repeat(ev("a", "", t0), 3), ev("b", "", t0), ev("c", "", t0), ev("c", "", t0), ev("a", "", t0)))
	if tr.Len() != 2 || tr.Overflow() != 2 {
		t.Fatalf("Len, Overflow = %d, %d, want 2, 2", tr.Len(), tr.Overflow())
	}
	tr.Observe([]event.Event{ev("d", "", t0), ev("a", "", t0)})
	if got := mustGet(t, tr, syslogKey("a")).Events; got != 5 {
		t.Errorf("a tracked source still counts: Events = %d, want 5", got)
	}
	if tr.Overflow() != 3 {
		t.Errorf("Overflow = %d, want 3", tr.Overflow())
	}
	tr.Forget(syslogKey("b"))
	tr.Observe([]event.Event{ev("d", "", t0)})
	if _, ok := tr.Get(syslogKey("d")); !ok || tr.Len() != 2 {
		t.Errorf("after Forget a new source is tracked: %+v", keys(tr.List()))
	}
}

func TestTracker_Forget(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{})
	tr.Observe(repeat(ev("h", "", t0), 20))
	tr.Forget(syslogKey("h"))
	tr.Forget(syslogKey("never-seen"))
	if tr.Len() != 0 {
		t.Fatalf("Len = %d after Forget", tr.Len())
	}
	c.Add(time.Hour)
	if got := tr.CheckSilent(); len(got) != 0 {
		t.Errorf("a forgotten source reported silent: %+v", keys(got))
	}
	tr.Observe([]event.Event{ev("h", "", c.Now())})
	if s := mustGet(t, tr, syslogKey("h")); s.Events != 1 || !s.FirstSeen.Equal(c.Now()) {
		t.Errorf("a forgotten source that sends again starts afresh: %+v", s)
	}
}

func TestTracker_concurrent(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{MaxSources: 50})
	const writers, batches, size = 4, 50, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range batches {
				batch := make([]event.Event, size)
				for j := range batch {
					batch[j] = ev(fmt.Sprintf("h%d", (w+j)%8), "", c.Now())
					if j%10 == 0 {
						batch[j].ParseError = "bad"
					}
				}
				tr.Observe(batch)
				if i%10 == 0 {
					c.Add(time.Minute)
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = tr.List()
			_ = tr.CheckSilent()
			_, _ = tr.Get(syslogKey("h1"))
			_ = tr.Overflow()
			tr.Forget(syslogKey("never-seen"))
			if err := tr.Save(&strings.Builder{}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	var events, perrs uint64
	for _, s := range tr.List() {
		events += s.Events
		perrs += s.ParseErrors
	}
	if events != writers*batches*size || perrs != events/10 || tr.Overflow() != 0 {
		t.Errorf("events, parse errors, overflow = %d, %d, %d; want %d, %d, 0", events, perrs, tr.Overflow(), writers*batches*size, writers*batches*size/10)
	}
}

func TestTracker_Observe_large_batches(t *testing.T) {
	tests := []struct {
		name            string
		events, senders int
	}{
		{"many_senders_interleaved", 4000, 40}, // more groups than a linear search serves
		{"more_than_a_chunk", 69999, 3},        // a multiple of 3 above 65,536
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tr := newTracker(c, sources.Options{})
			batch := make([]event.Event, tt.events)
			for i := range batch {
				s := i % tt.senders
				batch[i] = ev(fmt.Sprintf("Host-%d", s), "", c.Now())
				batch[i].UnitID = int64(s)
				batch[i].Set("khien.asset.id", fmt.Sprint(i)) // the last one wins
			}
			tr.Observe(batch)
			list := tr.List()
			if len(list) != tt.senders {
				t.Fatalf("%d sources, want %d", len(list), tt.senders)
			}
			for _, s := range list {
				var n int
				if _, err := fmt.Sscanf(s.Host, "host-%d", &n); err != nil {
					t.Fatal(err)
				}
				last := tt.events - tt.senders + n
				if s.Events != uint64(tt.events/tt.senders) || s.UnitID != int64(n) || s.AssetID != fmt.Sprint(last) {
					t.Errorf("%s: events %d, unit %d, asset %s; want %d, %d, %d", s.Host, s.Events, s.UnitID, s.AssetID, tt.events/tt.senders, n, last)
				}
				if got, want := s.Rate[len(s.Rate)-1], float64(s.Events)/60; got != want {
					t.Errorf("%s: rate %v, want %v", s.Host, got, want)
				}
			}
		})
	}
}

func TestVisible(t *testing.T) {
	list := []sources.Source{{Key: sources.Key{Host: "a"}, UnitID: 2}, {Key: sources.Key{Host: "b"}}, {Key: sources.Key{Host: "c"}, UnitID: 3}}
	got := sources.Visible(list, 1, func(u int64) bool { return u == 1 || u == 3 })
	if len(got) != 2 || got[0].Host != "b" || got[1].Host != "c" {
		t.Errorf("Visible = %+v, want b (default unit) and c", got)
	}
	if got := sources.Visible(nil, 1, func(int64) bool { return true }); got == nil || len(got) != 0 {
		t.Errorf("sources.Visible(nil) = %#v, want an empty, non-nil list", got)
	}
}
