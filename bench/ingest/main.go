// Command ingest measures Khiên's ingest path end to end (issue #5):
// sustained syslog over TCP into durable storage with normalisation,
// against a no-op sink in the same run, with the bytes each stored event
// takes on disk and the server's memory under load.
//
// The full path is `khien serve` itself (-bin names the binary; the
// harness builds nothing), fed by -conns loopback TCP connections that
// send pre-generated, realistic syslog lines (RFC 5424 and RFC 3164:
// FortiGate, PAN-OS, Cisco ASA, sshd, sudo, auditd, nginx, BIND) as fast
// as the server reads them. The sustained rate is the growth of
// khien_pipeline_stored_events_total over the measured window. The same
// senders then feed in-process versions of the path that stop earlier —
// the listener alone, then with the spool, then with normalisation, then
// with the store — to show where the time goes.
//
// It only ever talks to 127.0.0.1, bounds every loop in count and time,
// stops its child processes and removes its temporary directories when it
// ends (also on Ctrl+C). Results are printed as Markdown on stdout;
// progress goes to stderr. Linux only for the memory and CPU figures
// (/proc).
//
// Usage:
//
//	CGO_ENABLED=0 go build -o /tmp/khien ./cmd/khien
//	CGO_ENABLED=0 go build -o /tmp/ingest-bench ./bench/ingest
//	/tmp/ingest-bench -bin /tmp/khien > /tmp/ingest-bench.md
//
// See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
	"khien.vn/khien/internal/config"
)

