package sigma_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/detect/sigma"
)

// sigmaHQDir is SigmaHQ's rule repository, kept outside this repository
// as test data (see /work/shared/testdata/sigmahq/ABOUT.md), relative to
// this package's directory.
const sigmaHQDir = "../../../../shared/testdata/sigmahq"

// sigmaHQRuleDirs are the rule sets of the SigmaHQ repository.
var sigmaHQRuleDirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting"}

// sigmaHQKnownBad lists SigmaHQ rule files that this package rejects on
// purpose, by path relative to the SigmaHQ folder, with the reason. The
// conformance test fails if one of them parses (the entry is stale) or
// if any other file fails.
var sigmaHQKnownBad = map[string]string{}

func sigmaHQRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(sigmaHQDir)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rules")); err != nil {
		tb.Skipf("SigmaHQ rules not found at %s (shared test data, not part of this repository): %v", dir, err)
	}
	return dir
}

// TestSigmaHQ parses every SigmaHQ rule.
func TestSigmaHQ(t *testing.T) {
	root := sigmaHQRoot(t)
	var (
		rules   []*sigma.Rule
		files   int
		failed  = map[string][]string{} // file → reasons
		byCombo = map[string]int{}
	)
	for _, sub := range sigmaHQRuleDirs {
		dir := filepath.Join(root, sub)
		rs, err := sigma.LoadDir(dir)
		rules = append(rules, rs...)
		for _, e := range unjoin(err) {
			var se *sigma.Error
			if !errors.As(e, &se) {
				t.Errorf("%s: %v", sub, e)
				continue
			}
			rel, _ := filepath.Rel(root, se.Path)
			failed[filepath.ToSlash(rel)] = append(failed[filepath.ToSlash(rel)], e.Error())
		}
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
				files++
			}
			return nil
		})
	}
	for _, r := range rules {
		if r.Detection == nil {
			continue
		}
		for _, s := range r.Detection.Searches {
			for _, alt := range s.Alternatives {
				for _, fm := range alt {
					mods := make([]string, len(fm.Modifiers))
					for i, m := range fm.Modifiers {
						mods[i] = string(m)
					}
					key := "|" + strings.Join(mods, "|")
					if fm.Field == "" {
						key = "(keywords)" + key
					}
					byCombo[key]++
				}
			}
		}
	}
	for file, reasons := range failed {
		if _, ok := sigmaHQKnownBad[file]; ok {
			continue
		}
		t.Errorf("%s:\n\t%s", file, strings.Join(reasons, "\n\t"))
	}
	for file, reason := range sigmaHQKnownBad {
		if _, ok := failed[file]; !ok {
			t.Errorf("%s is listed as failing (%s) but parses: remove it from sigmaHQKnownBad", file, reason)
		}
	}
	t.Logf("%d files, %d rules parsed, %d files failed (%d known)", files, len(rules), len(failed), len(sigmaHQKnownBad))
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(byCombo)) {
		fmt.Fprintf(&b, "\n\t%-40s %6d", k, byCombo[k])
	}
	t.Logf("field matches by modifier chain:%s", b.String())
}

// BenchmarkLoadSigmaHQ loads every SigmaHQ rule set.
func BenchmarkLoadSigmaHQ(b *testing.B) {
	root := sigmaHQRoot(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, sub := range sigmaHQRuleDirs {
			rs, _ := sigma.LoadDir(filepath.Join(root, sub))
			n += len(rs)
		}
	}
	b.ReportMetric(float64(n), "rules")
}

// BenchmarkParseSigmaHQ parses every SigmaHQ rule file from memory on one
// goroutine: the CPU cost of Parse without file system access.
func BenchmarkParseSigmaHQ(b *testing.B) {
	root := sigmaHQRoot(b)
	var files [][]byte
	for _, sub := range sigmaHQRuleDirs {
		err := filepath.WalkDir(filepath.Join(root, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			data, err := os.ReadFile(p)
			files = append(files, data)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := sigma.Parse(f, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(files)), "files")
}
