package eventstore

import (
	"slices"
	"sync"
	"time"
)

// Day is the span of the engine's partitions: events are stored, and
// deleted, by whole days (UTC).
const Day = 24 * time.Hour

// DayOf returns the day — days since the Unix epoch, UTC — of a time in
// nanoseconds: the engine's partition for an event stored at that time.
func DayOf(ns int64) int64 { return ns / int64(Day) }

// PartitionName returns the engine's name of a day's partition (YYYYMMDD).
func PartitionName(day int64) string {
	return time.Unix(0, day*int64(Day)).UTC().Format("20060102")
}

// DaySet is a set of days (see DayOf), safe for concurrent use: the stores
// record in one the days appended to since the last Flush. The zero value
// is an empty set; a DaySet must not be copied after first use.
type DaySet struct {
	mu   sync.Mutex
	days map[int64]struct{}
}

// Add adds days to the set.
func (s *DaySet) Add(days ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.days == nil {
		s.days = make(map[int64]struct{})
	}
	for _, d := range days {
		s.days[d] = struct{}{}
	}
}

// Take empties the set and returns the days it held, in increasing order.
func (s *DaySet) Take() []int64 {
	s.mu.Lock()
	days := make([]int64, 0, len(s.days))
	for d := range s.days {
		days = append(days, d)
	}
	clear(s.days)
	s.mu.Unlock()
	slices.Sort(days)
	return days
}