// options are the command-line settings.
type options struct {
	bin          string
	modes        []string
	runs         int
	conns        int
	duration     time.Duration
	warmup       time.Duration
	rate         float64
	poolLines    int
	seed         uint64
	blockKiB     int
	stall        time.Duration
	readyTimeout time.Duration
	drainTimeout time.Duration
	stopTimeout  time.Duration
	quietWait    time.Duration
	quietCores   float64
	timeout      time.Duration
	cpuProfile   string
	profileMode  string
	tmp          string
	serverEnv    []string
	drop         []string // experiment: fields removed before the store (in-process)
	noIndex      bool     // experiment: the store without its value index (in-process)
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	var modes, serverEnv string
	// Our own flag set: the event store's engine registers flags on the
	// global one (docs/eventstore.md).
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "", "path of the khien binary for the serve mode (build it with CGO_ENABLED=0 go build -o /tmp/khien ./cmd/khien)")
	fs.StringVar(&modes, "modes", strings.Join(defaultModes, ","), "comma-separated paths to measure, in this order within each run: "+strings.Join(allModes, ", "))
	fs.IntVar(&o.runs, "runs", 3, "runs of each mode (the modes alternate within a run); the tables show medians")
	fs.IntVar(&o.conns, "conns", 4, "TCP connections the senders use")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "measured window of each run")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "unmeasured sending before the window")
	fs.Float64Var(&o.rate, "rate", 0, "offered load in events/s over all connections (0: as fast as the receiver reads)")
	fs.IntVar(&o.poolLines, "pool", 100_000, "lines generated before the runs and cycled")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the message generator")
	fs.IntVar(&o.blockKiB, "block-kib", 64, "bytes per write of a sender, in KiB (whole lines)")
	fs.DurationVar(&o.stall, "stall", time.Minute, "a write blocked this long fails the run (the receiver took nothing)")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", time.Minute, "longest wait for /readyz to answer 200")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 20*time.Minute, "after the window, longest wait for the spool backlog to reach 0")
	fs.DurationVar(&o.stopTimeout, "stop-timeout", time.Minute, "longest wait for exit after SIGTERM before SIGKILL")
	fs.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before each run, wait up to this long for the machine to be quiet (0 disables)")
	fs.Float64Var(&o.quietCores, "quiet-cores", 0.3, "the machine is quiet when all other processes use less than this many cores over a 1 s sample")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Hour, "time bound of the whole run")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first run's window of -profile-mode (an in-process mode) to this file")
	fs.StringVar(&o.profileMode, "profile-mode", modeStore, "the in-process mode -cpuprofile profiles")
	fs.StringVar(&o.tmp, "tmp", "", "directory for the temporary data directories (default: the system's; the spool fsyncs there)")
	fs.StringVar(&serverEnv, "server-env", "", "extra KHIEN_* settings for the serve mode, comma-separated KEY=VALUE (e.g. KHIEN_INGEST_SPOOL_MAX_MB=256)")
	fs.BoolVar(&o.noIndex, "no-value-index", false, "experiment, in-process modes only: the store without its value index of the IP fields (to see what the index costs)")
	var drop string
	fs.StringVar(&drop, "drop", "", "experiment, in-process modes only: comma-separated fields (a trailing * matches a prefix; _msg empties the original message) removed from every event after the stages, before the store, to see what they cost")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "ingest: "+format+"\n", args...)
		return 2
	}
	for m := range strings.SplitSeq(modes, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(allModes, m) {
			return bad("-modes: unknown mode %q (want %s)", m, strings.Join(allModes, ", "))
		}
		if slices.Contains(o.modes, m) {
			return bad("-modes: %q twice", m)
		}
		o.modes = append(o.modes, m)
	}
	if slices.Contains(o.modes, modeServe) {
		if o.bin == "" {
			return bad("-bin is required for the serve mode (see -h)")
		}
		bin, err := filepath.Abs(o.bin)
		if err != nil {
			return bad("%v", err)
		}
		o.bin = bin
		if st, err := os.Stat(o.bin); err != nil || st.IsDir() {
			return bad("-bin %s: not a file", o.bin)
		}
	}
	if o.runs < 1 || o.runs > 50 || o.conns < 1 || o.conns > 64 || o.poolLines < 1000 || o.poolLines > 5_000_000 ||
		o.blockKiB < 1 || o.blockKiB > 4096 || o.rate < 0 || o.duration < time.Second || o.warmup < 0 || o.stall < time.Second {
		return bad("a count or duration is out of range (see -h)")
	}
	if o.cpuProfile != "" && (o.profileMode == modeServe || !slices.Contains(o.modes, o.profileMode)) {
		return bad("-profile-mode %q: must be one of the in-process modes in -modes", o.profileMode)
	}
	if serverEnv != "" {
		for kv := range strings.SplitSeq(serverEnv, ",") {
			if k, _, ok := strings.Cut(kv, "="); !ok || !strings.HasPrefix(k, "KHIEN_") {
				return bad("-server-env: %q is not KHIEN_KEY=VALUE", kv)
			}
			o.serverEnv = append(o.serverEnv, kv)
		}
	}

	if drop != "" {
		for f := range strings.SplitSeq(drop, ",") {
			if f = strings.TrimSpace(f); f != "" {
				o.drop = append(o.drop, f)
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	h := &harness{opts: o}
	defer h.cleanup()
	if err := h.main(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		return 1
	}
	return 0
}

// harness owns the child processes and temporary directories of one run.
type harness struct {
	opts    options
	pool    *pool
	mu      sync.Mutex
	servers []*server
	dirs    []string
	notes   []string // surprises worth reporting
}

func (h *harness) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "NOTE:", msg)
	h.mu.Lock()
	h.notes = append(h.notes, msg)
	h.mu.Unlock()
}

func (h *harness) tempDir() (string, error) {
	dir, err := os.MkdirTemp(h.opts.tmp, "khien-bench-ingest-")
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	h.dirs = append(h.dirs, dir)
	h.mu.Unlock()
	return dir, nil
}

func (h *harness) removeDir(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		h.note("remove %s: %v", dir, err)
	}
	h.mu.Lock()
	h.dirs = slices.DeleteFunc(h.dirs, func(d string) bool { return d == dir })
	h.mu.Unlock()
}

// cleanup stops every child still running and removes the temporary directories.
func (h *harness) cleanup() {
	h.mu.Lock()
	servers, dirs := h.servers, h.dirs
	h.servers, h.dirs = nil, nil
	h.mu.Unlock()
	for _, s := range servers {
		if !s.exited() {
			_, _, _ = s.stop(h.opts.stopTimeout)
		}
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			fmt.Fprintln(os.Stderr, "ingest: remove", d, err)
		}
	}
}

