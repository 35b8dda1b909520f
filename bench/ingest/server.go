package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
)

// server is one `khien serve` child process.
type server struct {
	cmd      *exec.Cmd
	dir      string
	base     string // http://127.0.0.1:PORT
	syslog   string // 127.0.0.1:PORT
	stderr   *tailWriter
	done     chan struct{}
	exitCode int
	http     *http.Client
}

// startServer starts `khien serve` on dir with the syslog TCP listener on
// a free loopback port; every other setting is the product's default.
func (h *harness) startServer(ctx context.Context, dir string) (*server, error) {
	webPort, err := freePort()
	if err != nil {
		return nil, err
	}
	sysPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{
		dir:    dir,
		base:   "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(webPort)),
		syslog: net.JoinHostPort("127.0.0.1", strconv.Itoa(sysPort)),
		stderr: &tailWriter{},
		done:   make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			Proxy:       nil, // never a proxy, whatever the environment says
			DialContext: loopbackDialer.DialContext, MaxIdleConnsPerHost: 2, DisableCompression: true,
		}},
	}
	cmd := exec.Command(h.opts.bin, "serve")
	cmd.Env = append(sysinfo.ChildEnv(),
		"KHIEN_DATA_DIR="+dir,
		"KHIEN_LISTEN="+strings.TrimPrefix(s.base, "http://"),
		"KHIEN_TLS_INSECURE_HTTP=true",
		"KHIEN_INGEST_SYSLOG_TCP="+s.syslog,
		"KHIEN_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, h.opts.serverEnv...)
	cmd.Dir = dir
	cmd.Stdout = io.Discard // the console URL and the one-time password
	cmd.Stderr = s.stderr
	setProcAttr(cmd)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Pdeathsig fires when the thread that started the child ends, not the
	// process, and the senders' locked threads do end: start and wait on a
	// thread of our own that lives as long as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		s.exitCode = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", h.opts.bin, err)
	}
	s.cmd = cmd
	h.mu.Lock()
	h.servers = append(h.servers, s)
	h.mu.Unlock()
	return s, nil
}

func (s *server) pid() string { return strconv.Itoa(s.cmd.Process.Pid) }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200.
func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for n := 0; n < 100_000; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.exited() {
			return fmt.Errorf("server exited with code %d before ready; stderr: %s", s.exitCode, s.stderr.tail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s; stderr: %s", timeout, s.stderr.tail())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := s.http.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("readiness poll: iteration bound reached")
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

// scrape reads /metrics and returns the sum of each metric's series.
func (s *server) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the Prometheus text format and sums the series of
// each metric name (labels dropped).
func parseMetrics(r io.Reader) (map[string]float64, error) {
	m := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		m[strings.TrimSpace(name)] += v
	}
	return m, sc.Err()
}

// Metric names read from /metrics (internal/app/ingest_metrics.go).
const (
	mReceived    = "khien_ingest_received_events_total"
	mParseErrs   = "khien_ingest_parse_errors_total"
	mDropped     = "khien_ingest_dropped_events_total"
	mBacklog     = "khien_spool_backlog_bytes"
	mCommitted   = "khien_spool_committed_events_total"
	mBlocked     = "khien_spool_blocked_appends_total"
	mSyncs       = "khien_spool_syncs_total"
	mRead        = "khien_pipeline_events_total"
	mStored      = "khien_pipeline_stored_events_total"
	mTooOld      = "khien_pipeline_too_old_events_total"
	mTooNew      = "khien_pipeline_too_new_events_total"
	mInvalid     = "khien_pipeline_invalid_events_total"
	mAppendErrs  = "khien_pipeline_append_errors_total"
	mFlushErrs   = "khien_pipeline_flush_errors_total"
	mPipeErrs    = "khien_pipeline_parse_errors_total"
	mStoreRows   = "khien_eventstore_rows"
	mStoreDisk   = "khien_eventstore_disk_bytes"
	mPending     = "khien_pipeline_pending_events"
	mSpoolEvents = "khien_spool_appended_events_total"
)

func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailWriter keeps the last lines a child wrote and counts them.
type tailWriter struct {
	mu    sync.Mutex
	part  []byte
	lines []string // last 50
	n     int
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, string(w.part[:i]))
		w.part = w.part[i+1:]
		w.n++
		if len(w.lines) > 50 {
			w.lines = w.lines[len(w.lines)-50:]
		}
	}
	if len(w.part) > 64<<10 {
		w.part = w.part[:0]
	}
	return len(p), nil
}

func (w *tailWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *tailWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := max(0, len(w.lines)-5)
	return strings.Join(w.lines[n:], " | ")
}

// eventsDir and spoolDir are where `khien serve` keeps them under its data
// directory (internal/app/ingest.go).
func eventsDir(data string) string { return filepath.Join(data, "events") }
func spoolDir(data string) string  { return filepath.Join(data, "spool") }

// listening reports whether a socket listens on 127.0.0.1:port
// (/proc/net/tcp), for error messages.
func listening(port string) string {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return "?"
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "?"
	}
	want := fmt.Sprintf("0100007F:%04X", n)
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return "yes"
		}
	}
	return "no"
}
