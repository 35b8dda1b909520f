-- 0008_warnings: the register of national warnings (cảnh báo) a unit
-- receives from the information-security authority or a sector CERT, the
-- information systems each affects, and how far each system has come in
-- answering it (see internal/warning).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed. The indicators and the
-- actions, read and written whole, are JSON arrays in TEXT; the CVEs have
-- their own table so that a warning is found by CVE. User ids are plain
-- numbers (0: none): the record must outlive the accounts it mentions.

CREATE TABLE warnings (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id     INTEGER NOT NULL REFERENCES units (id),
	ref         TEXT    NOT NULL DEFAULT '',
	issuer      TEXT    NOT NULL DEFAULT '',
	title       TEXT    NOT NULL,
	summary     TEXT    NOT NULL DEFAULT '',
	severity    TEXT    NOT NULL,
	issued_at   INTEGER,
	received_at INTEGER NOT NULL,
	indicators  TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings, in order
	actions     TEXT    NOT NULL DEFAULT '[]', -- JSON array of {"kind", "text"}
	action_due  INTEGER,
	report_due  INTEGER,
	source      TEXT    NOT NULL DEFAULT '',
	created_by  INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	closed      INTEGER NOT NULL DEFAULT 0, -- boolean
	closed_at   INTEGER
);
-- Lists are newest received first.
CREATE INDEX warnings_received_at ON warnings (received_at, id);
CREATE INDEX warnings_unit_id_received_at ON warnings (unit_id, received_at, id);

-- Warning.CVEs, in the order of the list (seq).
CREATE TABLE warning_cves (
	warning_id INTEGER NOT NULL REFERENCES warnings (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	cve        TEXT    NOT NULL,
	PRIMARY KEY (warning_id, cve)
) WITHOUT ROWID;
CREATE INDEX warning_cves_cve ON warning_cves (cve);

-- The systems a warning affects and the steps each has taken
-- (pending → acknowledged → applied → reported, or not_affected).
CREATE TABLE warning_targets (
	warning_id      INTEGER NOT NULL REFERENCES warnings (id) ON DELETE CASCADE,
	system_id       INTEGER NOT NULL REFERENCES systems (id),
	status          TEXT    NOT NULL,
	acknowledged_at INTEGER,
	acknowledged_by INTEGER NOT NULL DEFAULT 0,
	applied_at      INTEGER,
	applied_by      INTEGER NOT NULL DEFAULT 0,
	reported_at     INTEGER,
	reported_by     INTEGER NOT NULL DEFAULT 0,
	not_affected_at INTEGER,
	not_affected_by INTEGER NOT NULL DEFAULT 0,
	note            TEXT    NOT NULL DEFAULT '',
	updated_at      INTEGER NOT NULL,
	PRIMARY KEY (warning_id, system_id)
) WITHOUT ROWID;
CREATE INDEX warning_targets_system_id ON warning_targets (system_id);
-- The targets still owing something, for reminders and dashboards.
CREATE INDEX warning_targets_open ON warning_targets (warning_id)
	WHERE status IN ('pending', 'acknowledged', 'applied');
