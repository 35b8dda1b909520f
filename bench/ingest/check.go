package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/ingest/normalize"
	"khien.vn/khien/internal/ingest/syslog"
)

// mixRow describes one source of the pool as the product reads it: the
// syslog parser then the normaliser, run once over every pool line before
// the measurements (a check that each line reaches the parser meant for it).
type mixRow struct {
	lines, bytes int
	parsers      map[string]int // normaliser that took the line ("" none)
	syslogErrs   int            // lines with a syslog ParseError
	normErrs     int            // lines the normaliser flagged
	fields       int            // fields after normalisation (sum)
}

// checkMix parses and normalises every line; it returns one row per
// source and a problem for each source whose lines do not all go to their
// parser without error.
func checkMix(lines []line) ([]mixRow, int, []string) {
	rows := make([]mixRow, len(mix))
	hosts := map[string]bool{}
	for i := range rows {
		rows[i].parsers = map[string]int{}
	}
	p := syslog.NewParser()
	reg := normalize.Default()
	now := time.Now()
	for _, l := range lines {
		r := &rows[l.src]
		r.lines++
		r.bytes += len(l.text) + 1
		ev := p.Parse(l.text, now, nil)
		if ev.ParseError != "" {
			r.syslogErrs++
		}
		before := ev.ParseError
		r.parsers[reg.Normalize(&ev)]++
		if ev.ParseError != before {
			r.normErrs++
		}
		r.fields += len(ev.Fields)
		hosts[ev.Fields["host.name"]] = true
	}
	var problems []string
	for i, r := range rows {
		if r.lines == 0 {
			continue
		}
		if r.parsers[mix[i].parser] != r.lines || r.syslogErrs > 0 || r.normErrs > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d lines, parsers %v, syslog parse errors %d, normaliser errors %d",
				mix[i].name, r.lines, r.parsers, r.syslogErrs, r.normErrs))
		}
	}
	return rows, len(hosts), problems
}

func writeMix(out io.Writer, rows []mixRow, hosts int, lines []line, p *pool) {
	fmt.Fprintf(out, "### Messages\n\n")
	fmt.Fprintf(out, "%d lines generated before the runs (%.1f MiB, %.0f bytes/line on average with the newline), "+
		"sent newline-framed in blocks of up to %d KiB and cycled; on every pass each line's counter field "+
		"(session id, connection id, pid, port, audit serial) is rewritten so that no line is stored twice verbatim. "+
		"%d distinct host.name values (the store's streams are unit + source kind + host). "+
		"Each line was parsed by the syslog parser and the normaliser once before the runs:\n\n",
		p.lines, float64(p.bytes)/(1<<20), float64(p.bytes)/float64(max(p.lines, 1)), blockKiB(p), hosts)
	fmt.Fprintln(out, "| source | syslog format | share | bytes/line (avg) | normaliser | fields after normalisation (avg) | errors |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for i, r := range rows {
		if r.lines == 0 {
			continue
		}
		var ps []string
		for name, n := range r.parsers {
			if name == "" {
				name = "none"
			}
			ps = append(ps, fmt.Sprintf("%s %d%%", name, n*100/r.lines))
		}
		slices.Sort(ps)
		fmt.Fprintf(out, "| %s | %s | %.1f %% | %d | %s | %.0f | %d |\n", mix[i].name, mix[i].format,
			100*float64(r.lines)/float64(len(lines)), r.bytes/r.lines, strings.Join(ps, ", "),
			float64(r.fields)/float64(r.lines), r.syslogErrs+r.normErrs)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Example lines (one per source):\n\n```\n")
	seen := map[int]bool{}
	for _, l := range lines {
		if !seen[l.src] {
			seen[l.src] = true
			fmt.Fprintf(out, "%s\n", l.text)
		}
	}
	fmt.Fprintf(out, "```\n\n")
}

func blockKiB(p *pool) int {
	m := 0
	for _, b := range p.blocks {
		m = max(m, len(b.data))
	}
	return (m + 1023) / 1024
}
