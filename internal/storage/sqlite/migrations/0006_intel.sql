-- 0006_intel: threat intelligence — indicators of compromise with every
-- value their pattern compares, and their sightings in events (see
-- docs/intel.md).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed; booleans are INTEGER
-- 0/1. The pattern and the labels, read and written whole, are JSON in
-- TEXT. Hunt ids are plain numbers (0: live matching).

CREATE TABLE indicators (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id     INTEGER NOT NULL REFERENCES units (id),
	type        TEXT    NOT NULL, -- of the first comparison of the pattern
	value       TEXT    NOT NULL, -- of the first comparison, normalised
	pattern     TEXT    NOT NULL, -- JSON array of arrays of intel.Comparison
	name        TEXT    NOT NULL DEFAULT '',
	description TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL DEFAULT '',
	external_id TEXT, -- NULL: none (entered by hand)
	tlp         TEXT    NOT NULL DEFAULT '',
	tlp_rank    INTEGER NOT NULL DEFAULT 0, -- intel.TLP.Rank(), for Filter.MaxTLP
	confidence  INTEGER NOT NULL DEFAULT 0,
	labels      TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	valid_from  INTEGER, -- NULL: always
	valid_until INTEGER, -- NULL: no end
	revoked     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	-- Repeated imports merge on the source's id; NULLs never collide.
	UNIQUE (unit_id, source, external_id)
);
-- Indicators without an external id merge on their type and value.
CREATE UNIQUE INDEX indicators_manual ON indicators (unit_id, type, value) WHERE external_id IS NULL;
CREATE INDEX indicators_type_value ON indicators (type, value);
CREATE INDEX indicators_unit_id_id ON indicators (unit_id, id);

-- Every distinct comparison (type, value) of an indicator's pattern, so
-- that a sweep or the live matcher finds all indicators that mention a
-- value. Rewritten with the pattern.
CREATE TABLE indicator_values (
	indicator_id INTEGER NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
	type         TEXT    NOT NULL,
	value        TEXT    NOT NULL,
	PRIMARY KEY (indicator_id, type, value)
) WITHOUT ROWID;
CREATE INDEX indicator_values_type_value ON indicator_values (type, value);

-- One row per indicator, unit, hunt, field, value and host; repeated
-- matches add to count and widen first_seen/last_seen.
CREATE TABLE sightings (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	indicator_id INTEGER NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
	unit_id      INTEGER NOT NULL REFERENCES units (id),
	hunt_id      INTEGER NOT NULL DEFAULT 0, -- 0: live matching
	host         TEXT    NOT NULL DEFAULT '',
	field        TEXT    NOT NULL,
	value        TEXT    NOT NULL,
	first_seen   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	count        INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	UNIQUE (indicator_id, unit_id, hunt_id, field, value, host)
);
CREATE INDEX sightings_indicator_last_seen ON sightings (indicator_id, last_seen, id);
