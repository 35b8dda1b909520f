package incident

import (
	"context"
	"time"
)

// TaskStatus is where a task of a case stands.
type TaskStatus string

// The task statuses.
const (
	TaskOpen    TaskStatus = "open"
	TaskDone    TaskStatus = "done"
	TaskSkipped TaskStatus = "skipped" // not needed for this case (with a note saying why)
)

// TaskStatuses lists every task status.
var TaskStatuses = []TaskStatus{TaskOpen, TaskDone, TaskSkipped}

// Task is one thing to do on a case: a step of a playbook applied to it.
type Task struct {
	ID     int64 `json:"id"`
	CaseID int64 `json:"case_id"`
	// Seq orders the case's tasks (the playbook's order; later playbooks
	// after).
	Seq        int    `json:"seq"`
	PlaybookID string `json:"playbook_id"`
	StepID     string `json:"step_id"`
	Phase      string `json:"phase"`
	Title      Text   `json:"title"`
	Text       Text   `json:"text"`
	// After lists the step ids (of the same playbook) to be done or
	// skipped before this task can be done.
	After     []string   `json:"after,omitempty"`
	Status    TaskStatus `json:"status"`
	Note      string     `json:"note,omitempty"`
	DoneAt    time.Time  `json:"done_at,omitzero"` // when done or skipped
	DoneBy    int64      `json:"done_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// TaskStore persists the tasks of cases. Its methods are safe for
// concurrent use and stop when ctx is done.
//
// AddTasks stores tasks (all of one case, caseID) all or nothing and
// writes each stored form back into the slice: ID, times UTC to the
// microsecond, CreatedAt/UpdatedAt now when zero, an empty After nil. An
// unknown case is errs.ErrNotFound; a second task of one case with the
// same PlaybookID and StepID is errs.ErrConflict (a playbook is applied
// once). ListTasks returns a case's tasks by Seq, then id (an unknown
// case: none). UpdateTask reads the task, calls update on it and, when
// update returns nil, writes Status, Note, DoneAt, DoneBy and UpdatedAt
// (now) — atomically, concurrent updates of one task serialised; an
// unknown id is errs.ErrNotFound.
type TaskStore interface {
	AddTasks(ctx context.Context, caseID int64, tasks []Task) error
	ListTasks(ctx context.Context, caseID int64) ([]Task, error)
	UpdateTask(ctx context.Context, id int64, update func(*Task) error) (Task, error)
}
