// Command hunt measures the six reference hunts of DESIGN.md §9 (issue #5)
// on 10 million generated security events in the embedded event store
// (internal/eventstore/vlstore, VictoriaLogs in-process), as an operator
// would see them: the newest 100 results of a LogsQL hunt over all units
// and the whole time range, or an aggregate.
//
// Phase 1 fills a store in a fresh directory with events from
// eventstoretest.Generator (append rate, the generator's CPU share), then
// closes and reopens it (bytes per stored event, Usage). Phase 2 runs each
// hunt once to warm up, then -runs times, and reports the median, min and
// max wall time, the CPU time per query, the result counts and the
// process's VmRSS/VmHWM. With -dir pointing at a store filled by an
// earlier run (it has a marker file), phase 1 is skipped.
//
// The machine is shared, so the harness waits for a quiet machine before
// each measured phase and reports the CPU other processes used meanwhile.
// Every loop is bounded in count and time; the temporary directory is
// removed at exit (also on Ctrl+C) unless -keep. Results are printed as
// Markdown on stdout; progress goes to stderr. Linux only for the memory
// and CPU figures (/proc).
//
// Usage:
//
//	go build -o /tmp/hunt-bench ./bench/hunt
//	/tmp/hunt-bench > /tmp/hunt-bench.md
//
// See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/intel"
)

