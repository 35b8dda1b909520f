package sources_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/sources"
)

func save(t testing.TB, tr *sources.Tracker) string {
	t.Helper()
	var b strings.Builder
	if err := tr.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// populate gives tr two sources: "a" still sending, with parse errors,
// and "b", silent and reported so. The clock ends 20 minutes after t0.
func populate(t *testing.T, c *clock, tr *sources.Tracker) {
	t.Helper()
	a := func(n int, perr string) []event.Event {
		batch := repeat(ev("a", "10.0.0.1", c.Now()), n)
		batch[0].UnitID, batch[0].ParseError, batch[0].Message = 3, perr, "bad \xff message"
		batch[0].Set("khien.asset.id", "42")
		return batch
	}
	tr.Observe(a(5, "no PRI"))
	tr.Observe(repeat(ev("b", "", c.Now()), 12))
	c.Add(time.Minute)
	tr.Observe(a(3, "bad date"))
	c.Add(19 * time.Minute)
	tr.Observe(a(2, ""))
	if got := keys(tr.CheckSilent()); !cmp.Equal(got, []sources.Key{syslogKey("b")}) {
		t.Fatalf("CheckSilent = %+v, want b", got)
	}
}

func TestTracker_SaveLoad(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{MaxSources: 2})
	populate(t, c, tr)
	tr.Observe([]event.Event{ev("c", "", c.Now())}) // overflow
	var buf bytes.Buffer
	if err := tr.Save(&buf); err != nil {
		t.Fatal(err)
	}

	// Restart ten minutes later.
	c.Add(10 * time.Minute)
	tr2 := newTracker(c, sources.Options{MaxSources: 2})
	if err := tr2.Load(&buf); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tr.List(), tr2.List()); diff != "" {
		t.Errorf("List after Load (-saved +loaded):\n%s", diff)
	}
	if tr2.Overflow() != 1 {
		t.Errorf("Overflow = %d, want 1", tr2.Overflow())
	}
	a := mustGet(t, tr2, syslogKey("a"))
	const n = 60
	want := make([]float64, n)
	want[n-31], want[n-30], want[n-11] = 5.0/60, 3.0/60, 2.0/60
	if diff := cmp.Diff(want, a.Rate); diff != "" {
		t.Errorf("sparkline shape after a restart (-want +got):\n%s", diff)
	}
	if len(a.Samples) != 2 || a.Samples[0].Reason != "bad date" || a.UnitID != 3 || a.AssetID != "42" {
		t.Errorf("loaded a = %+v", a)
	}
	if got := tr2.CheckSilent(); len(got) != 0 {
		t.Errorf("a source reported silent before the restart is reported again: %+v", keys(got))
	}

	// The loaded tracker goes on counting.
	tr2.Observe([]event.Event{ev("a", "", c.Now())})
	if a := mustGet(t, tr2, syslogKey("a")); a.Events != 11 || a.Rate[n-1] != 1.0/60 {
		t.Errorf("after Load and Observe: events %d, rate now %v", a.Events, a.Rate[n-1])
	}
}

func TestTracker_Save_format(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{})
	e := ev("h", "", c.Now())
	e.UnitID, e.ParseError, e.Message = 2, "no PRI", "x"
	tr.Observe([]event.Event{e, ev("h", "", c.Now().Add(-time.Hour))})
	c.Add(90 * time.Second)
	want := `{"version":1,"saved_at":"2026-03-02T10:01:30Z","bucket_ns":60000000000,"overflow":0,"sources":[` +
		`{"kind":"syslog","name":"syslog-tcp","host":"h","unit_id":2,` +
		`"first_seen":"2026-03-02T09:00:00Z","last_seen":"2026-03-02T10:00:00Z","events":2,"parse_errors":1,"bytes":6,` +
		`"buckets":[{"start":"2026-03-02T10:00:00Z","count":1}],` +
		`"samples":[{"time":"2026-03-02T10:00:00Z","reason":"no PRI","message":"x"}]}]}` + "\n"
	if diff := cmp.Diff(want, save(t, tr)); diff != "" {
		t.Errorf("Save (-want +got):\n%s", diff)
	}
}

