-- 0005_alerts: the alerts detection rules raise, with the analysts'
-- comments, the per-unit rule settings and the false-positive exceptions;
-- and, for notifications about alerts, the system a notification concerns,
-- the system and hourly rate limit of a channel and the deliveries a rate
-- limit suppressed.
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC); user ids (assignee, closer, authors) are plain numbers,
-- names are copied for history. Lists read and written whole (tags, key
-- and sample fields, exception conditions) are JSON arrays in TEXT.

CREATE TABLE alerts (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id       INTEGER NOT NULL REFERENCES units (id),
	system_id     INTEGER REFERENCES systems (id), -- NULL: no system
	system_level  INTEGER NOT NULL DEFAULT 0,
	rule_id       TEXT    NOT NULL,
	rule_title    TEXT    NOT NULL DEFAULT '',
	rule_level    TEXT    NOT NULL DEFAULT '',
	severity      TEXT    NOT NULL,
	severity_rank INTEGER NOT NULL, -- alert.Severity.Rank(), for Filter.MinSeverity
	tags          TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	group_key     TEXT    NOT NULL,
	key           TEXT    NOT NULL DEFAULT '[]', -- JSON array of alert.Field
	sample        TEXT    NOT NULL DEFAULT '[]', -- JSON array of alert.Field
	first_seen    INTEGER NOT NULL,
	last_seen     INTEGER NOT NULL,
	count         INTEGER NOT NULL,
	status        TEXT    NOT NULL,
	assignee_id   INTEGER, -- NULL: nobody
	close_reason  TEXT    NOT NULL DEFAULT '',
	close_note    TEXT    NOT NULL DEFAULT '',
	closed_by     INTEGER NOT NULL DEFAULT 0,
	closed_at     INTEGER,
	incident_id   INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
-- The look-up of RecordAlert: the open group of a rule in a unit.
CREATE INDEX alerts_group ON alerts (unit_id, rule_id, group_key, status, last_seen);
CREATE INDEX alerts_unit_id_id ON alerts (unit_id, id);

CREATE TABLE alert_comments (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id   INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL DEFAULT 0,
	author     TEXT    NOT NULL DEFAULT '',
	body       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX alert_comments_alert_id ON alert_comments (alert_id, id);

-- A unit's setting for a rule (enabled = 0 switches it off).
CREATE TABLE rule_settings (
	unit_id    INTEGER NOT NULL REFERENCES units (id),
	rule_id    TEXT    NOT NULL,
	enabled    INTEGER NOT NULL,
	updated_by INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (unit_id, rule_id)
) WITHOUT ROWID;

-- False-positive exceptions; rule_id '' covers every rule. Expired ones
-- are kept (the caller ignores them).
CREATE TABLE alert_exceptions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id    INTEGER NOT NULL REFERENCES units (id),
	rule_id    TEXT    NOT NULL DEFAULT '',
	match      TEXT    NOT NULL DEFAULT '[]', -- JSON array of alert.Field
	reason     TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	created_by INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

-- Notifications about an alert carry its system; a channel may be limited
-- to one system and to rate_limit notifications an hour (0: no limit).
ALTER TABLE notifications ADD COLUMN system_id INTEGER REFERENCES systems (id); -- NULL: no system
ALTER TABLE notification_channels ADD COLUMN system_id INTEGER REFERENCES systems (id); -- NULL: every system
ALTER TABLE notification_channels ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notification_deliveries ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
