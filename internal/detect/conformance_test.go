package detect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/evtx"
)

// sigmaHQ returns SigmaHQ's rules and regression data: shared test data
// outside the repository (KHIEN_SIGMAHQ_DIR, by default
// ../shared/testdata/sigmahq from the project root). Tests skip without it.
func sigmaHQ(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KHIEN_SIGMAHQ_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "sigmahq")
	}
	if _, err := os.Stat(filepath.Join(dir, "rules")); err != nil {
		t.Skipf("SigmaHQ rules not found (set KHIEN_SIGMAHQ_DIR to a checkout of github.com/SigmaHQ/sigma): %v", err)
	}
	return dir
}

// ruleDirs are the SigmaHQ rule sets the conformance test loads.
var ruleDirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting"}

var sigmaHQRules struct {
	once  sync.Once
	rules []*sigma.Rule
	err   error
}

// loadSigmaHQ parses every SigmaHQ rule once per test binary.
func loadSigmaHQ(t testing.TB) []*sigma.Rule {
	t.Helper()
	dir := sigmaHQ(t)
	sigmaHQRules.once.Do(func() {
		var errs []error
		for _, d := range ruleDirs {
			rules, err := sigma.LoadDir(filepath.Join(dir, d))
			sigmaHQRules.rules = append(sigmaHQRules.rules, rules...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		sigmaHQRules.err = errors.Join(errs...)
	})
	if sigmaHQRules.err != nil {
		t.Errorf("SigmaHQ rules that do not parse:\n%v", sigmaHQRules.err)
	}
	return sigmaHQRules.rules
}

// TestSigmaHQLoads compiles every SigmaHQ rule: each loads or is reported
// by name with the reason.
func TestSigmaHQLoads(t *testing.T) {
	rules := loadSigmaHQ(t)
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var notLoaded, caveats []string
	for _, p := range problems {
		if p.Loaded {
			caveats = append(caveats, p.String())
		} else {
			notLoaded = append(notLoaded, p.String()+" ["+p.Rule.Path+"]")
		}
	}
	st := eng.Stats()
	t.Logf("%d rules parsed, %d loaded (%d compiled variants, %d evaluated on every event of their logsource), %d predicates on %d fields, %d guards, automata %d KiB",
		len(rules), st.Rules, st.Compiled, st.Always, st.Predicates, st.Slots, st.Guards, st.AutomataBytes>>10)
	t.Logf("%d rules loaded with a caveat; first ones:\n%s", len(caveats), strings.Join(caveats[:min(len(caveats), 15)], "\n"))
	if len(notLoaded) > 0 {
		t.Errorf("%d rules not loaded:\n%s", len(notLoaded), strings.Join(notLoaded, "\n"))
	}
}

// regressionCase is one entry of SigmaHQ's regression data.
type regressionCase struct {
	dir    string
	ruleID string
	title  string
	evtx   []string
}

func regressionCases(t *testing.T, root string) []regressionCase {
	t.Helper()
	var cases []regressionCase
	err := filepath.WalkDir(filepath.Join(root, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "info.yml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var info struct {
			RuleMetadata []struct {
				ID    string `yaml:"id"`
				Title string `yaml:"title"`
			} `yaml:"rule_metadata"`
			Tests []struct {
				Type string `yaml:"type"`
				Path string `yaml:"path"`
			} `yaml:"regression_tests_info"`
		}
		if err := yaml.Unmarshal(data, &info); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(info.RuleMetadata) == 0 {
			return nil
		}
		c := regressionCase{dir: filepath.Dir(path), ruleID: info.RuleMetadata[0].ID, title: info.RuleMetadata[0].Title}
		for _, tc := range info.Tests {
			if tc.Type == "evtx" {
				c.evtx = append(c.evtx, filepath.Join(root, tc.Path))
			}
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestSigmaHQRegression runs every SigmaHQ rule over SigmaHQ's regression
// events, read two ways: from the .evtx files by Khiên's reader (events as
// Khiên stores them: winlog.* fields) and from the .json files flattened
// the way SigmaHQ's tooling does (EventID, Channel, Image … at top level);
// text logs (.raw) are read as one syslog message per line both ways.
// The expected rule must fire on its events; at least 200 of the 202 must.
func TestSigmaHQRegression(t *testing.T) {
	root := sigmaHQ(t)
	rules := loadSigmaHQ(t)
	eng, _, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byID := make(map[string]int)
	for i, r := range eng.Rules() {
		byID[r.ID] = i
	}
	cases := regressionCases(t, root)
	m := eng.NewMatcher()
	var missEVTX, missJSON []string
	total := 0
	for _, c := range cases {
		idx, ok := byID[c.ruleID]
		if !ok {
			missEVTX = append(missEVTX, fmt.Sprintf("%s (%s): rule not loaded", c.title, c.ruleID))
			missJSON = append(missJSON, fmt.Sprintf("%s (%s): rule not loaded", c.title, c.ruleID))
			total++
			continue
		}
		total++
		firedEVTX := false
		for _, f := range c.evtx {
			for _, ev := range readEVTX(t, f) {
				if slices.Contains(m.MatchEvent(&ev), idx) {
					firedEVTX = true
				}
			}
		}
		raws := rawLines(t, c.dir)
		for _, line := range raws {
			// Text logs arrive over syslog: the event has the syslog
			// fields and the line as its message.
			ev := event.Event{Message: line, Fields: map[string]string{"log.syslog.priority": "189", "message": line}}
			if slices.Contains(m.MatchEvent(&ev), idx) {
				firedEVTX = true
			}
		}
		if !firedEVTX {
			missEVTX = append(missEVTX, fmt.Sprintf("%s (%s) on %s", c.title, c.ruleID, c.dir))
		}
		firedJSON := false
		jsonFiles, _ := filepath.Glob(filepath.Join(c.dir, "*.json"))
		for _, f := range jsonFiles {
			for _, flat := range flatSigmaEvents(t, f) {
				m.Reset(0)
				for k, v := range flat {
					m.Add(k, v)
				}
				if slices.Contains(m.Match(), idx) {
					firedJSON = true
				}
			}
		}
		for _, line := range raws {
			m.Reset(0)
			m.Add("log.syslog.priority", "189")
			m.AddText(line)
			if slices.Contains(m.Match(), idx) {
				firedJSON = true
			}
		}
		if !firedJSON {
			missJSON = append(missJSON, fmt.Sprintf("%s (%s) on %s", c.title, c.ruleID, c.dir))
		}
	}
	t.Logf("expected detections: %d; fired on the .evtx events: %d; on the flat JSON events: %d", total, total-len(missEVTX), total-len(missJSON))
	for name, miss := range map[string][]string{"evtx": missEVTX, "json": missJSON} {
		if len(miss) > 0 {
			t.Logf("%s: %d missed:\n%s", name, len(miss), strings.Join(miss, "\n"))
		}
		// The bar is 200 of 202; all of them fire, and a change
		// that loses one is a regression.
		if len(miss) > 0 {
			t.Errorf("%s: %d of %d expected detections fired, want all", name, total-len(miss), total)
		}
	}
}

// rawLines returns the lines of a case's .raw files (text logs, e.g.
// Cisco), each an event of its own with the line as the message.
func rawLines(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.raw"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

func readEVTX(t *testing.T, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := evtx.Open(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []event.Event
	err = rd.Records(context.Background(), func(rec evtx.Record) error {
		out = append(out, rec.Event(filepath.Base(path)))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// flatSigmaEvents reads a regression .json file (concatenated documents
// {"Event":{"System":…,"EventData":…}}) into flat events: System's
// EventID, Channel, Computer, Provider_Name … at top level, and every
// EventData (or UserData) value under its own name.
func flatSigmaEvents(t testing.TB, path string) []map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []map[string]string
	for {
		var doc struct {
			Event map[string]any `json:"Event"`
		}
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		flat := map[string]string{}
		if sys, ok := doc.Event["System"].(map[string]any); ok {
			for k, v := range sys {
				switch k {
				case "Provider":
					if p, ok := v.(map[string]any); ok {
						if a, ok := p["#attributes"].(map[string]any); ok {
							flat["Provider_Name"] = scalar(a["Name"])
						}
					}
				case "Execution", "Security", "TimeCreated", "Correlation":
				default:
					flat[k] = scalar(v)
				}
			}
		}
		for _, sect := range []string{"EventData", "UserData"} {
			flattenData(flat, doc.Event[sect], 0)
		}
		out = append(out, flat)
	}
	return out
}

func flattenData(out map[string]string, v any, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > 4 {
		return
	}
	for k, x := range m {
		if k == "#attributes" {
			continue
		}
		if sub, ok := x.(map[string]any); ok {
			flattenData(out, sub, depth+1)
			continue
		}
		out[k] = scalar(x)
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestEngineMatchesNaive checks the engine against the naive evaluator
// (every rule on every event, each test on its own) on every regression
// event and on the same events with their values changed in case: the
// automata, triggers and prefilters must never change a result.
func TestEngineMatchesNaive(t *testing.T) {
	root := sigmaHQ(t)
	eng, _, err := detect.Compile(loadSigmaHQ(t), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fast, naive := eng.NewMatcher(), eng.NewNaiveMatcher()
	events := 0
	err = filepath.WalkDir(filepath.Join(root, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") {
			return err
		}
		for _, ev := range flatSigmaEvents(t, path) {
			for _, variant := range []func(string) string{func(s string) string { return s }, strings.ToUpper, strings.ToLower} {
				fast.Reset(0)
				naive.Reset(0)
				for k, v := range ev {
					fast.Add(k, variant(v))
					naive.Add(k, variant(v))
				}
				got, want := slices.Clone(fast.Match()), naive.Match()
				if !slices.Equal(got, want) {
					t.Errorf("%s: engine matched %v, naive %v", path, names(eng, got), names(eng, want))
				}
				events++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events compared", events)
}

func names(eng *detect.Engine, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, eng.Rules()[i].Title)
	}
	return out
}
