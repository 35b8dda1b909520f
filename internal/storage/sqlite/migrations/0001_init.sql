-- 0001_init: units, users and their grants, sessions, API tokens, the audit
-- chain and background jobs.
--
-- Conventions: ids are INTEGER PRIMARY KEY AUTOINCREMENT (never reused);
-- times are INTEGER unix microseconds, UTC, NULL where a zero time.Time is
-- allowed; booleans are INTEGER 0/1; a unit id of 0 in audit_log and jobs
-- means "system-wide" and is therefore not a foreign key.

CREATE TABLE units (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	parent_id  INTEGER REFERENCES units (id),
	code       TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX units_parent_id ON units (parent_id);

CREATE TABLE users (
	id                   INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id              INTEGER NOT NULL REFERENCES units (id),
	username             TEXT    NOT NULL UNIQUE,
	display_name         TEXT    NOT NULL,
	email                TEXT    NOT NULL DEFAULT '',
	role                 TEXT    NOT NULL,
	locale               TEXT    NOT NULL DEFAULT '',
	disabled             INTEGER NOT NULL DEFAULT 0,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	mfa_enabled          INTEGER NOT NULL DEFAULT 0,
	password_hash        TEXT    NOT NULL DEFAULT '',
	mfa_secret           TEXT    NOT NULL DEFAULT '',
	recovery_codes       TEXT    NOT NULL DEFAULT '[]', -- JSON array of SHA-256 hex strings
	failed_logins        INTEGER NOT NULL DEFAULT 0,
	locked_until         INTEGER,
	last_login_at        INTEGER,
	mfa_last_step        INTEGER NOT NULL DEFAULT 0,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL
);
CREATE INDEX users_unit_id ON users (unit_id);

-- The units a user may act in (User.UnitIDs).
CREATE TABLE user_units (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	unit_id INTEGER NOT NULL REFERENCES units (id),
	PRIMARY KEY (user_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX user_units_unit_id ON user_units (unit_id);

CREATE TABLE sessions (
	id_hash      TEXT    NOT NULL PRIMARY KEY, -- SHA-256 of the cookie token
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	mfa_pending  INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	last_seen_at INTEGER,
	ip           TEXT    NOT NULL DEFAULT '',
	user_agent   TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	hash         TEXT    NOT NULL UNIQUE, -- SHA-256 of the bearer token
	role         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- The units an API token is limited to (APIToken.UnitIDs).
CREATE TABLE api_token_units (
	token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
	unit_id  INTEGER NOT NULL REFERENCES units (id),
	PRIMARY KEY (token_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX api_token_units_unit_id ON api_token_units (unit_id);

-- The hash-chained audit log. seq is assigned by AppendAudit (last seq + 1),
-- never by the database, and time_us is the exact value that was hashed.
CREATE TABLE audit_log (
	seq       INTEGER PRIMARY KEY,
	time_us   INTEGER NOT NULL,
	actor_id  INTEGER NOT NULL DEFAULT 0,
	actor     TEXT    NOT NULL DEFAULT '',
	unit_id   INTEGER NOT NULL DEFAULT 0,
	action    TEXT    NOT NULL,
	target    TEXT    NOT NULL DEFAULT '',
	detail    TEXT    NOT NULL DEFAULT '',
	ip        TEXT    NOT NULL DEFAULT '',
	prev_hash TEXT    NOT NULL,
	hash      TEXT    NOT NULL
);
CREATE INDEX audit_log_unit_id_seq ON audit_log (unit_id, seq);
CREATE INDEX audit_log_actor_id_seq ON audit_log (actor_id, seq);

-- The head of the chain, kept apart from the entries so that deleting the
-- newest entries is detected. Exactly one row, updated by every append in
-- the same transaction.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE jobs (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	kind             TEXT    NOT NULL,
	unit_id          INTEGER NOT NULL DEFAULT 0,
	created_by       INTEGER NOT NULL DEFAULT 0,
	status           TEXT    NOT NULL,
	done             INTEGER NOT NULL DEFAULT 0,
	total            INTEGER NOT NULL DEFAULT 0,
	message          TEXT    NOT NULL DEFAULT '',
	error            TEXT    NOT NULL DEFAULT '',
	params           TEXT    NOT NULL DEFAULT '',
	result           TEXT    NOT NULL DEFAULT '',
	cancel_requested INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	started_at       INTEGER,
	finished_at      INTEGER
);
CREATE INDEX jobs_status_id ON jobs (status, id);
CREATE INDEX jobs_unit_id_id ON jobs (unit_id, id);
