-- 0009_feeds: threat-intelligence feed subscriptions pulled on a schedule
-- (TAXII 2.1 collections, MISP feeds) and the hunt queries users save
-- (see docs/intel.md and docs/hunting.md).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed; booleans are INTEGER
-- 0/1. Subscriptions and saved queries are settings of their unit (and
-- owner): they go when it goes.

-- A feed's indicators are upserted into unit_id with the feed's name as
-- source. cursor is where the next pull starts (TAXII added_after, MISP
-- since); the last_* columns are the outcome of the last pull. password
-- (HTTP basic authentication) is a SECRET kept in clear, like the secrets
-- of notification_channels: the database and its backups must be
-- protected accordingly.
CREATE TABLE intel_feeds (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id       INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
	name          TEXT    NOT NULL,
	kind          TEXT    NOT NULL, -- taxii, misp_feed
	url           TEXT    NOT NULL,
	api_root      TEXT    NOT NULL DEFAULT '', -- TAXII only
	collection_id TEXT    NOT NULL DEFAULT '', -- TAXII only
	username      TEXT    NOT NULL DEFAULT '',
	password      TEXT    NOT NULL DEFAULT '',
	default_tlp   TEXT    NOT NULL DEFAULT '',
	confidence    INTEGER NOT NULL DEFAULT 0,
	interval_ns   INTEGER NOT NULL, -- time between pulls, nanoseconds
	enabled       INTEGER NOT NULL DEFAULT 1,
	cursor        INTEGER, -- NULL: from the beginning
	last_run_at   INTEGER, -- NULL: never pulled
	last_ok       INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	last_added    INTEGER NOT NULL DEFAULT 0,
	last_updated  INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	-- The name is the source of the feed's indicators.
	UNIQUE (unit_id, name)
);

-- A LogsQL query kept by its owner; shared ones are seen by everyone
-- whose units cover unit_id. Names are unique per unit and owner.
CREATE TABLE saved_queries (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id     INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
	owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name        TEXT    NOT NULL,
	query       TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	shared      INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (unit_id, owner_id, name)
);
CREATE INDEX saved_queries_owner_id ON saved_queries (owner_id);
CREATE INDEX saved_queries_shared ON saved_queries (unit_id, name) WHERE shared = 1;
