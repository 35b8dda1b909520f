// Command serve measures the platform foundation of Khiên (issue #2) from
// the outside, against a built binary: start-up time of `khien serve` on an
// empty and on an initialised database, idle memory, graceful shutdown, and
// request latency under a small concurrent load (login, health probe,
// authenticated home page).
//
// It builds nothing: -bin names the binary. It only ever talks to
// 127.0.0.1, bounds every loop in count and time, and stops its child
// processes and removes its temporary data directories when it ends (also
// on Ctrl+C). Results are printed as Markdown on stdout; progress goes to
// stderr. Linux only for the memory and CPU figures (/proc).
//
// Usage:
//
//	CGO_ENABLED=0 go build -o /tmp/khien ./cmd/khien
//	go run ./bench/serve -bin /tmp/khien > /tmp/serve-bench.md
//
// See bench/README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
)

// options are the command-line settings.
type options struct {
	bin          string
	runs         int
	idle         time.Duration
	poll         time.Duration
	readyTimeout time.Duration
	stopTimeout  time.Duration
	loadRuns     int
	levels       []int
	loginReqs    int
	cmpConc      int
	cmpReqs      int
	warmup       int
	levelTimeout time.Duration
	timeout      time.Duration
	password     string
	quietWait    time.Duration
	quietCores   float64
	skipStartup  bool
	skipLoad     bool
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	var levels string
	flag.StringVar(&o.bin, "bin", "", "path of the khien binary to measure (required; build it with CGO_ENABLED=0 go build -o /tmp/khien ./cmd/khien)")
	flag.IntVar(&o.runs, "runs", 5, "start-up runs, each on a fresh data directory (first start) then again on it (second start)")
	flag.DurationVar(&o.idle, "idle", 5*time.Second, "idle wait after readiness before reading VmRSS/VmHWM (0 skips the memory reading)")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "interval between /readyz polls")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 30*time.Second, "longest wait for /readyz to answer 200")
	flag.DurationVar(&o.stopTimeout, "stop-timeout", 10*time.Second, "longest wait for exit after SIGTERM before SIGKILL")
	flag.IntVar(&o.loadRuns, "load-runs", 3, "load runs, each against a fresh server and data directory")
	flag.StringVar(&levels, "conc", "1,4,8,16", "comma-separated client concurrency levels for POST /login")
	flag.IntVar(&o.loginReqs, "login-requests", 200, "POST /login requests per concurrency level (total, shared by the clients)")
	flag.IntVar(&o.cmpConc, "cmp-conc", 8, "concurrency for the comparison requests (GET /healthz, authenticated GET /)")
	flag.IntVar(&o.cmpReqs, "cmp-requests", 2000, "requests per comparison endpoint")
	flag.IntVar(&o.warmup, "warmup", 8, "unrecorded requests before each level")
	flag.DurationVar(&o.levelTimeout, "level-timeout", 2*time.Minute, "time bound of one level (requests not started by then are skipped and reported)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "time bound of the whole run")
	flag.StringVar(&o.password, "password", "correct-horse-battery-staple-42", "password set for the bench account (>= 12 characters, must not contain \"bench\")")
	flag.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before each run, wait up to this long for the machine to be quiet (0 disables)")
	flag.Float64Var(&o.quietCores, "quiet-cores", 0.3, "the machine is quiet when all other processes use less than this many cores over a 1 s sample")
	flag.BoolVar(&o.skipStartup, "skip-startup", false, "skip the start-up, shutdown and idle memory runs")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "skip the request latency runs")
	flag.Parse()

	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "serve: -bin is required (see -h)")
		return 2
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 2
	}
	o.bin = bin
	if st, err := os.Stat(o.bin); err != nil || st.IsDir() {
		fmt.Fprintf(os.Stderr, "serve: -bin %s: not a file\n", o.bin)
		return 2
	}
	for f := range strings.SplitSeq(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 256 {
			fmt.Fprintf(os.Stderr, "serve: -conc: bad level %q (1..256)\n", f)
			return 2
		}
		o.levels = append(o.levels, n)
	}
	if o.runs < 1 || o.runs > 100 || o.loadRuns < 0 || o.loadRuns > 20 || o.loginReqs < 1 || o.loginReqs > 100000 ||
		o.cmpReqs < 0 || o.cmpReqs > 1000000 || o.cmpConc < 1 || o.cmpConc > 256 || o.warmup < 0 || o.warmup > 1000 {
		fmt.Fprintln(os.Stderr, "serve: a count is out of range (see -h)")
		return 2
	}
	if len(o.password) < 12 || strings.Contains(strings.ToLower(o.password), benchUser) {
		fmt.Fprintf(os.Stderr, "serve: -password must have >= 12 characters and not contain %q\n", benchUser)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	h := &harness{opts: o}
	defer h.cleanup()
	if err := h.main(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

const benchUser = "bench"

// harness owns the child processes and temporary directories of one run.
type harness struct {
	opts    options
	mu      sync.Mutex
	servers []*server
	dirs    []string
	notes   []string // surprises worth reporting (non-zero exits, errors)
}

func (h *harness) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "NOTE:", msg)
	h.mu.Lock()
	h.notes = append(h.notes, msg)
	h.mu.Unlock()
}

