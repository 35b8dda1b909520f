// Package valindex is the event store's value index. For a few fields —
// the IP fields an IOC sweep compares — it keeps every value an event
// had, with where it occurred: time, unit, host and field. An IOC sweep of
// 10,000 addresses over 30 days then looks each one up instead of reading
// every IP value of every event (docs/eventstore.md, "Value index").
//
// Values are kept per day, like the event store's partitions: in memory
// from Add until Flush, then in immutable segment files (segment.go)
// that a background merge combines, four of a level into one of the next
// level and, once a day has had no new event for a while, all into one.
// The index is as durable as the store: the store flushes it with its
// own rows, and what a crash loses of either comes back with the
// ingestion spool's replay.
package valindex

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Day is the span of a day, as the event store's.
const Day = 24 * time.Hour

const (
	metaName = "meta.json"
	segExt   = ".seg"
	// mergeFanIn is the number of segments of one level merged into one
	// of the next.
	mergeFanIn = 4
	// settled is how long a day goes without an appended value before its
	// segments are merged into one.
	settled = 10 * time.Minute
	// MemLimit is the number of occurrences in memory beyond which the
	// index writes them without waiting for Flush (about 60 bytes each):
	// the bound when the store is appended to without flushes, as by an
	// import. Such an early write may count an event twice should a crash
	// make the spool replay it.
	MemLimit = 1 << 20
)

// Occurrence is one indexed value of one event.
type Occurrence struct {
	Time  int64 // Unix nanoseconds
	Unit  int64
	Host  string
	Field string
	Value string
}

// Entry is one value to add: Occurrence without the value's day, which
// Add derives from Time.
type Entry = Occurrence

// Index is a value index in a directory. Its methods are safe for
// concurrent use.
type Index struct {
	dir    string
	fields []string
	field  map[string]uint32
	log    *slog.Logger

	mu       sync.Mutex // guards mem, flushing, touched and meta
	mem      map[int64]*memDay
	memN     int               // occurrences in mem
	flushing map[int64]*memDay // being written by Flush: still searched
	touched  map[int64]time.Time
	meta     meta
	full     bool // memN reached MemLimit: the merger flushes

	flushMu sync.Mutex // serialises Flush and Drop
	mergeMu sync.Mutex // serialises merges

	segMu sync.RWMutex // guards segs; look-ups hold it for reading
	segs  map[int64][]*segment
	seq   atomic.Uint64 // of the last segment written

	stop chan struct{}
	wake chan struct{}
	done chan struct{}
}

// meta is the index's own record of what it covers.
type meta struct {
	// Fields are the indexed fields.
	Fields []string `json:"fields"`
	// Uncovered are the days that have events stored before the index
	// indexed them (the store predates the index, or the fields changed):
	// look-ups over them are refused.
	Uncovered []int64 `json:"uncovered,omitempty"`
}

// memDay is one day's values in memory.
type memDay struct {
	values map[string][]posting
	hosts  map[string]uint32
	list   []string
	n      int
}

func newMemDay() *memDay {
	return &memDay{values: map[string][]posting{}, hosts: map[string]uint32{}}
}

func (m *memDay) host(h string) uint32 {
	if i, ok := m.hosts[h]; ok {
		return i
	}
	i := uint32(len(m.list))
	m.hosts[h] = i
	m.list = append(m.list, h)
	return i
}

