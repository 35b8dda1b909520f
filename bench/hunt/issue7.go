package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
	huntsvc "khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
)

// The issue #7 suite (-suite issue7): the two hunts of its acceptance
// line 2, each through Khiên's own hunt service as the hunts pages run
// them, and each against a plain full scan of the same events as JSON
// lines (the file Khiên's JSON lines export writes, one event per line).

// substring is the case-insensitive substring of the command-line hunt.
const substring = "vssadmin"

// jsonlDone is the suffix of the file that marks a complete JSON lines copy.
const jsonlDone = ".done"

// measured is one measured operation of the suite.
type measured struct {
	id, name string
	how      string // what runs, for the table
	walls    []time.Duration
	cpus     []time.Duration
	others   []float64
	result   string // what it found (the same for every run)
	err      error
}

func (h *harness) issue7(ctx context.Context, out io.Writer, s *vlstore.Store, m marker, dir string) error {
	path := h.opts.jsonl
	if path == "" {
		path = dir + "/events.jsonl"
	}
	size, wrote, err := h.jsonlCopy(ctx, path, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "### Issue #7: hunts through the hunt service against a plain scan of the same events\n\n")
	if wrote > 0 {
		fmt.Fprintf(out, "The JSON lines copy (`%s`, %s, %.0f bytes/event) was written in %s from the marker's generator: the same events, encoded as Khiên's JSON lines export encodes them.\n\n",
			path, mib(size>>10), float64(size)/float64(m.Events), wrote.Round(time.Second))
	} else {
		fmt.Fprintf(out, "The JSON lines copy (`%s`, %s, %.0f bytes/event) was reused.\n\n", path, mib(size>>10), float64(size)/float64(m.Events))
	}

	units := map[int64]bool{}
	for _, u := range eventstoretest.GeneratorUnits {
		units[u] = true
	}
	analyst := &authz.Principal{UserID: 1, Username: "bench", Role: authz.RoleAnalyst, Units: units}
	svc := huntsvc.New(s, huntsvc.Options{Timeout: h.opts.queryTimeout,
		Units: func(context.Context) ([]int64, error) { return eventstoretest.GeneratorUnits, nil }})
	end := m.end().Add(time.Minute)
	// Each run ends a millisecond later than the one before: a hunt page
	// asks the store twice with the same range and the store reuses the
	// resolution of a case-insensitive regexp for 30 s; a new hunt has a
	// new range ("the last 30 days" ends now), so every run must pay it.
	calls := 0
	until := func() time.Time { calls++; return end.Add(time.Duration(calls) * time.Millisecond) }
	from := m.Start.Add(-time.Minute) // all 30 days of events

	ips := iocList(m.Seed, h.opts.iocSize, h.opts.iocKnown)
	inds := make([]intel.Indicator, len(ips))
	set := make(map[string]bool, len(ips))
	for i, ip := range ips {
		inds[i] = intel.Indicator{ID: int64(i + 1), UnitID: 1, Type: intel.IP, Value: ip, Pattern: [][]intel.Comparison{{{Type: intel.IP, Value: ip}}}}
		set[ip] = true
	}
	matcher := intel.NewMatcher(inds)
	t0 := time.Now()
	present := svc.FieldNames(ctx) // as the IOC hunt builds its filter; cached for 5 minutes
	namesTook := time.Since(t0)
	sweep := matcher.SweepQueryFor(present)
	var ipFields []string
	for _, f := range intel.Fields[intel.IP] {
		if present == nil || present(f) {
			ipFields = append(ipFields, f)
		}
	}
	fmt.Fprintf(out, "The IOC sweep's filter leaves out the IP fields no stored event has (`hunt.Service.FieldNames`, one `* | field_names` query, cached for 5 minutes: %s uncached here): it compares %d of the %d IP fields (%s), %s bytes of LogsQL.\n\n",
		ms(namesTook), len(ipFields), len(intel.Fields[intel.IP]), strings.Join(ipFields, ", "), thousands(int64(len(sweep))))
	if ix, err := dirSize(filepath.Join(s.Dir(), "khien-index")); err == nil {
		all, _ := dirSize(s.Dir())
		fmt.Fprintf(out, "The store's value index of the %d IP fields (`khien-index` in the store's directory) takes %s of the store's %s on disk (%.1f bytes per event).\n\n",
			len(intel.Fields[intel.IP]), mib(ix>>10), mib(all>>10), float64(ix)/float64(m.Events))
	}
	re := regexp.MustCompile("(?i)" + substring)
	cmdExpr := `process.command_line:~"(?i)` + substring + `"`

	var rs []measured
	run := func(id, name, how string, fn func() (string, error)) {
		if len(h.opts.only) > 0 && !slices.Contains(h.opts.only, id) {
			return
		}
		fmt.Fprintf(os.Stderr, "issue7 %s: %s\n", id, name)
		rs = append(rs, h.measure(ctx, id, name, how, fn))
	}

	sweepRun := func(exact bool, values []string) func() (string, error) {
		return func() (string, error) {
			groups, sightings := 0, 0
			st, err := svc.Sweep(ctx, analyst, huntsvc.Query{Expr: sweep, From: from, To: until()}, huntsvc.SweepSpec{
				Fields: matcher.SweepFields(), Exact: exact, Keep: huntsvc.MaxResults, Values: values,
				Match: func(e *event.Event) bool { return len(matcher.Match(e)) > 0 },
				Found: func(*event.Event) error { return nil },
				Group: func(e *event.Event, _ int64, _, _ time.Time) error {
					groups++
					sightings += len(matcher.Match(e)) // the IOC hunt records these as sightings
					return nil
				}}, nil)
			return fmt.Sprintf("%s candidates, %s matching, %s kept whole, %s sightings", thousands(int64(st.Selected)), thousands(int64(st.Matched)),
				thousands(int64(st.Kept)), thousands(int64(sightings))), err
		}
	}
	run("7a", "IOC sweep, hunt service", fmt.Sprintf("`hunt.Service.Sweep` (the IOC hunt's path) of %d IP indicators: exact and IP only (`Matcher.IndexValues()`), so the matches are counted per interval, unit, host and IP values (the hunt's sightings) from the store's value index (`eventstore.ValueIndex`, %d IP fields), then the oldest 1,000 read whole with `intel.Matcher.SweepQueryFor(FieldNames)` (`in(…)` over %d IP fields; the hunt's kept results) and checked with `Matcher.Match`; all 30 days", len(ips), len(intel.Fields[intel.IP]), len(ipFields)),
		sweepRun(matcher.Exact(), matcher.IndexValues()))
	run("7a-query", "IOC sweep, counted by a query", "the same without the value index (`SweepSpec.Values` nil, as for indicators other than IPs or a hunt with its own filter): the candidates counted in one `stats` query per interval, unit, host and IP values",
		sweepRun(matcher.Exact(), nil))
	run("7a-fields", "IOC sweep, every candidate checked", "the same with `SweepSpec.Exact` false (indicators with AND, networks or hashes): each candidate's `Matcher.SweepFields()` (the IP fields) read and checked with `Matcher.Match`",
		sweepRun(false, nil))
	run("7a-each", "IOC sweep reading events whole", "`hunt.Service.Each` with the same filter: every candidate read whole, oldest first (what the sweep did before `Sweep`)",
		func() (string, error) {
			events, hits := 0, 0
			_, err := svc.Each(ctx, analyst, huntsvc.Query{Expr: sweep, From: from, To: until()}, func(e *event.Event) error {
				events++
				if len(matcher.Match(e)) > 0 {
					hits++
				}
				return nil
			}, nil)
			return fmt.Sprintf("%s candidates, %s matching", thousands(int64(events)), thousands(int64(hits))), err
		})
	run("7a-scan", "IOC sweep, plain scan", fmt.Sprintf("read the JSON lines file; walk each line's \"key\":\"value\" pairs once and look the values of the %d IP fields up in a set of the %d IPs (2 goroutines)", len(intel.Fields[intel.IP]), len(ips)),
		func() (string, error) {
			keys := map[string]bool{}
			for _, f := range intel.Fields[intel.IP] {
				keys[f] = true
			}
			n, err := scanJSONL(ctx, path, func(line []byte) bool {
				found := false
				eachStringPair(line, func(k, v []byte) bool {
					if keys[string(k)] && set[string(v)] {
						found = true
						return false
					}
					return true
				})
				return found
			})
			return fmt.Sprintf("%s matching", thousands(n)), err
		})
	run("7b", "case-insensitive substring, hunt service", fmt.Sprintf("`hunt.Service.Search` (the hunt page: newest 100, field summary, time histogram) of `%s`, all 30 days", cmdExpr),
		func() (string, error) {
			p, err := svc.Search(ctx, analyst, huntsvc.Query{Expr: cmdExpr, From: from, To: until(), Limit: 100})
			var n uint64
			for _, b := range p.Histogram.Series {
				n += b.Total
			}
			return fmt.Sprintf("%d shown, histogram %s", len(p.Events), thousands(int64(n))), err
		})
	run("7b-count", "case-insensitive substring, count", fmt.Sprintf("`hunt.Service.Search` of `%s \\| stats count() n`", cmdExpr),
		func() (string, error) {
			p, err := svc.Search(ctx, analyst, huntsvc.Query{Expr: cmdExpr + " | stats count() n", From: from, To: until(), Limit: 10})
			if err == nil && len(p.Events) == 1 {
				return p.Events[0].Fields["n"] + " matching", nil
			}
			return "", errors.Join(err, fmt.Errorf("%d rows", len(p.Events)))
		})
	run("7b-engine", "the same regexp left to the engine", "`hunt.Service.Search` of `"+cmdExpr+" or process.command_line:in()` (the same events; the `or` keeps the store from resolving the regexp, so the engine runs Go's regexp on every command line)",
		func() (string, error) {
			p, err := svc.Search(ctx, analyst, huntsvc.Query{Expr: cmdExpr + " or process.command_line:in()", From: from, To: until(), Limit: 100})
			return fmt.Sprintf("%d shown", len(p.Events)), err
		})
	run("7b-scan", "case-insensitive substring, plain scan", fmt.Sprintf("read the JSON lines file, look for %q in any case in each line (ASCII folding), decode the lines that have it and check `process.command_line` with the same regexp (2 goroutines)", substring),
		func() (string, error) {
			lower := []byte(substring)
			n, err := scanJSONL(ctx, path, func(line []byte) bool {
				if !containsFoldASCII(line, lower) {
					return false
				}
				var e event.Event
				return json.Unmarshal(line, &e) == nil && re.MatchString(e.Fields[event.FieldProcessCmd])
			})
			return fmt.Sprintf("%s matching", thousands(n)), err
		})

	fmt.Fprintf(out, "Median of %d runs after %d warm-up run(s); CPU is the process's; \"others\" the cores the rest of the machine used meanwhile.\n\n", h.opts.runs, h.opts.warmup)
	fmt.Fprintln(out, "| # | what | found | median | min | max | CPU/run | others (cores) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		if len(r.walls) == 0 {
			fmt.Fprintf(out, "| %s | %s | error: %v | | | | | |\n", r.id, r.name, r.err)
			continue
		}
		fmt.Fprintf(out, "| %s | %s | %s | **%s** | %s | %s | %s | %.2f |\n", r.id, r.name, r.result, ms(median(r.walls)),
			ms(slices.Min(r.walls)), ms(slices.Max(r.walls)), ms(median(r.cpus)), mean(r.others))
	}
	fmt.Fprintln(out)
	for _, r := range rs {
		fmt.Fprintf(out, "- **%s** %s\n", r.id, r.how)
	}
	fmt.Fprintln(out)
	return nil
}

