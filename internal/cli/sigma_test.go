package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSigmaScan runs `khien sigma scan` on our own small rule directory
// and JSON lines: the output is one {"rule_id","event_index"} object per
// match, invalid lines are reported on stderr and skipped.
func TestSigmaScan(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.MkdirAll(filepath.Join(rules, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("rules/shadow.yml", `title: Shadow copies deleted
id: 11111111-1111-4111-8111-111111111111
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\vssadmin.exe'
        CommandLine|contains|all:
            - 'delete'
            - 'shadows'
    condition: selection
level: high
`)
	write("rules/sub/logon.yml", `title: Remote interactive logon
id: 22222222-2222-4222-8222-222222222222
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
        LogonType: 10
    condition: selection
level: medium
`)
	events := write("events.jsonl", strings.Join([]string{
		`{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\Windows\\System32\\vssadmin.exe","CommandLine":"vssadmin.exe Delete Shadows /All /Quiet"}`,
		`{"EventID":4624,"Channel":"Security","LogonType":"3"}`,
		`not json`,
		``,
		`{"EventID":4624,"Channel":"Security","LogonType":10}`,
		`{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\Windows\\System32\\VSSADMIN.EXE","CommandLine":"vssadmin delete shadows"}`,
	}, "\n"))
	code, stdout, stderr := runCLI(t, nil, "sigma", "scan", "--rules", rules, "--events", events)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	type match struct {
		RuleID     string `json:"rule_id"`
		EventIndex int    `json:"event_index"`
	}
	var got []match
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m match
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		got = append(got, m)
	}
	want := []match{
		{"11111111-1111-4111-8111-111111111111", 0},
		{"22222222-2222-4222-8222-222222222222", 4},
		{"11111111-1111-4111-8111-111111111111", 5}, // Security 4688: Image is NewProcessName
	}
	if len(got) != len(want) {
		t.Fatalf("matches %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("match %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, s := range []string{"2 rules loaded", "line 3 skipped", "4 events, 3 matches, 1 invalid lines"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}

	// Usage errors.
	if code, _, _ := runCLI(t, nil, "sigma", "scan", "--rules", rules); code != exitUsage {
		t.Errorf("without --events: exit %d, want %d", code, exitUsage)
	}
	if code, _, stderr := runCLI(t, nil, "sigma", "scan", "--rules", rules, "--events", filepath.Join(dir, "missing.jsonl")); code == 0 || !strings.Contains(stderr, "missing.jsonl") {
		t.Errorf("missing events file: exit %d, stderr %q", code, stderr)
	}
}

// TestSigmaScanEVTX scans one of SigmaHQ's regression .evtx files with
// the rule it was made for.
func TestSigmaScanEVTX(t *testing.T) {
	file := sigmaEVTX(t)
	// Regression files are named after the rule they fire.
	id := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	dir := os.Getenv("KHIEN_SIGMAHQ_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "sigmahq")
	}
	code, stdout, stderr := runCLI(t, nil, "sigma", "scan", "--rules", filepath.Join(dir, "rules"), "--rules", filepath.Join(dir, "rules-threat-hunting"), "--rules", filepath.Join(dir, "rules-emerging-threats"), "--events", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, `"rule_id":"`+id+`"`) {
		t.Errorf("rule %s did not fire on %s:\n%s", id, file, stdout)
	}
}

// TestRulesValidateAndTest runs `khien rules validate|test` on the
// built-in pack (all pass) and on a directory with a broken rule and a
// failing golden test.
func TestRulesValidateAndTest(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "rules", "test")
	if code != 0 || !strings.Contains(stdout, "0 failed; 0 rules without khien_tests") {
		t.Fatalf("built-in pack: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, nil, "rules", "validate"); code != 0 || !strings.Contains(stdout, "rules read") {
		t.Fatalf("validate built-in: exit %d\n%s", code, stdout)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: bad\nlogsource: {product: windows}\ndetection:\n    sel:\n        Image|nosuchmodifier: x\n    condition: sel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wrong.yml"), []byte(`title: wrong test
id: 33333333-3333-4333-8333-333333333333
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: '\cmd.exe'
    condition: sel
khien_tests:
    match:
        - {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational, Image: 'C:\notepad.exe'}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, nil, "rules", "validate", dir)
	if code != exitFailure || !strings.Contains(stdout, "INVALID") || !strings.Contains(stdout, "nosuchmodifier") {
		t.Errorf("validate: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, nil, "rules", "test", dir)
	if code != exitFailure || !strings.Contains(stdout, "FAIL wrong test") {
		t.Errorf("test: exit %d\n%s", code, stdout)
	}
	if code, _, _ := runCLI(t, nil, "rules"); code != exitUsage {
		t.Errorf("no subcommand: exit %d", code)
	}
}
