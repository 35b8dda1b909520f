package ui_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/web/assets"
	"khien.vn/khien/internal/web/ui"
)

// The UI must work air-gapped: no template or static file refers to
// another host (XML namespaces are names, not requests).
func TestNoExternalReferences(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	allowed := map[string]bool{"http://www.w3.org": true}
	static, err := assets.NewStatic("/static/")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, data []byte) {
		for _, m := range url.FindAllString(string(data), -1) {
			if !allowed[strings.ToLower(m)] {
				t.Errorf("%s refers to %s", name, m)
			}
		}
	}
	err = fs.WalkDir(ui.TemplateFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(ui.TemplateFS(), p)
		check(p, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range static.Names() {
		b, err := os.ReadFile(filepath.Join("..", "assets", "static", n))
		if err != nil {
			t.Fatal(err)
		}
		check(n, b)
	}
}

// Every message key the templates and the Go code use exists in the catalogue.
func TestMessageKeysExist(t *testing.T) {
	cat := i18n.MustLoad()
	used := map[string]string{}
	tmplKey := regexp.MustCompile(`\{\{t "([a-z_.]+)"`)
	_ = fs.WalkDir(ui.TemplateFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(ui.TemplateFS(), p)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	// Keys in Go source: message keys passed to errs, Translate, redirects and page titles.
	goKey := regexp.MustCompile(`"((?:err|common|nav|users|units|jobs|profile|tokens|mfa|password|home|login|secret|error)\.[a-z_]+)"`)
	root := filepath.Join("..", "..")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for key, where := range used {
		for _, lang := range i18n.Languages {
			if !cat.Has(lang, key) {
				t.Errorf("%s uses %q, missing from the %s catalogue", where, key, lang)
			}
		}
	}
}