func (h *harness) tempDir() (string, error) {
	dir, err := os.MkdirTemp("", "khien-bench-")
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	h.dirs = append(h.dirs, dir)
	h.mu.Unlock()
	return dir, nil
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
			fmt.Fprintln(os.Stderr, "serve: remove", d, err)
		}
	}
}

func (h *harness) main(ctx context.Context, out io.Writer) error {
	mach := describeMachine(ctx, h.opts.bin)
	fmt.Fprintf(out, "## khien serve benchmark\n\n")
	fmt.Fprintf(out, "- machine: %s\n", mach)
	fmt.Fprintf(out, "- binary: `%s` (%s)\n", h.opts.bin, mach.binVersion)
	fmt.Fprintf(out, "- harness: `%s`\n", strings.Join(os.Args, " "))
	fmt.Fprintf(out, "- date: %s; load average at start: %s\n\n", time.Now().UTC().Format(time.RFC3339), sysinfo.LoadAvg())

	if !h.opts.skipStartup {
		res, err := h.startupRuns(ctx)
		if err != nil {
			return err
		}
		writeStartup(out, res, h.opts)
	}
	if !h.opts.skipLoad && h.opts.loadRuns > 0 {
		var runs [][]levelResult
		for i := range h.opts.loadRuns {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			h.waitQuiet(ctx, fmt.Sprintf("load run %d", i+1))
			fmt.Fprintf(os.Stderr, "load run %d/%d\n", i+1, h.opts.loadRuns)
			r, err := h.loadRun(ctx)
			if err != nil {
				return fmt.Errorf("load run %d: %w", i+1, err)
			}
			runs = append(runs, r)
		}
		writeLoad(out, runs)
	}
	fmt.Fprintf(out, "Load average at end: %s.\n\n", sysinfo.LoadAvg())
	if len(h.notes) > 0 {
		fmt.Fprintf(out, "### Notes\n\n")
		for _, n := range h.notes {
			fmt.Fprintf(out, "- %s\n", n)
		}
		fmt.Fprintln(out)
	} else {
		fmt.Fprintf(out, "No errors, non-zero exits or failed requests.\n\n")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Child process.

// server is one `khien serve` child process.
type server struct {
	cmd      *exec.Cmd
	dir      string
	base     string // http://127.0.0.1:PORT
	started  time.Time
	stdout   *watcher
	stderr   *watcher
	done     chan struct{}
	waitErr  error
	exitCode int
}

func (h *harness) startServer(ctx context.Context, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(h.opts.bin, "serve", "--data", dir, "--listen", addr, "--insecure-http")
	cmd.Env = sysinfo.ChildEnv()
	cmd.Dir = dir
	setProcAttr(cmd)
	s := &server{cmd: cmd, dir: dir, base: "http://" + addr, done: make(chan struct{})}
	s.stdout = newWatcher(&s.started)
	s.stderr = newWatcher(&s.started)
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", h.opts.bin, err)
	}
	h.mu.Lock()
	h.servers = append(h.servers, s)
	h.mu.Unlock()
	go func() {
		s.waitErr = cmd.Wait()
		s.exitCode = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	return s, nil
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200 and returns the time since
// the process was started.
func (s *server) waitReady(ctx context.Context, poll, timeout time.Duration) (time.Duration, error) {
	c := &http.Client{Transport: newTransport(1, true), Timeout: time.Second}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(poll)
	defer t.Stop()
	for n := 0; n < 1_000_000; n++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if s.exited() {
			return 0, fmt.Errorf("server exited with code %d before ready; stderr: %s", s.exitCode, s.stderr.tail())
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("not ready after %s; stderr: %s", timeout, s.stderr.tail())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/readyz", nil)
		if err != nil {
			return 0, err
		}
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(s.started), nil
			}
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return 0, errors.New("readiness poll: iteration bound reached")
}

// stop sends SIGTERM and waits for the exit; after timeout it kills the
// process. It returns the exit code and how long the exit took.
func (s *server) stop(timeout time.Duration) (int, time.Duration, error) {
	t0 := time.Now()
	if s.exited() {
		return s.exitCode, 0, nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, 0, fmt.Errorf("sigterm: %w", err)
	}
	select {
	case <-s.done:
		return s.exitCode, time.Since(t0), nil
	case <-time.After(timeout):
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	return s.exitCode, time.Since(t0), fmt.Errorf("no exit %s after SIGTERM: killed", timeout)
}

// procStatus reads VmRSS and VmHWM (KiB) of the process.
func (s *server) procStatus() (rss, hwm int64, err error) {
	return sysinfo.MemStatus(strconv.Itoa(s.cmd.Process.Pid))
}

// cpuTime is the user+system CPU time the process has used so far
// (/proc/PID/stat fields 14 and 15, in USER_HZ ticks of 10 ms on Linux).
func (s *server) cpuTime() (time.Duration, error) {
	return sysinfo.ProcCPU(strconv.Itoa(s.cmd.Process.Pid))
}

func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// watcher collects a child's output: when marker lines first arrive
// (relative to the process start) and the last lines, for error messages.
type watcher struct {
	start *time.Time
	mu    sync.Mutex
	part  []byte
	lines []string // last 200
	first map[string]time.Duration
	last  map[string]time.Duration
	all   strings.Builder // first 64 KiB
}

func newWatcher(start *time.Time) *watcher {
	return &watcher{start: start, first: map[string]time.Duration{}, last: map[string]time.Duration{}}
}

// markers are the log and console lines whose arrival times split start-up into phases.
var markers = []struct{ name, substr string }{
	{"starting", "msg=starting"},
	{"migration", "migration applied"},
	{"running", "is running at"},
	{"listening", "msg=listening"},
}

func (w *watcher) Write(p []byte) (int, error) {
	now := time.Since(*w.start)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.all.Len() < 64<<10 {
		w.all.Write(p[:min(len(p), 64<<10-w.all.Len())])
	}
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		for _, m := range markers {
			if strings.Contains(line, m.substr) {
				if _, ok := w.first[m.name]; !ok {
					w.first[m.name] = now
				}
				w.last[m.name] = now
			}
		}
		w.lines = append(w.lines, line)
		if len(w.lines) > 200 {
			w.lines = w.lines[len(w.lines)-200:]
		}
	}
	if len(w.part) > 64<<10 {
		w.part = w.part[:0]
	}
	return len(p), nil
}

func (w *watcher) mark(name string, last bool) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if last {
		d, ok := w.last[name]
		return d, ok
	}
	d, ok := w.first[name]
	return d, ok
}

func (w *watcher) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

func (w *watcher) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := max(0, len(w.lines)-10)
	return strings.Join(w.lines[n:], " | ")
}

// ---------------------------------------------------------------------------
// HTTP client: loopback only.

// loopbackDialer refuses any address other than 127.0.0.1.
var loopbackDialer = &net.Dialer{
	Timeout: 5 * time.Second,
	Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil || host != "127.0.0.1" {
			return fmt.Errorf("refusing to dial %q: the bench only talks to 127.0.0.1", address)
		}
		return nil
	},
}

