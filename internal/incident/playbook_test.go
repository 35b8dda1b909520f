package incident

import (
	"errors"
	"strings"
	"testing"
)

func TestEmbeddedPlaybooks(t *testing.T) {
	pb, ok := PlaybookFor("ransomware")
	if !ok {
		t.Fatal("no ransomware playbook")
	}
	// The steps issue #8 names, in an order that checks backups before a
	// restore and reports after it.
	var ids []string
	after := map[string][]string{}
	for _, s := range pb.Steps {
		ids = append(ids, s.ID)
		after[s.ID] = s.After
	}
	for _, want := range []string{"isolate", "preserve_evidence", "identify_strain", "check_backups", "restore", "reset_credentials", "notify", "final_report", "lessons_learned"} {
		if !strings.Contains(strings.Join(ids, " "), want) {
			t.Errorf("ransomware playbook lacks step %q: %v", want, ids)
		}
	}
	if !strings.Contains(strings.Join(after["restore"], " "), "check_backups") {
		t.Errorf("restore comes after %v, want check_backups among them", after["restore"])
	}
	if len(Playbooks()) == 0 {
		t.Error("Playbooks() is empty")
	}
}

func TestParsePlaybookRefusesBadData(t *testing.T) {
	good, err := playbookFiles.ReadFile("playbooks/ransomware.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"forward reference": {"after: [isolate]", "after: [restore]", "not an earlier step"},
		"unknown phase":     {"phase: lessons", "phase: party", "phase"},
		"repeated id":       {"id: reset_credentials", "id: restore", "repeated id"},
		"unknown category":  {"categories: [ransomware]", "categories: [worm]", "category"},
		"unknown field":     {"phase: containment\n    title: {vi: \"Cô lập", "phase: containment\n    titel: {vi: \"Cô lập", "unknown field"},
	} {
		if !strings.Contains(string(good), c.old) {
			t.Fatalf("%s: the playbook lacks %q", name, c.old)
		}
		_, err := ParsePlaybook([]byte(strings.Replace(string(good), c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	if _, err := ParsePlaybook([]byte("format: 1\nid: x\nversion: \"1\"\ntitle: {vi: a, en: b}\nsteps: []\n")); !errors.Is(err, errInvalidRules) {
		t.Errorf("no steps: %v", err)
	}
}

func FuzzParsePlaybook(f *testing.F) {
	good, _ := playbookFiles.ReadFile("playbooks/ransomware.yaml")
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePlaybook(b)
		if err != nil {
			return
		}
		// An accepted playbook's "after" only names earlier steps.
		seen := map[string]bool{}
		for _, s := range p.Steps {
			for _, a := range s.After {
				if !seen[a] {
					t.Fatalf("step %q after %q, not earlier", s.ID, a)
				}
			}
			seen[s.ID] = true
		}
	})
}
