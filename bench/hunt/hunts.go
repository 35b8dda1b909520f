package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlstore"
)

// hunt is one measured query.
type hunt struct {
	id     string // "1", "2b", …: the number of the DESIGN.md §9 hunt, a letter for variants
	name   string
	design string // what DESIGN.md §9 asks
	expr   string // LogsQL
	show   string // expr as printed (the IOC list abbreviated)
	from   time.Time
	to     time.Time
	limit  int
	count  bool          // also count the matching events (filters only)
	empty  bool          // no results expected (a range without events)
	target time.Duration // DESIGN.md §9 target
	anchor string        // DESIGN.md §9 anchor for VictoriaLogs embedded
}

// hunts returns the reference hunts of DESIGN.md §9 over the store
// described by m, and variants that show what the choice of filter costs.
func (h *harness) hunts(m marker) []hunt {
	gen := eventstoretest.NewGenerator(m.Seed, m.Start, m.Step) // same seed: same hosts and hashes
	end := m.end()
	from, to := m.Start.Add(-time.Minute), end.Add(time.Minute)
	limit := h.opts.limit

	iocs := iocList(m.Seed, h.opts.iocSize, h.opts.iocKnown)
	var list strings.Builder
	for i, ip := range iocs {
		if i > 0 {
			list.WriteString(",")
		}
		list.WriteString(strconv.Quote(ip))
	}
	ioc := fmt.Sprintf("source.ip:in(%s) OR destination.ip:in(%s)", list.String(), list.String())
	iocShow := fmt.Sprintf("source.ip:in(<%d IPs>) OR destination.ip:in(<the same %d IPs>)", len(iocs), len(iocs))

	hash := gen.Hash(4000)
	host := gen.Host(3)
	hour := end.Add(-2 * time.Hour).Truncate(time.Hour)
	last30, last7 := later(from, end.Add(-30*24*time.Hour)), later(from, end.Add(-7*24*time.Hour))
	top20 := `event.code:4688 | stats by (host.name) count() n | sort by (n desc) | limit 20`
	const second, tenth = time.Second, 100 * time.Millisecond

	all := []hunt{
		{id: "1", name: "IOC sweep", design: "(a) source or destination IP in a 10,000-IP list, last 30 days",
			expr: ioc, show: iocShow, from: last30, to: to, limit: limit, count: true, target: second, anchor: "0.34 s"},
		{id: "1b", name: "IOC sweep, source.ip only", design: "(a) the list against one field",
			expr: fmt.Sprintf("source.ip:in(%s)", list.String()), show: fmt.Sprintf("source.ip:in(<%d IPs>)", len(iocs)),
			from: last30, to: to, limit: limit, count: true, target: second, anchor: "—"},
		{id: "1c", name: "IOC sweep over a minute without events", design: "(a) the fixed cost: parsing and preparing the query",
			expr: ioc, show: iocShow, from: m.Start.Add(-2 * time.Minute), to: m.Start.Add(-time.Minute), limit: limit, empty: true, target: second, anchor: "—"},
		{id: "2", name: "substring, case-sensitive", design: `(b) command line contains "vssadmin"`,
			expr: `process.command_line:*vssadmin*`, from: from, to: to, limit: limit, count: true, target: second, anchor: "0.84 s"},
		{id: "2b", name: "two words, case-insensitive", design: `(b) "vssadmin" and "delete", any case, as words`,
			expr: `process.command_line:i(vssadmin) process.command_line:i(delete)`, from: from, to: to, limit: limit, count: true, target: second, anchor: "0.84 s"},
		{id: "2c", name: "two substrings, case-insensitive (regexp)", design: `(b) "vssadmin" and "delete", any case, as substrings`,
			expr: `process.command_line:~"(?i)vssadmin" process.command_line:~"(?i)delete"`, from: from, to: to, limit: limit, count: true, target: second, anchor: "0.84 s"},
		{id: "2d", name: "substring in the message, no field", design: "(b) as an operator types it without a field name",
			expr: `*"password for lan.nguyen"*`, from: from, to: to, limit: limit, count: true, target: second, anchor: "—"},
		{id: "3", name: "exact hash", design: "(c) exact SHA-256",
			expr: fmt.Sprintf("process.hash.sha256:=%q", hash), from: from, to: to, limit: limit, count: true, target: second, anchor: "41 ms"},
		{id: "4", name: "top 20 hosts by process creations", design: "(d) count of process creations by host, last 7 days, top 20",
			expr: top20, from: last7, to: to, limit: limit, target: tenth, anchor: "5 ms"},
		{id: "4b", name: "top 20 hosts, all events", design: "(d) without the event filter",
			expr: `* | stats by (host.name) count() n | sort by (n desc) | limit 20`, from: last7, to: to, limit: limit, target: tenth, anchor: "—"},
		{id: "5", name: "page: one host, one hour", design: "(e) newest 100 events of one host in one hour",
			expr: fmt.Sprintf("host.name:=%q", host), from: hour, to: hour.Add(time.Hour), limit: limit, count: true, target: tenth, anchor: "4 ms"},
		{id: "6", name: "sparse field", design: "(f) a field only some events carry (logons: 40 %), one value",
			expr: `winlog.event_data.LogonType:=10`, from: from, to: to, limit: limit, count: true, target: second, anchor: "39 ms"},
	}
	if len(h.opts.only) == 0 {
		return all
	}
	var out []hunt
	for _, x := range all {
		if slices.Contains(h.opts.only, x.id) {
			out = append(out, x)
		}
	}
	return out
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// iocList returns n IP addresses in a fixed order for the seed: known of
// them from the generator's internal address space (10.0–19.0–39.1–25,
// which the generator uses for logon sources and firewall destinations:
// each occurs a few hundred times in 10M events), the rest random public
// addresses (the generator's public addresses are random too, so a few of
// these may occur by chance).
func iocList(seed uint64, n, known int) []string {
	rng := rand.New(rand.NewPCG(seed^0x10c, seed+0x10c))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	add := func(ip string) {
		if !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	for i := 0; len(out) < min(known, n) && i < 100*n; i++ {
		add(fmt.Sprintf("10.%d.%d.%d", rng.IntN(20), rng.IntN(40), 1+rng.IntN(25)))
	}
	for i := 0; len(out) < n && i < 100*n; i++ {
		a := 1 + rng.IntN(223)
		if a == 10 || a == 127 {
			continue
		}
		add(fmt.Sprintf("%d.%d.%d.%d", a, rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)))
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// huntResult is what one hunt measured.
type huntResult struct {
	h         hunt
	first     time.Duration // the warm-up run (first run after the reopen)
	walls     []time.Duration
	cpus      []time.Duration // process CPU time per run
	others    []float64       // per run: coarse for short runs (10 ms accounting ticks)
	othersAll float64         // over all measured runs, from the first start to the last end
	results   []int
	matching  int64 // events matching the filter (one count query); -1 when not counted
	countWall time.Duration
	err       error
}

// runHunt runs one hunt: -warmup unrecorded runs, then -runs measured ones,
// then one count query.
func (h *harness) runHunt(ctx context.Context, s *vlstore.Store, x hunt) huntResult {
	r := huntResult{h: x, matching: -1}
	q := eventstore.Query{Units: eventstoretest.GeneratorUnits, From: x.from, To: x.to, Expr: x.expr, Limit: x.limit}
	once := func() (int, time.Duration, time.Duration, error) {
		n := 0
		c0, t0 := processCPU(), time.Now()
		err := s.Query(ctx, q, func(event.Event) error { n++; return nil })
		return n, time.Since(t0), processCPU() - c0, err
	}
	h.waitQuiet(ctx, "hunt "+x.id)
	for i := range h.opts.warmup {
		_, d, _, err := once()
		if err != nil {
			r.err = fmt.Errorf("warm-up: %w", err)
			h.note("hunt %s (%s): %v", x.id, x.name, r.err)
			return r
		}
		if i == 0 {
			r.first = d
		}
	}
	all := startMeter()
	for i := range h.opts.runs {
		if ctx.Err() != nil {
			r.err = context.Cause(ctx)
			return r
		}
		meter := startMeter()
		n, d, cpu, err := once()
		others := meter.others()
		if err != nil {
			r.err = err
			h.note("hunt %s (%s), run %d: %v", x.id, x.name, i+1, err)
			return r
		}
		r.walls = append(r.walls, d)
		r.cpus = append(r.cpus, cpu)
		r.others = append(r.others, others)
		r.results = append(r.results, n)
		fmt.Fprintf(os.Stderr, "  hunt %-3s run %d: %d results in %s (CPU %s), others %.2f cores\n", x.id, i+1, n, ms(d), ms(cpu), others)
	}
	r.othersAll = all.others()
	if r.othersAll > h.opts.quietCores {
		h.note("hunt %s (%s): other processes used %.2f cores during the runs (busy machine; consider re-running)", x.id, x.name, r.othersAll)
	}
	if slices.Min(r.results) != slices.Max(r.results) {
		h.note("hunt %s (%s): result counts differ between runs: %v", x.id, x.name, r.results)
	}
	if r.results[0] == 0 && !x.empty {
		h.note("hunt %s (%s): no results — the hunt does not exercise the store as intended", x.id, x.name)
	}
	if x.count {
		cq := q
		cq.Expr = "(" + x.expr + ") | stats count() n"
		t0 := time.Now()
		err := s.Query(ctx, cq, func(ev event.Event) error {
			n, err := strconv.ParseInt(ev.Fields["n"], 10, 64)
			if err != nil {
				return fmt.Errorf("count result %q: %w", ev.Fields["n"], err)
			}
			r.matching = n
			return nil
		})
		r.countWall = time.Since(t0)
		if err != nil {
			h.note("hunt %s (%s): count query: %v", x.id, x.name, err)
			r.matching = -1
		}
	}
	return r
}
