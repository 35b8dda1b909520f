package eventstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/eventstore"
)

func TestDaySet(t *testing.T) {
	ns := time.Date(2025, 3, 1, 23, 59, 59, 0, time.UTC).UnixNano()
	if got := eventstore.PartitionName(eventstore.DayOf(ns)); got != "20250301" {
		t.Errorf("PartitionName = %q, want 20250301", got)
	}

	var s eventstore.DaySet
	if got := s.Take(); len(got) != 0 {
		t.Errorf("Take of an empty set = %v", got)
	}
	var wg sync.WaitGroup
	for _, d := range []int64{5, 3, 5, 9} {
		wg.Go(func() { s.Add(d) })
	}
	wg.Wait()
	s.Add(3, 1)
	if diff := cmp.Diff([]int64{1, 3, 5, 9}, s.Take()); diff != "" {
		t.Errorf("Take (-want +got):\n%s", diff)
	}
	if got := s.Take(); len(got) != 0 {
		t.Errorf("Take after Take = %v", got)
	}
}
