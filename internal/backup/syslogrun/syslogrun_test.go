package syslogrun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/backup"
)

// ict is the zone of the senders in the fixtures (UTC+7, no daylight
// saving time).
var ict = time.FixedZone("ICT", 7*3600)

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\n")
}

// rsyslogged joins a multi-line report as rsyslog relays it.
func rsyslogged(s string) string { return strings.ReplaceAll(s, "\n", "#012") }

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func diff(got, want Result) string {
	var out []string
	add := func(name string, g, w any) { out = append(out, fmt.Sprintf("%s = %v, want %v", name, g, w)) }
	if got.Form != want.Form {
		add("Form", got.Form, want.Form)
	}
	if got.Tool != want.Tool {
		add("Tool", got.Tool, want.Tool)
	}
	if got.Job != want.Job {
		add("Job", got.Job, want.Job)
	}
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if !got.StartedAt.Equal(want.StartedAt) {
		add("StartedAt", got.StartedAt, want.StartedAt)
	}
	if !got.FinishedAt.Equal(want.FinishedAt) {
		add("FinishedAt", got.FinishedAt, want.FinishedAt)
	}
	if got.Duration != want.Duration {
		add("Duration", got.Duration, want.Duration)
	}
	if got.Bytes != want.Bytes {
		add("Bytes", got.Bytes, want.Bytes)
	}
	if got.Files != want.Files {
		add("Files", got.Files, want.Files)
	}
	if got.SnapshotID != want.SnapshotID {
		add("SnapshotID", got.SnapshotID, want.SnapshotID)
	}
	if got.Message != want.Message {
		add("Message", got.Message, want.Message)
	}
	return strings.Join(out, "\n")
}

// veeamSD writes the MSG part of a Veeam event as the syslog parser
// leaves it (the parameters after the [origin …] element).
func veeamSD(id int, params string) string {
	return fmt.Sprintf(`[categoryId=0 instanceId=%d %s]`, id, params)
}

type parseCase struct {
	name, program, message string
	want                   Result
}

