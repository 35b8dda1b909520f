-- 0015_response_plans: the incident-response plan of each information
-- system (phương án ứng cứu sự cố) and the records of incident-response
-- drills (diễn tập), with the systems each drill covered (see
-- internal/incident, plan.go).
--
-- Conventions as in 0010: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed. User and plan ids are
-- plain numbers (0: none): the record must outlive what it mentions.

-- One plan per system. unit_id is the system's unit, set on every save;
-- approved_by and approved_at are set while status is 'approved'.
CREATE TABLE response_plans (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	system_id     INTEGER NOT NULL UNIQUE REFERENCES systems (id),
	unit_id       INTEGER NOT NULL REFERENCES units (id),
	version       TEXT    NOT NULL,
	status        TEXT    NOT NULL, -- draft, approved
	scope         TEXT    NOT NULL DEFAULT '',
	scenarios     TEXT    NOT NULL DEFAULT '',
	team          TEXT    NOT NULL DEFAULT '',
	contacts      TEXT    NOT NULL DEFAULT '',
	procedures    TEXT    NOT NULL DEFAULT '',
	resources     TEXT    NOT NULL DEFAULT '',
	communication TEXT    NOT NULL DEFAULT '',
	training      TEXT    NOT NULL DEFAULT '',
	approved_by   TEXT    NOT NULL DEFAULT '',
	approved_at   INTEGER,
	next_review   INTEGER,
	updated_by    INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX response_plans_unit_id ON response_plans (unit_id, system_id);

-- A drill of a unit (drilled_at: Drill.Date), listed latest first, then
-- highest id. Nothing changes after the insert.
CREATE TABLE drills (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id      INTEGER NOT NULL REFERENCES units (id),
	drilled_at   INTEGER NOT NULL,
	kind         TEXT    NOT NULL, -- tabletop, live, technical
	scenario     TEXT    NOT NULL,
	participants TEXT    NOT NULL DEFAULT '',
	result       TEXT    NOT NULL DEFAULT '',
	findings     TEXT    NOT NULL DEFAULT '',
	plan_id      INTEGER NOT NULL DEFAULT 0,
	created_by   INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX drills_unit_id_drilled_at ON drills (unit_id, drilled_at DESC, id DESC);

-- Drill.SystemIDs: the systems a drill covered, so that a system's last
-- drill is found by system.
CREATE TABLE drill_systems (
	drill_id  INTEGER NOT NULL REFERENCES drills (id) ON DELETE CASCADE,
	system_id INTEGER NOT NULL REFERENCES systems (id),
	PRIMARY KEY (drill_id, system_id)
) WITHOUT ROWID;
CREATE INDEX drill_systems_system_id ON drill_systems (system_id);
