package detect_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
)

// TestBuiltinRules loads Khiên's own rule pack: every rule loads without
// a caveat, has golden tests, and passes them.
func TestBuiltinRules(t *testing.T) {
	rules, err := detect.BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 12 {
		t.Fatalf("%d built-in rules, want at least 12", len(rules))
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("built-in rule: %s", p)
	}
	results, untested := eng.RunRuleTests()
	for _, r := range untested {
		t.Errorf("built-in rule %s (%s) has no %s", r.Title, r.ID, detect.TestsKey)
	}
	var match, noMatch int
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
		if r.Want {
			match++
		} else {
			noMatch++
		}
	}
	t.Logf("%d rules, %d match and %d no-match golden events", len(rules), match, noMatch)
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		ids[r.ID] = true
		if r.Level == "" || !strings.Contains(r.Description, "/") && len(r.Description) < 40 {
			t.Errorf("%s: level and a bilingual description are required", r.Title)
		}
	}
}

// TestRuleTestsCatchFailures checks that a wrong golden test fails.
func TestRuleTestsCatchFailures(t *testing.T) {
	det := "    sel:\n        Image|endswith: '\\cmd.exe'"
	eng := compileOne(t, det, "sel\nkhien_tests:\n    match:\n        - {Image: 'C:\\notepad.exe'}\n    no_match:\n        - {Image: 'C:\\cmd.exe'}\n    bogus: []", detect.Options{})
	results, _ := eng.RunRuleTests()
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d failed results, want 3 (wrong match, wrong no_match, unknown key): %v", failed, results)
	}
}

// TestBuiltinCorrelations runs the built-in correlation rules over event
// streams: 10 failed RDP logons from one address within 5 minutes fire
// once (and the single failures, generate false, are not reported);
// 9, or 10 spread over 10 minutes, do not; 50 encrypted files on one host
// within a minute fire, and the single files are still reported
// (generate true).
func TestBuiltinCorrelations(t *testing.T) {
	rules, err := detect.BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("built-in rule: %s", p)
	}
	if n := len(eng.CorrelationRules()); n < 3 {
		t.Fatalf("%d correlation rules, want 3", n)
	}
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	rdp := func(i int, step time.Duration, ip string) string {
		return fmt.Sprintf(`{"EventID":4625,"Channel":"Security","LogonType":10,"IpAddress":%q,"TargetUserName":"administrator","@timestamp":%q}`,
			ip, base.Add(time.Duration(i)*step).Format(time.RFC3339Nano))
	}
	enc := func(i int) string {
		return fmt.Sprintf(`{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"fs01","TargetFilename":"D:\\\\Share\\\\f%d.docx.lockbit","@timestamp":%q}`,
			i, base.Add(time.Duration(i)*time.Second/2).Format(time.RFC3339Nano))
	}
	tests := []struct {
		name  string
		lines []string
		want  map[string][]int // rule title → lines it fires on
	}{
		{"10 failures in 5 minutes", repeat(10, func(i int) string { return rdp(i, 10*time.Second, "203.0.113.9") }),
			map[string][]int{"RDP password guessing from one address": {9}}},
		{"9 failures", repeat(9, func(i int) string { return rdp(i, 10*time.Second, "203.0.113.9") }), map[string][]int{}},
		{"10 failures over 10 minutes", repeat(10, func(i int) string { return rdp(i, time.Minute, "203.0.113.9") }), map[string][]int{}},
		{"10 failures from two addresses", repeat(10, func(i int) string { return rdp(i, time.Second, fmt.Sprintf("203.0.113.%d", i%2)) }), map[string][]int{}},
		{"10 SSH failures in 90 seconds", repeat(10, func(i int) string {
			return fmt.Sprintf(`{"log":{"syslog":{"priority":38}},"process":{"name":"sshd"},"source":{"ip":"198.51.100.7"},"message":"Failed password for root from 198.51.100.7 port %d ssh2","@timestamp":%q}`,
				40000+i, base.Add(time.Duration(i)*10*time.Second).Format(time.RFC3339Nano))
		}), map[string][]int{"SSH password guessing from one address": {9}}},
		{"50 encrypted files in 25 seconds", repeat(50, enc),
			map[string][]int{"Mass file encryption on one host": {49}, "Files renamed to a ransomware extension": seq(50)}},
	}
	for _, tt := range tests {
		got := map[string][]int{}
		_, err := eng.ScanJSONLines(context.Background(), strings.NewReader(strings.Join(tt.lines, "\n")), func(r *sigma.Rule, line int) error {
			got[r.Title] = append(got[r.Title], line)
			return nil
		}, func(line int, err error) { t.Errorf("%s: line %d: %v", tt.name, line, err) })
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: fired %v, want %v", tt.name, got, tt.want)
		}
	}
}

func repeat(n int, f func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestScannerFlush closes a window that only decides at its end: an
// event_count lt correlation fires on Flush, not before.
func TestScannerFlush(t *testing.T) {
	rules, err := sigma.Parse([]byte(`title: base
id: 55555555-5555-4555-8555-555555555555
name: base
logsource: {product: windows, service: security}
detection:
    sel:
        EventID: 4740
    condition: sel
---
title: few lockouts
id: 66666666-6666-4666-8666-666666666666
correlation:
    type: event_count
    rules: [base]
    group-by: [TargetUserName]
    timespan: 1m
    condition:
        lt: 3
`), "flush.yml")
	if err != nil {
		t.Fatal(err)
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("%v %v", err, problems)
	}
	var fired []string
	sc := eng.NewScanner(func(r *sigma.Rule, i int) error {
		fired = append(fired, fmt.Sprintf("%s@%d", r.Name+r.Title, i))
		return nil
	}, false)
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	ev := event.Event{Time: t0, Fields: map[string]string{"winlog.channel": "Security", "winlog.event_id": "4740", "winlog.event_data.TargetUserName": "an"}}
	if err := sc.Event(&ev, 7); err != nil {
		t.Fatal(err)
	}
	if err := sc.Flush(t0.Add(30 * time.Second)); err != nil || len(fired) != 0 {
		t.Fatalf("before the window ends: %v %v", fired, err)
	}
	if err := sc.Flush(t0.Add(2 * time.Minute)); err != nil || len(fired) != 1 || fired[0] != "few lockouts@7" {
		t.Fatalf("after the window: %v %v", fired, err)
	}
}
