package backup

import (
	"context"
	"time"
)

// Repository is a restic repository Khiên watches as one copy of a plan:
// it lists its snapshots, checks its integrity and runs restore tests on a
// schedule, with credentials kept sealed (package secret) and never shown
// again after entry.
type Repository struct {
	ID     int64 `json:"id"`
	UnitID int64 `json:"unit_id"`
	PlanID int64 `json:"plan_id"`
	// Copy is the name of the plan's copy this repository is.
	Copy string `json:"copy"`
	// Location is restic's repository string (a path, sftp:…, s3:…, rest:…),
	// without credentials.
	Location string `json:"location"`
	// PasswordSealed and EnvSealed are the repository password and the
	// backend's environment (JSON object of variables), sealed; never sent
	// to clients.
	PasswordSealed string `json:"-"`
	EnvSealed      string `json:"-"`
	// CheckSubset is how much data each integrity check reads ("5%",
	// "1/20"; restic's --read-data-subset).
	CheckSubset string `json:"check_subset"`
	// LastCollected is when Khiên last listed its snapshots; LastError why
	// that failed ("" when it did not).
	LastCollected time.Time `json:"last_collected,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// SeenSnapshot is a snapshot of a repository as Khiên recorded it: when it
// was first seen, and when it was found missing (zero: still there).
type SeenSnapshot struct {
	RepositoryID int64 `json:"repository_id"`
	Snapshot
	FirstSeen time.Time `json:"first_seen"`
	GoneAt    time.Time `json:"gone_at,omitzero"`
}

// PlanFacts is what the store holds of one plan that its State is made of
// (StateOf): the newest run (nil: none) and when the newest successful or
// warning run finished (zero: never), the newest integrity check, restore
// test and content check (nil: none), and snapshots seen in the plan's
// repositories.
type PlanFacts struct {
	LastRun     *Run
	LastSuccess time.Time
	LastCheck   *IntegrityCheck
	LastRestore *RestoreTest
	LastContent *ContentCheck
	// Snapshots are seen in the repositories of the plan (those of its
	// unit), by repository id, then time, then snapshot id (bytewise), as
	// ListSeenSnapshots gives them repository after repository. StateOf
	// reads the plan's newest two live snapshots and those gone within
	// GoneWindow; the others may be left out.
	Snapshots []SeenSnapshot
}

// Store persists plans, runs, checks, restore tests, repositories and the
// snapshots seen in them. Its methods are safe for concurrent use and stop
// when ctx is done. (Method names say Backup where another domain's store
// has one of the same name: one database implements every store.)
//
// CreateBackupPlan stores p (ID, CreatedAt, UpdatedAt written back; times
// UTC to the microsecond; an unknown unit or system is errs.ErrInvalid);
// GetBackupPlan returns one (errs.ErrNotFound); UpdateBackupPlan replaces
// every field but ID, UnitID, SystemID and CreatedAt, UpdatedAt now;
// DeleteBackupPlan removes a plan with its runs, checks, restore tests and
// repositories; ListBackupPlans returns the plans of units (nil: none)
// — of one system when systemID is not 0 — by system, then name, then id.
//
// AddBackupRun, AddIntegrityCheck and AddRestoreTest append to a plan's
// history (ID written back; an unknown plan is errs.ErrNotFound);
// ListBackupRuns, ListIntegrityChecks and ListRestoreTests return a plan's
// newest first (limit <= 0: 100). LastBackupRuns returns a plan's newest
// run (nil when none) and when its newest successful or warning run
// finished (zero when none).
//
// CreateBackupRepository, GetBackupRepository, UpdateBackupRepository
// (every field but ID, UnitID, PlanID, CreatedAt), DeleteBackupRepository
// and ListBackupRepositories (of units, nil: none; of one plan when planID
// is not 0; by id) keep repositories, sealed fields as given.
//
// SyncSnapshots records the snapshots listed in repository repoID at at:
// those not seen before are added (FirstSeen at), those seen before and
// not listed now are marked gone (GoneAt at) and returned, those listed
// again after being gone are live again; all in one transaction.
// ListSeenSnapshots returns a repository's snapshots, gone ones included,
// by time, then id.
//
// AddContentCheck appends a content check to a plan's history (ID written
// back, reasons kept in order; an unknown plan is errs.ErrNotFound);
// ListContentChecks returns a plan's newest first (by At, then id; limit
// <= 0: 100).
//
// BackupPlanStates returns the PlanFacts of the plans planIDs (an id may
// repeat) in a few statements whatever their number, each exactly what
// the per-plan reads give: LastBackupRuns, the first of
// ListIntegrityChecks, ListRestoreTests and ListContentChecks, and of the
// snapshots of ListBackupRepositories([]int64{plan's unit}, plan) the
// plan's newest two live ones (newest first by time, then repository id,
// then snapshot id) and those gone at or after goneSince, by repository
// id, then time, then snapshot id. A plan with none of these (and an
// unknown id) has no entry; no ids give an empty map.
type Store interface {
	CreateBackupPlan(ctx context.Context, p *Plan) error
	GetBackupPlan(ctx context.Context, id int64) (Plan, error)
	UpdateBackupPlan(ctx context.Context, p *Plan) error
	DeleteBackupPlan(ctx context.Context, id int64) error
	ListBackupPlans(ctx context.Context, units []int64, systemID int64) ([]Plan, error)

	AddBackupRun(ctx context.Context, r *Run) error
	ListBackupRuns(ctx context.Context, planID int64, limit int) ([]Run, error)
	LastBackupRuns(ctx context.Context, planID int64) (last *Run, lastSuccess time.Time, err error)
	AddIntegrityCheck(ctx context.Context, c *IntegrityCheck) error
	ListIntegrityChecks(ctx context.Context, planID int64, limit int) ([]IntegrityCheck, error)
	AddRestoreTest(ctx context.Context, t *RestoreTest) error
	ListRestoreTests(ctx context.Context, planID int64, limit int) ([]RestoreTest, error)

	CreateBackupRepository(ctx context.Context, r *Repository) error
	GetBackupRepository(ctx context.Context, id int64) (Repository, error)
	UpdateBackupRepository(ctx context.Context, r *Repository) error
	DeleteBackupRepository(ctx context.Context, id int64) error
	ListBackupRepositories(ctx context.Context, units []int64, planID int64) ([]Repository, error)

	SyncSnapshots(ctx context.Context, repoID int64, listed []Snapshot, at time.Time) (gone []Snapshot, err error)
	ListSeenSnapshots(ctx context.Context, repoID int64) ([]SeenSnapshot, error)

	AddContentCheck(ctx context.Context, c *ContentCheck) error
	ListContentChecks(ctx context.Context, planID int64, limit int) ([]ContentCheck, error)

	BackupPlanStates(ctx context.Context, planIDs []int64, goneSince time.Time) (map[int64]PlanFacts, error)
}
