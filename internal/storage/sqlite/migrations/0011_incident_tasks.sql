-- 0011_incident_tasks: the tasks of incident cases — the steps of a
-- response playbook applied to a case, each done, skipped (with a note
-- saying why) or still open (see internal/incident).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed. The step ids a task
-- comes after, read and written whole, are a JSON array in TEXT. User ids
-- are plain numbers (0: none): the record must outlive the accounts it
-- mentions.

-- A playbook is applied to a case once: a step of it is one task of the
-- case. Tasks are listed by seq (the playbook's order, later playbooks
-- after), then id; only status, note, done_at, done_by and updated_at
-- change after the insert.
CREATE TABLE incident_tasks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id     INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	playbook_id TEXT    NOT NULL,
	step_id     TEXT    NOT NULL,
	phase       TEXT    NOT NULL DEFAULT '',
	title_vi    TEXT    NOT NULL DEFAULT '',
	title_en    TEXT    NOT NULL DEFAULT '',
	text_vi     TEXT    NOT NULL DEFAULT '',
	text_en     TEXT    NOT NULL DEFAULT '',
	after       TEXT    NOT NULL DEFAULT '[]', -- JSON array of step ids, in order
	status      TEXT    NOT NULL, -- open, done, skipped
	note        TEXT    NOT NULL DEFAULT '',
	done_at     INTEGER,
	done_by     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (case_id, playbook_id, step_id)
);
CREATE INDEX incident_tasks_case_id_seq ON incident_tasks (case_id, seq, id);