// options are the command-line settings.
type options struct {
	events        int
	seed          uint64
	span          time.Duration
	batch         int
	writers       int
	calib         int
	runs          int
	warmup        int
	limit         int
	iocSize       int
	iocKnown      int
	only          []string
	suite         string
	jsonl         string
	dir           string
	keep          bool
	budgetMiB     int64
	retentionDays int
	queryTimeout  time.Duration
	quietWait     time.Duration
	quietCores    float64
	settleWait    time.Duration
	progress      time.Duration
	timeout       time.Duration
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Our own flag set: the engine registers its flags on the global one.
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	var o options
	var only string
	fs.IntVar(&o.events, "events", 10_000_000, "events to generate and append in phase 1")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	fs.DurationVar(&o.span, "span", 144*time.Hour, "time span of the events, ending now (must fit in -retention-days)")
	fs.IntVar(&o.batch, "batch", 1000, "events per Append call")
	fs.IntVar(&o.writers, "writers", 1, "goroutines calling Append (a separate goroutine generates the events)")
	fs.IntVar(&o.calib, "calib", 200_000, "events generated alone, before the fill, to measure the generator's own cost (0 skips)")
	fs.IntVar(&o.runs, "runs", 5, "measured runs per hunt (the median is reported)")
	fs.IntVar(&o.warmup, "warmup", 1, "unrecorded runs per hunt before the measured ones")
	fs.IntVar(&o.limit, "limit", 100, "results per hunt (the hunts page's page size)")
	fs.IntVar(&o.iocSize, "ioc", 10_000, "IP addresses in the IOC sweep's list")
	fs.IntVar(&o.iocKnown, "ioc-known", 100, "of them, addresses taken from the generator's internal address space (they occur in the data)")
	fs.StringVar(&o.suite, "suite", "design", "what to measure after the fill: design (the DESIGN.md §9 hunts) or issue7 (issue #7: hunt service vs a plain scan of the events as JSON lines)")
	fs.StringVar(&o.jsonl, "jsonl", "", "-suite issue7: the JSON lines copy of the events (written from the marker's generator when missing); default: events.jsonl next to the store")
	fs.StringVar(&only, "hunts", "", "comma-separated hunt ids to run (e.g. 1,3,5); empty runs all")
	fs.StringVar(&o.dir, "dir", "", "directory of the store: reused if it holds a filled store ("+markerName+"), else filled and kept; empty: a temporary khien-bench-hunt-* directory")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory at exit (reuse it with -dir)")
	fs.Int64Var(&o.budgetMiB, "memory-budget", 512, "the store's memory budget in MiB (vlstore.Options.MemoryBudget; its default is 512)")
	fs.IntVar(&o.retentionDays, "retention-days", 30, "the store's retention in days (events older than that are refused)")
	fs.DurationVar(&o.queryTimeout, "query-timeout", time.Minute, "the store's longest query")
	fs.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before the fill and each hunt, wait up to this long for the machine to be quiet (0 disables)")
	fs.Float64Var(&o.quietCores, "quiet-cores", 0.3, "the machine is quiet when all other processes use less than this many cores over a 1 s sample")
	fs.DurationVar(&o.settleWait, "settle-wait", 3*time.Minute, "after the reopen, wait up to this long for the store's background merges to end")
	fs.DurationVar(&o.progress, "progress", 15*time.Second, "interval of the fill's progress lines on stderr")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Hour, "time bound of the whole run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hunt: unexpected arguments %q (see -h)\n", fs.Args())
		return 2
	}
	for f := range strings.SplitSeq(only, ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.only = append(o.only, f)
		}
	}
	if o.events < 1 || o.events > 1_000_000_000 || o.batch < 1 || o.batch > 100_000 || o.writers < 1 || o.writers > 16 ||
		o.calib < 0 || o.calib > 100_000_000 || o.runs < 1 || o.runs > 1000 || o.warmup < 0 || o.warmup > 100 ||
		o.limit < 1 || o.limit > 100_000 || o.iocSize < 1 || o.iocSize > 1_000_000 || o.iocKnown < 0 || o.iocKnown > 20_000 ||
		o.budgetMiB < 16 || o.retentionDays < 1 || o.progress < time.Second || o.span <= 0 {
		fmt.Fprintln(os.Stderr, "hunt: a setting is out of range (see -h)")
		return 2
	}
	if o.suite != "design" && o.suite != "issue7" {
		fmt.Fprintln(os.Stderr, "hunt: -suite is design or issue7")
		return 2
	}
	if o.span > time.Duration(o.retentionDays)*24*time.Hour-time.Hour {
		fmt.Fprintf(os.Stderr, "hunt: -span %s does not fit in -retention-days %d\n", o.span, o.retentionDays)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	h := &harness{opts: o, log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer h.cleanup()
	if err := h.main(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hunt:", err)
		return 1
	}
	return 0
}

// harness owns the store and the temporary directory of one run.
type harness struct {
	opts   options
	log    *slog.Logger
	mu     sync.Mutex
	store  *vlstore.Store // open store, closed by cleanup
	tmpDir string         // removed by cleanup unless -keep
	notes  []string       // surprises worth reporting
}

func (h *harness) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "NOTE:", msg)
	h.mu.Lock()
	h.notes = append(h.notes, msg)
	h.mu.Unlock()
}

func (h *harness) setStore(s *vlstore.Store) {
	h.mu.Lock()
	h.store = s
	h.mu.Unlock()
}

func (h *harness) storeOptions(retentionDays int) vlstore.Options {
	return vlstore.Options{
		Retention:    eventstore.Retention{Days: retentionDays},
		MemoryBudget: h.opts.budgetMiB << 20,
		QueryTimeout: h.opts.queryTimeout,
		IndexFields:  intel.Fields[intel.IP], // as app.OpenEvents
		Logger:       h.log,
	}
}

// cleanup closes the store and removes the temporary directory.
func (h *harness) cleanup() {
	h.mu.Lock()
	s, dir := h.store, h.tmpDir
	h.store, h.tmpDir = nil, ""
	h.mu.Unlock()
	if s != nil {
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "hunt: close store:", err)
		}
	}
	if dir == "" {
		return
	}
	if h.opts.keep {
		fmt.Fprintf(os.Stderr, "hunt: kept %s (reuse it with -dir %s; remove it when done)\n", dir, dir)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "hunt: remove", dir, err)
	}
}