func newTransport(conns int, noKeepAlive bool) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // never a proxy, whatever the environment says
		DialContext:         loopbackDialer.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableKeepAlives:   noKeepAlive,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Transport:     newTransport(conns, false),
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ---------------------------------------------------------------------------
// Start-up, idle memory and shutdown.

// startSample is one measured start.
type startSample struct {
	ready      time.Duration
	starting   time.Duration // first log line ("starting"): runtime and config loaded
	migrated   time.Duration // last "migration applied" (first start only)
	running    time.Duration // console line "is running at": bootstrap done, listener open
	rss, hwm   int64         // KiB, after the idle wait
	stop       time.Duration // SIGTERM to exit
	exitCode   int
	firstStart bool    // printed the one-time admin password
	others     float64 // cores used by other processes from start to ready
}

type startupResult struct {
	first, second []startSample
}

func (h *harness) startupRuns(ctx context.Context) (startupResult, error) {
	var res startupResult
	for i := range h.opts.runs {
		if ctx.Err() != nil {
			return res, context.Cause(ctx)
		}
		dir, err := h.tempDir()
		if err != nil {
			return res, err
		}
		for pass := range 2 {
			h.waitQuiet(ctx, fmt.Sprintf("start-up run %d, start %d", i+1, pass+1))
			smp, err := h.oneStart(ctx, dir)
			if err != nil {
				return res, fmt.Errorf("start-up run %d, start %d: %w", i+1, pass+1, err)
			}
			if pass == 0 {
				if !smp.firstStart {
					h.note("run %d: first start did not report creating the admin account", i+1)
				}
				res.first = append(res.first, smp)
			} else {
				if smp.firstStart {
					h.note("run %d: second start created an admin account again", i+1)
				}
				res.second = append(res.second, smp)
			}
			fmt.Fprintf(os.Stderr, "start-up run %d/%d start %d: ready %s, rss %d KiB, hwm %d KiB, stop %s exit %d, others %.2f cores\n",
				i+1, h.opts.runs, pass+1, ms(smp.ready), smp.rss, smp.hwm, ms(smp.stop), smp.exitCode, smp.others)
		}
		if err := os.RemoveAll(dir); err != nil {
			h.note("remove %s: %v", dir, err)
		}
	}
	return res, nil
}