func (h *harness) main(ctx context.Context, out io.Writer) error {
	start := time.Now()
	mach := describeMachine(ctx, h.opts.bin)
	tmp := h.opts.tmp
	if tmp == "" {
		tmp = os.TempDir()
	}
	fmt.Fprintf(out, "## Ingest end-to-end benchmark\n\n")
	fmt.Fprintf(out, "- machine: %s\n", mach)
	if h.opts.bin != "" {
		fmt.Fprintf(out, "- binary: `%s` (%s)\n", h.opts.bin, mach.binVersion)
	}
	fmt.Fprintf(out, "- harness: `%s`\n", strings.Join(os.Args, " "))
	fmt.Fprintf(out, "- harness built from %s\n", buildRevision())
	cfg := config.Default()
	fmt.Fprintf(out, "- product defaults (serve, and the in-process modes through internal/config): ingest.flush_interval %s, "+
		"ingest.spool_max_mb %d, events.memory_mb %d, events.retention_days %d\n", time.Duration(cfg.Ingest.FlushInterval),
		cfg.Ingest.SpoolMaxMB, cfg.Events.MemoryMB, cfg.Events.RetentionDays)
	if h.opts.noIndex {
		fmt.Fprintln(out, "- **experiment**: the in-process modes' store keeps no value index (`vlstore.Options.IndexFields` empty; `serve` is unchanged)")
	}
	if len(h.opts.drop) > 0 {
		fmt.Fprintf(out, "- **experiment**: the in-process modes remove `%s` from every event before the store (serve is unchanged)\n",
			strings.Join(h.opts.drop, "`, `"))
	}
	if len(h.opts.serverEnv) > 0 {
		fmt.Fprintf(out, "- serve mode also with `%s`\n", strings.Join(h.opts.serverEnv, " "))
	}
	fmt.Fprintf(out, "- data directories under %s (%s)\n", tmp, fsType(tmp))
	fmt.Fprintf(out, "- date: %s; load average at start: %s\n\n", start.UTC().Format(time.RFC3339), sysinfo.LoadAvg())

	fmt.Fprintf(os.Stderr, "generating %d lines\n", h.opts.poolLines)
	span := time.Duration(h.opts.poolLines) * time.Second / 200 // timestamps: the pool at 200 events/s, ending now
	lines := generate(h.opts.seed, h.opts.poolLines, start.Truncate(time.Second), span)
	h.pool = newPool(lines, h.opts.blockKiB<<10)
	rows, hosts, problems := checkMix(lines)
	writeMix(out, rows, hosts, lines, h.pool)
	if len(problems) > 0 {
		return fmt.Errorf("the generated lines do not all reach their parser: %s", strings.Join(problems, "; "))
	}
	runtime.GC() // the lines are no longer used: the pool holds the bytes

	var results []runResult
	for rep := 1; rep <= h.opts.runs; rep++ {
		for _, mode := range h.opts.modes {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			r, err := h.runOne(ctx, mode, rep)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", mode, rep, err)
			}
			results = append(results, r)
		}
	}
	writeResults(out, h.opts, results)
	fmt.Fprintf(out, "Load average at end: %s; total time %s.\n\n", sysinfo.LoadAvg(), time.Since(start).Round(time.Second))
	if len(h.notes) > 0 {
		fmt.Fprintf(out, "### Notes\n\n")
		for _, n := range h.notes {
			fmt.Fprintf(out, "- %s\n", n)
		}
		fmt.Fprintln(out)
	} else {
		fmt.Fprintf(out, "No errors, refused events, parse errors or non-zero exits.\n\n")
	}
	return nil
}

// runResult is one measured run of one mode.
type runResult struct {
	mode string
	rep  int

	window      time.Duration
	sent        int64    // lines the senders wrote in the window
	c0, c1      counters // at the start and end of the window
	slope       float64  // spool backlog trend over the window, bytes/s
	backlogMax  int64
	targetCPU   time.Duration // receiver's CPU in the window (server process, or harness minus senders)
	senderCPU   time.Duration
	others      float64       // cores other processes used in the window
	rss         []int64       // KiB, sampled every second in the window (serve)
	hwm         int64         // KiB, at the end of the window (serve)
	drain       time.Duration // until everything received was stored and committed (backlog 0)
	drainStore  time.Duration // until everything received was stored (commit not awaited)
	drainCPU    time.Duration // receiver's CPU during drainStore
	drainEvents int64         // events stored during drainStore
	drained     bool
	final       counters // after the drain
	eventsBytes int64    // data_dir/events after the stop (serve, store)
	spoolBytes  int64    // data_dir/spool after the stop
	exitCode    int
	stopTook    time.Duration
	timings     map[string]timing // in-process: calls timed in the window
}

