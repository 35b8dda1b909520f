-- 0013_incident_observables: the observables of incident cases — the
-- addresses, domains, file hashes, accounts and hosts seen in an incident
-- that the response looks for elsewhere (see internal/incident).
--
-- Conventions as in 0001: times are INTEGER microseconds since the Unix
-- epoch (UTC). User ids are plain numbers (0: none): the record must
-- outlive the accounts it mentions.

-- An observable of a case, listed by id: a kind and a value, normalised,
-- once per case. Nothing changes after the insert.
CREATE TABLE incident_observables (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id    INTEGER NOT NULL REFERENCES incident_cases (id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL, -- an intel indicator type, account or host
	value      TEXT    NOT NULL,
	note       TEXT    NOT NULL DEFAULT '',
	added_by   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	UNIQUE (case_id, kind, value)
);
CREATE INDEX incident_observables_case_id ON incident_observables (case_id, id);
