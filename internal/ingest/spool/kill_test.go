package spool_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/ingest/spool"
)

// killDirEnv, when set, makes TestKill_Writer the writer process of
// TestKill: it appends batches to the spool in that directory and prints
// "ack <id>" for each one acknowledged, until it is killed.
const killDirEnv = "KHIEN_SPOOL_KILL_DIR"

// TestKill runs a writer in a subprocess (this test binary, re-executed),
// kills it with SIGKILL in mid-stream, reopens its spool and checks that
// every batch it acknowledged is there, once.
func TestKill(t *testing.T) {
	if os.Getenv(killDirEnv) != "" {
		t.Skip("running as the writer subprocess of TestKill, not as the test")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs SIGKILL and subprocesses")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKill_Writer$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Kill after a few hundred acknowledgements; keep reading to EOF: the
	// pipe holds what the writer printed before it died.
	var acked []int
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(id)
		if err != nil {
			t.Fatalf("writer printed %q", sc.Text())
		}
		acked = append(acked, n)
		if len(acked) == 300 && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("writer ended before it was killed (%d acks): %v", len(acked), err)
	}

	s := open(t, dir, spool.Options{})
	delivered := map[int]int{}
	for _, id := range batchIDs(t, drain(t, s)) {
		delivered[id]++
	}
	for _, id := range acked {
		if delivered[id] != 1 {
			t.Errorf("acknowledged batch %d delivered %d times", id, delivered[id])
		}
	}
	st := s.Stats()
	t.Logf("%d batches acknowledged before SIGKILL, %d delivered after reopening; torn tail bytes cut: %d",
		len(acked), len(delivered), st.TruncatedTailBytes)
}

// TestKill_Writer is the writer process of TestKill.
func TestKill_Writer(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("run by TestKill")
	}
	s, err := spool.Open(t.Context(), dir, spool.Options{SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	// Four connections append concurrently, sharing fsyncs; the parent
	// kills this process long before the deadline.
	deadline := time.Now().Add(20 * time.Second)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				id := i*4 + w
				if err := s.Append(t.Context(), testBatch(id, 1+id%50)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	_ = s.Close()
}
