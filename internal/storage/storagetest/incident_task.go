package storagetest

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

// newTask returns an open task of step of playbook at seq, as the
// incident service builds it.
func newTask(seq int, playbook, step string, after ...string) incident.Task {
	return incident.Task{Seq: seq, PlaybookID: playbook, StepID: step, Phase: "containment",
		Title: incident.Text{VI: "Bước " + step, EN: "Step " + step}, After: after, Status: incident.TaskOpen,
		CreatedAt: t0, UpdatedAt: t0}
}

// mustTasks adds tasks to case caseID and returns them as written back.
func mustTasks(t *testing.T, b Backend, caseID int64, tasks ...incident.Task) []incident.Task {
	t.Helper()
	ok(t, "add tasks", b.AddTasks(t.Context(), caseID, tasks))
	for i, task := range tasks {
		if task.ID <= 0 || i > 0 && task.ID <= tasks[i-1].ID {
			t.Fatalf("AddTasks set IDs %v, want ascending in the order of the list", taskIDs(tasks))
		}
		if task.CaseID != caseID {
			t.Errorf("AddTasks set CaseID %d, want %d", task.CaseID, caseID)
		}
		checkUTC(t, "written-back task", task.DoneAt, task.CreatedAt, task.UpdatedAt)
	}
	return tasks
}

func mustListTasks(t *testing.T, b Backend, caseID int64) []incident.Task {
	t.Helper()
	list, err := b.ListTasks(t.Context(), caseID)
	ok(t, "list tasks", err)
	for _, task := range list {
		checkUTC(t, "ListTasks", task.DoneAt, task.CreatedAt, task.UpdatedAt)
	}
	return list
}

// mustGetTask returns task id of case caseID, as ListTasks gives it.
func mustGetTask(t *testing.T, b Backend, caseID, id int64) incident.Task {
	t.Helper()
	for _, task := range mustListTasks(t, b, caseID) {
		if task.ID == id {
			return task
		}
	}
	t.Fatalf("task %d is not listed in case %d", id, caseID)
	return incident.Task{}
}

func taskIDs(list []incident.Task) []int64 {
	var out []int64
	for _, task := range list {
		out = append(out, task.ID)
	}
	return out
}

