package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"khien.vn/khien/internal/cli"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest/spool"
)

// TestServeProcess is not a test: TestDurability_KillDuringIngest runs
// the test binary again with KHIEN_TEST_SERVE=1 to get a `khien serve`
// process it can kill.
func TestServeProcess(t *testing.T) {
	if os.Getenv("KHIEN_TEST_SERVE") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(cli.Run(ctx, []string{"serve"}, os.Stdout, os.Stderr))
}

const durabilityToken = "durability-test-token-0123456789"

// startServe runs `khien serve` in a child process with the ingest HTTP
// receivers on ingestAddr and waits until they answer.
func startServe(t *testing.T, dataDir, ingestAddr string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"KHIEN_TEST_SERVE=1",
		"KHIEN_DATA_DIR="+dataDir,
		"KHIEN_LISTEN=127.0.0.1:0",
		"KHIEN_TLS_INSECURE_HTTP=true",
		"KHIEN_INGEST_HTTP="+ingestAddr,
		"KHIEN_INGEST_INSECURE_HTTP=true",
		"KHIEN_INGEST_TOKENS=sender="+durabilityToken,
		"KHIEN_INGEST_FLUSH_INTERVAL=1s",
		"KHIEN_EVENTS_MEMORY_MB=128",
		"KHIEN_LOG_LEVEL=warn",
	)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ingestAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return cmd, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("khien serve did not open %s:\n%s", ingestAddr, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Acceptance (issue 5): a sender streams events, Khiên is killed with
// SIGKILL mid-stream and restarted; every event the sender saw
// acknowledged is in the store afterwards.
func TestDurability_KillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts khien serve twice and streams ~100k events; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL semantics: POSIX only")
	}
	dataDir := t.TempDir()
	addr := freeAddr(t)
	cmd, out := startServe(t, dataDir, addr)

	// The sender: 4 concurrent connections posting batches of 200 JSON
	// lines; a batch counts as acknowledged only on 200 OK.
	var (
		mu    sync.Mutex
		acked = map[int]bool{}
		sent  int
	)
	client := &http.Client{Timeout: 10 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; ; i++ {
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	t0 := time.Now().UTC()
	for range 4 {
		wg.Go(func() {
			for b := range next {
				var body strings.Builder
				for j := range 200 {
					seq := b*200 + j
					fmt.Fprintf(&body, `{"@timestamp":%q,"message":"durability event %d","seq":"%d","host":{"name":"sender-%d"}}`+"\n",
						t0.Add(time.Duration(seq)*time.Microsecond).Format(time.RFC3339Nano), seq, seq, b%4)
				}
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/ingest/jsonl", strings.NewReader(body.String()))
				req.Header.Set("Authorization", "Bearer "+durabilityToken)
				resp, err := client.Do(req)
				mu.Lock()
				sent++
				mu.Unlock()
				if err != nil {
					continue // the server is down: not acknowledged
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					for j := range 200 {
						acked[b*200+j] = true
					}
					mu.Unlock()
				}
			}
		})
	}
	// Kill mid-stream, once a good number of batches went through (some
	// flushed to the store, the last ones only in the spool).
	started := time.Now()
	deadline := started.Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		// At least 3 flush intervals: part of what was acknowledged is in
		// the store already, the rest only in the spool.
		if n >= 40_000 && time.Since(started) > 3500*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events acknowledged in 60 s:\n%s", n, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	time.Sleep(100 * time.Millisecond) // requests in flight fail
	close(stop)
	wg.Wait()
	mu.Lock()
	want := len(acked)
	mu.Unlock()
	t.Logf("%d events acknowledged before SIGKILL (%d batches sent)", want, sent)
	// The kill must have left acknowledged events that only the spool
	// holds, or the test proves nothing about the replay.
	sp, err := spool.Open(t.Context(), filepath.Join(dataDir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backlog := sp.Stats().BacklogRecords
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if backlog == 0 {
		t.Fatal("the spool had no uncommitted batch at the kill: nothing to replay")
	}
	t.Logf("%d batches in the spool, not yet committed, at the kill", backlog)

	// Restart: the spool replays what the store had not made durable.
	// Stopping with SIGTERM stores what the pipeline has read and leaves
	// the rest in the spool for the next start, so restart until the
	// spool is empty (each start replays more).
	for restart := 1; ; restart++ {
		cmd, out = startServe(t, dataDir, addr)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("khien serve after restart: %v\n%s", err, out)
		}
		sp, err := spool.Open(t.Context(), filepath.Join(dataDir, "spool"), spool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		left := sp.Stats().BacklogRecords
		if err := sp.Close(); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if restart == 10 {
			t.Fatalf("%d batches still in the spool after %d restarts", left, restart)
		}
		t.Logf("restart %d left %d batches in the spool; starting again", restart, left)
	}

	store, err := vlstore.Open(t.Context(), filepath.Join(dataDir, "events"), vlstore.Options{MemoryBudget: 128 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	units := make([]int64, 0, 10)
	for u := range int64(10) {
		units = append(units, u+1)
	}
	// Event seq has time t0 + seq µs. Read the store in windows of seq,
	// each under the store's result cap: the replay stores some events
	// twice, so a window may hold more rows than seqs; a window whose
	// query reached its limit is read again as two halves.
	maxSeq := 0
	for seq := range acked {
		maxSeq = max(maxSeq, seq)
	}
	const window, limit = 50_000, 50_000 + 1 // limit: beyond one row per seq
	found := map[int]int{}
	var read func(from, to int)
	read = func(from, to int) {
		rows := map[int]int{}
		n := 0
		err := store.Query(t.Context(), eventstore.Query{Units: units,
			From: t0.Add(time.Duration(from) * time.Microsecond), To: t0.Add(time.Duration(to) * time.Microsecond),
			Expr: `khien.source.name:="jsonl-http"`, Fields: []string{"seq"}, Limit: limit, Order: eventstore.Unordered},
			func(e event.Event) error {
				seq, err := strconv.Atoi(e.Fields["seq"])
				if err != nil {
					return fmt.Errorf("event without seq: %+v", e)
				}
				rows[seq]++
				n++
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if n >= limit {
			if to-from < 2 {
				t.Fatalf("%d rows for seq %d", n, from)
			}
			mid := from + (to-from)/2
			read(from, mid)
			read(mid, to)
			return
		}
		for seq, k := range rows {
			found[seq] += k
		}
	}
	for from := 0; from <= maxSeq+4*200; from += window {
		read(from, from+window)
	}
	var missing []int
	dups := 0
	for seq := range acked {
		if found[seq] == 0 {
			missing = append(missing, seq)
		}
	}
	for _, n := range found {
		if n > 1 {
			dups++
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("%d of %d acknowledged events are not in the store (seq ranges %s)", len(missing), want, seqRanges(missing, 10))
	}
	t.Logf("store holds %d distinct events (%d acknowledged, %d stored twice: at-least-once replay)", len(found), want, dups)
}

// seqRanges describes sorted seqs as at most n ranges "a-b".
func seqRanges(seqs []int, n int) string {
	var b strings.Builder
	for i, ranges := 0, 0; i < len(seqs); ranges++ {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if ranges == n {
			b.WriteString(" …")
			break
		}
		if ranges > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d-%d", seqs[i], seqs[j])
		i = j + 1
	}
	return b.String()
}