// measure runs fn -warmup times, then -runs times, after waiting for a
// quiet machine.
func (h *harness) measure(ctx context.Context, id, name, how string, fn func() (string, error)) measured {
	r := measured{id: id, name: name, how: how}
	h.waitQuiet(ctx, id)
	for range h.opts.warmup {
		if _, err := fn(); err != nil {
			r.err = err
			h.note("%s (%s): %v", id, name, err)
			return r
		}
	}
	for i := range h.opts.runs {
		meter := startMeter()
		c0, t0 := processCPU(), time.Now()
		res, err := fn()
		d, cpu := time.Since(t0), processCPU()-c0
		if err != nil {
			r.err = err
			h.note("%s (%s), run %d: %v", id, name, i+1, err)
			return r
		}
		if r.result != "" && res != r.result {
			h.note("%s (%s): run %d found %q, run 1 %q", id, name, i+1, res, r.result)
		}
		r.result = res
		r.walls, r.cpus, r.others = append(r.walls, d), append(r.cpus, cpu), append(r.others, meter.others())
		fmt.Fprintf(os.Stderr, "  %s run %d: %s in %s (CPU %s)\n", id, i+1, res, ms(d), ms(cpu))
	}
	return r
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// jsonlCopy makes sure path holds the marker's events as JSON lines (as
// hunt.Service.Export writes them) and returns its size and, when it
// wrote it, how long that took.
func (h *harness) jsonlCopy(ctx context.Context, path string, m marker) (int64, time.Duration, error) {
	if done, err := os.ReadFile(path + jsonlDone); err == nil && strings.TrimSpace(string(done)) == strconv.Itoa(m.Events)+" "+m.Start.Format(time.RFC3339Nano) {
		fi, err := os.Stat(path)
		if err == nil {
			return fi.Size(), 0, nil
		}
	}
	fmt.Fprintf(os.Stderr, "writing the JSON lines copy %s\n", path)
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	gen := eventstoretest.NewGenerator(m.Seed, m.Start, m.Step)
	batch := make([]event.Event, 0, 1000)
	for done := 0; done < m.Events; done += len(batch) {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		batch = gen.Batch(batch[:0], min(1000, m.Events-done))
		for i := range batch {
			if err := enc.Encode(&batch[i]); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(path+jsonlDone, []byte(strconv.Itoa(m.Events)+" "+m.Start.Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
		return 0, 0, err
	}
	return fi.Size(), time.Since(t0), nil
}

// scanJSONL reads path in 4 MiB chunks cut at line ends and counts the
// lines match accepts, on two goroutines.
func scanJSONL(ctx context.Context, path string, match func(line []byte) bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	const chunk = 4 << 20
	const workers = 2
	work := make(chan []byte, workers)
	free := make(chan []byte, workers+2)
	for range workers + 2 {
		free <- make([]byte, 0, chunk+64<<10)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
	)
	for range workers {
		wg.Go(func() {
			var n int64
			for buf := range work {
				for rest := buf; len(rest) > 0; {
					i := bytes.IndexByte(rest, '\n')
					if i < 0 {
						i = len(rest)
					}
					if match(rest[:i]) {
						n++
					}
					rest = rest[min(i+1, len(rest)):]
				}
				free <- buf[:0]
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	var carry []byte
	var rerr error
	for {
		if rerr = ctx.Err(); rerr != nil {
			break
		}
		buf := <-free
		buf = append(buf, carry...)
		n, err := io.ReadFull(f, buf[len(buf):len(buf)+chunk-len(carry)])
		buf = buf[:len(buf)+n]
		carry = carry[:0]
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 && i < len(buf)-1 && err == nil {
			carry = append(carry, buf[i+1:]...)
			buf = buf[:i+1]
		}
		work <- buf
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(work)
	wg.Wait()
	return total, rerr
}

// containsFoldASCII reports whether s contains lower (lower-case ASCII) in
// any ASCII case.
func containsFoldASCII(s, lower []byte) bool {
	if len(lower) == 0 {
		return true
	}
	firsts := string([]byte{lower[0], lower[0] &^ 0x20})
	for i := 0; i+len(lower) <= len(s); i++ {
		j := bytes.IndexAny(s[i:len(s)-len(lower)+1], firsts)
		if j < 0 {
			return false
		}
		i += j
		k := 1
		for ; k < len(lower); k++ {
			if s[i+k]|0x20 != lower[k] {
				break
			}
		}
		if k == len(lower) {
			return true
		}
	}
	return false
}

// eachStringPair calls fn with the key and the raw value of every
// "key":"value" pair of a JSON line (values with escapes are passed raw),
// in one pass, until fn returns false.
func eachStringPair(line []byte, fn func(k, v []byte) bool) {
	for i := 0; i < len(line); {
		j := bytes.IndexByte(line[i:], '"')
		if j < 0 {
			return
		}
		ks := i + j + 1
		ke := ks
		for ke < len(line) && line[ke] != '"' {
			if line[ke] == '\\' {
				ke++
			}
			ke++
		}
		if ke+2 >= len(line) || line[ke+1] != ':' || line[ke+2] != '"' {
			i = ke + 1
			continue
		}
		vs := ke + 3
		ve := vs
		for ve < len(line) && line[ve] != '"' {
			if line[ve] == '\\' {
				ve++
			}
			ve++
		}
		if ve > len(line) {
			return
		}
		if !fn(line[ks:ke], line[vs:ve]) {
			return
		}
		i = ve + 1
	}
}