func (r runResult) rate(f func(counters) int64) float64 {
	return float64(f(r.c1)-f(r.c0)) / r.window.Seconds()
}

func (r runResult) storedRate() float64 { return r.rate(func(c counters) int64 { return c.stored }) }
func (r runResult) receivedRate() float64 {
	return r.rate(func(c counters) int64 { return c.received })
}
func (r runResult) sentRate() float64 { return float64(r.sent) / r.window.Seconds() }

// drainRate is the store's rate after the senders stopped, with nothing
// left to receive (NaN when there was little to drain).
func (r runResult) drainRate() float64 {
	if r.drainEvents < 10_000 || r.drainStore < 10*time.Second {
		return math.NaN()
	}
	return float64(r.drainEvents) / r.drainStore.Seconds()
}

// drainCPUPerEvent is the receiver's CPU per event stored during the
// drain, in µs (NaN when drainRate is).
func (r runResult) drainCPUPerEvent() float64 {
	if math.IsNaN(r.drainRate()) {
		return math.NaN()
	}
	return float64(r.drainCPU) / float64(time.Microsecond) / float64(r.drainEvents)
}

// cpuPerEvent is the receiver's CPU time per stored event, in µs.
func (r runResult) cpuPerEvent() float64 {
	n := r.c1.stored - r.c0.stored
	if n <= 0 {
		return math.NaN()
	}
	return float64(r.targetCPU) / float64(time.Microsecond) / float64(n)
}

// keepsUp reports whether the store kept pace with what was received
// (within 3 %).
func (r runResult) keepsUp() bool {
	rec := r.receivedRate()
	return rec <= 0 || (rec-r.storedRate())/rec < 0.03
}

// bytesPerEvent is the event store's size on disk per stored event.
func (r runResult) bytesPerEvent() float64 {
	if r.eventsBytes <= 0 || r.final.stored <= 0 {
		return math.NaN()
	}
	return float64(r.eventsBytes) / float64(r.final.stored)
}