func parseCases(t testing.TB) []parseCase {
	baculaOK := Result{Form: "bacula.job_report", Tool: "Bacula 13.0.4", Job: "TRADING-DB-daily", Status: backup.RunSuccess,
		StartedAt: utc("2026-11-27T18:00:02Z"), FinishedAt: utc("2026-11-27T18:42:10Z"), Bytes: 53712345678, Files: 183422,
		SnapshotID: "1234", Message: "Backup OK"}
	return []parseCase{
		{"veeam_190_success", "Veeam_MP", veeamSD(190, `JobSessionID="c2a6f0e4-9b1d-4c3e-8f7a-1d2e3f4a5b6c" JobID="7e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6" JobResult="0" JobType="0" Platform="0" WillBeRetried="False" JobName="TRADING-DB-daily" SourceType="2" VbrHostName="vbr01.corp.local" VbrVersion="12.3.1.1139" Version="1" Description="Backup job 'TRADING-DB-daily' finished with Success. All objects have been backed up successfully."`),
			Result{Form: "veeam.job_finished", Tool: "Veeam Backup & Replication 12.3.1.1139", Job: "TRADING-DB-daily", Status: backup.RunSuccess,
				SnapshotID: "c2a6f0e4-9b1d-4c3e-8f7a-1d2e3f4a5b6c", Message: "Backup job 'TRADING-DB-daily' finished with Success. All objects have been backed up successfully."}},
		{"veeam_190_failed_retry", "veeam_mp", veeamSD(190, `JobSessionID="0b8e" JobID="11" JobResult="2" JobType="0" Platform="0" WillBeRetried="True" JobName="Core banking (SQL) - nightly" SourceType="2" Version="1" Description="Backup job 'Core banking (SQL) - nightly' finished with Failed. Error: Not enough storage space on repository 'Repo-NAS01'."`),
			Result{Form: "veeam.job_finished", Tool: "Veeam Backup & Replication", Job: "Core banking (SQL) - nightly", Status: backup.RunFailed,
				SnapshotID: "0b8e", Message: "Backup job 'Core banking (SQL) - nightly' finished with Failed. Error: Not enough storage space on repository 'Repo-NAS01'."}},
		{"veeam_490_copy_warning", "Veeam_MP", veeamSD(490, `JobSessionID="5d5d" JobResult="1" JobType="13003" JobName="TRADING-DB-offsite" UserFullInfo="<ModifiedUserInfo fullName="CORP\backup" loginType="0" />" Description="Backup Copy job 'TRADING-DB-offsite' finished with Warning. 1 of 3 objects processed with warnings."`),
			Result{Form: "veeam.job_finished", Tool: "Veeam Backup & Replication", Job: "TRADING-DB-offsite", Status: backup.RunWarning,
				SnapshotID: "5d5d", Message: "Backup Copy job 'TRADING-DB-offsite' finished with Warning. 1 of 3 objects processed with warnings."}},
		{"veeam_790_agent_no_result_param", "Veeam_MP", veeamSD(790, `JobSessionID="77" JobType="12003" Description="Agent Backup job 'Laptops HCM' finished with Success. All objects have been backed up successfully."`),
			Result{Form: "veeam.job_finished", Tool: "Veeam Backup & Replication", Job: "Laptops HCM", Status: backup.RunSuccess,
				SnapshotID: "77", Message: "Agent Backup job 'Laptops HCM' finished with Success. All objects have been backed up successfully."}},
		{"veeam_text_only", "Veeam_MP", "Backup job 'File server D:' finished with Warning. Processing fs02 completed with warnings.",
			Result{Form: "veeam.job_finished_text", Tool: "Veeam Backup & Replication", Job: "File server D:", Status: backup.RunWarning,
				Message: "Backup job 'File server D:' finished with Warning. Processing fs02 completed with warnings."}},
		{"veeam_text_forwarded", "", "Backup Copy job 'HR's archive' finished with Failed. Repository is unavailable.",
			Result{Form: "veeam.job_finished_text", Tool: "Veeam Backup & Replication", Job: "HR's archive", Status: backup.RunFailed,
				Message: "Backup Copy job 'HR's archive' finished with Failed. Repository is unavailable."}},
		{"bacula_ok", "bacula-dir", fixture(t, "bacula_ok.txt"), baculaOK},
		{"bacula_ok_rsyslog", "bacula-dir", rsyslogged(fixture(t, "bacula_ok.txt")), baculaOK},
		{"bacula_ok_other_tag", "logger", rsyslogged(fixture(t, "bacula_ok.txt")), baculaOK},
		{"bareos_warnings", "bareos-dir", rsyslogged(fixture(t, "bareos_warnings.txt")),
			Result{Form: "bacula.job_report", Tool: "Bareos 23.0.1", Job: "fileserver-home", Status: backup.RunWarning,
				StartedAt: utc("2026-11-27T15:05:03Z"), FinishedAt: utc("2026-11-27T15:09:41Z"), Bytes: 734215880, Files: 1204,
				SnapshotID: "88", Message: "Backup OK -- with warnings"}},
		{"bacula_error", "bacula-dir", fixture(t, "bacula_error.txt"),
			Result{Form: "bacula.job_report", Tool: "Bacula 13.0.4", Job: "TRADING-DB-daily", Status: backup.RunFailed,
				StartedAt: utc("2026-11-28T18:00:02Z"), FinishedAt: utc("2026-11-28T18:05:19Z"), SnapshotID: "1241", Message: "*** Backup Error ***"}},
		{"bacula_canceled_short", "bacula-dir", "JobId: 7\n  Job: weekly.tape.2026-11-29_03.00.00_01\n  Termination: Backup Canceled",
			Result{Form: "bacula.job_report", Tool: "Bacula", Job: "weekly.tape", Status: backup.RunFailed, SnapshotID: "7", Message: "Backup Canceled"}},
		{"bacula_copy_job", "bacula-dir", rsyslogged(fixture(t, "bacula_copy.txt")),
			Result{Form: "bacula.job_report", Tool: "Bacula 13.0.4", Job: "TRADING-DB-to-tape", Status: backup.RunSuccess,
				StartedAt: utc("2026-11-28T22:00:04Z"), FinishedAt: utc("2026-11-28T22:31:40Z"), Bytes: 53713000000, Files: 183422,
				SnapshotID: "1245", Message: "Copying OK"}},
		{"vzdump_finished", "vzdump", "INFO: Finished Backup of VM 100 (00:01:02)",
			Result{Form: "vzdump.finished", Tool: "Proxmox VE vzdump", Job: "VM 100", Status: backup.RunSuccess, Duration: 62 * time.Second,
				Message: "INFO: Finished Backup of VM 100 (00:01:02)"}},
		{"vzdump_finished_long_task_log", "pvescheduler", "105: 2026-11-28 02:14:55 INFO: Finished Backup of VM 105 (26:03:09)",
			Result{Form: "vzdump.finished", Tool: "Proxmox VE vzdump", Job: "VM 105", Status: backup.RunSuccess, Duration: 26*time.Hour + 3*time.Minute + 9*time.Second,
				Message: "105: 2026-11-28 02:14:55 INFO: Finished Backup of VM 105 (26:03:09)"}},
		{"vzdump_failed", "vzdump", "ERROR: Backup of VM 101 failed - vma_queue_write: write error - No space left on device",
			Result{Form: "vzdump.failed", Tool: "Proxmox VE vzdump", Job: "VM 101", Status: backup.RunFailed,
				Message: "ERROR: Backup of VM 101 failed - vma_queue_write: write error - No space left on device"}},
		{"khien_kv_full", "khien-backup", `job="TRADING-DB-daily" status=success bytes=53687091200 files=183422 snapshot=a1b2c3d4 tool=restic version=0.16.4 started=2026-11-28T01:00:00+07:00 finished=2026-11-28T01:42:10+07:00 message="pg_dump and restic backup ok"`,
			Result{Form: "khien.kv", Tool: "restic 0.16.4", Job: "TRADING-DB-daily", Status: backup.RunSuccess,
				StartedAt: utc("2026-11-27T18:00:00Z"), FinishedAt: utc("2026-11-27T18:42:10Z"), Bytes: 53687091200, Files: 183422,
				SnapshotID: "a1b2c3d4", Message: "pg_dump and restic backup ok"}},
		{"khien_kv_minimal", "KHIEN-BACKUP", `job=nightly-etc status=ok`,
			Result{Form: "khien.kv", Tool: "script", Job: "nightly-etc", Status: backup.RunSuccess, Message: "job=nightly-etc status=ok"}},
		{"khien_kv_units_quotes", "khien-backup", `status=partial job="Mail \"archive\" D:\\" bytes=12.5GiB duration=42m10s tool="borg 1.2" started="2026-11-28 01:00:00" files=1,204`,
			Result{Form: "khien.kv", Tool: "borg 1.2", Job: `Mail "archive" D:\`, Status: backup.RunWarning, StartedAt: utc("2026-11-27T18:00:00Z"),
				Duration: 42*time.Minute + 10*time.Second, Bytes: 13421772800, Files: 1204,
				Message: `status=partial job="Mail \"archive\" D:\\" bytes=12.5GiB duration=42m10s tool="borg 1.2" started="2026-11-28 01:00:00" files=1,204`}},
		{"khien_kv_unix_times", "khien-backup", `job=x status=FAILED finished=1795888930 msg="rsync exited 23"`,
			Result{Form: "khien.kv", Tool: "script", Job: "x", Status: backup.RunFailed, FinishedAt: time.Unix(1795888930, 0).UTC(), Message: "rsync exited 23"}},
		{"khien_kv_inline", "cron", `khien-backup job="TRADING-DB-daily" status=failed message="pg_dump: connection refused"`,
			Result{Form: "khien.kv_inline", Tool: "script", Job: "TRADING-DB-daily", Status: backup.RunFailed, Message: "pg_dump: connection refused"}},
		{"khien_kv_inline_colon", "", `khien-backup: status=error job=web-uploads bytes=1,048,576`,
			Result{Form: "khien.kv_inline", Tool: "script", Job: "web-uploads", Status: backup.RunFailed, Bytes: 1048576,
				Message: `khien-backup: status=error job=web-uploads bytes=1,048,576`}},
	}
}

// Every fixture of every form is recognised with every field read.
func TestParse(t *testing.T) {
	for _, c := range parseCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if !Default().Candidate(c.program, c.message) {
				t.Errorf("not a candidate")
			}
			got, ok := Parse(c.program, c.message, ict)
			if !ok {
				t.Fatalf("not recognised: %q %q", c.program, c.message)
			}
			if d := diff(got, c.want); d != "" {
				t.Error(d)
			}
		})
	}
}

// Every form of forms.yaml has a fixture.
func TestParse_everyFormTested(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range parseCases(t) {
		tested[c.want.Form] = true
	}
	for _, id := range Default().Forms() {
		if !tested[id] {
			t.Errorf("form %s has no fixture in TestParse", id)
		}
	}
}

// Messages that are not a backup job's result are not recognised: the
// start of a job, a restore or verify report, per-VM task lines, a
// script's line without a status, the same words from another program,
// everyday syslog.
func TestParse_unrecognised(t *testing.T) {
	cases := []struct{ name, program, message string }{
		{"empty", "", ""},
		{"sshd", "sshd", "Failed password for invalid user admin from 203.0.113.9 port 52814 ssh2"},
		{"fortigate", "", `date=2026-11-28 time=01:00:00 devname="FG100F" type="traffic" action="accept" srcip=10.0.0.1`},
		{"veeam_110_started", "Veeam_MP", veeamSD(110, `JobSessionID="1" JobID="2" JobType="0" Description="Backup job 'TRADING-DB-daily' has been started."`)},
		{"veeam_150_task", "Veeam_MP", veeamSD(150, `JobSessionID="1" VmName="db01" Status="0" Description="db01 task has finished with Success state."`)},
		{"veeam_190_unknown_result", "Veeam_MP", veeamSD(190, `JobResult="5" JobName="X" Description="Backup job 'X' finished with None."`)},
		{"veeam_190_other_program", "nginx", veeamSD(190, `JobResult="0" JobName="X"`)},
		{"veeam_190_no_job", "Veeam_MP", veeamSD(190, `JobResult="0" Version="1"`)},
		{"veeam_text_in_the_middle", "app", "user said: Backup job 'X' finished with Success. lol"},
		{"bacula_restore", "bacula-dir", rsyslogged(fixture(t, "bacula_restore.txt"))},
		{"bacula_verify", "bacula-dir", "  Job: verify-db.2026-11-28_04.00.00_01\n  Termination: Verify OK"},
		{"bacula_no_job", "bacula-dir", "  JobId: 9\n  Termination: Backup OK"},
		{"bacula_other_line", "bacula-dir", "28-Nov 01:00 backup-dir JobId 1234: Start Backup JobId 1234, Job=TRADING-DB-daily.2026-11-28_01.00.00_03"},
		{"vzdump_starting", "vzdump", "INFO: Starting Backup of VM 100 (qemu)"},
		{"vzdump_job_summary", "vzdump", "INFO: Backup job finished successfully"},
		{"kv_no_status", "khien-backup", `job="X" bytes=1`},
		{"kv_status_running", "khien-backup", `job="X" status=running`},
		{"kv_no_job", "khien-backup", `status=success bytes=1`},
		{"kv_empty_job", "khien-backup", `job="" status=success`},
		{"kv_other_program", "backupd", `job="X" status=success`},
		{"kv_job_with_control", "khien-backup", "job=\"a\x01b\" status=success"},
		{"too_large", "khien-backup", `job=X status=success ` + strings.Repeat("x", MaxMessage)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := Parse(c.program, c.message, ict); ok {
				t.Errorf("recognised as %+v", got)
			}
		})
	}
	// Everyday lines are not even candidates: the filter rejects them.
	for _, name := range []string{"empty", "sshd", "fortigate", "too_large", "kv_other_program"} {
		i := slices.IndexFunc(cases, func(c struct{ name, program, message string }) bool { return c.name == name })
		if Default().Candidate(cases[i].program, cases[i].message) {
			t.Errorf("%s is a candidate", name)
		}
	}
}

// Limits: texts are cut and made valid UTF-8; absurd numbers, times and
// durations are dropped, not the run.
func TestParse_limits(t *testing.T) {
	long := strings.Repeat("ệ", 3000)
	got, ok := Parse("khien-backup", `job=`+strings.Repeat("j", 300)+` status=success message="`+long+`" snapshot=`+strings.Repeat("s", 500)+
		` bytes=99999999999999999999999 files=-3 started=1970-01-01T00:00:00Z duration=99999999 tool="`+"\xff\xfe"+`"`, ict)
	if !ok {
		t.Fatal("not recognised")
	}
	if n := len([]rune(got.Job)); n != MaxJob || !strings.HasSuffix(got.Job, "…") {
		t.Errorf("job of %d characters: %q", n, got.Job)
	}
	if n := len([]rune(got.Message)); n != MaxText {
		t.Errorf("message of %d characters", n)
	}
	if n := len([]rune(got.SnapshotID)); n != maxSnapshot {
		t.Errorf("snapshot of %d characters", n)
	}
	if got.Bytes != 0 || got.Files != 0 || !got.StartedAt.IsZero() || got.Duration != 0 {
		t.Errorf("absurd values kept: %+v", got)
	}
	if got.Tool != "\uFFFD" {
		t.Errorf("tool = %q", got.Tool)
	}
	// A start after the finish is dropped.
	got, _ = Parse("khien-backup", `job=x status=ok started=2026-11-28T02:00:00Z finished=2026-11-28T01:00:00Z`, ict)
	if !got.StartedAt.IsZero() || got.FinishedAt.IsZero() {
		t.Errorf("start after finish: %+v", got)
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "183422": 183422, "183,422": 183422, "53,687,091,200": 53687091200,
		"1.234.567": 1234567, "12 GB": 12e9, "12GiB": 12 << 30, "1.5 KiB": 1536, "12,5 GB": 12.5e9, "700 b": 700, "3T": 3 << 40} {
		if got, ok := parseCount(in, true); !ok || got != want {
			t.Errorf("parseCount(%q) = %d, %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "12 parsecs", "1e9", "NaN", "Inf GB", "99999999999 TB"} {
		if got, ok := parseCount(in, true); ok {
			t.Errorf("parseCount(%q) = %d, want refused", in, got)
		}
	}
	if _, ok := parseCount("12 GB", false); ok {
		t.Error("a file count with a unit")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:01:02": 62 * time.Second, "26:03:09": 26*time.Hour + 189*time.Second,
		"42m10s": 42*time.Minute + 10*time.Second, "2530": 2530 * time.Second, "1.5": 1500 * time.Millisecond} {
		if got, ok := parseDuration(in); !ok || got != want {
			t.Errorf("parseDuration(%q) = %s, %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-5", "1:2", "00:61:00", "x", "-1h", "9000h", "NaN", "Inf"} {
		if got, ok := parseDuration(in); ok {
			t.Errorf("parseDuration(%q) = %s, want refused", in, got)
		}
	}
}

// The embedded forms load; broken files are refused with the reason.
func TestLoad(t *testing.T) {
	if len(Default().Forms()) < 7 {
		t.Fatalf("forms: %v", Default().Forms())
	}
	form := func(s string) string { return "format: 1\nforms:\n  - " + strings.ReplaceAll(s, "\n", "\n    ") + "\n" }
	ok := "id: a\ntool: A\nprograms: [a]\nmatch: 'x'\nstatus: success\nfields: {job: ['j=(\\S+)']}"
	if _, err := Load([]byte(form(ok))); err != nil {
		t.Fatalf("good form refused: %v", err)
	}
	bad := []struct{ name, file, want string }{
		{"not_yaml", "format: [", "invalid backup message forms"},
		{"format", "format: 2\nforms: []", "format 2"},
		{"no_form", "format: 1\nforms: []", "no form"},
		{"unknown_key", form(ok + "\ncolour: red"), "colour"},
		{"no_id", form(strings.Replace(ok, "id: a", "id: ''", 1)), "id missing"},
		{"no_tool", form(strings.Replace(ok, "tool: A", "tool: ''", 1)), "tool missing"},
		{"no_filter", form(strings.Replace(ok, "programs: [a]", "programs: []", 1)), "no programs, prefix or contains"},
		{"no_match", form(strings.Replace(ok, "match: 'x'", "match: ''", 1)), "match missing"},
		{"bad_match", form(strings.Replace(ok, "match: 'x'", "match: '(x'", 1)), "match:"},
		{"no_job", form(strings.Replace(ok, "job: ['j=(\\S+)']", "bytes: ['(\\d+)']", 1)), "fields.job missing"},
		{"no_group", form(strings.Replace(ok, "'j=(\\S+)'", "'j=\\S+'", 1)), "has no group"},
		{"bad_status", form(strings.Replace(ok, "status: success", "status: fine", 1)), "not success, warning or failed"},
		{"no_status", form(strings.Replace(ok, "status: success", "unescape: false", 1)), "neither status nor"},
		{"both_status", form(ok + "\nstatuses: [{match: 'x', status: failed}]"), "one or the other"},
		{"bad_statuses", form(strings.Replace(strings.Replace(ok, "status: success", "statuses: [{match: 'x', status: meh}]", 1), "fields: {", "fields: {status: ['s=(\\S+)'], ", 1)), "statuses: \"meh\""},
		{"times_no_layout", form(strings.Replace(ok, "fields: {", "fields: {started: ['s=(\\S+)'], ", 1)), "without time_layouts"},
		{"twice", "format: 1\nforms:\n  - " + strings.ReplaceAll(ok, "\n", "\n    ") + "\n  - " + strings.ReplaceAll(ok, "\n", "\n    ") + "\n", "twice"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.file))
			if err == nil || !errors.Is(err, ErrInvalidForms) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load = %v, want an error with %q", err, c.want)
			}
		})
	}
}

// A form added as data recognises new software without code.
func TestLoad_newSoftware(t *testing.T) {
	r, err := Load([]byte(`format: 1
forms:
  - id: hyperbackup.task
    tool: Synology Hyper Backup
    programs: [HyperBackup, synobackup]
    contains: ["Backup task"]
    match: '^\[.*\]Backup task \[.+\] (?:completed|partially completed|failed)'
    statuses:
      - {match: '^completed$', status: success}
      - {match: '^partially completed$', status: warning}
      - {match: '^failed$', status: failed}
    fields:
      job: ['Backup task \[(.+?)\]']
      status: ['\] (completed|partially completed|failed)']
`))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := r.Parse("HyperBackup", "[Local][Backup Task NAS-offsite]Backup task [NAS-offsite] partially completed.", nil)
	if !ok || got.Job != "NAS-offsite" || got.Status != backup.RunWarning || got.Tool != "Synology Hyper Backup" {
		t.Errorf("got %+v, %v", got, ok)
	}
}

// BenchmarkParse: the cost on every ingested event (no_match: ordinary
// syslog lines, rejected by the programs and literals) and on a Bacula
// report.
func BenchmarkParse(b *testing.B) {
	lines := []struct{ program, message string }{
		{"sshd", "Failed password for invalid user admin from 203.0.113.9 port 52814 ssh2"},
		{"sudo", "lan : TTY=pts/0 ; PWD=/home/lan ; USER=root ; COMMAND=/usr/bin/systemctl restart postfix"},
		{"", `date=2026-11-28 time=01:00:00 devname="FG100F" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.20.1.2 srcport=40000 dstip=198.51.100.7 dstport=443 proto=6 action="accept" policyid=12 sentbyte=1200 rcvdbyte=90000`},
		{"CRON", "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"},
	}
	b.Run("no_match", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			l := lines[i%len(lines)]
			if _, ok := Parse(l.program, l.message, ict); ok {
				b.Fatal("recognised")
			}
		}
	})
	report := rsyslogged(fixture(b, "bacula_ok.txt"))
	b.Run("bacula_report", func(b *testing.B) {
		for b.Loop() {
			if _, ok := Parse("bacula-dir", report, ict); !ok {
				b.Fatal("not recognised")
			}
		}
	})
	kv := `job="TRADING-DB-daily" status=success bytes=53687091200 files=183422 snapshot=a1b2c3d4 tool=restic`
	b.Run("khien_kv", func(b *testing.B) {
		for b.Loop() {
			if _, ok := Parse("khien-backup", kv, ict); !ok {
				b.Fatal("not recognised")
			}
		}
	})
}
