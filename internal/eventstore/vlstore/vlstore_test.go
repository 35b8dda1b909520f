package vlstore_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
)

func open(t *testing.T, dir string, opts vlstore.Options) *vlstore.Store {
	t.Helper()
	s, err := vlstore.Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	eventstoretest.CloseAtCleanup(t, s)
	return s
}

func TestConformance(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T, r eventstore.Retention) eventstore.Store {
		return open(t, t.TempDir(), vlstore.Options{Retention: r})
	})
}

func sample(t0 time.Time, unit int64, i int) event.Event {
	ev := event.Event{
		Time:     t0.Add(time.Duration(i) * time.Second),
		Received: t0.Add(time.Duration(i) * time.Second),
		UnitID:   unit,
		Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "10.1.2.3"},
		Message:  "Phiên đăng nhập SSH bị từ chối",
	}
	ev.Set(event.FieldHostName, "web01")
	ev.Set(event.FieldEventCode, "4625")
	return ev
}

func count(t *testing.T, s eventstore.Store, units []int64, t0 time.Time) int {
	t.Helper()
	n := 0
	q := eventstore.Query{Units: units, From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Limit: 100_000, Order: eventstore.Unordered}
	if err := s.Query(t.Context(), q, func(event.Event) error { n++; return nil }); err != nil {
		t.Fatalf("Query: %v", err)
	}
	return n
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().UTC().Add(-time.Hour)
	s, err := vlstore.Open(t.Context(), dir, vlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var events []event.Event
	for i := range 1000 {
		events = append(events, sample(t0, 9, i))
	}
	// No Flush: Close must write what is pending.
	if _, err := s.Append(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, vlstore.Options{})
	if n := count(t, s, []int64{9}, t0); n != 1000 {
		t.Errorf("after reopen: %d events, want 1000", n)
	}
	u, err := s.Usage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if u.Rows != 1000 || u.DiskBytes <= 0 || u.Partitions != 1 || u.Oldest.IsZero() || u.ReadOnly {
		t.Errorf("Usage = %+v", u)
	}
}

func TestOpenLockedDir(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, vlstore.Options{})

	// A second store on the same directory, in this process: an error, not
	// the library's panic.
	if _, err := vlstore.Open(t.Context(), dir, vlstore.Options{}); !errors.Is(err, eventstore.ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	// The first store is unharmed.
	t0 := time.Now().UTC()
	if _, err := s.Append(t.Context(), []event.Event{sample(t0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, vlstore.Options{})
	if n := count(t, s2, []int64{1}, t0); n != 1 {
		t.Errorf("after reopen: %d events, want 1", n)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		dir  string
		opts vlstore.Options
	}{
		"no_dir":          {"", vlstore.Options{}},
		"dir_is_file":     {file, vlstore.Options{}},
		"negative_days":   {t.TempDir(), vlstore.Options{Retention: eventstore.Retention{Days: -1}}},
		"tiny_budget":     {t.TempDir(), vlstore.Options{MemoryBudget: 1 << 20}},
		"short_flush":     {t.TempDir(), vlstore.Options{FlushInterval: time.Millisecond}},
		"negative_limits": {t.TempDir(), vlstore.Options{MaxLimit: -1}},
	} {
		if s, err := vlstore.Open(t.Context(), tc.dir, tc.opts); err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
}

func TestMemoryBudget(t *testing.T) {
	s := open(t, t.TempDir(), vlstore.Options{})
	if got, want := s.MemoryBudget(), vlstore.DefaultOptions().MemoryBudget; got != want {
		t.Errorf("MemoryBudget() = %d, want %d (not sized from the machine's RAM)", got, want)
	}
	if f := flag.Lookup("memory.allowedBytes"); f == nil || f.Value.String() == "0" {
		t.Errorf("memory.allowedBytes = %v, want the budget", f)
	}
}

// khienArgs are flags as Khiên's CLI parses them, with its own FlagSet.
var khienArgs = []string{"--data", "/var/lib/khien", "--listen", ":8443", "--log-level", "debug"}

// checkKhienFlags parses khienArgs the way the CLI does.
func checkKhienFlags(t *testing.T) {
	t.Helper()
	fs := flag.NewFlagSet("khien serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	config.BindFlags(fs)
	if err := fs.Parse(khienArgs); err != nil {
		t.Fatalf("Khiên flags after opening the store: %v", err)
	}
	if fs.Lookup("data").Value.String() != "/var/lib/khien" {
		t.Errorf("--data = %q", fs.Lookup("data").Value)
	}
}

// TestFlagsDoNotClash checks that importing the library (which registers
// its flags on flag.CommandLine) and opening a store leave Khiên's own
// flag parsing working, and that none of Khiên's flag names is one of the
// library's, so that moving a flag to the global set would not panic.
func TestFlagsDoNotClash(t *testing.T) {
	open(t, t.TempDir(), vlstore.Options{})
	checkKhienFlags(t)

	fs := flag.NewFlagSet("khien", flag.ContinueOnError)
	config.BindFlags(fs)
	var engineFlags int
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "test.") {
			engineFlags++
		}
		if fs.Lookup(f.Name) != nil && !strings.HasPrefix(f.Name, "test.") {
			t.Errorf("Khiên flag --%s is also registered by the engine on flag.CommandLine", f.Name)
		}
	})
	if engineFlags == 0 || flag.Lookup("loggerLevel") == nil {
		t.Errorf("expected the engine's flags on flag.CommandLine (found %d)", engineFlags)
	}
}

// TestUnparsedCommandLine runs a store in a child process whose global flag
// set was never parsed, as in the khien binary: the library panics in that
// case unless the store handles it.
func TestUnparsedCommandLine(t *testing.T) {
	if os.Getenv("VLSTORE_CHILD") == "1" {
		childUnparsed()
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestUnparsedCommandLine$", "-test.v")
	cmd.Env = append(os.Environ(), "VLSTORE_CHILD=1", "VLSTORE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// childUnparsed replaces flag.CommandLine by an unparsed copy (the testing
// package parsed the original) and uses a store, then Khiên's flags.
func childUnparsed() {
	fresh := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	flag.CommandLine.VisitAll(func(f *flag.Flag) { fresh.Var(f.Value, f.Name, f.Usage) })
	flag.CommandLine = fresh
	fail := func(msg string, err error) {
		os.Stdout.WriteString("child failed: " + msg + ": " + err.Error() + "\n")
		os.Exit(1)
	}
	if flag.Parsed() {
		fail("setup", errors.New("flag set already parsed"))
	}
	ctx := context.Background()
	s, err := vlstore.Open(ctx, os.Getenv("VLSTORE_DIR"), vlstore.Options{})
	if err != nil {
		fail("open", err)
	}
	t0 := time.Now().UTC()
	if _, err := s.Append(ctx, []event.Event{sample(t0, 1, 0)}); err != nil {
		fail("append", err)
	}
	if err := s.Flush(ctx); err != nil {
		fail("flush", err)
	}
	n := 0
	q := eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Expr: "* | sort by (_time) | stats count()"}
	if err := s.Query(ctx, q, func(event.Event) error { n++; return nil }); err != nil || n != 1 {
		fail("query", errors.Join(err, errors.New("rows: "+string(rune('0'+n)))))
	}
	if err := s.Close(); err != nil {
		fail("close", err)
	}
	fs := flag.NewFlagSet("khien serve", flag.ContinueOnError)
	config.BindFlags(fs)
	if err := fs.Parse(khienArgs); err != nil {
		fail("khien flags", err)
	}
	if len(flag.Args()) != 0 {
		fail("os.Args", errors.New("the store consumed command-line arguments"))
	}
	os.Stdout.WriteString("child ok\n")
	os.Exit(0)
}

func TestFlushAfterClose(t *testing.T) {
	s := open(t, t.TempDir(), vlstore.Options{})
	if err := s.Flush(t.Context()); err != nil {
		t.Fatalf("Flush on an empty store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestQueryTimeout(t *testing.T) {
	s := open(t, t.TempDir(), vlstore.Options{})
	t0 := time.Now().UTC().Add(-time.Minute)
	events := make([]event.Event, 0, 1000)
	for i := range 1000 {
		events = append(events, sample(t0, 1, i))
	}
	if _, err := s.Append(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Timeout: time.Nanosecond, Order: eventstore.Unordered}
	err := s.Query(t.Context(), q, func(event.Event) error { time.Sleep(time.Millisecond); return nil })
	if !errors.Is(err, eventstore.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query with 1ns timeout: %v, want ErrTimeout", err)
	}
}