func (h *harness) runOne(ctx context.Context, mode string, rep int) (runResult, error) {
	r := runResult{mode: mode, rep: rep}
	label := fmt.Sprintf("%s run %d/%d", mode, rep, h.opts.runs)
	h.waitQuiet(ctx, label)
	fmt.Fprintf(os.Stderr, "%s: start (load average %s)\n", label, sysinfo.LoadAvg())
	dir, err := h.tempDir()
	if err != nil {
		return r, err
	}
	defer h.removeDir(dir)

	var scrapeErrs atomic.Int64
	var (
		tg       target
		srv      *server
		ip       *inproc
		ipClosed bool
	)
	if mode == modeServe {
		if srv, err = h.startServer(ctx, dir); err != nil {
			return r, err
		}
		defer func() {
			if !srv.exited() {
				_, _, _ = srv.stop(h.opts.stopTimeout)
			}
		}()
		if err := srv.waitReady(ctx, h.opts.readyTimeout); err != nil {
			return r, err
		}
		tg = serveTarget{s: srv, scrapeErrs: &scrapeErrs}
	} else {
		if ip, err = openInproc(ctx, mode, dir, h.opts.drop, h.opts.noIndex); err != nil {
			return r, err
		}
		defer func() {
			if !ipClosed {
				_ = ip.close()
			}
		}()
		tg = ip
	}
	receiverCPU := func(snd *sender) time.Duration {
		if srv != nil {
			d, _ := sysinfo.ProcCPU(srv.pid())
			return d
		}
		return selfCPU() - snd.cpuTime()
	}
	alive := func(snd *sender) error {
		if err := snd.failed(); err != nil {
			return fmt.Errorf("sender: %w", err)
		}
		if srv != nil && srv.exited() {
			return fmt.Errorf("server exited with code %d; stderr: %s", srv.exitCode, srv.stderr.tail())
		}
		return ctx.Err()
	}

	snd, err := startSender(ctx, tg.syslogAddr(), h.pool, h.opts.conns, h.opts.rate, h.opts.stall)
	if err != nil {
		return r, err
	}
	defer snd.stop()

	// Warm-up.
	for end := time.Now().Add(h.opts.warmup); time.Now().Before(end); {
		if err := alive(snd); err != nil {
			return r, err
		}
		sleepCtx(ctx, min(200*time.Millisecond, time.Until(end)))
	}

	// Measured window.
	if r.c0, err = tg.counters(ctx); err != nil {
		return r, err
	}
	t0 := time.Now()
	cpu0, snd0, sent0 := receiverCPU(snd), snd.cpuTime(), snd.lines.Load()
	meter := startMeter(tg.pid())
	var tim0 map[string]timing
	if ip != nil {
		tim0 = ip.timers.snap()
	}
	var prof *os.File
	if h.opts.cpuProfile != "" && mode == h.opts.profileMode && rep == 1 {
		if prof, err = os.Create(h.opts.cpuProfile); err != nil {
			return r, err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			_ = prof.Close()
			return r, err
		}
	}
	var ts, backlog []float64
	for n := 0; n < 1_000_000; n++ {
		next := t0.Add(time.Duration(n+1) * time.Second)
		if next.After(t0.Add(h.opts.duration)) {
			break
		}
		sleepCtx(ctx, time.Until(next))
		if err := alive(snd); err != nil {
			return r, err
		}
		c, err := tg.counters(ctx)
		if err != nil {
			return r, err
		}
		ts = append(ts, time.Since(t0).Seconds())
		backlog = append(backlog, float64(c.backlog))
		r.backlogMax = max(r.backlogMax, c.backlog)
		if srv != nil {
			if rss, _, err := sysinfo.MemStatus(srv.pid()); err == nil {
				r.rss = append(r.rss, rss)
			}
		}
	}
	sleepCtx(ctx, time.Until(t0.Add(h.opts.duration)))
	if r.c1, err = tg.counters(ctx); err != nil {
		return r, err
	}
	r.window = time.Since(t0)
	r.targetCPU = receiverCPU(snd) - cpu0
	r.senderCPU = snd.cpuTime() - snd0
	r.sent = snd.lines.Load() - sent0
	r.others = meter.others()
	if srv != nil {
		_, r.hwm, _ = sysinfo.MemStatus(srv.pid())
	}
	if ip != nil {
		r.timings = map[string]timing{}
		for n, t := range ip.timers.snap() {
			r.timings[n] = t.sub(tim0[n])
		}
	}
	if prof != nil {
		pprof.StopCPUProfile()
		if err := prof.Close(); err != nil {
			h.note("cpu profile: %v", err)
		}
	}
	r.slope = slope(ts, backlog)
	snd.stop()
	if err := snd.failed(); err != nil {
		return r, fmt.Errorf("sender: %w", err)
	}

	// Drain: everything received is read from the spool and committed.
	cpuDrain0 := receiverCPU(snd)
	t1 := time.Now()
	lastProgress := t1
	for time.Since(t1) < h.opts.drainTimeout && ctx.Err() == nil {
		c, err := tg.counters(ctx)
		if err != nil {
			return r, err
		}
		r.final = c
		if r.drainStore == 0 && c.read == c.received && c.stored+c.refused >= c.received && c.received >= r.c1.received {
			r.drainStore = time.Since(t1)
			r.drainCPU = receiverCPU(snd) - cpuDrain0
			r.drainEvents = c.stored - r.c1.stored
		}
		if r.drainStore > 0 && c.backlog == 0 {
			r.drained = true
			break
		}
		if srv != nil && srv.exited() {
			return r, fmt.Errorf("server exited with code %d during the drain; stderr: %s", srv.exitCode, srv.stderr.tail())
		}
		if time.Since(lastProgress) >= 30*time.Second {
			lastProgress = time.Now()
			fmt.Fprintf(os.Stderr, "%s: draining, %.0f MiB in the spool, %d events stored\n", label, float64(c.backlog)/(1<<20), c.stored)
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
	r.drain = time.Since(t1)
	if n := scrapeErrs.Load(); n > 0 {
		h.note("%s: %d failed /metrics scrapes (retried)", label, n)
	}
	if !r.drained {
		h.note("%s: the spool still held %.1f MiB after the %s drain bound; bytes/event is approximate", label,
			float64(r.final.backlog)/(1<<20), h.opts.drainTimeout)
	}

	// Stop and measure the disk.
	if srv != nil {
		code, took, err := srv.stop(h.opts.stopTimeout)
		r.exitCode, r.stopTook = code, took
		if err != nil {
			h.note("%s: %v", label, err)
		} else if code != 0 {
			h.note("%s: exit code %d after SIGTERM; stderr: %s", label, code, srv.stderr.tail())
		}
		if n := srv.stderr.count(); n > 0 {
			h.note("%s: the server logged %d warning or error lines; last: %s", label, n, srv.stderr.tail())
		}
	} else {
		ipClosed = true
		if err := ip.close(); err != nil {
			h.note("%s: close: %v", label, err)
		}
	}
	r.eventsBytes = dirSize(eventsDir(dir))
	r.spoolBytes = dirSize(spoolDir(dir))

	if d := r.c1.refused - r.c0.refused; d > 0 {
		h.note("%s: the store refused %d events in the window", label, d)
	}
	if d := r.c1.parseErrs - r.c0.parseErrs; d > 0 {
		h.note("%s: %d events stored with a parse error in the window", label, d)
	}
	if d := r.final.errs; d > 0 {
		h.note("%s: %d store append or flush errors (retried)", label, d)
	}
	if r.others > h.opts.quietCores {
		h.note("%s: other processes used %.2f cores during the window (busy machine)", label, r.others)
	}
	fmt.Fprintf(os.Stderr, "%s: stored %.0f/s, received %.0f/s, sent %.0f/s, backlog %+.1f MiB/s (max %.1f MiB), receiver %.2f cores (%.1f µs/event), senders %.2f cores, others %.2f cores",
		label, r.storedRate(), r.receivedRate(), r.sentRate(), r.slope/(1<<20), float64(r.backlogMax)/(1<<20),
		r.targetCPU.Seconds()/r.window.Seconds(), r.cpuPerEvent(), r.senderCPU.Seconds()/r.window.Seconds(), r.others)
	if len(r.rss) > 0 {
		fmt.Fprintf(os.Stderr, ", VmRSS max %s, VmHWM %s", mib(slices.Max(r.rss)), mib(r.hwm))
	}
	for _, n := range timerNames {
		if t := r.timings[n]; t.calls > 0 {
			fmt.Fprintf(os.Stderr, ", %s %.0f%% (%d calls, max %s)", n, 100*t.total.Seconds()/r.window.Seconds(), t.calls, t.max.Round(time.Millisecond))
		}
	}
	if r.eventsBytes > 0 {
		fmt.Fprintf(os.Stderr, ", %.1f bytes/event (%d events)", r.bytesPerEvent(), r.final.stored)
	}
	if !math.IsNaN(r.drainRate()) {
		fmt.Fprintf(os.Stderr, ", backlog of %d events stored in %s at %.0f events/s, %.1f µs CPU/event (%s), committed after %s",
			r.drainEvents, r.drainStore.Round(time.Millisecond), r.drainRate(), r.drainCPUPerEvent(), r.drainCPU.Round(time.Millisecond), r.drain.Round(time.Millisecond))
	}
	fmt.Fprintln(os.Stderr)
	return r, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// waitQuiet waits, up to the -quiet-wait bound, for a 1 s sample in which
// the other processes use less than -quiet-cores; it returns the last sample.
func (h *harness) waitQuiet(ctx context.Context, what string) float64 {
	return sysinfo.WaitQuiet(ctx, what, h.opts.quietWait, h.opts.quietCores, func(last float64) {
		h.note("%s: machine still busy after %s (other processes %.2f cores); measured anyway", what, h.opts.quietWait, last)
	})
}

// buildRevision is the VCS revision the harness was built from, as the Go
// tool recorded it.
func buildRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "an unknown revision"
	}
	rev, modified := "unknown revision", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = "commit " + s.Value[:min(len(s.Value), 7)]
		case "vcs.modified":
			if s.Value == "true" {
				modified = " with uncommitted changes"
			}
		}
	}
	return rev + modified + ", " + bi.GoVersion
}
