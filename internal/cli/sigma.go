package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/ingest/evtx"
)

// runSigma runs the offline Sigma tools: scan.
func runSigma(ctx context.Context, e *env, args []string) int {
	usageLine := "Usage: khien sigma scan --rules DIR [--rules DIR…] --events FILE.jsonl|FILE.evtx"
	if len(args) == 0 || args[0] != "scan" {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	fs := newFlagSet(e, "sigma scan")
	var ruleDirs stringList
	fs.Var(&ruleDirs, "rules", "directory of Sigma rules (*.yml, *.yaml), searched recursively; repeatable")
	events := fs.String("events", "", "events to scan: JSON lines (one event per line: flat Windows events as SigmaHQ's tools write them, or Khiên's events) or an .evtx file")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if len(ruleDirs) == 0 || *events == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}

	start := time.Now()
	var rules []*sigma.Rule
	for _, d := range ruleDirs {
		rs, err := sigma.LoadDir(d)
		rules = append(rules, rs...)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintln(e.stderr, "khien: rule not loaded: "+line)
			}
		}
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		return fail(e, err)
	}
	for _, p := range problems {
		if p.Loaded {
			fmt.Fprintln(e.stderr, "khien: note: "+p.String())
		} else {
			fmt.Fprintln(e.stderr, "khien: rule not loaded: "+p.String())
		}
	}
	loaded := time.Since(start)
	fmt.Fprintf(e.stderr, "khien: %d rules loaded (%d correlation rules) in %s\n", len(eng.Rules())+len(eng.CorrelationRules()), len(eng.CorrelationRules()), loaded.Round(time.Millisecond))

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	type match struct {
		RuleID     string `json:"rule_id"`
		EventIndex int    `json:"event_index"`
	}
	enc := json.NewEncoder(out)
	emit := func(rule *sigma.Rule, index int) error {
		return enc.Encode(match{RuleID: ruleID(rule), EventIndex: index})
	}
	scanStart := time.Now()
	var st detect.ScanStats
	if strings.EqualFold(filepath.Ext(*events), ".evtx") {
		st, err = scanEVTX(ctx, eng, *events, emit)
	} else {
		var f *os.File
		if f, err = os.Open(*events); err == nil {
			st, err = eng.ScanJSONLines(ctx, f, emit, func(line int, err error) {
				fmt.Fprintf(e.stderr, "khien: line %d skipped: %v\n", line+1, err)
			})
			f.Close()
		}
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(e, err)
	}
	d := time.Since(scanStart)
	fmt.Fprintf(e.stderr, "khien: %d events, %d matches, %d invalid lines in %s (%.0f events/s)\n",
		st.Events, st.Matches, st.Invalid, d.Round(time.Millisecond), float64(st.Events)/max(d.Seconds(), 1e-9))
	return exitOK
}

// ruleID is the rule's id, or its title when it has none.
func ruleID(r *sigma.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

func scanEVTX(ctx context.Context, eng *detect.Engine, path string, emit func(rule *sigma.Rule, index int) error) (detect.ScanStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return detect.ScanStats{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return detect.ScanStats{}, err
	}
	rd, err := evtx.Open(f, info.Size())
	if err != nil {
		return detect.ScanStats{}, fmt.Errorf("%s: %w", path, err)
	}
	sc := eng.NewScanner(emit, false)
	idx := 0
	err = rd.Records(ctx, func(rec evtx.Record) error {
		ev := rec.Event(filepath.Base(path))
		idx++
		return sc.Event(&ev, idx-1)
	})
	st, endErr := sc.End()
	if err == nil {
		err = endErr
	}
	return st, err
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runRules is detection-as-code: validate rule directories, and run the
// golden test events rules carry (khien_tests). Without a directory it
// works on Khiên's built-in rule pack.
func runRules(_ context.Context, e *env, args []string) int {
	usageLine := "Usage: khien rules validate|test [DIR...]"
	if len(args) == 0 || (args[0] != "validate" && args[0] != "test") {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	fs := newFlagSet(e, "rules "+args[0])
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	var rules []*sigma.Rule
	failed := false
	if fs.NArg() == 0 {
		rs, err := detect.BuiltinRules()
		if err != nil {
			return fail(e, err)
		}
		rules = rs
	}
	for _, d := range fs.Args() {
		rs, err := sigma.LoadDir(d)
		rules = append(rules, rs...)
		if err != nil {
			failed = true
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintln(e.stdout, "INVALID "+line)
			}
		}
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		return fail(e, err)
	}
	for _, p := range problems {
		if p.Loaded {
			fmt.Fprintln(e.stdout, "NOTE "+p.String())
		} else {
			failed = true
			fmt.Fprintln(e.stdout, "UNSUPPORTED "+p.String())
		}
	}
	if args[0] == "validate" {
		fmt.Fprintf(e.stdout, "%d rules read, %d loaded\n", len(rules), len(eng.Rules()))
	} else {
		results, untested := eng.RunRuleTests()
		passed := 0
		for _, r := range results {
			if r.Passed() {
				passed++
				continue
			}
			failed = true
			fmt.Fprintln(e.stdout, r.String())
		}
		fmt.Fprintf(e.stdout, "%d rules, %d golden events: %d passed, %d failed; %d rules without %s\n",
			len(eng.Rules()), len(results), passed, len(results)-passed, len(untested), detect.TestsKey)
	}
	if failed {
		return exitFailure
	}
	return exitOK
}
