-- 0012_incident_evidence: the evidence of incident cases — files (disk and
-- memory images, log extracts, screenshots) kept under the SHA-256
-- computed when they arrived, the content in a file store, the
-- description here — and each item's chain of custody (see
-- internal/incident).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC). User ids are plain numbers (0: none): the record must
-- outlive the accounts it mentions.

-- An item of a case's evidence, listed by id. Nothing changes after the
-- insert; collected_at is created_at when the collection time is not
-- known.
CREATE TABLE incident_evidence (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id      INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	description  TEXT    NOT NULL DEFAULT '',
	sha256       TEXT    NOT NULL, -- hex
	size         INTEGER NOT NULL,
	content_type TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL DEFAULT '',
	collected_by TEXT    NOT NULL DEFAULT '',
	collected_at INTEGER NOT NULL,
	added_by     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
CREATE INDEX incident_evidence_case_id ON incident_evidence (case_id, id);

-- An item's chain of custody, in id order: append-only (no row is ever
-- updated or deleted but with its item). hash covers the entry and
-- prev_hash, the hash of the entry before it ('' for the first), so that
-- an entry changed or removed breaks the chain (incident.VerifyCustody);
-- every column the hash covers must come back exactly as written. case_id
-- is the item's, kept in the entry because the hash covers it. Appends
-- are serialised by the single write connection.
CREATE TABLE incident_custody (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	evidence_id INTEGER NOT NULL REFERENCES incident_evidence (id) ON DELETE CASCADE,
	case_id     INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	action      TEXT    NOT NULL, -- collected, viewed, downloaded, exported, verified, tampered, denied
	actor_id    INTEGER NOT NULL DEFAULT 0,
	actor       TEXT    NOT NULL DEFAULT '',
	ip          TEXT    NOT NULL DEFAULT '',
	detail      TEXT    NOT NULL DEFAULT '',
	prev_hash   TEXT    NOT NULL DEFAULT '',
	hash        TEXT    NOT NULL
);
CREATE INDEX incident_custody_evidence_id ON incident_custody (evidence_id, id);
