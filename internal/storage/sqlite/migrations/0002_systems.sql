-- 0002_systems: the register of information systems, focal points, level
-- dossiers with their history and attachments, and assets with their
-- identifiers and links to systems.
--
-- Conventions as in 0001. Values the register only reads and writes whole
-- are JSON in TEXT columns: systems.profile (regulation.Profile, keyed by
-- its Go field names), owner, operator, is_unit (system.Party) and layers
-- (system.Layers), keyed by their json tags, with times as RFC 3339 UTC
-- strings at microsecond precision. Everything a list filters or sorts on
-- is a column of its own.

CREATE TABLE systems (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id            INTEGER NOT NULL REFERENCES units (id),
	code               TEXT    NOT NULL UNIQUE,
	name               TEXT    NOT NULL,
	description        TEXT    NOT NULL DEFAULT '',
	status             TEXT    NOT NULL,
	hosting            TEXT    NOT NULL,
	parent_id          INTEGER REFERENCES systems (id), -- NULL: not a component
	pack_id            TEXT    NOT NULL DEFAULT '',
	profile            TEXT    NOT NULL DEFAULT '{}', -- JSON regulation.Profile
	scope              TEXT    NOT NULL DEFAULT '',
	owner              TEXT    NOT NULL DEFAULT '{}', -- JSON system.Party
	operator           TEXT    NOT NULL DEFAULT '{}', -- JSON system.Party
	is_unit            TEXT    NOT NULL DEFAULT '{}', -- JSON system.Party
	proposed_level     INTEGER NOT NULL DEFAULT 0,
	needs_review       INTEGER NOT NULL DEFAULT 0,
	approved_level     INTEGER NOT NULL DEFAULT 0,
	approved_at        INTEGER,
	redetermine        INTEGER NOT NULL DEFAULT 0,
	redetermine_fields TEXT    NOT NULL DEFAULT '[]', -- JSON array of regulation.Field* names
	layers             TEXT    NOT NULL DEFAULT '{}', -- JSON system.Layers
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
);
CREATE INDEX systems_unit_id ON systems (unit_id);
CREATE INDEX systems_status ON systems (status);
CREATE INDEX systems_parent_id ON systems (parent_id);
CREATE INDEX systems_approved_level ON systems (approved_level);

-- Persons the authority may contact for a unit (đầu mối).
CREATE TABLE focal_points (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id    INTEGER NOT NULL REFERENCES units (id),
	name       TEXT    NOT NULL,
	role       TEXT    NOT NULL DEFAULT '',
	phone      TEXT    NOT NULL DEFAULT '',
	email      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX focal_points_unit_id_name ON focal_points (unit_id, name);

-- Level-proposal dossiers. state changes only through TransitionDossier
-- (UPDATE ... WHERE id = ? AND state = ?). created_by is a user id kept as
-- a plain number, like jobs.created_by.
CREATE TABLE dossiers (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	system_id       INTEGER NOT NULL REFERENCES systems (id),
	unit_id         INTEGER NOT NULL REFERENCES units (id),
	pack_id         TEXT    NOT NULL DEFAULT '',
	level           INTEGER NOT NULL DEFAULT 0,
	state           TEXT    NOT NULL,
	rationale       TEXT    NOT NULL DEFAULT '',
	appraiser       TEXT    NOT NULL DEFAULT '',
	appraiser_unit  INTEGER REFERENCES units (id), -- NULL: none
	independence    TEXT    NOT NULL DEFAULT '',
	decision_number TEXT    NOT NULL DEFAULT '',
	decision_date   INTEGER,
	decision_signer TEXT    NOT NULL DEFAULT '',
	return_reason   TEXT    NOT NULL DEFAULT '',
	created_by      INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	submitted_at    INTEGER,
	decided_at      INTEGER
);
CREATE INDEX dossiers_system_id_id ON dossiers (system_id, id);
CREATE INDEX dossiers_unit_id_id ON dossiers (unit_id, id);
CREATE INDEX dossiers_state_id ON dossiers (state, id);

-- A dossier's history, appended by TransitionDossier in the transaction
-- that changes the state. actor_id is not a foreign key: the history must
-- outlive what it mentions.
CREATE TABLE dossier_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
	action     TEXT    NOT NULL,
	from_state TEXT    NOT NULL,
	to_state   TEXT    NOT NULL,
	actor_id   INTEGER NOT NULL DEFAULT 0,
	actor      TEXT    NOT NULL DEFAULT '',
	note       TEXT    NOT NULL DEFAULT '',
	at         INTEGER NOT NULL
);
CREATE INDEX dossier_events_dossier_id_id ON dossier_events (dossier_id, id);

-- Files kept with a dossier, bytes included, so that every node of a
-- deployment sees them. data is the last column: reading the others does
-- not read the blob's overflow pages. The caller limits the size and
-- computes sha256.
CREATE TABLE dossier_attachments (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	dossier_id   INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	content_type TEXT    NOT NULL DEFAULT '',
	size         INTEGER NOT NULL,
	sha256       TEXT    NOT NULL,
	created_by   INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	data         BLOB    NOT NULL
);
CREATE INDEX dossier_attachments_dossier_id_id ON dossier_attachments (dossier_id, id);

CREATE TABLE assets (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id     INTEGER NOT NULL REFERENCES units (id),
	kind        TEXT    NOT NULL,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX assets_unit_id ON assets (unit_id);
CREATE INDEX assets_kind ON assets (kind);
CREATE INDEX assets_name ON assets (name);

-- Asset.Identifiers, in their given order (pos). Indexed by value for
-- attributing telemetry to assets.
CREATE TABLE asset_identifiers (
	asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	pos      INTEGER NOT NULL,
	type     TEXT    NOT NULL,
	value    TEXT    NOT NULL,
	PRIMARY KEY (asset_id, pos)
) WITHOUT ROWID;
CREATE INDEX asset_identifiers_value ON asset_identifiers (value);

-- Asset.SystemIDs: the many-to-many link between assets and systems.
CREATE TABLE asset_systems (
	asset_id  INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	system_id INTEGER NOT NULL REFERENCES systems (id),
	PRIMARY KEY (asset_id, system_id)
) WITHOUT ROWID;
CREATE INDEX asset_systems_system_id ON asset_systems (system_id);