// Open opens the index in dir for fields, creating it if needed. days
// lists the days the store already holds events of: when the index is new
// or its fields changed, those days are uncovered.
func Open(dir string, fields []string, days []int64, log *slog.Logger) (*Index, error) {
	if len(fields) == 0 || len(fields) > 255 {
		return nil, fmt.Errorf("value index: %d fields: want 1 to 255", len(fields))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("value index: %w", err)
	}
	x := &Index{dir: dir, fields: slices.Clone(fields), field: map[string]uint32{}, log: log,
		mem: map[int64]*memDay{}, touched: map[int64]time.Time{}, segs: map[int64][]*segment{},
		stop: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{})}
	for i, f := range fields {
		x.field[f] = uint32(i)
	}
	m, err := readMeta(filepath.Join(dir, metaName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		m = meta{Fields: x.fields, Uncovered: slices.Clone(days)}
	case err != nil:
		return nil, err
	case !slices.Equal(m.Fields, fields):
		log.Warn("value index fields changed: the stored days are no longer covered",
			slog.Any("was", m.Fields), slog.Any("now", fields))
		m = meta{Fields: x.fields, Uncovered: slices.Clone(days)}
		if err := x.removeSegments(); err != nil {
			return nil, err
		}
	}
	slices.Sort(m.Uncovered)
	m.Uncovered = slices.Compact(m.Uncovered)
	x.meta = m
	if err := writeMeta(filepath.Join(dir, metaName), m); err != nil {
		return nil, err
	}
	if err := x.load(); err != nil {
		x.closeSegments()
		return nil, err
	}
	go x.merger()
	return x, nil
}

// segName returns the file name of a segment.
func segName(day int64, seq uint64, level int) string {
	return fmt.Sprintf("%d-%d-%d%s", day, seq, level, segExt)
}

func parseSegName(name string) (day int64, seq uint64, level int, ok bool) {
	parts := strings.Split(strings.TrimSuffix(name, segExt), "-")
	if len(parts) != 3 || !strings.HasSuffix(name, segExt) {
		return 0, 0, 0, false
	}
	day, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	level, err3 := strconv.Atoi(parts[2])
	return day, seq, level, err1 == nil && err2 == nil && err3 == nil && level >= 0
}

// load opens the segment files, deleting those a merge left behind (a
// merge writes its output before deleting its inputs; the output's seq is
// higher than theirs and it lists them in its name's sidecar) and
// temporary files.
func (x *Index) load() error {
	ents, err := os.ReadDir(x.dir)
	if err != nil {
		return fmt.Errorf("value index: %w", err)
	}
	replaced := map[string]bool{}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".replaces") {
			b, err := os.ReadFile(filepath.Join(x.dir, e.Name()))
			if err != nil {
				return fmt.Errorf("value index: %w", err)
			}
			out := strings.TrimSuffix(e.Name(), ".replaces")
			if _, err := os.Stat(filepath.Join(x.dir, out)); err != nil {
				// The merge did not finish: its inputs stand.
				os.Remove(filepath.Join(x.dir, e.Name()))
				continue
			}
			for _, name := range strings.Fields(string(b)) {
				replaced[name] = true
			}
		}
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(x.dir, name))
			continue
		}
		day, seq, level, ok := parseSegName(name)
		if !ok {
			continue
		}
		if seq > x.seq.Load() {
			x.seq.Store(seq)
		}
		if replaced[name] {
			os.Remove(filepath.Join(x.dir, name))
			continue
		}
		s, err := openSegment(filepath.Join(x.dir, name), day, seq, level)
		if err != nil {
			return fmt.Errorf("value index: %w", err)
		}
		x.segs[day] = append(x.segs[day], s)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".replaces") {
			os.Remove(filepath.Join(x.dir, e.Name()))
		}
	}
	for _, ss := range x.segs {
		slices.SortFunc(ss, func(a, b *segment) int { return cmp.Compare(a.seq, b.seq) })
	}
	return nil
}

// Fields returns the indexed fields.
func (x *Index) Fields() []string { return x.fields }

