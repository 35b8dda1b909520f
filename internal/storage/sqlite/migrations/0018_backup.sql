-- 0018_backup: backup assurance (see internal/backup, store.go) — the
-- backup plan of each information system with its copies, the history of
-- its backup runs, integrity checks and restore tests, the restic
-- repositories Khiên watches as its copies, and the snapshots seen in them.
--
-- Conventions as in 0016: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed; durations are INTEGER
-- nanoseconds (time.Duration). JSON columns are TEXT, the Go encoding of
-- the value, and come back exactly as written. A plan's history, its
-- repositories and their snapshots go with it (ON DELETE CASCADE).

-- The backup plan of a system, listed by system, then name, then id.
-- copies is the JSON array of backup.Copy, asset_ids the JSON array of the
-- ids of the assets whose data it covers (plain numbers: the plan must
-- outlive what it mentions), both in the order given.
CREATE TABLE backup_plans (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id          INTEGER NOT NULL REFERENCES units (id),
	system_id        INTEGER NOT NULL REFERENCES systems (id),
	name             TEXT    NOT NULL,
	scope            TEXT    NOT NULL DEFAULT '',
	asset_ids        TEXT    NOT NULL DEFAULT '[]', -- []int64
	every_ns         INTEGER NOT NULL, -- how often a backup runs
	rpo_ns           INTEGER NOT NULL,
	rto_ns           INTEGER NOT NULL,
	retention_days   INTEGER NOT NULL,
	restore_every_ns INTEGER NOT NULL, -- how often a restore is tested
	central          INTEGER NOT NULL DEFAULT 0,
	copies           TEXT    NOT NULL DEFAULT '[]', -- []backup.Copy
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX backup_plans_unit_id ON backup_plans (unit_id);
CREATE INDEX backup_plans_system_id ON backup_plans (system_id);

-- A backup run of a plan, as a tool reported it or as found in a
-- repository, listed newest (latest finished_at, then highest id) first.
-- Nothing changes after the insert. status is success, warning or failed;
-- the last success of a plan is its newest success or warning.
CREATE TABLE backup_runs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id     INTEGER NOT NULL REFERENCES backup_plans (id) ON DELETE CASCADE,
	unit_id     INTEGER NOT NULL,
	copy        TEXT    NOT NULL DEFAULT '', -- the name of the plan's copy; '': not said
	source      TEXT    NOT NULL, -- webhook, syslog, restic
	tool        TEXT    NOT NULL DEFAULT '',
	started_at  INTEGER, -- NULL: unknown
	finished_at INTEGER NOT NULL,
	status      TEXT    NOT NULL, -- success, warning, failed
	snapshot_id TEXT    NOT NULL DEFAULT '',
	bytes       INTEGER NOT NULL DEFAULT 0,
	files       INTEGER NOT NULL DEFAULT 0,
	message     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX backup_runs_plan_id ON backup_runs (plan_id, finished_at DESC, id DESC);

-- An integrity check of a plan's copy, listed newest (latest at, then
-- highest id) first. Nothing changes after the insert.
CREATE TABLE backup_checks (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id INTEGER NOT NULL REFERENCES backup_plans (id) ON DELETE CASCADE,
	copy    TEXT    NOT NULL DEFAULT '',
	at      INTEGER NOT NULL,
	ok      INTEGER NOT NULL,
	subset  TEXT    NOT NULL DEFAULT '', -- '': structure only
	errors  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX backup_checks_plan_id ON backup_checks (plan_id, at DESC, id DESC);

-- A restore test of a plan's copy, listed newest (latest started_at, then
-- highest id) first. Nothing changes after the insert.
CREATE TABLE backup_restore_tests (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id       INTEGER NOT NULL REFERENCES backup_plans (id) ON DELETE CASCADE,
	copy          TEXT    NOT NULL DEFAULT '',
	snapshot_id   TEXT    NOT NULL DEFAULT '',
	snapshot_time INTEGER, -- NULL: unknown
	started_at    INTEGER NOT NULL,
	duration_ns   INTEGER NOT NULL, -- the actual RTO
	files         INTEGER NOT NULL DEFAULT 0,
	bytes         INTEGER NOT NULL DEFAULT 0,
	verified      INTEGER NOT NULL,
	errors        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX backup_restore_tests_plan_id ON backup_restore_tests (plan_id, started_at DESC, id DESC);

-- A restic repository watched as one copy of a plan, listed by id.
-- password_sealed and env_sealed are sealed (package secret) and kept
-- exactly as given; last_collected and last_error are the outcome of the
-- last listing of its snapshots.
CREATE TABLE backup_repositories (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id         INTEGER NOT NULL REFERENCES units (id),
	plan_id         INTEGER NOT NULL REFERENCES backup_plans (id) ON DELETE CASCADE,
	copy            TEXT    NOT NULL DEFAULT '',
	location        TEXT    NOT NULL, -- without credentials
	password_sealed TEXT    NOT NULL DEFAULT '',
	env_sealed      TEXT    NOT NULL DEFAULT '',
	check_subset    TEXT    NOT NULL DEFAULT '',
	last_collected  INTEGER, -- NULL: never listed
	last_error      TEXT    NOT NULL DEFAULT '', -- '': the last listing succeeded
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX backup_repositories_plan_id ON backup_repositories (plan_id, id);
CREATE INDEX backup_repositories_unit_id ON backup_repositories (unit_id, id);

-- A snapshot seen in a repository, by its id there, listed by time, then
-- id. first_seen is when a listing first showed it, gone_at when one no
-- longer did (NULL: still there; a later listing that shows it again sets
-- it back to NULL). Syncs of one repository are serialised by the single
-- write connection.
CREATE TABLE backup_snapshots (
	repository_id INTEGER NOT NULL REFERENCES backup_repositories (id) ON DELETE CASCADE,
	id            TEXT    NOT NULL,
	time          INTEGER NOT NULL,
	size          INTEGER NOT NULL DEFAULT 0, -- restic's restore-size, bytes
	first_seen    INTEGER NOT NULL,
	gone_at       INTEGER, -- NULL: still there
	PRIMARY KEY (repository_id, id)
) WITHOUT ROWID;
CREATE INDEX backup_snapshots_time ON backup_snapshots (repository_id, time, id);