func (h *harness) main(ctx context.Context, out io.Writer) error {
	o := h.opts
	dir, m, reuse, err := h.prepareDir()
	if err != nil {
		return err
	}
	events := o.events
	if reuse {
		events = m.Events
	}
	fmt.Fprintf(out, "## Reference hunts on %s events (bench/hunt)\n\n", thousands(int64(events)))
	fmt.Fprintf(out, "- machine: %s\n", describeMachine())
	fmt.Fprintf(out, "- build: %s\n", buildInfo())
	fmt.Fprintf(out, "- harness: `%s`\n", strings.Join(os.Args, " "))
	fmt.Fprintf(out, "- date: %s; load average at start: %s\n", time.Now().UTC().Format(time.RFC3339), sysinfo.LoadAvg())

	var (
		s      *vlstore.Store
		fr     fillResult
		reopen time.Duration
	)
	if reuse {
		fmt.Fprintf(os.Stderr, "reusing the store in %s (%d events, filled %s)\n", dir, m.Events, m.Filled.Format(time.RFC3339))
		s, reopen, err = h.reuse(ctx, dir, m)
	} else {
		s, m, fr, err = h.phase1(ctx, dir)
		reopen = fr.reopenTime
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "- store: `vlstore` in `%s`, memory budget %s in force, retention %d days, query timeout %s\n",
		s.Dir(), mib(s.MemoryBudget()>>10), m.RetentionDays, o.queryTimeout)
	fmt.Fprintf(out, "- data: %s events of `eventstoretest.NewGenerator(%d, …)` (4 units, 200 hosts, 2,000 users, 5,000 executables), "+
		"%s to %s (%s), one every %s\n\n", thousands(int64(m.Events)), m.Seed, m.Start.Format(time.RFC3339), m.end().Format(time.RFC3339),
		m.end().Sub(m.Start).Round(time.Minute), m.Step)

	if reuse {
		fmt.Fprintf(out, "### Phase 1: skipped\n\nReused the store filled on %s (batches of %d, %d writer(s)); -events/-seed/-span of this run were ignored.\n\n",
			m.Filled.Format(time.RFC3339), m.Batch, m.Writers)
	} else {
		writeFill(out, fr, m)
	}
	if err := h.writeStorage(ctx, out, s, m, fr.closeTime, reopen); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "settling after the reopen\n")
	waited, last := h.settle(ctx)
	memSettled, _ := memStatus()
	fmt.Fprintf(os.Stderr, "settled after %s (own background %.2f cores)\n", waited.Round(time.Second), last)

	if o.suite == "issue7" {
		if err := h.issue7(ctx, out, s, m, dir); err != nil {
			return err
		}
		memHunts, _ := memStatus()
		fmt.Fprintf(out, "Memory after the suite: VmRSS %s (RssFile %s), VmHWM %s. Load average at end: %s.\n\n", mib(memHunts.rss), mib(memHunts.file), mib(memHunts.hwm), sysinfo.LoadAvg())
		for _, n := range h.notes {
			fmt.Fprintf(out, "- NOTE: %s\n", n)
		}
		return nil
	}
	var results []huntResult
	for _, x := range h.hunts(m) {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		fmt.Fprintf(os.Stderr, "hunt %s: %s\n", x.id, x.name)
		results = append(results, h.runHunt(ctx, s, x))
	}
	memHunts, _ := memStatus()

	writeHunts(out, results, h.opts, waited, last)
	fmt.Fprintf(out, "### Memory of the process (store + harness)\n\n")
	fmt.Fprintln(out, "| when | VmRSS | of which RssAnon (heap) | of which RssFile (mapped store files) | VmHWM (peak so far) |")
	fmt.Fprintln(out, "|---|---|---|---|---|")
	row := func(when string, m memory) {
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s |\n", when, mib(m.rss), mib(m.anon), mib(m.file), mib(m.hwm))
	}
	if !reuse {
		row("after the fill, before Close", fr.mem)
	}
	row("after the reopen, settled", memSettled)
	row("after the hunts", memHunts)
	fmt.Fprintln(out)

	fmt.Fprintf(out, "Load average at end: %s.\n\n", sysinfo.LoadAvg())
	if len(h.notes) > 0 {
		fmt.Fprintf(out, "### Notes\n\n")
		for _, n := range h.notes {
			fmt.Fprintf(out, "- %s\n", n)
		}
		fmt.Fprintln(out)
	} else {
		fmt.Fprintf(out, "No errors, refused events or busy-machine warnings.\n\n")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Report.

func writeFill(out io.Writer, r fillResult, m marker) {
	fmt.Fprintf(out, "### Phase 1: fill (%s events, batches of %d, %d appending goroutine(s) + 1 generating)\n\n",
		thousands(int64(m.Events)), m.Batch, m.Writers)
	fmt.Fprintln(out, "| stored | wall | append rate | events per process CPU-s | process CPU (cores) | generator thread CPU (share) | generator alone | other processes (cores) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
	gen := "?"
	if r.genCPU >= 0 && r.procCPU > 0 {
		gen = fmt.Sprintf("%.0f s (%.0f %%)", r.genCPU.Seconds(), 100*r.genCPU.Seconds()/r.procCPU.Seconds())
	}
	alone := "—"
	if r.calibRate > 0 {
		alone = fmt.Sprintf("%s events/s, %.1f µs CPU/event (≈ %.0f %% of the fill's CPU)", thousands(int64(r.calibRate)),
			float64(r.calibCPU)/float64(time.Microsecond), 100*float64(r.calibCPU)*float64(r.stored)/float64(max(r.procCPU, 1)))
	}
	fmt.Fprintf(out, "| %s | %s | **%s events/s** | %s | %.2f | %s | %s | %.2f |\n\n",
		thousands(int64(r.stored)), r.wall.Round(100*time.Millisecond), thousands(int64(float64(r.stored)/r.wall.Seconds())),
		thousands(int64(float64(r.stored)/max(r.procCPU.Seconds(), 1e-9))), r.procCPU.Seconds()/r.wall.Seconds(), gen, alone, r.others)
	fmt.Fprintf(out, "The append rate is stored events over the wall time from the first Append to the return of the last, "+
		"with generation running alongside on its own goroutine; %s of it inside Append (summed over the appending goroutines). "+
		"The generator thread's CPU excludes the garbage collection its allocations cause elsewhere; "+
		"\"generator alone\" includes it (measured on one goroutine before the fill).\n\n", r.inAppend.Round(100*time.Millisecond))
}

func (h *harness) writeStorage(ctx context.Context, out io.Writer, s *vlstore.Store, m marker, closeTime, reopen time.Duration) error {
	size, err := dirSize(s.Dir())
	if err != nil {
		return fmt.Errorf("size of %s: %w", s.Dir(), err)
	}
	u, err := s.Usage(ctx)
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if u.Rows != m.Stored && m.Stored > 0 {
		h.note("Usage reports %d rows, %d events were stored", u.Rows, m.Stored)
	}
	n := float64(max(u.Rows, 1))
	fmt.Fprintf(out, "### Storage after Close and reopen\n\n")
	closed := "—"
	if closeTime > 0 {
		closed = ms(closeTime)
	}
	fmt.Fprintln(out, "| directory size | bytes/event (directory) | Usage.DiskBytes | bytes/event (Usage) | Usage.Rows | partitions | oldest – newest | Close after the fill | reopen |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(out, "| %s | **%.1f** | %s | %.1f | %s | %d | %s – %s | %s | %s |\n\n", mib(size>>10), float64(size)/n, mib(u.DiskBytes>>10),
		float64(u.DiskBytes)/n, thousands(int64(u.Rows)), u.Partitions, u.Oldest.Format(time.RFC3339), u.Newest.Format(time.RFC3339), closed, ms(reopen))
	return nil
}

func writeHunts(out io.Writer, rs []huntResult, o options, waited time.Duration, settled float64) {
	fmt.Fprintf(out, "### Phase 2: hunts (median of %d runs after %d warm-up run(s), all 4 units, newest %d results)\n\n", o.runs, o.warmup, o.limit)
	fmt.Fprintf(out, "Before the hunts the harness waited %s for the store's background work to end (last 1 s sample: %.2f cores). "+
		"CPU/query is the process's CPU time (the store's background work included); \"first\" is the warm-up run, the first of that hunt after the reopen.\n\n",
		waited.Round(time.Second), settled)
	fmt.Fprintln(out, "| # | hunt | results | matching events | median | min | max | first | CPU/query | §9 target | met | §9 anchor | other processes (cores) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	met, total := 0, 0
	for _, r := range rs {
		if len(r.walls) == 0 {
			fmt.Fprintf(out, "| %s | %s | error: %v | | | | | | | ≤ %s | no | %s | |\n", r.h.id, r.h.name, r.err, target(r.h.target), r.h.anchor)
			continue
		}
		med := median(r.walls)
		ok := med <= r.h.target
		if len(r.h.id) == 1 { // a reference hunt, not a variant
			total++
			if ok {
				met++
			}
		}
		matching := "—"
		if r.matching >= 0 {
			matching = thousands(r.matching)
		}
		fmt.Fprintf(out, "| %s | %s | %d | %s | **%s** | %s | %s | %s | %s | ≤ %s | %s | %s | %.2f |\n", r.h.id, r.h.name, r.results[0], matching,
			ms(med), ms(slices.Min(r.walls)), ms(slices.Max(r.walls)), ms(r.first), ms(median(r.cpus)), target(r.h.target),
			map[bool]string{true: "yes", false: "**no**"}[ok], r.h.anchor, r.othersAll)
	}
	fmt.Fprintf(out, "\nThe six reference hunts (numbers without a letter) meet their §9 target in %d of %d cases; lettered rows are variants.\n\n", met, total)
	fmt.Fprintf(out, "Queries (LogsQL as passed in `eventstore.Query.Expr`; the store adds the time range, the units, and `| sort by (_time) desc | limit N` unless a pipe reshapes rows):\n\n")
	for _, r := range rs {
		show := r.h.show
		if show == "" {
			show = r.h.expr
		}
		fmt.Fprintf(out, "- **%s** %s: `%s`; %s – %s", r.h.id, r.h.design, strings.ReplaceAll(show, "|", "\\|"),
			r.h.from.Format(time.RFC3339), r.h.to.Format(time.RFC3339))
		if r.matching >= 0 {
			fmt.Fprintf(out, "; count query `(…) | stats count() n` took %s", ms(r.countWall))
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "\n\"Other processes\" is the CPU the rest of the machine used over all the measured runs of a hunt (system busy time minus this process's). "+
		"Per run, wall time in ms and, in brackets, the same for that run alone (coarse below ~100 ms: the kernel counts in 10 ms ticks):\n\n")
	for _, r := range rs {
		var parts []string
		for i, d := range r.walls {
			parts = append(parts, fmt.Sprintf("%s (%.2f)", strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64), r.others[i]))
		}
		fmt.Fprintf(out, "    %-3s %s\n", r.h.id, strings.Join(parts, ", "))
	}
	fmt.Fprintln(out)
}

func target(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
}

func mib(kib int64) string {
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}

// thousands formats n with comma separators, as the docs do.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func median(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// buildInfo describes the build: Go version, cgo, the engine's version and
// the commit when the binary was stamped with it (go build, not go run).
func buildInfo() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "?"
	}
	parts := []string{bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED":
			parts = append(parts, "CGO_ENABLED="+s.Value)
		case "vcs.revision":
			parts = append(parts, "commit "+s.Value[:min(12, len(s.Value))])
		case "vcs.modified":
			if s.Value == "true" {
				parts = append(parts, "with uncommitted changes")
			}
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/VictoriaMetrics/VictoriaLogs" {
			parts = append(parts, "VictoriaLogs "+d.Version)
		}
	}
	return strings.Join(parts, ", ")
}
