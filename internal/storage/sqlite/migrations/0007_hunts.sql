-- 0007_hunts: threat hunts — what was looked for, where and when, how the
-- runs went, what the analyst concluded — with the information systems a
-- hunt covers and the events its last run found (see docs/hunting.md).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed. The rule ids, read and
-- written whole, are a JSON array in TEXT; a result's event is the JSON
-- of the whole event, kept as a string. Job, analyst and incident ids are
-- plain numbers (0: none): the record must outlive what it mentions.

CREATE TABLE hunts (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id          INTEGER NOT NULL REFERENCES units (id),
	title            TEXT    NOT NULL,
	hypothesis       TEXT    NOT NULL DEFAULT '',
	kind             TEXT    NOT NULL,
	query            TEXT    NOT NULL DEFAULT '',
	rule_ids         TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	indicator_source TEXT    NOT NULL DEFAULT '',
	from_at          INTEGER,
	to_at            INTEGER,
	status           TEXT    NOT NULL,
	progress         REAL    NOT NULL DEFAULT 0,
	job_id           INTEGER NOT NULL DEFAULT 0,
	matches          INTEGER NOT NULL DEFAULT 0,
	error            TEXT    NOT NULL DEFAULT '',
	outcome          TEXT    NOT NULL DEFAULT '',
	conclusion       TEXT    NOT NULL DEFAULT '',
	trigger          TEXT    NOT NULL DEFAULT '',
	trigger_ref      TEXT    NOT NULL DEFAULT '',
	analyst_id       INTEGER NOT NULL DEFAULT 0,
	analyst          TEXT    NOT NULL DEFAULT '',
	incident_id      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	started_at       INTEGER,
	finished_at      INTEGER,
	closed_at        INTEGER
);
CREATE INDEX hunts_unit_id_id ON hunts (unit_id, id);
CREATE INDEX hunts_status_id ON hunts (status, id);

-- Hunt.SystemIDs: the systems whose evidence a hunt is.
CREATE TABLE hunt_systems (
	hunt_id   INTEGER NOT NULL REFERENCES hunts (id) ON DELETE CASCADE,
	system_id INTEGER NOT NULL REFERENCES systems (id),
	PRIMARY KEY (hunt_id, system_id)
) WITHOUT ROWID;
CREATE INDEX hunt_systems_system_id ON hunt_systems (system_id);

-- The events the last run of a hunt found (up to hunt.MaxResults),
-- rewritten by each run. unit_id is the event's unit, a plain number.
CREATE TABLE hunt_results (
	hunt_id INTEGER NOT NULL REFERENCES hunts (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	key     TEXT    NOT NULL DEFAULT '', -- a rule id, "ioc:<indicator id>", or '' (query hunt)
	label   TEXT    NOT NULL DEFAULT '',
	time    INTEGER,
	unit_id INTEGER NOT NULL DEFAULT 0,
	host    TEXT    NOT NULL DEFAULT '',
	event   TEXT    NOT NULL DEFAULT '', -- the whole event as JSON
	PRIMARY KEY (hunt_id, seq)
);
