// Package i18n holds Khiên's message catalogues (Vietnamese and English)
// and picks a language for a request.
package i18n

import (
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Languages are the supported languages; the first is the default.
var Languages = []string{"vi", "en"}

// Default is the language used when nothing else decides.
const Default = "vi"

//go:embed messages/*.yaml
var files embed.FS

// Catalog maps language → key → message. Messages may hold fmt verbs
// filled from the arguments of T. A Catalog is immutable and safe for
// concurrent use.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load parses the embedded catalogues.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: make(map[string]map[string]string)}
	for _, lang := range Languages {
		data, err := files.ReadFile("messages/" + lang + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read catalogue %s: %w", lang, err)
		}
		m := make(map[string]string)
		if err := yaml.UnmarshalWithOptions(data, &m, yaml.Strict()); err != nil {
			return nil, fmt.Errorf("parse catalogue %s: %w", lang, err)
		}
		c.msgs[lang] = m
	}
	return c, nil
}

// MustLoad is Load for start-up and tests; it panics on a broken catalogue,
// which is a programmer error caught by the tests.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Keys returns the sorted keys of one language.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// T returns the message for key in lang, formatted with args. A missing
// key falls back to the default language, then to the key itself.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool { return slices.Contains(Languages, lang) }

// Negotiate picks a supported language from an Accept-Language header,
// honouring q-values; it returns Default when none matches.
func Negotiate(header string) string {
	best, bestQ := "", -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if Supported(base) && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	if best == "" {
		return Default
	}
	return best
}