func (h *harness) oneStart(ctx context.Context, dir string) (startSample, error) {
	var smp startSample
	m := startMeter(nil)
	s, err := h.startServer(ctx, dir)
	if err != nil {
		return smp, err
	}
	m.s = s // started after the meter: all of its CPU time is excluded
	defer func() {
		if !s.exited() {
			_, _, _ = s.stop(h.opts.stopTimeout)
		}
	}()
	smp.ready, err = s.waitReady(ctx, h.opts.poll, h.opts.readyTimeout)
	if err != nil {
		return smp, err
	}
	smp.others = m.others()
	if smp.others > h.opts.quietCores {
		h.note("start on %s: other processes used %.2f cores meanwhile (busy machine)", dir, smp.others)
	}
	smp.starting, _ = s.stderr.mark("starting", false)
	smp.migrated, _ = s.stderr.mark("migration", true)
	smp.running, _ = s.stdout.mark("running", false)
	smp.firstStart = strings.Contains(s.stdout.text(), "one-time password")
	if h.opts.idle > 0 {
		select {
		case <-ctx.Done():
			return smp, context.Cause(ctx)
		case <-time.After(h.opts.idle):
		}
		if smp.rss, smp.hwm, err = s.procStatus(); err != nil {
			h.note("read /proc status: %v", err)
		}
	}
	code, took, err := s.stop(h.opts.stopTimeout)
	smp.stop, smp.exitCode = took, code
	if err != nil {
		h.note("start-up run on %s: %v", dir, err)
	} else if code != 0 {
		h.note("start-up run on %s: exit code %d after SIGTERM; stderr: %s", dir, code, s.stderr.tail())
	}
	return smp, nil
}