func TestTracker_Load_options(t *testing.T) {
	c := newClock()
	tr := newTracker(c, sources.Options{})
	for i := range 6 { // one event a minute, 10:00 to 10:05
		tr.Observe([]event.Event{ev("a", "", c.Now()), ev("b", "", c.Now().Add(-time.Duration(i)*time.Second))})
		if i < 5 {
			c.Add(time.Minute)
		}
	}
	tr.Observe(repeat(ev("c", "", c.Now()), 4))
	state := save(t, tr)

	t.Run("other_bucket_width", func(t *testing.T) {
		tr2 := newTracker(c, sources.Options{Bucket: 5 * time.Minute})
		if err := tr2.Load(strings.NewReader(state)); err != nil {
			t.Fatal(err)
		}
		rate := mustGet(t, tr2, syslogKey("a")).Rate
		want := make([]float64, 12)
		want[10], want[11] = 5.0/300, 1.0/300 // 10:00–10:04, 10:05
		if diff := cmp.Diff(want, rate); diff != "" {
			t.Errorf("Rate (-want +got):\n%s", diff)
		}
	})
	t.Run("fewer_sources", func(t *testing.T) {
		tr2 := newTracker(c, sources.Options{MaxSources: 2})
		if err := tr2.Load(strings.NewReader(state)); err != nil {
			t.Fatal(err)
		}
		// b was last seen 5 s before the others: dropped.
		if got := keys(tr2.List()); !cmp.Equal(got, []sources.Key{syslogKey("a"), syslogKey("c")}) {
			t.Errorf("kept %+v, want a and c", got)
		}
		if tr2.Overflow() != 6 {
			t.Errorf("Overflow = %d, want 6 (b's events)", tr2.Overflow())
		}
	})
	t.Run("fewer_samples", func(t *testing.T) {
		c := newClock()
		tr := newTracker(c, sources.Options{})
		for i := range 5 {
			e := ev("h", "", c.Now())
			e.ParseError = string(rune('a' + i))
			tr.Observe([]event.Event{e})
		}
		tr2 := newTracker(c, sources.Options{Samples: 2})
		if err := tr2.Load(strings.NewReader(save(t, tr))); err != nil {
			t.Fatal(err)
		}
		s := mustGet(t, tr2, syslogKey("h")).Samples
		if len(s) != 2 || s[0].Reason != "e" || s[1].Reason != "d" {
			t.Errorf("samples %+v, want the newest two", s)
		}
	})
	t.Run("long_after", func(t *testing.T) {
		c := &clock{now: c.Now().Add(3 * time.Hour)}
		tr2 := newTracker(c, sources.Options{})
		if err := tr2.Load(strings.NewReader(state)); err != nil {
			t.Fatal(err)
		}
		a := mustGet(t, tr2, syslogKey("a"))
		if a.Events != 6 || !a.LastSeen.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("events %d, last seen %v; want 6, %v", a.Events, a.LastSeen, t0.Add(5*time.Minute))
		}
		for _, r := range a.Rate {
			if r != 0 {
				t.Fatalf("Rate %v: buckets out of the window kept", a.Rate)
			}
		}
	})
	t.Run("clock_behind", func(t *testing.T) {
		c := &clock{now: t0.Add(-time.Hour)}
		tr2 := newTracker(c, sources.Options{})
		if err := tr2.Load(strings.NewReader(state)); err != nil {
			t.Fatal(err)
		}
		if a := mustGet(t, tr2, syslogKey("a")); a.Events != 6 || strings.Contains(save(t, tr2), `"buckets"`) {
			t.Errorf("events %d, buckets from the future kept", a.Events)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestTracker_Load_bad(t *testing.T) {
	const head = `{"version":1,"bucket_ns":60000000000,"sources":[`
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"blank", " \n", "empty input"},
		{"not_json", "hello", "not a sources state"},
		{"array", "[1,2]", "not a sources state"},
		{"null", "null", "no version"},
		{"no_version", `{"sources":[]}`, "no version"},
		{"other_version", `{"version":2}`, "unsupported version 2"},
		{"version_string", `{"version":"1"}`, "not a sources state"},
		{"no_bucket", `{"version":1}`, "bucket_ns 0"},
		{"trailing_data", `{"version":1,"bucket_ns":1} {}`, "not a sources state"},
		{"truncated", head + `{"kind":"syslog"`, "not a sources state"},
		{"bad_time", head + `{"kind":"syslog","last_seen":"yesterday"}]}`, "cannot parse"},
		{"year_out_of_range", head + `{"kind":"syslog","last_seen":"0000-01-01T00:00:00+01:00"}]}`, "out of range"},
		{"sample_year_out_of_range", head + `{"kind":"syslog","samples":[{"time":"9999-12-31T23:00:00-02:00"}]}]}`, "out of range"},
		{"negative_count", head + `{"kind":"syslog","events":-1}]}`, "cannot unmarshal"},
		{"twice", head + `{"kind":"syslog","host":"h"},{"kind":"syslog","host":"h"}]}`, "source 1 (syslog//h): listed twice"},
		{"parse_errors", head + `{"kind":"syslog","events":1,"parse_errors":2}]}`, "2 parse errors in 1 events"},
		{"first_after_last", head + `{"kind":"syslog","first_seen":"2026-03-02T10:00:00Z","last_seen":"2026-03-02T09:00:00Z"}]}`, "first_seen after last_seen"},
		{"bucket_sum", head + `{"kind":"syslog","events":1,"buckets":[{"start":"2026-03-02T10:00:00Z","count":2}]}]}`, "2 events in buckets but 1"},
		{"bucket_sum_wraps", head + `{"kind":"syslog","events":5,"buckets":[{"start":"2026-03-02T10:00:00Z","count":18446744073709551615},{"start":"2026-03-02T10:00:00Z","count":2}]}]}`, "events in buckets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tr := newTracker(c, sources.Options{})
			populate(t, c, tr)
			before := save(t, tr)
			err := tr.Load(strings.NewReader(tt.in))
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "load sources: ") {
				t.Errorf("Load = %v, want an ErrInvalid saying %q", err, tt.want)
			}
			if diff := cmp.Diff(before, save(t, tr)); diff != "" {
				t.Errorf("a failed Load changed the tracker (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("read_error", func(t *testing.T) {
		tr := newTracker(newClock(), sources.Options{})
		err := tr.Load(failingReader{})
		if err == nil || errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("Load = %v, want the read error", err)
		}
	})
}

func TestTracker_SaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sources.json")
	c := newClock()
	tr := newTracker(c, sources.Options{})

	if err := tr.LoadFile(path); err != nil {
		t.Fatalf("LoadFile of a missing file = %v", err)
	}
	populate(t, c, tr)
	if err := tr.LoadFile(path); err != nil || tr.Len() != 2 {
		t.Fatalf("LoadFile of a missing file = %v and left %d sources, want nil and 2", err, tr.Len())
	}
	for range 2 { // the second replaces the first
		if err := tr.SaveFile(path); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "sources.json" {
		t.Errorf("directory holds %v, want only sources.json", entries)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("stat = %v, %v; want mode 0600", fi, err)
	}

	tr2 := newTracker(c, sources.Options{})
	if err := tr2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tr.List(), tr2.List()); diff != "" {
		t.Errorf("LoadFile (-saved +loaded):\n%s", diff)
	}

	t.Run("garbage", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte("{\"version\":1,"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := tr2.LoadFile(bad)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), bad) {
			t.Errorf("LoadFile = %v, want ErrInvalid naming the file", err)
		}
	})
	t.Run("no_directory", func(t *testing.T) {
		err := tr.SaveFile(filepath.Join(dir, "missing", "sources.json"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("SaveFile = %v, want ErrNotExist", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if err := tr2.LoadFile(dir); err == nil || errors.Is(err, errs.ErrInvalid) {
			t.Errorf("LoadFile of a directory = %v, want a read error", err)
		}
	})
}

// FuzzLoad checks that Load never panics, that a rejected input leaves the
// tracker unchanged and that what it accepts saves to a state that loads
// back to the same thing.
func FuzzLoad(f *testing.F) {
	c := newClock()
	tr := newTracker(c, sources.Options{MaxSources: 3})
	for i := range 5 {
		e := ev(string(rune('a'+i)), "", c.Now())
		e.ParseError, e.Message = "bad", "msg ệ"
		tr.Observe(repeat(e, 11))
		c.Add(7 * time.Minute)
	}
	_ = tr.CheckSilent()
	f.Add([]byte(save(f, tr)))
	f.Add([]byte(`{"version":1,"bucket_ns":60000000000,"sources":[{"kind":"syslog","host":"h","events":3,"buckets":[{"start":"2026-03-02T10:30:00Z","count":2},{"start":"2026-03-02T09:00:00Z","count":1}],"samples":[{"reason":"\xff","message":"x"}]}]}`))
	f.Add([]byte(`{"version":1,"bucket_ns":1,"overflow":18446744073709551615,"sources":[{"kind":"a","events":18446744073709551615},{"kind":"b"},{"kind":"c"},{"kind":"d","last_seen":"0001-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, data []byte) {
		c := &clock{now: t0.Add(40 * time.Minute)}
		tr := newTracker(c, sources.Options{MaxSources: 3, Samples: 2})
		tr.Observe([]event.Event{ev("seed", "", c.Now())})
		before := save(t, tr)
		if err := tr.Load(bytes.NewReader(data)); err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Load = %v, not ErrInvalid", err)
			}
			if after := save(t, tr); after != before {
				t.Fatalf("a failed Load changed the tracker:\n%s\n%s", before, after)
			}
			return
		}
		_ = tr.List()
		_ = tr.CheckSilent()
		once := save(t, tr)
		tr2 := newTracker(c, sources.Options{MaxSources: 3, Samples: 2})
		if err := tr2.Load(strings.NewReader(once)); err != nil {
			t.Fatalf("Load of a saved state = %v\n%s", err, once)
		}
		if twice := save(t, tr2); twice != once {
			t.Fatalf("save, load, save differs:\n%s\n%s", once, twice)
		}
		tr2.Observe([]event.Event{ev("seed", "", c.Now())})
	})
}
