-- 0010_incidents: incident cases (sự cố) — what happened to which
-- information systems, how the response went, the facts the legal clocks
-- and the serious-incident test depend on — with what was sent to the
-- authorities and the case's timeline (see internal/incident).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed; booleans are INTEGER
-- 0/1. The linked alert ids and the impacts, read and written whole, are
-- JSON arrays in TEXT; the affected systems have their own table so that
-- a case is found by system. User and alert ids are plain numbers (0:
-- none): the record must outlive the accounts and alerts it mentions.

-- ref ("SC-2026-0007") is set once, when the case is created, from the
-- year of detected_at and the id.
CREATE TABLE incident_cases (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id               INTEGER NOT NULL REFERENCES units (id),
	ref                   TEXT    NOT NULL DEFAULT '',
	title                 TEXT    NOT NULL,
	description           TEXT    NOT NULL DEFAULT '',
	category              TEXT    NOT NULL,
	severity              TEXT    NOT NULL,
	status                TEXT    NOT NULL,
	alert_ids             TEXT    NOT NULL DEFAULT '[]', -- JSON array of alert ids, ascending
	assignee_id           INTEGER NOT NULL DEFAULT 0,
	detected_at           INTEGER NOT NULL,
	response_completed_at INTEGER,
	closed_at             INTEGER,
	impacts               TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings, in order
	national_critical     INTEGER NOT NULL DEFAULT 0,
	owner_cannot_control  INTEGER NOT NULL DEFAULT 0,
	personal_data         INTEGER NOT NULL DEFAULT 0,
	subject_notice        INTEGER NOT NULL DEFAULT 0,
	support_requested     INTEGER NOT NULL DEFAULT 0,
	conclusion            TEXT    NOT NULL DEFAULT '',
	created_by            INTEGER NOT NULL DEFAULT 0,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL
);
-- Lists are a unit's cases, newest detected first, then highest id.
CREATE INDEX incident_cases_unit_id_detected_at ON incident_cases (unit_id, detected_at DESC, id DESC);

-- Case.SystemIDs: the information systems a case affects.
CREATE TABLE incident_case_systems (
	case_id   INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	system_id INTEGER NOT NULL REFERENCES systems (id),
	PRIMARY KEY (case_id, system_id)
) WITHOUT ROWID;
CREATE INDEX incident_case_systems_system_id ON incident_case_systems (system_id);

-- What was sent about a case (notification, reports), to whom and how,
-- listed by sent_at, then id. clock_id is the clock rule it answers ('':
-- none).
CREATE TABLE incident_submissions (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id         INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	clock_id        TEXT    NOT NULL DEFAULT '',
	what            TEXT    NOT NULL,
	recipient       TEXT    NOT NULL,
	channel         TEXT    NOT NULL,
	sent_at         INTEGER NOT NULL,
	sent_by         INTEGER NOT NULL DEFAULT 0,
	reference       TEXT    NOT NULL DEFAULT '',
	acknowledgement TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX incident_submissions_case_id_sent_at ON incident_submissions (case_id, sent_at, id);

-- A case's timeline, listed by at, then id.
CREATE TABLE incident_entries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id    INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	at         INTEGER NOT NULL,
	kind       TEXT    NOT NULL, -- created, status, alert, note, submission
	text       TEXT    NOT NULL DEFAULT '',
	by_user    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX incident_entries_case_id_at ON incident_entries (case_id, at, id);
