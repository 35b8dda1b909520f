package sigma_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/detect/sigma"
)

// ruleFiles is a small rule tree: good rules, a bad one, a multi-document
// file, files to ignore.
func ruleFiles() map[string]string {
	good := func(title string) string {
		return strings.Replace(rule("    sel: a\n    condition: sel\n"), "Test rule", title, 1)
	}
	return map[string]string{
		"windows/b.yml":         good("B"),
		"windows/a.yaml":        good("A"),
		"windows/sub/c.YML":     good("C"),
		"linux/bad.yml":         "title: Bad\nlogsource: {product: linux}\ndetection:\n    sel: a\n    condition: nope\n",
		"linux/multi.yml":       good("M1") + "---\n" + good("M2"),
		"linux/notes.txt":       "not a rule",
		".git/config.yml":       "not: [a rule",
		"windows/.hidden/x.yml": "also: ignored",
	}
}

func titles(rules []*sigma.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Title+"@"+filepath.ToSlash(r.Path))
	}
	return out
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	for name, content := range ruleFiles() {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := sigma.LoadDir(dir)
	slash := filepath.ToSlash(dir)
	want := []string{
		"M1@" + slash + "/linux/multi.yml",
		"M2@" + slash + "/linux/multi.yml",
		"A@" + slash + "/windows/a.yaml",
		"B@" + slash + "/windows/b.yml",
		"C@" + slash + "/windows/sub/c.YML",
	}
	if diff := cmp.Diff(want, titles(rules)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	errs := unjoin(err)
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", err)
	}
	var se *sigma.Error
	if !errors.As(errs[0], &se) || se.Path != filepath.Join(dir, "linux", "bad.yml") || se.Title != "Bad" || !strings.Contains(se.Reason, `"nope"`) {
		t.Errorf("error = %#v", errs[0])
	}
	if rules[1].Doc != 1 {
		t.Errorf("M2 is in document %d, want 1", rules[1].Doc)
	}
}

func TestLoadDir_missing(t *testing.T) {
	rules, err := sigma.LoadDir(filepath.Join(t.TempDir(), "nope"))
	if len(rules) != 0 || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadDir = %d rules, %v; want none and a not-exist error", len(rules), err)
	}
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{}
	for name, content := range ruleFiles() {
		fsys["pack/"+name] = &fstest.MapFile{Data: []byte(content)}
	}
	rules, err := sigma.LoadFS(fsys, "pack/windows")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A@pack/windows/a.yaml", "B@pack/windows/b.yml", "C@pack/windows/sub/c.YML"}
	if diff := cmp.Diff(want, titles(rules)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}