// ---------------------------------------------------------------------------
// Request latency under load.

// levelResult is one measured endpoint at one concurrency.
type levelResult struct {
	name      string
	conc      int
	lat       []time.Duration // successful requests, sorted
	errors    int
	skipped   int // not started before the level's time bound
	firstErr  string
	wall      time.Duration
	cpu       time.Duration // server CPU time during the level
	hwmAfter  int64         // server VmHWM (KiB) after the level
	rssAfter  int64
	requested int
	others    float64 // cores used by other processes during the level
}

func (h *harness) loadRun(ctx context.Context) ([]levelResult, error) {
	dir, err := h.tempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s, err := h.startServer(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !s.exited() {
			_, _, _ = s.stop(h.opts.stopTimeout)
		}
	}()
	if _, err := s.waitReady(ctx, h.opts.poll, h.opts.readyTimeout); err != nil {
		return nil, err
	}
	session, err := h.prepareAccount(ctx, s)
	if err != nil {
		return nil, err
	}

	login := func(ctx context.Context, c *http.Client) error {
		form := url.Values{"username": {benchUser}, "password": {h.opts.password}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || sessionCookie(resp) == "" {
			return fmt.Errorf("login: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return nil
	}
	get := func(path, cookie string) func(context.Context, *http.Client) error {
		return func(ctx context.Context, c *http.Client) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
			if err != nil {
				return err
			}
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "khien_session", Value: cookie})
			}
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: status %d, location %q", path, resp.StatusCode, resp.Header.Get("Location"))
			}
			return nil
		}
	}

	var out []levelResult
	for _, c := range h.opts.levels {
		r, err := h.level(ctx, s, "POST /login", c, h.opts.loginReqs, login)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if h.opts.cmpReqs > 0 {
		for _, ep := range []struct {
			name string
			fn   func(context.Context, *http.Client) error
		}{
			{"GET /healthz", get("/healthz", "")},
			{"GET / (signed in)", get("/", session)},
		} {
			r, err := h.level(ctx, s, ep.name, h.opts.cmpConc, h.opts.cmpReqs, ep.fn)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	code, took, err := s.stop(h.opts.stopTimeout)
	if err != nil {
		h.note("load run: %v", err)
	} else if code != 0 {
		h.note("load run: exit code %d after SIGTERM (%s); stderr: %s", code, ms(took), s.stderr.tail())
	}
	return out, nil
}

var otpRe = regexp.MustCompile(`one-time password: (\S+)`)

// prepareAccount creates the bench account with the CLI, signs in with its
// one-time password, sets the known password and returns a session token.
func (h *harness) prepareAccount(ctx context.Context, s *server) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, h.opts.bin, "user", "create", "--data", s.dir,
		"--username", benchUser, "--name", "Bench", "--role", "viewer")
	cmd.Env = sysinfo.ChildEnv()
	cmd.Dir = s.dir
	setProcAttr(cmd)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("user create: %w: %s", err, outb)
	}
	m := otpRe.FindSubmatch(outb)
	if m == nil {
		return "", fmt.Errorf("user create: no one-time password in %q", outb)
	}
	otp := string(m[1])

	c := newClient(1)
	defer c.CloseIdleConnections()
	post := func(path, cookie string, form url.Values) (*http.Response, error) {
		req, err := http.NewRequestWithContext(cctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "khien_session", Value: cookie})
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp, nil
	}
	resp, err := post("/login", "", url.Values{"username": {benchUser}, "password": {otp}})
	if err != nil {
		return "", fmt.Errorf("first login: %w", err)
	}
	tok := sessionCookie(resp)
	if resp.StatusCode != http.StatusSeeOther || tok == "" {
		return "", fmt.Errorf("first login: status %d, no session cookie", resp.StatusCode)
	}
	resp, err = post("/password", tok, url.Values{"current_password": {otp}, "new_password": {h.opts.password},
		"repeat_password": {h.opts.password}})
	if err != nil {
		return "", fmt.Errorf("set password: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		return "", fmt.Errorf("set password: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if t := sessionCookie(resp); t != "" {
		tok = t
	}
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, s.base+"/", nil)
	if err != nil {
		return "", err
	}
	req.AddCookie(&http.Cookie{Name: "khien_session", Value: tok})
	r, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("home page: %w", err)
	}
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return "", fmt.Errorf("home page after password change: status %d, location %q", r.StatusCode, r.Header.Get("Location"))
	}
	return tok, nil
}

