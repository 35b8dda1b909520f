package detect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/eventstore/eventstoretest"
)

// Benchmarks (SigmaHQ's data is needed; they skip without it):
//
//	go test -run '^$' -bench 'SigmaWindows|LoadWindows' -benchmem -cpu 1 -count 5 ./internal/detect/
//
// The events are SigmaHQ's regression events (each made to fire one
// rule), flattened as SigmaHQ's tooling writes them and cycled into JSON
// lines; every Windows rule of SigmaHQ's three rule sets is loaded.

// windowsRules returns SigmaHQ's Windows rules.
func windowsRules(b *testing.B) []*sigma.Rule {
	var out []*sigma.Rule
	for _, r := range loadSigmaHQ(b) {
		if r.LogSource.Product == "windows" {
			out = append(out, r)
		}
	}
	return out
}

// regressionLines returns SigmaHQ's regression events as flat JSON lines.
func regressionLines(b *testing.B) [][]byte {
	root := sigmaHQ(b)
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(files)
	var lines [][]byte
	for _, f := range files {
		for _, ev := range flatSigmaEvents(b, f) {
			line, err := json.Marshal(ev)
			if err != nil {
				b.Fatal(err)
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		b.Skip("no regression events found")
	}
	return lines
}

// BenchmarkSigmaWindows scans JSON lines with every SigmaHQ Windows rule:
// the engine, then the naive evaluator (every rule on every event, each
// test on its own) on the same events, and logs the ratio.
func BenchmarkSigmaWindows(b *testing.B) {
	rules := windowsRules(b)
	eng, _, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	lines := regressionLines(b)
	var input bytes.Buffer
	for input.Len() < 8<<20 {
		for _, l := range lines {
			input.Write(l)
			input.WriteByte('\n')
		}
	}
	data := input.Bytes()
	n := bytes.Count(data, []byte{'\n'})
	var fast, naive float64
	b.Run("engine", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.SetBytes(int64(len(data)) / int64(n))
		ctx := context.Background()
		matches := 0
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		events := 0
		for b.Loop() {
			st, err := eng.ScanJSONLines(ctx, bytes.NewReader(data), func(*sigma.Rule, int) error { matches++; return nil }, nil)
			if err != nil {
				b.Fatal(err)
			}
			events += st.Events
		}
		rate := float64(events) / time.Since(start).Seconds()
		b.ReportMetric(rate, "events/s")
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
		}
		b.ReportMetric(float64(matches)/float64(events), "matches/event")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		fast = rate
	})
	b.Run("naive", func(b *testing.B) {
		m := eng.NewNaiveMatcher()
		flat := make([]map[string]string, len(lines))
		for i, l := range lines {
			if err := json.Unmarshal(l, &flat[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		events := 0
		for b.Loop() {
			ev := flat[events%len(flat)]
			m.Reset(0)
			for k, v := range ev {
				m.Add(k, v)
			}
			m.Match()
			events++
		}
		rate := float64(events) / time.Since(start).Seconds()
		b.ReportMetric(rate, "events/s")
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
		}
		naive = rate
	})
	if fast > 0 && naive > 0 {
		b.Logf("%d Windows rules, %d distinct events: engine %.0f events/s, naive %.0f events/s (JSON decoding excluded), ratio %.0f×",
			len(eng.Rules()), len(lines), fast, naive, fast/naive)
	}
}

// BenchmarkLoadWindowsRules parses and compiles SigmaHQ's Windows rules.
func BenchmarkLoadWindowsRules(b *testing.B) {
	root := sigmaHQ(b)
	for b.Loop() {
		var rules []*sigma.Rule
		for _, d := range ruleDirs {
			rs, _ := sigma.LoadDir(filepath.Join(root, d))
			for _, r := range rs {
				if r.LogSource.Product == "windows" {
					rules = append(rules, r)
				}
			}
		}
		if _, _, err := detect.Compile(rules, detect.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluationCounts logs how much work the engine does per event on
// the benchmark's events (predicates fired, rules evaluated), against the
// naive evaluator's every rule.
func TestEvaluationCounts(t *testing.T) {
	b := &testing.B{}
	_ = b
	rules := loadSigmaHQ(t)
	var win []*sigma.Rule
	for _, r := range rules {
		if r.LogSource.Product == "windows" {
			win = append(win, r)
		}
	}
	eng, _, err := detect.Compile(win, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := eng.NewMatcher()
	root := sigmaHQ(t)
	var fired, evaluated, events int
	filepath.WalkDir(filepath.Join(root, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") {
			return err
		}
		for _, ev := range flatSigmaEvents(t, path) {
			m.Reset(0)
			for k, v := range ev {
				m.Add(k, v)
			}
			m.Match()
			f, e := m.LastCounts()
			fired += f
			evaluated += e
			events++
		}
		return nil
	})
	st := eng.Stats()
	always := eng.AlwaysRules()
	t.Logf("rules evaluated on every event of their logsource (%d):\n%s", len(always), strings.Join(always, "\n"))
	t.Logf("%d events: %.1f predicates fired and %.1f of %d compiled rules evaluated per event (%d always)", events, float64(fired)/float64(events), float64(evaluated)/float64(events), st.Compiled, st.Always)
}

// BenchmarkSigmaWindowsGenerated matches events as Khiên stores them
// (maps of ECS and winlog.* fields, from the reference-hunt generator:
// logons, process creations with everyday command lines, sshd lines)
// against every SigmaHQ Windows rule: the common case, where few events
// fire anything.
func BenchmarkSigmaWindowsGenerated(b *testing.B) {
	eng, _, err := detect.Compile(windowsRules(b), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	gen := eventstoretest.NewGenerator(1, time.Now().Add(-time.Hour), time.Millisecond)
	events := gen.Batch(nil, 20_000)
	m := eng.NewMatcher()
	matches := 0
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		matches += len(m.MatchEvent(&events[n%len(events)]))
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(matches)/float64(n), "matches/event")
}

// BenchmarkSigmaWindowsGeneratedJSONL is BenchmarkSigmaWindowsGenerated
// from JSON lines in to matches out: the generated events written as flat
// JSON objects (their stored fields and message), read by ScanJSONLines.
func BenchmarkSigmaWindowsGeneratedJSONL(b *testing.B) {
	eng, _, err := detect.Compile(windowsRules(b), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	gen := eventstoretest.NewGenerator(1, time.Now().Add(-time.Hour), time.Millisecond)
	var input bytes.Buffer
	for _, e := range gen.Batch(nil, 20_000) {
		obj := make(map[string]string, len(e.Fields)+1)
		for k, v := range e.Fields {
			obj[k] = v
		}
		obj["message"] = e.Message
		line, err := json.Marshal(obj)
		if err != nil {
			b.Fatal(err)
		}
		input.Write(line)
		input.WriteByte('\n')
	}
	data := input.Bytes()
	ctx := context.Background()
	matches, events := 0, 0
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		st, err := eng.ScanJSONLines(ctx, bytes.NewReader(data), func(*sigma.Rule, int) error { matches++; return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(matches)/float64(events), "matches/event")
}