// Add adds the entries whose field is indexed (others are ignored).
func (x *Index) Add(entries []Entry) {
	if len(entries) == 0 {
		return
	}
	now := time.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	var (
		day    int64 = -1 << 62
		md     *memDay
		hostS  string
		hostI  uint32
		hostOK bool
	)
	for i := range entries {
		e := &entries[i]
		f, ok := x.field[e.Field]
		if !ok || e.Value == "" || e.Unit < 0 || e.Unit > 1<<32-1 {
			continue
		}
		if d := dayOf(e.Time); d != day || md == nil {
			day = d
			md = x.mem[d]
			if md == nil {
				md = newMemDay()
				x.mem[d] = md
			}
			x.touched[d] = now
			hostOK = false
		}
		if !hostOK || e.Host != hostS {
			hostS, hostI, hostOK = e.Host, md.host(e.Host), true
		}
		md.values[e.Value] = append(md.values[e.Value], posting{time: e.Time, unit: uint32(e.Unit), host: hostI, field: f})
		md.n++
		x.memN++
	}
	if x.memN >= MemLimit && !x.full {
		x.full = true
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
}

func dayOf(ns int64) int64 {
	d := ns / int64(Day)
	if ns < 0 && ns%int64(Day) != 0 {
		d--
	}
	return d
}

// Flush writes what Add added since the last Flush to segment files.
func (x *Index) Flush() error {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	x.mu.Lock()
	x.flushing, x.mem = x.mem, map[int64]*memDay{}
	x.memN, x.full = 0, false
	fl := x.flushing
	x.mu.Unlock()

	var errList []error
	written := map[int64]*segment{}
	days := make([]int64, 0, len(fl))
	for d := range fl {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		md := fl[d]
		if md.n == 0 {
			continue
		}
		s, err := x.writeMem(d, md)
		if err != nil {
			errList = append(errList, err)
			continue
		}
		written[d] = s
	}
	// Both locks: a look-up sees the occurrences in flushing or in the
	// new segments, never in both.
	x.segMu.Lock()
	defer x.segMu.Unlock()
	for d, s := range written {
		x.segs[d] = append(x.segs[d], s)
	}
	x.mu.Lock()
	// What could not be written stays in memory for the next Flush.
	for d, md := range fl {
		if _, ok := written[d]; ok || md.n == 0 {
			continue
		}
		if cur := x.mem[d]; cur != nil {
			for v, ps := range md.values {
				for _, p := range ps {
					cur.values[v] = append(cur.values[v], posting{time: p.time, unit: p.unit, host: cur.host(md.list[p.host]), field: p.field})
					cur.n++
				}
			}
		} else {
			x.mem[d] = md
		}
		x.memN += md.n
	}
	x.flushing = nil
	x.mu.Unlock()
	if len(written) > 0 {
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
	return errors.Join(errList...)
}

// writeMem writes a day held in memory as a level-0 segment.
func (x *Index) writeMem(day int64, md *memDay) (*segment, error) {
	values := make([]string, 0, len(md.values))
	for v := range md.values {
		values = append(values, v)
	}
	slices.Sort(values)
	return x.writeSegment(day, 0, func(w *writer) {
		for _, v := range values {
			ps := md.values[v]
			slices.SortStableFunc(ps, func(a, b posting) int { return cmp.Compare(a.time, b.time) })
			w.add(v, ps)
		}
	}, md.list, nil)
}

// writeSegment writes a segment of day at level through fill, durably,
// and opens it. replaces lists the segments a merge replaces: they are
// recorded beside it first, so that a crash between the rename and their
// deletion does not leave their values twice.
func (x *Index) writeSegment(day int64, level int, fill func(*writer), hosts []string, replaces []*segment) (*segment, error) {
	seq := x.seq.Add(1)
	name := segName(day, seq, level)
	path := filepath.Join(x.dir, name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("value index: %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	w := newWriter(bw, day*int64(Day))
	fill(w)
	err = w.finish(hosts, x.fields)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && len(replaces) > 0 {
		names := make([]string, len(replaces))
		for i, s := range replaces {
			names[i] = filepath.Base(s.path)
		}
		err = writeFileSync(path+".replaces", []byte(strings.Join(names, "\n")+"\n"))
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(x.dir)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(path + ".replaces")
		return nil, fmt.Errorf("value index: write %s: %w", name, err)
	}
	s, err := openSegment(path, day, seq, level)
	if err != nil {
		return nil, fmt.Errorf("value index: %w", err)
	}
	return s, nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// merger merges segments in the background until Close.
func (x *Index) merger() {
	defer close(x.done)
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		x.mu.Lock()
		full := x.full
		x.mu.Unlock()
		if full {
			if err := x.Flush(); err != nil {
				x.log.Error("value index write failed", slog.Any("error", err))
			}
		}
		for {
			did, err := x.mergeOne(time.Now())
			if err != nil {
				x.log.Error("value index merge failed", slog.Any("error", err))
				break
			}
			if !did {
				break
			}
			select {
			case <-x.stop:
				return
			default:
			}
		}
		select {
		case <-x.stop:
			return
		case <-x.wake:
		case <-tick.C:
		}
	}
}

// mergeOne merges one group of segments, if any needs it: mergeFanIn
// segments of one level of a day, or all the segments of a day that has
// settled. It reports whether it merged.
func (x *Index) mergeOne(now time.Time) (bool, error) {
	x.mergeMu.Lock() // one merge at a time; Flush and look-ups go on
	defer x.mergeMu.Unlock()
	x.segMu.RLock()
	var (
		pick []*segment
		day  int64
	)
	x.mu.Lock()
	touched := maps(x.touched)
	x.mu.Unlock()
	days := make([]int64, 0, len(x.segs))
	for d := range x.segs {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		ss := x.segs[d]
		if len(ss) < 2 {
			continue
		}
		if t, ok := touched[d]; !ok || now.Sub(t) >= settled {
			pick, day = slices.Clone(ss), d
			break
		}
		byLevel := map[int][]*segment{}
		for _, s := range ss {
			byLevel[s.level] = append(byLevel[s.level], s)
			if len(byLevel[s.level]) == mergeFanIn {
				pick, day = byLevel[s.level], d
				break
			}
		}
		if pick != nil {
			break
		}
	}
	x.segMu.RUnlock()
	if pick == nil {
		return false, nil
	}
	level := 0
	for _, s := range pick {
		level = max(level, s.level)
	}
	out, err := x.merge(day, level+1, pick)
	if err != nil {
		return false, err
	}
	x.segMu.Lock()
	ss := x.segs[day][:0:0]
	for _, s := range x.segs[day] {
		if !slices.Contains(pick, s) {
			ss = append(ss, s)
		}
	}
	if len(x.segs[day])-len(ss) != len(pick) {
		// Drop deleted the day meanwhile.
		x.segMu.Unlock()
		out.close()
		os.Remove(out.path)
		os.Remove(out.path + ".replaces")
		return true, nil
	}
	x.segs[day] = append(ss, out)
	slices.SortFunc(x.segs[day], func(a, b *segment) int { return cmp.Compare(a.seq, b.seq) })
	x.segMu.Unlock()
	for _, s := range pick {
		s.close()
		os.Remove(s.path)
	}
	os.Remove(out.path + ".replaces")
	return true, nil
}

func maps(m map[int64]time.Time) map[int64]time.Time {
	out := make(map[int64]time.Time, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// merge writes the values of segs (of one day) as one segment.
func (x *Index) merge(day int64, level int, segs []*segment) (*segment, error) {
	// Read every input whole: a day is some megabytes.
	type input struct {
		values []string
		ps     [][]posting
		s      *segment
	}
	hosts := map[string]uint32{}
	var list []string
	ins := make([]input, len(segs))
	for i, s := range segs {
		remap := make([]uint32, len(s.hosts))
		for j, h := range s.hosts {
			id, ok := hosts[h]
			if !ok {
				id = uint32(len(list))
				hosts[h] = id
				list = append(list, h)
			}
			remap[j] = id
		}
		fremap := make([]uint32, len(s.fields))
		for j, f := range s.fields {
			id, ok := x.field[f]
			if !ok {
				return nil, fmt.Errorf("value index: %s: field %q is not indexed", s.path, f)
			}
			fremap[j] = id
		}
		in := input{s: s}
		err := s.each(s.f, func(v string, ps []posting) error {
			for k := range ps {
				ps[k].host, ps[k].field = remap[ps[k].host], fremap[ps[k].field]
			}
			in.values = append(in.values, v)
			in.ps = append(in.ps, ps)
			return nil
		})
		if err != nil {
			return nil, err
		}
		ins[i] = in
	}
	return x.writeSegment(day, level, func(w *writer) {
		pos := make([]int, len(ins))
		var ps []posting
		for {
			var min string
			found := false
			for i, in := range ins {
				if pos[i] < len(in.values) && (!found || in.values[pos[i]] < min) {
					min, found = in.values[pos[i]], true
				}
			}
			if !found {
				return
			}
			ps = ps[:0]
			for i, in := range ins {
				if pos[i] < len(in.values) && in.values[pos[i]] == min {
					ps = append(ps, in.ps[pos[i]]...)
					pos[i]++
				}
			}
			slices.SortStableFunc(ps, func(a, b posting) int { return cmp.Compare(a.time, b.time) })
			w.add(min, ps)
		}
	}, list, segs)
}

// Query selects occurrences: of one of Units (all when nil) in [From, To)
// (Unix nanoseconds), in one of Fields (all indexed fields when nil).
type Query struct {
	Units    []int64
	From, To int64
	Fields   []string
}

// ErrNotCovered is returned by Lookup when the index cannot answer: a
// field is not indexed or a day of the range has events from before the
// index.
var ErrNotCovered = errors.New("value index does not cover the query")

// Lookup calls fn with every occurrence of values that q selects, day by
// day from the oldest, in no particular order within a day.
func (x *Index) Lookup(ctx context.Context, q Query, values []string, fn func(Occurrence) error) error {
	fields := make([]bool, len(x.fields))
	if q.Fields == nil {
		for i := range fields {
			fields[i] = true
		}
	}
	for _, f := range q.Fields {
		i, ok := x.field[f]
		if !ok {
			return fmt.Errorf("%w: field %q is not indexed", ErrNotCovered, f)
		}
		fields[i] = true
	}
	if q.To <= q.From {
		return nil
	}
	fromDay, toDay := dayOf(q.From), dayOf(q.To-1)
	x.mu.Lock()
	for _, d := range x.meta.Uncovered {
		if d >= fromDay && d <= toDay {
			x.mu.Unlock()
			return fmt.Errorf("%w: day %s has events from before the index", ErrNotCovered, time.Unix(0, d*int64(Day)).UTC().Format(time.DateOnly))
		}
	}
	x.mu.Unlock()
	var units map[uint32]bool
	if q.Units != nil {
		units = map[uint32]bool{}
		for _, u := range q.Units {
			if u >= 0 && u <= 1<<32-1 {
				units[uint32(u)] = true
			}
		}
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	hashes := make([]uint64, len(sorted))
	for i, v := range sorted {
		hashes[i] = hash(v)
	}
	keep := func(p posting) bool {
		return p.time >= q.From && p.time < q.To && (units == nil || units[p.unit])
	}

	// segMu before mu, as Flush: the occurrences in memory and the
	// segments are then of one moment, none in both.
	x.segMu.RLock()
	defer x.segMu.RUnlock()
	// Memory: copy out what matches.
	var memHits []Occurrence
	x.mu.Lock()
	for _, m := range []map[int64]*memDay{x.flushing, x.mem} {
		for d, md := range m {
			if d < fromDay || d > toDay {
				continue
			}
			for _, v := range sorted {
				for _, p := range md.values[v] {
					if fields[p.field] && keep(p) {
						memHits = append(memHits, Occurrence{Time: p.time, Unit: int64(p.unit), Host: md.list[p.host], Field: x.fields[p.field], Value: v})
					}
				}
			}
		}
	}
	x.mu.Unlock()

	days := make([]int64, 0, len(x.segs))
	for d := range x.segs {
		if d >= fromDay && d <= toDay {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	for _, d := range days {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, s := range x.segs[d] {
			fmap := make([]int, len(s.fields)) // segment's field → index's, -1 when not selected
			for j, f := range s.fields {
				fmap[j] = -1
				if i, ok := x.field[f]; ok && fields[i] {
					fmap[j] = int(i)
				}
			}
			err := s.lookup(s.f, sorted, hashes, func(v string, ps []posting) error {
				for _, p := range ps {
					if fmap[p.field] >= 0 && keep(p) {
						if err := fn(Occurrence{Time: p.time, Unit: int64(p.unit), Host: s.hosts[p.host], Field: x.fields[fmap[p.field]], Value: v}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	for _, o := range memHits {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// Drop deletes the days keep refuses: the store calls it with the days it
// still holds, after its retention deleted some.
func (x *Index) Drop(keep func(day int64) bool) error {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	x.segMu.Lock()
	var gone []*segment
	for d, ss := range x.segs {
		if !keep(d) {
			gone = append(gone, ss...)
			delete(x.segs, d)
		}
	}
	x.segMu.Unlock()
	x.mu.Lock()
	for d := range x.mem {
		if !keep(d) {
			delete(x.mem, d)
		}
	}
	for d := range x.touched {
		if !keep(d) {
			delete(x.touched, d)
		}
	}
	m := x.meta
	m.Uncovered = slices.DeleteFunc(slices.Clone(m.Uncovered), func(d int64) bool { return !keep(d) })
	changed := len(m.Uncovered) != len(x.meta.Uncovered)
	x.meta = m
	x.mu.Unlock()
	var errList []error
	if changed {
		errList = append(errList, writeMeta(filepath.Join(x.dir, metaName), m))
	}
	for _, s := range gone {
		errList = append(errList, s.close())
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errList = append(errList, err)
		}
	}
	return errors.Join(errList...)
}

// Stats describes the index.
type Stats struct {
	Days, Segments   int
	Values, Postings uint64
	Bytes            int64
	MemPostings      int
	Uncovered        []int64
}

// Stats returns the index's size.
func (x *Index) Stats() Stats {
	var st Stats
	x.segMu.RLock()
	for _, ss := range x.segs {
		st.Days++
		for _, s := range ss {
			st.Segments++
			st.Values += s.values
			st.Postings += s.postings
			st.Bytes += s.size
		}
	}
	x.segMu.RUnlock()
	x.mu.Lock()
	for _, m := range []map[int64]*memDay{x.mem, x.flushing} {
		for _, md := range m {
			st.MemPostings += md.n
		}
	}
	st.Uncovered = slices.Clone(x.meta.Uncovered)
	x.mu.Unlock()
	return st
}

// Close flushes the index, stops the merges and closes the files.
func (x *Index) Close() error {
	close(x.stop)
	<-x.done
	err := x.Flush()
	x.closeSegments()
	return err
}

func (x *Index) closeSegments() {
	x.segMu.Lock()
	defer x.segMu.Unlock()
	for _, ss := range x.segs {
		for _, s := range ss {
			s.close()
		}
	}
	x.segs = map[int64][]*segment{}
}

func (x *Index) removeSegments() error {
	ents, err := os.ReadDir(x.dir)
	if err != nil {
		return fmt.Errorf("value index: %w", err)
	}
	for _, e := range ents {
		if _, _, _, ok := parseSegName(e.Name()); ok || strings.HasSuffix(e.Name(), ".replaces") || strings.HasSuffix(e.Name(), ".tmp") {
			if err := os.Remove(filepath.Join(x.dir, e.Name())); err != nil {
				return fmt.Errorf("value index: %w", err)
			}
		}
	}
	return nil
}

func readMeta(path string) (meta, error) {
	var m meta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("value index: %s: %w", path, err)
	}
	return m, nil
}

func writeMeta(path string, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := writeFileSync(tmp, b); err != nil {
		return fmt.Errorf("value index: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("value index: %w", err)
	}
	return nil
}
