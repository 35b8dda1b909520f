package valindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var testFields = []string{"source.ip", "destination.ip", "related.ip"}

// day0 is the first day of the tests' events.
var day0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// randomEntries returns n entries over days days, with values from a
// small pool so that values repeat.
func randomEntries(rng *rand.Rand, n, days int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{
			Time:  day0 + rng.Int64N(int64(days)*int64(Day)),
			Unit:  1 + rng.Int64N(3),
			Host:  fmt.Sprintf("host-%d", rng.IntN(5)),
			Field: testFields[rng.IntN(len(testFields))],
			Value: fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(50)),
		}
	}
	return out
}

// want is what Lookup must find among entries: the reference model.
func want(entries []Entry, q Query, values []string) []Occurrence {
	var out []Occurrence
	for _, e := range entries {
		if !slices.Contains(values, e.Value) || e.Time < q.From || e.Time >= q.To ||
			(q.Units != nil && !slices.Contains(q.Units, e.Unit)) || (q.Fields != nil && !slices.Contains(q.Fields, e.Field)) {
			continue
		}
		if !slices.Contains(testFields, e.Field) {
			continue
		}
		out = append(out, e)
	}
	sortOcc(out)
	return out
}

func sortOcc(o []Occurrence) {
	slices.SortFunc(o, func(a, b Occurrence) int {
		return strings.Compare(fmt.Sprint(a.Time, a.Unit, a.Host, a.Field, a.Value), fmt.Sprint(b.Time, b.Unit, b.Host, b.Field, b.Value))
	})
}

func lookup(t *testing.T, x *Index, q Query, values []string) []Occurrence {
	t.Helper()
	var got []Occurrence
	if err := x.Lookup(context.Background(), q, values, func(o Occurrence) error {
		got = append(got, o)
		return nil
	}); err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	sortOcc(got)
	return got
}

func check(t *testing.T, stage string, x *Index, entries []Entry) {
	t.Helper()
	queries := []struct {
		q      Query
		values []string
	}{
		{Query{From: day0, To: day0 + 10*int64(Day)}, []string{"10.0.1.7", "10.0.3.49", "192.0.2.1"}},
		{Query{From: day0 + int64(Day)/2, To: day0 + 2*int64(Day)}, []string{"10.0.0.0", "10.0.2.20", "10.0.2.21"}},
		{Query{Units: []int64{2}, From: day0, To: day0 + 10*int64(Day)}, []string{"10.0.1.7", "10.0.3.3"}},
		{Query{Units: []int64{}, From: day0, To: day0 + 10*int64(Day)}, []string{"10.0.1.7"}},
		{Query{Fields: []string{"related.ip"}, From: day0, To: day0 + 10*int64(Day)}, []string{"10.0.1.7", "10.0.0.1"}},
	}
	// Every value of the pool, as a sweep of many indicators does.
	var all []string
	for a := range 4 {
		for b := range 50 {
			all = append(all, fmt.Sprintf("10.0.%d.%d", a, b))
		}
	}
	queries = append(queries, struct {
		q      Query
		values []string
	}{Query{From: day0, To: day0 + 10*int64(Day)}, all})
	for i, c := range queries {
		got, exp := lookup(t, x, c.q, c.values), want(entries, c.q, c.values)
		if !slices.Equal(got, exp) {
			t.Errorf("%s: query %d: got %d occurrences, want %d", stage, i, len(got), len(exp))
		}
	}
}