func testIncidentTasks(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("add_list", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		if got := mustListTasks(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListTasks of a case without tasks = %+v", got)
		}

		// Every field set, in another zone with nanoseconds; ID and CaseID
		// are the store's.
		full := incident.Task{ID: 999, CaseID: other.ID, Seq: 2, PlaybookID: "ransomware", StepID: "isolate",
			Phase: "containment", Title: incident.Text{VI: "Cô lập máy bị nhiễm", EN: "Isolate infected hosts"},
			Text:  incident.Text{VI: "Ngắt mạng <b>không phải html</b> & \"trích\"\nDòng 2\ttab", EN: "Unplug\nline 2"},
			After: []string{"triage", "backup_check"}, Status: incident.TaskDone, Note: "Đã làm\nlúc 3 giờ",
			DoneAt: t0.Add(time.Hour), DoneBy: 42, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
		// Nothing but the keys: zero CreatedAt and UpdatedAt become now, an
		// empty After nil.
		bare := incident.Task{Seq: 1, PlaybookID: "ransomware", StepID: "triage", Status: incident.TaskOpen,
			After: []string{}}
		third := newTask(2, "ransomware", "backup_check", "triage")
		in := []incident.Task{full, bare, third}
		before := time.Now().Add(-time.Second)
		got := mustTasks(t, b, c.ID, in...)

		want := []incident.Task{full, bare, third}
		for i := range want {
			want[i].ID, want[i].CaseID = got[i].ID, c.ID
			want[i].DoneAt, want[i].CreatedAt, want[i].UpdatedAt = stored(want[i].DoneAt), stored(want[i].CreatedAt),
				stored(want[i].UpdatedAt)
		}
		want[1].CreatedAt, want[1].UpdatedAt, want[1].After = got[1].CreatedAt, got[1].UpdatedAt, nil
		if d := diff(want, got); d != "" {
			t.Errorf("AddTasks did not write back the stored form (-want +got):\n%s", d)
		}
		if got[1].After != nil || got[1].CreatedAt.Before(before) || got[1].UpdatedAt.Before(before) ||
			!got[1].DoneAt.IsZero() || got[1].DoneBy != 0 || got[1].Note != "" {
			t.Errorf("bare task stored as %+v; want times now, nil After, the rest zero", got[1])
		}

		// Listed by Seq, then id.
		list := mustListTasks(t, b, c.ID)
		if d := diff([]incident.Task{got[1], got[0], got[2]}, list); d != "" {
			t.Errorf("ListTasks (-want +got):\n%s", d)
		}
		if list[0].After != nil {
			t.Errorf("ListTasks gave After %#v for an empty one, want nil", list[0].After)
		}

		// The same steps in another case, and a later playbook of the case
		// (a lower Seq sorts first; an equal one after by id).
		o := mustTasks(t, b, other.ID, newTask(1, "ransomware", "isolate"), newTask(2, "ransomware", "triage"))
		more := mustTasks(t, b, c.ID, newTask(2, "phishing", "reset"), newTask(0, "phishing", "notify"))
		if more[0].ID <= got[2].ID {
			t.Errorf("a later AddTasks gave id %d after %d", more[0].ID, got[2].ID)
		}
		if d := diff(taskIDs([]incident.Task{more[1], got[1], got[0], got[2], more[0]}),
			taskIDs(mustListTasks(t, b, c.ID))); d != "" {
			t.Errorf("ListTasks after a second playbook (-want +got):\n%s", d)
		}
		if d := diff(o, mustListTasks(t, b, other.ID)); d != "" {
			t.Errorf("ListTasks of another case (-want +got):\n%s", d)
		}
		if got := mustListTasks(t, b, 999); len(got) != 0 {
			t.Errorf("ListTasks(unknown case) = %+v", got)
		}
		ok(t, "add no tasks", b.AddTasks(t.Context(), c.ID, nil))
		wantRows(t, b, 7, `incident_tasks`)

		// The tasks go with their case.
		ok(t, "delete case", b.Exec(t.Context(), `DELETE FROM incident_cases WHERE id = $1`, other.ID))
		wantRows(t, b, 5, `incident_tasks`)
	})

	t.Run("add_refused", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		// refused checks that AddTasks fails with kind and leaves tasks as
		// they were.
		refused := func(name string, caseID int64, kind error, tasks ...incident.Task) {
			t.Helper()
			was := slices.Clone(tasks)
			wantKind(t, "AddTasks("+name+")", b.AddTasks(ctx, caseID, tasks), kind)
			if d := diff(was, tasks); d != "" {
				t.Errorf("a refused AddTasks(%s) wrote back (-want +got):\n%s", name, d)
			}
		}

		refused("unknown_case", 999, errs.ErrNotFound, newTask(1, "p", "a"), newTask(2, "p", "b"))
		refused("unknown_case_no_tasks", 999, errs.ErrNotFound)
		refused("twice_in_one_call", c.ID, errs.ErrConflict, newTask(1, "p", "a"), newTask(2, "p", "b"),
			newTask(3, "p", "a"))
		wantRows(t, b, 0, `incident_tasks`)

		first := mustTasks(t, b, c.ID, newTask(1, "p", "a"))
		refused("twice_across_calls", c.ID, errs.ErrConflict, newTask(2, "q", "a"), newTask(3, "p", "b"),
			newTask(4, "p", "a"))
		for name, edit := range map[string]func(task *incident.Task){
			"title_nul":         func(task *incident.Task) { task.Title.VI = "a\x00b" },
			"text_not_utf8":     func(task *incident.Task) { task.Text.EN = "a\xffb" },
			"note_nul":          func(task *incident.Task) { task.Note = "\x00" },
			"step_not_utf8":     func(task *incident.Task) { task.StepID = "\xc3" },
			"after_nul":         func(task *incident.Task) { task.After = []string{"a", "b\x00"} },
			"playbook_too_long": func(task *incident.Task) { task.PlaybookID = strings.Repeat("p", 256) },
		} {
			bad := newTask(3, "r", "c")
			edit(&bad)
			refused(name, c.ID, errs.ErrInvalid, newTask(2, "r", "b"), bad)
		}
		if d := diff(first, mustListTasks(t, b, c.ID)); d != "" {
			t.Errorf("refused AddTasks wrote (-want +got):\n%s", d)
		}
		wantRows(t, b, 1, `incident_tasks`)

		// A key of 255 bytes is fine.
		long := strings.Repeat("é", 127) + "x"
		mustTasks(t, b, c.ID, newTask(2, long, long))
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		tasks := mustTasks(t, b, c.ID, newTask(1, "p", "a"), newTask(2, "p", "b", "a"))
		task := tasks[1]

		// update sees the stored task; only Status, Note, DoneAt and DoneBy
		// are written, with UpdatedAt now.
		before := time.Now().Add(-time.Second)
		calls := 0
		done := time.Date(2026, 2, 3, 4, 5, 6, 789012345, time.FixedZone("ICT", 7*3600))
		got, err := b.UpdateTask(ctx, task.ID, func(x *incident.Task) error {
			calls++
			if d := diff(task, *x); d != "" {
				t.Errorf("update was given (-want +got):\n%s", d)
			}
			x.ID, x.CaseID, x.Seq, x.PlaybookID, x.StepID, x.Phase = 999, other.ID, 7, "q", "z", "lessons"
			x.Title, x.Text = incident.Text{VI: "đổi", EN: "changed"}, incident.Text{VI: "x", EN: "y"}
			x.After[0] = "changed"
			x.After = append(x.After, "more")
			x.CreatedAt, x.UpdatedAt = t0.Add(-time.Hour), t0.Add(-time.Hour)
			x.Status, x.Note, x.DoneAt, x.DoneBy = incident.TaskSkipped, "Không cần\nvì sao", done, 8
			return nil
		})
		ok(t, "update", err)
		if calls != 1 {
			t.Errorf("update was called %d times, want once", calls)
		}
		want := task
		want.Status, want.Note, want.DoneAt, want.DoneBy = incident.TaskSkipped, "Không cần\nvì sao", stored(done), 8
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("UpdateTask returned (-want +got):\n%s", d)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdateTask set UpdatedAt %v, want now", got.UpdatedAt)
		}
		checkUTC(t, "UpdateTask", got.DoneAt, got.CreatedAt, got.UpdatedAt)
		if d := diff([]incident.Task{tasks[0], got}, mustListTasks(t, b, c.ID)); d != "" {
			t.Errorf("ListTasks after UpdateTask (-want +got):\n%s", d)
		}
		if got := mustListTasks(t, b, other.ID); len(got) != 0 {
			t.Errorf("UpdateTask moved a task to another case: %+v", got)
		}

		// Opening it again clears DoneAt.
		reopened, err := b.UpdateTask(ctx, task.ID, func(x *incident.Task) error {
			x.Status, x.Note, x.DoneAt, x.DoneBy = incident.TaskOpen, "", time.Time{}, 0
			return nil
		})
		ok(t, "reopen", err)
		back := mustGetTask(t, b, c.ID, task.ID)
		if d := diff(reopened, back); d != "" {
			t.Errorf("ListTasks after reopening (-want +got):\n%s", d)
		}
		if !back.DoneAt.IsZero() || back.DoneBy != 0 || back.Note != "" || back.Status != incident.TaskOpen {
			t.Errorf("reopened task stored as %+v", back)
		}

		// An error from update is returned and nothing is written; so is
		// text that cannot be stored (errs.ErrInvalid).
		errVeto := errors.New("veto")
		_, err = b.UpdateTask(ctx, task.ID, func(x *incident.Task) error {
			x.Status, x.Note, x.DoneAt, x.DoneBy = incident.TaskDone, "vetoed", t0, 5
			return errVeto
		})
		if !errors.Is(err, errVeto) {
			t.Errorf("UpdateTask returned %v, want update's error", err)
		}
		for name, edit := range map[string]func(x *incident.Task){
			"note_nul":        func(x *incident.Task) { x.Note = "a\x00b" },
			"note_not_utf8":   func(x *incident.Task) { x.Note = "a\xffb" },
			"status_not_utf8": func(x *incident.Task) { x.Status = "\xff" },
		} {
			_, err := b.UpdateTask(ctx, task.ID, func(x *incident.Task) error {
				x.Status, x.DoneAt, x.DoneBy = incident.TaskDone, t0, 5
				edit(x)
				return nil
			})
			wantKind(t, "UpdateTask("+name+")", err, errs.ErrInvalid)
		}
		if d := diff(back, mustGetTask(t, b, c.ID, task.ID)); d != "" {
			t.Errorf("a refused update wrote (-want +got):\n%s", d)
		}

		// An unknown id is not found, without calling update.
		_, err = b.UpdateTask(ctx, 999, func(*incident.Task) error {
			t.Error("update called for an unknown task")
			return nil
		})
		wantKind(t, "UpdateTask(unknown)", err, errs.ErrNotFound)
	})

	t.Run("concurrent_update", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		task := mustTasks(t, b, c.ID, newTask(1, "p", "a"))[0]
		// Every read-modify-write of concurrent updates lands.
		const workers = 10
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				if _, err := b.UpdateTask(t.Context(), task.ID, func(x *incident.Task) error {
					x.Note += string(rune('a' + i))
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent UpdateTask did not finish")
		}
		note := []rune(mustGetTask(t, b, c.ID, task.ID).Note)
		slices.Sort(note)
		if got := string(note); got != "abcdefghij" {
			t.Errorf("after %d concurrent appends the Note has %q, want every letter of abcdefghij once", workers, got)
		}
	})
}
