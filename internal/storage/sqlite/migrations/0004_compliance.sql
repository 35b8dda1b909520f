-- 0004_compliance: requirement sets (one item per system and requirement,
-- never deleted, retired when the level no longer needs it) with their
-- history, evidence metadata (file contents live outside the database,
-- named by SHA-256), the latest result of each probe per system,
-- completions of calendar obligations, and independent-assessment
-- engagements with their findings.
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC); user ids are plain numbers, names are copied for history.

CREATE TABLE compliance_items (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	system_id      INTEGER NOT NULL REFERENCES systems (id),
	requirement_id TEXT    NOT NULL,
	group_id       TEXT    NOT NULL DEFAULT '', -- top-level requirement group, for summaries
	status         TEXT    NOT NULL,
	status_source  TEXT    NOT NULL DEFAULT 'manual',
	probe_id       TEXT    NOT NULL DEFAULT '',
	justification  TEXT    NOT NULL DEFAULT '',
	owner          TEXT    NOT NULL DEFAULT '',
	due            INTEGER,
	notes          TEXT    NOT NULL DEFAULT '',
	retired        INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	updated_by     TEXT    NOT NULL DEFAULT '',
	UNIQUE (system_id, requirement_id)
);

CREATE INDEX compliance_items_summary ON compliance_items (system_id, retired, group_id, status);
CREATE INDEX compliance_items_by_probe ON compliance_items (status_source, system_id);

-- The level (and pack) each system's requirement set was last brought in
-- line with, so that lists sync only the sets whose level changed.
CREATE TABLE compliance_sets (
	system_id INTEGER NOT NULL PRIMARY KEY REFERENCES systems (id),
	basis     TEXT    NOT NULL
);

CREATE TABLE compliance_item_events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id   INTEGER NOT NULL REFERENCES compliance_items (id),
	system_id INTEGER NOT NULL REFERENCES systems (id),
	at        INTEGER NOT NULL,
	actor_id  INTEGER NOT NULL DEFAULT 0,
	actor     TEXT    NOT NULL DEFAULT '',
	action    TEXT    NOT NULL,
	detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX compliance_item_events_item_id ON compliance_item_events (item_id, id);

CREATE TABLE compliance_evidence (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	system_id     INTEGER NOT NULL REFERENCES systems (id),
	item_id       INTEGER NOT NULL REFERENCES compliance_items (id),
	kind          TEXT    NOT NULL,
	name          TEXT    NOT NULL,
	url           TEXT    NOT NULL DEFAULT '',
	description   TEXT    NOT NULL DEFAULT '',
	sha256        TEXT    NOT NULL DEFAULT '',
	size          INTEGER NOT NULL DEFAULT 0,
	content_type  TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	created_by_id INTEGER NOT NULL DEFAULT 0,
	created_by    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX compliance_evidence_system_id ON compliance_evidence (system_id, id);
CREATE INDEX compliance_evidence_sha256 ON compliance_evidence (sha256);

CREATE TABLE compliance_probe_results (
	system_id    INTEGER NOT NULL REFERENCES systems (id),
	probe_id     TEXT    NOT NULL,
	requirements TEXT    NOT NULL DEFAULT '[]', -- JSON array of requirement ids
	status       TEXT    NOT NULL,
	at           INTEGER NOT NULL,
	freshness_us INTEGER NOT NULL,
	proof        TEXT    NOT NULL DEFAULT '',
	proof_vi     TEXT    NOT NULL DEFAULT '',
	facts        TEXT    NOT NULL DEFAULT '{}', -- JSON object of strings
	error        TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (system_id, probe_id)
);

CREATE TABLE compliance_completions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	system_id      INTEGER NOT NULL REFERENCES systems (id),
	obligation_id  TEXT    NOT NULL,
	done_at        INTEGER NOT NULL,
	note           TEXT    NOT NULL DEFAULT '',
	recorded_by_id INTEGER NOT NULL DEFAULT 0,
	recorded_by    TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL
);
CREATE INDEX compliance_completions_system_id ON compliance_completions (system_id, obligation_id, done_at);

CREATE TABLE engagements (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id    INTEGER NOT NULL REFERENCES units (id),
	title      TEXT    NOT NULL,
	assessor   TEXT    NOT NULL DEFAULT '',
	method     TEXT    NOT NULL DEFAULT '',
	start_at   INTEGER NOT NULL,
	end_at     INTEGER NOT NULL,
	status     TEXT    NOT NULL,
	scope      TEXT    NOT NULL DEFAULT '',
	summary    TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	created_by TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX engagements_unit_id ON engagements (unit_id);

CREATE TABLE engagement_systems (
	engagement_id INTEGER NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	system_id     INTEGER NOT NULL REFERENCES systems (id),
	PRIMARY KEY (engagement_id, system_id)
);
CREATE INDEX engagement_systems_system_id ON engagement_systems (system_id);

CREATE TABLE findings (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	engagement_id  INTEGER NOT NULL REFERENCES engagements (id),
	system_id      INTEGER NOT NULL REFERENCES systems (id),
	requirement_id TEXT    NOT NULL DEFAULT '',
	severity       TEXT    NOT NULL,
	title          TEXT    NOT NULL,
	description    TEXT    NOT NULL DEFAULT '',
	recommendation TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	created_by     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX findings_engagement_id ON findings (engagement_id, id);

-- Frameworks imported from OSCAL catalogs (custom requirement catalogues).
-- body is the JSON of oscal.Framework as imported; key is the catalog's
-- id, unique.
CREATE TABLE frameworks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	key         TEXT    NOT NULL UNIQUE,
	title       TEXT    NOT NULL,
	version     TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL DEFAULT '',
	controls    INTEGER NOT NULL DEFAULT 0,
	body        TEXT    NOT NULL,
	imported_at INTEGER NOT NULL,
	imported_by TEXT    NOT NULL DEFAULT ''
);
