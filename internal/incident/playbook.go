package incident

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

//go:embed playbooks/*.yaml
var playbookFiles embed.FS

// Playbook is a response procedure as data: steps that become the tasks
// of a case (Tasks).
type Playbook struct {
	Format     int        `yaml:"format"`
	ID         string     `yaml:"id"`
	Version    string     `yaml:"version"`
	Title      Text       `yaml:"title"`
	Categories []Category `yaml:"categories"`
	Steps      []Step     `yaml:"steps"`
}

// Step is one step of a playbook.
type Step struct {
	ID    string `yaml:"id"`
	Phase string `yaml:"phase"`
	Title Text   `yaml:"title"`
	Text  Text   `yaml:"text"`
	// After lists the steps that must be done or skipped before this one
	// can be done.
	After []string `yaml:"after"`
}

// Phases of a step.
var Phases = []string{"containment", "analysis", "eradication", "recovery", "reporting", "lessons"}

// ParsePlaybook decodes and checks a playbook.
func ParsePlaybook(b []byte) (Playbook, error) {
	var p Playbook
	if err := yaml.UnmarshalWithOptions(b, &p, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return Playbook{}, fmt.Errorf("playbook: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Format != 1 {
		bad("format %d: want 1", p.Format)
	}
	if p.ID == "" || p.Version == "" || p.Title.VI == "" || p.Title.EN == "" {
		bad("id, version and a title in vi and en are required")
	}
	for _, c := range p.Categories {
		if !slices.Contains(Categories, c) {
			bad("category %q unknown", c)
		}
	}
	if len(p.Steps) == 0 || len(p.Steps) > 200 {
		bad("%d steps: want 1 to 200", len(p.Steps))
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		switch {
		case s.ID == "" || seen[s.ID]:
			bad("step %d: missing or repeated id %q", i+1, s.ID)
		case !slices.Contains(Phases, s.Phase):
			bad("step %q: phase %q: want one of %s", s.ID, s.Phase, strings.Join(Phases, ", "))
		case s.Title.VI == "" || s.Title.EN == "":
			bad("step %q: title needs vi and en", s.ID)
		}
		for _, a := range s.After {
			// Only earlier steps: the order of the list is an order of the
			// work, and there can be no cycle.
			if !seen[a] {
				bad("step %q: after %q: not an earlier step", s.ID, a)
			}
		}
		seen[s.ID] = true
	}
	if len(problems) > 0 {
		return Playbook{}, fmt.Errorf("playbook %s: %w:\n%s", p.ID, errInvalidRules, strings.Join(problems, "\n"))
	}
	return p, nil
}

// Playbooks returns the embedded playbooks, by id.
func Playbooks() []Playbook {
	names, _ := fs.Glob(playbookFiles, "playbooks/*.yaml")
	var out []Playbook
	for _, n := range names {
		b, _ := playbookFiles.ReadFile(n)
		p, err := ParsePlaybook(b)
		if err != nil {
			panic("incident: embedded " + n + ": " + err.Error())
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Playbook) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// PlaybookFor returns the playbook with id.
func PlaybookFor(id string) (Playbook, bool) {
	for _, p := range Playbooks() {
		if p.ID == id {
			return p, true
		}
	}
	return Playbook{}, false
}
