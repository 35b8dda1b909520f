package spool_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/spool"
)

// TestMain checks that no spool writer goroutine outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(2 * time.Second)
		for {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			if !strings.Contains(stacks, "spool.(*Spool).flushLoop") {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "leaked spool writer goroutine:\n%s\n", stacks)
				code = 1
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.Exit(code)
}

const batchField = "labels.batch" // the test batch id carried by each event

// open opens a spool that is closed when the test ends.
func open(t testing.TB, dir string, opts spool.Options) *spool.Spool {
	t.Helper()
	s, err := spool.Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// drain returns every batch available now.
func drain(t testing.TB, s *spool.Spool) []spool.Batch {
	t.Helper()
	var out []spool.Batch
	for {
		b, ok, err := s.TryNext()
		if err != nil {
			t.Fatalf("TryNext: %v", err)
		}
		if !ok {
			return out
		}
		out = append(out, b)
	}
}

// batchIDs returns the batch ids of the events in batches, in order.
func batchIDs(t testing.TB, batches []spool.Batch) []int {
	t.Helper()
	var ids []int
	for _, b := range batches {
		for _, ev := range b.Events {
			id, err := strconv.Atoi(ev.Get(batchField))
			if err != nil {
				t.Fatalf("event without a batch id: %+v", ev)
			}
			if len(ids) == 0 || ids[len(ids)-1] != id {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// seq returns [from, to).
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// realisticEvent is a syslog-like event with 15 ECS fields and about 200
// bytes of message, modelled on an sshd authentication failure.
func realisticEvent(i int) event.Event {
	t := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1137 * time.Microsecond)
	host := fmt.Sprintf("web-%02d.hanoi.gov.vn", i%17)
	src := fmt.Sprintf("203.0.113.%d", i%251)
	port := strconv.Itoa(1024 + i%60000)
	user := []string{"admin", "root", "nguyenvana", "tranthib", "oracle"}[i%5]
	pid := strconv.Itoa(4000 + i%900)
	return event.Event{
		Time:     t,
		Received: t.Add(37 * time.Millisecond),
		UnitID:   int64(1 + i%4),
		Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "10.20.30.40"},
		Message: fmt.Sprintf("<38>1 %s %s sshd %s - - Failed password for invalid user %s from %s port %s ssh2",
			t.Format(time.RFC3339Nano), host, pid, user, src, port),
		Fields: map[string]string{
			event.FieldHostName:      host,
			event.FieldHostIP:        "10.20.30." + strconv.Itoa(i%17),
			event.FieldEventCode:     "4625",
			event.FieldEventProvider: "sshd",
			event.FieldEventDataset:  "system.auth",
			event.FieldEventModule:   "system",
			event.FieldEventCategory: "authentication",
			event.FieldEventAction:   "ssh_login",
			event.FieldEventOutcome:  "failure",
			event.FieldLogLevel:      "warning",
			event.FieldSourceIP:      src,
			event.FieldSourcePort:    port,
			event.FieldUserName:      user,
			event.FieldProcessName:   "sshd",
			event.FieldProcessPID:    pid,
		},
	}
}

// testBatch returns n realistic events tagged with batch id.
func testBatch(id, n int) []event.Event {
	b := make([]event.Event, n)
	for i := range b {
		b[i] = realisticEvent(id*n + i)
		b[i].Set(batchField, strconv.Itoa(id))
	}
	return b
}

// tinyBatch is a one-event batch whose record is about 80 bytes.
func tinyBatch(id int) []event.Event {
	ev := event.Event{Source: event.Source{Kind: event.KindJSONL}, Message: "x"}
	ev.Set(batchField, strconv.Itoa(id))
	return []event.Event{ev}
}

func appendAll(t testing.TB, s *spool.Spool, batches ...[]event.Event) {
	t.Helper()
	for i, b := range batches {
		if err := s.Append(context.Background(), b); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

// segments returns the segment file paths in dir, in order.
func segments(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// recordOffsets walks a segment by the documented format (8-byte segment
// header; 24-byte record headers whose bytes 4..8 hold the payload length)
// and returns the offset of each record.
func recordOffsets(t testing.TB, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := 8; off+24 <= len(b); {
		if string(b[off:off+4]) != "KSR1" {
			t.Fatalf("%s: no record magic at %d", path, off)
		}
		offs = append(offs, int64(off))
		off += 24 + int(binary.LittleEndian.Uint32(b[off+4:]))
	}
	return offs
}

// copyDir copies the spool files (not the lock) from src to a new
// directory, as a crash at that moment would leave them.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// patch overwrites bytes of a file at off.
func patch(t testing.TB, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
