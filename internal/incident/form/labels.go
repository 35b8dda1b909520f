package form

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"

	"khien.vn/khien/internal/incident"
)

//go:embed labels.yaml
var embeddedLabels []byte

// Label is the wording of one form field.
type Label struct {
	// Text is the field's label; its Vietnamese is printed on the form.
	Text incident.Text `yaml:"label"`
	// Hint optionally says what to write, for the form's editor; it is
	// not printed.
	Hint incident.Text `yaml:"hint"`
	// Multiline fields are printed as their own paragraphs under the label.
	Multiline bool `yaml:"multiline"`
}

// Labels are the wording of the forms: a label per field key, and the
// Vietnamese and English names of incident categories and statuses as the
// forms print them.
type Labels struct {
	Format     int                                 `yaml:"format"`
	Fields     map[string]Label                    `yaml:"fields"`
	Categories map[incident.Category]incident.Text `yaml:"categories"`
	Statuses   map[incident.Status]incident.Text   `yaml:"statuses"`
}

var errInvalidLabels = errors.New("invalid")

// ParseLabels decodes labels strictly (unknown or repeated keys are
// refused) and checks them: every label and hint in both languages, and
// exactly the categories and statuses of package incident.
func ParseLabels(b []byte) (*Labels, error) {
	var l Labels
	if err := yaml.UnmarshalWithOptions(b, &l, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("form labels: %w", err)
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	return &l, nil
}

// check validates l, reporting every problem.
func (l *Labels) check() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if l.Format != 1 {
		bad("format %d: want 1", l.Format)
	}
	if len(l.Fields) == 0 {
		bad("no fields")
	}
	for _, k := range sortedKeys(l.Fields) {
		f := l.Fields[k]
		if !complete(f.Text) {
			bad("field %q: label needs vi and en", k)
		}
		if f.Hint != (incident.Text{}) && !complete(f.Hint) {
			bad("field %q: hint needs vi and en", k)
		}
	}
	checkNames(l.Categories, incident.Categories, "category", bad)
	checkNames(l.Statuses, incident.Statuses, "status", bad)
	if len(problems) > 0 {
		return fmt.Errorf("form labels: %w:\n%s", errInvalidLabels, strings.Join(problems, "\n"))
	}
	return nil
}

// checkNames reports names missing from m, unknown to want, or without
// both languages.
func checkNames[K ~string](m map[K]incident.Text, want []K, what string, bad func(string, ...any)) {
	for _, k := range want {
		if t, ok := m[k]; !ok {
			bad("%s %q: no name", what, k)
		} else if !complete(t) {
			bad("%s %q: name needs vi and en", what, k)
		}
	}
	for k := range m {
		if !slices.Contains(want, k) {
			bad("%s %q: unknown", what, k)
		}
	}
}

func complete(t incident.Text) bool {
	return strings.TrimSpace(t.VI) != "" && strings.TrimSpace(t.EN) != ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var defaultLabels = sync.OnceValues(func() (*Labels, error) { return ParseLabels(embeddedLabels) })

// DefaultLabels returns the embedded labels (labels.yaml), parsed once.
// It panics if they are broken, which the package's tests rule out.
func DefaultLabels() *Labels {
	l, err := defaultLabels()
	if err != nil {
		panic("form: embedded labels: " + err.Error())
	}
	return l
}

// Cover checks that l labels every field of every form of r and that every
// label is used by a form of r, reporting every key that is not.
func (l *Labels) Cover(r *incident.Rules) error {
	used := map[string]bool{}
	var problems []string
	for _, f := range r.Forms {
		for _, k := range f.Fields {
			used[k] = true
			if _, ok := l.Fields[k]; !ok {
				problems = append(problems, fmt.Sprintf("form %s: field %q has no label", f.ID, k))
			}
		}
	}
	for _, k := range sortedKeys(l.Fields) {
		if !used[k] {
			problems = append(problems, fmt.Sprintf("label %q is used by no form", k))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("form labels: %w:\n%s", errInvalidLabels, strings.Join(problems, "\n"))
	}
	return nil
}

// field returns the label of key; a key without one is labelled with
// itself, so that a form the labels do not know yet still prints.
func (l *Labels) field(key string) Label {
	if f, ok := l.Fields[key]; ok {
		return f
	}
	return Label{Text: incident.Text{VI: key, EN: key}}
}

// category returns the name of c, or c itself when unknown.
func (l *Labels) category(c incident.Category) incident.Text {
	if t, ok := l.Categories[c]; ok {
		return t
	}
	return incident.Text{VI: string(c), EN: string(c)}
}

// status returns the name of s, or "" when unknown.
func (l *Labels) status(s incident.Status) string {
	return l.Statuses[s].VI
}