func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "khien_session" && c.Value != "" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

// level runs total requests of fn from conc clients (a shared counter hands
// out the requests), bounded by the level timeout.
func (h *harness) level(ctx context.Context, s *server, name string, conc, total int,
	fn func(context.Context, *http.Client) error) (levelResult, error) {
	r := levelResult{name: name, conc: conc, requested: total}
	c := newClient(conc)
	defer c.CloseIdleConnections()

	lctx, cancel := context.WithTimeout(ctx, h.opts.levelTimeout)
	defer cancel()

	// Warm-up: open the connections, unrecorded.
	var wg sync.WaitGroup
	var next atomic.Int64
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(h.opts.warmup) && lctx.Err() == nil {
				_ = fn(lctx, c)
			}
		})
	}
	wg.Wait()

	cpu0, err := s.cpuTime()
	if err != nil {
		return r, err
	}
	next.Store(0)
	lats := make([][]time.Duration, conc)
	var errCount, skipped atomic.Int64
	var errOnce sync.Once
	meter := startMeter(s)
	t0 := time.Now()
	for w := range conc {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(total) {
					return
				}
				if lctx.Err() != nil {
					skipped.Add(1)
					continue
				}
				st := time.Now()
				err := fn(lctx, c)
				d := time.Since(st)
				if err != nil {
					errCount.Add(1)
					errOnce.Do(func() { r.firstErr = err.Error() })
					continue
				}
				lats[w] = append(lats[w], d)
			}
		})
	}
	wg.Wait()
	r.wall = time.Since(t0)
	r.others = meter.others()
	cpu1, err := s.cpuTime()
	if err != nil {
		return r, err
	}
	r.cpu = cpu1 - cpu0
	r.rssAfter, r.hwmAfter, _ = s.procStatus()
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	slices.Sort(r.lat)
	r.errors, r.skipped = int(errCount.Load()), int(skipped.Load())
	if r.errors > 0 {
		h.note("%s c=%d: %d failed requests, first: %s", name, conc, r.errors, r.firstErr)
	}
	if r.others > h.opts.quietCores {
		h.note("%s c=%d: other processes used %.2f cores meanwhile (busy machine; consider re-running)", name, conc, r.others)
	}
	if r.skipped > 0 {
		h.note("%s c=%d: %d requests skipped at the %s time bound", name, conc, r.skipped, h.opts.levelTimeout)
	}
	fmt.Fprintf(os.Stderr, "  %-18s c=%-3d n=%-5d p50 %s p99 %s max %s  %.1f req/s  server CPU %.1f ms/req  others %.2f cores\n",
		name, conc, len(r.lat), ms(pct(r.lat, 0.50)), ms(pct(r.lat, 0.99)), ms(pct(r.lat, 1)),
		r.throughput(), r.cpuPerReq(), r.others)
	return r, ctx.Err()
}

func (r levelResult) throughput() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.wall.Seconds()
}

func (r levelResult) cpuPerReq() float64 {
	n := len(r.lat) + r.errors
	if n == 0 {
		return 0
	}
	return float64(r.cpu) / float64(time.Millisecond) / float64(n)
}

// pct is the nearest-rank percentile of sorted durations (q in (0,1]).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := max(int(math.Ceil(q*float64(len(sorted))))-1, 0)
	return sorted[min(i, len(sorted)-1)]
}

