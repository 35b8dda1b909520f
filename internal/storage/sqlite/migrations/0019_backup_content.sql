-- 0019_backup_content: the ransomware heuristics' verdicts on the
-- snapshots of a plan's copies (see internal/backup, store.go, and
-- package ransom), kept as part of the plan's history.
--
-- Conventions as in 0018: times are INTEGER microseconds since the Unix
-- epoch (UTC). JSON columns are TEXT, the Go encoding of the value, and
-- come back exactly as written. A plan's content checks go with it (ON
-- DELETE CASCADE).

-- A content check of a snapshot of a plan's copy against the one before
-- it, listed newest (latest at, then highest id) first. Nothing changes
-- after the insert. en and vi are the JSON arrays of the reasons in each
-- language, in the order given ('[]': none).
CREATE TABLE backup_content_checks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id     INTEGER NOT NULL REFERENCES backup_plans (id) ON DELETE CASCADE,
	copy        TEXT    NOT NULL DEFAULT '', -- the name of the plan's copy; '': not said
	snapshot_id TEXT    NOT NULL DEFAULT '',
	previous_id TEXT    NOT NULL DEFAULT '', -- the snapshot compared with; '': none
	at          INTEGER NOT NULL,
	score       INTEGER NOT NULL, -- 0 to 100
	suspicious  INTEGER NOT NULL,
	en          TEXT    NOT NULL DEFAULT '[]', -- []string
	vi          TEXT    NOT NULL DEFAULT '[]', -- []string
	sampled     INTEGER NOT NULL DEFAULT 0, -- files whose contents were read
	files       INTEGER NOT NULL DEFAULT 0 -- files in the snapshot
);
CREATE INDEX backup_content_checks_plan_id ON backup_content_checks (plan_id, at DESC, id DESC);
