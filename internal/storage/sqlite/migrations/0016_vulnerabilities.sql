-- 0016_vulnerabilities: vulnerability management (see internal/vuln,
-- store.go) — the inventory files imported for each asset with their
-- packages, the advisories and CISA's KEV catalogue they are matched
-- against, and each asset's findings as kept over time.
--
-- Conventions as in 0010: times are INTEGER microseconds since the Unix
-- epoch (UTC), NULL where a zero time is allowed. User and import ids are
-- plain numbers (0: none): the record must outlive what it mentions. JSON
-- columns are TEXT, the Go encoding of the value, and come back exactly
-- as written.

-- An inventory file imported for an asset, listed newest first. Nothing
-- changes after the insert; packages is the JSON array of
-- inventory.Package the file held.
CREATE TABLE vuln_imports (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	asset_id      INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	unit_id       INTEGER NOT NULL DEFAULT 0,
	format        TEXT    NOT NULL,
	tool          TEXT    NOT NULL DEFAULT '',
	distro        TEXT    NOT NULL DEFAULT '',
	release       TEXT    NOT NULL DEFAULT '',
	file_created  INTEGER, -- NULL: unknown
	imported_at   INTEGER NOT NULL,
	imported_by   INTEGER NOT NULL DEFAULT 0,
	sha256        TEXT    NOT NULL, -- hex
	package_count INTEGER NOT NULL,
	packages      TEXT    NOT NULL DEFAULT '[]' -- []inventory.Package
);
CREATE INDEX vuln_imports_asset_id ON vuln_imports (asset_id, imported_at DESC, id DESC);

-- An advisory (advisory.Advisory as JSON) by source and id; a newer
-- modified replaces it, an older one is ignored.
CREATE TABLE vuln_advisories (
	source   TEXT    NOT NULL,
	id       TEXT    NOT NULL,
	modified INTEGER, -- NULL: unknown, older than any time
	doc      TEXT    NOT NULL, -- advisory.Advisory
	PRIMARY KEY (source, id)
) WITHOUT ROWID;

-- CISA's Known Exploited Vulnerabilities catalogue, replaced whole.
CREATE TABLE vuln_kev (
	catalog_version TEXT NOT NULL,
	cve             TEXT NOT NULL PRIMARY KEY,
	doc             TEXT NOT NULL -- advisory.KEV
) WITHOUT ROWID;

-- A finding of an asset: one per package (ecosystem, name, architecture)
-- and vulnerability. status is open, fixed or accepted; the fixed_* columns
-- are the proof of a fix, the accept_* ones the risk acceptance. Findings
-- are listed most severe first (critical 4 … unknown 0), then due_at
-- (NULLs last), then id. Saves of one asset's findings are serialised by
-- the single write connection.
CREATE TABLE vuln_findings (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	unit_id         INTEGER NOT NULL,
	asset_id        INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	ecosystem       TEXT    NOT NULL,
	package         TEXT    NOT NULL,
	arch            TEXT    NOT NULL DEFAULT '',
	vuln_id         TEXT    NOT NULL,
	version         TEXT    NOT NULL DEFAULT '',
	fixed           TEXT    NOT NULL DEFAULT '',
	severity        TEXT    NOT NULL, -- critical, high, medium, low, unknown
	score           REAL    NOT NULL DEFAULT 0,
	kev             INTEGER NOT NULL DEFAULT 0,
	ransomware      INTEGER NOT NULL DEFAULT 0,
	warning         TEXT    NOT NULL DEFAULT '',
	summary         TEXT    NOT NULL DEFAULT '',
	aliases         TEXT    NOT NULL DEFAULT 'null', -- []string
	evidence        TEXT    NOT NULL DEFAULT 'null', -- []vuln.Evidence
	kev_due         INTEGER,
	status          TEXT    NOT NULL, -- open, fixed, accepted
	first_seen      INTEGER,
	last_seen       INTEGER,
	import_id       INTEGER NOT NULL DEFAULT 0,
	due_at          INTEGER, -- NULL: no deadline
	fixed_at        INTEGER,
	fixed_import_id INTEGER NOT NULL DEFAULT 0,
	fixed_version   TEXT    NOT NULL DEFAULT '',
	accepted_by     TEXT    NOT NULL DEFAULT '',
	accept_reason   TEXT    NOT NULL DEFAULT '',
	accept_until    INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (asset_id, ecosystem, package, arch, vuln_id)
);
CREATE INDEX vuln_findings_unit_id ON vuln_findings (unit_id, status, severity);
CREATE INDEX vuln_findings_status ON vuln_findings (status, severity);
CREATE INDEX vuln_findings_vuln_id ON vuln_findings (vuln_id);
