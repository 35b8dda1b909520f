package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RunReport is what a backup tool pushes to Khiên's webhook at the end of
// a run (POST /api/v1/backup-runs, JSON; docs/backups.md):
//
//	{"plan_id": 12, "copy": "NAS tại chỗ", "tool": "veeam 12.1",
//	 "status": "success", "started_at": "2026-11-28T01:00:00+07:00",
//	 "finished_at": "2026-11-28T01:42:10+07:00", "snapshot_id": "a1b2c3",
//	 "bytes": 53687091200, "files": 183422, "message": "ok"}
//
// plan_id names the plan; status is success, warning or failed (also
// accepted: ok, succeeded, completed; partial; error, failure); the times
// are RFC 3339 with a zone; finished_at is required, the rest optional.
type RunReport struct {
	PlanID     int64     `json:"plan_id"`
	Copy       string    `json:"copy"`
	Tool       string    `json:"tool"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	SnapshotID string    `json:"snapshot_id"`
	Bytes      int64     `json:"bytes"`
	Files      int64     `json:"files"`
	Message    string    `json:"message"`
}

// Limits of a run report.
const (
	MaxReport     = 64 << 10
	maxReportText = 2000
	maxReportID   = 200
)

// ErrReport is wrapped by the errors of ParseRunReport.
var ErrReport = errors.New("malformed backup run report")

// statusAliases maps the statuses tools write to RunStatus.
var statusAliases = map[string]RunStatus{
	"success": RunSuccess, "ok": RunSuccess, "succeeded": RunSuccess, "completed": RunSuccess,
	"warning": RunWarning, "partial": RunWarning,
	"failed": RunFailed, "error": RunFailed, "failure": RunFailed,
}

// ParseRunReport reads one run report (at most MaxReport bytes, one JSON
// object, no unknown field) and returns it as a Run (PlanID set, Source
// "webhook"). Errors wrap ErrReport and say which field is wrong; nothing
// is returned with them.
func ParseRunReport(r io.Reader, now time.Time) (Run, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxReport+1))
	if err != nil {
		return Run{}, fmt.Errorf("%w: %v", ErrReport, err)
	}
	if len(data) > MaxReport {
		return Run{}, fmt.Errorf("%w: larger than %d bytes", ErrReport, MaxReport)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rep RunReport
	if err := dec.Decode(&rep); err != nil {
		return Run{}, fmt.Errorf("%w: %v", ErrReport, err)
	}
	if dec.More() {
		return Run{}, fmt.Errorf("%w: more than one JSON value", ErrReport)
	}
	bad := func(field, format string, args ...any) (Run, error) {
		return Run{}, fmt.Errorf("%w: %s: %s", ErrReport, field, fmt.Sprintf(format, args...))
	}
	status, ok := statusAliases[strings.ToLower(strings.TrimSpace(rep.Status))]
	switch {
	case rep.PlanID <= 0:
		return bad("plan_id", "required, a positive number")
	case !ok:
		keys := make([]string, 0, len(statusAliases))
		for k := range statusAliases {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return bad("status", "%q is not one of %s", truncate(rep.Status, 40), strings.Join(keys, ", "))
	case rep.FinishedAt.IsZero():
		return bad("finished_at", "required, an RFC 3339 time")
	case rep.FinishedAt.After(now.Add(time.Hour)):
		return bad("finished_at", "in the future")
	case !rep.StartedAt.IsZero() && rep.StartedAt.After(rep.FinishedAt):
		return bad("started_at", "after finished_at")
	case rep.Bytes < 0 || rep.Files < 0:
		return bad("bytes", "negative")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"copy", rep.Copy, maxName}, {"tool", rep.Tool, maxName}, {"snapshot_id", rep.SnapshotID, maxReportID},
		{"message", rep.Message, maxReportText}} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) || utf8.RuneCountInString(f.value) > f.max {
			return bad(f.name, "not valid UTF-8 text of at most %d characters", f.max)
		}
	}
	return Run{PlanID: rep.PlanID, Copy: strings.TrimSpace(rep.Copy), Source: "webhook", Tool: strings.TrimSpace(rep.Tool),
		StartedAt: rep.StartedAt.UTC(), FinishedAt: rep.FinishedAt.UTC(), Status: status, SnapshotID: strings.TrimSpace(rep.SnapshotID),
		Bytes: rep.Bytes, Files: rep.Files, Message: strings.TrimSpace(rep.Message)}, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
