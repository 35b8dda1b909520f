package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

func mib(kib int64) string {
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}

func median[T int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// drainCell is the drain rate and CPU per event, "—" without a backlog
// worth measuring.
func drainCell(rs []runResult) string {
	if rs[0].mode != modeServe && rs[0].mode != modeStore {
		return "—" // the backlog is mostly stored events awaiting their commit
	}
	rate := medianKnown(collect(rs, runResult.drainRate))
	if math.IsNaN(rate) {
		return "—"
	}
	return fmt.Sprintf("%s, %.1f µs", thousands(rate), medianKnown(collect(rs, runResult.drainCPUPerEvent)))
}

// medianKnown is the median of the values that are not NaN (NaN if none).
func medianKnown(v []float64) float64 {
	v = slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(v) == 0 {
		return math.NaN()
	}
	return median(v)
}

func collect[T any, V any](in []T, f func(T) V) []V {
	out := make([]V, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

// thousands formats n with comma separators.
func thousands(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func byMode(results []runResult, mode string) []runResult {
	var out []runResult
	for _, r := range results {
		if r.mode == mode {
			out = append(out, r)
		}
	}
	return out
}

func writeResults(out io.Writer, o options, results []runResult) {
	offered := "as fast as the receiver reads"
	if o.rate > 0 {
		offered = "offered " + thousands(o.rate) + " events/s"
	}
	fmt.Fprintf(out, "### Sustained rates (median of %d runs)\n\n", o.runs)
	fmt.Fprintf(out, "%d TCP connections, %s; %s warm-up, then a %s window. *stored* is the growth of "+
		"`khien_pipeline_stored_events_total` over the window (for the in-process modes, the pipeline's own counter; "+
		"noop: events the sink accepted), *received* that of `khien_ingest_received_events_total` (durable in the spool). "+
		"Receiver CPU is the server process's (serve) or the harness's minus the sender threads' (in-process); "+
		"the senders' CPU includes the kernel's loopback work done on their threads.\n\n",
		o.conns, offered, o.warmup, o.duration)
	fmt.Fprintln(out, "| path | what runs | stored events/s | received events/s | sent events/s | store keeps up | spool backlog trend | after the senders stop, draining the backlog: stored events/s, receiver CPU per event | receiver CPU (cores) | receiver CPU per stored event | senders' CPU (cores) | other processes (cores, max) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, mode := range o.modes {
		rs := byMode(results, mode)
		if len(rs) == 0 {
			continue
		}
		up := 0
		for _, r := range rs {
			if r.keepsUp() {
				up++
			}
		}
		trend := "—"
		if mode != modeNoop {
			trend = fmt.Sprintf("%+.1f MiB/s (max %.0f MiB)", median(collect(rs, func(r runResult) float64 { return r.slope }))/(1<<20),
				float64(slices.Max(collect(rs, func(r runResult) int64 { return r.backlogMax })))/(1<<20))
		}
		fmt.Fprintf(out, "| %s | %s | **%s** | %s | %s | %d of %d runs | %s | %s | %.2f | %.1f µs | %.2f | %.2f |\n", mode, modeWhat[mode],
			thousands(median(collect(rs, runResult.storedRate))), thousands(median(collect(rs, runResult.receivedRate))),
			thousands(median(collect(rs, runResult.sentRate))), up, len(rs), trend, drainCell(rs),
			median(collect(rs, func(r runResult) float64 { return r.targetCPU.Seconds() / r.window.Seconds() })),
			median(collect(rs, runResult.cpuPerEvent)),
			median(collect(rs, func(r runResult) float64 { return r.senderCPU.Seconds() / r.window.Seconds() })),
			slices.Max(collect(rs, func(r runResult) float64 { return r.others })))
	}
	fmt.Fprintln(out)
	if ratio := ratioTo(results, modeServe, modeNoop); !math.IsNaN(ratio) {
		fmt.Fprintf(out, "The full path (serve) stores %.0f %% of what the no-op sink takes in the same runs (median of the per-run ratios).\n\n", 100*ratio)
	}

	if srv := byMode(results, modeServe); len(srv) > 0 && len(srv[0].rss) > 0 {
		fmt.Fprintf(out, "### Memory of `khien serve` under load (%d runs)\n\n", len(srv))
		fmt.Fprintln(out, "| | median of the runs | min | max |")
		fmt.Fprintln(out, "|---|---|---|---|")
		for _, row := range []struct {
			name string
			f    func(runResult) int64
		}{
			{"VmRSS, median of the 1 s samples in the window", func(r runResult) int64 { return median(r.rss) }},
			{"VmRSS, largest sample in the window", func(r runResult) int64 { return slices.Max(r.rss) }},
			{"VmHWM (peak since start) at the end of the window", func(r runResult) int64 { return r.hwm }},
		} {
			v := collect(srv, row.f)
			fmt.Fprintf(out, "| %s | %s | %s | %s |\n", row.name, mib(median(v)), mib(slices.Min(v)), mib(slices.Max(v)))
		}
		fmt.Fprintln(out)
	}

	var disk []runResult
	for _, r := range results {
		if r.eventsBytes > 0 {
			disk = append(disk, r)
		}
	}
	if len(disk) > 0 {
		fmt.Fprintf(out, "### Disk per stored event\n\n")
		fmt.Fprintf(out, "After the window the senders stop; once the spool backlog is 0 (everything received is stored and committed) "+
			"the server gets SIGTERM (in-process: the store is closed). Bytes per event = size of `data_dir/events` after the exit "+
			"÷ events stored in the whole run (warm-up, window and drain). What stays in `data_dir/spool` is the active segment file: "+
			"its records are committed, and the spool deletes only sealed segments (docs/spool.md).\n\n")
		fmt.Fprintln(out, "| path | events stored per run (median) | data_dir/events (median) | bytes per stored event (median, min–max) | data_dir/spool after the stop | after the window: backlog stored / committed (median) | SIGTERM → exit (median) |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
		for _, mode := range o.modes {
			var rs []runResult
			for _, r := range disk {
				if r.mode == mode {
					rs = append(rs, r)
				}
			}
			if len(rs) == 0 {
				continue
			}
			bpe := collect(rs, runResult.bytesPerEvent)
			stopTook := "—"
			if mode == modeServe {
				stopTook = median(collect(rs, func(r runResult) time.Duration { return r.stopTook })).Round(time.Millisecond).String()
			}
			fmt.Fprintf(out, "| %s | %s | %.0f MiB | **%.1f** (%.1f–%.1f) | %s | %s | %s |\n", mode,
				thousands(median(collect(rs, func(r runResult) float64 { return float64(r.final.stored) }))),
				median(collect(rs, func(r runResult) float64 { return float64(r.eventsBytes) }))/(1<<20),
				median(bpe), slices.Min(bpe), slices.Max(bpe),
				fmtBytes(slices.Max(collect(rs, func(r runResult) int64 { return r.spoolBytes }))),
				median(collect(rs, func(r runResult) time.Duration { return r.drainStore })).Round(100*time.Millisecond).String()+" / "+
					median(collect(rs, func(r runResult) time.Duration { return r.drain })).Round(100*time.Millisecond).String(), stopTook)
		}
		fmt.Fprintln(out)
	}

	writeTimings(out, o, results)

	fmt.Fprintf(out, "### Per run\n\n")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range results {
		fmt.Fprintf(tw, "    run %d\t%s\tstored %s/s\treceived %s/s\tsent %s/s\tbacklog %+.1f MiB/s, max %.0f MiB\treceiver %.2f cores, %.1f µs/event\tsenders %.2f cores\tothers %.2f cores",
			r.rep, r.mode, thousands(r.storedRate()), thousands(r.receivedRate()), thousands(r.sentRate()), r.slope/(1<<20),
			float64(r.backlogMax)/(1<<20), r.targetCPU.Seconds()/r.window.Seconds(), r.cpuPerEvent(),
			r.senderCPU.Seconds()/r.window.Seconds(), r.others)
		if len(r.rss) > 0 {
			fmt.Fprintf(tw, "\tVmRSS max %s, VmHWM %s", mib(slices.Max(r.rss)), mib(r.hwm))
		} else {
			fmt.Fprintf(tw, "\t")
		}
		if r.eventsBytes > 0 {
			fmt.Fprintf(tw, "\t%.1f bytes/event; backlog stored in %s at %s/s, %.1f µs/event; committed after %s", r.bytesPerEvent(),
				r.drainStore.Round(100*time.Millisecond), thousands(r.drainRate()), r.drainCPUPerEvent(), r.drain.Round(100*time.Millisecond))
		} else {
			fmt.Fprintf(tw, "\t")
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	fmt.Fprintln(out)

	writeTargets(out, results)
}

// ratioTo is the median over runs of mode's stored rate divided by base's
// in the same run.
func ratioTo(results []runResult, mode, base string) float64 {
	var ratios []float64
	for _, r := range byMode(results, mode) {
		for _, b := range byMode(results, base) {
			if b.rep == r.rep && b.storedRate() > 0 {
				ratios = append(ratios, r.storedRate()/b.storedRate())
			}
		}
	}
	if len(ratios) == 0 {
		return math.NaN()
	}
	return median(ratios)
}

func fmtBytes(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

func writeTargets(out io.Writer, results []runResult) {
	srv := byMode(results, modeServe)
	if len(srv) == 0 {
		return
	}
	verdict := func(ok bool) string {
		if ok {
			return "**met**"
		}
		return "**not met**"
	}
	rate := median(collect(srv, runResult.storedRate))
	fmt.Fprintf(out, "### Against the targets (DESIGN.md §9, issue #5), serve mode\n\n")
	fmt.Fprintln(out, "| target | measured (median) | verdict |")
	fmt.Fprintln(out, "|---|---|---|")
	fmt.Fprintf(out, "| sustained ≥ 50,000 events/s stored | %s events/s | %s |\n", thousands(rate), verdict(rate >= 50_000))
	fmt.Fprintf(out, "| stretch: 100,000 events/s | %s events/s | %s |\n", thousands(rate), verdict(rate >= 100_000))
	if len(srv[0].rss) > 0 {
		peak := slices.Max(collect(srv, func(r runResult) int64 { return max(r.hwm, slices.Max(r.rss)) }))
		fmt.Fprintf(out, "| RSS < 1 GB under load | VmHWM up to %s (largest of the runs) | %s |\n", mib(peak), verdict(peak*1024 < 1e9))
	}
	if bpe := collect(srv, runResult.bytesPerEvent); !math.IsNaN(median(bpe)) {
		fmt.Fprintf(out, "| ≤ 100 bytes per stored event | %.1f bytes | %s |\n", median(bpe), verdict(median(bpe) <= 100))
	}
	fmt.Fprintln(out)
}

// writeTimings shows, for the in-process modes, how much of the window
// each step's calls took.
func writeTimings(out io.Writer, o options, results []runResult) {
	var rows []string
	for _, mode := range o.modes {
		rs := byMode(results, mode)
		if len(rs) == 0 || rs[0].timings == nil {
			continue
		}
		for _, name := range timerNames {
			ts := collect(rs, func(r runResult) timing { return r.timings[name] })
			if median(collect(ts, func(t timing) float64 { return float64(t.calls) })) == 0 {
				continue
			}
			share := median(collect(rs, func(r runResult) float64 { return r.timings[name].total.Seconds() / r.window.Seconds() }))
			perCall := median(collect(ts, func(t timing) time.Duration { return t.total / time.Duration(max(t.calls, 1)) }))
			perEvent := "—"
			if name != tStoreFlush {
				perEvent = fmt.Sprintf("%.2f µs", median(collect(ts, func(t timing) float64 {
					return float64(t.total) / float64(time.Microsecond) / float64(max(t.events, 1))
				})))
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %.0f %% | %s | %s | %s | %s |", mode, name, 100*share,
				thousands(median(collect(ts, func(t timing) float64 { return float64(t.calls) }))),
				perCall.Round(time.Microsecond), slices.Max(collect(ts, func(t timing) time.Duration { return t.max })).Round(time.Millisecond),
				perEvent))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(out, "### Where a batch waits (in-process modes, median of the runs)\n\n")
	fmt.Fprintf(out, "Wall time spent in each call during the window, as a share of the window. The listeners' appends to the "+
		"spool run concurrently (one batcher per listener; the share can exceed 100 %% only with several); the stages run on the "+
		"pipeline's reading goroutine; store Append and Flush (followed by the spool commit) run one after the other on its "+
		"writing goroutine, so when their shares add up to about 100 %% the store is the bottleneck.\n\n")
	fmt.Fprintln(out, "| path | call | share of the window | calls in the window | wall time per call | longest call | wall time per event |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintln(out, r)
	}
	fmt.Fprintln(out)
}
