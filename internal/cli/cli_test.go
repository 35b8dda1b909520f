package cli

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to tamper with the database behind Khiên's back
)

// runCLI runs the command line with the given environment and returns the exit code and output.
func runCLI(t *testing.T, envv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	e := &env{stdout: &out, stderr: &errb, lookupEnv: func(k string) (string, bool) { v, ok := envv[k]; return v, ok }}
	code := run(t.Context(), args, e)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("listen: nowhere\nlog:\n  level: loud\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		out  []string // substrings of stdout+stderr
	}{
		{"no_args", nil, nil, exitUsage, []string{"Usage: khien"}},
		{"help", []string{"help"}, nil, exitOK, []string{"serve", "demo", "migrate", "user", "audit", "config", "version"}},
		{"unknown", []string{"frobnicate"}, nil, exitUsage, []string{`unknown command "frobnicate"`}},
		{"version", []string{"version"}, nil, exitOK, []string{"khien "}},
		{"config_check_ok", []string{"config", "check", "--data", dir}, nil, exitOK, []string{"configuration OK"}},
		{"config_check_bad_reports_all", []string{"config", "check", "--config", bad}, nil, exitFailure,
			[]string{"listen", "log.level", "bogus"}},
		{"config_bad_env", []string{"config", "check"}, map[string]string{"KHIEN_AUTH_LOCKOUT_THRESHOLD": "many"}, exitFailure,
			[]string{"KHIEN_AUTH_LOCKOUT_THRESHOLD"}},
		{"config_dump_masks_secrets", []string{"config", "dump"}, map[string]string{"KHIEN_DATABASE_DRIVER": "postgres",
			"KHIEN_DATABASE_URL": "postgres://u:hunter2@db/khien"}, exitOK, []string{"driver: postgres", "********"}},
		{"config_no_sub", []string{"config"}, nil, exitUsage, []string{"Usage: khien config"}},
		{"user_no_sub", []string{"user"}, nil, exitUsage, []string{"Usage: khien user"}},
		{"user_bad_sub", []string{"user", "explode"}, nil, exitUsage, []string{"unknown sub-command"}},
		{"audit_no_sub", []string{"audit"}, nil, exitUsage, []string{"Usage: khien audit verify"}},
		{"serve_bad_flag", []string{"serve", "--no-such-flag"}, nil, exitUsage, []string{"no-such-flag"}},
		{"serve_help", []string{"serve", "-h"}, nil, exitOK, []string{"-listen", "-data", "-insecure-http"}},
		{"regulation_list", []string{"regulation", "list"}, nil, exitOK, []string{"decree85-2016", "2016-07-01"}},
		{"regulation_validate_ok", []string{"regulation", "validate", "../regulation/testdata/override"}, nil, exitOK, []string{"valid"}},
		{"regulation_validate_bad", []string{"regulation", "validate", "../regulation/testdata/bad"}, nil, exitFailure,
			[]string{"bad-pack.yaml:26:12: criteria[0].level", "broken-syntax.yaml:4:1"}},
		{"regulation_validate_no_dir", []string{"regulation", "validate"}, nil, exitUsage, []string{"Usage: khien regulation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.env, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			all := out + errOut
			for _, want := range tc.out {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			if strings.Contains(all, "hunter2") {
				t.Error("a secret was printed")
			}
		})
	}
}

func TestUserCommandsAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	data := []string{"--data", dir}
	// No unit yet: creating a user explains what to do.
	code, _, errOut := runCLI(t, nil, append([]string{"user", "create", "--username", "x", "--name", "X"}, data...)...)
	if code != exitFailure || !strings.Contains(errOut, "khien serve") {
		t.Fatalf("user create on an empty database: %d %s", code, errOut)
	}
	// Serve once, briefly, to bootstrap the organisation and admin.
	url, stop := startCLI(t, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--insecure-http")
	if resp, err := http.Get(url + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	out := stop()
	if !regexp.MustCompile(`one-time password: [A-Za-z0-9]{20}`).MatchString(out) {
		t.Errorf("first start did not print a one-time admin password:\n%s", out)
	}

	code, out, errOut = runCLI(t, nil, append([]string{"user", "create", "--username", "Minh.Anh", "--name", "Trần Minh Anh", "--role", "analyst", "--unit", "ORG"}, data...)...)
	if code != exitOK || !regexp.MustCompile(`created user minh.anh .*\none-time password: \S{20}`).MatchString(out) {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, nil, append([]string{"user", "create", "--username", "minh.anh", "--name", "Again"}, data...)...)
	if code != exitFailure || !strings.Contains(errOut, "username is taken") {
		t.Errorf("duplicate user: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, nil, append([]string{"user", "list"}, data...)...)
	if code != exitOK || !strings.Contains(out, "minh.anh") || !strings.Contains(out, "admin") {
		t.Errorf("user list: %d %s", code, out)
	}
	code, out, _ = runCLI(t, nil, append([]string{"user", "reset-password"}, append(data, "minh.anh")...)...)
	if code != exitOK || !strings.Contains(out, "one-time password for minh.anh") {
		t.Errorf("reset-password: %d %s", code, out)
	}
	code, out, _ = runCLI(t, nil, append([]string{"user", "disable"}, append(data, "minh.anh")...)...)
	if code != exitOK || !strings.Contains(out, "disabled minh.anh") {
		t.Errorf("disable: %d %s", code, out)
	}
	code, out, _ = runCLI(t, nil, append([]string{"audit", "verify"}, data...)...)
	if code != exitOK || !regexp.MustCompile(`audit chain intact: \d+ entries verified`).MatchString(out) {
		t.Fatalf("audit verify: %d %s", code, out)
	}
	code, out, _ = runCLI(t, nil, append([]string{"migrate"}, data...)...)
	if code != exitOK || !strings.Contains(out, "schema version 19 (latest 19)") {
		t.Errorf("migrate: %d %s", code, out)
	}

	// Tamper: edit one row, then delete another.
	db, err := sql.Open("sqlite", filepath.Join(dir, "khien.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, append([]string{"audit", "verify"}, data...)...)
	if code != exitFailure || !strings.Contains(out, "BROKEN at seq 3: hash mismatch") {
		t.Errorf("after editing seq 3: %d %s", code, out)
	}
	if _, err := db.Exec(`UPDATE audit_log SET detail = (SELECT detail FROM audit_log WHERE seq = 3) WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit_log WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, append([]string{"audit", "verify"}, data...)...)
	if code != exitFailure || !strings.Contains(out, "BROKEN at seq 2: missing entry") {
		t.Errorf("after deleting seq 2: %d %s", code, out)
	}
}

// startCLI runs a long-running command until the returned stop is called;
// it returns the URL the command printed, and stop returns all stdout.
func startCLI(t *testing.T, args ...string) (string, func() string) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var errb strings.Builder
	go func() {
		done <- run(ctx, args, &env{stdout: pw, stderr: &errb, lookupEnv: func(string) (string, bool) { return "", false }})
		pw.Close()
	}()
	var out strings.Builder
	urls := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if m := regexp.MustCompile(`running at (\S+)`).FindStringSubmatch(line); m != nil {
				urls <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case code := <-done:
		t.Fatalf("%v exited early with %d: %s", args, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not start", args)
	}
	return url, func() string {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("%v exited %d after cancel: %s", args, code, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%v did not stop", args)
		}
		<-copied
		return out.String()
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	url, stop := startCLI(t, "demo", "--data", dir, "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("demo on loopback serves %s, want plain http", url)
	}
	resp, err := http.Get(url + "/login")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login page: %v %v", resp, err)
	}
	// The demo's hour of made-up syslog traffic reaches the event store,
	// and its password-guessing burst raises the brute-force alert.
	stored := regexp.MustCompile(`(?m)^khien_pipeline_stored_events_total (\d+)$`)
	brute := regexp.MustCompile(`(?m)^khien_detect_rule_matches_total\{rule_id="6f1f9b0e-4d0a-4b7e-9a51-0c2d7e3b1a15",level="high"\} 1$`)
	raised := regexp.MustCompile(`(?m)^khien_alerts_raised_total [1-9]\d*$`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := stored.FindSubmatch(b); m != nil && string(m[1]) == "732" && brute.Match(b) && raised.Match(b) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo events not stored:\n%s", b)
		}
	}
	out := stop()
	for _, want := range []string{"Khiên demo is running at", "admin", "security_lead", "analyst", "system_owner", "assessor", "viewer", "Chi nhánh Hà Nội"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Started again on the same directory, it keeps the data.
	_, stop = startCLI(t, "demo", "--data", dir, "--listen", "127.0.0.1:0")
	if out := stop(); !strings.Contains(out, "Existing demo data reused") {
		t.Errorf("second demo start:\n%s", out)
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	url, stop := startCLI(t, "serve", "--data", dir, "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(url, "https://") {
		t.Errorf("serve without certificate files and without --insecure-http serves %s", url)
	}
	out := stop()
	if !regexp.MustCompile(`TLS certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}`).MatchString(out) {
		t.Errorf("no fingerprint printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "tls", "tls.crt")); err != nil {
		t.Errorf("self-signed certificate not kept: %v", err)
	}
}

func TestSystemsCommands(t *testing.T) {
	dir := t.TempDir()
	_, stop := startCLI(t, "demo", "--data", dir, "--listen", "127.0.0.1:0")
	stop()
	data := []string{"--data", dir}
	out := filepath.Join(t.TempDir(), "register.csv")
	code, stdout, stderr := runCLI(t, nil, append([]string{"systems", "export"}, append(data, out)...)...)
	if code != exitOK || !strings.Contains(stdout, "exported 3 systems") {
		t.Fatalf("export: %d %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, nil, append([]string{"systems", "import"}, append(data, out)...)...)
	if code != exitOK || !strings.Contains(stdout, "0 created, 3 updated") {
		t.Errorf("re-import of the export: %d %s", code, stdout)
	}
	b, _ := os.ReadFile(out)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	_ = os.WriteFile(bad, []byte(strings.Replace(string(b), "operating", "exploding", 1)), 0o600)
	code, stdout, _ = runCLI(t, nil, append([]string{"systems", "import"}, append(data, bad)...)...)
	if code != exitFailure || !strings.Contains(stdout, "nothing imported") || !strings.Contains(stdout, "exploding") {
		t.Errorf("bad import: %d %s", code, stdout)
	}
	code, stdout, _ = runCLI(t, nil, append([]string{"systems", "classify"}, append(data, "TRADING")...)...)
	if code != exitOK || !strings.Contains(stdout, "TRADING") || !strings.Contains(stdout, "85-9.2") {
		t.Errorf("classify: %d %s", code, stdout)
	}
}

// TestReportAndOSCALCommands generates both reports and the OSCAL exports
// from the demo data, and imports the exported catalog as a framework.
func TestReportAndOSCALCommands(t *testing.T) {
	dir := t.TempDir()
	_, stop := startCLI(t, "demo", "--data", dir, "--listen", "127.0.0.1:0")
	stop()
	data := []string{"--data", dir}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, append([]string{"report", "annual", "--unit", "DEMO", "--year", "2026", "--out", out}, data...)...)
	if code != exitOK || !strings.Contains(stdout, "3 systems reported") {
		t.Fatalf("annual report: %d %s %s", code, stdout, stderr)
	}
	for _, name := range []string{"bao-cao-dinh-ky-2026.pdf", "bao-cao-dinh-ky-2026.docx", "bao-cao-dinh-ky-2026-phu-luc.xlsx"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
	code, stdout, _ = runCLI(t, nil, append([]string{"report", "implementation", "--unit", "DEMO-HN", "--from", "2026-01-01",
		"--to", "2026-11-30", "--out", out}, data...)...)
	if code != exitOK || !strings.Contains(stdout, "1 systems reported") {
		t.Errorf("implementation report: %d %s", code, stdout)
	}
	code, _, stderr = runCLI(t, nil, append([]string{"report", "annual", "--unit", "NOPE", "--out", out}, data...)...)
	if code != exitFailure || !strings.Contains(stderr, "NOPE") {
		t.Errorf("unknown unit: %d %s", code, stderr)
	}
	code, _, _ = runCLI(t, nil, append([]string{"report", "implementation", "--unit", "DEMO", "--from", "2026-12-01", "--to", "2026-01-01"}, data...)...)
	if code != exitFailure {
		t.Errorf("reversed period: %d", code)
	}

	code, catalog, stderr := runCLI(t, nil, append([]string{"oscal", "catalog", "--lang", "en"}, data...)...)
	if code != exitOK || !strings.Contains(catalog, `"oscal-version": "1.1.2"`) || !strings.Contains(catalog, "design.measure.security_monitoring") {
		t.Fatalf("oscal catalog: %d %s %.200s", code, stderr, catalog)
	}
	code, profile, _ := runCLI(t, nil, append(append([]string{"oscal", "profile"}, data...), "3")...)
	if code != exitOK || !strings.Contains(profile, `"profile"`) {
		t.Errorf("oscal profile: %d %.200s", code, profile)
	}
	code, ar, _ := runCLI(t, nil, append(append([]string{"oscal", "assessment-results"}, data...), "EMAIL")...)
	if code != exitOK || !strings.Contains(ar, `"assessment-results"`) || !strings.Contains(ar, "mgmt.policy.document") {
		t.Errorf("oscal assessment results: %d %.200s", code, ar)
	}
	file := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(file, []byte(catalog), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, nil, append(append([]string{"oscal", "import"}, data...), file)...)
	if code != exitOK || !strings.Contains(stdout, "imported framework decree85-2016") {
		t.Errorf("oscal import: %d %s %s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, nil, append(append([]string{"oscal", "import"}, data...), file)...)
	if code != exitFailure || stderr == "" {
		t.Errorf("second import of the same catalog: %d %s", code, stderr)
	}
}
