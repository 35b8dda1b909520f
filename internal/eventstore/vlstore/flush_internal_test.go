package vlstore

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// flushEvents returns n events of host, one µs apart from t0 + seq µs.
func flushEvents(t0 time.Time, host string, seq, n int) []event.Event {
	events := make([]event.Event, n)
	for i := range events {
		ev := &events[i]
		*ev = event.Event{Time: t0.Add(time.Duration(seq+i) * time.Microsecond), UnitID: 1,
			Source: event.Source{Kind: event.KindSyslog, Name: "flush-test"}, Message: "flush test " + strconv.Itoa(seq+i)}
		ev.Set(event.FieldHostName, host)
	}
	return events
}

// TestFlushLeavesNothingInMemory checks what the spool relies on: when
// Flush returns, no row appended before it is only in the library's memory
// (where a crash loses it). Each round appends and makes many small
// in-memory parts, as a busy ingest does, so that the library is merging
// some of them when Flush starts: a partition snapshot skips the parts a
// merge holds, and Flush used to return with them (and 60,800 events a
// kill then lost in TestDurability_KillDuringIngest) still in memory.
func TestFlushLeavesNothingInMemory(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir(), Options{MemoryBudget: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().UTC().Add(-time.Minute)
	seq := 0
	for round := range 20 {
		for range 60 {
			// A new host each round: a new stream in the index.
			if _, err := s.Append(t.Context(), flushEvents(t0, "host-"+strconv.Itoa(seq/6000), seq, 100)); err != nil {
				t.Fatal(err)
			}
			seq += 100
			s.st.DebugFlush()
		}
		if err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := s.engineStats(); st.InmemoryParts != 0 || st.PendingRows != 0 || st.IndexdbPendingItems != 0 {
			t.Fatalf("round %d: after Flush the library holds %d rows in %d in-memory parts, %d pending rows, %d pending index items",
				round, st.InmemoryRowsCount, st.InmemoryParts, st.PendingRows, st.IndexdbPendingItems)
		}
	}
}

// TestFlushWhileAppending checks that Flush, which keeps Append out while
// it writes, neither waits for appends to stop nor loses one of them.
func TestFlushWhileAppending(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir(), Options{MemoryBudget: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().UTC().Add(-time.Minute)
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		appended int
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Worker w writes seqs w*1e6 + i*100 …: distinct times.
				res, err := s.Append(t.Context(), flushEvents(t0, "host-"+strconv.Itoa(w), w*1_000_000+i*100, 100))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				appended += res.Stored
				mu.Unlock()
			}
		})
	}
	for range 20 {
		start := time.Now()
		if err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Flush took %s with appends running", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := s.engineStats(); st.InmemoryParts != 0 {
		t.Errorf("after the last Flush: %d in-memory parts", st.InmemoryParts)
	}
	var h eventstore.Hits
	if h, err = s.Hits(t.Context(), eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	var stored uint64
	for _, sr := range h.Series {
		stored += sr.Total
	}
	if stored != uint64(appended) {
		t.Errorf("store holds %d events, %d appended", stored, appended)
	}
	t.Logf("%d events appended during 20 Flushes", appended)
}