// ---------------------------------------------------------------------------
// Report.

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func mib(kib int64) string {
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}

func median[T int64 | float64 | time.Duration](v []T) T {
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

func collect[T any, V any](in []T, f func(T) V) []V {
	out := make([]V, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

func writeStartup(out io.Writer, res startupResult, o options) {
	fmt.Fprintf(out, "### Start-up to `GET /readyz` 200 (%d runs, poll every %s)\n\n", len(res.first), o.poll)
	fmt.Fprintln(out, "| start | median | min | max | phases (median): first log line / last migration / console URL line | other processes (cores, max) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	for _, p := range []struct {
		name string
		s    []startSample
	}{{"first (empty data dir: migrations + admin argon2id hash)", res.first}, {"second (same, initialised data dir)", res.second}} {
		r := collect(p.s, func(s startSample) time.Duration { return s.ready })
		if len(r) == 0 {
			continue
		}
		mig := "—"
		if m := median(collect(p.s, func(s startSample) time.Duration { return s.migrated })); m > 0 {
			mig = ms(m)
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s / %s / %s | %.2f |\n", p.name, ms(median(r)), ms(slices.Min(r)), ms(slices.Max(r)),
			ms(median(collect(p.s, func(s startSample) time.Duration { return s.starting }))), mig,
			ms(median(collect(p.s, func(s startSample) time.Duration { return s.running }))),
			slices.Max(collect(p.s, func(s startSample) float64 { return s.others })))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Per run, ready after (ms): first %s; second %s.\n\n",
		joinMS(collect(res.first, func(s startSample) time.Duration { return s.ready })),
		joinMS(collect(res.second, func(s startSample) time.Duration { return s.ready })))

	all := slices.Concat(res.first, res.second)
	stops := collect(all, func(s startSample) time.Duration { return s.stop })
	nonzero := 0
	for _, s := range all {
		if s.exitCode != 0 {
			nonzero++
		}
	}
	fmt.Fprintf(out, "### Graceful shutdown (SIGTERM → exit), %d stops\n\n", len(all))
	fmt.Fprintln(out, "| exit code 0 | median | min | max |")
	fmt.Fprintln(out, "|---|---|---|---|")
	if len(stops) > 0 {
		fmt.Fprintf(out, "| %d of %d | %s | %s | %s |\n\n", len(all)-nonzero, len(all), ms(median(stops)), ms(slices.Min(stops)), ms(slices.Max(stops)))
	}

	if o.idle > 0 {
		fmt.Fprintf(out, "### Idle memory, %s after readiness (%d runs)\n\n", o.idle, len(res.first))
		fmt.Fprintln(out, "| start | VmRSS median | min | max | VmHWM median |")
		fmt.Fprintln(out, "|---|---|---|---|---|")
		for _, p := range []struct {
			name string
			s    []startSample
		}{{"first (empty data dir)", res.first}, {"second (initialised data dir)", res.second}} {
			r := collect(p.s, func(s startSample) int64 { return s.rss })
			if len(r) == 0 {
				continue
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s | %s |\n", p.name, mib(median(r)), mib(slices.Min(r)), mib(slices.Max(r)),
				mib(median(collect(p.s, func(s startSample) int64 { return s.hwm }))))
		}
		fmt.Fprintln(out)
	}
}

func joinMS(v []time.Duration) string {
	s := make([]string, len(v))
	for i, d := range v {
		s[i] = strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	return strings.Join(s, ", ")
}

func writeLoad(out io.Writer, runs [][]levelResult) {
	fmt.Fprintf(out, "### Request latency under load (median of %d runs, each on a fresh server)\n\n", len(runs))
	fmt.Fprintf(out, "Clients and server share the machine; keep-alive connections; percentiles are nearest-rank over the requests of one run.\n\n")
	fmt.Fprintln(out, "| request | clients | requests/run | p50 | p90 | p99 | max | throughput | server CPU/request | server VmHWM after | other processes (cores, max) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|")
	for i := range runs[0] {
		var p50, p90, p99, mx []time.Duration
		var tput, cpu []float64
		var hwm []int64
		var others []float64
		for _, run := range runs {
			if i >= len(run) {
				continue
			}
			r := run[i]
			p50 = append(p50, pct(r.lat, 0.5))
			p90 = append(p90, pct(r.lat, 0.9))
			p99 = append(p99, pct(r.lat, 0.99))
			mx = append(mx, pct(r.lat, 1))
			tput = append(tput, r.throughput())
			cpu = append(cpu, r.cpuPerReq())
			hwm = append(hwm, r.hwmAfter)
			others = append(others, r.others)
		}
		r := runs[0][i]
		fmt.Fprintf(out, "| `%s` | %d | %d | %s | %s | %s | %s | %.1f req/s | %.2f ms | %s | %.2f |\n", r.name, r.conc, r.requested,
			ms(median(p50)), ms(median(p90)), ms(median(p99)), ms(median(mx)), median(tput), median(cpu), mib(median(hwm)),
			slices.Max(others))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Per run (p50 / p99 / throughput / server VmRSS after the level / CPU used by other processes meanwhile):\n\n")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for ri, run := range runs {
		for _, r := range run {
			fmt.Fprintf(tw, "    run %d\t%s\tc=%d\tn=%d\terr=%d\t%s\t%s\t%.1f req/s\tRSS after %s\tothers %.2f cores\n", ri+1, r.name,
				r.conc, len(r.lat), r.errors, ms(pct(r.lat, 0.5)), ms(pct(r.lat, 0.99)), r.throughput(), mib(r.rssAfter), r.others)
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(out)
}

// ---------------------------------------------------------------------------
// Machine description.

type machine struct {
	sysinfo.Machine
	binVersion string
}

func (m machine) String() string {
	return fmt.Sprintf("%d vCPU (%s), %s RAM, Linux %s, harness %s %s/%s", m.CPUs, m.Model, m.MemTotal, m.Kernel,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func describeMachine(ctx context.Context, bin string) machine {
	m := machine{Machine: sysinfo.DescribeMachine(), binVersion: "?"}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "version")
	cmd.Env = sysinfo.ChildEnv()
	if b, err := cmd.Output(); err == nil {
		m.binVersion = strings.TrimSpace(string(b))
	}
	return m
}

// ---------------------------------------------------------------------------
// Background load: the machine is shared, so every figure comes with how
// much CPU the other processes used meanwhile.

// cpuMeter measures, over an interval, the CPU used by everything except
// the harness and its server.
type cpuMeter struct {
	t0               time.Time
	busy, self, serv time.Duration
	s                *server
}

func startMeter(s *server) cpuMeter {
	m := cpuMeter{t0: time.Now(), s: s}
	m.busy, _ = sysinfo.BusyTime()
	m.self, _ = sysinfo.ProcCPU("self")
	if s != nil {
		m.serv, _ = s.cpuTime()
	}
	return m
}

// others is the average number of cores the other processes used since start.
func (m cpuMeter) others() float64 {
	wall := time.Since(m.t0)
	busy, err := sysinfo.BusyTime()
	if err != nil || wall <= 0 {
		return math.NaN()
	}
	self, _ := sysinfo.ProcCPU("self")
	other := (busy - m.busy) - (self - m.self)
	if m.s != nil && !m.s.exited() {
		serv, _ := m.s.cpuTime()
		other -= serv - m.serv
	}
	return max(0, other.Seconds()/wall.Seconds())
}

// waitQuiet waits, up to the -quiet-wait bound, for a 1 s sample in which
// the other processes use less than -quiet-cores; it returns the last sample.
func (h *harness) waitQuiet(ctx context.Context, what string) float64 {
	return sysinfo.WaitQuiet(ctx, what, h.opts.quietWait, h.opts.quietCores, func(last float64) {
		h.note("%s: machine still busy after %s (other processes %.2f cores); measured anyway", what, h.opts.quietWait, last)
	})
}
