package backup

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRunReport(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	good := `{"plan_id": 12, "copy": "NAS tại chỗ", "tool": "veeam 12.1", "status": "Completed",
		"started_at": "2026-11-28T01:00:00+07:00", "finished_at": "2026-11-28T01:42:10+07:00",
		"snapshot_id": "a1b2c3", "bytes": 53687091200, "files": 183422, "message": " ok "}`
	r, err := ParseRunReport(strings.NewReader(good), now)
	if err != nil {
		t.Fatal(err)
	}
	want := Run{PlanID: 12, Copy: "NAS tại chỗ", Source: "webhook", Tool: "veeam 12.1", Status: RunSuccess,
		StartedAt: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 27, 18, 42, 10, 0, time.UTC),
		SnapshotID: "a1b2c3", Bytes: 53687091200, Files: 183422, Message: "ok"}
	if r != want {
		t.Errorf("ParseRunReport =\n%+v\nwant\n%+v", r, want)
	}
	if r, err := ParseRunReport(strings.NewReader(`{"plan_id": 1, "status": "error", "finished_at": "2026-11-28T08:00:00Z", "message": "disk full"}`), now); err != nil ||
		r.Status != RunFailed || r.Message != "disk full" {
		t.Errorf("a failed run: %+v %v", r, err)
	}
	for _, c := range []struct{ name, in, want string }{
		{"empty", ``, "EOF"},
		{"not an object", `[1]`, "cannot unmarshal"},
		{"two values", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28T08:00:00Z"} {}`, "more than one"},
		{"unknown field", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28T08:00:00Z", "password": "x"}`, "unknown field"},
		{"no plan", `{"status": "ok", "finished_at": "2026-11-28T08:00:00Z"}`, "plan_id"},
		{"bad status", `{"plan_id": 1, "status": "meh", "finished_at": "2026-11-28T08:00:00Z"}`, `status: "meh" is not one of`},
		{"no finish", `{"plan_id": 1, "status": "ok"}`, "finished_at: required"},
		{"time without zone", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28 08:00:00"}`, "cannot parse"},
		{"future", `{"plan_id": 1, "status": "ok", "finished_at": "2026-12-28T08:00:00Z"}`, "in the future"},
		{"started after finished", `{"plan_id": 1, "status": "ok", "started_at": "2026-11-28T09:00:00Z", "finished_at": "2026-11-28T08:00:00Z"}`, "after finished_at"},
		{"negative size", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28T08:00:00Z", "bytes": -1}`, "negative"},
		{"NUL", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28T08:00:00Z", "message": "a\u0000b"}`, "message"},
		{"long message", `{"plan_id": 1, "status": "ok", "finished_at": "2026-11-28T08:00:00Z", "message": "` + strings.Repeat("x", 2001) + `"}`, "message"},
		{"too large", `{"plan_id": 1, "message": "` + strings.Repeat("x", MaxReport) + `"}`, "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseRunReport(strings.NewReader(c.in), now)
			if !errors.Is(err, ErrReport) || !strings.Contains(err.Error(), c.want) || r != (Run{}) {
				t.Errorf("ParseRunReport = %+v, %v; want an error with %q", r, err, c.want)
			}
		})
	}
}

func FuzzParseRunReport(f *testing.F) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	f.Add([]byte(`{"plan_id": 12, "status": "ok", "finished_at": "2026-11-28T01:42:10+07:00", "bytes": 5}`))
	f.Add([]byte(`{"plan_id": 1, "status": "failed", "started_at": "2026-11-28T01:00:00Z", "finished_at": "2026-11-28T01:42:10Z", "message": "x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRunReport(strings.NewReader(string(data)), now)
		if err != nil {
			if !errors.Is(err, ErrReport) || r != (Run{}) {
				t.Fatalf("error %v with %+v", err, r)
			}
			return
		}
		if r.PlanID <= 0 || r.FinishedAt.IsZero() || r.FinishedAt.After(now.Add(time.Hour)) || r.Source != "webhook" ||
			(r.Status != RunSuccess && r.Status != RunWarning && r.Status != RunFailed) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