func TestIndexLookup(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	x, err := Open(dir, testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := randomEntries(rng, 5000, 3)
	// An entry of a field not indexed is ignored.
	x.Add(append(slices.Clone(entries), Entry{Time: day0, Unit: 1, Host: "h", Field: "user.name", Value: "10.0.1.7"}))
	check(t, "in memory", x, entries)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	check(t, "flushed", x, entries)
	more := randomEntries(rng, 3000, 3)
	x.Add(more)
	entries = append(entries, more...)
	check(t, "segments and memory", x, entries)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir, testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	check(t, "reopened", x, entries)
	// The merger may have merged the days already: they are not being
	// appended to.
	if st := x.Stats(); st.Days != 3 || st.Segments < 3 || st.Segments > 6 || st.Postings != uint64(len(entries)) {
		t.Errorf("stats %+v: want 3 days, 3 to 6 segments, %d postings", st, len(entries))
	}
}

func TestIndexMerge(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	x, err := Open(dir, testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var entries []Entry
	for range 9 {
		e := randomEntries(rng, 500, 2)
		x.Add(e)
		entries = append(entries, e...)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Levels first: four level-0 segments of a day become one of level 1.
	for {
		did, err := x.mergeOne(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			break
		}
	}
	st := x.Stats()
	if st.Segments != 2*3 { // per day: 2 of level 1, 1 of level 0
		t.Errorf("after level merges: %d segments, want 6", st.Segments)
	}
	check(t, "level merges", x, entries)
	// A settled day is merged whole.
	for {
		did, err := x.mergeOne(time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			break
		}
	}
	if st := x.Stats(); st.Segments != 2 || st.Postings != uint64(len(entries)) {
		t.Errorf("after settling: %+v, want 2 segments and %d postings", st, len(entries))
	}
	check(t, "settled", x, entries)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 3 { // meta.json and one segment per day
		t.Errorf("files left: %v", names)
	}
}

func TestIndexCoverage(t *testing.T) {
	dir := t.TempDir()
	d1 := day0 / int64(Day)
	x, err := Open(dir, testFields, []int64{d1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := Query{From: day0, To: day0 + 2*int64(Day)}
	err = x.Lookup(context.Background(), q, []string{"10.0.0.1"}, func(Occurrence) error { return nil })
	if !errors.Is(err, ErrNotCovered) {
		t.Errorf("look-up over a day from before the index: %v, want ErrNotCovered", err)
	}
	// The next day is covered.
	if err := x.Lookup(context.Background(), Query{From: day0 + int64(Day), To: day0 + 2*int64(Day)}, []string{"10.0.0.1"},
		func(Occurrence) error { return nil }); err != nil {
		t.Errorf("look-up over a covered day: %v", err)
	}
	err = x.Lookup(context.Background(), Query{Fields: []string{"user.name"}, From: day0 + int64(Day), To: day0 + 2*int64(Day)}, nil,
		func(Occurrence) error { return nil })
	if !errors.Is(err, ErrNotCovered) {
		t.Errorf("look-up of a field not indexed: %v, want ErrNotCovered", err)
	}
	// Once the store's retention deletes the day, the range is covered.
	if err := x.Drop(func(d int64) bool { return d != d1 }); err != nil {
		t.Fatal(err)
	}
	if err := x.Lookup(context.Background(), q, []string{"10.0.0.1"}, func(Occurrence) error { return nil }); err != nil {
		t.Errorf("after Drop: %v", err)
	}
	x.Close()
	// Other fields: the days the store holds are uncovered again.
	x, err = Open(dir, []string{"source.ip"}, []int64{d1 + 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if st := x.Stats(); !slices.Equal(st.Uncovered, []int64{d1 + 1}) {
		t.Errorf("uncovered after a change of fields: %v", st.Uncovered)
	}
}

func TestIndexDrop(t *testing.T) {
	x, err := Open(t.TempDir(), testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	entries := randomEntries(rand.New(rand.NewPCG(5, 6)), 2000, 4)
	x.Add(entries)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	first := day0 / int64(Day)
	if err := x.Drop(func(d int64) bool { return d > first+1 }); err != nil {
		t.Fatal(err)
	}
	kept := slices.DeleteFunc(slices.Clone(entries), func(e Entry) bool { return e.Time < day0+2*int64(Day) })
	check(t, "dropped", x, kept)
	if st := x.Stats(); st.Days != 2 {
		t.Errorf("%d days after Drop, want 2", st.Days)
	}
}

// A crash can leave a temporary file, or a merge's output beside its
// inputs: Open cleans up and counts nothing twice.
func TestIndexCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir, testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := randomEntries(rand.New(rand.NewPCG(7, 8)), 1000, 1)
	var inputs []string
	for i := range 2 {
		x.Add(entries[i*500 : (i+1)*500])
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	x.segMu.RLock()
	var segs []*segment
	for _, ss := range x.segs {
		segs = append(segs, ss...)
	}
	x.segMu.RUnlock()
	out, err := x.merge(segs[0].day, 1, segs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		inputs = append(inputs, s.path)
	}
	out.close()
	// "Crash": the inputs and the merge's record remain.
	x.Close()
	for _, p := range inputs {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("input %s: %v", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "9-99-0.seg.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir, testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	check(t, "after crash", x, entries)
	if st := x.Stats(); st.Segments != 1 {
		t.Errorf("%d segments, want the merge's output only", st.Segments)
	}
	if _, err := os.Stat(filepath.Join(dir, "9-99-0.seg.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}
}

func TestOpenRefusesCorruptSegment(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, segName(20000, 1, 0)), bytes.Repeat([]byte{1}, 200), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, testFields, nil, nil); !errors.Is(err, errCorrupt) {
		t.Errorf("Open with a corrupt segment: %v, want errCorrupt", err)
	}
}

// FuzzReadSegment feeds arbitrary bytes to the segment reader and, when
// it accepts them, looks values up and walks the segment: errors, never
// panics or huge allocations.
func FuzzReadSegment(f *testing.F) {
	var buf bytes.Buffer
	w := newWriter(&buf, day0)
	w.add("10.0.0.1", []posting{{time: day0 + 5, unit: 1}, {time: day0 + 9, unit: 2, field: 1}})
	w.add("10.0.0.2", []posting{{time: day0 + 7, unit: 1, host: 1}})
	if err := w.finish([]string{"a", "b"}, testFields); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(magic + strings.Repeat("\x00", footerSize)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		s, err := readSegment(r, "fuzz")
		if err != nil {
			return
		}
		values := []string{"10.0.0.1", "10.0.0.2", "x"}
		hashes := []uint64{hash(values[0]), hash(values[1]), hash(values[2])}
		_ = s.lookup(r, values, hashes, func(string, []posting) error { return nil })
		_ = s.each(r, func(string, []posting) error { return nil })
	})
}

// Without Flush, the index writes what it holds once it holds MemLimit
// occurrences.
func TestIndexMemLimit(t *testing.T) {
	x, err := Open(t.TempDir(), testFields, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	entries := randomEntries(rand.New(rand.NewPCG(9, 10)), MemLimit+10, 2)
	x.Add(entries)
	// The write happens in the background: wait for it (generously: a
	// busy 2-CPU machine writing a million occurrences can take seconds;
	// this is a wait, not a timing assertion).
	for deadline := time.Now().Add(2 * time.Minute); x.Stats().MemPostings > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still %d occurrences in memory after 2 minutes", x.Stats().MemPostings)
		}
	}
	if st := x.Stats(); st.Postings != uint64(len(entries)) {
		t.Errorf("%d occurrences written, want %d", st.Postings, len(entries))
	}
}
