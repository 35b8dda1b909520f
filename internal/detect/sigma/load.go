package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// LoadDir reads every rule file (*.yml, *.yaml) under dir, recursively,
// in lexical path order; directories whose name starts with "." (.git,
// .github) are skipped. Each rule's Path is the file's path (dir joined
// with the file's relative path).
//
// It returns every rule that parsed and an error joining every failure,
// each an *Error naming the file, the rule and the reason (or a read
// error). Files are parsed in parallel, one goroutine per CPU; the result
// does not depend on it.
func LoadDir(dir string) ([]*Rule, error) {
	return load(os.DirFS(dir), ".", func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) })
}

// LoadFS is LoadDir for a file system, such as an embedded rule pack:
// it reads the rule files under root (a slash-separated path, "." for
// all) and sets each rule's Path to the file's path in fsys.
func LoadFS(fsys fs.FS, root string) ([]*Rule, error) {
	return load(fsys, root, func(p string) string { return p })
}

// ruleFile is one file to parse and its outcome.
type ruleFile struct {
	name  string // path shown in rules and errors
	data  []byte
	rules []*Rule
	err   error
}

func load(fsys fs.FS, root string, display func(string) string) ([]*Rule, error) {
	var (
		files []*ruleFile
		errs  []error
	)
	// Read sequentially (an fs.FS need not be safe for concurrent use),
	// parse in parallel.
	walkErr := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, fmt.Errorf("load rules: %w", err))
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !isRuleFile(p) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("load rules: %w", err))
			return nil
		}
		files = append(files, &ruleFile{name: display(p), data: data})
		return nil
	})
	if walkErr != nil {
		errs = append(errs, fmt.Errorf("load rules: %w", walkErr))
	}
	parseAll(files)
	var rules []*Rule
	for _, f := range files {
		rules = append(rules, f.rules...)
		if f.err != nil {
			errs = append(errs, f.err)
		}
	}
	return rules, errors.Join(errs...)
}

// isRuleFile reports whether name has a YAML extension.
func isRuleFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// parseAll parses files on up to GOMAXPROCS goroutines and waits for
// them.
func parseAll(files []*ruleFile) {
	workers := min(runtime.GOMAXPROCS(0), len(files))
	if workers <= 1 {
		for _, f := range files {
			f.rules, f.err = Parse(f.data, f.name)
			f.data = nil
		}
		return
	}
	var (
		wg   sync.WaitGroup
		next = make(chan *ruleFile)
	)
	for range workers {
		wg.Go(func() {
			for f := range next {
				f.rules, f.err = Parse(f.data, f.name)
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
}
