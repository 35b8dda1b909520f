package syslogrun

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/backup"
)

// FuzzParse: any message from any program either is not recognised or
// gives a run within the limits — a job without control characters, a
// known status, valid UTF-8 texts of bounded length, non-negative counts,
// a start not after the finish — and never panics.
// Run: go test ./internal/backup/syslogrun -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, c := range parseCases(f) {
		f.Add(c.program, c.message)
	}
	f.Add("khien-backup", `job="a\\" status=ok bytes=1,2,3 started=2026-13-01T00:00:00Z duration=1:2:3`)
	f.Add("bacula-dir", "Job: #012Termination: Backup OK#01")
	f.Add("Veeam_MP", `[instanceId=190 JobName="" JobResult="0" Description="Backup job '' finished with Success."]`)
	f.Fuzz(func(t *testing.T, program, message string) {
		r, ok := Parse(program, message, ict)
		if !ok {
			if r != (Result{}) {
				t.Fatalf("not recognised, yet %+v", r)
			}
			return
		}
		if !Default().Candidate(program, message) {
			t.Fatalf("recognised but not a candidate")
		}
		switch {
		case r.Form == "" || r.Tool == "":
			t.Fatalf("form or tool missing: %+v", r)
		case r.Job == "" || strings.ContainsFunc(r.Job, unicode.IsControl) || utf8.RuneCountInString(r.Job) > MaxJob:
			t.Fatalf("job %q", r.Job)
		case r.Status != backup.RunSuccess && r.Status != backup.RunWarning && r.Status != backup.RunFailed:
			t.Fatalf("status %q", r.Status)
		case r.Bytes < 0 || r.Files < 0 || r.Duration < 0 || r.Duration > maxDuration:
			t.Fatalf("counts %+v", r)
		case !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && r.StartedAt.After(r.FinishedAt):
			t.Fatalf("start after finish: %+v", r)
		case utf8.RuneCountInString(r.Message) > MaxText || utf8.RuneCountInString(r.Tool) > maxTool ||
			utf8.RuneCountInString(r.SnapshotID) > maxSnapshot:
			t.Fatalf("text too long: %+v", r)
		}
		for _, s := range []string{r.Tool, r.Job, r.SnapshotID, r.Message} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("invalid text %q", s)
			}
		}
	})
}
